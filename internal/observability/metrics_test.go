package observability_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"concierge/internal/observability"
)

func TestMetricsHandler(t *testing.T) {
	t.Parallel()
	m := observability.NewMetrics()
	m.ObserveHTTP("GET", "/items/:id", 200, 3*time.Millisecond)
	m.ObserveHTTP("GET", "/items/:id", 200, 4*time.Millisecond)
	m.ObserveHTTP("GET", observability.RouteUnmatched, 404, time.Millisecond)
	jobs := prometheus.NewCounter(prometheus.CounterOpts{Name: "jobs_done_total", Help: "Jobs done."})
	m.MustRegister(jobs)
	jobs.Inc()
	if err := m.Register(jobs); err == nil {
		t.Error("registering the same collector twice: want an error")
	}

	app := fiber.New()
	app.Get("/metrics", m.Handler())
	resp, err := app.Test(httptest.NewRequest("GET", "/metrics", nil))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	for _, want := range []string{
		`http_requests_total{method="GET",route="/items/:id",status="200"} 2`,
		`http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`http_request_duration_seconds_bucket{method="GET",route="/items/:id",le="0.005"} 2`,
		`http_request_duration_seconds_bucket{method="GET",route="/items/:id",le="0.0025"} 0`,
		`http_requests_in_flight 0`,
		`jobs_done_total 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestNormalizeMethod(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"GET", "GET"}, {"DELETE", "DELETE"}, {"PROPFIND", "OTHER"}, {"get", "OTHER"},
	}
	for _, tt := range tests {
		if got := observability.NormalizeMethod(tt.in); got != tt.want {
			t.Errorf("NormalizeMethod(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
