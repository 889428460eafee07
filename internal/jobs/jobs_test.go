package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"concierge/internal/db"
	"concierge/internal/errs"
	"concierge/internal/jobs"
	"concierge/internal/testenv"
	"concierge/tenants"
)

// waitFor bounds every wait on an event; it is a failure bound, never the
// synchronisation itself.
const waitFor = 20 * time.Second

// Test job kinds.

type noteArgs struct {
	Slug string `json:"slug"`
}

func (noteArgs) Kind() string { return "test_note" }

type tenantArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

func (tenantArgs) Kind() string        { return "test_tenant" }
func (a tenantArgs) Tenant() uuid.UUID { return a.TenantID }

// tenantlessArgs has the kind of tenantArgs but no tenant: it stands for a
// row written by something that bypassed the insert guard.
type tenantlessArgs struct{}

func (tenantlessArgs) Kind() string { return "test_tenant" }

type flakyArgs struct {
	Name string `json:"name"`
}

func (flakyArgs) Kind() string { return "test_flaky" }

// InsertOpts is how a kind sets its own attempts and queue.
func (flakyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 2, Queue: jobs.QueueMaintenance}
}

type uniqueArgs struct {
	Key string `json:"key"`
}

func (uniqueArgs) Kind() string { return "test_unique" }

type blockArgs struct{}

func (blockArgs) Kind() string { return "test_block" }

type tickArgs struct{}

func (tickArgs) Kind() string { return "test_tick" }

// Fixture.

type fixture struct {
	db    *db.DB
	scope *tenants.Scope
	jobs  *jobs.Jobs
}

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// newFixture opens a fresh database as the app role and builds a working
// Jobs (fast polling, two workers per queue); register adds the test's
// workers before Start.
func newFixture(t *testing.T, register func(j *jobs.Jobs)) fixture {
	t.Helper()
	d := testenv.Open(t, testenv.NewDatabase(t).AppURL)
	j, err := jobs.New(jobs.Config{Work: true, Workers: 2, PollInterval: 50 * time.Millisecond, Tenancy: tenants.JobTenancy()}, d, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	register(j)
	return fixture{db: d, scope: tenants.NewScope(d.Bun), jobs: j}
}

func (f fixture) start(t *testing.T) {
	t.Helper()
	if err := f.jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := f.jobs.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
}

func (f fixture) subscribe(t *testing.T, kinds ...river.EventKind) <-chan *river.Event {
	t.Helper()
	ch, cancel, err := f.jobs.Subscribe(kinds...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return ch
}

// createTenant writes a tenant row on the platform path and returns its id.
func (f fixture) createTenant(t *testing.T, slug string) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	err := f.scope.PlatformTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tenants (id, slug, name_en, name_ar) VALUES (?, ?, ?, ?)`, id, slug, slug, slug)
		return err
	})
	if err != nil {
		t.Fatalf("create tenant %s: %v", slug, err)
	}
	return id
}

// stats returns the job count of one state across queues.
func (f fixture) count(t *testing.T, state rivertype.JobState) int64 {
	t.Helper()
	st, err := f.jobs.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, s := range st {
		if s.State == string(state) {
			n += s.Count
		}
	}
	return n
}

func (f fixture) total(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := f.db.SQL.QueryRowContext(context.Background(), `SELECT count(*) FROM river_job`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func mustAdd[T river.JobArgs](t *testing.T, j *jobs.Jobs, w river.Worker[T]) {
	t.Helper()
	if err := jobs.AddWorker(j, w); err != nil {
		t.Fatal(err)
	}
}

// waitEvent returns the first event on ch that match accepts.
func waitEvent(t *testing.T, ch <-chan *river.Event, what string, match func(*river.Event) bool) *river.Event {
	t.Helper()
	timeout := time.After(waitFor)
	for {
		select {
		case ev := <-ch:
			if match(ev) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s within %s", what, waitFor)
			return nil
		}
	}
}

func ofKind(kind string) func(*river.Event) bool {
	return func(ev *river.Event) bool { return ev.Job.Kind == kind }
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatalf("no %s within %s", what, waitFor)
		var zero T
		return zero
	}
}

var errRollback = errors.New("roll back")

// (a) A job inserted in a transaction that rolls back never exists; one
// that commits is worked exactly once.
func TestInsertTxCommitsOrRollsBackWithTheRow(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		worked []string
	)
	f := newFixture(t, func(j *jobs.Jobs) {
		mustAdd(t, j, river.WorkFunc(func(ctx context.Context, job *river.Job[noteArgs]) error {
			mu.Lock()
			defer mu.Unlock()
			worked = append(worked, job.Args.Slug)
			return nil
		}))
	})
	done := f.subscribe(t, river.EventKindJobCompleted, river.EventKindJobFailed)
	f.start(t)
	ctx := context.Background()

	insertTenantAndJob := func(slug string, fail error) error {
		return f.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tenants (id, slug, name_en, name_ar) VALUES (?, ?, ?, ?)`, uuid.Must(uuid.NewV7()), slug, slug, slug); err != nil {
				return err
			}
			if err := f.jobs.InsertTx(ctx, tx, noteArgs{Slug: slug}, nil); err != nil {
				return err
			}
			return fail
		})
	}

	if err := insertTenantAndJob("ghost", errRollback); !errors.Is(err, errRollback) {
		t.Fatalf("rolled-back transaction: %v", err)
	}
	if n := f.total(t); n != 0 {
		t.Fatalf("%d jobs after rollback, want none", n)
	}

	if err := insertTenantAndJob("real", nil); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, done, "note job", ofKind("test_note"))
	if ev.Kind != river.EventKindJobCompleted || ev.Job.Attempt != 1 {
		t.Fatalf("note job: event %s at attempt %d, want completed at attempt 1", ev.Kind, ev.Job.Attempt)
	}
	mu.Lock()
	got := slices.Clone(worked)
	mu.Unlock()
	if !slices.Equal(got, []string{"real"}) {
		t.Fatalf("worked %v, want [real] once", got)
	}
	if n := f.total(t); n != 1 {
		t.Fatalf("%d job rows, want 1", n)
	}
	var slugs []string
	err := f.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Table("tenants").Column("slug").Order("slug").Scan(ctx, &slugs)
	})
	if err != nil || !slices.Equal(slugs, []string{"real"}) {
		t.Fatalf("tenant rows %v (%v), want only the committed one", slugs, err)
	}
}

