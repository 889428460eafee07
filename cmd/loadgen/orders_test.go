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
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"concierge/modules/orders"
)

func TestOrderFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-scenarios", "order-get,order-lookup", "-rates", "500,1000,1500", "-duration", "10s", "-warmup", "3s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	get, lookup := cfg.scenarios[0], cfg.scenarios[1]
	if get.Name != "order-get" || get.Method != "GET" || get.Path != "/api/v1/orders/{id}" || !get.Tenant || get.Status != 200 || get.Setup == nil {
		t.Fatalf("order-get = %+v", get)
	}
	if lookup.Name != "order-lookup" || lookup.Method != "POST" || lookup.Path != "/api/v1/orders/lookup" || !lookup.Tenant ||
		lookup.Status != 200 || lookup.Setup == nil {
		t.Fatalf("order-lookup = %+v", lookup)
	}
	if o := cfg.orders; o.orders != 2000 || o.email != "owner@demo.test" || o.password != demoPassword || o.prep == nil {
		t.Fatalf("defaults %+v", o)
	}
	cfg, err = parseFlags([]string{"-order-orders", "200", "-order-email", "staff@x.test", "-order-password", "pw"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o := cfg.orders; o.orders != 200 || o.email != "staff@x.test" || o.password != "pw" {
		t.Fatalf("flags %+v", o)
	}
	for _, bad := range [][]string{{"-order-orders", "0"}, {"-order-orders", "1000001"}, {"-order-email", " "}, {"-order-password", ""}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("parseFlags(%q): want error", bad)
		}
	}
	// Every parse gets its own preparation: runs never share orders.
	a, _ := parseFlags(nil, io.Discard)
	b, _ := parseFlags(nil, io.Discard)
	if a.orders.prep == b.orders.prep {
		t.Error("two runs share one orderPrep")
	}
}

// TestDemoCredentialsMatchSeed: the defaults are the demo seed's owner.
func TestDemoCredentialsMatchSeed(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "concierge", "seed.go"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"demoOwnerEmail": demoOwnerEmail, "demoPassword": demoPassword} {
		m := regexp.MustCompile(`\b` + name + `\s*=\s*"([^"]*)"`).FindSubmatch(src)
		if m == nil || string(m[1]) != want {
			t.Errorf("cmd/concierge/seed.go %s = %q, loadgen's default %q", name, m, want)
		}
	}
}

func TestOrderPhonesValidAndDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range []uint64{0, 1, 9, 10, 123456, maxOrders - 1} {
		for _, p := range []string{orderPhone(n), checkoutPhone(n)} {
			got, err := orders.ParsePhone(p)
			if err != nil || got != p {
				t.Errorf("phone %d = %q: parsed %q, %v", n, p, got, err)
			}
			if seen[p] {
				t.Errorf("phone %q again", p)
			}
			seen[p] = true
		}
	}
}

func TestOrderBodies(t *testing.T) {
	var l struct {
		Phone       string `json:"phone"`
		OrderNumber string `json:"order_number"`
	}
	if err := json.Unmarshal(lookupBody("+966550000001", `10"01`), &l); err != nil || l.Phone != "+966550000001" || l.OrderNumber != `10"01` {
		t.Fatalf("lookup body %+v, %v", l, err)
	}
	var c struct {
		OrderID string `json:"order_id"`
	}
	if err := json.Unmarshal(confirmBody("o-1"), &c); err != nil || c.OrderID != "o-1" {
		t.Fatalf("confirm body %+v, %v", c, err)
	}
}

type fixedBearer string

func (b fixedBearer) bearer() string { return string(b) }

var testOrders = []placedOrder{
	{ID: "id-a", Number: "1001", Phone: "+966550000001"},
	{ID: "id-b", Number: "1002", Phone: "+966550000002"},
	{ID: "id-c", Number: "1003", Phone: "+966550000003"},
}

