package dialog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"

	"concierge/internal/i18n"
	"concierge/modules/whatsapp/dialog"
	"concierge/modules/whatsapp/dialog/transcript"
)

var update = flag.Bool("update", false, "rewrite testdata/*.txt with the engine's current replies (review the diff!)")

// tenant is the fixture tenant every transcript in testdata assumes.
var tenant = dialog.Tenant{
	NameAR:        "متجر النخبة",
	NameEN:        "Nukhba Store",
	DefaultLocale: "ar",
	PrivacyURL:    "https://nukhba.example/privacy",
	NoticeVersion: "2025-01",
}

var now = time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)

// session plays the conversation worker in memory: it keeps the customer and
// the state between turns, applies effects to the customer and round-trips
// the state through JSON as the real worker stores it.
type session struct {
	t        testing.TB
	eng      *dialog.Engine
	tenant   dialog.Tenant
	customer dialog.Customer
	state    []byte // JSON, as persisted
	effects  [][]dialog.Effect
	steps    []string
}

func newSession(t testing.TB, eng *dialog.Engine) *session {
	t.Helper()
	return &session{t: t, eng: eng, tenant: tenant, customer: dialog.Customer{Consent: dialog.ConsentUnknown}}
}

func (s *session) drive(in dialog.Inbound) []dialog.Reply {
	s.t.Helper()
	var st dialog.State
	if s.state != nil {
		if err := json.Unmarshal(s.state, &st); err != nil {
			s.t.Fatalf("state: %v", err)
		}
	}
	res, err := s.eng.Handle(context.Background(), dialog.Request{
		Tenant: s.tenant, Customer: s.customer, State: st, In: in, Now: now,
	})
	if err != nil {
		s.t.Fatalf("Handle(%+v): %v", in, err)
	}
	for _, e := range res.Effects {
		switch e.Kind {
		case dialog.EffectLocaleSet:
			s.customer.Locale = e.Value
		case dialog.EffectConsentGranted:
			s.customer.Consent = dialog.ConsentGranted
		case dialog.EffectConsentDeclined:
			s.customer.Consent = dialog.ConsentDeclined
		case dialog.EffectConsentWithdrawn:
			s.customer.Consent = dialog.ConsentWithdrawn
		case dialog.EffectDataMinimise:
			s.customer.Name = "" // the locale and the consent record stay
		case dialog.EffectHandoffRequested:
		default:
			s.t.Fatalf("unknown effect %q", e.Kind)
		}
	}
	s.effects = append(s.effects, res.Effects)
	s.steps = append(s.steps, res.State.Step)
	if s.state, err = json.Marshal(res.State); err != nil {
		s.t.Fatalf("state: %v", err)
	}
	return res.Replies
}

// TestTranscripts plays the golden transcripts (testdata/*.txt) against the
// engine. They are the product's one set: cmd/concierge's
// TestTranscriptsEndToEnd plays the same files through the whole pipeline,
// where the product registers its capabilities. Here productCatalog stands
// in for them (see there), so both runners expect the same menu.
func TestTranscripts(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no transcripts in testdata")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			t.Parallel()
			runTranscript(t, file, func() *dialog.Engine { return dialog.New(nil, productCatalog{}, productOrders{}) })
		})
	}
}

// productCatalog is the product's catalog capability as the golden
// transcripts meet it: its main menu entry ("Browse products", in the
// catalog's words), and no claim on any turn, since the transcripts' tenant
// has nothing on display (the catalog then leaves free text to the engine).
// Keep its titles in step with modules/catalog's menu entry: the pipeline
// runner plays the real one.
type productCatalog struct{}

func (productCatalog) Name() string { return "catalog" }

func (productCatalog) MenuEntry(locale string) (dialog.Option, bool) {
	if locale == dialog.LocaleEN {
		return dialog.Option{ID: "menu:catalog", Title: "Browse products", Description: "Search and see what we sell"}, true
	}
	return dialog.Option{ID: "menu:catalog", Title: "تصفح المنتجات", Description: "ابحث واطّلع على منتجاتنا"}, true
}

func (productCatalog) Handle(context.Context, dialog.Request) (dialog.Result, bool, error) {
	return dialog.Result{}, false, nil
}

// productOrders is the product's "my orders" capability as the golden
// transcripts meet it: its main menu entry (in modules/orders' words), and
// no claim on any turn. Keep its titles in step with the orders' bot texts.
type productOrders struct{}

