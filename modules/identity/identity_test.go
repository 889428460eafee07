package identity_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/internal/testenv"
	"concierge/modules/audit"
	"concierge/modules/identity"
	"concierge/modules/moduletest"
	"concierge/tenants"
)

const password = "correct horse battery"

// cheap keeps tests fast; production uses identity.DefaultHashParams.
var cheap = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

type fixture struct {
	svc     *identity.Service
	h       *identity.HTTP
	app     *fiber.App
	scope   *tenants.Scope
	tenants *tenants.Service
	rdb     *redis.Client
	prefix  string
	secret  []byte
	log     *slog.Logger
	cfg     identity.Config
}

func newFixture(t *testing.T, tweak ...func(*identity.Config)) *fixture {
	t.Helper()
	rdb, prefix := testenv.Redis(t)
	return newFixtureOn(t, rdb, prefix, tweak...)
}

// newFixtureOn is newFixture on a given Redis (a private server the test may
// restart or stop).
func newFixtureOn(t testing.TB, rdb *redis.Client, prefix string, tweak ...func(*identity.Config)) *fixture {
	t.Helper()
	env := moduletest.New(t, moduletest.WithRedis(rdb, prefix))
	cfg := identity.Config{JWTSecret: []byte("test-secret-test-secret-test-secret!"), MaxFailures: 5,
		FailureWindow: 15 * time.Minute, HashParams: cheap}
	for _, fn := range tweak {
		fn(&cfg)
	}
	svc, err := identity.New(cfg, identity.Deps{Scope: env.Scope, Redis: rdb, RedisPrefix: prefix, Audit: env.Audit, Log: env.Log})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{svc: svc, h: identity.NewHTTP(svc, httpx.NewValidator()), scope: env.Scope, tenants: env.Tenants,
		rdb: rdb, prefix: prefix, secret: cfg.JWTSecret, log: env.Log, cfg: cfg}
	f.app = f.newApp()
	return f
}

// newApp is a tiny gateway: the auth routes, a fake tenant-scoped group
// (/t/<tenant id>/...) and a platform group.
func (f *fixture) newApp() *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: httpx.ErrorHandler(f.log, i18n.MustLoad()), ProxyHeader: fiber.HeaderXForwardedFor})
	f.h.Mount(httpx.Routers{Root: app})
	ok := func(c *fiber.Ctx) error {
		tid := ""
		if t, err := tenants.FromContext(c.UserContext()); err == nil {
			tid = t.ID.String()
		}
		return c.JSON(fiber.Map{"tenant": tid, "actor": identity.ActorFrom(c.UserContext())})
	}
	withTenant := func(c *fiber.Ctx) error {
		id, err := uuid.Parse(c.Params("tid"))
		if err != nil {
			return errs.New(errs.CodeNotFound, "tenants.not_found")
		}
		c.SetUserContext(tenants.WithTenantID(c.UserContext(), id))
		return c.Next()
	}
	tg := app.Group("/t/:tid", withTenant, f.h.Authenticate)
	tg.Get("/catalog", f.h.Require("catalog", "read"), ok)
	tg.Post("/catalog", f.h.Require("catalog", "write"), ok)
	tg.Post("/conversations", f.h.Require("conversations", "write"), ok)
	tg.Put("/settings", f.h.Require("settings", "write"), ok)
	tg.Delete("/staff", f.h.Require("staff", "write"), ok)
	pg := app.Group("/api/platform", f.h.Authenticate)
	pg.Get("/tenants", f.h.RequirePlatform("platform", "read"), ok)
	pg.Post("/jobs/retry", f.h.RequirePlatform("jobs", "write"), ok)
	return app
}

func (f *fixture) tenant(t *testing.T, slug string) *tenants.Tenant {
	t.Helper()
	tn, err := f.tenants.Create(context.Background(), "test", tenants.CreateInput{Slug: slug, NameEN: slug, NameAR: "متجر " + slug})
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	return tn
}

func (f *fixture) user(t *testing.T, email string, admin bool, tenant, role string) *identity.User {
	t.Helper()
	u, _, err := f.svc.CreateUser(identity.WithActor(context.Background(), identity.SystemActor("test")),
		identity.CreateUserInput{Email: email, Password: password, PlatformAdmin: admin, TenantSlugOrID: tenant, Role: role})
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	return u
}

// request is one HTTP call to the test app.
type request struct {
	method, path string
	body         any // string is sent as is; anything else as JSON
	bearer       string
	ip           string
	headers      map[string]string
	cookies      []*http.Cookie
}

type result struct {
	status  int
	body    []byte
	header  http.Header
	cookies map[string]*http.Cookie
}

func (r result) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r result) problemCode() string {
	var p struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.body, &p)
	return p.Code
}

