package arabic_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"concierge/internal/arabic"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		// whitespace
		{name: "empty", in: "", want: ""},
		{name: "only spaces", in: " \t\n\u00a0 ", want: ""},
		{name: "trim and collapse", in: "  مرحبا \t\n  بك  ", want: "مرحبا بك"},
		{name: "nbsp and ideographic space", in: "hello\u00a0\u3000world", want: "hello world"},
		{name: "new lines", in: "سطر١\r\nسطر٢", want: "سطر1 سطر2"},

		// hamza on alef, madda, wasla
		{name: "alef hamza above", in: "أحمد", want: "احمد"},
		{name: "alef hamza below", in: "إيقاف", want: "ايقاف"},
		{name: "alef madda", in: "آسف", want: "اسف"},
		{name: "madda mid word", in: "القرآن", want: "القران"},
		{name: "alef wasla", in: "ٱلْحَمْدُ لِلَّهِ", want: "الحمد لله"},
		{name: "with and without hamza meet", in: "أهلاً وسهلاً", want: "اهلا وسهلا"},
		{name: "decomposed alef hamza", in: "ا\u0654حمد", want: "احمد"},
		{name: "decomposed alef madda", in: "ا\u0653سف", want: "اسف"},

		// yaa, taa marbuta, hamza seats
		{name: "alef maqsura", in: "مستشفى", want: "مستشفي"},
		{name: "alef maqsura vs yaa meet", in: "على", want: "علي"},
		{name: "taa marbuta", in: "مدرسة", want: "مدرسه"},
		{name: "taa marbuta written as haa", in: "مدرسه", want: "مدرسه"},
		{name: "taa marbuta phrase", in: "خدمة العملاء", want: "خدمه العملاء"},
		{name: "waw hamza", in: "مسؤول", want: "مسوول"},
		{name: "yaa hamza", in: "شاطئ", want: "شاطي"},
		{name: "yaa hamza mid word", in: "رئيسية", want: "رييسيه"},
		{name: "standalone hamza kept", in: "سماء", want: "سماء"},
		{name: "persian yeh and keheh", in: "کیف", want: "كيف"},

		// tatweel and diacritics
		{name: "tatweel", in: "مـــرحبا", want: "مرحبا"},
		{name: "tatweel everywhere", in: "ســلامـ", want: "سلام"},
		{name: "harakat and tanween", in: "مَرْحَبًا", want: "مرحبا"},
		{name: "shadda", in: "محمّد", want: "محمد"},
		{name: "full tashkeel", in: "السَّلَامُ عَلَيْكُمْ", want: "السلام عليكم"},
		{name: "superscript alef", in: "هٰذا", want: "هذا"},
		{name: "quranic marks", in: "الرَّحِيمِ ۝ ذَٰلِكَ ۖ", want: "الرحيم ۝ ذلك"},
		{name: "tatweel and harakat", in: "شُـكْـرًا", want: "شكرا"},

		// digits
		{name: "arabic-indic digits", in: "٣ قطع", want: "3 قطع"},
		{name: "persian digit", in: "۴", want: "4"},
		{name: "all arabic-indic digits", in: "٠١٢٣٤٥٦٧٨٩", want: "0123456789"},
		{name: "all persian digits", in: "۰۱۲۳۴۵۶۷۸۹", want: "0123456789"},
		{name: "phone number", in: "٠٥٠ ١٢٣ ٤٥٦٧", want: "050 123 4567"},
		{name: "mixed latin and digits", in: "iPhone ١٥", want: "iphone 15"},
		{name: "mixed product query", in: "ابغى ايفون ١٥ برو ماكس ٢٥٦ جيجا", want: "ابغي ايفون 15 برو ماكس 256 جيجا"},
		{name: "price", in: "السعر ١٬٢٥٠٫٥٠ ر.س", want: "السعر 1,250.50 ر.س"},

		// punctuation
		{name: "arabic question mark", in: "كم السعر؟", want: "كم السعر?"},
		{name: "arabic comma and semicolon", in: "أحمر، أزرق؛ أخضر", want: "احمر, ازرق; اخضر"},
		{name: "arabic percent", in: "خصم ٢٠٪", want: "خصم 20%"},
		{name: "other punctuation kept", in: "«مرحبا»!", want: "«مرحبا»!"},

		// case
		{name: "latin lower", in: "HELLO There", want: "hello there"},
		{name: "unicode lower", in: "ÉCOLE Straße ΑΘΗΝΑ", want: "école straße αθηνα"},
		{name: "full width latin", in: "Ｍｅｎｕ", want: "menu"},
		{name: "mixed scripts", in: "Samsung جالكسي S24 Ultra", want: "samsung جالكسي s24 ultra"},

		// invisible characters, presentation forms, emoji
		{name: "rlm and lrm", in: "\u200fمرحبا\u200e hi", want: "مرحبا hi"},
		{name: "arabic letter mark", in: "رقم\u061c ٥", want: "رقم 5"},
		{name: "bidi isolate", in: "\u2067طلب\u2069 #١٢", want: "طلب #12"},
		{name: "zero width space between words", in: "هلا\u200b \u200bوالله", want: "هلا والله"},
		{name: "bom", in: "\ufeffhi", want: "hi"},
		{name: "presentation forms", in: "\ufefb\ufe8e", want: "لاا"},
		{name: "allah ligature", in: "\ufdf2", want: "الله"},
		{name: "emoji kept", in: "هلا 👋🏽", want: "هلا 👋🏽"},
		{name: "emoji zwj kept", in: "👨\u200d👩\u200d👧", want: "👨\u200d👩\u200d👧"},

		// invalid input
		{name: "invalid utf8", in: "a\xffb", want: "a\ufffdb"},
		{name: "lone continuation byte", in: "\x80مرحبا", want: "\ufffdمرحبا"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := arabic.Normalize(tc.in)
			if got != tc.want {
				t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if again := arabic.Normalize(got); again != got {
				t.Errorf("Normalize not idempotent: %q → %q → %q", tc.in, got, again)
			}
		})
	}
}

