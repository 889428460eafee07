package main

import (
	"fmt"
	"strconv"
	"testing"

	"concierge/internal/testenv"
)

// TestLoginSecurityOverHTTP runs the real product on a Redis of its own:
// logout stops the session's access token at once; logins work while Redis
// is down; and a lockout holds after Redis restarts empty (Postgres keeps the
// failed-login counters).
func TestLoginSecurityOverHTTP(t *testing.T) {
	t.Parallel()
	rds := testenv.StartRedis(t)
	ta := startApp(t, modeServe, map[string]string{"REDIS_URL": rds.URL(), "LOGIN_MAX_FAILURES": "3"})
	ta.user("admin@ops.test", true, "", "")
	login := func(pw string) response {
		t.Helper()
		return ta.do(request{method: "POST", path: "/api/auth/login", body: fmt.Sprintf(`{"email":"admin@ops.test","password":%q}`, pw)})
	}
	tenantsWith := func(token string) int {
		t.Helper()
		return ta.do(request{method: "GET", path: "/api/platform/tenants", token: token}).status
	}

	// Logout stops the access token, not only the refresh token.
	r := login("correct horse battery")
	access, _ := r.json["access_token"].(string)
	refresh, _ := r.json["refresh_token"].(string)
	if r.status != 200 || access == "" || refresh == "" {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	if s := tenantsWith(access); s != 200 {
		t.Fatalf("before logout: %d", s)
	}
	if r := ta.do(request{method: "POST", path: "/api/auth/logout", body: fmt.Sprintf(`{"refresh_token":%q}`, refresh)}); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if s := tenantsWith(access); s != 401 {
		t.Fatalf("access token after logout: %d, want 401", s)
	}

	// Without Redis, logins go on (Postgres holds the counters).
	rds.Stop()
	r = login("correct horse battery")
	if r.status != 200 {
		t.Fatalf("login with Redis down: %d %s", r.status, r.body)
	}
	if s := tenantsWith(r.json["access_token"].(string)); s != 200 {
		t.Fatalf("request with Redis down: %d", s)
	}
	rds.Start()

	// Lock this client out (one address: the per-IP counter locks too) ...
	for i := range 3 {
		if r := login("wrong password"); r.status != 401 {
			t.Fatalf("failure %d: %d %s", i+1, r.status, r.body)
		}
	}
	wantLocked := func(when string) {
		t.Helper()
		r := login("correct horse battery")
		ra, err := strconv.Atoi(r.header.Get("Retry-After"))
		if r.status != 429 || r.json["code"] != "rate_limited" || err != nil || ra < 1 || ra > 900 {
			t.Fatalf("%s: %d Retry-After %q %s, want 429 with Retry-After 1..900", when, r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	wantLocked("locked")
	// ... and lose every Redis key: the lockout holds.
	rds.Stop()
	rds.Start()
	wantLocked("after a Redis restart")
}
