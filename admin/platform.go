package admin

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"concierge/admin/ui"
	"concierge/internal/errs"
	"concierge/modules/identity"
	"concierge/tenants"
)

// The platform area (platform admins: the platform domain's policy).

// platformTenants is GET /admin/platform/tenants: every tenant, newest
// first, with the onboarding form and suspend / activate.
func (a *Console) platformTenants(c *fiber.Ctx) error {
	return a.tenantsPage(c, ui.TenantForm{}, nil)
}

func (a *Console) tenantsPage(c *fiber.Ctx, form ui.TenantForm, bad map[string]string) error {
	ts, err := a.d.Stores.List(c.UserContext())
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.platform.tenants.title")
	switch c.Query("done") {
	case "created", "suspended", "activated":
		v.Flash = v.T("admin.platform.tenants.done." + c.Query("done"))
	}
	if len(bad) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.TenantsPage(v, ui.TenantsList{Tenants: ts, Form: form, Errors: bad,
		CanWrite: reqOf(c).platform.Can("platform", "write")}))
}

// platformCreateTenant is POST /admin/platform/tenants: onboard a tenant
// (audited with the admin as actor); field errors come back next to their
// fields with what was typed.
func (a *Console) platformCreateTenant(c *fiber.Ctx) error {
	form := ui.TenantForm{Slug: strings.ToLower(strings.TrimSpace(c.FormValue("slug"))), NameAR: strings.TrimSpace(c.FormValue("name_ar")),
		NameEN: strings.TrimSpace(c.FormValue("name_en"))}
	v := a.view(c, "admin.platform.tenants.title")
	bad := map[string]string{}
	if !tenants.ValidSlug(form.Slug) {
		bad["slug"] = v.T("admin.platform.tenants.bad_slug")
	}
	for field, val := range map[string]string{"name_ar": form.NameAR, "name_en": form.NameEN} {
		switch n := len([]rune(val)); {
		case n == 0:
			bad[field] = v.T("admin.field.required")
		case n > 200:
			bad[field] = v.T("admin.field.too_long", "max", v.Number(200))
		}
	}
	if len(bad) > 0 {
		return a.tenantsPage(c, form, bad)
	}
	_, err := a.d.Stores.Create(c.UserContext(), identity.ActorFrom(c.UserContext()).String(),
		tenants.CreateInput{Slug: form.Slug, NameAR: form.NameAR, NameEN: form.NameEN})
	switch {
	case err == nil:
	case errs.CodeOf(err) == errs.CodeConflict:
		return a.tenantsPage(c, form, map[string]string{"slug": v.T("admin.platform.tenants.taken")})
	case errs.CodeOf(err) == errs.CodeInvalid:
		for _, fe := range errs.FieldsOf(err) {
			bad[fe.Field] = a.d.Texts.Message(v.Lang, fe.Msg)
		}
		return a.tenantsPage(c, form, bad)
	default:
		return a.fail(c, err)
	}
	return c.Redirect("/admin/platform/tenants?done=created", fiber.StatusSeeOther)
}

// platformTenantStatus is POST /admin/platform/tenants/{slug}/suspend or
// /activate (audited).
func (a *Console) platformTenantStatus(suspend bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, slug := c.UserContext(), c.Params("slug")
		if !tenants.ValidSlug(slug) {
			return a.fail(c, errs.New(errs.CodeNotFound, "admin.not_found"))
		}
		actor := identity.ActorFrom(ctx).String()
		var err error
		done := "suspended"
		if suspend {
			_, err = a.d.Stores.Suspend(ctx, actor, slug)
		} else {
			st := tenants.StatusActive
			_, err = a.d.Stores.Update(ctx, actor, slug, tenants.UpdateInput{Status: &st})
			done = "activated"
		}
		if err != nil {
			return a.fail(c, err)
		}
		return c.Redirect("/admin/platform/tenants?done="+done, fiber.StatusSeeOther)
	}
}
