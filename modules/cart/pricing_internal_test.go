package cart

import (
	"testing"

	"concierge/internal/money"
)

// perLineVAT is what VAT would be if it were rounded per line, the rule
// Price does not use (docs/cart.md compares the two).
func perLineVAT(s Settings, lines []Line) int64 {
	rate := int64(s.VATRateBP)
	var vat int64
	for _, l := range lines {
		if !l.Available {
			continue
		}
		if s.PricesIncludeVAT {
			vat += roundDiv(l.Total()*rate, 10000+rate)
		} else {
			vat += roundDiv(l.Total()*rate, 10000)
		}
	}
	return vat
}

func lines(prices ...int64) []Line {
	out := make([]Line, len(prices))
	for i, p := range prices {
		out[i] = Line{UnitPrice: p, Quantity: 1, Available: true}
	}
	return out
}

// TestVATIsRoundedOnTheTotal is docs/cart.md's one-halala case: two lines
// of 1.10 SAR, where rounding per line and rounding on the total differ by
// one halala, both with VAT added and with VAT included.
func TestVATIsRoundedOnTheTotal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		included            bool
		prices              []int64
		vat, total, perLine int64
	}{
		// 2.20 × 15 % = 0.33; per line 0.165 → 0.17 twice = 0.34.
		{"added", false, []int64{110, 110}, 33, 253, 34},
		// 2.20 × 15/115 = 0.2869 → 0.29; per line 0.1434 → 0.14 twice = 0.28.
		{"included", true, []int64{110, 110}, 29, 220, 28},
		// Half a halala rounds up: 0.10 × 15 % = 0.015 → 0.02.
		{"half up", false, []int64{10}, 2, 12, 2},
		{"empty", true, nil, 0, 0, 0},
		// The largest cart value: no overflow.
		{"largest", false, []int64{money.MaxMinor}, money.MaxMinor * 15 / 100, money.MaxMinor * 115 / 100, money.MaxMinor * 15 / 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Settings{Currency: "SAR", VATRateBP: 1500, PricesIncludeVAT: tc.included}
			ls := lines(tc.prices...)
			got := Price(s, ls, "")
			if got.VAT != tc.vat || got.Total != tc.total {
				t.Fatalf("VAT %d total %d, want %d %d (%+v)", got.VAT, got.Total, tc.vat, tc.total, got)
			}
			if pl := perLineVAT(s, ls); pl != tc.perLine {
				t.Fatalf("per-line VAT %d, want %d", pl, tc.perLine)
			}
		})
	}
}

// TestShippingRules: zone fee, default fee, unknown city, the free-shipping
// threshold (reached with or without a city), and VAT on delivery.
func TestShippingRules(t *testing.T) {
	t.Parallel()
	def := int64(3500)
	s := Settings{Currency: "SAR", VATRateBP: 1500, PricesIncludeVAT: true, DefaultFee: &def, FreeShippingThreshold: 50000,
		Zones: []Zone{{NameAR: "الرياض", NameEN: "Riyadh", Fee: 2500}}}
	tests := []struct {
		name      string
		prices    []int64
		city      string
		shipping  int64
		known     bool
		zone      bool
		remaining int64
	}{
		{"zone", []int64{10000}, "riyadh", 2500, true, true, 40000},
		{"default fee", []int64{10000}, "Abha", 3500, true, false, 40000},
		{"no city", []int64{10000}, "", 0, false, false, 40000},
		{"threshold reached, no city", []int64{30000, 20000}, "", 0, true, false, 0},
		{"threshold reached", []int64{50000}, "الرياض", 0, true, false, 0},
		{"empty cart", nil, "Riyadh", 0, true, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Price(s, lines(tc.prices...), tc.city)
			if got.Shipping != tc.shipping || got.ShippingKnown != tc.known || (got.ShippingZone != nil) != tc.zone || got.FreeShippingRemaining != tc.remaining {
				t.Fatalf("%+v", got)
			}
		})
	}
	// Without a default fee an unknown city prices nothing and is not
	// served, not even free past the threshold.
	s.DefaultFee = nil
	if got := Price(s, lines(100), "Abha"); got.ShippingKnown || got.Shipping != 0 || s.Ships("Abha") || !s.Ships("الرياض") {
		t.Fatalf("no default fee: %+v", got)
	}
	if got := Price(s, lines(60000), "Abha"); got.ShippingKnown || got.Shipping != 0 || got.FreeShippingRemaining != 0 {
		t.Fatalf("past the threshold, to a city not served: %+v", got)
	}
	// Free everywhere (the defaults): known before the city.
	if got := Price(DefaultSettings("SAR"), lines(100), ""); !got.ShippingKnown || got.Shipping != 0 {
		t.Fatalf("free everywhere: %+v", got)
	}
	// VAT applies to delivery: added, (100.00 + 25.00) × 15 % = 18.75.
	s.PricesIncludeVAT = false
	if got := Price(s, lines(10000), "Riyadh"); got.VAT != 1875 || got.Total != 12500+1875 {
		t.Fatalf("VAT on delivery: %+v", got)
	}
}

