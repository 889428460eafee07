package demo

import (
	"errors"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"concierge/modules/catalog/feed"
)

// DefaultMediaBaseURL is the base of the image URLs Large writes: the
// default PUBLIC_BASE_URL of a local gateway.
const DefaultMediaBaseURL = "http://localhost:8080"

// Large writes a Concierge CSV feed (see WriteCSV) of exactly variants
// variant rows, grouped into products of one to six variants, for import,
// load and search tests. Titles and descriptions are built from a bilingual
// vocabulary of product types, materials, colours, styles and brands, so
// searching it is meaningful; categories are the demo tree's; each product
// has one picture out of CategoryImages, under DefaultMediaBaseURL. About
// 8% of variants are out of stock and 7% untracked, about 15% of products
// are on sale, 2% draft and 1% archived. SKUs and slugs are unique. The
// same variants and seed give the same bytes.
func Large(w io.Writer, variants int, seed int64) error {
	return LargeAt(w, DefaultMediaBaseURL, variants, seed)
}

// LargeAt is Large with image URLs under mediaBaseURL.
func LargeAt(w io.Writer, mediaBaseURL string, variants int, seed int64) error {
	if variants < 0 {
		return errors.New("demo: variants must not be negative")
	}
	g := &generator{
		rng:  rand.New(rand.NewPCG(uint64(seed), 0x636f6e6369657267)), // "concierg"
		base: strings.TrimRight(mediaBaseURL, "/"),
	}
	rw, err := newRowWriter(w)
	if err != nil {
		return err
	}
	paths := make([][][]feed.CategoryName, len(kinds))
	for i := range kinds {
		paths[i] = [][]feed.CategoryName{categoryPath(kinds[i].cat)}
	}
	for n := 1; variants > 0; n++ {
		k := g.rng.IntN(len(kinds))
		items := g.product(n, &kinds[k], paths[k], variants)
		for i := range items {
			if err := rw.write(&items[i]); err != nil {
				return err
			}
		}
		variants -= len(items)
	}
	return rw.flush()
}

// word is a vocabulary entry: Arabic for a masculine and a feminine noun,
// and English.
type word struct{ arM, arF, en string }

func (w word) ar(fem bool) string {
	if fem && w.arF != "" {
		return w.arF
	}
	return w.arM
}

// w is a word that does not inflect.
func w(ar, en string) word { return word{arM: ar, en: en} }

