// Package stripe is paying by card on a Stripe Checkout page. The customer
// is sent to the session's URL, Stripe captures at once, and the outcome
// comes back by webhook (webhook.go).
//
// Every tenant has its own Stripe account, so each call builds its own
// stripe-go backend with the tenant's secret key: no stripe-go global (Key,
// SetBackend) is ever set, and two tenants' calls never share a key.
package stripe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/checkout/session"
	"github.com/stripe/stripe-go/v76/refund"

	"concierge/internal/money"
	"concierge/plugins/payments"
)

// Name is the provider's registry key.
const Name = "stripe"

// sessionLifetime is how long a Checkout Session stays payable. Stripe takes
// 30 minutes to 24 hours from its own clock; a minute less than the maximum
// keeps a clock slightly ahead of Stripe's from being refused.
const sessionLifetime = 24*time.Hour - time.Minute

// maxLineItems is the most line items a Checkout Session takes.
const maxLineItems = 100

var (
	secretKeyPattern     = regexp.MustCompile(`^(sk|rk)_(test|live)_[A-Za-z0-9]+$`)
	webhookSecretPattern = regexp.MustCompile(`^whsec_[A-Za-z0-9+/=]+$`)
)

// currencies are those offered to tenants: the Gulf's, Jordan's and Egypt's,
// and the usual foreign ones. Stripe takes many more; add them here.
var currencies = []string{"SAR", "AED", "KWD", "BHD", "OMR", "QAR", "JOD", "EGP", "USD", "EUR", "GBP"}

// Config is what the provider needs besides a tenant's settings.
type Config struct {
	// APIBase is the Stripe API's base URL; empty: Stripe's own
	// (https://api.stripe.com). Tests and the sandbox point it at
	// stripe-mock (STRIPE_API_BASE).
	APIBase string
	// HTTPClient makes the calls; nil: a client with a 30 s timeout.
	HTTPClient *http.Client
	// Logger receives stripe-go's own log lines (requests at debug level,
	// its errors at info: the caller logs the error it gets); nil: silent.
	Logger *slog.Logger
}

// Provider is Stripe Checkout.
type Provider struct {
	base   *string
	http   *http.Client
	logger stripego.LeveledLoggerInterface
}

