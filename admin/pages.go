package admin

import (
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/nyaruka/phonenumbers"

	"concierge/admin/ui"
	"concierge/internal/errs"
	"concierge/modules/orders"
	"concierge/modules/sla"
	"concierge/modules/whatsapp"
)

// home is GET /admin: today's orders and revenue (in the store's time
// zone), the inbox's waiting and active conversations, today's SLA
// breaches, and — for those who may read analytics — the funnel and AOV of
// the last 7 and 30 days.
func (a *Console) home(c *fiber.Ctx) error {
	ctx := c.UserContext()
	r := reqOf(c)
	v := a.view(c, "admin.home.title")
	now := a.d.Now().In(v.Location)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, v.Location)
	var h ui.Home
	st, err := a.d.Orders.Stats(ctx, day, day.AddDate(0, 0, 1))
	if err != nil {
		return a.fail(c, err)
	}
	h.TodayOrders, h.TodayRevenue = st.Orders, st.Revenue
	if r.access.Can("conversations", "read") {
		waiting, err := a.d.Conversations.List(ctx, whatsapp.HandoffWaiting, 100)
		if err != nil {
			return a.fail(c, err)
		}
		active, err := a.d.Conversations.List(ctx, whatsapp.HandoffHuman, 100)
		if err != nil {
			return a.fail(c, err)
		}
		h.Waiting, h.Active = len(waiting), len(active)
		b, err := a.d.Breaches.Breaches(ctx, sla.BreachQuery{Since: &day, Limit: sla.MaxBreachPage})
		if err != nil {
			return a.fail(c, err)
		}
		h.Breaches = len(b.Items)
	}
	if r.access.Can("analytics", "read") {
		h.ShowFunnel = true
		for _, days := range []int{7, 30} {
			f, err := a.d.Funnels.Funnel(ctx, now.AddDate(0, 0, -days), now)
			if err != nil {
				return a.fail(c, err)
			}
			t := f.Total
			h.Funnels = append(h.Funnels, ui.FunnelRow{Days: days, Conversations: t.Conversations, Views: t.ProductViews,
				CartAdds: t.CartAdds, Checkouts: t.Checkouts, Orders: t.Orders, Paid: t.Paid, Revenue: t.Revenue, AOV: t.AOV})
		}
	}
	return a.render(c, ui.HomePage(v, h))
}

// ordersList is GET /admin/orders: newest first, filtered by status,
// payment method, a date range (the store's days) and the customer's
// phone; a filter that does not parse is shown next to its field and the
// rest still applies.
func (a *Console) ordersList(c *fiber.Ctx) error {
	v := a.view(c, "admin.orders.title")
	f := ui.OrderFilter{Status: c.Query("status"), Payment: c.Query("payment"), From: c.Query("from"), To: c.Query("to"),
		Phone: strings.TrimSpace(c.Query("phone"))}
	l := ui.OrdersList{Filter: f, Errors: map[string]string{}, Statuses: orders.Statuses, Methods: a.cfg.PaymentMethods,
		CanWrite: reqOf(c).access.Can("orders", "write")}
	q := orders.ListQuery{Cursor: c.Query("cursor"), Limit: 25, Summary: true}
	if slices.Contains(orders.Statuses, f.Status) {
		q.Status = f.Status
	} else {
		l.Filter.Status = ""
	}
	if slices.Contains(a.cfg.PaymentMethods, f.Payment) {
		q.PaymentMethod = f.Payment
	} else {
		l.Filter.Payment = ""
	}
	day := dayParam(v, v.Location, l.Errors)
	q.From = day("from", f.From)
	if to := day("to", f.To); !to.IsZero() {
		q.To = to.AddDate(0, 0, 1) // the whole day
	}
	if f.Phone != "" {
		if p, err := phonenumbers.Parse(f.Phone, "SA"); err == nil && phonenumbers.IsValidNumber(p) {
			q.Phone = phonenumbers.Format(p, phonenumbers.E164)
		} else {
			l.Errors["phone"] = v.T("admin.orders.bad_phone")
		}
	}
	page, err := a.d.Orders.List(c.UserContext(), q)
	if errs.CodeOf(err) == errs.CodeInvalid { // a cursor that does not parse: the first page
		q.Cursor = ""
		page, err = a.d.Orders.List(c.UserContext(), q)
	}
	if err != nil {
		return a.fail(c, err)
	}
	l.Orders = page.Items
	if page.NextCursor != "" {
		next := l.Filter.Query()
		next.Set("cursor", page.NextCursor)
		l.Next = "/admin/orders?" + next.Encode()
	}
	if len(l.Errors) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.OrdersListPage(v, l))
}

