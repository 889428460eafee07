package catalog

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestProductCode(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, sku, want string }{
		{"plain", "ABY-CLS-BLK-M", "P-ABY-CLS-BLK-M"},
		{"lower case, dot, slash, underscore", "aby.1/m_x", "P-aby.1/m_x"},
		{"digits only", "100200", "P-100200"},
		{"a space", "ABY 1", "P:IFBFSIBR"},
		{"arabic", "عباية", "P:3C45RKGYU7MYVWFJ"},
		{"hash and brackets", "X#[1]", "P:LARVWMK5"},
		{"plain but too long", strings.Repeat("A", 65), "P:" + skuEncoding.EncodeToString([]byte(strings.Repeat("A", 65)))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ProductCode(tc.sku)
			if got != tc.want {
				t.Errorf("ProductCode(%q) = %q, want %q", tc.sku, got, tc.want)
			}
			if strings.ContainsFunc(got, func(r rune) bool { return r > 127 || r == ' ' || r == '[' || r == ']' }) {
				t.Errorf("ProductCode(%q) = %q is not plain ASCII", tc.sku, got)
			}
			c, ok := LastCode("x " + CodeTag(got) + " y")
			if !ok || c.Kind != CodeProduct || c.Value != tc.sku {
				t.Errorf("LastCode of %q = %+v, %v; want SKU %q", got, c, ok, tc.sku)
			}
		})
	}
}

func TestParseCodes(t *testing.T) {
	t.Parallel()
	p := func(sku, text string) Code { return Code{Kind: CodeProduct, Value: sku, Text: text} }
	c := func(code, text string) Code { return Code{Kind: CodeCart, Value: code, Text: text} }
	tests := []struct {
		name, text string
		want       []Code
	}{
		{"arabic prefilled text", "أرغب بطلب: عباية كلاسيكية سوداء — مقاس M [#P-ABY-CLS-BLK-M]", []Code{p("ABY-CLS-BLK-M", "P-ABY-CLS-BLK-M")}},
		{"english, edited around", "hi! I'd like to order: Classic Black Abaya — Size M [#P-ABY-CLS-BLK-M] in 2 pieces please", []Code{p("ABY-CLS-BLK-M", "P-ABY-CLS-BLK-M")}},
		{"lower case prefix", "[#p-aby-1]", []Code{p("aby-1", "P-aby-1")}},
		{"stray spaces", "[ # P - ABY-1 ]", []Code{p("ABY-1", "P-ABY-1")}},
		{"a space inside", "[#P-ABY -1]", []Code{p("ABY-1", "P-ABY-1")}},
		{"arabic-indic digits", "[#P-PRF-٠٠٢]", []Code{p("PRF-002", "P-PRF-002")}},
		{"persian digits", "[#P-PRF-۰۰۲]", []Code{p("PRF-002", "P-PRF-002")}},
		{"bidi marks", "\u200f[#\u2066P-ABY-1\u2069]\u200f", []Code{p("ABY-1", "P-ABY-1")}},
		{"typographic dashes", "[#P–ABY—1]", []Code{p("ABY-1", "P-ABY-1")}},
		{"full width", "［＃Ｐ－ＡＢＹ－１］", []Code{p("ABY-1", "P-ABY-1")}},
		{"encoded arabic sku", "[#P:3C45RKGYU7MYVWFJ]", []Code{p("عباية", "P:3C45RKGYU7MYVWFJ")}},
		{"encoded, lower case", "[#p:3c45rkgyu7myvwfj]", []Code{p("عباية", "P:3c45rkgyu7myvwfj")}},
		{"malformed encoding", "[#P:!!!]", []Code{p("", "P:!!!")}},
		{"encoding of a control character", "[#P:AA]", []Code{p("", "P:AA")}},
		{"empty product code", "[#P-]", []Code{p("", "P-")}},
		{"cart code", "أرغب بإكمال طلبي من المتجر [#C-7K3M9QXDAB]", []Code{c("C-7K3M9QXDAB", "C-7K3M9QXDAB")}},
		{"cart code, lower case and look-alikes", "[#c-7k3m9qxdoi]", []Code{c("C-7K3M9QXD01", "C-7k3m9qxdoi")}},
		{"cart code in groups", "[#C-7K3M9-QXDAB]", []Code{c("C-7K3M9QXDAB", "C-7K3M9-QXDAB")}},
		{"cart code too short", "[#C-123]", []Code{c("", "C-123")}},
		{"cart code with U", "[#C-7K3M9QXDAU]", []Code{c("", "C-7K3M9QXDAU")}},
		{"two codes, one repeated", "[#P-A] [#C-7K3M9QXDAB] [#P-A]", []Code{p("A", "P-A"), c("C-7K3M9QXDAB", "C-7K3M9QXDAB")}},
		{"no hash", "[P-ABY-1]", nil},
		{"no brackets", "#P-ABY-1", nil},
		{"unclosed", "[#P-ABY-1", nil},
		{"another letter", "[#X-ABY-1]", nil},
		{"a bracket inside", "[#P-AB[#P-C]", []Code{p("C", "P-C")}},
		{"nothing", "ابحث عن عباية", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := ParseCodes(tc.text); !slices.Equal(got, tc.want) {
				t.Errorf("ParseCodes(%q) = %+v, want %+v", tc.text, got, tc.want)
			}
		})
	}
	var many strings.Builder
	for i := range 12 {
		many.WriteString(CodeTag(ProductCode(strings.Repeat("A", i+1))))
	}
	many.WriteString(CodeTag("P-LAST"))
	if got := ParseCodes(many.String()); len(got) != maxCodes {
		t.Errorf("%d codes, want at most %d", len(got), maxCodes)
	}
	if got, ok := LastCode(many.String()); !ok || got.Value != "LAST" {
		t.Errorf("LastCode = %+v, %v; want the last one however many come before", got, ok)
	}
}

