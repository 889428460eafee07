package checkout

import (
	"fmt"
	"strings"

	"concierge/modules/cart"
	"concierge/modules/orders"
	"concierge/modules/whatsapp/dialog"
)

// addressText is an address on one line, as a courier reads it.
func addressText(a orders.Address, locale string) string {
	var parts []string
	if a.BuildingNumber != "" {
		parts = append(parts, a.BuildingNumber)
	}
	for _, s := range []string{a.Street, a.District, a.City} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if a.PostalCode != "" {
		parts = append(parts, a.PostalCode)
	}
	if a.Notes != "" {
		parts = append(parts, a.Notes)
	}
	if a.Location != nil {
		parts = append(parts, fmt.Sprintf("https://maps.google.com/?q=%.6f,%.6f", a.Location.Lat, a.Location.Lng))
	}
	if locale == "ar" {
		return strings.Join(parts, "، ")
	}
	return strings.Join(parts, ", ")
}

// itemsText lists an order's lines, one per line: "2 × Abaya (Black / M)".
func (s *Service) itemsText(o *orders.Order) string {
	var b strings.Builder
	for i, l := range o.Lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		title, opts := l.TitleEN, l.OptionsEN
		if o.Locale == "ar" || title == "" {
			title, opts = pick(l.TitleAR, l.TitleEN), pick(l.OptionsAR, l.OptionsEN)
		}
		if opts != "" {
			title += " (" + opts + ")"
		}
		fmt.Fprintf(&b, "%s × %s — %s", dialog.Number(l.Quantity, o.Locale), title, s.money(l.Total(), o.Totals.Currency, o.Locale))
	}
	return b.String()
}

// cartItems lists a cart's lines like itemsText.
func cartItems(c *cart.Cart, locale string, s *Service) string {
	o := &orders.Order{Locale: locale, Totals: orders.Totals{Currency: c.Currency}}
	for _, l := range c.Lines {
		o.Lines = append(o.Lines, orders.Line{SKU: l.SKU, TitleAR: l.TitleAR, TitleEN: l.TitleEN, OptionsAR: l.OptionsAR,
			OptionsEN: l.OptionsEN, Quantity: l.Quantity, UnitPrice: l.UnitPrice})
	}
	return s.itemsText(o)
}

func pick(first, second string) string {
	if first != "" {
		return first
	}
	return second
}
