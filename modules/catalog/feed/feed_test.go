package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"concierge/internal/errs"
	"concierge/internal/i18n"
)

// testNow is the time sale_price_effective_date is checked against.
var testNow = time.Date(2025, 3, 15, 12, 0, 0, 0, time.FixedZone("AST", 3*3600))

func intp(n int) *int { return &n }

func en(names ...string) []CategoryName {
	path := make([]CategoryName, len(names))
	for i, n := range names {
		path[i] = CategoryName{EN: n}
	}
	return path
}

func ar(names ...string) []CategoryName {
	path := make([]CategoryName, len(names))
	for i, n := range names {
		path[i] = CategoryName{AR: n}
	}
	return path
}

func images(urls ...string) []Image {
	imgs := make([]Image, len(urls))
	for i, u := range urls {
		imgs[i] = Image{URL: u}
	}
	return imgs
}

// parseFile parses a file of testdata.
func parseFile(t *testing.T, name string, f Format, opt Options) (Result, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return Parse(bytes.NewReader(b), f, opt)
}

// wantResult is a parsed feed as a test expects it: rejects with their
// reasons in English (rendered from the catalog; reasonText checks the
// Arabic rendering too).
type wantResult struct {
	Format  Format
	Items   []Item
	Rejects []rej
}

// rej is a rejected row with its reason in English.
type rej struct {
	Line   int
	SKU    string
	Reason string
}

// reasonText renders a reason in English, after checking that it renders
// completely in Arabic as well: every value it names appears, no template
// value is missing, and the text is the message's, not its id.
func reasonText(t *testing.T, m errs.Message) string {
	t.Helper()
	cat := i18n.MustLoad()
	if !cat.Has(m.ID) {
		t.Errorf("reason %s is not in the message catalog", m)
		return m.String()
	}
	for _, lang := range []string{i18n.AR, i18n.EN} {
		s := cat.Text(lang, m.ID, m.Data)
		if strings.Contains(s, "<no value>") || strings.TrimSpace(s) == "" {
			t.Errorf("reason %s renders incompletely in %s: %q", m, lang, s)
		}
		for k, v := range m.Data {
			if str, ok := v.(string); ok && str != "" && !strings.Contains(s, str) && k != "kind" && k != "allowed" {
				t.Errorf("reason %s in %s does not show its %s %q: %q", m, lang, k, str, s)
			}
		}
		if lang == i18n.AR && !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x0600 && r <= 0x06FF }) {
			t.Errorf("reason %s has no Arabic text: %q", m, s)
		}
	}
	return cat.Text(i18n.EN, m.ID, m.Data)
}

// english is rejects as a test writes them.
func english(t *testing.T, rs []Reject) []rej {
	t.Helper()
	var out []rej
	for _, r := range rs {
		out = append(out, rej{Line: r.Line, SKU: r.SKU, Reason: reasonText(t, r.Reason)})
	}
	return out
}

// assertResult compares results item by item, printing both as JSON.
func assertResult(t *testing.T, got Result, want wantResult) {
	t.Helper()
	if got.Format != want.Format {
		t.Errorf("Format = %q, want %q", got.Format, want.Format)
	}
	for i := range max(len(got.Items), len(want.Items)) {
		var g, w *Item
		if i < len(got.Items) {
			g = &got.Items[i]
		}
		if i < len(want.Items) {
			w = &want.Items[i]
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("item %d:\n got %s\nwant %s", i, dump(g), dump(w))
		}
	}
	if rejects := english(t, got.Rejects); !reflect.DeepEqual(rejects, want.Rejects) {
		t.Errorf("rejects:\n got %s\nwant %s", dump(rejects), dump(want.Rejects))
	}
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "     ", "  ")
	return string(b)
}

var sampleOpt = Options{DefaultCurrency: "SAR", Now: testNow}

func TestParseConciergeCSV(t *testing.T) {
	t.Parallel()
	want := wantResult{
		Format: FormatCSV,
		Items: []Item{
			{
				Line: 2, SKU: "ABY-001-S-BLK", GroupID: "ABY-001",
				TitleAR: "عباية كريب سوداء", TitleEN: "Black Crepe Abaya",
				DescriptionAR: "عباية كريب فاخرة\nبأكمام واسعة", DescriptionEN: "Premium crepe abaya with wide sleeves",
				Slug: "black-crepe-abaya", Brand: "Lomar", Status: "active",
				Categories: [][]CategoryName{{{AR: "نساء", EN: "Women"}, {AR: "عبايات", EN: "Abayas"}}},
				Options:    []Option{{Name: "المقاس", Value: "S"}, {Name: "اللون", Value: "أسود"}},
				Price:      34900, CompareAt: 39900, Currency: "SAR", Stock: intp(5), WeightGrams: 900,
				Images: []Image{
					{URL: "https://cdn.example.sa/aby-001-1.jpg", AltAR: "عباية سوداء", AltEN: "Black abaya"},
					{URL: "https://cdn.example.sa/aby-001-2.jpg"},
				},
				Link:       "https://shop.example.sa/p/aby-001",
				Attributes: map[string]string{"Material": "Crepe"},
			},
			{
				Line: 4, SKU: "ABY-001-M-BLK", GroupID: "ABY-001",
				TitleAR: "عباية كريب سوداء", TitleEN: "Black Crepe Abaya",
				Options: []Option{{Name: "المقاس", Value: "M"}, {Name: "اللون", Value: "أسود"}},
				Price:   34900, Currency: "SAR", Stock: intp(0),
			},
			{
				Line: 5, SKU: "TOB-100", TitleAR: "ثوب قطن أبيض", TitleEN: "White Cotton Thobe",
				Brand: "Al Aseel", Status: "draft",
				Categories: [][]CategoryName{
					{{AR: "رجال", EN: "Men"}, {AR: "ثياب", EN: "Thobes"}},
					{{AR: "تخفيضات", EN: "Sale"}},
				},
				Price: 15000, Currency: "SAR",
				Images:     images("https://cdn.example.sa/tob-100.jpg"),
				Attributes: map[string]string{"Material": "Cotton"},
			},
			{
				Line: 9, SKU: "DAT-KW-1", TitleAR: "تمر سكري", TitleEN: "Sukkari Dates 1kg",
				Price: 12500, Currency: "KWD", Stock: intp(40), WeightGrams: 1000,
			},
		},
		Rejects: []rej{
			{Line: 6, SKU: "OUD-1", Reason: `price "abc" is not a number`},
			{Line: 7, Reason: "sku is required"},
			{Line: 8, SKU: "ABY-001-M-BLK", Reason: `duplicate SKU "ABY-001-M-BLK" (first on line 4)`},
			{Line: 10, SKU: "SCF-1", Reason: "compare_at_price must be greater than price"},
			{Line: 12, SKU: "MSK-1", Reason: "category_ar has 2 categories but category_en has 1"},
		},
	}
	got, err := parseFile(t, "concierge.csv", FormatAuto, sampleOpt)
	if err != nil {
		t.Fatal(err)
	}
	assertResult(t, got, want)
}

