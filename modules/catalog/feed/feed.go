package feed

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"concierge/internal/arabic"
	"concierge/internal/errs"
	"concierge/internal/input"
	"concierge/internal/money"
)

// Kinds of the errors of Parse for a file that cannot be read as a whole.
// Parse returns an *Error of one of these kinds (errors.Is), whose messages
// say what is wrong in the reader's language, e.g. `the header row is
// unusable: missing required column "price"`.
var (
	ErrEmpty          = errors.New("feed: empty file")
	ErrFormat         = errors.New("feed: unsupported format")
	ErrEncoding       = errors.New("feed: not UTF-8")
	ErrHeader         = errors.New("feed: unusable header")
	ErrSyntax         = errors.New("feed: malformed file")
	ErrTooManyItems   = errors.New("feed: too many items")
	ErrTooManyRejects = errors.New("feed: too many rejected rows")
	ErrOptions        = errors.New("feed: invalid options")
	ErrRead           = errors.New("feed: read error")
)

// MaxRejects is the number of rejected rows after which Parse gives up on a
// file with ErrTooManyRejects: such a file is in the wrong format or
// broken throughout, and holding its rejects would cost as much as its items.
const MaxRejects = 10000

// Options are the settings of one Parse.
type Options struct {
	// DefaultCurrency is the currency of prices that name none (the
	// tenant's currency, "SAR"). Empty: such prices are rejected.
	DefaultCurrency string
	// MaxItems is the most items a feed may have (the tenant's plan
	// limit); a longer feed fails with ErrTooManyItems as soon as the
	// item after the last allowed one is read. 0: no limit.
	MaxItems int
	// Now is the time a Google sale_price_effective_date is compared
	// with. Zero: time.Now().
	Now time.Time
	// HTTPSOnly refuses rows whose link or pictures are http:// (production:
	// the storefront is https and a browser will not load them). Links of any
	// scheme but http(s) are always refused.
	HTTPSOnly bool
}

// headSize is how much of a file Parse reads ahead to detect its format
// and encoding.
const headSize = 64 << 10

// Parse reads a feed of format f (FormatAuto: detect it from the content
// with Detect) into items and rejected rows, in file order.
//
// A row that cannot become an item is a Reject with its line and a reason
// naming the column; the other rows still become items. Parse returns an
// error (an *Error) only when the file as a whole cannot be read: unknown format,
// empty, not UTF-8 (UTF-16 with a byte order mark, as Excel's "Unicode
// text" writes, is converted), an unusable header, broken JSON or XML, a
// quote that is never closed, more than MaxRejects rejects, more items
// than opt.MaxItems, or a read error. It does not return partial results
// with an error, so a truncated file never looks like a shorter catalog.
//
// Parse streams: it holds the items, the rejects and one row at a time.
func Parse(r io.Reader, f Format, opt Options) (Result, error) {
	if opt.DefaultCurrency != "" && !money.Valid(opt.DefaultCurrency) {
		return Result{}, fileErr(ErrOptions, "options_currency", "currency", q(opt.DefaultCurrency))
	}
	if opt.MaxItems < 0 {
		return Result{}, fileErr(ErrOptions, "options_max_items", "max", opt.MaxItems)
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	br := decode(r)
	head, err := br.Peek(headSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return Result{}, readErr(err)
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return Result{}, fileErr(ErrEmpty, "empty")
	}
	if !validPrefix(head, len(head) < headSize) || bytes.IndexByte(head, 0) >= 0 {
		return Result{}, fileErr(ErrEncoding, "encoding")
	}
	switch f {
	case FormatAuto:
		if f = detectContent(head); f == FormatAuto {
			return Result{}, fileErr(ErrFormat, "format_content")
		}
	case FormatCSV, FormatTSV, FormatJSON, FormatGoogleTSV, FormatGoogleXML:
	default:
		return Result{}, fileErr(ErrFormat, "format_name", "format", q(string(f)))
	}

	c := &collector{opt: opt, res: Result{Format: f}, seen: make(map[string]int)}
	switch f {
	case FormatCSV:
		err = parseConcierge(br, ',', c)
	case FormatTSV:
		err = parseConcierge(br, '\t', c)
	case FormatJSON:
		err = parseJSON(br, c)
	case FormatGoogleTSV:
		err = parseGoogleTable(br, c)
	case FormatGoogleXML:
		err = parseGoogleXML(br, c)
	}
	if err != nil {
		return Result{}, err
	}
	return c.res, nil
}

// decode returns r as UTF-8 without a byte order mark: UTF-16 with a BOM
// is converted, a UTF-8 BOM is dropped.
func decode(r io.Reader) *bufio.Reader {
	br := bufio.NewReaderSize(r, headSize)
	bom, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(bom, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(bom, []byte{0xFF, 0xFE}), bytes.HasPrefix(bom, []byte{0xFE, 0xFF}):
		dec := xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder()
		br = bufio.NewReaderSize(transform.NewReader(br, dec), headSize)
	}
	return br
}

// validPrefix reports whether b is UTF-8, allowing a rune cut at the end
// when b is not the whole file.
func validPrefix(b []byte, whole bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if whole {
		return false
	}
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		if utf8.Valid(b[:len(b)-i]) {
			return true
		}
	}
	return false
}

