package db

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"

	"concierge/migrations"
)

func gooseProvider(sqldb *sql.DB) (*goose.Provider, error) {
	return goose.NewProvider(goose.DialectPostgres, sqldb, migrations.FS)
}

// MigrateUp applies every pending schema migration, then River's migrations,
// then grants the app role what it needs on River's tables. It is idempotent.
func MigrateUp(ctx context.Context, sqldb *sql.DB, out io.Writer) error {
	p, err := gooseProvider(sqldb)
	if err != nil {
		return err
	}
	res, err := p.Up(ctx)
	for _, r := range res {
		fmt.Fprintf(out, "migrated %s (%s)\n", r.Source.Path, r.Duration)
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	rm, err := rivermigrate.New(riverdatabasesql.New(sqldb), nil)
	if err != nil {
		return err
	}
	rres, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	for _, v := range rres.Versions {
		fmt.Fprintf(out, "migrated river %03d %s\n", v.Version, v.Name)
	}
	// River's tables are platform tables (job args carry tenant_id); the app
	// role inserts jobs inside tenant transactions and the worker runs as it.
	_, err = sqldb.ExecContext(ctx, `
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relname LIKE 'river\_%' AND c.relkind IN ('r', 'S', 'p')
  LOOP
    IF r.relkind = 'S' THEN
      EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %I TO concierge_app, concierge_platform', r.relname);
    ELSE
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %I TO concierge_app, concierge_platform', r.relname);
    END IF;
  END LOOP;
END
$$`)
	if err != nil {
		return fmt.Errorf("grant river tables: %w", err)
	}
	return nil
}

// MigrateDown rolls back the newest schema migration.
func MigrateDown(ctx context.Context, sqldb *sql.DB, out io.Writer) error {
	p, err := gooseProvider(sqldb)
	if err != nil {
		return err
	}
	r, err := p.Down(ctx)
	if r != nil {
		fmt.Fprintf(out, "rolled back %s\n", r.Source.Path)
	}
	return err
}

// Status prints each schema migration and whether it is applied.
func Status(ctx context.Context, sqldb *sql.DB, out io.Writer) error {
	p, err := gooseProvider(sqldb)
	if err != nil {
		return err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return err
	}
	for _, s := range st {
		at := "pending"
		if s.State == goose.StateApplied {
			at = "applied " + s.AppliedAt.Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(out, "%-40s %s\n", s.Source.Path, at)
	}
	rm, err := rivermigrate.New(riverdatabasesql.New(sqldb), nil)
	if err != nil {
		return err
	}
	v, err := rm.Validate(ctx, nil)
	if err != nil {
		return err
	}
	if v.OK {
		fmt.Fprintln(out, "river job tables                         current")
	} else {
		fmt.Fprintf(out, "river job tables                         pending: %v\n", v.Messages)
	}
	return nil
}

// LatestVersion is the newest embedded schema migration.
func LatestVersion() (int64, error) {
	return latestFromNames()
}

func latestFromNames() (int64, error) {
	entries, err := migrations.FS.ReadDir(".")
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, e := range entries {
		v, err := goose.NumericComponent(e.Name())
		if err == nil && v > latest {
			latest = v
		}
	}
	return latest, nil
}

// Current reports whether the database has every embedded migration, reading
// only the version table (cheap enough for /readyz).
func Current(ctx context.Context, sqldb *sql.DB) error {
	want, err := LatestVersion()
	if err != nil {
		return err
	}
	var got int64
	if err := sqldb.QueryRowContext(ctx, `SELECT COALESCE(max(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&got); err != nil {
		return fmt.Errorf("read migration version: %w", err)
	}
	if got < want {
		return fmt.Errorf("database at migration %d, binary expects %d: run `concierge migrate up`", got, want)
	}
	return nil
}
