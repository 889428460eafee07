package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// RescueAfterer is implemented by a worker whose jobs must be taken back from
// a dead worker sooner than Config.RescueAfter (River's rescuer, one window
// for every kind): a job of its kind still running RescueAfter() after its
// attempt began goes back to the queue at once. The window must exceed the
// worker's timeout (river.Worker.Timeout, or Config.JobTimeout), so a live
// attempt has always ended, or been cancelled, before its job is rescued.
type RescueAfterer interface {
	RescueAfter() time.Duration
}

// Bounds of how often the per-kind rescue looks for stuck jobs: an eighth of
// the shortest window, within these.
const (
	rescueEveryMin = 250 * time.Millisecond
	rescueEveryMax = 10 * time.Second
)

// rescueSQL takes back the jobs of one kind that have been running longer
// than the window, the way River's own rescuer (maintenance.JobRescuer) does,
// in one statement: a job whose cancellation was requested is cancelled, one
// that used its last attempt is discarded, any other is made available to
// run again now (its worker decides how to resume); each gets a "rescued"
// attempt error and its river:rescue_count raised. The state check in the
// WHERE clause makes it safe to run from every worker process at once: a row
// is rescued once, and a job that finished meanwhile is left alone. An
// attempt that was still alive finds its job no longer running when it ends,
// and River then ignores its outcome (JobSetStateIfRunning).
const rescueSQL = `
UPDATE river_job SET
    state = CASE
        WHEN metadata ? 'cancel_attempted_at' THEN 'cancelled'
        WHEN attempt >= max_attempts THEN 'discarded'
        ELSE 'available'
    END::river_job_state,
    finalized_at = CASE
        WHEN metadata ? 'cancel_attempted_at' OR attempt >= max_attempts THEN now()
    END,
    scheduled_at = CASE
        WHEN metadata ? 'cancel_attempted_at' OR attempt >= max_attempts THEN scheduled_at
        ELSE now()
    END,
    errors = array_append(errors, jsonb_build_object(
        'at', now(), 'attempt', greatest(attempt, 0), 'error', $3::text, 'trace', '')),
    metadata = metadata || jsonb_build_object('river:rescue_count', coalesce(
        CASE WHEN jsonb_typeof(metadata -> 'river:rescue_count') = 'number'
            THEN (metadata ->> 'river:rescue_count')::int END, 0) + 1)
WHERE state = 'running'
    AND kind = $1
    AND attempted_at < now() - make_interval(secs => $2::double precision)
RETURNING id, state::text`

// addRescue registers the per-kind rescue of kind's jobs, checking the
// window against the attempt's timeout. Call with j.mu held.
func addRescue[T river.JobArgs](j *Jobs, kind string, w river.Worker[T]) error {
	r, ok := w.(RescueAfterer)
	if !ok {
		return nil
	}
	after := r.RescueAfter()
	if after <= 0 {
		return nil
	}
	var args T
	timeout := w.Timeout(&river.Job[T]{JobRow: &rivertype.JobRow{Kind: kind}, Args: args})
	if timeout == 0 {
		timeout = j.jobTimeout
	}
	if timeout < 0 {
		return fmt.Errorf("jobs: %s jobs are rescued after %s but have no timeout: a live attempt could be rescued", kind, after)
	}
	if after <= timeout {
		return fmt.Errorf("jobs: %s jobs are rescued after %s, which must exceed their timeout %s", kind, after, timeout)
	}
	j.rescues[kind] = after
	return nil
}

// startRescue starts the per-kind rescue loop when any kind has one. Call
// with j.mu held.
func (j *Jobs) startRescue() {
	if len(j.rescues) == 0 {
		return
	}
	every := rescueEveryMax
	for _, after := range j.rescues {
		every = min(every, after/8)
	}
	every = max(every, rescueEveryMin)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	j.rescueStop, j.rescueDone = cancel, done
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			j.rescueOnce(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// stopRescue ends the rescue loop and waits for it.
func (j *Jobs) stopRescue() {
	j.mu.Lock()
	stop, done := j.rescueStop, j.rescueDone
	j.rescueStop, j.rescueDone = nil, nil
	j.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// rescueOnce runs one pass over every kind with a rescue window.
func (j *Jobs) rescueOnce(ctx context.Context) {
	for kind, after := range j.rescues {
		n, err := j.rescueStuck(ctx, kind, after)
		if err != nil {
			if ctx.Err() == nil {
				j.log.WarnContext(ctx, "jobs: rescuing stuck jobs failed", "kind", kind, "error", err)
			}
			continue
		}
		if n > 0 {
			j.log.WarnContext(ctx, "jobs: stuck jobs rescued (their worker died or stalled)", "kind", kind, "jobs", n, "rescue_after", after.String())
		}
	}
}

// rescueStuck takes back the jobs of kind that have been running for longer
// than after (their worker died: kill -9, a lost node) and returns how many
// it took: each becomes available to run again at once, or discarded when it
// has used its last attempt, or cancelled when its cancellation was asked
// for.
func (j *Jobs) rescueStuck(ctx context.Context, kind string, after time.Duration) (int, error) {
	if after <= 0 {
		return 0, fmt.Errorf("jobs: rescue window must be positive, got %s", after)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	msg := fmt.Sprintf("Stuck job rescued after %s by the %s rescue (its worker died or stalled)", after, kind)
	rows, err := j.db.SQL.QueryContext(ctx, rescueSQL, kind, after.Seconds(), msg)
	if err != nil {
		return 0, fmt.Errorf("jobs: rescue %s: %w", kind, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int64
		var state string
		if err := rows.Scan(&id, &state); err != nil {
			return n, fmt.Errorf("jobs: rescue %s: %w", kind, err)
		}
		n++
		j.rescued.WithLabelValues(kind, state).Inc()
		j.log.InfoContext(ctx, "jobs: stuck job rescued", "kind", kind, "job_id", id, "state", state)
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("jobs: rescue %s: %w", kind, err)
	}
	return n, nil
}
