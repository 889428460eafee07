package demo

import (
	"image/color"

	"concierge/modules/catalog/feed"
)

// category is a node of the demo category tree.
type category struct {
	key    string // also the image name: "category-" + key + ".png"
	parent string // key of the parent; "" for a top level
	ar, en string
	prefix string // SKU prefix of its products
	grams  int    // default shipping weight of its products
	shape  shape  // drawn on its pictures
	// from and to are the corners of its pictures' gradient.
	from, to color.RGBA
	// closeAR and closeEN end the descriptions of its template products.
	closeAR, closeEN string
}

func rgb(hex uint32) color.RGBA {
	return color.RGBA{R: uint8(hex >> 16), G: uint8(hex >> 8), B: uint8(hex), A: 0xff}
}

// categories is the tree, parents before children, in display order.
var categories = []category{
	{key: "women", ar: "نساء", en: "Women", prefix: "WMN", grams: 600, shape: shapeAbaya, from: rgb(0xf3e7e9), to: rgb(0xc9a7b4)},
	{
		key: "abayas", parent: "women", ar: "عبايات", en: "Abayas", prefix: "ABY", grams: 650, shape: shapeAbaya,
		from: rgb(0xe8e2f0), to: rgb(0x8f84a8),
		closeAR: "يُنصح بغسلها يدوياً بماء بارد وكيّها على حرارة منخفضة.",
		closeEN: "Hand wash in cold water and iron on a low setting.",
	},
	{
		key: "dresses", parent: "women", ar: "فساتين", en: "Dresses", prefix: "DRS", grams: 450, shape: shapeDress,
		from: rgb(0xfde2e4), to: rgb(0xe07a8f),
		closeAR: "قصة مريحة بطول كامل، وقماش لا يحتاج إلى كيّ كثير.",
		closeEN: "A comfortable full-length cut in a fabric that needs little ironing.",
	},
	{
		key: "shaylas", parent: "women", ar: "حجابات وشيلات", en: "Hijabs & Shaylas", prefix: "SHL", grams: 120, shape: shapeScarf,
		from: rgb(0xfaf0e6), to: rgb(0xd4b896),
		closeAR: "مقاس 180 × 70 سم، خامة لا تنزلق ولا تحتاج إلى دبابيس كثيرة.",
		closeEN: "Measures 180 × 70 cm; a non-slip fabric that needs few pins.",
	},
	{key: "men", ar: "رجال", en: "Men", prefix: "MEN", grams: 600, shape: shapeThobe, from: rgb(0xe6eef5), to: rgb(0x7d97ad)},
	{
		key: "thobes", parent: "men", ar: "أثواب", en: "Thobes", prefix: "THB", grams: 550, shape: shapeThobe,
		from: rgb(0xf4f6f8), to: rgb(0x9fb3c8),
		closeAR: "خياطة سعودية متقنة ومقاسات مضبوطة.",
		closeEN: "Carefully made Saudi tailoring, true to size.",
	},
	{
		key: "shemagh", parent: "men", ar: "أشمغة وغتر", en: "Shemagh & Ghutra", prefix: "SHM", grams: 250, shape: shapeScarf,
		from: rgb(0xfbeaea), to: rgb(0xc0504d),
		closeAR: "قماش ناعم يحافظ على الكسرة طوال اليوم ولا يبهت مع الغسيل.",
		closeEN: "A soft fabric that holds its fold all day and does not fade in the wash.",
	},
	{
		key: "shoes", ar: "أحذية", en: "Shoes", prefix: "SHO", grams: 800, shape: shapeShoe,
		from: rgb(0xeef2e6), to: rgb(0x8aa36b),
		closeAR: "نعل مريح مضاد للانزلاق، والمقاسات أوروبية.",
		closeEN: "A comfortable non-slip sole; European sizes.",
	},
	{
		key: "bags", ar: "حقائب", en: "Bags", prefix: "BAG", grams: 700, shape: shapeBag,
		from: rgb(0xf6ede3), to: rgb(0xb08463),
		closeAR: "بطانة داخلية وجيوب منظمة وسحاب معدني متين.",
		closeEN: "Lined inside, with organiser pockets and a sturdy metal zip.",
	},
	{key: "accessories", ar: "إكسسوارات", en: "Accessories", prefix: "ACS", grams: 150, shape: shapeWatch, from: rgb(0xf7f3e3), to: rgb(0xc8a951)},
	{
		key: "watches", parent: "accessories", ar: "ساعات", en: "Watches", prefix: "WCH", grams: 180, shape: shapeWatch,
		from: rgb(0xeceff1), to: rgb(0x78909c),
		closeAR: "تصلك في علبتها الأصلية مع ضمان لمدة سنتين.",
		closeEN: "Delivered in its original box with a two-year warranty.",
	},
	{
		key: "jewellery", parent: "accessories", ar: "مجوهرات", en: "Jewellery", prefix: "JWL", grams: 60, shape: shapeRing,
		from: rgb(0xfdf6e3), to: rgb(0xd4af37),
		closeAR: "تأتي في علبة هدايا أنيقة.",
		closeEN: "Comes in an elegant gift box.",
	},
	{
		key: "sunglasses", parent: "accessories", ar: "نظارات شمسية", en: "Sunglasses", prefix: "SUN", grams: 90, shape: shapeGlasses,
		from: rgb(0xfff4e0), to: rgb(0xe0913a),
		closeAR: "عدسات بحماية كاملة من الأشعة فوق البنفسجية (UV400) مع علبة وقطعة تنظيف.",
		closeEN: "Lenses with full UV400 protection, with a case and a cleaning cloth.",
	},
	{
		key: "perfumes", ar: "عطور وعود", en: "Perfumes & Oud", prefix: "PRF", grams: 350, shape: shapeBottle,
		from: rgb(0xf5ece1), to: rgb(0x7b4b2a),
		closeAR: "ثبات عالٍ وفوحان مميز، ومناسب للمناسبات والاستخدام اليومي.",
		closeEN: "Long-lasting with a rich trail, for occasions and every day.",
	},
	{key: "electronics", ar: "إلكترونيات", en: "Electronics", prefix: "ELC", grams: 300, shape: shapePhone, from: rgb(0xe3f2fd), to: rgb(0x3f6fb5)},
	{
		key: "phones", parent: "electronics", ar: "جوالات", en: "Phones", prefix: "PHN", grams: 450, shape: shapePhone,
		from: rgb(0xe8eaf6), to: rgb(0x3949ab),
		closeAR: "جهاز أصلي بضمان الوكيل في المملكة لمدة سنتين.",
		closeEN: "Genuine device with a two-year local agent warranty in Saudi Arabia.",
	},
	{
		key: "audio", parent: "electronics", ar: "صوتيات", en: "Audio", prefix: "AUD", grams: 250, shape: shapeEarbuds,
		from: rgb(0xe0f7fa), to: rgb(0x00838f),
		closeAR: "اتصال بلوتوث 5.3 وضمان لمدة سنة.",
		closeEN: "Bluetooth 5.3, with a one-year warranty.",
	},
	{
		key: "gadgets", parent: "electronics", ar: "ملحقات", en: "Accessories", prefix: "ACC", grams: 150, shape: shapeBolt,
		from: rgb(0xf1f8e9), to: rgb(0x558b2f),
		closeAR: "متوافق مع أجهزة آيفون وأندرويد.",
		closeEN: "Works with iPhone and Android devices.",
	},
	{
		key: "home", ar: "المنزل والبخور", en: "Home & Bakhoor", prefix: "HOM", grams: 900, shape: shapeBurner,
		from: rgb(0xf3ece6), to: rgb(0x8d6e63),
		closeAR: "هدية مناسبة للمنزل الجديد ولشهر رمضان.",
		closeEN: "A fitting gift for a new home or for Ramadan.",
	},
	{
		key: "food", ar: "أطعمة وقهوة", en: "Food & Coffee", prefix: "FOD", grams: 1000, shape: shapeCup,
		from: rgb(0xfbf3e4), to: rgb(0xa1662f),
		closeAR: "يُحفظ في مكان بارد وجاف بعيداً عن أشعة الشمس.",
		closeEN: "Store in a cool, dry place away from sunlight.",
	},
	{
		key: "kids", ar: "أطفال", en: "Kids", prefix: "KID", grams: 300, shape: shapeStar,
		from: rgb(0xfff8e1), to: rgb(0xf4a261),
		closeAR: "خامات ناعمة وآمنة ولطيفة على بشرة الأطفال.",
		closeEN: "Soft, safe materials that are gentle on children's skin.",
	},
}

// categoryByKey returns the category with key; an unknown key is a bug in
// the demo data and panics.
func categoryByKey(key string) *category {
	for i := range categories {
		if categories[i].key == key {
			return &categories[i]
		}
	}
	panic("demo: unknown category " + key)
}

// categoryPath is the path from the root to key, e.g. Women > Abayas.
func categoryPath(key string) []feed.CategoryName {
	c := categoryByKey(key)
	name := feed.CategoryName{AR: c.ar, EN: c.en}
	if c.parent == "" {
		return []feed.CategoryName{name}
	}
	return append(categoryPath(c.parent), name)
}

// Categories returns the demo category paths, parents before children, e.g.
// [Women], [Women Abayas], ... (every node of the tree once).
func Categories() [][]feed.CategoryName {
	out := make([][]feed.CategoryName, len(categories))
	for i := range categories {
		out[i] = categoryPath(categories[i].key)
	}
	return out
}

// CategoryImages returns the names of the category pictures, one per
// category in the order of Categories. Large uses them as product images.
func CategoryImages() []string {
	out := make([]string, len(categories))
	for i := range categories {
		out[i] = categoryImage(&categories[i])
	}
	return out
}

func categoryImage(c *category) string { return "category-" + c.key + ".png" }
