package catalog

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"concierge/internal/arabic"
	"concierge/internal/money"
	"concierge/modules/whatsapp/dialog"
)

// ---- replies ----

func (t *turn) step(s string) { t.res.State.Step = s }

// buttons appends a buttons reply.
func (t *turn) buttons(body string, opts ...dialog.Option) {
	t.res.Replies = append(t.res.Replies, dialog.ButtonsReply(body, opts...))
}

// list appends a list reply.
func (t *turn) list(body, button string, rows []dialog.Option) {
	t.res.Replies = append(t.res.Replies, dialog.ListReply(body, button, rows))
}

// ---- words ----

// text is the tenant's text for key (bot.<key> by default) in the turn's
// locale, with the placeholders (pairs of "{name}", value) filled.
func (t *turn) text(key string, pairs ...string) string {
	return t.f.words.Text(t.ctx, t.locale, key, pairs...)
}

// count is "12 products" in the turn's locale, with the CLDR plural form
// (Arabic has six) and Arabic-Indic digits in Arabic.
func (t *turn) count(n int) string { return t.f.words.Count(t.ctx, t.locale, "catalog.count", n) }

func (t *turn) stockText(available bool) string {
	if available {
		return t.text("catalog.stock.in")
	}
	return t.text("catalog.stock.out")
}

func (t *turn) money(minor int64, currency string) string {
	return money.Format(money.Amount{Minor: minor, Currency: currency}, t.locale)
}

// productPrice is a product's price: "from X" when its variants differ,
// "X (was Y)" when its one price is reduced.
func (t *turn) productPrice(p Product) string {
	if p.MinPrice != p.MaxPrice {
		return t.text("catalog.price.from", "{price}", t.money(p.MinPrice, p.Currency))
	}
	for _, v := range p.Variants {
		if v.Price == p.MinPrice && v.CompareAt > v.Price {
			return t.variantPrice(v)
		}
	}
	return t.money(p.MinPrice, p.Currency)
}

// variantPrice is a variant's price, with the price it replaces when on sale.
func (t *turn) variantPrice(v Variant) string {
	price := t.money(v.Price, v.Currency)
	if v.CompareAt > v.Price {
		return t.text("catalog.price.sale", "{price}", price, "{was}", t.money(v.CompareAt, v.Currency))
	}
	return price
}

// productLine is a product's list row description: price and stock.
func (t *turn) productLine(p Product) string {
	return t.productPrice(p) + " · " + t.stockText(p.InStock)
}

// optionName names what a product's variants differ in: "size" when only
// the size varies, "option" otherwise.
func (t *turn) optionName(p Product) string {
	varying := map[string]bool{}
	for _, v := range p.Variants {
		for _, o := range v.Options {
			for _, w := range p.Variants {
				if val, ok := optionValue(w, o.Name); !ok || val != o.Value {
					varying[strings.ToLower(strings.TrimSpace(o.Name))] = true
				}
			}
		}
	}
	if len(varying) == 1 {
		for name := range varying {
			if k := "catalog.option." + name; t.f.cat.Has("bot." + k) {
				return t.text(k)
			}
		}
	}
	return t.text("catalog.option.any")
}

func optionValue(v Variant, name string) (string, bool) {
	for _, o := range v.Options {
		if strings.EqualFold(o.Name, name) {
			return o.Value, true
		}
	}
	return "", false
}

// optionLabel is a variant's option values in locale, "Black / M" or
// "أسود / M".
func optionLabel(v Variant, locale string) string {
	vals := make([]string, 0, len(v.Options))
	for _, o := range v.Options {
		if s := strings.TrimSpace(o.ValueIn(locale)); s != "" {
			vals = append(vals, s)
		}
	}
	return strings.Join(vals, " / ")
}

// ---- what customers type ----

// letters counts the letters of s.
func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

// skuPattern finds "SKU: X" or "رمز المنتج: X" (also "SKU X", "SKU#X");
// group 1 is the separator, group 2 the SKU.
var skuPattern = regexp.MustCompile(`(?i)(?:\bsku|رمز المنتج)(\s*[:：#]?\s*)([A-Za-z0-9][^\s()\[\]{}<>«»"'،,;]*)`)

