package invoices

import (
	"fmt"
	"math/bits"
	"time"

	"github.com/google/uuid"

	"concierge/internal/money"
	"concierge/modules/orders"
)

// The credit note's one line when it credits part of an invoice (a
// document is always bilingual, so both texts are stored with it).
const (
	refundTitleAR = "استرداد"
	refundTitleEN = "Refund"
	// The delivery line of a document.
	shippingTitleAR = "التوصيل"
	shippingTitleEN = "Delivery"
)

// buildInvoice states o's invoice (unnumbered): its totals are the order's,
// its lines the order's lines and delivery, each with its share of the
// discount and of the VAT (split).
func buildInvoice(tenantID uuid.UUID, o *orders.Order, seller Seller, now time.Time) (*Invoice, error) {
	t := o.Totals
	if money.Digits(t.Currency) < 0 {
		return nil, fmt.Errorf("invoices: order %s has an unknown currency %q", o.ID, t.Currency)
	}
	inv := &Invoice{ID: uuid.Must(uuid.NewV7()), TenantID: tenantID, Kind: KindInvoice, OrderID: o.ID, OrderNumber: o.Number,
		IssuedAt: now.UTC().Truncate(time.Second), Currency: t.Currency, Subtotal: t.Subtotal, Discount: t.Discount, Shipping: t.Shipping,
		VAT: t.VAT, Total: t.Total, VATRateBP: t.VATRateBP, VATIncluded: t.VATIncluded, Seller: seller}
	for _, l := range o.Lines {
		inv.Lines = append(inv.Lines, Line{SKU: l.SKU, TitleAR: l.TitleAR, TitleEN: l.TitleEN, OptionsAR: l.OptionsAR, OptionsEN: l.OptionsEN,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, Amount: l.Total()})
	}
	if t.Shipping > 0 {
		inv.Lines = append(inv.Lines, Line{Shipping: true, TitleAR: shippingTitleAR, TitleEN: shippingTitleEN, Quantity: 1,
			UnitPrice: t.Shipping, Amount: t.Shipping})
	}
	split(inv.Lines, t.Discount, t.VAT, t.VATIncluded)
	return inv, nil
}

// split shares discount over the goods lines and vat over every line (the
// delivery line takes no discount: the order's discount applies to goods),
// each in proportion to its amount, and sets each line's total. Shares are
// rounded cumulatively (line i gets round(x × the amounts up to i / all)
// less what the lines before it got), so they sum to exactly the order's
// figure, every line is within one minor unit of its exact share, and the
// rounding remainder falls on the last line.
func split(lines []Line, discount, vat int64, vatIncluded bool) {
	var goods []int64
	for _, l := range lines {
		if !l.Shipping {
			goods = append(goods, l.Amount)
		}
	}
	shares := allocate(discount, goods)
	taxable := make([]int64, len(lines))
	g := 0
	for i := range lines {
		if !lines[i].Shipping {
			lines[i].Discount = shares[g]
			g++
		}
		taxable[i] = lines[i].Amount - lines[i].Discount
	}
	vats := allocate(vat, taxable)
	for i := range lines {
		lines[i].VAT = vats[i]
		lines[i].Total = taxable[i]
		if !vatIncluded {
			lines[i].Total += vats[i]
		}
	}
}

// allocate shares x over weights in proportion, rounding cumulatively; when
// the weights sum to nothing, the last takes all of x.
func allocate(x int64, weights []int64) []int64 {
	out := make([]int64, len(weights))
	if len(weights) == 0 {
		return out
	}
	var sum int64
	for _, w := range weights {
		sum += max(w, 0)
	}
	if sum <= 0 {
		out[len(out)-1] = x
		return out
	}
	var upTo, given int64
	for i, w := range weights {
		upTo += max(w, 0)
		share := mulDiv(x, upTo, sum)
		if i == len(weights)-1 {
			share = x
		}
		out[i] = share - given
		given = share
	}
	return out
}

// mulDiv is round(a × b / c), half up, for a, b ≥ 0 and c > 0, exact for any
// amounts (the product is taken in 128 bits). A quotient beyond int64
// cannot happen for shares (b ≤ c).
func mulDiv(a, b, c int64) int64 {
	if a <= 0 || b <= 0 || c <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		panic("invoices: share beyond int64")
	}
	q, r := bits.Div64(hi, lo, uint64(c))
	if r >= uint64(c)-r {
		q++
	}
	return int64(q)
}

// buildCreditNote states the credit note (unnumbered) that takes the
// credits of inv from credited to upTo (0 ≤ credited < upTo ≤ inv.Total).
// Its VAT is the VAT of the total credited after it less the VAT of the
// total before, each in proportion to the invoice's (round(total credited ×
// VAT / total)), so a full refund in several parts credits exactly the
// invoice's VAT. Crediting the whole invoice at once repeats its lines;
// otherwise the credit note has one "refund" line.
func buildCreditNote(tenantID uuid.UUID, inv *Invoice, credited, upTo int64, seller Seller, now time.Time) *Invoice {
	ref := inv.ID
	cn := &Invoice{ID: uuid.Must(uuid.NewV7()), TenantID: tenantID, Kind: KindCreditNote, OrderID: inv.OrderID, OrderNumber: inv.OrderNumber,
		RefersTo: &ref, RefersToNumber: inv.Number, IssuedAt: now.UTC().Truncate(time.Second), Currency: inv.Currency,
		VATRateBP: inv.VATRateBP, VATIncluded: inv.VATIncluded, Seller: seller, CreditedTotal: upTo}
	if credited == 0 && upTo == inv.Total {
		cn.Subtotal, cn.Discount, cn.Shipping, cn.VAT, cn.Total = inv.Subtotal, inv.Discount, inv.Shipping, inv.VAT, inv.Total
		cn.Lines = append([]Line(nil), inv.Lines...)
		return cn
	}
	amount := upTo - credited
	vat := mulDiv(upTo, inv.VAT, inv.Total) - mulDiv(credited, inv.VAT, inv.Total)
	price := amount // as the invoice priced: with VAT when it was included
	if !inv.VATIncluded {
		price = amount - vat
	}
	cn.Subtotal, cn.VAT, cn.Total = price, vat, amount
	cn.Lines = []Line{{TitleAR: refundTitleAR, TitleEN: refundTitleEN, Quantity: 1, UnitPrice: price, Amount: price, VAT: vat, Total: amount}}
	return cn
}
