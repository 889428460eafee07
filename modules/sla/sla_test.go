package sla_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/testenv"
	"concierge/modules/audit"
	"concierge/modules/moduletest"
	"concierge/modules/sla"
)

// The timers on real Postgres (forced RLS, the app role) with a clock the
// test moves: starts and stops in the callers' transactions, the sweep run
// directly (the module environment's jobs are insert-only), breaches,
// settings, the metrics and another tenant seeing none of it.

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// logs keeps what the service logs, as JSON lines.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.Write(p) }

// lines returns the logged records whose message is msg.
func (l *logs) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

type fixture struct {
	env   *moduletest.Env
	svc   *sla.Service
	clock *clock
	logs  *logs
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := moduletest.New(t)
	f := &fixture{env: env, clock: &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}, logs: &logs{}}
	f.svc = sla.New(sla.Config{}, sla.Deps{Scope: env.Scope, Jobs: env.Jobs, Audit: env.Audit,
		Log: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Now: f.clock.Now})
	return f
}

// inTx runs fn in shop's scoped transaction, as a calling module does.
func (f *fixture) inTx(t *testing.T, shop moduletest.Shop, fn func(ctx context.Context, tx bun.Tx) error) error {
	t.Helper()
	return f.env.Scope.InTenantTx(shop.Ctx, fn)
}

func (f *fixture) start(t *testing.T, shop moduletest.Shop, kind string, subject uuid.UUID) {
	t.Helper()
	if err := f.inTx(t, shop, func(ctx context.Context, tx bun.Tx) error { return f.svc.StartTx(ctx, tx, kind, subject) }); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) stop(t *testing.T, shop moduletest.Shop, kind string, subject uuid.UUID) {
	t.Helper()
	if err := f.inTx(t, shop, func(ctx context.Context, tx bun.Tx) error { return f.svc.StopTx(ctx, tx, kind, subject) }); err != nil {
		t.Fatal(err)
	}
}

// sweep runs the breach sweep and checks how many breaches it recorded.
func (f *fixture) sweep(t *testing.T, want int) {
	t.Helper()
	n, err := f.svc.Sweep(context.Background())
	if err != nil || n != want {
		t.Fatalf("sweep recorded %d breaches (%v), want %d", n, err, want)
	}
}

// timer is a timer row as the tenant sees it.
type timer struct {
	Kind       string     `bun:"kind"`
	SubjectID  uuid.UUID  `bun:"subject_id"`
	StartedAt  time.Time  `bun:"started_at"`
	DueAt      time.Time  `bun:"due_at"`
	StoppedAt  *time.Time `bun:"stopped_at"`
	BreachedAt *time.Time `bun:"breached_at"`
}

