package checkout

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/cart"
	"concierge/modules/catalog"
	"concierge/modules/moduletest"
	"concierge/modules/orders"
	"concierge/plugins/payments"
	"concierge/plugins/payments/cod"
)

// The checkout service on real Postgres and Redis with a clock the test
// moves: cash on delivery lapsing unconfirmed (its expiry job), the
// chat's deferred start, and the jobs doing nothing to payments that
// moved on.

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// notices records what checkout asks to tell customers.
type notices struct {
	mu   sync.Mutex
	sent []Notice
}

func (n *notices) NotifyTx(_ context.Context, _ bun.Tx, x Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, x)
	return nil
}

func (n *notices) keys() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, x := range n.sent {
		out = append(out, x.Text)
	}
	return out
}

type fixture struct {
	env     *moduletest.Env
	cat     *catalog.Service
	carts   *cart.Service
	orders  *orders.Service
	svc     *Service
	clock   *clock
	notices *notices
	ctx     context.Context
	sku     string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := moduletest.New(t)
	f := &fixture{env: env, clock: &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}, notices: &notices{}}
	f.cat = catalog.New(catalog.Config{AllowHTTPLinks: true}, catalog.Deps{Scope: env.Scope, Tenants: env.Tenants, Jobs: env.Jobs,
		Redis: env.Redis, RedisPrefix: env.Prefix, Log: env.Log, Messages: env.Catalog})
	f.carts = cart.New(cart.Config{}, cart.Deps{Scope: env.Scope, Tenants: env.Tenants, Catalog: f.cat, Audit: env.Audit, Log: env.Log,
		Now: f.clock.Now, Messages: env.Catalog})
	f.orders = orders.New(orders.Config{}, orders.Deps{Scope: env.Scope, Log: env.Log, Now: f.clock.Now})
	f.svc = New(Config{PublicBaseURL: "https://concierge.test"}, Deps{Scope: env.Scope, Tenants: env.Tenants, Jobs: env.Jobs, Providers: payments.NewRegistry(cod.New()),
		Carts: f.carts, Stock: f.cat, Orders: f.orders, Notifier: f.notices, Secrets: env.Keys, Audit: env.Audit, Log: env.Log, Now: f.clock.Now})
	f.orders.SetPayments(f.svc)
	f.ctx = env.Tenant(t, "shop").Ctx
	stock := 5
	p, err := f.cat.CreateProduct(f.ctx, catalog.ProductInput{TitleAR: "عباية", TitleEN: "Abaya",
		Variants: []catalog.VariantInput{{SKU: "ABY-" + uuid.NewString()[:8], Price: 20000, Stock: &stock}}})
	if err != nil {
		t.Fatal(err)
	}
	f.sku = p.Variants[0].SKU
	if _, err := f.carts.UpdatePricingSettings(f.ctx, cart.Settings{VATRateBP: 1500, PricesIncludeVAT: true,
		Zones: []cart.Zone{{NameAR: "الرياض", NameEN: "Riyadh", Fee: 2500}}}); err != nil {
		t.Fatal(err)
	}
	on := true
	if _, err := f.svc.UpdatePaymentSettings(f.ctx, map[string]SettingsChange{"cod": {Enabled: &on, Values: map[string]string{"confirm_within": "1h"}}}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) checkout(t *testing.T, quantity int, deferred bool) *InitResult {
	t.Helper()
	c, err := f.carts.Create(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.carts.Add(f.ctx, c.ID, f.sku, quantity); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Init(f.ctx, InitRequest{CartID: c.ID, CustomerName: "Sara", CustomerPhone: "+966551234567", Locale: "en", Method: "cod",
		Actor: "test", Deferred: deferred, Address: orders.Address{BuildingNumber: "2929", Street: "King Fahd", District: "Olaya", City: "Riyadh", PostalCode: "12345"}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// stock is the variant's stock in the database (the catalog's cached
// answers follow only when availability flips).
func (f *fixture) stock(t *testing.T) int {
	t.Helper()
	var n int
	err := f.env.Scope.InTenantTx(f.ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT stock FROM variants WHERE sku = ?`, f.sku).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) state(t *testing.T, orderID uuid.UUID) (string, payments.Status) {
	t.Helper()
	d, err := f.orders.Get(f.ctx, orderID)
	if err != nil {
		t.Fatal(err)
	}
	return d.Status, payments.Status(d.Payments[len(d.Payments)-1].Status)
}

// scheduled is when the job kind for payment is due (zero: none).
func (f *fixture) scheduled(t *testing.T, kind string, paymentID uuid.UUID) time.Time {
	t.Helper()
	var at time.Time
	err := f.env.DB.Bun.NewRaw(`SELECT scheduled_at FROM river_job WHERE kind = ? AND args->>'payment_id' = ?`, kind, paymentID.String()).Scan(f.ctx, &at)
	if err != nil {
		return time.Time{}
	}
	return at
}

func TestCODUnconfirmedExpiresAndGivesStockBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res := f.checkout(t, 2, false)
	if res.Payment.Status != payments.StatusAuthorized || res.Payment.ExpiresAt == nil || !res.Payment.ExpiresAt.Equal(f.clock.Now().Add(time.Hour)) {
		t.Fatalf("payment: %+v", res.Payment)
	}
	if f.stock(t) != 3 {
		t.Fatalf("stock after checkout: %d", f.stock(t))
	}
	if keys := f.notices.keys(); len(keys) != 1 || keys[0] != "checkout.notify.cod_confirm" {
		t.Fatalf("notices: %v", keys)
	}
	// Early: the sweep finds nothing due, and expiring it anyway does nothing.
	f.clock.Add(30 * time.Minute)
	if n, err := f.svc.ExpireDue(context.Background()); err != nil || n != 0 {
		t.Fatalf("sweep before the deadline: %d %v", n, err)
	}
	if err := f.svc.expire(f.ctx, res.Payment.ID); err != nil {
		t.Fatal(err)
	}
	if o, p := f.state(t, res.Order.ID); o != orders.StatusPendingPayment || p != payments.StatusAuthorized {
		t.Fatalf("before the deadline: %s %s", o, p)
	}
	// Due: the sweep (across tenants, on the platform path) expires it:
	// cancelled, stock back, the customer told — once, however often it runs.
	f.clock.Add(31 * time.Minute)
	if n, err := f.svc.ExpireDue(context.Background()); err != nil || n != 1 {
		t.Fatalf("sweep after the deadline: %d %v", n, err)
	}
	if n, err := f.svc.ExpireDue(context.Background()); err != nil || n != 0 {
		t.Fatalf("second sweep: %d %v", n, err)
	}
	if err := f.svc.expire(f.ctx, res.Payment.ID); err != nil {
		t.Fatal(err)
	}
	if o, p := f.state(t, res.Order.ID); o != orders.StatusCancelled || p != payments.StatusExpired {
		t.Fatalf("after the deadline: %s %s", o, p)
	}
	if f.stock(t) != 5 {
		t.Fatalf("stock after expiry: %d", f.stock(t))
	}
	if keys := f.notices.keys(); len(keys) != 2 || keys[1] != "checkout.notify.cod_expired" {
		t.Fatalf("notices: %v", keys)
	}
	// Too late to confirm.
	if _, err := f.svc.Confirm(f.ctx, res.Order.ID, "test"); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("confirm after expiry: %v", err)
	}
}

func TestChatCheckoutConfirmedSurvivesItsExpiryJob(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// From the chat (deferred): cash on delivery is local, so it starts in
	// the checkout's own transaction — no initiate job, the notice at once.
	res := f.checkout(t, 1, true)
	if res.Payment.Status != payments.StatusAuthorized || !f.scheduled(t, "checkout.initiate", res.Payment.ID).IsZero() {
		t.Fatalf("chat checkout: %+v", res.Payment)
	}
	// A retried start changes nothing and notifies once.
	if _, _, err := f.svc.initiate(f.ctx, res.Payment.ID); err != nil {
		t.Fatal(err)
	}
	if keys := f.notices.keys(); len(keys) != 1 || len(f.notices.sent[0].Buttons) != 2 ||
		f.notices.sent[0].Buttons[0].ID != idConfirm+res.Order.ID.String() {
		t.Fatalf("confirmation notice: %+v", f.notices.sent)
	}
	if _, err := f.svc.Confirm(f.ctx, res.Order.ID, "test"); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(2 * time.Hour)
	if n, err := f.svc.ExpireDue(context.Background()); err != nil || n != 0 {
		t.Fatalf("sweep of a confirmed order's payment: %d %v", n, err)
	}
	if o, p := f.state(t, res.Order.ID); o != orders.StatusConfirmed || p != payments.StatusAuthorized {
		t.Fatalf("confirmed order after its expiry job: %s %s", o, p)
	}
	if f.stock(t) != 4 {
		t.Fatalf("stock of a confirmed order: %d", f.stock(t))
	}
}

func TestOrderNumbersPerTenant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.checkout(t, 1, false)
	b := f.checkout(t, 1, false)
	if a.Order.Number != 1001 || b.Order.Number != 1002 {
		t.Fatalf("numbers: %d %d", a.Order.Number, b.Order.Number)
	}
	other := f.env.Tenant(t, "other").Ctx
	var n int
	err := f.env.Scope.InTenantTx(other, func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&n)
	})
	if err != nil || n != 0 {
		t.Fatalf("other tenant sees %d orders (%v)", n, err)
	}
	if _, err := f.orders.Get(other, a.Order.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("other tenant reads the order: %v", err)
	}
	if _, err := f.svc.Confirm(other, a.Order.ID, "test"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("other tenant confirms the order: %v", err)
	}
}

// TestRefundOnceRefundsOnce: a refund under a caller's key (a return's)
// answers the same payment when asked again — after a retry of a job whose
// first attempt went through — and refunds nothing more; another key
// refunds again, up to what is left.
func TestRefundOnceRefundsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res := f.checkout(t, 2, false)
	if _, err := f.svc.Confirm(f.ctx, res.Order.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.CODCollected(f.ctx, res.Order.ID, "test"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		_, pay, err := f.svc.RefundOnce(f.ctx, res.Order.ID, 20000, "return:one", "test", "RMA-1001")
		if err != nil || pay.Refunded != 20000 {
			t.Fatalf("refund %d under one key: %+v %v", i, pay, err)
		}
	}
	_, pay, err := f.svc.RefundOnce(f.ctx, res.Order.ID, 20000, "return:two", "test", "RMA-1002")
	if err != nil || pay.Refunded != 40000 {
		t.Fatalf("a second return's refund: %+v %v", pay, err)
	}
	if _, _, err := f.svc.RefundOnce(f.ctx, res.Order.ID, 20000, "return:three", "test", "RMA-1003"); errs.CodeOf(err) != errs.CodeInvalid {
		t.Fatalf("a refund over what is left: %v", err)
	}
}
