package checkout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/money"
	"concierge/modules/cart"
	"concierge/modules/catalog"
	"concierge/modules/orders"
	"concierge/plugins/payments"
	"concierge/tenants"
)

// Init checks out a cart: it creates the cart's order draft (or returns
// the one it has: a retry of the same checkout creates nothing, a cart
// changed since re-prices the draft), reserves its stock and starts a
// payment with the chosen provider. Errors: not_found (cart), invalid
// (an empty cart, a city the store does not ship to, a payment method not
// offered or not allowed for this order), conflict (sold out, the cart
// checked out already), unavailable (the provider could not be reached:
// retry with the same request).
func (s *Service) Init(ctx context.Context, req InitRequest) (*InitResult, error) {
	p, ok := s.providers.Get(req.Method)
	if !ok {
		return nil, s.methodError(ctx, "checkout.field.method_unknown")
	}
	var (
		res          InitResult
		start        bool
		stockChanged bool
	)
	release, err := s.admit(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		err = s.scope.InTenantTx(ctx, s.initTx(req, p, &res, &start, &stockChanged))
		if !errors.Is(err, errCartRaced) || attempt > 0 || tenants.InTx(ctx) {
			break
		}
	}
	release()
	if stockChanged {
		s.stock.StockChanged(ctx)
	}
	if errors.Is(err, errCartRaced) {
		err = errs.Wrap(errs.CodeConflict, err, "checkout.busy")
	}
	if err != nil {
		return nil, err
	}
	if start {
		pay, o, err := s.initiate(ctx, res.Payment.ID)
		if err != nil {
			return nil, err
		}
		res.Payment, res.Order = pay, o
	}
	return &res, nil
}

// errCartRaced is a cart whose order another checkout created meanwhile
// (Init runs again and answers that order).
var errCartRaced = errors.New("checkout: the cart's order was created meanwhile")