// timers reads every timer shop can see (RLS), oldest first.
func (f *fixture) timers(t *testing.T, shop moduletest.Shop) []timer {
	t.Helper()
	var out []timer
	err := f.inTx(t, shop, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`SELECT kind, subject_id, started_at, due_at, stopped_at, breached_at FROM sla_timers ORDER BY started_at, id`).Scan(ctx, &out)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// breaches lists shop's breaches, newest first (one page).
func (f *fixture) breaches(t *testing.T, shop moduletest.Shop) []sla.Breach {
	t.Helper()
	p, err := f.svc.Breaches(shop.Ctx, sla.BreachQuery{Limit: sla.MaxBreachPage})
	if err != nil {
		t.Fatal(err)
	}
	return p.Items
}

// metric reads one series of the service's collectors by its kind label
// (false: no such series), failing on any label other than kind.
func metric(t *testing.T, svc *sla.Service, name, kind string) (float64, bool) {
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
			if len(m.GetLabel()) != 1 || m.GetLabel()[0].GetName() != "kind" {
				t.Fatalf("%s has labels %v: kind only (never a tenant)", name, m.GetLabel())
			}
			if m.GetLabel()[0].GetValue() != kind {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue(), true
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

func breachesTotal(t *testing.T, svc *sla.Service, kind string) float64 {
	t.Helper()
	v, ok := metric(t, svc, "concierge_sla_breaches_total", kind)
	if !ok {
		t.Fatalf("no concierge_sla_breaches_total{kind=%q}", kind)
	}
	return v
}

func TestStartAndStopAreIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.env.Tenant(t, "shop")
	conv := uuid.New()
	t0 := f.clock.Now()
	f.start(t, shop, sla.KindHandoffFirstReply, conv)
	f.clock.Add(time.Minute)
	f.start(t, shop, sla.KindHandoffFirstReply, conv) // the customer asks again: the first wait goes on
	ts := f.timers(t, shop)
	if len(ts) != 1 || ts[0].Kind != sla.KindHandoffFirstReply || ts[0].SubjectID != conv || !ts[0].StartedAt.Equal(t0) ||
		!ts[0].DueAt.Equal(t0.Add(15*time.Minute)) || ts[0].StoppedAt != nil || ts[0].BreachedAt != nil {
		t.Fatalf("timers after two starts: %+v", ts)
	}
	// The same subject under another kind is another timer.
	f.start(t, shop, sla.KindOrderDispatch, conv)
	f.clock.Add(time.Minute)
	f.stop(t, shop, sla.KindHandoffFirstReply, conv)
	f.stop(t, shop, sla.KindHandoffFirstReply, conv) // a second reply: nothing runs any more
	ts = f.timers(t, shop)
	if len(ts) != 2 || ts[0].StoppedAt == nil || !ts[0].StoppedAt.Equal(t0.Add(2*time.Minute)) || ts[1].StoppedAt != nil {
		t.Fatalf("timers after two stops: %+v", ts)
	}
	// A stop of something never started does nothing.
	f.stop(t, shop, sla.KindReturnDecision, uuid.New())
	// After a stop, the next hand-off is a new wait.
	f.start(t, shop, sla.KindHandoffFirstReply, conv)
	ts = f.timers(t, shop)
	if len(ts) != 3 || ts[2].Kind != sla.KindHandoffFirstReply || ts[2].StoppedAt != nil || !ts[2].StartedAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("timers after a new start: %+v", ts)
	}
	if got := f.breaches(t, shop); len(got) != 0 {
		t.Fatalf("breaches: %+v", got)
	}

	for _, tc := range []struct {
		name    string
		kind    string
		subject uuid.UUID
	}{
		{"unknown kind", "first_reply", uuid.New()},
		{"no subject", sla.KindOrderDispatch, uuid.Nil},
	} {
		err := f.inTx(t, shop, func(ctx context.Context, tx bun.Tx) error { return f.svc.StartTx(ctx, tx, tc.kind, tc.subject) })
		if errs.CodeOf(err) != errs.CodeInvalid {
			t.Errorf("%s: start answered %v, want invalid", tc.name, err)
		}
		err = f.inTx(t, shop, func(ctx context.Context, tx bun.Tx) error { return f.svc.StopTx(ctx, tx, tc.kind, tc.subject) })
		if errs.CodeOf(err) != errs.CodeInvalid {
			t.Errorf("%s: stop answered %v, want invalid", tc.name, err)
		}
	}
}

func TestStoppedInTimeIsNoBreach(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.env.Tenant(t, "shop")
	order := uuid.New()
	f.start(t, shop, sla.KindOrderDispatch, order)
	f.clock.Add(48 * time.Hour) // shipped exactly on the due time: in time
	f.stop(t, shop, sla.KindOrderDispatch, order)
	f.clock.Add(time.Hour)
	f.sweep(t, 0)
	if got := f.breaches(t, shop); len(got) != 0 {
		t.Fatalf("breaches: %+v", got)
	}
	if ts := f.timers(t, shop); len(ts) != 1 || ts[0].BreachedAt != nil || ts[0].StoppedAt == nil {
		t.Fatalf("timer: %+v", ts)
	}
	if v := breachesTotal(t, f.svc, sla.KindOrderDispatch); v != 0 {
		t.Fatalf("breaches counted: %v", v)
	}
}

// TestSweepRecordsOneBreach: a waiting customer's timer passes due; the
// sweep records one breach however often it runs, at once or in turn, and
// tells staff again through the log.
func TestSweepRecordsOneBreach(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.env.Tenant(t, "shop")
	conv := uuid.New()
	t0 := f.clock.Now()
	f.start(t, shop, sla.KindHandoffFirstReply, conv)
	f.clock.Add(15 * time.Minute)
	f.sweep(t, 0) // due now, not yet past it
	f.clock.Add(time.Minute)
	f.sweep(t, 1)
	f.sweep(t, 0)
	got := f.breaches(t, shop)
	if len(got) != 1 {
		t.Fatalf("breaches: %+v", got)
	}
	b := got[0]
	if b.Kind != sla.KindHandoffFirstReply || b.SubjectID != conv || !b.DueAt.Equal(t0.Add(15*time.Minute)) ||
		!b.BreachedAt.Equal(t0.Add(16*time.Minute)) || b.TargetSeconds != 900 || b.TimerID == uuid.Nil {
		t.Fatalf("breach: %+v", b)
	}
	ts := f.timers(t, shop)
	if len(ts) != 1 || ts[0].BreachedAt == nil || ts[0].StoppedAt != nil {
		t.Fatalf("a breached timer runs on until the reply: %+v", ts)
	}
	warn := f.logs.lines(t, "sla breach: customer waiting for a person")
	if len(warn) != 1 || warn[0]["level"] != "WARN" || warn[0]["tenant_id"] != shop.ID.String() ||
		warn[0]["conversation_id"] != conv.String() || warn[0]["waited"] != "16m0s" {
		t.Fatalf("re-notification: %v", warn)
	}
	if v := breachesTotal(t, f.svc, sla.KindHandoffFirstReply); v != 1 {
		t.Fatalf("handoff breaches counted: %v", v)
	}
	// The late reply stops it without a second breach.
	f.clock.Add(time.Minute)
	f.stop(t, shop, sla.KindHandoffFirstReply, conv)
	if got := f.breaches(t, shop); len(got) != 1 {
		t.Fatalf("breaches after the late reply: %+v", got)
	}
	if v := breachesTotal(t, f.svc, sla.KindHandoffFirstReply); v != 1 {
		t.Fatalf("handoff breaches counted after the reply: %v", v)
	}

	// Sweeps running at once (two workers, a slow run overlapping the
	// next) record each breach once between them.
	orders := make([]uuid.UUID, 5)
	for i := range orders {
		orders[i] = uuid.New()
		f.start(t, shop, sla.KindOrderDispatch, orders[i])
	}
	f.clock.Add(49 * time.Hour)
	var wg sync.WaitGroup
	results := make(chan int, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := f.svc.Sweep(context.Background())
			if err != nil {
				t.Error(err)
			}
			results <- n
		}()
	}
	wg.Wait()
	close(results)
	total := 0
	for n := range results {
		total += n
	}
	if total != 5 {
		t.Fatalf("concurrent sweeps recorded %d breaches, want 5", total)
	}
	if got := f.breaches(t, shop); len(got) != 6 {
		t.Fatalf("breaches after concurrent sweeps: %d", len(got))
	}
	if v := breachesTotal(t, f.svc, sla.KindOrderDispatch); v != 5 {
		t.Fatalf("dispatch breaches counted: %v", v)
	}
	if v := breachesTotal(t, f.svc, sla.KindReturnDecision); v != 0 {
		t.Fatalf("return breaches counted: %v", v)
	}
	if len(f.logs.lines(t, "sla breach: customer waiting for a person")) != 1 {
		t.Fatal("orders' breaches re-notified as waiting customers")
	}
}

