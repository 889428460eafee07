package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestDemoCartSKUs(t *testing.T) {
	skus := demoCartSKUs()
	if len(skus) < 50 {
		t.Fatalf("only %d demo SKUs with ample stock", len(skus))
	}
	if !sort.SliceIsSorted(skus, func(i, j int) bool { return skus[i].SKU < skus[j].SKU }) {
		t.Error("SKUs not sorted")
	}
	byName := map[string]int{}
	for _, s := range skus {
		if s.Cap < minCartStock || s.Cap > maxLineQuantity {
			t.Errorf("%s: cap %d", s.SKU, s.Cap)
		}
		byName[s.SKU] = s.Cap
	}
	// THB-002-WHT is untracked, ABY-003-BLK-S sold out (modules/catalog/demo tests).
	if byName["THB-002-WHT"] != maxLineQuantity {
		t.Errorf("untracked THB-002-WHT: cap %d, want %d", byName["THB-002-WHT"], maxLineQuantity)
	}
	if _, ok := byName["ABY-003-BLK-S"]; ok {
		t.Error("sold-out ABY-003-BLK-S is among the SKUs")
	}
	if !reflect.DeepEqual(skus, demoCartSKUs()) {
		t.Error("not deterministic")
	}
}

func TestParseCartSKUs(t *testing.T) {
	got, err := parseCartSKUs(" A-1:40, B-2 ,A-1:5,")
	if err != nil {
		t.Fatal(err)
	}
	if want := []cartSKU{{"A-1", 40}, {"B-2", 999}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got, err := parseCartSKUs(""); err != nil || !reflect.DeepEqual(got, demoCartSKUs()) {
		t.Fatalf("empty: %v, %v", got, err)
	}
	for _, bad := range []string{"A:0", "A:1000", "A:x", ":5", `A"B`, "A B"} {
		if _, err := parseCartSKUs(bad); err == nil {
			t.Errorf("parseCartSKUs(%q): want error", bad)
		}
	}
}

func TestCartFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-scenarios", "cart-add,cart-view"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.cart
	if c.carts != 0 || c.lines != 3 || c.viewCarts != 1000 || !c.idempotency || len(c.skus) != len(demoCartSKUs()) {
		t.Fatalf("defaults %+v", c)
	}
	if s := cfg.scenarios[0]; s.Method != "POST" || s.Path != "/api/v1/carts/{id}/items" || !s.Tenant || s.Setup == nil {
		t.Fatalf("cart-add = %+v", s)
	}
	if s := cfg.scenarios[1]; s.Method != "GET" || s.Path != "/api/v1/carts/{id}" || !s.Tenant || s.Setup == nil {
		t.Fatalf("cart-view = %+v", s)
	}
	for _, bad := range [][]string{
		{"-cart-lines", "0"},
		{"-cart-lines", "3", "-cart-skus", "A,B"},
		{"-cart-carts", "-1"},
		{"-cart-view-carts", "0"},
		{"-cart-skus", "A:0"},
	} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("parseFlags(%q): want error", bad)
		}
	}
}

// TestAddPlanMatchesSimulation plays adds in order into a simulated pool and
// checks at's quantity, the SKUs per cart and capacity against it.
func TestAddPlanMatchesSimulation(t *testing.T) {
	skus := []cartSKU{{"A", 2}, {"B", 3}, {"C", 999}, {"D", 1}, {"E", 5}}
	for _, p := range []addPlan{
		{carts: 4, lines: 2, skus: skus},
		{carts: 3, lines: 3, skus: skus},
		{carts: 7, lines: 1, skus: skus},
		{carts: 2, lines: 5, skus: skus},
	} {
		lines := map[[2]int]int{} // (cart, sku) → quantity
		perCart := map[int]map[int]bool{}
		capacity := uint64(0)
		over := false
		for n := uint64(0); n < 200; n++ {
			c, s, q := p.at(n)
			lines[[2]int{c, s}]++
			if lines[[2]int{c, s}] != q {
				t.Fatalf("%+v: add %d: quantity %d, at says %d", p, n, lines[[2]int{c, s}], q)
			}
			if n < uint64(p.carts) && q != 1 {
				t.Fatalf("%+v: add %d is not the cart's first", p, n)
			}
			if perCart[c] == nil {
				perCart[c] = map[int]bool{}
			}
			perCart[c][s] = true
			if !over && q > skus[s].Cap {
				over, capacity = true, n
			}
		}
		for c, ss := range perCart {
			if len(ss) != p.lines {
				t.Errorf("%+v: cart %d has %d SKUs, want %d", p, c, len(ss), p.lines)
			}
		}
		if !over || p.capacity() != capacity {
			t.Errorf("%+v: capacity %d, simulation %d (over %v)", p, p.capacity(), capacity, over)
		}
	}
}

