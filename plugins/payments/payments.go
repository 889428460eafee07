// Package payments is the payment provider interface every way of paying
// implements (cash on delivery, Stripe; Tamara, Tabby and mada next), the
// registry the composition root fills by name, and the one payment state
// machine all providers share (state.go).
//
// A provider is stateless: the checkout keeps payments, their events and the
// tenant's settings; each call hands the provider the tenant's opened
// settings (Settings) and what it needs. A provider never imports another
// provider, and checkout never names one: what differs between providers is
// said by Capabilities, Fields and the Session and Events they return.
// docs/payments.md shows how Tamara, Tabby and mada (Moyasar) map onto it.
package payments

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"time"
)

// Provider is one way of paying.
type Provider interface {
	// Name is the registry key, the payment_method clients send and the
	// {provider} of the webhook path: lower-case letters, digits, '_'.
	Name() string
	// Capabilities says what the provider can do.
	Capabilities() Capabilities
	// Fields are the per-tenant settings the provider needs besides
	// "enabled" (credentials are Secret fields: stored sealed, never shown).
	Fields() []Field
	// Initiate starts paying req.Amount. It is called again with the same
	// IdempotencyKey when a checkout is retried and must then return the
	// same session, never a second one (a redirect provider sends the key
	// to its API). Errors: ErrDeclined, ErrUnavailable, ErrMisconfigured.
	Initiate(ctx context.Context, req PaymentRequest) (Session, error)
	// HandleWebhook verifies a webhook delivery with the tenant's
	// credentials (ErrBadSignature when it is not authentic: nothing is
	// applied) and returns the normalised events in it; a delivery about
	// something the checkout does not track returns no events.
	HandleWebhook(ctx context.Context, req WebhookRequest) ([]Event, error)
	// Capture takes op.Amount of an authorised payment. Errors:
	// ErrUnsupported, ErrDeclined, ErrUnavailable.
	Capture(ctx context.Context, op Operation) (Result, error)
	// Refund returns op.Amount of a captured payment (op.IdempotencyKey
	// makes a retried refund one refund). Errors: ErrUnsupported,
	// ErrDeclined, ErrUnavailable.
	Refund(ctx context.Context, op Operation) (Result, error)
	// Cancel voids a payment that is not captured (or expires its hosted
	// page). Errors: ErrUnsupported, ErrUnavailable.
	Cancel(ctx context.Context, op Operation) (Result, error)
	// Status asks the provider where a payment stands (providers without
	// webhooks are polled with it). Errors: ErrUnavailable, ErrNotFound.
	Status(ctx context.Context, op Operation) (Result, error)
}

// Eligibility is a Provider that limits who may use it (cash on delivery:
// an order value cap, and none for customers who refused deliveries).
// Checkout asks before it creates anything.
type Eligibility interface {
	// Eligible returns nil, or an error wrapping ErrNotEligible whose
	// Reason names the limit.
	Eligible(s Settings, c EligibilityCheck) error
}

// EligibilityCheck is what a provider may weigh.
type EligibilityCheck struct {
	Amount   int64
	Currency string
	// Refusals counts the customer's earlier orders refused at the door.
	Refusals int
}

// NotEligibleError says why a provider refused a customer or an order.
type NotEligibleError struct {
	// Reason is "max_order_total" or "max_refusals" (or a provider's own).
	Reason string
	// Limit is the limit broken (minor units for money).
	Limit int64
}

func (e *NotEligibleError) Error() string {
	return fmt.Sprintf("payments: not eligible (%s, limit %d)", e.Reason, e.Limit)
}

// Unwrap makes errors.Is(err, ErrNotEligible) true.
func (e *NotEligibleError) Unwrap() error { return ErrNotEligible }

// ErrNotEligible is an order or customer a provider does not take.
var ErrNotEligible = errors.New("payments: not eligible")

// Capabilities describes a provider.
type Capabilities struct {
	// SeparateCapture: an authorised payment is captured later (Capture);
	// false: paying captures at once.
	SeparateCapture bool
	PartialCapture  bool
	Refunds         bool
	PartialRefund   bool
	// Webhooks: the provider reports changes by webhook; false: poll Status.
	Webhooks bool
	// Currencies the provider takes (ISO 4217); empty: any.
	Currencies []string
	// Redirect: the customer pays on the provider's page (Session.RedirectURL);
	// false: nothing to show (cash on delivery).
	Redirect bool
	// CustomerConfirms: the customer confirms the order in the chat before it
	// is released for fulfilment, within Session.ExpiresAt (cash on
	// delivery); unconfirmed, the order expires.
	CustomerConfirms bool
	// Local: Initiate, Capture, Refund and Cancel make no network call and
	// keep no state (cash on delivery), so checkout may call them inside its
	// transaction instead of around it.
	Local bool
}

// Accepts reports whether the provider takes currency.
func (c Capabilities) Accepts(currency string) bool {
	if len(c.Currencies) == 0 {
		return true
	}
	for _, cur := range c.Currencies {
		if cur == currency {
			return true
		}
	}
	return false
}

// FieldKind is how a setting is written and checked.
type FieldKind string

// The kinds of setting.
const (
	FieldSecret   FieldKind = "secret"   // a credential: sealed at rest, never returned
	FieldString   FieldKind = "string"   // one line of text
	FieldInt      FieldKind = "int"      // a whole number >= 0
	FieldMoney    FieldKind = "money"    // minor units >= 0
	FieldDuration FieldKind = "duration" // Go duration text: "24h", "90m"
	FieldBool     FieldKind = "bool"
)

