package demo

import (
	"fmt"

	"concierge/modules/catalog/feed"
)

// colour is a colour name in English, in Arabic for a masculine and a
// feminine noun (ثوب أسود, عباية سوداء), and its SKU code.
type colour struct {
	key, code, en, arM, arF string
}

// ar returns the Arabic colour agreeing with a noun of the given gender.
func (c colour) ar(fem bool) string {
	if fem {
		return c.arF
	}
	return c.arM
}

var colours = []colour{
	{"black", "BLK", "Black", "أسود", "سوداء"},
	{"white", "WHT", "White", "أبيض", "بيضاء"},
	{"navy", "NVY", "Navy", "كحلي", "كحلية"},
	{"beige", "BEG", "Beige", "بيج", "بيج"},
	{"grey", "GRY", "Grey", "رمادي", "رمادية"},
	{"brown", "BRN", "Brown", "بني", "بنية"},
	{"red", "RED", "Red", "أحمر", "حمراء"},
	{"green", "GRN", "Green", "أخضر", "خضراء"},
	{"blue", "BLU", "Blue", "أزرق", "زرقاء"},
	{"pink", "PNK", "Pink", "وردي", "وردية"},
	{"gold", "GLD", "Gold", "ذهبي", "ذهبية"},
	{"silver", "SLV", "Silver", "فضي", "فضية"},
	{"maroon", "MRN", "Maroon", "عنابي", "عنابية"},
	{"olive", "OLV", "Olive", "زيتي", "زيتية"},
	{"cream", "CRM", "Cream", "كريمي", "كريمية"},
	{"camel", "CML", "Camel", "جملي", "جملية"},
	{"lilac", "LLC", "Lilac", "ليلكي", "ليلكية"},
	{"rosegold", "RGD", "Rose Gold", "ذهبي وردي", "ذهبية وردية"},
	{"purple", "PRP", "Purple", "بنفسجي", "بنفسجية"},
	{"copper", "CPR", "Copper", "نحاسي", "نحاسية"},
	{"titanium", "NAT", "Natural Titanium", "تيتانيوم طبيعي", "تيتانيوم طبيعي"},
	{"blacktitanium", "BTI", "Black Titanium", "تيتانيوم أسود", "تيتانيوم أسود"},
}

func colourByKey(key string) colour {
	for _, c := range colours {
		if c.key == key {
			return c
		}
	}
	panic("demo: unknown colour " + key)
}

// Size runs.
var (
	sizesClothing = []string{"S", "M", "L", "XL"}
	sizesThobe    = []string{"52", "54", "56", "58"}
	sizesMenShoe  = []string{"40", "41", "42", "43", "44"}
	sizesWomShoe  = []string{"36", "37", "38", "39", "40"}
	sizesKids     = []string{"4Y", "6Y", "8Y", "10Y"}
	sizesBaby     = []string{"0-3M", "3-6M", "6-12M"}
	sizesRing     = []string{"7", "8", "9", "10"}
)

// colourAxis is a Color option over the given colour keys.
func colourAxis(keys ...string) axis {
	a := axis{name: optColor}
	for _, k := range keys {
		c := colourByKey(k)
		a.values = append(a.values, value{value: c.en, code: c.code})
	}
	return a
}

// sizeAxis is a Size option; the SKU code is the size without spaces and
// dashes ("36-38" → "3638").
func sizeAxis(sizes ...string) axis {
	a := axis{name: optSize}
	for _, s := range sizes {
		a.values = append(a.values, value{value: s, code: skuCode(s)})
	}
	return a
}

// priced is an option whose values change the price (storage, bottle
// size, pack weight).
func priced(name string, values ...value) axis { return axis{name: name, values: values} }

// line is a template: one product per colour, the colour in its title.
type line struct {
	cat            string
	ar, en         string // titles with %s for the colour
	fem            bool   // the Arabic noun the colour agrees with is feminine
	descAR, descEN string // the style sentence; the category's closing follows
	brand          string
	price          int64
	sale           bool
	grams          int
	material       string
	colours        []string
	sizes          []string
}

// expand makes the line's products.
func (l line) expand() []product {
	c := categoryByKey(l.cat)
	var out []product
	for i, key := range l.colours {
		col := colourByKey(key)
		p := product{
			cat:      l.cat,
			ar:       fmt.Sprintf(l.ar, col.ar(l.fem)),
			en:       fmt.Sprintf(l.en, col.en),
			descAR:   l.descAR + " " + c.closeAR,
			descEN:   l.descEN + " " + c.closeEN,
			brand:    l.brand,
			price:    l.price,
			grams:    l.grams,
			material: l.material,
			axes:     []axis{colourAxis(key)},
			stock:    stockVaried,
		}
		if l.sizes != nil {
			p.axes = append(p.axes, sizeAxis(l.sizes...))
		}
		// Every other colour of a line on sale is discounted.
		if l.sale && i%2 == 0 {
			p.was = -1
		}
		out = append(out, p)
	}
	return out
}

// optionNamesAR are the Arabic names of the demo's option axes.
var optionNamesAR = map[string]string{
	"Color": "اللون", "Size": "المقاس", "Storage": "السعة", "Weight": "الوزن", "Model": "الموديل",
	"Scent": "الرائحة", "Grind": "الطحن", "Letter": "الحرف",
}

// optionValuesAR are Arabic values that read differently from the English
// (colours as the option value: the masculine form, "اللون: أسود"; scents,
// grinds). Sizes, storage and weights read the same and are left out.
var optionValuesAR = func() map[string]string {
	m := map[string]string{
		"Oud": "عود", "Rose": "ورد", "Musk": "مسك", "Espresso": "إسبريسو", "Filter": "فلتر", "Whole bean": "حبوب كاملة",
		"Nada": "ندى",
	}
	for _, c := range colours {
		m[c.en] = c.arM
	}
	return m
}()

// arabicOption returns o with its Arabic name and value filled in where the
// demo knows them.
func arabicOption(o feed.Option) feed.Option {
	o.NameAR, o.ValueAR = optionNamesAR[o.Name], optionValuesAR[o.Value]
	return o
}