// Vocabulary.
var (
	materials = map[string]material{
		"crepe":     {w("كريب", "Crepe"), "الكريب خفيف وينسدل بانسيابية ولا يتجعد بسهولة.", "Crepe is light, drapes well and does not crease easily."},
		"linen":     {w("كتان", "Linen"), "الكتان طبيعي يسمح بمرور الهواء ويناسب الصيف.", "Linen is natural and breathable, made for summer."},
		"cotton":    {w("قطن", "Cotton"), "القطن ناعم على البشرة ويمتص الرطوبة.", "Cotton is soft on the skin and absorbs moisture."},
		"silk":      {w("حرير", "Silk"), "الحرير ناعم بلمعة هادئة وملمس فاخر.", "Silk is smooth, with a soft sheen and a luxurious feel."},
		"chiffon":   {w("شيفون", "Chiffon"), "الشيفون خفيف ويمنح حركة انسيابية جميلة.", "Chiffon is light and flows beautifully."},
		"leather":   {w("جلد", "Leather"), "الجلد الطبيعي متين ويزداد جمالاً مع الاستخدام.", "Genuine leather is durable and gets better with use."},
		"wool":      {w("صوف", "Wool"), "الصوف دافئ ومناسب لأيام الشتاء.", "Wool is warm, ideal for winter days."},
		"velvet":    {w("مخمل", "Velvet"), "المخمل دافئ بملمس ناعم ومظهر فخم.", "Velvet is warm, soft to the touch and rich-looking."},
		"satin":     {w("ساتان", "Satin"), "الساتان لامع وناعم يناسب السهرات.", "Satin is glossy and smooth, suited to evenings."},
		"georgette": {w("جورجيت", "Georgette"), "الجورجيت خفيف بملمس محبب لا ينزلق.", "Georgette is light, with a fine texture that does not slip."},
		"nada":      {w("ندى", "Nada"), "قماش الندى مطفي وعملي ولا يحتاج إلى كيّ كثير.", "Nada fabric is matte, practical and needs little ironing."},
		"canvas":    {w("كانفاس", "Canvas"), "الكانفاس قماش متين يتحمل الاستخدام اليومي.", "Canvas is a sturdy fabric for daily use."},
		"nylon":     {w("نايلون", "Nylon"), "النايلون خفيف ومقاوم للماء.", "Nylon is light and water-resistant."},
		"steel":     {w("ستانلس ستيل", "Stainless Steel"), "الستانلس ستيل مقاوم للصدأ والخدوش.", "Stainless steel resists rust and scratches."},
		"silver":    {w("فضة", "Silver"), "فضة عيار 925 لطيفة على البشرة الحساسة.", "925 silver, gentle on sensitive skin."},
		"gold":      {w("ذهب", "Gold"), "ذهب عيار 18 مع شهادة ضمان.", "18-carat gold with a certificate of guarantee."},
		"wood":      {w("خشب", "Wood"), "خشب طبيعي مصقول يدوياً.", "Natural wood, polished by hand."},
		"copper":    {w("نحاس", "Copper"), "نحاس مطروق يدوياً بنقوش تقليدية.", "Hand-beaten copper with traditional engraving."},
		"clay":      {w("فخار", "Clay"), "فخار طبيعي يتحمل حرارة الفحم.", "Natural clay that takes the heat of charcoal."},
		"suede":     {w("شامواه", "Suede"), "الشامواه ناعم الملمس بمظهر أنيق.", "Suede is soft to the touch and looks refined."},
		"denim":     {w("جينز", "Denim"), "الجينز متين ويناسب الاستخدام اليومي.", "Denim is tough and made for every day."},
	}
	// clothes are styles of garments, shoes and bags; things of watches,
	// jewellery and home goods.
	clothes = []word{
		{"مطرز", "مطرزة", "Embroidered"}, {"كلاسيكي", "كلاسيكية", "Classic"}, {"عصري", "عصرية", "Modern"},
		{"فاخر", "فاخرة", "Luxury"}, {"كاجوال", "كاجوال", "Casual"}, {"مخطط", "مخططة", "Striped"},
		{"منقوش", "منقوشة", "Patterned"}, {"رسمي", "رسمية", "Formal"}, {"صيفي", "صيفية", "Summer"},
		{"شتوي", "شتوية", "Winter"}, {"عملي", "عملية", "Everyday"}, {"تراثي", "تراثية", "Heritage"},
	}
	things = []word{
		{"كلاسيكي", "كلاسيكية", "Classic"}, {"عصري", "عصرية", "Modern"}, {"فاخر", "فاخرة", "Luxury"},
		{"تراثي", "تراثية", "Heritage"}, {"بسيط", "بسيطة", "Minimal"},
	}
	jewels  = append([]word{{"منقوش", "منقوشة", "Engraved"}}, things...)
	eyewear = []word{
		{"كلاسيكي", "كلاسيكية", "Classic"}, {"عصري", "عصرية", "Modern"}, {"فاخر", "فاخرة", "Luxury"},
		{"رياضي", "رياضية", "Sport"},
	}
	brands = []word{
		w("ليان", "Layan"), w("رمال", "Rimal"), w("نسيج", "Nasij"), w("دار الأصيل", "Dar Al Aseel"),
		w("لمسة", "Lamsa"), w("نخبة", "Nukhba"), w("سدو", "Sadu"), w("واحة", "Waha"), w("أصالة", "Asala"),
	}
	scentBrands = []word{w("عود نجد", "Oud Najd"), w("مسك العرب", "Misk Al Arab"), w("العربية للعود", "Arabian Oud"), w("بيت البخور", "Bayt Al Bakhoor")}
	techBrands  = []word{w("نغم", "Nagham"), w("فولتا", "Volta"), w("نوفا", "Nova"), w("برق", "Barq")}
	foodBrands  = []word{w("مزارع القصيم", "Qassim Farms"), w("محمصة حائل", "Hail Roastery"), w("واحة", "Waha")}
	models      = []string{"X1", "X3", "X5", "X7", "S10", "S20", "Pro", "Lite", "Max", "Air", "Neo", "Plus"}
	notes       = []word{
		w("العود", "Oud"), w("الورد", "Rose"), w("المسك", "Musk"), w("العنبر", "Amber"), w("الزعفران", "Saffron"),
		w("الصندل", "Sandalwood"), w("الفانيلا", "Vanilla"), w("الياسمين", "Jasmine"), w("الفل", "Arabian Jasmine"),
		w("البرغموت", "Bergamot"), w("اللافندر", "Lavender"), w("الباتشولي", "Patchouli"),
	}
	oudOrigins = []word{w("كمبودي", "Cambodian"), w("هندي", "Indian"), w("ماليزي", "Malaysian"), w("لاوسي", "Laotian"), w("بورمي", "Burmese"), w("كلمنتان", "Kalimantan")}
	dates      = []word{w("سكري", "Sukkari"), w("خلاص", "Khalas"), w("عجوة", "Ajwa"), w("صقعي", "Segai"), w("مجدول", "Medjool"), w("برحي", "Barhi"), w("صفاوي", "Safawi")}
	coffees    = []word{w("شقراء", "Light Roast"), w("بالهيل", "Cardamom"), w("بالزعفران", "Saffron"), w("محمصة وسط", "Medium Roast"), w("بالقرنفل", "Clove")}
)

