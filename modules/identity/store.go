package identity

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/db"
	"concierge/internal/errs"
)

// Every query here runs on the platform path (scope.PlatformTx): users and
// refresh tokens are platform tables, and a user's memberships span tenants.
// The one exception is listTenantMembers, which runs in a tenant's scoped
// transaction and relies on row-level security.

type userRow struct {
	bun.BaseModel   `bun:"table:users"`
	ID              uuid.UUID  `bun:"id,pk,type:uuid"`
	Email           string     `bun:"email"`
	PasswordHash    string     `bun:"password_hash"`
	IsPlatformAdmin bool       `bun:"is_platform_admin"`
	Status          string     `bun:"status"`
	CreatedAt       time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt       time.Time  `bun:"updated_at,nullzero,default:now()"`
	LastLoginAt     *time.Time `bun:"last_login_at"`
	Locale          *string    `bun:"locale"`
}

func (r *userRow) toUser() *User {
	u := &User{ID: r.ID, Email: r.Email, PlatformAdmin: r.IsPlatformAdmin, Status: r.Status,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, LastLoginAt: r.LastLoginAt}
	if r.Locale != nil {
		u.Locale = *r.Locale
	}
	return u
}

type membershipRow struct {
	bun.BaseModel `bun:"table:memberships"`
	TenantID      uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	UserID        uuid.UUID `bun:"user_id,pk,type:uuid"`
	Role          string    `bun:"role"`
	CreatedAt     time.Time `bun:"created_at,nullzero,default:now()"`
}

type refreshRow struct {
	bun.BaseModel `bun:"table:refresh_tokens"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	UserID        uuid.UUID  `bun:"user_id,type:uuid"`
	FamilyID      uuid.UUID  `bun:"family_id,type:uuid"`
	TokenHash     []byte     `bun:"token_hash"`
	ExpiresAt     time.Time  `bun:"expires_at"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()"`
	UsedAt        *time.Time `bun:"used_at"`
	RevokedAt     *time.Time `bun:"revoked_at"`
	UserAgent     string     `bun:"user_agent"`
	IP            string     `bun:"ip"`
}

// translate maps driver errors to the error vocabulary.
func translate(err error, what string) error { return db.Translate(err, what) }

func getUserByEmail(ctx context.Context, tx bun.IDB, email string) (*userRow, error) {
	r := new(userRow)
	err := tx.NewSelect().Model(r).Where("email = ?", email).Scan(ctx)
	return r, translate(err, "user")
}

func getUserByID(ctx context.Context, tx bun.IDB, id uuid.UUID) (*userRow, error) {
	r := new(userRow)
	err := tx.NewSelect().Model(r).Where("id = ?", id).Scan(ctx)
	return r, translate(err, "user")
}

// lockUserByEmail reads a user and locks the row for the transaction.
func lockUserByEmail(ctx context.Context, tx bun.IDB, email string) (*userRow, error) {
	r := new(userRow)
	err := tx.NewSelect().Model(r).Where("email = ?", email).For("UPDATE").Scan(ctx)
	return r, translate(err, "user")
}