// collector gathers items and rejects, enforces unique SKUs and the limits.
type collector struct {
	opt  Options
	res  Result
	seen map[string]int // SKU → line of its first row
}

// take records one row: it as an item when reason is empty, else a reject.
// A SKU seen on an earlier row (item or reject) makes the row a duplicate
// whatever else is wrong with it.
func (c *collector) take(it Item, reason errs.Message) error {
	if reason.ID == "" {
		flatten(&it)
		reason = c.check(it)
	}
	if it.SKU != "" {
		if first, ok := c.seen[it.SKU]; ok {
			reason = because("duplicate_sku", "sku", q(it.SKU), "line", first)
		} else {
			c.seen[strings.Clone(it.SKU)] = it.Line
		}
	}
	if reason.ID != "" {
		return c.reject(it.Line, it.SKU, reason)
	}
	if c.opt.MaxItems > 0 && len(c.res.Items) >= c.opt.MaxItems {
		return fileErr(ErrTooManyItems, "too_many_items", "max", c.opt.MaxItems, "line", it.Line)
	}
	c.res.Items = append(c.res.Items, it)
	return nil
}

// flatten turns tabs and line breaks in the one-line texts of a row into
// spaces: spreadsheets let a cell hold a line break (Alt+Enter), and a
// title with one is still a good title. Identifiers (SKU, group id, slug)
// and links are left as they are, so check refuses them.
func flatten(it *Item) {
	one := func(s *string) {
		if strings.ContainsAny(*s, "\t\r\n") {
			*s = strings.Join(strings.FieldsFunc(*s, func(r rune) bool { return r == '\t' || r == '\r' || r == '\n' }), " ")
			*s = strings.TrimSpace(*s)
		}
	}
	for _, p := range []*string{&it.TitleAR, &it.TitleEN, &it.Brand} {
		one(p)
	}
	for i := range it.Categories {
		for j := range it.Categories[i] {
			one(&it.Categories[i][j].AR)
			one(&it.Categories[i][j].EN)
		}
	}
	for i := range it.Options {
		o := &it.Options[i]
		one(&o.Name)
		one(&o.Value)
		one(&o.NameAR)
		one(&o.ValueAR)
	}
	for i := range it.Images {
		one(&it.Images[i].AltAR)
		one(&it.Images[i].AltEN)
	}
	for k, v := range it.Attributes {
		if nk, nv := k, v; strings.ContainsAny(k+v, "\t\r\n") {
			one(&nk)
			one(&nv)
			delete(it.Attributes, k)
			it.Attributes[nk] = nv
		}
	}
}

