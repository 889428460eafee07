package catalog

import (
	"crypto/rand"
	"encoding/base32"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"concierge/internal/arabic"
	"concierge/internal/i18n"
)

// Chat codes: the one place that writes and reads the short codes the
// storefront's "Chat to order" links carry into WhatsApp (docs/chat-to-order.md).
//
// A code travels inside the prefilled message as a tag, "[#<code>]", at the
// end of a text the customer may edit around:
//
//	P-<SKU>       a product variant whose SKU is made only of ASCII letters,
//	              digits and - _ . / (at most MaxSKUBytes): the SKU verbatim
//	              ("[#P-ABY-CLS-BLK-M]")
//	P:<base32>    any other SKU (spaces, Arabic letters, brackets, #, ...):
//	              its UTF-8 bytes in RFC 4648 base32 without padding
//	              ("[#P:3C45RKGYU7MYVWFJ]" for "عباية"), so every SKU round-trips
//	C-<10 chars>  a web cart's hand-off code (NewCartCode): ten characters of
//	              Crockford's base32 (50 random bits), unique per tenant
//
// Reading is liberal (ParseCodes): the letter and the "#" in any case and
// width, spaces and invisible marks anywhere inside the brackets,
// Arabic-Indic digits, typographic dashes for "-"; a cart code also takes
// I, L and O for 1, 1 and 0. Every code is ASCII, so it survives any
// transport that keeps the text.

// Kinds of chat codes (Code.Kind).
const (
	CodeProduct = "P"
	CodeCart    = "C"
)

// MaxSKUBytes is the longest SKU the catalog stores, in bytes.
const MaxSKUBytes = 64

// cartCodeLen is the length of a cart code after "C-".
const cartCodeLen = 10

// maxCodes bounds the codes read from one message.
const maxCodes = 10

// Code is a chat code read from a message.
type Code struct {
	// Kind is CodeProduct or CodeCart.
	Kind string
	// Value is, for a product, the SKU; for a cart, the hand-off code in its
	// canonical form ("C-7K3M9QXDAB"). It is "" when the code is malformed
	// (a tag of the right kind whose content cannot be read): the flows
	// answer it as an unknown code.
	Value string
	// Text is the code as written, without spaces and marks ("P-ABY-1"),
	// to quote back to the customer.
	Text string
}

// ProductCode is the code of the variant with sku: "P-<SKU>" when the SKU
// is plain ASCII (letters, digits, - _ . /) and at most MaxSKUBytes long,
// "P:<base32 of its bytes>" otherwise. ParseCodes reads either back to sku.
func ProductCode(sku string) string {
	if plainSKU(sku) {
		return CodeProduct + "-" + sku
	}
	return CodeProduct + ":" + skuEncoding.EncodeToString([]byte(sku))
}

// CodeTag is code as the customer's message carries it: "[#<code>]".
func CodeTag(code string) string { return "[#" + code + "]" }

// NewCartCode makes a new cart hand-off code, "C-" and ten characters of
// Crockford's base32 (50 random bits). The cart module keeps it unique per
// tenant.
func NewCartCode() string {
	b := make([]byte, cartCodeLen)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	for i := range b {
		b[i] = crockford[b[i]&31]
	}
	return CodeCart + "-" + string(b)
}

// ValidCartCode reports whether s is a cart code in canonical form.
func ValidCartCode(s string) bool {
	rest, ok := strings.CutPrefix(s, CodeCart+"-")
	return ok && len(rest) == cartCodeLen && strings.Trim(rest, crockford) == ""
}

// ChatText is the message the storefront prefills for "Chat to order" of
// variant v of p, in locale (Arabic unless "en…"): "أرغب بطلب: <title> —
// <options> [#P-…]" / "I'd like to order: <title> — <options> [#P-…]"; the
// options part is left out when v has none. The words are the catalog's
// messages chatcode.product and chatcode.product_options.
func ChatText(locale string, p Product, v Variant) string {
	locale = i18n.Normalize(locale)
	data := map[string]any{"product": oneLine(p.Title(locale)), "code": CodeTag(ProductCode(v.SKU))}
	cat := i18n.MustLoad()
	if opts := chatOptions(v, locale); opts != "" {
		data["options"] = opts
		return cat.Text(locale, "chatcode.product_options", data)
	}
	return cat.Text(locale, "chatcode.product", data)
}

// WhatsAppLink is the click-to-chat link that opens a chat with the
// business number displayPhone (E.164 or any writing of it: only its
// digits count) with text prefilled: "https://wa.me/<digits>?text=<text>".
// It is "" when displayPhone has no digits.
func WhatsAppLink(displayPhone, text string) string {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, arabic.DigitsToASCII(displayPhone))
	if digits == "" {
		return ""
	}
	link := "https://wa.me/" + digits
	if text != "" {
		// wa.me reads %20 as a space; "+" would stay a plus sign.
		link += "?text=" + strings.ReplaceAll(url.QueryEscape(text), "+", "%20")
	}
	return link
}

