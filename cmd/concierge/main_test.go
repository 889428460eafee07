package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"concierge/internal/config"
	"concierge/internal/secrets"
	"concierge/internal/testenv"
	"concierge/modules/identity"
	"concierge/tenants"
)

// testApp is the real product booted on 127.0.0.1:0 against a fresh database
// (as the app role) and its own Redis key space.
type testApp struct {
	t    testing.TB
	base string
	app  *App
	env  map[string]string
}

func startApp(t testing.TB, m mode, overrides map[string]string) *testApp {
	t.Helper()
	d := testenv.NewDatabase(t)
	_, prefix := testenv.Redis(t)
	// Listen first, so HTTP_ADDR (which the WhatsApp emulator and its
	// webhooks use) is the real address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"HTTP_ADDR":       ln.Addr().String(),
		"DATABASE_URL":    d.AppURL,
		"REDIS_URL":       os.Getenv("REDIS_URL"),
		"REDIS_PREFIX":    prefix,
		"MASTER_KEY":      secrets.GenerateKey(),
		"PLATFORM_DOMAIN": "shop.test",
		"ENV":             "test",
		"LOG_LEVEL":       "error",
		"DB_MAX_CONNS":    "10",
		"JOB_WORKERS":     "2",
		"METRICS_ADDR":    "127.0.0.1:0",
	}
	for k, v := range overrides {
		env[k] = v
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, newLogger(cfg.LogLevel, io.Discard), m)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("app run: %v", err)
		}
	})
	return &testApp{t: t, base: "http://" + ln.Addr().String(), app: a, env: env}
}

// tenant onboards a tenant with a custom domain.
func (ta *testApp) tenant(slug string) *tenants.Tenant {
	ta.t.Helper()
	ctx := context.Background()
	tn, err := ta.app.deps.tenants.Create(ctx, "test", tenants.CreateInput{Slug: slug, NameEN: "Store " + slug, NameAR: "متجر " + slug})
	if err != nil {
		ta.t.Fatal(err)
	}
	if _, err := ta.app.deps.tenants.AddDomain(ctx, "test", slug, tenants.DomainInput{Host: slug + ".example.sa"}); err != nil {
		ta.t.Fatal(err)
	}
	return tn
}

// user creates a user and logs in, returning an access token.
func (ta *testApp) user(email string, platformAdmin bool, tenant, role string) string {
	ta.t.Helper()
	_, _, err := ta.app.identity.CreateUser(context.Background(), identity.CreateUserInput{
		Email: email, Password: "correct horse battery", PlatformAdmin: platformAdmin, TenantSlugOrID: tenant, Role: role})
	if err != nil {
		ta.t.Fatal(err)
	}
	res := ta.do(request{method: "POST", path: "/api/auth/login", body: fmt.Sprintf(`{"email":%q,"password":"correct horse battery"}`, email)})
	if res.status != 200 {
		ta.t.Fatalf("login %s: %d %s", email, res.status, res.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(res.raw, &tok)
	return tok.AccessToken
}

type request struct {
	method, path, host, token, body string
	headers                         map[string]string
}

type response struct {
	status int
	header http.Header
	raw    []byte
	body   string
	json   map[string]any
}

func (ta *testApp) do(r request) response {
	ta.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, ta.base+r.path, body)
	if err != nil {
		ta.t.Fatal(err)
	}
	if r.host != "" {
		req.Host = r.host
	}
	if r.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ta.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, header: res.Header, raw: raw, body: string(raw)}
	_ = json.Unmarshal(raw, &out.json)
	return out
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeDev, nil)
	if r := ta.do(request{method: "GET", path: "/healthz"}); r.status != 200 {
		t.Fatalf("healthz: %d %s", r.status, r.body)
	}
	r := ta.do(request{method: "GET", path: "/readyz"})
	if r.status != 200 || !strings.Contains(r.body, `"migrations":"ok"`) || !strings.Contains(r.body, `"postgres":"ok"`) || !strings.Contains(r.body, `"redis":"ok"`) {
		t.Fatalf("readyz: %d %s", r.status, r.body)
	}
	status, body := ta.metrics()
	if status != 200 || !strings.Contains(body, `http_requests_total{method="GET",route="/readyz",status="200"}`) {
		t.Fatalf("metrics lack the readyz request by route template:\n%.2000s", body)
	}
	// Not on the public listener.
	if r := ta.do(request{method: "GET", path: "/metrics"}); r.status != 404 {
		t.Fatalf("/metrics on the gateway: %d %s", r.status, r.body)
	}
}