func TestAutoCartsFitThePlan(t *testing.T) {
	cfg, err := parseFlags([]string{"-scenarios", "cart-add", "-duration", "30s", "-rates", "1000,2000,4000"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	planned := plannedRequests(cfg)
	if want := 1 + 1000 + 30*7000 + 30*satGuess; planned != want {
		t.Fatalf("planned %d, want %d", planned, want)
	}
	n := autoCarts(planned, cfg.cart.lines, cfg.cart.skus)
	p := addPlan{carts: n, lines: cfg.cart.lines, skus: cfg.cart.skus}
	if p.capacity() < uint64(planned) {
		t.Fatalf("%d carts hold %d adds, fewer than the %d planned", n, p.capacity(), planned)
	}
	if got := autoCarts(10, 3, cfg.cart.skus); got != minAutoCarts {
		t.Errorf("small run: %d carts, want %d", got, minAutoCarts)
	}
}

func TestCartAddRequests(t *testing.T) {
	skus := []cartSKU{{"ABY-001-BLK-S", 40}, {`B"Q`, 999}, {"C", 999}}
	plan := addPlan{carts: 2, lines: 2, skus: skus}
	g := newCartAddGen(plan, []string{"cart-a", "cart-b"}, true)
	s, _ := lookupScenario(cartAddScenario)
	s.request = g.fill
	next := s.targeter("http://127.0.0.1:1/", "demo.localhost")

	type add struct {
		SKU      string `json:"sku"`
		Quantity int    `json:"quantity"`
	}
	var got []string
	keys := map[string]bool{}
	for range 5 {
		var tgt vegeta.Target
		if err := next(&tgt); err != nil {
			t.Fatal(err)
		}
		var a add
		dec := json.NewDecoder(bytes.NewReader(tgt.Body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil || a.Quantity != 1 {
			t.Fatalf("body %s: %v", tgt.Body, err)
		}
		if tgt.Method != "POST" || tgt.Header.Get("Host") != "demo.localhost" ||
			tgt.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("target %+v", tgt)
		}
		key := tgt.Header.Get("Idempotency-Key")
		if _, err := uuid.Parse(key); err != nil || len(key) != 36 || keys[key] {
			t.Fatalf("Idempotency-Key %q: want a new UUID per add (%v)", key, err)
		}
		keys[key] = true
		got = append(got, strings.TrimPrefix(tgt.URL, "http://127.0.0.1:1")+" "+a.SKU)
	}
	want := []string{
		"/api/v1/carts/cart-a/items ABY-001-BLK-S",
		"/api/v1/carts/cart-b/items C",
		`/api/v1/carts/cart-a/items B"Q`,
		"/api/v1/carts/cart-b/items ABY-001-BLK-S",
		"/api/v1/carts/cart-a/items ABY-001-BLK-S",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("adds\n%q\nwant\n%q", got, want)
	}

	// Without idempotency no key; past a cap the generator counts it.
	g = newCartAddGen(addPlan{carts: 1, lines: 1, skus: []cartSKU{{"X", 2}}}, []string{"c"}, false)
	for range 4 {
		tgt := vegeta.Target{URL: "http://x/api/v1/carts/{id}/items", Header: http.Header{}}
		if err := g.fill(&tgt); err != nil || tgt.Header.Get("Idempotency-Key") != "" || tgt.URL != "http://x/api/v1/carts/c/items" {
			t.Fatalf("target %+v, %v", tgt, err)
		}
	}
	if g.over.Load() != 2 {
		t.Errorf("over capacity %d, want 2", g.over.Load())
	}
}

// TestCartAddConcurrentFillsFollowThePlan fills targets from several
// goroutines, as vegeta's workers do: together they must send exactly the
// plan's first adds, each once, whatever the interleaving.
func TestCartAddConcurrentFillsFollowThePlan(t *testing.T) {
	const workers, each = 8, 500
	plan := addPlan{carts: 10, lines: 2, skus: []cartSKU{{"A", 999}, {"B", 999}, {"C", 999}}}
	ids := []string{"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"}
	g := newCartAddGen(plan, ids, false)
	var mu sync.Mutex
	sent := map[string]int{} // cart and SKU → adds
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				tgt := vegeta.Target{URL: "{id}", Header: http.Header{}}
				if err := g.fill(&tgt); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				sent[tgt.URL+" "+string(tgt.Body)]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	want := map[string]int{}
	for n := range uint64(workers * each) {
		c, s, _ := plan.at(n)
		want[ids[c]+" "+string(addBody(plan.skus[s].SKU, 1))]++
	}
	if !reflect.DeepEqual(sent, want) {
		t.Fatalf("sent %v\nwant %v", sent, want)
	}
}

// fakeCarts is the product's public cart API (modules/cart) as loadgen
// relies on it, in memory, for demo.localhost: stock per SKU, lines capped at 999, Idempotency-Key
// replays. refuse makes the nth add (1-based) answer 503 without adding;
// lose makes it answer 200 without adding.
type fakeCarts struct {
	mu      sync.Mutex
	stock   map[string]int // -1: untracked
	carts   map[string]map[string]int
	keys    map[string][]byte
	created int
	adds    int
	views   int
	refuse  func(n int) bool
	lose    func(n int) bool
}

func newFakeCarts(stock map[string]int) *fakeCarts {
	return &fakeCarts{stock: stock, carts: map[string]map[string]int{}, keys: map[string][]byte{}}
}

func (f *fakeCarts) cartJSON(id string) []byte {
	type item struct {
		SKU       string `json:"sku"`
		Quantity  int    `json:"quantity"`
		UnitPrice int64  `json:"unit_price"`
	}
	items := []item{}
	for sku, q := range f.carts[id] {
		items = append(items, item{sku, q, 2500})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].SKU < items[j].SKU })
	b, _ := json.Marshal(map[string]any{"id": id, "items": items, "currency": "SAR", "status": "active",
		"totals":     map[string]int64{"subtotal": 0, "discount": 0, "shipping": 0, "vat": 0, "total": 0},
		"expires_at": "2026-12-31T00:00:00Z"})
	return b
}

func (f *fakeCarts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Host != "demo.localhost" {
		http.Error(w, `{"title":"unknown tenant"}`, http.StatusNotFound)
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v1/carts"), "/")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/carts":
		f.created++
		id := fmt.Sprintf("c%04x", f.created)
		f.carts[id] = map[string]int{}
		w.WriteHeader(http.StatusCreated)
		w.Write(f.cartJSON(id))
	case r.Method == http.MethodGet && len(parts) == 2 && f.carts[parts[1]] != nil:
		f.views++
		w.Write(f.cartJSON(parts[1]))
	case r.Method == http.MethodPost && len(parts) == 3 && parts[2] == "items" && f.carts[parts[1]] != nil:
		body, _ := io.ReadAll(r.Body)
		key := r.Header.Get("Idempotency-Key")
		if b, ok := f.keys[key]; ok && key != "" {
			w.Write(b)
			return
		}
		var a struct {
			SKU      string `json:"sku"`
			Quantity int    `json:"quantity"`
		}
		if err := json.Unmarshal(body, &a); err != nil || a.Quantity < 1 || a.Quantity > 999 {
			http.Error(w, `{"title":"bad body"}`, http.StatusUnprocessableEntity)
			return
		}
		f.adds++
		if f.refuse != nil && f.refuse(f.adds) {
			http.Error(w, `{"title":"busy"}`, http.StatusServiceUnavailable)
			return
		}
		stock, ok := f.stock[a.SKU]
		if !ok {
			http.Error(w, `{"title":"unknown sku"}`, http.StatusUnprocessableEntity)
			return
		}
		q := f.carts[parts[1]][a.SKU] + a.Quantity
		if q > 999 || (stock >= 0 && q > stock) {
			http.Error(w, `{"title":"not enough stock"}`, http.StatusConflict)
			return
		}
		if f.lose == nil || !f.lose(f.adds) {
			f.carts[parts[1]][a.SKU] = q
		}
		b := f.cartJSON(parts[1])
		if key != "" {
			f.keys[key] = b
		}
		w.Write(b)
	default:
		http.Error(w, `{"title":"not found"}`, http.StatusNotFound)
	}
}

func (f *fakeCarts) held() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.carts {
		for _, q := range c {
			n += q
		}
	}
	return n
}

