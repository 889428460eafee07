package checkout

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/money"
	"concierge/modules/orders"
	"concierge/modules/whatsapp/dialog"
	"concierge/plugins/payments"
	"concierge/tenants"
)

// Event outcomes (payment_events.outcome).
const (
	outcomeApplied  = "applied"
	outcomeNoChange = "no_change"
	outcomeRefused  = "refused"
	outcomeDeferred = "deferred"
)

func (s *Service) money(minor int64, currency, locale string) string {
	return money.Format(money.Amount{Minor: minor, Currency: currency}, locale)
}

// initiate starts a pending payment with its provider, outside any
// transaction, and records the session. A payment already started is
// returned as it is. The provider gets the same idempotency key on every
// call, so a retry after a lost answer returns the same session.
func (s *Service) initiate(ctx context.Context, paymentID uuid.UUID) (*Payment, *orders.Order, error) {
	var (
		pay *Payment
		o   *orders.Order
		req payments.PaymentRequest
		p   payments.Provider
	)
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if pay, err = getPayment(ctx, tx, false, "id = ?", paymentID); err != nil || pay == nil {
			if err == nil {
				err = errNoPayment
			}
			return err
		}
		if o, err = s.orders.GetTx(ctx, tx, pay.OrderID, false); err != nil {
			return err
		}
		var ok bool
		if p, ok = s.providers.Get(pay.Provider); !ok {
			return errs.New(errs.CodeConflict, "checkout.field.method_unknown")
		}
		set, err := s.providerSettings(ctx, tx, p)
		if err != nil {
			return err
		}
		req = s.paymentRequest(ctx, set, o, pay)
		return nil
	})
	if err != nil || pay.Status != payments.StatusPending || pay.Ref != "" {
		return pay, o, err
	}
	session, err := p.Initiate(ctx, req)
	if err != nil {
		return nil, nil, s.initiateFailed(ctx, p, pay, err)
	}
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if o, err = s.orders.GetTx(ctx, tx, pay.OrderID, true); err != nil {
			return err
		}
		if pay, err = getPayment(ctx, tx, true, "id = ?", paymentID); err != nil {
			return err
		}
		if pay.Status != payments.StatusPending || pay.Ref != "" {
			return nil // recorded meanwhile by a concurrent retry
		}
		return s.recordSession(ctx, tx, p, o, pay, session)
	})
	if err != nil {
		return nil, nil, err
	}
	return pay, o, nil
}

// startLocal starts a payment with a local provider (no network: cash on
// delivery) inside the checkout's own transaction and stores it already
// started: the payment row and its first event in one statement, the
// machine's move computed here. The order, its payment and the payment's
// start commit together. Errors: conflict (the provider declined; the
// caller's transaction rolls back, nothing written).
func (s *Service) startLocal(ctx context.Context, tx bun.Tx, p payments.Provider, set payments.Settings, o *orders.Order, pay *Payment) error {
	session, err := p.Initiate(ctx, s.paymentRequest(ctx, set, o, pay))
	if err != nil {
		if errors.Is(err, payments.ErrDeclined) || errors.Is(err, payments.ErrNotEligible) {
			return errs.Wrap(errs.CodeConflict, err, "checkout.payment.declined")
		}
		return err
	}
	pay.Ref, pay.RedirectURL, pay.ExpiresAt = session.Ref, session.RedirectURL, s.sessionExpiry(p, session)
	kind := sessionKind(session)
	next, err := payments.Next(pay.state(), kind, pay.Amount)
	if err != nil {
		return err
	}
	prev := pay.Status
	pay.Status = next.Status
	t, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	if err := insertStartedPayment(ctx, tx, toPaymentRow(t.ID, pay), &eventRow{TenantID: t.ID, ID: uuid.Must(uuid.NewV7()), PaymentID: pay.ID,
		Provider: p.Name(), EventID: "session:" + pay.ID.String(), Kind: string(kind), Amount: pay.Amount, Currency: pay.Currency,
		FromStatus: string(prev), ToStatus: string(pay.Status), Outcome: outcomeApplied, At: s.now().UTC()}); err != nil {
		return err
	}
	if err := s.consequences(ctx, tx, p, o, pay, prev, 0, kind, "system:checkout"); err != nil {
		return err
	}
	return s.sessionStarted(ctx, tx, p, o, pay)
}

