package checkout

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/orders"
	"concierge/plugins/payments"
	"concierge/tenants"
)

// WebhookResult counts what a delivery did.
type WebhookResult struct {
	Events    int // events the provider found in it
	Applied   int
	Unmatched int // about payments this tenant does not have
}

// Webhook verifies a provider's delivery with the tenant's credentials and
// applies its events, each once. Errors: not_found (no such provider, or
// not enabled for the tenant), malformed (not authentic: nothing applied).
func (s *Service) Webhook(ctx context.Context, provider string, header http.Header, body []byte) (WebhookResult, error) {
	var res WebhookResult
	p, ok := s.providers.Get(provider)
	if !ok || !p.Capabilities().Webhooks {
		return res, errs.New(errs.CodeNotFound, "checkout.webhook.unknown")
	}
	var set payments.Settings
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		set, err = s.providerSettings(ctx, tx, p)
		return err
	})
	if err != nil {
		return res, err
	}
	if !set.Enabled {
		return res, errs.New(errs.CodeNotFound, "checkout.webhook.unknown")
	}
	evs, err := p.HandleWebhook(ctx, payments.WebhookRequest{Settings: set, Header: header, Body: body, Now: s.now().UTC()})
	if err != nil {
		if errors.Is(err, payments.ErrBadSignature) {
			return res, errs.Wrap(errs.CodeMalformed, err, "checkout.webhook.signature")
		}
		return res, errs.Wrap(errs.CodeMalformed, err, "checkout.webhook.invalid")
	}
	res.Events = len(evs)
	for _, ev := range evs {
		applied, found, err := s.applyProviderEvent(ctx, p, ev)
		if err != nil {
			return res, err
		}
		switch {
		case !found:
			res.Unmatched++
			s.log.WarnContext(ctx, "payment webhook event matches no payment", "provider", provider, "event_id", ev.ID, "kind", ev.Kind)
		case applied:
			res.Applied++
		}
	}
	return res, nil
}

// applyProviderEvent finds the event's payment (by the payment id the
// provider echoes, else by its references) and applies the event.
func (s *Service) applyProviderEvent(ctx context.Context, p payments.Provider, ev payments.Event) (applied, found bool, err error) {
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		pay, err := s.findPayment(ctx, tx, p.Name(), ev)
		if err != nil || pay == nil {
			return err
		}
		found = true
		o, pay, err := s.lockPayment(ctx, tx, pay.ID)
		if err != nil {
			return err
		}
		out, err := s.apply(ctx, tx, p, o, pay, ev, "system:"+p.Name())
		applied = out == outcomeApplied
		return err
	})
	return applied, found, err
}

func (s *Service) findPayment(ctx context.Context, tx bun.IDB, provider string, ev payments.Event) (*Payment, error) {
	if id, err := uuid.Parse(ev.PaymentID); err == nil {
		return getPayment(ctx, tx, false, "id = ? AND provider = ?", id, provider)
	}
	if ev.Ref != "" {
		if pay, err := getPayment(ctx, tx, false, "provider = ? AND ref = ?", provider, ev.Ref); err != nil || pay != nil {
			return pay, err
		}
	}
	if ev.PaymentRef != "" {
		return getPayment(ctx, tx, false, "provider = ? AND payment_ref = ?", provider, ev.PaymentRef)
	}
	return nil, nil
}

// lockPayment locks a payment's order, then the payment (always in that
// order: every path that changes both takes the order first).
func (s *Service) lockPayment(ctx context.Context, tx bun.Tx, paymentID uuid.UUID) (*orders.Order, *Payment, error) {
	pay, err := getPayment(ctx, tx, false, "id = ?", paymentID)
	if err != nil || pay == nil {
		if err == nil {
			err = errNoPayment
		}
		return nil, nil, err
	}
	o, err := s.orders.GetTx(ctx, tx, pay.OrderID, true)
	if err != nil {
		return nil, nil, err
	}
	pay, err = getPayment(ctx, tx, true, "id = ?", paymentID)
	return o, pay, err
}

// OrderPayments returns orders' payments (orders.Payments).
func (s *Service) OrderPayments(ctx context.Context, tx bun.IDB, orderIDs []uuid.UUID) (map[uuid.UUID][]orders.Payment, error) {
	return orderPayments(ctx, tx, orderIDs)
}