// ExtractSKU returns the SKU a message carries as "SKU: <sku>" or
// "رمز المنتج: <sku>" anywhere in it (case-insensitive; Arabic-Indic digits
// and bidi marks are tolerated), or "". The last such mention wins, so a
// title that names a SKU does not hide the one ChatToOrderText appends;
// without a colon ("SKU ABY-001") the code must contain a digit, so "sku
// bag" is not read as a code.
func ExtractSKU(text string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r == '\u200e' || r == '\u200f' || r == '\u061c' || r == '\ufeff' || 0x202a <= r && r <= 0x202e || 0x2066 <= r && r <= 0x2069:
			return -1
		}
		return r
	}, arabic.DigitsToASCII(text))
	var colon, bare string
	for _, m := range skuPattern.FindAllStringSubmatch(clean, -1) {
		sku := strings.TrimRight(m[2], ".:!?؟")
		if sku == "" || len(sku) > 64 {
			continue
		}
		switch {
		case strings.ContainsAny(m[1], ":：#"):
			colon = sku
		case strings.ContainsAny(sku, "0123456789"):
			bare = sku
		}
	}
	if colon != "" {
		return colon
	}
	return bare
}

// ChatToOrderText is the WhatsApp message the storefront pre-fills for
// "Chat to order": "أرغب في طلب: <title> (SKU: <sku>)" in Arabic, "I'd like
// to order: <title> (SKU: <sku>)" otherwise. The flows read the SKU back
// with ExtractSKU and open that product with that variant chosen.
func ChatToOrderText(locale, title, sku string) string {
	title = strings.Join(strings.Fields(title), " ")
	sku = strings.TrimSpace(sku)
	if locale == dialog.LocaleAR || strings.HasPrefix(strings.ToLower(locale), "ar-") {
		return "أرغب في طلب: " + title + " (SKU: " + sku + ")"
	}
	return "I'd like to order: " + title + " (SKU: " + sku + ")"
}

// requestWords wrap a search ("ابحث عن عباية", "do you have black abaya?"),
// in normalised form; searchText drops them from both ends.
var requestWords = map[string]bool{
	"ابحث": true, "ابحثي": true, "بحث": true, "دور": true, "دورلي": true, "عن": true, "ابغي": true, "ابغا": true, "ابغى": true,
	"ابي": true, "اريد": true, "بدي": true, "ودي": true, "عندكم": true, "عندك": true, "هل": true, "يوجد": true,
	"فيه": true, "في": true, "لو": true, "سمحت": true, "ممكن": true, "من": true, "فضلك": true, "حق": true,
	"search": true, "for": true, "find": true, "show": true, "me": true, "i": true, "want": true, "do": true,
	"you": true, "have": true, "looking": true, "im": true, "i'm": true, "need": true, "any": true, "please": true,
	"pls": true, "is": true, "there": true, "got": true, "some": true, "a": true, "an": true, "the": true, "can": true,
}

// searchText is what to search for in a customer's text: the text without
// request words at its ends and without surrounding punctuation.
func searchText(s string) string {
	ws := strings.Fields(s)
	key := func(w string) string {
		return strings.TrimFunc(arabic.Normalize(w), func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) })
	}
	for len(ws) > 0 && (requestWords[key(ws[0])] || key(ws[0]) == "") {
		ws = ws[1:]
	}
	for len(ws) > 0 && (requestWords[key(ws[len(ws)-1])] || key(ws[len(ws)-1]) == "") {
		ws = ws[:len(ws)-1]
	}
	q := strings.Join(ws, " ")
	q = strings.TrimFunc(q, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
	if utf8.RuneCountInString(q) > 100 {
		q = dialog.Clip(q, 101)
		q = strings.TrimSuffix(q, "…")
	}
	return q
}

// courtesyWords are the words of a thank-you or an acknowledgement, in
// normalised form.
var courtesyWords = map[string]bool{
	"thanks": true, "thank": true, "you": true, "thx": true, "ty": true, "ok": true, "okay": true, "k": true,
	"great": true, "cool": true, "nice": true, "perfect": true, "fine": true, "alright": true, "so": true, "much": true,
	"شكرا": true, "شكرًا": true, "مشكور": true, "مشكوره": true, "مشكورين": true, "تسلم": true, "تسلمي": true,
	"تسلمين": true, "يعطيك": true, "يعطيكم": true, "العافيه": true, "الله": true, "تمام": true, "طيب": true,
	"اوكي": true, "اوك": true, "حلو": true, "ممتاز": true, "جزاك": true, "جزاكم": true, "خيرا": true, "خير": true,
	"كثير": true, "جزيلا": true, "والله": true,
}

// isCourtesy reports whether s is only a thank-you or an "ok".
func isCourtesy(s string) bool {
	ws := strings.FieldsFunc(arabic.Normalize(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsMark(r) })
	if len(ws) == 0 || len(ws) > 6 {
		return false
	}
	for _, w := range ws {
		if !courtesyWords[w] {
			return false
		}
	}
	return true
}
