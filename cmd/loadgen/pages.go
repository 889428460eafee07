package main

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The storefront scenarios: the server-rendered pages a browser asks for,
// with a browser's Accept and Accept-Encoding (the product gzips a page for
// a client that takes it; loadgen never unpacks it, so the sizes reported
// are what went over the wire). No cookies are sent: every request is a
// first visit (a new CSRF token and session cookie each time).
//
//   - page-home: GET / (the Arabic home page) on the demo tenant (-host).
//   - page-product: GET /products/{slug} on the demo tenant, rotating over
//     the same demo products as the product scenario.
//   - page-search: GET /search?q=…&max=… on the large catalog's tenant
//     (-search-host), with the same queries and price ceilings as the JSON
//     search scenario (nextSearch), the ceiling in the form's major units:
//     one run compares GET /api/v1/products?q= with the page that shows it.
const (
	pageHomeScenario    = "page-home"
	pageProductScenario = "page-product"
	pageSearchScenario  = "page-search"
)

// Browser request headers (a current Chrome's).
const (
	browserAccept         = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	browserAcceptEncoding = "gzip, deflate, br, zstd"
	browserAcceptLanguage = "ar-SA,ar;q=0.9,en;q=0.8"
)

// browse sets a browser's headers on a page request.
func browse(t *vegeta.Target) {
	t.Header.Set("Accept", browserAccept)
	t.Header.Set("Accept-Encoding", browserAcceptEncoding)
	t.Header.Set("Accept-Language", browserAcceptLanguage)
}

func newPageHomeRequest(config) (Request, error) {
	return func(t *vegeta.Target) error {
		browse(t)
		return nil
	}, nil
}

func newPageProductRequest(cfg config) (Request, error) {
	next, err := newProductRequest(cfg)
	if err != nil {
		return nil, err
	}
	return func(t *vegeta.Target) error {
		browse(t)
		return next(t)
	}, nil
}

func newPageSearchRequest(cfg config) (Request, error) {
	return func(t *vegeta.Target) error {
		browse(t)
		t.URL = pageSearchURL(t.URL, nextSearch(rand.IntN))
		t.Header.Set("Host", cfg.searchHost)
		return nil
	}, nil
}

// ---- the searches, shared by search and page-search ----

// perPage is the storefront's page size (storefront/pages.go): the JSON
// search asks for as many products, so both routes read the same page.
const perPage = 24

// aSearch is one customer search: the words typed and, unless the words
// carry a price bound of their own, a price ceiling (minor units, whole
// riyals) as the filter would set it; 0: none.
type aSearch struct {
	q       string
	ceiling int64
}

// searchTemplates are searches with constraints in their words (sizes,
// colours, price bounds: the product reads them as filters), filled in with
// values drawn per request, so that they are many distinct queries rather
// than a few cached ones. %[1]s is a colour (in Arabic: the feminine form),
// %[2]s a size, %[3]s an amount in ASCII digits, %[4]s the same amount in
// Arabic-Indic digits, %[5]s a colour in its Arabic masculine form. A
// template with an amount gets no ceiling: its words bound the price.
var searchTemplates = []string{
	"%[1]s abaya size %[2]s", "abaya %[1]s size %[2]s", "%[1]s dress size %[2]s", "kaftan %[1]s %[2]s",
	"عباية %[1]s مقاس %[2]s", "فستان %[5]s مقاس %[2]s", "جلابيه %[1]s مقاس %[2]s", "ثوب %[5]s",
	"abaya under %[3]s", "perfume under %[3]s sar", "smart watch below %[3]s", "black abaya under %[3]s",
	"earbuds less than %[3]s", "handbag over %[3]s", "oud between 100 and %[3]s",
	"عطر أقل من %[4]s", "عباية تحت %[4]s ريال", "ساعة ذكية أقل من %[4]s", "شنطة فوق %[4]s", "بخور اقل من %[3]s",
}

