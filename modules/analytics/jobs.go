package analytics

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"concierge/internal/jobs"
)

// PartitionsEvery is how often the partition job runs (and once as the
// worker starts): a month's partition exists weeks before its first event.
const PartitionsEvery = 6 * time.Hour

// Workers registers analytics.partitions, run every PartitionsEvery and as
// the worker starts: this month's and next month's partitions are created
// if missing, and months past Config.RetainMonths dropped.
func (s *Service) Workers(j *jobs.Jobs) error {
	for _, err := range []error{
		jobs.AddWorker(j, &PartitionsWorker{Service: s}),
		j.PeriodicFromStart(PartitionsEvery, func() (river.JobArgs, *river.InsertOpts) { return PartitionsArgs{}, nil }),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// PartitionsArgs is the periodic partition upkeep (platform work: the
// partitions hold every tenant's events).
type PartitionsArgs struct{}

// Kind names the job.
func (PartitionsArgs) Kind() string { return "analytics.partitions" }

// InsertOpts puts the upkeep on the maintenance queue.
func (PartitionsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueMaintenance, MaxAttempts: 5}
}

// PartitionsWorker runs PartitionsArgs.
type PartitionsWorker struct {
	river.WorkerDefaults[PartitionsArgs]
	Service *Service
}

// Work runs the upkeep.
func (w *PartitionsWorker) Work(ctx context.Context, _ *river.Job[PartitionsArgs]) error {
	_, _, err := w.Service.MaintainPartitions(ctx)
	return err
}

// Timeout bounds the upkeep (a partition attach waits for the default
// partition's lock).
func (w *PartitionsWorker) Timeout(*river.Job[PartitionsArgs]) time.Duration { return 5 * time.Minute }

// MaintainPartitions creates this month's and next month's partitions (UTC)
// where missing and, unless Config.RetainMonths is -1, drops the months
// before the last RetainMonths whole months, in one transaction on the
// platform path (the SECURITY DEFINER functions analytics_ensure_month and
// analytics_drop_before do the work as the schema's owner). It returns how
// many partitions it created and dropped.
func (s *Service) MaintainPartitions(ctx context.Context) (created, dropped int, err error) {
	now := s.now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	err = s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if created, err = ensureMonths(ctx, tx, month, month.AddDate(0, 1, 0)); err != nil {
			return err
		}
		if s.cfg.RetainMonths < 0 {
			return nil
		}
		dropped, err = dropBefore(ctx, tx, month.AddDate(0, -s.cfg.RetainMonths, 0))
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	if created > 0 || dropped > 0 {
		s.log.InfoContext(ctx, "analytics: partitions maintained", "created", created, "dropped", dropped)
	}
	return created, dropped, nil
}
