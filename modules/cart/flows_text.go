package cart

import (
	"context"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/uptrace/bun"

	"concierge/internal/arabic"
	"concierge/internal/money"
	"concierge/modules/catalog"
	"concierge/modules/whatsapp/dialog"
)

// ---- replies ----

func (t *turn) step(s string) { t.res.State.Step = s }

func (t *turn) say(body string) { t.res.Replies = append(t.res.Replies, dialog.TextReply(body)) }

func (t *turn) buttons(body string, opts ...dialog.Option) {
	t.res.Replies = append(t.res.Replies, dialog.ButtonsReply(body, opts...))
}

func (t *turn) viewButton() dialog.Option {
	return dialog.Option{ID: "cart:view", Title: t.text("cart.button.view")}
}

func (t *turn) editButton() dialog.Option {
	return dialog.Option{ID: "cart:edit", Title: t.text("cart.button.edit")}
}

func (t *turn) shopButton() dialog.Option {
	return dialog.Option{ID: t.browseID(), Title: t.text("cart.button.shop")}
}

func (t *turn) browseButton() dialog.Option {
	return dialog.Option{ID: t.browseID(), Title: t.text("cart.button.browse")}
}

func (t *turn) browseID() string {
	if t.f.Browse != "" {
		return t.f.Browse
	}
	return dialog.IDMenu
}

func (t *turn) afterAddButtons() []dialog.Option {
	return []dialog.Option{{ID: "cart:checkout", Title: t.text("cart.button.checkout")}, t.viewButton(), t.shopButton()}
}

// ---- words ----

// text is the tenant's text for key (bot.<key> by default) in the turn's
// locale, with the placeholders (pairs of "{name}", value) filled.
func (t *turn) text(key string, pairs ...string) string {
	return t.f.words.Text(t.ctx, t.locale, key, pairs...)
}

func (t *turn) money(minor int64, currency string) string {
	return money.Format(money.Amount{Minor: minor, Currency: currency}, t.locale)
}

// productName is "Title (Black / M)" in locale.
func productName(p *catalog.Product, v catalog.Variant, locale string) string {
	name := p.Title(locale)
	if o := optionLabel(v, locale); o != "" {
		name += " (" + o + ")"
	}
	return name
}

// lineName is a line's "Title (Black / M)" in locale.
func lineName(l Line, locale string) string {
	name := l.Title(locale)
	if o := l.Options(locale); o != "" {
		name += " (" + o + ")"
	}
	return name
}

// summary is one line: how many pieces the cart holds and its total.
func (t *turn) summary(c *Cart) string {
	if c == nil {
		return ""
	}
	return t.text("cart.summary", "{items}", t.f.words.Count(t.ctx, t.locale, "cart.items", c.Items()),
		"{total}", t.money(c.Totals.Total, c.Currency))
}

// cartText is the cart as the customer reads it: the lines, then the
// subtotal, delivery, VAT and total, then hints (free delivery, the city).
func (t *turn) cartText(c *Cart) string {
	var b strings.Builder
	b.WriteString(t.text("cart.view.title"))
	for i, l := range c.Lines {
		b.WriteString("\n\n")
		b.WriteString(t.text("cart.view.line", "{n}", dialog.Number(i+1, t.locale), "{product}", lineName(l, t.locale)))
		b.WriteString("\n")
		b.WriteString(t.text("cart.view.amounts", "{qty}", dialog.Number(l.Quantity, t.locale),
			"{price}", t.money(l.UnitPrice, c.Currency), "{total}", t.money(l.Total(), c.Currency)))
		switch {
		case !l.Available:
			b.WriteString("\n" + t.text("cart.view.unavailable"))
		case l.Short():
			b.WriteString("\n" + t.text("cart.view.short", "{available}", dialog.Number(*l.Stock, t.locale)))
		}
		if l.PreviousPrice != nil {
			b.WriteString("\n" + t.text("cart.view.price_changed", "{old}", t.money(*l.PreviousPrice, c.Currency),
				"{new}", t.money(l.UnitPrice, c.Currency)))
		}
	}
	tot := c.Totals
	b.WriteString("\n\n")
	b.WriteString(t.text("cart.view.subtotal", "{amount}", t.money(tot.Subtotal, c.Currency)))
	b.WriteString("\n")
	switch {
	case tot.ShippingKnown && tot.Shipping == 0:
		b.WriteString(t.text("cart.view.shipping_free"))
	case tot.ShippingKnown && c.City != "":
		city := c.City
		if tot.ShippingZone != nil {
			city = tot.ShippingZone.Name(t.locale)
		}
		b.WriteString(t.text("cart.view.shipping_city", "{city}", city, "{amount}", t.money(tot.Shipping, c.Currency)))
	default:
		b.WriteString(t.text("cart.view.shipping_unknown"))
	}
	b.WriteString("\n")
	rate := percent(tot.VATRateBP, t.locale)
	if tot.VATIncluded {
		b.WriteString(t.text("cart.view.vat_included", "{rate}", rate, "{amount}", t.money(tot.VAT, c.Currency)))
	} else {
		b.WriteString(t.text("cart.view.vat_added", "{rate}", rate, "{amount}", t.money(tot.VAT, c.Currency)))
	}
	b.WriteString("\n")
	b.WriteString(t.text("cart.view.total", "{amount}", t.money(tot.Total, c.Currency)))
	if tot.FreeShippingRemaining > 0 {
		b.WriteString("\n\n" + t.text("cart.view.free_hint", "{amount}", t.money(tot.FreeShippingRemaining, c.Currency)))
	}
	if !tot.ShippingKnown && tot.Subtotal > 0 && c.zones > 0 {
		b.WriteString("\n" + t.text("cart.view.city_hint"))
	}
	return b.String()
}

