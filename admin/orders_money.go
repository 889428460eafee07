package admin

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/admin/ui"
	"concierge/internal/errs"
	"concierge/internal/money"
	"concierge/modules/checkout"
	"concierge/modules/identity"
	"concierge/modules/invoices"
	"concierge/modules/orders"
)

// An order's money from its page: cash on delivery collected or refused
// at the door, refunds (cancel is a move), and the tax invoice to view or
// print. The same service calls as the API's, audited with the staff
// member.

// Payments settles orders' payments (checkout.Service). Errors: not_found,
// conflict (the order's state does not allow it), invalid (refund amount).
type Payments interface {
	CODCollected(ctx context.Context, orderID uuid.UUID, actor string) (*orders.Order, *checkout.Payment, error)
	CODRefused(ctx context.Context, orderID uuid.UUID, actor, note string) (*orders.Order, error)
	RefundOnce(ctx context.Context, orderID uuid.UUID, amount int64, key, actor, reason string) (*orders.Order, *checkout.Payment, error)
}

// Invoices finds an order's tax invoice (invoices.Service): not_found when
// it has none (the store has no VAT number, or the order was never
// confirmed).
type Invoices interface {
	Invoice(ctx context.Context, orderID uuid.UUID) (*invoices.Document, error)
}

// actorOf names the signed-in staff member for the audit log.
func actorOf(c *fiber.Ctx) string { return identity.ActorFrom(c.UserContext()).String() }

// orderCOD is POST /admin/orders/{id}/cod-collected and /cod-refused (with
// an optional note): the courier's outcome at the door.
func (a *Console) orderCOD(collected bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := orderID(c)
		if err != nil {
			return a.fail(c, err)
		}
		note := strings.TrimSpace(c.FormValue("cod_note"))
		v := a.view(c, "admin.order.page")
		if utf8.RuneCountInString(note) > 500 {
			return a.orderPage(c, id, ui.MoveForm{}, map[string]string{"cod_note": v.T("admin.field.too_long", "max", v.Number(500))})
		}
		done := "collected"
		if collected {
			_, _, err = a.d.Payments.CODCollected(c.UserContext(), id, actorOf(c))
		} else {
			_, err = a.d.Payments.CODRefused(c.UserContext(), id, actorOf(c), note)
			done = "refused"
		}
		if errs.CodeOf(err) == errs.CodeConflict {
			return a.orderPage(c, id, ui.MoveForm{}, map[string]string{"cod": a.d.Texts.Message(v.Lang, messageOf(err))})
		}
		if err != nil {
			return a.fail(c, err)
		}
		return c.Redirect("/admin/orders/"+id.String()+"?done="+done, fiber.StatusSeeOther)
	}
}

// orderRefund is POST /admin/orders/{id}/refunds: amount (blank: all that
// is left) and reason, under the form's one-time key — a form sent twice
// refunds once.
func (a *Console) orderRefund(c *fiber.Ctx) error {
	id, err := orderID(c)
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.order.page")
	amountText, reason := strings.TrimSpace(c.FormValue("amount")), strings.TrimSpace(c.FormValue("reason"))
	key := c.FormValue("refund_key")
	bad := map[string]string{}
	if _, err := uuid.Parse(key); err != nil {
		bad["amount"] = v.T("admin.error.csrf")
	}
	d, err := a.d.Orders.Get(c.UserContext(), id)
	if err != nil {
		return a.fail(c, err)
	}
	var amount int64
	if amountText != "" {
		m, err := money.Parse(amountText, d.Totals.Currency)
		switch {
		case err != nil || m.Currency != d.Totals.Currency:
			bad["amount"] = v.T("admin.order.bad_amount")
		case m.Minor == 0:
			bad["amount"] = v.T("admin.order.bad_amount")
		default:
			amount = m.Minor
		}
	}
	if utf8.RuneCountInString(reason) > 500 {
		bad["reason"] = v.T("admin.field.too_long", "max", v.Number(500))
	}
	form := ui.RefundForm{Amount: amountText, Reason: reason}
	if len(bad) > 0 {
		return a.orderPageWith(c, id, ui.MoveForm{}, form, bad)
	}
	_, _, err = a.d.Payments.RefundOnce(c.UserContext(), id, amount, "admin:"+key, actorOf(c), reason)
	switch {
	case err == nil:
	case errs.CodeOf(err) == errs.CodeInvalid:
		for _, fe := range errs.FieldsOf(err) {
			bad["amount"] = a.d.Texts.Message(v.Lang, fe.Msg)
		}
		return a.orderPageWith(c, id, ui.MoveForm{}, form, bad)
	case errs.CodeOf(err) == errs.CodeConflict:
		bad["amount"] = a.d.Texts.Message(v.Lang, messageOf(err))
		return a.orderPageWith(c, id, ui.MoveForm{}, form, bad)
	default:
		return a.fail(c, err)
	}
	return c.Redirect("/admin/orders/"+id.String()+"?done=refunded", fiber.StatusSeeOther)
}

// orderInvoice is GET /admin/orders/{id}/invoice: the printable tax
// invoice with its credit notes; 404 page when the order has none.
func (a *Console) orderInvoice(c *fiber.Ctx) error {
	id, err := orderID(c)
	if err != nil {
		return a.fail(c, err)
	}
	doc, err := a.d.Invoices.Invoice(c.UserContext(), id)
	if err != nil {
		return a.fail(c, err)
	}
	b, err := doc.Page()
	if err != nil {
		return a.fail(c, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentSecurityPolicy, invoices.PageCSP)
	c.Set("X-Frame-Options", "DENY")
	return c.Send(b)
}

// refundable is what is left to refund of the order's captured payments.
func refundable(ps []orders.Payment) int64 {
	var left int64
	for _, p := range ps {
		left += p.Captured - p.Refunded
	}
	return max(left, 0)
}

// messageOf is err's message for people (a generic one when it has none).
func messageOf(err error) errs.Message {
	var e *errs.Error
	if errors.As(err, &e) && e.Msg.ID != "" {
		return e.Msg
	}
	return errs.M("admin.error.body")
}
