package catalog

import (
	"sort"
	"strconv"
	"strings"

	"concierge/internal/arabic"
	"concierge/internal/money"
)

// Query understanding: a shopper's words carry constraints as well as what
// to look for — "عباية سوداء مقاس M", "black abaya size M", "abaya under
// 200", "عطر أقل من ٣٠٠". Understand reads the constraints out of the words
// (a price bound, a size, a colour the store uses) and leaves the rest to be
// searched; each derived filter keeps the words it came from, so a client
// can show it and undo it (applied_filters). The storefront's search,
// WhatsApp search and GET /api/v1/products?q= share it (Query.Understand).

// OptionValue is a value a store uses for a variant option, in both
// languages: {Option: "size", EN: "M"}, {Option: "colour", AR: "أسود",
// EN: "Black"}.
type OptionValue struct {
	Option string // size or colour
	AR, EN string
}

// AppliedFilter is a constraint read from the query: its name (min_price,
// max_price, or an option), its value as the store writes it (prices in
// minor units) and the words it came from.
type AppliedFilter struct {
	Name  string
	Value string
	From  string
}

// Understood is a query read for its constraints.
type Understood struct {
	// Text is what is left to search, in the shopper's words.
	Text     string
	MinPrice *int64
	MaxPrice *int64
	// Options are the option values asked for, as the store writes them
	// (its English value when it has one): "size" → "M".
	Options map[string]string
	Applied []AppliedFilter
}

// Words that bound a price from above or below, after normalisation
// (arabic.Normalize: أقل → اقل, إلى → الي), longest first within a kind.
var (
	maxPriceWords = [][]string{{"less", "than"}, {"cheaper", "than"}, {"up", "to"}, {"under"}, {"below"}, {"max"}, {"<"},
		{"اقل", "من"}, {"ارخص", "من"}, {"ما", "يتجاوز"}, {"لا", "يتجاوز"}, {"تحت"}, {"حتي"}, {"باقل", "من"}, {"دون"}}
	minPriceWords = [][]string{{"more", "than"}, {"over"}, {"above"}, {"min"}, {">"},
		{"اكثر", "من"}, {"فوق"}, {"اعلي", "من"}}
	// currencyWords follow or precede an amount and are dropped with it.
	currencyWords = map[string]bool{"sar": true, "sr": true, "riyal": true, "riyals": true, "rs": true, "ريال": true,
		"ريالات": true, "رس": true, "ر.س": true, "ر.س.": true, "aed": true, "درهم": true}
	sizeWords = map[string]bool{"size": true, "sized": true, "مقاس": true, "المقاس": true, "مقاسه": true, "قياس": true, "القياس": true, "سايز": true}
	// colours maps every written form (masculine, feminine, colloquial,
	// English) to one colour, so "سوداء", "اسود" and "black" meet whichever
	// form the store wrote.
	colours = colourForms(map[string][]string{
		"black":  {"black", "اسود", "سوداء", "سودا", "سود"},
		"white":  {"white", "ابيض", "بيضاء", "بيضا", "بيض"},
		"red":    {"red", "احمر", "حمراء", "حمرا"},
		"blue":   {"blue", "ازرق", "زرقاء", "زرقا"},
		"green":  {"green", "اخضر", "خضراء", "خضرا"},
		"yellow": {"yellow", "اصفر", "صفراء", "صفرا"},
		"brown":  {"brown", "بني", "بنيه"},
		"beige":  {"beige", "بيج"},
		"grey":   {"grey", "gray", "رمادي", "رماديه", "رصاصي"},
		"pink":   {"pink", "وردي", "ورديه", "زهري", "زهريه"},
		"navy":   {"navy", "كحلي", "كحليه"},
		"gold":   {"gold", "golden", "ذهبي", "ذهبيه"},
		"silver": {"silver", "فضي", "فضيه"},
		"purple": {"purple", "بنفسجي", "بنفسجيه", "موف"},
		"orange": {"orange", "برتقالي", "برتقاليه"},
	})
)

func colourForms(m map[string][]string) map[string]string {
	out := map[string]string{}
	for c, forms := range m {
		for _, f := range forms {
			out[arabic.Normalize(f)] = c
		}
	}
	return out
}

