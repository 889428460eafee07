package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"concierge/internal/errs"
	"concierge/internal/jobs"
)

// Discard deletes a discarded job for good (returning it as it was), and
// refuses an unknown id (not_found) and a job that may still run
// (conflict: it stays).
func TestDiscardDeletesOnlyDeadJobs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(j *jobs.Jobs) {
		mustAdd(t, j, river.WorkFunc(func(ctx context.Context, job *river.Job[noteArgs]) error {
			return errors.New("always")
		}))
	})
	events := f.subscribe(t, river.EventKindJobFailed)
	f.start(t)
	ctx := context.Background()
	if err := f.jobs.Insert(ctx, noteArgs{Slug: "dead"}, &river.InsertOpts{MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	id := waitEvent(t, events, "discard", ofKind("test_note")).Job.ID
	// A job scheduled far ahead is waiting, not dead.
	if err := f.jobs.Insert(ctx, noteArgs{Slug: "later"}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var waiting int64
	if err := f.db.SQL.QueryRowContext(ctx, `SELECT id FROM river_job WHERE state = 'scheduled'`).Scan(&waiting); err != nil {
		t.Fatal(err)
	}

	if _, err := f.jobs.Discard(ctx, waiting); errs.CodeOf(err) != errs.CodeConflict {
		t.Fatalf("discard of a scheduled job: %v, want conflict", err)
	}
	if _, err := f.jobs.Discard(ctx, id+1000); errs.CodeOf(err) != errs.CodeNotFound {
		t.Fatalf("discard of an unknown job: %v, want not_found", err)
	}
	d, err := f.jobs.Discard(ctx, id)
	if err != nil || d.ID != id || d.Kind != "test_note" || d.LastError != "always" {
		t.Fatalf("discard: %+v %v", d, err)
	}
	if list, err := f.jobs.ListDiscarded(ctx, 10, 0); err != nil || len(list) != 0 {
		t.Fatalf("discarded after Discard: %v %v, want none", list, err)
	}
	if f.total(t) != 1 {
		t.Fatalf("%d jobs left, want the scheduled one", f.total(t))
	}
	if _, err := f.jobs.Discard(ctx, id); errs.CodeOf(err) != errs.CodeNotFound {
		t.Fatalf("a second discard: %v, want not_found", err)
	}
}