// orderID parses :id; an id that is not one is an order this tenant does
// not have.
func orderID(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, orders.ErrNotFound
	}
	return id, nil
}

// orderDetail is GET /admin/orders/{id}. Another tenant's order is 404.
func (a *Console) orderDetail(c *fiber.Ctx) error {
	id, err := orderID(c)
	if err != nil {
		return a.fail(c, err)
	}
	return a.orderPage(c, id, ui.MoveForm{}, nil)
}

func (a *Console) orderPage(c *fiber.Ctx, id uuid.UUID, form ui.MoveForm, fieldErrs map[string]string) error {
	return a.orderPageWith(c, id, form, ui.RefundForm{}, fieldErrs)
}

// orderPageWith is the order's page with its forms as typed and their
// errors by field.
func (a *Console) orderPageWith(c *fiber.Ctx, id uuid.UUID, form ui.MoveForm, refund ui.RefundForm, fieldErrs map[string]string) error {
	d, err := a.d.Orders.Get(c.UserContext(), id)
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.order.page")
	v.Title = v.T("admin.order.title", "number", v.Number(d.Number))
	switch f := c.Query("done"); f {
	case "moved", "collected", "refused", "refunded":
		v.Flash = v.T("admin.order." + f)
	}
	refund.Key = uuid.NewString() // a fresh form: a new refund
	paid := refundable(d.Payments)
	p := ui.OrderPage{Order: d, Moves: orders.StaffMoves(d.Status), CanWrite: reqOf(c).access.Can("orders", "write"),
		Form: form, Errors: fieldErrs, Refund: refund, Refundable: paid,
		COD: d.PaymentMethod == "cod" && (d.Status == orders.StatusConfirmed || d.Status == orders.StatusProcessing ||
			d.Status == orders.StatusShipped) && paid == 0,
		Invoiced: d.ConfirmedAt != nil}
	if len(fieldErrs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.OrderDetailPage(v, p))
}

// orderMove is POST /admin/orders/{id}/transitions: the move (tracking
// with shipped), as the API's; field errors come back next to their
// fields with what was typed, a move the order cannot make says which it
// can.
func (a *Console) orderMove(c *fiber.Ctx) error {
	id, err := orderID(c)
	if err != nil {
		return a.fail(c, err)
	}
	r := reqOf(c)
	form := ui.MoveForm{To: c.FormValue("to"), TrackingNumber: strings.TrimSpace(c.FormValue("tracking_number")),
		TrackingURL: strings.TrimSpace(c.FormValue("tracking_url")), Carrier: strings.TrimSpace(c.FormValue("carrier")),
		Note: strings.TrimSpace(c.FormValue("note"))}
	v := a.view(c, "admin.order.page")
	bad := map[string]string{}
	if !slices.Contains(orders.StaffTargets, form.To) {
		bad["to"] = v.T("admin.order.bad_to")
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{{"tracking_number", form.TrackingNumber, 64}, {"carrier", form.Carrier, 64}, {"tracking_url", form.TrackingURL, 500}, {"note", form.Note, 500}} {
		if utf8.RuneCountInString(f.value) > f.max {
			bad[f.name] = v.T("admin.field.too_long", "max", v.Number(int64(f.max)))
		}
	}
	if form.TrackingURL != "" {
		if u, err := url.Parse(form.TrackingURL); err != nil || u.Scheme != "https" || u.Host == "" {
			bad["tracking_url"] = v.T("admin.order.bad_url")
		}
	}
	if len(bad) > 0 {
		return a.orderPage(c, id, form, bad)
	}
	tr := orders.Transition{To: form.To, Note: form.Note, Actor: "user:" + r.p.UserID.String()}
	if form.To == orders.StatusShipped {
		tr.Tracking = orders.Tracking{Number: form.TrackingNumber, URL: form.TrackingURL, Carrier: form.Carrier}
	}
	if _, err := a.d.Orders.Transition(c.UserContext(), id, tr); err != nil {
		switch errs.CodeOf(err) {
		case errs.CodeInvalid:
			for _, fe := range errs.FieldsOf(err) {
				bad[fe.Field] = a.d.Texts.Message(v.Lang, fe.Msg)
			}
			if len(bad) == 0 {
				bad["to"] = v.T("admin.order.bad_to")
			}
			return a.orderPage(c, id, form, bad)
		case errs.CodeConflict:
			bad["to"] = v.T("admin.order.cannot_move")
			return a.orderPage(c, id, form, bad)
		}
		return a.fail(c, err)
	}
	return c.Redirect("/admin/orders/"+id.String()+"?done=moved", fiber.StatusSeeOther)
}
