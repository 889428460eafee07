package ui

import (
	"concierge/internal/i18n"
	"concierge/modules/cms"
	"concierge/modules/orders"
	"concierge/modules/returns"
	"concierge/modules/whatsapp"
)

// ReturnsList is the returns queue.
type ReturnsList struct {
	Items    []returns.Return
	Status   string // the filter ("" all)
	Statuses []string
	Errors   map[string]string // the filter's, by field
	// Next is the next page's URL ("" on the last page).
	Next string
}

// ReturnPage is a return's detail.
type ReturnPage struct {
	Return *returns.Detail
	// Order is the return's order (nil if it cannot be read).
	Order    *orders.Detail
	CanWrite bool
	Form     DecisionForm      // the decision as typed
	Errors   map[string]string // the decision's errors by field
}

// CanDecide reports whether the return waits for a decision, or an
// approval whose refund failed may be made again (a retry).
func (p ReturnPage) CanDecide() bool {
	r := p.Return
	return p.CanWrite && (r.Status == returns.StatusRequested || r.Status == returns.StatusApproved && r.RefundStatus == returns.RefundFailed)
}

// CanReceive reports whether the parcel can be marked received.
func (p ReturnPage) CanReceive() bool {
	s := p.Return.Status
	return p.CanWrite && (s == returns.StatusApproved || s == returns.StatusRefunded)
}

// DecisionForm is a return decision as typed.
type DecisionForm struct {
	Decision, RefundAmount, Note string
}

// ReturnLineTitle is a returned line's title in lang.
func ReturnLineTitle(lang string, l returns.Line) string {
	return i18n.Pick(lang, l.TitleAR, l.TitleEN)
}

// TemplatesPage is the templates and quick replies page.
type TemplatesPage struct {
	Templates []cms.Template
	Replies   []cms.QuickReply
	Query     string
	Errors    map[string]string
	// CanWrite: the user may sync templates and edit quick replies.
	CanWrite bool
}

// QuickReplyEditor is the quick reply editor with its live preview.
type QuickReplyEditor struct {
	ID      string // "" for a new one
	Form    QuickReplyForm
	Errors  map[string]string // by field
	Preview *cms.QuickReplyPreview
	// Vars are the variables a body may name.
	Vars []string
}

// QuickReplyForm is a quick reply as typed.
type QuickReplyForm struct {
	Shortcut, Title, BodyAR, BodyEN string
}

// Action is the form's target: create, or update the reply being edited.
func (e QuickReplyEditor) Action() string {
	if e.ID == "" {
		return "/admin/templates/quick-replies"
	}
	return "/admin/templates/quick-replies/" + e.ID
}

// CustomersList is the customers page.
type CustomersList struct {
	Items  []whatsapp.Customer
	Query  string
	Errors map[string]string
	Next   string
}

// CustomerPage is a customer's detail.
type CustomerPage struct {
	Customer *whatsapp.CustomerDetail
	Orders   []orders.ContactOrder
	// ShowOrders: the user may read orders.
	ShowOrders bool
	// ShowInbox: the user may open conversations in the inbox.
	ShowInbox bool
}

// Phone is a WhatsApp id as an E.164 number.
func Phone(waID string) string { return "+" + waID }

// CustomerName is the customer's profile name, or a placeholder when they
// have none (never given, or erased after consent was refused).
func CustomerName(v *View, c whatsapp.Customer) string {
	if c.ProfileName != "" {
		return c.ProfileName
	}
	return v.T("admin.customers.no_name")
}
