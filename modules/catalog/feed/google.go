package feed

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"concierge/internal/arabic"
	"concierge/internal/errs"
	"concierge/internal/money"
)

// gfield is a field of the Google / Meta product feed.
type gfield int

// Google and Meta fields Concierge reads; others are ignored.
const (
	gNone gfield = iota
	gID
	gTitle
	gDescription
	gLink
	gImageLink
	gAdditionalImageLink
	gPrice
	gSalePrice
	gSalePriceEffectiveDate
	gAvailability
	gQuantityToSellOnFacebook
	gInventory
	gQuantity
	gBrand
	gItemGroupID
	gProductType
	gGoogleProductCategory
	gCondition
	gGTIN
	gMPN
	gMaterial
	gPattern
	gGender
	gAgeGroup
	gColor
	gSize
	gShippingWeight
	numGFields
)

// gfieldNames are the field names, by field.
var gfieldNames = [numGFields]string{
	"", "id", "title", "description", "link", "image_link", "additional_image_link",
	"price", "sale_price", "sale_price_effective_date",
	"availability", "quantity_to_sell_on_facebook", "inventory", "quantity",
	"brand", "item_group_id", "product_type", "google_product_category",
	"condition", "gtin", "mpn", "material", "pattern", "gender", "age_group",
	"color", "size", "shipping_weight",
}

func (f gfield) String() string { return gfieldNames[f] }

// gfieldOf returns the field of a name as headerName gives it, or gNone.
func gfieldOf(name string) gfield {
	for f := gID; f < numGFields; f++ {
		if gfieldNames[f] == name {
			return f
		}
	}
	return gNone
}

// repeated reports whether a field may appear more than once.
func (f gfield) repeated() bool { return f == gAdditionalImageLink || f == gProductType }

// gdraft is one Google / Meta item before validation.
type gdraft struct {
	line int
	v    [numGFields]string
	// The values of the repeated fields, in order.
	additionalImages, productTypes []string
	reason                         errs.Message
}

// set records a field's trimmed value.
func (g *gdraft) set(f gfield, v string) {
	switch f {
	case gNone:
	case gAdditionalImageLink:
		g.additionalImages = append(g.additionalImages, v)
	case gProductType:
		g.productTypes = append(g.productTypes, v)
	default:
		g.v[f] = v
	}
}

// gAttributes are the fields kept as attributes under their own name.
var gAttributes = []gfield{gCondition, gGTIN, gMPN, gMaterial, gPattern, gGender, gAgeGroup}

// build validates the item and returns it, or the item so far and the
// reason it is rejected.
func (g *gdraft) build(opt Options) (Item, errs.Message) {
	v := &g.v
	it := Item{Line: g.line, SKU: v[gID], GroupID: v[gItemGroupID], Brand: v[gBrand], Link: v[gLink]}
	if g.reason.ID != "" {
		return it, g.reason
	}
	if it.SKU == "" {
		return it, because("required", "column", "id")
	}
	if r := checkID("id", it.SKU); r.ID != "" {
		return it, r
	}
	if r := checkID("item_group_id", it.GroupID); r.ID != "" {
		return it, r
	}
	switch title := v[gTitle]; {
	case title == "":
		return it, because("required", "column", "title")
	case arabic.IsArabic(title):
		it.TitleAR, it.DescriptionAR = title, v[gDescription]
	default:
		it.TitleEN, it.DescriptionEN = title, v[gDescription]
	}
	var reason errs.Message
	if it.Price, it.CompareAt, it.Currency, reason = g.prices(opt); reason.ID != "" {
		return it, reason
	}
	attr := func(name, value string) {
		if value == "" {
			return
		}
		if it.Attributes == nil {
			it.Attributes = make(map[string]string)
		}
		it.Attributes[name] = value
	}
	switch a := strings.ReplaceAll(strings.ToLower(v[gAvailability]), "_", " "); a {
	case "out of stock":
		zero := 0
		it.Stock = &zero
	case "", "in stock", "preorder", "backorder":
		for _, f := range []gfield{gQuantityToSellOnFacebook, gInventory, gQuantity} {
			n, ok, reason := parseCount(f.String(), v[f])
			if reason.ID != "" {
				return it, reason
			}
			if ok {
				it.Stock = &n
				break
			}
		}
		if a == "preorder" || a == "backorder" {
			attr("availability", a)
		}
	default:
		return it, because("availability_invalid", "value", q(v[gAvailability]))
	}
	for _, pt := range g.productTypes {
		levels, reason := splitPath("product_type", pt)
		if reason.ID != "" {
			return it, reason
		}
		it.Categories = append(it.Categories, categoryPath(levels))
	}
	if gpc := v[gGoogleProductCategory]; gpc != "" {
		if len(g.productTypes) > 0 || !strings.ContainsFunc(gpc, isLetter) {
			attr("google_product_category", gpc) // a taxonomy id, or not needed
		} else {
			levels, reason := splitPath("google_product_category", gpc)
			if reason.ID != "" {
				return it, reason
			}
			it.Categories = [][]CategoryName{categoryPath(levels)}
		}
	}
	for _, f := range gAttributes {
		attr(f.String(), v[f])
	}
	for _, f := range []gfield{gColor, gSize} {
		switch {
		case v[f] == "":
		case it.GroupID != "":
			it.Options = append(it.Options, Option{Name: f.String(), Value: v[f]})
		default:
			attr(f.String(), v[f])
		}
	}
	if it.WeightGrams, reason = parseWeight("shipping_weight", v[gShippingWeight]); reason.ID != "" {
		return it, reason
	}
	if it.Link != "" {
		if r := checkURL("link", it.Link); r.ID != "" {
			return it, r
		}
	}
	if u := v[gImageLink]; u != "" {
		if r := checkURL("image_link", u); r.ID != "" {
			return it, r
		}
		it.Images = append(it.Images, Image{URL: u})
	}
	for _, u := range g.additionalImages {
		if r := checkURL("additional_image_link", u); r.ID != "" {
			return it, r
		}
		it.Images = append(it.Images, Image{URL: u})
	}
	return it, none
}