// ParseCodes returns the chat codes in text, in the order they appear (the
// first ten; the same code once). Anything that is not a "[#P…]" or
// "[#C…]" tag is ignored, so the customer may edit the words around it.
func ParseCodes(text string) []Code {
	if !mayHoldCode(text) {
		return nil
	}
	clean := strings.Map(codeRune, text)
	var out []Code
	seen := map[Code]bool{}
	for _, m := range codeTag.FindAllStringSubmatch(clean, -1) {
		c := readCode(strings.ToUpper(m[1]), m[2], m[3])
		if seen[c] {
			continue
		}
		seen[c] = true
		out = append(out, c)
		if len(out) == maxCodes {
			break
		}
	}
	return out
}

// LastCode is the last chat code in text: the storefront writes its code
// last, so a product title that happens to hold a tag does not hide it.
func LastCode(text string) (Code, bool) {
	if !mayHoldCode(text) {
		return Code{}, false
	}
	ms := codeTag.FindAllStringSubmatch(strings.Map(codeRune, text), -1)
	if len(ms) == 0 {
		return Code{}, false
	}
	m := ms[len(ms)-1]
	return readCode(strings.ToUpper(m[1]), m[2], m[3]), true
}

// ---- reading ----

// mayHoldCode is the cheap test every typed text takes first: a tag needs
// a "#" (or its full-width form).
func mayHoldCode(text string) bool { return strings.ContainsAny(text, "#＃") }

// codeTag finds "[#<letter><separator><content>]" in a cleaned text: group
// 1 the kind, 2 the separator, 3 the content (without brackets).
var codeTag = regexp.MustCompile(`\[\s*#\s*([PpCc])\s*([-:])([^\[\]]{0,240})\]`)

// codeRune cleans one rune of a message before codes are read: invisible
// format marks go, Arabic-Indic digits, full-width brackets, "#" and
// letters, and typographic dashes become ASCII.
func codeRune(r rune) rune {
	switch {
	case unicode.Is(unicode.Cf, r): // LRM, RLM, ALM, bidi isolates, zero-width joiners, BOM, soft hyphen
		return -1
	case 0x0660 <= r && r <= 0x0669:
		return '0' + r - 0x0660
	case 0x06f0 <= r && r <= 0x06f9:
		return '0' + r - 0x06f0
	case 0xff01 <= r && r <= 0xff5e: // full-width ASCII: ［＃Ｐ－…］
		return r - 0xff01 + '!'
	case r == '\u2010' || r == '\u2011' || r == '\u2012' || r == '\u2013' || r == '\u2014' || r == '\u2015' || r == '\u2212' || r == '\ufe63':
		return '-'
	}
	return r
}

// readCode reads a tag's kind, separator and content.
func readCode(kind, sep, content string) Code {
	content = strings.Join(strings.Fields(content), "")
	c := Code{Kind: kind, Text: kind + sep + content}
	switch {
	case kind == CodeProduct && sep == "-":
		if plainSKU(content) {
			c.Value = content
		}
	case kind == CodeProduct:
		if b, err := skuEncoding.DecodeString(strings.ToUpper(content)); err == nil && storableSKU(string(b)) {
			c.Value = string(b)
		}
	case sep == "-":
		code := strings.Map(func(r rune) rune {
			switch r = unicode.ToUpper(r); r {
			case '-':
				return -1
			case 'I', 'L':
				return '1'
			case 'O':
				return '0'
			}
			return r
		}, content)
		if v := CodeCart + "-" + code; ValidCartCode(v) {
			c.Value = v
		}
	}
	return c
}

// plainSKU reports whether sku can be written in a code as it is.
func plainSKU(sku string) bool {
	if sku == "" || len(sku) > MaxSKUBytes {
		return false
	}
	for i := 0; i < len(sku); i++ {
		b := sku[i]
		if !(b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b == '.' || b == '/') {
			return false
		}
	}
	return true
}

// storableSKU reports whether a decoded SKU could be one the catalog
// stores (text the database takes: UTF-8 without control characters), so a
// forged code never reaches a query it would fail.
func storableSKU(s string) bool {
	return s != "" && utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// skuEncoding writes SKUs that are not plain: RFC 4648 base32, upper case,
// no padding.
var skuEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// crockford is Crockford's base32 alphabet (no I, L, O, U).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ---- writing ----

// chatOptions is a variant's options for the prefilled text, in locale:
// "مقاس M، اللون أسود" / "Size M, Colour Black".
func chatOptions(v Variant, locale string) string {
	sep := "، "
	if locale == i18n.EN {
		sep = ", "
	}
	parts := make([]string, 0, len(v.Options))
	for _, o := range v.Options {
		val := oneLine(o.ValueIn(locale))
		if val == "" {
			continue
		}
		if name := oneLine(o.NameIn(locale)); name != "" {
			val = name + " " + val
		}
		parts = append(parts, val)
	}
	return strings.Join(parts, sep)
}

// oneLine is s on one line, runs of white space made one space, and
// without square brackets (a tag must stay the customer's only one).
func oneLine(s string) string {
	s = strings.NewReplacer("[", "(", "]", ")").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}
