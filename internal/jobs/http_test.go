package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/riverqueue/river"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/internal/jobs"
)

// (f) The dead-letter API: list, retry, and problem+json for what is wrong.
func TestHTTPDeadLetter(t *testing.T) {
	t.Parallel()
	var succeed atomic.Bool
	f := newFixture(t, func(j *jobs.Jobs) {
		mustAdd(t, j, river.WorkFunc(func(ctx context.Context, job *river.Job[noteArgs]) error {
			if succeed.Load() {
				return nil
			}
			return errors.New("provider said no")
		}))
	})
	events := f.subscribe(t, river.EventKindJobCompleted, river.EventKindJobFailed)
	f.start(t)
	if err := f.jobs.Insert(context.Background(), noteArgs{Slug: "مرحبا"}, &river.InsertOpts{MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	id := waitEvent(t, events, "discard", ofKind("test_note")).Job.ID

	app := fiber.New(fiber.Config{ErrorHandler: httpx.ErrorHandler(testLogger(), i18n.MustLoad())})
	jobs.NewHTTP(f.jobs, nil).Mount(httpx.Routers{Platform: app, AllowPlatform: func(string, string) fiber.Handler { return func(c *fiber.Ctx) error { return c.Next() } }})

	type listBody struct {
		Jobs []struct {
			ID          int64           `json:"id"`
			Kind        string          `json:"kind"`
			Queue       string          `json:"queue"`
			Attempts    int             `json:"attempts"`
			MaxAttempts int             `json:"max_attempts"`
			LastError   string          `json:"last_error"`
			Errors      []string        `json:"errors"`
			Args        json.RawMessage `json:"args"`
		} `json:"jobs"`
		NextAfter int64 `json:"next_after"`
	}
	const jsonType, problemType = "application/json; charset=utf-8", "application/problem+json; charset=utf-8"
	problem := func(code errs.Code) func(t *testing.T, body []byte) {
		return func(t *testing.T, body []byte) {
			var p httpx.Problem
			if err := json.Unmarshal(body, &p); err != nil || p.Code != code {
				t.Fatalf("problem %s (%v), want code %s", body, err, code)
			}
		}
	}

	scenarios := []struct {
		name        string
		method      string
		url         string
		status      int
		contentType string
		check       func(t *testing.T, body []byte)
		after       func(t *testing.T)
	}{
		{
			name: "list shows the discarded job", method: "GET", url: "/jobs/discarded",
			status: 200, contentType: jsonType,
			check: func(t *testing.T, body []byte) {
				var b listBody
				if err := json.Unmarshal(body, &b); err != nil {
					t.Fatal(err)
				}
				if len(b.Jobs) != 1 || b.NextAfter != 0 {
					t.Fatalf("list %s", body)
				}
				j := b.Jobs[0]
				if j.ID != id || j.Kind != "test_note" || j.Queue != jobs.QueueDefault || j.Attempts != 1 || j.MaxAttempts != 1 ||
					j.LastError != "provider said no" || len(j.Errors) != 1 || !sameJSON(j.Args, `{"slug":"مرحبا"}`) {
					t.Fatalf("listed job %s", body)
				}
			},
		},
		{name: "limit one pages", method: "GET", url: fmt.Sprintf("/jobs/discarded?limit=1&after=%d", id+1), status: 200, contentType: jsonType,
			check: func(t *testing.T, body []byte) {
				var b listBody
				if err := json.Unmarshal(body, &b); err != nil || len(b.Jobs) != 1 || b.NextAfter != id {
					t.Fatalf("page %s (%v), want one job and next_after %d", body, err, id)
				}
			}},
		{name: "limit zero is invalid", method: "GET", url: "/jobs/discarded?limit=0", status: 422, contentType: problemType, check: problem(errs.CodeInvalid)},
		{name: "limit not a number", method: "GET", url: "/jobs/discarded?limit=ten", status: 422, contentType: problemType, check: problem(errs.CodeInvalid)},
		{name: "huge limit is invalid", method: "GET", url: "/jobs/discarded?limit=99999999999", status: 422, contentType: problemType, check: problem(errs.CodeInvalid)},
		{name: "retry unknown job", method: "POST", url: fmt.Sprintf("/jobs/%d/retry", id+1000), status: 404, contentType: problemType, check: problem(errs.CodeNotFound)},
		{name: "retry non-numeric id", method: "POST", url: "/jobs/abc/retry", status: 404, contentType: problemType, check: problem(errs.CodeNotFound)},
		{
			name: "retry puts the job back", method: "POST", url: fmt.Sprintf("/jobs/%d/retry", id),
			status: 202, contentType: jsonType,
			check: func(t *testing.T, body []byte) {
				var b struct {
					ID    int64  `json:"id"`
					State string `json:"state"`
				}
				if err := json.Unmarshal(body, &b); err != nil || b.ID != id || b.State != "available" {
					t.Fatalf("retry answer %s (%v)", body, err)
				}
			},
			after: func(t *testing.T) {
				ev := waitEvent(t, events, "retried job", ofKind("test_note"))
				if ev.Kind != river.EventKindJobCompleted || ev.Job.ID != id {
					t.Fatalf("retried job: %s", ev.Kind)
				}
			},
		},
		{name: "retry a completed job conflicts", method: "POST", url: fmt.Sprintf("/jobs/%d/retry", id), status: 409, contentType: problemType, check: problem(errs.CodeConflict)},
		{name: "list is empty after the retry", method: "GET", url: "/jobs/discarded", status: 200, contentType: jsonType,
			check: func(t *testing.T, body []byte) {
				if !strings.Contains(string(body), `"jobs":[]`) {
					t.Fatalf("list %s, want an empty array", body)
				}
			}},
	}
	succeedBefore := "retry puts the job back"
	for _, sc := range scenarios {
		if sc.name == succeedBefore {
			succeed.Store(true)
		}
		ok := t.Run(sc.name, func(t *testing.T) {
			resp, err := app.Test(httptest.NewRequest(sc.method, sc.url, nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != sc.status {
				t.Fatalf("%s %s: status %d, want %d: %s", sc.method, sc.url, resp.StatusCode, sc.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != sc.contentType {
				t.Fatalf("content type %q, want %q", ct, sc.contentType)
			}
			if sc.check != nil {
				sc.check(t, body)
			}
			if sc.after != nil {
				sc.after(t)
			}
		})
		if !ok {
			t.FailNow() // later scenarios build on earlier ones
		}
	}
}
