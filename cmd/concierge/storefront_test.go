package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"concierge/modules/catalog"
	"concierge/modules/orders"
	"concierge/tenants"
)

// The storefront over HTTP, as a browser without JavaScript uses it: pages
// in both languages, the cart in a cookie, CSRF refusals, checkout (and a
// double submit), the lookup, caching and isolation between stores. The
// browser test (storefront_browser_test.go) drives Chromium through the
// same pages.

// shopper is a visitor of one store: its host and cookies.
type shopper struct {
	t       *testing.T
	ta      *testApp
	host    string
	cookies map[string]*http.Cookie
}

func newShopper(t *testing.T, ta *testApp, host string) *shopper {
	return &shopper{t: t, ta: ta, host: host, cookies: map[string]*http.Cookie{}}
}

// page is a storefront answer.
type page struct {
	status int
	header http.Header
	body   string
	set    map[string]*http.Cookie
}

// send does a request with the shopper's cookies, following no redirect.
func (s *shopper) send(method, path string, form url.Values, headers map[string]string) page {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.ta.base+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Host = s.host
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range s.cookies {
		req.AddCookie(c)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	p := page{status: res.StatusCode, header: res.Header, body: string(raw), set: map[string]*http.Cookie{}}
	for _, c := range res.Cookies() {
		p.set[c.Name] = c
		if c.MaxAge < 0 || c.Value == "" {
			delete(s.cookies, c.Name)
		} else {
			s.cookies[c.Name] = c
		}
	}
	return p
}

func (s *shopper) get(path string) page { s.t.Helper(); return s.send("GET", path, nil, nil) }

// post submits a form with the page's CSRF token.
func (s *shopper) post(path string, form url.Values) page {
	s.t.Helper()
	if form.Get("_csrf") == "" {
		form.Set("_csrf", s.token())
	}
	return s.send("POST", path, form, nil)
}

// token is the visitor's CSRF token (the cookie a page set).
func (s *shopper) token() string {
	s.t.Helper()
	c, ok := s.cookies["cc_csrf"]
	if !ok {
		s.get("/products/classic-black-abaya")
		c = s.cookies["cc_csrf"]
	}
	if c == nil {
		s.t.Fatal("no CSRF cookie after a product page")
	}
	return c.Value
}

var htmlLang = regexp.MustCompile(`<html lang="([a-z]+)" dir="([a-z]+)">`)

// skuOf is a variant SKU of a product, by its options ("Black / M").
func skuOf(t *testing.T, ta *testApp, host, slug, options string) string {
	t.Helper()
	r := ta.do(request{method: "GET", path: "/api/v1/products/" + slug, host: host})
	var p struct {
		Variants []struct {
			SKU     string `json:"sku"`
			Options []struct {
				Value string `json:"value"`
			} `json:"options"`
		} `json:"variants"`
	}
	if err := json.Unmarshal(r.raw, &p); err != nil || len(p.Variants) == 0 {
		t.Fatalf("product %s: %d %s", slug, r.status, r.body)
	}
	for _, v := range p.Variants {
		var vals []string
		for _, o := range v.Options {
			vals = append(vals, o.Value)
		}
		if options == "" || strings.Join(vals, " / ") == options {
			return v.SKU
		}
	}
	t.Fatalf("product %s has no variant %q", slug, options)
	return ""
}

func TestStorefrontPages(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeDev, nil)
	a, owner, ctxA := lifeShop(t, ta, "sfa")
	b, _, _ := lifeShop(t, ta, "sfb")
	s := newShopper(t, ta, a.host)

	t.Run("every page kind in both languages", func(t *testing.T) {
		for _, tc := range []struct {
			path, lang, dir, want string
			status                int
		}{
			{"/", "ar", "rtl", "عباية سوداء كلاسيكية", 200},
			{"/en", "en", "ltr", "Classic Black Abaya", 200},
			{"/categories/women-abayas", "ar", "rtl", "ر.س.", 200},
			{"/en/categories/women-abayas", "en", "ltr", "SAR", 200},
			{"/products/classic-black-abaya", "ar", "rtl", "السعر شامل ضريبة القيمة المضافة", 200},
			{"/en/products/classic-black-abaya", "en", "ltr", `"@type":"Product"`, 200},
			{"/search?q=" + url.QueryEscape("عباية سوداء مقاس M"), "ar", "rtl", "فهمنا من كلماتك", 200},
			{"/en/search?q=" + url.QueryEscape("abaya under 200"), "en", "ltr", "Up to SAR", 200},
			{"/cart", "ar", "rtl", "سلتك فارغة", 200},
			{"/en/orders/lookup", "en", "ltr", "Track your order", 200},
			{"/privacy", "ar", "rtl", "إشعار الخصوصية", 200},
			{"/en/privacy", "en", "ltr", "Privacy notice", 200},
			{"/products/no-such-thing", "ar", "rtl", "الصفحة غير موجودة", 404},
			{"/en/nothing/here", "en", "ltr", "Page not found", 404},
		} {
			p := s.get(tc.path)
			m := htmlLang.FindStringSubmatch(p.body)
			if p.status != tc.status || m == nil || m[1] != tc.lang || m[2] != tc.dir || !strings.Contains(p.body, tc.want) {
				t.Errorf("%s: %d lang=%v, want %d %s/%s containing %q", tc.path, p.status, m, tc.status, tc.lang, tc.dir, tc.want)
			}
			if ct := p.header.Get("Content-Type"); !strings.Contains(ct, "charset=utf-8") {
				t.Errorf("%s: Content-Type %q", tc.path, ct)
			}
		}
	})

	t.Run("SEO: canonical, hreflang, Open Graph, sitemap, robots", func(t *testing.T) {
		p := s.get("/en/products/classic-black-abaya")
		for _, want := range []string{`rel="canonical" href="http://` + a.host + `/en/products/classic-black-abaya"`,
			`hreflang="ar" href="http://` + a.host + `/products/classic-black-abaya"`, `property="og:title"`, `"priceCurrency":"SAR"`,
			`srcset="/img/`, `width="640" height="640"`} {
			if !strings.Contains(p.body, want) {
				t.Errorf("product page lacks %s", want)
			}
		}
		if home := s.get("/en"); !strings.Contains(home.body, `loading="lazy"`) {
			t.Error("the home page loads every picture eagerly")
		}
		sm := s.get("/sitemap.xml")
		if sm.status != 200 || !strings.Contains(sm.body, "http://"+a.host+"/en/products/classic-black-abaya") || strings.Contains(sm.body, b.host) {
			t.Fatalf("sitemap: %d %.300s", sm.status, sm.body)
		}
		rb := s.get("/robots.txt")
		if rb.status != 200 || !strings.Contains(rb.body, "Sitemap: http://"+a.host+"/sitemap.xml") {
			t.Fatalf("robots: %d %s", rb.status, rb.body)
		}
	})

	t.Run("ETag, revalidation and a price change on the next request", func(t *testing.T) {
		p := s.get("/en/categories/women-abayas")
		etag := p.header.Get("ETag")
		if etag == "" || !strings.Contains(p.header.Get("Cache-Control"), "no-cache") {
			t.Fatalf("headers: %v", p.header)
		}
		if again := s.send("GET", "/en/categories/women-abayas", nil, map[string]string{"If-None-Match": etag}); again.status != 304 {
			t.Fatalf("If-None-Match: %d", again.status)
		}
		sku := skuOf(t, ta, a.host, "classic-black-abaya", "")
		if res, err := ta.app.catalog.BulkPrice(ctxA, []catalog.PriceUpdate{{SKU: sku, Price: 23700}}); err != nil || len(res.NotFound) > 0 {
			t.Fatal(err, res)
		}
		if p := s.get("/en/products/classic-black-abaya"); !strings.Contains(p.body, "237.00") {
			i := strings.Index(p.body, `id="price"`)
			t.Fatalf("the new price is not on the next request: %.300s", p.body[max(i, 0):])
		}
		if again := s.send("GET", "/en/categories/women-abayas", nil, map[string]string{"If-None-Match": etag}); again.status != 200 {
			t.Fatalf("a stale ETag after a price change: %d", again.status)
		}
	})

	t.Run("fingerprinted assets are immutable", func(t *testing.T) {
		p := s.get("/en")
		m := regexp.MustCompile(`data-htmx="(/assets/htmx\.min\.[0-9a-f]+\.js)"`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no fingerprinted htmx in the page")
		}
		as := s.get(m[1])
		if as.status != 200 || !strings.Contains(as.header.Get("Cache-Control"), "immutable") || !strings.Contains(as.body, "htmx") {
			t.Fatalf("asset %s: %d %v", m[1], as.status, as.header)
		}
		gz := s.send("GET", m[1], nil, map[string]string{"Accept-Encoding": "gzip"})
		if gz.header.Get("Content-Encoding") != "gzip" || len(gz.body) >= len(as.body)/2 {
			t.Fatalf("htmx not sent gzipped: %v, %d of %d bytes", gz.header, len(gz.body), len(as.body))
		}
	})

	t.Run("tenant A's product slug on tenant B's host", func(t *testing.T) {
		if _, err := ta.app.catalog.ArchiveProduct(tenants.WithTenant(context.Background(), b.tenant), "classic-black-abaya"); err != nil {
			t.Fatal(err)
		}
		if p := newShopper(t, ta, b.host).get("/products/classic-black-abaya"); p.status != 404 {
			t.Fatalf("archived on B, live on A: B's host answered %d", p.status)
		}
		if p := s.get("/products/classic-black-abaya"); p.status != 200 {
			t.Fatalf("A's own product: %d", p.status)
		}
	})

	t.Run("the theme: settings API, shown on the next page", func(t *testing.T) {
		s.get("/en") // cached under the old theme
		for _, tc := range []struct {
			body   string
			status int
		}{
			{`{"primary_color":"#ffff00"}`, 422}, // white text on yellow: unreadable
			{`{"primary_color":"red"}`, 422},
			{`{"logo_url":"javascript:alert(1)"}`, 422},
			{`{"name_en":"Sara's Abayas","name_ar":"عبايات سارة","primary_color":"#7a1f3d","logo_url":"https://cdn.example.sa/logo.png"}`, 200},
		} {
			if r := ta.do(request{method: "PUT", path: "/api/v1/settings/storefront", host: a.host, token: owner, body: tc.body}); r.status != tc.status {
				t.Errorf("PUT %s: %d %s", tc.body, r.status, r.body)
			}
		}
		p := s.get("/en")
		if !strings.Contains(p.body, "--c:#7a1f3d") || !strings.Contains(p.body, "Sara&#39;s Abayas") || !strings.Contains(p.body, "https://cdn.example.sa/logo.png") {
			t.Fatalf("the new theme is not on the next page:\n%.1500s", p.body)
		}
		if ar := s.get("/"); !strings.Contains(ar.body, "عبايات سارة") {
			t.Fatal("the Arabic name is not on the Arabic page")
		}
		agent := ta.user("agent@sfa.test", false, "sfa", "agent")
		if r := ta.do(request{method: "PUT", path: "/api/v1/settings/storefront", host: a.host, token: agent, body: `{}`}); r.status != 403 {
			t.Fatalf("an agent changed the theme: %d", r.status)
		}
		if r := ta.do(request{method: "GET", path: "/api/v1/settings/storefront", host: b.host, token: owner}); r.status != 401 && r.status != 403 {
			t.Fatalf("A's owner read B's settings: %d %s", r.status, r.body)
		}
	})

	t.Run("applied filters in the API", func(t *testing.T) {
		r := ta.do(request{method: "GET", path: "/api/v1/products?q=" + url.QueryEscape("black abaya size M"), host: a.host})
		var got struct {
			Items   []any `json:"items"`
			Applied []struct {
				Name, Value, From string
			} `json:"applied_filters"`
		}
		_ = json.Unmarshal(r.raw, &got)
		if r.status != 200 || len(got.Applied) != 2 || len(got.Items) == 0 {
			t.Fatalf("applied filters: %d %s", r.status, r.body)
		}
		lit := ta.do(request{method: "GET", path: "/api/v1/products?literal=all&q=" + url.QueryEscape("black abaya size M"), host: a.host})
		if lit.status != 200 || strings.Contains(lit.body, "applied_filters") {
			t.Fatalf("literal=all still derived filters: %s", lit.body)
		}
	})

	t.Run("hostile input is a 4xx", func(t *testing.T) {
		for _, path := range []string{"/products/%00", "/search?q=%ff%fe", "/search?min=99999999999999999999999&max=-1",
			"/categories/" + strings.Repeat("x", 3000), "/checkout/done?order=not-a-uuid", "/img/" + a.tenant.ID.String() + "/0-zz?w=99999999999999999999",
			"/search?q=" + strings.Repeat("ع", 500), "/en/search?cursor=%%%"} {
			if p := s.get(path); p.status >= 500 {
				t.Errorf("%s: %d", path, p.status)
			}
		}
	})
}

