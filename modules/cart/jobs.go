package cart

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

// Workers registers the cart's periodic sweeps: cart.abandon (every minute:
// carts with items untouched for CART_ABANDON_AFTER become abandoned, each
// with an "abandoned" event) and cart.retention (every ten minutes: web carts
// untouched for CART_RETENTION are deleted).
func (s *Service) Workers(j *jobs.Jobs) error {
	for _, err := range []error{
		jobs.AddWorker(j, &AbandonWorker{Service: s}),
		jobs.AddWorker(j, &RetentionWorker{Service: s}),
		j.Periodic(time.Minute, func() (river.JobArgs, *river.InsertOpts) { return AbandonArgs{}, nil }),
		j.Periodic(10*time.Minute, func() (river.JobArgs, *river.InsertOpts) { return RetentionArgs{}, nil }),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// AbandonArgs is the periodic abandon sweep across tenants.
type AbandonArgs struct{}

// Kind names the job.
func (AbandonArgs) Kind() string { return "cart.abandon" }

// InsertOpts puts the sweep on the maintenance queue.
func (AbandonArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueMaintenance, MaxAttempts: 3}
}

// AbandonWorker runs AbandonArgs.
type AbandonWorker struct {
	river.WorkerDefaults[AbandonArgs]
	Service *Service
}

// Work runs the sweep.
func (w *AbandonWorker) Work(ctx context.Context, _ *river.Job[AbandonArgs]) error {
	_, err := w.Service.MarkAbandoned(ctx)
	return err
}

// RetentionArgs is the periodic deletion of expired web carts.
type RetentionArgs struct{}

// Kind names the job.
func (RetentionArgs) Kind() string { return "cart.retention" }

// InsertOpts puts the sweep on the maintenance queue.
func (RetentionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueMaintenance, MaxAttempts: 3}
}

// RetentionWorker runs RetentionArgs.
type RetentionWorker struct {
	river.WorkerDefaults[RetentionArgs]
	Service *Service
}

// Work runs the deletion.
func (w *RetentionWorker) Work(ctx context.Context, _ *river.Job[RetentionArgs]) error {
	_, err := w.Service.DeleteExpired(ctx)
	return err
}

// MarkAbandoned marks every active cart with items that nobody changed for
// AbandonAfter as abandoned and records an "abandoned" event for each (in
// cart_events, in the same transaction: the event exists exactly when the
// cart was marked), for the analytics and recovery work to consume. The
// platform path only finds which tenants have such carts; each tenant's are
// marked in its own scoped transaction. A cart being changed meanwhile keeps
// its lock until its change commits and is then no longer stale. It returns
// the number of carts marked.
func (s *Service) MarkAbandoned(ctx context.Context) (int, error) {
	now := s.now().UTC()
	cutoff := now.Add(-s.cfg.AbandonAfter)
	ids, err := s.sweepTenants(ctx, func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error) {
		return tenantsWithStaleCarts(ctx, tx, cutoff)
	})
	if err != nil {
		return 0, err
	}
	marked := 0
	for _, id := range ids {
		err := s.scope.InTenantTx(tenants.WithTenantID(ctx, id), func(ctx context.Context, tx bun.Tx) error {
			rs, err := abandonCarts(ctx, tx, cutoff, now)
			if err != nil {
				return err
			}
			events := make([]eventRow, len(rs))
			for i, r := range rs {
				events[i] = eventRow{TenantID: id, ID: uuid.Must(uuid.NewV7()), Kind: EventAbandoned, CartID: r.ID, Channel: r.Channel,
					CustomerID: r.CustomerID, ItemCount: r.ItemCount, Value: r.Subtotal, Currency: r.Currency, At: now}
			}
			marked += len(rs)
			return insertEvents(ctx, tx, events)
		})
		if err != nil {
			return marked, fmt.Errorf("cart: abandon carts of tenant %s: %w", id, err)
		}
	}
	return marked, nil
}

// DeleteExpired deletes every web cart past its expiry (CART_RETENTION
// after its last change), with its lines. It returns the number deleted.
func (s *Service) DeleteExpired(ctx context.Context) (int, error) {
	now := s.now().UTC()
	ids, err := s.sweepTenants(ctx, func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error) {
		return tenantsWithExpiredCarts(ctx, tx, now)
	})
	if err != nil {
		return 0, err
	}
	deleted := 0
	for _, id := range ids {
		err := s.scope.InTenantTx(tenants.WithTenantID(ctx, id), func(ctx context.Context, tx bun.Tx) error {
			n, err := deleteExpiredCarts(ctx, tx, now)
			deleted += n
			return err
		})
		if err != nil {
			return deleted, fmt.Errorf("cart: delete expired carts of tenant %s: %w", id, err)
		}
	}
	return deleted, nil
}

// sweepTenants finds, on the platform path, the tenants a sweep has work in.
func (s *Service) sweepTenants(ctx context.Context, find func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error)) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		ids, err = find(ctx, tx)
		return err
	})
	return ids, err
}

// Events returns the events recorded for a cart, oldest first.
func (s *Service) Events(ctx context.Context, cartID string) ([]Event, error) {
	var out []Event
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rs, err := cartEvents(ctx, tx, cartID)
		for _, r := range rs {
			out = append(out, Event{ID: r.ID, Kind: r.Kind, CartID: r.CartID, Channel: r.Channel, CustomerID: r.CustomerID,
				Items: r.ItemCount, Value: r.Value, Currency: r.Currency, At: r.At})
		}
		return err
	})
	return out, err
}

// Event is something that happened to a cart (EventAbandoned), as analytics
// and recovery read it.
type Event struct {
	ID         uuid.UUID // ordered by time (UUIDv7)
	Kind       string
	CartID     string
	Channel    string
	CustomerID *uuid.UUID
	Items      int
	Value      int64 // the cart's subtotal when it happened
	Currency   string
	At         time.Time
}
