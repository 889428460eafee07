package main

import (
	"context"
	"errors"
	"strconv"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/cart"
	"concierge/modules/checkout"
	"concierge/modules/invoices"
	"concierge/modules/orders"
	"concierge/modules/sla"
	"concierge/modules/whatsapp"
	"concierge/plugins/payments"
	"concierge/tenants"
)

// customerContexts shows staff, beside a conversation, the customer's open
// cart and last order with its payment (whatsapp.CustomerContexts over the
// cart, orders and checkout services).
type customerContexts struct {
	scope    *tenants.Scope
	carts    *cart.Service
	orders   *orders.Service
	payments *checkout.Service
}

func (c *customerContexts) CustomerContext(ctx context.Context, customerID uuid.UUID, phone string) (whatsapp.CustomerContext, error) {
	var out whatsapp.CustomerContext
	crt, err := c.carts.OpenCustomerCart(ctx, customerID)
	switch {
	case err == nil && crt.Items() > 0:
		out.Cart = &whatsapp.CartSummary{ID: crt.ID, Items: crt.Items(), Total: crt.Totals.Total, Currency: crt.Totals.Currency}
	case err != nil && !errors.Is(err, errs.ErrNotFound):
		return out, err
	}
	err = c.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		os, err := c.orders.ForContactTx(ctx, tx, customerID, phone, whatsapp.RecentOrders)
		if err != nil || len(os) == 0 {
			return err
		}
		ids := make([]uuid.UUID, len(os))
		for i, o := range os {
			ids[i] = o.ID
		}
		ps, err := c.payments.OrderPayments(ctx, tx, ids)
		if err != nil {
			return err
		}
		for _, o := range os {
			sum := whatsapp.OrderSummary{ID: o.ID, Number: strconv.FormatInt(o.Number, 10), Status: o.Status, Total: o.Totals.Total,
				Currency: o.Totals.Currency, PaymentMethod: o.PaymentMethod, CreatedAt: o.CreatedAt}
			if n := len(ps[o.ID]); n > 0 {
				sum.PaymentStatus = ps[o.ID][n-1].Status
			}
			out.Orders = append(out.Orders, sum)
		}
		out.LastOrder = &out.Orders[0]
		return nil
	})
	return out, err
}

// dispatchTimer runs the order-dispatch SLA timer (orders.Observer over
// sla.Service): from confirmation until shipped, or cancelled.
type dispatchTimer struct{ timers *sla.Service }

func (d dispatchTimer) OrderEventTx(ctx context.Context, tx bun.Tx, orderID uuid.UUID, _ *orders.Order, ev orders.Event) error {
	switch ev.To {
	case orders.StatusConfirmed:
		return d.timers.StartTx(ctx, tx, sla.KindOrderDispatch, orderID)
	case orders.StatusShipped, orders.StatusCancelled:
		return d.timers.StopTx(ctx, tx, sla.KindOrderDispatch, orderID)
	}
	return nil
}

// invoiceLinks gives the customer the signed link to an order's tax
// invoice (orders.InvoiceLinks over invoices.Service); none while the store
// has no VAT number or the order was never confirmed.
type invoiceLinks struct{ invoices *invoices.Service }

func (l invoiceLinks) InvoiceLink(ctx context.Context, orderID uuid.UUID) (string, bool) {
	doc, err := l.invoices.Invoice(ctx, orderID)
	if err != nil {
		return "", false
	}
	return l.invoices.Link(&doc.Invoice), true
}

// returnRefunds refunds an approved return through the order's payment
// provider (returns.Refunds over checkout.Service.RefundOnce, keyed by the
// return); cash on delivery is money handed back by hand: manual.
type returnRefunds struct {
	checkout  *checkout.Service
	providers *payments.Registry
}

func (r returnRefunds) Refund(ctx context.Context, orderID uuid.UUID, amount int64, key, actor, reason string) (bool, error) {
	_, pay, err := r.checkout.RefundOnce(ctx, orderID, amount, key, actor, reason)
	if err != nil {
		return false, err
	}
	p, ok := r.providers.Get(pay.Provider)
	return ok && p.Capabilities().Local, nil
}