func (productOrders) Name() string { return "orders" }

func (productOrders) MenuEntry(locale string) (dialog.Option, bool) {
	if locale == dialog.LocaleEN {
		return dialog.Option{ID: "orders:list", Title: "My orders", Description: "Status, tracking and returns"}, true
	}
	return dialog.Option{ID: "orders:list", Title: "طلباتي", Description: "حالة طلباتك وتتبعها والإرجاع"}, true
}

func (productOrders) Handle(context.Context, dialog.Request) (dialog.Result, bool, error) {
	return dialog.Result{}, false, nil
}

// runTranscript checks one transcript file against a fresh engine and
// session; with -update it first rewrites the file's bot lines.
func runTranscript(t *testing.T, file string, newEngine func() *dialog.Engine) {
	t.Helper()
	if *update {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		out, err := transcript.Rewrite(bytes.NewReader(src), newSession(t, newEngine()).drive)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	turns, err := transcript.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	transcript.Run(t, turns, newSession(t, newEngine()).drive)
}

// Inbound messages used by the tests below.
var (
	text    = func(s string) dialog.Inbound { return dialog.Inbound{Kind: dialog.KindText, Text: s} }
	button  = func(id string) dialog.Inbound { return dialog.Inbound{Kind: dialog.KindButtonReply, ReplyID: id} }
	list    = func(id string) dialog.Inbound { return dialog.Inbound{Kind: dialog.KindListReply, ReplyID: id} }
	ofKind  = func(kind string) dialog.Inbound { return dialog.Inbound{Kind: kind} }
	langAR  = button(dialog.IDLangAR)
	langEN  = button(dialog.IDLangEN)
	agree   = button(dialog.IDConsentAgree)
	decline = button(dialog.IDConsentDecline)
)

func effects(kv ...string) []dialog.Effect {
	var out []dialog.Effect
	for i := 0; i < len(kv); i += 2 {
		out = append(out, dialog.Effect{Kind: kv[i], Value: kv[i+1]})
	}
	return out
}

// TestEffectsAndSteps checks what transcripts cannot show: the effects and the
// step of every turn.
func TestEffectsAndSteps(t *testing.T) {
	t.Parallel()
	type step struct {
		in      dialog.Inbound
		effects []dialog.Effect
		step    string
	}
	const v = "2025-01"
	tests := []struct {
		name  string
		turns []step
	}{
		{name: "arabic onboarding and handoff", turns: []step{
			{in: text("السلام عليكم"), step: dialog.StepLanguage},
			{in: langAR, effects: effects(dialog.EffectLocaleSet, "ar"), step: dialog.StepConsent},
			{in: agree, effects: effects(dialog.EffectConsentGranted, v), step: dialog.StepMenu},
			{in: button(dialog.IDHandoff), effects: effects(dialog.EffectHandoffRequested, "customer"), step: dialog.StepHandoff},
			{in: text("متى يردون؟"), step: dialog.StepHandoff},
			{in: text("القائمة"), step: dialog.StepMenu},
		}},
		{name: "typed language and typed agreement", turns: []step{
			{in: text("English please"), effects: effects(dialog.EffectLocaleSet, "en"), step: dialog.StepConsent},
			{in: text("yes, I agree"), effects: effects(dialog.EffectConsentGranted, v), step: dialog.StepMenu},
		}},
		{name: "typed agreement only right after the request", turns: []step{
			{in: langAR, effects: effects(dialog.EffectLocaleSet, "ar"), step: dialog.StepConsent},
			{in: decline, effects: effects(dialog.EffectConsentDeclined, v, dialog.EffectDataMinimise, ""), step: dialog.StepDeclined},
			{in: text("موافق"), step: dialog.StepConsent}, // re-asks, does not grant
			{in: text("موافق"), effects: effects(dialog.EffectConsentGranted, v), step: dialog.StepMenu},
		}},
		{name: "stop before anything", turns: []step{
			{in: text("STOP"), effects: effects(dialog.EffectConsentWithdrawn, v, dialog.EffectDataMinimise, ""), step: dialog.StepStopped},
			{in: text("hi"), step: dialog.StepLanguage},
		}},
		{name: "stop after consent keeps the locale", turns: []step{
			{in: langEN, effects: effects(dialog.EffectLocaleSet, "en"), step: dialog.StepConsent},
			{in: agree, effects: effects(dialog.EffectConsentGranted, v), step: dialog.StepMenu},
			{in: text("إيقاف"), effects: effects(dialog.EffectConsentWithdrawn, v, dialog.EffectDataMinimise, ""), step: dialog.StepStopped},
			{in: text("hello"), step: dialog.StepConsent},
			{in: agree, effects: effects(dialog.EffectConsentGranted, v), step: dialog.StepMenu},
		}},
		{name: "stale decline button withdraws", turns: []step{
			{in: langAR, effects: effects(dialog.EffectLocaleSet, "ar"), step: dialog.StepConsent},
			{in: agree, effects: effects(dialog.EffectConsentGranted, v), step: dialog.StepMenu},
			{in: decline, effects: effects(dialog.EffectConsentWithdrawn, v, dialog.EffectDataMinimise, ""), step: dialog.StepStopped},
		}},
		{name: "gate holds every kind", turns: []step{
			{in: langAR, effects: effects(dialog.EffectLocaleSet, "ar"), step: dialog.StepConsent},
			{in: button(dialog.IDHandoff), step: dialog.StepConsent},
			{in: text("ابي اكلم موظف"), step: dialog.StepConsent},
			{in: ofKind(dialog.KindOrder), step: dialog.StepConsent},
			{in: ofKind(dialog.KindImage), step: dialog.StepConsent},
			{in: list("menu:help"), step: dialog.StepConsent},
		}},
		{name: "order asks for a person until a capability takes orders", turns: []step{
			{in: langEN, effects: effects(dialog.EffectLocaleSet, "en"), step: dialog.StepConsent},
			{in: agree, effects: effects(dialog.EffectConsentGranted, v), step: dialog.StepMenu},
			{in: ofKind(dialog.KindOrder), effects: effects(dialog.EffectHandoffRequested, "order"), step: dialog.StepMenu},
		}},
		{name: "language switch after consent", turns: []step{
			{in: langAR, effects: effects(dialog.EffectLocaleSet, "ar"), step: dialog.StepConsent},
			{in: agree, effects: effects(dialog.EffectConsentGranted, v), step: dialog.StepMenu},
			{in: text("english"), effects: effects(dialog.EffectLocaleSet, "en"), step: dialog.StepMenu},
			{in: text("English"), step: dialog.StepMenu}, // already English: no effect
			{in: button(dialog.IDLanguage), step: dialog.StepLanguage},
			{in: langAR, effects: effects(dialog.EffectLocaleSet, "ar"), step: dialog.StepMenu},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, dialog.New(nil))
			for i, st := range tc.turns {
				s.drive(st.in)
				if got := s.effects[i]; !reflect.DeepEqual(got, st.effects) {
					t.Errorf("turn %d (%+v): effects = %v, want %v", i+1, st.in, got, st.effects)
				}
				if got := s.steps[i]; got != st.step {
					t.Errorf("turn %d (%+v): step = %q, want %q", i+1, st.in, got, st.step)
				}
			}
		})
	}
}