// New returns the Stripe provider.
func New(cfg Config) *Provider {
	p := &Provider{http: cfg.HTTPClient, logger: &stripego.LeveledLogger{Level: stripego.LevelNull}}
	if cfg.APIBase != "" {
		p.base = stripego.String(strings.TrimRight(cfg.APIBase, "/"))
	}
	if p.http == nil {
		p.http = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Logger != nil {
		p.logger = slogLeveled{cfg.Logger}
	}
	return p
}

var _ payments.Provider = (*Provider)(nil)

// Name returns "stripe".
func (*Provider) Name() string { return Name }

// Capabilities: Checkout captures at once, refunds in part or in full,
// reports by webhook and needs a redirect.
func (*Provider) Capabilities() payments.Capabilities {
	return payments.Capabilities{
		SeparateCapture: false,
		PartialCapture:  false,
		Refunds:         true,
		PartialRefund:   true,
		Webhooks:        true,
		Redirect:        true,
		Currencies:      append([]string(nil), currencies...),
	}
}

// Fields are the tenant's secret API key (a restricted key works) and the
// signing secret of the webhook endpoint the tenant created in Stripe.
func (*Provider) Fields() []payments.Field {
	return []payments.Field{
		{Name: "secret_key", Kind: payments.FieldSecret, Required: true, Pattern: secretKeyPattern},
		{Name: "webhook_secret", Kind: payments.FieldSecret, Required: true, Pattern: webhookSecretPattern},
	}
}

// api is a tenant's Stripe client for one call.
type api struct {
	sessions session.Client
	refunds  refund.Client
}

// client builds the stripe-go client of the tenant whose settings are s.
// Errors: ErrMisconfigured when the secret key is missing or malformed.
func (p *Provider) client(s payments.Settings) (api, error) {
	key := s.Get("secret_key")
	if !secretKeyPattern.MatchString(key) {
		return api{}, fmt.Errorf("stripe: secret_key missing or malformed: %w", payments.ErrMisconfigured)
	}
	b := stripego.GetBackendWithConfig(stripego.APIBackend, &stripego.BackendConfig{
		URL:             p.base, // nil: Stripe's own
		HTTPClient:      p.http,
		LeveledLogger:   p.logger,
		EnableTelemetry: stripego.Bool(false),
	})
	return api{sessions: session.Client{B: b, Key: key}, refunds: refund.Client{B: b, Key: key}}, nil
}

// Initiate creates a Checkout Session for req.Amount in req.Currency and
// returns its URL. The session's line items are the order's items, its
// shipping and, when they add up to less than the amount (prices without
// VAT), a VAT line for the difference: the session's total is always
// exactly req.Amount, or nothing is created.
//
// req.IdempotencyKey is sent as Stripe's Idempotency-Key, so a retry returns
// the same session. Stripe refuses a key reused with other parameters, so a
// retry must carry the same request, Now included (pass the payment's
// creation time, not the time of the retry).
//
// Errors: ErrMisconfigured (no or a bad secret key, Stripe refusing the
// request or the key, items that add up to more than the amount),
// ErrDeclined (an amount or currency Stripe does not take), ErrUnavailable.
func (p *Provider) Initiate(ctx context.Context, req payments.PaymentRequest) (payments.Session, error) {
	if req.PaymentID == "" || req.Now.IsZero() {
		// The webhook finds the payment by the payment_id in the metadata.
		return payments.Session{}, errors.New("stripe: initiate needs PaymentID and Now")
	}
	c, err := p.client(req.Settings)
	if err != nil {
		return payments.Session{}, err
	}
	if !p.Capabilities().Accepts(req.Currency) {
		return payments.Session{}, fmt.Errorf("stripe: currency %q not offered: %w", req.Currency, payments.ErrDeclined)
	}
	if req.Amount <= 0 {
		return payments.Session{}, fmt.Errorf("stripe: nothing to pay (%d): %w", req.Amount, payments.ErrDeclined)
	}
	// Stripe takes three-decimal currencies (KWD, BHD, OMR, JOD) only in
	// whole tens of the minor unit.
	if money.Digits(req.Currency) == 3 && req.Amount%10 != 0 {
		return payments.Session{}, fmt.Errorf("stripe: %d %s is not in tens of the minor unit: %w", req.Amount, req.Currency, payments.ErrDeclined)
	}
	cur := strings.ToLower(req.Currency)
	items, err := lineItems(req, cur)
	if err != nil {
		return payments.Session{}, err
	}

	meta := map[string]string{}
	for k, v := range map[string]string{"tenant_id": req.TenantID, "order_id": req.OrderID, "payment_id": req.PaymentID} {
		if v != "" {
			meta[k] = v
		}
	}
	expires := req.Now.Add(sessionLifetime)
	params := &stripego.CheckoutSessionParams{
		Params:            stripego.Params{Context: ctx},
		Mode:              stripego.String(string(stripego.CheckoutSessionModePayment)),
		Currency:          stripego.String(cur),
		LineItems:         items,
		SuccessURL:        stripego.String(req.SuccessURL),
		Metadata:          meta,
		PaymentIntentData: &stripego.CheckoutSessionPaymentIntentDataParams{Metadata: meta},
		Locale:            stripego.String(checkoutLocale(req.Customer.Locale)),
		ExpiresAt:         stripego.Int64(expires.Unix()),
	}
	if req.CancelURL != "" {
		params.CancelURL = stripego.String(req.CancelURL)
	}
	if req.OrderID != "" {
		params.ClientReferenceID = stripego.String(req.OrderID)
	}
	if req.IdempotencyKey != "" {
		params.IdempotencyKey = stripego.String(req.IdempotencyKey)
	}

	s, err := c.sessions.New(params)
	if err != nil {
		return payments.Session{}, wrap("create checkout session", err, payments.ErrMisconfigured)
	}
	// Stripe computes the total itself: a difference (tax or shipping
	// settings of the account) must never reach the customer, so such a
	// session is expired at once (best effort: nobody has its URL).
	if (s.AmountTotal != 0 && s.AmountTotal != req.Amount) || (s.Currency != "" && string(s.Currency) != cur) {
		_, _ = c.sessions.Expire(s.ID, &stripego.CheckoutSessionExpireParams{Params: stripego.Params{Context: ctx}})
		return payments.Session{}, fmt.Errorf("stripe: session %s totals %d %s, not %d %s: %w",
			s.ID, s.AmountTotal, s.Currency, req.Amount, cur, payments.ErrMisconfigured)
	}
	if s.ID == "" || s.URL == "" {
		return payments.Session{}, fmt.Errorf("stripe: session %q came back without an id or url", s.ID)
	}
	if s.ExpiresAt > 0 { // a replayed request answers the first session's expiry
		expires = time.Unix(s.ExpiresAt, 0)
	}
	return payments.Session{Ref: s.ID, Status: payments.StatusRequiresAction, RedirectURL: s.URL, ExpiresAt: expires.UTC()}, nil
}

// lineItems are the session's lines for req: its items, shipping, and VAT
// for what the amount has on top of them. They add up to req.Amount, or an
// error wrapping ErrMisconfigured (ErrDeclined for more lines than Stripe
// takes) says why not.
func lineItems(req payments.PaymentRequest, cur string) ([]*stripego.CheckoutSessionLineItemParams, error) {
	ar := req.Customer.Locale == "ar"
	var out []*stripego.CheckoutSessionLineItemParams
	var total int64
	add := func(name string, unit int64, qty int) error {
		if unit < 0 || qty < 1 {
			return fmt.Errorf("stripe: line %q: unit amount %d, quantity %d: %w", name, unit, qty, payments.ErrMisconfigured)
		}
		if unit > 0 && int64(qty) > (math.MaxInt64-total)/unit {
			return fmt.Errorf("stripe: line %q overflows the total: %w", name, payments.ErrMisconfigured)
		}
		total += unit * int64(qty)
		out = append(out, &stripego.CheckoutSessionLineItemParams{
			PriceData: &stripego.CheckoutSessionLineItemPriceDataParams{
				Currency:    stripego.String(cur),
				UnitAmount:  stripego.Int64(unit),
				ProductData: &stripego.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripego.String(name)},
			},
			Quantity: stripego.Int64(int64(qty)),
		})
		return nil
	}
	for _, it := range req.Items {
		name := strings.TrimSpace(it.Name)
		if name == "" {
			name = strings.TrimSpace(it.SKU)
		}
		if name == "" {
			name = pick(ar, "منتج", "Item")
		}
		if err := add(name, it.UnitPrice, it.Quantity); err != nil {
			return nil, err
		}
	}
	if req.Shipping < 0 {
		return nil, fmt.Errorf("stripe: shipping %d: %w", req.Shipping, payments.ErrMisconfigured)
	}
	if req.Shipping > 0 {
		if err := add(pick(ar, "الشحن", "Shipping"), req.Shipping, 1); err != nil {
			return nil, err
		}
	}
	switch diff := req.Amount - total; {
	case diff > 0:
		if err := add(pick(ar, "ضريبة القيمة المضافة", "VAT"), diff, 1); err != nil {
			return nil, err
		}
	case diff < 0:
		return nil, fmt.Errorf("stripe: items and shipping (%d) exceed the amount (%d): %w", total, req.Amount, payments.ErrMisconfigured)
	}
	if total != req.Amount {
		return nil, fmt.Errorf("stripe: lines total %d, not %d: %w", total, req.Amount, payments.ErrMisconfigured)
	}
	if len(out) > maxLineItems {
		return nil, fmt.Errorf("stripe: %d lines, Stripe takes %d: %w", len(out), maxLineItems, payments.ErrDeclined)
	}
	return out, nil
}

