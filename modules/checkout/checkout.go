// Package checkout turns a cart into an order and takes payment for it
// through the payment providers of plugins/payments (cash on delivery,
// Stripe; registered by name in cmd/concierge). It keeps payments, their
// events and the tenant's provider settings; orders are modules/orders'.
//
//   - Init: the cart's order draft (one per cart: a retry returns it, a
//     changed cart re-prices it), stock reserved atomically, a payment
//     started with the chosen provider (outside any transaction; a retry
//     sends the same idempotency key).
//   - Confirm: the customer confirms a cash-on-delivery order (API or the
//     WhatsApp button); only then is it released for fulfilment.
//   - Webhooks: /payments/{provider}/webhook/{tenant}, verified with the
//     tenant's credentials; each provider event applied once, in any order,
//     through the one payment state machine (payments.Next).
//   - Jobs: a payment that lapses (unconfirmed COD, an unpaid hosted page)
//     expires and gives its stock back; payments started from WhatsApp are
//     initiated by a job and their link or confirmation sent as a
//     notification.
//
// docs/checkout.md and docs/payments.md.
package checkout

import (
	"context"
	"log/slog"
	"runtime"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/idempotency"
	"concierge/internal/jobs"
	"concierge/modules/cart"
	"concierge/modules/catalog"
	"concierge/modules/orders"
	"concierge/plugins/payments"
	"concierge/tenants"
)

