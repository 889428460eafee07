package invoices_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/gateway"
	"concierge/internal/httpx"
	"concierge/modules/invoices"
	"concierge/modules/moduletest"
	"concierge/modules/orders"
	"concierge/tenants"
)

// The invoices service on real Postgres, observing a real orders service:
// orders are created and moved inside scoped transactions as checkout does,
// refunds are the timeline events checkout records.

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// issuedAt is the fixture clock's start: the QR's timestamp of documents
// issued before it moves.
var issuedAt = time.Date(2026, 12, 2, 14, 5, 0, 0, time.UTC)

var signingKey = []byte("0123456789abcdef0123456789abcdef-test-key")

type fixture struct {
	env    *moduletest.Env
	orders *orders.Service
	svc    *invoices.Service
	clock  *clock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := moduletest.New(t)
	f := &fixture{env: env, clock: &clock{t: issuedAt}}
	f.orders = orders.New(orders.Config{}, orders.Deps{Scope: env.Scope, Log: env.Log, Now: f.clock.Now})
	f.svc = invoices.New(invoices.Config{SigningKey: signingKey, PublicBaseURL: "https://concierge.test/"},
		invoices.Deps{Scope: env.Scope, Orders: f.orders, Audit: env.Audit, Log: env.Log, Now: f.clock.Now,
			Actor: func(context.Context) string { return "user:owner@example.sa" }})
	f.orders.Observe(f.svc)
	return f
}

// shop onboards a tenant; vat sets its invoicing settings (Arabic seller
// name "متجر الرياض").
func (f *fixture) shop(t *testing.T, vat bool) moduletest.Shop {
	t.Helper()
	s := f.env.Tenant(t, "shop")
	if vat {
		if _, err := f.svc.SetSettings(s.Ctx, invoices.Settings{VATNumber: "310122393500003", SellerNameAR: "متجر الرياض",
			SellerNameEN: "Riyadh Store"}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// line is an order line of quantity × price.
func line(sku, ar, en string, quantity int, price int64) orders.Line {
	return orders.Line{VariantID: uuid.New(), ProductID: uuid.New(), SKU: sku, TitleAR: ar, TitleEN: en, Quantity: quantity, UnitPrice: price}
}

// totals prices lines as the cart does (VAT rounded once on the total).
func totals(lines []orders.Line, shipping int64, included bool) orders.Totals {
	t := orders.Totals{Currency: "SAR", Shipping: shipping, VATRateBP: 1500, VATIncluded: included}
	for _, l := range lines {
		t.Subtotal += l.Total()
	}
	base := t.Subtotal + shipping
	if included {
		t.Total = base
		t.VAT = (base*1500*2 + 11500) / (11500 * 2)
	} else {
		t.VAT = (base*1500*2 + 10000) / (10000 * 2)
		t.Total = base + t.VAT
	}
	return t
}

var cartSeq struct {
	sync.Mutex
	n int
}

// order creates an order waiting for payment.
func (f *fixture) order(t *testing.T, ctx context.Context, lines []orders.Line, tot orders.Totals) *orders.Order {
	t.Helper()
	cartSeq.Lock()
	cartSeq.n++
	cart := "cart" + strconv.Itoa(cartSeq.n)
	cartSeq.Unlock()
	o := &orders.Order{CartID: cart, Channel: "web", CustomerName: "سارة", CustomerPhone: "+966551234567", Locale: "ar",
		Status: orders.StatusPendingPayment, PaymentMethod: "cod", Totals: tot, Lines: lines,
		Address: orders.Address{BuildingNumber: "2929", Street: "King Fahd", District: "Olaya", City: "Riyadh", PostalCode: "12345"}}
	err := f.env.Scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return f.orders.CreateTx(ctx, tx, o, "test")
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// confirm moves an order to confirmed (the observer issues its invoice in
// the same transaction).
func (f *fixture) confirm(t *testing.T, ctx context.Context, id uuid.UUID) *orders.Order {
	t.Helper()
	var o *orders.Order
	err := f.env.Scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if o, err = f.orders.GetTx(ctx, tx, id, true); err != nil {
			return err
		}
		return f.orders.MoveTx(ctx, tx, o, orders.StatusConfirmed, orders.Event{Actor: "test"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// confirmed creates and confirms an order.
func (f *fixture) confirmed(t *testing.T, ctx context.Context, lines []orders.Line, tot orders.Totals) *orders.Order {
	t.Helper()
	o := f.order(t, ctx, lines, tot)
	return f.confirm(t, ctx, o.ID)
}

// refunded records checkout's event: the payment's refunded total is now
// total.
func (f *fixture) refunded(t *testing.T, ctx context.Context, orderID uuid.UUID, total int64) {
	t.Helper()
	err := f.env.Scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return f.orders.EventTx(ctx, tx, orderID, orders.Event{Kind: "payment_refunded", Actor: "test",
			Data: map[string]string{"payment_id": uuid.NewString(), "refunded": strconv.FormatInt(total, 10), "to": "partially_refunded"}})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// document reads an order's invoice and credit notes.
func (f *fixture) document(t *testing.T, ctx context.Context, orderID uuid.UUID) *invoices.Document {
	t.Helper()
	d, err := f.svc.Invoice(ctx, orderID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// mount serves the module as the composition root does, with stand-ins
// for the gateway's tenant resolution and sign-in: the staff door carries
// shop and lets everyone in.
func (f *fixture) mount(shop moduletest.Shop) *fiber.App {
	app := gateway.NewApp(gateway.AppConfig{Catalog: f.env.Catalog}, f.env.Log)
	pass := func(string, string) fiber.Handler { return func(c *fiber.Ctx) error { return c.Next() } }
	tenant := func(c *fiber.Ctx) error {
		c.SetUserContext(shop.Ctx)
		return c.Next()
	}
	f.svc.Mount(httpx.Routers{
		Webhooks: app.Group(""), Root: app.Group(""), Platform: app.Group("/api/platform"),
		Staff:  httpx.Prepend(app.Group("/api/v1"), tenant),
		Public: httpx.Prepend(app.Group("/api/v1"), tenant),
		Allow:  pass, AllowPlatform: pass, Validator: httpx.NewValidator(), Catalog: f.env.Catalog,
	})
	return app
}

// msgID is the catalog message of an application error.
func msgID(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Msg.ID
	}
	return ""
}

// countAs counts rows of table with tenant_id = of, read in as's scoped
// transaction.
func (f *fixture) countAs(t *testing.T, as *tenants.Tenant, table string, of uuid.UUID) int {
	t.Helper()
	var n int
	err := f.env.Scope.InTenantTx(tenants.WithTenant(context.Background(), as), func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE tenant_id = ?", of).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
