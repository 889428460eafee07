package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"concierge/internal/errs"
	"concierge/internal/gateway"
	"concierge/internal/httpx"
	"concierge/internal/observability"
)

// syncBuffer is a log sink safe for the server goroutine and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the JSON log lines whose msg is msg.
func (b *syncBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

type tenantKey struct{}

// headerTenant is the test's tenant hook for the logger.
func headerTenant(ctx context.Context) string {
	s, _ := ctx.Value(tenantKey{}).(string)
	return s
}

// harness is the gateway stack in the recommended order, with test routes.
type harness struct {
	app     *fiber.App
	logs    *syncBuffer
	metrics *observability.Metrics
	spans   *tracetest.SpanRecorder
}

// newHarness builds the app; extra middleware runs after the standard stack
// and before the routes.
func newHarness(t *testing.T, cfg gateway.AppConfig, extra ...fiber.Handler) *harness {
	t.Helper()
	h := &harness{logs: &syncBuffer{}, metrics: observability.NewMetrics(), spans: tracetest.NewSpanRecorder()}
	log := observability.NewLogger("debug", h.logs, observability.TenantFrom(headerTenant))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	app := gateway.NewApp(cfg, log)
	app.Use(gateway.RequestID())
	app.Use(gateway.Trace(tp.Tracer("test")))
	app.Use(gateway.AccessLog(log))
	app.Use(gateway.Metrics(h.metrics))
	app.Use(gateway.Recover(log))
	app.Use(gateway.SecurityHeaders())
	// Stands in for tenant resolution: the tenant comes from a header.
	app.Use(func(c *fiber.Ctx) error {
		if id := c.Get("X-Test-Tenant"); id != "" {
			c.SetUserContext(context.WithValue(c.UserContext(), tenantKey{}, strings.Clone(id)))
		}
		return c.Next()
	})
	for _, m := range extra {
		app.Use(m)
	}
	app.Get("/metrics", h.metrics.Handler())
	app.Get("/items/:id", func(c *fiber.Ctx) error {
		httpx.LoggerFrom(c, log).InfoContext(c.UserContext(), "handler ran")
		if c.Params("id") == "missing" {
			return fmt.Errorf("load item: %w", errs.ErrNotFound)
		}
		return c.JSON(fiber.Map{"id": c.Params("id")})
	})
	app.Get("/panic", func(c *fiber.Ctx) error {
		panic("boom: secret internals")
	})
	app.Get("/ids", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{
			"locals": httpx.RequestID(c),
			"ctx":    observability.RequestIDFrom(c.UserContext()),
		})
	})
	app.Post("/upload", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"bytes": len(c.Body())})
	})
	app.Get("/page", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'self'")
		return c.SendString("<p>page</p>")
	})
	h.app = app
	return h
}

// do runs req through app and returns the response and its body.
func do(t *testing.T, app *fiber.App, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func get(t *testing.T, app *fiber.App, target string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return do(t, app, req)
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, b)
	}
	return m
}

// accessLine returns the one access-log line of the request with id reqID.
func accessLine(t *testing.T, logs *syncBuffer, reqID string) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, l := range logs.lines(t, "request") {
		if l["request_id"] == reqID {
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want 1 access line for %s, got %d; logs:\n%s", reqID, len(found), logs.String())
	}
	return found[0]
}

