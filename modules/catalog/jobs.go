package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"concierge/internal/jobs"
	"concierge/modules/identity"
	"concierge/tenants"
)

// Workers registers the catalog's jobs with j: sync runs, the scheduler of
// URL sources (every minute) and the cache consistency check (every five
// minutes).
func (s *Service) Workers(j *jobs.Jobs) error {
	for _, err := range []error{
		jobs.AddWorker(j, &SyncWorker{Service: s}),
		jobs.AddWorker(j, &ScheduleWorker{Service: s}),
		jobs.AddWorker(j, &ConsistencyWorker{Service: s}),
		j.Periodic(time.Minute, func() (river.JobArgs, *river.InsertOpts) { return ScheduleArgs{}, nil }),
		j.Periodic(5*time.Minute, func() (river.JobArgs, *river.InsertOpts) { return ConsistencyArgs{}, nil }),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// SyncArgs runs one catalog sync run.
type SyncArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	RunID    uuid.UUID `json:"run_id"`
}

// Kind names the job.
func (SyncArgs) Kind() string { return "catalog.sync" }

// Tenant makes it a tenant job.
func (a SyncArgs) Tenant() uuid.UUID { return a.TenantID }

// InsertOpts puts syncs on the catalog queue.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: "catalog", MaxAttempts: 5}
}

// SyncWorker runs SyncArgs.
type SyncWorker struct {
	river.WorkerDefaults[SyncArgs]
	Service *Service
}

// Timeout lets a large feed take its time (100,000 rows take well under a
// minute; the limit stays below JOB_RESCUE_AFTER's default).
func (w *SyncWorker) Timeout(*river.Job[SyncArgs]) time.Duration { return 4 * time.Minute }

// Work executes the run.
func (w *SyncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	return w.Service.ExecuteRun(ctx, job.Args.RunID)
}

// ScheduleArgs is the periodic scan for URL sources that are due.
type ScheduleArgs struct{}

// Kind names the job.
func (ScheduleArgs) Kind() string { return "catalog.schedule" }

// InsertOpts puts the scan on the maintenance queue.
func (ScheduleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: "maintenance", MaxAttempts: 3}
}

// ScheduleWorker runs ScheduleArgs.
type ScheduleWorker struct {
	river.WorkerDefaults[ScheduleArgs]
	Service *Service
}

// Work starts the due runs.
func (w *ScheduleWorker) Work(ctx context.Context, _ *river.Job[ScheduleArgs]) error {
	_, err := w.Service.StartDueRuns(ctx)
	return err
}

// StartDueRuns starts a run for every URL source whose interval has passed
// and that has no run queued or running. The platform path sees only due
// sources' ids; each run is recorded in its tenant's own transaction, by
// system:catalog.schedule.
func (s *Service) StartDueRuns(ctx context.Context) (int, error) {
	now := s.now().UTC()
	var due []dueSource
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		due, err = dueSources(ctx, tx, now)
		return err
	})
	if err != nil {
		return 0, err
	}
	by := identity.SystemActor(ScheduleArgs{}.Kind()).String()
	started := 0
	for _, d := range due {
		tctx := tenants.WithTenantID(ctx, d.TenantID)
		err := s.scope.InTenantTx(tctx, func(ctx context.Context, tx bun.Tx) error {
			src, err := lockSource(ctx, tx, d.ID)
			if err != nil || src == nil { // taken by another scheduler, or deleted
				return err
			}
			if src.NextRunAt != nil && src.NextRunAt.After(now) {
				return nil
			}
			if err := setSourceNextRun(ctx, tx, src.ID, now.Add(time.Duration(src.IntervalMinutes)*time.Minute)); err != nil {
				return err
			}
			busy, err := sourceBusy(ctx, tx, src.ID)
			if err != nil || busy {
				return err
			}
			r := runRow{TenantID: d.TenantID, ID: uuid.Must(uuid.NewV7()), SourceID: &src.ID, Status: RunQueued, Format: src.Format,
				FullSync: src.FullSync, URL: src.URL, InputName: src.Name, RequestedBy: by}
			if err := insertRun(ctx, tx, &r); err != nil {
				return err
			}
			started++
			return s.jobs.InsertTx(ctx, tx, SyncArgs{TenantID: d.TenantID, RunID: r.ID}, nil)
		})
		if err != nil {
			return started, fmt.Errorf("catalog: schedule source %s: %w", d.ID, err)
		}
	}
	return started, nil
}

// ConsistencyArgs is the periodic cache check across tenants.
type ConsistencyArgs struct{}

// Kind names the job.
func (ConsistencyArgs) Kind() string { return "catalog.consistency" }

// InsertOpts puts the check on the maintenance queue.
func (ConsistencyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: "maintenance", MaxAttempts: 1}
}

// ConsistencyWorker runs ConsistencyArgs.
type ConsistencyWorker struct {
	river.WorkerDefaults[ConsistencyArgs]
	Service *Service
}