func TestParseConciergeTSV(t *testing.T) {
	t.Parallel()
	want := wantResult{
		Format: FormatTSV,
		Items: []Item{
			{
				Line: 2, SKU: "PERF-50", TitleEN: "Oud Perfume 50ml", TitleAR: "عطر عود ٥٠ مل",
				Price: 22000, Currency: "AED", Stock: intp(12),
				Images: images("https://cdn.example.ae/perf-50.jpg", "https://cdn.example.ae/perf-50-box.jpg"),
			},
			{
				Line: 3, SKU: "TSH-1-M-WHT", GroupID: "TSH-1", TitleEN: "Linen Shirt",
				Options: []Option{{Name: "Size", Value: "M"}, {Name: "Color", Value: "White"}, {Name: "Fit", Value: "Slim"}},
				Price:   8950, Currency: "SAR",
				Attributes: map[string]string{"care": "Hand wash"},
			},
		},
		Rejects: []rej{
			{Line: 4, SKU: "TSH-1-L-WHT", Reason: `stock "-3" must not be negative`},
			{Line: 5, Reason: "sku is required"},
			{Line: 6, SKU: "PERF-50", Reason: `duplicate SKU "PERF-50" (first on line 2)`},
			{Line: 7, SKU: "PERF-100", Reason: `price "15.001" has 3 decimals but AED allows 2`},
			{Line: 8, SKU: "PERF-200", Reason: "has 4 fields but the header has 15"},
		},
	}
	got, err := parseFile(t, "concierge.tsv", FormatAuto, sampleOpt)
	if err != nil {
		t.Fatal(err)
	}
	assertResult(t, got, want)
}

func TestParseConciergeJSON(t *testing.T) {
	t.Parallel()
	want := wantResult{
		Format: FormatJSON,
		Items: []Item{
			{
				Line: 4, SKU: "JLB-200-L-NVY", GroupID: "JLB-200",
				TitleAR: "جلابية مطرزة", TitleEN: "Embroidered Jalabiya",
				DescriptionEN: "Hand-embroidered cotton jalabiya.",
				Categories:    [][]CategoryName{{{AR: "نساء", EN: "Women"}, {AR: "جلابيات", EN: "Jalabiyas"}}},
				Options:       []Option{{Name: "Size", Value: "L"}, {Name: "Colour", Value: "Navy"}},
				Price:         14950, CompareAt: 19900, Currency: "SAR",
				Images:     []Image{{URL: "https://cdn.example.sa/jlb-200.jpg", AltAR: "جلابية كحلي", AltEN: "Navy jalabiya"}},
				Attributes: map[string]string{"material": "Cotton", "origin": "Egypt"},
			},
			{
				Line: 18, SKU: "JLB-200-M-NVY", GroupID: "JLB-200", TitleEN: "Embroidered Jalabiya",
				Options: []Option{{Name: "Size", Value: "M"}, {Name: "Colour", Value: "Navy"}},
				Price:   14950, Currency: "SAR", Stock: intp(3),
			},
			{
				Line: 33, SKU: "MSK-9", TitleAR: "مسك الطهارة",
				Categories: [][]CategoryName{ar("عطور", "مسك")},
				Price:      9900, Currency: "SAR", Stock: intp(7), WeightGrams: 250,
				Images:     images("https://cdn.example.sa/msk-9.jpg"),
				Attributes: map[string]string{"barcode": "6281234567890", "gift_wrap": "true"},
			},
		},
		Rejects: []rej{
			{Line: 23, Reason: "the item is a string, not an object"},
			{Line: 24, SKU: "OUD-77", Reason: `price "abc" is not a number`},
			{Line: 27, Reason: "sku is required"},
			{Line: 30, SKU: "JLB-200-M-NVY", Reason: `duplicate SKU "JLB-200-M-NVY" (first on line 18)`},
		},
	}
	got, err := parseFile(t, "concierge.json", FormatAuto, sampleOpt)
	if err != nil {
		t.Fatal(err)
	}
	assertResult(t, got, want)
}

func TestParseGoogleTSV(t *testing.T) {
	t.Parallel()
	want := wantResult{
		Format: FormatGoogleTSV,
		Items: []Item{
			{
				Line: 2, SKU: "ABY-2001-52", GroupID: "ABY-2001",
				TitleAR: "عباية مطرزة بالخرز", DescriptionAR: "عباية سوداء مطرزة يدويًا",
				Brand:      "Hessa",
				Categories: [][]CategoryName{ar("نساء", "عبايات")},
				Options:    []Option{{Name: "color", Value: "أسود"}, {Name: "size", Value: "52"}},
				Price:      38000, CompareAt: 45000, Currency: "SAR", Stock: intp(4), WeightGrams: 1200,
				Images: images("https://cdn.example.sa/aby-2001.jpg", "https://cdn.example.sa/aby-2001-b.jpg", "https://cdn.example.sa/aby-2001-c.jpg"),
				Link:   "https://shop.example.sa/p/aby-2001",
				Attributes: map[string]string{
					"condition": "new", "gtin": "6281000000012", "google_product_category": "5598",
				},
			},
			{
				Line: 3, SKU: "ABY-2001-54", GroupID: "ABY-2001", TitleAR: "عباية مطرزة بالخرز",
				Brand:      "Hessa",
				Categories: [][]CategoryName{ar("نساء", "عبايات")},
				Options:    []Option{{Name: "color", Value: "أسود"}, {Name: "size", Value: "54"}},
				Price:      45000, Currency: "SAR", Stock: intp(0), WeightGrams: 1200,
				Images:     images("https://cdn.example.sa/aby-2001.jpg"),
				Link:       "https://shop.example.sa/p/aby-2001",
				Attributes: map[string]string{"condition": "new", "google_product_category": "5598"},
			},
			{
				Line: 4, SKU: "SHM-01", TitleEN: "Red Shemagh", DescriptionEN: "Cotton shemagh, 140 cm",
				Brand:      "Al Haramain",
				Categories: [][]CategoryName{en("Apparel & Accessories", "Clothing Accessories", "Scarves & Shawls")},
				Price:      12000, Currency: "SAR", WeightGrams: 907,
				Images:     images("https://cdn.example.sa/shm-01.jpg"),
				Link:       "https://shop.example.sa/p/shm-01",
				Attributes: map[string]string{"condition": "new", "color": "Red", "availability": "preorder"},
			},
			{
				Line: 8, SKU: "KW-DATES", TitleEN: "Ajwa Dates",
				Categories: [][]CategoryName{en("Food", "Dates")},
				Price:      4250, Currency: "KWD", WeightGrams: 500,
				Attributes: map[string]string{"condition": "new"},
			},
		},
		Rejects: []rej{
			{Line: 5, SKU: "SHM-02", Reason: `price "twelve SAR" is not a number`},
			{Line: 6, Reason: "id is required"},
			{Line: 7, SKU: "SHM-01", Reason: `duplicate SKU "SHM-01" (first on line 4)`},
		},
	}
	got, err := parseFile(t, "google.tsv", FormatAuto, sampleOpt)
	if err != nil {
		t.Fatal(err)
	}
	assertResult(t, got, want)
}

func TestParseGoogleCSV(t *testing.T) {
	t.Parallel()
	want := wantResult{
		Format: FormatGoogleTSV,
		Items: []Item{
			{
				Line: 3, SKU: "DRS-10-S", GroupID: "DRS-10",
				TitleAR: "فستان سهرة", DescriptionAR: "فستان سهرة طويل، مقاس صغير",
				Brand:   "Layali",
				Options: []Option{{Name: "color", Value: "Emerald"}, {Name: "size", Value: "S"}},
				Price:   59900, CompareAt: 69900, Currency: "AED", Stock: intp(3),
				Images:     images("https://cdn.example.ae/drs-10.jpg", "https://cdn.example.ae/drs-10-b.jpg", "https://cdn.example.ae/drs-10-c.jpg"),
				Link:       "https://shop.example.ae/p/drs-10",
				Attributes: map[string]string{"condition": "new", "material": "Satin", "gender": "female"},
			},
			{
				Line: 4, SKU: "DRS-10-M", GroupID: "DRS-10", TitleAR: "فستان سهرة",
				Brand:   "Layali",
				Options: []Option{{Name: "color", Value: "Emerald"}, {Name: "size", Value: "M"}},
				Price:   69900, Currency: "AED", Stock: intp(0),
				Images:     images("https://cdn.example.ae/drs-10.jpg"),
				Link:       "https://shop.example.ae/p/drs-10",
				Attributes: map[string]string{"condition": "new", "material": "Satin", "gender": "female"},
			},
			{
				Line: 5, SKU: "BAG-7", TitleEN: "Leather Handbag", DescriptionEN: "Italian leather",
				Brand: "Layali", Price: 125000, Currency: "AED",
				Images:     images("https://cdn.example.ae/bag-7.jpg"),
				Link:       "https://shop.example.ae/p/bag-7",
				Attributes: map[string]string{"condition": "new", "material": "Leather", "color": "Tan"},
			},
		},
		Rejects: []rej{
			{Line: 6, SKU: "BAG-8", Reason: "price is required"},
			{Line: 7, Reason: "id is required"},
			{Line: 8, SKU: "BAG-7", Reason: `duplicate SKU "BAG-7" (first on line 5)`},
		},
	}
	got, err := parseFile(t, "google.csv", FormatAuto, sampleOpt)
	if err != nil {
		t.Fatal(err)
	}
	assertResult(t, got, want)
}

