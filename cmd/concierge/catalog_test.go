package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"concierge/internal/config"
)

func readFeedFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../modules/catalog/testdata/feeds/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitRun polls a run until it finished (the dev worker executes it).
func waitRun(t *testing.T, ta *testApp, host, token, id string) response {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := ta.do(request{method: "GET", path: "/api/v1/catalog/runs/" + id, host: host, token: token})
		if r.status != 200 {
			t.Fatalf("run %s: %d %s", id, r.status, r.body)
		}
		if s := r.json["status"]; s == "succeeded" || s == "failed" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s still %v", id, r.json["status"])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCatalogAPI drives the catalog over HTTP: an import by a staff member
// (a queued job the worker runs), the public reads by Host and by API key,
// staff edits and their refusals, and another tenant seeing none of it.
func TestCatalogAPI(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeDev, map[string]string{"BODY_LIMIT": "4096"})
	ta.tenant("souq")
	ta.tenant("other")
	owner := ta.user("owner@souq.test", false, "souq", "owner")
	viewer := ta.user("viewer@souq.test", false, "souq", "viewer")
	otherOwner := ta.user("owner@other.test", false, "other", "owner")
	const host, otherHost = "souq.example.sa", "other.example.sa"

	// The feed is larger than BODY_LIMIT: only imports may be.
	feed := readFeedFile(t, "v1.csv") + strings.Repeat("\n", 5000)
	r := ta.do(request{method: "POST", path: "/api/v1/catalog/imports?format=csv&name=v1.csv", host: host, token: owner, body: feed,
		headers: map[string]string{"Content-Type": "text/csv"}})
	if r.status != 202 || r.json["status"] != "queued" {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	runID := r.json["id"].(string)
	r = waitRun(t, ta, host, owner, runID)
	rep := r.json["report"].(map[string]any)
	if r.json["status"] != "succeeded" || rep["created"] != float64(4) || rep["rejected_count"] != float64(3) {
		t.Fatalf("run: %s", r.body)
	}
	// Rejection reasons in the reader's language (Arabic by default), both
	// kept; the run records who started it.
	first := rep["rejected"].([]any)[0].(map[string]any)
	if first["reason"] == "" || first["reason"] != first["reason_ar"] || first["reason_en"] != `price "abc" is not a number` ||
		first["reason_ar"] != `price "abc" ليس رقمًا` || r.json["requested_by"] != "user:owner@souq.test" {
		t.Fatalf("run report: %s", r.body)
	}
	r = ta.do(request{method: "GET", path: "/api/v1/catalog/runs/" + runID, host: host, token: owner, headers: map[string]string{"Accept-Language": "en"}})
	if first := r.json["report"].(map[string]any)["rejected"].([]any)[0].(map[string]any); first["reason"] != first["reason_en"] ||
		!strings.Contains(r.header.Get("Vary"), "Accept-Language") {
		t.Fatalf("run report in English: %s", r.body)
	}
	if big := ta.do(request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"title_en":"` + strings.Repeat("x", 5000) + `"}`}); big.status != 413 {
		t.Fatalf("large non-import body: %d", big.status)
	}
	if r := ta.do(request{method: "POST", path: "/api/v1/catalog/imports", host: host, token: viewer, body: "sku,price\n"}); r.status != 403 {
		t.Fatalf("viewer import: %d", r.status)
	}

	// Public reads, variants inline.
	r = ta.do(request{method: "GET", path: "/api/v1/products?q=" + url.QueryEscape("عبايه"), host: host})
	items, _ := r.json["items"].([]any)
	if r.status != 200 || len(items) != 1 || !strings.Contains(r.header.Get("Content-Type"), "charset=utf-8") {
		t.Fatalf("search: %d %s", r.status, r.body)
	}
	abaya := items[0].(map[string]any)
	variants := abaya["variants"].([]any)
	v0 := variants[0].(map[string]any)
	if len(variants) != 2 || v0["sku"] != "ABY-1-S" || v0["price"] != float64(34900) || v0["stock_state"] != "in_stock" || v0["stock"] != nil {
		t.Fatalf("variants inline (no stock quantities in public): %v", variants)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/products/black-crepe-abaya", host: host}); r.status != 200 || r.json["title"].(map[string]any)["ar"] != "عباية كريب سوداء" {
		t.Fatalf("by slug: %d %s", r.status, r.body)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/products/" + abaya["id"].(string), host: host}); r.status != 200 {
		t.Fatalf("by id: %d", r.status)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/categories", host: host}); r.status != 200 || len(r.json["items"].([]any)) != 5 {
		t.Fatalf("categories: %d %s", r.status, r.body)
	}
	for _, bad := range []string{"min_price=-1", "limit=500", "in_stock=maybe", "cursor=zzz", "min_price=500&max_price=100"} {
		if r := ta.do(request{method: "GET", path: "/api/v1/products?" + bad, host: host}); r.status != 422 || !strings.Contains(r.header.Get("Content-Type"), "problem+json") || r.json["errors"] == nil {
			t.Fatalf("%s: %d %s", bad, r.status, r.body)
		}
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/products/no-such-thing", host: host}); r.status != 404 {
		t.Fatalf("unknown product: %d", r.status)
	}

	// Staff edits: auth, validation, conflicts, and fresh public reads.
	if r := ta.do(request{method: "POST", path: "/api/v1/products", host: host, body: `{}`}); r.status != 401 {
		t.Fatalf("anonymous create: %d", r.status)
	}
	if r := ta.do(request{method: "POST", path: "/api/v1/products", host: host, token: viewer, body: `{}`}); r.status != 403 {
		t.Fatalf("viewer create: %d", r.status)
	}
	r = ta.do(request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"variants":[{"sku":"X-1","price":-5}]}`})
	if r.status != 422 || !strings.Contains(r.body, `"variants[0].price"`) {
		t.Fatalf("negative price: %d %s", r.status, r.body)
	}
	r = ta.do(request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"variants":[{"sku":"X-1","price":5}]}`})
	if r.status != 422 || !strings.Contains(r.body, `"title"`) || !strings.Contains(r.body, "message_ar") {
		t.Fatalf("no title: %d %s", r.status, r.body)
	}
	r = ta.do(request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"title_en":"Copy","variants":[{"sku":"TOB-1","price":5}]}`})
	if r.status != 409 || !strings.Contains(r.body, `"variants[0].sku"`) {
		t.Fatalf("duplicate SKU: %d %s", r.status, r.body)
	}
	r = ta.do(request{method: "POST", path: "/api/v1/products", host: host, token: owner, body: `{"title_en":"X","category_ids":["` + abaya["id"].(string) + `"],"variants":[{"sku":"X-2","price":5}]}`})
	if r.status != 422 || !strings.Contains(r.body, "unknown_category") {
		t.Fatalf("unknown category: %d %s", r.status, r.body)
	}
	r = ta.do(request{method: "PATCH", path: "/api/v1/products/black-crepe-abaya/variants/ABY-1-S", host: host, token: owner, body: `{"price":31900,"stock":null}`})
	if r.status != 200 || r.json["stock_state"] != "untracked" {
		t.Fatalf("patch variant: %d %s", r.status, r.body)
	}
	r = ta.do(request{method: "GET", path: "/api/v1/products/black-crepe-abaya", host: host})
	if !strings.Contains(r.body, `"price":31900`) {
		t.Fatalf("public read after a write is stale: %s", r.body)
	}
	r = ta.do(request{method: "POST", path: "/api/v1/catalog/stock", host: host, token: owner, body: `{"items":[{"sku":"ABY-1-M","stock":3},{"sku":"NOPE","stock":1}]}`})
	if r.status != 422 || !strings.Contains(r.body, "NOPE") {
		t.Fatalf("bulk stock with an unknown SKU: %d %s", r.status, r.body)
	}
	r = ta.do(request{method: "POST", path: "/api/v1/catalog/stock", host: host, token: owner, body: `{"items":[{"sku":"ABY-1-M","stock":3}]}`})
	if r.status != 200 || r.json["updated"] != float64(1) {
		t.Fatalf("bulk stock: %d %s", r.status, r.body)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/catalog/consistency", host: host, token: viewer}); r.status != 200 || r.json["drifted"] != float64(0) {
		t.Fatalf("consistency: %d %s", r.status, r.body)
	}

	// API keys: a client without a tenant host names the tenant by key.
	admin := ta.user("admin@ops.test", true, "", "")
	r = ta.do(request{method: "POST", path: "/api/platform/tenants/souq/api-keys", token: admin, body: `{"name":"mobile app"}`})
	key, _ := r.json["key"].(string)
	if r.status != 201 || !strings.HasPrefix(key, "ck_") {
		t.Fatalf("create key: %d %s", r.status, r.body)
	}
	if l := ta.do(request{method: "GET", path: "/api/platform/tenants/souq/api-keys", token: admin}); strings.Contains(l.body, key) {
		t.Fatal("the key list shows the key")
	}
	withKey := func(k string) response {
		return ta.do(request{method: "GET", path: "/api/v1/products/black-crepe-abaya", headers: map[string]string{"X-API-Key": k}})
	}
	if r := withKey(key); r.status != 200 {
		t.Fatalf("by API key: %d %s", r.status, r.body)
	}
	if r := withKey("ck_wrong"); r.status != 401 {
		t.Fatalf("bad key: %d", r.status)
	}
	// The key names its tenant even on another tenant's host.
	if r := ta.do(request{method: "GET", path: "/api/v1/products/black-crepe-abaya", host: otherHost, headers: map[string]string{"X-API-Key": key}}); r.status != 200 {
		t.Fatalf("key on another host: %d", r.status)
	}
	if r := ta.do(request{method: "DELETE", path: "/api/platform/tenants/souq/api-keys/" + r.json["id"].(string), token: admin}); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := withKey(key); r.status != 401 {
		t.Fatalf("revoked key: %d", r.status)
	}

	// Another tenant: none of it, by host, by id, by staff.
	if r := ta.do(request{method: "GET", path: "/api/v1/products/" + abaya["id"].(string), host: otherHost}); r.status != 404 {
		t.Fatalf("other tenant reads the product: %d", r.status)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/products?q=abaya", host: otherHost}); len(r.json["items"].([]any)) != 0 {
		t.Fatalf("other tenant finds the product: %s", r.body)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/catalog/runs/" + runID, host: otherHost, token: otherOwner}); r.status != 404 {
		t.Fatalf("other tenant reads the run: %d", r.status)
	}
	if r := ta.do(request{method: "PATCH", path: "/api/v1/products/" + abaya["id"].(string), host: otherHost, token: otherOwner, body: `{"title_en":"pwned"}`}); r.status != 404 {
		t.Fatalf("other tenant edits the product: %d", r.status)
	}
	if r := ta.do(request{method: "PATCH", path: "/api/v1/products/" + abaya["id"].(string), host: host, token: otherOwner, body: `{"title_en":"pwned"}`}); r.status != 403 {
		t.Fatalf("other tenant's staff on this host: %d", r.status)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/catalog/products/" + abaya["id"].(string), host: host, token: owner}); r.json["title"].(map[string]any)["en"] != "Black Crepe Abaya" {
		t.Fatalf("product changed by another tenant: %s", r.body)
	}
}

