package observability

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// RouteUnmatched is the route label of requests no route matched.
const RouteUnmatched = "unmatched"

// DurationBuckets are the HTTP latency buckets in seconds: fine-grained at the
// low end, where the performance goals are.
var DurationBuckets = []float64{
	0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5,
}

// Metrics is the process's Prometheus registry and the gateway's HTTP
// metrics. Other packages register their own collectors on Registry.
type Metrics struct {
	// Registry holds every collector the /metrics handler exposes.
	Registry *prometheus.Registry

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// NewMetrics builds a registry with the Go runtime and process collectors and
// the HTTP metrics:
//
//	http_requests_total{method,route,status}
//	http_request_duration_seconds{method,route}
//	http_requests_in_flight
//
// route is always a route template or RouteUnmatched, never a raw path or a
// tenant id, so the number of series stays bounded.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests served, by method, route template and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "HTTP request latency in seconds, by method and route template.",
			Buckets: DurationBuckets,
		}, []string{"method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.inFlight,
	)
	return m
}

// MustRegister registers collectors of other packages; it panics on a
// duplicate, which is a programming error found at start-up.
func (m *Metrics) MustRegister(cs ...prometheus.Collector) { m.Registry.MustRegister(cs...) }

// Register registers a collector and returns prometheus's error on a duplicate.
func (m *Metrics) Register(c prometheus.Collector) error { return m.Registry.Register(c) }

// RequestStarted counts a request in flight; call the returned func when it ends.
func (m *Metrics) RequestStarted() (done func()) {
	m.inFlight.Inc()
	return m.inFlight.Dec
}

// ObserveHTTP records one served request. method must be one of a bounded
// set (see NormalizeMethod) and route a route template or RouteUnmatched.
func (m *Metrics) ObserveHTTP(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// NormalizeMethod maps a request method to a constant string from a fixed
// set, OTHER for anything else. The result never aliases request memory, so
// it is safe as a metric label that outlives the request.
func NormalizeMethod(method string) string {
	switch method {
	case fiber.MethodGet:
		return fiber.MethodGet
	case fiber.MethodHead:
		return fiber.MethodHead
	case fiber.MethodPost:
		return fiber.MethodPost
	case fiber.MethodPut:
		return fiber.MethodPut
	case fiber.MethodPatch:
		return fiber.MethodPatch
	case fiber.MethodDelete:
		return fiber.MethodDelete
	case fiber.MethodOptions:
		return fiber.MethodOptions
	case fiber.MethodConnect:
		return fiber.MethodConnect
	case fiber.MethodTrace:
		return fiber.MethodTrace
	}
	return "OTHER"
}

// Handler serves the registry in the Prometheus exposition format, for
// GET /metrics. Expose it only where the scraper can reach it.
func (m *Metrics) Handler() fiber.Handler {
	return adaptor.HTTPHandler(m.HTTPHandler())
}

// HTTPHandler is Handler for net/http: the private metrics listener serves
// it (METRICS_ADDR), apart from the public gateway.
func (m *Metrics) HTTPHandler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
