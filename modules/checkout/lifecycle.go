package checkout

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/orders"
)

// OrderCancelledTx undoes what a cancelled order held (orders.Canceller),
// inside the cancelling transaction, the order locked and about to be
// cancelled: its reserved stock comes back (o.StockHeld cleared, written
// with the move); a live payment is cancelled
// (a provider's page closed by a job); a paid one is refunded in full by
// the checkout.refund_order job (the provider is called outside any
// transaction; the job's idempotency key makes a retry refund once).
func (s *Service) OrderCancelledTx(ctx context.Context, tx bun.Tx, o *orders.Order, actor string) error {
	if err := s.release(ctx, tx, o); err != nil {
		return err
	}
	pay, err := getPayment(ctx, tx, true, "order_id = ?", o.ID)
	switch {
	case err != nil || pay == nil:
		return err
	case pay.Status.Live():
		return s.supersede(ctx, tx, pay, "the order was cancelled")
	case pay.Status.Paid():
		t, err := tenantOf(ctx)
		if err != nil {
			return err
		}
		return s.jobs.InsertTx(ctx, tx, RefundOrderArgs{TenantID: t.ID, OrderID: o.ID, Actor: actor}, nil)
	}
	return nil
}

// RefundOrderArgs refunds what is left of a cancelled order's payment.
type RefundOrderArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	OrderID  uuid.UUID `json:"order_id"`
	Actor    string    `json:"actor"`
}

// Kind names the job.
func (RefundOrderArgs) Kind() string { return "checkout.refund_order" }

// Tenant is the job's tenant (jobs.TenantJob).
func (a RefundOrderArgs) Tenant() uuid.UUID { return a.TenantID }

// InsertOpts: retried with backoff while the provider is unreachable.
func (RefundOrderArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

// RefundOrderWorker runs RefundOrderArgs.
type RefundOrderWorker struct {
	river.WorkerDefaults[RefundOrderArgs]
	Service *Service
}

// Work refunds the rest of the payment; nothing left to refund (refunded
// meanwhile, or by an earlier attempt) ends the job.
func (w *RefundOrderWorker) Work(ctx context.Context, j *river.Job[RefundOrderArgs]) error {
	ctx, err := w.Service.withTenant(ctx)
	if err != nil {
		return err
	}
	_, _, err = w.Service.Refund(ctx, j.Args.OrderID, 0, j.Args.Actor, "")
	if errors.Is(err, errs.ErrConflict) || errors.Is(err, errs.ErrInvalid) {
		w.Service.log.InfoContext(ctx, "cancelled order: nothing to refund", "order_id", j.Args.OrderID, "reason", err.Error())
		return nil
	}
	return err
}

// Timeout bounds one attempt (a provider call).
func (w *RefundOrderWorker) Timeout(*river.Job[RefundOrderArgs]) time.Duration { return time.Minute }
