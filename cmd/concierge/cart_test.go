package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/cmd/concierge/sandbox"
	"concierge/modules/catalog"
	"concierge/tenants"
)

// The cart through the whole product: the public API on a tenant's host
// (the cart id the bearer of access), the staff routes with their roles,
// Idempotency-Key replays, races between API calls and between the API and
// the WhatsApp worker, and tenants kept apart.

// cartShop onboards tenant slug (host slug.example.sa) with the demo catalog
// and returns its host and a context of the tenant.
func cartShop(t *testing.T, ta *testApp, slug string) (string, context.Context) {
	t.Helper()
	tn := ta.withT(t).tenant(slug)
	seedCatalogInto(t, ta, ta.app.deps.tenants, slug, "https://media.test")
	return slug + ".example.sa", tenants.WithTenant(context.Background(), tn)
}

// apiCart is the part of the cart JSON the tests read.
type apiCart struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Currency  string `json:"currency"`
	ExpiresAt string `json:"expires_at"`
	Items     []struct {
		SKU               string `json:"sku"`
		Quantity          int    `json:"quantity"`
		UnitPrice         int64  `json:"unit_price"`
		Total             int64  `json:"total"`
		PriceChanged      bool   `json:"price_changed"`
		PreviousUnitPrice *int64 `json:"previous_unit_price"`
	} `json:"items"`
	Totals struct {
		Subtotal, Discount, Shipping, VAT, Total int64
	} `json:"totals"`
}

func decodeCart(t *testing.T, r response) apiCart {
	t.Helper()
	var c apiCart
	if err := json.Unmarshal(r.raw, &c); err != nil || c.ID == "" {
		t.Fatalf("not a cart (%d): %s", r.status, r.body)
	}
	return c
}

// quantityOf is the quantity of sku in c (0: no line).
func (c apiCart) quantityOf(sku string) int {
	for _, it := range c.Items {
		if it.SKU == sku {
			return it.Quantity
		}
	}
	return 0
}

// problem is a problem+json answer's field errors, by field, in both
// languages.
type problem struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Errors []struct {
		Field     string `json:"field"`
		Code      string `json:"code"`
		MessageAR string `json:"message_ar"`
		MessageEN string `json:"message_en"`
	} `json:"errors"`
}

func wantProblem(t *testing.T, r response, status int, field string) problem {
	t.Helper()
	if r.status != status || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("want %d problem+json, got %d %s: %s", status, r.status, r.header.Get("Content-Type"), r.body)
	}
	var p problem
	if err := json.Unmarshal(r.raw, &p); err != nil {
		t.Fatal(err)
	}
	if field == "" {
		return p
	}
	for _, fe := range p.Errors {
		if fe.Field == field {
			if fe.MessageAR == "" || fe.MessageEN == "" {
				t.Fatalf("field %s has no message in both languages: %s", field, r.body)
			}
			return p
		}
	}
	t.Fatalf("no error on field %s: %s", field, r.body)
	return p
}

// fieldMessages is the Arabic and English messages of field in p.
func (p problem) fieldMessages(field string) string {
	for _, fe := range p.Errors {
		if fe.Field == field {
			return fe.MessageAR + " | " + fe.MessageEN
		}
	}
	return ""
}

func setStock(t *testing.T, ta *testApp, ctx context.Context, sku string, stock *int) {
	t.Helper()
	if res, err := ta.app.catalog.BulkStock(ctx, []catalog.StockUpdate{{SKU: sku, Stock: stock}}); err != nil || len(res.NotFound) > 0 {
		t.Fatalf("stock of %s: %v %+v", sku, err, res)
	}
}

func setPrice(t *testing.T, ta *testApp, ctx context.Context, sku string, price int64) {
	t.Helper()
	if res, err := ta.app.catalog.BulkPrice(ctx, []catalog.PriceUpdate{{SKU: sku, Price: price}}); err != nil || len(res.NotFound) > 0 {
		t.Fatalf("price of %s: %v %+v", sku, err, res)
	}
}

