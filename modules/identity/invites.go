package identity

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/tenants"
)

// Staff of a tenant: invitations, roles, removal (the dashboard's staff
// page).
//
// An invitation is a one-time link: a random 256-bit token of which only
// the SHA-256 is stored (staff_invites, a tenant table), good for InviteTTL
// and once. The invitee opens it without a session: a new user sets a
// password, an existing one confirms theirs (through Login, so its
// throttling applies); either way they become a member with the invited
// role. A new invitation to the same email revokes the older one.
//
// Removing a member deletes the membership and revokes every session of
// the user at once (their refresh token families: the access tokens of
// those sessions stop too, see sessions.go), and drops their cached
// grants. The last owner of a tenant can be neither removed nor demoted,
// and nobody removes themselves. Every change is audited with the actor.

// InviteTTL is how long an invitation link stays good.
const InviteTTL = 7 * 24 * time.Hour

// Errors of invitations and membership changes.
var (
	// ErrInviteNotFound answers a token that names no invitation.
	ErrInviteNotFound = errs.New(errs.CodeNotFound, "identity.invite.not_found")
	// ErrInviteGone answers an invitation already used, revoked or expired
	// (a not_found error: match it with IsInviteGone).
	ErrInviteGone = errs.New(errs.CodeNotFound, "identity.invite.gone")
	// ErrMemberNotFound answers a user who is not a member of the tenant.
	ErrMemberNotFound = errs.New(errs.CodeNotFound, "identity.member.not_found")
	// ErrLastOwner refuses to remove or demote the tenant's last owner.
	ErrLastOwner = errs.New(errs.CodeConflict, "identity.member.last_owner")
	// ErrRemoveSelf refuses a member removing themselves.
	ErrRemoveSelf = errs.New(errs.CodeConflict, "identity.member.remove_self")
)

// IsInviteGone reports whether err says the invitation was used, revoked or
// has expired.
func IsInviteGone(err error) bool {
	var e *errs.Error
	return errors.As(err, &e) && e.Msg.ID == ErrInviteGone.Msg.ID
}

// Invite is an invitation to join a tenant's staff.
type Invite struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	Email      string
	Role       string
	InvitedBy  string // the actor who invited
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AcceptedAt *time.Time
	RevokedAt  *time.Time
	// UserExists (InviteByToken only): a user with the email exists, so
	// accepting asks for their password rather than a new one.
	UserExists bool
}

// Member is a tenant's staff member.
type Member struct {
	UserID      uuid.UUID
	Email       string
	Role        string
	Status      string // the user's (active, disabled)
	CreatedAt   time.Time
	LastLoginAt *time.Time
}

type inviteRow struct {
	bun.BaseModel `bun:"table:staff_invites"`
	TenantID      uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	Email         string     `bun:"email"`
	Role          string     `bun:"role"`
	TokenHash     []byte     `bun:"token_hash"`
	InvitedBy     string     `bun:"invited_by"`
	CreatedAt     time.Time  `bun:"created_at"`
	ExpiresAt     time.Time  `bun:"expires_at"`
	AcceptedAt    *time.Time `bun:"accepted_at"`
	AcceptedBy    *uuid.UUID `bun:"accepted_by,type:uuid"`
	RevokedAt     *time.Time `bun:"revoked_at"`
}

func (r *inviteRow) toInvite() *Invite {
	return &Invite{ID: r.ID, TenantID: r.TenantID, Email: r.Email, Role: r.Role, InvitedBy: r.InvitedBy,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, AcceptedAt: r.AcceptedAt, RevokedAt: r.RevokedAt}
}

// pending reports whether the invitation may still be accepted at now.
func (r *inviteRow) pending(now time.Time) bool {
	return r.AcceptedAt == nil && r.RevokedAt == nil && now.Before(r.ExpiresAt)
}

// hashInvite decodes a presented invitation token (base64url of 32 bytes)
// and returns its SHA-256.
func hashInvite(tok string) ([]byte, bool) {
	return hashRefresh(tok) // the same shape as a refresh token
}