// TestCityNames: city names compare as search compares text.
func TestCityNames(t *testing.T) {
	t.Parallel()
	s := Settings{Zones: []Zone{
		{NameAR: "الرياض", NameEN: "Riyadh"},
		{NameAR: "الخبر", NameEN: "Al Khobar"},
		{NameAR: "جدة", NameEN: "Jeddah", Aliases: []string{"Jiddah"}},
	}}
	for city, want := range map[string]string{
		"الرياض": "Riyadh", "الریاض": "Riyadh", "الرّياض": "Riyadh", "الـرياض": "Riyadh", "رياض": "Riyadh", "Riyadh": "Riyadh",
		"riyadh": "Riyadh", " RIYADH. ": "Riyadh", "Ar-Riyadh": "Riyadh", "الخبر": "Al Khobar", "khobar": "Al Khobar",
		"al-khobar": "Al Khobar", "جده": "Jeddah", "jiddah": "Jeddah", "Jeddah": "Jeddah",
		"Dammam": "", "": "", "!!!": "", "الرياض الجديدة": "",
	} {
		z, ok := s.Zone(city)
		if got := map[bool]string{true: z.NameEN, false: ""}[ok]; got != want {
			t.Errorf("Zone(%q) = %q, want %q", city, got, want)
		}
	}
}

// TestParseQuantity: what customers type as a quantity.
func TestParseQuantity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		n       int
		problem string
	}{
		{"3", 3, ""}, {"٣", 3, ""}, {"۴", 4, ""}, {" 12 ", 12, ""}, {"999", 999, ""}, {"٣ قطع", 3, ""}, {"2 pcs", 2, ""},
		{"x2", 2, ""}, {"×٢", 2, ""}, {"ثلاثة", 3, ""}, {"ثلاث", 3, ""}, {"اثنين", 2, ""}, {"عشرة", 10, ""}, {"five", 5, ""},
		{"ابي ٥ بس", 5, ""}, {"0", 0, ""}, {"صفر", 0, ""}, {"+4", 4, ""}, {"07", 7, ""},
		{"ثلاثة آلاف", 0, qtyTooLarge}, {"3 الاف", 0, qtyTooLarge}, {"1000", 0, qtyTooLarge}, {"١٠٠٠", 0, qtyTooLarge},
		{"1e9", 0, qtyTooLarge}, {"99999999999999999999", 0, qtyTooLarge},
		{"-1", 0, qtyTooSmall}, {"−1", 0, qtyTooSmall}, {"-٣", 0, qtyTooSmall},
		{"1.5", 0, qtyNotWhole}, {"١٫٥", 0, qtyNotWhole},
		{"abc", 0, qtyNotNumber}, {"", 0, qtyNotNumber}, {"🙂", 0, qtyNotNumber}, {"ثلاثة عباءات", 0, qtyNotNumber},
		{"2 3", 0, qtyNotNumber}, {"NaN", 0, qtyNotNumber}, {"inf", 0, qtyNotNumber}, {"عباية", 0, qtyNotNumber},
	}
	for _, tc := range tests {
		n, problem := parseQuantity(tc.in)
		if n != tc.n || problem != tc.problem {
			t.Errorf("parseQuantity(%q) = %d %q, want %d %q", tc.in, n, problem, tc.n, tc.problem)
		}
	}
}

// TestCartIDs: 160 random bits, base32, never twice.
func TestCartIDs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 10000 {
		id := newID()
		if !validID(id) || seen[id] {
			t.Fatalf("id %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "0190a6f0-0000-7000-8000-000000000001", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "abcdefghijklmnopqrstuvwxyz23456", "abcdefghijklmnopqrstuvwxyz2345678", "abcdefghijklmnopqrstuvwxyz234561"} {
		if validID(bad) {
			t.Errorf("validID(%q)", bad)
		}
	}
	if b, err := idEncoding.DecodeString(newID()); err != nil || len(b) != 20 {
		t.Fatalf("an id carries %d bytes: %v", len(b), err)
	}
}