func intPtr(n int) *int { return &n }

// cartLimits lift the per-IP and per-tenant rate limits: the tests send
// hundreds of requests a second from one address.
var cartLimits = map[string]string{"RATE_LIMIT_IP": "100000", "RATE_LIMIT_TENANT": "100000"}

var cartIDShape = regexp.MustCompile(`^[a-z2-7]{32}$`)

// TestCartAPI walks every public cart route and the staff routes on one
// tenant: create, read, add (summing), stock and SKU refusals that change
// nothing, set and remove lines, empty, price changes flagged once, VAT
// included and added, shipping by zone (any spelling), default fee and
// free-shipping threshold, and the roles of the staff routes.
func TestCartAPI(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, cartLimits).withT(t)
	host, ctx := cartShop(t, ta, "cartapi")
	owner := ta.user("owner@cartapi.test", false, "cartapi", "owner")
	agent := ta.user("agent@cartapi.test", false, "cartapi", "agent")
	setPrice(t, ta, ctx, "ABY-001-BLK-M", 12500)
	setStock(t, ta, ctx, "ABY-001-BLK-M", intPtr(3))
	setPrice(t, ta, ctx, "PRF-002", 9500)
	setStock(t, ta, ctx, "PRF-002", nil)

	// Create: 201, an unguessable id, empty totals in the tenant's currency.
	r := ta.do(request{method: "POST", path: "/api/v1/carts", host: host})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	c := decodeCart(t, r)
	if !cartIDShape.MatchString(c.ID) || c.Status != "active" || c.Currency != "SAR" || c.ExpiresAt == "" || len(c.Items) != 0 ||
		c.Totals.Total != 0 || r.header.Get("Location") != "/api/v1/carts/"+c.ID {
		t.Fatalf("new cart: %+v %s", c, r.body)
	}
	for _, k := range []string{`"items":[]`, `"totals":{"subtotal":0,"discount":0,"shipping":0,"vat":0,"total":0}`} {
		if !strings.Contains(r.body, k) {
			t.Fatalf("new cart JSON lacks %s: %s", k, r.body)
		}
	}
	path := "/api/v1/carts/" + c.ID
	if r := ta.do(request{method: "GET", path: path, host: host}); r.status != 200 || decodeCart(t, r).ID != c.ID {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	for _, bad := range []string{strings.Repeat("a", 32), "abc", strings.ToUpper(c.ID), c.ID + "a"} {
		wantProblem(t, ta.do(request{method: "GET", path: "/api/v1/carts/" + bad, host: host}), 404, "")
	}

	add := func(body string) response {
		return ta.do(request{method: "POST", path: path + "/items", host: host, body: body})
	}
	// Two, then one more: one line of three. VAT is inside the prices:
	// round(37500 × 1500 / 11500) = 4891.30 → 4891.
	if r := add(`{"sku":"ABY-001-BLK-M","quantity":2}`); r.status != 200 || decodeCart(t, r).quantityOf("ABY-001-BLK-M") != 2 {
		t.Fatalf("add 2: %d %s", r.status, r.body)
	}
	r = add(`{"sku":"aby-001-blk-m","quantity":1}`)
	c = decodeCart(t, r)
	if r.status != 200 || len(c.Items) != 1 || c.quantityOf("ABY-001-BLK-M") != 3 || c.Items[0].Total != 37500 ||
		c.Totals.Subtotal != 37500 || c.Totals.VAT != 4891 || c.Totals.Total != 37500 || c.Totals.Shipping != 0 {
		t.Fatalf("add 1 more: %d %s", r.status, r.body)
	}
	// A fourth is more than the stock: 409 saying how many there are, in
	// both languages; the cart keeps its three.
	p := wantProblem(t, add(`{"sku":"ABY-001-BLK-M","quantity":1}`), 409, "quantity")
	if ar, en, _ := strings.Cut(p.fieldMessages("quantity"), " | "); !strings.Contains(ar, "3") || !strings.Contains(en, "3") {
		t.Fatalf("the stock refusal does not say 3 are available: %s", p.fieldMessages("quantity"))
	}
	// Unknown and archived SKUs: 422 naming the SKU.
	if p := wantProblem(t, add(`{"sku":"NO-SUCH-SKU","quantity":1}`), 422, "sku"); !strings.Contains(p.fieldMessages("sku"), "NO-SUCH-SKU") {
		t.Fatalf("the unknown SKU is not named: %+v", p)
	}
	prf, err := ta.app.catalog.ProductBySKU(ctx, "PRF-001-50ML")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ta.app.catalog.ArchiveProduct(ctx, prf.ID.String()); err != nil {
		t.Fatal(err)
	}
	if p := wantProblem(t, add(`{"sku":"PRF-001-50ML","quantity":1}`), 422, "sku"); !strings.Contains(p.fieldMessages("sku"), "PRF-001-50ML") {
		t.Fatalf("the archived SKU is not named: %+v", p)
	}
	// Quantities outside 1..999, of the wrong type, and hostile bodies.
	for _, body := range []string{`{"sku":"PRF-002","quantity":0}`, `{"sku":"PRF-002","quantity":1000}`, `{"sku":"PRF-002","quantity":-1}`,
		`{"sku":"PRF-002","quantity":"2"}`, `{"sku":"PRF-002","quantity":1.5}`, `{"sku":"PRF-002","quantity":99999999999999999999}`} {
		wantProblem(t, add(body), 422, "quantity")
	}
	for _, body := range []string{`{"sku":"PRF\u0000002","quantity":1}`, `{"quantity":1}`, `{"sku":"` + strings.Repeat("S", 65) + `","quantity":1}`} {
		wantProblem(t, add(body), 422, "sku")
	}
	if r := add(`{"sku":`); r.status != 400 && r.status != 422 {
		t.Fatalf("broken JSON: %d %s", r.status, r.body)
	}
	// 999 of an untracked SKU, then one more: the line maximum.
	if r := add(`{"sku":"PRF-002","quantity":999}`); r.status != 200 {
		t.Fatalf("add 999: %d %s", r.status, r.body)
	}
	wantProblem(t, add(`{"sku":"PRF-002","quantity":1}`), 422, "quantity")
	if c = decodeCart(t, ta.do(request{method: "GET", path: path, host: host})); c.quantityOf("ABY-001-BLK-M") != 3 || c.quantityOf("PRF-002") != 999 {
		t.Fatalf("refusals changed the cart: %+v", c.Items)
	}

	// PATCH sets a quantity (0 removes); DELETE removes a line; DELETE
	// /items empties.
	patch := func(sku, body string) response {
		return ta.do(request{method: "PATCH", path: path + "/items/" + sku, host: host, body: body})
	}
	if r := patch("PRF-002", `{"quantity":2}`); r.status != 200 || decodeCart(t, r).quantityOf("PRF-002") != 2 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	wantProblem(t, patch("PRF-002", `{"quantity":1000}`), 422, "quantity")
	wantProblem(t, patch("PRF-002", `{}`), 422, "quantity")
	wantProblem(t, patch("ABY-001-BLK-M", `{"quantity":4}`), 409, "quantity")
	wantProblem(t, patch("NOT-IN-CART", `{"quantity":1}`), 404, "")
	if r := patch("ABY-001-BLK-M", `{"quantity":0}`); r.status != 200 || decodeCart(t, r).quantityOf("ABY-001-BLK-M") != 0 {
		t.Fatalf("patch to 0: %d %s", r.status, r.body)
	}
	add(`{"sku":"ABY-001-BLK-M","quantity":1}`)
	if r := ta.do(request{method: "DELETE", path: path + "/items/ABY-001-BLK-M", host: host}); r.status != 200 || len(decodeCart(t, r).Items) != 1 {
		t.Fatalf("delete line: %d %s", r.status, r.body)
	}
	wantProblem(t, ta.do(request{method: "DELETE", path: path + "/items/ABY-001-BLK-M", host: host}), 404, "")
	if r := ta.do(request{method: "DELETE", path: path + "/items", host: host}); r.status != 200 || len(decodeCart(t, r).Items) != 0 {
		t.Fatalf("empty: %d %s", r.status, r.body)
	}

	// A price change is applied and flagged, old and new, until the cart
	// is read.
	add(`{"sku":"PRF-002","quantity":2}`)
	setPrice(t, ta, ctx, "PRF-002", 8000)
	c = decodeCart(t, ta.do(request{method: "GET", path: path, host: host}))
	if it := c.Items[0]; !it.PriceChanged || it.PreviousUnitPrice == nil || *it.PreviousUnitPrice != 9500 || it.UnitPrice != 8000 || c.Totals.Total != 16000 {
		t.Fatalf("price change: %+v", c)
	}
	if c = decodeCart(t, ta.do(request{method: "GET", path: path, host: host})); c.Items[0].PriceChanged || c.Items[0].PreviousUnitPrice != nil {
		t.Fatalf("the change is flagged after it was read: %+v", c.Items[0])
	}

	// Pricing settings: defaults for any staff reader, written by the owner
	// only; a bad body is refused whole, field by field.
	if r := ta.do(request{method: "GET", path: "/api/v1/settings/pricing", host: host, token: agent}); r.status != 403 {
		t.Fatalf("agent reads pricing: %d", r.status)
	}
	r = ta.do(request{method: "GET", path: "/api/v1/settings/pricing", host: host, token: owner})
	if r.status != 200 || !strings.Contains(r.body, `"vat_rate_bp":1500`) || !strings.Contains(r.body, `"prices_include_vat":true`) ||
		!strings.Contains(r.body, `"currency":"SAR"`) {
		t.Fatalf("default pricing: %d %s", r.status, r.body)
	}
	settings := `{"vat_rate_bp":1500,"prices_include_vat":true,"default_fee":3500,"free_shipping_threshold":50000,"zones":[
		{"name_ar":"الرياض","name_en":"Riyadh","fee":2500},
		{"name_ar":"جدة","name_en":"Jeddah","aliases":["Jiddah"],"fee":3000}]}`
	if r := ta.do(request{method: "PUT", path: "/api/v1/settings/pricing", host: host, token: agent, body: settings}); r.status != 403 {
		t.Fatalf("agent writes pricing: %d", r.status)
	}
	bad := `{"vat_rate_bp":20000,"prices_include_vat":true,"zones":[{"name_ar":"الرياض","fee":100},{"name_en":"riyadh","fee":200},{"fee":-1}]}`
	p = wantProblem(t, ta.do(request{method: "PUT", path: "/api/v1/settings/pricing", host: host, token: owner, body: bad}), 422, "vat_rate_bp")
	if len(p.Errors) < 2 {
		t.Fatalf("every broken rule should be named: %+v", p)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/settings/pricing", host: host, token: owner}); !strings.Contains(r.body, `"zones":[]`) {
		t.Fatalf("a refused PUT wrote something: %s", r.body)
	}
	if r := ta.do(request{method: "PUT", path: "/api/v1/settings/pricing", host: host, token: owner, body: settings}); r.status != 200 {
		t.Fatalf("put pricing: %d %s", r.status, r.body)
	}

	// Shipping: any spelling of a zone's city, the default fee elsewhere,
	// free from the threshold. Goods: 2 × 80.00 = 160.00.
	ship := func(city string) map[string]any {
		r := ta.do(request{method: "GET", path: path + "/shipping?city=" + urlQuery(city), host: host})
		if r.status != 200 {
			t.Fatalf("shipping to %q: %d %s", city, r.status, r.body)
		}
		return r.json
	}
	for _, city := range []string{"الرياض", "الریاض", "Riyadh", "riyadh", " RIYADH ", "رياض"} {
		q := ship(city)
		zone, _ := q["zone"].(map[string]any)
		if q["fee"] != 2500.0 || zone == nil || zone["name_en"] != "Riyadh" || q["free_shipping_remaining"] != 34000.0 {
			t.Fatalf("%q: %v", city, q)
		}
	}
	if q := ship("jiddah"); q["fee"] != 3000.0 {
		t.Fatalf("alias: %v", q)
	}
	if q := ship("Dammam"); q["fee"] != 3500.0 || q["zone"] != nil {
		t.Fatalf("default fee: %v", q)
	}
	wantProblem(t, ta.do(request{method: "GET", path: path + "/shipping", host: host}), 422, "city")
	add(`{"sku":"PRF-002","quantity":5}`) // 7 × 80.00 = 560.00
	if q := ship("Dammam"); q["fee"] != 0.0 || q["free"] != true || q["free_shipping_remaining"] != 0.0 {
		t.Fatalf("free shipping: %v", q)
	}

	// Prices without VAT: VAT is added. round(56000 × 1500 / 10000) = 8400.
	exclusive := strings.Replace(settings, `"prices_include_vat":true`, `"prices_include_vat":false`, 1)
	if r := ta.do(request{method: "PUT", path: "/api/v1/settings/pricing", host: host, token: owner, body: exclusive}); r.status != 200 {
		t.Fatalf("put pricing: %d %s", r.status, r.body)
	}
	if c = decodeCart(t, ta.do(request{method: "GET", path: path, host: host})); c.Totals.VAT != 8400 || c.Totals.Total != 64400 {
		t.Fatalf("VAT added: %+v", c.Totals)
	}

	// The staff list: carts:read for every staff role, abandoned by default.
	if r := ta.do(request{method: "GET", path: "/api/v1/carts?status=active", host: host, token: agent}); r.status != 200 || !strings.Contains(r.body, c.ID) {
		t.Fatalf("staff list: %d %s", r.status, r.body)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/carts", host: host, token: agent}); r.status != 200 || strings.Contains(r.body, c.ID) {
		t.Fatalf("abandoned list: %d %s", r.status, r.body)
	}
	wantProblem(t, ta.do(request{method: "GET", path: "/api/v1/carts?status=lost", host: host, token: agent}), 422, "status")
	if r := ta.do(request{method: "GET", path: "/api/v1/carts", host: host}); r.status != 401 {
		t.Fatalf("list without a token: %d", r.status)
	}
}