// check applies the rules every text and link of the product has, whatever
// the format (see the input package): valid UTF-8 without control
// characters — descriptions may hold tabs and line breaks, nothing else may
// — and links that a browser may open.
func (c *collector) check(it Item) errs.Message {
	type text struct {
		col  string
		v    string
		mode input.Mode
	}
	texts := []text{{"sku", it.SKU, input.SingleLine}, {"group_id", it.GroupID, input.SingleLine},
		{"title_ar", it.TitleAR, input.SingleLine}, {"title_en", it.TitleEN, input.SingleLine},
		{"description_ar", it.DescriptionAR, input.MultiLine}, {"description_en", it.DescriptionEN, input.MultiLine},
		{"slug", it.Slug, input.SingleLine}, {"brand", it.Brand, input.SingleLine}, {"status", it.Status, input.SingleLine},
		{"link", it.Link, input.SingleLine}}
	for _, path := range it.Categories {
		for _, level := range path {
			texts = append(texts, text{"categories", level.AR, input.SingleLine}, text{"categories", level.EN, input.SingleLine})
		}
	}
	for _, o := range it.Options {
		texts = append(texts, text{"options", o.Name, input.SingleLine}, text{"options", o.Value, input.SingleLine},
			text{"options", o.NameAR, input.SingleLine}, text{"options", o.ValueAR, input.SingleLine})
	}
	for _, img := range it.Images {
		texts = append(texts, text{"images", img.URL, input.SingleLine}, text{"images", img.AltAR, input.SingleLine},
			text{"images", img.AltEN, input.SingleLine})
	}
	for k, v := range it.Attributes {
		texts = append(texts, text{"attributes", k, input.SingleLine}, text{"attributes", v, input.SingleLine})
	}
	for _, t := range texts {
		if err := input.Check(t.v, t.mode); err != nil {
			return textReason(t.col, err)
		}
	}
	if c.opt.HTTPSOnly {
		if it.Link != "" && input.WebURL(it.Link, false) != nil {
			return because("link_https", "value", q(it.Link))
		}
		for _, img := range it.Images {
			if input.WebURL(img.URL, false) != nil {
				return because("picture_https", "value", q(img.URL))
			}
		}
	}
	return none
}

// reject records a row that is not an item.
func (c *collector) reject(line int, sku string, reason errs.Message) error {
	if len(c.res.Rejects) >= MaxRejects {
		first := c.res.Rejects[0]
		e := fileErr(ErrTooManyRejects, "too_many_rejects", "max", MaxRejects, "line", first.Line)
		e.Detail = &first.Reason
		return e
	}
	if !utf8.ValidString(sku) || utf8.RuneCountInString(sku) > maxIDLen || strings.ContainsFunc(sku, unicode.IsControl) {
		sku = "" // not a SKU worth echoing
	}
	c.res.Rejects = append(c.res.Rejects, Reject{Line: line, SKU: strings.Clone(sku), Reason: reason})
	return nil
}

// Row checks shared by the formats. Each returns a reason naming the
// column, or none.

// maxIDLen is the longest SKU or group id, in characters.
const maxIDLen = 64

// checkID checks a SKU or group id: at most 64 characters, no control
// characters. Required-ness is the caller's.
func checkID(col, v string) errs.Message {
	switch {
	case utf8.RuneCountInString(v) > maxIDLen:
		return because("id_too_long", "column", col, "max", maxIDLen)
	case strings.ContainsFunc(v, unicode.IsControl):
		return because("id_control", "column", col, "value", q(v))
	}
	return none
}

// MaxCount is the largest stock or weight a row may give (the columns are
// 32-bit integers).
const MaxCount = math.MaxInt32

// parseCount reads a whole number from 0 to MaxCount (stock, grams). Empty:
// ok false.
func parseCount(col, v string) (n int, ok bool, reason errs.Message) {
	if v == "" {
		return 0, false, none
	}
	n, err := strconv.Atoi(strings.TrimPrefix(arabic.DigitsToASCII(v), "+"))
	switch {
	case errors.Is(err, strconv.ErrRange) || err == nil && n > MaxCount:
		return 0, false, because("count_too_large", "column", col, "value", q(v), "max", MaxCount)
	case err != nil:
		return 0, false, because("not_whole", "column", col, "value", q(v))
	case n < 0:
		return 0, false, because("negative", "column", col, "value", q(v))
	}
	return n, true, none
}