func runCarts(t *testing.T, srv *httptest.Server, extra ...string) (int, Report, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.json")
	var out, errOut bytes.Buffer
	args := append([]string{"-target", srv.URL, "-rates", "200", "-duration", "200ms", "-warmup", "100ms",
		"-sat-workers", "4", "-baseline=false", "-json", path, "-cart-skus", "A:40,B,C:30,D:60"}, extra...)
	code := run(t.Context(), args, &out, &errOut)
	var rep Report
	if b, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return code, rep, out.String() + errOut.String()
}

func TestRunCartScenarios(t *testing.T) {
	f := newFakeCarts(map[string]int{"A": 40, "B": -1, "C": 30, "D": 60})
	srv := httptest.NewServer(f)
	defer srv.Close()
	// No saturation step: against the in-memory fake it sends as many adds
	// as the machine allows, past any fixed pool, and 409s would follow.
	code, rep, out := runCarts(t, srv, "-scenarios", "cart-add,cart-view", "-cart-carts", "50", "-cart-view-carts", "20", "-cart-lines", "2",
		"-sat-workers", "0")
	if code != exitOK {
		t.Fatalf("exit %d; output:\n%s", code, out)
	}
	if len(rep.Carts) != 2 {
		t.Fatalf("cart reports %+v", rep.Carts)
	}
	add, view := rep.Carts[0], rep.Carts[1]
	if add.Scenario != "cart-add" || add.Carts != 50 || add.Lines != 2 || add.SKUs != 4 || !add.Checked || !add.Landed ||
		add.Accepted == 0 || add.Accepted != add.Sent || add.Held != add.Accepted || add.OverCapacity != 0 ||
		add.Capacity != (addPlan{carts: 50, lines: 2, skus: []cartSKU{{"A", 40}, {"B", 999}, {"C", 30}, {"D", 60}}}).capacity() {
		t.Fatalf("cart-add report %+v", add)
	}
	if view.Scenario != "cart-view" || view.Carts != 20 || view.Checked || view.Accepted != 0 {
		t.Fatalf("cart-view report %+v", view)
	}
	f.mu.Lock()
	created, views := f.created, f.views
	f.mu.Unlock()
	// The carts hold cart-add's accepted adds and cart-view's setup (2
	// lines a cart, quantity 1 to 3).
	viewItems := 0
	for c := range 20 {
		for j := range 2 {
			viewItems += 1 + (c+j)%3
		}
	}
	if created != 70 || f.held() != int(add.Held)+viewItems || views < 50+20 {
		t.Fatalf("fake: %d carts, %d held, %d views; report %+v", created, f.held(), views, add)
	}
	for _, want := range []string{
		"setup cart-add   50 carts, 2 lines each, 4 SKUs, room for",
		"setup cart-view  20 carts, 2 lines each, 4 SKUs (",
		"probe cart-add   POST /api/v1/carts/{id}/items (Host: demo.localhost) -> 200",
		"probe cart-view  GET /api/v1/carts/{id} (Host: demo.localhost) -> 200",
		fmt.Sprintf("cart-add: sent %d, accepted %d, unanswered 0; the 50 carts hold %d items — every accepted add landed once: yes", add.Sent, add.Accepted, add.Held),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, s := range rep.Steps {
		if s.Success != 1 || s.Codes["200"] == 0 {
			t.Errorf("step %+v", s)
		}
	}
}

func TestRunCartAddCountsRefusals(t *testing.T) {
	f := newFakeCarts(map[string]int{"A": 40, "B": -1, "C": 30, "D": 60})
	f.refuse = func(n int) bool { return n%10 == 0 }
	srv := httptest.NewServer(f)
	defer srv.Close()
	code, rep, out := runCarts(t, srv, "-scenarios", "cart-add", "-cart-carts", "30")
	if code != exitFailed { // a tenth refused: below 99 %
		t.Fatalf("exit %d; output:\n%s", code, out)
	}
	add := rep.Carts[0]
	if !add.Landed || add.Held != add.Accepted || add.Accepted >= add.Sent || add.Held != uint64(f.held()) {
		t.Fatalf("report %+v, fake holds %d", add, f.held())
	}
	if !strings.Contains(out, "status codes: 200 ×") || !strings.Contains(out, "503 ×") ||
		!strings.Contains(out, "every accepted add landed once: yes") {
		t.Errorf("output:\n%s", out)
	}
	if len(rep.Failed) != 1 || !strings.HasPrefix(rep.Failed[0], "cart-add at 200 rps: success") {
		t.Errorf("failed %q", rep.Failed)
	}
}

func TestRunCartAddCatchesLostAdds(t *testing.T) {
	f := newFakeCarts(map[string]int{"A": 40, "B": -1, "C": 30, "D": 60})
	f.lose = func(n int) bool { return n == 7 }
	srv := httptest.NewServer(f)
	defer srv.Close()
	code, rep, out := runCarts(t, srv, "-scenarios", "cart-add")
	add := rep.Carts[0]
	if code != exitFailed || add.Landed || add.Held != add.Accepted-1 || add.Carts != minAutoCarts {
		t.Fatalf("exit %d, report %+v; output:\n%s", code, add, out)
	}
	if !strings.Contains(out, "every accepted add landed once: no") ||
		len(rep.Failed) != 1 || !strings.Contains(rep.Failed[0], "the carts hold") {
		t.Errorf("failed %q; output:\n%s", rep.Failed, out)
	}
}

func TestRunCartAddPastCapacity(t *testing.T) {
	f := newFakeCarts(map[string]int{"A": 2})
	srv := httptest.NewServer(f)
	defer srv.Close()
	code, rep, out := runCarts(t, srv, "-scenarios", "cart-add", "-cart-carts", "3", "-cart-lines", "1", "-cart-skus", "A:2")
	add := rep.Carts[0]
	if code != exitFailed || add.Capacity != 6 || add.OverCapacity == 0 || add.OverCapacity != add.Sent-6 || add.Held != 6 || !add.Landed {
		t.Fatalf("exit %d, report %+v; output:\n%s", code, add, out)
	}
	if !strings.Contains(out, "409 ×") || !strings.Contains(out, "went past a line's stock or 999 cap") {
		t.Errorf("output:\n%s", out)
	}
}

func TestRunCartSetupRefused(t *testing.T) {
	// A product without the cart API.
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, `{"title":"Not Found"}`, http.StatusNotFound)
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "r.json")
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"-target", srv.URL, "-scenarios", "store,cart-view", "-json", path}, &out, &errOut)
	if code != exitFailed || !strings.Contains(errOut.String(), "loadgen: setting up cart-view: POST /api/v1/carts (Host: demo.localhost) answered 404, want 201") {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut.String())
	}
	if n := calls.Load(); n < 1 || n > setupWorkers {
		t.Errorf("%d calls after the first refusal", n)
	}

	srv.Close() // unreachable
	code = run(t.Context(), []string{"-target", srv.URL, "-scenarios", "cart-add", "-json", ""}, &out, &errOut)
	if code != exitUnreachable {
		t.Fatalf("unreachable: exit %d", code)
	}
}