// urlQuery escapes a query value.
func urlQuery(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// TestCartIdempotencyKeys: a retried request with its Idempotency-Key gets
// the first answer (same status, same body) and changes nothing; the key
// with another body is refused; keys are the cart's own, so another cart
// (or another shopper) may use the same short key.
func TestCartIdempotencyKeys(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, cartLimits).withT(t)
	host, ctx := cartShop(t, ta, "cartidem")
	setStock(t, ta, ctx, "PRF-002", intPtr(2))

	create := func(key string) response {
		return ta.do(request{method: "POST", path: "/api/v1/carts", host: host, headers: map[string]string{"Idempotency-Key": key}})
	}
	first := create("new-cart-1")
	again := create("new-cart-1")
	if first.status != 201 || again.status != 201 || again.body != first.body || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("create replay: %d %s / %d %s", first.status, first.body, again.status, again.body)
	}
	id := decodeCart(t, first).ID
	other := decodeCart(t, create("new-cart-2")).ID
	if other == id {
		t.Fatal("a new key made no new cart")
	}

	add := func(cart, key, body string) response {
		return ta.do(request{method: "POST", path: "/api/v1/carts/" + cart + "/items", host: host, body: body,
			headers: map[string]string{"Idempotency-Key": key}})
	}
	a1 := add(id, "1", `{"sku":"PRF-002","quantity":1}`)
	a2 := add(id, "1", `{"sku":"PRF-002","quantity":1}`)
	if a1.status != 200 || a2.status != 200 || a2.body != a1.body || a2.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("add replay: %d %s / %d %s", a1.status, a1.body, a2.status, a2.body)
	}
	// The same key with another body: 422, nothing added.
	wantProblem(t, add(id, "1", `{"sku":"PRF-002","quantity":2}`), 422, "")
	// A refusal is the answer to its key too: replayed as the same 409
	// even after stock arrives; a new key runs again.
	if r := add(id, "2", `{"sku":"PRF-002","quantity":2}`); r.status != 409 {
		t.Fatalf("over stock: %d %s", r.status, r.body)
	}
	setStock(t, ta, ctx, "PRF-002", intPtr(10))
	if r := add(id, "2", `{"sku":"PRF-002","quantity":2}`); r.status != 409 || r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replayed refusal: %d %s", r.status, r.body)
	}
	if r := add(id, "3", `{"sku":"PRF-002","quantity":2}`); r.status != 200 || decodeCart(t, r).quantityOf("PRF-002") != 3 {
		t.Fatalf("a new key: %d %s", r.status, r.body)
	}
	// Key "1" on another cart is that cart's own key.
	if r := add(other, "1", `{"sku":"PRF-002","quantity":1}`); r.status != 200 || r.header.Get("Idempotent-Replayed") != "" ||
		decodeCart(t, r).ID != other {
		t.Fatalf("the same key on another cart: %d %s", r.status, r.body)
	}
	// PATCH and DELETE replay too.
	patch := func() response {
		return ta.do(request{method: "PATCH", path: "/api/v1/carts/" + id + "/items/PRF-002", host: host, body: `{"quantity":1}`,
			headers: map[string]string{"Idempotency-Key": "set-1"}})
	}
	if p1, p2 := patch(), patch(); p1.status != 200 || p2.body != p1.body || p2.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("patch replay: %s / %s", p1.body, p2.body)
	}
	wantProblem(t, add(id, strings.Repeat("k", 256), `{"sku":"PRF-002","quantity":1}`), 422, "Idempotency-Key")
	if c := decodeCart(t, ta.do(request{method: "GET", path: "/api/v1/carts/" + id, host: host})); c.quantityOf("PRF-002") != 1 {
		t.Fatalf("after the replays: %+v", c.Items)
	}
}