// (b) A job inserted in a tenant-scoped transaction (SET LOCAL ROLE
// concierge_app) is worked with the tenant in its context, and the worker's
// own scoped transaction sees that tenant only.
func TestTenantJobCarriesTenantIntoWorker(t *testing.T) {
	t.Parallel()
	type seen struct {
		tenant uuid.UUID
		slugs  []string
		err    error
	}
	got := make(chan seen, 4)
	var f fixture
	f = newFixture(t, func(j *jobs.Jobs) {
		mustAdd(t, j, river.WorkFunc(func(ctx context.Context, job *river.Job[tenantArgs]) error {
			var s seen
			tn, err := tenants.FromContext(ctx)
			if err != nil {
				got <- seen{err: err}
				return err
			}
			s.tenant = tn.ID
			s.err = f.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				return tx.NewSelect().Table("tenants").Column("slug").Scan(ctx, &s.slugs)
			})
			got <- s
			return s.err
		}))
	})
	events := f.subscribe(t, river.EventKindJobCompleted, river.EventKindJobCancelled, river.EventKindJobFailed)
	f.start(t)
	alpha, beta := f.createTenant(t, "alpha"), f.createTenant(t, "beta")
	ctx := context.Background()

	err := f.scope.InTenantTx(tenants.WithTenantID(ctx, alpha), func(ctx context.Context, tx bun.Tx) error {
		var role string
		if err := tx.QueryRowContext(ctx, `SELECT current_user`).Scan(&role); err != nil {
			return err
		}
		if role != db.AppRole {
			return fmt.Errorf("scoped transaction runs as %s", role)
		}
		return f.jobs.InsertTx(ctx, tx, tenantArgs{TenantID: alpha}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	s := receive(t, got, "tenant job")
	if s.err != nil || s.tenant != alpha || !slices.Equal(s.slugs, []string{"alpha"}) {
		t.Fatalf("worker saw tenant %s, tenants %v, err %v; want alpha (%s) only", s.tenant, s.slugs, s.err, alpha)
	}
	if ev := waitEvent(t, events, "tenant job end", ofKind("test_tenant")); ev.Kind != river.EventKindJobCompleted {
		t.Fatalf("tenant job ended %s", ev.Kind)
	}

	// A row that reached the table without a tenant (bypassing the insert
	// guard) is cancelled, not worked and not retried: tenancy fails closed.
	if err := f.jobs.Insert(ctx, tenantlessArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, events, "tenantless job end", ofKind("test_tenant"))
	if ev.Kind != river.EventKindJobCancelled || ev.Job.State != rivertype.JobStateCancelled {
		t.Fatalf("tenantless job ended %s (%s), want cancelled", ev.Kind, ev.Job.State)
	}
	select {
	case s := <-got:
		t.Fatalf("worker ran for a tenantless job: %+v", s)
	default:
	}

	// The insert guard: a tenant job needs a tenant, the context's when there
	// is one, and a queue some worker serves.
	guards := []struct {
		name    string
		ctx     context.Context
		args    river.JobArgs
		opts    *river.InsertOpts
		wantErr error
	}{
		{name: "nil tenant", ctx: ctx, args: tenantArgs{}, wantErr: jobs.ErrNoTenant},
		{name: "other tenant's job in a tenant context", ctx: tenants.WithTenantID(ctx, alpha), args: tenantArgs{TenantID: beta}},
		{name: "unknown queue", ctx: ctx, args: noteArgs{}, opts: &river.InsertOpts{Queue: "nobody"}},
	}
	for _, tc := range guards {
		t.Run(tc.name, func(t *testing.T) {
			before := f.total(t)
			err := f.jobs.Insert(tc.ctx, tc.args, tc.opts)
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("insert: err %v, want an error (%v)", err, tc.wantErr)
			}
			if after := f.total(t); after != before {
				t.Fatalf("a refused insert left a row (%d → %d)", before, after)
			}
		})
	}
	// A platform context (no tenant) may enqueue for any tenant: sweeps fan out.
	if err := f.jobs.Insert(ctx, tenantArgs{TenantID: beta}, nil); err != nil {
		t.Fatalf("platform fan-out: %v", err)
	}
	if s := receive(t, got, "fan-out job"); s.err != nil || s.tenant != beta || !slices.Equal(s.slugs, []string{"beta"}) {
		t.Fatalf("fan-out job saw %+v, want beta only", s)
	}
}

// (c) A failing job is retried with its previous error visible, lands
// discarded after MaxAttempts (set by the kind's InsertOpts), is listed, and
// Retry puts it back to succeed.
func TestFailingJobIsRetriedDiscardedAndRetriedByHand(t *testing.T) {
	t.Parallel()
	var (
		succeed atomic.Bool
		mu      sync.Mutex
		prior   = map[int][]string{} // attempt → errors it saw
		queues  []string
	)
	f := newFixture(t, func(j *jobs.Jobs) {
		mustAdd(t, j, river.WorkFunc(func(ctx context.Context, job *river.Job[flakyArgs]) error {
			mu.Lock()
			for _, e := range job.Errors {
				prior[job.Attempt] = append(prior[job.Attempt], e.Error)
			}
			queues = append(queues, job.Queue)
			mu.Unlock()
			if succeed.Load() {
				return nil
			}
			return fmt.Errorf("boom at attempt %d", job.Attempt)
		}))
	})
	events := f.subscribe(t, river.EventKindJobCompleted, river.EventKindJobFailed)
	f.start(t)
	ctx := context.Background()

	if err := f.jobs.Insert(ctx, flakyArgs{Name: "x"}, nil); err != nil {
		t.Fatal(err)
	}
	first := waitEvent(t, events, "first failure", ofKind("test_flaky"))
	if first.Kind != river.EventKindJobFailed || first.Job.Attempt != 1 || first.Job.State == rivertype.JobStateDiscarded {
		t.Fatalf("first run: %s attempt %d state %s, want a retryable failure", first.Kind, first.Job.Attempt, first.Job.State)
	}
	second := waitEvent(t, events, "second failure", ofKind("test_flaky"))
	if second.Kind != river.EventKindJobFailed || second.Job.Attempt != 2 || second.Job.State != rivertype.JobStateDiscarded {
		t.Fatalf("second run: %s attempt %d state %s, want discarded", second.Kind, second.Job.Attempt, second.Job.State)
	}
	id := second.Job.ID
	mu.Lock()
	if !slices.Equal(prior[1], nil) || !slices.Equal(prior[2], []string{"boom at attempt 1"}) {
		t.Errorf("errors seen per attempt: %v; attempt 2 must see attempt 1's error", prior)
	}
	if !slices.Equal(queues, []string{jobs.QueueMaintenance, jobs.QueueMaintenance}) {
		t.Errorf("ran on queues %v, want the kind's maintenance queue", queues)
	}
	mu.Unlock()

	list, err := f.jobs.ListDiscarded(ctx, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("discarded %+v, want one job", list)
	}
	d := list[0]
	if d.ID != id || d.Kind != "test_flaky" || d.Queue != jobs.QueueMaintenance || d.Attempts != 2 || d.MaxAttempts != 2 ||
		d.LastError != "boom at attempt 2" || len(d.Errors) != 2 || !sameJSON(d.Args, `{"name":"x"}`) ||
		d.CreatedAt.IsZero() || d.FinalizedAt.Before(d.CreatedAt) {
		t.Fatalf("discarded job %+v", d)
	}

	if err := f.jobs.Retry(ctx, id+1000); errs.CodeOf(err) != errs.CodeNotFound {
		t.Fatalf("retry of an unknown job: %v, want not_found", err)
	}
	succeed.Store(true)
	if err := f.jobs.Retry(ctx, id); err != nil {
		t.Fatal(err)
	}
	third := waitEvent(t, events, "retried run", ofKind("test_flaky"))
	if third.Kind != river.EventKindJobCompleted || third.Job.ID != id || third.Job.Attempt != 3 {
		t.Fatalf("after Retry: %s attempt %d, want completed at attempt 3", third.Kind, third.Job.Attempt)
	}
	if list, err := f.jobs.ListDiscarded(ctx, 10, 0); err != nil || len(list) != 0 {
		t.Fatalf("discarded after retry: %v %v, want none", list, err)
	}
	if err := f.jobs.Retry(ctx, id); errs.CodeOf(err) != errs.CodeConflict {
		t.Fatalf("retry of a completed job: %v, want conflict (no re-run of finished work)", err)
	}
}

// ListDiscarded pages newest first.
func TestListDiscardedPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(j *jobs.Jobs) {
		mustAdd(t, j, river.WorkFunc(func(ctx context.Context, job *river.Job[noteArgs]) error {
			return errors.New("always")
		}))
	})
	events := f.subscribe(t, river.EventKindJobFailed)
	f.start(t)
	ctx := context.Background()
	for _, s := range []string{"a", "b", "c"} {
		if err := f.jobs.Insert(ctx, noteArgs{Slug: s}, &river.InsertOpts{MaxAttempts: 1}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []int64
	for range 3 {
		ids = append(ids, waitEvent(t, events, "discard", ofKind("test_note")).Job.ID)
	}
	slices.Sort(ids)
	slices.Reverse(ids)

	page1, err := f.jobs.ListDiscarded(ctx, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	page2, err := f.jobs.ListDiscarded(ctx, 2, page1[len(page1)-1].ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, d := range append(page1, page2...) {
		got = append(got, d.ID)
	}
	if len(page1) != 2 || !slices.Equal(got, ids) {
		t.Fatalf("pages %v, want %v newest first in pages of 2", got, ids)
	}
	for _, limit := range []int{0, -1, jobs.MaxListLimit + 1} {
		if _, err := f.jobs.ListDiscarded(ctx, limit, 0); errs.CodeOf(err) != errs.CodeInvalid {
			t.Errorf("limit %d: %v, want invalid", limit, err)
		}
	}
}

// (d) A unique job inserted twice is one row. Uniqueness is by args (and
// kind): other args make another job. This runs insert-only, as serve does.
func TestUniqueJobIsInsertedOnce(t *testing.T) {
	t.Parallel()
	d := testenv.Open(t, testenv.NewDatabase(t).AppURL)
	j, err := jobs.New(jobs.Config{Tenancy: tenants.JobTenancy()}, d, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	if j.Working() {
		t.Fatal("zero Config must be insert-only")
	}
	scope := tenants.NewScope(d.Bun)
	ctx := context.Background()
	unique := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
	for _, key := range []string{"sku-1", "sku-1", "sku-2"} {
		err := scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return j.InsertTx(ctx, tx, uniqueArgs{Key: key}, unique)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	if err := d.Bun.NewSelect().Table("river_job").ColumnExpr("args->>'key'").Order("id").Scan(ctx, &keys); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{"sku-1", "sku-2"}) {
		t.Fatalf("job rows %v, want one per distinct args", keys)
	}
	st, err := j.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st, []jobs.StateCount{{Queue: jobs.QueueDefault, State: "available", Count: 2}}) {
		t.Fatalf("stats %+v", st)
	}
	// Insert-only: Start and Stop are no-ops, there is nothing to subscribe to.
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := j.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := j.Subscribe(river.EventKindJobCompleted); err == nil {
		t.Fatal("subscribe on an insert-only Jobs must fail")
	}
}

// (e) Stop drains: a running job finishes after it is released, Stop
// returns only then, and the job completes without its context cancelled.
// Past Stop's deadline the job's context is cancelled and the job goes back
// to available without using an attempt.
func TestStopDrainsRunningJobs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		release bool // release the job; otherwise Stop's deadline passes
	}{
		{name: "graceful", release: true},
		{name: "deadline passes", release: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			started := make(chan struct{}, 1)
			release := make(chan struct{})
			finished := make(chan error, 1)
			f := newFixture(t, func(j *jobs.Jobs) {
				mustAdd(t, j, river.WorkFunc(func(ctx context.Context, job *river.Job[blockArgs]) error {
					started <- struct{}{}
					select {
					case <-release:
						finished <- ctx.Err()
						return nil
					case <-ctx.Done():
						finished <- ctx.Err()
						return ctx.Err()
					}
				}))
			})
			f.start(t)
			if err := f.jobs.Insert(context.Background(), blockArgs{}, nil); err != nil {
				t.Fatal(err)
			}
			receive(t, started, "job start")

			stopCtx, cancel := context.WithTimeout(context.Background(), waitFor)
			if !tc.release {
				cancel()
				stopCtx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
			}
			defer cancel()
			stopped := make(chan error, 1)
			go func() { stopped <- f.jobs.Stop(stopCtx) }()

			if tc.release {
				select {
				case err := <-stopped:
					t.Fatalf("Stop returned (%v) while a job was still running", err)
				default:
				}
				close(release)
			}
			if err := receive(t, stopped, "Stop"); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			jobErr := receive(t, finished, "job end")
			if tc.release {
				if jobErr != nil {
					t.Fatalf("drained job's context was cancelled: %v", jobErr)
				}
				if n := f.count(t, rivertype.JobStateCompleted); n != 1 {
					t.Fatalf("%d completed jobs after drain, want 1", n)
				}
				return
			}
			if !errors.Is(jobErr, context.Canceled) {
				t.Fatalf("job context after the deadline: %v, want cancelled", jobErr)
			}
			var state string
			var attempt int
			if err := f.db.SQL.QueryRowContext(context.Background(), `SELECT state::text, attempt FROM river_job`).Scan(&state, &attempt); err != nil {
				t.Fatal(err)
			}
			if state != string(rivertype.JobStateAvailable) || attempt != 0 {
				t.Fatalf("interrupted job is %s at attempt %d, want available at 0 (to run again)", state, attempt)
			}
		})
	}
}