func TestSummariseCountsOnly2xx(t *testing.T) {
	var m vegeta.Metrics
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, code := range []uint16{200, 201, 204, 302, 409, 0} {
		m.Add(&vegeta.Result{Code: code, Timestamp: start.Add(time.Duration(i) * 200 * time.Millisecond), Latency: time.Millisecond})
	}
	m.Close()
	s := summarise("cart-add", "target", 5, 0, m)
	if !near(s.Success, 0.5, 1e-9) || !near(s.RPS, 3/1.001, 1e-6) {
		t.Fatalf("success %v rps %v, want 0.5 and ~3", s.Success, s.RPS)
	}
	if got := codesText(s.Codes); got != "0 ×1, 200 ×1, 201 ×1, 204 ×1, 302 ×1, 409 ×1" {
		t.Errorf("codes %q", got)
	}
}

func TestBaselineBytesIsTheTargetsMean(t *testing.T) {
	steps := []Step{
		{Scenario: "cart-add", Server: "target", Requests: 100, BytesIn: 1000},
		{Scenario: "cart-add", Server: "target", Requests: 300, BytesIn: 2000},
		{Scenario: "cart-add", Server: "baseline", Requests: 900, BytesIn: 9},
		{Scenario: "store", Server: "target", Requests: 900, BytesIn: 9},
	}
	if got := baselineBytes(Probe{Bytes: 500}, steps, "cart-add"); got != 1750 {
		t.Errorf("got %d, want 1750", got)
	}
	if got := baselineBytes(Probe{Bytes: 500}, steps, "search"); got != 500 {
		t.Errorf("no steps: got %d, want the probe's 500", got)
	}
}

