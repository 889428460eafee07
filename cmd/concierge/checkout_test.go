package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"concierge/internal/testenv"
)

// Checkout through the whole product: the public checkout API on a
// tenant's host, the staff order and payment routes with their roles,
// cash on delivery from init to cash collected, Stripe against stripe-mock
// with signed webhooks, the last-unit race, and tenants kept apart.

// apiCheckout is the part of a checkout answer the tests read.
type apiCheckout struct {
	Order struct {
		ID            string `json:"id"`
		Number        string `json:"number"`
		Status        string `json:"status"`
		CartID        string `json:"cart_id"`
		PaymentMethod string `json:"payment_method"`
		Totals        struct {
			Subtotal, Shipping, VAT, Total int64
			Currency                       string
		} `json:"totals"`
		Items []struct {
			SKU      string `json:"sku"`
			Quantity int    `json:"quantity"`
		} `json:"items"`
		Timeline []struct {
			Kind string `json:"kind"`
		} `json:"timeline"`
		Payments []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"payments"`
	} `json:"order"`
	Payment struct {
		ID          string `json:"id"`
		Provider    string `json:"provider"`
		Status      string `json:"status"`
		Amount      int64  `json:"amount"`
		RedirectURL string `json:"redirect_url"`
	} `json:"payment"`
}

func decodeCheckout(t *testing.T, r response) apiCheckout {
	t.Helper()
	var c apiCheckout
	if err := json.Unmarshal(r.raw, &c); err != nil || c.Order.ID == "" {
		t.Fatalf("not a checkout answer (%d): %s", r.status, r.body)
	}
	return c
}

// checkoutShop is a tenant with the demo catalog, delivery to Riyadh and
// Jeddah only (no default fee), and an owner's token.
func checkoutShop(t *testing.T, ta *testApp, slug string) (host, owner string, ctx context.Context) {
	t.Helper()
	host, ctx = cartShop(t, ta, slug)
	owner = ta.user("owner@"+slug+".test", false, slug, "owner")
	r := ta.do(request{method: "PUT", path: "/api/v1/settings/pricing", host: host, token: owner, body: `{"vat_rate_bp":1500,"prices_include_vat":true,
		"zones":[{"name_ar":"الرياض","name_en":"Riyadh","fee":2500},{"name_ar":"جدة","name_en":"Jeddah","fee":3000}],"free_shipping_threshold":0}`})
	if r.status != 200 {
		t.Fatalf("pricing: %d %s", r.status, r.body)
	}
	return host, owner, ctx
}

// newCart makes a web cart holding quantity of sku.
func newCart(t *testing.T, ta *testApp, host, sku string, quantity int) string {
	t.Helper()
	r := ta.do(request{method: "POST", path: "/api/v1/carts", host: host})
	id := decodeCart(t, r).ID
	if r := ta.do(request{method: "POST", path: "/api/v1/carts/" + id + "/items", host: host,
		body: fmt.Sprintf(`{"sku":%q,"quantity":%d}`, sku, quantity)}); r.status != 200 {
		t.Fatalf("add %s: %d %s", sku, r.status, r.body)
	}
	return id
}

func checkoutBody(cartID, method, city string) string {
	return fmt.Sprintf(`{"cart_id":%q,"customer":{"name":"Sara Ali","phone":"0551234567"},
		"address":{"building_number":"2929","street":"King Fahd Rd","district":"Al Olaya","city":%q,"postal_code":"12345"},
		"payment_method":%q}`, cartID, city, method)
}

func stockOf(t *testing.T, ta *testApp, ctx context.Context, sku string) *int {
	t.Helper()
	var n *int
	err := ta.app.deps.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT stock FROM variants WHERE sku = ?`, sku).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCheckoutCashOnDelivery walks cash on delivery through the API: the
// payment settings (owner only, no secret returned), every refusal of bad
// input with nothing written, init (stock reserved, the same order on a
// retry, a changed cart re-priced), confirm, cash collected by staff, the
// staff reads, and a refusal at the door turning COD off for the phone.
func TestCheckoutCashOnDelivery(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, cartLimits).withT(t)
	host, owner, ctx := checkoutShop(t, ta, "codshop")
	manager := ta.user("manager@codshop.test", false, "codshop", "manager")
	agent := ta.user("agent@codshop.test", false, "codshop", "agent")
	setPrice(t, ta, ctx, "ABY-001-BLK-M", 12500)
	setStock(t, ta, ctx, "ABY-001-BLK-M", intPtr(5))

	// Settings: owners only; the shape of the issue; a secret never comes back.
	settings := "/api/v1/settings/payments"
	for _, tok := range []string{manager, agent} {
		if r := ta.do(request{method: "GET", path: settings, host: host, token: tok}); r.status != 403 {
			t.Fatalf("non-owner reads payment settings: %d %s", r.status, r.body)
		}
	}
	r := ta.do(request{method: "PUT", path: settings, host: host, token: owner, body: `{"cod":{"enabled":true,"max_order_total":150000,"confirm_within":"24h","max_refusals":1},
		"stripe":{"enabled":false,"secret_key":"sk_test_abc123","webhook_secret":"whsec_abc123"}}`})
	if r.status != 200 || strings.Contains(r.body, "sk_test_abc123") || strings.Contains(r.body, "whsec_abc123") {
		t.Fatalf("put settings: %d %s", r.status, r.body)
	}
	r = ta.do(request{method: "GET", path: settings, host: host, token: owner})
	for _, want := range []string{`"max_order_total":150000`, `"confirm_within":"24h"`, `"max_refusals":1`, `"secret_key":{"set":true}`, `"webhook_secret":{"set":true}`} {
		if !strings.Contains(r.body, want) {
			t.Fatalf("settings lack %s: %s", want, r.body)
		}
	}
	if strings.Contains(r.body, "sk_test") || strings.Contains(r.body, "whsec_") {
		t.Fatalf("a secret came back: %s", r.body)
	}
	// A PUT without the secret keeps it; bad values are refused per field.
	if r := ta.do(request{method: "PUT", path: settings, host: host, token: owner, body: `{"stripe":{"enabled":false}}`}); !strings.Contains(r.body, `"secret_key":{"set":true}`) {
		t.Fatalf("the secret was not kept: %s", r.body)
	}
	p := wantProblem(t, ta.do(request{method: "PUT", path: settings, host: host, token: owner,
		body: `{"cod":{"confirm_within":"1s","max_order_total":-5},"stripe":{"secret_key":"pk_live_x"},"paypal":{}}`}), 422, "cod.confirm_within")
	for _, f := range []string{"cod.max_order_total", "stripe.secret_key", "paypal"} {
		if p.fieldMessages(f) == "" {
			t.Fatalf("no error for %s: %+v", f, p)
		}
	}

	cartID := newCart(t, ta, host, "ABY-001-BLK-M", 2)
	init := func(body string, headers ...string) response {
		req := request{method: "POST", path: "/api/v1/checkout/init", host: host, body: body}
		if len(headers) == 2 {
			req.headers = map[string]string{headers[0]: headers[1]}
		}
		return ta.do(req)
	}
	// Bad input: each refused clearly, nothing written, the stock untouched.
	missing := `{"cart_id":"` + cartID + `","customer":{"name":"Sara","phone":"123"},"address":{"building_number":"29","city":"Riyadh","postal_code":"1234","short_address":"rr12"},"payment_method":"cod"}`
	p = wantProblem(t, init(missing), 422, "address.street")
	for _, f := range []string{"address.district", "address.building_number", "address.postal_code", "address.short_address", "customer.phone"} {
		if p.fieldMessages(f) == "" {
			t.Fatalf("no error for %s: %s", f, missing)
		}
	}
	if p := wantProblem(t, init(checkoutBody(cartID, "cod", "Dammam")), 422, "address.city"); !strings.Contains(p.fieldMessages("address.city"), "Riyadh") {
		t.Fatalf("the city refusal does not say where the store ships: %+v", p)
	}
	wantProblem(t, init(checkoutBody(cartID, "bitcoin", "Riyadh")), 422, "payment_method")
	wantProblem(t, init(checkoutBody(cartID, "stripe", "Riyadh")), 422, "payment_method") // off
	empty := decodeCart(t, ta.do(request{method: "POST", path: "/api/v1/carts", host: host})).ID
	wantProblem(t, init(checkoutBody(empty, "cod", "Riyadh")), 422, "cart_id")
	wantProblem(t, init(checkoutBody(strings.Repeat("a", 32), "cod", "Riyadh")), 404, "")
	if n := stockOf(t, ta, ctx, "ABY-001-BLK-M"); n == nil || *n != 5 {
		t.Fatalf("stock after refused checkouts: %v", n)
	}

	// Init: 201, order 1001, COD authorised (waiting for the customer's
	// confirmation), stock taken; Arabic-Indic digits in the address.
	body := strings.Replace(checkoutBody(cartID, "cod", "الرياض"), `"2929"`, `"٢٩٢٩"`, 1)
	r = init(body)
	if r.status != 201 {
		t.Fatalf("init: %d %s", r.status, r.body)
	}
	co := decodeCheckout(t, r)
	if co.Order.Number != "1001" || co.Order.Status != "pending_payment" || co.Payment.Provider != "cod" || co.Payment.Status != "authorized" ||
		co.Order.Totals.Total != 25000+2500 || co.Order.Totals.Shipping != 2500 || co.Payment.Amount != co.Order.Totals.Total {
		t.Fatalf("init: %s", r.body)
	}
	if !strings.Contains(r.body, `"building_number":"2929"`) || !strings.Contains(r.body, `"phone":"+966551234567"`) {
		t.Fatalf("address or phone not normalised: %s", r.body)
	}
	if n := stockOf(t, ta, ctx, "ABY-001-BLK-M"); n == nil || *n != 3 {
		t.Fatalf("stock after init: %v", n)
	}
	// The same checkout again: the same order and payment, 200.
	r = init(body)
	if again := decodeCheckout(t, r); r.status != 200 || again.Order.ID != co.Order.ID || again.Payment.ID != co.Payment.ID {
		t.Fatalf("repeated init: %d %s", r.status, r.body)
	}
	// The cart changes: the draft is re-priced (same order, new payment,
	// stock moved by the difference).
	if r := ta.do(request{method: "PATCH", path: "/api/v1/carts/" + cartID + "/items/ABY-001-BLK-M", host: host, body: `{"quantity":3}`}); r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	r = init(body)
	re := decodeCheckout(t, r)
	if r.status != 200 || re.Order.ID != co.Order.ID || re.Order.Number != "1001" || re.Payment.ID == co.Payment.ID || re.Order.Totals.Total != 37500+2500 {
		t.Fatalf("re-priced init: %d %s", r.status, r.body)
	}
	if n := stockOf(t, ta, ctx, "ABY-001-BLK-M"); n == nil || *n != 2 {
		t.Fatalf("stock after re-pricing: %v", n)
	}
	// An Idempotency-Key replays the first answer.
	k1 := init(body, "Idempotency-Key", "chk-1")
	k2 := init(body, "Idempotency-Key", "chk-1")
	if k1.body != k2.body || k2.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("idempotent replay: %s / %s", k1.body, k2.body)
	}

	// Cash can't be collected before the customer confirms.
	collected := "/api/v1/orders/" + co.Order.ID + "/cod-collected"
	wantProblem(t, ta.do(request{method: "POST", path: collected, host: host, token: owner}), 409, "")
	// Confirm: the order is released for fulfilment, the cart checked out.
	confirm := func() response {
		return ta.do(request{method: "POST", path: "/api/v1/checkout/confirm", host: host, body: `{"order_id":"` + co.Order.ID + `"}`})
	}
	r = confirm()
	if c := decodeCheckout(t, r); r.status != 200 || c.Order.Status != "confirmed" {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	if r := confirm(); r.status != 200 || decodeCheckout(t, r).Order.Status != "confirmed" {
		t.Fatalf("confirm again: %d %s", r.status, r.body)
	}
	if c := decodeCart(t, ta.do(request{method: "GET", path: "/api/v1/carts/" + cartID, host: host})); c.Status != "converted" {
		t.Fatalf("cart after confirm: %+v", c)
	}
	// After confirmation the same cart answers with the same order.
	if r := init(body); r.status != 200 || decodeCheckout(t, r).Order.Status != "confirmed" {
		t.Fatalf("init after confirm: %d %s", r.status, r.body)
	}

	// Cash collected: agents may not, managers may; twice is once.
	if r := ta.do(request{method: "POST", path: collected, host: host, token: agent}); r.status != 403 {
		t.Fatalf("agent collects: %d", r.status)
	}
	for i := 0; i < 2; i++ {
		r = ta.do(request{method: "POST", path: collected, host: host, token: manager})
		if c := decodeCheckout(t, r); r.status != 200 || c.Payment.Status != "captured" {
			t.Fatalf("collected: %d %s", r.status, r.body)
		}
	}
	// Staff read the order with its timeline and payments.
	r = ta.do(request{method: "GET", path: "/api/v1/orders/" + co.Order.ID, host: host, token: agent})
	var detail struct {
		Timeline []struct{ Kind string }   `json:"timeline"`
		Payments []struct{ Status string } `json:"payments"`
	}
	_ = json.Unmarshal(r.raw, &detail)
	var kinds []string
	for _, e := range detail.Timeline {
		kinds = append(kinds, e.Kind)
	}
	if r.status != 200 || strings.Join(kinds, ",") != "created,repriced,cod_confirmed,payment_captured,cod_collected" ||
		len(detail.Payments) != 2 || detail.Payments[0].Status != "cancelled" || detail.Payments[1].Status != "captured" {
		t.Fatalf("order detail: %d %v %s", r.status, kinds, r.body)
	}
	r = ta.do(request{method: "GET", path: "/api/v1/orders?phone=%2B966551234567&status=confirmed", host: host, token: agent})
	if r.status != 200 || !strings.Contains(r.body, co.Order.ID) {
		t.Fatalf("orders by phone: %d %s", r.status, r.body)
	}
	wantProblem(t, ta.do(request{method: "GET", path: "/api/v1/orders?phone=abc&status=lost", host: host, token: agent}), 422, "phone")

	// A second COD order, confirmed, then refused at the door: cancelled,
	// stock back, and (max_refusals 1) COD is off for that phone.
	cart2 := newCart(t, ta, host, "ABY-001-BLK-M", 1)
	co2 := decodeCheckout(t, init(checkoutBody(cart2, "cod", "Riyadh")))
	if r := ta.do(request{method: "POST", path: "/api/v1/checkout/confirm", host: host, body: `{"order_id":"` + co2.Order.ID + `"}`}); r.status != 200 {
		t.Fatalf("confirm 2: %d %s", r.status, r.body)
	}
	if co2.Order.Number != "1002" {
		t.Fatalf("second order number: %s", co2.Order.Number)
	}
	before := *stockOf(t, ta, ctx, "ABY-001-BLK-M")
	r = ta.do(request{method: "POST", path: "/api/v1/orders/" + co2.Order.ID + "/cod-refused", host: host, token: manager, body: `{"note":"not home"}`})
	if r.status != 200 || !strings.Contains(r.body, `"status":"cancelled"`) {
		t.Fatalf("refused: %d %s", r.status, r.body)
	}
	if n := stockOf(t, ta, ctx, "ABY-001-BLK-M"); *n != before+1 {
		t.Fatalf("stock after refusal: %d, want %d", *n, before+1)
	}
	cart3 := newCart(t, ta, host, "ABY-001-BLK-M", 1)
	if p := wantProblem(t, init(checkoutBody(cart3, "cod", "Riyadh")), 422, "payment_method"); !strings.Contains(p.fieldMessages("payment_method"), "refused") {
		t.Fatalf("COD not turned off after refusals: %+v", p)
	}
	// The order value cap (150000) is per order.
	other := strings.Replace(checkoutBody(cart3, "cod", "Riyadh"), "0551234567", "0559876543", 1)
	if r := ta.do(request{method: "PATCH", path: "/api/v1/carts/" + cart3 + "/items/ABY-001-BLK-M", host: host, body: `{"quantity":2}`}); r.status != 200 {
		t.Fatal(r.body)
	}
	setPrice(t, ta, ctx, "ABY-001-BLK-M", 90000)
	wantProblem(t, init(other), 422, "payment_method")

	// Five simultaneous submits of one checkout (a double tap, a retry
	// racing the first): one order, one payment, one 201.
	cart5 := newCart(t, ta, host, "PRF-002", 1)
	body5 := strings.Replace(checkoutBody(cart5, "cod", "Riyadh"), "0551234567", "0557654321", 1)
	var wg sync.WaitGroup
	answers := make([]response, 5)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = init(body5)
		}()
	}
	wg.Wait()
	created, first := 0, decodeCheckout(t, answers[0])
	for _, a := range answers {
		c := decodeCheckout(t, a)
		if a.status == 201 {
			created++
		}
		if a.status != 200 && a.status != 201 || c.Order.ID != first.Order.ID || c.Payment.ID != first.Payment.ID {
			t.Fatalf("simultaneous submits: %d %s", a.status, a.body)
		}
	}
	if created != 1 {
		t.Fatalf("%d of 5 simultaneous submits created an order", created)
	}
}