func (f *fixture) do(t *testing.T, rq request) result {
	t.Helper()
	var body io.Reader
	switch b := rq.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		body = bytes.NewReader(j)
	}
	req := httptest.NewRequest(rq.method, rq.path, body)
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if rq.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+rq.bearer)
	}
	ip := rq.ip
	if ip == "" {
		ip = "192.0.2.1"
	}
	req.Header.Set("X-Forwarded-For", ip)
	for k, v := range rq.headers {
		req.Header.Set(k, v)
	}
	for _, c := range rq.cookies {
		req.AddCookie(c)
	}
	resp, err := f.app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := result{status: resp.StatusCode, body: b, header: resp.Header, cookies: map[string]*http.Cookie{}}
	for _, c := range resp.Cookies() {
		out.cookies[c.Name] = c
	}
	return out
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	CSRFToken    string `json:"csrf_token"`
}

func (f *fixture) login(t *testing.T, email string) tokens {
	t.Helper()
	r := f.do(t, request{method: "POST", path: "/api/auth/login", body: map[string]string{"email": email, "password": password}})
	if r.status != 200 {
		t.Fatalf("login %s: %d %s", email, r.status, r.body)
	}
	var tk tokens
	r.decode(t, &tk)
	return tk
}

func (f *fixture) refresh(t *testing.T, token string) result {
	t.Helper()
	return f.do(t, request{method: "POST", path: "/api/auth/refresh", body: map[string]string{"refresh_token": token}})
}

func TestLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(t, "owner@alpha.test", false, "", "")

	var wrongDetail string
	tests := []struct {
		name       string
		body       any
		wantStatus int
		wantCode   string
		check      func(t *testing.T, r result)
	}{
		{name: "success", body: map[string]string{"email": "owner@alpha.test", "password": password}, wantStatus: 200,
			check: func(t *testing.T, r result) {
				var tk tokens
				r.decode(t, &tk)
				if tk.TokenType != "Bearer" || tk.ExpiresIn != 900 || tk.AccessToken == "" || len(tk.RefreshToken) != 43 {
					t.Errorf("token response %+v", tk)
				}
				if r.header.Get("Cache-Control") != "no-store" {
					t.Errorf("Cache-Control = %q, want no-store", r.header.Get("Cache-Control"))
				}
				p, err := f.svc.VerifyAccessToken(context.Background(), tk.AccessToken)
				if err != nil || p.Email != "owner@alpha.test" || p.PlatformAdmin {
					t.Errorf("access token: %+v %v", p, err)
				}
			}},
		{name: "email is case-insensitive", body: map[string]string{"email": "OWNER@Alpha.Test", "password": password}, wantStatus: 200},
		{name: "wrong password", body: map[string]string{"email": "owner@alpha.test", "password": "wrong password!"}, wantStatus: 401, wantCode: "unauthorized",
			check: func(t *testing.T, r result) {
				var p httpx.Problem
				r.decode(t, &p)
				wrongDetail = p.Detail
			}},
		{name: "unknown email answers the same", body: map[string]string{"email": "nobody@alpha.test", "password": password}, wantStatus: 401, wantCode: "unauthorized",
			check: func(t *testing.T, r result) {
				var p httpx.Problem
				r.decode(t, &p)
				if p.Detail != wrongDetail {
					t.Errorf("unknown email detail %q differs from wrong password %q", p.Detail, wrongDetail)
				}
			}},
		{name: "malformed JSON", body: `{"email":`, wantStatus: 400, wantCode: "malformed"},
		{name: "missing password", body: map[string]string{"email": "owner@alpha.test"}, wantStatus: 422, wantCode: "invalid"},
		{name: "not an email", body: map[string]string{"email": "owner", "password": password}, wantStatus: 422, wantCode: "invalid"},
		{name: "unknown field", body: map[string]string{"email": "owner@alpha.test", "password": password, "role": "owner"}, wantStatus: 422, wantCode: "invalid"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Each case from its own address, so IP counters stay apart.
			r := f.do(t, request{method: "POST", path: "/api/auth/login", body: tc.body, ip: "198.51.100." + strconv.Itoa(i+1)})
			if r.status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tc.wantStatus, r.body)
			}
			if tc.wantCode != "" && r.problemCode() != tc.wantCode {
				t.Errorf("code %q, want %q", r.problemCode(), tc.wantCode)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(t, "a@alpha.test", false, "", "")
	f.user(t, "b@alpha.test", false, "", "")
	f.user(t, "c@alpha.test", false, "", "")
	attempt := func(t *testing.T, email, pw, ip string) result {
		t.Helper()
		return f.do(t, request{method: "POST", path: "/api/auth/login", ip: ip, body: map[string]string{"email": email, "password": pw}})
	}
	wantLimited := func(t *testing.T, r result) {
		t.Helper()
		if r.status != 429 || r.problemCode() != "rate_limited" {
			t.Fatalf("status %d %s, want 429 rate_limited", r.status, r.body)
		}
		ra, err := strconv.Atoi(r.header.Get("Retry-After"))
		if err != nil || ra < 1 || ra > 900 {
			t.Fatalf("Retry-After %q, want 1..900 seconds", r.header.Get("Retry-After"))
		}
	}

	t.Run("per email, even with the right password", func(t *testing.T) {
		for i := range 5 {
			if r := attempt(t, "a@alpha.test", "wrong password", "203.0.113."+strconv.Itoa(i+1)); r.status != 401 {
				t.Fatalf("failure %d: status %d", i+1, r.status)
			}
		}
		wantLimited(t, attempt(t, "a@alpha.test", password, "203.0.113.50"))
		// Other accounts are not affected.
		if r := attempt(t, "b@alpha.test", password, "203.0.113.51"); r.status != 200 {
			t.Fatalf("other account: status %d", r.status)
		}
	})
	t.Run("per IP, across emails", func(t *testing.T) {
		for i := range 5 {
			if r := attempt(t, "ghost"+strconv.Itoa(i)+"@alpha.test", "wrong password", "203.0.113.99"); r.status != 401 {
				t.Fatalf("failure %d: status %d", i+1, r.status)
			}
		}
		wantLimited(t, attempt(t, "b@alpha.test", password, "203.0.113.99"))
		if r := attempt(t, "b@alpha.test", password, "203.0.113.100"); r.status != 200 {
			t.Fatalf("other address: status %d", r.status)
		}
	})
	t.Run("success clears the email counter", func(t *testing.T) {
		ip := 0
		next := func() string { ip++; return "192.0.2." + strconv.Itoa(ip) }
		for range 4 {
			attempt(t, "c@alpha.test", "wrong password", next())
		}
		if r := attempt(t, "c@alpha.test", password, next()); r.status != 200 {
			t.Fatalf("success: status %d", r.status)
		}
		for i := range 4 {
			if r := attempt(t, "c@alpha.test", "wrong password", next()); r.status != 401 {
				t.Fatalf("failure %d after success: status %d, want 401", i+1, r.status)
			}
		}
	})
	t.Run("keys carry the prefix", func(t *testing.T) {
		keys, err := f.rdb.Keys(context.Background(), f.prefix+"identity:login_failures:*").Result()
		if err != nil || len(keys) == 0 {
			t.Fatalf("no failure counters under the prefix: %v %v", keys, err)
		}
	})
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(t, "owner@alpha.test", false, "", "")
	first := f.login(t, "owner@alpha.test")

	r := f.refresh(t, first.RefreshToken)
	if r.status != 200 {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	var second tokens
	r.decode(t, &second)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken || second.TokenType != "Bearer" {
		t.Fatalf("refresh did not rotate: %+v", second)
	}
	if me := f.do(t, request{method: "GET", path: "/api/auth/me", bearer: second.AccessToken}); me.status != 200 {
		t.Fatalf("new access token: %d", me.status)
	}
	r = f.refresh(t, second.RefreshToken)
	if r.status != 200 {
		t.Fatalf("second refresh: %d %s", r.status, r.body)
	}

	for _, tc := range []struct{ name, token string }{
		{"garbage", "not-a-token"},
		{"unknown", strings.Repeat("A", 43)},
		{"empty body", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r result
			if tc.token == "" {
				r = f.do(t, request{method: "POST", path: "/api/auth/refresh"})
			} else {
				r = f.refresh(t, tc.token)
			}
			if r.status != 401 {
				t.Fatalf("status %d, want 401", r.status)
			}
		})
	}
}