// initTx is Init's transaction.
func (s *Service) initTx(req InitRequest, p payments.Provider, res *InitResult, start, stockChanged *bool) func(ctx context.Context, tx bun.Tx) error {
	return func(ctx context.Context, tx bun.Tx) error {
		*res, *start, *stockChanged = InitResult{}, false, false
		set, err := s.providerSettings(ctx, tx, p)
		if err != nil {
			return err
		}
		if !set.Enabled {
			return s.methodErrorTx(ctx, tx, "checkout.field.method_off")
		}
		// Locks in one order on every path that changes an order: the order
		// (when the cart has one), then the cart, then the payment — a
		// webhook or a confirmation takes the order first too, so the two
		// never wait on each other crosswise.
		existing, err := s.orders.ForCartTx(ctx, tx, req.CartID)
		if err != nil && !errors.Is(err, errs.ErrNotFound) {
			return err
		}
		c, pricing, err := s.carts.ForCheckout(ctx, req.CartID, req.Address.City)
		if err != nil {
			return err
		}

		if existing != nil && existing.Status != orders.StatusPendingPayment {
			// Checked out already: the same order, whatever was sent.
			res.Order = existing
			res.Payment, err = getPayment(ctx, tx, false, "order_id = ?", existing.ID)
			return err
		}
		if c.Status == cart.StatusConverted {
			return errs.New(errs.CodeConflict, "cart.closed")
		}
		if err := checkCart(c, pricing, req.Address.City); err != nil {
			return err
		}
		if !p.Capabilities().Accepts(c.Currency) {
			return s.methodErrorTx(ctx, tx, "checkout.field.method_currency")
		}
		version := fingerprint(c, req)
		var live *Payment
		if existing != nil {
			if live, err = getPayment(ctx, tx, true, "order_id = ? AND status IN ('pending', 'requires_action', 'authorized')", existing.ID); err != nil {
				return err
			}
			if existing.CartVersion == version && live != nil && live.Provider == req.Method {
				res.Order, res.Payment = existing, live
				*start = !req.Deferred && live.Status == payments.StatusPending && live.Ref == ""
				return nil
			}
		}
		if e, ok := p.(payments.Eligibility); ok {
			refusals, err := s.orders.RefusalsTx(ctx, tx, req.CustomerPhone)
			if err != nil {
				return err
			}
			if err := e.Eligible(set, payments.EligibilityCheck{Amount: c.Totals.Total, Currency: c.Currency, Refusals: refusals}); err != nil {
				return s.notEligible(ctx, err, c.Currency)
			}
		}
		if existing != nil {
			// The cart (or the checkout's details) changed: give back what
			// the draft held and end its payment, then take the new lines.
			if existing.StockHeld {
				if ch, err := s.stock.ReleaseStock(ctx, tx, stockLines(existing.Lines)); err != nil {
					return err
				} else if ch {
					*stockChanged = true
				}
			}
			if live != nil {
				if err := s.supersede(ctx, tx, live, "the order was re-priced"); err != nil {
					return err
				}
			}
		}
		o := draft(c, req, version)
		if ch, err := s.stock.ReserveStock(ctx, tx, stockLines(o.Lines)); err != nil {
			return err
		} else if ch {
			*stockChanged = true
		}
		o.StockHeld = true
		if existing != nil {
			o.ID, o.Number, o.CreatedAt, o.Status = existing.ID, existing.Number, existing.CreatedAt, existing.Status
			if err := s.orders.UpdateTx(ctx, tx, o, true, orders.Event{Kind: "repriced", Actor: req.Actor,
				Data: map[string]string{"total": strconv.FormatInt(o.Totals.Total, 10), "payment_method": o.PaymentMethod}}); err != nil {
				return err
			}
		} else {
			if err := s.orders.CreateTx(ctx, tx, o, req.Actor); err != nil {
				if errors.Is(err, errs.ErrConflict) {
					// Another checkout of this cart created its order while
					// this one waited for the cart: run again to answer it.
					return errCartRaced
				}
				return err
			}
			res.Created = true
		}
		t, _ := tenants.FromContext(ctx)
		now := s.now().UTC()
		pay := &Payment{ID: uuid.Must(uuid.NewV7()), OrderID: o.ID, Provider: p.Name(), Status: payments.StatusPending,
			Amount: o.Totals.Total, Currency: o.Totals.Currency, CreatedAt: now, UpdatedAt: now}
		res.Order, res.Payment = o, pay
		if p.Capabilities().Local {
			return s.startLocal(ctx, tx, p, set, o, pay)
		}
		if err := insertPayment(ctx, tx, toPaymentRow(t.ID, pay)); err != nil {
			return err
		}
		switch {
		case req.Deferred:
			return s.jobs.InsertTx(ctx, tx, InitiateArgs{TenantID: t.ID, PaymentID: pay.ID}, nil)
		}
		*start = true
		return nil
	}
}

// checkCart refuses what cannot become an order.
func checkCart(c *cart.Cart, set cart.Settings, city string) error {
	if len(c.Lines) == 0 {
		return errs.Invalid(errs.Field("cart_id", "empty", "checkout.field.cart_empty"))
	}
	if !set.Ships(city) {
		return errs.Invalid(errs.Field("address.city", "not_served", "checkout.field.city_not_served", "city", city, "cities", set.ShipsTo()))
	}
	var short []string
	for _, l := range c.Lines {
		if !l.Available || l.Short() {
			short = append(short, l.SKU)
		}
	}
	if len(short) > 0 {
		return errs.New(errs.CodeConflict, "catalog.stock.sold_out", "skus", strings.Join(short, ", "))
	}
	return nil
}

