package invoices_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/invoices"
	"concierge/modules/orders"
)

func abayaOrder() ([]orders.Line, orders.Totals) {
	lines := []orders.Line{line("ABY-1", "عباية سوداء", "Black abaya", 2, 11500), line("SCF-1", "وشاح", "Scarf", 1, 5750)}
	return lines, totals(lines, 2500, true)
}

// checkSums: a document's lines add up to its totals.
func checkSums(t *testing.T, d *invoices.Invoice) {
	t.Helper()
	var vat, total, discount int64
	for _, l := range d.Lines {
		vat += l.VAT
		total += l.Total
		discount += l.Discount
	}
	if vat != d.VAT || total != d.Total || discount != d.Discount {
		t.Fatalf("lines sum to VAT %d total %d discount %d; document says %d %d %d", vat, total, discount, d.VAT, d.Total, d.Discount)
	}
}

// TestInvoiceIssuedOnConfirmation: confirming an order issues its invoice in
// the same transaction, with the order's totals, its lines and delivery,
// the seller as set and the QR's payload.
func TestInvoiceIssuedOnConfirmation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.shop(t, true)
	lines, tot := abayaOrder()
	o := f.order(t, shop.Ctx, lines, tot)
	if _, err := f.svc.Invoice(shop.Ctx, o.ID); !errors.Is(err, errs.ErrConflict) || msgID(err) != "invoices.not_confirmed" {
		t.Fatalf("before confirmation: %v", err)
	}
	f.confirm(t, shop.Ctx, o.ID)
	d := f.document(t, shop.Ctx, o.ID)
	inv := d.Invoice
	if inv.Kind != invoices.KindInvoice || inv.Number != 1 || inv.OrderID != o.ID || inv.OrderNumber != o.Number || !inv.IssuedAt.Equal(issuedAt) {
		t.Fatalf("invoice: %+v", inv)
	}
	if inv.Subtotal != tot.Subtotal || inv.Shipping != 2500 || inv.VAT != tot.VAT || inv.Total != tot.Total || inv.Currency != "SAR" ||
		inv.VATRateBP != 1500 || !inv.VATIncluded {
		t.Fatalf("totals: %+v, order %+v", inv, tot)
	}
	if inv.Seller != (invoices.Seller{NameAR: "متجر الرياض", NameEN: "Riyadh Store", VATNumber: "310122393500003"}) {
		t.Fatalf("seller: %+v", inv.Seller)
	}
	if len(inv.Lines) != 3 || inv.Lines[0].TitleAR != "عباية سوداء" || inv.Lines[0].Amount != 23000 || inv.Lines[0].Quantity != 2 ||
		!inv.Lines[2].Shipping || inv.Lines[2].Amount != 2500 {
		t.Fatalf("lines: %+v", inv.Lines)
	}
	checkSums(t, &inv)
	if want, _ := invoices.QRPayload(&inv); inv.QR != want || inv.QR == "" {
		t.Fatalf("QR %q, want %q", inv.QR, want)
	}
	if len(d.CreditNotes) != 0 {
		t.Fatalf("credit notes: %+v", d.CreditNotes)
	}
}