// codPayment finds a confirmed cash-on-delivery order's payment.
func (s *Service) codPayment(ctx context.Context, tx bun.Tx, orderID uuid.UUID) (*orders.Order, *Payment, payments.Provider, error) {
	o, err := s.orders.GetTx(ctx, tx, orderID, true)
	if err != nil {
		return nil, nil, nil, err
	}
	pay, err := getPayment(ctx, tx, true, "order_id = ?", o.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	var p payments.Provider
	if pay != nil {
		p, _ = s.providers.Get(pay.Provider)
	}
	if p == nil || !p.Capabilities().CustomerConfirms {
		return nil, nil, nil, errs.New(errs.CodeConflict, "checkout.cod.not_cod")
	}
	return o, pay, p, nil
}

// CODCollected records that the courier collected the cash of a
// cash-on-delivery order: its payment is captured. Again answers the same.
// Errors: not_found, conflict (not a COD order, or not confirmed, or
// cancelled).
func (s *Service) CODCollected(ctx context.Context, orderID uuid.UUID, actor string) (*orders.Order, *Payment, error) {
	var (
		o   *orders.Order
		pay *Payment
		p   payments.Provider
		set payments.Settings
	)
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if o, pay, p, err = s.codPayment(ctx, tx, orderID); err != nil {
			return err
		}
		if pay.Status.Paid() || pay.Status == payments.StatusRefunded {
			return nil
		}
		switch o.Status {
		case orders.StatusConfirmed, orders.StatusProcessing, orders.StatusShipped, orders.StatusDelivered:
		default:
			return errs.New(errs.CodeConflict, "checkout.cod.not_confirmed", "status", o.Status)
		}
		set, err = s.providerSettings(ctx, tx, p)
		return err
	})
	if err != nil || pay.Status != payments.StatusAuthorized {
		return o, pay, err
	}
	result, err := p.Capture(ctx, payments.Operation{Settings: set, PaymentID: pay.ID.String(), Ref: pay.Ref, Amount: pay.Amount,
		Currency: pay.Currency, IdempotencyKey: "capture:" + pay.ID.String(), Now: s.now().UTC()})
	if err != nil {
		return nil, nil, errs.Wrap(errs.CodeUnavailable, err, "checkout.provider_unavailable")
	}
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if o, pay, err = s.lockPayment(ctx, tx, pay.ID); err != nil {
			return err
		}
		amount := result.Amount
		if amount == 0 {
			amount = pay.Amount
		}
		if _, err := s.apply(ctx, tx, p, o, pay, payments.Event{ID: "capture:" + pay.ID.String(), Kind: payments.EventCaptured,
			Amount: amount, Currency: pay.Currency}, actor); err != nil {
			return err
		}
		return s.orders.EventTx(ctx, tx, o.ID, orders.Event{Kind: "cod_collected", Actor: actor,
			Data: map[string]string{"amount": s.money(amount, pay.Currency, "en")}})
	})
	return o, pay, err
}

// CODRefused records that the customer refused a cash-on-delivery order at
// the door: the order is cancelled, its stock comes back, and the refusal
// counts toward the tenant's max_refusals for that phone number. Again
// answers the same. Errors: not_found, conflict (not COD, not shipped or
// confirmed, cash already collected).
func (s *Service) CODRefused(ctx context.Context, orderID uuid.UUID, actor, note string) (*orders.Order, error) {
	var o *orders.Order
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var (
			pay *Payment
			p   payments.Provider
			err error
		)
		if o, pay, p, err = s.codPayment(ctx, tx, orderID); err != nil {
			return err
		}
		if o.RefusedAt != nil {
			return nil
		}
		if pay.Status != payments.StatusAuthorized {
			return errs.New(errs.CodeConflict, "checkout.cod.collected")
		}
		switch o.Status {
		case orders.StatusConfirmed, orders.StatusProcessing, orders.StatusShipped:
		default:
			return errs.New(errs.CodeConflict, "checkout.cod.not_confirmed", "status", o.Status)
		}
		now := s.now().UTC()
		o.RefusedAt = &now
		if err := s.release(ctx, tx, o); err != nil {
			return err
		}
		if err := s.orders.MoveTx(ctx, tx, o, orders.StatusCancelled, orders.Event{Kind: "refused_at_door", Actor: actor, Note: note}); err != nil {
			return err
		}
		// The payment ends; the order is already cancelled, so nothing
		// else follows from it.
		_, err = s.apply(ctx, tx, p, o, pay, payments.Event{ID: "refused:" + pay.ID.String(), Kind: payments.EventCancelled}, actor)
		return err
	})
	return o, err
}