// sessionExpiry is when a started session lapses: the provider's expiry,
// else, for payments the customer must confirm, DefaultConfirmWithin.
func (s *Service) sessionExpiry(p payments.Provider, session payments.Session) *time.Time {
	switch {
	case !session.ExpiresAt.IsZero():
		at := session.ExpiresAt.UTC()
		return &at
	case p.Capabilities().CustomerConfirms:
		at := s.now().UTC().Add(s.cfg.DefaultConfirmWithin)
		return &at
	}
	return nil
}

// sessionKind is the event a started session is.
func sessionKind(session payments.Session) payments.EventKind {
	if session.Status == payments.StatusAuthorized {
		return payments.EventAuthorized
	}
	return payments.EventRequiresAction
}

// recordSession stores a started payment's session (its reference, page and
// expiry) as the machine's first move, and tells the customer what next.
func (s *Service) recordSession(ctx context.Context, tx bun.Tx, p payments.Provider, o *orders.Order, pay *Payment, session payments.Session) error {
	pay.Ref, pay.RedirectURL, pay.ExpiresAt = session.Ref, session.RedirectURL, s.sessionExpiry(p, session)
	kind := sessionKind(session)
	if _, err := s.apply(ctx, tx, p, o, pay, payments.Event{ID: "session:" + pay.ID.String(), Kind: kind, Ref: session.Ref,
		Amount: pay.Amount, Currency: pay.Currency, At: s.now().UTC()}, "system:checkout"); err != nil {
		return err
	}
	return s.sessionStarted(ctx, tx, p, o, pay)
}

// sessionStarted gives a payment that must be confirmed an expiry (the
// expiry sweep takes it then) and tells the customer what to do: confirm
// (cash on delivery) or pay on the provider's page (when they checked out
// in the chat).
func (s *Service) sessionStarted(ctx context.Context, tx bun.Tx, p payments.Provider, o *orders.Order, pay *Payment) error {
	caps := p.Capabilities()
	total := map[string]money.Amount{"{total}": {Minor: o.Totals.Total, Currency: o.Totals.Currency}}
	// The customer reads it in their language, which may not be the
	// order's (a WhatsApp customer who ordered on the web): both are given.
	inLang := map[string][]string{}
	for _, l := range []string{"ar", "en"} {
		ol := *o
		ol.Locale = l
		inLang[l] = []string{"{items}", s.itemsText(&ol), "{address}", addressText(o.Address, l), "{deadline}", s.deadline(pay, l)}
	}
	switch {
	case caps.CustomerConfirms:
		return s.notify(ctx, tx, o, Notice{Key: "payment:" + pay.ID.String() + ":confirm", Text: "checkout.notify.cod_confirm",
			Vars: []string{"{order}", numberOf(o)}, Amounts: total, Localized: inLang,
			Template: "cod_confirmation", Params: []string{numberOf(o), "{total}", "{address}"},
			Buttons: []NoticeButton{{ID: idConfirm + o.ID.String(), Text: "checkout.button.confirm"},
				{ID: idCancel + o.ID.String(), Text: "checkout.button.cancel"}}})
	case caps.Redirect && pay.RedirectURL != "" && o.Channel == "whatsapp":
		return s.notify(ctx, tx, o, Notice{Key: "payment:" + pay.ID.String() + ":link", Text: "checkout.notify.pay_link",
			Vars: []string{"{order}", numberOf(o)}, Amounts: total, Localized: inLang,
			Template: "payment_link", Params: []string{numberOf(o), "{total}", pay.RedirectURL},
			URL: pay.RedirectURL, URLText: "checkout.button.pay"})
	}
	return nil
}

// deadline is when a payment lapses, as the customer reads it.
func (s *Service) deadline(pay *Payment, locale string) string {
	if pay.ExpiresAt == nil {
		return ""
	}
	return dialog.FormatTime(*pay.ExpiresAt, locale)
}

