package feed

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
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
	"concierge/internal/input"
	"concierge/internal/money"
)

// Errors of Parse for a file that cannot be read as a whole. Each is
// wrapped with the detail, e.g. `the header row is unusable: missing
// required column "price"`; the catalog module reports them as invalid.
var (
	ErrEmpty          = errors.New("the file is empty")
	ErrFormat         = errors.New("the file is not in a supported feed format")
	ErrEncoding       = errors.New("the file is not UTF-8 text")
	ErrHeader         = errors.New("the header row is unusable")
	ErrSyntax         = errors.New("the file is malformed")
	ErrTooManyItems   = errors.New("the feed has too many items")
	ErrTooManyRejects = errors.New("the feed has too many rejected rows")
	ErrOptions        = errors.New("invalid feed options")
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
// error only when the file as a whole cannot be read: unknown format,
// empty, not UTF-8 (UTF-16 with a byte order mark, as Excel's "Unicode
// text" writes, is converted), an unusable header, broken JSON or XML, a
// quote that is never closed, more than MaxRejects rejects, more items
// than opt.MaxItems, or a read error. It does not return partial results
// with an error, so a truncated file never looks like a shorter catalog.
//
// Parse streams: it holds the items, the rejects and one row at a time.
func Parse(r io.Reader, f Format, opt Options) (Result, error) {
	if opt.DefaultCurrency != "" && !money.Valid(opt.DefaultCurrency) {
		return Result{}, fmt.Errorf("%w: default currency %q is not an ISO 4217 code", ErrOptions, opt.DefaultCurrency)
	}
	if opt.MaxItems < 0 {
		return Result{}, fmt.Errorf("%w: MaxItems %d is negative", ErrOptions, opt.MaxItems)
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	br := decode(r)
	head, err := br.Peek(headSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return Result{}, fmt.Errorf("feed: reading: %w", err)
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return Result{}, ErrEmpty
	}
	if !validPrefix(head, len(head) < headSize) || bytes.IndexByte(head, 0) >= 0 {
		return Result{}, fmt.Errorf(`%w (in Excel, save as "CSV UTF-8")`, ErrEncoding)
	}
	switch f {
	case FormatAuto:
		if f = detectContent(head); f == FormatAuto {
			return Result{}, fmt.Errorf("%w: it is neither CSV, TSV, JSON nor XML", ErrFormat)
		}
	case FormatCSV, FormatTSV, FormatJSON, FormatGoogleTSV, FormatGoogleXML:
	default:
		return Result{}, fmt.Errorf("%w: unknown format %q", ErrFormat, f)
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
func (c *collector) take(it Item, reason string) error {
	if reason == "" {
		flatten(&it)
		reason = c.check(it)
	}
	if it.SKU != "" {
		if first, ok := c.seen[it.SKU]; ok {
			reason = fmt.Sprintf("duplicate SKU %q (first on line %d)", it.SKU, first)
		} else {
			c.seen[strings.Clone(it.SKU)] = it.Line
		}
	}
	if reason != "" {
		return c.reject(it.Line, it.SKU, reason)
	}
	if c.opt.MaxItems > 0 && len(c.res.Items) >= c.opt.MaxItems {
		return fmt.Errorf("%w: more than %d (line %d)", ErrTooManyItems, c.opt.MaxItems, it.Line)
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
func (c *collector) check(it Item) string {
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
			return fmt.Sprintf("%s %s", t.col, err)
		}
	}
	if c.opt.HTTPSOnly {
		if it.Link != "" && input.WebURL(it.Link, false) != nil {
			return fmt.Sprintf("link %q must start with https://", it.Link)
		}
		for _, img := range it.Images {
			if input.WebURL(img.URL, false) != nil {
				return fmt.Sprintf("picture %q must start with https://", img.URL)
			}
		}
	}
	return ""
}

// reject records a row that is not an item.
func (c *collector) reject(line int, sku, reason string) error {
	if len(c.res.Rejects) >= MaxRejects {
		first := c.res.Rejects[0]
		return fmt.Errorf("%w: more than %d; the first, on line %d: %s", ErrTooManyRejects, MaxRejects, first.Line, first.Reason)
	}
	if !utf8.ValidString(sku) || utf8.RuneCountInString(sku) > maxIDLen || strings.ContainsFunc(sku, unicode.IsControl) {
		sku = "" // not a SKU worth echoing
	}
	c.res.Rejects = append(c.res.Rejects, Reject{Line: line, SKU: strings.Clone(sku), Reason: reason})
	return nil
}

// Row checks shared by the formats. Each returns a reason naming the
// column, or "".

// maxIDLen is the longest SKU or group id, in characters.
const maxIDLen = 64

// checkID checks a SKU or group id: at most 64 characters, no control
// characters. Required-ness is the caller's.
func checkID(col, v string) string {
	switch {
	case utf8.RuneCountInString(v) > maxIDLen:
		return fmt.Sprintf("%s is longer than %d characters", col, maxIDLen)
	case strings.ContainsFunc(v, unicode.IsControl):
		return fmt.Sprintf("%s %q contains a control character", col, v)
	}
	return ""
}

// MaxCount is the largest stock or weight a row may give (the columns are
// 32-bit integers).
const MaxCount = math.MaxInt32

// parseCount reads a whole number from 0 to MaxCount (stock, grams). Empty:
// ok false.
func parseCount(col, v string) (n int, ok bool, reason string) {
	if v == "" {
		return 0, false, ""
	}
	n, err := strconv.Atoi(strings.TrimPrefix(arabic.DigitsToASCII(v), "+"))
	switch {
	case errors.Is(err, strconv.ErrRange) || err == nil && n > MaxCount:
		return 0, false, fmt.Sprintf("%s %q is too large (at most %d)", col, v, MaxCount)
	case err != nil:
		return 0, false, fmt.Sprintf("%s %q is not a whole number", col, v)
	case n < 0:
		return 0, false, fmt.Sprintf("%s %q must not be negative", col, v)
	}
	return n, true, ""
}

// checkURL checks an absolute http(s) URL.
func checkURL(col, v string) string {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%s %q is not an http(s) URL", col, v)
	}
	return ""
}

// priceReason turns a money error into a reason naming the column.
func priceReason(col string, err error) string {
	return col + " " + err.Error()
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
func (p prices) resolve(def string) (price, compareAt int64, cur, reason string) {
	if p.currency != "" {
		cur = strings.ToUpper(p.currency)
		if !money.Valid(cur) {
			return 0, 0, "", fmt.Sprintf("%s %q is not an ISO 4217 currency code", p.currencyCol, p.currency)
		}
		def = cur
	}
	a, reason := p.amount(p.priceCol, p.price, p.priceMinor, def, true)
	if reason != "" {
		return 0, 0, "", reason
	}
	if cur != "" && a.Currency != cur {
		return 0, 0, "", fmt.Sprintf("%s is in %s but %s is %s", p.priceCol, a.Currency, p.currencyCol, cur)
	}
	ca, reason := p.amount(p.compareCol, p.compareAt, p.compareMinor, a.Currency, false)
	switch {
	case reason != "":
		return 0, 0, "", reason
	case ca.Minor != 0 && ca.Currency != a.Currency:
		return 0, 0, "", fmt.Sprintf("%s is in %s but %s is in %s", p.compareCol, ca.Currency, p.priceCol, a.Currency)
	case ca.Minor != 0 && ca.Minor <= a.Minor:
		return 0, 0, "", fmt.Sprintf("%s must be greater than %s", p.compareCol, p.priceCol)
	}
	return a.Minor, ca.Minor, a.Currency, ""
}

// amount reads one price from its decimal text or its minor-units text.
func (p prices) amount(col, text, minor, cur string, required bool) (money.Amount, string) {
	switch {
	case text != "" && minor != "":
		return money.Amount{}, fmt.Sprintf("%s and %s_minor are both set; use one", col, col)
	case minor != "":
		if cur == "" {
			return money.Amount{}, fmt.Sprintf("%s_minor needs a currency and no default currency is set", col)
		}
		n, err := strconv.ParseInt(minor, 10, 64)
		switch {
		case errors.Is(err, strconv.ErrRange):
			return money.Amount{}, fmt.Sprintf("%s_minor %s is too large", col, minor)
		case err != nil:
			return money.Amount{}, fmt.Sprintf("%s_minor %s is not a whole number", col, minor)
		case n < 0:
			return money.Amount{}, fmt.Sprintf("%s_minor %s must not be negative", col, minor)
		}
		return money.Amount{Minor: n, Currency: cur}, ""
	case text == "":
		if required {
			return money.Amount{}, col + " is required"
		}
		return money.Amount{}, ""
	}
	a, err := money.Parse(text, cur)
	if err != nil {
		return money.Amount{}, priceReason(col, err)
	}
	return a, ""
}

// splitPath splits a category path "Women > Abayas" into trimmed levels;
// empty levels are an error.
func splitPath(col, path string) ([]string, string) {
	levels := strings.Split(path, ">")
	for i, l := range levels {
		levels[i] = strings.TrimSpace(l)
		if levels[i] == "" {
			return nil, fmt.Sprintf("%s %q has an empty category level", col, path)
		}
	}
	return levels, ""
}

// byScript makes a category level of name in Arabic or English by its
// script.
func byScript(name string) CategoryName {
	if arabic.IsArabic(name) {
		return CategoryName{AR: name}
	}
	return CategoryName{EN: name}
}