// targets builds n targets of scenario name with req, as vegeta does.
func targets(t *testing.T, name string, req Request, n int) []vegeta.Target {
	t.Helper()
	s, ok := lookupScenario(name)
	if !ok {
		t.Fatalf("no scenario %s", name)
	}
	s.request = req
	tr := s.targeter("http://127.0.0.1:1", "demo.localhost")
	out := make([]vegeta.Target, n)
	for i := range out {
		if err := tr(&out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestOrderGetRequests(t *testing.T) {
	g := &orderGetGen{orders: testOrders, auth: fixedBearer("Bearer tok")}
	var urls []string
	for _, tgt := range targets(t, orderGetScenario, g.fill, 7) {
		urls = append(urls, tgt.URL)
		if tgt.Method != "GET" || tgt.Header.Get("Host") != "demo.localhost" || tgt.Header.Get("Authorization") != "Bearer tok" || tgt.Body != nil {
			t.Errorf("target %+v", tgt)
		}
	}
	base := "http://127.0.0.1:1/api/v1/orders/"
	want := []string{base + "id-a", base + "id-b", base + "id-c", base + "id-a", base + "id-b", base + "id-c", base + "id-a"}
	if !reflect.DeepEqual(urls, want) {
		t.Errorf("urls %v, want round robin %v", urls, want)
	}
}

func TestOrderLookupRequests(t *testing.T) {
	g := newOrderLookupGen(testOrders)
	var got []string
	for _, tgt := range targets(t, orderLookupScenario, g.fill, 4) {
		var b struct {
			Phone       string `json:"phone"`
			OrderNumber string `json:"order_number"`
		}
		if err := json.Unmarshal(tgt.Body, &b); err != nil {
			t.Fatal(err)
		}
		got = append(got, b.Phone+"#"+b.OrderNumber)
		if tgt.Method != "POST" || tgt.URL != "http://127.0.0.1:1/api/v1/orders/lookup" || tgt.Header.Get("Host") != "demo.localhost" ||
			tgt.Header.Get("Content-Type") != "application/json" || tgt.Header.Get("Authorization") != "" {
			t.Errorf("target %+v", tgt)
		}
	}
	want := []string{"+966550000001#1001", "+966550000002#1002", "+966550000003#1003", "+966550000001#1001"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lookups %v, want round robin %v", got, want)
	}
}

// TestOrderGensRoundRobinConcurrently: vegeta's workers share a generator;
// every order is read equally often.
func TestOrderGensRoundRobinConcurrently(t *testing.T) {
	get := &orderGetGen{orders: testOrders, auth: fixedBearer("Bearer tok")}
	lookup := newOrderLookupGen(testOrders)
	var mu sync.Mutex
	ids, bodies := map[string]int{}, map[string]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 30 {
				g := vegeta.Target{URL: "http://x/api/v1/orders/{id}", Header: http.Header{}}
				l := vegeta.Target{URL: "http://x/api/v1/orders/lookup", Header: http.Header{}}
				if err := get.fill(&g); err != nil {
					t.Error(err)
				}
				if err := lookup.fill(&l); err != nil {
					t.Error(err)
				}
				mu.Lock()
				ids[strings.TrimPrefix(g.URL, "http://x/api/v1/orders/")]++
				bodies[string(l.Body)]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if want := map[string]int{"id-a": 80, "id-b": 80, "id-c": 80}; !reflect.DeepEqual(ids, want) {
		t.Errorf("order-get ids %v, want %v", ids, want)
	}
	if len(bodies) != 3 {
		t.Errorf("order-lookup bodies %v", bodies)
	}
	for b, n := range bodies {
		if n != 80 {
			t.Errorf("%s %d times, want 80", b, n)
		}
	}
}

// TestOrderScenariosSucceedOnlyOn200: a 404 (wrong pair), 401 (expired
// token) or 429 (lookup limit) is a failure, and so is any other 2xx.
func TestOrderScenariosSucceedOnlyOn200(t *testing.T) {
	var m vegeta.Metrics
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, code := range []uint16{200, 200, 200, 201, 204, 401, 404, 429} {
		m.Add(&vegeta.Result{Code: code, Timestamp: start.Add(time.Duration(i) * time.Millisecond), Latency: time.Millisecond})
	}
	m.Close()
	for _, name := range []string{orderGetScenario, orderLookupScenario} {
		s, _ := lookupScenario(name)
		if st := summarise(name, "target", 100, s.Status, m); st.Success != 3.0/8 || st.Want != 200 {
			t.Errorf("%s: success %v, want %d", name, st.Success, st.Want)
		}
	}
	if bad := failures([]Step{summarise("order-lookup", "target", 100, 200, m)}); len(bad) != 1 {
		t.Errorf("failures %+v", bad)
	}
}

func TestRenewAfter(t *testing.T) {
	for ttl, want := range map[time.Duration]time.Duration{0: 0, -time.Second: 0, 15 * time.Minute: 675 * time.Second, 12 * time.Hour: 9 * time.Hour} {
		if got := renewAfter(ttl); got != want {
			t.Errorf("renewAfter(%v) = %v, want %v", ttl, got, want)
		}
	}
}

// fakeLogin answers POST /api/auth/login with token-1, token-2, ...
// living ttl seconds, for the right password.
type fakeLogin struct {
	mu     sync.Mutex
	logins int
	ttl    int
}

func (f *fakeLogin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct{ Email, Password string }
	if r.Method != http.MethodPost || r.URL.Path != "/api/auth/login" || r.Header.Get("Content-Type") != "application/json" ||
		json.NewDecoder(r.Body).Decode(&in) != nil {
		http.Error(w, `{"title":"not found"}`, http.StatusNotFound)
		return
	}
	if in.Email != demoOwnerEmail || in.Password != demoPassword {
		http.Error(w, `{"title":"bad credentials"}`, http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	f.logins++
	n := f.logins
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":"token-%d","refresh_token":"r","token_type":"Bearer","expires_in":%d}`, n, f.ttl)
}

func (f *fakeLogin) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

func TestStaffAuthRenewsBeforeExpiry(t *testing.T) {
	f := &fakeLogin{ttl: 1} // renewed after 750ms
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg, err := parseFlags([]string{"-target", srv.URL}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := signIn(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a.bearer() != "Bearer token-1" || a.ttl != time.Second {
		t.Fatalf("bearer %q ttl %v", a.bearer(), a.ttl)
	}
	deadline := time.Now().Add(5 * time.Second)
	for a.bearer() == "Bearer token-1" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	a.close()
	if !strings.HasPrefix(a.bearer(), "Bearer token-") || a.bearer() == "Bearer token-1" || a.renewals.Load() == 0 {
		t.Fatalf("after 1s: bearer %q, %d renewals", a.bearer(), a.renewals.Load())
	}
	n := f.count()
	time.Sleep(time.Second)
	if f.count() != n {
		t.Error("signed in again after close")
	}

	cfg.orders.password = "wrong"
	if _, err := signIn(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "signing in as owner@demo.test: POST /api/auth/login answered 401") {
		t.Fatalf("wrong password: %v", err)
	}
}

// fakeOrders is the slice of the product the order scenarios use: carts,
// COD checkout and confirmation, sign-in, the staff order and the lookup.
type fakeOrders struct {
	fakeLogin
	mu       sync.Mutex
	carts    map[string]string // id -> its one SKU ("" when empty)
	orders   map[string]*fakeOrder
	byNumber map[string]*fakeOrder
	gets     int
	lookups  int
	refuse   string // a path that answers 409
}

type fakeOrder struct {
	id, number, phone, status string
}

func newFakeOrders() *fakeOrders {
	return &fakeOrders{fakeLogin: fakeLogin{ttl: 900}, carts: map[string]string{}, orders: map[string]*fakeOrder{}, byNumber: map[string]*fakeOrder{}}
}

func (f *fakeOrders) orderJSON(o *fakeOrder) []byte {
	b, _ := json.Marshal(map[string]any{"order": map[string]any{"id": o.id, "number": o.number, "status": o.status,
		"customer": map[string]string{"phone": o.phone}}, "payment": map[string]string{"provider": "cod"}})
	return b
}

func (f *fakeOrders) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/auth/login" {
		f.fakeLogin.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.Host != "demo.localhost" {
		http.Error(w, `{"title":"unknown tenant"}`, http.StatusNotFound)
		return
	}
	var body struct {
		SKU         string `json:"sku"`
		CartID      string `json:"cart_id"`
		OrderID     string `json:"order_id"`
		Phone       string `json:"phone"`
		OrderNumber string `json:"order_number"`
		Customer    struct{ Phone string }
		Payment     string `json:"payment_method"`
	}
	if r.Method == http.MethodPost {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, `{"title":"bad body"}`, http.StatusUnprocessableEntity)
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == f.refuse {
		http.Error(w, `{"title":"conflict"}`, http.StatusConflict)
		return
	}
	parts := strings.Split(r.URL.Path, "/")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/carts":
		id := fmt.Sprintf("cart-%d", len(f.carts)+1)
		f.carts[id] = ""
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%q,"items":[]}`, id)
	case r.Method == http.MethodPost && len(parts) == 6 && parts[5] == "items":
		if _, ok := f.carts[parts[4]]; !ok || body.SKU == "" {
			http.Error(w, `{"title":"not found"}`, http.StatusNotFound)
			return
		}
		f.carts[parts[4]] = body.SKU
		fmt.Fprintf(w, `{"id":%q,"items":[{"sku":%q,"quantity":1}]}`, parts[4], body.SKU)
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/checkout/init":
		if f.carts[body.CartID] == "" || body.Payment != "cod" || body.Customer.Phone == "" {
			http.Error(w, `{"title":"bad checkout"}`, http.StatusUnprocessableEntity)
			return
		}
		o := &fakeOrder{id: fmt.Sprintf("00000000-0000-0000-0000-%012d", len(f.orders)+1), number: fmt.Sprint(1001 + len(f.orders)),
			phone: body.Customer.Phone, status: "pending_payment"}
		f.orders[o.id], f.byNumber[o.number] = o, o
		w.WriteHeader(http.StatusCreated)
		w.Write(f.orderJSON(o))
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/checkout/confirm":
		o := f.orders[body.OrderID]
		if o == nil {
			http.Error(w, `{"title":"not found"}`, http.StatusNotFound)
			return
		}
		o.status = "confirmed"
		w.Write(f.orderJSON(o))
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/orders/lookup":
		f.lookups++
		o := f.byNumber[body.OrderNumber]
		if o == nil || o.phone != body.Phone || o.status == "pending_payment" {
			http.Error(w, `{"title":"not found"}`, http.StatusNotFound)
			return
		}
		fmt.Fprintf(w, `{"number":%q,"status":%q,"city":"Riyadh"}`, o.number, o.status)
	case r.Method == http.MethodGet && len(parts) == 5 && parts[3] == "orders":
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer token-") {
			http.Error(w, `{"title":"sign in first"}`, http.StatusUnauthorized)
			return
		}
		o := f.orders[parts[4]]
		if o == nil {
			http.Error(w, `{"title":"not found"}`, http.StatusNotFound)
			return
		}
		f.gets++
		w.Write(f.orderJSON(o))
	default:
		http.Error(w, `{"title":"not found"}`, http.StatusNotFound)
	}
}

func runOrders(t *testing.T, srv *httptest.Server, extra ...string) (int, Report, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.json")
	var out, errOut bytes.Buffer
	args := append([]string{"-target", srv.URL, "-rates", "200", "-duration", "200ms", "-warmup", "100ms",
		"-sat-workers", "4", "-json", path, "-order-orders", "30", "-checkout-skus", "A,B"}, extra...)
	code := run(t.Context(), args, &out, &errOut)
	var rep Report
	if b, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return code, rep, out.String() + errOut.String()
}

func TestRunOrderScenarios(t *testing.T) {
	f := newFakeOrders()
	srv := httptest.NewServer(f)
	defer srv.Close()
	code, rep, out := runOrders(t, srv, "-scenarios", "order-get,order-lookup")
	if code != exitOK {
		t.Fatalf("exit %d; output:\n%s", code, out)
	}
	f.mu.Lock()
	carts, placed, gets, lookups := len(f.carts), len(f.orders), f.gets, f.lookups
	skus := map[string]int{}
	for _, sku := range f.carts {
		skus[sku]++
	}
	f.mu.Unlock()
	// Placed once for both scenarios, from carts of the SKUs in turn; one
	// sign-in.
	if carts != 30 || placed != 30 || !reflect.DeepEqual(skus, map[string]int{"A": 15, "B": 15}) || f.count() != 1 {
		t.Fatalf("fake: %d carts %v, %d orders, %d sign-ins", carts, skus, placed, f.count())
	}
	if len(rep.Carts) != 2 {
		t.Fatalf("reports %+v", rep.Carts)
	}
	g, l := rep.Carts[0], rep.Carts[1]
	if g.Scenario != "order-get" || g.Orders != 30 || g.SKUs != 2 || g.PreparedBy != "" || g.SignedInAs != "owner@demo.test" || g.TokenTTLs != 900 {
		t.Errorf("order-get report %+v", g)
	}
	if l.Scenario != "order-lookup" || l.Orders != 30 || l.PreparedBy != "order-get" || l.SignedInAs != "" {
		t.Errorf("order-lookup report %+v", l)
	}
	var targetSteps int
	for _, s := range rep.Steps {
		if s.Server == "target" {
			targetSteps++
			if s.Success != 1 || s.Want != 200 || s.Codes["200"] == 0 {
				t.Errorf("step %+v", s)
			}
		}
	}
	if targetSteps != 4 || gets < 30 || lookups < 30 {
		t.Errorf("%d target steps, %d gets, %d lookups", targetSteps, gets, lookups)
	}
	for _, want := range []string{
		"setup order-get  30 orders placed, one line each of 2 SKUs, cash on delivery, confirmed; signed in as owner@demo.test, access token valid 900s (",
		"setup order-lookup the 30 orders order-get placed (",
		"probe order-get  GET /api/v1/orders/{id} (Host: demo.localhost) -> 200",
		"probe order-lookup POST /api/v1/orders/lookup (Host: demo.localhost) -> 200",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// order-lookup alone places them itself and never signs in.
	f = newFakeOrders()
	srv2 := httptest.NewServer(f)
	defer srv2.Close()
	code, rep, out = runOrders(t, srv2, "-scenarios", "order-lookup", "-baseline=false", "-sat-workers", "0")
	if code != exitOK || len(rep.Carts) != 1 || rep.Carts[0].PreparedBy != "" || f.count() != 0 || len(f.orders) != 30 {
		t.Fatalf("exit %d, reports %+v, %d sign-ins; output:\n%s", code, rep.Carts, f.count(), out)
	}
}

func TestRunOrderSetupRefused(t *testing.T) {
	f := newFakeOrders()
	f.refuse = "/api/v1/checkout/confirm"
	srv := httptest.NewServer(f)
	defer srv.Close()
	code, _, out := runOrders(t, srv, "-scenarios", "order-lookup,order-get")
	if code != exitFailed || !strings.Contains(out, "loadgen: setting up order-lookup: POST /api/v1/checkout/confirm (Host: demo.localhost) answered 409, want 200") {
		t.Fatalf("exit %d; output:\n%s", code, out)
	}
}
