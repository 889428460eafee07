package whatsapp

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
)

// SweepArgs is the periodic safety net: inbound messages stored but still
// unprocessed after WHATSAPP_SWEEP_AFTER mean a bug or a lost job. The
// sweeper reports them and queues their conversations again.
type SweepArgs struct{}

// Kind names the job.
func (SweepArgs) Kind() string { return "conversation.sweep" }

// InsertOpts puts the sweep on the maintenance queue.
func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: "maintenance", MaxAttempts: 3}
}

// SweepWorker runs SweepArgs.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Service *Service
}

// Work sweeps.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	_, err := w.Service.Sweep(ctx)
	return err
}

// Stuck is a conversation with inbound messages waiting too long.
type Stuck struct {
	TenantID       uuid.UUID
	ConversationID uuid.UUID
	Messages       int
	Oldest         time.Time
}

// Sweep finds conversations whose inbound messages have waited longer than
// SweepAfter, logs each (an error: this should never happen), and queues a
// processing job for it. It runs on the platform path, which may only see
// unprocessed inbound messages' ids and times.
func (s *Service) Sweep(ctx context.Context) ([]Stuck, error) {
	var stuck []Stuck
	cutoff := s.now().Add(-s.cfg.SweepAfter)
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if stuck, err = stuckConversations(ctx, tx, cutoff, 1000); err != nil {
			return err
		}
		for _, st := range stuck {
			if err := s.jobs.InsertTx(ctx, tx, ProcessArgs{TenantID: st.TenantID, ConversationID: st.ConversationID}, nil); err != nil {
				return err
			}
		}
		return nil
	})
	for _, st := range stuck {
		s.metrics.swept.Add(float64(st.Messages))
		s.log.ErrorContext(ctx, "inbound messages stored but unprocessed; re-queued",
			"tenant_id", st.TenantID, "conversation_id", st.ConversationID, "messages", st.Messages, "oldest", st.Oldest)
	}
	return stuck, err
}
