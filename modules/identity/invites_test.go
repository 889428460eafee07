package identity_test

import (
	"context"
	"errors"
	"testing"

	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/identity"
	"concierge/tenants"
)

// TestInvitesAndStaff: an owner invites a new person (who sets a password)
// and an existing user (who confirms theirs), each link works once; a
// revoked, expired or unknown link is refused; roles change but the last
// owner stays; removing a member ends their sessions at once; nothing
// crosses tenants, and every change is audited with its actor.
func TestInvitesAndStaff(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	alpha, beta := f.tenant(t, "alpha"), f.tenant(t, "beta")
	owner := f.user(t, "owner@alpha.test", false, "alpha", "owner")
	f.user(t, "owner@beta.test", false, "beta", "owner")
	bg := identity.WithPrincipal(context.Background(), &identity.Principal{UserID: owner.ID, Email: owner.Email})
	ctxA, ctxB := tenants.WithTenant(bg, alpha), tenants.WithTenant(bg, beta)

	// Bad input, and someone already on the staff.
	_, _, err := f.svc.CreateInvite(ctxA, "not an email", "boss")
	if fields := errs.FieldsOf(err); len(fields) != 2 {
		t.Fatalf("a bad invitation: %v", err)
	}
	if _, _, err := f.svc.CreateInvite(ctxA, "Owner@Alpha.test", "agent"); errs.CodeOf(err) != errs.CodeInvalid {
		t.Fatalf("inviting a member: %v", err)
	}

	// A new person: the link names the invitation, a short password is
	// refused, then they join and are signed in; the link is then spent.
	inv, tok, err := f.svc.CreateInvite(ctxA, " New@Alpha.test ", "agent")
	if err != nil || inv.Email != "new@alpha.test" || len(tok) < 40 {
		t.Fatalf("invite: %+v %q %v", inv, tok, err)
	}
	if list, err := f.svc.Invites(ctxA); err != nil || len(list) != 1 || list[0].ID != inv.ID {
		t.Fatalf("alpha's invitations: %+v %v", list, err)
	}
	if list, err := f.svc.Invites(ctxB); err != nil || len(list) != 0 {
		t.Fatalf("beta sees alpha's invitations: %+v %v", list, err)
	}
	got, err := f.svc.InviteByToken(context.Background(), tok)
	if err != nil || got.ID != inv.ID || got.UserExists || got.TenantID != alpha.ID {
		t.Fatalf("by token: %+v %v", got, err)
	}
	for _, bad := range []string{"", "nope", tok[:len(tok)-2] + "AA"} {
		if _, err := f.svc.InviteByToken(context.Background(), bad); !errors.Is(err, errs.ErrNotFound) || identity.IsInviteGone(err) {
			t.Fatalf("unknown token %q: %v", bad, err)
		}
	}
	if _, err := f.svc.AcceptInvite(context.Background(), identity.AcceptInput{Token: tok, Password: "short"}); errs.CodeOf(err) != errs.CodeInvalid {
		t.Fatalf("a short password: %v", err)
	}
	newTok, err := f.svc.AcceptInvite(context.Background(), identity.AcceptInput{Token: tok, Password: password})
	if err != nil || newTok.AccessToken == "" {
		t.Fatalf("accept: %v", err)
	}
	if _, err := f.svc.AcceptInvite(context.Background(), identity.AcceptInput{Token: tok, Password: password}); !identity.IsInviteGone(err) {
		t.Fatalf("the link used twice: %v", err)
	}
	newcomer := memberNamed(t, f, ctxA, "new@alpha.test")
	if newcomer.Role != "agent" {
		t.Fatalf("the newcomer: %+v", newcomer)
	}
	if acc, err := f.svc.AccessIn(context.Background(), newcomer.UserID, alpha.ID.String()); err != nil || !acc.Can("conversations", "write") || acc.Can("settings", "read") {
		t.Fatalf("the newcomer's access: %v", err)
	}

	// An existing user confirms with their own password; a wrong one
	// leaves the invitation pending.
	f.user(t, "old@else.test", false, "beta", "viewer")
	_, tok2, err := f.svc.CreateInvite(ctxA, "old@else.test", "manager")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.InviteByToken(context.Background(), tok2); got == nil || !got.UserExists {
		t.Fatalf("an existing user's invitation: %+v", got)
	}
	if _, err := f.svc.AcceptInvite(context.Background(), identity.AcceptInput{Token: tok2, Password: "not the password"}); errs.CodeOf(err) != errs.CodeUnauthorized {
		t.Fatalf("a wrong password: %v", err)
	}
	if _, err := f.svc.AcceptInvite(context.Background(), identity.AcceptInput{Token: tok2, Password: password}); err != nil {
		t.Fatalf("the existing user accepts: %v", err)
	}
	if m := memberNamed(t, f, ctxA, "old@else.test"); m.Role != "manager" {
		t.Fatalf("the existing user's role: %+v", m)
	}

	// Revoked (and not from another tenant), superseded, expired.
	inv3, tok3, _ := f.svc.CreateInvite(ctxA, "third@alpha.test", "viewer")
	if err := f.svc.RevokeInvite(ctxB, inv3.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("beta revokes alpha's invitation: %v", err)
	}
	if _, err := f.svc.InviteByToken(context.Background(), tok3); err != nil {
		t.Fatalf("still pending after beta's try: %v", err)
	}
	if err := f.svc.RevokeInvite(ctxA, inv3.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.InviteByToken(context.Background(), tok3); !identity.IsInviteGone(err) {
		t.Fatalf("a revoked link: %v", err)
	}
	_, tok4, _ := f.svc.CreateInvite(ctxA, "fourth@alpha.test", "viewer")
	_, tok5, _ := f.svc.CreateInvite(ctxA, "fourth@alpha.test", "manager")
	if _, err := f.svc.InviteByToken(context.Background(), tok4); !identity.IsInviteGone(err) {
		t.Fatalf("a superseded link: %v", err)
	}
	if err := f.scope.PlatformTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE staff_invites SET created_at = now() - interval '8 days', expires_at = now() - interval '1 day' WHERE email = 'fourth@alpha.test'`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AcceptInvite(context.Background(), identity.AcceptInput{Token: tok5, Password: password}); !identity.IsInviteGone(err) {
		t.Fatalf("an expired link: %v", err)
	}

	// Roles: the last owner stays one; other tenants' members are not
	// found.
	if err := f.svc.SetRole(ctxA, owner.ID, "manager"); !errors.Is(err, identity.ErrLastOwner) {
		t.Fatalf("demoting the last owner: %v", err)
	}
	if err := f.svc.SetRole(ctxA, newcomer.UserID, "boss"); errs.CodeOf(err) != errs.CodeInvalid {
		t.Fatalf("an unknown role: %v", err)
	}
	if err := f.svc.SetRole(ctxB, newcomer.UserID, "owner"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("beta changes alpha's member: %v", err)
	}
	if err := f.svc.SetRole(ctxA, newcomer.UserID, "viewer"); err != nil {
		t.Fatal(err)
	}
	if acc, _ := f.svc.AccessIn(context.Background(), newcomer.UserID, alpha.ID.String()); acc.Can("conversations", "write") || !acc.Can("settings", "read") {
		t.Fatal("the new role is not in force at once")
	}

	// Removal: not oneself, not the last owner (as a platform admin), not
	// from another tenant; the removed member's sessions end at once.
	if err := f.svc.RemoveMember(ctxA, owner.ID); !errors.Is(err, identity.ErrRemoveSelf) {
		t.Fatalf("removing oneself: %v", err)
	}
	root := f.user(t, "root@platform.test", true, "", "")
	asRoot := tenants.WithTenant(identity.WithPrincipal(context.Background(), &identity.Principal{UserID: root.ID, Email: root.Email}), alpha)
	if err := f.svc.RemoveMember(asRoot, owner.ID); !errors.Is(err, identity.ErrLastOwner) {
		t.Fatalf("removing the last owner: %v", err)
	}
	if err := f.svc.RemoveMember(ctxB, newcomer.UserID); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("beta removes alpha's member: %v", err)
	}
	if _, err := f.svc.VerifyAccessToken(context.Background(), newTok.AccessToken); err != nil {
		t.Fatalf("the newcomer's session before removal: %v", err)
	}
	if err := f.svc.RemoveMember(ctxA, newcomer.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.VerifyAccessToken(context.Background(), newTok.AccessToken); errs.CodeOf(err) != errs.CodeUnauthorized {
		t.Fatalf("the removed member's access token still works: %v", err)
	}
	if _, err := f.svc.Refresh(context.Background(), newTok.RefreshToken, "", ""); errs.CodeOf(err) != errs.CodeUnauthorized {
		t.Fatalf("the removed member's refresh still works: %v", err)
	}
	if acc, _ := f.svc.AccessIn(context.Background(), newcomer.UserID, alpha.ID.String()); acc.Any() {
		t.Fatal("the removed member keeps a role")
	}
	if err := f.svc.RemoveMember(ctxA, newcomer.UserID); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}

	// Audited, with the actor.
	var actions []struct{ Action, Actor string }
	if err := f.scope.PlatformTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`SELECT action, actor FROM audit_log WHERE tenant_id = ? ORDER BY seq`, alpha.ID).Scan(ctx, &actions)
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"invite.create": "user:owner@alpha.test", "invite.revoke": "user:owner@alpha.test",
		"invite.accept": "user:new@alpha.test", "membership.update": "user:owner@alpha.test", "membership.remove": "user:owner@alpha.test"}
	for _, a := range actions {
		if w, ok := want[a.Action]; ok && a.Actor == w {
			delete(want, a.Action)
		}
	}
	if len(want) > 0 {
		t.Fatalf("not audited with their actors: %v (log: %+v)", want, actions)
	}
}

func memberNamed(t *testing.T, f *fixture, ctx context.Context, email string) identity.Member {
	t.Helper()
	staff, err := f.svc.Staff(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range staff {
		if m.Email == email {
			return m
		}
	}
	t.Fatalf("%s is not on the staff: %+v", email, staff)
	return identity.Member{}
}
