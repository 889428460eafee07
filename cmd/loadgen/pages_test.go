package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// target builds scenario name's next target below base, as an attack does.
func target(t *testing.T, name, base string, cfg config) vegeta.Target {
	t.Helper()
	s, ok := lookupScenario(name)
	if !ok {
		t.Fatalf("no scenario %q", name)
	}
	s, err := s.prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var tgt vegeta.Target
	if err := s.targeter(base, cfg.host)(&tgt); err != nil {
		t.Fatal(err)
	}
	return tgt
}

func TestPageScenarios(t *testing.T) {
	t.Parallel()
	cfg := config{host: "demo.localhost", searchHost: "bench.localhost"}
	tests := []struct {
		name, path, host string
	}{
		{pageHomeScenario, "/", "demo.localhost"},
		{pageProductScenario, "/products/", "demo.localhost"},
		{pageSearchScenario, "/search", "bench.localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := lookupScenario(tt.name)
			if s.Method != http.MethodGet || !s.Tenant || s.Status != http.StatusOK {
				t.Fatalf("scenario %+v", s)
			}
			tgt := target(t, tt.name, "http://127.0.0.1:1", cfg)
			u, err := url.Parse(tgt.URL)
			if err != nil {
				t.Fatal(err)
			}
			if tt.path == "/" && u.Path != "/" || !strings.HasPrefix(u.Path, tt.path) {
				t.Errorf("URL %s, want path %s", tgt.URL, tt.path)
			}
			if got := tgt.Header.Get("Host"); got != tt.host {
				t.Errorf("Host %q, want %q", got, tt.host)
			}
			if !strings.Contains(tgt.Header.Get("Accept-Encoding"), "gzip") || !strings.HasPrefix(tgt.Header.Get("Accept"), "text/html") {
				t.Errorf("headers %v: want a browser's", tgt.Header)
			}
		})
	}
}

func TestPageProductCyclesOverDemoProducts(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 2000 {
		tgt := target(t, pageProductScenario, "http://127.0.0.1:1/", config{host: "demo.localhost"})
		slug, ok := strings.CutPrefix(tgt.URL, "http://127.0.0.1:1/products/")
		if !ok || !slices.Contains(productSlugs, slug) {
			t.Fatalf("URL %s: not a demo product", tgt.URL)
		}
		seen[slug] = true
	}
	if len(seen) != len(productSlugs) {
		t.Errorf("%d of %d products asked for", len(seen), len(productSlugs))
	}
}

// TestSearchRoutesShareTheirSearches holds the JSON search and the search
// page to the same searches: the same words and the same ceiling (minor
// units for the API, riyals for the page's form), the storefront's page
// size, and many distinct queries.
func TestSearchRoutesShareTheirSearches(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	distinct := map[string]bool{}
	examples := map[string]bool{}
	var priced, constrained int
	const n = 5000
	for range n {
		s := nextSearch(rng.IntN)
		if strings.TrimSpace(s.q) == "" || strings.Contains(s.q, "%!") {
			t.Fatalf("bad query %q", s.q)
		}
		api, _ := url.Parse(apiSearchURL("http://x/api/v1/products?q=abaya", s))
		page, _ := url.Parse(pageSearchURL("http://x/search?q=abaya", s))
		a, p := api.Query(), page.Query()
		if api.Path != "/api/v1/products" || page.Path != "/search" || a.Get("q") != s.q || p.Get("q") != s.q ||
			a.Get("limit") != strconv.Itoa(perPage) || p.Has("limit") {
			t.Fatalf("%+v: API %s, page %s", s, api, page)
		}
		switch {
		case s.ceiling == 0:
			priced++
			if a.Has("max_price") || p.Has("max") || !pricedWords(s.q) {
				t.Fatalf("%+v: API %s, page %s: a search with no ceiling must bound its price in words", s, api, page)
			}
		default:
			maxPrice, err1 := strconv.ParseInt(a.Get("max_price"), 10, 64)
			maxSAR, err2 := strconv.ParseInt(p.Get("max"), 10, 64)
			if err1 != nil || err2 != nil || maxPrice != 100*maxSAR || maxSAR < 50 || maxSAR > 5049 || pricedWords(s.q) {
				t.Fatalf("%+v: API %s, page %s", s, api, page)
			}
		}
		if !slices.Contains(searchQueries, s.q) {
			constrained++
		}
		if slices.Contains(searchExamples, s.q) {
			examples[s.q] = true
		}
		distinct[a.Encode()] = true
	}
	if len(examples) != len(searchExamples) {
		t.Errorf("examples asked for: %v", examples)
	}
	if constrained < n/4 || constrained > n/2 || priced < n/20 {
		t.Errorf("%d of %d searches with constraints in their words, %d bounding the price", constrained, n, priced)
	}
	if len(distinct) < n*9/10 {
		t.Errorf("only %d distinct searches of %d", len(distinct), n)
	}
}