func TestParseGoogleRSS(t *testing.T) {
	t.Parallel()
	want := wantResult{
		Format: FormatGoogleXML,
		Items: []Item{
			{
				Line: 7, SKU: "OUD-CAM-12", GroupID: "OUD-CAM",
				TitleAR: "دهن عود كمبودي ١٢ مل", DescriptionAR: "دهن عود <b>كمبودي</b> معتق",
				Brand:      "Bait Al Oud",
				Categories: [][]CategoryName{ar("عطور", "عود"), ar("هدايا")},
				Options:    []Option{{Name: "size", Value: "12 ml"}},
				Price:      99000, CompareAt: 120000, Currency: "SAR", Stock: intp(7), WeightGrams: 150,
				Images:     images("https://cdn.example.sa/oud-cam-12.jpg", "https://cdn.example.sa/oud-cam-box.jpg", "https://cdn.example.sa/oud-cam-side.jpg"),
				Link:       "https://shop.example.sa/p/oud-cam",
				Attributes: map[string]string{"condition": "new"},
			},
			{
				// The sale is in April, after testNow.
				Line: 32, SKU: "OUD-CAM-24", GroupID: "OUD-CAM", TitleAR: "دهن عود كمبودي ٢٤ مل",
				Options: []Option{{Name: "size", Value: "24 ml"}},
				Price:   220000, Currency: "SAR",
			},
			{
				Line: 42, SKU: "INC-5", TitleEN: "Bakhoor Gift Box", DescriptionEN: "Six bakhoor blends in a wooden box",
				Categories: [][]CategoryName{en("Home & Garden", "Decor", "Home Fragrances")},
				Price:      18500, Currency: "SAR", Stock: intp(0),
				Images: images("https://cdn.example.sa/inc-5.jpg"),
				Link:   "https://shop.example.sa/p/inc-5",
			},
		},
		Rejects: []rej{
			{Line: 53, SKU: "INC-6", Reason: `price "35.000 SAR" has 3 decimals but SAR allows 2`},
			{Line: 58, Reason: "id is required"},
			{Line: 62, SKU: "OUD-CAM-12", Reason: `duplicate SKU "OUD-CAM-12" (first on line 7)`},
		},
	}
	got, err := parseFile(t, "google-rss.xml", FormatAuto, sampleOpt)
	if err != nil {
		t.Fatal(err)
	}
	assertResult(t, got, want)
}

func TestParseGoogleAtom(t *testing.T) {
	t.Parallel()
	want := wantResult{
		Format: FormatGoogleXML,
		Items: []Item{
			{
				Line: 6, SKU: "HJB-1-ROSE", GroupID: "HJB-1",
				TitleAR: "حجاب شيفون وردي", DescriptionAR: "حجاب شيفون خفيف",
				Options: []Option{{Name: "color", Value: "وردي"}},
				Price:   4500, Currency: "QAR", Stock: intp(20),
				Images:     images("https://cdn.example.qa/hjb-1-rose.jpg"),
				Link:       "https://shop.example.qa/p/hjb-1",
				Attributes: map[string]string{"gender": "female", "age_group": "adult", "mpn": "HJB1R"},
			},
			{
				Line: 21, SKU: "HJB-2", TitleEN: "Jersey Hijab – Navy",
				Price: 3900, Currency: "QAR", WeightGrams: 99,
				Attributes: map[string]string{"pattern": "plain", "availability": "backorder"},
			},
		},
		Rejects: []rej{
			{Line: 31, SKU: "HJB-3", Reason: `availability "sold" is not one of in stock, out of stock, preorder, backorder`},
			{Line: 37, SKU: "HJB-4", Reason: `price "-10 QAR" must not be negative`},
			{Line: 42, Reason: "id is required"},
			{Line: 46, SKU: "HJB-2", Reason: `duplicate SKU "HJB-2" (first on line 21)`},
		},
	}
	got, err := parseFile(t, "google-atom.xml", FormatAuto, sampleOpt)
	if err != nil {
		t.Fatal(err)
	}
	assertResult(t, got, want)
}

func TestDetect(t *testing.T) {
	t.Parallel()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	utf16le := []byte{0xFF, 0xFE}
	for _, r := range "sku\ttitle_en\tprice\r\n" {
		utf16le = append(utf16le, byte(r), 0)
	}
	tests := []struct {
		name, file, contentType string
		head                    []byte
		want                    Format
	}{
		{"concierge csv", "x.txt", "", read("concierge.csv"), FormatCSV},
		{"concierge tsv", "", "", read("concierge.tsv"), FormatTSV},
		{"concierge json", "", "", read("concierge.json"), FormatJSON},
		{"google tsv", "feed.csv", "text/csv", read("google.tsv"), FormatGoogleTSV},
		{"google csv", "", "", read("google.csv"), FormatGoogleTSV},
		{"google rss", "", "", read("google-rss.xml"), FormatGoogleXML},
		{"google atom", "", "", read("google-atom.xml"), FormatGoogleXML},
		{"json array", "", "", []byte("  [\n{}]"), FormatJSON},
		{"utf-8 bom csv", "", "", append([]byte("\xEF\xBB\xBF"), "sku,title_ar,price\n"...), FormatCSV},
		{"utf-8 bom xml", "", "", []byte("\xEF\xBB\xBF<?xml version=\"1.0\"?><rss/>"), FormatGoogleXML},
		{"utf-16 bom tsv", "", "", utf16le, FormatTSV},
		{"crlf google", "", "", []byte("ID,Title,Price\r\n1,x,1 SAR\r\n"), FormatGoogleTSV},
		{"g: prefixed google header", "", "", []byte("g:id\tg:title\tg:price\n"), FormatGoogleTSV},
		{"unknown csv header", "", "", []byte("a,b,c\n"), FormatCSV},
		{"unknown tsv header", "", "", []byte("a\tb\n"), FormatTSV},
		{"extension when content says nothing", "catalog.json", "", []byte("sku"), FormatJSON},
		{"extension of a URL with a query", "https://shop.example.sa/feeds/google.xml?key=abc", "", []byte("x"), FormatGoogleXML},
		{"content type when content says nothing", "upload", "application/rss+xml; charset=utf-8", nil, FormatGoogleXML},
		{"tsv content type", "", "text/tab-separated-values", []byte(""), FormatTSV},
		{"nothing to go by", "upload", "application/octet-stream", []byte("hello"), FormatAuto},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Detect(tt.file, tt.contentType, tt.head); got != tt.want {
				t.Errorf("Detect(%q, %q, %.20q) = %q, want %q", tt.file, tt.contentType, tt.head, got, tt.want)
			}
		})
	}
}