// expire ends a payment whose time is up: unconfirmed cash on delivery, or
// a hosted page never paid (asked of the provider first: a payment made
// at the last minute is applied, not expired).
func (s *Service) expire(ctx context.Context, paymentID uuid.UUID) error {
	pay, p, set, err := s.paymentAndSettings(ctx, paymentID)
	if err != nil || pay == nil || !pay.Status.Live() || pay.ConfirmedAt != nil {
		return err
	}
	if pay.ExpiresAt != nil && s.now().Before(*pay.ExpiresAt) {
		return nil // re-scheduled by a newer session
	}
	ev := payments.Event{ID: "expire:" + pay.ID.String(), Kind: payments.EventExpired, At: s.now().UTC()}
	if p.Capabilities().Redirect && pay.Ref != "" {
		op := payments.Operation{Settings: set, PaymentID: pay.ID.String(), Ref: pay.Ref, PaymentRef: pay.PaymentRef, Amount: pay.Amount,
			Currency: pay.Currency, Now: s.now().UTC()}
		st, err := p.Status(ctx, op)
		if err != nil && !errors.Is(err, payments.ErrUnsupported) {
			return err // retried by the job
		}
		if err == nil && st.Status == payments.StatusCaptured {
			ev = payments.Event{ID: "status:" + pay.ID.String(), Kind: payments.EventCaptured, Amount: st.Amount, Currency: pay.Currency}
		} else if _, err := p.Cancel(ctx, op); err != nil && !errors.Is(err, payments.ErrUnsupported) {
			s.log.WarnContext(ctx, "could not close an expired payment page", "payment_id", pay.ID, "error", err)
		}
	}
	return s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		o, locked, err := s.lockPayment(ctx, tx, pay.ID)
		if err != nil {
			return err
		}
		if locked.ConfirmedAt != nil {
			return nil // confirmed while the provider was asked
		}
		_, err = s.apply(ctx, tx, p, o, locked, ev, "system:checkout")
		return err
	})
}

// paymentAndSettings reads a payment with its provider and the tenant's
// settings of it; a nil payment when there is none (or its provider is no
// longer registered).
func (s *Service) paymentAndSettings(ctx context.Context, paymentID uuid.UUID) (*Payment, payments.Provider, payments.Settings, error) {
	var (
		pay *Payment
		p   payments.Provider
		set payments.Settings
	)
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if pay, err = getPayment(ctx, tx, false, "id = ?", paymentID); err != nil || pay == nil {
			return err
		}
		var ok bool
		if p, ok = s.providers.Get(pay.Provider); !ok {
			pay = nil
			return nil
		}
		set, err = s.providerSettings(ctx, tx, p)
		return err
	})
	return pay, p, set, err
}

// cancelAtProvider closes a superseded payment's page at the provider.
func (s *Service) cancelAtProvider(ctx context.Context, paymentID uuid.UUID) error {
	pay, p, set, err := s.paymentAndSettings(ctx, paymentID)
	if err != nil || pay == nil || pay.Ref == "" {
		return err
	}
	_, err = p.Cancel(ctx, payments.Operation{Settings: set, PaymentID: pay.ID.String(), Ref: pay.Ref, Amount: pay.Amount,
		Currency: pay.Currency, IdempotencyKey: "cancel:" + pay.ID.String(), Now: s.now().UTC()})
	if err != nil && !errors.Is(err, payments.ErrUnsupported) && !errors.Is(err, payments.ErrNotFound) {
		return err
	}
	return nil
}

// tenantOf is the tenant of ctx.
func tenantOf(ctx context.Context) (*tenants.Tenant, error) { return tenants.FromContext(ctx) }

