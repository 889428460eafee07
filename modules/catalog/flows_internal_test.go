package catalog

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/uuid"

	"concierge/internal/i18n"
	"concierge/modules/whatsapp/dialog"
)

func TestExtractSKU(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text, want string }{
		{"arabic chat to order", "أرغب في طلب: عباية سوداء كلاسيكية (SKU: ABY-001-BLK-M)", "ABY-001-BLK-M"},
		{"english chat to order", "I'd like to order: Classic Black Abaya (SKU: ABY-001-BLK-M)", "ABY-001-BLK-M"},
		{"arabic label", "مرحبا رمز المنتج: PRF-002 لو سمحت", "PRF-002"},
		{"lower case", "sku: aby-001-blk-m", "aby-001-blk-m"},
		{"full-width colon and spaces", "SKU ： ABY-1", "ABY-1"},
		{"hash", "SKU#ABY-1.", "ABY-1"},
		{"arabic-indic digits", "رمز المنتج: PRF-٠٠٢", "PRF-002"},
		{"bidi marks", "SKU: \u2066ABY-001\u2069", "ABY-001"},
		{"arabic comma after", "SKU: ABY-1، شكرا", "ABY-1"},
		{"without colon, with a digit", "can I order SKU ABY-001-BLK-XL please", "ABY-001-BLK-XL"},
		{"without colon, no digit", "the sku bag is nice", ""},
		{"the last mention wins", "Bag (SKU: OLD-1) I'd like to order (SKU: NEW-2)", "NEW-2"},
		{"a colon mention beats a bare one", "SKU: ABC and also SKU X-9", "ABC"},
		{"inside a word", "MASKU: X-1", ""},
		{"none", "ابحث عن عباية", ""},
		{"empty", "SKU:", ""},
		{"too long", "SKU: " + strings.Repeat("A", 65), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := ExtractSKU(tc.text); got != tc.want {
				t.Errorf("ExtractSKU(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestChatToOrderText(t *testing.T) {
	t.Parallel()
	tests := []struct{ locale, title, sku, want string }{
		{"ar", "عباية سوداء كلاسيكية", "ABY-001-BLK-M", "أرغب في طلب: عباية سوداء كلاسيكية (SKU: ABY-001-BLK-M)"},
		{"ar-SA", "عباية", "X-1", "أرغب في طلب: عباية (SKU: X-1)"},
		{"en", "Classic Black Abaya", "ABY-001-BLK-M", "I'd like to order: Classic Black Abaya (SKU: ABY-001-BLK-M)"},
		{"", " Two\nlines ", "X-1", "I'd like to order: Two lines (SKU: X-1)"},
		{"en", "Tote (SKU: OLD-1)", "NEW-2", "I'd like to order: Tote (SKU: OLD-1) (SKU: NEW-2)"},
	}
	for _, tc := range tests {
		got := ChatToOrderText(tc.locale, tc.title, tc.sku)
		if got != tc.want {
			t.Errorf("ChatToOrderText(%q, %q, %q) = %q, want %q", tc.locale, tc.title, tc.sku, got, tc.want)
		}
		if sku := ExtractSKU(got); sku != tc.sku {
			t.Errorf("ExtractSKU(%q) = %q, want %q (the flows must read what the storefront writes)", got, sku, tc.sku)
		}
	}
}

// TestClipWords holds the catalog's clipping of titles (dialog.Clip, the
// one reply builder every capability uses) to what the flows need.
func TestClipWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"Classic Black Abaya", 24, "Classic Black Abaya"},
		{"Black Abaya with Gold Embroidery", 24, "Black Abaya with Gold…"},
		{"Tempered Glass Screen Protector", 24, "Tempered Glass Screen…"},
		{"عباية سوداء بأكمام واسعة جدا", 24, "عباية سوداء بأكمام…"},
		{"عباية سوداء بأكمام واسعة", 24, "عباية سوداء بأكمام واسعة"},
		{"Supercalifragilisticexpialidocious", 10, "Supercali…"},
		{"A, very long title", 6, "A, ve…"},
		{"Very, long title", 7, "Very…"},
		{"two\nlines   here", 24, "two lines here"},
		{"ضَمَّةٌ ضَمَّةٌ", 4, "ضَ…"},
		{"", 24, ""},
	}
	for _, tc := range tests {
		got := dialog.Clip(tc.s, tc.n)
		if got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
		if utf8.RuneCountInString(got) > tc.n {
			t.Errorf("Clip(%q, %d) = %q: longer than %d", tc.s, tc.n, got, tc.n)
		}
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	f := NewFlows(nil, dialog.Words{})
	ar := &turn{f: f, ctx: context.Background(), locale: "ar"}
	en := &turn{f: f, ctx: context.Background(), locale: "en"}
	tests := []struct {
		n      int
		ar, en string
	}{
		{0, "لا توجد منتجات", "0 products"},
		{1, "منتج واحد", "1 product"},
		{2, "منتجان", "2 products"},
		{3, "٣ منتجات", "3 products"},
		{10, "١٠ منتجات", "10 products"},
		{11, "١١ منتجًا", "11 products"},
		{99, "٩٩ منتجًا", "99 products"},
		{100, "١٠٠ منتج", "100 products"},
		{102, "١٠٢ منتج", "102 products"},
		{103, "١٠٣ منتجات", "103 products"},
		{111, "١١١ منتجًا", "111 products"},
		{1000, "١٠٠٠ منتج", "1000 products"},
	}
	for _, tc := range tests {
		if got := ar.count(tc.n); got != tc.ar {
			t.Errorf("ar count(%d) = %q, want %q", tc.n, got, tc.ar)
		}
		if got := en.count(tc.n); got != tc.en {
			t.Errorf("en count(%d) = %q, want %q", tc.n, got, tc.en)
		}
	}
}

func TestPriceAndStockTexts(t *testing.T) {
	t.Parallel()
	in, out := 3, 0
	plain := Variant{ID: uuid.New(), SKU: "A-1", Price: 24900, Currency: "SAR", Stock: &in, Options: []Option{{Name: "Color", Value: "Black", NameAR: "اللون", ValueAR: "أسود"}, {Name: "Size", Value: "M"}}}
	sale := Variant{ID: uuid.New(), SKU: "A-2", Price: 38900, CompareAt: 45900, Currency: "SAR", Stock: &out, Options: []Option{{Name: "Color", Value: "Black"}, {Name: "Size", Value: "L"}}}
	kwd := Variant{ID: uuid.New(), SKU: "K-1", Price: 1500, Currency: "KWD"}
	one := Product{TitleAR: "عباية", TitleEN: "Abaya", Currency: "SAR", MinPrice: 24900, MaxPrice: 24900, InStock: true, Variants: []Variant{plain}}
	onSale := Product{Currency: "SAR", MinPrice: 38900, MaxPrice: 38900, Variants: []Variant{sale}}
	ranged := Product{Currency: "SAR", MinPrice: 24900, MaxPrice: 38900, InStock: true, Variants: []Variant{plain, sale}}
	for _, c := range []struct {
		locale                                    string
		variant, sale, kwd, one, onSale, ranged   string
		line, inStock, outOfStock, options, optNm string
	}{
		{
			locale: "en", variant: "SAR\u00a0249.00", sale: "SAR\u00a0389.00 (was SAR\u00a0459.00)", kwd: "KWD\u00a01.500",
			one: "SAR\u00a0249.00", onSale: "SAR\u00a0389.00 (was SAR\u00a0459.00)", ranged: "from SAR\u00a0249.00",
			line: "from SAR\u00a0249.00 · In stock", inStock: "In stock", outOfStock: "Out of stock", options: "Black / M", optNm: "size",
		},
		{
			locale: "ar", variant: "\u200f٢٤٩٫٠٠\u00a0ر.س.\u200f", sale: "\u200f٣٨٩٫٠٠\u00a0ر.س.\u200f بدلًا من \u200f٤٥٩٫٠٠\u00a0ر.س.\u200f",
			kwd: "\u200f١٫٥٠٠\u00a0د.ك.\u200f",
			one: "\u200f٢٤٩٫٠٠\u00a0ر.س.\u200f", onSale: "\u200f٣٨٩٫٠٠\u00a0ر.س.\u200f بدلًا من \u200f٤٥٩٫٠٠\u00a0ر.س.\u200f",
			ranged: "ابتداءً من \u200f٢٤٩٫٠٠\u00a0ر.س.\u200f", line: "ابتداءً من \u200f٢٤٩٫٠٠\u00a0ر.س.\u200f · متوفر",
			inStock: "متوفر", outOfStock: "نفد من المخزون", options: "أسود / M", optNm: "المقاس",
		},
	} {
		tr := &turn{f: NewFlows(nil, dialog.Words{}), ctx: context.Background(), locale: c.locale}
		check := func(what, got, want string) {
			t.Helper()
			if got != want {
				t.Errorf("%s %s = %q, want %q", c.locale, what, got, want)
			}
		}
		check("variantPrice(plain)", tr.variantPrice(plain), c.variant)
		check("variantPrice(sale)", tr.variantPrice(sale), c.sale)
		check("variantPrice(kwd)", tr.variantPrice(kwd), c.kwd)
		check("productPrice(one)", tr.productPrice(one), c.one)
		check("productPrice(onSale)", tr.productPrice(onSale), c.onSale)
		check("productPrice(ranged)", tr.productPrice(ranged), c.ranged)
		check("productLine(ranged)", tr.productLine(ranged), c.line)
		check("stockText(true)", tr.stockText(plain.Available()), c.inStock)
		check("stockText(false)", tr.stockText(sale.Available()), c.outOfStock)
		check("optionLabel", optionLabel(plain, tr.locale), c.options)
		check("optionName", tr.optionName(ranged), c.optNm)
	}
}

func TestSearchText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"ابحث عن عباية", "عباية"},
		{"أبي عباية سوداء لو سمحت", "عباية سوداء"},
		{"عندكم عطر عود؟", "عطر عود"},
		{"search for iphone", "iphone"},
		{"Do you have black abaya?", "black abaya"},
		{"iphone 15", "iphone 15"},
		{"  «عباية»  ", "عباية"},
		{"ابحث عن", ""},
		{"👍", ""},
		{"the", ""},
	}
	for _, tc := range tests {
		if got := searchText(tc.in); got != tc.want {
			t.Errorf("searchText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := searchText(strings.Repeat("عباية ", 50)); utf8.RuneCountInString(got) > 100 {
		t.Errorf("long query kept %d runes", utf8.RuneCountInString(got))
	}
}

func TestIsCourtesy(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"شكرا", "شكرًا جزيلًا", "مشكور", "يعطيك العافية", "thanks!", "Thank you so much", "ok", "تمام 👍"} {
		if !isCourtesy(s) {
			t.Errorf("isCourtesy(%q) = false", s)
		}
	}
	for _, s := range []string{"", "👍", "thanks for the abaya", "عباية", "ok black abaya", "15"} {
		if isCourtesy(s) {
			t.Errorf("isCourtesy(%q) = true", s)
		}
	}
}

