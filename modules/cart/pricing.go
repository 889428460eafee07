package cart

import (
	"strings"
	"unicode"

	"concierge/internal/arabic"
)

// Pricing: the one place a cart's totals are computed. Checkout prices its
// order with the same function, so the total a customer is shown is the total
// they are charged. docs/cart.md has the worked examples.
//
//	goods     = Σ unit price × quantity of the lines that can be sold
//	discount  = 0 (no discounts yet; subtracted here when they come)
//	shipping  = 0 when goods − discount reach the free-shipping threshold,
//	            else the city's zone fee, else the default fee, else unknown (0)
//	prices include VAT (default):
//	    total = goods − discount + shipping
//	    VAT   = round(total × rate / (10000 + rate))        (the VAT inside it)
//	prices exclude VAT:
//	    VAT   = round((goods − discount + shipping) × rate / 10000)
//	    total = goods − discount + shipping + VAT
//
// Shipping fees are written like catalog prices (with VAT when prices
// include it), and VAT applies to delivery as to goods.
//
// Rounding: VAT is rounded once, on the cart's taxable total, half up to the
// minor unit — never per line. Per-line rounding would let the VAT of a cart
// drift from rate × total by up to half a minor unit per line (two lines of
// 1.10 SAR, prices without VAT: 0.17 + 0.17 = 0.34 SAR per line, 0.33 SAR on
// the total); rounding on the total is what the invoice's VAT breakdown
// states (one rate, one taxable amount, one VAT amount).

// Price computes the totals of lines under settings s for delivery to city
// ("": not known yet).
func Price(s Settings, lines []Line, city string) Totals {
	t := Totals{Currency: s.Currency, VATRateBP: s.VATRateBP, VATIncluded: s.PricesIncludeVAT}
	for _, l := range lines {
		if l.Available {
			t.Subtotal += l.Total()
		}
	}
	base := t.Subtotal - t.Discount
	t.Shipping, t.ShippingKnown, t.ShippingZone, t.FreeShippingRemaining = shipping(s, base, city)
	rate := int64(s.VATRateBP)
	if s.PricesIncludeVAT {
		t.Total = base + t.Shipping
		t.VAT = roundDiv(t.Total*rate, 10000+rate)
	} else {
		net := base + t.Shipping
		t.VAT = roundDiv(net*rate, 10000)
		t.Total = net + t.VAT
	}
	return t
}

// shipping is the fee of delivering goods worth base to city: whether it is
// known, the zone that priced it, and what the goods lack to ship free. A
// city the store does not deliver to has no fee (checkout refuses it), even
// past the threshold; a store that delivers free everywhere knows its fee
// before the city.
func shipping(s Settings, base int64, city string) (fee int64, known bool, zone *Zone, remaining int64) {
	if base <= 0 {
		return 0, city != "", nil, 0
	}
	if s.FreeShippingThreshold > 0 && base < s.FreeShippingThreshold {
		remaining = s.FreeShippingThreshold - base
	}
	switch {
	case city != "" && !s.Ships(city):
		return 0, false, nil, remaining
	case s.FreeShippingThreshold > 0 && remaining == 0:
		return 0, true, nil, 0
	case city == "":
		return 0, s.freeEverywhere(), nil, remaining
	}
	if z, ok := s.Zone(city); ok {
		return z.Fee, true, &z, remaining
	}
	return *s.DefaultFee, true, nil, remaining
}

// freeEverywhere reports whether every city the store delivers to ships
// free (the defaults: no zones, a default fee of 0).
func (s Settings) freeEverywhere() bool {
	if s.DefaultFee == nil || *s.DefaultFee != 0 {
		return false
	}
	for _, z := range s.Zones {
		if z.Fee != 0 {
			return false
		}
	}
	return true
}

// Ships reports whether the store delivers to city: a zone's city, or any
// city when there is a default fee.
func (s Settings) Ships(city string) bool {
	if cityKey(city) == "" {
		return false
	}
	_, ok := s.Zone(city)
	return ok || s.DefaultFee != nil
}

// Zone returns the zone whose Arabic or English name, or an alias, is city,
// compared as search compares text (internal/arabic: hamza forms, ى/ي, ة/ه,
// Persian letters, diacritics, case), ignoring punctuation, spacing and a
// leading article ("الرياض" = "رياض" = "Riyadh" = "riyadh").
func (s Settings) Zone(city string) (Zone, bool) {
	key := cityKey(city)
	if key == "" {
		return Zone{}, false
	}
	for _, z := range s.Zones {
		for _, name := range z.names() {
			if cityKey(name) == key {
				return z, true
			}
		}
	}
	return Zone{}, false
}

func (z Zone) names() []string { return append([]string{z.NameAR, z.NameEN}, z.Aliases...) }

// cityKey is the form city names are compared in.
func cityKey(s string) string {
	words := strings.FieldsFunc(arabic.Normalize(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
	if len(words) > 0 {
		switch {
		case words[0] == "al" || words[0] == "el" || words[0] == "ar" || words[0] == "as" || words[0] == "ad":
			if len(words) > 1 {
				words = words[1:]
			}
		case strings.HasPrefix(words[0], "ال") && len([]rune(words[0])) > 3:
			words[0] = strings.TrimPrefix(words[0], "ال")
		}
	}
	return strings.Join(words, " ")
}

// roundDiv is a / b rounded half up, for a ≥ 0 and b > 0.
func roundDiv(a, b int64) int64 { return (2*a + b) / (2 * b) }