// CreateInvite invites email to the staff of the tenant in ctx with role,
// audited (invite.create) as the context's actor, and returns the
// invitation with its token: the one time it exists outside the link.
// Errors: invalid (email, role; an email already on the staff).
func (s *Service) CreateInvite(ctx context.Context, email, role string) (*Invite, string, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, "", err
	}
	email = normaliseEmail(email)
	var fields []errs.FieldError
	if !validEmail(email) {
		fields = append(fields, errs.Field("email", "email", "field.email"))
	}
	if !ValidRole(role) {
		fields = append(fields, errs.Field("role", "oneof", "identity.role_oneof"))
	}
	if len(fields) > 0 {
		return nil, "", errs.Invalid(fields...)
	}
	var member bool
	err = s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		member, err = tx.NewSelect().TableExpr("memberships AS m").Join("JOIN users AS u ON u.id = m.user_id").
			Where("m.tenant_id = ? AND u.email = ?", t.ID, email).Exists(ctx)
		return translate(err, "membership")
	})
	if err != nil {
		return nil, "", err
	}
	if member {
		return nil, "", errs.Invalid(errs.Field("email", "unique", "identity.invite.member"))
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	sum := sha256.Sum256(raw)
	now := time.Now().UTC()
	actor := ActorFrom(ctx).String()
	r := &inviteRow{TenantID: t.ID, ID: uuid.Must(uuid.NewV7()), Email: email, Role: role, TokenHash: sum[:],
		InvitedBy: actor, CreatedAt: now, ExpiresAt: now.Add(InviteTTL)}
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// An older invitation to the same email ends here.
		if _, err := tx.NewUpdate().Model((*inviteRow)(nil)).Set("revoked_at = ?", now).
			Where("tenant_id = ? AND email = ? AND accepted_at IS NULL AND revoked_at IS NULL", t.ID, email).Exec(ctx); err != nil {
			return translate(err, "invite")
		}
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			return translate(err, "invite")
		}
		return s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: t.ID, Actor: actor, Action: "invite.create",
			Target: "invite:" + r.ID.String(), After: map[string]any{"email": email, "role": role, "expires_at": r.ExpiresAt}})
	})
	if err != nil {
		return nil, "", err
	}
	return r.toInvite(), base64.RawURLEncoding.EncodeToString(raw), nil
}

// Invites lists the pending invitations of the tenant in ctx, newest first.
func (s *Service) Invites(ctx context.Context) ([]Invite, error) {
	var rows []inviteRow
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return translate(tx.NewSelect().Model(&rows).
			Where("accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()").
			Order("created_at DESC").Limit(200).Scan(ctx), "invite")
	})
	out := make([]Invite, len(rows))
	for i := range rows {
		out[i] = *rows[i].toInvite()
	}
	return out, err
}

// RevokeInvite ends a pending invitation of the tenant in ctx (audited).
// Errors: not_found (no such pending invitation in this tenant).
func (s *Service) RevokeInvite(ctx context.Context, id uuid.UUID) error {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return err
	}
	return s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var r inviteRow
		err := tx.NewUpdate().Model(&r).Set("revoked_at = now()").
			Where("tenant_id = ? AND id = ? AND accepted_at IS NULL AND revoked_at IS NULL", t.ID, id).
			Returning("email, role").Scan(ctx)
		if err != nil {
			if errors.Is(translate(err, "invite"), errs.ErrNotFound) {
				return ErrInviteNotFound
			}
			return translate(err, "invite")
		}
		return s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: t.ID, Actor: ActorFrom(ctx).String(), Action: "invite.revoke",
			Target: "invite:" + id.String(), Before: map[string]string{"email": r.Email, "role": r.Role}})
	})
}

// InviteByToken returns the invitation a link's token names, whatever the
// tenant (the invitee has none yet). Errors: not_found (ErrInviteNotFound
// for an unknown token, ErrInviteGone for one used, revoked or expired).
func (s *Service) InviteByToken(ctx context.Context, token string) (*Invite, error) {
	var out *Invite
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := inviteByToken(ctx, tx, token, false)
		if err != nil {
			return err
		}
		out = r.toInvite()
		out.UserExists, err = tx.NewSelect().Model((*userRow)(nil)).Where("email = ?", r.Email).Exists(ctx)
		return translate(err, "user")
	})
	return out, err
}

// inviteByToken reads (lock: and locks) the pending invitation of token.
func inviteByToken(ctx context.Context, tx bun.IDB, token string, lock bool) (*inviteRow, error) {
	h, ok := hashInvite(token)
	if !ok {
		return nil, ErrInviteNotFound
	}
	r := new(inviteRow)
	q := tx.NewSelect().Model(r).Where("token_hash = ?", h)
	if lock {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if err = translate(err, "invite"); errors.Is(err, errs.ErrNotFound) {
			return nil, ErrInviteNotFound
		}
		return nil, err
	}
	if !r.pending(time.Now()) {
		return nil, ErrInviteGone
	}
	return r, nil
}

