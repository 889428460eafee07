package tenants_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"concierge/internal/db"
	"concierge/internal/errs"
	"concierge/internal/secrets"
	"concierge/internal/testenv"
	"concierge/modules/audit"
	"concierge/modules/moduletest"
	"concierge/tenants"
)

type fixture struct {
	db    *db.DB
	svc   *tenants.Service
	scope *tenants.Scope
	cache *tenants.Cache
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	env := moduletest.New(t)
	return fixture{db: env.DB, svc: env.Tenants, scope: env.Scope, cache: env.Cache}
}

func (f fixture) tenant(t *testing.T, slug string) *tenants.Tenant {
	t.Helper()
	tn, err := f.svc.Create(context.Background(), "test", tenants.CreateInput{Slug: slug, NameEN: strings.ToUpper(slug), NameAR: "متجر " + slug})
	if err != nil {
		t.Fatalf("create %s: %v", slug, err)
	}
	return tn
}

func TestTenantWorkWithoutTenantIsAnError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ran := false
	err := f.scope.InTenantTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		ran = true
		return nil
	})
	if !errors.Is(err, tenants.ErrNoTenant) || ran {
		t.Fatalf("InTenantTx without tenant: err=%v ran=%v, want ErrNoTenant and nothing run", err, ran)
	}
	// Even a raw query on the app role without the setting sees nothing and
	// cannot write: the policy compares with NULL.
	var n int
	if err := f.db.Bun.QueryRowContext(context.Background(), `SELECT count(*) FROM tenant_domains`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("unscoped read: n=%d err=%v", n, err)
	}
}

func TestScopedTransactionSeesOnlyItsTenant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.tenant(t, "alpha"), f.tenant(t, "beta")
	da, err := f.svc.AddDomain(ctx, "test", "alpha", tenants.DomainInput{Host: "shop.alpha.test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AddDomain(ctx, "test", "beta", tenants.DomainInput{Host: "shop.beta.test"}); err != nil {
		t.Fatal(err)
	}

	err = f.scope.InTenantTx(tenants.WithTenant(ctx, a), func(ctx context.Context, tx bun.Tx) error {
		var hosts []string
		if err := tx.NewSelect().Table("tenant_domains").Column("host").Scan(ctx, &hosts); err != nil {
			return err
		}
		if len(hosts) != 1 || hosts[0] != "shop.alpha.test" {
			t.Errorf("alpha sees hosts %v, want only its own", hosts)
		}
		var slugs []string
		if err := tx.NewSelect().Table("tenants").Column("slug").Scan(ctx, &slugs); err != nil {
			return err
		}
		if len(slugs) != 1 || slugs[0] != "alpha" {
			t.Errorf("alpha sees tenants %v, want only itself", slugs)
		}
		// Reading beta's rows by id finds nothing.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tenants WHERE id = ?`, b.ID).Scan(&n); err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("alpha can read beta's tenant row")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Writing a row for another tenant is refused by WITH CHECK, and the
	// audit log (which the app role may insert into) refuses it too.
	err = f.scope.InTenantTx(tenants.WithTenant(ctx, a), func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (tenant_id, seq, at, actor, action, prev_hash, hash) VALUES (?, 99, now(), 'x', 'x', '', '')`, b.ID)
		return err
	})
	if !db.IsRLSViolation(err) {
		t.Fatalf("cross-tenant insert: want RLS violation, got %v", err)
	}
	// Updating or deleting another tenant's domain affects nothing (and the
	// app role holds no UPDATE/DELETE grant on domains at all).
	err = f.scope.InTenantTx(tenants.WithTenant(ctx, b), func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM tenant_domains WHERE id = ?`, da.ID)
		return err
	})
	if err == nil {
		t.Fatal("beta deleted a domain row; the app role must not be able to")
	}
	doms, err := f.svc.Domains(ctx, "alpha")
	if err != nil || len(doms) != 1 {
		t.Fatalf("alpha's domain after beta's attempts: %v %v", doms, err)
	}
}

