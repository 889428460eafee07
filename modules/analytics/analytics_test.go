package analytics_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/testenv"
	"concierge/modules/analytics"
	"concierge/modules/moduletest"
	"concierge/tenants"
)

// The module on real Postgres (forced RLS, the app role): events recorded,
// flushed and read back; the consent rule; drops by reason; the funnel's
// numbers; another tenant seeing none of it; the partitions' isolation and
// upkeep; the table's append-only grants.

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// logs keeps what the service logs.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.Write(p) }
func (l *logs) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.String() }

type fixture struct {
	env   *moduletest.Env
	svc   *analytics.Service
	clock *clock
	logs  *logs
}

// newFixture builds the service with the clock at now (the partitions the
// migration made are this month's and the next; an event of another month
// goes to the default partition, which works the same).
func newFixture(t *testing.T, cfg analytics.Config, now time.Time) *fixture {
	t.Helper()
	env := moduletest.New(t)
	f := &fixture{env: env, clock: &clock{t: now}, logs: &logs{}}
	f.svc = analytics.New(cfg, analytics.Deps{Scope: env.Scope,
		Log: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Now: f.clock.Now})
	return f
}

// stored is an event row as its tenant reads it.
type stored struct {
	TenantID   uuid.UUID  `bun:"tenant_id"`
	ID         uuid.UUID  `bun:"id"`
	OccurredAt time.Time  `bun:"occurred_at"`
	Name       string     `bun:"name"`
	Channel    string     `bun:"channel"`
	SessionID  *string    `bun:"session_id"`
	CustomerID *uuid.UUID `bun:"customer_id"`
	ProductID  *uuid.UUID `bun:"product_id"`
	OrderID    *uuid.UUID `bun:"order_id"`
	Amount     *int64     `bun:"amount"`
	Currency   *string    `bun:"currency"`
	Query      *string    `bun:"query"`
}

// events reads shop's events in its scoped transaction, oldest first.
func (f *fixture) events(t *testing.T, shop moduletest.Shop) []stored {
	t.Helper()
	var out []stored
	err := f.env.Scope.InTenantTx(shop.Ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`SELECT tenant_id, id, occurred_at, name, channel, session_id, customer_id, product_id, order_id,
			amount, currency, query FROM analytics_events ORDER BY occurred_at, id`).Scan(ctx, &out)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) flush(t *testing.T) {
	t.Helper()
	if err := f.svc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// metric reads a series of the service's collectors (reason "" for the
// unlabelled ones), failing on any label but reason.
func metric(t *testing.T, svc *analytics.Service, name, reason string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(svc.Collectors()...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() != "reason" {
					t.Fatalf("%s has label %s: reason only (never a tenant)", name, l.GetName())
				}
			}
			if reason != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != reason) {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no series %s{reason=%q}", name, reason)
	return 0
}

func dropped(t *testing.T, svc *analytics.Service, reason string) float64 {
	t.Helper()
	return metric(t, svc, "concierge_analytics_dropped_total", reason)
}

func written(t *testing.T, svc *analytics.Service) float64 {
	t.Helper()
	return metric(t, svc, "concierge_analytics_written_total", "")
}

func ptr[T any](v T) *T { return &v }

func TestRecordAndFlush(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Microsecond)
	f := newFixture(t, analytics.Config{}, now)
	shop := f.env.Tenant(t, "shop")
	cust, prod, order := uuid.New(), uuid.New(), uuid.New()
	conv := uuid.NewString()
	f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NameConversationStarted, Channel: analytics.ChannelWhatsApp,
		SessionID: conv, CustomerID: &cust})
	f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NameProductViewed, Channel: analytics.ChannelWhatsApp,
		SessionID: conv, CustomerID: &cust, ProductID: &prod, At: now.Add(-time.Minute)})
	f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NameSearch, Channel: analytics.ChannelWeb, SessionID: "s_abc-123",
		Query: "  عباية   سوداء\n"})
	f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NamePaid, Channel: analytics.ChannelWhatsApp, CustomerID: &cust,
		OrderID: &order, Amount: 14950, Currency: "SAR"})
	// Queued, not yet written.
	if got := f.events(t, shop); len(got) != 0 {
		t.Fatalf("written before a flush: %+v", got)
	}
	if v := metric(t, f.svc, "concierge_analytics_queued", ""); v != 4 {
		t.Fatalf("queued gauge %v", v)
	}
	f.flush(t)
	got := f.events(t, shop)
	if len(got) != 4 {
		t.Fatalf("events: %+v", got)
	}
	view, conversation, search, paid := got[0], got[1], got[2], got[3]
	if view.Name != analytics.NameProductViewed || !view.OccurredAt.Equal(now.Add(-time.Minute)) || view.ProductID == nil ||
		*view.ProductID != prod || view.CustomerID == nil || *view.CustomerID != cust || view.SessionID == nil || *view.SessionID != conv ||
		view.Amount != nil || view.Currency != nil || view.Query != nil || view.TenantID != shop.ID || view.ID.Version() != 7 {
		t.Fatalf("product view: %+v", view)
	}
	if conversation.Name != analytics.NameConversationStarted || !conversation.OccurredAt.Equal(now) || conversation.Channel != analytics.ChannelWhatsApp {
		t.Fatalf("conversation: %+v", conversation)
	}
	if search.Query == nil || *search.Query != "عباية سوداء" || search.SessionID == nil || *search.SessionID != "s_abc-123" ||
		search.CustomerID != nil || search.Channel != analytics.ChannelWeb {
		t.Fatalf("search: %+v", search)
	}
	if paid.Amount == nil || *paid.Amount != 14950 || paid.Currency == nil || *paid.Currency != "SAR" || paid.OrderID == nil || *paid.OrderID != order {
		t.Fatalf("paid: %+v", paid)
	}
	if v := written(t, f.svc); v != 4 {
		t.Fatalf("written_total %v", v)
	}
	if v := metric(t, f.svc, "concierge_analytics_queued", ""); v != 0 {
		t.Fatalf("queued gauge after the flush %v", v)
	}
	// A flush with nothing queued writes nothing and succeeds.
	f.flush(t)
	if v := written(t, f.svc); v != 4 {
		t.Fatalf("written_total after an empty flush %v", v)
	}
}