// The values the templates draw from: colours in both languages (the
// template's language picks which), apparel sizes, amounts in riyals.
var (
	templateColoursEN = []string{"black", "white", "navy", "beige", "grey", "brown", "green", "blue", "pink", "red"}
	templateColoursAR = []string{"سوداء", "بيضاء", "كحلية", "بيج", "رمادية", "بنية", "خضراء", "زرقاء", "وردية", "حمراء"}
	templateColoursM  = []string{"أسود", "أبيض", "كحلي", "بيج", "رمادي", "بني", "أخضر", "أزرق", "وردي", "أحمر"}
	templateSizes     = []string{"XS", "S", "M", "L", "XL", "XXL"}
)

// searchExamples are the examples, always in the mix as written.
var searchExamples = []string{"عباية سوداء مقاس M", "black abaya size M", "abaya under 200", "عطر أقل من ٣٠٠"}

// nextSearch draws a search: a plain query from searchQueries (two in
// three), an example or a filled template; with a random ceiling of 50 to
// 5,049 riyals unless its words bound the price. intN is rand.IntN (or a
// seeded source in tests).
func nextSearch(intN func(int) int) aSearch {
	n := len(searchQueries)
	switch k := intN(3 * n); {
	case k < 2*n:
		return aSearch{q: searchQueries[k%n], ceiling: randomCeiling(intN)}
	case k < 2*n+len(searchExamples):
		q := searchExamples[k-2*n]
		return aSearch{q: q, ceiling: ceilingUnlessPriced(q, intN)}
	default:
		return fillTemplate(searchTemplates[intN(len(searchTemplates))], intN)
	}
}

// randomCeiling is the search scenario's ceiling: 5,000 to 504,900 minor
// units, in steps of one riyal.
func randomCeiling(intN func(int) int) int64 { return int64(5000 + 100*intN(5000)) }

func ceilingUnlessPriced(q string, intN func(int) int) int64 {
	if pricedWords(q) {
		return 0
	}
	return randomCeiling(intN)
}

// pricedWords reports whether q bounds the price in its words (it has a
// number that is not a size).
func pricedWords(q string) bool {
	for _, w := range strings.Fields(q) {
		if len(w) >= 2 && strings.IndexFunc(w, func(r rune) bool { return !isDigit(r) }) < 0 {
			return true
		}
	}
	return false
}

func isDigit(r rune) bool { return (r >= '0' && r <= '9') || (r >= '٠' && r <= '٩') }

func fillTemplate(tmpl string, intN func(int) int) aSearch {
	c := intN(len(templateColoursEN))
	colour := templateColoursEN[c]
	if !isLatin(tmpl) {
		colour = templateColoursAR[c]
	}
	size := templateSizes[intN(len(templateSizes))]
	amount := 50 + 10*intN(296) // 50 to 3,000 riyals
	q := fmt.Sprintf(tmpl, colour, size, strconv.Itoa(amount), arabicDigits(amount), templateColoursM[c])
	return aSearch{q: q, ceiling: ceilingUnlessPriced(q, intN)}
}

// isLatin reports whether s starts with a Latin letter (the template's
// language).
func isLatin(s string) bool {
	for _, r := range s {
		if r == '%' || r == '[' || r == ']' || (r >= '0' && r <= '9') || r == ' ' {
			continue
		}
		return r < 0x80
	}
	return true
}

// arabicDigits writes n in Arabic-Indic digits (٣٠٠).
func arabicDigits(n int) string {
	var b strings.Builder
	for _, r := range strconv.Itoa(n) {
		b.WriteRune('٠' + (r - '0'))
	}
	return b.String()
}

// apiSearchURL is the JSON search of s below base (its query dropped).
func apiSearchURL(base string, s aSearch) string {
	q := url.Values{}
	q.Set("q", s.q)
	if s.ceiling > 0 {
		q.Set("max_price", strconv.FormatInt(s.ceiling, 10))
	}
	q.Set("limit", strconv.Itoa(perPage))
	path, _, _ := strings.Cut(base, "?")
	return path + "?" + q.Encode()
}

// pageSearchURL is the search page of s below base (its query dropped):
// the form's max is in riyals.
func pageSearchURL(base string, s aSearch) string {
	q := url.Values{}
	q.Set("q", s.q)
	if s.ceiling > 0 {
		q.Set("max", strconv.FormatInt(s.ceiling/100, 10))
	}
	path, _, _ := strings.Cut(base, "?")
	return path + "?" + q.Encode()
}