// TestCheckoutLastUnitRace: twenty shoppers check out the same variant at
// once with three in stock: exactly three orders, seventeen 409 "sold out"
// in the shopper's language, and no stock below zero.
func TestCheckoutLastUnitRace(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, cartLimits).withT(t)
	host, owner, ctx := checkoutShop(t, ta, "raceshop")
	if r := ta.do(request{method: "PUT", path: "/api/v1/settings/payments", host: host, token: owner, body: `{"cod":{"enabled":true}}`}); r.status != 200 {
		t.Fatal(r.body)
	}
	setStock(t, ta, ctx, "PRF-002", intPtr(20))
	carts := make([]string, 20)
	for i := range carts {
		carts[i] = newCart(t, ta, host, "PRF-002", 1)
	}
	setStock(t, ta, ctx, "PRF-002", intPtr(3))
	var wg sync.WaitGroup
	statuses := make([]response, len(carts))
	for i, id := range carts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lang := "en"
			if i%2 == 0 {
				lang = "ar"
			}
			statuses[i] = ta.do(request{method: "POST", path: "/api/v1/checkout/init", host: host, body: checkoutBody(id, "cod", "Jeddah"),
				headers: map[string]string{"Accept-Language": lang}})
		}()
	}
	wg.Wait()
	created, soldOut := 0, 0
	for i, r := range statuses {
		switch r.status {
		case 201:
			created++
		case 409:
			soldOut++
			want := "Sold out"
			if i%2 == 0 {
				want = "نفدت"
			}
			if !strings.Contains(r.body, want) {
				t.Fatalf("sold-out answer not in the shopper's language: %s", r.body)
			}
		default:
			t.Fatalf("checkout %d: %d %s", i, r.status, r.body)
		}
	}
	if created != 3 || soldOut != 17 {
		t.Fatalf("created %d, sold out %d; want 3 and 17", created, soldOut)
	}
	if n := stockOf(t, ta, ctx, "PRF-002"); n == nil || *n != 0 {
		t.Fatalf("stock after the race: %v", n)
	}
	var orders int
	err := ta.app.deps.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&orders)
	})
	if err != nil || orders != 3 {
		t.Fatalf("orders stored: %d %v", orders, err)
	}
}