// Refund returns amount (0: all that is left) of an order's captured
// payment through its provider (cash on delivery: recorded as cash handed
// back). The provider is given an idempotency key made of the payment and
// the refunded total after this refund, so a retried request refunds once.
// Errors: not_found, invalid (amount over what is left, or partial where
// the provider refunds only in full), conflict (nothing captured, or the
// provider cannot refund), unavailable.
func (s *Service) Refund(ctx context.Context, orderID uuid.UUID, amount int64, actor, reason string) (*orders.Order, *Payment, error) {
	return s.refund(ctx, orderID, amount, "", actor, reason)
}

// RefundOnce is Refund under the caller's key (a return's "return:<id>"):
// the provider gets it as the idempotency key and the refund is recorded
// under it, so a retry after a refund that went through — even one whose
// caller never heard back — refunds nothing more and answers the payment.
func (s *Service) RefundOnce(ctx context.Context, orderID uuid.UUID, amount int64, key, actor, reason string) (*orders.Order, *Payment, error) {
	if key == "" {
		return nil, nil, errs.Invalid(errs.Field("key", "required", "field.required"))
	}
	return s.refund(ctx, orderID, amount, key, actor, reason)
}

func (s *Service) refund(ctx context.Context, orderID uuid.UUID, amount int64, callerKey, actor, reason string) (*orders.Order, *Payment, error) {
	var (
		done bool
		o    *orders.Order
		pay  *Payment
		p    payments.Provider
		set  payments.Settings
	)
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if o, err = s.orders.GetTx(ctx, tx, orderID, false); err != nil {
			return err
		}
		if callerKey != "" {
			// Refunded under this key before: the same answer again.
			if pay, err = getPayment(ctx, tx, false, "order_id = ? AND EXISTS (SELECT 1 FROM payment_events e WHERE e.payment_id = payment_row.id AND e.event_id = ?)", o.ID, callerKey); err != nil || pay != nil {
				done = pay != nil
				return err
			}
		}
		if pay, err = getPayment(ctx, tx, false, "order_id = ? AND status IN ('captured', 'partially_refunded')", o.ID); err != nil {
			return err
		}
		if pay == nil {
			return errs.New(errs.CodeConflict, "checkout.refund.nothing_captured")
		}
		var ok bool
		if p, ok = s.providers.Get(pay.Provider); !ok || !p.Capabilities().Refunds {
			return errs.New(errs.CodeConflict, "checkout.refund.unsupported")
		}
		left := pay.Captured - pay.Refunded
		if amount == 0 {
			amount = left
		}
		switch {
		case amount <= 0 || amount > left:
			return errs.Invalid(errs.Field("amount", "max", "checkout.field.refund_amount", "max", left, "currency", pay.Currency))
		case amount < left && !p.Capabilities().PartialRefund:
			return errs.Invalid(errs.Field("amount", "partial", "checkout.field.refund_full"))
		}
		set, err = s.providerSettings(ctx, tx, p)
		return err
	})
	if err != nil || done {
		return o, pay, err
	}
	total := pay.Refunded + amount
	key := "refund:" + pay.ID.String() + ":" + strconv.FormatInt(total, 10)
	if callerKey != "" {
		key = callerKey
	}
	if _, err := p.Refund(ctx, payments.Operation{Settings: set, PaymentID: pay.ID.String(), Ref: pay.Ref, PaymentRef: pay.PaymentRef,
		Amount: amount, Currency: pay.Currency, IdempotencyKey: key, Now: s.now().UTC()}); err != nil {
		if errors.Is(err, payments.ErrDeclined) || errors.Is(err, payments.ErrUnsupported) {
			return nil, nil, errs.Wrap(errs.CodeConflict, err, "checkout.refund.declined")
		}
		return nil, nil, errs.Wrap(errs.CodeUnavailable, err, "checkout.provider_unavailable")
	}
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if o, pay, err = s.lockPayment(ctx, tx, pay.ID); err != nil {
			return err
		}
		out, err := s.apply(ctx, tx, p, o, pay, payments.Event{ID: key, Kind: payments.EventRefunded, Amount: total,
			Currency: pay.Currency, Reason: reason}, actor)
		if err != nil || out != outcomeApplied || reason == "" {
			return err
		}
		return s.orders.EventTx(ctx, tx, o.ID, orders.Event{Kind: "refund_note", Actor: actor, Note: reason})
	})
	return o, pay, err
}
