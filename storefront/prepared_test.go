package storefront

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"concierge/storefront/ui"
)

// TestPreparedGzip: a page spliced from its compressed parts reads back,
// through an ordinary gzip reader, as the page with the token in place of
// every marker.
func TestPreparedGzip(t *testing.T) {
	big := strings.Repeat("<li>عباية سوداء — ٢٤٩٫٠٠ ر.س.</li>", 2000)
	for _, tc := range []struct{ name, body, token string }{
		{"no form", "<html>" + big + "</html>", ""},
		{"one form", "<form>" + ui.CSRFMarker + "</form>" + big, "abc.DEF-123_xyz"},
		{"two forms", big + ui.CSRFMarker + big + ui.CSRFMarker + "end", strings.Repeat("t", 60)},
		{"marker first and last", ui.CSRFMarker + big + ui.CSRFMarker, "tok"},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkPrepared(t, tc.body, tc.token)
		})
	}
}

func checkPrepared(t *testing.T, body, token string) {
	t.Helper()
	p := prepare([]byte(body))
	want := strings.ReplaceAll(body, ui.CSRFMarker, token)
	if got := string(p.text(token)); got != want {
		t.Fatalf("text differs")
	}
	r, err := gzip.NewReader(bytes.NewReader(p.gzip(token)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("gzip stream: %v", err)
	}
	if string(got) != want {
		t.Fatalf("gzip decodes to %d bytes, want %d", len(got), len(want))
	}
}

func FuzzPrepared(f *testing.F) {
	f.Add("<p>"+ui.CSRFMarker+"</p>", "token")
	f.Add(strings.Repeat("ab", 5000), "")
	f.Fuzz(func(t *testing.T, body, token string) {
		if len(token) > 1000 {
			token = token[:1000]
		}
		checkPrepared(t, body, token)
	})
}
