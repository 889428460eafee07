package cart_test

import (
	"bytes"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"concierge/modules/cart"
	"concierge/modules/catalog"
	"concierge/modules/catalog/catalogtest"
	"concierge/modules/catalog/demo"
	"concierge/modules/catalog/feed"
	"concierge/modules/whatsapp/dialog"
	"concierge/modules/whatsapp/dialog/dialogtest"
)

var update = flag.Bool("update", false, "rewrite testdata/transcripts/*.txt with the flows' current replies (review the diff!)")

// flowTenant is the dialog tenant every transcript assumes.
var flowTenant = dialog.Tenant{
	NameAR: "متجر النخبة", NameEN: "Nukhba Store", DefaultLocale: "ar",
	PrivacyURL: "https://nukhba.example/privacy", NoticeVersion: "2025-01",
}

// flowTranscripts are the golden conversations in testdata/transcripts: a
// consented customer of the demo catalog (with the stock below), shipping to
// Riyadh (25.00), Jeddah (30.00), Makkah (30.00) or elsewhere (35.00), free
// from 500.00, prices with VAT included. Each runs the real engine with the
// catalog's and the cart's flows, as the product wires them.
var flowTranscripts = map[string]string{
	"add.ar.txt": "ar", "add.en.txt": "en",
	"quantities.ar.txt": "ar", "quantities.en.txt": "en",
	"view.ar.txt": "ar", "view.en.txt": "en",
	"edit.ar.txt": "ar", "edit.en.txt": "en",
}

// flowStock is the stock the transcripts assume.
var flowStock = []catalog.StockUpdate{
	{SKU: "ABY-001-BLK-M", Stock: intp(10)},
	{SKU: "PRF-002", Stock: intp(5)},
	{SKU: "PRF-001-100ML", Stock: intp(2)},
	{SKU: "PRF-001-50ML", Stock: nil},
}

func TestFlowTranscripts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedDemo(t)
	ids := catalogtest.Names(t, f.ctx, f.cat)
	files := make([]string, 0, len(flowTranscripts))
	for name := range flowTranscripts {
		files = append(files, name)
	}
	// Each transcript is its own customer, with an empty cart.
	dialogtest.RunFiles(t, filepath.Join("testdata", "transcripts"), files, *update, func(t *testing.T, name string) *dialogtest.Session {
		return newFlowSession(t, f, ids, flowTranscripts[name]).Session
	})
}

// TestDoubleTapAddsOnce: the same quantity button tapped twice (two
// messages from WhatsApp) adds once; a new prompt adds again.
func TestDoubleTapAddsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedDemo(t)
	ids := catalogtest.Names(t, f.ctx, f.cat)
	s := newFlowSession(t, f, ids, "en")
	add := "cart:add:<p:white-musk-perfume>:<v:PRF-002>"
	prompt := s.Drive(dialog.Inbound{Kind: dialog.KindButtonReply, ReplyID: add})
	tap := prompt[0].Options[1].ID // "2"
	if !strings.HasSuffix(tap, ":2:1") {
		t.Fatalf("quantity button %q", tap)
	}
	s.Drive(dialog.Inbound{Kind: dialog.KindButtonReply, ReplyID: tap})
	again := s.Drive(dialog.Inbound{Kind: dialog.KindButtonReply, ReplyID: tap})
	if !strings.Contains(again[0].Body, "already in your cart") {
		t.Fatalf("double tap: %+v", again)
	}
	if c := s.cart(t); len(c.Lines) != 1 || c.Lines[0].Quantity != 2 {
		t.Fatalf("after a double tap: %+v", c.Lines)
	}
	// A new prompt is a new choice.
	prompt = s.Drive(dialog.Inbound{Kind: dialog.KindButtonReply, ReplyID: add})
	s.Drive(dialog.Inbound{Kind: dialog.KindButtonReply, ReplyID: prompt[0].Options[0].ID})
	if c := s.cart(t); c.Lines[0].Quantity != 3 {
		t.Fatalf("after a second prompt: %+v", c.Lines)
	}
}

// seedDemo imports the demo catalog, sets the stock the transcripts assume
// and the shipping settings.
func (f *fixture) seedDemo(t *testing.T) {
	t.Helper()
	var buf bytes.Buffer
	if err := demo.WriteCSV(&buf, demo.Catalog("https://media.test")); err != nil {
		t.Fatal(err)
	}
	run, err := f.cat.StartRun(f.ctx, catalog.RunRequest{Input: buf.Bytes(), InputName: "demo", Format: feed.FormatCSV})
	if err != nil {
		t.Fatal(err)
	}
	if run, err = f.cat.WaitRun(f.ctx, run.ID); err != nil || run.Status != catalog.RunSucceeded {
		t.Fatalf("demo import: %v %+v", err, run)
	}
	if _, err := f.cat.BulkStock(f.ctx, flowStock); err != nil {
		t.Fatal(err)
	}
	f.settings(t, f.ctx, shippingSettings())
}

