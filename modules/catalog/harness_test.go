package catalog_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"concierge/internal/errs"
	"concierge/internal/i18n"
	"concierge/internal/safefetch"
	"concierge/modules/catalog"
	"concierge/modules/catalog/demo"
	"concierge/modules/catalog/feed"
	"concierge/modules/moduletest"
	"concierge/tenants"
)

// fixture is a catalog service on the shared module test environment
// (modules/moduletest: a fresh database and Redis key space, tenants, an
// insert-only job client), with one tenant (SAR, Arabic first). Runs are
// executed in the test's goroutine (the job is inserted, not worked).
type fixture struct {
	env    *moduletest.Env
	svc    *catalog.Service
	tenant *tenants.Tenant
	ctx    context.Context // carries the tenant
	// twin builds another service on the same database and Redis: a second
	// process, with its own in-process cache.
	twin func() *catalog.Service
}

// newFixture builds the service and its first tenant. configure may change
// the catalog config (e.g. the fetch allow-list).
func newFixture(t *testing.T, configure ...func(*catalog.Config)) *fixture {
	t.Helper()
	env := moduletest.New(t)
	// Like ENV=test: http links are allowed (production takes https only).
	cfg := catalog.Config{Fetch: safefetch.Config{Timeout: 10 * time.Second}, AllowHTTPLinks: true}
	for _, c := range configure {
		c(&cfg)
	}
	build := func() *catalog.Service {
		return catalog.New(cfg, catalog.Deps{Scope: env.Scope, Tenants: env.Tenants, Jobs: env.Jobs, Redis: env.Redis,
			RedisPrefix: env.Prefix, Log: env.Log, Messages: env.Catalog, Audit: env.Audit})
	}
	f := &fixture{env: env, svc: build(), twin: build}
	f.tenant, f.ctx = f.newTenant(t)
	return f
}

// newTenant onboards another tenant on the same database and returns its
// context.
func (f *fixture) newTenant(t *testing.T) (*tenants.Tenant, context.Context) {
	t.Helper()
	shop := f.env.Tenant(t, "shop")
	return shop.Tenant, shop.Ctx
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
	run, err := svc.StartRun(ctx, catalog.RunRequest{Input: b, InputName: "test-feed", Format: format, Full: full})
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
		t.Fatalf("demo import: %s %s", run.Status, runError(t, run))
	}
	return run
}

// texts renders messages in Arabic and English after checking that each
// renders completely in both: a message of the catalog, no template value
// missing, Arabic letters in the Arabic text.
func texts(t *testing.T, ms ...errs.Message) (ar, en string) {
	t.Helper()
	cat := i18n.MustLoad()
	for _, m := range ms {
		if !cat.Has(m.ID) {
			t.Errorf("message %s is not in the catalog", m)
		}
		a, e := cat.Text(i18n.AR, m.ID, m.Data), cat.Text(i18n.EN, m.ID, m.Data)
		if strings.Contains(a+e, "<no value>") || strings.TrimSpace(a) == "" || strings.TrimSpace(e) == "" {
			t.Errorf("message %s renders incompletely: %q / %q", m, a, e)
		}
		if m.ID != "catalog.legacy_text" && !strings.ContainsFunc(a, func(r rune) bool { return r >= 0x0600 && r <= 0x06FF }) {
			t.Errorf("message %s has no Arabic text: %q", m, a)
		}
	}
	return catalog.Texts(cat, i18n.AR, ms), catalog.Texts(cat, i18n.EN, ms)
}

// runError is a run's error in English, checked in both languages.
func runError(t *testing.T, r *catalog.Run) string {
	t.Helper()
	_, en := texts(t, r.Error...)
	return en
}
