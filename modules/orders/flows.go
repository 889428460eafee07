package orders

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/money"
	"concierge/modules/whatsapp/dialog"
)

// "My orders" in WhatsApp: "طلباتي" / "my orders" (or the menu entry) lists
// the customer's recent orders; choosing one shows its status, timeline and
// items, the tracking link as a button when it has one, and the buttons
// "Start a return" (when the returns capability says the order qualifies)
// and "Talk to us" (the hand-off).
//
// Reply ids:
//
//	orders:list          the recent orders
//	orders:show:<id>     one order

// FlowsName is the capability's name: its reply-id and step prefix.
const FlowsName = "orders"

// recentOrders is how many orders the list shows.
const recentOrders = 10

// ReturnOffer offers "Start a return" for an order that qualifies
// (modules/returns' flows).
type ReturnOffer interface {
	ReturnButton(ctx context.Context, req dialog.Request, o Order) (dialog.Option, bool)
}

// InvoiceLinks gives the customer's link to an order's tax invoice
// (modules/invoices), or false when it has none.
type InvoiceLinks interface {
	InvoiceLink(ctx context.Context, orderID uuid.UUID) (string, bool)
}

// Flows is the orders' part of the conversation.
type Flows struct {
	svc      *Service
	words    dialog.Words
	keywords dialog.Phrases
	// Returns offers "Start a return" (nil: not offered).
	Returns ReturnOffer
	// Invoices links the tax invoice (nil: not shown).
	Invoices InvoiceLinks
}

// NewFlows returns the "my orders" conversation over svc.
func NewFlows(svc *Service, words dialog.Words) *Flows {
	return &Flows{svc: svc, words: words, keywords: dialog.NewPhrases(
		"my orders", "orders", "my order", "order status", "where is my order", "track my order", "track order", "track",
		"طلباتي", "طلبي", "الطلبات", "حالة الطلب", "حالة طلبي", "وين طلبي", "أين طلبي", "اين طلبي", "تتبع الطلب", "تتبع طلبي", "تتبع",
	)}
}

// Name implements dialog.Capability.
func (f *Flows) Name() string { return FlowsName }

// MenuEntry implements dialog.Capability.
func (f *Flows) MenuEntry(locale string) (dialog.Option, bool) {
	return dialog.Option{ID: FlowsName + ":list", Title: f.words.Text(context.Background(), locale, "orders.menu.title"),
		Description: f.words.Text(context.Background(), locale, "orders.menu.desc")}, true
}

// Keywords implements dialog.Keyworded.
func (f *Flows) Keywords() dialog.Phrases { return f.keywords }

// Handle implements dialog.Capability.
func (f *Flows) Handle(ctx context.Context, req dialog.Request) (dialog.Result, bool, error) {
	t := &orderTurn{Turn: dialog.NewTurn(ctx, req, f.words, FlowsName), f: f}
	switch req.In.Kind {
	case dialog.KindButtonReply, dialog.KindListReply, dialog.KindTemplateButton:
		id, ok := strings.CutPrefix(strings.TrimSpace(req.In.ReplyID), FlowsName+":")
		if !ok {
			return dialog.Result{}, false, nil
		}
		if rest, ok := strings.CutPrefix(id, "show:"); ok {
			return t.Res, true, t.show(rest)
		}
		return t.Res, true, t.list()
	case dialog.KindText:
		if f.keywords.Match(req.In.Text) {
			return t.Res, true, t.list()
		}
	}
	return dialog.Result{}, false, nil
}

type orderTurn struct {
	*dialog.Turn
	f *Flows
}

func (t *orderTurn) reply(r dialog.Reply) { t.Res.Replies = append(t.Res.Replies, r) }

func (t *orderTurn) customer() (uuid.UUID, bool) {
	id, err := uuid.Parse(t.Req.Customer.ID)
	return id, err == nil
}

// phone is the customer's number in E.164 ("" when unknown).
func (t *orderTurn) phone() string {
	if w := strings.TrimPrefix(t.Req.Customer.WAID, "+"); w != "" {
		return "+" + w
	}
	return ""
}

func (t *orderTurn) money(minor int64, currency string) string {
	return money.Format(money.Amount{Minor: minor, Currency: currency}, t.Locale)
}

func (t *orderTurn) number(o Order) string {
	return dialog.Digits(strconv.FormatInt(o.Number, 10), t.Locale)
}

func (t *orderTurn) status(s string) string { return t.Text("orders.status." + s) }

