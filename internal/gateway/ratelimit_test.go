package gateway_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"concierge/internal/gateway"
	"concierge/internal/testenv"
)

// testTenant reads the test's tenant header.
func testTenant(c *fiber.Ctx) string { return c.Get("X-Test-Tenant") }

func TestRateLimit(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	limiter := redis_rate.NewLimiter(rdb)
	limit := redis_rate.Limit{Rate: 2, Burst: 2, Period: time.Hour}
	h := newHarness(t, gateway.AppConfig{ProxyHeader: "X-Real-IP", TrustedProxies: []string{"0.0.0.0"}},
		gateway.RateLimit(limiter, prefix, gateway.ByIP, limit),
		gateway.RateLimit(limiter, prefix, gateway.ByTenant(testTenant), limit),
	)
	t.Cleanup(func() {
		// redis_rate stores buckets under "rate:" + key, outside testenv's cleanup.
		ctx := context.Background()
		keys, _ := rdb.Keys(ctx, "rate:"+prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})

	type step struct {
		ip, tenant string
		status     int
		remaining  string
	}
	steps := []step{
		{"203.0.113.1", "", 200, "1"},
		{"203.0.113.1", "", 200, "0"},
		{"203.0.113.1", "", 429, "0"}, // this IP's burst is spent
		{"203.0.113.2", "", 200, "1"}, // another IP has its own bucket
		{"203.0.113.3", "t1", 200, "1"},
		{"203.0.113.4", "t1", 200, "0"},
		{"203.0.113.5", "t1", 429, "0"}, // tenant t1's burst is spent, whatever the IP
		{"203.0.113.6", "t2", 200, "1"},
		{"2001:db8::1", "", 200, "1"},
		{"2001:db8::2", "", 200, "0"},
		{"2001:db8::3", "", 429, "0"}, // same /64
	}
	for i, s := range steps {
		hdr := []string{"X-Real-IP", s.ip}
		if s.tenant != "" {
			hdr = append(hdr, "X-Test-Tenant", s.tenant)
		}
		resp, body := get(t, h.app, "/items/1", hdr...)
		if resp.StatusCode != s.status {
			t.Fatalf("step %d (%s %s): status %d, want %d: %s", i, s.ip, s.tenant, resp.StatusCode, s.status, body)
		}
		if got := resp.Header.Get(gateway.HeaderRateLimitRemaining); got != s.remaining {
			t.Errorf("step %d: X-RateLimit-Remaining %q, want %q", i, got, s.remaining)
		}
		if s.status != 429 {
			continue
		}
		ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || ra < 1 || ra > 3600 {
			t.Errorf("step %d: Retry-After %q", i, resp.Header.Get("Retry-After"))
		}
		p := decode(t, body)
		if p["code"] != "rate_limited" || resp.Header.Get("Content-Type") != "application/problem+json; charset=utf-8" {
			t.Errorf("step %d: problem %v", i, p)
		}
		if line := accessLine(t, h.logs, resp.Header.Get(gateway.HeaderRequestID)); line["status"] != float64(429) {
			t.Errorf("step %d: access line status %v", i, line["status"])
		}
	}

	ctx := context.Background()
	for _, key := range []string{"ip:203.0.113.1", "tenant:{t1}", "ip:2001:db8::/64"} {
		if n, err := rdb.Exists(ctx, "rate:"+prefix+key).Result(); err != nil || n != 1 {
			t.Errorf("bucket %q under the key prefix: exists=%d err=%v", key, n, err)
		}
	}
}

// TestRateLimitLeases shows a large limit costs one Redis round trip per
// lease, not per request: the shared bucket moves by a lease at a time.
func TestRateLimitLeases(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	limiter := redis_rate.NewLimiter(rdb)
	limit := redis_rate.Limit{Rate: 100, Burst: 100, Period: time.Hour}
	if gateway.LeaseSize(limit) != 10 {
		t.Fatalf("lease size %d, want 10", gateway.LeaseSize(limit))
	}
	h := newHarness(t, gateway.AppConfig{ProxyHeader: "X-Real-IP", TrustedProxies: []string{"0.0.0.0"}},
		gateway.RateLimit(limiter, prefix, gateway.ByIP, limit))
	t.Cleanup(func() { rdb.Del(context.Background(), "rate:"+prefix+"ip:203.0.113.9") })
	shared := func() int {
		t.Helper()
		res, err := limiter.AllowN(context.Background(), prefix+"ip:203.0.113.9", limit, 0)
		if err != nil {
			t.Fatal(err)
		}
		return res.Remaining
	}
	for i := 1; i <= 10; i++ {
		resp, body := get(t, h.app, "/items/1", "X-Real-IP", "203.0.113.9")
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
		if got, want := resp.Header.Get(gateway.HeaderRateLimitRemaining), strconv.Itoa(100-i); got != want {
			t.Errorf("request %d: remaining %s, want %s", i, got, want)
		}
		if got := shared(); got != 90 {
			t.Fatalf("after request %d the shared bucket has %d left, want 90 (one lease of 10)", i, got)
		}
	}
	if resp, _ := get(t, h.app, "/items/1", "X-Real-IP", "203.0.113.9"); resp.StatusCode != 200 || shared() != 80 {
		t.Fatalf("the 11th request should take a second lease: status %d, shared %d", resp.StatusCode, shared())
	}
}

func TestRateLimitFailsOpen(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens here any more
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = rdb.Close() })

	limit := redis_rate.Limit{Rate: 1, Burst: 1, Period: time.Hour}
	h := newHarness(t, gateway.AppConfig{}, gateway.RateLimit(redis_rate.NewLimiter(rdb), "test:", gateway.ByIP, limit))
	for i := range 3 {
		resp, body := get(t, h.app, "/items/1")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: status %d, want 200 with Redis down: %s", i, resp.StatusCode, body)
		}
		if resp.Header.Get(gateway.HeaderRateLimitRemaining) != "" {
			t.Errorf("request %d: X-RateLimit-Remaining sent without a check", i)
		}
	}
	warns := h.logs.lines(t, "rate limit unavailable; letting requests through")
	if len(warns) != 1 || warns[0]["level"] != "WARN" || warns[0]["request_id"] == nil {
		t.Errorf("want one throttled warning with the request id; logs:\n%s", h.logs.String())
	}
}

func TestByIP(t *testing.T) {
	t.Parallel()
	app := fiber.New(fiber.Config{ProxyHeader: "X-Real-IP", EnableTrustedProxyCheck: true, TrustedProxies: []string{"0.0.0.0"}})
	app.Get("/", func(c *fiber.Ctx) error {
		k, _ := gateway.ByIP(c)
		return c.SendString(k)
	})
	tests := []struct{ ip, want string }{
		{"198.51.100.7", "ip:198.51.100.7"},
		{"::ffff:198.51.100.7", "ip:198.51.100.7"},
		{"2001:db8:1:2:3:4:5:6", "ip:2001:db8:1:2::/64"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("X-Real-IP", tt.ip)
		_, body := do(t, app, req)
		if got := strings.TrimSpace(string(body)); got != tt.want {
			t.Errorf("ByIP(%s) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}