// TestCartConcurrentAddsOverHTTP: 50 parallel adds of one SKU to one cart
// give exactly 50; adds of two SKUs racing each other both land whole; and
// with 30 in stock, 50 racing adds sell exactly 30 (the rest are 409).
func TestCartConcurrentAddsOverHTTP(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, map[string]string{"DB_MAX_CONNS": "20", "RATE_LIMIT_IP": "100000", "RATE_LIMIT_TENANT": "100000"}).withT(t)
	host, ctx := cartShop(t, ta, "cartrace")
	setStock(t, ta, ctx, "PRF-002", nil)
	setStock(t, ta, ctx, "ABY-001-BLK-M", nil)
	setStock(t, ta, ctx, "PRF-001-50ML", intPtr(30))

	newCart := func() string {
		return decodeCart(t, ta.do(request{method: "POST", path: "/api/v1/carts", host: host})).ID
	}
	race := func(id string, skus ...string) map[int]int {
		statuses := map[int]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := ta.do(request{method: "POST", path: "/api/v1/carts/" + id + "/items", host: host,
					body: fmt.Sprintf(`{"sku":%q,"quantity":1}`, skus[i%len(skus)])})
				mu.Lock()
				statuses[r.status]++
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		return statuses
	}

	one := newCart()
	if st := race(one, "PRF-002"); st[200] != 50 {
		t.Fatalf("50 adds: %v", st)
	}
	if c := decodeCart(t, ta.do(request{method: "GET", path: "/api/v1/carts/" + one, host: host})); c.quantityOf("PRF-002") != 50 || len(c.Items) != 1 {
		t.Fatalf("after 50 parallel adds: %+v", c.Items)
	}

	two := newCart()
	if st := race(two, "PRF-002", "ABY-001-BLK-M"); st[200] != 50 {
		t.Fatalf("two SKUs: %v", st)
	}
	if c := decodeCart(t, ta.do(request{method: "GET", path: "/api/v1/carts/" + two, host: host})); c.quantityOf("PRF-002") != 25 || c.quantityOf("ABY-001-BLK-M") != 25 {
		t.Fatalf("two SKUs racing: %+v", c.Items)
	}

	limited := newCart()
	if st := race(limited, "PRF-001-50ML"); st[200] != 30 || st[409] != 20 {
		t.Fatalf("30 in stock: %v", st)
	}
	if c := decodeCart(t, ta.do(request{method: "GET", path: "/api/v1/carts/" + limited, host: host})); c.quantityOf("PRF-001-50ML") != 30 {
		t.Fatalf("30 in stock: %+v", c.Items)
	}
}