// initiateFailed records a provider's refusal (the payment failed, its
// stock is given back, the order stays payable) or, when the provider
// could not be reached, leaves the payment pending for a retry.
func (s *Service) initiateFailed(ctx context.Context, p payments.Provider, pay *Payment, cause error) error {
	s.log.WarnContext(ctx, "payment could not start", "payment_id", pay.ID, "provider", p.Name(), "error", cause)
	if errors.Is(cause, payments.ErrUnavailable) || !(errors.Is(cause, payments.ErrDeclined) || errors.Is(cause, payments.ErrMisconfigured) || errors.Is(cause, payments.ErrNotEligible)) {
		return errs.Wrap(errs.CodeUnavailable, cause, "checkout.provider_unavailable")
	}
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		o, err := s.orders.GetTx(ctx, tx, pay.OrderID, true)
		if err != nil {
			return err
		}
		locked, err := getPayment(ctx, tx, true, "id = ?", pay.ID)
		if err != nil {
			return err
		}
		_, err = s.apply(ctx, tx, p, o, locked, payments.Event{ID: "initiate:" + pay.ID.String(), Kind: payments.EventFailed,
			Reason: cause.Error(), At: s.now().UTC()}, "system:checkout")
		return err
	})
	if err != nil {
		return err
	}
	if errors.Is(cause, payments.ErrMisconfigured) {
		return errs.Wrap(errs.CodeConflict, cause, "checkout.provider_misconfigured")
	}
	return errs.Wrap(errs.CodeConflict, cause, "checkout.payment.declined")
}

// paymentRequest is what the provider is asked to take.
func (s *Service) paymentRequest(ctx context.Context, set payments.Settings, o *orders.Order, pay *Payment) payments.PaymentRequest {
	t, _ := tenants.FromContext(ctx)
	base := s.storeURL(t)
	req := payments.PaymentRequest{Settings: set, TenantID: t.ID.String(), TenantSlug: t.Slug, OrderID: o.ID.String(), OrderNumber: numberOf(o),
		PaymentID: pay.ID.String(), Amount: pay.Amount, Currency: pay.Currency, Shipping: o.Totals.Shipping, VAT: o.Totals.VAT,
		Customer:   payments.Customer{Name: o.CustomerName, Phone: o.CustomerPhone, Locale: o.Locale},
		SuccessURL: base + "/checkout/done?order=" + o.ID.String(), CancelURL: base + "/checkout/cancelled?order=" + o.ID.String(),
		IdempotencyKey: "payment:" + pay.ID.String(), Now: pay.CreatedAt.UTC()}
	for _, l := range o.Lines {
		name := l.TitleEN
		if o.Locale == "ar" || name == "" {
			name = l.TitleAR
		}
		if name == "" {
			name = l.TitleEN
		}
		opts := l.OptionsEN
		if o.Locale == "ar" && l.OptionsAR != "" {
			opts = l.OptionsAR
		}
		if opts != "" {
			name += " (" + opts + ")"
		}
		req.Items = append(req.Items, payments.Item{SKU: l.SKU, Name: name, Quantity: l.Quantity, UnitPrice: l.UnitPrice})
	}
	return req
}

// storeURL is the tenant's storefront: its first custom domain, else
// <slug>.<platform domain>, else the public base URL.
func (s *Service) storeURL(t *tenants.Tenant) string {
	switch {
	case t == nil:
		return s.cfg.PublicBaseURL
	case s.cfg.PlatformDomain != "" && t.Slug != "":
		return "https://" + t.Slug + "." + s.cfg.PlatformDomain
	}
	return s.cfg.PublicBaseURL
}

// supersede ends a live payment that a re-priced draft replaces (or whose
// order staff cancelled: reason says which).
func (s *Service) supersede(ctx context.Context, tx bun.Tx, pay *Payment, reason string) error {
	next, err := payments.Next(pay.state(), payments.EventCancelled, 0)
	if err != nil {
		return err
	}
	t, _ := tenants.FromContext(ctx)
	now := s.now().UTC()
	if _, err := claimEvent(ctx, tx, &eventRow{TenantID: t.ID, ID: uuid.Must(uuid.NewV7()), PaymentID: pay.ID, Provider: pay.Provider,
		EventID: "superseded:" + pay.ID.String(), Kind: string(payments.EventCancelled), FromStatus: string(pay.Status),
		ToStatus: string(next.Status), Outcome: outcomeApplied, Reason: reason, At: now}); err != nil {
		return err
	}
	pay.Status, pay.UpdatedAt = next.Status, now
	if err := updatePayment(ctx, tx, toPaymentRow(t.ID, pay)); err != nil {
		return err
	}
	if pay.Ref == "" {
		return nil
	}
	// The provider's page is closed in a job (no network in a transaction).
	return s.jobs.InsertTx(ctx, tx, CancelArgs{TenantID: t.ID, PaymentID: pay.ID}, nil)
}