// flowSession is one customer of the product's WhatsApp steps: the engine
// with the catalog's and the cart's capabilities, as the product wires them.
type flowSession struct {
	*dialogtest.Session
	f *fixture
}

func newFlowSession(t *testing.T, f *fixture, ids *dialogtest.Names, locale string) *flowSession {
	words := dialog.Words{Catalog: f.env.Catalog}
	catFlows := catalog.NewFlows(f.cat, words)
	cartFlows := cart.NewFlows(f.svc, words, dialog.IDMenuPrefix+catalog.FlowsName)
	catFlows.Cart = cartFlows
	cust := f.customer(t, f.ctx)
	return &flowSession{f: f, Session: &dialogtest.Session{T: t, Ctx: f.ctx, Engine: dialog.NewWithWords(words, catFlows, cartFlows),
		Names: ids, Tenant: flowTenant, Customer: dialog.Customer{ID: cust.String(), Locale: locale, Consent: dialog.ConsentGranted},
		Now: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)}}
}

// cart is the session customer's cart.
func (s *flowSession) cart(t *testing.T) *cart.Cart {
	t.Helper()
	c, err := s.f.svc.CustomerCart(s.Ctx, uuid.MustParse(s.Customer.ID))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestFlowShowsChangesOnce: the cart in WhatsApp shows a price change once
// (then the shopper has seen it), a line no longer sold, and a long cart as
// a text followed by the buttons (an interactive body holds 1,024
// characters).
func TestFlowShowsChangesOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedDemo(t)
	ids := catalogtest.Names(t, f.ctx, f.cat)
	s := newFlowSession(t, f, ids, "en")
	c := s.cart(t)
	f.add(t, f.ctx, c.ID, "PRF-002", 1)
	f.add(t, f.ctx, c.ID, "ABY-001-BLK-M", 1)
	if _, err := f.cat.BulkPrice(f.ctx, []catalog.PriceUpdate{{SKU: "PRF-002", Price: 8000}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cat.BulkStock(f.ctx, []catalog.StockUpdate{{SKU: "ABY-001-BLK-M", Stock: intp(0)}}); err != nil {
		t.Fatal(err)
	}
	first := s.Drive(dialog.Inbound{Kind: dialog.KindText, Text: "cart"})
	if len(first) != 1 || !strings.Contains(first[0].Body, "⚠️ Price changed from SAR\u00a095.00 to SAR\u00a080.00") ||
		!strings.Contains(first[0].Body, "⚠️ No longer available (not counted)") || !strings.Contains(first[0].Body, "*Total: SAR\u00a080.00*") {
		t.Fatalf("first view: %+v", first)
	}
	again := s.Drive(dialog.Inbound{Kind: dialog.KindText, Text: "my cart please"})
	if len(again) != 1 || strings.Contains(again[0].Body, "Price changed") || !strings.Contains(again[0].Body, "No longer available") {
		t.Fatalf("second view: %+v", again)
	}
	// The API reads the same cart: the change was shown, so no flag.
	if got, err := f.svc.Get(f.ctx, c.ID); err != nil || got.Lines[0].PriceChanged() {
		t.Fatalf("API after the WhatsApp view: %v %+v", err, got)
	}

	// A long cart: the lines as a text, then the buttons.
	n := 0
	for _, name := range ids.WithPrefix("v:") {
		sku := strings.TrimPrefix(name, "v:")
		if n == 20 {
			break
		}
		if _, err := f.svc.Add(f.ctx, c.ID, sku, 1); err == nil {
			n++
		}
	}
	long := s.Drive(dialog.Inbound{Kind: dialog.KindText, Text: "cart"})
	if n < 20 || len(long) != 2 || long[0].Kind != dialog.ReplyText || long[1].Kind != dialog.ReplyButtons ||
		utf8.RuneCountInString(long[0].Body) <= 1024 || long[1].Body != "What would you like to do next?" {
		t.Fatalf("long cart (%d lines): %+v", n, long)
	}
	// Editing a long cart pages its list.
	edit := s.Drive(dialog.Inbound{Kind: dialog.KindButtonReply, ReplyID: "cart:edit"})
	if len(edit) != 1 || len(edit[0].Options) != 10 || edit[0].Options[9].ID != "cart:edit:9" {
		t.Fatalf("edit list: %+v", edit)
	}
	next := s.Drive(dialog.Inbound{Kind: dialog.KindListReply, ReplyID: "cart:edit:9"})
	if len(next) != 1 || len(next[0].Options) != 10 || next[0].Options[0].ID == edit[0].Options[0].ID {
		t.Fatalf("second page: %+v", next)
	}
}