func TestRefreshReuseRevokesFamily(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(t, "owner@alpha.test", false, "", "")
	stolen := f.login(t, "owner@alpha.test")
	other := f.login(t, "owner@alpha.test") // a second session (another device)

	r := f.refresh(t, stolen.RefreshToken)
	if r.status != 200 {
		t.Fatalf("refresh: %d", r.status)
	}
	var newer tokens
	r.decode(t, &newer)

	// The old token comes back: someone copied it.
	if r := f.refresh(t, stolen.RefreshToken); r.status != 401 || r.problemCode() != "unauthorized" {
		t.Fatalf("reuse: status %d %s, want 401", r.status, r.body)
	}
	// The whole family is gone, including the newer token.
	if r := f.refresh(t, newer.RefreshToken); r.status != 401 {
		t.Fatalf("newer token after reuse: status %d, want 401", r.status)
	}
	// Another session of the same user lives on.
	if r := f.refresh(t, other.RefreshToken); r.status != 200 {
		t.Fatalf("other session: status %d, want 200", r.status)
	}
	// The theft is in the audit log.
	var n int
	err := f.scope.PlatformTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'session.reuse_detected'`).Scan(&n)
	})
	if err != nil || n != 1 {
		t.Fatalf("reuse audit entries = %d (%v), want 1", n, err)
	}
}

func TestConcurrentRefreshWithOneToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(t, "owner@alpha.test", false, "", "")
	tk := f.login(t, "owner@alpha.test")
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range statuses {
		wg.Go(func() { statuses[i] = f.refresh(t, tk.RefreshToken).status })
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		if s == 200 {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("statuses %v: want exactly one success (the other is a reuse)", statuses)
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(t, "owner@alpha.test", false, "", "")
	tk := f.login(t, "owner@alpha.test")
	r := f.refresh(t, tk.RefreshToken)
	var rotated tokens
	r.decode(t, &rotated)

	logout := func(token string) int {
		return f.do(t, request{method: "POST", path: "/api/auth/logout", body: map[string]string{"refresh_token": token}}).status
	}
	if s := logout(rotated.RefreshToken); s != 204 {
		t.Fatalf("logout: %d, want 204", s)
	}
	if r := f.refresh(t, rotated.RefreshToken); r.status != 401 {
		t.Fatalf("refresh after logout: %d, want 401", r.status)
	}
	if s := logout(rotated.RefreshToken); s != 204 {
		t.Fatalf("second logout: %d, want 204", s)
	}
	if s := logout("garbage"); s != 204 {
		t.Fatalf("logout with garbage: %d, want 204", s)
	}
}

func TestAccessTokenVerification(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.user(t, "owner@alpha.test", false, "", "")
	good := f.login(t, "owner@alpha.test").AccessToken

	sign := func(method jwt.SigningMethod, key any, mutate func(*identity.AccessClaims)) string {
		now := time.Now()
		c := identity.AccessClaims{Email: u.Email, RegisteredClaims: jwt.RegisteredClaims{
			Issuer: identity.Issuer, Subject: u.ID.String(), ID: uuid.NewString(),
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}}
		if mutate != nil {
			mutate(&c)
		}
		s, err := jwt.NewWithClaims(method, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tampered := func() string {
		parts := strings.Split(good, ".")
		var claims map[string]any
		b, _ := jwtDecode(parts[1])
		_ = json.Unmarshal(b, &claims)
		claims["pa"] = true
		nb, _ := json.Marshal(claims)
		parts[1] = jwtEncode(nb)
		return strings.Join(parts, ".")
	}()

	tests := []struct {
		name       string
		header     string
		wantStatus int
	}{
		{"valid", "Bearer " + good, 200},
		{"valid, scheme in lower case", "bearer " + good, 200},
		{"missing", "", 401},
		{"not bearer", "Basic b3duZXI6cHc=", 401},
		{"garbled", "Bearer abc.def.ghi", 401},
		{"expired", "Bearer " + sign(jwt.SigningMethodHS256, f.secret, func(c *identity.AccessClaims) {
			c.IssuedAt = jwt.NewNumericDate(time.Now().Add(-time.Hour))
			c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Minute))
		}), 401},
		{"no expiry", "Bearer " + sign(jwt.SigningMethodHS256, f.secret, func(c *identity.AccessClaims) { c.ExpiresAt = nil }), 401},
		{"tampered claims", "Bearer " + tampered, 401},
		{"alg none", "Bearer " + sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil), 401},
		{"other HMAC alg with the right key", "Bearer " + sign(jwt.SigningMethodHS512, f.secret, nil), 401},
		{"other key", "Bearer " + sign(jwt.SigningMethodHS256, []byte("another-secret-another-secret-123"), nil), 401},
		{"other issuer", "Bearer " + sign(jwt.SigningMethodHS256, f.secret, func(c *identity.AccessClaims) { c.Issuer = "evil" }), 401},
		{"subject not a user id", "Bearer " + sign(jwt.SigningMethodHS256, f.secret, func(c *identity.AccessClaims) { c.Subject = "admin" }), 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rq := request{method: "GET", path: "/api/auth/me"}
			if tc.header != "" {
				rq.headers = map[string]string{"Authorization": tc.header}
			}
			r := f.do(t, rq)
			if r.status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tc.wantStatus, r.body)
			}
			if tc.wantStatus == 401 {
				if r.problemCode() != "unauthorized" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
					t.Errorf("want an unauthorized problem, got %s %s", r.header.Get("Content-Type"), r.body)
				}
				if r.header.Get("WWW-Authenticate") == "" {
					t.Errorf("no WWW-Authenticate header")
				}
			}
		})
	}
}

func TestMe(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.tenant(t, "alpha"), f.tenant(t, "beta")
	f.user(t, "staff@alpha.test", false, "alpha", "manager")
	f.user(t, "staff@alpha.test", false, b.ID.String(), "viewer")
	tk := f.login(t, "staff@alpha.test")
	r := f.do(t, request{method: "GET", path: "/api/auth/me", bearer: tk.AccessToken})
	if r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "charset=utf-8") {
		t.Fatalf("me: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var me struct {
		ID            uuid.UUID `json:"id"`
		Email         string    `json:"email"`
		PlatformAdmin bool      `json:"platform_admin"`
		Memberships   []struct {
			TenantID   uuid.UUID `json:"tenant_id"`
			TenantSlug string    `json:"tenant_slug"`
			Role       string    `json:"role"`
		} `json:"memberships"`
	}
	r.decode(t, &me)
	if me.Email != "staff@alpha.test" || me.PlatformAdmin || len(me.Memberships) != 2 {
		t.Fatalf("me = %+v", me)
	}
	if m := me.Memberships[0]; m.TenantID != a.ID || m.TenantSlug != "alpha" || m.Role != "manager" {
		t.Errorf("first membership %+v", m)
	}
	if m := me.Memberships[1]; m.TenantID != b.ID || m.TenantSlug != "beta" || m.Role != "viewer" {
		t.Errorf("second membership %+v", m)
	}
}

func TestAuthorization(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.tenant(t, "alpha"), f.tenant(t, "beta")
	f.user(t, "owner@alpha.test", false, "alpha", "owner")
	f.user(t, "manager@alpha.test", false, "alpha", "manager")
	f.user(t, "agent@alpha.test", false, "alpha", "agent")
	f.user(t, "viewer@alpha.test", false, "alpha", "viewer")
	f.user(t, "owner@beta.test", false, "beta", "owner")
	f.user(t, "admin@platform.test", true, "", "")
	f.user(t, "nobody@platform.test", false, "", "")
	tok := map[string]string{}
	for _, e := range []string{"owner@alpha.test", "manager@alpha.test", "agent@alpha.test", "viewer@alpha.test", "owner@beta.test", "admin@platform.test", "nobody@platform.test"} {
		tok[e] = f.login(t, e).AccessToken
	}
	A, B := "/t/"+a.ID.String(), "/t/"+b.ID.String()

	tests := []struct {
		name         string
		user         string
		method, path string
		want         int
	}{
		{"viewer reads catalog", "viewer@alpha.test", "GET", A + "/catalog", 200},
		{"viewer may not write catalog", "viewer@alpha.test", "POST", A + "/catalog", 403},
		{"agent writes conversations", "agent@alpha.test", "POST", A + "/conversations", 200},
		{"agent reads catalog", "agent@alpha.test", "GET", A + "/catalog", 200},
		{"agent may not write catalog", "agent@alpha.test", "POST", A + "/catalog", 403},
		{"manager writes catalog", "manager@alpha.test", "POST", A + "/catalog", 200},
		{"manager may not change settings", "manager@alpha.test", "PUT", A + "/settings", 403},
		{"manager may not manage staff", "manager@alpha.test", "DELETE", A + "/staff", 403},
		{"owner changes settings", "owner@alpha.test", "PUT", A + "/settings", 200},
		{"owner manages staff", "owner@alpha.test", "DELETE", A + "/staff", 200},
		{"owner of A reads B: cross-tenant", "owner@alpha.test", "GET", B + "/catalog", 403},
		{"owner of A writes B: cross-tenant", "owner@alpha.test", "POST", B + "/catalog", 403},
		{"owner of B writes A: cross-tenant", "owner@beta.test", "POST", A + "/catalog", 403},
		{"owner of B writes B", "owner@beta.test", "POST", B + "/catalog", 200},
		{"user without membership", "nobody@platform.test", "GET", A + "/catalog", 403},
		{"platform admin in any tenant", "admin@platform.test", "DELETE", B + "/staff", 200},
		{"platform admin on platform route", "admin@platform.test", "GET", "/api/platform/tenants", 200},
		{"platform admin retries jobs", "admin@platform.test", "POST", "/api/platform/jobs/retry", 200},
		{"owner on platform route", "owner@alpha.test", "GET", "/api/platform/tenants", 403},
		{"nobody on platform route", "nobody@platform.test", "POST", "/api/platform/jobs/retry", 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := f.do(t, request{method: tc.method, path: tc.path, bearer: tok[tc.user]})
			if r.status != tc.want {
				t.Fatalf("%s %s as %s: status %d, want %d: %s", tc.method, tc.path, tc.user, r.status, tc.want, r.body)
			}
			if tc.want == 403 && r.problemCode() != "forbidden" {
				t.Errorf("code %q, want forbidden", r.problemCode())
			}
			if tc.want == 200 {
				var body struct{ Actor string }
				r.decode(t, &body)
				if body.Actor != "user:"+tc.user {
					t.Errorf("actor %q, want user:%s", body.Actor, tc.user)
				}
			}
		})
	}

	t.Run("no token", func(t *testing.T) {
		t.Parallel()
		if r := f.do(t, request{method: "GET", path: A + "/catalog"}); r.status != 401 {
			t.Fatalf("status %d, want 401", r.status)
		}
	})
}

func TestRequireRefusesUnknownPermission(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	defer func() {
		if recover() == nil {
			t.Fatal("Require with a typo did not panic at wiring time")
		}
	}()
	f.h.Require("catlog", "write")
}

func TestGrantsAreCachedAndInvalidated(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.tenant(t, "alpha")
	u := f.user(t, "staff@alpha.test", false, "alpha", "viewer")
	tk := f.login(t, "staff@alpha.test")
	write := func() int {
		return f.do(t, request{method: "POST", path: "/t/" + a.ID.String() + "/catalog", bearer: tk.AccessToken}).status
	}
	if s := write(); s != 403 {
		t.Fatalf("viewer writes: %d, want 403", s)
	}
	ctx := context.Background()
	// A change behind the service's back is not seen while the grant is cached ...
	err := f.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE memberships SET role = 'owner' WHERE user_id = ?`, u.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := write(); s != 403 {
		t.Fatalf("with a cached grant: %d, want 403", s)
	}
	// ... until the grants are invalidated.
	f.svc.InvalidateGrants(ctx, u.ID)
	if s := write(); s != 200 {
		t.Fatalf("after invalidation: %d, want 200", s)
	}
	// CreateUser invalidates by itself when it changes a role.
	f.user(t, "staff@alpha.test", false, "alpha", "viewer")
	if s := write(); s != 403 {
		t.Fatalf("after demotion through CreateUser: %d, want 403", s)
	}
	// A disabled account is refused even with a valid access token.
	err = f.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET status = 'disabled' WHERE id = ?`, u.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.InvalidateGrants(ctx, u.ID)
	if s := write(); s != 401 {
		t.Fatalf("disabled user: %d, want 401", s)
	}
	keys, err := f.rdb.Keys(ctx, f.prefix+"identity:grants:*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("no grant keys under the prefix: %v %v", keys, err)
	}
}

func TestCookieMode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.tenant(t, "alpha")
	f.user(t, "owner@alpha.test", false, "alpha", "owner")
	creds := map[string]string{"email": "owner@alpha.test", "password": password}

	r := f.do(t, request{method: "POST", path: "/api/auth/login?cookie=1", body: creds})
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	var body tokens
	r.decode(t, &body)
	if body.AccessToken != "" || body.RefreshToken != "" {
		t.Errorf("cookie mode leaks tokens in the body: %s", r.body)
	}
	access, refresh, csrf := r.cookies["cc_access"], r.cookies["cc_refresh"], r.cookies["cc_csrf"]
	if access == nil || refresh == nil || csrf == nil {
		t.Fatalf("cookies %v", r.cookies)
	}
	for _, c := range []*http.Cookie{access, refresh} {
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
			t.Errorf("cookie %s: HttpOnly=%v SameSite=%v Secure=%v, want HttpOnly, Lax, not Secure over http", c.Name, c.HttpOnly, c.SameSite, c.Secure)
		}
	}
	if access.Path != "/" || refresh.Path != "/api/auth" || csrf.Path != "/" {
		t.Errorf("paths: access %q refresh %q csrf %q", access.Path, refresh.Path, csrf.Path)
	}
	if csrf.HttpOnly || csrf.Value == "" || body.CSRFToken != csrf.Value {
		t.Errorf("csrf cookie %+v, body token %q", csrf, body.CSRFToken)
	}

	t.Run("Secure over https", func(t *testing.T) {
		r := f.do(t, request{method: "POST", path: "/api/auth/login", body: creds,
			headers: map[string]string{"X-Auth-Mode": "cookie", "X-Forwarded-Proto": "https"}})
		if r.status != 200 || r.cookies["cc_access"] == nil || !r.cookies["cc_access"].Secure || !r.cookies["cc_refresh"].Secure {
			t.Fatalf("https login: %d cookies %v", r.status, r.cookies)
		}
	})

	path := "/t/" + a.ID.String() + "/catalog"
	form := url.Values{"csrf_token": {csrf.Value}}.Encode()
	tests := []struct {
		name    string
		method  string
		headers map[string]string
		body    any
		cookies []*http.Cookie
		want    int
	}{
		{"GET by cookie needs no CSRF token", "GET", nil, nil, []*http.Cookie{access, csrf}, 200},
		{"POST by cookie without CSRF token", "POST", nil, nil, []*http.Cookie{access, csrf}, 403},
		{"POST by cookie with a wrong CSRF token", "POST", map[string]string{"X-CSRF-Token": "nope"}, nil, []*http.Cookie{access, csrf}, 403},
		{"POST by cookie, CSRF header but no CSRF cookie", "POST", map[string]string{"X-CSRF-Token": csrf.Value}, nil, []*http.Cookie{access}, 403},
		{"POST by cookie with the CSRF header", "POST", map[string]string{"X-CSRF-Token": csrf.Value}, nil, []*http.Cookie{access, csrf}, 200},
		{"POST form by cookie with the CSRF field", "POST", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form, []*http.Cookie{access, csrf}, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, request{method: tc.method, path: path, headers: tc.headers, body: tc.body, cookies: tc.cookies})
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.body)
			}
		})
	}
	t.Run("POST by bearer needs no CSRF token", func(t *testing.T) {
		tk := f.login(t, "owner@alpha.test")
		if r := f.do(t, request{method: "POST", path: path, bearer: tk.AccessToken}); r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
	})

	t.Run("refresh and logout by cookie", func(t *testing.T) {
		if r := f.do(t, request{method: "POST", path: "/api/auth/refresh", cookies: []*http.Cookie{refresh, csrf}}); r.status != 403 {
			t.Fatalf("refresh by cookie without CSRF: %d, want 403", r.status)
		}
		r := f.do(t, request{method: "POST", path: "/api/auth/refresh", cookies: []*http.Cookie{refresh, csrf},
			headers: map[string]string{"X-CSRF-Token": csrf.Value}})
		if r.status != 200 || r.cookies["cc_access"] == nil || r.cookies["cc_refresh"] == nil || r.cookies["cc_refresh"].Value == refresh.Value {
			t.Fatalf("refresh by cookie: %d cookies %v", r.status, r.cookies)
		}
		newRefresh := r.cookies["cc_refresh"]
		r = f.do(t, request{method: "POST", path: "/api/auth/logout", cookies: []*http.Cookie{newRefresh, csrf},
			headers: map[string]string{"X-CSRF-Token": csrf.Value}})
		if r.status != 204 {
			t.Fatalf("logout by cookie: %d", r.status)
		}
		if c := r.cookies["cc_refresh"]; c == nil || c.Value != "" {
			t.Errorf("logout does not clear the refresh cookie: %v", r.cookies)
		}
		if r := f.refresh(t, newRefresh.Value); r.status != 401 {
			t.Fatalf("refresh after cookie logout: %d, want 401", r.status)
		}
	})
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.tenant(t, "alpha")
	ctx := identity.WithActor(context.Background(), identity.CLIActor("ops"))

	u, created, err := f.svc.CreateUser(ctx, identity.CreateUserInput{Email: " Staff@Alpha.Test ", Password: password})
	if err != nil || !created || u.Email != "staff@alpha.test" || len(u.Memberships) != 0 || u.Status != identity.StatusActive {
		t.Fatalf("create: %+v created=%v err=%v", u, created, err)
	}
	// Again, now with a tenant: the user is found and the membership added.
	u2, created, err := f.svc.CreateUser(ctx, identity.CreateUserInput{Email: "staff@alpha.test", Password: password, TenantSlugOrID: "alpha", Role: "agent"})
	if err != nil || created || u2.ID != u.ID || len(u2.Memberships) != 1 || u2.Memberships[0].TenantID != a.ID || u2.Memberships[0].Role != "agent" {
		t.Fatalf("add membership: %+v created=%v err=%v", u2, created, err)
	}
	// The same command once more changes nothing; no password is needed for an existing user.
	if _, created, err := f.svc.CreateUser(ctx, identity.CreateUserInput{Email: "staff@alpha.test", TenantSlugOrID: a.ID.String(), Role: "agent"}); err != nil || created {
		t.Fatalf("repeat: created=%v err=%v", created, err)
	}
	// A new role replaces the old one; the platform flag is granted.
	u3, _, err := f.svc.CreateUser(ctx, identity.CreateUserInput{Email: "staff@alpha.test", PlatformAdmin: true, TenantSlugOrID: "alpha", Role: "manager"})
	if err != nil || !u3.PlatformAdmin || len(u3.Memberships) != 1 || u3.Memberships[0].Role != "manager" {
		t.Fatalf("update: %+v err=%v", u3, err)
	}
	// The password of an existing user is never changed by CreateUser.
	if _, _, err := f.svc.CreateUser(ctx, identity.CreateUserInput{Email: "staff@alpha.test", Password: "another password 123"}); err != nil {
		t.Fatal(err)
	}
	f.login(t, "staff@alpha.test")

	var entries []struct {
		Actor  string `bun:"actor"`
		Action string `bun:"action"`
		Data   string `bun:"data"`
	}
	err = f.scope.PlatformTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Table("audit_log").ColumnExpr("actor, action, COALESCE(before::text, '') || COALESCE(after::text, '') AS data").
			Where("action LIKE 'user.%' OR action LIKE 'membership.%'").OrderExpr("id").Scan(ctx, &entries)
	})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
		if e.Actor != "cli:ops" {
			t.Errorf("%s: actor %q, want cli:ops", e.Action, e.Actor)
		}
		if strings.Contains(e.Data, password) || strings.Contains(e.Data, "argon2id") || strings.Contains(e.Data, "password") {
			t.Errorf("%s: audit entry holds a password or hash: %s", e.Action, e.Data)
		}
	}
	want := "user.create membership.add user.platform_admin.grant membership.update"
	if strings.Join(actions, " ") != want {
		t.Errorf("audited %v, want %s", actions, want)
	}

	for _, tc := range []struct {
		name string
		in   identity.CreateUserInput
		code errs.Code
	}{
		{"bad email", identity.CreateUserInput{Email: "not-an-email", Password: password}, errs.CodeInvalid},
		{"display-name email", identity.CreateUserInput{Email: "Bob <bob@alpha.test>", Password: password}, errs.CodeInvalid},
		{"short password", identity.CreateUserInput{Email: "new@alpha.test", Password: "short"}, errs.CodeInvalid},
		{"unknown role", identity.CreateUserInput{Email: "new@alpha.test", Password: password, TenantSlugOrID: "alpha", Role: "admin"}, errs.CodeInvalid},
		{"role without tenant", identity.CreateUserInput{Email: "new@alpha.test", Password: password, Role: "owner"}, errs.CodeInvalid},
		{"unknown tenant", identity.CreateUserInput{Email: "new@alpha.test", Password: password, TenantSlugOrID: "nope", Role: "owner"}, errs.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := f.svc.CreateUser(ctx, tc.in)
			if errs.CodeOf(err) != tc.code {
				t.Fatalf("err %v, want code %s", err, tc.code)
			}
		})
	}
	// The failed "unknown tenant" attempt left no user behind.
	err = f.scope.PlatformTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE email = 'new@alpha.test'`).Scan(&n); err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("a failed CreateUser left a user behind")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMembershipsAreTenantIsolated(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.tenant(t, "alpha"), f.tenant(t, "beta")
	ua := f.user(t, "one@alpha.test", false, "alpha", "owner")
	f.user(t, "two@alpha.test", false, "alpha", "viewer")
	ub := f.user(t, "one@beta.test", false, "beta", "owner")
	f.user(t, "one@alpha.test", false, "beta", "agent") // one user, two tenants
	ctx := context.Background()

	for _, tc := range []struct {
		tenant *tenants.Tenant
		want   int
	}{{a, 2}, {b, 2}} {
		ms, err := f.svc.Members(tenants.WithTenant(ctx, tc.tenant))
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != tc.want {
			t.Errorf("%s sees %d memberships, want %d", tc.tenant.Slug, len(ms), tc.want)
		}
		for _, m := range ms {
			if m.TenantID != tc.tenant.ID {
				t.Errorf("%s sees a membership of %s", tc.tenant.Slug, m.TenantID)
			}
		}
	}
	// Asking for the other tenant's rows by id finds nothing, and writing is
	// not granted to the app role at all.
	err := f.scope.InTenantTx(tenants.WithTenant(ctx, a), func(ctx context.Context, tx bun.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM memberships WHERE tenant_id = ? OR user_id = ?`, b.ID, ub.ID).Scan(&n); err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("alpha reads %d of beta's memberships", n)
		}
		var roles []string
		if err := tx.NewSelect().Table("memberships").Column("role").Where("user_id = ?", ua.ID).Scan(ctx, &roles); err != nil {
			return err
		}
		if len(roles) != 1 || roles[0] != "owner" {
			t.Errorf("alpha sees roles %v of a user in both tenants, want only [owner]", roles)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = f.scope.InTenantTx(tenants.WithTenant(ctx, a), func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO memberships (tenant_id, user_id, role) VALUES (?, ?, 'owner')`, b.ID, ua.ID)
		return err
	})
	if err == nil {
		t.Fatal("a tenant transaction inserted a membership")
	}
	if _, err := f.svc.Members(ctx); !errors.Is(err, tenants.ErrNoTenant) {
		t.Fatalf("Members without a tenant: %v, want ErrNoTenant", err)
	}
}