func TestHandleIsPure(t *testing.T) {
	t.Parallel()
	eng := dialog.New(nil)
	req := dialog.Request{
		Tenant:   tenant,
		Customer: dialog.Customer{Locale: "ar", Consent: dialog.ConsentGranted},
		State:    dialog.State{Version: 1, Step: dialog.StepMenu, Locale: "ar", Data: map[string]string{"cart.items": "2"}},
		In:       text("STOP"),
		Now:      now,
	}
	before, _ := json.Marshal(req.State)
	first, err := eng.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	second, err := eng.Handle(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("same request, different results:\n%+v\n%+v", first, second)
	}
	if after, _ := json.Marshal(req.State); !bytes.Equal(before, after) {
		t.Errorf("Handle modified the request state: %s → %s", before, after)
	}
	if len(first.State.Data) != 0 {
		t.Errorf("STOP kept conversation data: %v", first.State.Data)
	}
}

func TestStateJSON(t *testing.T) {
	t.Parallel()
	st := dialog.State{Version: 1, Step: "menu", Locale: "ar", Data: map[string]string{"cart.sku": "A1"}}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"version":1,"step":"menu","locale":"ar","data":{"cart.sku":"A1"}}`
	if string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	var back dialog.State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, st) {
		t.Errorf("round trip = %+v, want %+v", back, st)
	}
	empty, _ := json.Marshal(dialog.State{})
	if string(empty) != `{"version":0}` {
		t.Errorf("empty state json = %s", empty)
	}
}

func TestLocale(t *testing.T) {
	t.Parallel()
	eng := dialog.New(nil)
	tests := []struct {
		name     string
		customer dialog.Customer
		state    dialog.State
		tenant   dialog.Tenant
		want     string // Request.Locale
		first    bool   // expects the language prompt
	}{
		{name: "new customer", tenant: tenant, want: "ar", first: true},
		{name: "english default", tenant: dialog.Tenant{DefaultLocale: "en-GB"}, want: "en", first: true},
		{name: "no default", want: "ar", first: true},
		{name: "customer locale", customer: dialog.Customer{Locale: "en"}, tenant: tenant, want: "en"},
		{name: "customer locale with region", customer: dialog.Customer{Locale: "ar-SA"}, tenant: tenant, want: "ar"},
		{name: "state mirrors an unapplied choice", state: dialog.State{Locale: "en"}, tenant: tenant, want: "en"},
		{name: "unknown locale", customer: dialog.Customer{Locale: "fr"}, tenant: tenant, want: "ar", first: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := dialog.Request{Tenant: tc.tenant, Customer: tc.customer, State: tc.state, In: text("hi")}
			req.Tenant.PrivacyURL, req.Tenant.NoticeVersion = "https://x.example/p", "1"
			if got := req.Locale(); got != tc.want {
				t.Errorf("Locale() = %q, want %q", got, tc.want)
			}
			res, err := eng.Handle(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if first := res.State.Step == dialog.StepLanguage; first != tc.first {
				t.Errorf("step = %q, want language prompt %v", res.State.Step, tc.first)
			}
		})
	}
}

func TestLanguagePromptOrder(t *testing.T) {
	t.Parallel()
	eng := dialog.New(nil)
	tests := []struct {
		name    string
		in      dialog.Inbound
		def     string
		arFirst bool
	}{
		{name: "arabic message", in: text("السلام عليكم"), def: "en", arFirst: true},
		{name: "english message", in: text("Hello, do you deliver?"), def: "ar", arFirst: false},
		{name: "no letters, arabic default", in: text("👋"), def: "ar", arFirst: true},
		{name: "no letters, english default", in: ofKind(dialog.KindImage), def: "en", arFirst: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tn := tenant
			tn.DefaultLocale = tc.def
			res, err := eng.Handle(context.Background(), dialog.Request{Tenant: tn, In: tc.in})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Replies) != 1 || res.Replies[0].Kind != dialog.ReplyButtons {
				t.Fatalf("replies = %+v, want one buttons reply", res.Replies)
			}
			r := res.Replies[0]
			if arFirst := strings.HasPrefix(r.Body, "أهلًا"); arFirst != tc.arFirst {
				t.Errorf("body starts in Arabic = %v, want %v:\n%s", arFirst, tc.arFirst, r.Body)
			}
			if !strings.Contains(r.Body, "Welcome") || !strings.Contains(r.Body, "أهلًا") {
				t.Errorf("prompt is not bilingual:\n%s", r.Body)
			}
			if ids := []string{r.Options[0].ID, r.Options[1].ID}; !reflect.DeepEqual(ids, []string{dialog.IDLangAR, dialog.IDLangEN}) {
				t.Errorf("button ids = %v", ids)
			}
		})
	}
}

func TestNoPrivacyNotice(t *testing.T) {
	t.Parallel()
	eng := dialog.New(nil)
	tn := tenant
	tn.PrivacyURL = ""
	_, err := eng.Handle(context.Background(), dialog.Request{Tenant: tn, In: langAR})
	if !errors.Is(err, dialog.ErrNoPrivacyNotice) {
		t.Errorf("err = %v, want ErrNoPrivacyNotice", err)
	}
	// STOP still works without a notice.
	res, err := eng.Handle(context.Background(), dialog.Request{Tenant: tn, In: text("stop")})
	if err != nil || len(res.Replies) != 1 {
		t.Errorf("stop without notice: %+v, %v", res, err)
	}
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := dialog.New(nil).Handle(ctx, dialog.Request{Tenant: tenant, In: text("hi")}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// mapOverrides is a tenant's text overrides.
type mapOverrides map[string]string // "key/locale" → text

func (m mapOverrides) Lookup(_ context.Context, key, locale string) (string, bool) {
	s, ok := m[key+"/"+locale]
	return s, ok
}

func TestOverrides(t *testing.T) {
	t.Parallel()
	eng := dialog.New(mapOverrides{
		"welcome/en":      "Hey {name}, welcome to {store}!",
		"menu.handoff/en": "Speak to one of our friendly staff members",
		"menu.help/en":    "   ", // blank: the default wins
	})
	res, err := eng.Handle(context.Background(), dialog.Request{
		Tenant:   tenant,
		Customer: dialog.Customer{Locale: "en", Consent: dialog.ConsentGranted, Name: "Sara"},
		In:       text("hello"),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Replies[0]
	if r.Body != "Hey Sara, welcome to Nukhba Store!" {
		t.Errorf("body = %q", r.Body)
	}
	if got := r.Options[0].Title; got != "Speak to one of our…" || utf8.RuneCountInString(got) > dialog.MaxButtonTitle {
		t.Errorf("long override title = %q, want it cut to %d runes", got, dialog.MaxButtonTitle)
	}
	if got := r.Options[2].Title; got != "Help" {
		t.Errorf("blank override: title = %q, want the default", got)
	}
}

// engineKeys are the texts the engine itself shows; capabilities add their
// own keys ("<name>.*") to the catalog's bot texts.
var engineKeys = []string{
	"consent.agree", "consent.decline", "consent.declined", "consent.reminder", "consent.request", "fallback",
	"handoff.ack", "handoff.resumed", "handoff.waiting", "help", "language.change", "language.option.ar",
	"language.option.en", "language.prompt", "language.set", "location.received", "media.received", "menu.body",
	"menu.button", "menu.handoff", "menu.handoff.desc", "menu.help", "menu.help.desc", "menu.language",
	"menu.language.desc", "order.received", "stop.confirm", "unsupported", "welcome",
}

// TestTexts holds the default texts (the catalog's bot.<key> messages) to
// their rules: every key in both languages; the engine's own texts in
// Arabic in the Arabic file, with the same placeholders in both languages,
// and within WhatsApp's limits where they are titles.
func TestTexts(t *testing.T) {
	t.Parallel()
	texts := dialog.DefaultTexts()
	keys := dialog.Keys()
	if len(keys) != len(texts) {
		t.Fatalf("Keys() has %d keys, DefaultTexts() %d", len(keys), len(texts))
	}
	for i, k := range keys {
		if i > 0 && keys[i-1] >= k {
			t.Errorf("Keys() not sorted at %q", k)
		}
		for _, l := range []string{"ar", "en"} {
			if strings.TrimSpace(texts[k][l]) == "" {
				t.Errorf("%s has no %s text", k, l)
			}
		}
	}
	for _, k := range engineKeys {
		if _, ok := texts[k]; !ok {
			t.Errorf("the engine's text %s is not in the catalog (bot.%s)", k, k)
			continue
		}
		if s := texts[k]["ar"]; !strings.HasPrefix(k, "language.option.en") && !strings.HasSuffix(k, ".desc") && !hasArabic(s) {
			t.Errorf("%s/ar is not Arabic: %q", k, s)
		}
		if a, e := placeholders(texts[k]["ar"]), placeholders(texts[k]["en"]); !reflect.DeepEqual(a, e) {
			t.Errorf("%s: placeholders differ: ar %v, en %v", k, a, e)
		}
	}
	limits := map[string]int{
		"language.option.ar": dialog.MaxButtonTitle, "language.option.en": dialog.MaxButtonTitle,
		"consent.agree": dialog.MaxButtonTitle, "consent.decline": dialog.MaxButtonTitle,
		"menu.handoff": dialog.MaxButtonTitle, "menu.language": dialog.MaxButtonTitle, "menu.help": dialog.MaxButtonTitle,
		"menu.button":       dialog.MaxListButton,
		"menu.handoff.desc": dialog.MaxListDescription, "menu.language.desc": dialog.MaxListDescription, "menu.help.desc": dialog.MaxListDescription,
	}
	for k, n := range limits {
		for l, s := range texts[k] {
			if utf8.RuneCountInString(s) > n {
				t.Errorf("%s/%s = %q: longer than %d runes", k, l, s, n)
			}
		}
	}
	// DefaultTexts is a copy.
	texts["welcome"]["en"] = "changed"
	if dialog.DefaultTexts()["welcome"]["en"] == "changed" {
		t.Error("DefaultTexts returned the package's map")
	}
}

func hasArabic(s string) bool {
	for _, r := range s {
		if r >= 0x0600 && r <= 0x06FF {
			return true
		}
	}
	return false
}

func placeholders(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return out
		}
		out = append(out, s[i:i+j+1])
		s = s[i+j+1:]
	}
}

func TestNewPanics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		caps []dialog.Capability
	}{
		{name: "reserved", caps: []dialog.Capability{&demo{name: "menu"}}},
		{name: "invalid", caps: []dialog.Capability{&demo{name: "Cart:x"}}},
		{name: "empty", caps: []dialog.Capability{&demo{name: ""}}},
		{name: "twice", caps: []dialog.Capability{&demo{name: "cart"}, &demo{name: "cart"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			dialog.New(nil, tc.caps...)
		})
	}
}

// TestConsentRecordsShownNotice: the consent effect names the notice version
// the customer was shown, even if the tenant publishes a new one meanwhile.
func TestConsentRecordsShownNotice(t *testing.T) {
	t.Parallel()
	s := newSession(t, dialog.New(nil))
	s.drive(langEN) // shows version 2025-01
	s.tenant.NoticeVersion = "2025-02"
	s.drive(agree)
	if want := effects(dialog.EffectConsentGranted, "2025-01"); !reflect.DeepEqual(s.effects[1], want) {
		t.Errorf("effects = %v, want %v", s.effects[1], want)
	}
	var st dialog.State
	if err := json.Unmarshal(s.state, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Data) != 0 {
		t.Errorf("state data after consent = %v, want empty", st.Data)
	}
}

// TestHandoffWaiting: while a hand-off is pending (and the worker still lets
// the engine answer), free text is acknowledged rather than "not understood".
func TestHandoffWaiting(t *testing.T) {
	t.Parallel()
	s := consented(t, dialog.New(nil), "ar")
	s.drive(text("ابي اكلم موظف"))
	got := s.drive(text("متى توصلون الطلب؟"))
	if want := dialog.DefaultTexts()["handoff.waiting"]["ar"]; len(got) != 1 || got[0].Body != want {
		t.Errorf("replies = %+v, want %q", got, want)
	}
	if len(s.effects[1]) != 0 {
		t.Errorf("second message asked for a person again: %v", s.effects[1])
	}
	if got := s.drive(text("هلا")); len(got) != 1 || !strings.HasPrefix(got[0].Body, "أهلًا بك في متجر النخبة") {
		t.Errorf("greeting after hand-off: %+v", got)
	}
}

// TestEngineReadsItsCatalog: the engine's default texts are the catalog's
// bot.<key> messages of the catalog it was given (Words.Catalog), and a
// tenant's override still comes first.
func TestEngineReadsItsCatalog(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"m/bot.ar.toml": {Data: []byte("[\"bot.welcome\"]\nother = \"حياك الله في {store}\"\n[\"bot.help\"]\nother = \"مساعدة\"\n")},
		"m/bot.en.toml": {Data: []byte("[\"bot.welcome\"]\nother = \"Hey, this is {store}\"\n[\"bot.help\"]\nother = \"Help\"\n")},
	}
	c, err := i18n.LoadFS(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	hello := func(eng *dialog.Engine) string {
		t.Helper()
		res, err := eng.Handle(context.Background(), dialog.Request{Tenant: tenant,
			Customer: dialog.Customer{Locale: "en", Consent: dialog.ConsentGranted}, In: text("hello")})
		if err != nil {
			t.Fatal(err)
		}
		return res.Replies[0].Body
	}
	if got := hello(dialog.NewWithWords(dialog.Words{Catalog: c})); got != "Hey, this is Nukhba Store" {
		t.Errorf("welcome %q, want the given catalog's", got)
	}
	over := dialog.NewWithWords(dialog.Words{Catalog: c, Overrides: mapOverrides{"welcome/en": "Our {store}"}})
	if got := hello(over); got != "Our Nukhba Store" {
		t.Errorf("welcome %q, want the tenant's override", got)
	}
}
