// Package jobs is the background job plumbing on River (jobs live in
// PostgreSQL). Every module enqueues through it and the worker process runs
// the registered workers.
//
// A job is inserted in the same transaction as the row that caused it
// (InsertTx): it commits or rolls back with that row, so there is no outbox,
// no lost job for a stored change and no phantom job for a rolled-back one.
//
// Two River clients back a Jobs:
//
//   - the insert client, on database/sql (riverdatabasesql over db.DB.SQL), so
//     inserts run inside a bun transaction, including the tenant-scoped ones
//     of tenants.Scope (which switch to the app role: the app role holds
//     INSERT/UPDATE on River's tables, see db.MigrateUp);
//   - the worker client, on pgx (riverpgxv5 over db.DB.Pool), which LISTENs for
//     new jobs, works them, elects a leader for maintenance and periodic jobs.
//     It exists only when Config.Work is set (the `worker` and `dev`
//     commands); `serve` only inserts.
//
// Job args that touch tenant data implement TenantJob; their worker's context
// then carries the tenant (through Config.Tenancy, which the composition root
// fills from the tenants package), and inserting one without a tenant, or for
// another tenant than the one in the context, fails.
//
// A job whose worker died mid-attempt stays "running" until River's rescuer
// takes it back after Config.RescueAfter, one window for every kind. A
// worker whose jobs cannot wait that long (a WhatsApp send) implements
// RescueAfterer: its kind gets its own window, enforced by a small loop in
// every working process (rescue.go), the way River's rescuer does it.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/riverqueue/rivercontrib/otelriver"
	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"concierge/internal/db"
)

// The queues every deployment has. A job picks its queue through its args'
// InsertOpts (or the opts given at insertion); without one it goes to
// QueueDefault.
const (
	QueueDefault     = river.QueueDefault // "default"
	QueueWhatsApp    = "whatsapp"
	QueueCatalog     = "catalog"
	QueueMaintenance = "maintenance"
)

// DefaultWorkers is the per-queue concurrency when Config.Workers is zero
// (JOB_WORKERS' default).
const DefaultWorkers = 10

// hardStopGrace is how long Stop waits for cancelled jobs to return once the
// graceful drain has run out of time.
const hardStopGrace = 5 * time.Second

// DefaultQueues gives each standard queue workers concurrent jobs
// (JOB_WORKERS: "concurrent jobs per queue").
func DefaultQueues(workers int) map[string]int {
	if workers <= 0 {
		workers = DefaultWorkers
	}
	return map[string]int{
		QueueDefault:     workers,
		QueueWhatsApp:    workers,
		QueueCatalog:     workers,
		QueueMaintenance: workers,
	}
}

// Config shapes a Jobs. The zero value is an insert-only client with the
// standard queues and River's defaults.
type Config struct {
	// Queues maps each queue to the most jobs this process works on it at
	// once. Empty means DefaultQueues(Workers). Inserting into a queue not
	// listed here fails, so a typo cannot strand jobs nobody works.
	Queues map[string]int
	// Workers is the per-queue concurrency of DefaultQueues (JOB_WORKERS);
	// zero means DefaultWorkers. Ignored when Queues is set.
	Workers int
	// Work makes this process work jobs (worker, dev). False is insert-only
	// (serve): Start, Stop and Periodic do nothing, workers are not needed.
	Work bool
	// MaxAttempts is the default number of attempts before a job is
	// discarded; zero means River's 25. A job kind sets its own through
	// InsertOpts() on its args (river.JobArgsWithInsertOpts), and a single
	// insertion through its opts.
	MaxAttempts int
	// JobTimeout bounds one attempt; zero means River's one minute, -1 none.
	// A worker may override it per kind (river.Worker.Timeout).
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before another worker
	// takes it back (its worker died: kill -9, lost node); zero means
	// River's default (one hour). It must exceed JobTimeout. A worker whose
	// jobs cannot wait that long implements RescueAfterer (its own, shorter
	// window, with its own Timeout).
	RescueAfter time.Duration
	// PollInterval is how often workers look for jobs nobody announced
	// (retries falling due, scheduled jobs, missed notifications); zero
	// means River's one second.
	PollInterval time.Duration
	// DiscardedRetention is how long discarded jobs stay visible to
	// ListDiscarded before River deletes them; zero means River's seven days,
	// -1 forever.
	DiscardedRetention time.Duration
	// RetryPolicy decides when a failed job runs again; nil is River's
	// exponential backoff (attempt⁴ seconds, with jitter). A worker may
	// override it per kind (river.Worker.NextRetry).
	RetryPolicy river.ClientRetryPolicy
	// Tenancy carries a TenantJob's tenant into its worker's context and
	// checks insertions against the context's tenant (tenants.JobTenancy).
	// Without it, tenant jobs run with no tenant in their context, so their
	// tenant-scoped work fails closed.
	Tenancy Tenancy
	// TracerProvider and MeterProvider feed River's OpenTelemetry middleware
	// (a span per insert and per attempt, with the inserting request's trace
	// propagated into the job); nil uses the global providers.
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
}