func TestLoginUpgradesHashParameters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(t, "owner@alpha.test", false, "", "")
	stronger := *cheap
	stronger.Iterations = 2
	svc, err := identity.New(identity.Config{JWTSecret: f.secret, HashParams: &stronger}, identity.Deps{Scope: f.scope, Redis: f.rdb, RedisPrefix: f.prefix, Audit: audit.New(audit.Config{}, audit.Deps{}), Log: f.log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Login(context.Background(), identity.LoginInput{Email: "owner@alpha.test", Password: password, IP: "192.0.2.7"}); err != nil {
		t.Fatal(err)
	}
	var hash string
	err = f.scope.PlatformTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE email = 'owner@alpha.test'`).Scan(&hash)
	})
	if err != nil {
		t.Fatal(err)
	}
	p, _, _, err := argon2id.DecodeHash(hash)
	if err != nil || *p != stronger {
		t.Fatalf("hash params %+v (%v), want %+v", p, err, stronger)
	}
}

func TestNewRejectsShortSecret(t *testing.T) {
	t.Parallel()
	_, err := identity.New(identity.Config{JWTSecret: []byte("short")}, identity.Deps{})
	if err == nil {
		t.Fatal("New accepted a short JWT secret")
	}
}

func jwtDecode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func jwtEncode(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
