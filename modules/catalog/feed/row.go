package feed

import (
	"strings"
	"unicode"

	"concierge/internal/errs"
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

	reason errs.Message // the first problem found while reading the row
}

// fail records the first problem of the row.
func (d *draft) fail(reason errs.Message) {
	if d.reason.ID == "" {
		d.reason = reason
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
func (d *draft) build(opt Options) (Item, errs.Message) {
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
	if d.reason.ID != "" {
		return it, d.reason
	}
	if it.SKU == "" {
		return it, because("required", "column", "sku")
	}
	if r := checkID("sku", it.SKU); r.ID != "" {
		return it, r
	}
	if r := checkID("group_id", it.GroupID); r.ID != "" {
		return it, r
	}
	if it.TitleAR == "" && it.TitleEN == "" {
		return it, because("title_required")
	}
	switch it.Status {
	case "", "active", "draft", "archived":
	default:
		return it, because("status_invalid", "value", q(v[colStatus]))
	}
	var reason errs.Message
	if it.Categories, reason = d.buildCategories(); reason.ID != "" {
		return it, reason
	}
	if it.Options, reason = d.buildOptions(); reason.ID != "" {
		return it, reason
	}
	p := prices{
		priceCol: "price", compareCol: "compare_at_price", currencyCol: "currency",
		price: v[colPrice], compareAt: v[colCompareAt], currency: v[colCurrency],
		priceMinor: d.priceMinor, compareMinor: d.compareMinor,
	}
	if it.Price, it.CompareAt, it.Currency, reason = p.resolve(opt.DefaultCurrency); reason.ID != "" {
		return it, reason
	}
	stock, ok, reason := parseCount("stock", v[colStock])
	if reason.ID != "" {
		return it, reason
	}
	if ok {
		it.Stock = &stock
	}
	if it.WeightGrams, _, reason = parseCount("weight_grams", v[colWeight]); reason.ID != "" {
		return it, reason
	}
	if it.Images, reason = d.buildImages(); reason.ID != "" {
		return it, reason
	}
	if it.Link != "" {
		if r := checkURL("link", it.Link); r.ID != "" {
			return it, r
		}
	}
	return it, none
}

// buildCategories reads category_ar and category_en: paths separated by
// "|", levels by ">"; the two columns are parallel.
func (d *draft) buildCategories() ([][]CategoryName, errs.Message) {
	ar, en := d.v[colCategoryAR], d.v[colCategoryEN]
	if d.hasCategories {
		if ar != "" || en != "" {
			return nil, because("both_set", "column", "categories", "other", "category_ar/category_en")
		}
		return d.categories, none
	}
	if ar == "" && en == "" {
		return nil, none
	}
	arPaths, reason := splitPaths("category_ar", ar)
	if reason.ID != "" {
		return nil, reason
	}
	enPaths, reason := splitPaths("category_en", en)
	if reason.ID != "" {
		return nil, reason
	}
	if ar != "" && en != "" && len(arPaths) != len(enPaths) {
		return nil, because("categories_count", "ar", len(arPaths), "en", len(enPaths))
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
			return nil, because("category_levels", "ar_path", q(strings.Join(a, " > ")), "ar", len(a),
				"en_path", q(strings.Join(e, " > ")), "en", len(e))
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
	return cats, none
}

// splitPaths splits "Women > Abayas | Sale" into paths of levels.
func splitPaths(col, s string) ([][]string, errs.Message) {
	if s == "" {
		return nil, none
	}
	var paths [][]string
	for p := range strings.SplitSeq(s, "|") {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, because("category_empty", "column", col, "value", q(s))
		}
		levels, reason := splitPath(col, p)
		if reason.ID != "" {
			return nil, reason
		}
		paths = append(paths, levels)
	}
	return paths, none
}

// buildOptions reads option1..3 name and value, or the JSON options.
func (d *draft) buildOptions() ([]Option, errs.Message) {
	var opts []Option
	hasColumns := false
	for i := range 3 {
		nc, vc := colOption1Name+column(2*i), colOption1Value+column(2*i)
		name, value := d.v[nc], d.v[vc]
		switch {
		case name == "" && value == "":
			continue
		case name == "":
			return nil, because("required_when", "column", nc.String(), "other", vc.String())
		case value == "":
			return nil, because("required_when", "column", vc.String(), "other", nc.String())
		}
		hasColumns = true
		opts = append(opts, Option{Name: name, Value: value,
			NameAR: d.v[colOption1NameAR+column(2*i)], ValueAR: d.v[colOption1ValueAR+column(2*i)]})
	}
	if d.hasOptions {
		if hasColumns {
			return nil, because("both_set", "column", "options", "other", "option1_name/option1_value")
		}
		opts = d.options
	}
	if len(opts) > 3 {
		return nil, because("options_too_many", "count", len(opts), "max", 3)
	}
	for i, o := range opts {
		if o.Name == "" || o.Value == "" {
			return nil, because("option_incomplete", "n", i+1)
		}
		for _, p := range opts[:i] {
			if strings.EqualFold(p.Name, o.Name) {
				return nil, because("option_twice", "name", q(o.Name))
			}
		}
	}
	return opts, none
}

// buildImages reads image_urls (separated by "|" or spaces) with the alt
// texts of the first image, or the JSON images.
func (d *draft) buildImages() ([]Image, errs.Message) {
	urls := d.v[colImageURLs]
	images := d.images
	if d.hasImages {
		if urls != "" {
			return nil, because("both_set", "column", "images", "other", "image_urls")
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
			return nil, because("empty", "column", col)
		}
		if r := checkURL(col, img.URL); r.ID != "" {
			return nil, r
		}
	}
	return images, none
}
