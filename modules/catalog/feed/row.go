package feed

import (
	"fmt"
	"strings"
	"unicode"
)

// column is a field of Concierge's own feed (CSV, TSV and JSON).
type column int

// Concierge columns, in documented order.
const (
	colNone column = iota
	colSKU
	colGroupID
	colTitleAR
	colTitleEN
	colDescriptionAR
	colDescriptionEN
	colSlug
	colBrand
	colStatus
	colCategoryAR
	colCategoryEN
	colOption1Name
	colOption1Value
	colOption2Name
	colOption2Value
	colOption3Name
	colOption3Value
	colPrice
	colCompareAt
	colCurrency
	colStock
	colWeight
	colImageURLs
	colImageAltAR
	colImageAltEN
	colLink
	colOption1NameAR
	colOption1ValueAR
	colOption2NameAR
	colOption2ValueAR
	colOption3NameAR
	colOption3ValueAR
	numColumns
)

// columnNames are the documented header names, by column.
var columnNames = [numColumns]string{
	"", "sku", "group_id", "title_ar", "title_en", "description_ar", "description_en",
	"slug", "brand", "status", "category_ar", "category_en",
	"option1_name", "option1_value", "option2_name", "option2_value", "option3_name", "option3_value",
	"price", "compare_at_price", "currency", "stock", "weight_grams",
	"image_urls", "image_alt_ar", "image_alt_en", "link",
	"option1_name_ar", "option1_value_ar", "option2_name_ar", "option2_value_ar", "option3_name_ar", "option3_value_ar",
}

// columnOf returns the column of a lower-case header name, or colNone.
func columnOf(name string) column {
	for c := colSKU; c < numColumns; c++ {
		if columnNames[c] == name {
			return c
		}
	}
	return colNone
}

func (c column) String() string { return columnNames[c] }

// draft is one row of a Concierge feed before validation: the trimmed text
// of each column, the unknown columns, and the structured forms JSON may
// use instead of the text columns.
type draft struct {
	line  int
	v     [numColumns]string
	attrs map[string]string

	options    []Option
	categories [][]CategoryName
	images     []Image
	// hasX: the structured form was given (it may be empty).
	hasOptions, hasCategories, hasImages bool
	priceMinor, compareMinor             string

	reason string // the first problem found while reading the row
}

// fail records the first problem of the row.
func (d *draft) fail(format string, args ...any) {
	if d.reason == "" {
		d.reason = fmt.Sprintf(format, args...)
	}
}

// attr sets an attribute from an unknown column.
func (d *draft) attr(name, v string) {
	if v == "" {
		return
	}
	if d.attrs == nil {
		d.attrs = make(map[string]string)
	}
	d.attrs[name] = v
}

// build validates the row and returns its item, or the item so far (for
// its line and SKU) and the reason it is rejected.
func (d *draft) build(opt Options) (Item, string) {
	v := &d.v
	it := Item{
		Line:          d.line,
		SKU:           v[colSKU],
		GroupID:       v[colGroupID],
		TitleAR:       v[colTitleAR],
		TitleEN:       v[colTitleEN],
		DescriptionAR: v[colDescriptionAR],
		DescriptionEN: v[colDescriptionEN],
		Slug:          v[colSlug],
		Brand:         v[colBrand],
		Status:        strings.ToLower(v[colStatus]),
		Link:          v[colLink],
		Attributes:    d.attrs,
	}
	if d.reason != "" {
		return it, d.reason
	}
	if it.SKU == "" {
		return it, "sku is required"
	}
	if r := checkID("sku", it.SKU); r != "" {
		return it, r
	}
	if r := checkID("group_id", it.GroupID); r != "" {
		return it, r
	}
	if it.TitleAR == "" && it.TitleEN == "" {
		return it, "title_ar or title_en is required"
	}
	switch it.Status {
	case "", "active", "draft", "archived":
	default:
		return it, fmt.Sprintf("status %q is not one of active, draft, archived", v[colStatus])
	}
	var reason string
	if it.Categories, reason = d.buildCategories(); reason != "" {
		return it, reason
	}
	if it.Options, reason = d.buildOptions(); reason != "" {
		return it, reason
	}
	p := prices{
		priceCol: "price", compareCol: "compare_at_price", currencyCol: "currency",
		price: v[colPrice], compareAt: v[colCompareAt], currency: v[colCurrency],
		priceMinor: d.priceMinor, compareMinor: d.compareMinor,
	}
	if it.Price, it.CompareAt, it.Currency, reason = p.resolve(opt.DefaultCurrency); reason != "" {
		return it, reason
	}
	stock, ok, reason := parseCount("stock", v[colStock])
	if reason != "" {
		return it, reason
	}
	if ok {
		it.Stock = &stock
	}
	if it.WeightGrams, _, reason = parseCount("weight_grams", v[colWeight]); reason != "" {
		return it, reason
	}
	if it.Images, reason = d.buildImages(); reason != "" {
		return it, reason
	}
	if it.Link != "" {
		if r := checkURL("link", it.Link); r != "" {
			return it, r
		}
	}
	return it, ""
}

