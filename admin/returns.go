package admin

import (
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/admin/ui"
	"concierge/internal/errs"
	"concierge/internal/money"
	"concierge/modules/returns"
)

// mountContent serves the returns queue, the templates and quick replies
// and the customers (returns.go, templates.go, customers.go); tenant is
// Mount's chain for a tenant page needing obj:act.
func (a *Console) mountContent(app fiber.Router, tenant func(obj, act string) []fiber.Handler) {
	app.Get("/admin/returns", append(tenant("returns", "read"), a.returnsList)...)
	app.Get("/admin/returns/:id", append(tenant("returns", "read"), a.returnDetail)...)
	app.Get("/admin/returns/:id/media/:media_id", append(tenant("returns", "read"), a.returnMedia)...)
	app.Post("/admin/returns/:id/decision", append(tenant("returns", "write"), a.guard, a.returnDecide)...)
	app.Post("/admin/returns/:id/received", append(tenant("returns", "write"), a.guard, a.returnReceived)...)

	app.Get("/admin/templates", append(tenant("templates", "read"), a.templatesPage)...)
	app.Post("/admin/templates/sync", append(tenant("templates", "write"), a.guard, a.templatesSync)...)
	app.Get("/admin/templates/quick-replies/new", append(tenant("templates", "write"), a.quickReplyNew)...)
	app.Post("/admin/templates/quick-replies", append(tenant("templates", "write"), a.guard, a.quickReplySave)...)
	app.Post("/admin/templates/quick-replies/preview", append(tenant("templates", "write"), a.guard, a.quickReplyPreview)...)
	app.Get("/admin/templates/quick-replies/:id", append(tenant("templates", "write"), a.quickReplyEdit)...)
	app.Post("/admin/templates/quick-replies/:id", append(tenant("templates", "write"), a.guard, a.quickReplySave)...)
	app.Post("/admin/templates/quick-replies/:id/delete", append(tenant("templates", "write"), a.guard, a.quickReplyDelete)...)

	// Customers are read with the conversations: the policy has no
	// customers object (whoever reads the chats reads who wrote them).
	app.Get("/admin/customers", append(tenant("conversations", "read"), a.customersList)...)
	app.Get("/admin/customers/:id", append(tenant("conversations", "read"), a.customerDetail)...)
}

// pathID parses the route parameter name as an id; anything else is
// notFound (a record this tenant does not have).
func pathID(c *fiber.Ctx, name string, notFound error) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params(name))
	if err != nil {
		return uuid.Nil, notFound
	}
	return id, nil
}

// returnsList is GET /admin/returns: the queue, newest first, filtered by
// status, 25 a page; a status that is not one is said next to its field.
func (a *Console) returnsList(c *fiber.Ctx) error {
	v := a.view(c, "admin.returns.title")
	l := ui.ReturnsList{Status: c.Query("status"), Statuses: returns.Statuses, Errors: map[string]string{}}
	q := returns.Query{Status: l.Status, Cursor: c.Query("cursor"), Limit: 25}
	if l.Status != "" && !slices.Contains(returns.Statuses, l.Status) {
		l.Errors["status"] = v.T("admin.returns.bad_status")
		l.Status, q.Status = "", ""
	}
	page, err := a.d.Returns.List(c.UserContext(), q)
	if errs.CodeOf(err) == errs.CodeInvalid { // a cursor that does not parse: the first page
		q.Cursor = ""
		page, err = a.d.Returns.List(c.UserContext(), q)
	}
	if err != nil {
		return a.fail(c, err)
	}
	l.Items = page.Items
	if page.NextCursor != "" {
		next := url.Values{"cursor": {page.NextCursor}}
		if l.Status != "" {
			next.Set("status", l.Status)
		}
		l.Next = "/admin/returns?" + next.Encode()
	}
	if len(l.Errors) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.ReturnsListPage(v, l))
}

// returnDetail is GET /admin/returns/{id}: the return with its order,
// lines, reason, photos and timeline, and — for staff who may — the
// decision and "received". Another tenant's return is 404.
func (a *Console) returnDetail(c *fiber.Ctx) error {
	id, err := pathID(c, "id", returns.ErrNotFound)
	if err != nil {
		return a.fail(c, err)
	}
	return a.returnPage(c, id, ui.DecisionForm{}, nil)
}

func (a *Console) returnPage(c *fiber.Ctx, id uuid.UUID, form ui.DecisionForm, bad map[string]string) error {
	ctx := c.UserContext()
	d, err := a.d.Returns.Get(ctx, id)
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.returns.page")
	v.Title = v.T("admin.returns.detail_title", "rma", d.RMA())
	switch done := c.Query("done"); done {
	case "approved", "rejected", "received":
		v.Flash = v.T("admin.returns.done." + done)
	}
	p := ui.ReturnPage{Return: d, CanWrite: reqOf(c).access.Can("returns", "write"), Form: form, Errors: bad}
	if o, err := a.d.Orders.Get(ctx, d.OrderID); err == nil {
		p.Order = o
	} else if errs.CodeOf(err) != errs.CodeNotFound {
		return a.fail(c, err)
	}
	if p.Form.RefundAmount == "" && p.Order != nil {
		p.Form.RefundAmount = money.Amount{Minor: min(d.Total(), p.Order.Totals.Total), Currency: d.Currency}.Decimal()
	}
	if len(bad) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.ReturnDetailPage(v, p))
}