// metrics scrapes the app's private METRICS_ADDR listener.
func (ta *testApp) metrics() (int, string) {
	ta.t.Helper()
	if ta.app.metricsLn == nil {
		ta.t.Fatal("no metrics listener")
	}
	res, err := http.Get("http://" + ta.app.metricsLn.Addr().String() + "/metrics")
	if err != nil {
		ta.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestNewAppFailsCleanly: a step of the start-up that fails (the database
// unreachable; METRICS_ADDR taken, after the databases were opened) ends
// newApp with that error and releases what was built, never a panic.
func TestNewAppFailsCleanly(t *testing.T) {
	t.Parallel()
	d := testenv.NewDatabase(t)
	_, prefix := testenv.Redis(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := "postgres://app@" + closed.Addr().String() + "/x?sslmode=disable"
	closed.Close()
	for _, tc := range []struct{ name, dbURL, metrics, want string }{
		{"database unreachable", unreachable, "127.0.0.1:0", "db: ping"},
		{"metrics address taken", d.AppURL, taken.Addr().String(), "METRICS_ADDR"},
	} {
		env := map[string]string{"DATABASE_URL": tc.dbURL, "REDIS_URL": os.Getenv("REDIS_URL"), "REDIS_PREFIX": prefix,
			"MASTER_KEY": secrets.GenerateKey(), "ENV": "test", "METRICS_ADDR": tc.metrics, "DB_MAX_CONNS": "2"}
		cfg, err := config.Load(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		a, err := newApp(t.Context(), cfg, newLogger("error", io.Discard), modeServe)
		if a != nil || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: app %v, error %v; want an error naming %q", tc.name, a, err, tc.want)
		}
	}
}

func TestWorkerServesOnlyHealthAndMetrics(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeWorker, nil)
	if r := ta.do(request{method: "GET", path: "/readyz"}); r.status != 200 {
		t.Fatalf("worker readyz: %d %s", r.status, r.body)
	}
	status, body := ta.metrics()
	if status != 200 || !strings.Contains(body, `concierge_jobs{queue="maintenance",state="discarded"} 0`) {
		t.Fatalf("worker metrics lack the job gauges: %d\n%.3000s", status, body)
	}
	if r := ta.do(request{method: "GET", path: "/metrics"}); r.status != 404 {
		t.Fatalf("worker serves /metrics on HTTP_ADDR: %d", r.status)
	}
	if r := ta.do(request{method: "POST", path: "/api/auth/login", body: `{}`}); r.status != 404 {
		t.Fatalf("worker serves the API: %d", r.status)
	}
}

func TestStoreProfileByHost(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, nil)
	ta.tenant("acme")
	for _, host := range []string{"acme.example.sa", "acme.shop.test", "acme.localhost:8080"} {
		r := ta.do(request{method: "GET", path: "/api/v1/store", host: host})
		if r.status != 200 || r.json["slug"] != "acme" || r.json["name_ar"] != "متجر acme" || r.json["currency"] != "SAR" {
			t.Fatalf("store via %s: %d %s", host, r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Fatalf("content type %q lacks charset", ct)
		}
	}
}

// TestBadInputStatuses holds each documented refusal to its status and
// problem+json body.
func TestBadInputStatuses(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, map[string]string{"BODY_LIMIT": "4096"})
	ta.tenant("acme")
	admin := ta.user("admin@ops.test", true, "", "")
	owner := ta.user("owner@acme.test", false, "acme", "owner")
	viewer := ta.user("viewer@acme.test", false, "acme", "viewer")
	big := `{"slug":"big","name_en":"` + strings.Repeat("x", 5000) + `","name_ar":"x"}`
	cases := []struct {
		name   string
		req    request
		status int
		code   string
		field  string
	}{
		{"unknown host", request{method: "GET", path: "/api/v1/store", host: "nobody.example.sa"}, 404, "not_found", ""},
		{"unknown route", request{method: "GET", path: "/api/v1/nothing-here", host: "acme.example.sa"}, 404, "not_found", ""},
		{"malformed JSON", request{method: "POST", path: "/api/platform/tenants", token: admin, body: `{"slug":`}, 400, "malformed", ""},
		{"invalid fields", request{method: "POST", path: "/api/platform/tenants", token: admin, body: `{"slug":"Bad Slug!","name_en":""}`}, 422, "invalid", "slug"},
		{"unknown field", request{method: "POST", path: "/api/platform/tenants", token: admin, body: `{"slug":"ok","name_en":"a","name_ar":"b","tenant_id":"x"}`}, 422, "invalid", "tenant_id"},
		{"duplicate slug", request{method: "POST", path: "/api/platform/tenants", token: admin, body: `{"slug":"acme","name_en":"a","name_ar":"b"}`}, 409, "conflict", "slug"},
		{"oversize body", request{method: "POST", path: "/api/platform/tenants", token: admin, body: big}, 413, "too_large", ""},
		{"no token", request{method: "GET", path: "/api/platform/tenants"}, 401, "unauthorized", ""},
		{"garbled token", request{method: "GET", path: "/api/platform/tenants", token: "not.a.jwt"}, 401, "unauthorized", ""},
		{"tampered token", request{method: "GET", path: "/api/platform/tenants", token: owner[:len(owner)-3] + "abc"}, 401, "unauthorized", ""},
		{"owner on platform route", request{method: "GET", path: "/api/platform/tenants", token: owner}, 403, "forbidden", ""},
		{"viewer reading audit is allowed", request{method: "GET", path: "/api/v1/audit", host: "acme.example.sa", token: viewer}, 200, "", ""},
		{"bad limit", request{method: "GET", path: "/api/v1/audit?limit=0", host: "acme.example.sa", token: owner}, 422, "invalid", "limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ta.do(tc.req)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.code == "" {
				return
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Fatalf("content type %q, want problem+json", ct)
			}
			if r.json["code"] != tc.code || r.json["request_id"] == "" || r.json["title_ar"] == "" {
				t.Fatalf("problem body %s, want code %s with request_id and Arabic title", r.body, tc.code)
			}
			if tc.field != "" && !strings.Contains(r.body, `"field":"`+tc.field+`"`) {
				t.Fatalf("problem lacks field error for %s: %s", tc.field, r.body)
			}
		})
	}
	// Nothing half-written: the refused tenants do not exist.
	list := ta.do(request{method: "GET", path: "/api/platform/tenants", token: admin})
	if strings.Contains(list.body, `"big"`) || strings.Contains(list.body, `"ok"`) {
		t.Fatalf("a refused tenant was written: %s", list.body)
	}
}

