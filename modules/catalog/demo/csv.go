package demo

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	moneypkg "concierge/internal/money"

	"concierge/modules/catalog/feed"
)

// header is the Concierge CSV header, in order.
var header = []string{
	"sku", "group_id", "title_ar", "title_en", "description_ar", "description_en", "slug", "brand", "status",
	"category_ar", "category_en",
	"option1_name", "option1_value", "option2_name", "option2_value", "option3_name", "option3_value",
	"price", "compare_at_price", "currency", "stock", "weight_grams",
	"image_urls", "image_alt_ar", "image_alt_en", "link",
	"option1_name_ar", "option1_value_ar", "option2_name_ar", "option2_value_ar", "option3_name_ar", "option3_value_ar",
}

// Separators inside a cell.
const (
	levelSep = " > " // between the levels of a category path
	listSep  = " | " // between categories, image URLs and alt texts
)

// WriteCSV writes items as a Concierge CSV feed: the header, then one row
// per item. Prices are decimal major units ("149.00"); an untracked stock,
// a zero compare-at price and a zero weight are empty cells. Item.Line and
// Item.Attributes have no column and are not written.
func WriteCSV(w io.Writer, items []feed.Item) error {
	rw, err := newRowWriter(w)
	if err != nil {
		return err
	}
	for i := range items {
		if err := rw.write(&items[i]); err != nil {
			return err
		}
	}
	return rw.flush()
}

// rowWriter writes Items as CSV rows, reusing one record.
type rowWriter struct {
	cw  *csv.Writer
	rec []string
	sb  strings.Builder
}

func newRowWriter(w io.Writer) (*rowWriter, error) {
	rw := &rowWriter{cw: csv.NewWriter(w), rec: make([]string, len(header))}
	if err := rw.cw.Write(header); err != nil {
		return nil, err
	}
	return rw, nil
}

func (rw *rowWriter) write(it *feed.Item) error {
	r := rw.rec
	r[0], r[1], r[2], r[3] = it.SKU, it.GroupID, it.TitleAR, it.TitleEN
	r[4], r[5], r[6], r[7], r[8] = it.DescriptionAR, it.DescriptionEN, it.Slug, it.Brand, it.Status
	r[9] = rw.categories(it.Categories, true)
	r[10] = rw.categories(it.Categories, false)
	for i := range 3 {
		r[11+2*i], r[12+2*i], r[26+2*i], r[27+2*i] = "", "", "", ""
		if i < len(it.Options) {
			o := it.Options[i]
			r[11+2*i], r[12+2*i], r[26+2*i], r[27+2*i] = o.Name, o.Value, o.NameAR, o.ValueAR
		}
	}
	r[17] = money(it.Price, it.Currency)
	r[18] = ""
	if it.CompareAt > 0 {
		r[18] = money(it.CompareAt, it.Currency)
	}
	r[19] = it.Currency
	r[20] = ""
	if it.Stock != nil {
		r[20] = strconv.Itoa(*it.Stock)
	}
	r[21] = ""
	if it.WeightGrams > 0 {
		r[21] = strconv.Itoa(it.WeightGrams)
	}
	r[22] = rw.images(it.Images, func(im *feed.Image) string { return im.URL })
	r[23] = rw.images(it.Images, func(im *feed.Image) string { return im.AltAR })
	r[24] = rw.images(it.Images, func(im *feed.Image) string { return im.AltEN })
	r[25] = it.Link
	return rw.cw.Write(r)
}

func (rw *rowWriter) flush() error {
	rw.cw.Flush()
	return rw.cw.Error()
}

// categories joins paths: levels with " > ", paths with " | ". A level
// without a name in the language takes the other language's.
func (rw *rowWriter) categories(paths [][]feed.CategoryName, ar bool) string {
	rw.sb.Reset()
	for i, path := range paths {
		if i > 0 {
			rw.sb.WriteString(listSep)
		}
		for j, level := range path {
			if j > 0 {
				rw.sb.WriteString(levelSep)
			}
			name := level.EN
			if ar && level.AR != "" || name == "" {
				name = level.AR
			}
			rw.sb.WriteString(name)
		}
	}
	return rw.sb.String()
}

func (rw *rowWriter) images(ims []feed.Image, field func(*feed.Image) string) string {
	if len(ims) == 1 {
		return field(&ims[0])
	}
	rw.sb.Reset()
	for i := range ims {
		if i > 0 {
			rw.sb.WriteString(listSep)
		}
		rw.sb.WriteString(field(&ims[i]))
	}
	return rw.sb.String()
}

// money formats minor units as a decimal in major units: 14900 SAR →
// "149.00", 12500 KWD → "12.500".
func money(minor int64, currency string) string {
	return moneypkg.Amount{Minor: minor, Currency: currency}.Decimal()
}