// TestConsent: a web visitor who has not consented leaves no customer id,
// and an event that names an order no session id either; with consent
// both stay. WhatsApp events are not affected.
func TestConsent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, analytics.Config{}, time.Now().UTC())
	shop := f.env.Tenant(t, "shop")
	cust, order := uuid.New(), uuid.New()
	tests := []struct {
		name                string
		ev                  analytics.Event
		customer, sessionID bool // kept
	}{
		{"web, no consent", analytics.Event{Name: analytics.NameCartAdded, Channel: analytics.ChannelWeb, SessionID: "sess1",
			CustomerID: &cust}, false, true},
		{"web order, no consent", analytics.Event{Name: analytics.NameOrderPlaced, Channel: analytics.ChannelWeb, SessionID: "sess1",
			CustomerID: &cust, OrderID: &order, Amount: 100, Currency: "SAR"}, false, false},
		{"web, consent", analytics.Event{Name: analytics.NameCartAdded, Channel: analytics.ChannelWeb, SessionID: "sess2",
			CustomerID: &cust, Consented: true}, true, true},
		{"web order, consent", analytics.Event{Name: analytics.NamePaid, Channel: analytics.ChannelWeb, SessionID: "sess2",
			CustomerID: &cust, OrderID: &order, Amount: 100, Currency: "SAR", Consented: true}, true, true},
		{"whatsapp", analytics.Event{Name: analytics.NameHumanHandoff, Channel: analytics.ChannelWhatsApp, SessionID: "conv",
			CustomerID: &cust}, true, true},
	}
	for i, tc := range tests {
		tc.ev.At = f.clock.Now().Add(time.Duration(i-10) * time.Second) // read back in this order
		f.svc.Record(shop.Ctx, tc.ev)
	}
	f.flush(t)
	got := f.events(t, shop)
	if len(got) != len(tests) {
		t.Fatalf("events: %+v", got)
	}
	for i, tc := range tests {
		e := got[i]
		if (e.CustomerID != nil) != tc.customer || (e.SessionID != nil) != tc.sessionID {
			t.Errorf("%s: customer %v, session %v; want kept %v, %v", tc.name, e.CustomerID, e.SessionID, tc.customer, tc.sessionID)
		}
		if tc.ev.OrderID != nil && (e.OrderID == nil || e.Amount == nil) {
			t.Errorf("%s: the order and its amount are not personal and stay: %+v", tc.name, e)
		}
	}
}

