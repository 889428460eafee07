package ui

import (
	"net/url"

	"concierge/internal/jobs"
	"concierge/modules/audit"
	"concierge/modules/whatsapp"
	"concierge/tenants"
)

// TenantDetail is a tenant's platform page: its domains (add, remove) and
// its WhatsApp numbers.
type TenantDetail struct {
	Tenant   *tenants.Tenant
	Domains  []tenants.Domain
	Numbers  []tenants.Number
	Form     DomainForm
	Errors   map[string]string
	CanWrite bool
}

// DomainForm is the add-domain form as typed.
type DomainForm struct {
	Host    string
	Primary bool
}

// NumberRow is a WhatsApp number with its tenant and health.
type NumberRow struct {
	Number tenants.Number
	Tenant *tenants.Tenant
	Health whatsapp.NumberHealth
	// Errors are the number's replace form's errors by field.
	Errors map[string]string
}

// NumbersList is the platform's WhatsApp numbers page.
type NumbersList struct {
	Numbers []NumberRow
	// Tenants are those a number may be added to; Filter the slug the list
	// is narrowed to ("" all).
	Tenants  []tenants.Tenant
	Filter   string
	Form     NumberForm
	Errors   map[string]string
	CanWrite bool
	// Next is the next page's address ("" on the last).
	Next string
}

// NumberForm is the add-number form as typed (secrets never: they are not
// shown back).
type NumberForm struct {
	Tenant, PhoneNumberID, DisplayPhone, WABAID string
}

// JobsList is the platform's failed jobs page.
type JobsList struct {
	Jobs []jobs.Discarded
	// Counts are the jobs by state across queues.
	Counts   []jobs.StateCount
	Next     string
	CanWrite bool
}

// UnroutedList is the platform's unrouted webhooks page.
type UnroutedList struct {
	Items []whatsapp.Unrouted
	Next  string
}

// AuditFilter is the audit viewer's filter, as typed.
type AuditFilter struct {
	Tenant, Actor, Action, From, To string
}

// Query is the filter as a query string (pages, verification).
func (f AuditFilter) Query() url.Values {
	q := url.Values{}
	for _, kv := range [][2]string{{"tenant", f.Tenant}, {"actor", f.Actor}, {"action", f.Action}, {"from", f.From}, {"to", f.To}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	return q
}

// AuditList is the platform's audit viewer.
type AuditList struct {
	Entries []audit.Entry
	// Slugs name the tenants of the entries by id.
	Slugs  map[string]string
	Filter AuditFilter
	Errors map[string]string
	Next   string
	// Verified is the chain verification, when asked for (nil: not run).
	Verified *audit.Verification
}