// TestLateStopBeforeSweepIsABreach: a decision made after its due time
// but before the sweep ran is a breach, recorded once.
func TestLateStopBeforeSweepIsABreach(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.env.Tenant(t, "shop")
	ret := uuid.New()
	t0 := f.clock.Now()
	f.start(t, shop, sla.KindReturnDecision, ret)
	f.clock.Add(49 * time.Hour)
	f.stop(t, shop, sla.KindReturnDecision, ret)
	got := f.breaches(t, shop)
	if len(got) != 1 || got[0].SubjectID != ret || got[0].Kind != sla.KindReturnDecision || !got[0].BreachedAt.Equal(t0.Add(49*time.Hour)) ||
		!got[0].DueAt.Equal(t0.Add(48*time.Hour)) || got[0].TargetSeconds != 48*3600 {
		t.Fatalf("breaches after the late stop: %+v", got)
	}
	f.sweep(t, 0)
	f.stop(t, shop, sla.KindReturnDecision, ret)
	if got := f.breaches(t, shop); len(got) != 1 {
		t.Fatalf("breaches after the sweep: %+v", got)
	}
	if ts := f.timers(t, shop); len(ts) != 1 || ts[0].StoppedAt == nil || ts[0].BreachedAt == nil {
		t.Fatalf("timer: %+v", ts)
	}
	if v := breachesTotal(t, f.svc, sla.KindReturnDecision); v != 1 {
		t.Fatalf("return breaches counted: %v", v)
	}
	if len(f.logs.lines(t, "sla breach: customer waiting for a person")) != 0 {
		t.Fatal("a return's breach re-notified as a waiting customer")
	}
}