func pick(ar bool, arabic, english string) string {
	if ar {
		return arabic
	}
	return english
}

// checkoutLocale is the Checkout page's language for a customer's locale.
// Checkout has no Arabic: an Arabic speaker's page follows the browser.
func checkoutLocale(locale string) string {
	if locale == "en" {
		return "en"
	}
	return "auto"
}

// HandleWebhook is in webhook.go.

// Capture returns ErrUnsupported: Checkout captures when the customer pays.
func (*Provider) Capture(context.Context, payments.Operation) (payments.Result, error) {
	return payments.Result{}, fmt.Errorf("stripe: capture: checkout captures at once: %w", payments.ErrUnsupported)
}

// Refund refunds op.Amount of the payment intent op.PaymentRef, with
// op.IdempotencyKey as Stripe's Idempotency-Key. The Result carries the
// refund's id and amount; Status is left empty, as the checkout computes the
// payment's status from the refunded total (the charge.refunded webhook
// brings Stripe's). Errors: ErrMisconfigured, ErrDeclined (Stripe refused
// the refund: more than is left, a disputed charge), ErrNotFound,
// ErrUnavailable.
func (p *Provider) Refund(ctx context.Context, op payments.Operation) (payments.Result, error) {
	if op.PaymentRef == "" || op.Amount <= 0 {
		return payments.Result{}, fmt.Errorf("stripe: refund needs a payment intent and an amount (got %q, %d)", op.PaymentRef, op.Amount)
	}
	c, err := p.client(op.Settings)
	if err != nil {
		return payments.Result{}, err
	}
	params := &stripego.RefundParams{
		Params:        stripego.Params{Context: ctx},
		PaymentIntent: stripego.String(op.PaymentRef),
		Amount:        stripego.Int64(op.Amount),
	}
	if op.PaymentID != "" {
		params.Metadata = map[string]string{"payment_id": op.PaymentID}
	}
	if op.IdempotencyKey != "" {
		params.IdempotencyKey = stripego.String(op.IdempotencyKey)
	}
	r, err := c.refunds.New(params)
	if err != nil {
		return payments.Result{}, wrap("refund", err, payments.ErrDeclined)
	}
	if r.Status == stripego.RefundStatusFailed || r.Status == stripego.RefundStatusCanceled {
		return payments.Result{}, fmt.Errorf("stripe: refund %s %s (%s): %w", r.ID, r.Status, r.FailureReason, payments.ErrDeclined)
	}
	return payments.Result{Ref: r.ID, Amount: r.Amount}, nil
}