func TestExpiredTokenIs401(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, nil)
	ta.user("admin@ops.test", true, "", "")
	real := ta.user("admin@ops.test", true, "", "")
	me := ta.do(request{method: "GET", path: "/api/auth/me", token: real})
	var issued identity.AccessClaims
	if _, _, err := jwt.NewParser().ParseUnverified(real, &issued); err != nil || issued.Session == "" {
		t.Fatalf("the issued token names no session: %v %+v", err, issued)
	}
	// A token signed with the product's own key, of a live session, whose
	// lifetime has passed.
	past := time.Now().Add(-time.Hour)
	claims := identity.AccessClaims{Email: "admin@ops.test", PlatformAdmin: true, Session: issued.Session, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: identity.Issuer, Subject: me.json["id"].(string), ID: "x",
		IssuedAt: jwt.NewNumericDate(past.Add(-15 * time.Minute)), ExpiresAt: jwt.NewNumericDate(past),
	}}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(ta.app.deps.keys.Derive("jwt"))
	if err != nil {
		t.Fatal(err)
	}
	r := ta.do(request{method: "GET", path: "/api/platform/tenants", token: tok})
	if r.status != 401 || r.json["code"] != "unauthorized" {
		t.Fatalf("expired token: %d %s", r.status, r.body)
	}
	// The same claims, still valid, pass: the refusal was the expiry.
	claims.ExpiresAt = jwt.NewNumericDate(time.Now().Add(time.Minute))
	tok, _ = jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(ta.app.deps.keys.Derive("jwt"))
	if r := ta.do(request{method: "GET", path: "/api/platform/tenants", token: tok}); r.status != 200 {
		t.Fatalf("fresh token: %d %s", r.status, r.body)
	}
	// Without a session it cannot be revoked, so it is refused.
	claims.Session = ""
	tok, _ = jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(ta.app.deps.keys.Derive("jwt"))
	if r := ta.do(request{method: "GET", path: "/api/platform/tenants", token: tok}); r.status != 401 {
		t.Fatalf("token without a session: %d %s", r.status, r.body)
	}
}