func TestChatText(t *testing.T) {
	t.Parallel()
	p := Product{TitleAR: "عباية كلاسيكية سوداء", TitleEN: "Classic Black Abaya"}
	sized := Variant{SKU: "ABY-CLS-BLK-M", Options: []Option{{Name: "Size", Value: "M", NameAR: "مقاس"}}}
	two := Variant{SKU: "ABY-CLS-BLK-L", Options: []Option{{Name: "Colour", Value: "Black", NameAR: "اللون", ValueAR: "أسود"}, {Name: "Size", Value: "L", NameAR: "المقاس"}}}
	odd := Variant{SKU: "عباية سوداء #1 [M]"}
	tests := []struct {
		locale string
		p      Product
		v      Variant
		want   string
	}{
		{"ar", p, sized, "أرغب بطلب: عباية كلاسيكية سوداء — مقاس M [#P-ABY-CLS-BLK-M]"},
		{"ar-SA", p, two, "أرغب بطلب: عباية كلاسيكية سوداء — اللون أسود، المقاس L [#P-ABY-CLS-BLK-L]"},
		{"en", p, sized, "I'd like to order: Classic Black Abaya — Size M [#P-ABY-CLS-BLK-M]"},
		{"en-GB", p, two, "I'd like to order: Classic Black Abaya — Colour Black, Size L [#P-ABY-CLS-BLK-L]"},
		{"", p, odd, "أرغب بطلب: عباية كلاسيكية سوداء [#" + ProductCode(odd.SKU) + "]"},
		{"en", Product{TitleEN: " Tote\n[big] "}, Variant{SKU: "T-1"}, "I'd like to order: Tote (big) [#P-T-1]"},
	}
	for _, tc := range tests {
		got := ChatText(tc.locale, tc.p, tc.v)
		if got != tc.want {
			t.Errorf("ChatText(%q, %s) = %q, want %q", tc.locale, tc.v.SKU, got, tc.want)
		}
		if c, ok := LastCode(got); !ok || c.Kind != CodeProduct || c.Value != tc.v.SKU {
			t.Errorf("LastCode(%q) = %+v, %v; want SKU %q (the bot must read what the storefront writes)", got, c, ok, tc.v.SKU)
		}
	}
}