// Jobs inserts jobs and, when configured to work, runs them.
type Jobs struct {
	tenancy Tenancy
	queues  map[string]int
	log     *slog.Logger
	db      *db.DB

	insert  *river.Client[*sql.Tx]
	workers *river.Workers
	worker  *river.Client[pgx.Tx] // nil when insert-only

	mu      sync.Mutex
	started bool
	kinds   map[string]bool

	// Per-kind rescue (rescue.go): windows by kind, the client's default
	// attempt timeout they are checked against, and the loop's controls.
	rescues    map[string]time.Duration
	jobTimeout time.Duration
	rescued    *prometheus.CounterVec
	rescueStop context.CancelFunc
	rescueDone chan struct{}
}

// kindRE is River's rule for job kinds (rivercommon.UserSpecifiedIDOrKindRE).
// River checks it when a client is built; workers are added afterwards, so
// AddWorker checks it again.
var kindRE = regexp.MustCompile(`\A[\w][\w\-\[\]<>\/.·:+]+\z`)

// New builds the clients. Register workers (AddWorker) and periodic jobs
// (Periodic) before Start.
func New(cfg Config, d *db.DB, log *slog.Logger) (*Jobs, error) {
	if d == nil || d.SQL == nil || (cfg.Work && d.Pool == nil) {
		return nil, errors.New("jobs: a database is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	queues := maps.Clone(cfg.Queues)
	if len(queues) == 0 {
		queues = DefaultQueues(cfg.Workers)
	}
	for q, n := range queues {
		if n < 1 {
			return nil, fmt.Errorf("jobs: queue %q needs at least one worker, has %d", q, n)
		}
	}
	j := &Jobs{
		tenancy:    cfg.Tenancy,
		queues:     queues,
		log:        log,
		db:         d,
		workers:    river.NewWorkers(),
		kinds:      map[string]bool{},
		rescues:    map[string]time.Duration{},
		jobTimeout: cmp.Or(cfg.JobTimeout, river.JobTimeoutDefault),
		rescued: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "concierge_jobs_rescued_total",
			Help: "Jobs taken back from a dead worker by a per-kind rescue, by kind and the state they went to."}, []string{"kind", "state"}),
	}

	otel := otelriver.NewMiddleware(&otelriver.MiddlewareConfig{
		EnableTracePropagation: true,
		TracerProvider:         cfg.TracerProvider,
		MeterProvider:          cfg.MeterProvider,
	})
	guard := &insertGuard{queues: queues, tenancy: cfg.Tenancy}

	var err error
	j.insert, err = river.NewClient(riverdatabasesql.New(d.SQL), &river.Config{
		// Wake workers for every insert: River otherwise skips a queue's
		// notification within 100 ms of the last one, and a reply queued
		// right after its turn would wait for the 1 s poll.
		FetchCooldown: time.Millisecond,
		Logger:        log,
		MaxAttempts:   cfg.MaxAttempts,
		Middleware:    []rivertype.Middleware{guard},
		Plugins:       []rivertype.Plugin{otel},
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: insert client: %w", err)
	}
	if !cfg.Work {
		return j, nil
	}

	rq := make(map[string]river.QueueConfig, len(queues))
	for q, n := range queues {
		rq[q] = river.QueueConfig{MaxWorkers: n}
	}
	poll := cfg.PollInterval
	var cooldown time.Duration
	if poll > 0 && poll < 100*time.Millisecond {
		cooldown = poll // River's fetch cooldown (100ms) may not exceed the poll interval
	}
	j.worker, err = river.NewClient(riverpgxv5.New(d.Pool), &river.Config{
		Logger:                      log,
		Queues:                      rq,
		Workers:                     j.workers,
		MaxAttempts:                 cfg.MaxAttempts,
		JobTimeout:                  cfg.JobTimeout,
		RescueStuckJobsAfter:        cfg.RescueAfter,
		FetchPollInterval:           poll,
		FetchCooldown:               cooldown,
		DiscardedJobRetentionPeriod: cfg.DiscardedRetention,
		RetryPolicy:                 cfg.RetryPolicy,
		// River's nightly REINDEX of its job indexes needs ownership of the
		// tables, which the app role must not have: it would fail every
		// night. Reindexing, if bloat ever calls for it, is an operator task
		// run as the owner.
		ReindexerIndexNames: []string{},
		Middleware:          []rivertype.Middleware{guard},
		Plugins:             []rivertype.Plugin{otel},
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: worker client: %w", err)
	}
	return j, nil
}

// Working reports whether this Jobs works jobs (Config.Work).
func (j *Jobs) Working() bool { return j.worker != nil }

// Queues returns the configured queues and their concurrency.
func (j *Jobs) Queues() map[string]int { return maps.Clone(j.queues) }

// Kinds returns the job kinds with a registered worker, sorted.
func (j *Jobs) Kinds() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Sorted(maps.Keys(j.kinds))
}

// AddWorker registers the worker of one job kind. Call it before Start, from
// the composition root; registering a kind twice, a kind River would refuse,
// or after Start is an error. When T implements TenantJob, the worker's
// context carries the job's tenant (Config.Tenancy), and a job without
// one is cancelled rather than retried: it can never succeed. When the
// worker implements RescueAfterer, its stuck jobs are rescued after its own
// window (which must exceed its timeout) rather than Config.RescueAfter.
//
// An insert-only Jobs accepts registrations too (so one wiring serves every
// command) and ignores them.
func AddWorker[T river.JobArgs](j *Jobs, w river.Worker[T]) error {
	var args T
	kind := args.Kind()
	if !kindRE.MatchString(kind) {
		return fmt.Errorf("jobs: job kind %q does not match %s", kind, kindRE)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.started {
		return fmt.Errorf("jobs: worker for %q added after Start", kind)
	}
	if j.kinds[kind] {
		return fmt.Errorf("jobs: worker for %q registered twice", kind)
	}
	if err := addRescue(j, kind, w); err != nil {
		return err
	}
	if err := river.AddWorkerSafely[T](j.workers, &tenantWorker[T]{Worker: w, tenancy: j.tenancy}); err != nil {
		delete(j.rescues, kind)
		return fmt.Errorf("jobs: %w", err)
	}
	j.kinds[kind] = true
	return nil
}

// Periodic enqueues the job built by constructor every interval, from the
// elected leader among the worker processes (so once per interval, not once
// per process). constructor may return nil args to skip a run. Periodic jobs
// are not tenant jobs: a sweep that needs tenants fans out by inserting one
// TenantJob per tenant. On an insert-only Jobs it does nothing.
func (j *Jobs) Periodic(interval time.Duration, constructor river.PeriodicJobConstructor) error {
	return j.periodic(interval, constructor, nil)
}

// PeriodicFromStart is Periodic with a first run as the worker starts (a
// sync that a restarted worker should not wait an interval for).
func (j *Jobs) PeriodicFromStart(interval time.Duration, constructor river.PeriodicJobConstructor) error {
	return j.periodic(interval, constructor, &river.PeriodicJobOpts{RunOnStart: true})
}

func (j *Jobs) periodic(interval time.Duration, constructor river.PeriodicJobConstructor, opts *river.PeriodicJobOpts) error {
	if interval <= 0 || constructor == nil {
		return fmt.Errorf("jobs: periodic job needs a positive interval (got %s) and a constructor", interval)
	}
	if j.worker == nil {
		return nil
	}
	_, err := j.worker.PeriodicJobs().AddSafely(river.NewPeriodicJob(river.PeriodicInterval(interval), constructor, opts))
	if err != nil {
		return fmt.Errorf("jobs: periodic job: %w", err)
	}
	return nil
}

// Start starts working jobs. ctx supplies values only: cancelling it does not
// stop the workers (that would cancel running jobs mid-way); shut down with
// Stop. On an insert-only Jobs it does nothing.
func (j *Jobs) Start(ctx context.Context) error {
	if j.worker == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.kinds) == 0 {
		return errors.New("jobs: no worker registered")
	}
	if err := j.worker.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	j.started = true
	j.startRescue()
	return nil
}

// Stop stops fetching jobs and waits for the running ones to finish, up to
// ctx's deadline. Past it, running jobs' contexts are cancelled
// (StopAndCancel) and Stop waits a few more seconds for them to return. A
// worker that returns its context's error then is interrupted, not failed:
// River puts the job back as available without using an attempt, and another
// worker runs it again, so every worker must be safe to run twice. Stop
// returns an error only when jobs are still running after that. On an
// insert-only or never-started Jobs it does nothing.
func (j *Jobs) Stop(ctx context.Context) error {
	if j.worker == nil {
		return nil
	}
	j.stopRescue()
	err := j.worker.Stop(ctx)
	if err == nil || !(errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		return err
	}
	j.log.WarnContext(ctx, "jobs: drain deadline passed; cancelling running jobs")
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hardStopGrace)
	defer cancel()
	if err := j.worker.StopAndCancel(hctx); err != nil {
		return fmt.Errorf("jobs: jobs still running after cancellation: %w", err)
	}
	return nil
}