func TestRateLimitPerIP(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, map[string]string{"RATE_LIMIT_IP": "3"})
	ta.tenant("acme")
	var last response
	for i := 0; i < 10; i++ {
		last = ta.do(request{method: "GET", path: "/api/v1/store", host: "acme.example.sa"})
		if last.status == 429 {
			break
		}
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" || last.json["code"] != "rate_limited" {
		t.Fatalf("no 429 with Retry-After after the burst: %d %v %s", last.status, last.header, last.body)
	}
}

func TestPlatformOnboardingAPI(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, nil)
	admin := ta.user("admin@ops.test", true, "", "")
	r := ta.do(request{method: "POST", path: "/api/platform/tenants", token: admin,
		body: `{"slug":"souq","name_en":"Souq","name_ar":"سوق","default_locale":"ar","currency":"SAR"}`})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := r.json["id"].(string)
	if r := ta.do(request{method: "POST", path: "/api/platform/tenants/souq/domains", token: admin, body: `{"host":"souq.example.sa","is_primary":true}`}); r.status != 201 {
		t.Fatalf("add domain: %d %s", r.status, r.body)
	}
	if r := ta.do(request{method: "POST", path: "/api/platform/tenants/" + id + "/numbers", token: admin,
		body: `{"phone_number_id":"1234567890","display_phone":"+966500000001","access_token":"T","app_secret":"S"}`}); r.status != 201 || strings.Contains(r.body, `"T"`) {
		t.Fatalf("add number: %d %s", r.status, r.body)
	}
	if r := ta.do(request{method: "POST", path: "/api/platform/tenants/souq/numbers", token: admin,
		body: `{"phone_number_id":"12ab","display_phone":"0500","access_token":"T","app_secret":"S"}`}); r.status != 422 ||
		!strings.Contains(r.body, `"field":"phone_number_id"`) || !strings.Contains(r.body, `"field":"display_phone"`) {
		t.Fatalf("bad number: %d %s", r.status, r.body)
	}
	nums := ta.do(request{method: "GET", path: "/api/platform/tenants/souq/numbers", token: admin})
	if !strings.Contains(nums.body, `"phone_number_id":"1234567890"`) || strings.Contains(nums.body, `"S"`) {
		t.Fatalf("numbers: %s", nums.body)
	}
	if r := ta.do(request{method: "GET", path: "/api/v1/store", host: "souq.example.sa"}); r.status != 200 {
		t.Fatalf("store on new domain: %d %s", r.status, r.body)
	}
	// Suspension through PATCH is a clear refusal on the storefront API.
	if r := ta.do(request{method: "PATCH", path: "/api/platform/tenants/souq", token: admin, body: `{"status":"suspended"}`}); r.status != 200 || r.json["status"] != "suspended" {
		t.Fatalf("suspend: %d %s", r.status, r.body)
	}
	// The refusal speaks the reader's language: Arabic by default, English
	// when asked, with both titles kept.
	r = ta.do(request{method: "GET", path: "/api/v1/store", host: "souq.example.sa"})
	if r.status != 403 || r.json["detail"] != "هذا المتجر موقوف مؤقتًا." || r.json["title_en"] != "Forbidden" || r.json["title_ar"] != "ممنوع" {
		t.Fatalf("suspended store: %d %s", r.status, r.body)
	}
	r = ta.do(request{method: "GET", path: "/api/v1/store", host: "souq.example.sa", headers: map[string]string{"Accept-Language": "en-US,en;q=0.9"}})
	if r.status != 403 || r.json["detail"] != "This store is suspended." || r.json["title"] != "Forbidden" || !strings.Contains(r.header.Get("Vary"), "Accept-Language") {
		t.Fatalf("suspended store in English: %d %s", r.status, r.body)
	}
	// The actions are in the audit chain, which verifies.
	v := ta.do(request{method: "GET", path: "/api/platform/audit/verify", token: admin})
	if v.status != 200 || v.json["intact"] != true || v.json["entries"].(float64) < 4 {
		t.Fatalf("audit verify: %s", v.body)
	}
}

