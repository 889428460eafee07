package admin

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/admin/ui"
	"concierge/internal/errs"
	"concierge/internal/i18n"
	"concierge/modules/identity"
)

// The staff (GET /admin/staff): the members with their roles, pending
// invitations, and for those who may manage staff (owners) the invite
// form, role changes and removal. An invitation is a one-time link shown
// once; the invitee opens it without a session (GET/POST
// /admin/invite/{token}), sets or confirms a password and is signed in.
// Removing a member ends their sessions at once (identity.RemoveMember):
// their open dashboard goes to the sign-in page on its next request.

// Staff manages a tenant's staff (identity.Service).
type Staff interface {
	Staff(ctx context.Context) ([]identity.Member, error)
	Invites(ctx context.Context) ([]identity.Invite, error)
	CreateInvite(ctx context.Context, email, role string) (*identity.Invite, string, error)
	RevokeInvite(ctx context.Context, id uuid.UUID) error
	InviteByToken(ctx context.Context, token string) (*identity.Invite, error)
	AcceptInvite(ctx context.Context, in identity.AcceptInput) (*identity.Tokens, error)
	SetRole(ctx context.Context, userID uuid.UUID, role string) error
	RemoveMember(ctx context.Context, userID uuid.UUID) error
}

var staffRoles = []string{identity.RoleOwner, identity.RoleManager, identity.RoleAgent, identity.RoleViewer}

// staffPage is GET /admin/staff.
func (a *Console) staffPage(c *fiber.Ctx) error {
	return a.renderStaff(c, ui.InviteForm{Role: identity.RoleAgent}, nil, "")
}

