package whatsapp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"concierge/internal/observability"
	"concierge/modules/moduletest"
	"concierge/modules/whatsapp/cloudapi"
	"concierge/tenants"
)

// logBuffer collects JSON log lines from concurrent writers.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the records whose msg is msg.
func (l *logBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestBatchCarriesTheRequestsIDs: a group commit runs on its own goroutine,
// yet every request's ids reach what stores it. A batch of several has its
// own span linked to each request's span and names their request ids; each
// request's span records the batch; a failed batch's deliveries are retried
// as children of their own requests, and what concerns one delivery is
// logged with its request's ids.
func TestBatchCarriesTheRequestsIDs(t *testing.T) {
	t.Parallel()
	env := moduletest.New(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	logs := &logBuffer{}
	s := New(Config{}, Deps{Scope: env.Scope, Tenants: env.Tenants, Jobs: env.Jobs, Audit: env.Audit, Catalog: env.Catalog,
		Log: observability.NewLogger("debug", logs, observability.TenantFrom(func(ctx context.Context) string {
			// as the composition root's logger reads the tenant
			if t, err := tenants.FromContext(ctx); err == nil {
				return t.ID.String()
			}
			return ""
		})), Tracer: tp.Tracer("concierge/whatsapp")})
	shop := env.Tenant(t, "batch")
	num, err := env.Tenants.AddNumber(context.Background(), "test", shop.Slug, tenants.NumberInput{
		PhoneNumberID: "190000000001", DisplayPhone: "+966120000001", AccessToken: "token", AppSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	// request is a webhook request: its id and its server span, as the
	// gateway makes them.
	request := func(id string) (context.Context, trace.Span) {
		return tp.Tracer("concierge/http").Start(observability.WithRequestID(context.Background(), id), "POST /webhook/whatsapp")
	}
	item := func(ctx context.Context, from string) *ingestItem {
		n++
		b := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"190000000001"},
			"messages":[{"from":%q,"id":"wamid.batch%d","timestamp":"1700000000","type":"text","text":{"body":"hi"}}]}}]}]}`, from, n)
		p, err := cloudapi.ParseWebhook([]byte(b))
		if err != nil {
			t.Fatal(err)
		}
		return &ingestItem{ctx: ctx, rc: routedChange{value: &p.Entry[0].Changes[0].Value, tenant: shop.Tenant, number: num}, done: make(chan error, 1)}
	}
	batchSpans := func() []sdktrace.ReadOnlySpan {
		var out []sdktrace.ReadOnlySpan
		for _, sp := range rec.Ended() {
			if sp.Name() == "whatsapp.webhook.batch" {
				out = append(out, sp)
			}
		}
		return out
	}

	t.Run("a batch of several", func(t *testing.T) {
		ctxA, spanA := request("req-a")
		ctxB, spanB := request("req-b")
		items := []*ingestItem{item(ctxA, "966500000001"), item(ctxB, "966500000002")}
		s.batch.flush(shop.Tenant, items)
		for _, it := range items {
			if err := <-it.done; err != nil || it.res.Stored != 1 {
				t.Fatalf("delivery: %+v, %v", it.res, err)
			}
		}
		spanA.End()
		spanB.End()
		spans := batchSpans()
		if len(spans) != 1 {
			t.Fatalf("%d batch spans, want 1", len(spans))
		}
		batch := spans[0]
		links := batch.Links()
		if len(links) != 2 || !links[0].SpanContext.Equal(spanA.SpanContext()) || !links[1].SpanContext.Equal(spanB.SpanContext()) {
			t.Fatalf("the batch links %v, want the requests' spans", links)
		}
		var ids []string
		for _, a := range batch.Attributes() {
			if a.Key == "whatsapp.batch.request_ids" {
				ids = a.Value.AsStringSlice()
			}
		}
		if !slices.Equal(ids, []string{"req-a", "req-b"}) {
			t.Fatalf("the batch names requests %v", ids)
		}
		for _, sp := range rec.Ended() {
			if sp.Name() != "POST /webhook/whatsapp" {
				continue
			}
			found := false
			for _, e := range sp.Events() {
				for _, a := range e.Attributes {
					found = found || (e.Name == "whatsapp.webhook.batch" && a.Key == "whatsapp.batch.trace_id" && a.Value.AsString() == batch.SpanContext().TraceID().String())
				}
			}
			if !found {
				t.Errorf("request span %s does not record its batch", sp.SpanContext().SpanID())
			}
		}
		stored := logs.lines(t, "whatsapp: webhook batch stored")
		if len(stored) != 1 || !slices.Equal(strs(stored[0]["request_ids"]), []string{"req-a", "req-b"}) ||
			stored[0]["trace_id"] != batch.SpanContext().TraceID().String() || stored[0]["tenant_id"] != shop.ID.String() {
			t.Fatalf("batch log lines %v", stored)
		}
	})

	t.Run("a failed batch", func(t *testing.T) {
		before := len(batchSpans())
		ctxA, spanA := request("req-good")
		ctxB, spanB := request("req-bad")
		items := []*ingestItem{item(ctxA, "966500000003"), item(ctxB, "not-a-number")}
		s.batch.flush(shop.Tenant, items)
		if err := <-items[0].done; err != nil {
			t.Fatalf("the good delivery: %v", err)
		}
		if err := <-items[1].done; err == nil {
			t.Fatal("the bad delivery was stored")
		}
		spanA.End()
		spanB.End()
		spans := batchSpans()[before:]
		if len(spans) != 3 || len(spans[0].Links()) != 2 {
			t.Fatalf("%d batch spans, want the failed batch then one retry per delivery", len(spans))
		}
		for i, req := range []trace.Span{spanA, spanB} {
			retry := spans[i+1]
			if retry.SpanContext().TraceID() != req.SpanContext().TraceID() || retry.Parent().SpanID() != req.SpanContext().SpanID() {
				t.Errorf("retry %d is not a child of its request's span", i)
			}
		}
		failed := logs.lines(t, "whatsapp: webhook batch failed; storing its deliveries one by one")
		if len(failed) != 1 || !slices.Equal(strs(failed[0]["request_ids"]), []string{"req-good", "req-bad"}) {
			t.Fatalf("batch failure log lines %v", failed)
		}
		lost := logs.lines(t, "whatsapp: webhook delivery not stored")
		if len(lost) != 1 || lost[0]["request_id"] != "req-bad" || lost[0]["trace_id"] != spanB.SpanContext().TraceID().String() {
			t.Fatalf("the bad delivery is logged as %v, want with its request's ids", lost)
		}
	})
}