// Cancel expires the Checkout Session op.Ref, so it can no longer be paid:
// expired. A session already expired answers expired again; one already
// paid cannot be cancelled (ErrUnsupported: refund it). Errors:
// ErrUnsupported, ErrMisconfigured, ErrNotFound, ErrUnavailable.
func (p *Provider) Cancel(ctx context.Context, op payments.Operation) (payments.Result, error) {
	if op.Ref == "" {
		return payments.Result{}, errors.New("stripe: cancel needs the session id (Ref)")
	}
	c, err := p.client(op.Settings)
	if err != nil {
		return payments.Result{}, err
	}
	params := &stripego.CheckoutSessionExpireParams{Params: stripego.Params{Context: ctx}}
	if op.IdempotencyKey != "" {
		params.IdempotencyKey = stripego.String(op.IdempotencyKey)
	}
	_, err = c.sessions.Expire(op.Ref, params)
	var se *stripego.Error
	if errors.As(err, &se) && se.Type == stripego.ErrorTypeInvalidRequest && se.HTTPStatusCode == http.StatusBadRequest {
		// Only an open session expires: see where this one stands.
		s, gerr := c.sessions.Get(op.Ref, &stripego.CheckoutSessionParams{Params: stripego.Params{Context: ctx}})
		switch {
		case gerr != nil:
			return payments.Result{}, wrap("cancel", err, payments.ErrMisconfigured)
		case s.Status == stripego.CheckoutSessionStatusExpired:
			return payments.Result{Status: payments.StatusExpired}, nil
		case s.Status == stripego.CheckoutSessionStatusComplete:
			return payments.Result{}, fmt.Errorf("stripe: session %s is already complete, refund it instead: %w", op.Ref, payments.ErrUnsupported)
		}
	}
	if err != nil {
		return payments.Result{}, wrap("cancel", err, payments.ErrMisconfigured)
	}
	return payments.Result{Status: payments.StatusExpired}, nil
}