// material is a material's name and a sentence about it.
type material struct {
	word
	descAR, descEN string
}

// kind is a type of product Large makes.
type kind struct {
	cat        string // leaf category key
	prefix     string // SKU prefix
	ar, en     string // the noun
	fem        bool   // the Arabic noun is feminine (or a non-human plural)
	mats       []string
	styles     []word   // style adjectives it may take
	colours    []string // colour keys to choose from; nil: not coloured
	varieties  []word   // a variety instead of a colour (dates, oud origin)
	scent      bool     // a pair of scent notes is the variety
	tech       bool     // a tech brand and model is the variety
	axis       string   // option varied across the product; "" varies the colour
	values     []string // the axis values, in order
	step       int64    // price added per axis value, SAR
	min, max   int      // base price range, SAR
	grams      int
	brandWords []word
}

var (
	apparel  = []string{"black", "white", "navy", "beige", "grey", "brown", "maroon", "olive", "cream", "camel", "green", "blue", "pink", "lilac"}
	neutrals = []string{"black", "white", "navy", "beige", "grey", "brown", "camel", "olive"}
	metals   = []string{"gold", "silver", "rosegold", "black"}
	xsToXXL  = []string{"XS", "S", "M", "L", "XL", "XXL"}
	thobes   = []string{"52", "54", "56", "58", "60", "62"}
	shoes    = []string{"38", "39", "40", "41", "42", "43", "44", "45"}
	kidsAges = []string{"2Y", "4Y", "6Y", "8Y", "10Y", "12Y"}
)

