package dialog_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"concierge/modules/whatsapp/dialog"
)

// demo is a test capability: a tiny catalog that lists two products from its
// menu entry, adds them by id ("<name>:add:<sku>"), searches free text while
// its browse step is active and, if takeOrders, takes catalog orders.
type demo struct {
	name       string
	entry      bool   // has a menu entry
	entryID    string // the menu entry's id, if it sets one
	takeOrders bool
	claimAll   bool // claims every text turn
	err        error
	seen       []dialog.Request
}

func (d *demo) Name() string { return d.name }

func (d *demo) MenuEntry(locale string) (dialog.Option, bool) {
	if !d.entry {
		return dialog.Option{}, false
	}
	if locale == dialog.LocaleAR {
		return dialog.Option{ID: d.entryID, Title: "تصفح المنتجات", Description: "شاهد ما نبيعه"}, true
	}
	return dialog.Option{ID: d.entryID, Title: "Browse products", Description: "See what we sell"}, true
}

func (d *demo) Handle(_ context.Context, req dialog.Request) (dialog.Result, bool, error) {
	d.seen = append(d.seen, req)
	if d.err != nil {
		return dialog.Result{}, false, d.err
	}
	ar := req.Locale() == dialog.LocaleAR
	say := func(arText, enText string) string {
		if ar {
			return arText
		}
		return enText
	}
	st := req.State
	switch {
	case req.In.ReplyID == dialog.IDMenuPrefix+d.name:
		st.Step = d.name + ":browse"
		return dialog.Result{State: st, Replies: []dialog.Reply{{
			Kind: dialog.ReplyButtons, Body: say("منتجاتنا:", "Our products:"),
			Options: []dialog.Option{{ID: d.name + ":add:dates", Title: say("تمر", "Dates")}, {ID: d.name + ":add:coffee", Title: say("قهوة", "Coffee")}},
		}}}, true, nil
	case strings.HasPrefix(req.In.ReplyID, d.name+":add:"):
		sku := strings.TrimPrefix(req.In.ReplyID, d.name+":add:")
		if st.Data == nil {
			st.Data = map[string]string{}
		}
		st.Data[d.name+".last"] = sku
		return dialog.Result{State: st, Replies: []dialog.Reply{{Kind: dialog.ReplyText, Body: say("أضفنا ", "Added ") + sku}}}, true, nil
	case req.In.Kind == dialog.KindText && (d.claimAll || req.State.Step == d.name+":browse"):
		return dialog.Result{State: st, Replies: []dialog.Reply{{Kind: dialog.ReplyText, Body: d.name + " " + say("يبحث عن", "searches for") + ": " + req.In.Text}}}, true, nil
	case req.In.Kind == dialog.KindOrder && d.takeOrders:
		return dialog.Result{State: st, Replies: []dialog.Reply{{Kind: dialog.ReplyText, Body: say("سلتك جاهزة", "Your cart is ready")}}}, true, nil
	}
	return dialog.Result{}, false, nil
}

// consented returns a session past language choice and consent.
func consented(t *testing.T, eng *dialog.Engine, locale string) *session {
	t.Helper()
	s := newSession(t, eng)
	s.customer = dialog.Customer{Locale: locale, Consent: dialog.ConsentGranted}
	return s
}

func TestCapabilityTranscript(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "capability", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no capability transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			t.Parallel()
			runTranscript(t, file, func() *dialog.Engine {
				return dialog.New(nil, &demo{name: "shop", entry: true, takeOrders: true})
			})
		})
	}
}

func TestCapabilityNotBeforeConsent(t *testing.T) {
	t.Parallel()
	d := &demo{name: "shop", entry: true, takeOrders: true, claimAll: true}
	s := newSession(t, dialog.New(nil, d))
	for _, in := range []dialog.Inbound{
		text("hi"), list("menu:shop"), button("shop:add:dates"), langAR,
		text("تمر"), list("menu:shop"), button("shop:add:dates"), ofKind(dialog.KindOrder), decline,
		text("STOP"), text("مرحبا"),
	} {
		s.drive(in)
	}
	if len(d.seen) != 0 {
		t.Errorf("capability saw %d turns before consent: %+v", len(d.seen), d.seen)
	}
	s.drive(agree)
	if got := s.drive(text("تمر")); len(got) != 1 || got[0].Body != "shop يبحث عن: تمر" {
		t.Errorf("after consent: %+v", got)
	}
}