// TestNormalizeMatches checks the point of the normaliser: spellings that a
// person reads as the same word compare equal.
func TestNormalizeMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
	}{
		{name: "greeting with hamza", a: "أهلا", b: "اهلا"},
		{name: "stop with hamza below", a: "إيقاف", b: "ايقاف"},
		{name: "marbuta", a: "مساعدة", b: "مساعده"},
		{name: "maqsura", a: "مستشفى", b: "مستشفي"},
		{name: "diacritics", a: "مَرْحَبًا", b: "مرحبا"},
		{name: "tatweel", a: "مـــرحبا", b: "مرحبا"},
		{name: "digits", a: "iPhone ١٥", b: "iphone 15"},
		{name: "persian digits", a: "۱۵", b: "١٥"},
		{name: "spacing", a: "  خدمة   العملاء ", b: "خدمه العملاء"},
		{name: "case", a: "MENU", b: "menu"},
		{name: "question mark", a: "كيف؟", b: "كيف?"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if a, b := arabic.Normalize(tc.a), arabic.Normalize(tc.b); a != b {
				t.Errorf("Normalize(%q) = %q, Normalize(%q) = %q; want equal", tc.a, a, tc.b, b)
			}
		})
	}
}

func TestDigitsToASCII(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{in: "", want: ""},
		{in: "٣ قطع", want: "3 قطع"},
		{in: "۴", want: "4"},
		{in: "٠١٢٣٤٥٦٧٨٩", want: "0123456789"},
		{in: "۰۱۲۳۴۵۶۷۸۹", want: "0123456789"},
		{in: "iPhone ١٥", want: "iPhone 15"},
		{in: "أحمد ١٢٣", want: "أحمد 123"}, // only digits change
		{in: "no digits", want: "no digits"},
		{in: "٫٬", want: "٫٬"}, // separators are not digits
	}
	for _, tc := range tests {
		if got := arabic.DigitsToASCII(tc.in); got != tc.want {
			t.Errorf("DigitsToASCII(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIsArabic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{in: "", want: false},
		{in: "   ", want: false},
		{in: "مرحبا", want: true},
		{in: "السلام عليكم", want: true},
		{in: "hello", want: false},
		{in: "Hi مرحبا", want: true},                    // majority Arabic
		{in: "مرحبا hello there", want: false},          // majority Latin
		{in: "iPhone ١٥", want: false},                  // digits do not count as letters
		{in: "ابي iPhone", want: false},                 // 3 vs 6 letters
		{in: "ابغى ايفون", want: true},                  // transliterated product
		{in: "كلام word", want: true},                   // tie: first letter
		{in: "word كلام", want: false},                  // tie: first letter
		{in: "٣", want: true},                           // no letters, Arabic-Indic digit
		{in: "۴", want: true},                           // no letters, Persian digit
		{in: "3", want: false},                          // no letters, ASCII digit
		{in: "؟", want: true},                           // Arabic question mark
		{in: "👍", want: false},                          // emoji only
		{in: "مـــرحبا", want: true},                    // tatweel
		{in: "مَرْحَبًا", want: true},                   // diacritics
		{in: "\u200fhello", want: false},                // RLM is not a letter
		{in: "OK تمام", want: true},                     // 2 vs 4 letters
		{in: "Ok thanks شكرا", want: false},             // 8 vs 4 letters
		{in: "\ufefb", want: true},                      // presentation form
		{in: "ابي اكلم موظف please", want: true},        // 11 vs 6
		{in: "I want to talk to موظف", want: false},     // 13 vs 4
		{in: "Привет", want: false},                     // other scripts are not Arabic
		{in: "سلام Привет мир", want: false},            // 4 vs 9
		{in: "سلام 你好", want: true},                     // 4 vs 2
		{in: "عربي", want: true},                        // a language name
		{in: "English", want: false},                    // a language name
		{in: "1234 شارع الملك فهد، الرياض", want: true}, // address
	}
	for _, tc := range tests {
		if got := arabic.IsArabic(tc.in); got != tc.want {
			t.Errorf("IsArabic(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"", " ", "مرحبا", "مـــرحبا", "مَرْحَبًا", "أإآٱ ىیة ؤئ", "٣ قطع", "۴", "iPhone ١٥",
		"e\u0640\u0301", "a\u064b\u0301", "ا\u0654", "\ufefb", "\ufdfa", "¨x", "ǅ", "İ", "ẞ",
		"\u200f\u061c\u2067x\u2069", "a\xffb", "\u0301", "ᾈ", "ﬁ", "Ⅻ", "℡",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := arabic.Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q: invalid UTF-8", s, n)
		}
		if again := arabic.Normalize(n); again != n {
			t.Fatalf("not idempotent: Normalize(%q) = %q, Normalize(%q) = %q", s, n, n, again)
		}
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Fatalf("Normalize(%q) = %q: untrimmed or uncollapsed space", s, n)
		}
		if full := arabic.NormalizeFull(s); full != n {
			t.Fatalf("fast path differs: Normalize(%q) = %q, full normalisation %q", s, n, full)
		}
	})
}

