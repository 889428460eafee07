package returns

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/catalog"
	"concierge/modules/moduletest"
	"concierge/modules/orders"
	"concierge/tenants"
)

// The returns service on real Postgres (row-level security as the app
// role) and Redis, with real orders and catalog services, a clock the test
// moves, and stand-ins for what lives elsewhere: the refunds (checkout's),
// the SLA timers, the customers' notifications. Jobs are stored, not
// worked: a test runs a job's work function itself.

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// notices records what returns asks to tell customers.
type notices struct {
	mu   sync.Mutex
	sent []orders.Notice
}

func (n *notices) NotifyTx(_ context.Context, _ bun.Tx, x orders.Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, x)
	return nil
}

func (n *notices) texts() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, x := range n.sent {
		out = append(out, x.Text)
	}
	return out
}

// refundCall is one call of the refunds stand-in.
type refundCall struct {
	OrderID uuid.UUID
	Amount  int64
	Actor   string
	Reason  string
}

// fakeRefunds records refunds and answers as told.
type fakeRefunds struct {
	mu     sync.Mutex
	calls  []refundCall
	manual bool
	err    error
}

func (f *fakeRefunds) Refund(_ context.Context, orderID uuid.UUID, amount int64, _, actor, reason string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, refundCall{orderID, amount, actor, reason})
	return f.manual, f.err
}

func (f *fakeRefunds) set(manual bool, err error) {
	f.mu.Lock()
	f.manual, f.err = manual, err
	f.mu.Unlock()
}

func (f *fakeRefunds) list() []refundCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]refundCall(nil), f.calls...)
}

// fakeTimers records the SLA timers started and stopped.
type fakeTimers struct {
	mu      sync.Mutex
	running map[uuid.UUID]bool
	started int
}

func (f *fakeTimers) StartTx(_ context.Context, _ bun.Tx, kind string, subject uuid.UUID) error {
	if kind != TimerKind {
		return errors.New("unexpected timer kind " + kind)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running == nil {
		f.running = map[uuid.UUID]bool{}
	}
	f.running[subject] = true
	f.started++
	return nil
}

func (f *fakeTimers) StopTx(_ context.Context, _ bun.Tx, _ string, subject uuid.UUID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.running, subject)
	return nil
}

func (f *fakeTimers) isRunning(id uuid.UUID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.running[id]
}

// product is a variant of the fixture's catalog.
type product struct {
	ID        uuid.UUID
	ProductID uuid.UUID
	SKU       string
	TitleAR   string
	TitleEN   string
	Price     int64
}

type fixture struct {
	env     *moduletest.Env
	shop    moduletest.Shop
	ctx     context.Context
	cat     *catalog.Service
	orders  *orders.Service
	svc     *Service
	clock   *clock
	notices *notices
	refunds *fakeRefunds
	timers  *fakeTimers
	abaya   product // 200.00, 5 in stock
	scarf   product // 50.00, 10 in stock
}

// deliveredAt is when the fixture's orders are delivered (the window
// counts from here).
var deliveredAt = time.Date(2026, 2, 20, 10, 0, 0, 0, time.UTC)

var seq atomic.Int64

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := moduletest.New(t)
	f := &fixture{env: env, clock: &clock{t: deliveredAt.Add(-48 * time.Hour)}, notices: &notices{}, refunds: &fakeRefunds{}, timers: &fakeTimers{}}
	f.cat = catalog.New(catalog.Config{AllowHTTPLinks: true}, catalog.Deps{Scope: env.Scope, Tenants: env.Tenants, Jobs: env.Jobs,
		Redis: env.Redis, RedisPrefix: env.Prefix, Log: env.Log, Messages: env.Catalog})
	f.orders = orders.New(orders.Config{}, orders.Deps{Scope: env.Scope, Log: env.Log, Now: f.clock.Now})
	f.svc = f.service(Config{}, nil)
	f.shop = env.Tenant(t, "shop")
	f.ctx = f.shop.Ctx
	f.abaya = f.product(t, f.ctx, "عباية سوداء", "Black abaya", 20000, 5)
	f.scarf = f.product(t, f.ctx, "شال حرير", "Silk scarf", 5000, 10)
	return f
}

// service builds a returns service on the fixture's parts.
func (f *fixture) service(cfg Config, media Downloader) *Service {
	return New(cfg, Deps{Scope: f.env.Scope, Tenants: f.env.Tenants, Jobs: f.env.Jobs, Orders: f.orders, Refunds: f.refunds, Stock: f.cat,
		Notifier: f.notices, Timers: f.timers, Media: media, Audit: f.env.Audit, Actor: func(context.Context) string { return "user:staff-1" },
		Log: f.env.Log, Now: f.clock.Now})
}