// Status retrieves the Checkout Session op.Ref: paid (complete and paid) is
// captured with its total; expired is expired; open, or complete with an
// asynchronous payment still on its way, is requires_action. Refunds are
// not looked up (the charge.refunded webhook brings them). Errors:
// ErrNotFound, ErrMisconfigured, ErrUnavailable.
func (p *Provider) Status(ctx context.Context, op payments.Operation) (payments.Result, error) {
	if op.Ref == "" {
		return payments.Result{}, errors.New("stripe: status needs the session id (Ref)")
	}
	c, err := p.client(op.Settings)
	if err != nil {
		return payments.Result{}, err
	}
	s, err := c.sessions.Get(op.Ref, &stripego.CheckoutSessionParams{Params: stripego.Params{Context: ctx}})
	if err != nil {
		return payments.Result{}, wrap("status", err, payments.ErrMisconfigured)
	}
	switch {
	case s.Status == stripego.CheckoutSessionStatusComplete &&
		(s.PaymentStatus == stripego.CheckoutSessionPaymentStatusPaid || s.PaymentStatus == stripego.CheckoutSessionPaymentStatusNoPaymentRequired):
		return payments.Result{Status: payments.StatusCaptured, Amount: s.AmountTotal}, nil
	case s.Status == stripego.CheckoutSessionStatusExpired:
		return payments.Result{Status: payments.StatusExpired}, nil
	case s.Status == stripego.CheckoutSessionStatusOpen, s.Status == stripego.CheckoutSessionStatusComplete:
		return payments.Result{Status: payments.StatusRequiresAction}, nil
	}
	return payments.Result{}, fmt.Errorf("stripe: session %s in an unknown state %q/%q", op.Ref, s.Status, s.PaymentStatus)
}

// wrap gives a stripe-go call's error the payments error the checkout acts
// on: no answer, rate limits and Stripe's own failures are ErrUnavailable; a
// refused key ErrMisconfigured; an unknown object ErrNotFound; a card error
// or an amount out of Stripe's bounds ErrDeclined; any other invalid request
// the caller's invalid. An idempotency conflict (a retry with other
// parameters) is a bug and keeps no payments error.
func wrap(what string, err error, invalid error) error {
	var se *stripego.Error
	if !errors.As(err, &se) {
		// No answer, a timeout, a cancelled context, an answer that is not
		// Stripe's JSON.
		return fmt.Errorf("stripe: %s: %w: %w", what, payments.ErrUnavailable, err)
	}
	var kind error
	switch {
	case se.HTTPStatusCode == http.StatusUnauthorized || se.HTTPStatusCode == http.StatusForbidden:
		kind = payments.ErrMisconfigured
	case se.HTTPStatusCode == http.StatusTooManyRequests || se.Code == stripego.ErrorCodeRateLimit ||
		se.HTTPStatusCode >= 500 || se.Type == stripego.ErrorTypeAPI:
		kind = payments.ErrUnavailable
	case se.Type == stripego.ErrorTypeIdempotency:
		return fmt.Errorf("stripe: %s: idempotency key reused with other parameters: %w", what, err)
	case se.HTTPStatusCode == http.StatusNotFound || se.Code == stripego.ErrorCodeResourceMissing:
		kind = payments.ErrNotFound
	case se.Type == stripego.ErrorTypeCard || se.HTTPStatusCode == http.StatusPaymentRequired ||
		se.Code == stripego.ErrorCodeAmountTooSmall || se.Code == stripego.ErrorCodeAmountTooLarge:
		kind = payments.ErrDeclined
	default:
		kind = invalid
	}
	return fmt.Errorf("stripe: %s: %w: %w", what, kind, err)
}

// slogLeveled hands stripe-go's log lines to a slog.Logger.
type slogLeveled struct{ l *slog.Logger }

func (s slogLeveled) log(level slog.Level, format string, v []any) {
	if s.l.Enabled(context.Background(), level) {
		s.l.Log(context.Background(), level, fmt.Sprintf(format, v...), "provider", Name)
	}
}

func (s slogLeveled) Debugf(format string, v ...any) { s.log(slog.LevelDebug, format, v) }
func (s slogLeveled) Infof(format string, v ...any)  { s.log(slog.LevelDebug, format, v) }
func (s slogLeveled) Warnf(format string, v ...any)  { s.log(slog.LevelInfo, format, v) }
func (s slogLeveled) Errorf(format string, v ...any) { s.log(slog.LevelInfo, format, v) }