// prices reads price and sale_price: a sale price lower than the price,
// and in effect at opt.Now, becomes the price and the price the compare-at.
func (g *gdraft) prices(opt Options) (price, compareAt int64, cur string, reason errs.Message) {
	v := &g.v
	if v[gPrice] == "" {
		return 0, 0, "", because("required", "column", "price")
	}
	p, err := money.Parse(v[gPrice], opt.DefaultCurrency)
	if err != nil {
		return 0, 0, "", priceReason("price", err)
	}
	if v[gSalePrice] == "" {
		return p.Minor, 0, p.Currency, none
	}
	s, err := money.Parse(v[gSalePrice], p.Currency)
	switch {
	case err != nil:
		return 0, 0, "", priceReason("sale_price", err)
	case s.Currency != p.Currency:
		return 0, 0, "", because("currency_mismatch", "column", "sale_price", "currency", s.Currency, "other_column", "price", "other_currency", p.Currency)
	}
	if dates := v[gSalePriceEffectiveDate]; dates != "" {
		start, end, ok := parseDateRange(dates)
		if !ok {
			return 0, 0, "", because("sale_dates_invalid", "value", q(dates))
		}
		if opt.Now.Before(start) || !opt.Now.Before(end) {
			return p.Minor, 0, p.Currency, none
		}
	}
	if s.Minor >= p.Minor {
		return p.Minor, 0, p.Currency, none
	}
	return s.Minor, p.Minor, p.Currency, none
}

// categoryPath makes a path of levels, each in Arabic or English by its
// script.
func categoryPath(levels []string) []CategoryName {
	path := make([]CategoryName, len(levels))
	for i, l := range levels {
		path[i] = byScript(l)
	}
	return path
}

// parseDateRange reads Google's sale_price_effective_date: two ISO 8601
// times separated by "/". A date without a time is midnight UTC; an end
// given as a date alone includes that whole day.
func parseDateRange(s string) (start, end time.Time, ok bool) {
	a, b, found := strings.Cut(s, "/")
	if !found {
		return start, end, false
	}
	var okA, okB, dateOnly bool
	start, okA, _ = parseTime(strings.TrimSpace(a))
	end, okB, dateOnly = parseTime(strings.TrimSpace(b))
	if dateOnly {
		end = end.AddDate(0, 0, 1)
	}
	return start, end, okA && okB && start.Before(end)
}

// timeLayouts are the ISO 8601 forms feeds use for dates.
var timeLayouts = []string{
	"2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04Z0700", "2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04", "2006-01-02T15:04:05",
}