func (f *fixture) product(t *testing.T, ctx context.Context, ar, en string, price int64, stock int) product {
	t.Helper()
	p, err := f.cat.CreateProduct(ctx, catalog.ProductInput{TitleAR: ar, TitleEN: en,
		Variants: []catalog.VariantInput{{SKU: fmt.Sprintf("SKU-%d", seq.Add(1)), Price: price, Stock: &stock}}})
	if err != nil {
		t.Fatal(err)
	}
	v := p.Variants[0]
	return product{ID: v.ID, ProductID: p.ID, SKU: v.SKU, TitleAR: ar, TitleEN: en, Price: price}
}

// item is a quantity of a product in an order.
type item struct {
	p   product
	qty int
}

// order places an order of items in ctx's tenant for customer (nil: a web
// order) and moves it to status ("delivered" at deliveredAt).
func (f *fixture) order(t *testing.T, ctx context.Context, customer *uuid.UUID, status string, items ...item) *orders.Order {
	t.Helper()
	return f.orderAt(t, ctx, customer, status, deliveredAt, items...)
}

// orderAt is order delivered at a given time.
func (f *fixture) orderAt(t *testing.T, ctx context.Context, customer *uuid.UUID, status string, at time.Time, items ...item) *orders.Order {
	t.Helper()
	o := &orders.Order{CartID: uuid.NewString(), Channel: "web", CustomerID: customer, CustomerName: "Sara", CustomerPhone: "+966551234567",
		Locale: "en", Status: orders.StatusPendingPayment, PaymentMethod: "cod",
		Address: orders.Address{BuildingNumber: "2929", Street: "King Fahd", District: "Olaya", City: "Riyadh", PostalCode: "12345"}}
	if customer != nil {
		o.Channel = "whatsapp"
	}
	var sub int64
	for _, it := range items {
		o.Lines = append(o.Lines, orders.Line{VariantID: it.p.ID, ProductID: it.p.ProductID, SKU: it.p.SKU, TitleAR: it.p.TitleAR,
			TitleEN: it.p.TitleEN, Quantity: it.qty, UnitPrice: it.p.Price})
		sub += it.p.Price * int64(it.qty)
	}
	o.Totals = orders.Totals{Currency: "SAR", Subtotal: sub, Shipping: 2500, VAT: (sub + 2500) * 15 / 115, Total: sub + 2500, VATRateBP: 1500, VATIncluded: true}
	was := f.clock.Now()
	defer f.clock.Set(was)
	err := f.env.Scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		f.clock.Set(at.Add(-48 * time.Hour))
		if err := f.orders.CreateTx(ctx, tx, o, "test"); err != nil {
			return err
		}
		path := []string{orders.StatusConfirmed, orders.StatusShipped, orders.StatusDelivered}
		for _, st := range path {
			if o.Status == status {
				break
			}
			if st == orders.StatusDelivered {
				f.clock.Set(at)
			}
			if err := f.orders.MoveTx(ctx, tx, o, st, orders.Event{Actor: "test"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// customer is a consented WhatsApp customer of ctx's tenant.
func (f *fixture) customer(t *testing.T, ctx context.Context, locale string) (uuid.UUID, string) {
	t.Helper()
	tn, err := tenants.FromContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, wa := uuid.Must(uuid.NewV7()), fmt.Sprintf("9665%08d", 30000000+seq.Add(1))
	err = f.env.Scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO customers (tenant_id, id, wa_id, locale, consent) VALUES (?, ?, ?, ?, 'granted')`, tn.ID, id, wa, locale)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id, wa
}

// stock is a variant's stock in the database.
func (f *fixture) stock(t *testing.T, p product) int {
	t.Helper()
	var n int
	err := f.env.Scope.InTenantTx(f.ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT stock FROM variants WHERE id = ?`, p.ID).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// count counts a table's rows visible to ctx's tenant.
func (f *fixture) count(t *testing.T, ctx context.Context, table string) int {
	t.Helper()
	var n int
	err := f.env.Scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// jobs lists the queued jobs of kind with their args' key, e.g.
// ("returns.refund", "return_id").
func (f *fixture) jobs(t *testing.T, kind, key string) []string {
	t.Helper()
	var ids []string
	err := f.env.DB.Bun.NewRaw(`SELECT args->>? FROM river_job WHERE kind = ? ORDER BY id`, key, kind).Scan(context.Background(), &ids)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// staffReturn asks for a return as staff.
func (f *fixture) staffReturn(t *testing.T, o *orders.Order, reason string, items ...item) *Return {
	t.Helper()
	req := Request{OrderID: o.ID, Channel: ChannelStaff, Actor: "user:staff-1", Reason: reason, ReasonText: "-"}
	for _, it := range items {
		req.Lines = append(req.Lines, LineRequest{SKU: it.p.SKU, Quantity: it.qty})
	}
	r, err := f.svc.Create(f.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fieldOf finds the field error named field.
func fieldOf(t *testing.T, err error, field string) errs.FieldError {
	t.Helper()
	if !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("want an invalid error, got %v", err)
	}
	for _, fe := range errs.FieldsOf(err) {
		if fe.Field == field {
			return fe
		}
	}
	t.Fatalf("no field error %q in %v", field, err)
	return errs.FieldError{}
}

func ptr[T any](v T) *T { return &v }
