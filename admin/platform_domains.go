package admin

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/admin/ui"
	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/modules/identity"
	"concierge/tenants"
)

// platformRules validates the platform forms with the API's request rules
// (the tenants package's input types), so a form takes exactly what the API
// takes.
var platformRules = httpx.NewValidator()

// platformTenantOf is the tenant of :slug; a slug that cannot be one is a
// tenant that does not exist.
func (a *Console) platformTenantOf(c *fiber.Ctx) (*tenants.Tenant, error) {
	slug := c.Params("slug")
	if !tenants.ValidSlug(slug) {
		return nil, errs.New(errs.CodeNotFound, "admin.not_found")
	}
	return a.d.Stores.Get(c.UserContext(), slug)
}

// platformTenant is GET /admin/platform/tenants/{slug}: the tenant, its
// domains (add, remove) and its WhatsApp numbers.
func (a *Console) platformTenant(c *fiber.Ctx) error {
	t, err := a.platformTenantOf(c)
	if err != nil {
		return a.fail(c, err)
	}
	return a.tenantPage(c, t, ui.DomainForm{}, nil)
}

func (a *Console) tenantPage(c *fiber.Ctx, t *tenants.Tenant, form ui.DomainForm, bad map[string]string) error {
	ctx := c.UserContext()
	ds, err := a.d.Onboarding.Domains(ctx, t.ID.String())
	if err != nil {
		return a.fail(c, err)
	}
	ns, err := a.d.Onboarding.Numbers(ctx, t.ID.String())
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.platform.tenant.page")
	v.Title = v.T("admin.platform.tenant.title", "slug", t.Slug)
	switch d := c.Query("done"); d {
	case "domain_added", "domain_removed":
		v.Flash = v.T("admin.platform.tenant.done." + d)
	}
	if len(bad) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.TenantDetailPage(v, ui.TenantDetail{Tenant: t, Domains: ds, Numbers: ns, Form: form, Errors: bad,
		CanWrite: reqOf(c).platform.Can("platform", "write")}))
}

// platformAddDomain is POST /admin/platform/tenants/{slug}/domains: attach
// a host (audited with the admin as actor); a bad or taken host is said
// next to the field with what was typed.
func (a *Console) platformAddDomain(c *fiber.Ctx) error {
	t, err := a.platformTenantOf(c)
	if err != nil {
		return a.fail(c, err)
	}
	form := ui.DomainForm{Host: strings.TrimSpace(c.FormValue("host")), Primary: c.FormValue("primary") == "on"}
	in := tenants.DomainInput{Host: strings.ToLower(strings.TrimSuffix(form.Host, ".")), IsPrimary: form.Primary}
	lang := a.langOf(c)
	if err := platformRules.Clean(&in); err != nil {
		return a.platformFormErrors(c, err, lang, func(bad map[string]string) error { return a.tenantPage(c, t, form, bad) })
	}
	_, err = a.d.Onboarding.AddDomain(c.UserContext(), identity.ActorFrom(c.UserContext()).String(), t.ID.String(), in)
	if err != nil {
		return a.platformFormErrors(c, err, lang, func(bad map[string]string) error { return a.tenantPage(c, t, form, bad) })
	}
	return c.Redirect("/admin/platform/tenants/"+t.Slug+"?done=domain_added", fiber.StatusSeeOther)
}

// platformRemoveDomain is POST
// /admin/platform/tenants/{slug}/domains/{id}/remove (audited). Another
// tenant's domain id is not found.
func (a *Console) platformRemoveDomain(c *fiber.Ctx) error {
	t, err := a.platformTenantOf(c)
	if err != nil {
		return a.fail(c, err)
	}
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return a.notFound(c)
	}
	if err := a.d.Onboarding.RemoveDomain(c.UserContext(), identity.ActorFrom(c.UserContext()).String(), t.ID.String(), id); err != nil {
		return a.fail(c, err)
	}
	return c.Redirect("/admin/platform/tenants/"+t.Slug+"?done=domain_removed", fiber.StatusSeeOther)
}

// platformFormErrors shows an invalid input's field errors (or a taken
// value's) in lang through page with status 422; any other error is the
// error page.
func (a *Console) platformFormErrors(c *fiber.Ctx, err error, lang string, page func(bad map[string]string) error) error {
	switch errs.CodeOf(err) {
	case errs.CodeInvalid, errs.CodeConflict:
		bad := map[string]string{}
		for _, fe := range errs.FieldsOf(err) {
			if fe.Code == "unique" {
				bad[fe.Field] = a.d.Texts.T(lang, "admin.platform.taken")
				continue
			}
			bad[fe.Field] = a.d.Texts.Message(lang, fe.Msg)
		}
		if len(bad) > 0 {
			return page(bad)
		}
	}
	return a.fail(c, err)
}
