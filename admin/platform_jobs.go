package admin

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"concierge/admin/ui"
	"concierge/modules/identity"
	"concierge/tenants"
)

// platformPage is the size of a platform list's page.
const platformPage = 25

// afterParam is a positive id query parameter (a page's cursor); anything
// else is 0, the first page.
func afterParam(c *fiber.Ctx, name string) int64 {
	n, err := strconv.ParseInt(c.Query(name), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// platformJobs is GET /admin/platform/jobs: River's discarded jobs (kind,
// last error, attempts, when), newest first in pages, the job counts by
// state, and retry / discard per job.
func (a *Console) platformJobs(c *fiber.Ctx) error {
	ctx := c.UserContext()
	list, err := a.d.DeadJobs.ListDiscarded(ctx, platformPage, afterParam(c, "after"))
	if err != nil {
		return a.fail(c, err)
	}
	counts, err := a.d.DeadJobs.Stats(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	l := ui.JobsList{Jobs: list, Counts: counts, CanWrite: reqOf(c).platform.Can("jobs", "write")}
	if len(list) == platformPage {
		l.Next = "/admin/platform/jobs?after=" + strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	v := a.view(c, "admin.platform.jobs.title")
	switch d := c.Query("done"); d {
	case "retried", "discarded":
		v.Flash = v.T("admin.platform.jobs.done." + d)
	}
	return a.render(c, ui.JobsPage(v, l))
}

// platformJobAction is POST /admin/platform/jobs/{id}/retry (run it again
// now) or /discard (delete it for good), each recorded in the platform's
// audit chain with the admin as actor. An unknown job is 404, one in
// another state 409.
func (a *Console) platformJobAction(retry bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		id, err := strconv.ParseInt(c.Params("id"), 10, 64)
		if err != nil || id <= 0 {
			return a.notFound(c)
		}
		entry := tenants.AuditEntry{Actor: identity.ActorFrom(ctx).String(), Target: "job:" + strconv.FormatInt(id, 10),
			Action: "job.discard"}
		act, done := a.d.DeadJobs.DiscardTx, "discarded"
		if retry {
			entry.Action, act, done = "job.retry", a.d.DeadJobs.RetryTx, "retried"
		}
		// The change to River's tables and its audit entry commit together.
		err = a.d.AuditLog.RecordPlatform(ctx, entry, func(ctx context.Context, tx *sql.Tx) (map[string]any, error) {
			d, err := act(ctx, tx, id)
			if err != nil {
				return nil, err
			}
			return d.AuditView(), nil
		})
		if err != nil {
			return a.fail(c, err)
		}
		return c.Redirect("/admin/platform/jobs?done="+done, fiber.StatusSeeOther)
	}
}
