package whatsapp

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"concierge/tenants"
)

// Group commit: concurrent webhook deliveries for one tenant are stored
// together, in one transaction with multi-row statements, every few
// milliseconds. Each request still answers only after the transaction
// holding its messages and their jobs has committed; if a batch fails, its
// deliveries are retried one by one so one bad delivery cannot fail others.

const (
	batchWindow = 2 * time.Millisecond
	batchMax    = 64
)

type ingestItem struct {
	rc    routedChange
	res   IngestResult
	twice int // statuses reporting a second copy of a message
	done  chan error
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
	it := &ingestItem{rc: rc, done: make(chan error, 1)}
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

func (b *batcher) flush(tenant *tenants.Tenant, items []*ingestItem) {
	ctx := tenants.WithTenant(context.Background(), tenant)
	err := b.s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, it := range items {
			it.res, it.twice = IngestResult{}, 0
		}
		return b.s.storeBatch(ctx, tx, tenant.ID, items)
	})
	if err != nil && len(items) > 1 {
		for _, it := range items {
			b.flush(tenant, []*ingestItem{it})
		}
		return
	}
	for _, it := range items {
		if err == nil && it.twice > 0 {
			b.s.metrics.sentTwice.Add(float64(it.twice))
			b.s.log.WarnContext(ctx, "whatsapp: a message went out twice (re-sent after an unanswered call whose first copy had reached Meta)",
				"statuses", it.twice)
		}
		it.done <- err
	}
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
// per touched conversation goes in with a single insert.
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
				at = time.Now().UTC()
			}
			msgs = append(msgs, pendingMessage{item: it, waID: m.From, number: it.rc.number, message: &Message{
				ID: uuid.Must(uuid.NewV7()), Direction: In, WAMessageID: m.ID, Kind: string(in.Kind),
				Body: truncate(in.Text, 4096), Payload: payload, Author: "customer", Status: StatusReceived, SentAt: at}})
			waIDs[m.From] = true
		}
	}
	if len(msgs) > 0 {
		customers, err := ensureCustomers(ctx, tx, tid, waIDs)
		if err != nil {
			return err
		}
		type convKey struct{ customer, number uuid.UUID }
		keys := map[convKey]string{}
		for _, pm := range msgs {
			keys[convKey{customers[pm.waID], pm.number.ID}] = pm.number.PhoneNumberID
		}
		convRows := make([]conversationRow, 0, len(keys))
		for k, pnid := range keys {
			convRows = append(convRows, conversationRow{TenantID: tid, ID: uuid.Must(uuid.NewV7()), CustomerID: k.customer,
				NumberID: k.number, PhoneNumberID: pnid, State: json.RawMessage(`{}`), Handoff: HandoffBot})
		}
		if _, err := tx.NewInsert().Model(&convRows).On("CONFLICT (tenant_id, customer_id, number_id) DO NOTHING").Exec(ctx); err != nil {
			return err
		}
		custIDs := make([]uuid.UUID, 0, len(customers))
		for _, id := range customers {
			custIDs = append(custIDs, id)
		}
		var existing []conversationRow
		if err := tx.NewSelect().Model(&existing).Column("id", "customer_id", "number_id").
			Where("customer_id IN (?)", bun.In(custIDs)).Scan(ctx); err != nil {
			return err
		}
		convs := map[convKey]uuid.UUID{}
		for _, c := range existing {
			convs[convKey{c.CustomerID, c.NumberID}] = c.ID
		}
		rows := make([]messageRow, len(msgs))
		for i, pm := range msgs {
			pm.message.ConversationID = convs[convKey{customers[pm.waID], pm.number.ID}]
			rows[i] = *toMessageRow(tid, pm.message)
		}
		var inserted []string
		if err := tx.NewInsert().Model(&rows).
			On("CONFLICT (tenant_id, wa_message_id) WHERE wa_message_id IS NOT NULL DO NOTHING").
			Returning("wa_message_id").Scan(ctx, &inserted); err != nil {
			return err
		}
		fresh := make(map[string]bool, len(inserted))
		for _, w := range inserted {
			fresh[w] = true
		}
		touched := map[uuid.UUID]bool{}
		for _, pm := range msgs {
			if fresh[pm.message.WAMessageID] {
				delete(fresh, pm.message.WAMessageID) // a copy later in the batch is a duplicate
				pm.item.res.Stored++
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
		for _, st := range it.rc.value.Statuses {
			code, detail := 0, ""
			if len(st.Errors) > 0 {
				code, detail = st.Errors[0].Code, st.Errors[0].Title+": "+st.Errors[0].Details()
			}
			at := st.Timestamp.Time()
			if at.IsZero() {
				at = time.Now().UTC()
			}
			ok, twice, err := applyStatus(ctx, tx, tid, st.ID, st.BizOpaqueCallbackData, st.Status, at, code, detail)
			if err != nil {
				return err
			}
			if ok {
				it.res.Statuses++
			}
			if twice {
				it.twice++
			}
		}
	}
	return nil
}

// ensureCustomers creates the customers that do not exist yet (no lock on
// existing rows) and returns every WhatsApp id's customer id.
func ensureCustomers(ctx context.Context, tx bun.IDB, tid uuid.UUID, waIDs map[string]bool) (map[string]uuid.UUID, error) {
	rows := make([]customerRow, 0, len(waIDs))
	ids := make([]string, 0, len(waIDs))
	for w := range waIDs {
		rows = append(rows, customerRow{TenantID: tid, ID: uuid.Must(uuid.NewV7()), WAID: w, Consent: ConsentUnknown})
		ids = append(ids, w)
	}
	if _, err := tx.NewInsert().Model(&rows).On("CONFLICT (tenant_id, wa_id) DO NOTHING").Exec(ctx); err != nil {
		return nil, translate(err, "customer")
	}
	var found []customerRow
	if err := tx.NewSelect().Model(&found).Column("id", "wa_id").Where("wa_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]uuid.UUID, len(found))
	for _, c := range found {
		out[c.WAID] = c.ID
	}
	return out, nil
}