func parseTime(s string) (t time.Time, ok, dateOnly bool) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true, true
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true, false
		}
	}
	return t, false, false
}

// weightUnits are grams per unit, as exact fractions.
var weightUnits = map[string]*big.Rat{
	"g":  big.NewRat(1, 1),
	"kg": big.NewRat(1000, 1),
	"lb": big.NewRat(45359237, 100000),
	"oz": big.NewRat(28349523125, 1000000000),
}

// maxGrams is the heaviest shipping weight accepted (1,000 kg).
const maxGrams = 1_000_000

// parseWeight reads a weight with its unit ("500 g", "1.2 kg", "2 lb",
// "8 oz") into whole grams, rounding half up. Empty is 0.
func parseWeight(col, s string) (int, errs.Message) {
	if s == "" {
		return 0, none
	}
	t := strings.ToLower(arabic.DigitsToASCII(s))
	i := strings.IndexFunc(t, func(r rune) bool { return !('0' <= r && r <= '9' || r == '.') })
	if i < 0 {
		return 0, because("weight_no_unit", "column", col, "value", q(s))
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	factor, ok := weightUnits[unit]
	if !ok {
		return 0, because("weight_no_unit", "column", col, "value", q(s))
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok || num == "" || strings.Count(num, ".") > 1 {
		return 0, because("weight_not_number", "column", col, "value", q(s))
	}
	r.Mul(r, factor)
	// Round half up: floor((2n + d) / 2d).
	n := new(big.Int).Mul(r.Num(), big.NewInt(2))
	n.Add(n, r.Denom())
	n.Quo(n, new(big.Int).Mul(r.Denom(), big.NewInt(2)))
	if n.Cmp(big.NewInt(maxGrams)) > 0 {
		return 0, because("weight_too_heavy", "column", col, "value", q(s), "max", maxGrams/1000)
	}
	return int(n.Int64()), none
}

func isLetter(r rune) bool { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r > 0x7f }

// parseGoogleTable reads a Google or Meta feed as TSV or CSV; the
// delimiter is a tab when the header row has one, else a comma. Rows whose
// first cell starts with "#" are comments and skipped.
func parseGoogleTable(br *bufio.Reader, c *collector) error {
	head, _ := br.Peek(headSize)
	line, _, _ := bytes.Cut(head, []byte("\n"))
	comma := ','
	if bytes.IndexByte(line, '\t') >= 0 {
		comma = '\t'
	}
	t, err := newTable(br, comma)
	if err != nil {
		return err
	}
	fields, err := googleHeader(t.header)
	if err != nil {
		return err
	}
	for {
		rec, line, reason, err := t.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(rec) > 0 && strings.HasPrefix(strings.TrimSpace(rec[0]), "#") {
			continue
		}
		g := gdraft{line: line, reason: reason}
		for i, f := range rec {
			if i >= len(fields) || fields[i] == gNone {
				continue
			}
			f = strings.TrimSpace(f)
			if !utf8.ValidString(f) {
				if g.reason.ID == "" {
					g.reason = because("text_utf8", "column", fields[i].String())
				}
				continue
			}
			if f == "" {
				continue
			}
			if fields[i] == gAdditionalImageLink {
				for u := range strings.SplitSeq(f, ",") {
					if u = strings.TrimSpace(u); u != "" {
						g.set(gAdditionalImageLink, u)
					}
				}
				continue
			}
			g.set(fields[i], f)
		}
		if err := c.take(g.build(c.opt)); err != nil {
			return err
		}
	}
}

// googleHeader maps each header field to its Google field and checks the
// required ones (id, title, price) are there.
func googleHeader(header []string) ([]gfield, error) {
	fields := make([]gfield, len(header))
	var has [numGFields]bool
	for i, h := range header {
		f := gfieldOf(headerName(h))
		if f != gNone && has[f] && !f.repeated() {
			return nil, fileErr(ErrHeader, "header_twice", "column", q(strings.TrimSpace(h)))
		}
		fields[i], has[f] = f, true
	}
	var missing []string
	for _, f := range []gfield{gID, gTitle, gPrice} {
		if !has[f] {
			missing = append(missing, q(f.String()))
		}
	}
	if len(missing) > 0 {
		return nil, fileErr(ErrHeader, "header_missing", "columns", strings.Join(missing, ", "), "title", false, "google", false)
	}
	return fields, nil
}
