package cms

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/jobs"
	"concierge/tenants"
)

// Workers registers cms's jobs: cms.sync_templates (one tenant's registry
// from Meta) and cms.sync_all (every Config.SyncEvery: a sync queued for
// every active tenant with a WhatsApp Business Account).
func (s *Service) Workers(j *jobs.Jobs) error {
	for _, err := range []error{
		jobs.AddWorker(j, &SyncTemplatesWorker{Service: s}),
		jobs.AddWorker(j, &SyncAllWorker{Service: s}),
		j.PeriodicFromStart(s.cfg.SyncEvery, func() (river.JobArgs, *river.InsertOpts) { return SyncAllArgs{}, nil }),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// SyncTemplatesArgs syncs one tenant's template registry from Meta.
type SyncTemplatesArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

// Kind names the job.
func (SyncTemplatesArgs) Kind() string { return "cms.sync_templates" }

// Tenant is the job's tenant (jobs.TenantJob).
func (a SyncTemplatesArgs) Tenant() uuid.UUID { return a.TenantID }

// InsertOpts: on the maintenance queue, retried with River's backoff while
// Meta is unreachable or busy, and one per tenant at a time (a sync queued
// or running takes the place of another).
func (SyncTemplatesArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueMaintenance, MaxAttempts: 8, UniqueOpts: river.UniqueOpts{ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateScheduled, rivertype.JobStateRetryable}}}
}

// SyncTemplatesWorker runs SyncTemplatesArgs.
type SyncTemplatesWorker struct {
	river.WorkerDefaults[SyncTemplatesArgs]
	Service *Service
}

// Work syncs the registry. Meta busy or failing (429, 5xx, a transport
// error) is returned and retried with River's backoff; a refusal that
// asking again cannot change (a token refused or lacking permission, an
// unknown account: 4xx) is logged and the job cancelled. A suspended or
// unknown tenant syncs nothing.
func (w *SyncTemplatesWorker) Work(ctx context.Context, j *river.Job[SyncTemplatesArgs]) error {
	s := w.Service
	t, err := s.tenants.Get(ctx, j.Args.TenantID.String())
	if errors.Is(err, errs.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if t.Status != tenants.StatusActive {
		return nil
	}
	ctx = tenants.WithTenant(ctx, t)
	res, err := s.SyncTemplates(ctx)
	var ge *GraphError
	switch {
	case errors.As(err, &ge) && ge.Permanent:
		s.log.ErrorContext(ctx, "cms: template sync refused by Meta; not retried",
			"auth", ge.Auth(), "status", ge.Status, "code", ge.Code, "error", ge.Error())
		return river.JobCancel(err)
	case err != nil:
		s.log.WarnContext(ctx, "cms: template sync failed; retried", "attempt", j.Attempt, "error", err)
		return err
	}
	s.log.InfoContext(ctx, "cms: templates synced", "accounts", res.Accounts, "seen", res.Seen,
		"created", res.Created, "changed", res.Changed, "disabled", res.Disabled, "skipped", res.Skipped)
	return nil
}

// Timeout bounds one attempt: a few pages per account.
func (w *SyncTemplatesWorker) Timeout(*river.Job[SyncTemplatesArgs]) time.Duration {
	return 5 * time.Minute
}

// SyncAllArgs is the periodic fan-out across tenants.
type SyncAllArgs struct{}

// Kind names the job.
func (SyncAllArgs) Kind() string { return "cms.sync_all" }

// InsertOpts puts the fan-out on the maintenance queue.
func (SyncAllArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueMaintenance, MaxAttempts: 3}
}

// SyncAllWorker runs SyncAllArgs.
type SyncAllWorker struct {
	river.WorkerDefaults[SyncAllArgs]
	Service *Service
}

// Work queues the syncs.
func (w *SyncAllWorker) Work(ctx context.Context, _ *river.Job[SyncAllArgs]) error {
	_, err := w.Service.EnqueueSyncAll(ctx)
	return err
}

// EnqueueSyncAll queues a cms.sync_templates for every active tenant with
// an active number that names its WhatsApp Business Account, on the
// platform path (which sees only tenants and numbers), in one transaction.
// It returns how many tenants it found.
func (s *Service) EnqueueSyncAll(ctx context.Context) (int, error) {
	n := 0
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ids, err := tenantsToSync(ctx, tx)
		if err != nil || len(ids) == 0 {
			return err
		}
		n = len(ids)
		args := make([]river.JobArgs, len(ids))
		for i, id := range ids {
			args[i] = SyncTemplatesArgs{TenantID: id}
		}
		return s.jobs.InsertManyTx(ctx, tx, args)
	})
	return n, err
}