// Work checks every active tenant's cached products.
func (w *ConsistencyWorker) Work(ctx context.Context, _ *river.Job[ConsistencyArgs]) error {
	ts, err := w.Service.tenants.List(ctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.Status != "active" {
			continue
		}
		rep, err := w.Service.CheckConsistency(tenants.WithTenantID(ctx, t.ID))
		if err != nil {
			return err
		}
		if rep.Drifted > 0 {
			w.Service.log.ErrorContext(ctx, "catalog cache drift: cached price or stock differed from Postgres; entries dropped",
				"tenant_id", t.ID, "checked", rep.Checked, "drifted", rep.Drifted)
		}
	}
	return nil
}

// ConsistencyReport is what a cache check found.
type ConsistencyReport struct {
	Version string
	Checked int
	Drifted int
	Drift   []Drift
}

// Drift is one cached value that differs from Postgres: the entry's key
// (p:<ref>), the SKU, the field, and both values.
type Drift struct {
	Key    string
	SKU    string
	Field  string
	Cached string
	Stored string
}

// CheckConsistency compares the tenant's cached products (price, compare-at
// price, stock state, and whether they are still on sale) with Postgres.
// Drift is counted and reported, and retires the version (a new version
// holds no entry); a drift seen while the version moved (a write in flight)
// is not a drift.
func (s *Service) CheckConsistency(ctx context.Context) (ConsistencyReport, error) {
	rep := ConsistencyReport{Drift: []Drift{}}
	t, err := tenantOf(ctx)
	if err != nil || s.cache.rdb == nil {
		return rep, err
	}
	version, err := s.cache.storedVersion(ctx, t.ID)
	if err != nil || version == "" {
		return rep, err
	}
	rep.Version = version
	keys, err := s.cache.entries(ctx, t.ID, version, "p", s.cfg.ConsistencySample)
	if err != nil {
		return rep, err
	}
	for _, key := range keys {
		b, err := s.cache.raw(ctx, t.ID, version, key)
		if err != nil {
			continue // expired meanwhile
		}
		cached, err := productCodec.decode(b)
		if err != nil {
			rep.Drift = append(rep.Drift, Drift{Key: key, Field: "entry", Cached: "unreadable", Stored: "-"})
			continue
		}
		rep.Checked++
		stored, err := s.StaffProduct(ctx, cached.ID.String())
		var drift []Drift
		switch {
		case err != nil && errors.Is(err, ErrNotFound):
			drift = append(drift, Drift{Key: key, Field: "product", Cached: "present", Stored: "missing"})
		case err != nil:
			return rep, err
		default:
			drift = compareProduct(key, *cached, *stored)
		}
		if len(drift) == 0 {
			continue
		}
		if now, err := s.cache.storedVersion(ctx, t.ID); err != nil || now != version {
			continue // a write committed meanwhile: not drift
		}
		rep.Drift = append(rep.Drift, drift...)
		rep.Drifted++
		s.metrics.drift.WithLabelValues("product").Inc()
	}
	if rep.Drifted > 0 {
		// A new version retires every entry of the drifted one, in Redis and
		// in every process's copy.
		s.cache.bump(ctx, t.ID)
	}
	return rep, nil
}

// compareProduct compares what a customer sees of a cached product with
// the stored one (a staff read: any status, archived variants included).
func compareProduct(key string, cached, stored Product) []Drift {
	var out []Drift
	if stored.Status != StatusActive {
		return append(out, Drift{Key: key, Field: "status", Cached: cached.Status, Stored: stored.Status})
	}
	byID := map[uuid.UUID]Variant{}
	onSale := 0
	for _, v := range stored.Variants {
		if !v.Archived {
			byID[v.ID] = v
			onSale++
		}
	}
	for _, c := range cached.Variants {
		v, ok := byID[c.ID]
		if !ok {
			out = append(out, Drift{Key: key, SKU: c.SKU, Field: "variant", Cached: "on sale", Stored: "archived or missing"})
			continue
		}
		if c.Price != v.Price {
			out = append(out, Drift{Key: key, SKU: c.SKU, Field: "price", Cached: fmt.Sprint(c.Price), Stored: fmt.Sprint(v.Price)})
		}
		if c.CompareAt != v.CompareAt {
			out = append(out, Drift{Key: key, SKU: c.SKU, Field: "compare_at_price", Cached: fmt.Sprint(c.CompareAt), Stored: fmt.Sprint(v.CompareAt)})
		}
		if c.StockState() != v.StockState() {
			out = append(out, Drift{Key: key, SKU: c.SKU, Field: "stock_state", Cached: c.StockState(), Stored: v.StockState()})
		}
	}
	if onSale != len(cached.Variants) {
		out = append(out, Drift{Key: key, Field: "variants", Cached: fmt.Sprint(len(cached.Variants)), Stored: fmt.Sprint(onSale)})
	}
	return out
}
