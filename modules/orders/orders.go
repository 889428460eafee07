// Package orders is the orders core: an order with its lines, totals,
// address, customer and status, and its timeline of events. Checkout
// creates and moves orders inside its own tenant transactions (the *Tx
// methods take the caller's tx); staff read them through the API
// (GET /api/v1/orders, GET /api/v1/orders/{id}). docs/checkout.md.
//
// Statuses: pending_payment (the cart's draft, waiting for payment or, for
// cash on delivery, the customer's confirmation), confirmed (released for
// fulfilment), processing, shipped, delivered, cancelled, returned.
package orders

import (
	"context"
	"log/slog"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/money"
	"concierge/tenants"
)

// The order statuses.
const (
	StatusPendingPayment = "pending_payment"
	StatusConfirmed      = "confirmed"
	StatusProcessing     = "processing"
	StatusShipped        = "shipped"
	StatusDelivered      = "delivered"
	StatusCancelled      = "cancelled"
	StatusReturned       = "returned"
)

// Statuses lists every status, in lifecycle order.
var Statuses = []string{StatusPendingPayment, StatusConfirmed, StatusProcessing, StatusShipped, StatusDelivered, StatusCancelled, StatusReturned}

// transitions are the status changes an order may make.
var transitions = map[string][]string{
	StatusPendingPayment: {StatusConfirmed, StatusCancelled},
	StatusConfirmed:      {StatusProcessing, StatusShipped, StatusCancelled},
	StatusProcessing:     {StatusShipped, StatusCancelled},
	StatusShipped:        {StatusDelivered, StatusCancelled, StatusReturned},
	StatusDelivered:      {StatusReturned},
}