// apply offers one event to a payment inside tx (the order and the payment
// locked by the caller): recorded once per provider event id, checked
// against the payment (amount and currency), run through the state
// machine, and its consequences carried out. It returns the outcome
// ("duplicate" for an event id seen before).
func (s *Service) apply(ctx context.Context, tx bun.Tx, p payments.Provider, o *orders.Order, pay *Payment, ev payments.Event, actor string) (string, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return "", err
	}
	at := ev.At
	if at.IsZero() {
		at = s.now().UTC()
	}
	row := &eventRow{TenantID: t.ID, ID: uuid.Must(uuid.NewV7()), PaymentID: pay.ID, Provider: p.Name(), EventID: ev.ID, Kind: string(ev.Kind),
		Amount: ev.Amount, Currency: ev.Currency, Outcome: outcomeDeferred, Reason: clip(ev.Reason, 500), At: at}
	claimed, err := claimEvent(ctx, tx, row)
	if err != nil || !claimed {
		return "duplicate", err
	}
	outcome, err := s.step(ctx, tx, p, o, pay, row, ev.PaymentRef, actor)
	if err != nil || outcome != outcomeApplied || !pay.Status.Paid() {
		// Only refunds wait (deferred) and only a capture lets them in.
		return outcome, err
	}
	// A change may make events that came too early applicable.
	for {
		waiting, err := deferredEvents(ctx, tx, pay.ID)
		if err != nil {
			return outcome, err
		}
		progressed := false
		for i := range waiting {
			out, err := s.step(ctx, tx, p, o, pay, &waiting[i], "", actor)
			if err != nil {
				return outcome, err
			}
			progressed = progressed || out == outcomeApplied
		}
		if !progressed {
			return outcome, nil
		}
	}
}

// step runs one recorded event through the machine and records its
// outcome.
func (s *Service) step(ctx context.Context, tx bun.Tx, p payments.Provider, o *orders.Order, pay *Payment, row *eventRow, paymentRef, actor string) (string, error) {
	t, _ := tenants.FromContext(ctx)
	kind := payments.EventKind(row.Kind)
	row.FromStatus = string(pay.Status)
	amount := row.Amount
	if (kind == payments.EventCaptured || kind == payments.EventAuthorized) && row.Currency != "" &&
		(row.Amount != pay.Amount || row.Currency != pay.Currency) {
		row.Outcome, row.Reason = outcomeRefused, clip("amount or currency differs from the payment's: "+
			strconv.FormatInt(row.Amount, 10)+" "+row.Currency, 500)
		s.log.WarnContext(ctx, "payment event refused: amount mismatch", "payment_id", pay.ID, "event_id", row.EventID,
			"event_amount", row.Amount, "event_currency", row.Currency, "amount", pay.Amount, "currency", pay.Currency)
		return row.Outcome, setEventOutcome(ctx, tx, row)
	}
	if kind == payments.EventCaptured && amount == 0 {
		amount = pay.Amount
	}
	next, err := payments.Next(pay.state(), kind, amount)
	switch {
	case errors.Is(err, payments.ErrNoChange):
		row.Outcome, row.ToStatus = outcomeNoChange, string(pay.Status)
		return row.Outcome, setEventOutcome(ctx, tx, row)
	case errors.Is(err, payments.ErrIllegalTransition) && (kind == payments.EventRequiresAction || kind == payments.EventAuthorized) && !pay.Status.Live(),
		errors.Is(err, payments.ErrIllegalTransition) && pay.Status.Final() && !pay.Status.Paid() && kind != payments.EventCaptured && kind != payments.EventRefunded:
		// Stale progress (requires_action after the capture), or an ending
		// reported after another (a page expiring after the payment was
		// superseded): nothing to do.
		row.Outcome, row.ToStatus = outcomeNoChange, string(pay.Status)
		return row.Outcome, setEventOutcome(ctx, tx, row)
	case errors.Is(err, payments.ErrIllegalTransition):
		if kind == payments.EventRefunded && pay.Status.Live() {
			// A refund reported before the capture: applied after it.
			row.Outcome = outcomeDeferred
			return row.Outcome, setEventOutcome(ctx, tx, row)
		}
		row.Outcome, row.Reason = outcomeRefused, clip(err.Error(), 500)
		s.log.WarnContext(ctx, "payment event refused: illegal transition", "payment_id", pay.ID, "event_id", row.EventID,
			"kind", kind, "status", pay.Status)
		return row.Outcome, setEventOutcome(ctx, tx, row)
	case err != nil:
		return "", err
	}
	prev, prevRefunded := pay.Status, pay.Refunded
	pay.Status, pay.Captured, pay.Refunded, pay.UpdatedAt = next.Status, next.Captured, next.Refunded, s.now().UTC()
	if paymentRef != "" && pay.PaymentRef == "" {
		pay.PaymentRef = paymentRef
	}
	if err := updatePayment(ctx, tx, toPaymentRow(t.ID, pay)); err != nil {
		return "", err
	}
	row.Outcome, row.ToStatus = outcomeApplied, string(next.Status)
	if err := setEventOutcome(ctx, tx, row); err != nil {
		return "", err
	}
	return row.Outcome, s.consequences(ctx, tx, p, o, pay, prev, pay.Refunded-prevRefunded, kind, actor)
}