// TestIsolationOverHTTP tries every tenant route with another tenant's host
// and credentials and expects nothing to cross. New modules add their routes.
func TestIsolationOverHTTP(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, nil)
	ta.tenant("alpha")
	ta.tenant("beta")
	alphaOwner := ta.user("owner@alpha.test", false, "alpha", "owner")
	betaOwner := ta.user("owner@beta.test", false, "beta", "owner")
	admin := ta.user("admin@ops.test", true, "", "")

	// Store profiles never mix.
	for _, slug := range []string{"alpha", "beta"} {
		r := ta.do(request{method: "GET", path: "/api/v1/store", host: slug + ".example.sa"})
		if r.json["slug"] != slug {
			t.Fatalf("%s host served %s", slug, r.body)
		}
	}
	// A tenant's staff cannot use their token on another tenant's host.
	for _, c := range []struct {
		name, host, token string
		status            int
	}{
		{"alpha owner on beta", "beta.example.sa", alphaOwner, 403},
		{"beta owner on alpha", "alpha.example.sa", betaOwner, 403},
		{"alpha owner on alpha", "alpha.example.sa", alphaOwner, 200},
	} {
		r := ta.do(request{method: "GET", path: "/api/v1/audit", host: c.host, token: c.token})
		if r.status != c.status {
			t.Fatalf("%s: %d %s", c.name, r.status, r.body)
		}
		if r.status == 200 && (strings.Contains(r.body, "beta") || !strings.Contains(r.body, "alpha")) {
			t.Fatalf("%s: audit trail crosses tenants: %s", c.name, r.body)
		}
	}
	// Even a platform admin on a tenant host sees only that tenant's rows.
	r := ta.do(request{method: "GET", path: "/api/v1/audit", host: "beta.example.sa", token: admin})
	if r.status != 200 || strings.Contains(r.body, "alpha") || !strings.Contains(r.body, "beta") {
		t.Fatalf("admin on beta: %d %s", r.status, r.body)
	}
	// CORS: alpha's origin is allowed on alpha, refused on beta.
	pre := func(host, origin string) response {
		return ta.do(request{method: "OPTIONS", path: "/api/v1/store", host: host,
			headers: map[string]string{"Origin": origin, "Access-Control-Request-Method": "GET"}})
	}
	if r := pre("alpha.example.sa", "https://alpha.example.sa"); r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "https://alpha.example.sa" {
		t.Fatalf("alpha preflight: %d %v", r.status, r.header)
	}
	if r := pre("beta.example.sa", "https://alpha.example.sa"); r.status == 204 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("alpha origin allowed on beta: %d %v", r.status, r.header)
	}
}