// percent writes basis points as a percentage number: 1500 → "15", 1250 →
// "12.5", in the locale's digits.
func percent(bp int, locale string) string {
	s := strconv.FormatFloat(float64(bp)/100, 'f', -1, 64)
	if locale == dialog.LocaleAR {
		s = strings.ReplaceAll(dialog.Digits(s, locale), ".", "٫")
	}
	return s
}

// zones reads the tenant's pricing settings for their zones (the currency
// is not needed, nor read).
func (s *Service) zones(ctx context.Context) (Settings, error) {
	var set Settings
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		set, err = s.loadSettings(ctx, tx, "")
		return err
	})
	return set, err
}

// ---- what customers type as a quantity ----

// Problems of a typed quantity (the suffix of bot.cart.qty.<problem>).
const (
	qtyNotNumber = "not_number"
	qtyTooSmall  = "too_small"
	qtyTooLarge  = "too_large"
	qtyNotWhole  = "not_whole"
)

// numberWords are the number words customers type for a quantity, in
// normalised form (internal/arabic).
var numberWords = map[string]int{
	"صفر": 0, "zero": 0,
	"واحد": 1, "واحده": 1, "وحده": 1, "one": 1,
	"اثنين": 2, "اثنان": 2, "ثنين": 2, "اثنتين": 2, "اثنتان": 2, "ثنتين": 2, "two": 2,
	"ثلاث": 3, "ثلاثه": 3, "three": 3,
	"اربع": 4, "اربعه": 4, "four": 4,
	"خمس": 5, "خمسه": 5, "five": 5,
	"ست": 6, "سته": 6, "six": 6,
	"سبع": 7, "سبعه": 7, "seven": 7,
	"ثمان": 8, "ثماني": 8, "ثمانيه": 8, "eight": 8,
	"تسع": 9, "تسعه": 9, "nine": 9,
	"عشر": 10, "عشره": 10, "ten": 10,
}

// bigWords make any number they follow at least a thousand.
var bigWords = map[string]bool{
	"الف": true, "الاف": true, "ألف": true, "مليون": true, "ملايين": true, "مليار": true,
	"thousand": true, "thousands": true, "million": true, "millions": true, "billion": true, "k": true,
}

// unitWords may follow or precede a quantity ("٣ قطع", "2 pcs", "x3").
var unitWords = map[string]bool{
	"قطعه": true, "قطع": true, "حبه": true, "حبات": true, "حبتين": true, "علبه": true, "علب": true, "بس": true, "فقط": true,
	"pcs": true, "pc": true, "piece": true, "pieces": true, "item": true, "items": true, "x": true, "only": true,
	"please": true, "pls": true, "ابي": true, "ابغي": true, "ابغا": true, "اريد": true, "لو": true, "سمحت": true,
}

// parseQuantity reads a typed quantity: digits in any script ("٣", "۳",
// "3"), optionally signed or with a unit, or a number word up to ten. It
// returns the number (0 included: the caller decides) or the problem.
func parseQuantity(s string) (int, string) {
	n := strings.Map(func(r rune) rune {
		switch r {
		case '×', '*':
			return ' '
		case '−', '–': // minus sign, en dash
			return '-'
		}
		return r
	}, arabic.Normalize(s))
	n = strings.TrimFunc(n, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(".!?؟،,", r) })
	if n == "" {
		return 0, qtyNotNumber
	}
	// A bare number, possibly signed, decimal or in exponent form.
	if f, err := strconv.ParseFloat(n, 64); err == nil && strings.ContainsAny(n, "0123456789") {
		switch {
		case math.IsNaN(f) || f < 0 || strings.HasPrefix(n, "-"):
			return 0, qtyTooSmall
		case f != math.Trunc(f):
			return 0, qtyNotWhole
		case f > MaxQuantity:
			return 0, qtyTooLarge
		}
		return int(f), ""
	}
	words := strings.FieldsFunc(n, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && !unicode.IsMark(r)
	})
	found, value, big := false, 0, false
	for _, w := range words {
		if d := strings.Trim(w, "x"); d != w && isDigits(d) { // "x2", "2x"
			w = d
		}
		switch {
		case bigWords[w]:
			big = true
		case unitWords[w]:
		case strings.HasPrefix(w, "-") && isDigits(w[1:]):
			return 0, qtyTooSmall
		case isDigits(w) && !found:
			if len(w) > 4 {
				return 0, qtyTooLarge
			}
			value, _ = strconv.Atoi(w)
			found = true
		case !found:
			v, ok := numberWords[w]
			if !ok {
				return 0, qtyNotNumber
			}
			value, found = v, true
		default:
			return 0, qtyNotNumber
		}
	}
	switch {
	case !found:
		return 0, qtyNotNumber
	case big:
		return 0, qtyTooLarge
	case value > MaxQuantity:
		return 0, qtyTooLarge
	}
	return value, ""
}

func isDigits(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}
