package identity

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/db"
	"concierge/internal/httpx"
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
}

func (r *userRow) toUser() *User {
	return &User{ID: r.ID, Email: r.Email, PlatformAdmin: r.IsPlatformAdmin, Status: r.Status,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, LastLoginAt: r.LastLoginAt}
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
	if errors.Is(err, httpx.ErrNotFound) {
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
	case errors.Is(err, httpx.ErrNotFound):
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