func TestCapabilityMenu(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		caps    []dialog.Capability
		kind    string
		ids     []string
		titleAR string
	}{
		{name: "no capabilities: buttons", kind: dialog.ReplyButtons, ids: []string{"handoff", "lang", "help"}},
		{name: "capability without entry: buttons", caps: []dialog.Capability{&demo{name: "cart"}},
			kind: dialog.ReplyButtons, ids: []string{"handoff", "lang", "help"}},
		{name: "one entry: list", caps: []dialog.Capability{&demo{name: "shop", entry: true}},
			kind: dialog.ReplyList, ids: []string{"menu:shop", "handoff", "lang", "help"}},
		{name: "own prefix kept", caps: []dialog.Capability{&demo{name: "shop", entry: true, entryID: "shop:home"}},
			kind: dialog.ReplyList, ids: []string{"shop:home", "handoff", "lang", "help"}},
		{name: "foreign id replaced", caps: []dialog.Capability{&demo{name: "shop", entry: true, entryID: "cart:x"}},
			kind: dialog.ReplyList, ids: []string{"menu:shop", "handoff", "lang", "help"}},
		{name: "registration order", caps: []dialog.Capability{&demo{name: "b", entry: true}, &demo{name: "a", entry: true}},
			kind: dialog.ReplyList, ids: []string{"menu:b", "menu:a", "handoff", "lang", "help"}},
		{name: "at most ten rows", caps: manyCaps(9), kind: dialog.ReplyList,
			ids: []string{"menu:c0", "menu:c1", "menu:c2", "menu:c3", "menu:c4", "menu:c5", "menu:c6", "handoff", "lang", "help"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := consented(t, dialog.New(nil, tc.caps...), "en")
			got := s.drive(text("menu"))
			if len(got) != 1 || got[0].Kind != tc.kind {
				t.Fatalf("replies = %+v, want one %s", got, tc.kind)
			}
			var ids []string
			for _, o := range got[0].Options {
				ids = append(ids, o.ID)
				limit := dialog.MaxListTitle
				if tc.kind == dialog.ReplyButtons {
					limit = dialog.MaxButtonTitle
					if o.Description != "" {
						t.Errorf("button %q has a description", o.ID)
					}
				}
				if n := len([]rune(o.Title)); n > limit {
					t.Errorf("title %q: %d runes > %d", o.Title, n, limit)
				}
			}
			if strings.Join(ids, " ") != strings.Join(tc.ids, " ") {
				t.Errorf("ids = %v, want %v", ids, tc.ids)
			}
			if tc.kind == dialog.ReplyList && got[0].ListButton != "Menu" {
				t.Errorf("list button = %q", got[0].ListButton)
			}
		})
	}
}

func manyCaps(n int) []dialog.Capability {
	var out []dialog.Capability
	for i := range n {
		out = append(out, &demo{name: fmt.Sprintf("c%d", i), entry: true})
	}
	return out
}

func TestCapabilityRouting(t *testing.T) {
	t.Parallel()
	t.Run("step owner first", func(t *testing.T) {
		t.Parallel()
		a := &demo{name: "a", entry: true, claimAll: true}
		b := &demo{name: "b", entry: true}
		s := consented(t, dialog.New(nil, a, b), "en")
		if got := s.drive(text("dates")); got[0].Body != "a searches for: dates" {
			t.Errorf("no owner: %q", got[0].Body)
		}
		s.drive(list("menu:b")) // b's browse step
		if got := s.drive(text("dates")); got[0].Body != "b searches for: dates" {
			t.Errorf("owner b: %q", got[0].Body)
		}
	})
	t.Run("built-in intents before capabilities", func(t *testing.T) {
		t.Parallel()
		a := &demo{name: "a", claimAll: true}
		s := consented(t, dialog.New(nil, a), "ar")
		for _, msg := range []string{"مساعدة", "القائمة", "كلم موظف", "هلا", "English", "stop"} {
			s.drive(text(msg))
		}
		if len(a.seen) != 0 {
			t.Errorf("capability saw built-in intents: %d turns", len(a.seen))
		}
	})
	t.Run("unclaimed id", func(t *testing.T) {
		t.Parallel()
		s := consented(t, dialog.New(nil, &demo{name: "shop"}), "en")
		got := s.drive(button("shop:unknown"))
		if len(got) != 1 || !strings.HasPrefix(got[0].Body, "Sorry, I didn't understand") {
			t.Errorf("replies = %+v", got)
		}
		got = s.drive(button("nobody:x"))
		if len(got) != 1 || !strings.HasPrefix(got[0].Body, "Sorry, I didn't understand") {
			t.Errorf("replies = %+v", got)
		}
	})
	t.Run("capability takes orders", func(t *testing.T) {
		t.Parallel()
		s := consented(t, dialog.New(nil, &demo{name: "cart", takeOrders: true}), "en")
		got := s.drive(ofKind(dialog.KindOrder))
		if len(got) != 1 || got[0].Body != "Your cart is ready" {
			t.Errorf("replies = %+v", got)
		}
		if len(s.effects[0]) != 0 {
			t.Errorf("effects = %v, want none (no hand-off)", s.effects[0])
		}
	})
	t.Run("state kept and versioned", func(t *testing.T) {
		t.Parallel()
		eng := dialog.New(nil, &demo{name: "shop"})
		res, err := eng.Handle(context.Background(), dialog.Request{
			Tenant:   tenant,
			Customer: dialog.Customer{Locale: "ar", Consent: dialog.ConsentGranted},
			In:       button("shop:add:dates"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.State.Version != dialog.StateVersion || res.State.Locale != "ar" || res.State.Data["shop.last"] != "dates" {
			t.Errorf("state = %+v", res.State)
		}
	})
	t.Run("error fails the turn", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("boom")
		eng := dialog.New(nil, &demo{name: "shop", err: boom})
		_, err := eng.Handle(context.Background(), dialog.Request{
			Tenant:   tenant,
			Customer: dialog.Customer{Locale: "en", Consent: dialog.ConsentGranted},
			In:       text("dates"),
		})
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "shop") {
			t.Errorf("err = %v", err)
		}
	})
}
