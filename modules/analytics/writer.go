package analytics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"concierge/tenants"
)

// writeTimeout bounds one tenant's insert.
const writeTimeout = 10 * time.Second

// Start starts the background writer: every Config.FlushEvery, or as soon
// as Config.BatchSize events wait, it writes what is queued. ctx supplies
// values only; stop the writer with Close. Starting twice, or after Close,
// does nothing.
func (s *Service) Start(ctx context.Context) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.stop != nil || s.closed.Load() {
		return
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go s.run(context.WithoutCancel(ctx), s.stop, s.done)
}

func (s *Service) run(ctx context.Context, stop, done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(s.cfg.FlushEvery)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		case <-s.full:
		}
		// Failures are logged and counted where they happen.
		_ = s.Flush(ctx)
	}
}

// Close stops the writer and writes what is still queued, within ctx's
// deadline (graceful shutdown: after the HTTP server and the jobs have
// drained, before the pools close). Events recorded afterwards are
// dropped (reason closed).
func (s *Service) Close(ctx context.Context) error {
	s.closed.Store(true)
	s.runMu.Lock()
	stop, done := s.stop, s.done
	s.stop = nil
	s.runMu.Unlock()
	if stop != nil {
		close(stop)
		select {
		case <-done:
		case <-ctx.Done():
			return fmt.Errorf("analytics: writer did not stop: %w", ctx.Err())
		}
	}
	return s.Flush(ctx)
}

// Flush writes every event recorded before it was called and returns when
// they are in Postgres (or dropped: a tenant's batch that fails is logged,
// counted as reason write_failed and returned here, not retried). It works
// whether or not the writer runs; ctx bounds the wait and the writes.
func (s *Service) Flush(ctx context.Context) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	// Whoever held the lock before has written what it took; what was
	// recorded before this call and not yet taken is at the queue's head.
	var errs []error
	for n := len(s.queue); n > 0; {
		batch := s.take(min(n, s.cfg.BatchSize))
		if len(batch) == 0 {
			break
		}
		n -= len(batch)
		errs = append(errs, s.write(ctx, batch))
	}
	return errors.Join(errs...)
}

// take receives up to n queued events into the reused batch buffer.
func (s *Service) take(n int) []eventRow {
	s.buf = s.buf[:0]
	for range n {
		select {
		case r := <-s.queue:
			s.buf = append(s.buf, r)
		default:
			return s.buf
		}
	}
	return s.buf
}

// write stores a batch: grouped by tenant (a stable sort, so each tenant's
// events keep their order), one multi-row INSERT per tenant in its own
// scoped transaction. The transactions run on a context of their own (the
// caller's deadline and cancellation, none of its values), so a Flush from
// inside another scoped transaction never joins it.
func (s *Service) write(ctx context.Context, batch []eventRow) error {
	slices.SortStableFunc(batch, func(a, b eventRow) int { return bytes.Compare(a.TenantID[:], b.TenantID[:]) })
	var errs []error
	for len(batch) > 0 {
		n := 1
		for n < len(batch) && batch[n].TenantID == batch[0].TenantID {
			n++
		}
		group := batch[:n]
		batch = batch[n:]
		wctx, cancel := detached(ctx, writeTimeout)
		err := s.scope.InTenantTx(tenants.WithTenantID(wctx, group[0].TenantID), func(ctx context.Context, tx bun.Tx) error {
			return insertEvents(ctx, tx, group)
		})
		cancel()
		if err != nil {
			s.metrics.drop(reasonWriteFailed, len(group))
			// The tenant, the count and the database's message: never the
			// events' contents.
			s.log.WarnContext(ctx, "analytics: events not written", "tenant_id", group[0].TenantID, "events", len(group), "error", err)
			errs = append(errs, fmt.Errorf("analytics: write %d events of tenant %s: %w", len(group), group[0].TenantID, err))
			if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
				// The database did not answer in time (or the caller gave
				// up): the rest of the batch would wait as long, each
				// tenant in turn, while the queue overflows. It is dropped.
				if len(batch) > 0 {
					s.metrics.drop(reasonWriteFailed, len(batch))
					s.log.WarnContext(ctx, "analytics: rest of the batch dropped", "events", len(batch))
					errs = append(errs, fmt.Errorf("analytics: %d more events dropped", len(batch)))
				}
				break
			}
			continue
		}
		s.metrics.written.Add(float64(len(group)))
	}
	return errors.Join(errs...)
}

// detached returns a context without ctx's values that ends when ctx does
// or after d.
func detached(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	end := time.Now().Add(d)
	if deadline, ok := ctx.Deadline(); ok && deadline.Before(end) {
		end = deadline
	}
	w, cancel := context.WithDeadline(context.Background(), end)
	stop := context.AfterFunc(ctx, cancel)
	return w, func() { stop(); cancel() }
}
