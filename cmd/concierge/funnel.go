package main

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/modules/analytics"
	"concierge/modules/orders"
	"concierge/modules/whatsapp"
	"concierge/storefront"
)

// The funnel's sources. Each adapter hands a step to analytics.Record,
// which never blocks and never fails the work it observes.

// webFunnel records the storefront's steps (channel web).
type webFunnel struct{ events *analytics.Service }

func (f webFunnel) Track(ctx context.Context, e storefront.Event) {
	f.events.Record(ctx, analytics.Event{Name: e.Name, Channel: analytics.ChannelWeb, SessionID: e.SessionID, Consented: e.Consented,
		ProductID: e.ProductID, OrderID: e.OrderID, Amount: e.Amount, Currency: e.Currency, Query: e.Query})
}

// orderFunnel records order_placed (an order's creation) and paid (the
// order confirmed: a card payment authorised or captured, a cash-on-delivery
// order confirmed by the customer) on both channels, from the orders'
// timeline.
type orderFunnel struct{ events *analytics.Service }

func (f orderFunnel) OrderEventTx(ctx context.Context, _ bun.Tx, orderID uuid.UUID, o *orders.Order, ev orders.Event) error {
	var name string
	switch {
	case ev.Kind == "created":
		name = analytics.NameOrderPlaced
	case ev.To == orders.StatusConfirmed:
		name = analytics.NamePaid
	default:
		return nil
	}
	e := analytics.Event{Name: name, Channel: analytics.ChannelWeb, OrderID: &orderID, Consented: true}
	if o != nil {
		e.Amount, e.Currency = o.Totals.Total, o.Totals.Currency
		if o.Channel == "whatsapp" {
			e.Channel, e.CustomerID = analytics.ChannelWhatsApp, o.CustomerID
		}
	}
	f.events.Record(ctx, e)
	return nil
}

// handoffFunnel records human_handoff when the hand-off timer starts, then
// starts it.
type handoffFunnel struct {
	whatsapp.Timers
	events *analytics.Service
}

func (f handoffFunnel) StartTx(ctx context.Context, tx bun.Tx, kind string, subject uuid.UUID) error {
	if kind == whatsapp.TimerHandoff {
		f.events.Record(ctx, analytics.Event{Name: analytics.NameHumanHandoff, Channel: analytics.ChannelWhatsApp})
	}
	return f.Timers.StartTx(ctx, tx, kind, subject)
}

// chatFunnel records the chat's steps (channel whatsapp).
type chatFunnel struct{ events *analytics.Service }

func (f chatFunnel) Step(ctx context.Context, step string, customerID uuid.UUID, productID *uuid.UUID) {
	f.events.Record(ctx, analytics.Event{Name: step, Channel: analytics.ChannelWhatsApp, CustomerID: &customerID, ProductID: productID,
		Consented: true})
}