// TestNumberingIsSequentialPerTenant: each tenant numbers its documents
// 1, 2, 3, … on its own; a rolled-back confirmation gives its number back.
func TestNumberingIsSequentialPerTenant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.shop(t, true), f.shop(t, true)
	lines, tot := abayaOrder()
	var gotA, gotB []int64
	for i := range 3 {
		gotA = append(gotA, f.document(t, a.Ctx, f.confirmed(t, a.Ctx, lines, tot).ID).Invoice.Number)
		if i < 2 {
			gotB = append(gotB, f.document(t, b.Ctx, f.confirmed(t, b.Ctx, lines, tot).ID).Invoice.Number)
		}
	}
	if len(gotA) != 3 || gotA[0] != 1 || gotA[1] != 2 || gotA[2] != 3 || gotB[0] != 1 || gotB[1] != 2 {
		t.Fatalf("numbers: A %v, B %v", gotA, gotB)
	}
	// A confirmation that rolls back takes its invoice and its number with
	// it: no gap.
	o := f.order(t, a.Ctx, lines, tot)
	boom := errors.New("rolled back")
	err := f.env.Scope.InTenantTx(a.Ctx, func(ctx context.Context, tx bun.Tx) error {
		oo, err := f.orders.GetTx(ctx, tx, o.ID, true)
		if err != nil {
			return err
		}
		if err := f.orders.MoveTx(ctx, tx, oo, orders.StatusConfirmed, orders.Event{Actor: "test"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if n := f.document(t, a.Ctx, f.confirmed(t, a.Ctx, lines, tot).ID).Invoice.Number; n != 4 {
		t.Fatalf("after a rollback the next number is %d, want 4", n)
	}
}

// TestIssueIsIdempotent: issuing an order's invoice again returns the one
// it has and draws no number.
func TestIssueIsIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.shop(t, true)
	lines, tot := abayaOrder()
	o := f.confirmed(t, shop.Ctx, lines, tot)
	first := f.document(t, shop.Ctx, o.ID).Invoice
	f.clock.Add(time.Hour)
	for range 2 {
		err := f.env.Scope.InTenantTx(shop.Ctx, func(ctx context.Context, tx bun.Tx) error {
			oo, err := f.orders.GetTx(ctx, tx, o.ID, true)
			if err != nil {
				return err
			}
			inv, err := f.svc.IssueTx(ctx, tx, oo)
			if err == nil && (inv.ID != first.ID || inv.Number != first.Number || !inv.IssuedAt.Equal(first.IssuedAt)) {
				t.Errorf("issued again: %+v, first %+v", inv, first)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if again := f.document(t, shop.Ctx, o.ID).Invoice; again.ID != first.ID {
		t.Fatalf("Invoice gave another document: %+v", again)
	}
	if n := f.document(t, shop.Ctx, f.confirmed(t, shop.Ctx, lines, tot).ID).Invoice.Number; n != first.Number+1 {
		t.Fatalf("next order's invoice is %d, want %d", n, first.Number+1)
	}
}

// TestCreditNotesOnRefunds: a partial refund, then the rest: two credit
// notes for the amounts newly refunded, whose VAT adds up to the invoice's;
// replayed and excess refunds issue nothing.
func TestCreditNotesOnRefunds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.shop(t, true)
	lines, tot := abayaOrder() // total 31250, VAT 4076
	o := f.confirmed(t, shop.Ctx, lines, tot)
	f.clock.Add(24 * time.Hour)
	f.refunded(t, shop.Ctx, o.ID, 10000)
	f.refunded(t, shop.Ctx, o.ID, 10000) // a replay
	d := f.document(t, shop.Ctx, o.ID)
	if len(d.CreditNotes) != 1 {
		t.Fatalf("after a partial refund and its replay: %d credit notes", len(d.CreditNotes))
	}
	cn := d.CreditNotes[0]
	// VAT of 100.00 of 312.50: round(10000 × 4076 / 31250) = 1304.
	if cn.Kind != invoices.KindCreditNote || cn.Number != 2 || cn.RefersTo == nil || *cn.RefersTo != d.Invoice.ID || cn.RefersToNumber != 1 ||
		cn.Total != 10000 || cn.VAT != 1304 || cn.Subtotal != 10000 || cn.CreditedTotal != 10000 || !cn.IssuedAt.Equal(issuedAt.Add(24*time.Hour)) {
		t.Fatalf("first credit note: %+v", cn)
	}
	checkSums(t, &cn)
	f.refunded(t, shop.Ctx, o.ID, 31250)
	f.refunded(t, shop.Ctx, o.ID, 31250)
	f.refunded(t, shop.Ctx, o.ID, 10000) // late, out of order
	f.refunded(t, shop.Ctx, o.ID, 40000) // more than invoiced: credits stop at the total
	d = f.document(t, shop.Ctx, o.ID)
	if len(d.CreditNotes) != 2 {
		t.Fatalf("credit notes: %+v", d.CreditNotes)
	}
	rest := d.CreditNotes[1]
	if rest.Number != 3 || rest.Total != 21250 || rest.VAT != 4076-1304 || rest.CreditedTotal != 31250 || rest.RefersToNumber != 1 {
		t.Fatalf("second credit note: %+v", rest)
	}
	checkSums(t, &rest)
	if cn.VAT+rest.VAT != d.Invoice.VAT || cn.Total+rest.Total != d.Invoice.Total {
		t.Fatalf("credits: VAT %d total %d of %d %d", cn.VAT+rest.VAT, cn.Total+rest.Total, d.Invoice.VAT, d.Invoice.Total)
	}
	// The QR of a credit note states its own amounts.
	b, _ := invoices.QRPayload(&rest)
	if rest.QR != b {
		t.Fatal("credit note QR")
	}
}

// TestFullRefundRepeatsTheInvoice: a refund of everything at once credits
// the invoice line by line.
func TestFullRefundRepeatsTheInvoice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.shop(t, true)
	lines := []orders.Line{line("PEN-1", "قلم", "Pen", 3, 1000)}
	tot := totals(lines, 0, false) // 30.00 + 4.50 VAT
	o := f.confirmed(t, shop.Ctx, lines, tot)
	f.refunded(t, shop.Ctx, o.ID, tot.Total)
	d := f.document(t, shop.Ctx, o.ID)
	if len(d.CreditNotes) != 1 {
		t.Fatalf("credit notes: %d", len(d.CreditNotes))
	}
	cn, inv := d.CreditNotes[0], d.Invoice
	if cn.Total != inv.Total || cn.VAT != 450 || cn.Subtotal != 3000 || len(cn.Lines) != 1 || cn.Lines[0] != inv.Lines[0] || cn.VATIncluded {
		t.Fatalf("credit note %+v of invoice %+v", cn, inv)
	}
}

// TestNoVATNumber: without a VAT number an order still confirms, its
// invoice is a conflict naming the missing number, refunds go on without
// credit notes; once the number is set, the invoice is issued on demand.
func TestNoVATNumber(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.shop(t, false)
	lines, tot := abayaOrder()
	o := f.confirmed(t, shop.Ctx, lines, tot)
	if o.Status != orders.StatusConfirmed {
		t.Fatalf("status %s", o.Status)
	}
	_, err := f.svc.Invoice(shop.Ctx, o.ID)
	if !errors.Is(err, errs.ErrConflict) || msgID(err) != "invoices.no_vat_number" {
		t.Fatalf("invoice without a VAT number: %v", err)
	}
	if !f.env.Catalog.Has("invoices.no_vat_number") {
		t.Fatal("message missing from the catalog")
	}
	f.refunded(t, shop.Ctx, o.ID, 5000)
	if _, err := f.svc.Invoice(shop.Ctx, uuid.New()); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("unknown order: %v", err)
	}
	if _, err := f.svc.SetSettings(shop.Ctx, invoices.Settings{VATNumber: "300000000000003", SellerNameAR: "متجر", SellerNameEN: "Store"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Hour)
	d := f.document(t, shop.Ctx, o.ID)
	if d.Invoice.Number != 1 || d.Invoice.Seller.VATNumber != "300000000000003" || !d.Invoice.IssuedAt.Equal(issuedAt.Add(time.Hour)) {
		t.Fatalf("issued on demand: %+v", d.Invoice)
	}
	if again := f.document(t, shop.Ctx, o.ID); again.Invoice.ID != d.Invoice.ID {
		t.Fatal("a second read issued another invoice")
	}
}

// TestSettingsValidation: Saudi VAT numbers (15 digits, first and last 3,
// Arabic-Indic digits read as ASCII) and seller names (one line, 1–200
// characters, fitting the QR).
func TestSettingsValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.shop(t, false)
	long := ""
	for range 130 {
		long += "م" // 130 letters, 260 bytes: more than the QR holds
	}
	for _, tc := range []struct {
		name    string
		in      invoices.Settings
		want    string // the number stored, or ""
		invalid []string
	}{
		{"valid", invoices.Settings{VATNumber: "310122393500003", SellerNameAR: "متجر", SellerNameEN: "Store"}, "310122393500003", nil},
		{"arabic-indic digits", invoices.Settings{VATNumber: " ٣١٠١٢٢٣٩٣٥٠٠٠٠٣ ", SellerNameAR: "متجر", SellerNameEN: "Store"}, "310122393500003", nil},
		{"persian digits", invoices.Settings{VATNumber: "۳۰۰۰۰۰۰۰۰۰۰۰۰۰۳", SellerNameAR: "متجر", SellerNameEN: "Store"}, "300000000000003", nil},
		{"14 digits", invoices.Settings{VATNumber: "31012239350003", SellerNameAR: "متجر", SellerNameEN: "Store"}, "", []string{"vat_number"}},
		{"16 digits", invoices.Settings{VATNumber: "3101223935000033", SellerNameAR: "متجر", SellerNameEN: "Store"}, "", []string{"vat_number"}},
		{"not starting with 3", invoices.Settings{VATNumber: "210122393500003", SellerNameAR: "متجر", SellerNameEN: "Store"}, "", []string{"vat_number"}},
		{"not ending with 3", invoices.Settings{VATNumber: "310122393500004", SellerNameAR: "متجر", SellerNameEN: "Store"}, "", []string{"vat_number"}},
		{"letters", invoices.Settings{VATNumber: "3101223935A0003", SellerNameAR: "متجر", SellerNameEN: "Store"}, "", []string{"vat_number"}},
		{"inner space", invoices.Settings{VATNumber: "3101223 3500003", SellerNameAR: "متجر", SellerNameEN: "Store"}, "", []string{"vat_number"}},
		{"empty", invoices.Settings{}, "", []string{"vat_number", "seller_name_ar", "seller_name_en"}},
		{"two lines", invoices.Settings{VATNumber: "300000000000003", SellerNameAR: "متجر\nالرياض", SellerNameEN: "Store"}, "", []string{"seller_name_ar"}},
		{"too long for the QR", invoices.Settings{VATNumber: "300000000000003", SellerNameAR: long, SellerNameEN: "Store"}, "", []string{"seller_name_ar"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.svc.SetSettings(shop.Ctx, tc.in)
			if tc.invalid == nil {
				if err != nil || got.VATNumber != tc.want || !got.Configured {
					t.Fatalf("%+v %v", got, err)
				}
				return
			}
			fields := errs.FieldsOf(err)
			if !errors.Is(err, errs.ErrInvalid) || len(fields) != len(tc.invalid) {
				t.Fatalf("want invalid %v, got %v", tc.invalid, err)
			}
			for i, name := range tc.invalid {
				if fields[i].Field != name || !f.env.Catalog.Has(fields[i].Msg.ID) {
					t.Errorf("field %d: %+v, want %s", i, fields[i], name)
				}
			}
		})
	}
	// Every accepted change was audited with who made it.
	var n int
	err := f.env.Scope.InTenantTx(shop.Ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'invoices.settings_updated' AND actor = 'user:owner@example.sa'`).Scan(&n)
	})
	if err != nil || n != 3 {
		t.Fatalf("audit entries: %d %v", n, err)
	}
}

// TestSettingsKeepTheNumbering: saving the settings again changes the
// seller of later documents, not the numbering nor documents issued.
func TestSettingsKeepTheNumbering(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.shop(t, true)
	s, err := f.svc.Settings(shop.Ctx)
	if err != nil || !s.Configured || s.SellerNameAR != "متجر الرياض" {
		t.Fatalf("%+v %v", s, err)
	}
	lines, tot := abayaOrder()
	first := f.confirmed(t, shop.Ctx, lines, tot)
	if _, err := f.svc.SetSettings(shop.Ctx, invoices.Settings{VATNumber: "300000000000003", SellerNameAR: "متجر جدة", SellerNameEN: "Jeddah Store"}); err != nil {
		t.Fatal(err)
	}
	second := f.document(t, shop.Ctx, f.confirmed(t, shop.Ctx, lines, tot).ID).Invoice
	if second.Number != 2 || second.Seller.NameAR != "متجر جدة" {
		t.Fatalf("second: %+v", second)
	}
	if d := f.document(t, shop.Ctx, first.ID); d.Invoice.Seller.NameAR != "متجر الرياض" {
		t.Fatalf("the first invoice's seller changed: %+v", d.Invoice.Seller)
	}
	// A new shop's settings suggest its own names.
	other := f.shop(t, false)
	s, err = f.svc.Settings(other.Ctx)
	if err != nil || s.Configured || s.VATNumber != "" || s.SellerNameAR != other.NameAR || s.SellerNameEN != other.NameEN {
		t.Fatalf("defaults: %+v %v", s, err)
	}
}

// TestCrossTenant: another tenant cannot read, or reach through its own
// requests, one tenant's invoices; row-level security hides the rows.
func TestCrossTenant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.shop(t, true), f.shop(t, true)
	lines, tot := abayaOrder()
	o := f.confirmed(t, a.Ctx, lines, tot)
	f.refunded(t, a.Ctx, o.ID, 1000)
	inv := f.document(t, a.Ctx, o.ID).Invoice
	if _, err := f.svc.Invoice(b.Ctx, o.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("B reads A's order's invoice: %v", err)
	}
	if _, err := f.svc.Get(b.Ctx, inv.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("B reads A's invoice: %v", err)
	}
	if n := f.countAs(t, a.Tenant, "invoices", a.ID); n != 2 {
		t.Fatalf("A sees %d of its documents", n)
	}
	for _, table := range []string{"invoices", "invoice_settings"} {
		if n := f.countAs(t, b.Tenant, table, a.ID); n != 0 {
			t.Fatalf("B sees %d of A's rows in %s", n, table)
		}
	}
	// B's settings and numbering are its own.
	if n := f.document(t, b.Ctx, f.confirmed(t, b.Ctx, lines, tot).ID).Invoice.Number; n != 1 {
		t.Fatalf("B's first number: %d", n)
	}
}