func TestRLSCatalog(t *testing.T) {
	t.Parallel()
	d := testenv.NewDatabase(t)
	owner := testenv.Open(t, d.OwnerURL)
	ctx := context.Background()
	problems, err := testenv.RLSProblems(ctx, owner.SQL)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("tenant tables without complete row-level security:\n%s", strings.Join(problems, "\n"))
	}
}

// TestRLSCatalogCatchesDroppedPolicy shows the catalog check and the isolation
// it guards fail when a policy is dropped, in a throwaway database.
func TestRLSCatalogCatchesDroppedPolicy(t *testing.T) {
	t.Parallel()
	d := testenv.NewDatabase(t)
	owner := testenv.Open(t, d.OwnerURL)
	ctx := context.Background()
	for _, stmt := range []string{
		`DROP POLICY tenant_isolation ON memberships`,
		`ALTER TABLE tenant_domains NO FORCE ROW LEVEL SECURITY`,
		`ALTER TABLE whatsapp_numbers DISABLE ROW LEVEL SECURITY`,
	} {
		if _, err := owner.SQL.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	problems, err := testenv.RLSProblems(ctx, owner.SQL)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(problems, "\n")
	for _, want := range []string{"memberships: no tenant policy", "tenant_domains: RLS not forced", "whatsapp_numbers: RLS not enabled"} {
		if !strings.Contains(joined, want) {
			t.Errorf("catalog check missed %q; it reported:\n%s", want, joined)
		}
	}
}

func TestResolveHostAndCacheInvalidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a := f.tenant(t, "acme")

	for _, host := range []string{"acme.example.test", "ACME.example.test:8080", "acme.localhost", "acme.localhost:8080"} {
		got, err := f.svc.ResolveHost(ctx, host)
		if err != nil || got.ID != a.ID {
			t.Fatalf("ResolveHost(%q) = %v, %v; want acme", host, got, err)
		}
	}
	if _, err := f.svc.ResolveHost(ctx, "shop.acme.sa"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("unknown host: want not_found, got %v", err)
	}
	// Adding the domain invalidates the remembered miss.
	if _, err := f.svc.AddDomain(ctx, "test", "acme", tenants.DomainInput{Host: "Shop.Acme.SA"}); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.ResolveHost(ctx, "shop.acme.sa")
	if err != nil || got.ID != a.ID {
		t.Fatalf("custom domain after add: %v %v", got, err)
	}
	// A rename is visible at once (the cached profile was dropped).
	name := "Acme Renamed"
	if _, err := f.svc.Update(ctx, "test", "acme", tenants.UpdateInput{NameEN: &name}); err != nil {
		t.Fatal(err)
	}
	got, _ = f.svc.ResolveHost(ctx, "acme.example.test")
	if got.NameEN != name {
		t.Fatalf("cached profile stale after update: %q", got.NameEN)
	}
	// Suspension is a refusal, not a miss.
	if _, err := f.svc.Suspend(ctx, "test", "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ResolveHost(ctx, "shop.acme.sa"); !errors.Is(err, tenants.ErrSuspended) {
		t.Fatalf("suspended tenant: want ErrSuspended, got %v", err)
	}
}