// Periodic jobs are enqueued by the elected leader and worked.
func TestPeriodicJobRuns(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(j *jobs.Jobs) {
		mustAdd(t, j, river.WorkFunc(func(ctx context.Context, job *river.Job[tickArgs]) error { return nil }))
		err := j.Periodic(200*time.Millisecond, func() (river.JobArgs, *river.InsertOpts) {
			return tickArgs{}, &river.InsertOpts{Queue: jobs.QueueMaintenance}
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	if err := f.jobs.Periodic(0, nil); err == nil {
		t.Error("a zero interval must be refused")
	}
	done := f.subscribe(t, river.EventKindJobCompleted)
	f.start(t)
	ev := waitEvent(t, done, "periodic tick", ofKind("test_tick"))
	if ev.Job.Queue != jobs.QueueMaintenance {
		t.Fatalf("tick ran on %s", ev.Job.Queue)
	}
}

// Registration rules: workers before Start, each kind once, kinds River accepts.
func TestAddWorkerRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(j *jobs.Jobs) {
		mustAdd(t, j, river.WorkFunc(func(ctx context.Context, job *river.Job[noteArgs]) error { return nil }))
	})
	if err := jobs.AddWorker(f.jobs, river.WorkFunc(func(ctx context.Context, job *river.Job[noteArgs]) error { return nil })); err == nil {
		t.Error("a second worker for one kind must be refused")
	}
	if err := jobs.AddWorker(f.jobs, river.WorkFunc(func(ctx context.Context, job *river.Job[badKindArgs]) error { return nil })); err == nil {
		t.Error("a kind with spaces must be refused")
	}
	f.start(t)
	if err := jobs.AddWorker(f.jobs, river.WorkFunc(func(ctx context.Context, job *river.Job[blockArgs]) error { return nil })); err == nil {
		t.Error("a worker added after Start must be refused")
	}
	if got := f.jobs.Kinds(); !slices.Equal(got, []string{"test_note"}) {
		t.Errorf("kinds %v", got)
	}
}

func sameJSON(a []byte, b string) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}

type badKindArgs struct{}

func (badKindArgs) Kind() string { return "bad kind" }
