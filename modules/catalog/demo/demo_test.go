package demo

import (
	"bytes"
	"encoding/csv"
	"image"
	"image/color"
	"image/png"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"concierge/modules/catalog/feed"
)

const base = "https://shop.example.sa"

// productKey is how the importer groups variants: GroupID, else SKU.
func productKey(it feed.Item) string {
	if it.GroupID != "" {
		return it.GroupID
	}
	return it.SKU
}

func TestCatalogIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := Catalog(base), Catalog(base+"/")
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two calls to Catalog differ")
	}
	var ca, cb bytes.Buffer
	if err := WriteCSV(&ca, a); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&cb, Catalog(base)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ca.Bytes(), cb.Bytes()) {
		t.Fatal("the catalog's CSV differs between runs")
	}
}

func TestCatalogShape(t *testing.T) {
	t.Parallel()
	items := Catalog(base)
	products := map[string]bool{}
	skus := map[string]bool{}
	slugs := map[string]string{} // slug → product
	var outOfStock, untracked, onSale, drafts int
	for _, it := range items {
		key := productKey(it)
		products[key] = true
		if skus[it.SKU] {
			t.Errorf("duplicate SKU %s", it.SKU)
		}
		skus[it.SKU] = true
		if other, ok := slugs[it.Slug]; ok && other != key {
			t.Errorf("slug %q used by %s and %s", it.Slug, other, key)
		}
		slugs[it.Slug] = key
		if it.TitleAR == "" || it.TitleEN == "" || it.DescriptionAR == "" || it.DescriptionEN == "" {
			t.Errorf("%s lacks a title or description in a language", it.SKU)
		}
		if it.GroupID != "" && !strings.HasPrefix(it.SKU, it.GroupID+"-") {
			t.Errorf("%s is not named after its group %s", it.SKU, it.GroupID)
		}
		if it.Price <= 0 || it.Currency != "SAR" {
			t.Errorf("%s: price %d %s", it.SKU, it.Price, it.Currency)
		}
		if it.CompareAt != 0 && it.CompareAt <= it.Price {
			t.Errorf("%s: compare-at %d not above price %d", it.SKU, it.CompareAt, it.Price)
		}
		if it.Status != "active" && it.Status != "draft" {
			t.Errorf("%s: status %q", it.SKU, it.Status)
		}
		if len(it.Categories) == 0 || len(it.Images) == 0 || len(it.Options) > 3 || it.WeightGrams <= 0 {
			t.Errorf("%s: %d categories, %d images, %d options, %d g", it.SKU, len(it.Categories), len(it.Images), len(it.Options), it.WeightGrams)
		}
		for _, im := range it.Images {
			if !strings.HasPrefix(im.URL, base+MediaPath) || im.AltAR == "" || im.AltEN == "" {
				t.Errorf("%s: image %+v", it.SKU, im)
			}
		}
		switch {
		case it.Stock == nil:
			untracked++
		case *it.Stock == 0:
			outOfStock++
		}
		if it.CompareAt > 0 {
			onSale++
		}
		if it.Status == "draft" {
			drafts++
		}
	}
	top := 0
	for _, path := range Categories() {
		if len(path) == 1 {
			top++
		}
	}
	t.Logf("%d products, %d variants, %d categories (%d top level)", len(products), len(items), len(Categories()), top)
	if len(products) < 180 || len(products) > 220 {
		t.Errorf("%d products, want about 200", len(products))
	}
	if top != 10 || len(Categories()) < 15 {
		t.Errorf("%d top-level categories of %d, want 10 with subcategories", top, len(Categories()))
	}
	if len(items) < 2*len(products) {
		t.Errorf("%d variants for %d products: want most products to have variants", len(items), len(products))
	}
	if outOfStock == 0 || untracked == 0 || onSale == 0 || drafts < 2 {
		t.Errorf("out of stock %d, untracked %d, on sale %d, drafts %d: want some of each", outOfStock, untracked, onSale, drafts)
	}
}