// Field is one per-tenant setting of a provider.
type Field struct {
	Name string // JSON name: lower snake case
	Kind FieldKind
	// Required: the provider cannot be enabled without it.
	Required bool
	// Default applies when the tenant set nothing ("" none).
	Default string
	// Min and Max bound int, money and duration fields (Max 0: no bound;
	// durations in seconds).
	Min, Max int64
	// Pattern, for string and secret fields, is what a value must match
	// ("^sk_(test|live)_"); nil: any one line.
	Pattern *regexp.Regexp
}

// Settings are a tenant's settings of one provider, secrets opened: the
// provider reads its Fields from Values (missing: the field's Default).
type Settings struct {
	Enabled bool
	Values  map[string]string
}

// Get returns the value of field name.
func (s Settings) Get(name string) string { return s.Values[name] }

// Item is one order line, for providers that show them.
type Item struct {
	SKU       string
	Name      string // in the customer's language
	Quantity  int
	UnitPrice int64 // minor units, VAT as the order shows it
}

// Customer is who pays.
type Customer struct {
	Name   string
	Phone  string // E.164
	Email  string
	Locale string // ar or en
}

// PaymentRequest is what Initiate needs.
type PaymentRequest struct {
	Settings    Settings
	TenantID    string
	TenantSlug  string
	OrderID     string
	OrderNumber string
	PaymentID   string
	// Amount is what to take, in minor units of Currency; the items,
	// shipping and VAT add up to it.
	Amount   int64
	Currency string
	Shipping int64
	VAT      int64
	Customer Customer
	Items    []Item
	// SuccessURL and CancelURL are where a redirect provider sends the
	// customer back.
	SuccessURL string
	CancelURL  string
	// IdempotencyKey is the same for every retry of this payment.
	IdempotencyKey string
	// Now is the checkout's clock (sessions' expiry is counted from it).
	Now time.Time
}

// Session is a started payment.
type Session struct {
	// Ref is the provider's id of the session or payment ("cs_test_...").
	Ref string
	// Status is where the payment stands now: StatusRequiresAction (the
	// customer must act: pay on RedirectURL) or StatusAuthorized (cash on
	// delivery).
	Status      Status
	RedirectURL string
	// ExpiresAt is when an unpaid (or, when CustomerConfirms, unconfirmed)
	// session lapses; zero: never.
	ExpiresAt time.Time
}

// WebhookRequest is a delivery to /payments/{provider}/webhook/{tenant}.
type WebhookRequest struct {
	Settings Settings
	Header   http.Header
	Body     []byte
	// Now is the time of receipt (signature tolerance is counted from it).
	Now time.Time
}

// EventKind is what happened to a payment.
type EventKind string

// The normalised events.
const (
	EventRequiresAction EventKind = "requires_action"
	EventAuthorized     EventKind = "authorized"
	EventCaptured       EventKind = "captured"
	EventFailed         EventKind = "failed"
	EventCancelled      EventKind = "cancelled"
	EventExpired        EventKind = "expired"
	// EventRefunded: Amount is the total refunded so far (not this
	// refund's), so events applied in any order end in the same state.
	EventRefunded EventKind = "refunded"
)

// Event is one normalised provider event.
type Event struct {
	// ID is the provider's event id ("evt_..."): each is applied once.
	ID   string
	Kind EventKind
	// PaymentID is the checkout's payment id when the provider echoes it
	// (metadata); Ref the provider's session or payment id; PaymentRef the
	// provider's id of the money movement (Stripe's payment intent), which
	// later events (refunds) may carry alone.
	PaymentID  string
	Ref        string
	PaymentRef string
	Amount     int64
	Currency   string
	At         time.Time
	// Reason is the provider's failure code or message, for the timeline.
	Reason string
}

// Operation is a call on an existing payment.
type Operation struct {
	Settings   Settings
	PaymentID  string
	Ref        string // Session.Ref
	PaymentRef string // Event.PaymentRef, when known
	Amount     int64
	Currency   string
	// IdempotencyKey makes a retried operation one operation.
	IdempotencyKey string
	Now            time.Time
}

// Result is what an operation did or found.
type Result struct {
	Status Status
	// Ref is the provider's id of what the operation made (a refund's id).
	Ref string
	// Amount is what was captured or refunded (for Status: the payment's
	// captured total), minor units.
	Amount int64
	// Refunded is the payment's total refunded after the operation.
	Refunded int64
}

// Errors providers return (wrapped with details).
var (
	ErrBadSignature    = errors.New("payments: webhook signature invalid")
	ErrDeclined        = errors.New("payments: declined by the provider")
	ErrUnavailable     = errors.New("payments: provider unavailable")
	ErrUnsupported     = errors.New("payments: not supported by this provider")
	ErrMisconfigured   = errors.New("payments: provider settings incomplete")
	ErrNotFound        = errors.New("payments: unknown to the provider")
	ErrUnknownProvider = errors.New("payments: no such provider")
)

// Registry holds the providers by name.
type Registry struct {
	byName map[string]Provider
}

var providerName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// NewRegistry returns a registry of ps. It panics on an invalid or repeated
// name: that is a wiring mistake in the composition root.
func NewRegistry(ps ...Provider) *Registry {
	r := &Registry{byName: make(map[string]Provider, len(ps))}
	for _, p := range ps {
		n := p.Name()
		if !providerName.MatchString(n) {
			panic(fmt.Sprintf("payments: invalid provider name %q", n))
		}
		if r.byName[n] != nil {
			panic(fmt.Sprintf("payments: provider %q registered twice", n))
		}
		r.byName[n] = p
	}
	return r
}

// Get returns the provider called name.
func (r *Registry) Get(name string) (Provider, bool) {
	p, ok := r.byName[name]
	return p, ok
}

// Names lists the registered providers, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.byName))
	for n := range r.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
