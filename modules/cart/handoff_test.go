package cart_test

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/cart"
	"concierge/modules/catalog"
	"concierge/modules/catalog/catalogtest"
	"concierge/modules/whatsapp/dialog"
	"concierge/modules/whatsapp/dialog/dialogtest"
)

// TestHandoffCode: a web cart's code is made once and kept, reads back from
// the text CartTextFor writes, and names nothing for another tenant, after
// expiry or once the cart was checked out.
func TestHandoffCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.product(t, f.ctx, "مسك", "Musk", variant("MSK-1", 5000, nil))
	c := f.newCart(t, f.ctx)
	f.add(t, f.ctx, c.ID, "MSK-1", 1)
	code, err := f.svc.HandoffCode(f.ctx, c.ID)
	if err != nil || !catalog.ValidCartCode(code) {
		t.Fatalf("HandoffCode: %q %v", code, err)
	}
	if again, err := f.svc.HandoffCode(f.ctx, c.ID); err != nil || again != code {
		t.Fatalf("second ask: %q %v, want %q", again, err, code)
	}
	other, err := f.svc.HandoffCode(f.ctx, f.newCart(t, f.ctx).ID)
	if err != nil || other == code {
		t.Fatalf("another cart's code: %q %v", other, err)
	}
	for _, locale := range []string{"ar", "en"} {
		text := cart.CartTextFor(locale, code)
		if got, ok := catalog.LastCode(text); !ok || got.Kind != catalog.CodeCart || got.Value != code {
			t.Errorf("CartTextFor(%s) = %q reads back as %+v", locale, text, got)
		}
	}
	if got := cart.CartTextFor("ar", code); got != "أرغب بإكمال طلبي من المتجر [#"+code+"]" {
		t.Errorf("arabic text: %q", got)
	}
	if got := cart.CartTextFor("en", code); got != "I'd like to complete my order from the web store [#"+code+"]" {
		t.Errorf("english text: %q", got)
	}

	// Another tenant: neither the cart nor the code.
	otherCtx := f.other(t)
	if _, err := f.svc.HandoffCode(otherCtx, c.ID); errs.CodeOf(err) != errs.CodeNotFound {
		t.Errorf("another tenant's cart: %v", err)
	}
	cust := f.customer(t, otherCtx)
	if _, err := f.svc.Handoff(otherCtx, code, cust); errs.CodeOf(err) != errs.CodeNotFound {
		t.Errorf("the code on another tenant: %v", err)
	}
	if _, err := f.svc.HandoffCode(f.ctx, "not-a-cart"); errs.CodeOf(err) != errs.CodeNotFound {
		t.Errorf("malformed id: %v", err)
	}

	// Checked out: no new code, and the code names nothing.
	mine := f.customer(t, f.ctx)
	done := f.newCart(t, f.ctx)
	f.add(t, f.ctx, done.ID, "MSK-1", 1)
	doneCode, err := f.svc.HandoffCode(f.ctx, done.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Convert(f.ctx, done.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.HandoffCode(f.ctx, f.newCartConverted(t).ID); errs.CodeOf(err) != errs.CodeConflict {
		t.Errorf("code of a checked-out cart: %v", err)
	}
	if _, err := f.svc.Handoff(f.ctx, doneCode, mine); errs.CodeOf(err) != errs.CodeNotFound {
		t.Errorf("hand-off of a checked-out cart: %v", err)
	}

	// Expired: the code names nothing.
	if h, err := f.svc.Handoff(f.ctx, code, mine); err != nil || h.Cart.Lines[0].ProductID != p.ID {
		t.Fatalf("hand-off: %+v %v", h, err)
	}
	f.clock.Add(31 * 24 * time.Hour)
	if _, err := f.svc.Handoff(f.ctx, code, mine); errs.CodeOf(err) != errs.CodeNotFound {
		t.Errorf("hand-off of an expired cart: %v", err)
	}
	if _, err := f.svc.HandoffCode(f.ctx, c.ID); errs.CodeOf(err) != errs.CodeNotFound {
		t.Errorf("code of an expired cart: %v", err)
	}
}

// newCartConverted makes a web cart and checks it out.
func (f *fixture) newCartConverted(t *testing.T) *cart.Cart {
	t.Helper()
	c := f.newCart(t, f.ctx)
	if err := f.svc.Convert(f.ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHandoff: the web cart's lines come into the customer's cart through
// the cart's add (stock, availability), up to the web quantities, so the
// same code twice adds nothing more; what the customer had stays.
func TestHandoff(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.product(t, f.ctx, "مسك", "Musk", variant("MSK-1", 5000, intp(10)))
	f.product(t, f.ctx, "عود", "Oud", variant("OUD-1", 20000, intp(5)))
	gone := f.product(t, f.ctx, "بخور", "Incense", variant("INC-1", 3000, nil))
	f.product(t, f.ctx, "تمر", "Dates", variant("DTS-1", 4000, intp(9)))
	web := f.newCart(t, f.ctx)
	f.add(t, f.ctx, web.ID, "MSK-1", 3)
	f.add(t, f.ctx, web.ID, "OUD-1", 4)
	f.add(t, f.ctx, web.ID, "INC-1", 1)
	f.add(t, f.ctx, web.ID, "DTS-1", 2)
	code, err := f.svc.HandoffCode(f.ctx, web.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.cat.BulkStock(f.ctx, []catalog.StockUpdate{{SKU: "OUD-1", Stock: intp(2)}}); err != nil {
		t.Fatal(err)
	}
	if err := f.cat.ArchiveVariant(f.ctx, gone.ID.String(), gone.Variants[0].ID.String()); err != nil {
		t.Fatal(err)
	}
	cust := f.customer(t, f.ctx)
	mine, err := f.svc.CustomerCart(f.ctx, cust)
	if err != nil {
		t.Fatal(err)
	}
	f.add(t, f.ctx, mine.ID, "MSK-1", 1) // less than the web cart: topped up
	f.add(t, f.ctx, mine.ID, "DTS-1", 5) // more: kept

	h, err := f.svc.Handoff(f.ctx, code, cust)
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		sku, outcome    string
		added, in, have int
	}
	var got []outcome
	for _, l := range h.Lines {
		got = append(got, outcome{sku: l.Line.SKU, outcome: l.Outcome, added: l.Added, in: l.Line.Quantity, have: l.Available})
	}
	want := []outcome{
		{"MSK-1", cart.HandoffAdded, 2, 3, 0},
		{"OUD-1", cart.HandoffShort, 2, 4, 2},
		{"INC-1", cart.HandoffUnavailable, 0, 1, 0},
		{"DTS-1", cart.HandoffAlready, 0, 2, 0},
	}
	if !slices.Equal(got, want) || h.Again() {
		t.Fatalf("outcomes %+v, want %+v", got, want)
	}
	quantities := func(c *cart.Cart) map[string]int {
		out := map[string]int{}
		for _, l := range c.Lines {
			out[l.SKU] = l.Quantity
		}
		return out
	}
	wantQ := map[string]int{"MSK-1": 3, "OUD-1": 2, "DTS-1": 5}
	if q := quantities(h.Cart); !maps.Equal(q, wantQ) || h.Cart.ID != mine.ID {
		t.Fatalf("customer's cart %v (%s), want %v in %s", q, h.Cart.ID, wantQ, mine.ID)
	}

	// The same code again: nothing more.
	again, err := f.svc.Handoff(f.ctx, code, cust)
	if err != nil || !again.Again() || !slices.Equal(outcomesOf(again), []string{cart.HandoffAlready, cart.HandoffShort, cart.HandoffUnavailable, cart.HandoffAlready}) {
		t.Fatalf("again: %+v %v", again, err)
	}
	if q := quantities(again.Cart); !maps.Equal(q, wantQ) {
		t.Fatalf("after the same code again: %v, want %v", q, wantQ)
	}
	// The web cart is as it was.
	if w, err := f.svc.Get(f.ctx, web.ID); err != nil || len(w.Lines) != 4 || w.Lines[0].Quantity != 3 {
		t.Fatalf("web cart after the hand-off: %+v %v", w, err)
	}
	// The web cart changed since: the difference comes.
	f.add(t, f.ctx, web.ID, "MSK-1", 1) // the web cart changes: 4 now
	third, err := f.svc.Handoff(f.ctx, code, cust)
	if err != nil || third.Lines[0].Outcome != cart.HandoffAdded || third.Lines[0].Added != 1 {
		t.Fatalf("after the web cart changed: %+v %v", third, err)
	}
	// An unknown code, a code never given, a malformed one.
	for _, bad := range []string{"C-0000000000", "C-123", "", "P-MSK-1"} {
		if _, err := f.svc.Handoff(f.ctx, bad, cust); errs.CodeOf(err) != errs.CodeNotFound {
			t.Errorf("Handoff(%q): %v", bad, err)
		}
	}
	if _, err := f.svc.Handoff(f.ctx, code, uuid.New()); err == nil {
		t.Errorf("an unknown customer got a cart")
	}
}

func outcomesOf(h *cart.Handoff) []string {
	var out []string
	for _, l := range h.Lines {
		out = append(out, l.Outcome)
	}
	return out
}

// handoffTranscripts are the golden conversations of a web cart's hand-off
// (testdata/handoff), each with its own web cart under a fixed code (see
// seedHandoffCarts).
var handoffTranscripts = map[string]string{"handoff.ar.txt": "ar", "handoff.en.txt": "en"}

func TestHandoffTranscripts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedDemo(t)
	f.seedHandoffCarts(t)
	ids := catalogtest.Names(t, f.ctx, f.cat)
	files := make([]string, 0, len(handoffTranscripts))
	for name := range handoffTranscripts {
		files = append(files, name)
	}
	dialogtest.RunFiles(t, filepath.Join("testdata", "handoff"), files, *update, func(t *testing.T, name string) *dialogtest.Session {
		return newFlowSession(t, f, ids, handoffTranscripts[name]).Session
	})
}

// seedHandoffCarts makes the transcripts' web carts (on the demo catalog
// with flowStock) and gives them fixed codes:
//
//	C-0000000AR1  2 × ABY-001-BLK-M, 1 × PRF-002
//	C-0000000EN1  3 × PRF-001-100ML (2 in stock since), 1 × ABY-001-BLK-L
//	              (withdrawn since), 1 × PRF-002
//	C-00000EMPTY  nothing
func (f *fixture) seedHandoffCarts(t *testing.T) {
	t.Helper()
	set := func(id, code string) {
		t.Helper()
		err := f.env.Scope.InTenantTx(f.ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE carts SET handoff_code = ? WHERE id = ?`, code, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ar := f.newCart(t, f.ctx)
	f.add(t, f.ctx, ar.ID, "ABY-001-BLK-M", 2)
	f.add(t, f.ctx, ar.ID, "PRF-002", 1)
	set(ar.ID, "C-0000000AR1")

	if _, err := f.cat.BulkStock(f.ctx, []catalog.StockUpdate{{SKU: "PRF-001-100ML", Stock: intp(5)}}); err != nil {
		t.Fatal(err)
	}
	en := f.newCart(t, f.ctx)
	f.add(t, f.ctx, en.ID, "PRF-001-100ML", 3)
	f.add(t, f.ctx, en.ID, "ABY-001-BLK-L", 1)
	f.add(t, f.ctx, en.ID, "PRF-002", 1)
	set(en.ID, "C-0000000EN1")
	if _, err := f.cat.BulkStock(f.ctx, []catalog.StockUpdate{{SKU: "PRF-001-100ML", Stock: intp(2)}}); err != nil {
		t.Fatal(err)
	}
	p, err := f.cat.ProductBySKU(f.ctx, "ABY-001-BLK-L")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range p.Variants {
		if v.SKU == "ABY-001-BLK-L" {
			if err := f.cat.ArchiveVariant(f.ctx, p.ID.String(), v.ID.String()); err != nil {
				t.Fatal(err)
			}
		}
	}
	set(f.newCart(t, f.ctx).ID, "C-00000EMPTY")
}

// TestHandoffCodeText: the cart capability claims a cart code wherever the
// conversation is, and leaves product codes to the catalog.
func TestHandoffCodeText(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	flows := cart.NewFlows(f.svc, dialog.Words{Catalog: f.env.Catalog}, "")
	for text, want := range map[string]bool{
		"أرغب بإكمال طلبي من المتجر [#C-0000000AR1]": true,
		"[#c-0000000ar1] please":          true,
		"[#P-ABY-1]":                      false,
		"[#C-0000000AR1] then [#P-ABY-1]": false,
		"cart":                            false,
	} {
		if got := flows.Preempts(text); got != want {
			t.Errorf("Preempts(%q) = %v, want %v", text, got, want)
		}
	}
	if s := strings.TrimSpace(cart.CartTextFor("", "C-0000000AR1")); !strings.HasPrefix(s, "أرغب") {
		t.Errorf("default language: %q", s)
	}
}
