package observability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"concierge/internal/observability"
)

// decodeLines parses every JSON line the logger wrote.
func decodeLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		out = append(out, m)
	}
	return out
}

func TestLoggerAddsContextIDs(t *testing.T) {
	t.Parallel()
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	spanCtx, span := tp.Tracer("test").Start(context.Background(), "op")
	defer span.End()
	traceID := span.SpanContext().TraceID().String()
	spanID := span.SpanContext().SpanID().String()

	hook := func(ctx context.Context) string {
		if v, ok := ctx.Value(hookKey{}).(string); ok {
			return v
		}
		return ""
	}

	tests := []struct {
		name string
		ctx  context.Context
		log  func(l *slog.Logger, ctx context.Context)
		want map[string]any // keys that must have these values
		none []string       // keys that must be absent
	}{
		{
			name: "all ids from the context",
			ctx:  observability.WithTenantID(observability.WithRequestID(spanCtx, "req-1"), "tenant-1"),
			log:  func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hello", "k", "v") },
			want: map[string]any{"trace_id": traceID, "span_id": spanID, "request_id": "req-1", "tenant_id": "tenant-1", "k": "v", "msg": "hello"},
		},
		{
			name: "tenant id through the hook",
			ctx:  context.WithValue(observability.WithRequestID(context.Background(), "req-2"), hookKey{}, "tenant-hook"),
			log:  func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hello") },
			want: map[string]any{"request_id": "req-2", "tenant_id": "tenant-hook"},
			none: []string{"trace_id", "span_id"},
		},
		{
			name: "WithTenantID wins over the hook",
			ctx:  context.WithValue(observability.WithTenantID(context.Background(), "explicit"), hookKey{}, "tenant-hook"),
			log:  func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hello") },
			want: map[string]any{"tenant_id": "explicit"},
		},
		{
			name: "no context ids, no keys",
			ctx:  context.Background(),
			log:  func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "hello") },
			none: []string{"trace_id", "span_id", "request_id", "tenant_id"},
		},
		{
			name: "ids stay top level inside groups",
			ctx:  observability.WithRequestID(spanCtx, "req-3"),
			log: func(l *slog.Logger, ctx context.Context) {
				l.With("a", 1).WithGroup("g").With("b", 2).WithGroup("h").InfoContext(ctx, "grouped", "c", 3)
			},
			want: map[string]any{
				"request_id": "req-3", "trace_id": traceID, "a": float64(1),
				"g": map[string]any{"b": float64(2), "h": map[string]any{"c": float64(3)}},
			},
		},
		{
			name: "an id given with With is not repeated",
			ctx:  observability.WithRequestID(context.Background(), "from-ctx"),
			log:  func(l *slog.Logger, ctx context.Context) { l.With("request_id", "from-with").InfoContext(ctx, "hello") },
			want: map[string]any{"request_id": "from-with"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			l := observability.NewLogger("debug", &buf, observability.TenantFrom(hook))
			tt.log(l, tt.ctx)
			lines := decodeLines(t, &buf)
			if len(lines) != 1 {
				t.Fatalf("got %d lines, want 1: %s", len(lines), buf.String())
			}
			for k, v := range tt.want {
				if got, _ := json.Marshal(lines[0][k]); string(got) != mustJSON(t, v) {
					t.Errorf("%s = %s, want %s (line %s)", k, got, mustJSON(t, v), buf.String())
				}
			}
			for _, k := range tt.none {
				if _, ok := lines[0][k]; ok {
					t.Errorf("%s present, want absent: %s", k, buf.String())
				}
			}
			if n := strings.Count(buf.String(), `"request_id"`); n > 1 {
				t.Errorf("request_id appears %d times: %s", n, buf.String())
			}
		})
	}
}

type hookKey struct{}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want slog.Level
	}{
		{"debug", slog.LevelDebug},
		{"INFO", slog.LevelInfo},
		{"warn", slog.LevelWarn},
		{" error ", slog.LevelError},
		{"", slog.LevelInfo},
		{"loud", slog.LevelInfo},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := observability.ParseLevel(tt.in); got != tt.want {
				t.Errorf("ParseLevel(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestLoggerLevel(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := observability.NewLogger("warn", &buf)
	l.Info("dropped")
	l.Warn("kept")
	lines := decodeLines(t, &buf)
	if len(lines) != 1 || lines[0]["msg"] != "kept" {
		t.Fatalf("got %s, want only the warn line", buf.String())
	}
}
