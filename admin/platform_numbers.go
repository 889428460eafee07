package admin

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/nyaruka/phonenumbers"

	"concierge/admin/ui"
	"concierge/internal/errs"
	"concierge/modules/identity"
	"concierge/modules/whatsapp"
	"concierge/tenants"
)

// healthWindow is how far back a number's send errors are counted.
const healthWindow = 24 * time.Hour

// numbersPerPage bounds a page of numbers: the health is read for the
// tenants of the page only (a query and a Redis read each).
const numbersPerPage = 25

// platformNumbers is GET /admin/platform/numbers (?tenant=slug narrows it,
// ?after=<number id> pages it):
// every tenant's WhatsApp numbers with their health — the last verified
// webhook and the send errors of the last 24 hours by code — the add form
// and, per number, a form to replace its credentials. Credentials are
// write-only: the page says only whether each is set.
func (a *Console) platformNumbers(c *fiber.Ctx) error {
	return a.numbersPage(c, ui.NumberForm{Tenant: c.Query("tenant")}, nil, uuid.Nil, nil)
}

// numbersPage renders the page; bad are the add form's errors, or (when
// rowID is set) rowBad the replace form's of that number.
func (a *Console) numbersPage(c *fiber.Ctx, form ui.NumberForm, bad map[string]string, rowID uuid.UUID, rowBad map[string]string) error {
	ctx := c.UserContext()
	ts, err := a.d.Stores.List(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	ns, err := a.d.Onboarding.AllNumbers(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	byID := make(map[uuid.UUID]*tenants.Tenant, len(ts))
	for i := range ts {
		byID[ts[i].ID] = &ts[i]
	}
	filter := c.Query("tenant")
	if filter != "" && !tenants.ValidSlug(filter) {
		filter = ""
	}
	l := ui.NumbersList{Tenants: ts, Filter: filter, Form: form, Errors: bad, CanWrite: reqOf(c).platform.Can("platform", "write")}
	shown := ns[:0:0]
	for _, n := range ns {
		if t := byID[n.TenantID]; t != nil && (filter == "" || t.Slug == filter) {
			shown = append(shown, n)
		}
	}
	// The page: after ?after's number, or from the number whose form
	// failed (so its errors are on the page).
	after, _ := uuid.Parse(c.Query("after"))
	start := 0
	for i, n := range shown {
		if n.ID == rowID {
			start = i
			break
		}
		if n.ID == after {
			start = i + 1
		}
	}
	if end := start + numbersPerPage; end < len(shown) {
		shown = shown[start:end]
		next := url.Values{"after": {shown[len(shown)-1].ID.String()}}
		if filter != "" {
			next.Set("tenant", filter)
		}
		l.Next = "/admin/platform/numbers?" + next.Encode()
	} else {
		shown = shown[min(start, len(shown)):]
	}
	health := map[uuid.UUID]map[uuid.UUID]*whatsapp.NumberHealth{}
	since := a.d.Now().Add(-healthWindow)
	for _, n := range shown {
		t := byID[n.TenantID]
		if _, ok := health[t.ID]; !ok {
			if health[t.ID], err = a.d.Channel.Health(tenants.WithTenant(ctx, t), since); err != nil {
				return a.fail(c, err)
			}
		}
		row := ui.NumberRow{Number: n, Tenant: t}
		if h := health[t.ID][n.ID]; h != nil {
			row.Health = *h
		}
		if n.ID == rowID {
			row.Errors = rowBad
		}
		l.Numbers = append(l.Numbers, row)
	}
	v := a.view(c, "admin.platform.numbers.title")
	switch d := c.Query("done"); d {
	case "added", "updated":
		v.Flash = v.T("admin.platform.numbers.done." + d)
	}
	if len(bad) > 0 || len(rowBad) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.NumbersPage(v, l))
}

// platformAddNumber is POST /admin/platform/numbers: attach a WhatsApp
// number to a tenant with its credentials (sealed by the tenants service,
// audited with the admin as actor). Field errors come back next to their
// fields with what was typed — except the secrets, never shown back.
func (a *Console) platformAddNumber(c *fiber.Ctx) error {
	form := ui.NumberForm{Tenant: strings.TrimSpace(c.FormValue("tenant")), PhoneNumberID: strings.TrimSpace(c.FormValue("phone_number_id")),
		DisplayPhone: strings.TrimSpace(c.FormValue("display_phone")), WABAID: strings.TrimSpace(c.FormValue("waba_id"))}
	in := tenants.NumberInput{PhoneNumberID: form.PhoneNumberID, DisplayPhone: e164(form.DisplayPhone), WABAID: form.WABAID,
		AccessToken: strings.TrimSpace(c.FormValue("access_token")), AppSecret: strings.TrimSpace(c.FormValue("app_secret"))}
	lang := a.langOf(c)
	page := func(bad map[string]string) error { return a.numbersPage(c, form, bad, uuid.Nil, nil) }
	bad := map[string]string{}
	var t *tenants.Tenant
	if tenants.ValidSlug(form.Tenant) {
		var err error
		if t, err = a.d.Stores.Get(c.UserContext(), form.Tenant); err != nil && errs.CodeOf(err) != errs.CodeNotFound {
			return a.fail(c, err)
		}
	}
	if t == nil {
		bad["tenant"] = a.d.Texts.T(lang, "admin.platform.numbers.bad_tenant")
	}
	if err := platformRules.Clean(&in); err != nil {
		if errs.CodeOf(err) != errs.CodeInvalid {
			return a.fail(c, err)
		}
		for _, fe := range errs.FieldsOf(err) {
			bad[fe.Field] = a.d.Texts.Message(lang, fe.Msg)
		}
	}
	if len(bad) > 0 {
		return page(bad)
	}
	if _, err := a.d.Onboarding.AddNumber(c.UserContext(), identity.ActorFrom(c.UserContext()).String(), t.ID.String(), in); err != nil {
		return a.platformFormErrors(c, err, lang, page)
	}
	return c.Redirect("/admin/platform/numbers?done=added&tenant="+t.Slug, fiber.StatusSeeOther)
}

// platformUpdateNumber is POST /admin/platform/numbers/{id}: replace the
// number's access token and/or app secret (a blank field keeps it) or
// enable / disable it (audited).
func (a *Console) platformUpdateNumber(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return a.notFound(c)
	}
	n, err := a.numberByID(ctx, id)
	if err != nil {
		return a.fail(c, err)
	}
	var in tenants.NumberUpdate
	if s := strings.TrimSpace(c.FormValue("access_token")); s != "" {
		in.AccessToken = &s
	}
	if s := strings.TrimSpace(c.FormValue("app_secret")); s != "" {
		in.AppSecret = &s
	}
	if s := c.FormValue("status"); s != "" && s != n.Status {
		in.Status = &s
	}
	lang := a.langOf(c)
	page := func(bad map[string]string) error {
		return a.numbersPage(c, ui.NumberForm{Tenant: c.Query("tenant")}, nil, id, bad)
	}
	if err := platformRules.Clean(&in); err != nil {
		return a.platformFormErrors(c, err, lang, page)
	}
	if in == (tenants.NumberUpdate{}) {
		return page(map[string]string{"access_token": a.d.Texts.T(lang, "admin.platform.numbers.nothing")})
	}
	if _, err := a.d.Onboarding.UpdateNumber(ctx, identity.ActorFrom(ctx).String(), n.TenantID.String(), id, in); err != nil {
		return a.platformFormErrors(c, err, lang, page)
	}
	return c.Redirect("/admin/platform/numbers?done=updated", fiber.StatusSeeOther)
}

// numberByID finds a number among every tenant's.
func (a *Console) numberByID(ctx context.Context, id uuid.UUID) (*tenants.Number, error) {
	ns, err := a.d.Onboarding.AllNumbers(ctx)
	if err != nil {
		return nil, err
	}
	for i := range ns {
		if ns[i].ID == id {
			return &ns[i], nil
		}
	}
	return nil, errs.New(errs.CodeNotFound, "admin.not_found")
}

// e164 is a typed phone number in E.164 (Arabic-Indic digits and local
// forms taken), or what was typed when it is not one (the rules then say
// so).
func e164(s string) string {
	if p, err := phonenumbers.Parse(s, "SA"); err == nil && phonenumbers.IsValidNumber(p) {
		return phonenumbers.Format(p, phonenumbers.E164)
	}
	return s
}
