package observability

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Propagator returns the W3C TraceContext and Baggage propagator used for
// requests in and out.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// NewTracerProvider builds an SDK tracer provider for serviceName. Every span
// has valid ids, so logs get trace ids; spans are recorded (sampled) when an
// exporter is configured or the remote parent is sampled. Spans are exported over OTLP/HTTP only when otlpEndpoint is set:
// a base URL such as http://127.0.0.1:4318 (the path /v1/traces is added) or
// a full URL with its own path.
func NewTracerProvider(ctx context.Context, serviceName, otlpEndpoint string) (*sdktrace.TracerProvider, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(serviceName)),
		resource.WithTelemetrySDK(),
	)
	if err != nil {
		return nil, fmt.Errorf("observability: tracing resource: %w", err)
	}
	// Without an exporter nothing would read recorded spans: root spans are
	// created unsampled (they still carry fresh trace and span ids for the
	// logs and the traceparent answer, at a fraction of the cost), while a
	// caller's sampled traceparent is still honoured.
	sampler := sdktrace.ParentBased(sdktrace.NeverSample())
	if otlpEndpoint != "" {
		sampler = sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sampler),
	}
	if otlpEndpoint != "" {
		endpoint, err := tracesURL(otlpEndpoint)
		if err != nil {
			return nil, err
		}
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
		if err != nil {
			return nil, fmt.Errorf("observability: OTLP exporter: %w", err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	return sdktrace.NewTracerProvider(opts...), nil
}

// tracesURL checks the endpoint and adds the default traces path to a base URL.
func tracesURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("observability: OTLP endpoint %q is not an http(s) URL with a host", endpoint)
	}
	if strings.Trim(u.Path, "/") == "" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

// SetupTracing installs a tracer provider (see NewTracerProvider) and the W3C
// propagator as OpenTelemetry's process-wide defaults, which instrumentation
// libraries (bunotel, redisotel, otelriver) read. The returned shutdown
// flushes pending spans; call it once, after the server has drained.
func SetupTracing(ctx context.Context, serviceName, otlpEndpoint string) (shutdown func(context.Context) error, err error) {
	tp, err := NewTracerProvider(ctx, serviceName, otlpEndpoint)
	if err != nil {
		return nil, err
	}
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(Propagator())
	return func(ctx context.Context) error {
		if err := tp.Shutdown(ctx); err != nil {
			return fmt.Errorf("observability: tracer shutdown: %w", err)
		}
		return nil
	}, nil
}