func (a *Console) renderStaff(c *fiber.Ctx, f ui.InviteForm, bad map[string]string, link string) error {
	ctx, r := c.UserContext(), reqOf(c)
	members, err := a.d.Staff.Staff(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	invites, err := a.d.Staff.Invites(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.staff.title")
	switch d := c.Query("done"); d {
	case "role", "removed", "revoked":
		v.Flash = v.T("admin.staff.done." + d)
	}
	if link != "" {
		v.Flash = v.T("admin.staff.done.invited")
	}
	if len(bad) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.StaffView(v, ui.StaffPage{Members: members, Invites: invites, Roles: staffRoles, Me: r.p.UserID.String(),
		CanWrite: r.access.Can("staff", "write"), Form: f, Errors: bad, Link: link}))
}

// staffInvite is POST /admin/staff/invites: an invitation (email, role);
// its link is shown this once.
func (a *Console) staffInvite(c *fiber.Ctx) error {
	f := ui.InviteForm{Email: strings.TrimSpace(c.FormValue("email")), Role: c.FormValue("role")}
	_, tok, err := a.d.Staff.CreateInvite(c.UserContext(), f.Email, f.Role)
	if err != nil {
		if errs.CodeOf(err) == errs.CodeInvalid {
			bad := map[string]string{}
			a.fieldErrors(c, err, bad, "email", nil)
			return a.renderStaff(c, f, bad, "")
		}
		return a.fail(c, err)
	}
	return a.renderStaff(c, ui.InviteForm{Role: identity.RoleAgent}, nil, c.BaseURL()+"/admin/invite/"+tok)
}

// paramID parses an id of the URL; one that is not an id is not found.
func paramID(c *fiber.Ctx, name string) (uuid.UUID, bool) {
	id, err := uuid.Parse(c.Params(name))
	return id, err == nil
}

// staffRevoke is POST /admin/staff/invites/{id}/revoke.
func (a *Console) staffRevoke(c *fiber.Ctx) error {
	id, ok := paramID(c, "id")
	if !ok {
		return a.notFound(c)
	}
	if err := a.d.Staff.RevokeInvite(c.UserContext(), id); err != nil {
		return a.fail(c, err)
	}
	return c.Redirect("/admin/staff?done=revoked", fiber.StatusSeeOther)
}

// staffRole is POST /admin/staff/{user}/role: the member's new role.
func (a *Console) staffRole(c *fiber.Ctx) error {
	return a.staffChange(c, "role", func(ctx context.Context, id uuid.UUID) error {
		return a.d.Staff.SetRole(ctx, id, c.FormValue("role"))
	})
}

// staffRemove is POST /admin/staff/{user}/remove: the member taken off
// the staff, their sessions ended.
func (a *Console) staffRemove(c *fiber.Ctx) error {
	return a.staffChange(c, "removed", a.d.Staff.RemoveMember)
}

// staffChange runs a change of a member; what the service refuses (the
// last owner, oneself, a role that is none) is said on the staff page.
func (a *Console) staffChange(c *fiber.Ctx, done string, change func(context.Context, uuid.UUID) error) error {
	id, ok := paramID(c, "user")
	if !ok {
		return a.notFound(c)
	}
	err := change(c.UserContext(), id)
	switch errs.CodeOf(err) {
	case errs.CodeConflict, errs.CodeInvalid:
		var e *errs.Error
		msg := a.d.Texts.T(a.langOf(c), "admin.error.invalid")
		if errors.As(err, &e) && e.Msg.ID != "" && e.Code == errs.CodeConflict {
			msg = a.d.Texts.Message(a.langOf(c), e.Msg)
		}
		return a.renderStaff(c, ui.InviteForm{Role: identity.RoleAgent}, map[string]string{"member-" + id.String(): msg}, "")
	}
	if err != nil {
		return a.fail(c, err)
	}
	return c.Redirect("/admin/staff?done="+done, fiber.StatusSeeOther)
}

// ---- the invitee's side (no session) ----

// invitation reads the link's invitation; on a tenant host it must be
// that tenant's. Used, withdrawn or expired: 410; unknown: 404.
func (a *Console) invitation(c *fiber.Ctx) (*identity.Invite, string, error) {
	ctx := c.UserContext()
	tok := c.Params("token")
	if len(tok) > 100 {
		return nil, "", identity.ErrInviteNotFound
	}
	inv, err := a.d.Staff.InviteByToken(ctx, tok)
	if err != nil {
		return nil, "", err
	}
	if host, err := a.d.Stores.ResolveHost(ctx, string(c.Request().Host())); err == nil && host.ID != inv.TenantID {
		return nil, "", identity.ErrInviteNotFound
	}
	t, err := a.d.Stores.Get(ctx, inv.TenantID.String())
	if err != nil {
		return nil, "", err
	}
	return inv, i18n.Pick(a.langOf(c), t.NameAR, t.NameEN), nil
}

// inviteFail answers a link that does not work: 410 for a spent one, the
// error page otherwise.
func (a *Console) inviteFail(c *fiber.Ctx, err error) error {
	if !identity.IsInviteGone(err) {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.staff.invitee.gone_title")
	c.Status(fiber.StatusGone)
	return a.render(c, ui.ErrorView(v, ui.ErrorPage{Status: fiber.StatusGone, Title: v.T("admin.staff.invitee.gone_title"), Body: v.T("admin.staff.invitee.gone_body")}))
}

// invitePage is GET /admin/invite/{token}: whom the link invites, and the
// form to accept (a new password, or the account's own).
func (a *Console) invitePage(c *fiber.Ctx) error {
	inv, store, err := a.invitation(c)
	if err != nil {
		return a.inviteFail(c, err)
	}
	return a.renderInvite(c, inv, store, nil, "", fiber.StatusOK)
}

func (a *Console) renderInvite(c *fiber.Ctx, inv *identity.Invite, store string, bad map[string]string, msg string, status int) error {
	v := a.view(c, "admin.staff.invitee.title")
	c.Set("Referrer-Policy", "same-origin") // the link is a secret: never sent to another site
	c.Status(status)
	return a.render(c, ui.InviteView(v, ui.InvitePage{Store: store, Email: inv.Email, Role: inv.Role, Expires: inv.ExpiresAt,
		Existing: inv.UserExists, Token: a.loginToken(c), Errors: bad, Error: msg}))
}

// acceptInvite is POST /admin/invite/{token}: the invitee joins and is
// signed in.
func (a *Console) acceptInvite(c *fiber.Ctx) error {
	inv, store, err := a.invitation(c)
	if err != nil {
		return a.inviteFail(c, err)
	}
	lang := a.langOf(c)
	password := c.FormValue("password")
	if len(password) > 1024 {
		password = password[:1025] // still too long: the service says so
	}
	if !inv.UserExists && password != c.FormValue("password_again") {
		return a.renderInvite(c, inv, store, map[string]string{"password_again": a.d.Texts.T(lang, "admin.staff.invitee.mismatch")}, "", fiber.StatusUnprocessableEntity)
	}
	tok, err := a.d.Staff.AcceptInvite(c.UserContext(), identity.AcceptInput{Token: c.Params("token"), Password: password,
		IP: a.d.ClientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent)})
	if err != nil {
		switch errs.CodeOf(err) {
		case errs.CodeInvalid:
			bad := map[string]string{}
			a.fieldErrors(c, err, bad, "password", nil)
			return a.renderInvite(c, inv, store, bad, "", fiber.StatusUnprocessableEntity)
		case errs.CodeUnauthorized:
			return a.renderInvite(c, inv, store, nil, a.d.Texts.T(lang, "admin.login.failed"), fiber.StatusUnauthorized)
		case errs.CodeRateLimited:
			return a.renderInvite(c, inv, store, nil, a.d.Texts.T(lang, "admin.login.throttled"), fiber.StatusTooManyRequests)
		}
		return a.inviteFail(c, err)
	}
	if err := a.startSession(c, tok, inv.TenantID); err != nil {
		return a.fail(c, err)
	}
	return c.Redirect("/admin", fiber.StatusSeeOther)
}
