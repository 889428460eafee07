package main

import (
	"context"
	"log/slog"

	"github.com/uptrace/bun"

	"concierge/internal/config"
	"concierge/modules/identity"
	"concierge/modules/orders"
	"concierge/modules/whatsapp"
	"concierge/plugins/payments"
	"concierge/plugins/payments/cod"
	"concierge/plugins/payments/stripe"
)

// newPaymentProviders is the registry of every way of paying, by name.
// A new provider (Tamara, Tabby, mada) is one more line here.
func newPaymentProviders(cfg config.Config, log *slog.Logger) *payments.Registry {
	return payments.NewRegistry(
		cod.New(),
		stripe.New(stripe.Config{APIBase: cfg.StripeAPIBase, Logger: log}),
	)
}

// notifier sends a module's order notices through the WhatsApp channel
// (orders.Notifier over whatsapp.Service.NotifyTx), written by
// "system:<author>".
type notifier struct {
	channel *whatsapp.Service
	author  string
}

func (n *notifier) NotifyTx(ctx context.Context, tx bun.Tx, c orders.Notice) error {
	to := whatsapp.Recipient{WAID: c.Phone}
	if c.CustomerID != nil {
		to = whatsapp.Recipient{CustomerID: *c.CustomerID}
	}
	bs := make([]whatsapp.NotificationButton, len(c.Buttons))
	for i, b := range c.Buttons {
		bs[i] = whatsapp.NotificationButton{ID: b.ID, Text: b.Text}
	}
	_, err := n.channel.NotifyTx(ctx, tx, to, whatsapp.Notification{Key: c.Key, Author: identity.SystemActor(n.author),
		Text: c.Text, Vars: c.Vars, Amounts: c.Amounts, Localized: c.Localized, Template: whatsapp.Template{Name: c.Template, Params: c.Params}, Buttons: bs,
		URL: c.URL, URLText: c.URLText})
	return err
}