// Understand reads q's constraints with the store's option values
// (values) and currency (amounts are read in its major units: "200" is
// 200.00 SAR). Words it does not understand stay in Text; a query made
// only of constraints leaves Text empty.
func Understand(q, currency string, values []OptionValue) Understood {
	out := Understood{Options: map[string]string{}}
	raw := strings.Fields(q)
	norm := make([]string, len(raw))
	for i, w := range raw {
		norm[i] = arabic.Normalize(arabic.DigitsToASCII(w))
	}
	used := make([]bool, len(raw))
	words := func(i, j int) string { return strings.Join(raw[i:j], " ") }
	// Price bounds: a bound word, an amount, maybe a currency word; or
	// "between A and B" / "بين A و B".
	for i := 0; i < len(norm); i++ {
		if used[i] {
			continue
		}
		if lo, hi, end, ok := priceRange(norm, i, currency); ok {
			out.MinPrice, out.MaxPrice = &lo, &hi
			out.Applied = append(out.Applied, AppliedFilter{Name: "min_price", Value: strconv.FormatInt(lo, 10), From: words(i, end)},
				AppliedFilter{Name: "max_price", Value: strconv.FormatInt(hi, 10), From: words(i, end)})
			markUsed(used, i, end)
			continue
		}
		for _, kind := range []struct {
			name  string
			words [][]string
			set   func(v int64)
		}{
			{"max_price", maxPriceWords, func(v int64) { out.MaxPrice = &v }},
			{"min_price", minPriceWords, func(v int64) { out.MinPrice = &v }},
		} {
			n := phraseAt(norm, i, kind.words)
			if n == 0 {
				continue
			}
			v, end, ok := amountAt(norm, i+n, currency)
			if !ok {
				continue
			}
			kind.set(v)
			out.Applied = append(out.Applied, AppliedFilter{Name: kind.name, Value: strconv.FormatInt(v, 10), From: words(i, end)})
			markUsed(used, i, end)
			break
		}
	}
	// Sizes and colours the store uses.
	for i := 0; i < len(norm); i++ {
		if used[i] {
			continue
		}
		if sizeWords[norm[i]] && i+1 < len(norm) {
			if v, ok := storeValue(values, "size", norm[i+1]); ok {
				out.setOption("size", v, words(i, i+2))
				markUsed(used, i, i+2)
				continue
			}
		}
		if c, ok := colours[norm[i]]; ok {
			if v, ok := colourValue(values, c); ok {
				out.setOption("colour", v, raw[i])
				used[i] = true
				continue
			}
		}
		if v, ok := storeValue(values, "size", norm[i]); ok && looksLikeSize(norm[i]) {
			out.setOption("size", v, raw[i])
			used[i] = true
		}
	}
	var rest []string
	for i, w := range raw {
		if !used[i] {
			rest = append(rest, w)
		}
	}
	out.Text = strings.Join(rest, " ")
	return out
}

func (u *Understood) setOption(name, value, from string) {
	if _, ok := u.Options[name]; ok {
		return // the first one asked for wins
	}
	u.Options[name] = value
	u.Applied = append(u.Applied, AppliedFilter{Name: name, Value: value, From: from})
}

func markUsed(used []bool, i, j int) {
	for k := i; k < j; k++ {
		used[k] = true
	}
}

// phraseAt is how many words of one of phrases start at norm[i] (0: none).
func phraseAt(norm []string, i int, phrases [][]string) int {
next:
	for _, p := range phrases {
		if i+len(p) > len(norm) {
			continue
		}
		for k, w := range p {
			if norm[i+k] != w {
				continue next
			}
		}
		return len(p)
	}
	return 0
}

// amountAt reads an amount at norm[i] ("200", "199.5", "200sar"), with a
// currency word before or after it; it returns the amount in minor units
// and where the words it used end.
func amountAt(norm []string, i int, currency string) (int64, int, bool) {
	if i < len(norm) && currencyWords[norm[i]] {
		i++
	}
	if i >= len(norm) {
		return 0, i, false
	}
	s := strings.TrimRightFunc(norm[i], func(r rune) bool { return r < '0' || r > '9' })
	suffix := strings.TrimPrefix(norm[i], s)
	if suffix != "" && !currencyWords[suffix] {
		return 0, i, false
	}
	a, err := money.Parse(s, currency)
	if err != nil || a.Minor <= 0 {
		return 0, i, false
	}
	end := i + 1
	if end < len(norm) && currencyWords[norm[end]] {
		end++
	}
	return a.Minor, end, true
}

// priceRange reads "between A and B" / "بين A و B" / "من A الى B".
func priceRange(norm []string, i int, currency string) (lo, hi int64, end int, ok bool) {
	var joiners map[string]bool
	switch norm[i] {
	case "between":
		joiners = map[string]bool{"and": true, "-": true, "to": true}
	case "بين", "من":
		joiners = map[string]bool{"و": true, "الي": true, "-": true, "حتي": true}
	default:
		return 0, 0, i, false
	}
	lo, j, ok := amountAt(norm, i+1, currency)
	if !ok || j >= len(norm) || !joiners[norm[j]] {
		return 0, 0, i, false
	}
	hi, end, ok = amountAt(norm, j+1, currency)
	if !ok || hi < lo {
		return 0, 0, i, false
	}
	return lo, hi, end, true
}

// storeValue finds the store's value of option equal to word (either
// language, normalised), as the store writes it (English first).
func storeValue(values []OptionValue, option, word string) (string, bool) {
	for _, v := range values {
		if v.Option != option {
			continue
		}
		if arabic.Normalize(arabic.DigitsToASCII(v.EN)) == word || arabic.Normalize(arabic.DigitsToASCII(v.AR)) == word {
			return firstNonEmpty(v.EN, v.AR), true
		}
	}
	return "", false
}