// TestCatalogImportCLI: `concierge catalog import` waits for the run and
// prints its report; rejected rows do not fail it, a failed run does; a feed
// on 127.0.0.1 is refused unless CATALOG_FETCH_ALLOW opens it.
func TestCatalogImportCLI(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, nil)
	ta.tenant("clishop")
	ctx := context.Background()
	cfg, _ := config.Load(func(k string) string { return ta.env[k] })
	file := t.TempDir() + "/feed.csv"
	if err := os.WriteFile(file, []byte(readFeedFile(t, "v1.csv")), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := catalogCmd(ctx, cfg, []string{"import", "--tenant", "clishop", "--json", file}, &out); err != nil {
		t.Fatalf("import with rejected rows must succeed: %v", err)
	}
	var rep runReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Status != "succeeded" || rep.Report.Created != 4 || rep.Report.Rejects != 3 {
		t.Fatalf("report: %v %s", err, out.String())
	}
	out.Reset()
	if err := catalogCmd(ctx, cfg, []string{"import", "--tenant", "clishop", "--format", "csv", "--full", file}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "unchanged 4") || !strings.Contains(out.String(), "line 5") {
		t.Fatalf("text report: %s", out.String())
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(readFeedFile(t, "v2.csv")))
	}))
	defer srv.Close()
	out.Reset()
	err := catalogCmd(ctx, cfg, []string{"import", "--tenant", "clishop", srv.URL + "/feed.csv"}, &out)
	if err == nil || !strings.Contains(out.String(), "blocked") {
		t.Fatalf("loopback URL: %v %s", err, out.String())
	}
	env := map[string]string{}
	for k, v := range ta.env {
		env[k] = v
	}
	env["CATALOG_FETCH_ALLOW"] = "127.0.0.1/32"
	allowed, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := catalogCmd(ctx, allowed, []string{"import", "--tenant", "clishop", "--json", srv.URL + "/feed.csv"}, &out); err != nil {
		t.Fatalf("allowed URL: %v %s", err, out.String())
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Report.Updated != 2 {
		t.Fatalf("URL report: %s", out.String())
	}
	if err := catalogCmd(ctx, cfg, []string{"import", "--tenant", "clishop"}, &out); err == nil {
		t.Fatal("import without a file must be a usage error")
	}
}

