package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"concierge/internal/errs"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Discarded is a job that used up its attempts (or was cancelled for good):
// the dead-letter view staff inspect and retry.
type Discarded struct {
	ID          int64
	Kind        string
	Queue       string
	State       string // River's: discarded, cancelled, retryable, ...
	Attempts    int
	MaxAttempts int
	// Errors holds each attempt's error text, oldest first; LastError is the
	// newest.
	Errors    []string
	LastError string
	// Args is the job's JSON arguments as stored.
	Args        []byte
	CreatedAt   time.Time
	FinalizedAt time.Time
}

// AuditView is what the audit log keeps of a job an admin retried or
// discarded: the state it was in.
func (d Discarded) AuditView() map[string]any {
	return map[string]any{"kind": d.Kind, "queue": d.Queue, "state": d.State, "attempts": d.Attempts, "last_error": d.LastError}
}

func toDiscarded(r *rivertype.JobRow) Discarded {
	d := Discarded{
		ID:          r.ID,
		Kind:        r.Kind,
		Queue:       r.Queue,
		State:       string(r.State),
		Attempts:    r.Attempt,
		MaxAttempts: r.MaxAttempts,
		Args:        r.EncodedArgs,
		CreatedAt:   r.CreatedAt,
	}
	for _, e := range r.Errors {
		d.Errors = append(d.Errors, e.Error)
	}
	if n := len(d.Errors); n > 0 {
		d.LastError = d.Errors[n-1]
	}
	if r.FinalizedAt != nil {
		d.FinalizedAt = *r.FinalizedAt
	}
	return d
}

// MaxListLimit caps one page of ListDiscarded.
const MaxListLimit = 500

// ListDiscarded returns up to limit discarded jobs, newest first. after is
// the ID of the last job of the previous page (0 for the first page): the page
// holds jobs with smaller IDs. A limit outside 1..MaxListLimit is invalid.
func (j *Jobs) ListDiscarded(ctx context.Context, limit int, after int64) ([]Discarded, error) {
	if limit < 1 || limit > MaxListLimit {
		return nil, errs.Invalid(errs.Field("limit", "range", "field.range", "min", 1, "max", MaxListLimit))
	}
	if after < 0 {
		return nil, errs.Invalid(errs.Field("after", "range", "field.min", "param", 0))
	}
	p := river.NewJobListParams().
		States(rivertype.JobStateDiscarded).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).
		First(limit)
	if after > 0 {
		p = p.Where("id < @after", river.NamedArgs{"after": after})
	}
	res, err := j.insert.JobList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("jobs: list discarded: %w", err)
	}
	out := make([]Discarded, 0, len(res.Jobs))
	for _, r := range res.Jobs {
		out = append(out, toDiscarded(r))
	}
	return out, nil
}

// retryable are the states Retry accepts: a job that failed for good
// (discarded, cancelled) or waits for its next attempt (retryable, which
// Retry brings forward). Completed jobs are not re-run (a retry must never
// resend a message that went out) and running or queued ones need nothing.
var retryable = map[rivertype.JobState]bool{
	rivertype.JobStateDiscarded: true,
	rivertype.JobStateCancelled: true,
	rivertype.JobStateRetryable: true,
}

// Retry makes job id available to run now, with one more attempt if it had
// used them all. Errors: not_found for an unknown id, conflict when the job is
// not discarded, cancelled or retryable.
func (j *Jobs) Retry(ctx context.Context, id int64) error {
	return j.inTx(ctx, func(tx *sql.Tx) error {
		_, err := j.RetryTx(ctx, tx, id)
		return err
	})
}