// AcceptInput is an invitee's answer to an invitation.
type AcceptInput struct {
	Token string
	// Password is the new user's password, or the existing user's.
	Password  string
	IP        string
	UserAgent string
}

// AcceptInvite makes the invitee a member of the inviting tenant with the
// invited role and signs them in (a new session). A user with the
// invitation's email must give their password (checked by Login: its
// throttling and failure counting apply); otherwise the user is created
// with Password. Audited as the invitee (invite.accept, membership.add).
// Errors: not_found (ErrInviteNotFound, ErrInviteGone), invalid (a new
// password too short or long), unauthorized (a wrong password),
// rate_limited.
func (s *Service) AcceptInvite(ctx context.Context, in AcceptInput) (*Tokens, error) {
	inv, err := s.InviteByToken(ctx, in.Token)
	if err != nil {
		return nil, err
	}
	login := LoginInput{Email: inv.Email, Password: in.Password, IP: in.IP, UserAgent: in.UserAgent}
	if inv.UserExists {
		tok, err := s.Login(ctx, login)
		if err != nil {
			return nil, err
		}
		if err := s.accept(ctx, in.Token, ""); err != nil {
			// The session just opened belongs to a refused acceptance.
			_ = s.Logout(context.WithoutCancel(ctx), tok.RefreshToken)
			return nil, err
		}
		return tok, nil
	}
	if err := checkPassword(in.Password); err != nil {
		return nil, err
	}
	hash, err := s.hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	if err := s.accept(ctx, in.Token, hash); err != nil {
		return nil, err
	}
	return s.Login(ctx, login)
}

// accept records an acceptance: the user created first when hash is
// given (a new user), the membership set, the invitation used.
func (s *Service) accept(ctx context.Context, token, hash string) error {
	var userID uuid.UUID
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := inviteByToken(ctx, tx, token, true)
		if err != nil {
			return err
		}
		actor := UserActor(r.Email).String()
		if hash != "" {
			u := &userRow{ID: uuid.Must(uuid.NewV7()), Email: r.Email, PasswordHash: hash, Status: StatusActive}
			created, err := insertUserIfAbsent(ctx, tx, u)
			if err != nil {
				return err
			}
			if !created { // made meanwhile: they must sign in with their own password
				return ErrInviteGone
			}
			if err := s.audit.Record(ctx, tx, tenants.AuditEntry{Actor: actor, Action: "user.create",
				Target: "user:" + u.ID.String(), After: auditUser(u)}); err != nil {
				return err
			}
		}
		u, err := lockUserByEmail(ctx, tx, r.Email)
		if err != nil {
			return err
		}
		userID = u.ID
		old, err := getMembership(ctx, tx, r.TenantID, u.ID)
		switch {
		case errors.Is(err, errs.ErrNotFound):
			old = nil
		case err != nil:
			return err
		}
		if err := upsertMembership(ctx, tx, &membershipRow{TenantID: r.TenantID, UserID: u.ID, Role: r.Role}); err != nil {
			return err
		}
		e := tenants.AuditEntry{TenantID: r.TenantID, Actor: actor, Action: "membership.add", Target: "user:" + u.ID.String(),
			After: map[string]string{"email": u.Email, "role": r.Role, "invite": r.ID.String()}}
		if old != nil {
			e.Action, e.Before = "membership.update", map[string]string{"email": u.Email, "role": old.Role}
		}
		if err := s.audit.Record(ctx, tx, e); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*inviteRow)(nil)).Set("accepted_at = now(), accepted_by = ?", u.ID).
			Where("tenant_id = ? AND id = ?", r.TenantID, r.ID).Exec(ctx); err != nil {
			return translate(err, "invite")
		}
		return s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: r.TenantID, Actor: actor, Action: "invite.accept",
			Target: "invite:" + r.ID.String(), After: map[string]string{"email": r.Email, "role": r.Role}})
	})
	if err != nil {
		return err
	}
	s.InvalidateGrants(ctx, userID)
	return nil
}

// Staff lists the members of the tenant in ctx with their emails, oldest
// first.
func (s *Service) Staff(ctx context.Context) ([]Member, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		UserID      uuid.UUID  `bun:"user_id"`
		Email       string     `bun:"email"`
		Role        string     `bun:"role"`
		Status      string     `bun:"status"`
		CreatedAt   time.Time  `bun:"created_at"`
		LastLoginAt *time.Time `bun:"last_login_at"`
	}
	err = s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return translate(tx.NewSelect().TableExpr("memberships AS m").
			ColumnExpr("m.user_id, u.email, m.role, u.status, m.created_at, u.last_login_at").
			Join("JOIN users AS u ON u.id = m.user_id").Where("m.tenant_id = ?", t.ID).
			OrderExpr("m.created_at, u.email").Scan(ctx, &rows), "membership")
	})
	out := make([]Member, len(rows))
	for i, r := range rows {
		out[i] = Member{UserID: r.UserID, Email: r.Email, Role: r.Role, Status: r.Status, CreatedAt: r.CreatedAt, LastLoginAt: r.LastLoginAt}
	}
	return out, err
}

