package ui

import (
	"net/url"

	"concierge/internal/i18n"
	"concierge/internal/money"
	"concierge/modules/orders"
	"concierge/tenants"
)

// TenantsList is the platform's tenants page.
type TenantsList struct {
	Tenants  []tenants.Tenant
	Form     TenantForm
	Errors   map[string]string
	CanWrite bool
}

// TenantForm is the onboarding form as typed.
type TenantForm struct {
	Slug, NameAR, NameEN string
}

// LoginForm is the sign-in page.
type LoginForm struct {
	Email  string
	Next   string // where to go after signing in (an /admin path)
	Token  string // the sign-in form's CSRF token
	Error  string // the failure, in the page's language
	Notice string // e.g. "signed out", "timed out"
}

// ErrorPage is a page for a failed request.
type ErrorPage struct {
	Status      int
	Title, Body string
}

// Home is the merchant's first page.
type Home struct {
	TodayOrders  int64
	TodayRevenue []money.Amount
	Waiting      int
	Active       int
	Breaches     int
	// ShowFunnel: the user may read analytics.
	ShowFunnel bool
	Funnels    []FunnelRow
}

// FunnelRow is the funnel of the last Days days.
type FunnelRow struct {
	Days                                                    int
	Conversations, Views, CartAdds, Checkouts, Orders, Paid int64
	Revenue, AOV                                            money.Amount
}

// OrderFilter is the orders list's filter, as typed.
type OrderFilter struct {
	Status, Payment, From, To, Phone string
}

// Query is the filter as a query string (for the next page's link).
func (f OrderFilter) Query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "payment": f.Payment, "from": f.From, "to": f.To, "phone": f.Phone} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// OrdersList is the orders page.
type OrdersList struct {
	Orders   []orders.Order
	Filter   OrderFilter
	Errors   map[string]string // by field: what is wrong with the filter
	Statuses []string
	Methods  []string
	// Next is the next page's URL ("" on the last page).
	Next string
	// CanWrite: the user may move orders.
	CanWrite bool
}

// OrderPage is an order's detail.
type OrderPage struct {
	Order    *orders.Detail
	Moves    []string // statuses the user may move it to
	CanWrite bool
	Errors   map[string]string // the forms' errors by field
	Form     MoveForm          // the move form as typed
	// COD: cash on delivery still to collect (collected / refused at the
	// door can be recorded).
	COD bool
	// Refundable is what is left to refund (minor units); Refund the
	// refund form as typed.
	Refundable int64
	Refund     RefundForm
	// Invoiced: the order was confirmed (it may have a tax invoice).
	Invoiced bool
}

// RefundForm is a refund as typed; Key makes the form's refund happen once.
type RefundForm struct {
	Amount, Reason, Key string
}

// MoveForm is an order move as typed.
type MoveForm struct {
	To, TrackingNumber, TrackingURL, Carrier, Note string
}

// LineTitle is an order line's title in lang.
func LineTitle(lang string, l orders.Line) string {
	t := i18n.Pick(lang, l.TitleAR, l.TitleEN)
	if o := i18n.Pick(lang, l.OptionsAR, l.OptionsEN); o != "" {
		t += " — " + o
	}
	return t
}
