package checkout

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"concierge/internal/jobs"
)

// Workers registers checkout's jobs: checkout.initiate (start a payment
// begun in the chat and send its link or confirmation), checkout.expire (a
// payment's time is up: scheduled at its expiry) and checkout.cancel (close
// a superseded payment's page at the provider).
func (s *Service) Workers(j *jobs.Jobs) error {
	for _, err := range []error{
		jobs.AddWorker(j, &InitiateWorker{Service: s}),
		jobs.AddWorker(j, &ExpireWorker{Service: s}),
		jobs.AddWorker(j, &CancelWorker{Service: s}),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// InitiateArgs starts a payment with its provider.
type InitiateArgs struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	PaymentID uuid.UUID `json:"payment_id"`
}

// Kind names the job.
func (InitiateArgs) Kind() string { return "checkout.initiate" }

// Tenant is the job's tenant (jobs.TenantJob).
func (a InitiateArgs) Tenant() uuid.UUID { return a.TenantID }

// InsertOpts: retried with backoff while the provider is unreachable.
func (InitiateArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 8} }

// InitiateWorker runs InitiateArgs.
type InitiateWorker struct {
	river.WorkerDefaults[InitiateArgs]
	Service *Service
}

// Work starts the payment (nothing when it has started already).
func (w *InitiateWorker) Work(ctx context.Context, j *river.Job[InitiateArgs]) error {
	_, _, err := w.Service.initiate(ctx, j.Args.PaymentID)
	return err
}

// Timeout bounds one attempt (a provider call).
func (w *InitiateWorker) Timeout(*river.Job[InitiateArgs]) time.Duration { return time.Minute }

// ExpireArgs ends a payment whose time is up.
type ExpireArgs struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	PaymentID uuid.UUID `json:"payment_id"`
}

// Kind names the job.
func (ExpireArgs) Kind() string { return "checkout.expire" }

// Tenant is the job's tenant (jobs.TenantJob).
func (a ExpireArgs) Tenant() uuid.UUID { return a.TenantID }

// InsertOpts: retried while the provider cannot say where the payment stands.
func (ExpireArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

// ExpireWorker runs ExpireArgs.
type ExpireWorker struct {
	river.WorkerDefaults[ExpireArgs]
	Service *Service
}

// Work expires the payment unless it was paid or confirmed meanwhile.
func (w *ExpireWorker) Work(ctx context.Context, j *river.Job[ExpireArgs]) error {
	return w.Service.expire(ctx, j.Args.PaymentID)
}

// CancelArgs closes a superseded payment at its provider.
type CancelArgs struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	PaymentID uuid.UUID `json:"payment_id"`
}

// Kind names the job.
func (CancelArgs) Kind() string { return "checkout.cancel" }

// Tenant is the job's tenant (jobs.TenantJob).
func (a CancelArgs) Tenant() uuid.UUID { return a.TenantID }

// CancelWorker runs CancelArgs.
type CancelWorker struct {
	river.WorkerDefaults[CancelArgs]
	Service *Service
}

// Work asks the provider to close the payment.
func (w *CancelWorker) Work(ctx context.Context, j *river.Job[CancelArgs]) error {
	return w.Service.cancelAtProvider(ctx, j.Args.PaymentID)
}