func TestStorefrontCartAndCheckout(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeDev, nil)
	a, _, ctxA := lifeShop(t, ta, "sfc")
	b, _, _ := lifeShop(t, ta, "sfd")
	sku := skuOf(t, ta, a.host, "classic-black-abaya", "Black / M")
	s := newShopper(t, ta, a.host)

	t.Run("CSRF refusals", func(t *testing.T) {
		s.token()
		for _, tc := range []struct {
			name    string
			form    url.Values
			headers map[string]string
		}{
			{"no token", url.Values{"sku": {sku}}, nil},
			{"a token not of the cookie", url.Values{"sku": {sku}, "_csrf": {"abc.def"}}, nil},
			{"another site's form", url.Values{"sku": {sku}, "_csrf": {s.token()}}, map[string]string{"Origin": "https://evil.example"}},
			{"a cross-site fetch", url.Values{"sku": {sku}, "_csrf": {s.token()}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		} {
			p := s.send("POST", "/cart/add", tc.form, tc.headers)
			if p.status != 403 || !strings.Contains(p.body, "انتهت صلاحية هذا النموذج") {
				t.Errorf("%s: %d", tc.name, p.status)
			}
		}
		// Another store's token does not pass either.
		other := newShopper(t, ta, b.host)
		if p := s.send("POST", "/cart/add", url.Values{"sku": {sku}, "_csrf": {other.token()}},
			map[string]string{"Cookie": "cc_csrf=" + other.token()}); p.status != 403 {
			t.Errorf("tenant B's token on A: %d", p.status)
		}
		if _, ok := s.cookies["cc_cart"]; ok {
			t.Fatal("a refused form made a cart")
		}
	})

	t.Run("add, change, remove; cookie flags", func(t *testing.T) {
		p := s.post("/cart/add", url.Values{"sku": {sku}, "quantity": {"2"}})
		if p.status != 303 || p.header.Get("Location") != "/cart" {
			t.Fatalf("add: %d %v", p.status, p.header)
		}
		ck := p.set["cc_cart"]
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.MaxAge <= 0 {
			t.Fatalf("cart cookie: %+v", ck)
		}
		if c := s.cookies["cc_csrf"]; c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Fatalf("csrf cookie: %+v", c)
		}
		cart := s.get("/cart?city=Riyadh")
		if !strings.Contains(cart.body, "عباية سوداء كلاسيكية") || !strings.Contains(cart.body, `value="2"`) || !strings.Contains(cart.body, "٢٥٫٠٠") {
			t.Fatalf("cart page lacks the line, its quantity or Riyadh's shipping:\n%.3000s", cart.body)
		}
		if !strings.Contains(cart.body, "https://wa.me/") || !strings.Contains(cart.body, "%5B%23C-") {
			t.Fatal("cart page has no Chat to order link with a cart code")
		}
		s.post("/cart/update", url.Values{"sku": {sku}, "quantity": {"3"}})
		if p := s.get("/en/cart"); !strings.Contains(p.body, `value="3"`) {
			t.Fatal("quantity not changed")
		}
		if p := s.post("/cart/update", url.Values{"sku": {sku}, "quantity": {"500"}}); p.status != 422 {
			t.Fatalf("quantity 500: %d", p.status)
		}
		s.post("/cart/remove", url.Values{"sku": {sku}})
		if p := s.get("/en/cart"); !strings.Contains(p.body, "Your cart is empty") {
			t.Fatal("line not removed")
		}
	})

	t.Run("A's cart cookie on B's host is an empty cart", func(t *testing.T) {
		s.post("/cart/add", url.Values{"sku": {sku}})
		onB := newShopper(t, ta, b.host)
		onB.cookies["cc_cart"] = s.cookies["cc_cart"]
		if p := onB.get("/en/cart"); p.status != 200 || !strings.Contains(p.body, "Your cart is empty") {
			t.Fatalf("B shows A's cart: %d", p.status)
		}
		// Adding on B makes B's own cart, leaving A's alone.
		bsku := skuOf(t, ta, b.host, "classic-black-abaya", "Black / S")
		if p := onB.post("/cart/add", url.Values{"sku": {bsku}}); p.status != 303 || onB.cookies["cc_cart"].Value == s.cookies["cc_cart"].Value {
			t.Fatalf("add on B with A's cookie: %d", p.status)
		}
	})

	t.Run("checkout: field errors, then a double submit makes one order", func(t *testing.T) {
		if p := s.get("/checkout"); p.status != 200 || !strings.Contains(p.body, "الدفع عند الاستلام") {
			t.Fatalf("checkout page: %d", p.status)
		}
		bad := s.post("/checkout", url.Values{"name": {"سارة"}, "phone": {"12"}, "building_number": {"29"}, "street": {"طريق الملك فهد"},
			"district": {"العليا"}, "city": {"Riyadh"}, "postal_code": {"1234"}, "method": {"cod"}})
		if bad.status != 422 {
			t.Fatalf("bad form: %d", bad.status)
		}
		for _, want := range []string{`id="e-phone"`, `id="e-building_number"`, `id="e-postal_code"`, `id="e-consent"`, `value="طريق الملك فهد"`} {
			if !strings.Contains(bad.body, want) {
				t.Errorf("the refused form lacks %s", want)
			}
		}
		form := url.Values{"name": {"سارة علي"}, "phone": {"٠٥٥١٢٣٤٥٦٧"}, "building_number": {"٢٩٢٩"}, "street": {"طريق الملك فهد"},
			"district": {"العليا"}, "city": {"Riyadh"}, "postal_code": {"12345"}, "method": {"cod"}, "consent": {"yes"}}
		cartID := s.cookies["cc_cart"].Value
		first := s.post("/checkout", form)
		if _, kept := s.cookies["cc_cart"]; kept {
			t.Fatal("the cart cookie outlived the order")
		}
		// The second click left before the first answered: it carries the
		// same cart cookie.
		s.cookies["cc_cart"] = &http.Cookie{Name: "cc_cart", Value: cartID}
		second := s.post("/checkout", form)
		if first.status != 303 || second.status != 303 || first.header.Get("Location") != second.header.Get("Location") ||
			!strings.HasPrefix(first.header.Get("Location"), "/checkout/done?order=") {
			t.Fatalf("double submit: %d %s / %d %s", first.status, first.header.Get("Location"), second.status, second.header.Get("Location"))
		}
		done := s.get(first.header.Get("Location"))
		if done.status != 200 || !strings.Contains(done.body, "شكرًا لطلبك") || !strings.Contains(done.body, "نقدًا عند وصول طلبك") {
			t.Fatalf("confirmation: %d %.2000s", done.status, done.body)
		}
		number := regexp.MustCompile(`رقم الطلب #([٠-٩0-9]+)`).FindStringSubmatch(done.body)
		if number == nil {
			t.Fatal("no order number on the confirmation")
		}
		// One order for the cart.
		placed, err := ta.app.orders.List(ctxA, orders.ListQuery{Limit: 10})
		if err != nil || len(placed.Items) != 1 || placed.Items[0].Status != orders.StatusConfirmed {
			t.Fatalf("orders after a double submit: %+v %v", placed.Items, err)
		}
		// A summary list is the same order with only what a list shows.
		summary, err := ta.app.orders.List(ctxA, orders.ListQuery{Limit: 10, Summary: true})
		want := placed.Items[0]
		if want.Address.City == "" || want.Totals.VAT == 0 || want.CartID == "" || !want.StockHeld {
			t.Fatalf("the full order lacks what a summary leaves out: %+v", want)
		}
		want.CartID, want.Address, want.Notes, want.StockHeld, want.CartVersion, want.Tracking = "", orders.Address{}, "", false, "", orders.Tracking{}
		want.Totals = orders.Totals{Currency: want.Totals.Currency, Total: want.Totals.Total}
		if err != nil || len(summary.Items) != 1 || !reflect.DeepEqual(summary.Items[0], want) {
			t.Fatalf("summary list: %+v, want %+v %v", summary.Items, want, err)
		}

		// The lookup: the number as shown (Arabic digits), the phone as typed.
		lk := s.post("/orders/lookup", url.Values{"phone": {"0551234567"}, "order_number": {number[1]}})
		if lk.status != 200 || !strings.Contains(lk.body, "الحالة") || !strings.Contains(lk.body, "Riyadh") || strings.Contains(lk.body, "سارة") {
			t.Fatalf("lookup of %q: %d %v %.2000s", number[1], lk.status, lk.header, lk.body)
		}
		if wrong := s.post("/orders/lookup", url.Values{"phone": {"0559999999"}, "order_number": {number[1]}}); wrong.status != 404 {
			t.Fatalf("wrong phone: %d", wrong.status)
		}
		var last page
		for i := 0; i < 12; i++ {
			last = s.post("/orders/lookup", url.Values{"phone": {"0551234567"}, "order_number": {"999999"}})
		}
		if last.status != 429 || last.header.Get("Retry-After") == "" {
			t.Fatalf("the lookup's limit: %d %v", last.status, last.header)
		}
	})

	t.Run("the funnel recorded the web steps", func(t *testing.T) {
		if err := ta.app.analytics.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		f, err := ta.app.analytics.Funnel(ctxA, time.Now().Add(-time.Hour), time.Now().Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if f.Web.ProductViews == 0 || f.Web.CartAdds == 0 || f.Web.Checkouts == 0 || f.Web.Orders != 1 || f.Web.Paid != 1 || f.Web.Revenue.Minor == 0 {
			t.Fatalf("web funnel: %+v", f.Web)
		}
	})
}