// returnMedia is GET /admin/returns/{id}/media/{media_id}: a photo the
// customer sent, as stored (only the image types returns keeps), never
// sniffed, never cached outside the browser's memory.
func (a *Console) returnMedia(c *fiber.Ctx) error {
	id, err := pathID(c, "id", returns.ErrNotFound)
	if err != nil {
		return a.fail(c, err)
	}
	mid, err := pathID(c, "media_id", returns.ErrMediaNotFound)
	if err != nil {
		return a.fail(c, err)
	}
	data, mime, err := a.d.Returns.Media(c.UserContext(), id, mid)
	if err != nil {
		return a.fail(c, err)
	}
	if !slices.Contains(returns.DefaultMediaTypes, mime) {
		mime = fiber.MIMEOctetStream
	}
	c.Set(fiber.HeaderContentType, mime)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; sandbox")
	c.Set(fiber.HeaderContentDisposition, "inline")
	return c.Send(data)
}

// returnDecide is POST /admin/returns/{id}/decision: approve (with the
// refund amount typed as a decimal in the return's currency, at most what
// the order has left to refund) or reject (a note for the customer);
// field errors come back next to their fields with what was typed.
func (a *Console) returnDecide(c *fiber.Ctx) error {
	id, err := pathID(c, "id", returns.ErrNotFound)
	if err != nil {
		return a.fail(c, err)
	}
	form := ui.DecisionForm{Decision: c.FormValue("decision"), RefundAmount: strings.TrimSpace(c.FormValue("refund_amount")),
		Note: strings.TrimSpace(c.FormValue("note"))}
	v := a.view(c, "admin.returns.page")
	d, err := a.d.Returns.Get(c.UserContext(), id)
	if err != nil {
		return a.fail(c, err)
	}
	bad := map[string]string{}
	dec := returns.Decision{Approve: form.Decision == "approve", Note: form.Note}
	if form.Decision != "approve" && form.Decision != "reject" {
		bad["decision"] = v.T("admin.returns.bad_decision")
	}
	if utf8.RuneCountInString(form.Note) > returns.MaxNote {
		bad["note"] = v.T("admin.field.too_long", "max", v.Number(returns.MaxNote))
	}
	if dec.Approve {
		switch amt, err := money.Parse(form.RefundAmount, d.Currency); {
		case form.RefundAmount == "":
			bad["refund_amount"] = v.T("admin.field.required")
		case err != nil || utf8.RuneCountInString(form.RefundAmount) > 32:
			bad["refund_amount"] = v.T("admin.returns.bad_amount", "currency", d.Currency)
		case amt.Currency != d.Currency:
			bad["refund_amount"] = v.T("admin.returns.bad_currency", "currency", d.Currency)
		default:
			dec.RefundAmount = &amt.Minor
		}
	}
	if len(bad) > 0 {
		return a.returnPage(c, id, form, bad)
	}
	if _, err := a.d.Returns.Decide(c.UserContext(), id, dec); err != nil {
		switch errs.CodeOf(err) {
		case errs.CodeInvalid:
			for _, fe := range errs.FieldsOf(err) {
				bad[fe.Field] = a.decisionError(v, fe, d.Currency)
			}
			if len(bad) == 0 {
				bad["decision"] = v.T("admin.returns.bad_decision")
			}
			return a.returnPage(c, id, form, bad)
		case errs.CodeConflict:
			return a.returnPage(c, id, form, map[string]string{"decision": v.T("admin.returns.decided")})
		}
		return a.fail(c, err)
	}
	done := "rejected"
	if dec.Approve {
		done = "approved"
	}
	return c.Redirect("/admin/returns/"+id.String()+"?done="+done, fiber.StatusSeeOther)
}

// decisionError is a service's field error in the page's words.
func (a *Console) decisionError(v *ui.View, fe errs.FieldError, currency string) string {
	switch {
	case fe.Field == "refund_amount" && fe.Code == "max":
		if m, ok := fe.Msg.Data["max"].(int64); ok {
			return v.T("admin.returns.refund_max", "max", v.Money(money.Amount{Minor: m, Currency: currency}))
		}
	case fe.Field == "note" && fe.Code == "required":
		return v.T("admin.returns.note_required")
	}
	return a.d.Texts.Message(v.Lang, fe.Msg)
}

// returnReceived is POST /admin/returns/{id}/received: the parcel arrived
// (its items go back into stock). A return not approved is a conflict.
func (a *Console) returnReceived(c *fiber.Ctx) error {
	id, err := pathID(c, "id", returns.ErrNotFound)
	if err != nil {
		return a.fail(c, err)
	}
	if _, err := a.d.Returns.MarkReceived(c.UserContext(), id); err != nil {
		return a.fail(c, err)
	}
	return c.Redirect("/admin/returns/"+id.String()+"?done=received", fiber.StatusSeeOther)
}
