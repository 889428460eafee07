package dialog_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"concierge/modules/whatsapp/dialog"
)

// coder is a Preemptive test capability: it claims the texts carrying
// "#CODE" (as the catalog and the cart claim the storefront's chat codes).
type coder struct{}

func (coder) Name() string                           { return "coder" }
func (coder) MenuEntry(string) (dialog.Option, bool) { return dialog.Option{}, false }
func (coder) Preempts(text string) bool              { return strings.Contains(text, "#CODE") }
func (c coder) Handle(_ context.Context, req dialog.Request) (dialog.Result, bool, error) {
	if req.In.Kind != dialog.KindText || !c.Preempts(req.In.Text) {
		return dialog.Result{}, false, nil
	}
	st := req.State
	st.Step = "coder:shown"
	return dialog.Result{State: st, Replies: []dialog.Reply{dialog.TextReply("code (" + req.Locale() + "): " + req.In.Text)}}, true, nil
}

// TestPreemptive: after consent a text a Preemptive capability claims goes
// to it before the built-in intents, the keywords and the step's owner;
// STOP still comes first.
func TestPreemptive(t *testing.T) {
	t.Parallel()
	shop := &demo{name: "shop", entry: true, claimAll: true}
	s := consented(t, dialog.New(nil, shop, coder{}), "ar")
	tests := []struct {
		name string
		in   dialog.Inbound
		want string // the first reply's body (prefix)
		step string
	}{
		{"the step's owner claims every text, but not a code", text("مرحبا أريد هذا #CODE"), "code (ar): مرحبا أريد هذا #CODE", "coder:shown"},
		{"a word asking for a person", text("عباية موظفة #CODE"), "code (ar): عباية موظفة #CODE", "coder:shown"},
		{"without a code, the owner", text("موظف"), "تم، سيرد عليك", "handoff"},
		{"while a person is awaited", text("#CODE"), "code (ar): #CODE", "coder:shown"},
		{"a tap is never preempted", list("menu:shop"), "منتجاتنا:", "shop:browse"},
		{"STOP first", text("STOP"), "تم إيقاف", "stopped"},
	}
	for _, tc := range tests {
		got := s.drive(tc.in)
		if len(got) == 0 || !strings.HasPrefix(got[0].Body, tc.want) || s.steps[len(s.steps)-1] != tc.step {
			t.Errorf("%s: %+v (step %s), want %q (step %s)", tc.name, got, s.steps[len(s.steps)-1], tc.want, tc.step)
		}
	}
}

// TestPreemptiveBeforeConsent: a claimed text sent before consent is
// answered right after the customer agrees, instead of the welcome; a
// decline forgets it.
func TestPreemptiveBeforeConsent(t *testing.T) {
	t.Parallel()
	eng := dialog.New(nil, &demo{name: "shop", entry: true}, coder{})
	s := newSession(t, eng)
	s.drive(text("I'd like to order: Abaya #CODE"))
	s.drive(langAR)
	if st := s.stateData(); st["dialog.deferred"] != "I'd like to order: Abaya #CODE" {
		t.Fatalf("state before consent: %+v", st)
	}
	got := s.drive(agree)
	if len(got) != 1 || got[0].Body != "code (ar): I'd like to order: Abaya #CODE" || s.steps[len(s.steps)-1] != "coder:shown" {
		t.Fatalf("after agree: %+v", got)
	}
	if !slices.Equal(s.effects[len(s.effects)-1], effects(dialog.EffectConsentGranted, tenant.NoticeVersion)) {
		t.Errorf("effects: %+v", s.effects[len(s.effects)-1])
	}
	if _, kept := s.stateData()["dialog.deferred"]; kept {
		t.Errorf("the text is still kept after it was answered")
	}
	if got := s.drive(text("مرحبا")); len(got) != 1 || !strings.HasPrefix(got[0].Body, "أهلًا بك") {
		t.Errorf("next greeting: %+v", got)
	}

	// Declined: the text is forgotten; agreeing later is welcomed.
	d := newSession(t, eng)
	d.drive(text("#CODE please"))
	d.drive(langEN)
	d.drive(decline)
	d.drive(text("hello"))
	if got := d.drive(agree); len(got) != 1 || !strings.HasPrefix(got[0].Body, "Welcome") {
		t.Errorf("after decline then agree: %+v", got)
	}

	// A text without a code before consent keeps nothing.
	n := newSession(t, eng)
	n.drive(text("hello"))
	n.drive(langEN)
	if got := n.drive(agree); len(got) != 1 || !strings.HasPrefix(got[0].Body, "Welcome") {
		t.Errorf("no code: %+v", got)
	}
}

// stateData is the session's State.Data as persisted.
func (s *session) stateData() map[string]string {
	s.t.Helper()
	var st dialog.State
	if err := json.Unmarshal(s.state, &st); err != nil {
		s.t.Fatal(err)
	}
	return st.Data
}