// list shows the customer's recent orders.
func (t *orderTurn) list() error {
	t.Res.State.Step = dialog.StepMenu
	cust, ok := t.customer()
	var os []Order
	if ok {
		err := t.f.svc.scope.InTenantTx(t.Ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			os, err = t.f.svc.ForContactTx(ctx, tx, cust, t.phone(), recentOrders)
			return err
		})
		if err != nil {
			return err
		}
	}
	if len(os) == 0 {
		t.reply(dialog.ButtonsReply(t.Text("orders.none"), dialog.Option{ID: dialog.IDMenu, Title: t.Text("orders.button.menu")}))
		return nil
	}
	rows := make([]dialog.Option, len(os))
	for i, o := range os {
		rows[i] = dialog.Option{ID: FlowsName + ":show:" + o.ID.String(),
			Title:       "#" + t.number(o) + " · " + t.status(o.Status),
			Description: dialog.FormatDate(o.CreatedAt, t.Locale) + " · " + t.money(o.Totals.Total, o.Totals.Currency)}
	}
	t.reply(dialog.ListReply(t.Text("orders.list"), t.Text("orders.button.list"), rows))
	return nil
}

// show tells one order of the customer's: someone else's order, or no
// order, is answered alike.
func (t *orderTurn) show(raw string) error {
	t.Res.State.Step = dialog.StepMenu
	id, err := uuid.Parse(raw)
	cust, ok := t.customer()
	var d *Detail
	if err == nil && ok {
		d, err = t.f.svc.Get(t.Ctx, id)
		if errors.Is(err, ErrNotFound) || (err == nil && !Mine(d.Order, cust, t.phone())) {
			d, err = nil, nil
		}
		if err != nil {
			return err
		}
	}
	if d == nil {
		t.reply(dialog.ButtonsReply(t.Text("orders.unknown"), dialog.Option{ID: FlowsName + ":list", Title: t.Text("orders.button.list")}))
		return nil
	}
	o := d.Order
	var b strings.Builder
	b.WriteString(t.Text("orders.detail", "{order}", t.number(o), "{status}", t.status(o.Status),
		"{date}", dialog.FormatDate(o.CreatedAt, t.Locale), "{total}", t.money(o.Totals.Total, o.Totals.Currency)))
	b.WriteString("\n\n" + t.Text("orders.timeline"))
	for _, e := range d.Events {
		if label, ok := t.eventLabel(e); ok {
			b.WriteString("\n• " + dialog.FormatTime(e.At, t.Locale) + " — " + label)
		}
	}
	b.WriteString("\n\n" + t.Text("orders.items"))
	for _, l := range o.Lines {
		title := l.TitleAR
		if t.Locale == dialog.LocaleEN || title == "" {
			title = firstOf(l.TitleEN, l.TitleAR)
		}
		b.WriteString("\n" + dialog.Number(l.Quantity, t.Locale) + " × " + title)
	}
	if o.Tracking.Number != "" {
		b.WriteString("\n\n" + t.Text("orders.tracking", "{tracking}", o.Tracking.Number, "{carrier}", o.Tracking.Carrier))
	}
	if t.f.Invoices != nil {
		if link, ok := t.f.Invoices.InvoiceLink(t.Ctx, o.ID); ok {
			b.WriteString("\n\n" + t.Text("orders.invoice", "{url}", link))
		}
	}
	t.reply(dialog.TextReply(b.String()))
	if o.Tracking.URL != "" {
		t.reply(dialog.Reply{Kind: dialog.ReplyCTAURL, Body: t.Text("orders.track_body", "{order}", t.number(o)),
			ListButton: dialog.Clip(t.Text("orders.button.track"), dialog.MaxButtonTitle), URL: o.Tracking.URL})
	}
	opts := []dialog.Option{}
	if t.f.Returns != nil {
		if opt, ok := t.f.Returns.ReturnButton(t.Ctx, t.Req, o); ok {
			opts = append(opts, opt)
		}
	}
	opts = append(opts, dialog.Option{ID: dialog.IDHandoff, Title: t.Text("orders.button.talk")},
		dialog.Option{ID: FlowsName + ":list", Title: t.Text("orders.button.list")})
	t.reply(dialog.ButtonsReply(t.Text("orders.next"), opts...))
	return nil
}

// eventLabel is how the customer reads a timeline event: status changes
// and refunds; internal events (re-pricing, stock, notes) stay staff's.
func (t *orderTurn) eventLabel(e Event) (string, bool) {
	switch {
	case e.Kind == "created":
		return t.Text("orders.event.placed"), true
	case e.To != "" && e.To != StatusPendingPayment:
		return t.status(e.To), true
	case e.Kind == "payment_refunded":
		return t.Text("orders.event.refunded"), true
	}
	return "", false
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
