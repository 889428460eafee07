package cart_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/cart"
	"concierge/modules/catalog"
	"concierge/modules/moduletest"
	"concierge/tenants"
)

// fixture is the cart service and the catalog it sells from, on the shared
// module test environment (a fresh database as the app role, a Redis key
// space of its own), with one tenant (SAR, Arabic first) and a clock the
// test moves.
type fixture struct {
	env   *moduletest.Env
	cat   *catalog.Service
	svc   *cart.Service
	shop  moduletest.Shop
	ctx   context.Context
	clock *clock
	// twin builds another cart service on the same database: a second
	// process (the API beside the WhatsApp worker).
	twin func() *cart.Service
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := moduletest.New(t)
	f := &fixture{env: env, clock: &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}}
	f.cat = catalog.New(catalog.Config{AllowHTTPLinks: true}, catalog.Deps{Scope: env.Scope, Tenants: env.Tenants, Jobs: env.Jobs,
		Redis: env.Redis, RedisPrefix: env.Prefix, Log: env.Log, Messages: env.Catalog})
	f.twin = func() *cart.Service {
		return cart.New(cart.Config{AbandonAfter: 24 * time.Hour, Retention: 30 * 24 * time.Hour}, cart.Deps{
			Scope: env.Scope, Tenants: env.Tenants, Catalog: f.cat, Redis: env.Redis, RedisPrefix: env.Prefix,
			Audit: env.Audit, Log: env.Log, Now: f.clock.Now, Messages: env.Catalog})
	}
	f.svc = f.twin()
	f.shop = env.Tenant(t, "shop")
	f.ctx = f.shop.Ctx
	return f
}

// other is a second tenant on the same services.
func (f *fixture) other(t *testing.T) context.Context {
	t.Helper()
	return f.env.Tenant(t, "other").Ctx
}

var skuSeq atomic.Int64

// product creates an active product with one variant per price/stock pair
// and returns it (SKUs as given).
func (f *fixture) product(t *testing.T, ctx context.Context, titleAR, titleEN string, variants ...catalog.VariantInput) *catalog.Product {
	t.Helper()
	p, err := f.cat.CreateProduct(ctx, catalog.ProductInput{TitleAR: titleAR, TitleEN: titleEN, Variants: variants})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func intp(n int) *int { return &n }

// variant is a variant input.
func variant(sku string, price int64, stock *int, opts ...catalog.Option) catalog.VariantInput {
	return catalog.VariantInput{SKU: sku, Price: price, Stock: stock, Options: opts}
}

// customer makes a WhatsApp customer of ctx's tenant (the channel's table)
// and returns its id.
func (f *fixture) customer(t *testing.T, ctx context.Context) uuid.UUID {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	tn, err := tenants.FromContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = f.env.Scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO customers (tenant_id, id, wa_id, locale, consent) VALUES (?, ?, ?, 'ar', 'granted')`,
			tn.ID, id, fmt.Sprintf("9665%08d", 10000000+skuSeq.Add(1)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// settings sets the tenant's pricing settings.
func (f *fixture) settings(t *testing.T, ctx context.Context, s cart.Settings) {
	t.Helper()
	if _, err := f.svc.UpdatePricingSettings(ctx, s); err != nil {
		t.Fatal(err)
	}
}

// newCart creates a web cart.
func (f *fixture) newCart(t *testing.T, ctx context.Context) *cart.Cart {
	t.Helper()
	c, err := f.svc.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// add adds and fails the test on an error.
func (f *fixture) add(t *testing.T, ctx context.Context, id, sku string, n int) *cart.Cart {
	t.Helper()
	c, err := f.svc.Add(ctx, id, sku, n)
	if err != nil {
		t.Fatalf("add %d × %s: %v", n, sku, err)
	}
	return c
}

// line is the cart's line of sku.
func line(t *testing.T, c *cart.Cart, sku string) cart.Line {
	t.Helper()
	for _, l := range c.Lines {
		if l.SKU == sku {
			return l
		}
	}
	t.Fatalf("no line %s in %+v", sku, c.Lines)
	return cart.Line{}
}

// wantCode fails unless err has code (and, when given, a field error on
// field).
func wantCode(t *testing.T, err error, code errs.Code, field string) {
	t.Helper()
	if errs.CodeOf(err) != code {
		t.Fatalf("error %v, want %s", err, code)
	}
	if field == "" {
		return
	}
	for _, fe := range errs.FieldsOf(err) {
		if fe.Field == field {
			return
		}
	}
	t.Fatalf("error %v names no field %s", err, field)
}

func i64(n int64) *int64 { return &n }

// riyadh, jeddah and the default fee: the shipping settings most tests use
// (prices include VAT at 15 %).
func shippingSettings() cart.Settings {
	return cart.Settings{VATRateBP: 1500, PricesIncludeVAT: true, DefaultFee: i64(3500), FreeShippingThreshold: 50000,
		Zones: []cart.Zone{
			{NameAR: "الرياض", NameEN: "Riyadh", Fee: 2500},
			{NameAR: "جدة", NameEN: "Jeddah", Aliases: []string{"Jiddah", "Jedda"}, Fee: 3000},
			{NameAR: "مكة المكرمة", NameEN: "Makkah", Aliases: []string{"Mecca", "مكة"}, Fee: 3000},
		}}
}