// colourValue finds the store's colour that is colour c in either language.
func colourValue(values []OptionValue, c string) (string, bool) {
	for _, v := range values {
		if v.Option != "colour" {
			continue
		}
		if colours[arabic.Normalize(v.EN)] == c || colours[arabic.Normalize(v.AR)] == c {
			return firstNonEmpty(v.EN, v.AR), true
		}
	}
	return "", false
}

// looksLikeSize keeps a bare word from becoming a size unless it reads like
// one (S, M, XL, 3XL, 52): "m" alone is a size only when the store sells M.
func looksLikeSize(w string) bool {
	switch strings.TrimLeft(w, "0123456789") {
	case "xs", "s", "m", "l", "xl", "xxl", "xxxl":
		return true
	case "":
		return len(w) <= 3
	}
	return false
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Option kinds: whatever a store calls its size and colour options
// (Size, المقاس, Color, اللون), a filter names them size and colour; any
// other option goes by its normalised name.
var optionKinds = func() map[string]string {
	m := map[string]string{}
	for kind, names := range map[string][]string{
		"size":   {"size", "sizes", "مقاس", "المقاس", "مقاسات", "قياس", "القياس", "سايز"},
		"colour": {"colour", "color", "colours", "colors", "لون", "اللون", "الالوان"},
	} {
		for _, n := range names {
			m[arabic.Normalize(n)] = kind
		}
	}
	return m
}()

// optionKind is the filter name of an option named name.
func optionKind(name string) string {
	n := arabic.Normalize(strings.TrimSpace(name))
	if k, ok := optionKinds[n]; ok {
		return k
	}
	return n
}

// filterValue is how a filter writes an option's value: the store's value
// (its first language) normalised.
func filterValue(value, valueAR string) string {
	return arabic.Normalize(arabic.DigitsToASCII(strings.TrimSpace(firstNonEmpty(value, valueAR))))
}

// optionTokens are the filter tokens of variants ("size=m",
// "colour=black"), each once, sorted.
func optionTokens(vs []variantRow) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vs {
		for _, o := range v.Options {
			t := optionKind(o.Name) + "=" + filterValue(o.Value, o.ValueAR)
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	sort.Strings(out)
	return out
}

// filterTokens are the tokens a product must carry for the options asked
// for, sorted (stable cache keys).
func filterTokens(options map[string]string) []string {
	out := make([]string, 0, len(options))
	for k, v := range options {
		if strings.TrimSpace(v) == "" {
			continue
		}
		out = append(out, optionKind(k)+"="+filterValue(v, ""))
	}
	sort.Strings(out)
	return out
}

func emptyIfNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Facets are what a store's products can be filtered by: their brands and
// the values of their variants' options, in both languages.
type Facets struct {
	Brands  []string
	Options []OptionValue
}

// Values returns the facet's values of an option kind (size, colour).
func (f Facets) Values(kind string) []OptionValue {
	var out []OptionValue
	for _, v := range f.Options {
		if v.Option == kind {
			out = append(out, v)
		}
	}
	return out
}

// apply reads q.Q for constraints with the store's facets (unless q.Literal
// says to keep them as words) and returns the query to run: the words left
// as Q, the derived price bounds and options added where the caller set
// none, and the filters derived.
func (q Query) apply(f Facets, currency string) (Query, []AppliedFilter) {
	if !q.Understand || strings.TrimSpace(q.Q) == "" || q.Literal == "all" {
		return q, nil
	}
	u := Understand(q.Q, currency, f.Options)
	keep := map[string]bool{}
	for _, n := range strings.Split(q.Literal, ",") {
		keep[strings.TrimSpace(n)] = true
	}
	out := q
	out.Options = make(map[string]string, len(q.Options)+len(u.Options))
	for k, v := range q.Options {
		out.Options[k] = v
	}
	var applied []AppliedFilter
	var kept []string
	for _, a := range u.Applied {
		if keep[a.Name] {
			kept = append(kept, a.From)
			continue
		}
		switch a.Name {
		case "min_price":
			if q.MinPrice != nil {
				kept = append(kept, a.From)
				continue
			}
			out.MinPrice = u.MinPrice
		case "max_price":
			if q.MaxPrice != nil {
				kept = append(kept, a.From)
				continue
			}
			out.MaxPrice = u.MaxPrice
		default:
			if _, set := q.Options[a.Name]; set {
				kept = append(kept, a.From)
				continue
			}
			out.Options[a.Name] = a.Value
		}
		applied = append(applied, a)
	}
	if len(applied) == 0 {
		return q, nil
	}
	// A range's two bounds share their words: keep them once.
	out.Q = strings.TrimSpace(strings.Join(append(dedupeStrings(kept), u.Text), " "))
	return out, applied
}

func dedupeStrings(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