func TestCLIOnboarding(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, nil)
	ctx := context.Background()
	cfg, _ := config.Load(func(k string) string { return ta.env[k] })
	var out bytes.Buffer
	if err := tenantCmd(ctx, cfg, []string{"create", "--slug", "acme", "--name-en", "Acme", "--name-ar", "أكمي", "--json"}, &out); err != nil {
		t.Fatal(err)
	}
	// --json speaks the API's field names (so `| jq -r .id` works).
	var created map[string]any
	if err := json.Unmarshal(out.Bytes(), &created); err != nil || created["slug"] != "acme" || created["name_ar"] != "أكمي" ||
		created["id"] == nil || created["ID"] != nil {
		t.Fatalf("create --json: %v %s", err, out.String())
	}
	out.Reset()
	if err := tenantCmd(ctx, cfg, []string{"add-whatsapp-number", "--tenant", "acme", "--phone-number-id", "1234567890",
		"--display-phone", "+966500000001", "--app-secret", "S", "--access-token", "T", "--json"}, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), `"T"`) || strings.Contains(out.String(), `"S"`) {
		t.Fatalf("CLI printed a secret: %s", out.String())
	}
	if strings.Contains(out.String(), `"AccessToken"`) || !strings.Contains(out.String(), `"phone_number_id": "1234567890"`) {
		t.Fatalf("add-whatsapp-number --json: %s", out.String())
	}
	out.Reset()
	if err := tenantCmd(ctx, cfg, []string{"add-domain", "--tenant", "acme", "--host", "shop.acme.sa", "--json"}, &out); err != nil ||
		!strings.Contains(out.String(), `"host": "shop.acme.sa"`) || !strings.Contains(out.String(), `"is_primary": false`) {
		t.Fatalf("add-domain --json: %v %s", err, out.String())
	}
	for _, args := range [][]string{{"list", "--json"}, {"show", "--tenant", "acme", "--json"}, {"suspend", "--tenant", "acme", "--json"},
		{"activate", "--tenant", "acme", "--json"}} {
		out.Reset()
		if err := tenantCmd(ctx, cfg, args, &out); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.Contains(out.String(), `"slug": "acme"`) || strings.Contains(out.String(), `"Slug"`) || strings.Contains(out.String(), `"NameEN"`) {
			t.Fatalf("%v does not use the API's field names: %s", args, out.String())
		}
	}
	err := tenantCmd(ctx, cfg, []string{"create", "--slug", "Bad Slug", "--name-en", "x", "--name-ar", "y"}, &out)
	if err == nil || !strings.Contains(err.Error(), "--slug") {
		t.Fatalf("bad slug: %v", err)
	}
	// Flags pass the same text rules as the API: a NUL is refused, not sent to SQL.
	err = tenantCmd(ctx, cfg, []string{"create", "--slug", "nul", "--name-en", "a\x00b", "--name-ar", "y"}, &out)
	if err == nil || !strings.Contains(err.Error(), "--name-en") || !strings.Contains(err.Error(), "control") {
		t.Fatalf("NUL in a flag: %v", err)
	}
	// The records show up through the platform API.
	admin := ta.user("admin@ops.test", true, "", "")
	r := ta.do(request{method: "GET", path: "/api/platform/tenants/acme/numbers", token: admin})
	if r.status != 200 || !strings.Contains(r.body, `"phone_number_id":"1234567890"`) || !strings.Contains(r.body, `"display_phone":"+966500000001"`) {
		t.Fatalf("number not visible through the API: %d %s", r.status, r.body)
	}
	r = ta.do(request{method: "GET", path: "/api/platform/tenants/acme", token: admin})
	if r.json["name_ar"] != "أكمي" {
		t.Fatalf("tenant through the API: %s", r.body)
	}
	// user create reads the password from stdin and is idempotent.
	for i := 0; i < 2; i++ {
		out.Reset()
		if err := userCmd(ctx, cfg, []string{"create", "--email", "Owner@Acme.test", "--password-stdin", "--tenant", "acme", "--role", "owner"},
			strings.NewReader("a long enough password\n"), &out); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(out.String(), "updated user owner@acme.test") {
		t.Fatalf("second user create: %s", out.String())
	}
}

// TestHelpListsEveryCommand holds `concierge help` to the command table and
// to the catalog's subcommands.
func TestHelpListsEveryCommand(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"help"}, strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	help := out.String()
	for name := range commands {
		if !strings.Contains(help, "\n  "+name+" ") {
			t.Errorf("help does not list %q", name)
		}
	}
	for _, sub := range []string{"catalog import", "catalog generate", "catalog reindex", "tenant add-whatsapp-number", "METRICS_ADDR"} {
		if !strings.Contains(help, sub) {
			t.Errorf("help does not mention %q", sub)
		}
	}
	if err := run(context.Background(), []string{"no-such-command"}, strings.NewReader(""), io.Discard, io.Discard); err == nil {
		t.Error("an unknown command must fail")
	}
}
