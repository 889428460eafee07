package sla

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"concierge/internal/jobs"
	"concierge/tenants"
)

// Workers registers sla.sweep, run every minute: timers past due are
// recorded as breached.
func (s *Service) Workers(j *jobs.Jobs) error {
	for _, err := range []error{
		jobs.AddWorker(j, &SweepWorker{Service: s}),
		j.Periodic(time.Minute, func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil }),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// SweepArgs is the periodic breach sweep across tenants.
type SweepArgs struct{}

// Kind names the job.
func (SweepArgs) Kind() string { return "sla.sweep" }

// InsertOpts puts the sweep on the maintenance queue.
func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueMaintenance, MaxAttempts: 3}
}

// SweepWorker runs SweepArgs.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Service *Service
}

// Work runs the sweep.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	_, err := w.Service.Sweep(ctx)
	return err
}

// Timeout bounds a sweep (a few thousand short transactions at most).
func (w *SweepWorker) Timeout(*river.Job[SweepArgs]) time.Duration { return 5 * time.Minute }

// sweepBatch bounds one pass of the sweep; a run takes up to five passes
// (the rest waits for the next minute).
const sweepBatch = 500

// Sweep records a breach for every running timer past its due time. The
// platform path only finds which timers of which tenants are due; each is
// breached in its tenant's own scoped transaction, with a conditional
// update, so a timer is breached once however many sweeps run, at once or
// one after another. A waiting customer's breach (handoff_first_reply) is
// logged at WARN for staff to be told again. It returns how many breaches
// it recorded.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.now().UTC()
	recorded := 0
	var after *dueTimer
	for pass := 0; pass < 5; pass++ {
		var due []dueTimer
		err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			due, err = dueTimers(ctx, tx, now, after, sweepBatch)
			return err
		})
		if err != nil {
			return recorded, err
		}
		for i := range due {
			d := due[i]
			after = &d
			ok, err := s.breachDue(ctx, d, now)
			if err != nil {
				// One tenant's trouble does not stop the others; the next
				// run tries it again.
				s.log.WarnContext(ctx, "sla: breach not recorded", "tenant_id", d.TenantID, "timer_id", d.ID, "error", err)
				continue
			}
			if ok {
				recorded++
			}
		}
		if len(due) < sweepBatch {
			break
		}
	}
	return recorded, nil
}

// breachDue breaches one due timer in its tenant's transaction, reporting
// whether this call recorded the breach (false: stopped or breached
// meanwhile).
func (s *Service) breachDue(ctx context.Context, d dueTimer, now time.Time) (bool, error) {
	var (
		b       Breach
		started time.Time
		done    bool
	)
	err := s.scope.InTenantTx(tenants.WithTenantID(ctx, d.TenantID), func(ctx context.Context, tx bun.Tx) error {
		r, err := breachTimer(ctx, tx, d.TenantID, d.ID, now)
		if err != nil || r == nil {
			return err
		}
		if b, err = recordBreach(ctx, tx, r, now); err != nil {
			return err
		}
		started, done = r.StartedAt, true
		return nil
	})
	if err != nil || !done {
		return false, err
	}
	s.metrics.breaches.WithLabelValues(b.Kind).Inc()
	waited := now.Sub(started).Round(time.Second).String()
	if b.Kind == KindHandoffFirstReply {
		s.log.WarnContext(ctx, "sla breach: customer waiting for a person", "tenant_id", d.TenantID,
			"conversation_id", b.SubjectID, "waited", waited, "target_seconds", b.TargetSeconds)
	} else {
		s.log.InfoContext(ctx, "sla breach", "tenant_id", d.TenantID, "kind", b.Kind, "subject_id", b.SubjectID,
			"waited", waited, "target_seconds", b.TargetSeconds)
	}
	return true, nil
}
