// Package demo generates Concierge's demo catalog data, all of it
// deterministic (the same input gives the same bytes):
//
//   - Catalog: a bilingual (Arabic and English) catalog of about 200
//     products for a Saudi fashion-and-lifestyle store — abayas, thobes,
//     shemaghs, perfumes and oud, phones, coffee and dates — in a two-level
//     category tree, most with size or colour variants, prices in SAR, some
//     on sale, some out of stock, some with untracked stock, a couple of
//     drafts.
//   - Image: a generated PNG picture for every image Catalog names, and
//     for every category (CategoryImages).
//   - Large: a Concierge-format CSV feed of any number of variants built
//     from a bilingual vocabulary, for import, load and search tests.
//   - WriteCSV: the same CSV format for any items, e.g. Catalog's.
package demo

import (
	"fmt"
	"hash/fnv"
	"strings"
	"sync"

	"concierge/modules/catalog/feed"
)

// MediaPath is where the demo pictures are served, below a base URL:
// base + MediaPath + name.
const MediaPath = "/media/demo/"

// Currency of all demo prices.
const Currency = "SAR"

// Catalog returns the demo catalog, one Item per variant, in a fixed order.
// Image URLs are mediaBaseURL + MediaPath + name (a trailing slash of
// mediaBaseURL is dropped); Image serves those names.
func Catalog(mediaBaseURL string) []feed.Item {
	base := strings.TrimRight(mediaBaseURL, "/")
	var items []feed.Item
	for _, p := range products() {
		items = append(items, p.items(base)...)
	}
	return items
}

// Option names used by the demo catalog.
const (
	optColor   = "Color"
	optSize    = "Size"
	optStorage = "Storage"
	optWeight  = "Weight"
	optModel   = "Model"
)

// stockRule says how a product's variants get their stock.
type stockRule int

const (
	stockVaried    stockRule = iota // 1–40 on hand, some variants sold out (template products)
	stockIn                         // 3–42 on hand for every variant
	stockOut                        // 0 for every variant
	stockUntracked                  // not tracked (made to order)
)

// value is one value of an option axis.
type value struct {
	value string // as shown, e.g. "Black", "M", "256GB"
	code  string // in the SKU, e.g. "BLK", "M", "256"
	delta int64  // added to the product's price, minor units
}

// axis is one option of a product and its values.
type axis struct {
	name   string
	values []value
}

// product is one demo product before it becomes feed Items.
type product struct {
	code           string // e.g. "ABY-001", assigned by products()
	cat            string // category key
	also           []string
	ar, en         string
	descAR, descEN string
	brand          string
	price          int64 // minor units
	was            int64 // compare-at price; -1 computes one from price
	grams          int
	axes           []axis
	stock          stockRule
	draft          bool
	material       string
}

// image returns the product's picture name.
func (p *product) image() string { return strings.ToLower(p.code) + ".png" }

// items expands p into one Item per combination of its option values.
func (p *product) items(base string) []feed.Item {
	cats := [][]feed.CategoryName{categoryPath(p.cat)}
	for _, c := range p.also {
		cats = append(cats, categoryPath(c))
	}
	status := "active"
	if p.draft {
		status = "draft"
	}
	var attrs map[string]string
	if p.material != "" {
		attrs = map[string]string{"material": p.material}
	}
	combos := [][]value{nil}
	for _, a := range p.axes {
		var next [][]value
		for _, c := range combos {
			for _, v := range a.values {
				next = append(next, append(append([]value(nil), c...), v))
			}
		}
		combos = next
	}
	group := p.code
	if len(combos) == 1 && len(p.axes) == 0 {
		group = ""
	}
	items := make([]feed.Item, 0, len(combos))
	for _, combo := range combos {
		sku := p.code
		price := p.price
		var opts []feed.Option
		for i, v := range combo {
			sku += "-" + v.code
			price += v.delta
			opts = append(opts, arabicOption(feed.Option{Name: p.axes[i].name, Value: v.value}))
		}
		items = append(items, feed.Item{
			SKU:           sku,
			GroupID:       group,
			TitleAR:       p.ar,
			TitleEN:       p.en,
			DescriptionAR: p.descAR,
			DescriptionEN: p.descEN,
			Slug:          slugify(p.en),
			Brand:         p.brand,
			Status:        status,
			Categories:    cats,
			Options:       opts,
			Price:         price,
			CompareAt:     compareAt(p, price),
			Currency:      Currency,
			Stock:         stockOf(p.stock, sku),
			WeightGrams:   p.grams,
			Images: []feed.Image{{
				URL:   base + MediaPath + p.image(),
				AltAR: p.ar,
				AltEN: p.en,
			}},
			Attributes: attrs,
		})
	}
	return items
}

// compareAt is the "was" price of a variant costing price: p.was plus the
// variant's own delta, or a round figure about a quarter above the price.
func compareAt(p *product, price int64) int64 {
	switch {
	case p.was > 0:
		return p.was + (price - p.price)
	case p.was < 0:
		return price*5/4/1000*1000 + 900
	}
	return 0
}

// stockOf gives a variant its stock under rule, the same for the same SKU.
func stockOf(rule stockRule, sku string) *int {
	h := hash(sku)
	n := 0
	switch rule {
	case stockUntracked:
		return nil
	case stockOut:
	case stockIn:
		n = 3 + int(h%40)
	default:
		if h%13 != 0 {
			n = 1 + int(h%40)
		}
	}
	return &n
}

func hash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// slugify turns an English title into a URL name: "Men's White Thobe" →
// "mens-white-thobe".
func slugify(s string) string {
	b := make([]byte, 0, len(s))
	dash := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
			fallthrough
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			if dash && len(b) > 0 {
				b = append(b, '-')
			}
			b = append(b, c)
			dash = false
		case c == '\'':
		default:
			dash = true
		}
	}
	return string(b)
}

// products returns the demo products with their codes assigned, built once.
var products = sync.OnceValue(func() []product {
	var out []product
	seq := map[string]int{}
	for _, p := range productList() {
		c := categoryByKey(p.cat)
		seq[c.prefix]++
		p.code = fmt.Sprintf("%s-%03d", c.prefix, seq[c.prefix])
		if p.grams == 0 {
			p.grams = c.grams
		}
		out = append(out, p)
	}
	return out
})