// Payment is one attempt to pay an order through a provider.
type Payment struct {
	ID          uuid.UUID
	OrderID     uuid.UUID
	Provider    string
	Status      payments.Status
	Amount      int64
	Currency    string
	Captured    int64
	Refunded    int64
	Ref         string // the provider's session or payment id
	PaymentRef  string // the provider's id of the money movement
	RedirectURL string
	ExpiresAt   *time.Time
	// ConfirmedAt is when the customer confirmed (cash on delivery).
	ConfirmedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (p *Payment) state() payments.State {
	return payments.State{Status: p.Status, Amount: p.Amount, Captured: p.Captured, Refunded: p.Refunded}
}

// InitRequest is a checkout of a cart.
type InitRequest struct {
	CartID        string
	CustomerName  string
	CustomerPhone string     // E.164
	CustomerID    *uuid.UUID // the WhatsApp customer, when checking out in the chat
	Locale        string     // ar or en
	Address       orders.Address
	Method        string // a registered, enabled provider
	Notes         string
	// Actor is who checks out, for the timeline ("customer:<id>", "web").
	Actor string
	// Deferred starts the payment in a job and sends its link or
	// confirmation as a notification (the chat, whose turn runs in a
	// transaction that must not wait for a provider); otherwise Init calls
	// the provider itself after its transaction commits.
	Deferred bool
}

// InitResult is the order and its payment.
type InitResult struct {
	Order   *orders.Order
	Payment *Payment
	// Created: this call created the order (false: it existed already).
	Created bool
}

// Carts is what checkout needs of carts (cart.Service).
type Carts interface {
	// ForCheckout prices and locks the cart in the caller's transaction.
	ForCheckout(ctx context.Context, id, city string) (*cart.Cart, cart.Settings, error)
	// Convert marks the cart checked out (in the caller's transaction).
	Convert(ctx context.Context, id string) error
	// CustomerCart returns the WhatsApp customer's open cart.
	CustomerCart(ctx context.Context, customerID uuid.UUID) (*cart.Cart, error)
	PricingSettings(ctx context.Context) (cart.Settings, error)
}

// Stock is what checkout needs of the catalog (catalog.Service).
type Stock interface {
	ReserveStock(ctx context.Context, tx bun.IDB, lines []catalog.StockLine) (bool, error)
	ReleaseStock(ctx context.Context, tx bun.IDB, lines []catalog.StockLine) (bool, error)
	StockChanged(ctx context.Context)
}

// Orders is what checkout needs of orders (orders.Service).
type Orders interface {
	CreateTx(ctx context.Context, tx bun.Tx, o *orders.Order, actor string) error
	UpdateTx(ctx context.Context, tx bun.Tx, o *orders.Order, withLines bool, ev orders.Event) error
	MoveTx(ctx context.Context, tx bun.Tx, o *orders.Order, to string, ev orders.Event) error
	EventTx(ctx context.Context, tx bun.Tx, orderID uuid.UUID, ev orders.Event) error
	GetTx(ctx context.Context, tx bun.IDB, id uuid.UUID, lock bool) (*orders.Order, error)
	ForCartTx(ctx context.Context, tx bun.IDB, cartID string) (*orders.Order, error)
	LatestForCustomerTx(ctx context.Context, tx bun.IDB, customerID uuid.UUID) (*orders.Order, error)
	RefusalsTx(ctx context.Context, tx bun.IDB, phone string) (int, error)
}

// Notice, NoticeButton and Notifier are the orders module's: one shape of
// customer notification for every module after the sale.
type (
	Notice       = orders.Notice
	NoticeButton = orders.NoticeButton
	Notifier     = orders.Notifier
)

// Sealer seals and opens provider secrets (secrets.Keyring).
type Sealer interface {
	Seal(plaintext, context string) (string, error)
	Open(sealed, context string) (string, error)
}

// Auditor records settings changes (tenants.AuditEntry).
type Auditor interface {
	Record(ctx context.Context, tx bun.IDB, e tenants.AuditEntry) error
}

// Config tunes checkout.
type Config struct {
	// PublicBaseURL is where the customer comes back after paying on a
	// provider's page when the tenant's host is unknown.
	PublicBaseURL string
	// PlatformDomain makes "<slug>.<domain>" the tenant's storefront.
	PlatformDomain string
	// ExpiryGrace is how long after a hosted page's expiry the expiry sweep
	// takes it (the provider's own "expired" webhook usually comes first).
	ExpiryGrace time.Duration
	// DefaultConfirmWithin applies when a provider's session has no expiry.
	DefaultConfirmWithin time.Duration
	// Concurrency bounds the checkout transactions a process runs at once
	// (CHECKOUT_CONCURRENCY; 0: 2 per CPU). Under a burst, checkouts wait
	// their turn in the process instead of crowding the database with
	// transactions that take turns on the same index pages and CPUs.
	Concurrency int
}

// Tenants reads a tenant whole (jobs carry only its id).
type Tenants interface {
	Get(ctx context.Context, idOrSlug string) (*tenants.Tenant, error)
}

// Deps are what checkout needs.
type Deps struct {
	Scope     *tenants.Scope
	Tenants   Tenants
	Jobs      *jobs.Jobs
	Providers *payments.Registry
	Carts     Carts
	Stock     Stock
	Orders    Orders
	Notifier  Notifier // nil: no notifications
	Secrets   Sealer
	Audit     Auditor
	// Idempotency answers repeated Idempotency-Keys (nil: keys ignored).
	Idempotency *idempotency.Store
	// Actor names who acts in a staff request ("user:<id>").
	Actor func(ctx context.Context) string
	Log   *slog.Logger
	Now   func() time.Time
}

// Service is checkout.
type Service struct {
	cfg       Config
	slots     chan struct{}
	scope     *tenants.Scope
	tenants   Tenants
	jobs      *jobs.Jobs
	providers *payments.Registry
	carts     Carts
	stock     Stock
	orders    Orders
	notifier  Notifier
	secrets   Sealer
	audit     Auditor
	idem      *idempotency.Store
	actor     func(ctx context.Context) string
	log       *slog.Logger
	now       func() time.Time
}

// New builds the service.
func New(cfg Config, d Deps) *Service {
	if cfg.ExpiryGrace <= 0 {
		cfg.ExpiryGrace = 10 * time.Minute
	}
	if cfg.DefaultConfirmWithin <= 0 {
		cfg.DefaultConfirmWithin = 24 * time.Hour
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2 * runtime.GOMAXPROCS(0)
	}
	s := &Service{cfg: cfg, slots: make(chan struct{}, cfg.Concurrency), scope: d.Scope, tenants: d.Tenants, jobs: d.Jobs, providers: d.Providers, carts: d.Carts, stock: d.Stock, orders: d.Orders,
		notifier: d.Notifier, secrets: d.Secrets, audit: d.Audit, idem: d.Idempotency, actor: d.Actor, log: d.Log, now: d.Now}
	if s.actor == nil {
		s.actor = func(context.Context) string { return "staff" }
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// admit waits for a checkout slot (or the request's end). The returned
// function gives it back.
func (s *Service) admit(ctx context.Context) (func(), error) {
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, nil
	case <-ctx.Done():
		return nil, errs.Wrap(errs.CodeUnavailable, ctx.Err(), "checkout.busy")
	}
}
