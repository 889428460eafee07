package stripe

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"concierge/plugins/payments"
)

// Tolerance is how far a delivery's signed timestamp may be from its
// receipt (WebhookRequest.Now), either way, before it is refused as a
// replay: Stripe's own default.
const Tolerance = webhook.DefaultTolerance

// HandleWebhook verifies a Stripe delivery and normalises it.
//
// The Stripe-Signature header ("t=<unix>,v1=<hex HMAC-SHA256 of
// t.body>") is checked with stripe-go against the tenant's webhook_secret;
// stripe-go counts its tolerance from time.Now, so its check is skipped
// and the timestamp is held to Tolerance from req.Now here (time.Now when
// req.Now is zero). Anything not authentic, stale or unsigned wraps
// payments.ErrBadSignature (and ErrMisconfigured too when the tenant has no
// webhook secret).
//
// The payload is read with the few fields used, whatever API version the
// tenant's endpoint renders, and never panics: an authentic but malformed
// payload is an error. Events:
//
//   - checkout.session.completed: paid (or no_payment_required) is
//     captured with amount_total; unpaid (an asynchronous method on its way)
//     is requires_action.
//   - checkout.session.async_payment_succeeded: captured.
//   - checkout.session.async_payment_failed: failed.
//   - checkout.session.expired: expired.
//   - charge.refunded: refunded, Amount the charge's amount_refunded (the
//     total so far), found by its payment intent (PaymentRef) and the
//     payment_id metadata when the charge has it.
//
// Sessions without our payment_id metadata (the tenant's other uses of the
// account) and every other event type give no events.
func (p *Provider) HandleWebhook(_ context.Context, req payments.WebhookRequest) ([]payments.Event, error) {
	secret := req.Settings.Get("webhook_secret")
	if secret == "" {
		return nil, fmt.Errorf("stripe: no webhook_secret: %w: %w", payments.ErrBadSignature, payments.ErrMisconfigured)
	}
	header := req.Header.Get("Stripe-Signature")
	if err := webhook.ValidatePayloadIgnoringTolerance(req.Body, header, secret); err != nil {
		return nil, fmt.Errorf("stripe: webhook: %w: %w", payments.ErrBadSignature, err)
	}
	signed, ok := signedAt(header)
	if !ok {
		return nil, fmt.Errorf("stripe: webhook: %w: no timestamp", payments.ErrBadSignature)
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	if d := now.Sub(signed); d > Tolerance || d < -Tolerance {
		return nil, fmt.Errorf("stripe: webhook: %w: signed at %s, received at %s", payments.ErrBadSignature, signed.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}

	var ev struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Created int64  `json:"created"`
		Data    struct {
			Object json.RawMessage `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(req.Body, &ev); err != nil {
		return nil, fmt.Errorf("stripe: webhook: malformed event: %w", err)
	}
	if ev.ID == "" || ev.Type == "" {
		return nil, fmt.Errorf("stripe: webhook: event without id or type")
	}
	base := payments.Event{ID: ev.ID, At: time.Unix(ev.Created, 0).UTC()}

	switch ev.Type {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded",
		"checkout.session.async_payment_failed", "checkout.session.expired":
		var s struct {
			ID            string            `json:"id"`
			AmountTotal   int64             `json:"amount_total"`
			Currency      string            `json:"currency"`
			PaymentStatus string            `json:"payment_status"`
			Metadata      map[string]string `json:"metadata"`
			PaymentIntent expandable        `json:"payment_intent"`
		}
		if err := decodeObject(ev.Data.Object, &s); err != nil {
			return nil, fmt.Errorf("stripe: webhook %s (%s): %w", ev.ID, ev.Type, err)
		}
		if s.ID == "" {
			return nil, fmt.Errorf("stripe: webhook %s (%s): session without id", ev.ID, ev.Type)
		}
		if s.Metadata["payment_id"] == "" {
			return nil, nil // not a session this checkout made
		}
		e := base
		e.PaymentID, e.Ref, e.PaymentRef = s.Metadata["payment_id"], s.ID, string(s.PaymentIntent)
		e.Amount, e.Currency = s.AmountTotal, strings.ToUpper(s.Currency)
		switch ev.Type {
		case "checkout.session.completed":
			switch s.PaymentStatus {
			case "paid", "no_payment_required":
				e.Kind = payments.EventCaptured
			case "unpaid":
				e.Kind, e.Amount = payments.EventRequiresAction, 0
			default:
				return nil, nil
			}
		case "checkout.session.async_payment_succeeded":
			e.Kind = payments.EventCaptured
		case "checkout.session.async_payment_failed":
			e.Kind, e.Amount, e.Reason = payments.EventFailed, 0, "async_payment_failed"
		case "checkout.session.expired":
			e.Kind, e.Amount = payments.EventExpired, 0
		}
		return []payments.Event{e}, nil

	case "charge.refunded":
		var c struct {
			ID             string            `json:"id"`
			AmountRefunded int64             `json:"amount_refunded"`
			Currency       string            `json:"currency"`
			Metadata       map[string]string `json:"metadata"`
			PaymentIntent  expandable        `json:"payment_intent"`
		}
		if err := decodeObject(ev.Data.Object, &c); err != nil {
			return nil, fmt.Errorf("stripe: webhook %s (%s): %w", ev.ID, ev.Type, err)
		}
		if c.PaymentIntent == "" && c.Metadata["payment_id"] == "" {
			return nil, nil // nothing to find a payment by: not a Checkout payment
		}
		e := base
		e.Kind = payments.EventRefunded
		e.PaymentID, e.PaymentRef = c.Metadata["payment_id"], string(c.PaymentIntent)
		e.Amount, e.Currency = c.AmountRefunded, strings.ToUpper(c.Currency)
		return []payments.Event{e}, nil
	}
	return nil, nil
}

// decodeObject reads an event's data.object, which must be a JSON object.
func decodeObject(raw json.RawMessage, v any) error {
	if len(raw) == 0 || raw[0] != '{' {
		return fmt.Errorf("data.object is not an object")
	}
	return json.Unmarshal(raw, v)
}

// expandable is a Stripe reference: the object's id, or the expanded object
// whose id it takes, or null.
type expandable string

// UnmarshalJSON reads "pi_123", {"id": "pi_123", ...} or null.
func (x *expandable) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*x = ""
		return nil
	}
	var id string
	if err := json.Unmarshal(b, &id); err == nil {
		*x = expandable(id)
		return nil
	}
	var obj struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("reference is neither an id nor an object: %w", err)
	}
	*x = expandable(obj.ID)
	return nil
}

// signedAt is the timestamp of a Stripe-Signature header as stripe-go reads
// it (the last t=).
func signedAt(header string) (time.Time, bool) {
	var at time.Time
	found := false
	for _, pair := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k != "t" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		at, found = time.Unix(n, 0), true
	}
	return at, found
}