// TestDrops: what Record refuses, by reason, with nothing written for it.
func TestDrops(t *testing.T) {
	t.Parallel()
	f := newFixture(t, analytics.Config{}, time.Now().UTC())
	shop := f.env.Tenant(t, "shop")
	ok := analytics.Event{Name: analytics.NameCartAdded, Channel: analytics.ChannelWeb}
	tests := []struct {
		name   string
		ctx    context.Context
		change func(e *analytics.Event)
		reason string
	}{
		{"unknown name", shop.Ctx, func(e *analytics.Event) { e.Name = "page_view" }, "invalid"},
		{"no name", shop.Ctx, func(e *analytics.Event) { e.Name = "" }, "invalid"},
		{"name in capitals", shop.Ctx, func(e *analytics.Event) { e.Name = "CART_ADDED" }, "invalid"},
		{"unknown channel", shop.Ctx, func(e *analytics.Event) { e.Channel = "email" }, "invalid"},
		{"negative amount", shop.Ctx, func(e *analytics.Event) { e.Amount, e.Currency = -1, "SAR" }, "invalid"},
		{"amount too large", shop.Ctx, func(e *analytics.Event) { e.Amount, e.Currency = 1_000_000_000_001, "SAR" }, "invalid"},
		{"amount without currency", shop.Ctx, func(e *analytics.Event) { e.Amount = 100 }, "invalid"},
		{"unknown currency", shop.Ctx, func(e *analytics.Event) { e.Amount, e.Currency = 100, "XYZ" }, "invalid"},
		{"currency in lower case", shop.Ctx, func(e *analytics.Event) { e.Amount, e.Currency = 100, "sar" }, "invalid"},
		{"no tenant", context.Background(), func(*analytics.Event) {}, "no_tenant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := dropped(t, f.svc, tc.reason)
			e := ok
			tc.change(&e)
			f.svc.Record(tc.ctx, e)
			if v := dropped(t, f.svc, tc.reason); v != before+1 {
				t.Fatalf("dropped{reason=%s} went from %v to %v", tc.reason, before, v)
			}
		})
	}
	f.flush(t)
	if got := f.events(t, shop); len(got) != 0 {
		t.Fatalf("refused events were written: %+v", got)
	}
	if v := written(t, f.svc); v != 0 {
		t.Fatalf("written_total %v", v)
	}
	// A zero amount with a currency is a free order, kept.
	f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NamePaid, Channel: analytics.ChannelWeb, Currency: "KWD"})
	f.flush(t)
	if got := f.events(t, shop); len(got) != 1 || got[0].Amount == nil || *got[0].Amount != 0 || *got[0].Currency != "KWD" {
		t.Fatalf("a free order: %+v", got)
	}
}

// TestOverload: with the writer not running and a queue of three, Record
// returns at once every time; the events past the third are dropped and
// counted, and a flush writes the three.
func TestOverload(t *testing.T) {
	t.Parallel()
	f := newFixture(t, analytics.Config{QueueSize: 3, BatchSize: 2}, time.Now().UTC())
	shop := f.env.Tenant(t, "shop")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 10 {
			f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NameProductViewed, Channel: analytics.ChannelWeb})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Record blocked on a full queue")
	}
	if v := dropped(t, f.svc, "overload"); v != 7 {
		t.Fatalf("dropped{overload} %v, want 7", v)
	}
	f.flush(t) // two batches: 2 and 1
	if got := f.events(t, shop); len(got) != 3 {
		t.Fatalf("events %d, want 3", len(got))
	}
	if v := written(t, f.svc); v != 3 {
		t.Fatalf("written_total %v", v)
	}
	// Room again.
	f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NameProductViewed, Channel: analytics.ChannelWeb})
	if v := dropped(t, f.svc, "overload"); v != 7 {
		t.Fatalf("dropped{overload} after the flush %v", v)
	}
}

// TestWriterAndClose: the background writer runs; Close writes what is
// still queued and later events are dropped as closed.
func TestWriterAndClose(t *testing.T) {
	t.Parallel()
	// A flush interval no test waits for: only Close writes here.
	f := newFixture(t, analytics.Config{FlushEvery: time.Hour}, time.Now().UTC())
	shop := f.env.Tenant(t, "shop")
	f.svc.Start(context.Background())
	f.svc.Start(context.Background()) // a second start does nothing
	for range 5 {
		f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NameCartAdded, Channel: analytics.ChannelWhatsApp})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.svc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.events(t, shop); len(got) != 5 {
		t.Fatalf("events after Close: %d", len(got))
	}
	f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NameCartAdded, Channel: analytics.ChannelWhatsApp})
	if v := dropped(t, f.svc, "closed"); v != 1 {
		t.Fatalf("dropped{closed} %v", v)
	}
	if err := f.svc.Close(ctx); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	f.svc.Start(context.Background()) // no restart after Close
	if got := f.events(t, shop); len(got) != 5 {
		t.Fatalf("events: %d", len(got))
	}
}

// TestConcurrentRecord: many callers record while the writer runs (small
// batches, a short interval) and tests flush; after Close every event is
// written once, none dropped.
func TestConcurrentRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t, analytics.Config{BatchSize: 7, FlushEvery: time.Millisecond}, time.Now().UTC())
	a, b := f.env.Tenant(t, "a"), f.env.Tenant(t, "b")
	f.svc.Start(context.Background())
	var wg sync.WaitGroup
	for i := range 8 {
		shop := a
		if i%2 == 1 {
			shop = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NameProductViewed, Channel: analytics.ChannelWeb})
				if j%40 == 0 {
					if err := f.svc.Flush(context.Background()); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.svc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if na, nb := len(f.events(t, a)), len(f.events(t, b)); na != 400 || nb != 400 {
		t.Fatalf("events %d and %d, want 400 each", na, nb)
	}
	if v, d := written(t, f.svc), dropped(t, f.svc, "overload"); v != 800 || d != 0 {
		t.Fatalf("written %v, dropped %v", v, d)
	}
}

