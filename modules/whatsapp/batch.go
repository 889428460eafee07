package whatsapp

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"concierge/internal/observability"
	"concierge/tenants"
)

// Group commit: concurrent webhook deliveries for one tenant are stored
// together, in one transaction with multi-row statements, every few
// milliseconds. Each request still answers only after the transaction
// holding its messages and their jobs has committed; if a batch fails, its
// deliveries are retried one by one so one bad delivery cannot fail others.
//
// A batch runs on its own goroutine, but never on an anonymous context: the
// requests' ids follow their messages.
//
//   - A batch of one delivery runs in that request's context (without its
//     cancellation): its span is a child of the request's, and its log lines
//     and the processing jobs it enqueues (River carries the trace) have the
//     request's trace and request ids and every value its logger reads.
//   - A batch of several gets a span of its own ("whatsapp.webhook.batch")
//     linked to every request's span, with the requests' ids as attributes;
//     its log lines name them (request_ids), each request's span records
//     the batch it was stored in (event "whatsapp.webhook.batch"), and what
//     concerns one delivery (a message that went out twice) is logged in
//     that delivery's request context.
//   - A failed batch's deliveries are retried each in its own request's
//     context, as batches of one.

const (
	batchWindow = 2 * time.Millisecond
	batchMax    = 64
)

type ingestItem struct {
	ctx   context.Context // the request's values (ids, span, logger's), never its cancellation
	rc    routedChange
	res   IngestResult
	twice int // statuses reporting a second copy of a message
	// convs are the conversations the item's new messages went to (staff
	// dashboards hear of them once the batch commits).
	convs []uuid.UUID
	// ticked are the conversations whose sent messages the item's statuses
	// moved (sent, delivered, read, failed).
	ticked []uuid.UUID
	done   chan error
}

type batcher struct {
	s         *Service
	mu        sync.Mutex
	pending   map[uuid.UUID][]*ingestItem
	scheduled map[uuid.UUID]bool
}

func newBatcher(s *Service) *batcher {
	return &batcher{s: s, pending: map[uuid.UUID][]*ingestItem{}, scheduled: map[uuid.UUID]bool{}}
}

// store queues a routed change and waits until it is committed.
func (b *batcher) store(ctx context.Context, rc routedChange) (IngestResult, error) {
	it := &ingestItem{ctx: context.WithoutCancel(ctx), rc: rc, done: make(chan error, 1)}
	tid := rc.tenant.ID
	b.mu.Lock()
	b.pending[tid] = append(b.pending[tid], it)
	if !b.scheduled[tid] {
		b.scheduled[tid] = true
		go b.run(tid, rc.tenant)
	}
	b.mu.Unlock()
	select {
	case err := <-it.done:
		return it.res, err
	case <-ctx.Done():
		// The batch may still commit; Meta's retry is then a duplicate.
		return IngestResult{}, ctx.Err()
	}
}

// run flushes a tenant's pending deliveries until none are left.
func (b *batcher) run(tid uuid.UUID, tenant *tenants.Tenant) {
	time.Sleep(batchWindow) // let concurrent deliveries join the batch
	for {
		b.mu.Lock()
		items := b.pending[tid]
		if len(items) == 0 {
			delete(b.pending, tid)
			delete(b.scheduled, tid)
			b.mu.Unlock()
			return
		}
		if len(items) > batchMax {
			b.pending[tid] = items[batchMax:]
			items = items[:batchMax]
		} else {
			b.pending[tid] = nil
		}
		b.mu.Unlock()
		b.flush(tenant, items)
	}
}

// flush stores items in one transaction and tells each waiting request the
// outcome; a failed batch of several is retried delivery by delivery.
func (b *batcher) flush(tenant *tenants.Tenant, items []*ingestItem) {
	ctx, span := b.start(tenant, items)
	err := b.store1(ctx, tenant, items)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "batch failed")
	}
	span.End()
	log := b.s.log
	switch {
	case err != nil && len(items) > 1:
		log.WarnContext(ctx, "whatsapp: webhook batch failed; storing its deliveries one by one",
			"deliveries", len(items), "request_ids", requestIDs(items), "error", err)
		for _, it := range items {
			b.flush(tenant, []*ingestItem{it})
		}
		return
	case err != nil:
		log.WarnContext(ctx, "whatsapp: webhook delivery not stored", "error", err)
	}
	if err == nil && log.Enabled(ctx, slog.LevelDebug) {
		stored := 0
		for _, it := range items {
			stored += it.res.Stored
		}
		log.DebugContext(ctx, "whatsapp: webhook batch stored", "deliveries", len(items), "messages", stored,
			"request_ids", requestIDs(items))
	}
	if err == nil {
		b.announce(ctx, tenant, items)
	}
	for _, it := range items {
		if err == nil && it.twice > 0 {
			b.s.metrics.sentTwice.Add(float64(it.twice))
			log.WarnContext(tenants.WithTenant(it.ctx, tenant), "whatsapp: a message went out twice (re-sent after an unanswered call whose first copy had reached Meta)",
				"statuses", it.twice)
		}
		it.done <- err
	}
}

// announce tells staff dashboards which conversations have new messages,
// and which only new delivery statuses (after the commit, so a dashboard
// that reads them finds them).
func (b *batcher) announce(ctx context.Context, tenant *tenants.Tenant, items []*ingestItem) {
	seen := map[uuid.UUID]bool{}
	for _, it := range items {
		for _, id := range it.convs {
			if !seen[id] {
				seen[id] = true
				b.s.publish(ctx, tenant.ID, EventMessage, id)
			}
		}
	}
	for _, it := range items {
		for _, id := range it.ticked {
			if !seen[id] {
				seen[id] = true
				b.s.publish(ctx, tenant.ID, EventStatus, id)
			}
		}
	}
}

