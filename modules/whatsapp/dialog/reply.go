package dialog

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"

	"concierge/internal/i18n"
)

// The one place every dialog step — the engine's and every capability's —
// gets its words and builds its replies, so limits, plural forms, digits and
// tenant overrides work the same everywhere.

// Words finds the texts a customer reads: the tenant's override of key in
// the locale (Overrides, the bot_texts table), else the catalog's message
// "bot.<key>". Texts, overrides and catalog alike, write their placeholders
// as {name}; the vars fill them ("{store}", "Oud House", ...).
type Words struct {
	Overrides Overrides
	Catalog   *i18n.Catalog
}

// Text is key's text in locale with vars filled.
func (w Words) Text(ctx context.Context, locale, key string, vars ...string) string {
	s := w.raw(ctx, locale, key)
	if len(vars) >= 2 {
		s = strings.NewReplacer(vars...).Replace(s)
	}
	return s
}

// Count is key's plural form for n in locale (CLDR rules: Arabic has six
// forms), with {n} filled with n in the locale's digits and vars filled. A
// tenant overrides one form as "<key>.<form>" (zero, one, two, few, many,
// other).
func (w Words) Count(ctx context.Context, locale, key string, n int, vars ...string) string {
	digits := i18n.Number(locale, int64(n))
	s, ok := "", false
	if w.Overrides != nil {
		s, ok = w.Overrides.Lookup(ctx, key+"."+PluralForm(locale, n), locale)
	}
	if !ok || strings.TrimSpace(s) == "" {
		s = w.catalog().Count(locale, "bot."+key, n, nil)
	}
	return strings.NewReplacer(append([]string{"{n}", digits}, vars...)...).Replace(s)
}

func (w Words) raw(ctx context.Context, locale, key string) string {
	if w.Overrides != nil {
		if s, ok := w.Overrides.Lookup(ctx, key, locale); ok && strings.TrimSpace(s) != "" {
			return s
		}
	}
	return w.catalog().Text(locale, "bot."+key, nil)
}

func (w Words) catalog() *i18n.Catalog {
	if w.Catalog == nil {
		return i18n.MustLoad()
	}
	return w.Catalog
}

// PluralForm is the CLDR plural category of n in locale: zero, one, two,
// few, many or other.
func PluralForm(locale string, n int) string {
	tag := language.English
	if i18n.Normalize(locale) == i18n.AR {
		tag = language.Arabic
	}
	switch plural.Cardinal.MatchPlural(tag, n%10000000, 0, 0, 0, 0) {
	case plural.Zero:
		return "zero"
	case plural.One:
		return "one"
	case plural.Two:
		return "two"
	case plural.Few:
		return "few"
	case plural.Many:
		return "many"
	}
	return "other"
}

// Digits writes the ASCII digits of s in locale's digits (Arabic-Indic in
// Arabic).
func Digits(s, locale string) string {
	if i18n.Normalize(locale) != i18n.AR {
		return s
	}
	return i18n.Digits(s)
}

// Number is n in locale's digits.
func Number(n int, locale string) string { return Digits(strconv.Itoa(n), locale) }

// TextReply is a plain text reply.
func TextReply(body string) Reply { return Reply{Kind: ReplyText, Body: body} }

// ButtonsReply is a reply with up to MaxButtons buttons, titles clipped to
// WhatsApp's limit (button replies carry no descriptions).
func ButtonsReply(body string, opts ...Option) Reply {
	opts = slices.Clone(opts[:min(len(opts), MaxButtons)])
	for i := range opts {
		opts[i].Title = Clip(opts[i].Title, MaxButtonTitle)
		opts[i].Description = ""
	}
	return Reply{Kind: ReplyButtons, Body: body, Options: opts}
}

// ListReply is a list reply of up to MaxListRows rows, titles, descriptions
// and the button label clipped to WhatsApp's limits.
func ListReply(body, button string, rows []Option) Reply {
	rows = slices.Clone(rows[:min(len(rows), MaxListRows)])
	for i := range rows {
		rows[i].Title = Clip(rows[i].Title, MaxListTitle)
		rows[i].Description = Clip(rows[i].Description, MaxListDescription)
	}
	return Reply{Kind: ReplyList, Body: body, ListButton: Clip(button, MaxListButton), Options: rows}
}

// Clip shortens s to at most n runes on a word boundary where one is near,
// ending with "…" when cut; runs of white space become one space.
func Clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	r := []rune(s)
	cut := n - 1 // keep r[:cut]
	for i := cut; i > n/2; i-- {
		if r[i] == ' ' {
			cut = i
			break
		}
	}
	for cut > 0 && unicode.Is(unicode.Mn, r[cut]) {
		cut--
	}
	return strings.TrimRightFunc(string(r[:cut]), func(c rune) bool {
		return unicode.IsSpace(c) || strings.ContainsRune(",،;:-–—(", c)
	}) + "…"
}
