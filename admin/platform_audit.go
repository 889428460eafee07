package admin

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/admin/ui"
	"concierge/internal/errs"
	"concierge/internal/input"
	"concierge/modules/audit"
	"concierge/tenants"
)

// platformUnrouted is GET /admin/platform/unrouted: webhook changes for
// numbers no tenant owns (or whose tenant is suspended, number disabled),
// newest first in pages, each with its payload.
func (a *Console) platformUnrouted(c *fiber.Ctx) error {
	items, err := a.d.Channel.ListUnrouted(c.UserContext(), platformPage, afterParam(c, "before"))
	if err != nil {
		return a.fail(c, err)
	}
	l := ui.UnroutedList{Items: items}
	if len(items) == platformPage {
		l.Next = "/admin/platform/unrouted?before=" + strconv.FormatInt(items[len(items)-1].ID, 10)
	}
	return a.render(c, ui.UnroutedPage(a.view(c, "admin.platform.unrouted.title"), l))
}

// platformAudit is GET /admin/platform/audit: the audit log across tenants,
// newest first in pages, filtered by tenant (a slug, or "platform" for the
// platform's own chain), actor (contains), action (starts with) and a date
// range (UTC days); ?verify=1 recomputes every chain and shows the result —
// intact, or the first entry that does not hold. A filter that does not
// parse is said next to its field and the rest still applies.
func (a *Console) platformAudit(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := a.view(c, "admin.platform.audit.title")
	f := ui.AuditFilter{Tenant: strings.TrimSpace(c.Query("tenant")), Actor: strings.TrimSpace(c.Query("actor")),
		Action: strings.TrimSpace(c.Query("action")), From: c.Query("from"), To: c.Query("to")}
	l := ui.AuditList{Filter: f, Errors: map[string]string{}, Slugs: map[string]string{}}
	q := audit.Query{Limit: platformPage, Before: afterParam(c, "before")}
	switch {
	case f.Tenant == "":
	case f.Tenant == "platform":
		q.Platform = true
	case tenants.ValidSlug(f.Tenant):
		t, err := a.d.Stores.Get(ctx, f.Tenant)
		if err != nil && errs.CodeOf(err) != errs.CodeNotFound {
			return a.fail(c, err)
		}
		if t != nil {
			q.Tenant = t.ID
			break
		}
		fallthrough
	default:
		l.Errors["tenant"] = v.T("admin.platform.audit.bad_tenant")
		if input.Check(f.Tenant, input.SingleLine) != nil {
			l.Filter.Tenant = "" // not shown back
		}
		q.Tenant = uuid.Max // matches nothing: a wrong tenant shows no one's entries
	}
	for _, s := range []struct {
		name       string
		typed, dst *string
	}{{"actor", &l.Filter.Actor, &q.Actor}, {"action", &l.Filter.Action, &q.Action}} {
		switch {
		case input.Check(*s.typed, input.SingleLine) != nil:
			l.Errors[s.name] = v.T("admin.platform.audit.bad_text")
			*s.typed = "" // not shown back
		case utf8.RuneCountInString(*s.typed) > 200:
			l.Errors[s.name] = v.T("admin.field.too_long", "max", v.Number(200))
		default:
			*s.dst = *s.typed
		}
	}
	day := dayParam(v, time.UTC, l.Errors)
	q.From = day("from", f.From)
	if to := day("to", f.To); !to.IsZero() {
		q.To = to.AddDate(0, 0, 1) // the whole day
	}
	page, err := a.d.AuditLog.Search(ctx, q)
	if err != nil {
		return a.fail(c, err)
	}
	l.Entries = page.Entries
	if page.Next != 0 {
		next := f.Query()
		next.Set("before", strconv.FormatInt(page.Next, 10))
		l.Next = "/admin/platform/audit?" + next.Encode()
	}
	ts, err := a.d.Stores.List(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	for _, t := range ts {
		l.Slugs[t.ID.String()] = t.Slug
	}
	if c.Query("verify") == "1" {
		ver, err := a.d.AuditLog.VerifyAll(ctx)
		if err != nil {
			return a.fail(c, err)
		}
		l.Verified = &ver
	}
	if len(l.Errors) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.AuditPage(v, l))
}

// dayParam parses typed days (2026-12-31) at their start in loc: zero
// for "" (no bound); what is not a day from 2000 to 9999 is zero too, and
// said in bad under its field, in v's language.
func dayParam(v *ui.View, loc *time.Location, bad map[string]string) func(field, s string) time.Time {
	return func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02", s, loc)
		if err != nil || t.Year() < 2000 || t.Year() > 9999 {
			bad[field] = v.T("admin.orders.bad_date")
			return time.Time{}
		}
		return t
	}
}
