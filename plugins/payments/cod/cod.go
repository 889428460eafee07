// Package cod is cash on delivery: nothing is paid online. The payment is
// authorised when the order is placed, the customer confirms the order in the
// chat within confirm_within (Session.ExpiresAt), and the courier's cash
// collection is recorded as the capture. All state lives in the checkout;
// this provider only says what cash on delivery can do and checks the
// tenant's limit.
package cod

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"concierge/plugins/payments"
)

// Name is the provider's registry key.
const Name = "cod"

// The defaults and bounds of the settings.
const (
	DefaultConfirmWithin = 24 * time.Hour
	DefaultMaxRefusals   = 2
	minConfirmWithin     = 5 * time.Minute
	maxConfirmWithin     = 7 * 24 * time.Hour
	refusalsBound        = 100
)

// ErrOverLimit is an order over the tenant's cash on delivery limit
// (max_order_total). It wraps payments.ErrDeclined, so a caller that knows
// no provider still reads it as a decline.
var ErrOverLimit = fmt.Errorf("cod: order total over the cash on delivery limit: %w", payments.ErrDeclined)

// Provider is cash on delivery. It keeps no state and makes no call.
type Provider struct{}

// New returns the cash on delivery provider.
func New() *Provider { return &Provider{} }

var (
	_ payments.Provider    = (*Provider)(nil)
	_ payments.Eligibility = (*Provider)(nil)
)

// Name returns "cod".
func (*Provider) Name() string { return Name }

// Capabilities: the cash is captured on delivery (SeparateCapture), in full;
// refunds are cash handed back and only recorded; the customer confirms the
// order in the chat.
func (*Provider) Capabilities() payments.Capabilities {
	return payments.Capabilities{
		SeparateCapture:  true,
		PartialCapture:   false,
		Refunds:          true,
		PartialRefund:    true,
		Webhooks:         false,
		Redirect:         false,
		CustomerConfirms: true,
		Local:            true,
	}
}

// Fields are the tenant's limits: the largest order taken on delivery (0: no
// limit), how long the customer has to confirm, and after how many refused
// deliveries a customer is offered cash on delivery no more (0: never).
func (*Provider) Fields() []payments.Field {
	return []payments.Field{
		{Name: "max_order_total", Kind: payments.FieldMoney, Default: "0"},
		{Name: "confirm_within", Kind: payments.FieldDuration, Default: "24h",
			Min: int64(minConfirmWithin / time.Second), Max: int64(maxConfirmWithin / time.Second)},
		{Name: "max_refusals", Kind: payments.FieldInt, Default: strconv.Itoa(DefaultMaxRefusals), Min: 0, Max: refusalsBound},
	}
}

// Limits reads the tenant's cash on delivery settings: the largest order
// total in minor units (0: no limit), how long the customer has to confirm,
// and the refused deliveries after which a customer loses cash on delivery
// (0: never). A missing or invalid value (unparsable, out of bounds) reads
// as its default.
func Limits(s payments.Settings) (maxTotal int64, confirmWithin time.Duration, maxRefusals int) {
	maxTotal, confirmWithin, maxRefusals = 0, DefaultConfirmWithin, DefaultMaxRefusals
	if n, err := strconv.ParseInt(s.Get("max_order_total"), 10, 64); err == nil && n >= 0 {
		maxTotal = n
	}
	if d, err := time.ParseDuration(s.Get("confirm_within")); err == nil && d >= minConfirmWithin && d <= maxConfirmWithin {
		confirmWithin = d
	}
	if n, err := strconv.Atoi(s.Get("max_refusals")); err == nil && n >= 0 && n <= refusalsBound {
		maxRefusals = n
	}
	return maxTotal, confirmWithin, maxRefusals
}

// Eligible says whether the tenant takes this order on delivery: nil, or a
// *payments.NotEligibleError (wrapping payments.ErrNotEligible) with Reason
// "max_order_total" (Limit: the cap, minor units) when the amount is over
// the cap, or "max_refusals" (Limit: the count) when the customer has
// already refused that many deliveries.
func (*Provider) Eligible(s payments.Settings, c payments.EligibilityCheck) error {
	maxTotal, _, maxRefusals := Limits(s)
	if maxTotal > 0 && c.Amount > maxTotal {
		return &payments.NotEligibleError{Reason: "max_order_total", Limit: maxTotal}
	}
	if maxRefusals > 0 && c.Refusals >= maxRefusals {
		return &payments.NotEligibleError{Reason: "max_refusals", Limit: int64(maxRefusals)}
	}
	return nil
}

// Initiate authorises paying req.Amount on delivery: the session is
// "cod_"+PaymentID, authorised, and lapses unless the customer confirms
// within confirm_within of req.Now. Errors: ErrOverLimit (also a
// payments.ErrDeclined and a *payments.NotEligibleError) when the amount is
// over max_order_total; the customer's refusals are Eligible's to weigh.
func (*Provider) Initiate(_ context.Context, req payments.PaymentRequest) (payments.Session, error) {
	if req.PaymentID == "" || req.Now.IsZero() {
		return payments.Session{}, errors.New("cod: initiate needs PaymentID and Now")
	}
	maxTotal, confirmWithin, _ := Limits(req.Settings)
	if maxTotal > 0 && req.Amount > maxTotal {
		return payments.Session{}, fmt.Errorf("%w: %d %s: %w", ErrOverLimit, req.Amount, req.Currency,
			&payments.NotEligibleError{Reason: "max_order_total", Limit: maxTotal})
	}
	return payments.Session{
		Ref:       "cod_" + req.PaymentID,
		Status:    payments.StatusAuthorized,
		ExpiresAt: req.Now.Add(confirmWithin),
	}, nil
}

// HandleWebhook returns ErrUnsupported: cash on delivery has no webhooks.
func (*Provider) HandleWebhook(context.Context, payments.WebhookRequest) ([]payments.Event, error) {
	return nil, fmt.Errorf("cod: webhooks: %w", payments.ErrUnsupported)
}

// Capture records the cash collected on delivery: op.Amount, captured.
func (*Provider) Capture(_ context.Context, op payments.Operation) (payments.Result, error) {
	return payments.Result{Status: payments.StatusCaptured, Amount: op.Amount}, nil
}

// Refund records cash handed back to the customer: op.Amount. Nothing is
// sent anywhere; Status is left empty, as the checkout computes the
// payment's status from the refunded total it keeps (payments.Next).
func (*Provider) Refund(_ context.Context, op payments.Operation) (payments.Result, error) {
	return payments.Result{Amount: op.Amount}, nil
}

// Cancel cancels an order not yet paid for: cancelled.
func (*Provider) Cancel(context.Context, payments.Operation) (payments.Result, error) {
	return payments.Result{Status: payments.StatusCancelled}, nil
}

// Status returns ErrUnsupported: a cash on delivery payment's state lives
// in the checkout, not with a provider.
func (*Provider) Status(context.Context, payments.Operation) (payments.Result, error) {
	return payments.Result{}, fmt.Errorf("cod: status: %w", payments.ErrUnsupported)
}
