// Package moduletest builds, for any module's tests, the real parts a
// capability runs on: a fresh migrated database connected as the app role
// (so forced row-level security behaves as in production), a Redis key space
// of its own, the tenants service and its scoped transactions, the audit log,
// an insert-only job client and the message catalog. One environment per
// test; tenants are onboarded with Tenant.
//
//	env := moduletest.New(t)
//	svc := catalog.New(cfg, catalog.Deps{Scope: env.Scope, Tenants: env.Tenants, Jobs: env.Jobs, ...})
//	shop := env.Tenant(t, "shop")      // a tenant and a context carrying it
//	p, err := svc.CreateProduct(shop.Ctx, ...)
package moduletest

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"concierge/internal/db"
	"concierge/internal/i18n"
	"concierge/internal/jobs"
	"concierge/internal/secrets"
	"concierge/internal/testenv"
	"concierge/modules/audit"
	"concierge/tenants"
)

// Env is one test's environment.
type Env struct {
	// URLs of the test's database (as the app role and as the owner).
	URLs    testenv.Database
	DB      *db.DB
	Redis   *redis.Client
	Prefix  string // the test's Redis key prefix
	Keys    *secrets.Keyring
	Scope   *tenants.Scope
	Tenants *tenants.Service
	Cache   *tenants.Cache // the tenants service's resolution cache
	Audit   *audit.Log
	Jobs    *jobs.Jobs // insert-only: jobs are stored, not worked
	Catalog *i18n.Catalog
	Log     *slog.Logger
}

// Option adjusts an environment before it is built.
type Option func(*options)

type options struct {
	rdb    *redis.Client
	prefix string
	jobs   jobs.Config
}

// WithRedis builds the environment on a given Redis (a private server the
// test may stop and restart, testenv.StartRedis).
func WithRedis(rdb *redis.Client, prefix string) Option {
	return func(o *options) { o.rdb, o.prefix = rdb, prefix }
}

// WithJobs changes the job client's configuration (Work: true for a test
// that runs workers).
func WithJobs(cfg jobs.Config) Option { return func(o *options) { o.jobs = cfg } }

// New builds the environment. Cleanup is registered on t.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	urls := testenv.NewDatabase(t)
	d := testenv.Open(t, urls.AppURL)
	if o.rdb == nil {
		o.rdb, o.prefix = testenv.Redis(t)
	}
	keys, err := secrets.New(secrets.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	scope := tenants.NewScope(d.Bun)
	auditLog := audit.New(audit.Config{}, audit.Deps{})
	o.jobs.Tenancy = tenants.JobTenancy()
	j, err := jobs.New(o.jobs, d, log)
	if err != nil {
		t.Fatal(err)
	}
	cache := tenants.NewCache(o.rdb, o.prefix, time.Minute, log)
	return &Env{
		URLs: urls, DB: d, Redis: o.rdb, Prefix: o.prefix, Keys: keys, Scope: scope, Audit: auditLog, Jobs: j,
		Tenants: tenants.New(scope, keys, cache, auditLog, "example.test", log), Cache: cache,
		Catalog: i18n.MustLoad(), Log: log,
	}
}

// Shop is an onboarded tenant and a context carrying it.
type Shop struct {
	*tenants.Tenant
	Ctx context.Context
}

var seq atomic.Int64

// Tenant onboards a tenant (SAR, Arabic first) whose slug starts with slug
// (a number makes it unique), with the custom domain <slug>.example.sa.
func (e *Env) Tenant(t testing.TB, slug string) Shop {
	t.Helper()
	slug += "-" + strconv.FormatInt(seq.Add(1), 10)
	ctx := context.Background()
	tn, err := e.Tenants.Create(ctx, "test", tenants.CreateInput{Slug: slug, NameEN: "Shop " + slug, NameAR: "متجر " + slug, DefaultLocale: "ar"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Tenants.AddDomain(ctx, "test", slug, tenants.DomainInput{Host: slug + ".example.sa"}); err != nil {
		t.Fatal(err)
	}
	return Shop{Tenant: tn, Ctx: tenants.WithTenant(ctx, tn)}
}