func TestWhatsAppLink(t *testing.T) {
	t.Parallel()
	text := "I'd like to order: Tote & bag — Size 1+1 [#P-T-1]"
	got := WhatsAppLink("+966 50 000-0000", text)
	base, query, _ := strings.Cut(got, "?")
	if base != "https://wa.me/966500000000" || strings.Contains(query, "+") || !strings.Contains(query, "%20") {
		t.Fatalf("WhatsAppLink = %q", got)
	}
	vals, err := url.ParseQuery(query)
	if err != nil || vals.Get("text") != text {
		t.Fatalf("the link's text reads back as %q (%v), want %q", vals.Get("text"), err, text)
	}
	ar := ChatText("ar", Product{TitleAR: "عباية"}, Variant{SKU: "عباية ١"})
	u, err := url.Parse(WhatsAppLink("+٩٦٦٥٠٠٠٠٠٠٠٠", ar))
	if err != nil || u.Host != "wa.me" || u.Path != "/966500000000" || u.Query().Get("text") != ar {
		t.Fatalf("arabic link: %v %+v", err, u)
	}
	if c, ok := LastCode(u.Query().Get("text")); !ok || c.Value != "عباية ١" {
		t.Fatalf("code through the link: %+v", c)
	}
	if got := WhatsAppLink("", text); got != "" {
		t.Errorf("no number: %q", got)
	}
	if got := WhatsAppLink("+966500000000", ""); got != "https://wa.me/966500000000" {
		t.Errorf("no text: %q", got)
	}
}

func TestNewCartCode(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		c := NewCartCode()
		if !ValidCartCode(c) || seen[c] {
			t.Fatalf("code %q invalid or repeated", c)
		}
		seen[c] = true
		if got, ok := LastCode(strings.ToLower(CodeTag(c))); !ok || got.Value != c {
			t.Fatalf("%q reads back as %+v", c, got)
		}
	}
	for _, bad := range []string{"", "C-", "C-123456789", "C-12345678901", "C-ILOU000000", "P-1234567890", "c-1234567890"} {
		if ValidCartCode(bad) {
			t.Errorf("ValidCartCode(%q) = true", bad)
		}
	}
}

func TestCodeQuery(t *testing.T) {
	t.Parallel()
	tests := []struct{ text, want string }{
		{"أرغب بطلب: عباية كلاسيكية سوداء — مقاس M [#P-OLD-1]", "عباية كلاسيكية سوداء"},
		{"I'd like to order: Classic Black Abaya [#P-OLD-1]", "Classic Black Abaya"},
		{"[#P-OLD-1]", ""},
		{"do you have [#P-OLD-1]", ""},
		{"عباية [#P:!!]", "عباية"},
	}
	for _, tc := range tests {
		if got := codeQuery(tc.text); got != tc.want {
			t.Errorf("codeQuery(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	long := codeQuery("أرغب بطلب: " + strings.Repeat("عباية ", 80) + "[#P-X]")
	if len(idSearch)+len(long) > maxID || !utf8.ValidString(long) || letters(long) < 2 {
		t.Errorf("a long title's query %q does not fit a reply id", long)
	}
}

// FuzzParseCodes: reading codes never panics and never yields a value the
// database could not take; every SKU the catalog could store round-trips
// through ProductCode and a message around it.
func FuzzParseCodes(f *testing.F) {
	for _, s := range []struct{ text, sku string }{
		{"أرغب بطلب: عباية — مقاس M [#P-ABY-CLS-BLK-M]", "ABY-CLS-BLK-M"},
		{"[ # p : 3c45rkgyu7myvwfj ]", "عباية سوداء #1 [M]"},
		{"[#C-7K3M9QXDAB] [#C-", "x y"},
		{"［＃Ｐ－１］\u200f", "sku\twith\ttabs"},
		{"[#P-[#P:", "[#P-A]"},
	} {
		f.Add(s.text, s.sku)
	}
	f.Fuzz(func(t *testing.T, text, sku string) {
		for _, c := range ParseCodes(text) {
			switch {
			case c.Kind == CodeProduct && c.Value != "" && !storableSKU(c.Value):
				t.Fatalf("%q: product code %+v is not storable", text, c)
			case c.Kind == CodeCart && c.Value != "" && !ValidCartCode(c.Value):
				t.Fatalf("%q: cart code %+v is not canonical", text, c)
			case c.Kind != CodeProduct && c.Kind != CodeCart:
				t.Fatalf("%q: kind %q", text, c.Kind)
			}
		}
		if !storableSKU(sku) || len(sku) > MaxSKUBytes {
			return // not a SKU the catalog keeps
		}
		code := ProductCode(sku)
		for _, msg := range []string{CodeTag(code), text + " " + CodeTag(code), "أرغب بطلب: " + text + " — " + CodeTag(code)} {
			c, ok := LastCode(msg)
			if !ok || c.Kind != CodeProduct || c.Value != sku {
				t.Fatalf("SKU %q (code %q) in %q reads back as %+v, %v", sku, code, msg, c, ok)
			}
		}
	})
}