// RetryTx is Retry in the caller's transaction (tx, on the database the
// jobs were opened on), so what records the retry commits with it. It
// returns the job as it was.
func (j *Jobs) RetryTx(ctx context.Context, tx *sql.Tx, id int64) (Discarded, error) {
	row, err := j.insert.JobGetTx(ctx, tx, id)
	if errors.Is(err, rivertype.ErrNotFound) {
		return Discarded{}, errs.New(errs.CodeNotFound, "jobs.not_found")
	}
	if err != nil {
		return Discarded{}, fmt.Errorf("jobs: get job %d: %w", id, err)
	}
	if !retryable[row.State] {
		return Discarded{}, errs.New(errs.CodeConflict, "jobs.not_retryable", "state", row.State)
	}
	if _, err := j.insert.JobRetryTx(ctx, tx, id); err != nil {
		if errors.Is(err, rivertype.ErrNotFound) { // deleted meanwhile
			return Discarded{}, errs.New(errs.CodeNotFound, "jobs.not_found")
		}
		return Discarded{}, fmt.Errorf("jobs: retry job %d: %w", id, err)
	}
	j.log.InfoContext(ctx, "jobs: job retried", "job_id", id, "kind", row.Kind, "queue", row.Queue, "was", string(row.State))
	return toDiscarded(row), nil
}

// inTx runs fn in a transaction of its own.
func (j *Jobs) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := j.db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("jobs: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("jobs: commit: %w", err)
	}
	return nil
}

// StateCount is the number of jobs of one queue in one state.
type StateCount struct {
	Queue string
	State string
	Count int64
}

// Stats counts jobs per queue and state (available, running, retryable,
// scheduled, discarded, ...), for metrics and readiness. States with no job
// are absent. River deletes finished jobs after their retention period, so
// completed, cancelled and discarded counts cover that window only.
func (j *Jobs) Stats(ctx context.Context) ([]StateCount, error) {
	rows, err := j.db.SQL.QueryContext(ctx,
		`SELECT queue, state::text, count(*) FROM river_job GROUP BY queue, state ORDER BY queue, state`)
	if err != nil {
		return nil, fmt.Errorf("jobs: stats: %w", err)
	}
	defer rows.Close()
	var out []StateCount
	for rows.Next() {
		var s StateCount
		if err := rows.Scan(&s.Queue, &s.State, &s.Count); err != nil {
			return nil, fmt.Errorf("jobs: stats: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("jobs: stats: %w", err)
	}
	return out, nil
}

// Discard deletes job id for good — a discarded or cancelled job nobody is
// going to retry — and returns it as it was. The delete names those states,
// so a job retried meanwhile is never deleted. Errors: not_found for an
// unknown id, conflict when the job is in another state.
func (j *Jobs) Discard(ctx context.Context, id int64) (d Discarded, err error) {
	err = j.inTx(ctx, func(tx *sql.Tx) error {
		d, err = j.DiscardTx(ctx, tx, id)
		return err
	})
	return d, err
}

// DiscardTx is Discard in the caller's transaction (see RetryTx).
func (j *Jobs) DiscardTx(ctx context.Context, tx *sql.Tx, id int64) (Discarded, error) {
	res, err := j.insert.JobDeleteManyTx(ctx, tx, river.NewJobDeleteManyParams().IDs(id).
		States(rivertype.JobStateDiscarded, rivertype.JobStateCancelled))
	if err != nil {
		return Discarded{}, fmt.Errorf("jobs: delete job %d: %w", id, err)
	}
	if len(res.Jobs) == 0 {
		row, err := j.insert.JobGetTx(ctx, tx, id)
		if errors.Is(err, rivertype.ErrNotFound) {
			return Discarded{}, errs.New(errs.CodeNotFound, "jobs.not_found")
		}
		if err != nil {
			return Discarded{}, fmt.Errorf("jobs: get job %d: %w", id, err)
		}
		return Discarded{}, errs.New(errs.CodeConflict, "jobs.not_discardable", "state", row.State)
	}
	row := res.Jobs[0]
	j.log.InfoContext(ctx, "jobs: job discarded for good", "job_id", id, "kind", row.Kind, "queue", row.Queue)
	return toDiscarded(row), nil
}