var kinds = []kind{
	{cat: "abayas", prefix: "LABY", ar: "عباية", en: "Abaya", fem: true, mats: []string{"crepe", "linen", "nada", "chiffon", "velvet", "georgette"}, styles: clothes, colours: apparel, axis: optSize, values: xsToXXL, min: 149, max: 899, grams: 650, brandWords: brands},
	{cat: "abayas", prefix: "LABY", ar: "عباية كاب", en: "Cape Abaya", fem: true, mats: []string{"crepe", "chiffon"}, colours: neutrals, axis: optSize, values: xsToXXL, min: 229, max: 699, grams: 600, brandWords: brands},
	{cat: "dresses", prefix: "LDRS", ar: "فستان", en: "Dress", mats: []string{"cotton", "chiffon", "satin", "silk", "linen"}, styles: clothes, colours: apparel, axis: optSize, values: xsToXXL, min: 129, max: 799, grams: 450, brandWords: brands},
	{cat: "dresses", prefix: "LDRS", ar: "قفطان", en: "Kaftan", mats: []string{"silk", "satin", "velvet"}, styles: clothes, colours: apparel, axis: optSize, values: xsToXXL, min: 249, max: 999, grams: 500, brandWords: brands},
	{cat: "dresses", prefix: "LDRS", ar: "جلابية", en: "Jalabiya", fem: true, mats: []string{"cotton", "linen"}, styles: clothes, colours: apparel, axis: optSize, values: xsToXXL, min: 99, max: 349, grams: 400, brandWords: brands},
	{cat: "shaylas", prefix: "LSHL", ar: "شيلة", en: "Shayla", fem: true, mats: []string{"chiffon", "georgette", "silk", "crepe", "cotton"}, styles: clothes, colours: apparel, min: 29, max: 149, grams: 120, brandWords: brands},
	{cat: "shaylas", prefix: "LSHL", ar: "حجاب", en: "Hijab", mats: []string{"cotton", "chiffon", "crepe"}, colours: apparel, min: 25, max: 89, grams: 110, brandWords: brands},
	{cat: "thobes", prefix: "LTHB", ar: "ثوب", en: "Thobe", mats: []string{"cotton", "linen", "wool"}, styles: clothes, colours: []string{"white", "cream", "beige", "grey", "navy", "brown"}, axis: optSize, values: thobes, min: 129, max: 449, grams: 550, brandWords: brands},
	{cat: "thobes", prefix: "LTHB", ar: "بشت", en: "Bisht", mats: []string{"wool"}, styles: clothes, colours: []string{"black", "brown", "cream", "beige"}, axis: optSize, values: thobes, min: 499, max: 2499, grams: 900, brandWords: brands},
	{cat: "shemagh", prefix: "LSHM", ar: "شماغ", en: "Shemagh", mats: []string{"cotton"}, styles: clothes, min: 89, max: 399, grams: 250, brandWords: brands},
	{cat: "shemagh", prefix: "LSHM", ar: "غترة", en: "Ghutra", fem: true, colours: []string{"white", "cream"}, styles: clothes, min: 59, max: 199, grams: 200, brandWords: brands},
	{cat: "shoes", prefix: "LSHO", ar: "حذاء", en: "Shoes", mats: []string{"leather", "suede", "canvas"}, styles: clothes, colours: neutrals, axis: optSize, values: shoes, min: 149, max: 699, grams: 800, brandWords: brands},
	{cat: "shoes", prefix: "LSHO", ar: "صندل", en: "Sandals", mats: []string{"leather"}, styles: clothes, colours: neutrals, axis: optSize, values: shoes, min: 89, max: 349, grams: 500, brandWords: brands},
	{cat: "bags", prefix: "LBAG", ar: "حقيبة يد", en: "Handbag", fem: true, mats: []string{"leather", "canvas", "suede"}, styles: clothes, colours: apparel, min: 149, max: 1499, grams: 700, brandWords: brands},
	{cat: "bags", prefix: "LBAG", ar: "حقيبة ظهر", en: "Backpack", fem: true, mats: []string{"nylon", "canvas", "denim"}, colours: neutrals, min: 99, max: 399, grams: 600, brandWords: brands},
	{cat: "bags", prefix: "LBAG", ar: "محفظة", en: "Wallet", fem: true, mats: []string{"leather"}, styles: clothes, colours: neutrals, min: 79, max: 399, grams: 150, brandWords: brands},
	{cat: "watches", prefix: "LWCH", ar: "ساعة يد", en: "Wristwatch", fem: true, mats: []string{"steel", "leather"}, styles: things, colours: metals, min: 199, max: 2999, grams: 180, brandWords: brands},
	{cat: "watches", prefix: "LWCH", ar: "ساعة ذكية", en: "Smart Watch", fem: true, tech: true, colours: []string{"black", "silver", "pink", "green", "blue"}, min: 249, max: 1999, grams: 120},
	{cat: "jewellery", prefix: "LJWL", ar: "خاتم", en: "Ring", mats: []string{"silver", "gold"}, styles: jewels, axis: optSize, values: []string{"6", "7", "8", "9", "10", "11"}, min: 99, max: 2499, grams: 30, brandWords: brands},
	{cat: "jewellery", prefix: "LJWL", ar: "قلادة", en: "Necklace", fem: true, mats: []string{"silver", "gold"}, styles: jewels, min: 149, max: 3999, grams: 40, brandWords: brands},
	{cat: "jewellery", prefix: "LJWL", ar: "أسوارة", en: "Bracelet", fem: true, mats: []string{"silver", "gold", "leather"}, styles: jewels, min: 89, max: 2999, grams: 40, brandWords: brands},
	{cat: "sunglasses", prefix: "LSUN", ar: "نظارة شمسية", en: "Sunglasses", fem: true, styles: eyewear, colours: []string{"black", "brown", "gold", "silver", "blue"}, min: 149, max: 999, grams: 90, brandWords: brands},
	{cat: "perfumes", prefix: "LPRF", ar: "عطر", en: "Perfume", scent: true, axis: optSize, values: []string{"30 ml", "50 ml", "100 ml"}, step: 90, min: 89, max: 799, grams: 350, brandWords: scentBrands},
	{cat: "perfumes", prefix: "LPRF", ar: "دهن عود", en: "Oud Oil", varieties: oudOrigins, axis: optSize, values: []string{"3 ml", "6 ml", "12 ml"}, step: 400, min: 299, max: 1999, grams: 100, brandWords: scentBrands},
	{cat: "perfumes", prefix: "LPRF", ar: "بخور", en: "Bakhoor", scent: true, min: 49, max: 349, grams: 200, brandWords: scentBrands},
	{cat: "phones", prefix: "LPHN", ar: "جوال", en: "Smartphone", tech: true, axis: optStorage, values: []string{"64GB", "128GB", "256GB", "512GB", "1TB"}, step: 400, min: 699, max: 4999, grams: 450},
	{cat: "audio", prefix: "LAUD", ar: "سماعات لاسلكية", en: "Wireless Earbuds", fem: true, tech: true, colours: []string{"black", "white", "blue", "pink", "grey"}, min: 99, max: 999, grams: 150},
	{cat: "audio", prefix: "LAUD", ar: "مكبر صوت", en: "Bluetooth Speaker", tech: true, colours: []string{"black", "blue", "red", "grey", "green"}, min: 129, max: 1299, grams: 600},
	{cat: "gadgets", prefix: "LACC", ar: "شاحن سريع", en: "Fast Charger", tech: true, colours: []string{"black", "white"}, min: 49, max: 199, grams: 120},
	{cat: "gadgets", prefix: "LACC", ar: "باور بانك", en: "Power Bank", tech: true, colours: []string{"black", "white", "blue"}, min: 79, max: 299, grams: 350},
	{cat: "home", prefix: "LHOM", ar: "مبخرة", en: "Incense Burner", fem: true, mats: []string{"wood", "copper", "clay"}, styles: things, colours: []string{"black", "gold", "silver", "brown", "white"}, min: 39, max: 599, grams: 700, brandWords: scentBrands},
	{cat: "home", prefix: "LHOM", ar: "دلة", en: "Dallah", fem: true, mats: []string{"copper", "steel"}, styles: things, colours: []string{"gold", "silver", "copper"}, min: 99, max: 899, grams: 1100, brandWords: brands},
	{cat: "home", prefix: "LHOM", ar: "سجادة صلاة", en: "Prayer Mat", fem: true, mats: []string{"velvet", "cotton"}, styles: things, colours: []string{"green", "maroon", "navy", "beige", "grey"}, min: 49, max: 399, grams: 900, brandWords: brands},
	{cat: "food", prefix: "LFOD", ar: "تمر", en: "Dates", varieties: dates, axis: optWeight, values: []string{"500 g", "1 kg", "3 kg"}, step: 60, min: 29, max: 149, grams: 1000, brandWords: foodBrands},
	{cat: "food", prefix: "LFOD", ar: "قهوة عربية", en: "Arabic Coffee", fem: true, varieties: coffees, axis: optWeight, values: []string{"250 g", "500 g", "1 kg"}, step: 35, min: 29, max: 119, grams: 500, brandWords: foodBrands},
	{cat: "kids", prefix: "LKID", ar: "ثوب أولادي", en: "Boys' Thobe", mats: []string{"cotton"}, colours: []string{"white", "cream", "grey"}, axis: optSize, values: kidsAges, min: 59, max: 199, grams: 300, brandWords: brands},
	{cat: "kids", prefix: "LKID", ar: "فستان بناتي", en: "Girls' Dress", mats: []string{"cotton", "chiffon", "satin"}, styles: clothes, colours: []string{"pink", "white", "lilac", "blue", "red"}, axis: optSize, values: kidsAges, min: 79, max: 299, grams: 300, brandWords: brands},
	{cat: "kids", prefix: "LKID", ar: "حذاء أطفال", en: "Kids' Shoes", mats: []string{"canvas", "leather"}, colours: []string{"white", "pink", "blue", "black", "red"}, axis: optSize, values: []string{"24", "26", "28", "30", "32", "34"}, min: 69, max: 249, grams: 400, brandWords: brands},
}

