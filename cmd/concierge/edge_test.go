package main

// Tests of the gateway's edge against the real product: hostile text in
// bodies, query strings and paths; links; integer bounds; CORS by whole
// origin; ambiguous hosts; 405 with Allow; 413 with a request id; staff
// replies that are blank or carry control characters. Each class is probed
// with several members, not just the example that found it.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"concierge/cmd/concierge/sandbox"
)

// rawHTTP sends a hand-written request over TCP (for what net/http refuses to
// send: two Host headers, an absolute target, raw bytes in the path) and
// returns the status and body.
func rawHTTP(t *testing.T, ta *testApp, raw string) (int, http.Header, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(ta.base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v", raw, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func TestEdgeRefusesHostileInput(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, map[string]string{"BODY_LIMIT": "4096", "CATALOG_UPLOAD_LIMIT": "16384"})
	ta.tenant("acme")
	ta.tenant("beta")
	owner := ta.user("owner@acme.test", false, "acme", "owner")
	const host = "acme.example.sa"
	product := func(extra string) string {
		return `{"title_en":"Abaya","variants":[{"sku":"AB-1","price":10000}]` + extra + `}`
	}
	cases := []struct {
		name   string
		req    request
		status int
		field  string // a field error naming it, when set
	}{
		// Query parameters: NUL, other controls, invalid UTF-8, on public and staff routes, in values and names.
		{"NUL in a public query", request{method: "GET", path: "/api/v1/products?brand=a%00b", host: host}, 422, "brand"},
		{"NUL in the search", request{method: "GET", path: "/api/v1/products?q=%D8%B9%00", host: host}, 422, "q"},
		{"NUL in a cursor", request{method: "GET", path: "/api/v1/products?cursor=%00", host: host}, 422, "cursor"},
		{"invalid UTF-8 in a query", request{method: "GET", path: "/api/v1/products?category=%ff%fe", host: host}, 422, "category"},
		{"newline in a query", request{method: "GET", path: "/api/v1/products?q=a%0Ab", host: host}, 422, "q"},
		{"NUL in a query name", request{method: "GET", path: "/api/v1/products?a%00=1", host: host}, 422, "query"},
		{"NUL in a staff query", request{method: "GET", path: "/api/v1/catalog/products?status=active%00", host: host, token: owner}, 422, "status"},
		{"NUL in the privacy page query", request{method: "GET", path: "/privacy?store=acme%00"}, 422, "store"},
		{"huge price filter", request{method: "GET", path: "/api/v1/products?min_price=99999999999999999999", host: host}, 422, "min_price"},
		{"huge limit", request{method: "GET", path: "/api/v1/products?limit=99999999999999999999", host: host}, 422, "limit"},
		{"Arabic search is fine", request{method: "GET", path: "/api/v1/products?q=%D8%B9%D8%A8%D8%A7%D9%8A%D8%A9", host: host}, 200, ""},
		// Paths.
		{"NUL in a path", request{method: "GET", path: "/api/v1/products/a%00b", host: host}, 400, ""},
		{"invalid UTF-8 in a path", request{method: "GET", path: "/api/v1/products/%ff", host: host}, 400, ""},
		{"Arabic slug path", request{method: "GET", path: "/api/v1/products/%D8%B9%D8%A8%D8%A7%D9%8A%D8%A9", host: host}, 404, ""},
		// Bodies: NUL, invalid UTF-8, controls, blank, links and bounds in every kind of field.
		{"NUL in a title", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"title_en":"A\u0000","variants":[{"sku":"N1","price":1}]}`}, 422, "title_en"},
		{"NUL in a SKU", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"title_en":"A","variants":[{"sku":"N\u0000","price":1}]}`}, 422, "variants[0].sku"},
		{"NUL in a description", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: product(`,"description_ar":"x\u0000"`)}, 422, "description_ar"},
		{"NUL in an attribute", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: product(`,"attributes":{"k":"\u0000"}`)}, 422, "attributes.k"},
		{"NUL in an option", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"title_en":"A","variants":[{"sku":"O1","price":1,"options":[{"name":"Size","value":"M\u0000"}]}]}`}, 422, "variants[0].options[0].value"},
		{"NUL in a category name", request{method: "POST", path: "/api/v1/categories", host: host, token: owner, body: `{"name_en":"C\u0000"}`}, 422, "name_en"},
		{"NUL in a source name", request{method: "POST", path: "/api/v1/catalog/sources", host: host, token: owner, body: `{"name":"\u0000","kind":"upload"}`}, 422, "name"},
		{"NUL in a stock SKU", request{method: "POST", path: "/api/v1/catalog/stock", host: host, token: owner, body: `{"items":[{"sku":"\u0000","stock":1}]}`}, 422, "items[0].sku"},
		{"lone surrogate", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"title_en":"\ud83d","variants":[{"sku":"S1","price":1}]}`}, 422, "title_en"},
		{"invalid UTF-8 byte", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: "{\"title_en\":\"caf\xe9\",\"variants\":[{\"sku\":\"S2\",\"price\":1}]}"}, 422, "title_en"},
		{"tab in a title", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"title_en":"A\tB","variants":[{"sku":"T1","price":1}]}`}, 422, "title_en"},
		{"blank title", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"title_en":" \u00a0 ","variants":[{"sku":"B1","price":1}]}`}, 422, "title"},
		{"stock beyond int4", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"title_en":"A","variants":[{"sku":"I1","price":1,"stock":2147483648}]}`}, 422, "variants[0].stock"},
		{"bulk stock beyond int4", request{method: "POST", path: "/api/v1/catalog/stock", host: host, token: owner, body: `{"items":[{"sku":"X","stock":2147483648}]}`}, 422, "items[0].stock"},
		{"weight beyond int4", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"title_en":"A","variants":[{"sku":"W1","price":1,"weight_grams":4294967296}]}`}, 422, "variants[0].weight_grams"},
		{"price beyond the money bound", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"title_en":"A","variants":[{"sku":"P1","price":9223372036854775807}]}`}, 422, "variants[0].price"},
		{"price beyond int64", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"title_en":"A","variants":[{"sku":"P2","price":9223372036854775808}]}`}, 422, "variants.price"},
		{"category position beyond bound", request{method: "POST", path: "/api/v1/categories", host: host, token: owner, body: `{"name_en":"C","position":2147483648}`}, 422, "position"},
		{"javascript link", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: product(`,"link":"javascript:alert(1)"`)}, 422, "link"},
		{"data picture", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: product(`,"media":[{"url":"data:image/png;base64,AAAA"}]`)}, 422, "media[0].url"},
		{"file category image", request{method: "POST", path: "/api/v1/categories", host: host, token: owner, body: `{"name_en":"C","image_url":"file:///etc/passwd"}`}, 422, "image_url"},
		{"ftp feed source", request{method: "POST", path: "/api/v1/catalog/sources", host: host, token: owner, body: `{"name":"f","kind":"url","url":"ftp://example.sa/f.csv"}`}, 422, "url"},
		{"javascript link in a patch", request{method: "PATCH", path: "/api/v1/products/nothing", host: host, token: owner, body: `{"link":"JavaScript:alert(1)"}`}, 422, "link"},
		{"duplicate JSON name", request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"title_en":"A","title_en":"B","variants":[{"sku":"D1","price":1}]}`}, 422, "title_en"},
		// Wrong methods.
		{"PUT on a GET route", request{method: "PUT", path: "/api/v1/store", host: host}, 405, ""},
		{"DELETE on health", request{method: "DELETE", path: "/healthz"}, 405, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ta.do(tc.req)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if r.status >= 400 {
				if !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") || r.json["request_id"] == nil || r.json["title_ar"] == nil {
					t.Fatalf("not a problem with a request id: %s", r.body)
				}
			}
			if tc.field != "" && !strings.Contains(r.body, fmt.Sprintf(`"field":%q`, tc.field)) {
				t.Fatalf("no field error for %s: %s", tc.field, r.body)
			}
			if tc.status == 405 && !strings.Contains(r.header.Get("Allow"), "GET") {
				t.Fatalf("405 without an Allow header naming GET: %v", r.header)
			}
		})
	}
	// Nothing was half-written: the only products are none.
	if r := ta.do(request{method: "GET", path: "/api/v1/catalog/products?status=draft", host: host, token: owner}); !strings.Contains(r.body, `"items":[]`) {
		t.Fatalf("a refused product was written: %s", r.body)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/catalog/products", host: host, token: owner}); !strings.Contains(r.body, `"items":[]`) {
		t.Fatalf("a refused product was written: %s", r.body)
	}

	t.Run("413 carries the request id", func(t *testing.T) {
		// Over BODY_LIMIT (the gateway's check) and over the server's own
		// limit (refused before any middleware runs).
		for _, size := range []int{5000, 20000} {
			body := `{"name_en":"` + strings.Repeat("x", size) + `"}`
			r := ta.do(request{method: "POST", path: "/api/v1/categories", host: host, token: owner, body: body})
			if r.status != 413 || r.json["code"] != "too_large" || r.json["request_id"] == nil || r.json["request_id"] == "" ||
				r.header.Get("X-Request-ID") != r.json["request_id"] {
				t.Fatalf("%d bytes: %d %v %s", size, r.status, r.header, r.body)
			}
		}
	})

	t.Run("ambiguous hosts", func(t *testing.T) {
		status, _, body := rawHTTP(t, ta, "GET /api/v1/store HTTP/1.1\r\nHost: acme.example.sa\r\nHost: beta.example.sa\r\nConnection: close\r\n\r\n")
		if status != 400 || !strings.Contains(body, "Host") {
			t.Fatalf("two Host headers: %d %s", status, body)
		}
		status, _, body = rawHTTP(t, ta, "GET /api/v1/store HTTP/1.1\r\nHost: beta.example.sa\r\nhost: acme.example.sa\r\nConnection: close\r\n\r\n")
		if status != 400 {
			t.Fatalf("two Host headers, second lower-case: %d %s", status, body)
		}
		status, _, body = rawHTTP(t, ta, "GET http://beta.example.sa/api/v1/store HTTP/1.1\r\nHost: acme.example.sa\r\nConnection: close\r\n\r\n")
		if status != 400 {
			t.Fatalf("absolute target for another host: %d %s", status, body)
		}
		status, _, body = rawHTTP(t, ta, "GET http://acme.example.sa/api/v1/store HTTP/1.1\r\nHost: acme.example.sa\r\nConnection: close\r\n\r\n")
		if status != 200 || !strings.Contains(body, `"slug":"acme"`) {
			t.Fatalf("absolute target agreeing with Host: %d %s", status, body)
		}
		status, _, body = rawHTTP(t, ta, "GET /api/v1/store HTTP/1.1\r\nHost: acme.example.sa\r\nConnection: close\r\n\r\n")
		if status != 200 {
			t.Fatalf("one Host: %d %s", status, body)
		}
		status, _, body = rawHTTP(t, ta, "GET /api/v1/store HTTP/1.1\r\nHost: ac\xffme.example.sa\r\nConnection: close\r\n\r\n")
		if status >= 500 {
			t.Fatalf("invalid UTF-8 host: %d %s", status, body)
		}
		status, _, body = rawHTTP(t, ta, "GET /api/v1/products/\xff\xfe HTTP/1.1\r\nHost: acme.example.sa\r\nConnection: close\r\n\r\n")
		if status != 400 {
			t.Fatalf("raw invalid bytes in the path: %d %s", status, body)
		}
	})

	t.Run("CORS compares whole origins", func(t *testing.T) {
		// PUBLIC_BASE_URL is http://localhost:8080: the product serves on
		// 80/443 and 8080; ENV=test allows http.
		for _, tc := range []struct {
			host, origin string
			ok           bool
		}{
			{host, "https://acme.example.sa", true},
			{host, "http://acme.example.sa", true},
			{host, "http://acme.example.sa:8080", true},
			{host, "http://acme.shop.test:8080", true},
			{host, "http://acme.example.sa:1", false},
			{host, "https://acme.example.sa:8443", false},
			{host, "ftp://acme.example.sa", false},
			{host, "https://beta.example.sa", false},
			{host, "https://acme.example.sa.evil.test", false},
			{host, "https://user@acme.example.sa", false},
			{host, "https://acme.example.sa/path", false},
			{host, "null", false},
		} {
			pre := ta.do(request{method: "OPTIONS", path: "/api/v1/store", host: tc.host,
				headers: map[string]string{"Origin": tc.origin, "Access-Control-Request-Method": "GET"}})
			simple := ta.do(request{method: "GET", path: "/api/v1/store", host: tc.host, headers: map[string]string{"Origin": tc.origin}})
			allowed := pre.status == 204 && pre.header.Get("Access-Control-Allow-Origin") == tc.origin
			if allowed != tc.ok || (simple.header.Get("Access-Control-Allow-Origin") != "") != tc.ok {
				t.Errorf("origin %s on %s: preflight %d %q, simple %q; want allowed=%v", tc.origin, tc.host, pre.status,
					pre.header.Get("Access-Control-Allow-Origin"), simple.header.Get("Access-Control-Allow-Origin"), tc.ok)
			}
			if !tc.ok && simple.header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("origin %s got credentials", tc.origin)
			}
		}
	})
}

// TestEdgeInProduction holds the production rules: links are https only and
// so are browser origins.
func TestEdgeInProduction(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, map[string]string{"ENV": "production", "SANDBOX_ENABLED": "false",
		"WHATSAPP_VERIFY_TOKEN": "prod-verify", "PUBLIC_BASE_URL": "https://concierge.example"})
	ta.tenant("acme")
	owner := ta.user("owner@acme.test", false, "acme", "owner")
	const host = "acme.example.sa"
	for _, tc := range []struct {
		name, path, body, field string
	}{
		{"http product link", "/api/v1/products", `{"title_en":"A","link":"http://acme.example.sa/a","variants":[{"sku":"H1","price":1}]}`, "link"},
		{"http picture", "/api/v1/products", `{"title_en":"A","media":[{"url":"http://cdn.example.sa/a.jpg"}],"variants":[{"sku":"H2","price":1}]}`, "media[0].url"},
		{"http category image", "/api/v1/categories", `{"name_en":"C","image_url":"http://cdn.example.sa/c.jpg"}`, "image_url"},
		{"http feed", "/api/v1/catalog/sources", `{"name":"f","kind":"url","url":"http://feeds.example.sa/f.csv"}`, "url"},
	} {
		r := ta.do(request{method: "POST", path: tc.path, host: host, token: owner, body: tc.body})
		if r.status != 422 || !strings.Contains(r.body, fmt.Sprintf(`"field":%q`, tc.field)) || !strings.Contains(r.body, "https://") {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
	}
	if r := ta.do(request{method: "POST", path: "/api/v1/products", host: host, token: owner,
		body: `{"title_en":"A","link":"https://acme.example.sa/a","variants":[{"sku":"OK","price":1}]}`}); r.status != 201 {
		t.Fatalf("https link: %d %s", r.status, r.body)
	}
	admin := ta.user("admin@ops.test", true, "", "")
	if r := ta.do(request{method: "PATCH", path: "/api/platform/tenants/acme", token: admin, body: `{"privacy_url":"http://acme.example.sa/privacy"}`}); r.status != 422 {
		t.Fatalf("http privacy URL in production: %d %s", r.status, r.body)
	}
	for _, tc := range []struct {
		origin string
		ok     bool
	}{{"https://acme.example.sa", true}, {"http://acme.example.sa", false}, {"https://acme.example.sa:8080", false}} {
		r := ta.do(request{method: "GET", path: "/api/v1/store", host: host, headers: map[string]string{"Origin": tc.origin}})
		if (r.header.Get("Access-Control-Allow-Origin") == tc.origin) != tc.ok {
			t.Errorf("origin %s in production: %q, want allowed=%v", tc.origin, r.header.Get("Access-Control-Allow-Origin"), tc.ok)
		}
	}
}

// testWhatsAppStaffReplyText: a staff reply that is blank or holds control
// characters is refused with a field error (never a 500, never an empty
// message); a multi-line reply goes out.
func testWhatsAppStaffReplyText(t *testing.T, ta *testApp) {
	n := waTenant(t, ta, "replytext")
	agent := n.ta.user("agent@replytext.test", false, n.slug, "agent")
	phone := waPhone()
	n.say(phone, sandbox.CustomerMessage{Text: "English"})
	n.waitBot(phone, 1, 15*time.Second)
	n.settle(phone, 15*time.Second)
	conv := n.convID(phone)
	path := "/api/v1/conversations/" + conv + "/reply"
	for _, body := range []string{`{"text":"   "}`, `{"text":"\n"}`, `{"text":"\t"}`, `{"text":"\u00a0"}`, `{"text":"\r\n \t"}`, `{"text":""}`,
		`{"text":"a\u0000b"}`, `{"text":"\u0007"}`, `{"text":"\ud800"}`, "{\"text\":\"\xff\"}"} {
		r := n.ta.do(request{method: "POST", path: path, host: n.host, token: agent, body: body})
		if r.status != 422 || !strings.Contains(r.body, `"field":"text"`) {
			t.Errorf("reply %s: %d %s", body, r.status, r.body)
		}
	}
	r := n.ta.do(request{method: "POST", path: path, host: n.host, token: agent, body: `{"text":"  Line one\nLine two\t(2)  "}`})
	if r.status != 202 {
		t.Fatalf("multi-line reply: %d %s", r.status, r.body)
	}
	got := n.waitBot(phone, 2, 15*time.Second)[1]
	if got.Text() != "Line one\nLine two\t(2)" {
		t.Fatalf("the customer got %q", got.Text())
	}
}

// testWhatsAppHostileText: a signed webhook whose texts hold NUL, other
// control characters or invalid UTF-8 (Meta's or a forger's with the right
// secret) is stored and answered like any message — never a 5xx, which Meta
// would retry for days — and nothing reaches the database that it refuses.
func testWhatsAppHostileText(t *testing.T, ta *testApp) {
	n := waTenant(t, ta, "hostile")
	for i, body := range []string{"a\x00b", "\x00", "bell\x07", "caf\xe9", "\xed\xa0\x80", "مرحبا\x00"} {
		phone := waPhone()
		raw := n.messages(map[string]string{phone: "Na\x00me\xff"}, waText(phone, body))
		r := n.post(raw, n.sign(raw))
		if r.status != 200 {
			t.Fatalf("case %d %q: webhook %d %s", i, body, r.status, r.body)
		}
		n.settle(phone, 15*time.Second)
	}
	// Raw escapes the Go encoder would not write: \u0000 and a lone surrogate.
	phone := waPhone()
	raw := []byte(strings.Replace(string(n.messages(nil, waText(phone, "PLACEHOLDER"))), "PLACEHOLDER", `x\u0000y\ud800z`, 1))
	if r := n.post(raw, n.sign(raw)); r.status != 200 {
		t.Fatalf("escaped NUL and surrogate: %d %s", r.status, r.body)
	}
	n.settle(phone, 15*time.Second)
}

// TestEdgeSlowClient: a client that sends its request too slowly (nothing
// at all, or half of it) gets 408 request_timeout when READ_TIMEOUT runs
// out, never a 5xx: the server is not what failed.
func TestEdgeSlowClient(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, map[string]string{"READ_TIMEOUT": "300ms"})
	for name, raw := range map[string]string{
		"nothing":         "",
		"half a request":  "GET /healthz HTTP/1.1\r\nHost: acme.exa",
		"headers, no end": "POST /api/v1/carts HTTP/1.1\r\nHost: acme.example.sa\r\nContent-Type: application/json\r\n",
	} {
		status, _, body := rawHTTP(t, ta, raw)
		if status != http.StatusRequestTimeout || !strings.Contains(body, `"code":"request_timeout"`) || !strings.Contains(body, "لم يصل الطلب في الوقت المحدد") {
			t.Errorf("%s: %d %s", name, status, body)
		}
	}
}