// TestFailedWrite: a batch holding a tenant that does not exist (the
// foreign key refuses it) loses that tenant's events, logged and counted;
// the other tenant's events in the same batch are written.
func TestFailedWrite(t *testing.T) {
	t.Parallel()
	f := newFixture(t, analytics.Config{}, time.Now().UTC())
	shop := f.env.Tenant(t, "shop")
	ghost := tenants.WithTenantID(context.Background(), uuid.New())
	f.svc.Record(ghost, analytics.Event{Name: analytics.NameSearch, Channel: analytics.ChannelWeb, Query: "secret words"})
	f.svc.Record(ghost, analytics.Event{Name: analytics.NameSearch, Channel: analytics.ChannelWeb, Query: "secret words"})
	f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NameSearch, Channel: analytics.ChannelWeb, Query: "shop words"})
	err := f.svc.Flush(context.Background())
	if err == nil {
		t.Fatal("the ghost tenant's batch was written")
	}
	if v := dropped(t, f.svc, "write_failed"); v != 2 {
		t.Fatalf("dropped{write_failed} %v", v)
	}
	if got := f.events(t, shop); len(got) != 1 {
		t.Fatalf("the shop's event: %+v", got)
	}
	out := f.logs.String()
	if !strings.Contains(out, "analytics: events not written") || strings.Contains(out, "secret") {
		t.Fatalf("the failure's log line (no event contents): %s", out)
	}
	// Not retried: the next flush has nothing to do.
	if err := f.svc.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A flush whose caller gave up (a shutdown past its deadline) drops the
	// whole batch at once, counted, rather than trying tenant after tenant.
	other := f.env.Tenant(t, "other")
	for _, s := range []moduletest.Shop{shop, other, other} {
		f.svc.Record(s.Ctx, analytics.Event{Name: analytics.NameCartAdded, Channel: analytics.ChannelWeb})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.svc.Flush(ctx); err == nil {
		t.Fatal("a cancelled flush wrote")
	}
	if v := dropped(t, f.svc, "write_failed"); v != 5 {
		t.Fatalf("dropped{write_failed} after a cancelled flush %v", v)
	}
	if a, b := len(f.events(t, shop)), len(f.events(t, other)); a != 1 || b != 0 {
		t.Fatalf("events after a cancelled flush: %d, %d", a, b)
	}
}

// TestHostileText: texts that Postgres would refuse (NUL, invalid UTF-8) or
// that are huge are made safe before they reach it; personal data in a
// search (an e-mail, a phone number in any digits) is not kept.
func TestHostileText(t *testing.T) {
	t.Parallel()
	f := newFixture(t, analytics.Config{}, time.Now().UTC())
	shop := f.env.Tenant(t, "shop")
	tests := []struct {
		name, query, session string
		wantQuery            string // "" for NULL
		wantSession          string
	}{
		{"NUL", "abaya\x00black", "ab\x00c", "abaya black", ""},
		{"invalid UTF-8", "dress \xff\xfe red", "s\xff", "dress red", ""},
		{"huge", strings.Repeat("ع", 1<<20), strings.Repeat("a", 65), strings.Repeat("ع", analytics.MaxQuery), ""},
		{"only spaces and controls", " \t\r\n\x01 ", "good-session_1", "", "good-session_1"},
		{"an e-mail", "sara@example.com abaya", "", "abaya", ""},
		{"a phone number", "call +966 55 123 4567 please", "", "call please", ""},
		{"Arabic-Indic digits", "٠٥٥١٢٣٤٥٦٧ عباية", "", "عباية", ""},
		{"sizes stay", "abaya 52 54 56", "", "abaya 52 54 56", ""},
		{"a session that is an e-mail", "", "sara@example.com", "", ""},
		{"a session with spaces", "", "a b", "", ""},
	}
	for i, tc := range tests {
		f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NameSearch, Channel: analytics.ChannelWeb, Query: tc.query,
			SessionID: tc.session, At: f.clock.Now().Add(time.Duration(i-100) * time.Second)})
	}
	f.flush(t)
	got := f.events(t, shop)
	if len(got) != len(tests) {
		t.Fatalf("events %d, want %d", len(got), len(tests))
	}
	for i, tc := range tests {
		q, s := "", ""
		if got[i].Query != nil {
			q = *got[i].Query
		}
		if got[i].SessionID != nil {
			s = *got[i].SessionID
		}
		if q != tc.wantQuery || s != tc.wantSession {
			t.Errorf("%s: query %q session %q, want %q %q", tc.name, q, s, tc.wantQuery, tc.wantSession)
		}
		if !utf8.ValidString(q) || strings.ContainsRune(q, 0) || utf8.RuneCountInString(q) > analytics.MaxQuery {
			t.Errorf("%s: unsafe query %q", tc.name, q)
		}
	}
}

