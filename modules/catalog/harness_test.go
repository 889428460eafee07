package catalog_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"concierge/internal/jobs"
	"concierge/internal/safefetch"
	"concierge/internal/secrets"
	"concierge/internal/testenv"
	"concierge/modules/audit"
	"concierge/modules/catalog"
	"concierge/modules/catalog/demo"
	"concierge/modules/catalog/feed"
	"concierge/tenants"
)

// fixture is a catalog service on a fresh database and Redis key space, with
// one tenant (SAR, Arabic first). Runs are executed in the test's goroutine
// (the job is inserted, not worked).
type fixture struct {
	svc     *catalog.Service
	tenants *tenants.Service
	tenant  *tenants.Tenant
	ctx     context.Context // carries the tenant
	rdb     *redis.Client
	prefix  string
	dbURLs  testenv.Database
	// twin builds another service on the same database and Redis: a second
	// process, with its own in-process cache.
	twin func() *catalog.Service
}

var slugN atomic.Int64

// newFixture builds the service and its first tenant. configure may change
// the catalog config (e.g. the fetch allow-list).
func newFixture(t *testing.T, configure ...func(*catalog.Config)) *fixture {
	t.Helper()
	urls := testenv.NewDatabase(t)
	d := testenv.Open(t, urls.AppURL)
	rdb, prefix := testenv.Redis(t)
	keys, err := secrets.New(secrets.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := tenants.New(tenants.NewScope(d.Bun), keys, tenants.NewCache(rdb, prefix, time.Minute, log), audit.New(audit.Deps{}), "example.test", log)
	j, err := jobs.New(jobs.Config{Tenancy: tenants.JobTenancy()}, d, log)
	if err != nil {
		t.Fatal(err)
	}
	// Like ENV=test: http links are allowed (production takes https only).
	cfg := catalog.Config{Fetch: safefetch.Config{Timeout: 10 * time.Second}, AllowHTTPLinks: true}
	for _, c := range configure {
		c(&cfg)
	}
	build := func() *catalog.Service {
		return catalog.New(cfg, catalog.Deps{Scope: tenants.NewScope(d.Bun), Tenants: ts, Jobs: j, Redis: rdb, RedisPrefix: prefix, Log: log})
	}
	f := &fixture{svc: build(), tenants: ts, rdb: rdb, prefix: prefix, dbURLs: urls, twin: build}
	f.tenant, f.ctx = f.newTenant(t)
	return f
}

// newTenant onboards another tenant on the same database and returns its
// context.
func (f *fixture) newTenant(t *testing.T) (*tenants.Tenant, context.Context) {
	t.Helper()
	slug := "shop-" + time.Now().Format("150405") + "-" + string(rune('a'+slugN.Add(1)%26))
	tn, err := f.tenants.Create(context.Background(), "test", tenants.CreateInput{Slug: slug, NameEN: "Shop", NameAR: "متجر", DefaultLocale: "ar"})
	if err != nil {
		t.Fatal(err)
	}
	return tn, tenants.WithTenant(context.Background(), tn)
}

// other returns a fixture for a second tenant sharing the service.
func (f *fixture) other(t *testing.T) *fixture {
	t.Helper()
	o := *f
	o.tenant, o.ctx = f.newTenant(t)
	return &o
}

// importBytes runs a sync of b in ctx's tenant and returns the finished run.
func importBytes(t *testing.T, svc *catalog.Service, ctx context.Context, b []byte, format feed.Format, full bool) *catalog.Run {
	t.Helper()
	run, err := svc.StartRun(ctx, catalog.RunRequest{Input: b, InputName: "test-feed", Format: format, Full: full, RequestedBy: "test"})
	if err != nil {
		t.Fatalf("start run: %v", err)
	}
	done, err := svc.WaitRun(ctx, run.ID)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return done
}

// seedDemo imports the demo catalog (images under https://media.test).
func (f *fixture) seedDemo(t *testing.T) *catalog.Run {
	t.Helper()
	var buf bytes.Buffer
	if err := demo.WriteCSV(&buf, demo.Catalog("https://media.test")); err != nil {
		t.Fatal(err)
	}
	run := importBytes(t, f.svc, f.ctx, buf.Bytes(), feed.FormatCSV, false)
	if run.Status != catalog.RunSucceeded {
		t.Fatalf("demo import: %s %s", run.Status, run.Error)
	}
	return run
}
