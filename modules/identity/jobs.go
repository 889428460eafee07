package identity

import (
	"context"
	"time"

	"concierge/internal/jobs"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
)

// PurgeTokensArgs is the periodic job that deletes refresh tokens that
// expired, or were revoked or spent, more than a day ago (kept that long so
// reuse of a spent token is still recognised as theft), and failed-login
// counters whose window has ended.
type PurgeTokensArgs struct{}

// Kind names the job.
func (PurgeTokensArgs) Kind() string { return "identity.purge_tokens" }

// InsertOpts puts the job on the maintenance queue, once at a time.
func (PurgeTokensArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: "maintenance", UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
}

// PurgeTokensWorker runs PurgeTokensArgs.
type PurgeTokensWorker struct {
	river.WorkerDefaults[PurgeTokensArgs]
	Service *Service
}

// Work deletes the old tokens and counters on the platform path.
func (w *PurgeTokensWorker) Work(ctx context.Context, _ *river.Job[PurgeTokensArgs]) error {
	n, err := w.Service.PurgeTokens(ctx, time.Now().Add(-24*time.Hour))
	if err != nil {
		return err
	}
	if n > 0 {
		w.Service.log.InfoContext(ctx, "purged refresh tokens", "count", n)
	}
	if n, err = w.Service.PurgeLoginFailures(ctx, time.Now()); err == nil && n > 0 {
		w.Service.log.InfoContext(ctx, "purged failed-login counters", "count", n)
	}
	return err
}

// PurgeLoginFailures deletes failed-login counters whose window ended before
// cutoff, and returns how many.
func (s *Service) PurgeLoginFailures(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		n, err = purgeFailures(ctx, tx, cutoff)
		return err
	})
	return n, err
}

// PurgeTokens deletes refresh tokens that expired, were revoked, or were
// spent before cutoff, and returns how many.
func (s *Service) PurgeTokens(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*refreshRow)(nil)).
			Where("expires_at < ? OR revoked_at < ? OR used_at < ?", cutoff, cutoff, cutoff).Exec(ctx)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// Workers registers the hourly purge of spent tokens and ended failure
// windows.
func (s *Service) Workers(j *jobs.Jobs) error {
	if err := jobs.AddWorker(j, &PurgeTokensWorker{Service: s}); err != nil {
		return err
	}
	return j.Periodic(time.Hour, func() (river.JobArgs, *river.InsertOpts) { return PurgeTokensArgs{}, nil })
}