// checkURL checks an absolute http(s) URL.
func checkURL(col, v string) errs.Message {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return because("not_url", "column", col, "value", q(v))
	}
	return none
}

// prices are a row's price fields, with the names of their columns for
// reasons.
type prices struct {
	priceCol, compareCol, currencyCol string
	price, compareAt, currency        string
	priceMinor, compareMinor          string // JSON price_minor forms, integer text
}

// resolve reads the price and compare-at price in minor units and their
// currency: the currency column, else the code written in the price, else
// def (Options.DefaultCurrency). A code in a price must agree with the
// column. A compare-at price of 0 (or none) means none; otherwise it must
// exceed the price.
func (p prices) resolve(def string) (price, compareAt int64, cur string, reason errs.Message) {
	if p.currency != "" {
		cur = strings.ToUpper(p.currency)
		if !money.Valid(cur) {
			return 0, 0, "", because("currency_unknown", "column", p.currencyCol, "value", q(p.currency))
		}
		def = cur
	}
	a, reason := p.amount(p.priceCol, p.price, p.priceMinor, def, true)
	if reason.ID != "" {
		return 0, 0, "", reason
	}
	if cur != "" && a.Currency != cur {
		return 0, 0, "", because("currency_column", "column", p.priceCol, "currency", a.Currency, "currency_column", p.currencyCol, "expected", cur)
	}
	ca, reason := p.amount(p.compareCol, p.compareAt, p.compareMinor, a.Currency, false)
	switch {
	case reason.ID != "":
		return 0, 0, "", reason
	case ca.Minor != 0 && ca.Currency != a.Currency:
		return 0, 0, "", because("currency_mismatch", "column", p.compareCol, "currency", ca.Currency, "other_column", p.priceCol, "other_currency", a.Currency)
	case ca.Minor != 0 && ca.Minor <= a.Minor:
		return 0, 0, "", because("compare_not_greater", "column", p.compareCol, "other_column", p.priceCol)
	}
	return a.Minor, ca.Minor, a.Currency, none
}

// amount reads one price from its decimal text or its minor-units text.
func (p prices) amount(col, text, minor, cur string, required bool) (money.Amount, errs.Message) {
	minorCol := col + "_minor"
	switch {
	case text != "" && minor != "":
		return money.Amount{}, because("both_set", "column", col, "other", minorCol)
	case minor != "":
		if cur == "" {
			return money.Amount{}, because("minor_no_currency", "column", minorCol)
		}
		n, err := strconv.ParseInt(minor, 10, 64)
		switch {
		case errors.Is(err, strconv.ErrRange):
			return money.Amount{}, because("too_large", "column", minorCol, "value", minor)
		case err != nil:
			return money.Amount{}, because("not_whole", "column", minorCol, "value", minor)
		case n < 0:
			return money.Amount{}, because("negative", "column", minorCol, "value", minor)
		}
		return money.Amount{Minor: n, Currency: cur}, none
	case text == "":
		if required {
			return money.Amount{}, because("required", "column", col)
		}
		return money.Amount{}, none
	}
	a, err := money.Parse(text, cur)
	if err != nil {
		return money.Amount{}, priceReason(col, err)
	}
	return a, none
}

// splitPath splits a category path "Women > Abayas" into trimmed levels;
// empty levels are an error.
func splitPath(col, path string) ([]string, errs.Message) {
	levels := strings.Split(path, ">")
	for i, l := range levels {
		levels[i] = strings.TrimSpace(l)
		if levels[i] == "" {
			return nil, because("category_level_empty", "column", col, "value", q(path))
		}
	}
	return levels, none
}

// byScript makes a category level of name in Arabic or English by its
// script.
func byScript(name string) CategoryName {
	if arabic.IsArabic(name) {
		return CategoryName{AR: name}
	}
	return CategoryName{EN: name}
}
