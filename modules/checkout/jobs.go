package checkout

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"concierge/internal/jobs"
	"concierge/tenants"
)

// Workers registers checkout's jobs: checkout.initiate (start a payment
// begun in the chat and send its link or confirmation), checkout.expire_due
// (every minute: payments whose time is up — unconfirmed cash on delivery,
// unpaid hosted pages — are expired and give their stock back) and
// checkout.cancel (close a superseded payment's page at the provider) and
// checkout.refund_order (refund a cancelled order's payment in full).
func (s *Service) Workers(j *jobs.Jobs) error {
	for _, err := range []error{
		jobs.AddWorker(j, &InitiateWorker{Service: s}),
		jobs.AddWorker(j, &ExpireDueWorker{Service: s}),
		jobs.AddWorker(j, &CancelWorker{Service: s}),
		jobs.AddWorker(j, &RefundOrderWorker{Service: s}),
		j.Periodic(time.Minute, func() (river.JobArgs, *river.InsertOpts) { return ExpireDueArgs{}, nil }),
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
	ctx, err := w.Service.withTenant(ctx)
	if err != nil {
		return err
	}
	_, _, err = w.Service.initiate(ctx, j.Args.PaymentID)
	return err
}

// Timeout bounds one attempt (a provider call).
func (w *InitiateWorker) Timeout(*river.Job[InitiateArgs]) time.Duration { return time.Minute }

// ExpireDueArgs is the periodic expiry sweep across tenants.
type ExpireDueArgs struct{}

// Kind names the job.
func (ExpireDueArgs) Kind() string { return "checkout.expire_due" }

// InsertOpts puts the sweep on the maintenance queue.
func (ExpireDueArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueMaintenance, MaxAttempts: 3}
}

// ExpireDueWorker runs ExpireDueArgs.
type ExpireDueWorker struct {
	river.WorkerDefaults[ExpireDueArgs]
	Service *Service
}

// Work runs the sweep.
func (w *ExpireDueWorker) Work(ctx context.Context, _ *river.Job[ExpireDueArgs]) error {
	_, err := w.Service.ExpireDue(ctx)
	return err
}

// Timeout: a sweep may ask providers about a few hundred payments.
func (w *ExpireDueWorker) Timeout(*river.Job[ExpireDueArgs]) time.Duration { return 10 * time.Minute }

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
	ctx, err := w.Service.withTenant(ctx)
	if err != nil {
		return err
	}
	return w.Service.cancelAtProvider(ctx, j.Args.PaymentID)
}

// duePayment is a payment the sweep found due.
type duePayment struct {
	TenantID  uuid.UUID `bun:"tenant_id"`
	ID        uuid.UUID `bun:"id"`
	Provider  string    `bun:"provider"`
	ExpiresAt time.Time `bun:"expires_at"`
}

// sweepBatch bounds one pass of the sweep; a run takes up to five passes.
const sweepBatch = 500

// ExpireDue expires every live payment whose time is up: cash on delivery
// not confirmed by its expiry, a hosted page unpaid CHECKOUT_EXPIRY_GRACE
// after its own (asked of the provider first: a payment made at the last
// minute is applied instead). The platform path only finds which payments
// of which tenants are due; each is expired in its tenant's own scoped
// transaction. It returns how many it handled.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	handled := 0
	var after time.Time
	for pass := 0; pass < 5; pass++ {
		var due []duePayment
		err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return tx.NewRaw(`SELECT tenant_id, id, provider, expires_at FROM payments
				WHERE status IN ('pending', 'requires_action', 'authorized') AND expires_at IS NOT NULL
				  AND expires_at <= ? AND expires_at >= ? AND confirmed_at IS NULL
				ORDER BY expires_at LIMIT ?`, s.now().UTC(), after, sweepBatch).Scan(ctx, &due)
		})
		if err != nil {
			return handled, err
		}
		for _, d := range due {
			after = d.ExpiresAt
			p, ok := s.providers.Get(d.Provider)
			if !ok || (p.Capabilities().Redirect && s.now().Before(d.ExpiresAt.Add(s.cfg.ExpiryGrace))) {
				continue // the provider's own webhook may still come
			}
			tctx, err := s.withTenant(tenants.WithTenantID(ctx, d.TenantID))
			if err == nil {
				err = s.expire(tctx, d.ID)
			}
			if err != nil {
				// One payment's trouble (a provider down) does not stop the
				// others; the next run tries it again.
				s.log.WarnContext(ctx, "payment could not be expired", "tenant_id", d.TenantID, "payment_id", d.ID, "error", err)
				continue
			}
			handled++
		}
		if len(due) < sweepBatch {
			return handled, nil
		}
	}
	return handled, nil
}

// withTenant replaces the id-only tenant of a job's context with the whole
// tenant (names, slug, language: the texts and links need them).
func (s *Service) withTenant(ctx context.Context) (context.Context, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return ctx, err
	}
	if t.Slug != "" || s.tenants == nil {
		return ctx, nil
	}
	full, err := s.tenants.Get(ctx, t.ID.String())
	if err != nil {
		return ctx, fmt.Errorf("checkout: tenant %s: %w", t.ID, err)
	}
	return tenants.WithTenant(ctx, full), nil
}