func TestSearchTemplates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, tmpl string
		draws      []int // colour, size, amount, then the ceiling's draw
		want       aSearch
	}{
		{"english colour and size", "%[1]s abaya size %[2]s", []int{0, 2, 0, 1}, aSearch{q: "black abaya size M", ceiling: 5100}},
		{"arabic feminine colour", "عباية %[1]s مقاس %[2]s", []int{0, 2, 0, 0}, aSearch{q: "عباية سوداء مقاس M", ceiling: 5000}},
		{"arabic masculine colour", "ثوب %[5]s", []int{1, 0, 0, 0}, aSearch{q: "ثوب أبيض", ceiling: 5000}},
		{"english amount", "abaya under %[3]s", []int{0, 0, 15}, aSearch{q: "abaya under 200"}},
		{"arabic-indic amount", "عطر أقل من %[4]s", []int{0, 0, 25}, aSearch{q: "عطر أقل من ٣٠٠"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			draws := slices.Clone(tt.draws)
			intN := func(n int) int {
				if len(draws) == 0 {
					t.Fatalf("%q: more draws than expected", tt.tmpl)
				}
				v := draws[0]
				draws = draws[1:]
				if v >= n {
					t.Fatalf("draw %d of [0,%d)", v, n)
				}
				return v
			}
			if got := fillTemplate(tt.tmpl, intN); got != tt.want {
				t.Errorf("fillTemplate(%q) = %+v, want %+v", tt.tmpl, got, tt.want)
			}
		})
	}
	for _, tmpl := range searchTemplates {
		s := fillTemplate(tmpl, rand.IntN)
		if strings.Contains(s.q, "%") {
			t.Errorf("template %q gave %q", tmpl, s.q)
		}
	}
}

// TestRunPageScenarios runs the page scenarios against a fake storefront
// that answers gzip only to a client that asks for it, and checks what it
// was sent.
func TestRunPageScenarios(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	paths := map[string]int{}
	var bad []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.URL.Path == "/" && r.Host == "shop.test",
			strings.HasPrefix(r.URL.Path, "/products/") && r.Host == "shop.test",
			r.URL.Path == "/search" && r.Host == "big.test" && r.URL.Query().Get("q") != "":
			paths[strings.SplitN(r.URL.Path[1:], "/", 2)[0]]++
		default:
			bad = append(bad, r.Host+" "+r.URL.String())
			http.NotFound(w, r)
			return
		}
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			bad = append(bad, "no gzip: "+r.URL.String())
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, "<!doctype html><title>متجر</title>"+strings.Repeat("<p>عباية</p>", 200))
		zw.Close()
	}))
	defer srv.Close()

	path := filepath.Join(t.TempDir(), "r.json")
	var out bytes.Buffer
	code := run(t.Context(), []string{"-target", srv.URL, "-host", "shop.test", "-search-host", "big.test",
		"-scenarios", "page-home,page-product,page-search", "-rates", "50", "-duration", "200ms", "-warmup", "0",
		"-sat-workers", "0", "-baseline=false", "-json", path}, &out, io.Discard)
	if code != exitOK {
		t.Fatalf("exit %d; output:\n%s", code, out.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("unexpected requests: %v", bad[:min(len(bad), 5)])
	}
	for _, p := range []string{"", "products", "search"} {
		if paths[p] < 5 {
			t.Errorf("/%s asked for %d times", p, paths[p])
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Steps {
		// The compressed size: loadgen never unpacks.
		if s.Success != 1 || s.BytesIn <= 0 || s.BytesIn > 500 {
			t.Errorf("step %s: success %v, %v bytes", s.Scenario, s.Success, s.BytesIn)
		}
	}
}
