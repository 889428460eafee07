package invoices_test

import (
	"testing"

	"concierge/modules/invoices"
)

// TestSplitSumsExactly: the lines' shares of the discount and the VAT add
// up to the order's figures to the minor unit, each share within one unit
// of its exact value, the delivery line taking no discount.
func TestSplitSumsExactly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		amounts       []int64
		shipping      int64
		discount, vat int64
		included      bool
	}{
		{"three thirds", []int64{100, 100, 100}, 0, 0, 13, true},
		{"included with delivery", []int64{23000, 5750}, 2500, 0, 4076, true},
		{"excluded with discount", []int64{999, 1, 5000, 333}, 1500, 700, 1070, false},
		{"free goods", []int64{0, 0}, 0, 0, 0, true},
		{"one line", []int64{11500}, 0, 0, 1500, true},
		{"large amounts", []int64{900_000_000_000, 99_999_999_999}, 1, 0, 130_434_782_609, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lines []invoices.Line
			var goods int64
			for _, a := range tc.amounts {
				lines = append(lines, invoices.Line{Quantity: 1, UnitPrice: a, Amount: a})
				goods += a
			}
			if tc.shipping > 0 {
				lines = append(lines, invoices.Line{Shipping: true, Quantity: 1, UnitPrice: tc.shipping, Amount: tc.shipping})
			}
			invoices.Split(lines, tc.discount, tc.vat, tc.included)
			var disc, vat, total int64
			taxable := goods - tc.discount + tc.shipping
			for _, l := range lines {
				disc += l.Discount
				vat += l.VAT
				total += l.Total
				if l.Shipping && l.Discount != 0 {
					t.Errorf("the delivery line took discount %d", l.Discount)
				}
				if l.VAT < 0 || l.Discount < 0 {
					t.Errorf("negative share: %+v", l)
				}
				if taxable > 0 {
					// |VAT_i − vat × taxable_i / taxable| ≤ 1
					exact := float64(tc.vat) * float64(l.Amount-l.Discount) / float64(taxable)
					if d := float64(l.VAT) - exact; d > 1.0001 || d < -1.0001 {
						t.Errorf("line %+v: VAT %d, exact share %.2f", l, l.VAT, exact)
					}
				}
			}
			want := taxable
			if !tc.included {
				want += tc.vat
			}
			if disc != tc.discount || vat != tc.vat || total != want {
				t.Fatalf("sums: discount %d vat %d total %d; want %d %d %d (%+v)", disc, vat, total, tc.discount, tc.vat, want, lines)
			}
		})
	}
}
