package admin

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"concierge/admin/ui"
	"concierge/internal/errs"
	"concierge/modules/whatsapp"
)

// customersList is GET /admin/customers: the store's WhatsApp customers,
// newest first, 25 a page, searched by name or phone (?q=). Reading
// customers is conversations:read (Mount).
func (a *Console) customersList(c *fiber.Ctx) error {
	v := a.view(c, "admin.customers.title")
	l := ui.CustomersList{Query: strings.TrimSpace(c.Query("q")), Errors: map[string]string{}}
	if utf8.RuneCountInString(l.Query) > whatsapp.MaxCustomerSearch {
		l.Errors["q"] = v.T("admin.field.too_long", "max", v.Number(whatsapp.MaxCustomerSearch))
		l.Query = ""
	}
	q := whatsapp.CustomerQuery{Search: l.Query, Cursor: c.Query("cursor"), Limit: 25}
	page, err := a.d.Customers.Customers(c.UserContext(), q)
	if errs.CodeOf(err) == errs.CodeInvalid { // a cursor that does not parse: the first page
		q.Cursor = ""
		page, err = a.d.Customers.Customers(c.UserContext(), q)
	}
	if err != nil {
		return a.fail(c, err)
	}
	l.Items = page.Items
	if page.NextCursor != "" {
		next := url.Values{"cursor": {page.NextCursor}}
		if l.Query != "" {
			next.Set("q", l.Query)
		}
		l.Next = "/admin/customers?" + next.Encode()
	}
	if len(l.Errors) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.CustomersListPage(v, l))
}

// customerDetail is GET /admin/customers/{id}: the customer, their consent
// ledger, their orders with the payment's state (for those who may read
// orders) and their conversations. Another tenant's customer is 404.
func (a *Console) customerDetail(c *fiber.Ctx) error {
	id, err := pathID(c, "id", whatsapp.ErrCustomerNotFound)
	if err != nil {
		return a.fail(c, err)
	}
	ctx := c.UserContext()
	d, err := a.d.Customers.Customer(ctx, id)
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.customers.page")
	access := reqOf(c).access
	p := ui.CustomerPage{Customer: d, ShowOrders: access.Can("orders", "read"), ShowInbox: access.Can("conversations", "read")}
	v.Title = ui.CustomerName(v, d.Customer)
	if p.ShowOrders {
		if p.Orders, err = a.d.CustomerOrders.ForContact(ctx, id, ui.Phone(d.Customer.WAID), 50); err != nil {
			return a.fail(c, err)
		}
	}
	return a.render(c, ui.CustomerDetailPage(v, p))
}
