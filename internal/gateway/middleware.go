package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/observability"
)

// HeaderRequestID carries the request id in and out.
const HeaderRequestID = httpx.HeaderRequestID

// Recover turns a panic in a later handler into a 500 problem. The panic
// value and stack go to the log only; the client sees the request id.
// Place it after AccessLog and Metrics so panicking requests are counted.
func Recover(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			httpx.LoggerFrom(c, log).ErrorContext(c.UserContext(), "panic recovered",
				"panic", fmt.Sprint(r),
				"stack", string(debug.Stack()),
				"method", c.Method(),
				"path", c.Path(),
			)
			err = errs.Wrap(errs.CodeInternal, fmt.Errorf("panic: %v", r), "")
		}()
		return c.Next()
	}
}

// maxRequestIDLen bounds an accepted incoming request id.
const maxRequestIDLen = 128

// RequestID accepts a sane incoming X-Request-ID (1 to 128 of
// [A-Za-z0-9._-]) or makes a new one (UUIDv7), echoes it in the response,
// and records it with httpx.SetRequestID and observability.WithRequestID.
func RequestID() fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Get(HeaderRequestID)
		if validRequestID(id) {
			id = strings.Clone(id) // request memory is reused after the request
		} else {
			id = newRequestID()
		}
		c.Set(HeaderRequestID, id)
		httpx.SetRequestID(c, id)
		c.SetUserContext(observability.WithRequestID(c.UserContext(), id))
		return c.Next()
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '.', b == '_', b == '-':
		default:
			return false
		}
	}
	return true
}

func newRequestID() string { return httpx.NewRequestID() }

// Trace continues the caller's W3C trace (traceparent, tracestate, baggage)
// or starts one, runs the rest of the chain inside a server span named
// "METHOD /route/:template", and returns the traceparent of that span in the
// response so a client can quote it.
func Trace(tracer trace.Tracer) fiber.Handler {
	prop := observability.Propagator()
	out := propagation.TraceContext{}
	return func(c *fiber.Ctx) error {
		ctx := prop.Extract(c.UserContext(), requestCarrier{c})
		method := observability.NormalizeMethod(c.Method())
		ctx, span := tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer))
		// Unsampled spans only carry ids: skip building attributes nobody
		// records (the common case without an exporter).
		recording := span.IsRecording()
		if recording {
			span.SetAttributes(
				semconv.HTTPRequestMethodKey.String(method),
				semconv.URLPath(strings.Clone(c.Path())),
				semconv.URLScheme(strings.Clone(c.Protocol())),
				semconv.ClientAddress(strings.Clone(c.IP())),
				semconv.UserAgentOriginal(strings.Clone(c.Get(fiber.HeaderUserAgent))),
			)
		}
		defer span.End()
		c.SetUserContext(ctx)
		out.Inject(ctx, responseCarrier{c})

		err := settle(c, c.Next())
		if !recording {
			return nil
		}
		status := c.Response().StatusCode()
		route := routeTemplate(c)
		span.SetName(method + " " + route)
		span.SetAttributes(semconv.HTTPRoute(route), semconv.HTTPResponseStatusCode(status))
		if err != nil {
			span.RecordError(err)
		}
		if status >= 500 {
			msg := fmt.Sprintf("HTTP %d", status)
			if err != nil {
				msg = string(errs.CodeOf(err))
			}
			span.SetStatus(codes.Error, msg)
		}
		return nil
	}
}

// requestCarrier reads propagation headers from the request, copying values
// because the propagators keep substrings (tracestate, baggage) beyond the
// request, whose memory fasthttp reuses.
type requestCarrier struct{ c *fiber.Ctx }

func (r requestCarrier) Get(key string) string { return strings.Clone(r.c.Get(key)) }
func (r requestCarrier) Set(string, string)    {}
func (r requestCarrier) Keys() []string {
	var keys []string
	r.c.Request().Header.VisitAll(func(k, _ []byte) { keys = append(keys, string(k)) })
	return keys
}

// responseCarrier writes propagation headers to the response.
type responseCarrier struct{ c *fiber.Ctx }

func (r responseCarrier) Get(key string) string { return string(r.c.Response().Header.Peek(key)) }
func (r responseCarrier) Set(key, value string) { r.c.Set(key, value) }
func (r responseCarrier) Keys() []string        { return nil }

// AccessLog writes one line per request (method, route, path, status,
// duration_us, bytes, ip, user_agent and, through the context-aware logger,
// request_id, trace_id and tenant_id) and gives handlers a request-scoped
// logger through httpx.SetLogger. Errors from the chain are answered here
// with the app's error handler, so the line has the final status. Lines are
// at info, or error for 5xx.
func AccessLog(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		// The logger's handler adds request, trace and tenant ids from the
		// context of each record, so handlers log through it with
		// c.UserContext() and need no per-request logger copy.
		rl := log
		httpx.SetLogger(c, rl)

		err := settle(c, c.Next())

		status := c.Response().StatusCode()
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		fields := []slog.Attr{
			slog.String("method", c.Method()),
			slog.String("route", routeTemplate(c)),
			slog.String("path", c.Path()),
			slog.Int("status", status),
			// Whole microseconds: slog encodes floats through encoding/json,
			// which costs more than the rest of the line.
			slog.Int64("duration_us", time.Since(start).Microseconds()),
			slog.Int("bytes", responseBytes(c)),
			slog.String("ip", c.IP()),
			slog.String("user_agent", c.Get(fiber.HeaderUserAgent)),
		}
		if err != nil {
			fields = append(fields, slog.String("error", err.Error()))
		}
		rl.LogAttrs(c.UserContext(), level, "request", fields...)
		return nil
	}
}

// responseBytes is the response body size without reading a streamed body.
func responseBytes(c *fiber.Ctx) int {
	r := c.Response()
	if r.IsBodyStream() {
		return max(r.Header.ContentLength(), 0)
	}
	return len(r.Body())
}

// Metrics counts requests and their latency per method, route template and
// status, answering chain errors first so the status is final.
func Metrics(m *observability.Metrics) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		done := m.RequestStarted()
		defer done()
		_ = settle(c, c.Next())
		m.ObserveHTTP(observability.NormalizeMethod(c.Method()), routeTemplate(c), c.Response().StatusCode(), time.Since(start))
		return nil
	}
}

// Timeout gives the rest of the chain a context that ends after d, so
// database and Redis calls made with c.UserContext() are cancelled. It does
// not abort a handler that ignores its context (Fiber's timeout middleware
// tries to and is unsafe). A handler error caused by this deadline becomes a
// 503 unavailable problem.
func Timeout(d time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), d)
		defer cancel()
		c.SetUserContext(ctx)
		err := c.Next()
		if err != nil && errors.Is(err, context.DeadlineExceeded) && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &errs.Error{Code: errs.CodeUnavailable, RetryAfter: 1, Err: err, Msg: errs.M("error.timeout")}
		}
		return err
	}
}
