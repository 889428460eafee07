package main

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"concierge/modules/orders"
)

func TestDemoUntrackedSKUs(t *testing.T) {
	skus := demoUntrackedSKUs()
	if len(skus) == 0 {
		t.Fatal("the demo catalog has no SKU with untracked stock")
	}
	seen := map[string]bool{}
	for _, s := range skus {
		seen[s] = true
	}
	// THB-002-WHT is untracked, ABY-003-BLK-S sold out (modules/catalog/demo tests).
	if !seen["THB-002-WHT"] || seen["ABY-003-BLK-S"] {
		t.Errorf("SKUs %v", skus)
	}
}

func TestCheckoutFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-scenarios", "checkout-cod", "-rates", "100,200", "-duration", "10s", "-warmup", "3s", "-sat-workers", "16"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.scenarios[0]
	if s.Method != "POST" || s.Path != "/api/v1/checkout/init" || !s.Tenant || s.Status != 201 || s.Setup == nil {
		t.Fatalf("checkout-cod = %+v", s)
	}
	if o := cfg.checkout; o.carts != 0 || !o.idempotency || !reflect.DeepEqual(o.skus, demoUntrackedSKUs()) {
		t.Fatalf("defaults %+v", o)
	}
	// probe + warm-up 300 + 3000 + saturation 5000, a twentieth more.
	if got, want := plannedCheckouts(cfg), 8301+8301/20; got != want {
		t.Errorf("plannedCheckouts = %d, want %d", got, want)
	}
	for _, bad := range [][]string{{"-checkout-carts", "-1"}, {"-checkout-carts", "10000000"}, {"-checkout-skus", "A B"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("parseFlags(%q): want error", bad)
		}
	}
}

func TestCheckoutPhonesValidAndDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range []uint64{0, 1, 9, 10, 123456, maxCheckoutCarts - 1} {
		p := checkoutPhone(n)
		got, err := orders.ParsePhone(p)
		if err != nil || got != p {
			t.Errorf("checkoutPhone(%d) = %q: parsed %q, %v", n, p, got, err)
		}
		if seen[p] {
			t.Errorf("checkoutPhone(%d) = %q again", n, p)
		}
		seen[p] = true
	}
}

func TestCheckoutBody(t *testing.T) {
	var b struct {
		CartID   string `json:"cart_id"`
		Customer struct{ Name, Phone string }
		Address  struct {
			BuildingNumber string `json:"building_number"`
			Street         string
			District       string
			City           string
			PostalCode     string `json:"postal_code"`
		}
		PaymentMethod string `json:"payment_method"`
	}
	if err := json.Unmarshal(checkoutBody("c-1", "+966500000001"), &b); err != nil {
		t.Fatal(err)
	}
	if b.CartID != "c-1" || b.Customer.Name != "Bench Shopper" || b.Customer.Phone != "+966500000001" ||
		b.Address.BuildingNumber != "2929" || b.Address.City != "Riyadh" || b.Address.PostalCode != "12345" ||
		b.Address.District == "" || b.Address.Street == "" || b.PaymentMethod != "cod" {
		t.Fatalf("body %+v", b)
	}
}

// TestCheckoutGenNeverReusesACart: concurrent target requests get every
// prepared cart once, then errNoCart; the baseline's requests take none.
func TestCheckoutGenNeverReusesACart(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e"}
	target := Scenario{Path: checkoutInitPath}.targetURL("http://127.0.0.1:1")
	g := &checkoutGen{target: target, ids: ids, keys: true}

	var mu sync.Mutex
	got := map[string]int{}
	noCart := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2 {
				base := vegeta.Target{URL: "http://127.0.0.1:2" + checkoutInitPath, Header: map[string][]string{}}
				if err := g.fill(&base); err != nil {
					t.Error(err)
				}
				tgt := vegeta.Target{URL: target, Header: map[string][]string{}}
				err := g.fill(&tgt)
				mu.Lock()
				if errors.Is(err, errNoCart) {
					noCart++
				} else {
					var b struct {
						CartID string `json:"cart_id"`
					}
					if err := json.Unmarshal(tgt.Body, &b); err != nil {
						t.Error(err)
					}
					got[b.CartID]++
					if len(tgt.Header.Get("Idempotency-Key")) != 36 {
						t.Errorf("Idempotency-Key %q", tgt.Header.Get("Idempotency-Key"))
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if want := map[string]int{"a": 1, "b": 1, "c": 1, "d": 1, "e": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("carts handed out %v, want each once", got)
	}
	if noCart != 11 || g.noCart.Load() != 11 || g.handedOut() != 5 {
		t.Errorf("noCart %d (gen %d), handed out %d", noCart, g.noCart.Load(), g.handedOut())
	}
}

func TestSummariseWantsOneStatus(t *testing.T) {
	var m vegeta.Metrics
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, code := range []uint16{201, 201, 201, 200} {
		m.Add(&vegeta.Result{Code: code, Timestamp: start.Add(time.Duration(i) * time.Millisecond), Latency: time.Millisecond})
	}
	m.Close()
	if s := summarise("checkout-cod", "target", 5, 201, m); s.Success != 0.75 || s.Want != 201 {
		t.Errorf("want 201: success %v", s.Success)
	}
	if s := summarise("checkout-cod", "baseline", 5, 0, m); s.Success != 1 {
		t.Errorf("any 2xx: success %v", s.Success)
	}
}