// store1 stores items in one transaction. A panic is the batch's error: the
// tenant's run loop goes on, and the waiting requests are answered (a
// panic that ended the loop would leave every later delivery of the tenant
// waiting forever).
func (b *batcher) store1(ctx context.Context, tenant *tenants.Tenant, items []*ingestItem) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("whatsapp: storing a webhook batch panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return b.s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, it := range items {
			it.res, it.twice, it.convs, it.ticked = IngestResult{}, 0, nil, nil
		}
		return b.s.storeBatch(ctx, tx, tenant.ID, items)
	})
}

// start opens the batch's context and span: a batch of one continues its
// request's, a batch of several starts its own, linked to each request's.
func (b *batcher) start(tenant *tenants.Tenant, items []*ingestItem) (context.Context, trace.Span) {
	if len(items) == 1 {
		ctx, span := b.s.tracer.Start(items[0].ctx, "whatsapp.webhook.batch", trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithAttributes(attribute.Int("whatsapp.batch.deliveries", 1)))
		return tenants.WithTenant(ctx, tenant), span
	}
	links := make([]trace.Link, 0, len(items))
	for _, it := range items {
		if sc := trace.SpanContextFromContext(it.ctx); sc.IsValid() {
			links = append(links, trace.Link{SpanContext: sc,
				Attributes: []attribute.KeyValue{attribute.String(observability.KeyRequestID, observability.RequestIDFrom(it.ctx))}})
		}
	}
	ctx, span := b.s.tracer.Start(context.Background(), "whatsapp.webhook.batch", trace.WithNewRoot(),
		trace.WithSpanKind(trace.SpanKindInternal), trace.WithLinks(links...),
		trace.WithAttributes(attribute.Int("whatsapp.batch.deliveries", len(items)),
			attribute.StringSlice("whatsapp.batch.request_ids", requestIDs(items))))
	if sc := span.SpanContext(); sc.IsValid() {
		for _, it := range items {
			trace.SpanFromContext(it.ctx).AddEvent("whatsapp.webhook.batch", trace.WithAttributes(
				attribute.String("whatsapp.batch.trace_id", sc.TraceID().String()),
				attribute.String("whatsapp.batch.span_id", sc.SpanID().String()),
				attribute.Int("whatsapp.batch.deliveries", len(items))))
		}
	}
	return tenants.WithTenant(ctx, tenant), span
}

// requestIDs lists the items' request ids, in order ("" for a delivery
// without one).
func requestIDs(items []*ingestItem) []string {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = observability.RequestIDFrom(it.ctx)
	}
	return ids
}

type pendingMessage struct {
	item    *ingestItem
	message *Message
	waID    string
	number  *tenants.Number
}

// storeBatch stores every message and status of the items with multi-row
// statements: customers, conversations and messages are inserted with ON
// CONFLICT DO NOTHING (no lock on existing rows), then one processing job
// per touched conversation goes in with a single insert; then the statuses
// (status.go).
func (s *Service) storeBatch(ctx context.Context, tx bun.Tx, tid uuid.UUID, items []*ingestItem) error {
	var msgs []pendingMessage
	waIDs := map[string]bool{}
	for _, it := range items {
		names := make(map[string]string, len(it.rc.value.Contacts))
		for _, c := range it.rc.value.Contacts {
			names[c.WaID] = c.Profile.Name
		}
		for _, m := range it.rc.value.Messages {
			in := m.Normalise()
			payload, err := json.Marshal(storedInbound{Message: m, ProfileName: names[m.From]})
			if err != nil {
				return err
			}
			at := in.Timestamp
			if at.IsZero() {
				at = s.now().UTC()
			}
			msgs = append(msgs, pendingMessage{item: it, waID: m.From, number: it.rc.number, message: &Message{
				ID: uuid.Must(uuid.NewV7()), Direction: In, WAMessageID: m.ID, Kind: string(in.Kind),
				Body: truncate(in.Text, 4096), Payload: payload, Author: AuthorCustomer, Status: StatusReceived, SentAt: at}})
			waIDs[m.From] = true
		}
	}
	if len(msgs) > 0 {
		customers, err := ensureCustomers(ctx, tx, tid, waIDs)
		if err != nil {
			return err
		}
		wanted := map[convKey]string{}
		for _, pm := range msgs {
			wanted[convKey{customers[pm.waID], pm.number.ID}] = pm.number.PhoneNumberID
		}
		convs, err := ensureConversations(ctx, tx, tid, wanted)
		if err != nil {
			return err
		}
		rows := make([]*Message, len(msgs))
		for i, pm := range msgs {
			pm.message.ConversationID = convs[convKey{customers[pm.waID], pm.number.ID}]
			rows[i] = pm.message
		}
		fresh, err := insertInbound(ctx, tx, tid, rows)
		if err != nil {
			return err
		}
		touched := map[uuid.UUID]bool{}
		for _, pm := range msgs {
			if fresh[pm.message.WAMessageID] {
				delete(fresh, pm.message.WAMessageID) // a copy later in the batch is a duplicate
				pm.item.res.Stored++
				if !touched[pm.message.ConversationID] {
					pm.item.convs = append(pm.item.convs, pm.message.ConversationID)
				}
				touched[pm.message.ConversationID] = true
			} else {
				pm.item.res.Duplicates++
			}
		}
		args := make([]river.JobArgs, 0, len(touched))
		for id := range touched {
			args = append(args, ProcessArgs{TenantID: tid, ConversationID: id})
		}
		if err := s.jobs.InsertManyTx(ctx, tx, args); err != nil {
			return err
		}
	}
	for _, it := range items {
		if err := s.applyStatuses(ctx, tx, tid, it); err != nil {
			return err
		}
	}
	return nil
}
