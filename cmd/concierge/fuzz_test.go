package main

// Fuzz targets over the real product (Postgres, Redis, every middleware):
// whatever arrives in a query string, a path or a JSON body, the answer is
// never a 5xx. `make test` runs their seeds and committed corpora
// (testdata/fuzz) as ordinary tests, then fuzzes each for a bounded time
// (deploy/test.sh, FUZZ_TIME).

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/modules/cart"
	"concierge/modules/catalog"
	"concierge/modules/checkout"
	"concierge/modules/orders"
	"concierge/modules/whatsapp/cloudapi"
	"concierge/tenants"
)

// fuzzApp boots the product for a fuzz target: limits high enough that the
// fuzzer tests the handlers rather than the rate limiter.
func fuzzApp(f *testing.F) *testApp {
	f.Helper()
	return startApp(f, modeServe, map[string]string{"RATE_LIMIT_IP": "1000000", "RATE_LIMIT_TENANT": "1000000",
		"LOGIN_MAX_FAILURES": "1000000", "LOG_LEVEL": "error"})
}

// rawGET sends one request line as given (no client-side escaping or
// validation) and returns the status; 0 when the server closed the
// connection without answering.
func rawGET(t *testing.T, base, host, target string) int {
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, host); err != nil {
		return 0
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// publicRoutes are the public GET routes the fuzzer aims at (tenant from
// Host); the fuzzed text becomes the query string, and for the last few also
// a path segment.
var publicRoutes = []string{
	"/api/v1/products", "/api/v1/products", "/api/v1/categories", "/api/v1/store", "/privacy",
	"/api/v1/products/", "/api/v1/products/classic-black-abaya", "/webhook/whatsapp",
	// The storefront's pages.
	"/search", "/en/search", "/cart", "/checkout/done", "/products/", "/categories/", "/en/products/",
}

func FuzzPublicQuery(f *testing.F) {
	for _, s := range []struct {
		route uint8
		query string
	}{
		{0, "q=%D8%B9%D8%A8%D8%A7%D9%8A%D8%A9&limit=5"}, {0, "brand=a%00b"}, {0, "min_price=5&max_price=1"},
		{0, "min_price=99999999999999999999"}, {0, "limit=0"}, {0, "cursor=eyJ4IjoxfQ"}, {0, "cursor=%00%ff"},
		{0, "in_stock=maybe"}, {1, "category=%ff%fe&q=%0a"}, {1, "q=" + strings.Repeat("%D8%B9", 300)},
		{2, "x=%00"}, {3, "%00=1"}, {4, "store=demo&lang=ar"}, {4, "store=%00"}, {5, "%ff"}, {5, "..%2f..%2fetc"},
		{6, "a=b"}, {7, "hub.mode=subscribe&hub.verify_token=x&hub.challenge=%00"},
		{8, "q=%D8%B9%D8%A8%D8%A7%D9%8A%D8%A9+%D8%A3%D9%82%D9%84+%D9%85%D9%86+%D9%A3%D9%A0%D9%A0&min=%D9%A1&max=1e99"},
		{9, "q=abaya+size+M&literal=size,all&cursor=%00"}, {10, "city=%ff"}, {11, "order=%00"}, {12, "%D8%B9%00"},
		{13, "..%2f"}, {14, "x%20y"},
	} {
		f.Add(s.route, s.query)
	}
	ta := fuzzApp(f)
	tn := ta.tenant("acme")
	// A cart's shipping quote, and cart ids as path segments.
	c, err := ta.app.cart.Create(tenants.WithTenant(context.Background(), tn))
	if err != nil {
		f.Fatal(err)
	}
	routes := append(slices.Clone(publicRoutes), "/api/v1/carts/", "/api/v1/carts/"+c.ID+"/shipping")
	f.Add(uint8(len(routes)-1), "city=%D8%A7%D9%84%D8%B1%D9%8A%D8%A7%D8%B6")
	f.Add(uint8(len(routes)-1), "city=%00%ff")
	f.Add(uint8(len(routes)-2), c.ID+"%00")
	f.Fuzz(func(t *testing.T, route uint8, query string) {
		r := routes[int(route)%len(routes)]
		target := r + "?" + query
		if strings.HasSuffix(r, "/") {
			target = r + query // the fuzzed text as a path segment
		}
		if status := rawGET(t, ta.base, "acme.example.sa", target); status >= 500 {
			t.Fatalf("GET %q answered %d", target, status)
		}
	})
}

// staffRoute is one JSON route the fuzzer posts bodies to.
type staffRoute struct {
	method, path string
	admin        bool
}

func FuzzStaffJSON(f *testing.F) {
	productBody := `{"title_ar":"عباية","title_en":"Abaya","description_en":"a\nb","brand":"B","link":"https://shop.example.sa/a",` +
		`"attributes":{"material":"crepe"},"media":[{"url":"https://cdn.example.sa/a.jpg","alt_ar":"صورة"}],` +
		`"variants":[{"sku":"F-1","price":10000,"stock":3,"options":[{"name":"Size","value":"M","name_ar":"المقاس","value_ar":"م"}]}]}`
	seeds := []struct {
		route uint8
		body  string
	}{
		{0, productBody}, {0, `{"title_en":"A\u0000","variants":[{"sku":"N","price":1}]}`},
		{0, `{"title_en":"A","variants":[{"sku":"S","price":1,"stock":2147483648}]}`},
		{0, `{"title_en":"A","link":"javascript:alert(1)","variants":[{"sku":"J","price":1}]}`},
		{0, `{"title_en":"\ud800","variants":[{"sku":"U","price":1}]}`}, {0, "{\"title_en\":\"\xff\"}"},
		{0, `{"title_en":"A","title_en":"B"}`}, {0, `{"variants":[{"price":1e400}]}`}, {0, `[]`}, {0, `null`},
		{1, `{"title_en":"New","link":"","attributes":{"a":"b"}}`}, {1, `{"status":"archived"}`}, {1, `{"description_ar":"\u0007"}`},
		{2, `{"sku":"F-2","price":500,"stock":null}`}, {3, `{"stock":null,"compare_at_price":null}`}, {3, `{"price":-1}`},
		{4, `{"url":"https://cdn.example.sa/b.jpg"}`}, {4, `{"url":"data:image/png;base64,AA"}`},
		{5, `{"name_ar":"عطور","name_en":"Perfume","position":1}`}, {5, `{"name_en":"C","position":2147483648}`},
		{6, `{"name_en":"Renamed","image_url":"https://cdn.example.sa/c.jpg"}`},
		{7, `{"items":[{"sku":"F-1","stock":5}]}`}, {7, `{"items":[{"sku":"\u0000","stock":5}]}`},
		{8, `{"items":[{"sku":"F-1","price":9000}]}`}, {8, `{"items":[{"sku":"F-1","price":1000000000001}]}`},
		{9, `{"name":"Feed","kind":"url","url":"https://feeds.example.sa/f.csv","interval_minutes":60}`},
		{9, `{"name":"Feed","kind":"url","url":"ftp://x"}`},
		{10, `{"text":"Hello\nthere"}`}, {10, `{"text":"   "}`}, {10, `{"text":"\u00a0"}`}, {10, `{"text":"a\u0000"}`},
		{11, `{"slug":"shop2","name_en":"Shop","name_ar":"متجر"}`}, {11, `{"slug":"x","name_en":"\u0000","name_ar":"y"}`},
		{12, `{"privacy_url":"https://acme.example.sa/privacy","name_ar":"أكمي"}`}, {12, `{"privacy_url":"javascript:x"}`},
		{13, `{"host":"shop.acme.sa"}`}, {13, `{"host":"a\u0000b"}`},
		{14, `{"phone_number_id":"123","display_phone":"+966500000001","access_token":"t","app_secret":"s"}`},
		{15, `{"email":"owner@acme.test","password":"wrong"}`}, {15, `{"email":"a\u0000@b.c","password":"x"}`},
		{16, `{"name":"key"}`},
		{17, `{"sku":"FZ-1","quantity":1}`}, {17, `{"sku":"FZ-1","quantity":2147483648}`}, {17, `{"sku":"\u0000","quantity":1}`},
		{17, `{"sku":"FZ-1","quantity":1e400}`}, {18, `{"quantity":0}`}, {18, `{"quantity":-9223372036854775809}`},
		{19, `{"vat_rate_bp":1500,"prices_include_vat":true,"default_fee":1000,"free_shipping_threshold":50000,` +
			`"zones":[{"name_ar":"الرياض","name_en":"Riyadh","aliases":["Ar Riyad"],"fee":2500}]}`},
		{19, `{"vat_rate_bp":1500,"prices_include_vat":true,"zones":[{"name_ar":"\u0000","fee":1}]}`},
		{19, `{"vat_rate_bp":1500,"prices_include_vat":true,"zones":[{"name_en":"x","fee":1000000000001}]}`}, {20, `{}`},
	}
	for _, s := range seeds {
		f.Add(s.route, []byte(s.body))
	}
	ta := fuzzApp(f)
	tn := ta.tenant("acme")
	owner := ta.user("owner@acme.test", false, "acme", "owner")
	admin := ta.user("admin@ops.test", true, "", "")
	ctx := tenants.WithTenant(context.Background(), tn)
	p, err := ta.app.catalog.CreateProduct(ctx, catalog.ProductInput{TitleEN: "Fuzz target", Slug: "fuzz-target",
		Variants: []catalog.VariantInput{{SKU: "FZ-1", Price: 100}}})
	if err != nil {
		f.Fatal(err)
	}
	cat, err := ta.app.catalog.CreateCategory(ctx, catalog.CategoryInput{NameEN: "Fuzz", Slug: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	conv := fuzzConversation(f, ta, tn)
	fc, err := ta.app.cart.Create(ctx)
	if err != nil {
		f.Fatal(err)
	}
	routes := []staffRoute{
		{"POST", "/api/v1/products", false},
		{"PATCH", "/api/v1/products/fuzz-target", false},
		{"POST", "/api/v1/products/fuzz-target/variants", false},
		{"PATCH", "/api/v1/products/fuzz-target/variants/FZ-1", false},
		{"POST", "/api/v1/products/fuzz-target/media", false},
		{"POST", "/api/v1/categories", false},
		{"PUT", "/api/v1/categories/" + cat.ID.String(), false},
		{"POST", "/api/v1/catalog/stock", false},
		{"POST", "/api/v1/catalog/prices", false},
		{"POST", "/api/v1/catalog/sources", false},
		{"POST", "/api/v1/conversations/" + conv.String() + "/reply", false},
		{"POST", "/api/platform/tenants", true},
		{"PATCH", "/api/platform/tenants/acme", true},
		{"POST", "/api/platform/tenants/acme/domains", true},
		{"POST", "/api/platform/tenants/acme/numbers", true},
		{"POST", "/api/auth/login", false},
		{"POST", "/api/platform/tenants/acme/api-keys", true},
		{"POST", "/api/v1/carts/" + fc.ID + "/items", false},
		{"PATCH", "/api/v1/carts/" + fc.ID + "/items/FZ-1", false},
		{"PUT", "/api/v1/settings/pricing", false},
		{"POST", "/api/v1/carts", false},
		{"POST", "/api/v1/checkout/init", false},
		{"POST", "/api/v1/checkout/confirm", false},
		{"PUT", "/api/v1/settings/payments", false},
		{"POST", "/api/v1/orders/" + uuid.NewString() + "/refunds", false},
		{"POST", "/payments/stripe/webhook/acme", false},
	}
	// Checkout: a cart holding FZ-1, delivery anywhere, cash on delivery on.
	fee := int64(1000)
	if _, err := ta.app.cart.UpdatePricingSettings(ctx, cart.Settings{VATRateBP: 1500, PricesIncludeVAT: true, DefaultFee: &fee}); err != nil {
		f.Fatal(err)
	}
	on := true
	if _, err := ta.app.checkout.UpdatePaymentSettings(ctx, map[string]checkout.SettingsChange{"cod": {Enabled: &on},
		"stripe": {Enabled: &on, Secrets: map[string]string{"secret_key": "sk_test_fz", "webhook_secret": "whsec_fz"}}}); err != nil {
		f.Fatal(err)
	}
	oc, err := ta.app.cart.Create(ctx)
	if err == nil {
		_, err = ta.app.cart.Add(ctx, oc.ID, "FZ-1", 1)
	}
	if err != nil {
		f.Fatal(err)
	}
	initBody := `{"cart_id":"` + oc.ID + `","customer":{"name":"Fuzz","phone":"0551234567"},"address":{"building_number":"٢٩٢٩","street":"S",` +
		`"district":"D","city":"Riyadh","postal_code":"12345","location":{"lat":24.7,"lng":46.6}},"payment_method":"cod"}`
	for _, b := range []string{initBody, strings.Replace(initBody, `"lat":24.7`, `"lat":1e400`, 1), strings.Replace(initBody, "0551234567", "+\u0000", 1),
		strings.Replace(initBody, `"cod"`, `"stripe"`, 1), strings.Replace(initBody, `"2929"`, `"99999999999999999999"`, 1), `{"cart_id":[]}`} {
		f.Add(uint8(21), []byte(b))
	}
	for _, b := range []string{`{"order_id":"` + uuid.NewString() + `"}`, `{"order_id":"\u0000"}`, `{"order_id":1}`} {
		f.Add(uint8(22), []byte(b))
	}
	for _, b := range []string{`{"cod":{"enabled":true,"max_order_total":1e400}}`, `{"stripe":{"secret_key":{"set":true}}}`, `{"cod":[]}`,
		`{"\u0000":{}}`, `{"cod":{"confirm_within":"9999999999h"}}`, `{"stripe":{"secret_key":"sk_test_\u0000"}}`} {
		f.Add(uint8(23), []byte(b))
	}
	for _, b := range []string{`{"amount":5}`, `{"amount":-1}`, `{"amount":99999999999999999999}`, `{"reason":"\u0000"}`} {
		f.Add(uint8(24), []byte(b))
	}
	f.Add(uint8(25), []byte(`{"id":"evt_1","type":"checkout.session.completed","data":{"object":{}}}`))
	// After the sale: an order to move and return, the lookup, returns,
	// invoicing, SLA and return settings, quick replies, bot texts.
	placed, err := ta.app.checkout.Init(ctx, checkout.InitRequest{CartID: oc.ID, CustomerName: "Fuzz", CustomerPhone: "+966551234567",
		Locale: "ar", Method: "cod", Actor: "fuzz", Address: orders.Address{BuildingNumber: "2929", Street: "S", District: "D", City: "Riyadh",
			PostalCode: "12345"}})
	if err != nil {
		f.Fatal(err)
	}
	oid := placed.Order.ID.String()
	routes = append(routes,
		staffRoute{"POST", "/api/v1/orders/" + oid + "/transitions", false},            // 26
		staffRoute{"POST", "/api/v1/orders/lookup", false},                             // 27
		staffRoute{"POST", "/api/v1/returns", false},                                   // 28
		staffRoute{"POST", "/api/v1/returns/" + uuid.NewString() + "/decision", false}, // 29
		staffRoute{"PUT", "/api/v1/settings/invoicing", false},                         // 30
		staffRoute{"PUT", "/api/v1/settings/sla", false},                               // 31
		staffRoute{"POST", "/api/v1/quick-replies", false},                             // 32
		staffRoute{"PUT", "/api/v1/bot-texts/orders.notify.shipped", false},            // 33
		staffRoute{"PUT", "/api/v1/settings/returns", false},                           // 34
		staffRoute{"POST", "/api/v1/conversations/" + conv.String() + "/reply", false}, // 35
	)
	for _, s := range []struct {
		route uint8
		body  string
	}{
		{26, `{"to":"processing","note":"x"}`}, {26, `{"to":"shipped","tracking_url":"javascript:alert(1)"}`}, {26, `{"to":"\u0000"}`},
		{26, `{"to":"shipped","tracking_number":"` + strings.Repeat("9", 200) + `"}`}, {26, `{"to":"cancelled"}`},
		{27, `{"phone":"0551234567","order_number":"1001"}`}, {27, `{"phone":"٠٥٥١٢٣٤٥٦٧","order_number":"#١٠٠١"}`},
		{27, `{"phone":"+9665","order_number":"99999999999999999999999"}`}, {27, `{"phone":"\u0000","order_number":"-1"}`},
		{28, `{"order_id":"` + oid + `","items":[{"sku":"FZ-1","quantity":1}],"reason":"damaged"}`},
		{28, `{"order_id":"` + oid + `","items":[{"sku":"FZ-1","quantity":2147483648}],"reason":"other","reason_text":"\u0000"}`},
		{29, `{"decision":"approve","refund_amount":99999999999999999999}`}, {29, `{"decision":"reject","note":""}`},
		{30, `{"vat_number":"310122393500003","seller_name_ar":"متجر","seller_name_en":"Shop"}`},
		{30, `{"vat_number":"٣١٠١٢٢٣٩٣٥٠٠٠٠٣","seller_name_ar":"` + strings.Repeat("م", 300) + `"}`},
		{31, `{"handoff_first_reply_minutes":15,"return_decision_hours":48,"order_dispatch_hours":48}`},
		{31, `{"handoff_first_reply_minutes":1e400,"return_decision_hours":-1,"order_dispatch_hours":9223372036854775807}`},
		{32, `{"shortcut":"hi","title":"Hi","body_ar":"أهلًا {{customer_name}}","body_en":"Hi {{customer_name}}"}`},
		{32, `{"shortcut":"\u0000","body_ar":"{{nope}}","body_en":"{{"}`},
		{33, `{"ar":"شحنّا {order}","en":"Shipped {order}"}`}, {33, `{"ar":"{unknown}","en":null}`},
		{34, `{"window_days":7}`}, {34, `{"window_days":99999999999}`},
		{35, `{"quick_reply":"hi","vars":{"order_number":"1001"}}`}, {35, `{"quick_reply":"missing","text":"both"}`},
	} {
		f.Add(s.route, []byte(s.body))
	}
	_ = p
	client := &http.Client{Timeout: 30 * time.Second}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := routes[int(route)%len(routes)]
		req, err := http.NewRequest(r.method, ta.base+r.path, strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "acme.example.sa"
		req.Header.Set("Content-Type", "application/json")
		tok := owner
		if r.admin {
			tok = admin
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", r.method, r.path, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s with %q answered %d: %s", r.method, r.path, body, res.StatusCode, b)
		}
	})
}

// fuzzConversation stores a customer and a conversation of tenant tn with a
// number of its own, for the reply route.
func fuzzConversation(f *testing.F, ta *testApp, tn *tenants.Tenant) uuid.UUID {
	f.Helper()
	ctx := context.Background()
	n, err := ta.app.deps.tenants.AddNumber(ctx, "test", tn.Slug, tenants.NumberInput{PhoneNumberID: "19990001", DisplayPhone: "+966500000077",
		AccessToken: "tok", AppSecret: "sec"})
	if err != nil {
		f.Fatal(err)
	}
	cust, conv := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	err = ta.app.deps.scope.InTenantTx(tenants.WithTenant(ctx, tn), func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO customers (tenant_id, id, wa_id) VALUES (?, ?, '966500000078')`, tn.ID, cust); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO conversations (tenant_id, id, customer_id, number_id, phone_number_id, last_inbound_at)
			VALUES (?, ?, ?, ?, ?, now())`, tn.ID, conv, cust, n.ID, n.PhoneNumberID)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	return conv
}

// FuzzWebhook posts arbitrary bodies, correctly signed with the number's app
// secret (so they pass the signature gate, as Meta's or a forger's with the
// secret would), to the WhatsApp webhook: the answer is never a 5xx, which
// Meta would retry for days.
func FuzzWebhook(f *testing.F) {
	const pnid, secret = "19990002", "fuzz-app-secret"
	envelope := func(value string) string {
		return `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",` +
			`"metadata":{"display_phone_number":"966500000079","phone_number_id":"` + pnid + `"},` + value + `}}]}]}`
	}
	for _, s := range []string{
		envelope(`"contacts":[{"profile":{"name":"سارة"},"wa_id":"966500000080"}],"messages":[{"from":"966500000080","id":"wamid.A1","timestamp":"1700000000","type":"text","text":{"body":"مرحبا"}}]`),
		envelope(`"messages":[{"from":"966500000080","id":"wamid.A2","timestamp":"1700000000","type":"text","text":{"body":"a\u0000b\ud800"}}]`),
		envelope(`"messages":[{"from":"9665\u0000","id":"wamid.A3","timestamp":"99999999999999999999","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"add:X","title":"t"}}}]`),
		envelope(`"messages":[{"from":"966500000080","id":"wamid.A4","timestamp":1700000000,"type":"order","order":{"catalog_id":"1","product_items":[{"product_retailer_id":"S","quantity":99999999999,"item_price":"1e400","currency":"SAR"}]}}]`),
		envelope(`"messages":[{"from":"966500000080","id":"wamid.A5","timestamp":"1700000000","type":"location","location":{"latitude":1e309,"longitude":-1}}]`),
		envelope(`"statuses":[{"id":"wamid.X","status":"delivered","timestamp":"1700000000","recipient_id":"966500000080","biz_opaque_callback_data":"\u0000"}]`),
		`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"\u0000"}}}]}]}`,
		`{"object":"page"}`, `[]`, `null`, "{\"object\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	ta := fuzzApp(f)
	ta.tenant("acme")
	if _, err := ta.app.deps.tenants.AddNumber(context.Background(), "test", "acme", tenants.NumberInput{PhoneNumberID: pnid,
		DisplayPhone: "+966500000079", AccessToken: "tok", AppSecret: secret}); err != nil {
		f.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := http.NewRequest("POST", ta.base+"/webhook/whatsapp", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hub-Signature-256", cloudapi.Sign(body, secret))
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("webhook %q answered %d: %s", body, res.StatusCode, b)
		}
	})
}

// FuzzStorefrontForm posts fuzzed forms to the storefront's POST routes
// with a valid CSRF token: nothing a form carries answers 5xx.
func FuzzStorefrontForm(f *testing.F) {
	for _, s := range []struct {
		route uint8
		body  string
	}{
		{0, "sku=ABY-001-BLK-M&quantity=2"}, {0, "sku=%00&quantity=99999999999999999999"}, {0, "quantity=-1"},
		{1, "sku=x&quantity=%D9%A3"}, {2, "sku=%ff%fe"},
		{3, "name=%00&phone=0551234567&building_number=%D9%A1%D9%A2%D9%A3%D9%A4&postal_code=12345&city=Riyadh&method=cod&consent=yes"},
		{3, "method=" + strings.Repeat("x", 5000)}, {4, "phone=%2B966551234567&order_number=%23%D9%A1"}, {4, "order_number=1e9999"},
	} {
		f.Add(s.route, s.body)
	}
	ta := fuzzApp(f)
	ta.tenant("acme")
	routes := []string{"/cart/add", "/cart/update", "/en/cart/remove", "/checkout", "/orders/lookup"}
	// A token and its cookie, from a page.
	req, _ := http.NewRequest("GET", ta.base+"/orders/lookup", nil)
	req.Host = "acme.example.sa"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.Fatal(err)
	}
	res.Body.Close()
	var token string
	for _, c := range res.Cookies() {
		if c.Name == "cc_csrf" {
			token = c.Value
		}
	}
	if token == "" {
		f.Fatal("no CSRF cookie from the lookup page")
	}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		r := routes[int(route)%len(routes)]
		req, _ := http.NewRequest("POST", ta.base+r, strings.NewReader(body+"&_csrf="+url.QueryEscape(token)))
		req.Host = "acme.example.sa"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "cc_csrf", Value: token})
		req.AddCookie(&http.Cookie{Name: "cc_cart", Value: "00000000-0000-0000-0000-000000000000"})
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("POST %s %q answered %d", r, body, res.StatusCode)
		}
	})
}