// lockMember reads the user's membership in the tenant, and locks the
// tenant's owner memberships first (so two changes cannot each leave the
// other as the last owner), and reports how many owners there are.
func lockMember(ctx context.Context, tx bun.IDB, tenantID, userID uuid.UUID) (*membershipRow, int, error) {
	var owners []membershipRow
	if err := tx.NewSelect().Model(&owners).Where("tenant_id = ? AND role = ?", tenantID, RoleOwner).
		Order("user_id").For("UPDATE").Scan(ctx); err != nil {
		return nil, 0, translate(err, "membership")
	}
	m := new(membershipRow)
	err := tx.NewSelect().Model(m).Where("tenant_id = ? AND user_id = ?", tenantID, userID).For("UPDATE").Scan(ctx)
	if err = translate(err, "membership"); errors.Is(err, errs.ErrNotFound) {
		return nil, 0, ErrMemberNotFound
	}
	return m, len(owners), err
}

// SetRole changes a member's role in the tenant in ctx (audited,
// membership.update; their cached grants dropped). Errors: invalid (an
// unknown role), not_found (not a member), conflict (the last owner
// demoted).
func (s *Service) SetRole(ctx context.Context, userID uuid.UUID, role string) error {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return err
	}
	if !ValidRole(role) {
		return errs.Invalid(errs.Field("role", "oneof", "identity.role_oneof"))
	}
	err = s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		m, owners, err := lockMember(ctx, tx, t.ID, userID)
		if err != nil {
			return err
		}
		if m.Role == role {
			return nil
		}
		if m.Role == RoleOwner && owners <= 1 {
			return ErrLastOwner
		}
		if _, err := tx.NewUpdate().Model((*membershipRow)(nil)).Set("role = ?", role).
			Where("tenant_id = ? AND user_id = ?", t.ID, userID).Exec(ctx); err != nil {
			return translate(err, "membership")
		}
		return s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: t.ID, Actor: ActorFrom(ctx).String(), Action: "membership.update",
			Target: "user:" + userID.String(), Before: map[string]string{"role": m.Role}, After: map[string]string{"role": role}})
	})
	if err != nil {
		return err
	}
	s.InvalidateGrants(ctx, userID)
	return nil
}

// RemoveMember takes a member off the staff of the tenant in ctx and ends
// every session of theirs at once: their refresh token families are
// revoked (so the access tokens of those sessions stop too), in this
// process at once and in the others as sessions.go describes, and their
// cached grants are dropped. Audited (membership.remove). Errors:
// not_found (not a member), conflict (removing oneself, or the last
// owner).
func (s *Service) RemoveMember(ctx context.Context, userID uuid.UUID) error {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return err
	}
	if me, ok := UserIDFrom(ctx); ok && me == userID {
		return ErrRemoveSelf
	}
	var families []uuid.UUID
	err = s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		m, owners, err := lockMember(ctx, tx, t.ID, userID)
		if err != nil {
			return err
		}
		if m.Role == RoleOwner && owners <= 1 {
			return ErrLastOwner
		}
		if _, err := tx.NewDelete().Model((*membershipRow)(nil)).Where("tenant_id = ? AND user_id = ?", t.ID, userID).Exec(ctx); err != nil {
			return translate(err, "membership")
		}
		if err := tx.NewRaw(`UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = ? AND revoked_at IS NULL RETURNING family_id`,
			userID).Scan(ctx, &families); err != nil && !errors.Is(translate(err, "refresh token"), errs.ErrNotFound) {
			return translate(err, "refresh token")
		}
		slices.SortFunc(families, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
		families = slices.Compact(families)
		return s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: t.ID, Actor: ActorFrom(ctx).String(), Action: "membership.remove",
			Target: "user:" + userID.String(), Before: map[string]string{"role": m.Role}, After: map[string]int{"sessions_revoked": len(families)}})
	})
	if err != nil {
		return err
	}
	s.InvalidateGrants(ctx, userID)
	for _, f := range families {
		s.sessionRevoked(ctx, f)
	}
	return nil
}