// Subscribe returns a channel of the worker's events of the given kinds
// (river.EventKindJobCompleted, EventKindJobFailed, ...) for metrics and
// tests, and a function that ends the subscription. Events are dropped,
// never blocking the worker, when the channel's buffer is full. It needs a
// working Jobs.
func (j *Jobs) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func(), error) {
	if j.worker == nil {
		return nil, nil, errors.New("jobs: subscribe on an insert-only client")
	}
	ch, cancel := j.worker.Subscribe(kinds...)
	return ch, cancel, nil
}

// InsertTx enqueues a job inside tx: it becomes visible to workers when tx
// commits and vanishes if tx rolls back, together with the rows that caused
// it. tx may be a tenant-scoped transaction (tenants.Scope.InTenantTx); when
// ctx carries a tenant, a TenantJob must carry the same one. opts override the
// kind's InsertOpts for this insertion and may be nil. With unique options a
// duplicate insert is skipped silently.
func (j *Jobs) InsertTx(ctx context.Context, tx bun.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if tx.Tx == nil {
		return errors.New("jobs: InsertTx needs an open bun transaction")
	}
	if _, err := j.insert.InsertTx(ctx, tx.Tx, args, opts); err != nil {
		return fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return nil
}

// InsertManyTx enqueues several jobs in one statement inside tx.
func (j *Jobs) InsertManyTx(ctx context.Context, tx bun.Tx, args []river.JobArgs) error {
	if tx.Tx == nil {
		return errors.New("jobs: InsertManyTx needs an open bun transaction")
	}
	if len(args) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		params[i] = river.InsertManyParams{Args: a}
	}
	if _, err := j.insert.InsertManyTx(ctx, tx.Tx, params); err != nil {
		return fmt.Errorf("jobs: insert %d %s: %w", len(args), args[0].Kind(), err)
	}
	return nil
}

// Insert enqueues a job on its own, outside any transaction. Prefer InsertTx
// whenever the job follows from a database change.
func (j *Jobs) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if _, err := j.insert.Insert(ctx, args, opts); err != nil {
		return fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return nil
}