// TestRunAfterSetup: -after-setup runs once, after the scenarios' setup and
// before the first probe; a command that fails stops the run before any
// request is measured.
func TestRunAfterSetup(t *testing.T) {
	f := newFakeCarts(map[string]int{"A": 40, "B": -1, "C": 30, "D": 60})
	srv := httptest.NewServer(f)
	defer srv.Close()
	mark := filepath.Join(t.TempDir(), "ran")
	code, _, out := runCarts(t, srv, "-scenarios", "cart-view", "-cart-view-carts", "5", "-sat-workers", "0",
		"-after-setup", "echo once >> "+mark)
	if code != exitOK {
		t.Fatalf("exit %d; output:\n%s", code, out)
	}
	if b, err := os.ReadFile(mark); err != nil || string(b) != "once\n" {
		t.Fatalf("the command's mark: %q %v", b, err)
	}
	setup, after, probe := strings.Index(out, "setup cart-view"), strings.Index(out, "after setup: echo once"), strings.Index(out, "probe cart-view")
	if setup < 0 || after < setup || probe < after {
		t.Fatalf("setup, after-setup and probe out of order (%d, %d, %d):\n%s", setup, after, probe, out)
	}

	f.mu.Lock()
	views := f.views
	f.mu.Unlock()
	code, _, out = runCarts(t, srv, "-scenarios", "cart-view", "-cart-view-carts", "5", "-sat-workers", "0", "-after-setup", "exit 3")
	f.mu.Lock()
	viewsAfter := f.views
	f.mu.Unlock()
	if code != exitFailed || !strings.Contains(out, "-after-setup: exit status 3") || strings.Contains(out, "probe cart-view") || viewsAfter != views {
		t.Fatalf("a failing command: exit %d, %d views measured; output:\n%s", code, viewsAfter-views, out)
	}
}