// CanMove reports whether an order in status from may move to to.
func CanMove(from, to string) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Order is one order.
type Order struct {
	ID            uuid.UUID
	Number        int64
	CartID        string
	Channel       string // web or whatsapp
	CustomerID    *uuid.UUID
	CustomerName  string
	CustomerPhone string // E.164
	Locale        string // ar or en: the customer's language
	Status        string
	PaymentMethod string // the provider's name
	Totals        Totals
	Address       Address
	Notes         string
	Lines         []Line
	// StockHeld: the lines' quantities are reserved from stock.
	StockHeld bool
	// CartVersion fingerprints the cart the draft was priced from.
	CartVersion string
	ConfirmedAt *time.Time
	CancelledAt *time.Time
	// RefusedAt is when staff marked a cash-on-delivery order refused at
	// the door.
	RefusedAt   *time.Time
	ShippedAt   *time.Time
	DeliveredAt *time.Time // the return window counts from here
	Tracking    Tracking
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Totals are the order's money, from the cart's pricing (cart.Price).
type Totals struct {
	Currency    string
	Subtotal    int64
	Discount    int64
	Shipping    int64
	VAT         int64 // included in Total
	Total       int64
	VATRateBP   int
	VATIncluded bool
}

// Address is a Saudi National Address.
type Address struct {
	BuildingNumber   string // 4 digits
	Street           string
	District         string
	City             string
	PostalCode       string // 5 digits
	AdditionalNumber string // 4 digits, optional
	ShortAddress     string // AAAA0000, optional
	Notes            string
	Location         *Location
}

// Tracking is how a shipped order can be followed.
type Tracking struct {
	Number  string
	URL     string // https
	Carrier string
}

// Location is a map pin.
type Location struct {
	Lat float64
	Lng float64
}

// Line is one item sold.
type Line struct {
	VariantID uuid.UUID
	ProductID uuid.UUID
	SKU       string
	TitleAR   string
	TitleEN   string
	OptionsAR string
	OptionsEN string
	Quantity  int
	UnitPrice int64
}

// Total is the line's price times its quantity.
func (l Line) Total() int64 { return l.UnitPrice * int64(l.Quantity) }

// Event is one entry of an order's timeline.
type Event struct {
	ID    uuid.UUID
	Kind  string // created, repriced, confirmed, cancelled, payment_captured, cod_collected, refused_at_door, ...
	From  string
	To    string
	Actor string // "customer:<id>", "user:<id>", "system:checkout"
	Note  string
	Data  map[string]string
	At    time.Time
}

// Payment is what the order's reader shows of one payment (modules/checkout
// keeps them).
type Payment struct {
	ID          uuid.UUID
	Provider    string
	Status      string
	Amount      int64
	Currency    string
	Captured    int64
	Refunded    int64
	RedirectURL string
	ExpiresAt   *time.Time
	CreatedAt   time.Time
}

// Payments reads orders' payments (modules/checkout).
type Payments interface {
	// OrderPayments returns each order's payments, oldest first, in tx.
	OrderPayments(ctx context.Context, tx bun.IDB, orderIDs []uuid.UUID) (map[uuid.UUID][]Payment, error)
}

// Notice is a message to the customer (whatsapp.Notification through the
// composition root's adapter): a session text inside the 24-hour window, an
// approved template outside it, sent once per Key, queued in the caller's
// transaction (nothing is sent for a rolled-back change).
type Notice struct {
	CustomerID *uuid.UUID
	Phone      string // E.164, when there is no CustomerID
	Key        string
	Text       string // bot text key
	Vars       []string
	// Amounts are money placeholders ("{total}"), formatted in the
	// customer's language when sent (template parameters too).
	Amounts map[string]money.Amount
	// Localized are placeholder pairs per language ("ar", "en"), used in
	// the language the customer gets the message in.
	Localized map[string][]string
	Template  string
	Params    []string
	Buttons   []NoticeButton
	URL       string
	URLText   string // bot text key of the link's label
}

// NoticeButton is a reply button of a notice.
type NoticeButton struct {
	ID   string
	Text string // bot text key
}

// Notifier queues notices inside the caller's transaction. Errors:
// not_found (no WhatsApp customer with that id or phone), conflict (the
// customer has not consented, or the template is not approved): callers
// log those and go on.
type Notifier interface {
	NotifyTx(ctx context.Context, tx bun.Tx, n Notice) error
}

// Observer is told of every timeline event added to an order after its
// creation (status changes, payments captured and refunded, notes), inside
// the transaction that adds it: tax invoices on confirmation, credit notes
// on refunds, SLA timers. o is the order after the change when the event
// is a status change (ev.To set), else nil. An error rolls the change back,
// so an observer fails only when the change must not happen.
type Observer interface {
	OrderEventTx(ctx context.Context, tx bun.Tx, orderID uuid.UUID, o *Order, ev Event) error
}

// Detail is an order with its timeline and payments.
type Detail struct {
	Order
	Events   []Event
	Payments []Payment
}

// ListQuery filters the staff list.
type ListQuery struct {
	Phone  string // E.164
	Status string
	// PaymentMethod is a provider's name (cod, stripe, ...).
	PaymentMethod string
	// From and To bound the creation time: [From, To); zero: open.
	From, To time.Time
	Cursor   string
	Limit    int
	// Summary reads only what a list of orders shows: ID, Number, Channel,
	// the customer (ID, name, phone, locale), Status, PaymentMethod,
	// Totals.Currency and Totals.Total, and the times. Every other field is
	// zero (the address, the rest of the totals, tracking, notes).
	Summary bool
}

// Stats are the orders placed in a period (drafts waiting for payment and
// cancelled orders are not counted), by currency.
type Stats struct {
	Orders  int64
	Revenue []money.Amount // one per currency, largest first
}

// Page is one page of orders, newest first.
type Page struct {
	Items      []Order
	NextCursor string
}

// MaxListPage bounds a page of the staff list.
const MaxListPage = 100

// ErrNotFound is an order this tenant does not have.
var ErrNotFound = errs.New(errs.CodeNotFound, "orders.not_found")

// Config tunes the service.
type Config struct {
	// LookupPerHour bounds the public order lookups per IP and per phone
	// (ORDER_LOOKUP_PER_HOUR; 0: 10).
	LookupPerHour int
	// RedisPrefix prefixes the rate-limit keys.
	RedisPrefix string
}

// Deps are what the service needs.
type Deps struct {
	Scope *tenants.Scope
	// Payments fills the payments of an order's detail (nil: none).
	Payments Payments
	// Limiter counts public lookups (nil: not limited).
	Limiter *redis_rate.Limiter
	// Actor names who acts in a request's context ("user:<id>").
	Actor func(context.Context) string
	Log   *slog.Logger
	Now   func() time.Time
}

// Service keeps orders.
type Service struct {
	cfg       Config
	limiter   *redis_rate.Limiter
	scope     *tenants.Scope
	payments  Payments
	canceller Canceller
	notifier  Notifier
	observers []Observer
	actor     func(context.Context) string
	log       *slog.Logger
	now       func() time.Time
}

// New builds the service.
func New(cfg Config, d Deps) *Service {
	if cfg.LookupPerHour <= 0 {
		cfg.LookupPerHour = 10
	}
	s := &Service{cfg: cfg, scope: d.Scope, payments: d.Payments, limiter: d.Limiter, actor: d.Actor, log: d.Log, now: d.Now}
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

// Observe adds an observer of status changes (composition root only,
// before serving).
func (s *Service) Observe(o Observer) { s.observers = append(s.observers, o) }

// SetPayments names the payments reader (checkout is built after orders).
func (s *Service) SetPayments(p Payments) { s.payments = p }