// TestFunnel: a hand-made week on both channels, read back by channel and
// in total, next to another tenant's events it must not count.
func TestFunnel(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Second)
	f := newFixture(t, analytics.Config{}, now)
	shop, other := f.env.Tenant(t, "shop"), f.env.Tenant(t, "other")
	rec := func(ctx context.Context, name, channel, session string, at time.Duration, mod func(e *analytics.Event)) {
		e := analytics.Event{Name: name, Channel: channel, SessionID: session, At: now.Add(-at), Consented: true}
		if mod != nil {
			mod(&e)
		}
		f.svc.Record(ctx, e)
	}
	cust1, cust2 := uuid.New(), uuid.New()
	o1, o2, o3, o4, o5 := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	withOrder := func(id uuid.UUID, amount int64, currency string) func(e *analytics.Event) {
		return func(e *analytics.Event) { e.OrderID, e.Amount, e.Currency = &id, amount, currency }
	}
	wa, web := analytics.ChannelWhatsApp, analytics.ChannelWeb
	// WhatsApp: three conversations (one started twice), four views, two
	// cart adds, two checkouts, two orders (one recorded twice), both paid
	// (10000 and 5001 SAR).
	rec(shop.Ctx, analytics.NameConversationStarted, wa, "conv-1", time.Hour, func(e *analytics.Event) { e.CustomerID = &cust1 })
	rec(shop.Ctx, analytics.NameConversationStarted, wa, "conv-1", 50*time.Minute, func(e *analytics.Event) { e.CustomerID = &cust1 })
	rec(shop.Ctx, analytics.NameConversationStarted, wa, "conv-2", 40*time.Minute, func(e *analytics.Event) { e.CustomerID = &cust2 })
	rec(shop.Ctx, analytics.NameConversationStarted, wa, "", 40*time.Minute, func(e *analytics.Event) { e.CustomerID = &cust2 })
	for i := range 4 {
		rec(shop.Ctx, analytics.NameProductViewed, wa, "conv-1", time.Duration(30+i)*time.Minute, nil)
	}
	rec(shop.Ctx, analytics.NameCartAdded, wa, "conv-1", 20*time.Minute, nil)
	rec(shop.Ctx, analytics.NameCartAdded, wa, "conv-2", 20*time.Minute, nil)
	rec(shop.Ctx, analytics.NameCheckoutStarted, wa, "conv-1", 15*time.Minute, nil)
	rec(shop.Ctx, analytics.NameCheckoutStarted, wa, "conv-2", 15*time.Minute, nil)
	rec(shop.Ctx, analytics.NameOrderPlaced, wa, "conv-1", 10*time.Minute, withOrder(o1, 10000, "SAR"))
	rec(shop.Ctx, analytics.NameOrderPlaced, wa, "conv-1", 9*time.Minute, withOrder(o1, 10000, "SAR"))
	rec(shop.Ctx, analytics.NameOrderPlaced, wa, "conv-2", 10*time.Minute, withOrder(o2, 5001, "SAR"))
	rec(shop.Ctx, analytics.NamePaid, wa, "conv-1", 5*time.Minute, withOrder(o1, 10000, "SAR"))
	rec(shop.Ctx, analytics.NamePaid, wa, "conv-2", 5*time.Minute, withOrder(o2, 5001, "SAR"))
	// Web: six views, one search, a hand-off, two cart adds, one checkout,
	// two orders: one paid (2000 SAR, its paid event recorded twice), one
	// paid in dollars (counted, not in the revenue); one order placed before
	// the period.
	for i := range 6 {
		rec(shop.Ctx, analytics.NameProductViewed, web, "web-1", time.Duration(30+i)*time.Minute, nil)
	}
	rec(shop.Ctx, analytics.NameSearch, web, "web-1", 30*time.Minute, func(e *analytics.Event) { e.Query = "abaya" })
	rec(shop.Ctx, analytics.NameHandoffClicked, web, "web-1", 30*time.Minute, nil)
	rec(shop.Ctx, analytics.NameConsentGiven, web, "web-1", 30*time.Minute, nil)
	rec(shop.Ctx, analytics.NameCartAdded, web, "web-1", 20*time.Minute, nil)
	rec(shop.Ctx, analytics.NameCartAdded, web, "web-2", 20*time.Minute, nil)
	rec(shop.Ctx, analytics.NameCheckoutStarted, web, "web-1", 15*time.Minute, nil)
	rec(shop.Ctx, analytics.NameOrderPlaced, web, "web-1", 10*time.Minute, withOrder(o3, 2000, "SAR"))
	rec(shop.Ctx, analytics.NamePaid, web, "web-1", 5*time.Minute, withOrder(o3, 2000, "SAR"))
	rec(shop.Ctx, analytics.NamePaid, web, "web-1", 4*time.Minute, withOrder(o3, 2000, "SAR"))
	rec(shop.Ctx, analytics.NameOrderPlaced, web, "web-3", 10*time.Minute, withOrder(o4, 700, "USD"))
	rec(shop.Ctx, analytics.NamePaid, web, "web-3", 5*time.Minute, withOrder(o4, 700, "USD"))
	rec(shop.Ctx, analytics.NameOrderPlaced, web, "web-4", 3*time.Hour, withOrder(o5, 999, "SAR"))
	// The other tenant: a lot of everything.
	for range 20 {
		rec(other.Ctx, analytics.NameConversationStarted, wa, uuid.NewString(), time.Minute, nil)
		rec(other.Ctx, analytics.NameProductViewed, web, "x", time.Minute, nil)
		id := uuid.New()
		rec(other.Ctx, analytics.NamePaid, web, "x", time.Minute, withOrder(id, 100000, "SAR"))
	}
	f.flush(t)

	got, err := f.svc.Funnel(shop.Ctx, now.Add(-2*time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	sar := func(n int64) analyticsAmount { return analyticsAmount{n, "SAR"} }
	for _, tc := range []struct {
		name string
		got  analytics.Counts
		want counts
	}{
		{"whatsapp", got.WhatsApp, counts{3, 4, 2, 2, 2, 2, sar(15001), sar(7501)}},
		{"web", got.Web, counts{0, 6, 2, 1, 2, 2, sar(2000), sar(2000)}},
		{"total", got.Total, counts{3, 10, 4, 3, 4, 4, sar(17001), sar(5667)}},
	} {
		if c := toCounts(tc.got); c != tc.want {
			t.Errorf("%s: %+v\nwant %+v", tc.name, c, tc.want)
		}
	}
	if got.Currency != "SAR" || !got.From.Equal(now.Add(-2*time.Hour)) || !got.To.Equal(now) {
		t.Fatalf("funnel: %+v", got)
	}
	// The other tenant's funnel holds only its own.
	og, err := f.svc.Funnel(other.Ctx, now.Add(-2*time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	if c := toCounts(og.Total); c != (counts{20, 20, 0, 0, 0, 20, sar(2000000), sar(100000)}) {
		t.Fatalf("other: %+v", c)
	}
	// A period without events: zeros in the store's currency.
	empty, err := f.svc.Funnel(shop.Ctx, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if c := toCounts(empty.Total); c != (counts{Revenue: sar(0), AOV: sar(0)}) || toCounts(empty.Web) != c {
		t.Fatalf("empty: %+v", empty)
	}
	// Bad periods.
	for _, p := range []struct {
		name     string
		from, to time.Time
		field    string
	}{
		{"to before from", now, now.Add(-time.Hour), "to"},
		{"empty", now, now, "to"},
		{"longer than a year and a day", now.Add(-analytics.MaxFunnelSpan - time.Second), now, "to"},
		{"no from", time.Time{}, now, "from"},
	} {
		_, err := f.svc.Funnel(shop.Ctx, p.from, p.to)
		if fe := errs.FieldsOf(err); errs.CodeOf(err) != errs.CodeInvalid || len(fe) != 1 || fe[0].Field != p.field {
			t.Errorf("%s: %v", p.name, err)
		}
	}
	if _, err := f.svc.Funnel(context.Background(), now.Add(-time.Hour), now); !errors.Is(err, tenants.ErrNoTenant) {
		t.Errorf("no tenant: %v", err)
	}
}

type analyticsAmount struct {
	Minor    int64
	Currency string
}

type counts struct {
	Conversations, ProductViews, CartAdds, Checkouts, Orders, Paid int64
	Revenue, AOV                                                   analyticsAmount
}

func toCounts(c analytics.Counts) counts {
	return counts{c.Conversations, c.ProductViews, c.CartAdds, c.Checkouts, c.Orders, c.Paid,
		analyticsAmount(c.Revenue), analyticsAmount(c.AOV)}
}

// TestIsolation: tenant B sees none of A's events, through the funnel or
// by a direct select as the app role on the table and on each partition;
// B cannot write an event for A; every analytics table passes the
// catalog's RLS check.
func TestIsolation(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	f := newFixture(t, analytics.Config{}, now)
	a, b := f.env.Tenant(t, "a"), f.env.Tenant(t, "b")
	order := uuid.New()
	for _, n := range []string{analytics.NameConversationStarted, analytics.NameProductViewed, analytics.NameCartAdded} {
		f.svc.Record(a.Ctx, analytics.Event{Name: n, Channel: analytics.ChannelWhatsApp, SessionID: "conv"})
	}
	f.svc.Record(a.Ctx, analytics.Event{Name: analytics.NamePaid, Channel: analytics.ChannelWeb, OrderID: &order, Amount: 500, Currency: "SAR"})
	// One of A's events in a month without a partition: the default one.
	f.clock.Add(-400 * 24 * time.Hour)
	f.svc.Record(a.Ctx, analytics.Event{Name: analytics.NameSearch, Channel: analytics.ChannelWeb, Query: "old"})
	f.clock.Add(400 * 24 * time.Hour)
	f.flush(t)
	if got := f.events(t, a); len(got) != 5 {
		t.Fatalf("a's events: %d", len(got))
	}
	if got := f.events(t, b); len(got) != 0 {
		t.Fatalf("b sees %d events", len(got))
	}
	fb, err := f.svc.Funnel(b.Ctx, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if toCounts(fb.Total) != (counts{Revenue: analyticsAmount{0, "SAR"}, AOV: analyticsAmount{0, "SAR"}}) {
		t.Fatalf("b's funnel: %+v", fb.Total)
	}
	var tables []string
	err = f.env.Scope.InTenantTx(b.Ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			WHERE i.inhparent = 'analytics_events'::regclass ORDER BY 1`).Scan(ctx, &tables)
	})
	if err != nil || len(tables) < 3 {
		t.Fatalf("partitions: %v %v", tables, err)
	}
	tables = append(tables, "analytics_events")
	seen := 0
	for _, table := range tables {
		count := func(as moduletest.Shop) int {
			var n int
			err := f.env.Scope.InTenantTx(as.Ctx, func(ctx context.Context, tx bun.Tx) error {
				return tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE tenant_id = ?`, a.ID).Scan(&n)
			})
			if err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			return n
		}
		if n := count(b); n != 0 {
			t.Fatalf("b sees %d of a's rows in %s", n, table)
		}
		if table != "analytics_events" {
			seen += count(a)
		}
	}
	if seen != 5 {
		t.Fatalf("a's rows across the partitions: %d", seen)
	}
	err = f.env.Scope.InTenantTx(b.Ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO analytics_events (tenant_id, id, occurred_at, name, channel)
			VALUES (?, ?, now(), 'paid', 'web')`, a.ID, uuid.New())
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "row-level security") {
		t.Fatalf("b wrote an event for a: %v", err)
	}
	rlsClean(t, f)
}

// rlsClean fails on any analytics table the catalog's RLS check flags.
func rlsClean(t *testing.T, f *fixture) {
	t.Helper()
	owner := testenv.Open(t, f.env.URLs.OwnerURL)
	problems, err := testenv.RLSProblems(context.Background(), owner.SQL)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p, "analytics_") {
			t.Errorf("RLS: %s", p)
		}
	}
}

// TestAppendOnly: the app role can neither change nor delete an event, on
// the table or on a partition, nor drop partitions.
func TestAppendOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t, analytics.Config{}, time.Now().UTC())
	shop := f.env.Tenant(t, "shop")
	f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NameCartAdded, Channel: analytics.ChannelWeb})
	f.flush(t)
	// This month's partition (a template database made in an earlier
	// month may lack it).
	month := time.Now().UTC()
	err := f.env.Scope.InTenantTx(shop.Ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `SELECT analytics_ensure_month(?::date)`, month.Format(time.DateOnly))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE analytics_events SET name = 'paid'`,
		`DELETE FROM analytics_events`,
		`UPDATE analytics_events_default SET name = 'paid'`,
		`DELETE FROM analytics_events_default`,
		`TRUNCATE analytics_events`,
		`SELECT analytics_drop_before('2000-01-01')`,
		`DROP TABLE analytics_events_default`,
		// A month's partition, as the catalog-wide isolation test tries it.
		`UPDATE analytics_events_` + month.Format("2006_01") + ` SET tenant_id = gen_random_uuid()`,
		`DELETE FROM analytics_events_` + month.Format("2006_01"),
	} {
		err := f.env.Scope.InTenantTx(shop.Ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx, stmt)
			return err
		})
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("%s: %v, want refused (42501)", stmt, err)
		}
	}
	if got := f.events(t, shop); len(got) != 1 || got[0].Name != analytics.NameCartAdded {
		t.Fatalf("events: %+v", got)
	}
}