func TestRecover(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gateway.AppConfig{})
	resp, body := get(t, h.app, "/panic")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	p := decode(t, body)
	reqID := resp.Header.Get(gateway.HeaderRequestID)
	if reqID == "" || p["request_id"] != reqID {
		t.Errorf("problem request_id %v, header %q", p["request_id"], reqID)
	}
	if p["code"] != "internal" {
		t.Errorf("code %v, want internal", p["code"])
	}
	for _, leak := range []string{"boom", "secret", "goroutine", ".go:", "runtime/"} {
		if bytes.Contains(body, []byte(leak)) {
			t.Errorf("body leaks %q: %s", leak, body)
		}
	}
	panics := h.logs.lines(t, "panic recovered")
	if len(panics) != 1 || !strings.Contains(fmt.Sprint(panics[0]["stack"]), "goroutine") || panics[0]["request_id"] != reqID {
		t.Errorf("want one panic log line with a stack and the request id; logs:\n%s", h.logs.String())
	}
	if line := accessLine(t, h.logs, reqID); line["status"] != float64(500) || line["level"] != "ERROR" {
		t.Errorf("access line %v, want status 500 at ERROR", line)
	}
	if resp.Header.Get(fiber.HeaderXContentTypeOptions) != "nosniff" {
		t.Error("the 500 answer lacks security headers")
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gateway.AppConfig{})
	long := strings.Repeat("a", 128)
	tests := []struct {
		name   string
		in     string
		echoed bool
	}{
		{"none", "", false},
		{"sane", "abc-123_X.y", true},
		{"128 chars", long, true},
		{"129 chars", long + "a", false},
		{"bad characters", "abc def", false},
		{"injection", `x"}{<script>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hdr []string
			if tt.in != "" {
				hdr = []string{gateway.HeaderRequestID, tt.in}
			}
			resp, body := get(t, h.app, "/ids", hdr...)
			got := resp.Header.Get(gateway.HeaderRequestID)
			if tt.echoed && got != tt.in {
				t.Errorf("got %q, want the incoming id echoed", got)
			}
			if !tt.echoed && (got == tt.in || len(got) != 36) {
				t.Errorf("got %q, want a generated UUID", got)
			}
			m := decode(t, body)
			if m["locals"] != got || m["ctx"] != got {
				t.Errorf("handler saw %v, header %q", m, got)
			}
		})
	}
}

func TestTraceAndAccessLog(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gateway.AppConfig{})
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	const parentSpan = "00f067aa0ba902b7"

	resp, _ := get(t, h.app, "/items/42",
		"traceparent", "00-"+traceID+"-"+parentSpan+"-01",
		"tracestate", "congo=t61rcWkgMzE",
		"X-Test-Tenant", "tenant-7",
		"User-Agent", "test-agent")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	tp := strings.Split(resp.Header.Get("traceparent"), "-")
	if len(tp) != 4 || tp[1] != traceID || tp[2] == parentSpan {
		t.Fatalf("response traceparent %q: want trace %s with the server span's id", resp.Header.Get("traceparent"), traceID)
	}
	if ts := resp.Header.Get("tracestate"); ts != "congo=t61rcWkgMzE" {
		t.Errorf("response tracestate %q", ts)
	}
	reqID := resp.Header.Get(gateway.HeaderRequestID)

	line := accessLine(t, h.logs, reqID)
	want := map[string]any{
		"trace_id": traceID, "span_id": tp[2], "tenant_id": "tenant-7", "method": "GET",
		"route": "/items/:id", "path": "/items/42", "status": float64(200), "ip": "0.0.0.0",
		"user_agent": "test-agent", "level": "INFO", "bytes": float64(len(`{"id":"42"}`)),
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("access line %s = %v, want %v", k, line[k], v)
		}
	}
	if _, ok := line["duration_us"].(float64); !ok {
		t.Errorf("access line lacks duration_us: %v", line)
	}
	handler := h.logs.lines(t, "handler ran")
	if len(handler) != 1 || handler[0]["request_id"] != reqID || handler[0]["trace_id"] != traceID || handler[0]["tenant_id"] != "tenant-7" {
		t.Errorf("handler log line lacks ids: %v", handler)
	}

	spans := h.spans.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans ended, want 1", len(spans))
	}
	s := spans[0]
	if s.Name() != "GET /items/:id" || s.Parent().SpanID().String() != parentSpan || s.SpanContext().SpanID().String() != tp[2] {
		t.Errorf("span %q parent %s id %s", s.Name(), s.Parent().SpanID(), s.SpanContext().SpanID())
	}
	attrs := map[string]string{}
	for _, a := range s.Attributes() {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	if attrs["http.route"] != "/items/:id" || attrs["http.response.status_code"] != "200" || attrs["url.path"] != "/items/42" {
		t.Errorf("span attributes %v", attrs)
	}
}

func TestTraceStartsNewTrace(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gateway.AppConfig{})
	resp, _ := get(t, h.app, "/items/1", "traceparent", "garbage")
	tp := strings.Split(resp.Header.Get("traceparent"), "-")
	if len(tp) != 4 || len(tp[1]) != 32 || tp[1] == strings.Repeat("0", 32) {
		t.Fatalf("response traceparent %q: want a fresh trace", resp.Header.Get("traceparent"))
	}
	if line := accessLine(t, h.logs, resp.Header.Get(gateway.HeaderRequestID)); line["trace_id"] != tp[1] {
		t.Errorf("access line trace_id %v, want %s", line["trace_id"], tp[1])
	}
	if _, ok := accessLine(t, h.logs, resp.Header.Get(gateway.HeaderRequestID))["tenant_id"]; ok {
		t.Error("tenant_id logged for a request without a tenant")
	}
}

// TestFinalStatus checks that access log, metrics and span all see the status
// the error handler chose, and the route label for matched and unmatched paths.
func TestFinalStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		path   string
		status int
		route  string
	}{
		{"ok", http.MethodGet, "/items/42", 200, "/items/:id"},
		{"handler not found", http.MethodGet, "/items/missing", 404, "/items/:id"},
		{"no route", http.MethodGet, "/nope/123", 404, observability.RouteUnmatched},
		{"wrong method", http.MethodDelete, "/items/42", 405, observability.RouteUnmatched},
		{"panic", http.MethodGet, "/panic", 500, "/panic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, gateway.AppConfig{})
			resp, _ := do(t, h.app, httptest.NewRequest(tt.method, tt.path, nil))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			line := accessLine(t, h.logs, resp.Header.Get(gateway.HeaderRequestID))
			if line["status"] != float64(tt.status) || line["route"] != tt.route {
				t.Errorf("access line status %v route %v", line["status"], line["route"])
			}
			if tt.status >= 400 && line["error"] == nil {
				t.Errorf("access line lacks the error: %v", line)
			}
			spans := h.spans.Ended()
			if len(spans) != 1 || spans[0].Name() != tt.method+" "+tt.route {
				t.Errorf("span names: %v", spans)
			}
			_, body := get(t, h.app, "/metrics")
			want := fmt.Sprintf(`http_requests_total{method=%q,route=%q,status="%d"} 1`, tt.method, tt.route, tt.status)
			if !strings.Contains(string(body), want) {
				t.Errorf("metrics lack %s", want)
			}
		})
	}
}

func TestMetricsUseRouteTemplates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gateway.AppConfig{})
	for _, p := range []string{"/items/42", "/items/7", "/items/missing", "/nope", "/nope/deeper"} {
		get(t, h.app, p, "X-Test-Tenant", "tenant-secret-id")
	}
	_, b := get(t, h.app, "/metrics")
	body := string(b)
	for _, want := range []string{
		`http_requests_total{method="GET",route="/items/:id",status="200"} 2`,
		`http_requests_total{method="GET",route="/items/:id",status="404"} 1`,
		`http_requests_total{method="GET",route="unmatched",status="404"} 2`,
		`http_request_duration_seconds_count{method="GET",route="/items/:id"} 3`,
		`http_request_duration_seconds_bucket{method="GET",route="unmatched",le="0.0005"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, leak := range []string{"/items/42", "/nope", "tenant-secret-id"} {
		if strings.Contains(body, leak) {
			t.Errorf("metrics contain %q", leak)
		}
	}
}

// serve runs app on 127.0.0.1:0 until the test ends and returns its base URL.
// app.Test cannot show answers fasthttp gives while reading the request.
func serve(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	t.Cleanup(func() {
		_ = app.Shutdown()
		if err := <-done; err != nil {
			t.Errorf("listener: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gateway.AppConfig{BodyLimit: 64})
	base := serve(t, h.app)
	tests := []struct {
		name   string
		size   int
		status int
	}{
		{"under", 64, http.StatusOK},
		{"over", 65, http.StatusRequestEntityTooLarge},
		{"far over", 8 << 10, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(http.MethodPost, base+"/upload", strings.NewReader(strings.Repeat("x", tt.size)))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/octet-stream")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != http.StatusRequestEntityTooLarge {
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json; charset=utf-8" {
				t.Errorf("content type %q", ct)
			}
			if p := decode(t, body); p["code"] != "too_large" || p["status"] != float64(413) {
				t.Errorf("problem %v", p)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	trusted := newHarness(t, gateway.AppConfig{TrustedProxies: []string{"0.0.0.0"}}) // app.Test's peer address
	untrusted := newHarness(t, gateway.AppConfig{})
	tests := []struct {
		name    string
		app     *fiber.App
		path    string
		headers []string
		hsts    bool
		csp     string
	}{
		{"plain http", untrusted.app, "/items/1", nil, false, gateway.APICSP},
		{"https from a trusted proxy", trusted.app, "/items/1", []string{"X-Forwarded-Proto", "https"}, true, gateway.APICSP},
		{"https claimed by an untrusted peer", untrusted.app, "/items/1", []string{"X-Forwarded-Proto", "https"}, false, gateway.APICSP},
		{"error answer", untrusted.app, "/nope", nil, false, gateway.APICSP},
		{"page keeps its own policy", untrusted.app, "/page", nil, false, "default-src 'self'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, _ := get(t, tt.app, tt.path, tt.headers...)
			for k, v := range map[string]string{
				"X-Content-Type-Options":  "nosniff",
				"X-Frame-Options":         "DENY",
				"Referrer-Policy":         "strict-origin-when-cross-origin",
				"Permissions-Policy":      gateway.PermissionsPolicy,
				"Content-Security-Policy": tt.csp,
			} {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if got := resp.Header.Get("Strict-Transport-Security"); (got != "") != tt.hsts {
				t.Errorf("Strict-Transport-Security = %q, want present %v", got, tt.hsts)
			}
		})
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	allowed := map[string]bool{"https://shop.example": true, "https://acme.concierge.test": true, "null": true}
	app := gateway.NewApp(gateway.AppConfig{}, observability.NewLogger("error", io.Discard))
	app.Use(gateway.CORS(func(_ *fiber.Ctx, origin string) bool { return allowed[origin] }))
	app.Get("/api", func(c *fiber.Ctx) error { return c.SendString("ok") })

	tests := []struct {
		name        string
		method      string
		headers     []string
		status      int
		allowOrigin string
		check       func(t *testing.T, h http.Header)
	}{
		{name: "no origin", method: "GET", status: 200},
		{
			name: "allowed origin", method: "GET", headers: []string{"Origin", "https://shop.example"},
			status: 200, allowOrigin: "https://shop.example",
			check: func(t *testing.T, h http.Header) {
				if h.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(h.Get("Access-Control-Expose-Headers"), "X-Request-ID") {
					t.Errorf("headers %v", h)
				}
			},
		},
		{name: "disallowed origin", method: "GET", headers: []string{"Origin", "https://evil.example"}, status: 200},
		{name: "null origin", method: "GET", headers: []string{"Origin", "null"}, status: 200},
		{
			name: "preflight allowed", method: "OPTIONS",
			headers: []string{"Origin", "https://acme.concierge.test", "Access-Control-Request-Method", "PATCH",
				"Access-Control-Request-Headers", "content-type, x-request-id"},
			status: 204, allowOrigin: "https://acme.concierge.test",
			check: func(t *testing.T, h http.Header) {
				if !strings.Contains(h.Get("Access-Control-Allow-Methods"), "PATCH") ||
					h.Get("Access-Control-Allow-Headers") != "content-type, x-request-id" ||
					h.Get("Access-Control-Max-Age") != "600" ||
					h.Get("Access-Control-Allow-Credentials") != "true" ||
					!strings.Contains(h.Get("Vary"), "Access-Control-Request-Method") {
					t.Errorf("preflight headers %v", h)
				}
			},
		},
		{
			name: "preflight with an odd header list", method: "OPTIONS",
			headers: []string{"Origin", "https://shop.example", "Access-Control-Request-Method", "POST",
				"Access-Control-Request-Headers", "content-type, bad header"},
			status: 204, allowOrigin: "https://shop.example",
			check: func(t *testing.T, h http.Header) {
				if h.Get("Access-Control-Allow-Headers") != "" {
					t.Errorf("echoed %q", h.Get("Access-Control-Allow-Headers"))
				}
			},
		},
		{
			name: "preflight disallowed", method: "OPTIONS",
			headers: []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "DELETE"},
			status:  403,
			check: func(t *testing.T, h http.Header) {
				if h.Get("Content-Type") != "application/problem+json; charset=utf-8" || h.Get("Access-Control-Allow-Methods") != "" {
					t.Errorf("headers %v", h)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, "/api", nil)
			for i := 0; i+1 < len(tt.headers); i += 2 {
				req.Header.Set(tt.headers[i], tt.headers[i+1])
			}
			resp, body := do(t, app, req)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.allowOrigin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.allowOrigin)
			}
			if tt.allowOrigin == "" && resp.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Error("credentials allowed for a disallowed origin")
			}
			if !strings.Contains(resp.Header.Get("Vary"), "Origin") {
				t.Errorf("Vary = %q, want Origin", resp.Header.Get("Vary"))
			}
			if tt.check != nil {
				tt.check(t, resp.Header)
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	app := gateway.NewApp(gateway.AppConfig{}, observability.NewLogger("error", io.Discard))
	app.Get("/healthz", gateway.Healthz())
	resp, body := get(t, app, "/healthz")
	if resp.StatusCode != 200 || string(body) != `{"status":"ok"}` || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("%d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	ok := func(context.Context) error { return nil }
	tests := []struct {
		name   string
		checks map[string]func(context.Context) error
		status int
		want   map[string]string
	}{
		{"all ok", map[string]func(context.Context) error{"postgres": ok, "redis": ok}, 200,
			map[string]string{"postgres": "ok", "redis": "ok"}},
		{"none", map[string]func(context.Context) error{}, 200, map[string]string{}},
		{"one fails", map[string]func(context.Context) error{
			"postgres": ok,
			"redis":    func(context.Context) error { return errors.New("connection refused") },
		}, 503, map[string]string{"postgres": "ok", "redis": "connection refused"}},
		{"one panics", map[string]func(context.Context) error{
			"migrations": func(context.Context) error { panic("bad") },
		}, 503, map[string]string{"migrations": "panic: bad"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := gateway.NewApp(gateway.AppConfig{}, observability.NewLogger("error", io.Discard))
			app.Use(gateway.RequestID())
			app.Get("/readyz", gateway.Readyz(tt.checks))
			resp, body := get(t, app, "/readyz")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			var got struct {
				Status    any               `json:"status"`
				Code      string            `json:"code"`
				Detail    string            `json:"detail"`
				RequestID string            `json:"request_id"`
				Checks    map[string]string `json:"checks"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got.Checks) != fmt.Sprint(tt.want) {
				t.Errorf("checks %v, want %v", got.Checks, tt.want)
			}
			if tt.status == 200 && got.Status != "ready" {
				t.Errorf("status %v, want ready", got.Status)
			}
			if tt.status == 503 {
				if resp.Header.Get("Content-Type") != "application/problem+json; charset=utf-8" || got.Code != "unavailable" ||
					got.RequestID == "" || !strings.Contains(got.Detail, "not ready") {
					t.Errorf("problem %s", body)
				}
			}
		})
	}
}

func TestReadyzTimeout(t *testing.T) {
	t.Parallel()
	app := gateway.NewApp(gateway.AppConfig{}, observability.NewLogger("error", io.Discard))
	app.Get("/readyz", gateway.ReadyzWithin(map[string]func(context.Context) error{
		"postgres": func(context.Context) error { return nil },
		"slow": func(ctx context.Context) error {
			<-ctx.Done() // a check that honours its context
			return ctx.Err()
		},
		"stuck": func(context.Context) error {
			select {} // a check that ignores its context must not hold the answer
		},
	}, gateway.ShortReadyTimeout))
	resp, body := get(t, app, "/readyz")
	if resp.StatusCode != 503 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got struct {
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Checks["postgres"] != "ok" || got.Checks["stuck"] != "timed out" || got.Checks["slow"] == "ok" {
		t.Errorf("checks %v", got.Checks)
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gateway.AppConfig{}, gateway.Timeout(gateway.ShortReadyTimeout))
	h.app.Get("/deadline", func(c *fiber.Ctx) error {
		if _, ok := c.UserContext().Deadline(); !ok {
			return errors.New("no deadline")
		}
		return c.SendString("ok")
	})
	h.app.Get("/slow", func(c *fiber.Ctx) error {
		<-c.UserContext().Done() // as a cancelled database call would
		return fmt.Errorf("query: %w", c.UserContext().Err())
	})
	if resp, body := get(t, h.app, "/deadline"); resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	resp, body := get(t, h.app, "/slow")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if p := decode(t, body); p["code"] != "unavailable" {
		t.Errorf("problem %v", p)
	}
	if resp.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
}