// insertUserIfAbsent inserts r unless a user with its email exists; it reports
// whether it inserted.
func insertUserIfAbsent(ctx context.Context, tx bun.IDB, r *userRow) (bool, error) {
	res, err := tx.NewInsert().Model(r).On("CONFLICT (email) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, translate(err, "user")
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func setPlatformAdmin(ctx context.Context, tx bun.IDB, id uuid.UUID, admin bool) error {
	_, err := tx.NewUpdate().Model((*userRow)(nil)).
		Set("is_platform_admin = ?", admin).Set("updated_at = now()").Where("id = ?", id).Exec(ctx)
	return translate(err, "user")
}

func setLocale(ctx context.Context, tx bun.IDB, id uuid.UUID, locale string) error {
	res, err := tx.NewUpdate().Model((*userRow)(nil)).Set("locale = ?", locale).Set("updated_at = now()").Where("id = ?", id).Exec(ctx)
	if err != nil {
		return translate(err, "user")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.ErrNotFound
	}
	return nil
}

func setPasswordHash(ctx context.Context, tx bun.IDB, id uuid.UUID, hash string) error {
	_, err := tx.NewUpdate().Model((*userRow)(nil)).
		Set("password_hash = ?", hash).Set("updated_at = now()").Where("id = ?", id).Exec(ctx)
	return translate(err, "user")
}

func touchLogin(ctx context.Context, tx bun.IDB, id uuid.UUID) error {
	_, err := tx.NewUpdate().Model((*userRow)(nil)).Set("last_login_at = now()").Where("id = ?", id).Exec(ctx)
	return translate(err, "user")
}

// tenantRef is the part of a tenant identity needs.
type tenantRef struct {
	ID   uuid.UUID `bun:"id"`
	Slug string    `bun:"slug"`
}

// findTenant looks a tenant up by id or slug.
func findTenant(ctx context.Context, tx bun.IDB, slugOrID string) (tenantRef, error) {
	var t tenantRef
	q := tx.NewSelect().Table("tenants").Column("id", "slug")
	if id, err := uuid.Parse(slugOrID); err == nil {
		q = q.Where("id = ?", id)
	} else {
		q = q.Where("slug = ?", slugOrID)
	}
	err := q.Limit(1).Scan(ctx, &t)
	return t, translate(err, "tenant")
}

func getMembership(ctx context.Context, tx bun.IDB, tenantID, userID uuid.UUID) (*membershipRow, error) {
	r := new(membershipRow)
	err := tx.NewSelect().Model(r).Where("tenant_id = ? AND user_id = ?", tenantID, userID).Scan(ctx)
	return r, translate(err, "membership")
}

// upsertMembership sets the user's role in the tenant.
func upsertMembership(ctx context.Context, tx bun.IDB, r *membershipRow) error {
	_, err := tx.NewInsert().Model(r).On("CONFLICT (tenant_id, user_id) DO UPDATE").Set("role = EXCLUDED.role").
		Returning("created_at").Exec(ctx)
	return translate(err, "membership")
}

// listMemberships returns the user's memberships in every tenant, by slug.
func listMemberships(ctx context.Context, tx bun.IDB, userID uuid.UUID) ([]Membership, error) {
	var rows []struct {
		TenantID   uuid.UUID `bun:"tenant_id"`
		TenantSlug string    `bun:"slug"`
		Role       string    `bun:"role"`
		CreatedAt  time.Time `bun:"created_at"`
	}
	err := tx.NewSelect().TableExpr("memberships AS m").
		ColumnExpr("m.tenant_id, t.slug, m.role, m.created_at").
		Join("JOIN tenants AS t ON t.id = m.tenant_id").
		Where("m.user_id = ?", userID).OrderExpr("t.slug").Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := make([]Membership, len(rows))
	for i, r := range rows {
		out[i] = Membership{TenantID: r.TenantID, TenantSlug: r.TenantSlug, UserID: userID, Role: r.Role, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// listTenantMembers returns the memberships visible in tx; inside a tenant's
// scoped transaction, row-level security limits them to that tenant.
func listTenantMembers(ctx context.Context, tx bun.IDB) ([]Membership, error) {
	var rows []membershipRow
	if err := tx.NewSelect().Model(&rows).Order("created_at").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Membership, len(rows))
	for i, r := range rows {
		out[i] = Membership{TenantID: r.TenantID, UserID: r.UserID, Role: r.Role, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// loadGrant reads what the user holds in a tenant (or, for uuid.Nil, on the
// platform). An unknown user yields an inactive grant.
func loadGrant(ctx context.Context, tx bun.IDB, userID, tenantID uuid.UUID) (grant, error) {
	u, err := getUserByID(ctx, tx, userID)
	if errors.Is(err, errs.ErrNotFound) {
		return grant{}, nil
	}
	if err != nil {
		return grant{}, err
	}
	g := grant{Active: u.Status == StatusActive, PlatformAdmin: u.IsPlatformAdmin}
	if tenantID == uuid.Nil {
		return g, nil
	}
	m, err := getMembership(ctx, tx, tenantID, userID)
	switch {
	case errors.Is(err, errs.ErrNotFound):
	case err != nil:
		return grant{}, err
	default:
		g.Role = m.Role
	}
	return g, nil
}

func insertRefresh(ctx context.Context, tx bun.IDB, r *refreshRow) error {
	_, err := tx.NewInsert().Model(r).Returning("created_at").Exec(ctx)
	return translate(err, "refresh token")
}

// lockRefresh reads a refresh token by hash and locks it, so two concurrent
// refreshes with one token are serialised (the second sees it used).
func lockRefresh(ctx context.Context, tx bun.IDB, hash []byte) (*refreshRow, error) {
	r := new(refreshRow)
	err := tx.NewSelect().Model(r).Where("token_hash = ?", hash).For("UPDATE").Scan(ctx)
	return r, translate(err, "refresh token")
}

func markRefreshUsed(ctx context.Context, tx bun.IDB, id uuid.UUID) error {
	_, err := tx.NewUpdate().Model((*refreshRow)(nil)).Set("used_at = now()").Where("id = ?", id).Exec(ctx)
	return translate(err, "refresh token")
}

// revokeFamily revokes every token of a family not yet revoked.
func revokeFamily(ctx context.Context, tx bun.IDB, familyID uuid.UUID) (int64, error) {
	res, err := tx.NewUpdate().Model((*refreshRow)(nil)).Set("revoked_at = now()").
		Where("family_id = ? AND revoked_at IS NULL", familyID).Exec(ctx)
	if err != nil {
		return 0, translate(err, "refresh token")
	}
	return res.RowsAffected()
}

// familyRevoked reports whether any token of the family was revoked.
func familyRevoked(ctx context.Context, tx bun.IDB, familyID uuid.UUID) (bool, error) {
	var revoked bool
	err := tx.NewRaw(`SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NOT NULL)`, familyID).Scan(ctx, &revoked)
	return revoked, translate(err, "refresh token")
}

// ---------------------------------------------------------------------------
// Failed logins (login_failures: one fixed-window counter per subject)

// failureCount is a subject's counter whose window has not ended.
type failureCount struct {
	Kind      string `bun:"kind"`
	Subject   string `bun:"subject"`
	Failures  int    `bun:"failures"`
	Remaining int64  `bun:"remaining_ms"` // until the window ends, by the database's clock
}

// readFailures returns the live counters of subjects (primary-key lookups).
func readFailures(ctx context.Context, tx bun.IDB, subjects []loginSubject) ([]failureCount, error) {
	if len(subjects) == 0 {
		return nil, nil
	}
	var (
		conds []string
		args  []any
	)
	for _, ls := range subjects {
		conds = append(conds, "(kind = ? AND subject = ?)")
		args = append(args, ls.kind, ls.subject)
	}
	var out []failureCount
	err := tx.NewRaw(`SELECT kind, subject, failures,
		ceil(extract(epoch FROM window_ends - now()) * 1000)::bigint AS remaining_ms
		FROM login_failures WHERE (`+strings.Join(conds, " OR ")+`) AND window_ends > now()`, args...).Scan(ctx, &out)
	if err != nil {
		return nil, translate(err, "login failures")
	}
	return out, nil
}

// addFailures counts one failure for each subject in one statement: a new
// window starts when there is none or the last one ended.
func addFailures(ctx context.Context, tx bun.IDB, subjects []loginSubject, window time.Duration) error {
	if len(subjects) == 0 {
		return nil
	}
	var (
		rows []string
		args []any
	)
	for _, ls := range subjects {
		rows = append(rows, "(?, ?, 1, now() + ? * interval '1 millisecond')")
		args = append(args, ls.kind, ls.subject, window.Milliseconds())
	}
	_, err := tx.NewRaw(`INSERT INTO login_failures AS f (kind, subject, failures, window_ends)
		VALUES `+strings.Join(rows, ", ")+`
		ON CONFLICT (kind, subject) DO UPDATE SET
		  failures    = CASE WHEN f.window_ends <= now() THEN 1 ELSE f.failures + 1 END,
		  window_ends = CASE WHEN f.window_ends <= now() THEN EXCLUDED.window_ends ELSE f.window_ends END`, args...).Exec(ctx)
	return translate(err, "login failures")
}

// clearFailures drops a subject's counter.
func clearFailures(ctx context.Context, tx bun.IDB, ls loginSubject) error {
	_, err := tx.NewRaw(`DELETE FROM login_failures WHERE kind = ? AND subject = ?`, ls.kind, ls.subject).Exec(ctx)
	return translate(err, "login failures")
}

// purgeFailures deletes counters whose window ended before cutoff.
func purgeFailures(ctx context.Context, tx bun.IDB, cutoff time.Time) (int64, error) {
	res, err := tx.NewRaw(`DELETE FROM login_failures WHERE window_ends < ?`, cutoff).Exec(ctx)
	if err != nil {
		return 0, translate(err, "login failures")
	}
	return res.RowsAffected()
}

// ---------------------------------------------------------------------------
// Sessions

// sessionState is what decides whether a session's access tokens still work.
type sessionState struct {
	Found   bool   `bun:"found"`   // the user exists
	Status  string `bun:"status"`  // the user's status
	Known   bool   `bun:"known"`   // the family has a token of that user
	Revoked bool   `bun:"revoked"` // some token of the family was revoked
}

// live reports whether the session may go on: its user is active and its
// family is known and not revoked (logout and reuse detection revoke every
// token of a family; a family with any revoked token is over).
func (st sessionState) live() bool {
	return st.Found && st.Status == StatusActive && st.Known && !st.Revoked
}

// loadSession reads the state of a refresh family and its user in one query
// (refresh_tokens_family_idx, users primary key).
func loadSession(ctx context.Context, tx bun.IDB, familyID, userID uuid.UUID) (sessionState, error) {
	var st []sessionState
	err := tx.NewRaw(`SELECT true AS found, u.status,
		EXISTS (SELECT 1 FROM refresh_tokens rt WHERE rt.family_id = ? AND rt.user_id = u.id) AS known,
		EXISTS (SELECT 1 FROM refresh_tokens rt WHERE rt.family_id = ? AND rt.revoked_at IS NOT NULL) AS revoked
		FROM users u WHERE u.id = ?`, familyID, familyID, userID).Scan(ctx, &st)
	if err != nil {
		return sessionState{}, translate(err, "session")
	}
	if len(st) == 0 {
		return sessionState{}, nil
	}
	return st[0], nil
}