// stripeEvent is a Stripe event as Stripe posts it.
func stripeEvent(id, typ string, object map[string]any) string {
	b, _ := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "api_version": "2023-10-16",
		"created": time.Now().Unix(), "livemode": false, "data": map[string]any{"object": object}})
	return string(b)
}

// stripeSign signs body exactly as Stripe does: t=<unix>,v1=hex(HMAC-SHA256(secret, t + "." + body)).
func stripeSign(secret, body string, at time.Time) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + body))
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

func sessionObject(paymentID, orderID string, amount int64, status string) map[string]any {
	return map[string]any{"id": "cs_test_" + paymentID[len(paymentID)-8:], "object": "checkout.session", "amount_total": amount, "currency": "sar",
		"payment_status": status, "payment_intent": "pi_" + paymentID[len(paymentID)-8:], "client_reference_id": orderID,
		"metadata": map[string]string{"payment_id": paymentID, "order_id": orderID}}
}

// TestCheckoutStripe: card payments through Stripe Checkout (the real
// stripe-go client against stripe-mock) and signed webhooks: one session
// however often Pay is tapped, the order confirmed once by
// checkout.session.completed, replays and out-of-order events changing
// nothing twice, a mismatched amount and bad or foreign signatures
// refused, a failed payment leaving the order payable, refunds through
// the API.
func TestCheckoutStripe(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, map[string]string{"RATE_LIMIT_IP": "100000", "RATE_LIMIT_TENANT": "100000",
		"STRIPE_API_BASE": testenv.StripeMock(t)}).withT(t)
	host, owner, ctx := checkoutShop(t, ta, "cardshop")
	otherHost, otherOwner, _ := checkoutShop(t, ta, "othershop")
	const secret, otherSecret = "whsec_cardshopSecret1", "whsec_othershopSecret2"
	for _, s := range []struct{ host, token, secret string }{{host, owner, secret}, {otherHost, otherOwner, otherSecret}} {
		if r := ta.do(request{method: "PUT", path: "/api/v1/settings/payments", host: s.host, token: s.token,
			body: `{"stripe":{"enabled":true,"secret_key":"sk_test_123","webhook_secret":"` + s.secret + `"}}`}); r.status != 200 {
			t.Fatalf("settings: %d %s", r.status, r.body)
		}
	}
	setPrice(t, ta, ctx, "ABY-001-BLK-M", 12500)
	setStock(t, ta, ctx, "ABY-001-BLK-M", intPtr(4))
	cartID := newCart(t, ta, host, "ABY-001-BLK-M", 2)
	body := checkoutBody(cartID, "stripe", "Riyadh")

	// Pay, twice (a double tap): one order, one payment, one session.
	r := ta.do(request{method: "POST", path: "/api/v1/checkout/init", host: host, body: body})
	co := decodeCheckout(t, r)
	if r.status != 201 || co.Payment.Provider != "stripe" || co.Payment.Status != "requires_action" || !strings.HasPrefix(co.Payment.RedirectURL, "https://") ||
		co.Order.Status != "pending_payment" {
		t.Fatalf("init: %d %s", r.status, r.body)
	}
	r = ta.do(request{method: "POST", path: "/api/v1/checkout/init", host: host, body: body})
	if again := decodeCheckout(t, r); again.Payment.ID != co.Payment.ID || again.Payment.RedirectURL != co.Payment.RedirectURL {
		t.Fatalf("second tap: %s", r.body)
	}
	count := func(q string, args ...any) int {
		var n int
		err := ta.app.deps.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return tx.QueryRowContext(ctx, q, args...).Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM payments`); n != 1 {
		t.Fatalf("payments after two taps: %d", n)
	}

	hook := func(host, slug, secret, body string, signedAt time.Time) response {
		h := map[string]string{}
		if secret != "" {
			h["Stripe-Signature"] = stripeSign(secret, body, signedAt)
		}
		return ta.do(request{method: "POST", path: "/payments/stripe/webhook/" + slug, body: body, headers: h})
	}
	total := co.Order.Totals.Total
	completed := stripeEvent("evt_completed_1", "checkout.session.completed", sessionObject(co.Payment.ID, co.Order.ID, total, "paid"))
	// Not authentic: no signature, a wrong one, a stale one, another
	// tenant's secret, another tenant's URL — 400 and nothing changed.
	for name, res := range map[string]response{
		"unsigned":       hook(host, "cardshop", "", completed, time.Now()),
		"wrong secret":   hook(host, "cardshop", "whsec_wrong", completed, time.Now()),
		"stale":          hook(host, "cardshop", secret, completed, time.Now().Add(-time.Hour)),
		"other's secret": hook(host, "cardshop", otherSecret, completed, time.Now()),
		"other's URL":    hook(host, "othershop", secret, completed, time.Now()),
	} {
		if res.status != 400 {
			t.Fatalf("%s: %d %s", name, res.status, res.body)
		}
	}
	// Signed with the other tenant's secret at its own URL: authentic, but
	// the payment is not that tenant's — nothing applied.
	if r := hook(otherHost, "othershop", otherSecret, completed, time.Now()); r.status != 200 || !strings.Contains(r.body, `"unmatched":1`) {
		t.Fatalf("foreign payment: %d %s", r.status, r.body)
	}
	// A wrong amount is refused and logged, never applied.
	wrong := stripeEvent("evt_wrong_amount", "checkout.session.completed", sessionObject(co.Payment.ID, co.Order.ID, total-100, "paid"))
	if r := hook(host, "cardshop", secret, wrong, time.Now()); r.status != 200 || !strings.Contains(r.body, `"applied":0`) {
		t.Fatalf("wrong amount: %d %s", r.status, r.body)
	}
	if n := count(`SELECT count(*) FROM payments WHERE status = 'requires_action'`); n != 1 {
		t.Fatal("a mismatched amount changed the payment")
	}
	// The real one: captured, order confirmed, cart checked out; replayed,
	// nothing more.
	for i := 0; i < 3; i++ {
		if r := hook(host, "cardshop", secret, completed, time.Now()); r.status != 200 {
			t.Fatalf("completed %d: %d %s", i, r.status, r.body)
		}
	}
	if n := count(`SELECT count(*) FROM payment_events WHERE event_id = 'evt_completed_1'`); n != 1 {
		t.Fatalf("replays recorded: %d", n)
	}
	if n := count(`SELECT count(*) FROM order_events WHERE kind = 'payment_captured'`); n != 1 {
		t.Fatalf("captures on the timeline: %d", n)
	}
	r = ta.do(request{method: "GET", path: "/api/v1/orders/" + co.Order.ID, host: host, token: owner})
	if !strings.Contains(r.body, `"status":"confirmed"`) || !strings.Contains(r.body, `"status":"captured"`) {
		t.Fatalf("order after payment: %s", r.body)
	}
	if c := decodeCart(t, ta.do(request{method: "GET", path: "/api/v1/carts/" + cartID, host: host})); c.Status != "converted" {
		t.Fatalf("cart after payment: %s", c.Status)
	}
	if n := stockOf(t, ta, ctx, "ABY-001-BLK-M"); *n != 2 {
		t.Fatalf("stock after payment: %d", *n)
	}
	// Refunds through the API: partial, then the rest; a repeat with the
	// same Idempotency-Key refunds once; more than captured is refused.
	refund := func(body, key string) response {
		return ta.do(request{method: "POST", path: "/api/v1/orders/" + co.Order.ID + "/refunds", host: host, token: owner, body: body,
			headers: map[string]string{"Idempotency-Key": key}})
	}
	for i := 0; i < 2; i++ {
		if r := refund(`{"amount":5000}`, "refund-1"); r.status != 200 || !strings.Contains(r.body, `"refunded":5000`) {
			t.Fatalf("refund 1: %d %s", r.status, r.body)
		}
	}
	wantProblem(t, refund(fmt.Sprintf(`{"amount":%d}`, total), "refund-2"), 422, "amount")
	if r := refund(`{}`, "refund-3"); r.status != 200 || !strings.Contains(r.body, `"status":"refunded"`) {
		t.Fatalf("refund the rest: %d %s", r.status, r.body)
	}
	// Stripe's charge.refunded for the same totals afterwards: no change.
	refunded := stripeEvent("evt_refunded_1", "charge.refunded", map[string]any{"id": "ch_1", "object": "charge", "amount_refunded": total,
		"currency": "sar", "payment_intent": "pi_" + co.Payment.ID[len(co.Payment.ID)-8:]})
	if r := hook(host, "cardshop", secret, refunded, time.Now()); r.status != 200 || !strings.Contains(r.body, `"applied":0`) {
		t.Fatalf("refund echo: %d %s", r.status, r.body)
	}

	// A second order: a refund reported before the capture waits for it
	// (any order, same end); a failed payment leaves the order payable.
	cart2 := newCart(t, ta, host, "ABY-001-BLK-M", 1)
	co2 := decodeCheckout(t, ta.do(request{method: "POST", path: "/api/v1/checkout/init", host: host, body: checkoutBody(cart2, "stripe", "Jeddah")}))
	failed := stripeEvent("evt_failed_2", "checkout.session.async_payment_failed", sessionObject(co2.Payment.ID, co2.Order.ID, co2.Order.Totals.Total, "unpaid"))
	if r := hook(host, "cardshop", secret, failed, time.Now()); r.status != 200 || !strings.Contains(r.body, `"applied":1`) {
		t.Fatalf("failed: %d %s", r.status, r.body)
	}
	if n := stockOf(t, ta, ctx, "ABY-001-BLK-M"); *n != 2 {
		t.Fatalf("stock after a failed payment: %d (want it given back: 2)", *n)
	}
	r = ta.do(request{method: "POST", path: "/api/v1/checkout/init", host: host, body: checkoutBody(cart2, "stripe", "Jeddah")})
	co3 := decodeCheckout(t, r)
	if co3.Order.ID != co2.Order.ID || co3.Payment.ID == co2.Payment.ID || co3.Payment.Status != "requires_action" {
		t.Fatalf("pay again after a failure: %s", r.body)
	}
	if n := stockOf(t, ta, ctx, "ABY-001-BLK-M"); *n != 1 {
		t.Fatalf("stock after paying again: %d", *n)
	}
	early := stripeEvent("evt_refund_early", "charge.refunded", map[string]any{"id": "ch_3", "object": "charge", "amount_refunded": 1000,
		"currency": "sar", "payment_intent": "pi_x", "metadata": map[string]string{"payment_id": co3.Payment.ID}})
	paid := stripeEvent("evt_completed_3", "checkout.session.completed", sessionObject(co3.Payment.ID, co3.Order.ID, co3.Order.Totals.Total, "paid"))
	for _, ev := range []string{early, paid, early, paid} {
		if r := hook(host, "cardshop", secret, ev, time.Now()); r.status != 200 {
			t.Fatalf("out of order: %d %s", r.status, r.body)
		}
	}
	r = ta.do(request{method: "GET", path: "/api/v1/orders/" + co3.Order.ID, host: host, token: owner})
	if !strings.Contains(r.body, `"status":"partially_refunded"`) || !strings.Contains(r.body, `"refunded":1000`) {
		t.Fatalf("refund before capture, applied after it: %s", r.body)
	}
	// Expired sessions: nothing to do for a payment already ended.
	expired := stripeEvent("evt_expired_2", "checkout.session.expired", sessionObject(co2.Payment.ID, co2.Order.ID, 0, "unpaid"))
	if r := hook(host, "cardshop", secret, expired, time.Now()); r.status != 200 || !strings.Contains(r.body, `"applied":0`) {
		t.Fatalf("expired after failed: %d %s", r.status, r.body)
	}
	// An expired payment link: the session lapses, the stock comes back,
	// and checking out again gives a new link for the same order.
	cart4 := newCart(t, ta, host, "ABY-001-BLK-M", 1)
	co4 := decodeCheckout(t, ta.do(request{method: "POST", path: "/api/v1/checkout/init", host: host, body: checkoutBody(cart4, "stripe", "Riyadh")}))
	lapsed := stripeEvent("evt_expired_4", "checkout.session.expired", sessionObject(co4.Payment.ID, co4.Order.ID, 0, "unpaid"))
	stockBefore := *stockOf(t, ta, ctx, "ABY-001-BLK-M")
	if r := hook(host, "cardshop", secret, lapsed, time.Now()); r.status != 200 || !strings.Contains(r.body, `"applied":1`) {
		t.Fatalf("expired: %d %s", r.status, r.body)
	}
	if n := *stockOf(t, ta, ctx, "ABY-001-BLK-M"); n != stockBefore+1 {
		t.Fatalf("stock after an expired link: %d, want %d", n, stockBefore+1)
	}
	r = ta.do(request{method: "POST", path: "/api/v1/checkout/init", host: host, body: checkoutBody(cart4, "stripe", "Riyadh")})
	if co5 := decodeCheckout(t, r); co5.Order.ID != co4.Order.ID || co5.Payment.ID == co4.Payment.ID || co5.Payment.RedirectURL == "" {
		t.Fatalf("checkout after an expired link: %s", r.body)
	}
	// Hostile bodies at the webhook: 400, never 5xx.
	for _, b := range []string{"", "{", `{"id":"evt","type":"checkout.session.completed","data":{"object":[]}}`, "\x00\xff"} {
		if r := hook(host, "cardshop", secret, b, time.Now()); r.status != 400 {
			t.Fatalf("hostile webhook %q: %d %s", b, r.status, r.body)
		}
	}
	if r := hook(host, "cardshop", secret, completed, time.Now()); r.status != 200 {
		t.Fatal(r.body)
	}
	if r := ta.do(request{method: "POST", path: "/payments/paypal/webhook/cardshop", body: "{}"}); r.status != 404 {
		t.Fatalf("unknown provider: %d", r.status)
	}
	if r := ta.do(request{method: "POST", path: "/payments/stripe/webhook/nosuchshop", body: "{}"}); r.status != 404 {
		t.Fatalf("unknown tenant: %d", r.status)
	}
}

// TestCheckoutAcrossTenants: tenant A's cart, order and payment settings
// are out of reach from tenant B's host by every checkout and order route,
// and B's staff never list or touch A's orders.
func TestCheckoutAcrossTenants(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, cartLimits).withT(t)
	hostA, ownerA, _ := checkoutShop(t, ta, "ordera")
	hostB, ownerB, _ := checkoutShop(t, ta, "orderb")
	for _, s := range []struct{ host, token string }{{hostA, ownerA}, {hostB, ownerB}} {
		if r := ta.do(request{method: "PUT", path: "/api/v1/settings/payments", host: s.host, token: s.token,
			body: `{"cod":{"enabled":true},"stripe":{"secret_key":"sk_test_` + s.host[:6] + `","webhook_secret":"whsec_x"}}`}); r.status != 200 {
			t.Fatal(r.body)
		}
	}
	cartA := newCart(t, ta, hostA, "PRF-002", 1)
	co := decodeCheckout(t, ta.do(request{method: "POST", path: "/api/v1/checkout/init", host: hostA, body: checkoutBody(cartA, "cod", "Riyadh")}))
	// B's cart checks out on B: its number series is its own.
	cartB := newCart(t, ta, hostB, "PRF-002", 1)
	if coB := decodeCheckout(t, ta.do(request{method: "POST", path: "/api/v1/checkout/init", host: hostB, body: checkoutBody(cartB, "cod", "Riyadh")})); coB.Order.Number != "1001" {
		t.Fatalf("B's first order number: %s", coB.Order.Number)
	}
	for _, rq := range []request{
		{method: "POST", path: "/api/v1/checkout/init", body: checkoutBody(cartA, "cod", "Riyadh")},
		{method: "POST", path: "/api/v1/checkout/confirm", body: `{"order_id":"` + co.Order.ID + `"}`},
		{method: "GET", path: "/api/v1/orders/" + co.Order.ID, token: ownerB},
		{method: "GET", path: "/api/v1/orders/" + co.Order.ID + "/timeline", token: ownerB},
		{method: "POST", path: "/api/v1/orders/" + co.Order.ID + "/cod-collected", token: ownerB},
		{method: "POST", path: "/api/v1/orders/" + co.Order.ID + "/cod-refused", token: ownerB},
		{method: "POST", path: "/api/v1/orders/" + co.Order.ID + "/refunds", token: ownerB, body: `{}`},
		{method: "POST", path: "/api/v1/orders/" + co.Order.ID + "/transitions", token: ownerB, body: `{"to":"cancelled"}`},
	} {
		rq.host = hostB
		r := ta.do(rq)
		wantProblem(t, r, 404, "")
		if strings.Contains(r.body, `"number"`) || strings.Contains(r.body, "Sara") {
			t.Fatalf("%s %s on B shows A's order: %s", rq.method, rq.path, r.body)
		}
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/orders", host: hostB, token: ownerB}); r.status != 200 || strings.Contains(r.body, co.Order.ID) {
		t.Fatalf("B's order list shows A's order: %s", r.body)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/orders/" + co.Order.ID, host: hostA, token: ownerB}); r.status != 401 && r.status != 403 {
		t.Fatalf("B's owner on A's host: %d", r.status)
	}
	// A's order is untouched, and B's payment settings are B's.
	if r := ta.do(request{method: "GET", path: "/api/v1/orders/" + co.Order.ID, host: hostA, token: ownerA}); !strings.Contains(r.body, `"status":"pending_payment"`) {
		t.Fatalf("A's order after B's attempts: %s", r.body)
	}
	if r := ta.do(request{method: "PUT", path: "/api/v1/settings/payments", host: hostB, token: ownerB, body: `{"cod":{"enabled":false}}`}); r.status != 200 {
		t.Fatal(r.body)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/settings/payments", host: hostA, token: ownerA}); !strings.Contains(r.body, `"cod":{"confirm_within":"24h","enabled":true`) {
		t.Fatalf("B's settings reached A: %s", r.body)
	}
}
