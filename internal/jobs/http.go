package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"concierge/internal/errs"
	"concierge/internal/httpx"

	"github.com/gofiber/fiber/v2"
)

const jsonType = "application/json; charset=utf-8"

// defaultListLimit is the page size of GET /jobs/discarded without ?limit.
const defaultListLimit = 50

// HTTP serves the dead-letter API of the platform area. It does no
// authentication: mount it behind platform-admin auth.
type HTTP struct {
	jobs   *Jobs
	record Recorder
}

// Recorder runs act and records it in the audit log as action on target,
// in one transaction (tx; the caller's actor from ctx): a retry and its
// entry commit together.
type Recorder func(ctx context.Context, action, target string, act func(ctx context.Context, tx *sql.Tx) (map[string]any, error)) error

// NewHTTP builds the handlers over j; record, when set, audits each retry.
func NewHTTP(j *Jobs, record Recorder) *HTTP { return &HTTP{jobs: j, record: record} }

// Mount serves platform admins
//
//	GET  /jobs/discarded?limit=50&after=<id>  discarded jobs, newest first
//	POST /jobs/:id/retry                      make a failed job run again (202)
func (h *HTTP) Mount(r httpx.Routers) {
	r.Platform.Get("/jobs/discarded", r.AllowPlatform("jobs", "read"), h.listDiscarded)
	r.Platform.Post("/jobs/:id/retry", r.AllowPlatform("jobs", "write"), h.retry)
}

type apiDiscarded struct {
	ID          int64           `json:"id"`
	Kind        string          `json:"kind"`
	Queue       string          `json:"queue"`
	Attempts    int             `json:"attempts"`
	MaxAttempts int             `json:"max_attempts"`
	LastError   string          `json:"last_error"`
	Errors      []string        `json:"errors"`
	Args        json.RawMessage `json:"args"`
	CreatedAt   time.Time       `json:"created_at"`
	FinalizedAt time.Time       `json:"finalized_at"`
}

type apiDiscardedPage struct {
	Jobs []apiDiscarded `json:"jobs"`
	// NextAfter is the after of the next page; absent on the last page.
	NextAfter int64 `json:"next_after,omitempty"`
}

func toAPIDiscarded(d Discarded) apiDiscarded {
	a := apiDiscarded{
		ID:          d.ID,
		Kind:        d.Kind,
		Queue:       d.Queue,
		Attempts:    d.Attempts,
		MaxAttempts: d.MaxAttempts,
		LastError:   d.LastError,
		Errors:      d.Errors,
		Args:        json.RawMessage(d.Args),
		CreatedAt:   d.CreatedAt,
		FinalizedAt: d.FinalizedAt,
	}
	if a.Errors == nil {
		a.Errors = []string{}
	}
	if !json.Valid(a.Args) {
		a.Args = json.RawMessage("null")
	}
	return a
}

type apiRetried struct {
	ID    int64  `json:"id"`
	State string `json:"state"`
}

func queryInt(c *fiber.Ctx, name string, def int64) (int64, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errs.Invalid(errs.Field(name, "integer", "field.integer"))
	}
	return n, nil
}

func (h *HTTP) listDiscarded(c *fiber.Ctx) error {
	limit, err := queryInt(c, "limit", defaultListLimit)
	if err != nil {
		return err
	}
	after, err := queryInt(c, "after", 0)
	if err != nil {
		return err
	}
	if limit > MaxListLimit {
		limit = MaxListLimit + 1 // rejected below with the range message
	}
	list, err := h.jobs.ListDiscarded(c.UserContext(), int(limit), after)
	if err != nil {
		return err
	}
	page := apiDiscardedPage{Jobs: make([]apiDiscarded, 0, len(list))}
	for _, d := range list {
		page.Jobs = append(page.Jobs, toAPIDiscarded(d))
	}
	if len(list) == int(limit) {
		page.NextAfter = list[len(list)-1].ID
	}
	return c.JSON(page, jsonType)
}

func (h *HTTP) retry(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id < 1 {
		return errs.New(errs.CodeNotFound, "jobs.not_found")
	}
	ctx := c.UserContext()
	if h.record == nil {
		if err := h.jobs.Retry(ctx, id); err != nil {
			return err
		}
	} else if err := h.record(ctx, "job.retry", "job:"+strconv.FormatInt(id, 10), func(ctx context.Context, tx *sql.Tx) (map[string]any, error) {
		d, err := h.jobs.RetryTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return d.AuditView(), nil
	}); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(apiRetried{ID: id, State: "available"}, jsonType)
}
