package ui

import (
	"strconv"
	"time"

	"concierge/modules/identity"
)

// SettingsPage is the store's settings: one form per section, each saved
// on its own. Values are strings as shown (or as typed, when a section
// comes back with errors); Errors are by input name.
type SettingsPage struct {
	// CanWrite: the user may change settings (else every section is shown
	// read-only, without forms).
	CanWrite bool
	// ShowPayments and CanPay: the user may read / change the payment
	// providers (owners).
	ShowPayments, CanPay bool
	Currency             string
	Store                StoreForm
	Invoicing            InvoicingForm
	Pricing              PricingForm
	Zones                []ZoneForm
	SLA                  SLAForm
	Returns              ReturnsForm
	Providers            []ProviderForm
	Errors               map[string]string
}

// StoreForm is the storefront's profile and theme.
type StoreForm struct {
	NameAR, NameEN, LogoURL, PrimaryColor string
}

// InvoicingForm is the tax invoice's seller.
type InvoicingForm struct {
	VATNumber, SellerNameAR, SellerNameEN string
}

// PricingForm is VAT and delivery pricing (amounts in major units).
type PricingForm struct {
	VATRate          string // percent
	PricesIncludeVAT bool
	DefaultFee       string // "" delivers only to the zones
	FreeShipping     string // "" or 0: never free
}

// ZoneForm is a shipping zone's row.
type ZoneForm struct {
	NameAR, NameEN, Aliases, Fee string
}

// ZoneField is the input name of a zone's field (as the pricing service
// names its field errors: zones[2].fee).
func ZoneField(i int, name string) string { return "zones[" + strconv.Itoa(i) + "]." + name }

// SLAForm is the service-level targets.
type SLAForm struct {
	HandoffMinutes, ReturnMinutes, DispatchMinutes string
}

// ReturnsForm is the return window.
type ReturnsForm struct {
	WindowDays string
}

// ProviderForm is a payment provider's settings: its non-secret values as
// shown and, for each secret, only whether it is set.
type ProviderForm struct {
	Name    string
	Enabled bool
	Fields  []ProviderField
}

// ProviderField is one field of a provider's form.
type ProviderField struct {
	Name  string // the provider's field name
	Kind  string // secret, string, int, money, duration, bool
	Value string // "" for secrets
	Set   bool   // a secret is stored
}

// Input is the field's input name (the service's error path).
func (f ProviderField) Input(provider string) string { return provider + "." + f.Name }

// BotTextsPage is the bot texts list.
type BotTextsPage struct {
	Query string
	Items []BotTextRow
	// Prev and Next are the other pages' URLs ("" none).
	Prev, Next string
	Total      int
}

// BotTextRow is a bot text in the list.
type BotTextRow struct {
	Key        string
	Text       string // the wording in force in the page's language
	Customised bool
}

// BotTextPage is one bot text's editor.
type BotTextPage struct {
	Key          string
	DefaultAR    string
	DefaultEN    *string
	Placeholders []string
	Customised   bool
	CanWrite     bool
	// AR and EN are the texts in the form (the override, else the default,
	// or what was typed).
	AR, EN string
	Errors map[string]string
	// PreviewAR and PreviewEN are a preview's result ("" none).
	PreviewAR, PreviewEN string
}

// StaffPage is the staff: members, pending invitations, the invite form.
type StaffPage struct {
	Members  []identity.Member
	Invites  []identity.Invite
	Roles    []string
	Me       string // the user's id: no removing oneself
	CanWrite bool
	Form     InviteForm
	Errors   map[string]string
	// Link is an invitation just made: shown this once.
	Link string
}

// InviteForm is the invite form as typed.
type InviteForm struct {
	Email, Role string
}

// InvitePage is the invitee's page (no session).
type InvitePage struct {
	Store, Email, Role string
	Expires            time.Time
	// Existing: the email has an account (confirm its password).
	Existing bool
	Token    string // the form's CSRF token
	Errors   map[string]string
	Error    string
}