// TestParseInputs covers encodings, line endings and whole-file errors.
func TestParseInputs(t *testing.T) {
	t.Parallel()
	utf16 := func(s string) []byte {
		b := []byte{0xFF, 0xFE}
		for _, r := range s {
			if r > 0xFFFF {
				panic("BMP only")
			}
			b = append(b, byte(r), byte(r>>8))
		}
		return b
	}
	one := []Item{{Line: 2, SKU: "A-1", TitleAR: "عود", Price: 1000, Currency: "SAR"}}
	tests := []struct {
		name    string
		in      []byte
		format  Format
		opt     Options
		items   []Item
		rejects []rej
		err     error
		msg     string // part of the error message
	}{
		{name: "utf-8 bom", in: []byte("\xEF\xBB\xBFsku,title_ar,price\nA-1,عود,10\n"), items: one},
		{name: "crlf", in: []byte("sku,title_ar,price\r\nA-1,عود,10\r\n"), items: one},
		{name: "crlf tsv with quoted newline", in: []byte("sku\ttitle_ar\tprice\tdescription_ar\r\nA-1\tعود\t10\t\"سطر\r\nثان\"\r\nA-2\tمسك\t5\t\r\n"),
			items: []Item{
				{Line: 2, SKU: "A-1", TitleAR: "عود", DescriptionAR: "سطر\nثان", Price: 1000, Currency: "SAR"},
				{Line: 4, SKU: "A-2", TitleAR: "مسك", Price: 500, Currency: "SAR"},
			}},
		{name: "utf-16 from excel", in: utf16("sku\ttitle_ar\tprice\r\nA-1\tعود\t10\r\n"), items: one},
		{name: "no trailing newline", in: []byte("sku,title_ar,price\nA-1,عود,10"), items: one},
		{name: "header only", in: []byte("sku,title_ar,price\n")},
		{name: "empty", in: nil, err: ErrEmpty},
		{name: "blank", in: []byte(" \r\n\n\t"), err: ErrEmpty},
		{name: "bom only", in: []byte("\xEF\xBB\xBF"), err: ErrEmpty},
		{name: "latin-1", in: []byte("sku,title_en,price\nA-1,Caf\xe9,10\n"), err: ErrEncoding},
		{name: "utf-16 without bom", in: []byte("s\x00k\x00u\x00,\x00"), err: ErrEncoding},
		{name: "unknown format", in: []byte("hello world"), err: ErrFormat},
		{name: "bad format name", in: []byte("sku,title_ar,price\n"), format: "xlsx", err: ErrFormat, msg: `unknown format "xlsx"`},
		{name: "bad default currency", in: []byte("sku,title_ar,price\n"), opt: Options{DefaultCurrency: "SR"}, err: ErrOptions},
		{name: "missing columns", in: []byte("sku,name,cost\nA-1,x,1\n"), format: FormatCSV, err: ErrHeader,
			msg: `missing required column "price", "title_ar" or "title_en"`},
		{name: "google feed as csv", in: []byte("id,title,price\n1,x,1\n"), format: FormatCSV, err: ErrHeader,
			msg: "use the google-tsv format"},
		{name: "duplicate column", in: []byte("sku,title_ar,price,PRICE\nA-1,x,1,2\n"), err: ErrHeader, msg: `column "PRICE" appears twice`},
		{name: "google missing columns", in: []byte("id,title,link\n"), format: FormatGoogleTSV, err: ErrHeader, msg: `missing required column "price"`},
		{name: "unclosed quote swallows the file", in: []byte("sku,title_ar,price\nA-1,\"عود,10\nA-2,مسك,5\n"), err: ErrSyntax,
			msg: "the quoted field that starts on line 2 is never closed"},
		{name: "bare quote", in: []byte("sku,title_en,price\nA-1,12\" tray,10\nA-2,Tray,5\n"),
			items:   []Item{{Line: 3, SKU: "A-2", TitleEN: "Tray", Price: 500, Currency: "SAR"}},
			rejects: []rej{{Line: 2, Reason: `a " appears inside a field that is not quoted; put the field in quotes and write the " twice`}}},
		{name: "quote closed wrongly", in: []byte("sku,title_en,price\nA-1,\"12\" tray\",10\nA-2,Tray,5\n"),
			items:   []Item{{Line: 3, SKU: "A-2", TitleEN: "Tray", Price: 500, Currency: "SAR"}},
			rejects: []rej{{Line: 2, Reason: `a quoted field is not closed properly; write any " inside a quoted field twice`}}},
		{name: "broken json", in: []byte("[\n{\"sku\": \"A-1\",\n\"price\": }\n]"), err: ErrSyntax, msg: "line 3"},
		{name: "truncated json", in: []byte("[\n{\"sku\": \"A-1\", \"title_en\": \"x\", \"price\": 1}\n,{\"sku\":"), err: ErrSyntax, msg: "ends early"},
		{name: "json scalar", in: []byte("42"), format: FormatJSON, err: ErrFormat},
		{name: "json object without items", in: []byte(`{"data": []}`), err: ErrFormat, msg: `no "items" array`},
		{name: "json products key", in: []byte("{\"products\": [\n{\"sku\": \"A-1\", \"title_ar\": \"عود\", \"price\": 10}]}"),
			items: []Item{{Line: 2, SKU: "A-1", TitleAR: "عود", Price: 1000, Currency: "SAR"}}},
		{name: "json trailing garbage", in: []byte(`[] x`), err: ErrSyntax},
		{name: "broken xml", in: []byte("<rss><channel><item><g:id>1</item></channel></rss>"), err: ErrSyntax, msg: "line 1"},
		{name: "xml not a feed", in: []byte("<html><body/></html>"), err: ErrFormat, msg: "<html>"},
		{name: "xml entity", in: []byte("<!DOCTYPE rss [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;\">]>\n<rss><channel><item><title>&b;</title></item></channel></rss>"),
			err: ErrSyntax, msg: "line 2"},
		{name: "xml other encoding", in: []byte("<?xml version=\"1.0\" encoding=\"windows-1256\"?><rss/>"), err: ErrEncoding, msg: `"windows-1256"`},
		{name: "xml undeclared g prefix", in: []byte("<rss>\n<channel>\n<item>\n<g:id>A-1</g:id><g:title>عود</g:title><g:price>10 SAR</g:price></item></channel></rss>"),
			items: []Item{{Line: 3, SKU: "A-1", TitleAR: "عود", Price: 1000, Currency: "SAR"}}},
		{name: "xml empty feed", in: []byte("<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>x</title></channel></rss>")},
		{name: "max items", in: []byte("sku,title_ar,price\nA-1,عود,10\nA-2,عود,10\nA-3,عود,10\n"), opt: Options{DefaultCurrency: "SAR", MaxItems: 2},
			err: ErrTooManyItems, msg: "more than 2 (line 4)"},
		{name: "max items not reached by rejects", in: []byte("sku,title_ar,price\nA-1,عود,10\nA-2,عود,x\n"), opt: Options{DefaultCurrency: "SAR", MaxItems: 1},
			items: one, rejects: []rej{{Line: 3, SKU: "A-2", Reason: `price "x" is not a number`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := tt.format
			if f == "" {
				f = FormatAuto
			}
			opt := tt.opt
			if opt == (Options{}) {
				opt = sampleOpt
			}
			got, err := Parse(bytes.NewReader(tt.in), f, opt)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(fmt.Sprint(err), tt.msg) {
					t.Fatalf("error %v, want %v containing %q", err, tt.err, tt.msg)
				}
				if !reflect.DeepEqual(got, Result{}) {
					t.Errorf("result with an error: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rejects := english(t, got.Rejects); !reflect.DeepEqual(got.Items, tt.items) || !reflect.DeepEqual(rejects, tt.rejects) {
				t.Errorf("got\n%s\n%s\nwant\n%s\n%s", dump(got.Items), dump(rejects), dump(tt.items), dump(tt.rejects))
			}
		})
	}
}

// TestRowRules covers the per-row validation of the Concierge CSV.
func TestRowRules(t *testing.T) {
	t.Parallel()
	const header = "sku,group_id,title_ar,title_en,status,category_ar,category_en,option1_name,option1_value,option2_name,option2_value,option3_name,option3_value,price,compare_at_price,currency,stock,weight_grams,image_urls,link\n"
	tests := []struct {
		name, row string
		opt       Options
		want      Item   // when reason is empty
		reason    string // of the reject
	}{
		{name: "minimal", row: "A,,,Oud,,,,,,,,,,10,,,,,,",
			want: Item{SKU: "A", TitleEN: "Oud", Price: 1000, Currency: "SAR"}},
		{name: "fields are trimmed", row: "  A , ,  عود  ,,Active, ,,,,,,,, 10 ,,,  3 ,,,",
			want: Item{SKU: "A", TitleAR: "عود", Status: "active", Price: 1000, Currency: "SAR", Stock: intp(3)}},
		{name: "currency column", row: "A,,,Oud,,,,,,,,,,10,12,KWD,,,,",
			want: Item{SKU: "A", TitleEN: "Oud", Price: 10000, CompareAt: 12000, Currency: "KWD"}},
		{name: "lower-case currency column", row: "A,,,Oud,,,,,,,,,,10,,kwd,,,,",
			want: Item{SKU: "A", TitleEN: "Oud", Price: 10000, Currency: "KWD"}},
		{name: "currency in price beats the default", row: "A,,,Oud,,,,,,,,,,10 AED,,,,,,",
			want: Item{SKU: "A", TitleEN: "Oud", Price: 1000, Currency: "AED"}},
		{name: "compare-at zero is none", row: "A,,,Oud,,,,,,,,,,10,0.00,,,,,",
			want: Item{SKU: "A", TitleEN: "Oud", Price: 1000, Currency: "SAR"}},
		{name: "three options", row: "A,G,,Shirt,,,,Size,M,Color,White,Fit,Slim,10,,,,,,",
			want: Item{SKU: "A", GroupID: "G", TitleEN: "Shirt", Options: []Option{{Name: "Size", Value: "M"}, {Name: "Color", Value: "White"}, {Name: "Fit", Value: "Slim"}}, Price: 1000, Currency: "SAR"}},
		{name: "gap in options", row: "A,,,Shirt,,,,,,Color,White,,,10,,,,,,",
			want: Item{SKU: "A", TitleEN: "Shirt", Options: []Option{{Name: "Color", Value: "White"}}, Price: 1000, Currency: "SAR"}},
		{name: "category in one language", row: "A,,,Oud,,,Perfume > Oud,,,,,,,10,,,,,,",
			want: Item{SKU: "A", TitleEN: "Oud", Categories: [][]CategoryName{en("Perfume", "Oud")}, Price: 1000, Currency: "SAR"}},
		{name: "arabic-indic stock", row: "A,,,Oud,,,,,,,,,,10,,,١٢,,,",
			want: Item{SKU: "A", TitleEN: "Oud", Price: 1000, Currency: "SAR", Stock: intp(12)}},
		{name: "sku 64 characters", row: strings.Repeat("S", 64) + ",,,Oud,,,,,,,,,,10,,,,,,",
			want: Item{SKU: strings.Repeat("S", 64), TitleEN: "Oud", Price: 1000, Currency: "SAR"}},

		{name: "sku too long", row: strings.Repeat("S", 65) + ",,,Oud,,,,,,,,,,10,,,,,,", reason: "sku is longer than 64 characters"},
		{name: "sku control character", row: "A\x01B,,,Oud,,,,,,,,,,10,,,,,,", reason: `sku "A\x01B" contains a control character`},
		{name: "no title", row: "A,,,,,,,,,,,,,10,,,,,,", reason: "title_ar or title_en is required"},
		{name: "no price", row: "A,,,Oud,,,,,,,,,,,,,,,,", reason: "price is required"},
		{name: "no currency at all", row: "A,,,Oud,,,,,,,,,,10,,,,,,", opt: Options{MaxItems: 10}, reason: `price "10" has no currency code and no default currency is set`},
		{name: "negative price", row: "A,,,Oud,,,,,,,,,,-5,,,,,,", reason: `price "-5" must not be negative`},
		{name: "KWD decimals", row: "A,,,Oud,,,,,,,,,,10.5,,KWD,,,,", want: Item{SKU: "A", TitleEN: "Oud", Price: 10500, Currency: "KWD"}},
		{name: "too many decimals for KWD", row: "A,,,Oud,,,,,,,,,,10.5555,,KWD,,,,", reason: `price "10.5555" has 4 decimals but KWD allows 3`},
		{name: "unknown currency", row: "A,,,Oud,,,,,,,,,,10,,RS,,,,", reason: `currency "RS" is not an ISO 4217 currency code`},
		{name: "price in another currency", row: "A,,,Oud,,,,,,,,,,10 AED,,SAR,,,,", reason: "price is in AED but currency is SAR"},
		{name: "compare-at in another currency", row: "A,,,Oud,,,,,,,,,,10,20 AED,,,,,", reason: "compare_at_price is in AED but price is in SAR"},
		{name: "compare-at equal", row: "A,,,Oud,,,,,,,,,,10,10,,,,,", reason: "compare_at_price must be greater than price"},
		{name: "bad compare-at", row: "A,,,Oud,,,,,,,,,,10,x,,,,,", reason: `compare_at_price "x" is not a number`},
		{name: "negative stock", row: "A,,,Oud,,,,,,,,,,10,,,-1,,,", reason: `stock "-1" must not be negative`},
		{name: "fractional stock", row: "A,,,Oud,,,,,,,,,,10,,,1.5,,,", reason: `stock "1.5" is not a whole number`},
		{name: "negative weight", row: "A,,,Oud,,,,,,,,,,10,,,,-100,,", reason: `weight_grams "-100" must not be negative`},
		{name: "bad status", row: "A,,,Oud,published,,,,,,,,,10,,,,,,", reason: `status "published" is not one of active, draft, archived`},
		{name: "option without value", row: "A,,,Oud,,,,Size,,,,,,10,,,,,,", reason: "option1_value is required when option1_name is set"},
		{name: "option value without name", row: "A,,,Oud,,,,,,,L,,,10,,,,,,", reason: "option2_name is required when option2_value is set"},
		{name: "option twice", row: "A,,,Oud,,,,Size,M,size,L,,,10,,,,,,", reason: `option "size" appears twice`},
		{name: "category levels differ", row: "A,,,Oud,,عطور > عود,Perfume,,,,,,,10,,,,,,", reason: `category_ar "عطور > عود" has 2 levels but category_en "Perfume" has 1`},
		{name: "empty category level", row: "A,,,Oud,,,Perfume > > Oud,,,,,,,10,,,,,,", reason: `category_en "Perfume > > Oud" has an empty category level`},
		{name: "relative image", row: "A,,,Oud,,,,,,,,,,10,,,,,oud.jpg,", reason: `image_urls "oud.jpg" is not an http(s) URL`},
		{name: "bad link", row: "A,,,Oud,,,,,,,,,,10,,,,,,javascript:alert(1)", reason: `link "javascript:alert(1)" is not an http(s) URL`},
		{name: "stock beyond 32 bits", row: "A,,,Oud,,,,,,,,,,10,,,2147483648,,,", reason: `stock "2147483648" is too large (at most 2147483647)`},
		{name: "largest stock", row: "A,,,Oud,,,,,,,,,,10,,,2147483647,,,",
			want: Item{SKU: "A", TitleEN: "Oud", Price: 1000, Currency: "SAR", Stock: intp(2147483647)}},
		{name: "weight beyond 32 bits", row: "A,,,Oud,,,,,,,,,,10,,,,99999999999,,", reason: `weight_grams "99999999999" is too large (at most 2147483647)`},
		{name: "price beyond the money bound", row: "A,,,Oud,,,,,,,,,,99999999999,,,,,,", reason: `price "99999999999" is too large`},
		{name: "line break in a title is a space", row: "A,,\"عود\nملكي\",\"Royal\r\n\tOud\",,,,,,,,,,10,,,,,,",
			want: Item{SKU: "A", TitleAR: "عود ملكي", TitleEN: "Royal Oud", Price: 1000, Currency: "SAR"}},
		{name: "escape character in a title", row: "A,,,Oud\x1b[31m,,,,,,,,,,10,,,,,,", reason: "title_en contains a control character"},
		{name: "DEL in an option", row: "A,,,Oud,,,,Size,M\x7f,,,,,10,,,,,,", reason: "options contains a control character"},
		{name: "http link in production", row: "A,,,Oud,,,,,,,,,,10,,,,,,http://shop.example.sa/oud", opt: Options{DefaultCurrency: "SAR", HTTPSOnly: true},
			reason: `link "http://shop.example.sa/oud" must start with https://`},
		{name: "http picture in production", row: "A,,,Oud,,,,,,,,,,10,,,,,http://cdn.example.sa/o.jpg,", opt: Options{DefaultCurrency: "SAR", HTTPSOnly: true},
			reason: `picture "http://cdn.example.sa/o.jpg" must start with https://`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opt := tt.opt
			if opt == (Options{}) {
				opt = sampleOpt
			}
			got, err := Parse(strings.NewReader(header+tt.row+"\n"), FormatCSV, opt)
			if err != nil {
				t.Fatal(err)
			}
			if tt.reason != "" {
				if len(got.Rejects) != 1 || reasonText(t, got.Rejects[0].Reason) != tt.reason || len(got.Items) != 0 {
					t.Errorf("got items %s rejects %s, want reject %q", dump(got.Items), dump(got.Rejects), tt.reason)
				}
				return
			}
			tt.want.Line = 2
			if len(got.Items) != 1 || !reflect.DeepEqual(got.Items[0], tt.want) || len(got.Rejects) != 0 {
				t.Errorf("got items %s rejects %s, want %s", dump(got.Items), dump(got.Rejects), dump(tt.want))
			}
		})
	}
}

// TestJSONForms covers the structured JSON alternatives and their errors.
func TestJSONForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, obj string
		want      Item
		reason    string
	}{
		{name: "options object keeps order", obj: `{"sku":"A","title_en":"x","price":1,"options":{"Z":"1","A":"2","M":"3"}}`,
			want: Item{SKU: "A", TitleEN: "x", Price: 100, Currency: "SAR", Options: []Option{{Name: "Z", Value: "1"}, {Name: "A", Value: "2"}, {Name: "M", Value: "3"}}}},
		{name: "number price is major units", obj: `{"sku":"A","title_en":"x","price":149.5}`,
			want: Item{SKU: "A", TitleEN: "x", Price: 14950, Currency: "SAR"}},
		{name: "KWD number price", obj: `{"sku":"A","title_en":"x","price":1.25,"currency":"KWD"}`,
			want: Item{SKU: "A", TitleEN: "x", Price: 1250, Currency: "KWD"}},
		{name: "price_minor", obj: `{"sku":"A","title_en":"x","price_minor":1250,"compare_at_price_minor":2000,"currency":"KWD"}`,
			want: Item{SKU: "A", TitleEN: "x", Price: 1250, CompareAt: 2000, Currency: "KWD"}},
		{name: "number sku", obj: `{"sku":12345,"title_en":"x","price":"1"}`,
			want: Item{SKU: "12345", TitleEN: "x", Price: 100, Currency: "SAR"}},
		{name: "upper-case keys", obj: `{"SKU":"A","Title_EN":"x","Price":"1"}`,
			want: Item{SKU: "A", TitleEN: "x", Price: 100, Currency: "SAR"}},
		{name: "attributes beat other members", obj: `{"sku":"A","title_en":"x","price":1,"material":"silk","Origin":"Oman","attributes":{"material":"cotton"}}`,
			want: Item{SKU: "A", TitleEN: "x", Price: 100, Currency: "SAR", Attributes: map[string]string{"material": "cotton", "Origin": "Oman"}}},
		{name: "category string levels by script", obj: `{"sku":"A","title_en":"x","price":1,"categories":[["نساء","Sale"]]}`,
			want: Item{SKU: "A", TitleEN: "x", Price: 100, Currency: "SAR", Categories: [][]CategoryName{{{AR: "نساء"}, {EN: "Sale"}}}}},

		{name: "price float exponent", obj: `{"sku":"A","title_en":"x","price":1e2}`, reason: `price "1e2" is not a number`},
		{name: "price and price_minor", obj: `{"sku":"A","title_en":"x","price":1,"price_minor":100}`, reason: "price and price_minor are both set; use one"},
		{name: "fractional price_minor", obj: `{"sku":"A","title_en":"x","price_minor":1.5}`, reason: "price_minor 1.5 is not a whole number"},
		{name: "negative price_minor", obj: `{"sku":"A","title_en":"x","price_minor":-1}`, reason: "price_minor -1 must not be negative"},
		{name: "fractional stock", obj: `{"sku":"A","title_en":"x","price":1,"stock":2.5}`, reason: `stock "2.5" is not a whole number`},
		{name: "title not text", obj: `{"sku":"A","title_en":["x"],"price":1}`, reason: "title_en must be text, not an array"},
		{name: "four options", obj: `{"sku":"A","title_en":"x","price":1,"options":[{"name":"a","value":"1"},{"name":"b","value":"1"},{"name":"c","value":"1"},{"name":"d","value":"1"}]}`,
			reason: "options has 4 entries; at most 3 are allowed"},
		{name: "options and columns", obj: `{"sku":"A","title_en":"x","price":1,"options":{"Size":"M"},"option1_name":"Size","option1_value":"M"}`,
			reason: "options and option1_name/option1_value are both set; use one"},
		{name: "option without value", obj: `{"sku":"A","title_en":"x","price":1,"options":[{"name":"Size"}]}`, reason: "option 1 needs both a name and a value"},
		{name: "options not a list", obj: `{"sku":"A","title_en":"x","price":1,"options":"Size: M"}`, reason: "options must be an array or an object, not a string"},
		{name: "bad category level", obj: `{"sku":"A","title_en":"x","price":1,"categories":[[1]]}`, reason: `a category level must be {"ar": ..., "en": ...} or text, not a number`},
		{name: "bad image", obj: `{"sku":"A","title_en":"x","price":1,"images":[{"url":"ftp://x/y.jpg"}]}`, reason: `images "ftp://x/y.jpg" is not an http(s) URL`},
		{name: "attribute not text", obj: `{"sku":"A","title_en":"x","price":1,"attributes":{"a":{"b":1}}}`, reason: `attribute "a" must be text, not an object`},
		{name: "duplicate key", obj: `{"sku":"A","SKU":"B","title_en":"x","price":1}`, reason: `field "sku" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(strings.NewReader("[\n"+tt.obj+"\n]"), FormatJSON, sampleOpt)
			if err != nil {
				t.Fatal(err)
			}
			if tt.reason != "" {
				if len(got.Rejects) != 1 || reasonText(t, got.Rejects[0].Reason) != tt.reason || got.Rejects[0].Line != 2 {
					t.Errorf("got items %s rejects %s, want reject %q on line 2", dump(got.Items), dump(got.Rejects), tt.reason)
				}
				return
			}
			tt.want.Line = 2
			if len(got.Items) != 1 || !reflect.DeepEqual(got.Items[0], tt.want) {
				t.Errorf("got items %s rejects %s, want %s", dump(got.Items), dump(got.Rejects), dump(tt.want))
			}
		})
	}
}

// TestGoogleFields covers Google field conversions.
func TestGoogleFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, header, row string
		want              Item
		reason            string
	}{
		{name: "weights", header: "id\ttitle\tprice\tshipping_weight", row: "A\tx\t1 SAR\t0.5 KG",
			want: Item{SKU: "A", TitleEN: "x", Price: 100, Currency: "SAR", WeightGrams: 500}},
		{name: "weight without space", header: "id\ttitle\tprice\tshipping_weight", row: "A\tx\t1 SAR\t250g",
			want: Item{SKU: "A", TitleEN: "x", Price: 100, Currency: "SAR", WeightGrams: 250}},
		{name: "price without currency uses the default", header: "id\ttitle\tprice", row: "A\tx\t15.00",
			want: Item{SKU: "A", TitleEN: "x", Price: 1500, Currency: "SAR"}},
		{name: "sale price equal is ignored", header: "id\ttitle\tprice\tsale_price", row: "A\tx\t15 SAR\t15 SAR",
			want: Item{SKU: "A", TitleEN: "x", Price: 1500, Currency: "SAR"}},
		{name: "date-only sale range includes the last day", header: "id\ttitle\tprice\tsale_price\tsale_price_effective_date",
			row:  "A\tx\t15 SAR\t10 SAR\t2025-03-01/2025-03-15",
			want: Item{SKU: "A", TitleEN: "x", Price: 1000, CompareAt: 1500, Currency: "SAR"}},
		{name: "quantity order of precedence", header: "id\ttitle\tprice\tquantity\tinventory\tquantity_to_sell_on_facebook", row: "A\tx\t1 SAR\t1\t2\t3",
			want: Item{SKU: "A", TitleEN: "x", Price: 100, Currency: "SAR", Stock: intp(3)}},
		{name: "arabic color without group is an attribute", header: "id\ttitle\tprice\tcolor\tsize", row: "A\tعباية\t1 SAR\tأسود\t52",
			want: Item{SKU: "A", TitleAR: "عباية", Price: 100, Currency: "SAR", Attributes: map[string]string{"color": "أسود", "size": "52"}}},
		{name: "comma product types are one path", header: "id\ttitle\tprice\tproduct_type\tproduct_type", row: "A\tx\t1 SAR\tHome, Garden > Decor\tGifts",
			want: Item{SKU: "A", TitleEN: "x", Price: 100, Currency: "SAR", Categories: [][]CategoryName{en("Home, Garden", "Decor"), en("Gifts")}}},

		{name: "weight without unit", header: "id\ttitle\tprice\tshipping_weight", row: "A\tx\t1 SAR\t500", reason: `shipping_weight "500" has no unit (g, kg, lb or oz)`},
		{name: "weight unknown unit", header: "id\ttitle\tprice\tshipping_weight", row: "A\tx\t1 SAR\t2 stone", reason: `shipping_weight "2 stone" has no unit (g, kg, lb or oz)`},
		{name: "sale price in another currency", header: "id\ttitle\tprice\tsale_price", row: "A\tx\t15 SAR\t10 AED", reason: "sale_price is in AED but price is in SAR"},
		{name: "bad sale dates", header: "id\ttitle\tprice\tsale_price\tsale_price_effective_date", row: "A\tx\t15 SAR\t10 SAR\tnext week",
			reason: `sale_price_effective_date "next week" is not a date range like 2025-03-01T00:00+0300/2025-03-31T23:59+0300`},
		{name: "bad quantity", header: "id\ttitle\tprice\tinventory", row: "A\tx\t1 SAR\tmany", reason: `inventory "many" is not a whole number`},
		{name: "no title", header: "id\ttitle\tprice", row: "A\t\t1 SAR", reason: "title is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(strings.NewReader(tt.header+"\n"+tt.row+"\n"), FormatGoogleTSV, sampleOpt)
			if err != nil {
				t.Fatal(err)
			}
			if tt.reason != "" {
				if len(got.Rejects) != 1 || reasonText(t, got.Rejects[0].Reason) != tt.reason {
					t.Errorf("got items %s rejects %s, want reject %q", dump(got.Items), dump(got.Rejects), tt.reason)
				}
				return
			}
			tt.want.Line = 2
			if len(got.Items) != 1 || !reflect.DeepEqual(got.Items[0], tt.want) {
				t.Errorf("got items %s rejects %s, want %s", dump(got.Items), dump(got.Rejects), dump(tt.want))
			}
		})
	}
}

// TestInvalidUTF8Row holds that bytes that are not UTF-8 after the part
// of the file Parse checks up front reject only their row.
func TestInvalidUTF8Row(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("sku,title_en,price\n")
	for i := range 8000 {
		fmt.Fprintf(&b, "A-%d,ok,1\n", i)
	}
	b.WriteString("B-1,Caf\xe9,10\nB-2,ok,1\n")
	got, err := Parse(strings.NewReader(b.String()), FormatAuto, sampleOpt)
	if err != nil {
		t.Fatal(err)
	}
	want := []rej{{Line: 8002, SKU: "B-1", Reason: "title_en is not valid UTF-8 text"}}
	if len(got.Items) != 8001 || !reflect.DeepEqual(english(t, got.Rejects), want) {
		t.Errorf("CSV: %d items, rejects %s", len(got.Items), dump(got.Rejects))
	}

	b.Reset()
	b.WriteString("[\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "{\"sku\": \"A-%d\", \"title_en\": \"ok\", \"price\": 1},\n", i)
	}
	b.WriteString("{\"sku\": \"B-1\", \"title_en\": \"Caf\xe9\", \"price\": 1}\n]")
	got, err = Parse(strings.NewReader(b.String()), FormatAuto, sampleOpt)
	if err != nil {
		t.Fatal(err)
	}
	want = []rej{{Line: 3002, Reason: "the item contains text that is not valid UTF-8"}}
	if len(got.Items) != 3000 || !reflect.DeepEqual(english(t, got.Rejects), want) {
		t.Errorf("JSON: %d items, rejects %s", len(got.Items), dump(got.Rejects))
	}
}

// TestNULRows holds that NUL, however it is written, rejects its row only:
// raw past the part of the file read ahead for detection, or as a JSON
// escape.
func TestNULRows(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("sku,title_en,description_en,price\n")
	for i := range 8000 {
		fmt.Fprintf(&b, "A-%d,ok,,1\n", i)
	}
	b.WriteString("B-1,Oud\x00,,10\nB-2,ok,\"two\nlines\",1\n")
	got, err := Parse(strings.NewReader(b.String()), FormatCSV, sampleOpt)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 8001 || len(got.Rejects) != 1 || got.Rejects[0].SKU != "B-1" ||
		reasonText(t, got.Rejects[0].Reason) != "title_en contains a control character" || got.Items[8000].DescriptionEN != "two\nlines" {
		t.Errorf("CSV: %d items, rejects %s", len(got.Items), dump(got.Rejects))
	}
	js := `[{"sku":"A","title_en":"ok","price":1},{"sku":"B","title_en":"a\u0000b","price":1},{"sku":"C","title_en":"ok","attributes":{"k":"\u0000"},"price":1}]`
	got, err = Parse(strings.NewReader(js), FormatJSON, sampleOpt)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 1 || len(got.Rejects) != 2 {
		t.Errorf("JSON: items %s, rejects %s", dump(got.Items), dump(got.Rejects))
	}
}

// TestMaxRejects holds that a file of bad rows fails as a whole, naming
// the first problem.
func TestMaxRejects(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("sku,title_en,price\n")
	for i := range MaxRejects + 1 {
		fmt.Fprintf(&b, "S-%d,x,oops\n", i)
	}
	_, err := Parse(strings.NewReader(b.String()), FormatCSV, sampleOpt)
	want := `the feed has too many rejected rows: more than 10000; the first, on line 2: price "oops" is not a number`
	if !errors.Is(err, ErrTooManyRejects) || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

// TestJSONLines holds the line of each element in awkward layouts.
func TestJSONLines(t *testing.T) {
	t.Parallel()
	in := "[{\"sku\":\"A\",\"title_en\":\"x\",\"price\":1},\n\n  {\"sku\":\"B\",\n\"title_en\":\"x\",\"price\":1}\n,\n{\"sku\":\"C\",\"title_en\":\"x\",\"price\":1}, 5\n]"
	got, err := Parse(strings.NewReader(in), FormatJSON, sampleOpt)
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, it := range got.Items {
		lines = append(lines, it.Line)
	}
	for _, r := range got.Rejects {
		lines = append(lines, r.Line)
	}
	if want := []int{1, 3, 6, 6}; !reflect.DeepEqual(lines, want) {
		t.Errorf("lines %v, want %v", lines, want)
	}
}

// genCSV writes a Concierge CSV of n rows with every column set.
func genCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("sku,group_id,title_ar,title_en,description_ar,description_en,slug,brand,status,category_ar,category_en,option1_name,option1_value,option2_name,option2_value,option3_name,option3_value,price,compare_at_price,currency,stock,weight_grams,image_urls,image_alt_ar,image_alt_en,link\n")
	for i := range n {
		fmt.Fprintf(&b, "SKU-%d,G-%d,عباية رقم %d,Abaya %d,\"وصف، طويل\",\"Long, description\",abaya-%d,Lomar,active,نساء > عبايات,Women > Abayas,Size,M,Colour,Black,Fit,Loose,%d.50,%d.00,SAR,%d,900,https://cdn.example.sa/%d.jpg | https://cdn.example.sa/%d-b.jpg,عباية,Abaya,https://shop.example.sa/p/%d\n",
			i, i/4, i, i, i, 100+i%500, 700+i%500, i%50, i, i, i)
	}
	return b.Bytes()
}

// TestParseCSV100k checks a feed of 100,000 rows parses completely (its
// speed is BenchmarkParseCSV100k's business, not this test's).
func TestParseCSV100k(t *testing.T) {
	t.Parallel()
	in := genCSV(100_000)
	res, err := Parse(bytes.NewReader(in), FormatCSV, Options{DefaultCurrency: "SAR"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 100_000 || len(res.Rejects) != 0 {
		t.Fatalf("%d items, %d rejects: %+v", len(res.Items), len(res.Rejects), res.Rejects[:min(3, len(res.Rejects))])
	}
	if last := res.Items[99_999]; last.Line != 100_001 || last.Price != 59950 || last.CompareAt != 119900 {
		t.Errorf("last item %+v", last)
	}
}

func BenchmarkParseCSV100k(b *testing.B) {
	in := genCSV(100_000)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Parse(bytes.NewReader(in), FormatCSV, Options{DefaultCurrency: "SAR"})
		if err != nil || len(res.Items) != 100_000 {
			b.Fatal(err, len(res.Items))
		}
	}
}

// FuzzParse feeds arbitrary files through every format: Parse never panics,
// and every item it accepts holds only clean text and in-range numbers.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"sku,title_en,price,stock\nA,Oud,10,3\n",
		"sku,title_ar,description_ar,price\nA,عود,\"سطر\nسطر\",10\n",
		"sku,title_en,price,stock\nA,O\x00d,10,2147483648\n",
		`[{"sku":"A","title_en":"a\u0000","price":1,"attributes":{"k":"v"}}]`,
		"id\ttitle\tprice\tlink\nA\tOud\t10 SAR\tjavascript:alert(1)\n",
		`<?xml version="1.0"?><rss xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>A</g:id><title>Oud</title><g:price>10 SAR</g:price></item></channel></rss>`,
	} {
		f.Add([]byte(s), uint8(0))
	}
	formats := []Format{FormatAuto, FormatCSV, FormatTSV, FormatJSON, FormatGoogleTSV, FormatGoogleXML}
	f.Fuzz(func(t *testing.T, b []byte, format uint8) {
		res, err := Parse(bytes.NewReader(b), formats[int(format)%len(formats)], Options{DefaultCurrency: "SAR", MaxItems: 1000, HTTPSOnly: format%2 == 0})
		if err != nil {
			return
		}
		for _, it := range res.Items {
			if it.Price < 0 || it.CompareAt < 0 || (it.Stock != nil && (*it.Stock < 0 || *it.Stock > MaxCount)) || it.WeightGrams < 0 || it.WeightGrams > MaxCount {
				t.Fatalf("out-of-range numbers accepted: %+v", it)
			}
			for _, s := range []string{it.SKU, it.TitleAR, it.TitleEN, it.Brand, it.Link, it.DescriptionAR, it.DescriptionEN} {
				if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
					t.Fatalf("unclean text accepted: %q in %+v", s, it)
				}
			}
		}
	})
}

// TestReasonMessagesExist holds every reason and file error the parser can
// give to the message catalog, in both languages.
func TestReasonMessagesExist(t *testing.T) {
	t.Parallel()
	cat := i18n.MustLoad()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	uses := regexp.MustCompile(`because\("([a-z0-9_]+)"|fileErr\(Err[A-Za-z]+, "([a-z0-9_]+)"`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range uses.FindAllStringSubmatch(string(src), -1) {
			id := "catalog.feed." + m[1]
			if m[2] != "" {
				id = "catalog.feed.file." + m[2]
			}
			n++
			if !cat.Has(id) {
				t.Errorf("%s: message %s is not in the catalog", f, id)
			}
		}
	}
	if n < 80 {
		t.Fatalf("found only %d reasons: the scan is broken", n)
	}
	// A few in full, in both languages.
	for _, tc := range []struct {
		m      errs.Message
		ar, en string
	}{
		{because("price_syntax", "column", "price", "value", q("abc")), `price "abc" ليس رقمًا`, `price "abc" is not a number`},
		{because("duplicate_sku", "sku", q("A-1"), "line", 4), `رمز SKU مكرر "A-1" (ورد أولًا في السطر 4)`, `duplicate SKU "A-1" (first on line 4)`},
		{because("json_not_text", "column", "title_en", "kind", "array"), "يجب أن يكون title_en نصًا، لكنه مصفوفة", "title_en must be text, not an array"},
		{because("price_precision", "column", "price", "value", q("1.5"), "decimals", "1", "currency", "JPY", "allowed", "0"),
			`price "1.5" فيه 1 منازل عشرية، والعملة JPY لا تقبل كسورًا عشرية`, `price "1.5" has 1 decimals but JPY allows none`},
		{fileErr(ErrHeader, "header_missing", "columns", `"sku"`, "title", true, "google", false).Msg,
			`صف العناوين غير صالح: عمود مطلوب مفقود "sku"، "title_ar" أو "title_en"`,
			`the header row is unusable: missing required column "sku", "title_ar" or "title_en"`},
	} {
		if got := cat.Text(i18n.AR, tc.m.ID, tc.m.Data); got != tc.ar {
			t.Errorf("%s in Arabic: %q, want %q", tc.m, got, tc.ar)
		}
		if got := cat.Text(i18n.EN, tc.m.ID, tc.m.Data); got != tc.en {
			t.Errorf("%s in English: %q, want %q", tc.m, got, tc.en)
		}
	}
}