// TestTenantTargets: each tenant's timers run to its own targets, taken
// when the timer starts.
func TestTenantTargets(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.env.Tenant(t, "fast"), f.env.Tenant(t, "slow")
	if _, err := f.svc.UpdateSettings(a.Ctx, sla.Settings{HandoffFirstReplySeconds: 300, ReturnDecisionSeconds: 24 * 3600,
		OrderDispatchSeconds: 48 * 3600}); err != nil {
		t.Fatal(err)
	}
	conv, order := uuid.New(), uuid.New()
	f.start(t, a, sla.KindHandoffFirstReply, conv)
	f.start(t, b, sla.KindHandoffFirstReply, conv) // the same id in two tenants: two timers
	f.start(t, a, sla.KindOrderDispatch, order)
	// Changing the target later leaves the running timer's due time.
	if _, err := f.svc.UpdateSettings(a.Ctx, sla.Settings{HandoffFirstReplySeconds: 300, ReturnDecisionSeconds: 24 * 3600,
		OrderDispatchSeconds: 3600}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(6 * time.Minute)
	f.sweep(t, 1)
	if got := f.breaches(t, a); len(got) != 1 || got[0].TargetSeconds != 300 || got[0].Kind != sla.KindHandoffFirstReply {
		t.Fatalf("a's breaches: %+v", got)
	}
	if got := f.breaches(t, b); len(got) != 0 {
		t.Fatalf("b's breaches at 6 minutes: %+v", got)
	}
	f.clock.Add(10 * time.Minute)
	f.sweep(t, 1)
	if got := f.breaches(t, b); len(got) != 1 || got[0].TargetSeconds != 900 {
		t.Fatalf("b's breaches at 16 minutes: %+v", got)
	}
	f.clock.Add(2 * time.Hour) // past the new one-hour target, within the 48 hours it started with
	f.sweep(t, 0)
	// A timer started now takes the new target.
	later := uuid.New()
	f.start(t, a, sla.KindOrderDispatch, later)
	f.clock.Add(61 * time.Minute)
	f.sweep(t, 1)
	got := f.breaches(t, a)
	if len(got) != 2 || got[0].SubjectID != later || got[0].TargetSeconds != 3600 {
		t.Fatalf("a's breaches: %+v", got)
	}
}

// TestTenantIsolation: tenant B sees none of A's timers, breaches or
// settings, and stopping A's subject in B leaves A's timer running.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.env.Tenant(t, "a"), f.env.Tenant(t, "b")
	if _, err := f.svc.UpdateSettings(a.Ctx, sla.Settings{HandoffFirstReplySeconds: 120, ReturnDecisionSeconds: 3600,
		OrderDispatchSeconds: 7200}); err != nil {
		t.Fatal(err)
	}
	conv := uuid.New()
	f.start(t, a, sla.KindHandoffFirstReply, conv)
	f.stop(t, b, sla.KindHandoffFirstReply, conv)
	f.clock.Add(3 * time.Minute)
	f.sweep(t, 1)
	if ts := f.timers(t, a); len(ts) != 1 || ts[0].StoppedAt != nil || ts[0].BreachedAt == nil {
		t.Fatalf("a's timer after b's stop and the sweep: %+v", ts)
	}
	if ts := f.timers(t, b); len(ts) != 0 {
		t.Fatalf("b sees timers: %+v", ts)
	}
	if got := f.breaches(t, b); len(got) != 0 {
		t.Fatalf("b sees breaches: %+v", got)
	}
	s, err := f.svc.Settings(b.Ctx)
	if err != nil || s.UpdatedAt != nil || s.HandoffFirstReplySeconds != 900 {
		t.Fatalf("b's settings: %+v %v", s, err)
	}
	// Nothing of A's in any SLA table, by A's id, inside B's transaction;
	// and B cannot write a row for A.
	for _, table := range []string{"sla_settings", "sla_timers", "sla_breaches"} {
		var n int
		err := f.inTx(t, b, func(ctx context.Context, tx bun.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE tenant_id = ?`, a.ID).Scan(&n)
		})
		if err != nil || n != 0 {
			t.Fatalf("b sees %d of a's rows in %s (%v)", n, table, err)
		}
	}
	err = f.inTx(t, b, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sla_timers (tenant_id, id, kind, subject_id, started_at, due_at)
			VALUES (?, ?, 'order_dispatch', ?, now(), now() + interval '1 hour')`, a.ID, uuid.New(), uuid.New())
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "row-level security") {
		t.Fatalf("b wrote a timer for a: %v", err)
	}
	// The tables pass the catalog's RLS check (enabled, forced, a policy).
	owner := testenv.Open(t, f.env.URLs.OwnerURL)
	problems, err := testenv.RLSProblems(context.Background(), owner.SQL)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p, "sla_") {
			t.Errorf("RLS: %s", p)
		}
	}
}

func TestSettingsValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.env.Tenant(t, "shop")
	def, err := f.svc.Settings(shop.Ctx)
	if err != nil || def != sla.DefaultSettings() || def.HandoffFirstReplySeconds != 900 || def.ReturnDecisionSeconds != 172800 ||
		def.OrderDispatchSeconds != 172800 || def.UpdatedAt != nil {
		t.Fatalf("defaults: %+v %v", def, err)
	}
	const month = 30 * 24 * 3600
	ok := sla.Settings{HandoffFirstReplySeconds: 900, ReturnDecisionSeconds: 86400, OrderDispatchSeconds: 86400}
	tests := []struct {
		name   string
		change func(s *sla.Settings)
		fields []string // the fields refused; none: saved
	}{
		{"all fine", func(*sla.Settings) {}, nil},
		{"the smallest", func(s *sla.Settings) {
			*s = sla.Settings{HandoffFirstReplySeconds: 60, ReturnDecisionSeconds: 60, OrderDispatchSeconds: 60}
		}, nil},
		{"the largest", func(s *sla.Settings) {
			*s = sla.Settings{HandoffFirstReplySeconds: month, ReturnDecisionSeconds: month, OrderDispatchSeconds: month}
		}, nil},
		{"under a minute", func(s *sla.Settings) { s.HandoffFirstReplySeconds = 59 }, []string{"handoff_first_reply_seconds"}},
		{"zero", func(s *sla.Settings) { s.ReturnDecisionSeconds = 0 }, []string{"return_decision_seconds"}},
		{"negative", func(s *sla.Settings) { s.OrderDispatchSeconds = -3600 }, []string{"order_dispatch_seconds"}},
		{"over 30 days", func(s *sla.Settings) { s.OrderDispatchSeconds = month + 1 }, []string{"order_dispatch_seconds"}},
		{"every field at once", func(s *sla.Settings) { *s = sla.Settings{} },
			[]string{"handoff_first_reply_seconds", "return_decision_seconds", "order_dispatch_seconds"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := ok
			tc.change(&in)
			before, err := f.svc.Settings(shop.Ctx)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.svc.UpdateSettings(shop.Ctx, in)
			if len(tc.fields) == 0 {
				if err != nil || got.HandoffFirstReplySeconds != in.HandoffFirstReplySeconds || got.UpdatedAt == nil {
					t.Fatalf("saved %+v (%v)", got, err)
				}
				after, _ := f.svc.Settings(shop.Ctx)
				if after.HandoffFirstReplySeconds != in.HandoffFirstReplySeconds || after.ReturnDecisionSeconds != in.ReturnDecisionSeconds ||
					after.OrderDispatchSeconds != in.OrderDispatchSeconds || after.UpdatedAt == nil {
					t.Fatalf("read back %+v", after)
				}
				return
			}
			if errs.CodeOf(err) != errs.CodeInvalid {
				t.Fatalf("answered %v, want invalid", err)
			}
			var named []string
			for _, fe := range errs.FieldsOf(err) {
				named = append(named, fe.Field)
				if fe.Msg.ID != "sla.field.target_seconds" {
					t.Errorf("%s: message %s", fe.Field, fe.Msg)
				}
			}
			if strings.Join(named, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("fields %v, want %v", named, tc.fields)
			}
			if after, _ := f.svc.Settings(shop.Ctx); after.HandoffFirstReplySeconds != before.HandoffFirstReplySeconds ||
				after.OrderDispatchSeconds != before.OrderDispatchSeconds || after.ReturnDecisionSeconds != before.ReturnDecisionSeconds {
				t.Fatalf("refused settings changed the stored ones: %+v, were %+v", after, before)
			}
		})
	}
	// Each saved change is in the tenant's audit log, before and after.
	var entries []audit.Entry
	err = f.env.Scope.InTenantTx(shop.Ctx, func(ctx context.Context, tx bun.Tx) error {
		entries, err = audit.List(ctx, tx, 20)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	saved := 0
	for _, e := range entries {
		if e.Action == "sla.settings_updated" && e.Target == "sla_settings" {
			saved++
		}
	}
	if saved != 3 {
		t.Fatalf("%d audited changes, want 3: %+v", saved, entries)
	}
	var before, after map[string]int
	if e := entries[0]; json.Unmarshal(e.Before, &before) != nil || json.Unmarshal(e.After, &after) != nil ||
		before["order_dispatch_seconds"] != 60 || after["order_dispatch_seconds"] != month || after["handoff_first_reply_seconds"] != month {
		t.Fatalf("audit entry: before %s, after %s", e.Before, e.After)
	}
}

// TestBreachesPages: newest first across pages (ties on the time broken by
// id), filtered by kind and time, and the query's refusals.
func TestBreachesPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.env.Tenant(t, "shop")
	// Seven breaches: four recorded by late stops at one instant, three by
	// the sweep a minute later (ties on the time); kinds alternate.
	kinds := []string{sla.KindOrderDispatch, sla.KindReturnDecision}
	var subjects []uuid.UUID
	for i := range 7 {
		s := uuid.New()
		subjects = append(subjects, s)
		f.start(t, shop, kinds[i%2], s)
	}
	f.clock.Add(48*time.Hour + time.Minute)
	for i, s := range subjects[:4] {
		f.stop(t, shop, kinds[i%2], s) // late: breached at this minute
	}
	sinceSecond := f.clock.Now().Add(time.Minute)
	f.clock.Add(time.Minute)
	f.sweep(t, 3)

	var all []sla.Breach
	cursor, pages := "", 0
	for {
		p, err := f.svc.Breaches(shop.Ctx, sla.BreachQuery{Cursor: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			break
		}
		if pages > 10 {
			t.Fatal("pages never end")
		}
		cursor = p.NextCursor
	}
	if len(all) != 7 || pages != 4 {
		t.Fatalf("%d breaches in %d pages, want 7 in 4", len(all), pages)
	}
	seen := map[uuid.UUID]bool{}
	for i, b := range all {
		if seen[b.ID] {
			t.Fatalf("breach %s twice", b.ID)
		}
		seen[b.ID] = true
		if i > 0 {
			prev := all[i-1]
			if b.BreachedAt.After(prev.BreachedAt) || (b.BreachedAt.Equal(prev.BreachedAt) && b.ID.String() >= prev.ID.String()) {
				t.Fatalf("not newest first at %d: %+v after %+v", i, b, prev)
			}
		}
	}
	p, err := f.svc.Breaches(shop.Ctx, sla.BreachQuery{Kind: sla.KindReturnDecision})
	if err != nil || len(p.Items) != 3 || p.NextCursor != "" {
		t.Fatalf("return decisions: %+v %v", p, err)
	}
	for _, b := range p.Items {
		if b.Kind != sla.KindReturnDecision {
			t.Fatalf("kind filter let %s through", b.Kind)
		}
	}
	p, err = f.svc.Breaches(shop.Ctx, sla.BreachQuery{Since: &sinceSecond})
	if err != nil || len(p.Items) != 3 {
		t.Fatalf("since the sweep: %+v %v", p, err)
	}
	p, err = f.svc.Breaches(shop.Ctx, sla.BreachQuery{Kind: sla.KindOrderDispatch, Since: &sinceSecond, Limit: 1})
	if err != nil || len(p.Items) != 1 || p.NextCursor == "" {
		t.Fatalf("dispatch since the sweep, first page: %+v %v", p, err)
	}
	p, err = f.svc.Breaches(shop.Ctx, sla.BreachQuery{Kind: sla.KindOrderDispatch, Since: &sinceSecond, Limit: 1, Cursor: p.NextCursor})
	if err != nil || len(p.Items) != 1 || p.NextCursor != "" || p.Items[0].Kind != sla.KindOrderDispatch {
		t.Fatalf("dispatch since the sweep, second page: %+v %v", p, err)
	}

	for _, tc := range []struct {
		name  string
		q     sla.BreachQuery
		field string
	}{
		{"unknown kind", sla.BreachQuery{Kind: "first_reply"}, "kind"},
		{"limit too large", sla.BreachQuery{Limit: sla.MaxBreachPage + 1}, "limit"},
		{"negative limit", sla.BreachQuery{Limit: -1}, "limit"},
		{"not a cursor", sla.BreachQuery{Cursor: "bm90IGEgY3Vyc29y"}, "cursor"},
		{"not base64", sla.BreachQuery{Cursor: "%%%"}, "cursor"},
	} {
		_, err := f.svc.Breaches(shop.Ctx, tc.q)
		fe := errs.FieldsOf(err)
		if errs.CodeOf(err) != errs.CodeInvalid || len(fe) != 1 || fe[0].Field != tc.field {
			t.Errorf("%s: %v, want invalid %s", tc.name, err, tc.field)
		}
	}
}

// TestMetrics: the breach counter counts by kind only; the gauge counts
// running timers across tenants, breached ones until they stop.
func TestMetrics(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.env.Tenant(t, "a"), f.env.Tenant(t, "b")
	for _, k := range sla.Kinds() {
		if v := breachesTotal(t, f.svc, k); v != 0 {
			t.Fatalf("%s starts at %v", k, v)
		}
	}
	convA, convB, order := uuid.New(), uuid.New(), uuid.New()
	f.start(t, a, sla.KindHandoffFirstReply, convA)
	f.start(t, b, sla.KindHandoffFirstReply, convB)
	f.start(t, b, sla.KindOrderDispatch, order)
	running := func(kind string) float64 {
		t.Helper()
		v, ok := metric(t, f.svc, "concierge_sla_running_timers", kind)
		if !ok {
			t.Fatalf("no concierge_sla_running_timers{kind=%q}", kind)
		}
		return v
	}
	if h, o, r := running(sla.KindHandoffFirstReply), running(sla.KindOrderDispatch), running(sla.KindReturnDecision); h != 2 || o != 1 || r != 0 {
		t.Fatalf("running: handoff %v, dispatch %v, returns %v", h, o, r)
	}
	f.clock.Add(20 * time.Minute)
	f.sweep(t, 2)
	if v := breachesTotal(t, f.svc, sla.KindHandoffFirstReply); v != 2 {
		t.Fatalf("handoff breaches: %v", v)
	}
	if v := breachesTotal(t, f.svc, sla.KindOrderDispatch); v != 0 {
		t.Fatalf("dispatch breaches: %v", v)
	}
	f.stop(t, a, sla.KindHandoffFirstReply, convA)
	if h := running(sla.KindHandoffFirstReply); h != 1 {
		t.Fatalf("running hand-off timers after a reply: %v", h)
	}
}

// TestStartInARolledBackTransaction: a timer lives and dies with its
// caller's transaction.
func TestStartInARolledBackTransaction(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.env.Tenant(t, "shop")
	boom := errors.New("the caller's change failed")
	err := f.inTx(t, shop, func(ctx context.Context, tx bun.Tx) error {
		if err := f.svc.StartTx(ctx, tx, sla.KindOrderDispatch, uuid.New()); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if ts := f.timers(t, shop); len(ts) != 0 {
		t.Fatalf("timers of a rolled-back transaction: %+v", ts)
	}
}
