package tenants

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/db"
)

// Scope runs work in scoped transactions. It is the only way modules reach
// tenant tables.
type Scope struct {
	db *bun.DB
}

// NewScope wraps the bun handle.
func NewScope(b *bun.DB) *Scope { return &Scope{db: b} }

// InTenantTx runs fn in a transaction scoped to the tenant of ctx: the
// transaction switches to the app role (no SUPERUSER, no BYPASSRLS, so forced
// RLS applies even when the pool connects as a superuser) and sets
// app.tenant_id transaction-locally, which is safe with pooled connections.
// Without a tenant in ctx it returns ErrNoTenant and runs nothing. fn's
// context carries the tenant and the transaction: an InTenantTx nested in fn
// (for the same tenant) joins it instead of taking a second connection, so a
// module called from another module's transaction (the catalog read by a
// conversation turn) neither waits for the pool nor sees a different
// snapshot. A nested call's error fails the outer transaction.
func (s *Scope) InTenantTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	t, err := FromContext(ctx)
	if err != nil {
		return err
	}
	if open, ok := ctx.Value(txKey{}).(openTx); ok && open.tenant == t.ID && open.role == db.AppRole {
		return fn(ctx, open.tx)
	}
	return s.inTx(ctx, db.AppRole, t.ID, fn)
}

// InTx reports whether ctx carries an open scoped transaction (an
// InTenantTx in it joins that transaction instead of opening one: a failed
// statement fails the caller's transaction, so the caller cannot retry).
func InTx(ctx context.Context) bool {
	_, ok := ctx.Value(txKey{}).(openTx)
	return ok
}

// txKey carries the open scoped transaction in fn's context.
type txKey struct{}

type openTx struct {
	tx     bun.Tx
	role   string
	tenant uuid.UUID
}

// PlatformTx runs fn on the explicit cross-tenant path: the transaction
// switches to the platform role, whose policies open the platform tables
// (tenants, domains, numbers, memberships, audit) across tenants. Tenant
// business tables have no platform policy, so nothing there is visible on this
// path. Callers are platform administration, resolution and sweeps, never a
// tenant request.
func (s *Scope) PlatformTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return s.inTx(ctx, db.PlatformRole, uuid.Nil, fn)
}

func (s *Scope) inTx(ctx context.Context, role string, tenantID uuid.UUID, fn func(ctx context.Context, tx bun.Tx) error) error {
	tid := ""
	if tenantID != uuid.Nil {
		tid = tenantID.String()
	}
	return s.db.RunInTx(ctx, &sql.TxOptions{}, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT set_config('role', ?, true), set_config('app.tenant_id', ?, true)`, role, tid); err != nil {
			return fmt.Errorf("tenants: scope transaction: %w", err)
		}
		return fn(context.WithValue(ctx, txKey{}, openTx{tx: tx, role: role, tenant: tenantID}), tx)
	})
}

// DB returns the underlying handle for code that must not touch tenant data
// (health checks, migrations status).
func (s *Scope) DB() *bun.DB { return s.db }
