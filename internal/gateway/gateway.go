// Package gateway builds the Fiber application and the cross-cutting
// middleware every request passes through: panic recovery, request ids,
// tracing, access logs, metrics, security headers, CORS, deadlines, rate
// limits and health endpoints. It holds no business logic; the composition
// root decides the order and what tenants, CORS and rate limits mean.
//
// Recommended order (outermost first):
//
//	app.Use(gateway.RequestID())
//	app.Use(gateway.Trace(tracer))
//	app.Use(gateway.AccessLog(log))
//	app.Use(gateway.Metrics(metrics))
//	app.Use(gateway.Recover(log))
//	app.Use(gateway.SecurityHeaders())
//	app.Get("/healthz", gateway.Healthz()); app.Get("/readyz", gateway.Readyz(...))
//	app.Use(gateway.RateLimit(... ByIP ...))
//	app.Use(gateway.Timeout(d))
//	... tenant resolution ...
//	app.Use(gateway.CORS(allowed)) // needs the tenant, must precede auth
//	app.Use(gateway.RateLimit(... ByTenant ...))
//	... auth, routes ...
package gateway

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/internal/observability"
)

// AppConfig configures the Fiber application. Zero values take the defaults
// in parentheses.
type AppConfig struct {
	// Name is the application name (concierge).
	Name string
	// BodyLimit is the largest request body in bytes; larger bodies get a 413
	// problem (1 MiB).
	BodyLimit int
	// ReadTimeout bounds reading a request, WriteTimeout writing a response,
	// IdleTimeout an idle keep-alive connection (15s, 30s, 60s).
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// ReadBufferSize bounds the request line plus headers in bytes (16 KiB);
	// larger headers are refused with 431.
	ReadBufferSize int
	// ProxyHeader names the header carrying the client IP set by a reverse
	// proxy, for example X-Real-IP. Prefer a header the proxy overwrites:
	// the first address of X-Forwarded-For is whatever the client sent.
	// Empty means the socket address is the client IP (no proxy).
	ProxyHeader string
	// Catalog gives problem+json their texts; nil loads the embedded catalog.
	Catalog *i18n.Catalog
	// TrustedProxies lists the proxy addresses or CIDR ranges whose
	// ProxyHeader and X-Forwarded-Proto/Host are believed. Requests from any
	// other address are taken at face value of their socket.
	TrustedProxies []string
}

func (c AppConfig) withDefaults() AppConfig {
	if c.Name == "" {
		c.Name = "concierge"
	}
	if c.BodyLimit <= 0 {
		c.BodyLimit = 1 << 20
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 15 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 60 * time.Second
	}
	if c.ReadBufferSize <= 0 {
		c.ReadBufferSize = 16 << 10
	}
	if c.Catalog == nil {
		c.Catalog = i18n.MustLoad()
	}
	return c
}

// NewApp returns the Fiber application with the one error handler
// (httpx.ErrorHandler), body limit, timeouts, the standard JSON encoder and
// trusted-proxy handling. Proxy headers are believed only from
// cfg.TrustedProxies.
func NewApp(cfg AppConfig, log *slog.Logger) *fiber.App {
	cfg = cfg.withDefaults()
	return fiber.New(fiber.Config{
		AppName:                 cfg.Name,
		ErrorHandler:            httpx.ErrorHandler(log, cfg.Catalog),
		BodyLimit:               cfg.BodyLimit,
		ReadTimeout:             cfg.ReadTimeout,
		WriteTimeout:            cfg.WriteTimeout,
		IdleTimeout:             cfg.IdleTimeout,
		ReadBufferSize:          cfg.ReadBufferSize,
		JSONEncoder:             json.Marshal,
		JSONDecoder:             json.Unmarshal,
		DisableStartupMessage:   true,
		ProxyHeader:             cfg.ProxyHeader,
		EnableTrustedProxyCheck: true, // with no TrustedProxies no proxy header is believed
		TrustedProxies:          cfg.TrustedProxies,
		EnableIPValidation:      true,
	})
}

// Locals keys private to this package.
type (
	chainErrKey  struct{}
	unmatchedKey struct{}
)

// settle turns an error returned by the rest of the chain into its response
// with the app's error handler, as Fiber's logger middleware does, so the
// caller sees the final status. It returns the chain's error (also when an
// inner middleware of this package already handled it) for logging and
// tracing; callers then return nil so the error is answered only once.
func settle(c *fiber.Ctx, err error) error {
	if err == nil {
		prev, _ := c.Locals(chainErrKey{}).(error)
		return prev
	}
	c.Locals(chainErrKey{}, err)
	if isRoutingMiss(err) {
		c.Locals(unmatchedKey{}, true)
	}
	if herr := c.App().ErrorHandler(c, err); herr != nil {
		_ = c.SendStatus(fiber.StatusInternalServerError)
	}
	return err
}

// isRoutingMiss tells Fiber's own "no route" errors (404 "Cannot GET /x",
// 405) from a handler's not-found answer.
func isRoutingMiss(err error) bool {
	var fe *fiber.Error
	if !errors.As(err, &fe) {
		return false
	}
	return fe == fiber.ErrMethodNotAllowed ||
		(fe.Code == fiber.StatusNotFound && strings.HasPrefix(fe.Message, "Cannot "))
}

// routeTemplate is the registered path of the route that served the request
// ("/items/:id"), or observability.RouteUnmatched when no route matched. A
// request answered by middleware before any route (a 429, a CORS preflight)
// carries the path that middleware was mounted on ("/" for app.Use). Never
// the raw path: it labels metrics and names spans.
func routeTemplate(c *fiber.Ctx) string {
	if un, _ := c.Locals(unmatchedKey{}).(bool); un {
		return observability.RouteUnmatched
	}
	return c.Route().Path
}