// TestCartWhatsAppAndAPIOnOneCart: the customer adds in WhatsApp while the
// API (the storefront with the same cart) adds at the same time: every add
// lands, and each side sees the other's.
func TestCartWhatsAppAndAPIOnOneCart(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeDev, nil)
	n := waTenant(t, ta, "cartmix")
	seedCatalog(t, n)
	ctx := tenants.WithTenant(context.Background(), n.tenant)
	setStock(t, ta, ctx, "PRF-002", nil)
	p, err := ta.app.catalog.ProductBySKU(ctx, "PRF-002")
	if err != nil {
		t.Fatal(err)
	}
	pid, vid := p.ID.String(), p.Variants[0].ID.String()

	phone := waPhone()
	conv := n.chatWith(t, phone, "en", "Sara")
	next := conv.next
	// The customer's cart, as the API knows it.
	var customerID uuid.UUID
	err = ta.app.deps.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT id FROM customers WHERE wa_id = ?`, phone).Scan(&customerID)
	})
	if err != nil {
		t.Fatal(err)
	}
	cart, err := ta.app.cart.CustomerCart(ctx, customerID)
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/carts/" + cart.ID + "/items"

	for round := 1; round <= 3; round++ {
		list := next(sandbox.CustomerMessage{ButtonReply: &sandbox.ReplyChoice{ID: "cart:add:" + pid + ":" + vid, Title: "Add to cart"}}, 1)
		if !strings.Contains(string(list[0].Raw), "cart:q:") {
			t.Fatalf("quantity list: %s", list[0].Raw)
		}
		// The customer taps 2 while the API adds 1 five times.
		var wg sync.WaitGroup
		apiStatus := make(chan int, 5)
		for i := 0; i < 5; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				apiStatus <- ta.do(request{method: "POST", path: path, host: n.host, body: `{"sku":"PRF-002","quantity":1}`}).status
			}()
		}
		added := next(sandbox.CustomerMessage{ListReply: &sandbox.ReplyChoice{
			ID: fmt.Sprintf("cart:q:%s:%s:2:%d", pid, vid, round), Title: "2"}}, 1)
		wg.Wait()
		close(apiStatus)
		for st := range apiStatus {
			if st != 200 {
				t.Fatalf("API add: %d", st)
			}
		}
		if !strings.Contains(added[0].Text(), "Added 2") {
			t.Fatalf("round %d: %s", round, added[0].Raw)
		}
	}
	r := ta.do(request{method: "GET", path: "/api/v1/carts/" + cart.ID, host: n.host})
	if c := decodeCart(t, r); c.quantityOf("PRF-002") != 3*(2+5) {
		t.Fatalf("after WhatsApp and API adds: %+v", c.Items)
	}
	view := next(sandbox.CustomerMessage{Text: "cart"}, 1)
	if !strings.Contains(view[0].Text(), "21 × SAR") {
		t.Fatalf("WhatsApp does not show the API's adds: %s", view[0].Text())
	}
}

// TestCartAcrossTenants: a cart of tenant A is not found on tenant B's
// host by any route, B's staff do not list it, and B's identical SKUs are
// never added to it.
func TestCartAcrossTenants(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, cartLimits).withT(t)
	hostA, _ := cartShop(t, ta, "carta")
	hostB, _ := cartShop(t, ta, "cartb")
	ownerB := ta.user("owner@cartb.test", false, "cartb", "owner")
	ownerA := ta.user("owner@carta.test", false, "carta", "owner")

	id := decodeCart(t, ta.do(request{method: "POST", path: "/api/v1/carts", host: hostA})).ID
	if r := ta.do(request{method: "POST", path: "/api/v1/carts/" + id + "/items", host: hostA, body: `{"sku":"PRF-002","quantity":1}`}); r.status != 200 {
		t.Fatalf("add on A: %d %s", r.status, r.body)
	}
	for _, rq := range []request{
		{method: "GET", path: "/api/v1/carts/" + id},
		{method: "POST", path: "/api/v1/carts/" + id + "/items", body: `{"sku":"PRF-002","quantity":1}`},
		{method: "PATCH", path: "/api/v1/carts/" + id + "/items/PRF-002", body: `{"quantity":5}`},
		{method: "DELETE", path: "/api/v1/carts/" + id + "/items/PRF-002"},
		{method: "DELETE", path: "/api/v1/carts/" + id + "/items"},
		{method: "GET", path: "/api/v1/carts/" + id + "/shipping?city=Riyadh"},
	} {
		rq.host = hostB
		r := ta.do(rq)
		wantProblem(t, r, 404, "")
		if strings.Contains(r.body, "PRF-002") && !strings.Contains(rq.path, "PRF-002") || strings.Contains(r.body, `"items"`) {
			t.Fatalf("%s %s on B shows A's cart: %s", rq.method, rq.path, r.body)
		}
	}
	r := ta.do(request{method: "GET", path: "/api/v1/carts/" + id, host: hostA})
	if c := decodeCart(t, r); c.quantityOf("PRF-002") != 1 {
		t.Fatalf("B's requests changed A's cart: %+v", c.Items)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/carts?status=active", host: hostB, token: ownerB}); r.status != 200 || strings.Contains(r.body, id) {
		t.Fatalf("B's staff list shows A's cart: %d %s", r.status, r.body)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/carts?status=active", host: hostA, token: ownerA}); r.status != 200 || !strings.Contains(r.body, id) {
		t.Fatalf("A's staff list misses A's cart: %d %s", r.status, r.body)
	}
	// B's owner on A's host, and B's pricing not A's.
	if r := ta.do(request{method: "GET", path: "/api/v1/carts?status=active", host: hostA, token: ownerB}); r.status != 401 && r.status != 403 {
		t.Fatalf("B's owner on A's host: %d", r.status)
	}
	if r := ta.do(request{method: "PUT", path: "/api/v1/settings/pricing", host: hostB, token: ownerB,
		body: `{"vat_rate_bp":500,"prices_include_vat":false,"zones":[]}`}); r.status != 200 {
		t.Fatalf("B's pricing: %d %s", r.status, r.body)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/settings/pricing", host: hostA, token: ownerA}); !strings.Contains(r.body, `"vat_rate_bp":1500`) {
		t.Fatalf("B's pricing reached A: %s", r.body)
	}
}