func TestCatalogHasTheProductsSearchTestsRelyOn(t *testing.T) {
	t.Parallel()
	byTitle := map[string][]feed.Item{}
	for _, it := range Catalog(base) {
		byTitle[it.TitleAR+"|"+it.TitleEN] = append(byTitle[it.TitleAR+"|"+it.TitleEN], it)
	}
	tests := []struct {
		ar, en   string
		category string // English path, "" to skip
		brand    string
		options  string // option name: values, "" to skip
		status   string
		stock    string // "in": every variant in stock; "out": none
	}{
		{"عباية سوداء كلاسيكية", "Classic Black Abaya", "Women > Abayas", "", "Size: S M L XL", "active", "in"},
		{"عباية مطرزة كحلي", "Navy Embroidered Abaya", "Women > Abayas", "", "", "active", "in"},
		{"ساعة يد رجالية فضية", "Men's Silver Wristwatch", "Accessories > Watches", "", "", "active", "in"},
		{"ساعة ذكية رياضية", "Sport Smart Watch", "Accessories > Watches", "", "", "active", "in"},
		{"آيفون 15 برو", "iPhone 15 Pro", "Electronics > Phones", "Apple", "Storage: 128GB 256GB", "active", "in"},
		{"آيفون 15", "iPhone 15", "Electronics > Phones", "Apple", "", "active", "in"},
		{"سامسونج جالكسي S24", "Samsung Galaxy S24", "Electronics > Phones", "Samsung", "", "active", "in"},
		{"العطر الملكي للعود", "Royal Oud Perfume", "Perfumes & Oud", "Arabian Oud", "", "active", "in"},
		{"عطر المسك الأبيض", "White Musk Perfume", "Perfumes & Oud", "", "", "active", "in"},
		{"دهن العود الكمبودي", "Cambodian Oud Oil", "Perfumes & Oud", "", "", "active", "in"},
		{"بخور معطر فاخر", "Luxury Scented Bakhoor", "Perfumes & Oud", "", "", "active", "in"},
		{"ثوب رجالي أبيض", "Men's White Thobe", "Men > Thobes", "", "Size: 52 54 56 58", "active", "in"},
		{"شماغ أحمر", "Red Shemagh", "Men > Shemagh & Ghutra", "", "", "active", "in"},
		{"غترة بيضاء", "White Ghutra", "Men > Shemagh & Ghutra", "", "", "active", "in"},
		{"حذاء رياضي للجري", "Running Sneakers", "Shoes", "", "Size: 40 41 42 43 44", "active", "in"},
		{"شنطة يد جلدية", "Leather Handbag", "Bags", "", "", "active", "in"},
		{"قهوة عربية بالهيل", "Arabic Coffee with Cardamom", "Food & Coffee", "", "", "active", "in"},
		{"تمر سكري فاخر", "Premium Sukkari Dates", "Food & Coffee", "", "", "active", "in"},
		{"دلة قهوة نحاسية", "Copper Dallah Coffee Pot", "", "", "", "active", "in"},
		{"مبخرة كهربائية", "Electric Incense Burner", "", "", "", "active", "in"},
		{"سماعات لاسلكية", "Wireless Earbuds", "Electronics > Audio", "", "", "active", "in"},
		{"جلابية مغربية", "Moroccan Jalabiya", "", "", "", "active", "in"},
		{"نظارة شمسية", "Sunglasses", "", "", "", "active", "in"},
		{"خاتم فضة", "Silver Ring", "", "", "", "active", "in"},
		{"عباية سوداء مخملية", "Black Velvet Abaya", "Women > Abayas", "", "", "active", "out"},
		{"منتج تجريبي مسودة", "Draft Sample Product", "", "", "", "draft", ""},
	}
	for _, tt := range tests {
		t.Run(tt.en, func(t *testing.T) {
			t.Parallel()
			variants := byTitle[tt.ar+"|"+tt.en]
			if len(variants) == 0 {
				t.Fatalf("no product titled %q / %q", tt.ar, tt.en)
			}
			groups := map[string]bool{}
			for _, v := range variants {
				groups[productKey(v)] = true
			}
			if len(groups) != 1 {
				t.Fatalf("%d products share the title %q", len(groups), tt.en)
			}
			first := variants[0]
			if tt.category != "" && !slices.Contains(pathsEN(first.Categories), tt.category) {
				t.Errorf("categories %v, want %q among them", pathsEN(first.Categories), tt.category)
			}
			if tt.brand != "" && first.Brand != tt.brand {
				t.Errorf("brand %q, want %q", first.Brand, tt.brand)
			}
			if tt.options != "" {
				name, values, _ := strings.Cut(tt.options, ": ")
				var got []string
				for _, v := range variants {
					for _, o := range v.Options {
						if o.Name == name && !slices.Contains(got, o.Value) {
							got = append(got, o.Value)
						}
					}
				}
				if strings.Join(got, " ") != values {
					t.Errorf("%s values %v, want %s", name, got, values)
				}
			}
			for _, v := range variants {
				if v.Status != tt.status {
					t.Errorf("%s: status %q, want %q", v.SKU, v.Status, tt.status)
				}
				switch {
				case tt.stock == "in" && (v.Stock == nil || *v.Stock <= 0):
					t.Errorf("%s: stock %v, want in stock", v.SKU, v.Stock)
				case tt.stock == "out" && (v.Stock == nil || *v.Stock != 0):
					t.Errorf("%s: stock %v, want 0", v.SKU, v.Stock)
				}
			}
		})
	}

	// The SKU scheme the brief names.
	found := false
	for _, it := range Catalog(base) {
		if it.SKU == "ABY-001-BLK-M" {
			found = it.TitleEN == "Classic Black Abaya" && it.Price == 24900
		}
	}
	if !found {
		t.Error(`no "ABY-001-BLK-M" Classic Black Abaya at 249.00 SAR`)
	}
}

