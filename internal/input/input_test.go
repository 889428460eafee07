package input_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"concierge/internal/input"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		mode input.Mode
		want error
	}{
		{"ascii", "Classic black abaya", input.SingleLine, nil},
		{"arabic", "عباية سوداء كلاسيكية", input.SingleLine, nil},
		{"emoji", "👗 فستان", input.SingleLine, nil},
		{"empty", "", input.SingleLine, nil},
		{"NUL", "a\x00b", input.SingleLine, input.ErrControl},
		{"NUL in multi-line", "a\x00b", input.MultiLine, input.ErrControl},
		{"bell", "a\ab", input.MultiLine, input.ErrControl},
		{"escape", "a\x1b[31mred", input.MultiLine, input.ErrControl},
		{"DEL", "a\x7fb", input.SingleLine, input.ErrControl},
		{"C1", "a\u0085b", input.MultiLine, input.ErrControl},
		{"tab in one line", "a\tb", input.SingleLine, input.ErrLineBreak},
		{"newline in one line", "a\nb", input.SingleLine, input.ErrLineBreak},
		{"CR in one line", "a\rb", input.SingleLine, input.ErrLineBreak},
		{"newline in multi-line", "line one\nline two\r\n\tindented", input.MultiLine, nil},
		{"invalid UTF-8", "a\xffb", input.MultiLine, input.ErrUTF8},
		{"surrogate bytes", "a\xed\xa0\x80b", input.SingleLine, input.ErrUTF8},
		{"cut rune", "عب\xd8", input.SingleLine, input.ErrUTF8},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := input.Check(tc.in, tc.mode); !errors.Is(err, tc.want) && !(err == nil && tc.want == nil) {
				t.Fatalf("Check(%q) = %v, want %v", tc.in, err, tc.want)
			}
		})
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want string
		err      error
	}{
		{"  abaya  ", "abaya", nil},
		{"   ", "", nil},
		{"\n\t", "", nil},
		{"\u00a0", "", nil},
		{"\u00a0عباية\u3000", "عباية", nil},
		{" a\x00 ", "a\x00", input.ErrControl},
		{"\xff", "\xff", input.ErrUTF8},
	}
	for _, tc := range cases {
		got, err := input.Clean(tc.in, input.SingleLine)
		if got != tc.want || !errors.Is(err, tc.err) && !(err == nil && tc.err == nil) {
			t.Errorf("Clean(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	if !input.Blank(" \u00a0\t") || input.Blank(" x ") {
		t.Error("Blank")
	}
}

func TestWebURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		url             string
		prod, dev       bool // accepted in production, outside it
		wantSchemeError bool
	}{
		{"https://shop.example.sa/p/abaya?x=1#top", true, true, false},
		{"HTTPS://shop.example.sa/", true, true, false},
		{"https://xn--mgbh0fb.example/عباية", true, true, false},
		{"http://shop.example.sa/", false, true, true},
		{"javascript:alert(1)", false, false, true},
		{"JavaScript:alert(1)", false, false, true},
		{"data:text/html,<script>alert(1)</script>", false, false, true},
		{"file:///etc/passwd", false, false, true},
		{"ftp://example.com/x", false, false, true},
		{"vbscript:msgbox", false, false, true},
		{"//example.com/x", false, false, false},
		{"/relative/path", false, false, false},
		{"https://", false, false, false},
		{"https:///path", false, false, false},
		{"https://user:pass@example.com/", false, false, false},
		{"https://exa mple.com/", false, false, false},
		{"https://example.com/\nx", false, false, false},
		{"https://example.com/\x00", false, false, false},
		{"https://example.com/" + strings.Repeat("a", input.MaxURLLen), false, false, false},
		{"", false, false, false},
	}
	for _, tc := range cases {
		for _, allowHTTP := range []bool{false, true} {
			want := tc.prod
			if allowHTTP {
				want = tc.dev
			}
			err := input.WebURL(tc.url, allowHTTP)
			if (err == nil) != want {
				t.Errorf("WebURL(%q, allowHTTP=%v) = %v, want accepted=%v", tc.url, allowHTTP, err, want)
			}
			if tc.wantSchemeError && !want && !errors.Is(err, input.ErrURLScheme) && !errors.Is(err, input.ErrURLSchemeHTTP) {
				t.Errorf("WebURL(%q, %v) = %v, want a scheme error", tc.url, allowHTTP, err)
			}
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"abaya", " عباية ", "a\x00b", "a\tb\nc", "\xff", "\u0085", "\u00a0"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, multi bool) {
		m := input.SingleLine
		if multi {
			m = input.MultiLine
		}
		got, err := input.Clean(s, m)
		if err != nil {
			return
		}
		if strings.ContainsRune(got, 0) || got != strings.TrimFunc(got, unicode.IsSpace) {
			t.Fatalf("Clean(%q) accepted %q", s, got)
		}
		if input.Check(got, m) != nil {
			t.Fatalf("Clean(%q) = %q which Check refuses", s, got)
		}
	})
}

func TestScrub(t *testing.T) {
	t.Parallel()
	type inner struct {
		Text  string
		Names map[string]string
		List  []string
		Ptr   *string
	}
	p := "p\x00"
	v := struct {
		A     string
		In    inner
		Items []inner
		raw   string
	}{A: "a\x00b", In: inner{Text: "caf\xe9", Names: map[string]string{"k\x00": "v\xff"}, List: []string{"\x00"}, Ptr: &p},
		Items: []inner{{Text: "ok\tline\n"}}, raw: "\x00"}
	input.ScrubAll(&v)
	if v.A != "a\uFFFDb" || v.In.Text != "caf\uFFFD" || v.In.Names["k\uFFFD"] != "v\uFFFD" || len(v.In.Names) != 1 ||
		v.In.List[0] != "\uFFFD" || *v.In.Ptr != "p\uFFFD" || v.Items[0].Text != "ok\tline\n" || v.raw != "\x00" {
		t.Fatalf("scrubbed: %+v", v)
	}
	if input.Scrub("مرحبا") != "مرحبا" {
		t.Fatal("valid text changed")
	}
}
