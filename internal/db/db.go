// Package db opens the PostgreSQL pool (pgx) wrapped by bun with pgdialect,
// and applies the embedded migrations (goose for the schema, River's own
// migrations for the job tables).
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"concierge/internal/errs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// AppRole is the role all tenant work runs as.
const AppRole = "concierge_app"

// PlatformRole is the role of the explicit cross-tenant path.
const PlatformRole = "concierge_platform"

// DB bundles the job worker's pgx pool (River's workers and LISTEN/NOTIFY)
// and the bun and database/sql handles on a pool of their own (queries and
// transactions; see Open).
type DB struct {
	Pool *pgxpool.Pool // the job worker's (pgx's default exec mode)
	SQL  *sql.DB       // queries and transactions (Bun, the job inserts)
	Bun  *bun.DB

	queries *pgxpool.Pool // behind SQL
}

// Open connects to url with at most maxConns connections for queries and
// transactions, and a small pool of its own for the job worker, and checks
// the connection.
//
// Two pools because the two clients talk differently. Bun writes every
// argument into the SQL text, so no two statements share a text: pgx's
// default mode would prepare (and cache) each one, a second round trip per
// query for a plan used once. Bun's pool runs them in QueryExecModeExec
// instead (one round trip, an unnamed statement). The job worker
// (riverpgxv5) sends typed arguments that need pgx's default mode, on Pool.
func Open(ctx context.Context, url string, maxConns int) (*DB, error) {
	pool, err := openPool(ctx, url, int32(maxConns), pgx.QueryExecModeExec)
	if err != nil {
		return nil, err
	}
	workerConns := int32(4)
	if maxConns > 16 {
		workerConns = int32(maxConns / 4)
	}
	jobsPool, err := openPool(ctx, url, workerConns, pgx.QueryExecModeCacheStatement)
	if err != nil {
		pool.Close()
		return nil, err
	}
	sqldb := stdlib.OpenDBFromPool(pool)
	return &DB{Pool: jobsPool, SQL: sqldb, Bun: bun.NewDB(sqldb, pgdialect.New()), queries: pool}, nil
}

func openPool(ctx context.Context, url string, maxConns int32, mode pgx.QueryExecMode) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("db: parse DATABASE_URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.ConnConfig.RuntimeParams["application_name"] = "concierge"
	cfg.ConnConfig.DefaultQueryExecMode = mode
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("db: connect: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: ping: %w", err)
	}
	return pool, nil
}

// Close closes the handles and the pool.
func (d *DB) Close() {
	_ = d.Bun.Close()
	d.queries.Close()
	d.Pool.Close()
}

// IsUniqueViolation reports whether err is SQLSTATE 23505; the constraint name
// is returned so a store can say which field conflicts.
func IsUniqueViolation(err error) (string, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.ConstraintName, true
	}
	return "", false
}

// IsForeignKeyViolation reports whether err is SQLSTATE 23503.
func IsForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

// IsCheckViolation reports whether err is SQLSTATE 23514 (or 22P02, a bad
// text representation such as an invalid uuid).
func IsCheckViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "23514" || pe.Code == "22P02")
}

// IsRLSViolation reports whether err is a row-level security refusal (42501).
func IsRLSViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42501" && strings.Contains(pe.Message, "row-level security")
}

// IsSuperuser reports whether the pool's session user bypasses RLS, in which
// case scoped transactions must switch role.
func IsSuperuser(ctx context.Context, b bun.IDB) (bool, error) {
	var super bool
	err := b.QueryRowContext(ctx, `SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = session_user`).Scan(&super)
	return super, err
}

// Translate maps driver errors to the shared error vocabulary, naming what
// the store was working on: no rows → not_found, 23505 → conflict, a check
// or bad value → invalid. Other errors pass through (internal).
func Translate(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return errs.Wrap(errs.CodeNotFound, fmt.Errorf("no such %s: %w", what, err), "error.not_found")
	}
	if _, ok := IsUniqueViolation(err); ok {
		return errs.Wrap(errs.CodeConflict, fmt.Errorf("%s already exists: %w", what, err), "error.exists")
	}
	if IsCheckViolation(err) {
		return errs.Wrap(errs.CodeInvalid, fmt.Errorf("the %s breaks a check: %w", what, err), "error.breaks_rule")
	}
	return err
}