// draft is the order a cart becomes.
func draft(c *cart.Cart, req InitRequest, version string) *orders.Order {
	o := &orders.Order{CartID: c.ID, Channel: c.Channel, CustomerID: req.CustomerID, CustomerName: req.CustomerName,
		CustomerPhone: req.CustomerPhone, Locale: req.Locale, Status: orders.StatusPendingPayment, PaymentMethod: req.Method,
		Address: req.Address, Notes: req.Notes, CartVersion: version,
		Totals: orders.Totals{Currency: c.Currency, Subtotal: c.Totals.Subtotal, Discount: c.Totals.Discount, Shipping: c.Totals.Shipping,
			VAT: c.Totals.VAT, Total: c.Totals.Total, VATRateBP: c.Totals.VATRateBP, VATIncluded: c.Totals.VATIncluded}}
	if o.CustomerID == nil {
		o.CustomerID = c.CustomerID
	}
	for _, l := range c.Lines {
		o.Lines = append(o.Lines, orders.Line{VariantID: l.VariantID, ProductID: l.ProductID, SKU: l.SKU, TitleAR: l.TitleAR, TitleEN: l.TitleEN,
			OptionsAR: l.OptionsAR, OptionsEN: l.OptionsEN, Quantity: l.Quantity, UnitPrice: l.UnitPrice})
	}
	return o
}