// TestCatalogRoutesAcrossTenants tries every catalog route as tenant B's
// owner (on B's host) with tenant A's ids, SKUs and slugs: B gets 404 (or,
// for the bulk updates by SKU, 422 naming the SKU as unknown), and A's
// catalog is unchanged afterwards.
func TestCatalogRoutesAcrossTenants(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeDev, nil)
	ta.tenant("tenanta")
	ta.tenant("tenantb")
	ownerA := ta.user("owner@a.test", false, "tenanta", "owner")
	ownerB := ta.user("owner@b.test", false, "tenantb", "owner")
	const hostA, hostB = "tenanta.example.sa", "tenantb.example.sa"

	r := ta.do(request{method: "POST", path: "/api/v1/categories", host: hostA, token: ownerA, body: `{"name_ar":"عطور","name_en":"Perfumes","slug":"perfumes"}`})
	if r.status != 201 {
		t.Fatalf("category: %d %s", r.status, r.body)
	}
	catID := r.json["id"].(string)
	r = ta.do(request{method: "POST", path: "/api/v1/products", host: hostA, token: ownerA, body: `{"title_ar":"دهن عود","title_en":"Oud Oil","slug":"oud-oil",
		"category_ids":["` + catID + `"],"media":[{"url":"https://cdn.example.sa/oud.jpg"}],"variants":[{"sku":"OUD-1","price":45000,"stock":4}]}`})
	if r.status != 201 {
		t.Fatalf("product: %d %s", r.status, r.body)
	}
	productID := r.json["id"].(string)
	variantID := r.json["variants"].([]any)[0].(map[string]any)["id"].(string)
	mediaID := r.json["media"].([]any)[0].(map[string]any)["id"].(string)
	r = ta.do(request{method: "POST", path: "/api/v1/catalog/sources", host: hostA, token: ownerA, body: `{"name":"feed","kind":"upload"}`})
	sourceID := r.json["id"].(string)
	r = ta.do(request{method: "POST", path: "/api/v1/catalog/imports?format=csv", host: hostA, token: ownerA, body: readFeedFile(t, "v1.csv")})
	runID := r.json["id"].(string)
	waitRun(t, ta, hostA, ownerA, runID)
	before := ta.do(request{method: "GET", path: "/api/v1/catalog/products/" + productID, host: hostA, token: ownerA}).body

	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/api/v1/products/" + productID, "", 404},
		{"GET", "/api/v1/products/oud-oil", "", 404},
		{"GET", "/api/v1/catalog/products/" + productID, "", 404},
		{"PATCH", "/api/v1/products/" + productID, `{"title_en":"pwned"}`, 404},
		{"DELETE", "/api/v1/products/" + productID, "", 404},
		{"POST", "/api/v1/products/" + productID + "/variants", `{"sku":"X-9","price":1}`, 404},
		{"PATCH", "/api/v1/products/" + productID + "/variants/" + variantID, `{"price":1}`, 404},
		{"PATCH", "/api/v1/products/" + productID + "/variants/OUD-1", `{"price":1}`, 404},
		{"DELETE", "/api/v1/products/" + productID + "/variants/" + variantID, "", 404},
		{"POST", "/api/v1/products/" + productID + "/media", `{"url":"https://evil.example/x.jpg"}`, 404},
		{"DELETE", "/api/v1/products/" + productID + "/media/" + mediaID, "", 404},
		{"PUT", "/api/v1/categories/" + catID, `{"name_en":"pwned"}`, 404},
		{"PUT", "/api/v1/categories/perfumes", `{"name_en":"pwned"}`, 404},
		{"DELETE", "/api/v1/categories/" + catID, "", 404},
		{"POST", "/api/v1/products", `{"title_en":"X","category_ids":["` + catID + `"],"variants":[{"sku":"X-1","price":1}]}`, 422},
		{"POST", "/api/v1/catalog/stock", `{"items":[{"sku":"OUD-1","stock":0}]}`, 422},
		{"POST", "/api/v1/catalog/prices", `{"items":[{"sku":"OUD-1","price":1}]}`, 422},
		{"GET", "/api/v1/catalog/sources/" + sourceID, "", 404},
		{"DELETE", "/api/v1/catalog/sources/" + sourceID, "", 404},
		{"POST", "/api/v1/catalog/sources/" + sourceID + "/runs", "sku,price\n", 404},
		{"GET", "/api/v1/catalog/runs/" + runID, "", 404},
	} {
		r := ta.do(request{method: tc.method, path: tc.path, host: hostB, token: ownerB, body: tc.body})
		if r.status != tc.want {
			t.Errorf("%s %s as tenant B: %d %s, want %d", tc.method, tc.path, r.status, r.body, tc.want)
		}
	}
	// Lists of B hold nothing of A's.
	for _, path := range []string{"/api/v1/products?q=oud", "/api/v1/categories", "/api/v1/catalog/products", "/api/v1/catalog/sources", "/api/v1/catalog/runs"} {
		r := ta.do(request{method: "GET", path: path, host: hostB, token: ownerB})
		if r.status != 200 || strings.Contains(r.body, productID) || strings.Contains(r.body, catID) || strings.Contains(r.body, sourceID) || strings.Contains(r.body, runID) {
			t.Errorf("GET %s as tenant B: %d %s", path, r.status, r.body)
		}
	}
	// B's staff token on A's host is refused outright.
	if r := ta.do(request{method: "PATCH", path: "/api/v1/products/" + productID, host: hostA, token: ownerB, body: `{"title_en":"pwned"}`}); r.status != 403 {
		t.Errorf("tenant B's staff on tenant A's host: %d", r.status)
	}
	if after := ta.do(request{method: "GET", path: "/api/v1/catalog/products/" + productID, host: hostA, token: ownerA}).body; after != before {
		t.Fatalf("tenant A's product changed:\nbefore %s\nafter  %s", before, after)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/catalog/sources/" + sourceID, host: hostA, token: ownerA}); r.status != 200 {
		t.Fatalf("tenant A's source is gone: %d", r.status)
	}
}