func TestCacheInvalidationReachesOtherProcesses(t *testing.T) {
	t.Parallel()
	d := testenv.DB(t)
	rdb, prefix := testenv.Redis(t)
	keys, _ := secrets.New(secrets.GenerateKey())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Two processes: each its own service and in-process cache, sharing the
	// database and the Redis key space.
	newProc := func() (*tenants.Service, *tenants.Cache) {
		c := tenants.NewCache(rdb, prefix, time.Minute, log)
		return tenants.New(tenants.NewScope(d.Bun), keys, c, audit.New(audit.Config{}, audit.Deps{}), "example.test", log), c
	}
	one, _ := newProc()
	two, twoCache := newProc()
	events := make(chan uuid.UUID, 8)
	twoCache.Observe(func(id uuid.UUID) { events <- id })
	go twoCache.Run(ctx)
	wait := func() uuid.UUID {
		select {
		case id := <-events:
			return id
		case <-time.After(10 * time.Second):
			t.Fatal("no invalidation event within 10s")
		}
		return uuid.Nil
	}
	if id := wait(); id != uuid.Nil {
		t.Fatalf("first event should be the subscription, got %v", id)
	}
	tn, err := one.Create(ctx, "test", tenants.CreateInput{Slug: "shared", NameEN: "Shared", NameAR: "مشترك"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := two.ResolveHost(ctx, "shared.example.test"); err != nil || got.NameEN != "Shared" {
		t.Fatalf("process two resolve: %v %v", got, err)
	}
	name := "Shared Two"
	if _, err := one.Update(ctx, "test", "shared", tenants.UpdateInput{NameEN: &name}); err != nil {
		t.Fatal(err)
	}
	if id := wait(); id != tn.ID {
		t.Fatalf("invalidation for %v, want %v", id, tn.ID)
	}
	got, err := two.ResolveHost(ctx, "shared.example.test")
	if err != nil || got.NameEN != name {
		t.Fatalf("process two after update: %v %v; want the new name", got, err)
	}
}

func TestWhatsAppNumberSecretsAreSealed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a := f.tenant(t, "acme")
	n, err := f.svc.AddNumber(ctx, "test", "acme", tenants.NumberInput{
		PhoneNumberID: "1234567890", DisplayPhone: "+966500000001", AccessToken: "EAAG-secret-token", AppSecret: "app-secret-S"})
	if err != nil {
		t.Fatal(err)
	}
	var tok, sec string
	err = f.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT access_token_sealed, app_secret_sealed FROM whatsapp_numbers WHERE id = ?`, n.ID).Scan(&tok, &sec)
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tok, "EAAG") || strings.Contains(sec, "app-secret") || !strings.HasPrefix(tok, "v1:") {
		t.Fatalf("secrets stored in the clear: %q %q", tok, sec)
	}
	gt, gn, err := f.svc.ResolveNumber(ctx, "1234567890")
	if err != nil || gt.ID != a.ID || gn.AccessToken != "EAAG-secret-token" || gn.AppSecret != "app-secret-S" {
		t.Fatalf("ResolveNumber = %v %+v %v", gt, gn, err)
	}
	if _, _, err := f.svc.ResolveNumber(ctx, "999"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("unknown number: %v", err)
	}
	_, err = f.svc.AddNumber(ctx, "test", "acme", tenants.NumberInput{
		PhoneNumberID: "1234567890", DisplayPhone: "+966500000002", AccessToken: "x", AppSecret: "y"})
	if !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("duplicate phone_number_id: want conflict, got %v", err)
	}
}

func TestAuditChainVerifies(t *testing.T) {
	t.Parallel()
	d := testenv.NewDatabase(t)
	app := testenv.Open(t, d.AppURL)
	rdb, prefix := testenv.Redis(t)
	keys, _ := secrets.New(secrets.GenerateKey())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	scope := tenants.NewScope(app.Bun)
	svc := tenants.New(scope, keys, tenants.NewCache(rdb, prefix, time.Minute, log), audit.New(audit.Config{}, audit.Deps{}), "example.test", log)
	ctx := context.Background()
	for _, s := range []string{"one", "two"} {
		if _, err := svc.Create(ctx, "ops@example.test", tenants.CreateInput{Slug: s, NameEN: s, NameAR: s}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddDomain(ctx, "ops@example.test", s, tenants.DomainInput{Host: s + ".shop.test"}); err != nil {
			t.Fatal(err)
		}
	}
	verify := func() []audit.Problem {
		var problems []audit.Problem
		err := scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			var n int
			problems, n, err = audit.Verify(ctx, tx, nil)
			if n != 4 {
				t.Errorf("verified %d entries, want 4", n)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return problems
	}
	if p := verify(); len(p) != 0 {
		t.Fatalf("intact log reported problems: %+v", p)
	}
	// The app role cannot change history.
	if _, err := app.SQL.ExecContext(ctx, `UPDATE audit_log SET actor = 'mallory'`); err == nil {
		t.Fatal("app role updated the audit log")
	}
	// A superuser who disables the trigger and edits an entry is detected.
	admin := testenv.Open(t, d.AdminURL)
	for _, stmt := range []string{
		`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`,
		`UPDATE audit_log SET actor = 'mallory' WHERE id = (SELECT min(id) FROM audit_log)`,
	} {
		if _, err := admin.SQL.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if p := verify(); len(p) != 1 || !strings.Contains(p[0].Reason, "content changed") {
		t.Fatalf("tampering not detected as one changed entry: %+v", p)
	}
}

// TestNestedScopedTransactionJoins: an InTenantTx nested in another for the
// same tenant runs in the same transaction (it sees the outer's uncommitted
// work, and an error rolls both back); for another tenant it gets its own.
func TestNestedScopedTransactionJoins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.tenant(t, "nesta"), f.tenant(t, "nestb")
	ctxA := tenants.WithTenant(context.Background(), a)
	var outerPID, innerPID, otherPID int
	err := f.scope.InTenantTx(ctxA, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&outerPID); err != nil {
			return err
		}
		if err := f.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return tx.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&innerPID)
		}); err != nil {
			return err
		}
		return f.scope.InTenantTx(tenants.WithTenant(ctx, b), func(ctx context.Context, tx bun.Tx) error {
			var id string
			if err := tx.QueryRowContext(ctx, "SELECT current_setting('app.tenant_id')").Scan(&id); err != nil || id != b.ID.String() {
				return fmt.Errorf("other tenant's nested transaction has tenant %q: %v", id, err)
			}
			return tx.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&otherPID)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if innerPID != outerPID || otherPID == outerPID {
		t.Fatalf("backends: outer %d, nested same tenant %d (want equal), nested other tenant %d (want different)", outerPID, innerPID, otherPID)
	}
}

// TestCacheForgetsAfterRedisRestart: an invalidation published while the
// subscription was down is lost, so when go-redis reconnects the cache must
// forget its local entries (a rename made meanwhile is then seen at once,
// not after the local TTL).
func TestCacheForgetsAfterRedisRestart(t *testing.T) {
	t.Parallel()
	d := testenv.DB(t)
	rds := testenv.StartRedis(t)
	opt, err := redis.ParseURL(rds.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	keys, _ := secrets.New(secrets.GenerateKey())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cache := tenants.NewCache(rdb, "t:", time.Minute, log)
	svc := tenants.New(tenants.NewScope(d.Bun), keys, cache, audit.New(audit.Config{}, audit.Deps{}), "example.test", log)
	events := make(chan uuid.UUID, 8)
	cache.Observe(func(id uuid.UUID) { events <- id })
	go cache.Run(ctx)
	subscribed := func(what string) {
		t.Helper()
		for {
			select {
			case id := <-events:
				if id == uuid.Nil {
					return
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("no subscription %s within 20s", what)
			}
		}
	}
	subscribed("at start")
	if _, err := svc.Create(ctx, "test", tenants.CreateInput{Slug: "shop", NameEN: "Shop", NameAR: "متجر"}); err != nil {
		t.Fatal(err)
	}
	if got, err := svc.ResolveHost(ctx, "shop.example.test"); err != nil || got.NameEN != "Shop" {
		t.Fatalf("resolve: %v %v", got, err)
	}
	// Another process renames the tenant while this one's Redis is away:
	// its invalidation never arrives here.
	rds.Stop()
	err = tenants.NewScope(d.Bun).PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE tenants SET name_en = 'Renamed', updated_at = now() WHERE slug = 'shop'`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rds.Start()
	subscribed("after the restart")
	if got, err := svc.ResolveHost(ctx, "shop.example.test"); err != nil || got.NameEN != "Renamed" {
		t.Fatalf("after Redis came back the cache still serves %v %v", got, err)
	}
}