func pathsEN(cats [][]feed.CategoryName) []string {
	var out []string
	for _, path := range cats {
		var names []string
		for _, level := range path {
			names = append(names, level.EN)
		}
		out = append(out, strings.Join(names, " > "))
	}
	return out
}

func TestImages(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	for _, it := range Catalog(base) {
		for _, im := range it.Images {
			names[strings.TrimPrefix(im.URL, base+MediaPath)] = true
		}
	}
	for _, n := range CategoryImages() {
		names[n] = true
	}
	if all := ImageNames(); len(all) != len(names) {
		t.Errorf("ImageNames has %d names, the catalog and categories use %d", len(all), len(names))
	}

	// Render on both cores; every picture must decode to ImageSize square.
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan string)
	for range 2 {
		wg.Go(func() {
			for n := range work {
				b, ok := Image(n)
				if !ok {
					mu.Lock()
					t.Errorf("Image(%q) not found", n)
					mu.Unlock()
					continue
				}
				img, err := png.Decode(bytes.NewReader(b))
				mu.Lock()
				if err != nil {
					t.Errorf("Image(%q) does not decode: %v", n, err)
				} else if s := img.Bounds().Size(); s.X != ImageSize || s.Y != ImageSize {
					t.Errorf("Image(%q) is %v, want %d square", n, s, ImageSize)
				}
				mu.Unlock()
			}
		})
	}
	for n := range names {
		work <- n
	}
	close(work)
	wg.Wait()

	// Cached and freshly rendered bytes are the same.
	cached, _ := Image("aby-001.png")
	if fresh := render(imageIndex()["aby-001.png"]); !bytes.Equal(cached, fresh) {
		t.Error("rendering aby-001.png twice gave different bytes")
	}

	for _, bad := range []string{"", "aby-001.PNG", "aby-999.png", "../aby-001.png", "/etc/passwd", "media/demo/aby-001.png", "category-abayas.png/..", "aby-001.png\x00"} {
		if _, ok := Image(bad); ok {
			t.Errorf("Image(%q) served a picture", bad)
		}
	}
}

func TestEncodePNGRoundTrip(t *testing.T) {
	t.Parallel()
	img := image.NewRGBA(image.Rect(0, 0, 37, 23))
	for y := range 23 {
		for x := range 37 {
			img.Set(x, y, color.RGBA{R: uint8(x * 7), G: uint8(y * 11), B: uint8(x*y + 3), A: 0xff})
		}
	}
	got, err := png.Decode(bytes.NewReader(encodePNG(img)))
	if err != nil {
		t.Fatal(err)
	}
	for y := range 23 {
		for x := range 37 {
			if a, b := color.RGBAModel.Convert(got.At(x, y)), img.At(x, y); a != b {
				t.Fatalf("pixel %d,%d = %v, want %v", x, y, a, b)
			}
		}
	}
}

func TestWriteCSV(t *testing.T) {
	t.Parallel()
	items := Catalog(base)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, items); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(&buf)
	r.FieldsPerRecord = len(header)
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(items)+1 || !slices.Equal(rows[0], header) {
		t.Fatalf("%d rows for %d items; header %v", len(rows), len(items), rows[0])
	}
	bySKU := map[string]map[string]string{}
	for _, row := range rows[1:] {
		m := map[string]string{}
		for i, col := range header {
			m[col] = row[i]
		}
		bySKU[m["sku"]] = m
	}
	tests := []struct {
		sku, column, want string
	}{
		{"ABY-001-BLK-M", "group_id", "ABY-001"},
		{"ABY-001-BLK-M", "title_ar", "عباية سوداء كلاسيكية"},
		{"ABY-001-BLK-M", "category_ar", "نساء > عبايات"},
		{"ABY-001-BLK-M", "category_en", "Women > Abayas"},
		{"ABY-001-BLK-M", "option1_name", "Color"},
		{"ABY-001-BLK-M", "option1_value", "Black"},
		{"ABY-001-BLK-M", "option2_value", "M"},
		{"ABY-001-BLK-M", "option3_name", ""},
		{"ABY-001-BLK-M", "price", "249.00"},
		{"ABY-001-BLK-M", "compare_at_price", ""},
		{"ABY-001-BLK-M", "currency", "SAR"},
		{"ABY-001-BLK-M", "image_urls", base + "/media/demo/aby-001.png"},
		{"ABY-001-BLK-M", "image_alt_en", "Classic Black Abaya"},
		{"ABY-002-NVY-L", "compare_at_price", "459.00"},
		{"ABY-003-BLK-S", "stock", "0"},
		{"THB-002-WHT", "stock", ""},
		{"PHN-001-NAT-256", "price", "5099.00"},
		{"PRF-004", "category_en", "Perfumes & Oud | Home & Bakhoor"},
		{"PRF-004", "category_ar", "عطور وعود | المنزل والبخور"},
		{"PRF-004", "group_id", ""},
		{"HOM-012", "status", "draft"},
	}
	for _, tt := range tests {
		row, ok := bySKU[tt.sku]
		if !ok {
			t.Errorf("no row for %s", tt.sku)
			continue
		}
		if row[tt.column] != tt.want {
			t.Errorf("%s %s = %q, want %q", tt.sku, tt.column, row[tt.column], tt.want)
		}
	}
}

func TestMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minor    int64
		currency string
		want     string
	}{
		{14900, "SAR", "149.00"},
		{5, "SAR", "0.05"},
		{0, "AED", "0.00"},
		{12500, "KWD", "12.500"},
		{7, "BHD", "0.007"},
		{-250, "SAR", "-2.50"},
		{1200, "JPY", "1200"},
	}
	for _, tt := range tests {
		if got := money(tt.minor, tt.currency); got != tt.want {
			t.Errorf("money(%d, %s) = %q, want %q", tt.minor, tt.currency, got, tt.want)
		}
	}
}

func TestLarge(t *testing.T) {
	t.Parallel()
	var a, b, c bytes.Buffer
	if err := Large(&a, 1000, 1); err != nil {
		t.Fatal(err)
	}
	if err := Large(&b, 1000, 1); err != nil {
		t.Fatal(err)
	}
	if err := Large(&c, 1000, 2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("Large with the same seed wrote different bytes")
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Fatal("Large with another seed wrote the same bytes")
	}

	r := csv.NewReader(&a)
	r.FieldsPerRecord = len(header)
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], header) {
		t.Fatalf("header %v", rows[0])
	}
	if len(rows)-1 != 1000 {
		t.Fatalf("%d data rows, want 1000", len(rows)-1)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	skus := map[string]bool{}
	sizes := map[string]int{}
	slugs := map[string]string{}
	var order []string
	for _, row := range rows[1:] {
		sku := row[col["sku"]]
		if skus[sku] {
			t.Errorf("duplicate SKU %s", sku)
		}
		skus[sku] = true
		key := row[col["group_id"]]
		if key == "" {
			key = sku
		}
		if sizes[key] == 0 {
			order = append(order, key)
		}
		sizes[key]++
		if other, ok := slugs[row[col["slug"]]]; ok && other != key {
			t.Errorf("slug %s shared by %s and %s", row[col["slug"]], other, key)
		}
		slugs[row[col["slug"]]] = key
		for _, c := range []string{"title_ar", "title_en", "description_ar", "description_en", "category_ar", "category_en", "price", "image_urls"} {
			if row[col[c]] == "" {
				t.Errorf("%s: empty %s", sku, c)
			}
		}
		if row[col["currency"]] != "SAR" || !strings.Contains(row[col["price"]], ".") {
			t.Errorf("%s: price %q %q", sku, row[col["price"]], row[col["currency"]])
		}
		if !strings.HasPrefix(row[col["image_urls"]], DefaultMediaBaseURL+MediaPath+"category-") {
			t.Errorf("%s: image %q", sku, row[col["image_urls"]])
		}
	}
	for _, key := range order {
		if n := sizes[key]; n < 1 || n > 6 {
			t.Errorf("product %s has %d variants, want 1 to 6", key, n)
		}
	}
	if len(order) < 1000/6 || len(order) > 1000/2 {
		t.Errorf("%d products for 1000 variants", len(order))
	}

	var empty bytes.Buffer
	if err := Large(&empty, 0, 1); err != nil || strings.Count(empty.String(), "\n") != 1 {
		t.Errorf("Large(0) = %q, %v; want the header only", empty.String(), err)
	}
	if err := Large(io.Discard, -1, 1); err == nil {
		t.Error("Large(-1) accepted a negative count")
	}
}

func BenchmarkLarge100k(b *testing.B) {
	for b.Loop() {
		if err := Large(io.Discard, 100_000, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderImage(b *testing.B) {
	spec := imageIndex()["aby-001.png"]
	for b.Loop() {
		render(spec)
	}
}