// consequences carries a payment's change over to its order.
// refunded is what this event refunded.
func (s *Service) consequences(ctx context.Context, tx bun.Tx, p payments.Provider, o *orders.Order, pay *Payment, prev payments.Status,
	refunded int64, kind payments.EventKind, actor string) error {
	caps := p.Capabilities()
	data := map[string]string{"payment_id": pay.ID.String(), "provider": pay.Provider, "from": string(prev), "to": string(pay.Status)}
	switch kind {
	case payments.EventRequiresAction:
		return nil
	case payments.EventAuthorized:
		if caps.CustomerConfirms {
			return nil // placed when the customer confirms
		}
		return s.place(ctx, tx, o, pay, actor, "payment_authorized")
	case payments.EventCaptured:
		if o.Status != orders.StatusPendingPayment {
			return s.orders.EventTx(ctx, tx, o.ID, orders.Event{Kind: "payment_captured", Actor: actor, Data: data})
		}
		return s.place(ctx, tx, o, pay, actor, "payment_captured")
	case payments.EventRefunded:
		data["refunded"] = strconv.FormatInt(pay.Refunded, 10)
		if err := s.orders.EventTx(ctx, tx, o.ID, orders.Event{Kind: "payment_refunded", Actor: actor, Data: data}); err != nil {
			return err
		}
		text := "checkout.notify.refunded"
		if !caps.Local {
			text = "checkout.notify.refunded_card"
		}
		return s.notify(ctx, tx, o, Notice{Key: "refund:" + pay.ID.String() + ":" + data["refunded"], Text: text,
			Vars: []string{"{order}", numberOf(o)}, Amounts: map[string]money.Amount{"{amount}": {Minor: refunded, Currency: pay.Currency}},
			Template: "refund_issued", Params: []string{numberOf(o), "{amount}"}})
	}
	// failed, cancelled, expired: the stock comes back while the order waits.
	if err := s.orders.EventTx(ctx, tx, o.ID, orders.Event{Kind: "payment_" + string(kind), Actor: actor, Data: data}); err != nil {
		return err
	}
	if o.Status != orders.StatusPendingPayment {
		return nil
	}
	if err := s.release(ctx, tx, o); err != nil {
		return err
	}
	if !caps.CustomerConfirms {
		// Card and other hosted payments: the order stays payable (a new
		// checkout of the cart starts a new payment).
		return s.orders.UpdateTx(ctx, tx, o, false, orders.Event{})
	}
	// Cash on delivery not confirmed in time (or cancelled by the
	// customer): the order ends.
	if err := s.orders.MoveTx(ctx, tx, o, orders.StatusCancelled, orders.Event{Kind: "cod_" + string(kind), Actor: actor}); err != nil {
		return err
	}
	text, tpl := "checkout.notify.cod_expired", "cod_expired"
	if kind == payments.EventCancelled {
		text, tpl = "checkout.notify.cancelled", "order_cancelled"
	}
	return s.notify(ctx, tx, o, Notice{Key: "order:" + o.ID.String() + ":" + string(kind), Text: text,
		Vars: []string{"{order}", numberOf(o)}, Template: tpl, Params: []string{numberOf(o)}})
}

// release gives an order's reserved stock back.
func (s *Service) release(ctx context.Context, tx bun.Tx, o *orders.Order) error {
	if !o.StockHeld {
		return nil
	}
	changed, err := s.stock.ReleaseStock(ctx, tx, stockLines(o.Lines))
	if err != nil {
		return err
	}
	o.StockHeld = false
	if changed {
		// The cache is dropped now; a reader that refills it before the
		// commit shows the old availability until the next change.
		s.stock.StockChanged(ctx)
	}
	return nil
}