// TestFlowTexts: every text of the flows is a bot message of the catalog
// (bot.catalog.*) in both languages, every key the flows name exists, and
// the texts shown as buttons, list buttons, row titles and descriptions fit
// WhatsApp's limits.
func TestFlowTexts(t *testing.T) {
	t.Parallel()
	cat := i18n.MustLoad()
	limits := map[string]int{
		"catalog.menu.title": dialog.MaxListTitle, "catalog.menu.desc": dialog.MaxListDescription,
		"catalog.categories.button": dialog.MaxListButton, "catalog.products.button": dialog.MaxListButton,
		"catalog.variants.button": dialog.MaxListButton, "catalog.more.title": dialog.MaxListTitle,
		"catalog.more.products": dialog.MaxListDescription, "catalog.more.categories": dialog.MaxListDescription,
		"catalog.more.options": dialog.MaxListDescription, "catalog.more.button": dialog.MaxButtonTitle,
		"catalog.browse": dialog.MaxButtonTitle, "catalog.staff": dialog.MaxButtonTitle,
		"catalog.detail.like": dialog.MaxButtonTitle, "catalog.detail.back": dialog.MaxButtonTitle,
		"catalog.variant.another": dialog.MaxButtonTitle, "catalog.all.title": dialog.MaxListTitle,
	}
	var keys []string
	for _, id := range cat.IDs() {
		if k, ok := strings.CutPrefix(id, "bot.catalog."); ok {
			keys = append(keys, "catalog."+k)
		}
	}
	if len(keys) < 50 {
		t.Fatalf("only %d bot.catalog messages", len(keys))
	}
	for _, key := range keys {
		for _, l := range []string{"ar", "en"} {
			s := cat.Text(l, "bot."+key, nil)
			if key == "catalog.count" {
				s = cat.Count(l, "bot."+key, 11, nil)
			}
			if strings.TrimSpace(s) == "" || s == "bot."+key {
				t.Errorf("%s has no %s text", key, l)
			}
			if n, ok := limits[key]; ok && utf8.RuneCountInString(strings.ReplaceAll(s, "{category}", "")) > n {
				t.Errorf("%s/%s: %q is longer than %d runes", key, l, s, n)
			}
			if strings.HasPrefix(key, "catalog.option.") {
				choose := strings.ReplaceAll(cat.Text(l, "bot.catalog.detail.choose", nil), "{option}", s)
				if utf8.RuneCountInString(choose) > dialog.MaxButtonTitle {
					t.Errorf("button %q is longer than %d runes", choose, dialog.MaxButtonTitle)
				}
			}
		}
	}
	for key := range limits {
		if !cat.Has("bot." + key) {
			t.Errorf("limit for unknown key %s", key)
		}
	}
	// Every key the flows name (t.text("..."), notFound("..."), ...).
	files, _ := filepath.Glob("flows*.go")
	named := regexp.MustCompile(`(?:text|notFound)\("(catalog\.[a-z_.]+)"`)
	n := 0
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range named.FindAllStringSubmatch(string(src), -1) {
			n++
			if !cat.Has("bot." + m[1]) {
				t.Errorf("%s names %s: no message bot.%s", file, m[1], m[1])
			}
		}
	}
	if n < 40 {
		t.Fatalf("found only %d text keys in flows*.go: the scan is broken", n)
	}
}
