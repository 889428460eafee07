// Package observability holds the process's logging, tracing and metrics
// plumbing: a JSON slog logger that stamps every record with the trace, span,
// request and tenant ids found in its context; the OpenTelemetry tracer
// provider with W3C propagation; and the Prometheus registry with the HTTP
// metrics.
//
// The package knows nothing of tenants as a business concept: the tenant id
// reaches the logs either through WithTenantID on the context or through a
// TenantFrom hook the composition root passes to NewLogger.
package observability

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// The keys the log handler adds to every record.
const (
	KeyTraceID   = "trace_id"
	KeySpanID    = "span_id"
	KeyRequestID = "request_id"
	KeyTenantID  = "tenant_id"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	tenantIDKey
)

// WithRequestID returns a context carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestIDFrom returns the request id of ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// WithTenantID returns a context carrying the tenant id for logs. It is a log
// label only: tenancy itself is decided by the tenants package.
func WithTenantID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, tenantIDKey, id)
}

// TenantIDFrom returns the tenant id set by WithTenantID, or "".
func TenantIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(tenantIDKey).(string)
	return id
}

// TraceIDFrom returns the hex trace id of the span in ctx, or "".
func TraceIDFrom(ctx context.Context) string {
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		return sc.TraceID().String()
	}
	return ""
}

// SpanIDFrom returns the hex span id of the span in ctx, or "".
func SpanIDFrom(ctx context.Context) string {
	if sc := trace.SpanContextFromContext(ctx); sc.HasSpanID() {
		return sc.SpanID().String()
	}
	return ""
}

// Option configures the log handler.
type Option func(*handlerConfig)

type handlerConfig struct {
	tenantFrom func(context.Context) string
}

// TenantFrom sets the hook that reads the tenant id from a context when
// WithTenantID was not used, for example a function over tenants.FromContext
// that the composition root provides. It returns "" when there is no tenant.
func TenantFrom(fn func(context.Context) string) Option {
	return func(c *handlerConfig) { c.tenantFrom = fn }
}

// ParseLevel reads debug, info, warn or error (any case, or slog's "info+2"
// forms). Anything else is info.
func ParseLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// NewLogger returns a JSON logger writing to w at level (see ParseLevel) that
// adds trace_id, span_id, request_id and tenant_id from the context to every
// record. Use the ...Context logging methods so the ids can be found.
func NewLogger(level string, w io.Writer, opts ...Option) *slog.Logger {
	inner := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: ParseLevel(level)})
	return slog.New(NewHandler(inner, opts...))
}

// NewHandler wraps inner so that every record carries the context's ids as
// top-level attributes, even when logged inside a group. An id already given
// to the logger with With at the top level is not repeated.
func NewHandler(inner slog.Handler, opts ...Option) slog.Handler {
	h := &ctxHandler{inner: inner}
	for _, o := range opts {
		o(&h.cfg)
	}
	return h
}

// idBits marks which of the four ids were already attached with With.
type idBits uint8

const (
	hasTrace idBits = 1 << iota
	hasSpan
	hasRequest
	hasTenant
)

func bitOf(key string) idBits {
	switch key {
	case KeyTraceID:
		return hasTrace
	case KeySpanID:
		return hasSpan
	case KeyRequestID:
		return hasRequest
	case KeyTenantID:
		return hasTenant
	}
	return 0
}

// group is an open WithGroup and the attributes added inside it. Groups are
// applied by the wrapper at Handle time, so the ids stay at the top level.
type group struct {
	name  string
	attrs []slog.Attr
}

type ctxHandler struct {
	inner  slog.Handler // carries every top-level With attribute, no group
	groups []group
	have   idBits
	cfg    handlerConfig
}

func (h *ctxHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *ctxHandler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	h2 := *h
	if len(h.groups) == 0 {
		h2.inner = h.inner.WithAttrs(as)
		for _, a := range as {
			h2.have |= bitOf(a.Key)
		}
		return &h2
	}
	h2.groups = slices.Clone(h.groups)
	last := &h2.groups[len(h2.groups)-1]
	last.attrs = append(slices.Clip(last.attrs), as...)
	return &h2
}

func (h *ctxHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.groups = append(slices.Clip(h.groups), group{name: name})
	return &h2
}

func (h *ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	var buf [4]slog.Attr
	ids := h.ids(ctx, buf[:0])
	if len(ids) == 0 && len(h.groups) == 0 {
		return h.inner.Handle(ctx, r)
	}
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	nr.AddAttrs(ids...)
	if len(h.groups) == 0 {
		r.Attrs(func(a slog.Attr) bool {
			nr.AddAttrs(a)
			return true
		})
		return h.inner.Handle(ctx, nr)
	}
	// Rebuild the groups from the innermost out: the record's own attributes
	// belong to the innermost group.
	inner := make([]slog.Attr, 0, len(h.groups[len(h.groups)-1].attrs)+r.NumAttrs())
	inner = append(inner, h.groups[len(h.groups)-1].attrs...)
	r.Attrs(func(a slog.Attr) bool {
		inner = append(inner, a)
		return true
	})
	g := slog.Attr{Key: h.groups[len(h.groups)-1].name, Value: slog.GroupValue(inner...)}
	for i := len(h.groups) - 2; i >= 0; i-- {
		as := append(slices.Clip(h.groups[i].attrs), g)
		g = slog.Attr{Key: h.groups[i].name, Value: slog.GroupValue(as...)}
	}
	nr.AddAttrs(g)
	return h.inner.Handle(ctx, nr)
}

// ids appends the context's ids that the logger does not already carry.
func (h *ctxHandler) ids(ctx context.Context, dst []slog.Attr) []slog.Attr {
	if ctx == nil {
		return dst
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		if h.have&hasTrace == 0 {
			dst = append(dst, slog.String(KeyTraceID, sc.TraceID().String()))
		}
		if h.have&hasSpan == 0 {
			dst = append(dst, slog.String(KeySpanID, sc.SpanID().String()))
		}
	}
	if h.have&hasRequest == 0 {
		if id := RequestIDFrom(ctx); id != "" {
			dst = append(dst, slog.String(KeyRequestID, id))
		}
	}
	if h.have&hasTenant == 0 {
		id := TenantIDFrom(ctx)
		if id == "" && h.cfg.tenantFrom != nil {
			id = h.cfg.tenantFrom(ctx)
		}
		if id != "" {
			dst = append(dst, slog.String(KeyTenantID, id))
		}
	}
	return dst
}