// TestNormalizeRandom is the fuzz property on a fixed sample of random text
// mixing ASCII, Latin combining marks, the Arabic blocks, presentation forms,
// bidi controls, emoji, any code point and invalid bytes, so every ordinary
// test run checks it.
func TestNormalizeRandom(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(20250301, 1))
	ranges := [][2]rune{
		{0, 0x7f}, {0x80, 0x36f}, {0x600, 0x6ff}, {0x750, 0x77f}, {0x8a0, 0x8ff}, {0x1e00, 0x1fff},
		{0x2000, 0x206f}, {0xfb50, 0xfeff}, {0xff00, 0xffef}, {0x1f300, 0x1f6ff}, {0, 0x10ffff},
	}
	for range 20000 {
		var b []byte
		for range r.IntN(24) {
			if r.IntN(30) == 0 {
				b = append(b, byte(r.IntN(256)))
				continue
			}
			rg := ranges[r.IntN(len(ranges))]
			b = utf8.AppendRune(b, rg[0]+r.Int32N(rg[1]-rg[0]+1))
		}
		s := string(b)
		n := arabic.Normalize(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalize(%q) = %q: invalid UTF-8", s, n)
		}
		if again := arabic.Normalize(n); again != n {
			t.Fatalf("not idempotent: Normalize(%q) = %q, Normalize(%q) = %q", s, n, n, again)
		}
		if full := arabic.NormalizeFull(s); full != n {
			t.Fatalf("fast path differs: Normalize(%q) = %q, full normalisation %q", s, n, full)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	inputs := []string{
		"Hello, do you have the iPhone 15 Pro?",
		"السَّلَامُ عَلَيْكُمْ، عندكم آيفون ١٥ برو ماكس؟",
	}
	for _, in := range inputs {
		b.Run(strings.Fields(in)[0], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				arabic.Normalize(in)
			}
		})
	}
}