// fingerprint identifies what a draft was made of: the cart's lines and
// prices, its totals, and every detail of the checkout.
func fingerprint(c *cart.Cart, req InitRequest) string {
	h := sha256.New()
	for _, l := range c.Lines {
		fmt.Fprintf(h, "%s|%d|%d\n", l.VariantID, l.Quantity, l.UnitPrice)
	}
	a := req.Address
	fmt.Fprintf(h, "%d|%d|%d|%s\n%s|%s|%s|%s|%s\n%s|%s|%s|%s|%s|%s|%s|%v\n", c.Totals.Shipping, c.Totals.VAT, c.Totals.Total, c.Currency,
		req.Method, req.CustomerName, req.CustomerPhone, req.Locale, req.Notes,
		a.BuildingNumber, a.Street, a.District, a.City, a.PostalCode, a.AdditionalNumber, a.ShortAddress+"|"+a.Notes, a.Location)
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func stockLines(ls []orders.Line) []catalog.StockLine {
	out := make([]catalog.StockLine, len(ls))
	for i, l := range ls {
		out[i] = catalog.StockLine{VariantID: l.VariantID, Quantity: l.Quantity}
	}
	return out
}

// methodError says a payment method is not offered, naming those that are.
func (s *Service) methodError(ctx context.Context, id string) error {
	var names []string
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		names, err = s.enabledNames(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	return methodField(id, names)
}

func (s *Service) methodErrorTx(ctx context.Context, tx bun.IDB, id string) error {
	names, err := s.enabledNames(ctx, tx)
	if err != nil {
		return err
	}
	return methodField(id, names)
}

func methodField(id string, names []string) error {
	return errs.Invalid(errs.Field("payment_method", "oneof", id, "methods", strings.Join(names, ", ")))
}

// enabledNames lists the providers the tenant has enabled.
func (s *Service) enabledNames(ctx context.Context, tx bun.IDB) ([]string, error) {
	rows, err := getSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rows {
		if _, ok := s.providers.Get(r.Provider); ok && r.Enabled {
			out = append(out, r.Provider)
		}
	}
	return out, nil
}

// notEligible explains a provider's refusal.
func (s *Service) notEligible(_ context.Context, err error, currency string) error {
	var ne *payments.NotEligibleError
	if errors.As(err, &ne) {
		switch ne.Reason {
		case "max_order_total":
			return errs.Invalid(errs.Field("payment_method", "max_order_total", "checkout.field.cod_limit", "limit", ne.Limit, "currency", currency))
		case "max_refusals":
			return errs.Invalid(errs.Field("payment_method", "max_refusals", "checkout.field.cod_refusals"))
		}
	}
	return errs.Invalid(errs.Field("payment_method", "not_eligible", "checkout.field.method_not_eligible"))
}

// Confirm is the customer's confirmation of a cash-on-delivery order: the
// order is confirmed (released for fulfilment) and the cart checked out.
// Confirming again answers the same. Errors: not_found, conflict (the
// order was cancelled or expired, or its payment needs no confirmation).
func (s *Service) Confirm(ctx context.Context, orderID uuid.UUID, actor string) (*InitResult, error) {
	var res InitResult
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		o, err := s.orders.GetTx(ctx, tx, orderID, true)
		if err != nil {
			return err
		}
		res.Order = o
		pay, err := getPayment(ctx, tx, true, "order_id = ?", o.ID)
		if err != nil {
			return err
		}
		res.Payment = pay
		switch {
		case o.Status == orders.StatusCancelled:
			return errs.New(errs.CodeConflict, "checkout.confirm.cancelled")
		case o.Status != orders.StatusPendingPayment:
			return nil // confirmed already
		case pay == nil:
			return errs.New(errs.CodeConflict, "checkout.confirm.no_payment")
		}
		p, ok := s.providers.Get(pay.Provider)
		if !ok || !p.Capabilities().CustomerConfirms {
			return errs.New(errs.CodeConflict, "checkout.confirm.not_needed")
		}
		switch {
		case pay.Status == payments.StatusExpired || pay.Status == payments.StatusCancelled:
			return errs.New(errs.CodeConflict, "checkout.confirm.expired")
		case pay.Status != payments.StatusAuthorized:
			return errs.New(errs.CodeConflict, "checkout.confirm.not_ready")
		case pay.ExpiresAt != nil && !s.now().Before(*pay.ExpiresAt):
			return errs.New(errs.CodeConflict, "checkout.confirm.expired")
		}
		now := s.now().UTC()
		pay.ConfirmedAt, pay.UpdatedAt = &now, now
		t, _ := tenants.FromContext(ctx)
		if err := updatePayment(ctx, tx, toPaymentRow(t.ID, pay)); err != nil {
			return err
		}
		return s.place(ctx, tx, o, pay, actor, "cod_confirmed")
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// place confirms an order whose payment is done (captured, authorised, or
// cash on delivery confirmed): it is released for fulfilment, its cart is
// checked out, and the customer told.
func (s *Service) place(ctx context.Context, tx bun.Tx, o *orders.Order, pay *Payment, actor, kind string) error {
	if o.Status != orders.StatusPendingPayment {
		if o.Status == orders.StatusCancelled {
			// Paid after the order was cancelled (a late webhook): staff
			// must refund; the timeline says so.
			s.log.WarnContext(ctx, "payment completed on a cancelled order", "order_id", o.ID, "payment_id", pay.ID)
			return s.orders.EventTx(ctx, tx, o.ID, orders.Event{Kind: "paid_after_cancel", Actor: actor,
				Data: map[string]string{"payment_id": pay.ID.String()}})
		}
		return nil
	}
	if !o.StockHeld {
		// The reservation lapsed (a payment completed after its expiry):
		// take the stock again, or tell staff it is short.
		if _, err := s.stock.ReserveStock(ctx, tx, stockLines(o.Lines)); err != nil {
			if !errors.Is(err, errs.ErrConflict) {
				return err
			}
			if err := s.orders.EventTx(ctx, tx, o.ID, orders.Event{Kind: "stock_short", Actor: actor, Note: err.Error()}); err != nil {
				return err
			}
		} else {
			o.StockHeld = true
		}
	}
	if err := s.orders.MoveTx(ctx, tx, o, orders.StatusConfirmed, orders.Event{Kind: kind, Actor: actor,
		Data: map[string]string{"payment_id": pay.ID.String(), "provider": pay.Provider}}); err != nil {
		return err
	}
	if err := s.carts.Convert(ctx, o.CartID); err != nil && !errors.Is(err, errs.ErrConflict) && !errors.Is(err, errs.ErrNotFound) {
		return err
	}
	return s.notify(ctx, tx, o, Notice{Key: "order:" + o.ID.String() + ":confirmed", Text: "checkout.notify.confirmed",
		Vars: []string{"{order}", numberOf(o)}, Amounts: map[string]money.Amount{"{total}": {Minor: o.Totals.Total, Currency: o.Totals.Currency}},
		Template: "order_confirmed", Params: []string{numberOf(o), "{total}"}})
}

func numberOf(o *orders.Order) string { return strconv.FormatInt(o.Number, 10) }

// notify queues a notice to the order's customer, if they can be reached
// on WhatsApp (a web shopper who never wrote to the store cannot).
func (s *Service) notify(ctx context.Context, tx bun.Tx, o *orders.Order, n Notice) error {
	return orders.NotifyCustomer(ctx, tx, s.notifier, s.log, o, n)
}