// generator is the state of one Large run.
type generator struct {
	rng  *rand.Rand
	base string
}

// product makes product number n of kind k with at most limit variants.
func (g *generator) product(n int, k *kind, cats [][]feed.CategoryName, limit int) []feed.Item {
	rng := g.rng
	code := k.prefix + "-" + pad6(n)

	// Words of the title. The Arabic order is noun, variety, material,
	// colour, style (عباية كريب سوداء مطرزة); the English is the reverse
	// (Embroidered Black Crepe Abaya).
	brand := w("", "")
	if len(k.brandWords) > 0 {
		brand = k.brandWords[rng.IntN(len(k.brandWords))]
	}
	var variety, col, style word
	var mat material
	switch {
	case k.tech:
		brand = techBrands[rng.IntN(len(techBrands))]
		m := models[rng.IntN(len(models))]
		variety = w(brand.arM+" "+m, brand.en+" "+m)
	case k.scent:
		i := rng.IntN(len(notes))
		j := (i + 1 + rng.IntN(len(notes)-1)) % len(notes)
		variety = w(notes[i].arM+" و"+notes[j].arM, notes[i].en+" & "+notes[j].en)
	case len(k.varieties) > 0:
		variety = k.varieties[rng.IntN(len(k.varieties))]
	}
	if len(k.mats) > 0 {
		mat = materials[k.mats[rng.IntN(len(k.mats))]]
	}
	if len(k.styles) > 0 && rng.IntN(3) > 0 {
		style = k.styles[rng.IntN(len(k.styles))]
	}

	// The variants: a window of the axis values, or several colours.
	count := min(1+rng.IntN(6), limit)
	type variant struct{ name, value, code string }
	var vs []variant
	var steps []int
	switch {
	case k.axis != "":
		count = min(count, len(k.values))
		start := rng.IntN(len(k.values) - count + 1)
		for i := start; i < start+count; i++ {
			v := k.values[i]
			vs = append(vs, variant{k.axis, v, skuCode(v)})
			steps = append(steps, i-start)
		}
		if len(k.colours) > 0 {
			c := colourByKey(k.colours[rng.IntN(len(k.colours))])
			col = word{arM: c.arM, arF: c.arF, en: c.en}
		}
	case len(k.colours) > 0:
		count = min(count, len(k.colours))
		for _, i := range rng.Perm(len(k.colours))[:count] {
			c := colourByKey(k.colours[i])
			vs = append(vs, variant{optColor, c.en, c.code})
			steps = append(steps, 0)
			if count == 1 {
				// A single colour also goes into the title.
				col = word{arM: c.arM, arF: c.arF, en: c.en}
			}
		}
	default:
		count = 1
		vs = []variant{{}}
		steps = []int{0}
	}

	ar := k.ar
	var en []string
	for _, part := range []word{variety, mat.word, col, style} {
		if s := part.ar(k.fem); s != "" {
			ar += " " + s
		}
	}
	order := []word{style, col, mat.word, variety}
	if k.tech {
		order = []word{variety, style, col, mat.word} // Nagham X5 Black Wireless Earbuds
	}
	for _, part := range order {
		if part.en != "" {
			en = append(en, part.en)
		}
	}
	en = append(en, k.en)
	titleEN := strings.Join(en, " ")

	c := categoryByKey(k.cat)
	descAR, descEN := ar, titleEN
	if brand.arM != "" && !k.tech { // a tech title already names the brand
		descAR += " من " + brand.arM
		descEN += " by " + brand.en
	}
	descAR += "."
	descEN += "."
	if mat.descAR != "" {
		descAR += " " + mat.descAR
		descEN += " " + mat.descEN
	}
	descAR += " " + c.closeAR
	descEN += " " + c.closeEN

	// Price and status, per product.
	price := int64(k.min + rng.IntN(k.max-k.min+1))
	price = (price/10*10 + 9) * 100
	if price > int64(k.max)*100 {
		price -= 1000
	}
	var was int64
	if rng.IntN(100) < 15 {
		was = (price*13/10/1000*10 + 9) * 100
	}
	status := "active"
	switch r := rng.IntN(100); {
	case r < 2:
		status = "draft"
	case r < 3:
		status = "archived"
	}
	group := ""
	if k.axis != "" || len(vs) > 1 {
		group = code
	}
	img := categoryImage(c)
	images := []feed.Image{{URL: g.base + MediaPath + img, AltAR: ar, AltEN: titleEN}}
	slug := slugify(titleEN) + "-" + strconv.Itoa(n)

	items := make([]feed.Item, count)
	for i, v := range vs {
		sku := code
		var opts []feed.Option
		if v.name != "" {
			sku += "-" + v.code
			opts = []feed.Option{arabicOption(feed.Option{Name: v.name, Value: v.value})}
		}
		delta := int64(steps[i]) * k.step * 100
		var stock *int
		switch r := rng.IntN(100); {
		case r < 8:
			stock = new(int)
		case r < 15:
		default:
			s := 1 + rng.IntN(150)
			stock = &s
		}
		items[i] = feed.Item{
			SKU: sku, GroupID: group,
			TitleAR: ar, TitleEN: titleEN, DescriptionAR: descAR, DescriptionEN: descEN,
			Slug: slug, Brand: brand.en, Status: status, Categories: cats, Options: opts,
			Price: price + delta, Currency: Currency, Stock: stock, WeightGrams: k.grams,
			Images: images,
		}
		if was > 0 {
			items[i].CompareAt = was + delta
		}
	}
	return items
}

// skuCode is an option value as a SKU part: "100 ml" → "100ML",
// "0-3M" → "03M".
func skuCode(v string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "/", "").Replace(v))
}

// pad6 formats n with at least six digits.
func pad6(n int) string {
	s := strconv.Itoa(n)
	if len(s) < 6 {
		s = "000000"[len(s):] + s
	}
	return s
}
