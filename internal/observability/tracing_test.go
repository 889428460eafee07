package observability_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel"

	"concierge/internal/observability"
)

func TestNewTracerProviderWithoutEndpoint(t *testing.T) {
	t.Parallel()
	tp, err := observability.NewTracerProvider(context.Background(), "test", "")
	if err != nil {
		t.Fatal(err)
	}
	_, span := tp.Tracer("test").Start(context.Background(), "op")
	sc := span.SpanContext()
	span.End()
	if !sc.IsValid() || sc.IsSampled() || span.IsRecording() {
		t.Fatalf("span context %+v: want valid ids for the logs, unsampled and not recording without an exporter", sc)
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestNewTracerProviderExports(t *testing.T) {
	t.Parallel()
	got := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Method + " " + r.URL.Path
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)

	tp, err := observability.NewTracerProvider(context.Background(), "test", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, span := tp.Tracer("test").Start(context.Background(), "op")
	span.End()
	if err := tp.Shutdown(context.Background()); err != nil { // flushes the batch
		t.Fatal(err)
	}
	select {
	case req := <-got:
		if req != "POST /v1/traces" {
			t.Fatalf("collector got %q, want POST /v1/traces", req)
		}
	default:
		t.Fatal("collector received nothing after shutdown flushed the spans")
	}
}

func TestNewTracerProviderRejectsBadEndpoint(t *testing.T) {
	t.Parallel()
	for _, ep := range []string{"127.0.0.1:4318", "ftp://x", "http://"} {
		if _, err := observability.NewTracerProvider(context.Background(), "test", ep); err == nil {
			t.Errorf("endpoint %q: want an error", ep)
		}
	}
}

// TestSetupTracing is the only test that touches OpenTelemetry's globals.
func TestSetupTracing(t *testing.T) {
	t.Parallel()
	shutdown, err := observability.SetupTracing(context.Background(), "test", "")
	if err != nil {
		t.Fatal(err)
	}
	_, span := otel.Tracer("test").Start(context.Background(), "op")
	valid := span.SpanContext().IsValid()
	span.End()
	if !valid {
		t.Error("global tracer gives no valid span context after SetupTracing")
	}
	fields := otel.GetTextMapPropagator().Fields()
	want := map[string]bool{"traceparent": false, "tracestate": false, "baggage": false}
	for _, f := range fields {
		want[f] = true
	}
	for f, ok := range want {
		if !ok {
			t.Errorf("global propagator lacks %s (fields %v)", f, fields)
		}
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