// buildCategories reads category_ar and category_en: paths separated by
// "|", levels by ">"; the two columns are parallel.
func (d *draft) buildCategories() ([][]CategoryName, string) {
	ar, en := d.v[colCategoryAR], d.v[colCategoryEN]
	if d.hasCategories {
		if ar != "" || en != "" {
			return nil, "categories and category_ar/category_en are both set; use one"
		}
		return d.categories, ""
	}
	if ar == "" && en == "" {
		return nil, ""
	}
	arPaths, reason := splitPaths("category_ar", ar)
	if reason != "" {
		return nil, reason
	}
	enPaths, reason := splitPaths("category_en", en)
	if reason != "" {
		return nil, reason
	}
	if ar != "" && en != "" && len(arPaths) != len(enPaths) {
		return nil, fmt.Sprintf("category_ar has %d categories but category_en has %d", len(arPaths), len(enPaths))
	}
	n := max(len(arPaths), len(enPaths))
	cats := make([][]CategoryName, n)
	for i := range n {
		var a, e []string
		if arPaths != nil {
			a = arPaths[i]
		}
		if enPaths != nil {
			e = enPaths[i]
		}
		if a != nil && e != nil && len(a) != len(e) {
			return nil, fmt.Sprintf("category_ar %q has %d levels but category_en %q has %d",
				strings.Join(a, " > "), len(a), strings.Join(e, " > "), len(e))
		}
		path := make([]CategoryName, max(len(a), len(e)))
		for j := range path {
			if a != nil {
				path[j].AR = a[j]
			}
			if e != nil {
				path[j].EN = e[j]
			}
		}
		cats[i] = path
	}
	return cats, ""
}

// splitPaths splits "Women > Abayas | Sale" into paths of levels.
func splitPaths(col, s string) ([][]string, string) {
	if s == "" {
		return nil, ""
	}
	var paths [][]string
	for p := range strings.SplitSeq(s, "|") {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Sprintf("%s %q has an empty category", col, s)
		}
		levels, reason := splitPath(col, p)
		if reason != "" {
			return nil, reason
		}
		paths = append(paths, levels)
	}
	return paths, ""
}

// buildOptions reads option1..3 name and value, or the JSON options.
func (d *draft) buildOptions() ([]Option, string) {
	var opts []Option
	hasColumns := false
	for i := range 3 {
		nc, vc := colOption1Name+column(2*i), colOption1Value+column(2*i)
		name, value := d.v[nc], d.v[vc]
		switch {
		case name == "" && value == "":
			continue
		case name == "":
			return nil, fmt.Sprintf("%s is required when %s is set", nc, vc)
		case value == "":
			return nil, fmt.Sprintf("%s is required when %s is set", vc, nc)
		}
		hasColumns = true
		opts = append(opts, Option{Name: name, Value: value,
			NameAR: d.v[colOption1NameAR+column(2*i)], ValueAR: d.v[colOption1ValueAR+column(2*i)]})
	}
	if d.hasOptions {
		if hasColumns {
			return nil, "options and option1_name/option1_value are both set; use one"
		}
		opts = d.options
	}
	if len(opts) > 3 {
		return nil, fmt.Sprintf("options has %d entries; at most 3 are allowed", len(opts))
	}
	for i, o := range opts {
		if o.Name == "" || o.Value == "" {
			return nil, fmt.Sprintf("option %d needs both a name and a value", i+1)
		}
		for _, p := range opts[:i] {
			if strings.EqualFold(p.Name, o.Name) {
				return nil, fmt.Sprintf("option %q appears twice", o.Name)
			}
		}
	}
	return opts, ""
}

// buildImages reads image_urls (separated by "|" or spaces) with the alt
// texts of the first image, or the JSON images.
func (d *draft) buildImages() ([]Image, string) {
	urls := d.v[colImageURLs]
	images := d.images
	if d.hasImages {
		if urls != "" {
			return nil, "images and image_urls are both set; use one"
		}
	} else {
		for _, u := range strings.FieldsFunc(urls, func(r rune) bool { return r == '|' || unicode.IsSpace(r) }) {
			images = append(images, Image{URL: u})
		}
		if len(images) > 0 {
			images[0].AltAR, images[0].AltEN = d.v[colImageAltAR], d.v[colImageAltEN]
		}
	}
	for _, img := range images {
		col := "image_urls"
		if d.hasImages {
			col = "images"
		}
		if img.URL == "" {
			return nil, col + " is empty"
		}
		if r := checkURL(col, img.URL); r != "" {
			return nil, r
		}
	}
	return images, ""
}
