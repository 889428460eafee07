// Package testenv gives each test real services cheaply: a fresh, migrated
// PostgreSQL database cloned from a template (pgtestdb) and connected as the
// application role, so forced row-level security behaves as in production,
// and its own Redis key space. `make test` starts the servers and sets
// DATABASE_URL and REDIS_URL.
package testenv

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/peterldowns/pgtestdb"
	"github.com/redis/go-redis/v9"

	"concierge/internal/db"
	"concierge/internal/rediskit"
	"concierge/migrations"
)

// OwnerRole owns the schema in test databases and runs the migrations, as a
// production migration user would: no superuser, allowed to create roles.
const OwnerRole = "concierge_owner"

func env(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run the tests with `make test`, which starts PostgreSQL and Redis", name)
	}
	return v
}

type migrator struct{}

// Hash changes whenever a migration file changes, so templates are rebuilt.
func (migrator) Hash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := migrations.FS.ReadFile(path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	h.Write([]byte("river-v0.51.2"))
	return hex.EncodeToString(h.Sum(nil))[:16], err
}

func (migrator) Migrate(ctx context.Context, sqldb *sql.DB, _ pgtestdb.Config) error {
	return db.MigrateUp(ctx, sqldb, io.Discard)
}

func baseConfig(t testing.TB) pgtestdb.Config {
	t.Helper()
	u, err := url.Parse(env(t, "DATABASE_URL"))
	if err != nil {
		t.Fatalf("parse DATABASE_URL: %v", err)
	}
	pw, _ := u.User.Password()
	return pgtestdb.Config{
		DriverName: "pgx",
		Host:       u.Hostname(),
		Port:       u.Port(),
		User:       u.User.Username(),
		Password:   pw,
		Database:   "postgres",
		Options:    "sslmode=disable",
		TestRole: &pgtestdb.Role{
			Username:     OwnerRole,
			Password:     OwnerRole,
			Capabilities: "NOSUPERUSER CREATEROLE",
		},
		ForceTerminateConnections: true,
	}
}

// Database is a fresh migrated database for one test.
type Database struct {
	// AppURL connects as concierge_app (what the product's tenant work runs as).
	AppURL string
	// OwnerURL connects as the schema owner (migrations, tamper tests).
	OwnerURL string
	// AdminURL connects as the server's superuser to the same database.
	AdminURL string
}

// NewDatabase clones the migrated template into a new database, dropped when
// the test ends.
func NewDatabase(t testing.TB) Database {
	t.Helper()
	conf := baseConfig(t)
	inst := pgtestdb.Custom(t, conf, migrator{})
	mk := func(user, pw string) string {
		u := url.URL{Scheme: "postgres", Host: inst.Host + ":" + inst.Port, Path: "/" + inst.Database, RawQuery: "sslmode=disable"}
		if pw != "" {
			u.User = url.UserPassword(user, pw)
		} else {
			u.User = url.User(user)
		}
		return u.String()
	}
	return Database{
		AppURL:   mk(db.AppRole, ""),
		OwnerURL: mk(OwnerRole, OwnerRole),
		AdminURL: mk(conf.User, conf.Password),
	}
}

// DB opens a pool on a fresh database as the application role.
func DB(t testing.TB) *db.DB {
	t.Helper()
	d := NewDatabase(t)
	return Open(t, d.AppURL)
}

// Open opens a pool on url, closed when the test ends.
func Open(t testing.TB, url string) *db.DB {
	t.Helper()
	h, err := db.Open(context.Background(), url, 10)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(h.Close)
	return h
}

// Redis returns a client and a key prefix no other test uses; the test's keys
// are deleted when it ends.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	c, err := rediskit.Open(context.Background(), env(t, "REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := fmt.Sprintf("test:%s:", hex.EncodeToString(b))
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		// Cluster-style hash-tagged keys carry the prefix too.
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
		_ = c.Close()
	})
	return c, prefix
}
