package jobs_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"concierge/internal/jobs"
)

type stuckArgs struct {
	Name string `json:"name"`
}

func (stuckArgs) Kind() string { return "test_stuck" }

// stuckWorker has its own timeout and rescue window (jobs.RescueAfterer).
type stuckWorker struct {
	river.WorkerDefaults[stuckArgs]
	timeout, after time.Duration
	worked         chan string
}

func (w *stuckWorker) Work(ctx context.Context, job *river.Job[stuckArgs]) error {
	w.worked <- job.Args.Name
	return nil
}

func (w *stuckWorker) Timeout(*river.Job[stuckArgs]) time.Duration { return w.timeout }
func (w *stuckWorker) RescueAfter() time.Duration                  { return w.after }

// A kind with its own rescue window gets its stuck jobs back long before
// River's rescuer (one hour here) would: a job whose worker died mid-attempt
// runs again, one that used its last attempt is discarded, one whose
// cancellation was asked for is cancelled. Jobs attempted within the window,
// and stuck jobs of other kinds, are left alone.
func TestStuckJobsOfAKindAreRescuedAfterItsWindow(t *testing.T) {
	t.Parallel()
	w := &stuckWorker{timeout: time.Second, after: 30 * time.Second, worked: make(chan string, 10)}
	f := newFixture(t, func(j *jobs.Jobs) {
		mustAdd(t, j, w)
		mustAdd(t, j, river.WorkFunc(func(ctx context.Context, job *river.Job[noteArgs]) error { return nil }))
	})
	ctx := context.Background()
	for _, name := range []string{"dead", "alive", "exhausted", "cancelling"} {
		if err := f.jobs.Insert(ctx, stuckArgs{Name: name}, &river.InsertOpts{MaxAttempts: 3}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.jobs.Insert(ctx, noteArgs{Slug: "other-kind"}, nil); err != nil {
		t.Fatal(err)
	}
	// Make them look like the jobs of a worker that died mid-attempt (the
	// client is not started yet, so nothing else touches them).
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := f.db.SQL.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	running := `UPDATE river_job SET state = 'running', attempt = $2, attempted_at = now() - $3::interval,
		attempted_by = ARRAY['dead-worker'], metadata = metadata || $4::jsonb WHERE args->>'name' = $1 OR args->>'slug' = $1`
	exec(running, "dead", 1, "10 minutes", `{}`)
	exec(running, "alive", 1, "0 seconds", `{}`)
	exec(running, "exhausted", 3, "10 minutes", `{}`)
	exec(running, "cancelling", 1, "10 minutes", `{"cancel_attempted_at":"2026-01-01T00:00:00Z"}`)
	exec(running, "other-kind", 1, "10 minutes", `{}`)

	f.start(t)
	if got := receive(t, w.worked, "the rescued job's next attempt"); got != "dead" {
		t.Fatalf("worked %q, want the dead worker's job", got)
	}

	type row struct {
		state    string
		attempt  int
		finished bool
		errors   []string
		rescues  int
	}
	read := func(name string) row {
		t.Helper()
		var r row
		var errs, meta []byte
		err := f.db.SQL.QueryRowContext(ctx, `SELECT state::text, attempt, finalized_at IS NOT NULL, coalesce(to_json(errors), '[]'), metadata
			FROM river_job WHERE args->>'name' = $1 OR args->>'slug' = $1`, name).Scan(&r.state, &r.attempt, &r.finished, &errs, &meta)
		if err != nil {
			t.Fatal(err)
		}
		var es []struct {
			Error   string    `json:"error"`
			Attempt int       `json:"attempt"`
			At      time.Time `json:"at"`
		}
		if err := json.Unmarshal(errs, &es); err != nil {
			t.Fatalf("errors of %s unreadable (%s): %v", name, errs, err)
		}
		for _, e := range es {
			if e.At.IsZero() {
				t.Errorf("%s: an attempt error without its time: %s", name, errs)
			}
			r.errors = append(r.errors, e.Error)
		}
		var m struct {
			Rescues int `json:"river:rescue_count"`
		}
		_ = json.Unmarshal(meta, &m)
		r.rescues = m.Rescues
		return r
	}
	// The dead worker's job: completed on its second attempt, the rescue on
	// record. (The completion lands just after Work returns: poll for it.)
	deadline := time.Now().Add(waitFor)
	dead := read("dead")
	for dead.state != "completed" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		dead = read("dead")
	}
	if dead.state != "completed" || dead.attempt != 2 || dead.rescues != 1 || len(dead.errors) != 1 || !strings.Contains(dead.errors[0], "rescued") {
		t.Fatalf("dead worker's job: %+v, want completed at attempt 2 after one rescue", dead)
	}
	for _, tc := range []struct {
		name     string
		state    string
		finished bool
		rescued  bool
	}{
		{name: "alive", state: "running"},
		{name: "exhausted", state: "discarded", finished: true, rescued: true},
		{name: "cancelling", state: "cancelled", finished: true, rescued: true},
		{name: "other-kind", state: "running"},
	} {
		got := read(tc.name)
		if got.state != tc.state || got.finished != tc.finished || (got.rescues == 1) != tc.rescued {
			t.Errorf("%s: %+v, want %s (finalized %v, rescued %v)", tc.name, got, tc.state, tc.finished, tc.rescued)
		}
	}
	select {
	case name := <-w.worked:
		t.Fatalf("%s was worked: only the dead worker's job may run again", name)
	default:
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(f.jobs.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	rescued := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "concierge_jobs_rescued_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["kind"] == "test_stuck" {
				rescued[labels["state"]] = m.GetCounter().GetValue()
			}
		}
	}
	if rescued["available"] != 1 || rescued["discarded"] != 1 || rescued["cancelled"] != 1 {
		t.Errorf("concierge_jobs_rescued_total for test_stuck: %v", rescued)
	}
}

// A rescue window must exceed the attempt's timeout: a live attempt must
// have ended before its job is taken back.
func TestRescueWindowMustExceedTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(j *jobs.Jobs) {})
	for _, w := range []*stuckWorker{
		{timeout: time.Minute, after: 30 * time.Second},
		{timeout: time.Minute, after: time.Minute},
		{timeout: -1, after: time.Minute},
		{timeout: 0, after: 30 * time.Second}, // the client's default timeout, one minute
	} {
		if err := jobs.AddWorker(f.jobs, w); err == nil {
			t.Errorf("timeout %s, rescue after %s: accepted", w.timeout, w.after)
		}
	}
	if err := jobs.AddWorker(f.jobs, &stuckWorker{timeout: 0, after: 2 * time.Minute}); err != nil {
		t.Errorf("rescue after 2m with the default 1m timeout: %v", err)
	}
}