// TestPartitions: analytics_ensure_month (as the app role, which may only
// execute it) creates a month's partition once, owned by the schema's
// owner, with RLS enabled, forced and the tenant policy, moving the rows
// the default partition held for that month; the upkeep job creates this
// month's and next month's and drops months past retention.
func TestPartitions(t *testing.T) {
	t.Parallel()
	// A clock in 2099: the events go to the default partition.
	f := newFixture(t, analytics.Config{RetainMonths: 24}, time.Date(2099, 1, 15, 12, 0, 0, 0, time.UTC))
	shop, other := f.env.Tenant(t, "shop"), f.env.Tenant(t, "other")
	f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NameCartAdded, Channel: analytics.ChannelWeb})
	f.svc.Record(other.Ctx, analytics.Event{Name: analytics.NameCartAdded, Channel: analytics.ChannelWeb})
	f.flush(t)
	partitionOf := func(shop moduletest.Shop) string {
		t.Helper()
		var name string
		err := f.env.Scope.InTenantTx(shop.Ctx, func(ctx context.Context, tx bun.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT tableoid::regclass::text FROM analytics_events`).Scan(&name)
		})
		if err != nil {
			t.Fatal(err)
		}
		return name
	}
	if p := partitionOf(shop); p != "analytics_events_default" {
		t.Fatalf("a 2099 event is in %s", p)
	}
	ensure := func(month string) bool {
		t.Helper()
		var created bool
		err := f.env.Scope.InTenantTx(shop.Ctx, func(ctx context.Context, tx bun.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT analytics_ensure_month(?::date)`, month).Scan(&created)
		})
		if err != nil {
			t.Fatal(err)
		}
		return created
	}
	if !ensure("2099-01-20") {
		t.Fatal("the partition of 2099-01 was not created")
	}
	if ensure("2099-01-01") {
		t.Fatal("the partition of 2099-01 was created twice")
	}
	// Both tenants' rows moved out of the default partition.
	if p := partitionOf(shop); p != "analytics_events_2099_01" {
		t.Fatalf("the event is in %s after the partition was made", p)
	}
	if p := partitionOf(other); p != "analytics_events_2099_01" {
		t.Fatalf("the other tenant's event is in %s after the partition was made", p)
	}
	type rel struct {
		Enabled bool   `bun:"relrowsecurity"`
		Forced  bool   `bun:"relforcerowsecurity"`
		Owner   string `bun:"owner"`
		Policy  string `bun:"policy"`
	}
	var r rel
	err := f.env.Scope.InTenantTx(shop.Ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`SELECT c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) AS owner,
			COALESCE((SELECT p.qual || ' | ' || p.with_check FROM pg_policies p WHERE p.tablename = c.relname), '') AS policy
			FROM pg_class c WHERE c.relname = 'analytics_events_2099_01'`).Scan(ctx, &r)
	})
	if err != nil {
		t.Fatal(err)
	}
	wantPolicy := "(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)"
	if !r.Enabled || !r.Forced || r.Owner == "concierge_app" || r.Policy != wantPolicy+" | "+wantPolicy {
		t.Fatalf("partition: %+v", r)
	}
	// The default partition stays forced after the move.
	var forced bool
	err = f.env.Scope.InTenantTx(shop.Ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT relforcerowsecurity FROM pg_class WHERE relname = 'analytics_events_default'`).Scan(&forced)
	})
	if err != nil || !forced {
		t.Fatalf("default partition forced: %v %v", forced, err)
	}
	rlsClean(t, f)

	// The upkeep, with the clock back to now: this month and the next exist
	// (made by the migration or now), and a month older than 24 whole
	// months goes, with its rows.
	f.clock.Add(time.Now().Sub(f.clock.Now()))
	if !ensure("2001-03-01") {
		t.Fatal("the partition of 2001-03 was not created")
	}
	created, droppedN, err := f.svc.MaintainPartitions(context.Background())
	if err != nil || created > 2 || droppedN != 1 {
		t.Fatalf("upkeep: created %d, dropped %d, %v", created, droppedN, err)
	}
	if created, droppedN, err = f.svc.MaintainPartitions(context.Background()); err != nil || created != 0 || droppedN != 0 {
		t.Fatalf("upkeep again: created %d, dropped %d, %v", created, droppedN, err)
	}
	var months []string
	err = f.env.Scope.InTenantTx(shop.Ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			WHERE i.inhparent = 'analytics_events'::regclass ORDER BY 1`).Scan(ctx, &months)
	})
	if err != nil {
		t.Fatal(err)
	}
	this := time.Now().UTC()
	next := time.Date(this.Year(), this.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	for _, want := range []string{"analytics_events_" + this.Format("2006_01"), "analytics_events_" + next.Format("2006_01"),
		"analytics_events_2099_01", "analytics_events_default"} {
		if !strings.Contains(strings.Join(months, " "), want) {
			t.Errorf("partitions %v lack %s", months, want)
		}
	}
	if strings.Contains(strings.Join(months, " "), "2001_03") {
		t.Errorf("2001-03 was kept: %v", months)
	}
	// Retention never reaches the current month.
	err = f.env.Scope.PlatformTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `SELECT analytics_drop_before('2099-02-01')`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "after the current month") {
		t.Fatalf("drop of future months: %v", err)
	}
	rlsClean(t, f)
}
