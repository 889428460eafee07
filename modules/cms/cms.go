// Package cms is what a store's staff write for their customers, apart
// from the catalog:
//
//   - Quick replies: canned answers for the inbox, by shortcut, in Arabic
//     and English, with variables ({{customer_name}}, {{order_number}}, …)
//     filled when an agent uses one (Render).
//   - The WhatsApp message-template registry: the tenant's templates as
//     Meta has them, mirrored by the cms.sync_templates job (every
//     CMS_TEMPLATE_SYNC_EVERY for every active tenant, on demand through
//     POST /api/v1/templates/sync, and at onboarding through EnqueueSyncTx).
//     A notification outside the 24-hour window may use only a template
//     approved here (ApprovedTx).
//   - Bot text overrides: every bot text of the message catalog ("bot.<key>")
//     next to the tenant's own wording (the bot_texts table the WhatsApp
//     channel reads on every turn), with checks on placeholders and a
//     preview with sample values.
//
// docs/cms.md.
package cms

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/i18n"
	"concierge/internal/jobs"
	"concierge/tenants"
)

// QuickReply is a canned answer staff insert in a conversation.
type QuickReply struct {
	ID uuid.UUID
	// Shortcut is what an agent types after "/": 1 to 32 of a-z, 0-9, _
	// and -, unique in the store.
	Shortcut string
	Title    string
	// BodyAR and BodyEN may name the variables of QuickReplyVars as
	// {{name}}.
	BodyAR    string
	BodyEN    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// QuickReplyInput creates or replaces a quick reply.
type QuickReplyInput struct {
	Shortcut string
	Title    string
	BodyAR   string
	BodyEN   string
}

// QuickReplyVars are the variables a quick reply's body may name, written
// {{customer_name}}: the customer's name, the order's number, total and
// status, its tracking number and link, a payment link, the store's name
// (filled from the tenant when not given) and the agent's name.
var QuickReplyVars = []string{
	"customer_name", "order_number", "order_total", "order_status",
	"tracking_number", "tracking_url", "payment_url", "store_name", "agent_name",
}

// Template statuses (the registry's, from Meta's APPROVED, PENDING, …).
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusRejected = "rejected"
	StatusPaused   = "paused"
	StatusDisabled = "disabled"
)

// Template categories.
const (
	CategoryUtility        = "utility"
	CategoryMarketing      = "marketing"
	CategoryAuthentication = "authentication"
)

// Template is one WhatsApp message template of the tenant in one language,
// as Meta last reported it.
type Template struct {
	ID       uuid.UUID
	Name     string
	Language string // Meta's code: ar, en, en_US, …
	Category string
	Status   string
	// Components are Meta's components array (HEADER, BODY, FOOTER,
	// BUTTONS) as Meta sent it.
	Components     json.RawMessage
	MetaID         string
	RejectedReason string
	// SyncedAt is when a sync last saw it at Meta (nil: never).
	SyncedAt  *time.Time
	UpdatedAt time.Time
}

// Body is the text of the template's BODY component ("" when it has none).
func (t Template) Body() string {
	var cs []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(t.Components, &cs) != nil {
		return ""
	}
	for _, c := range cs {
		if c.Type == "BODY" || c.Type == "body" {
			return c.Text
		}
	}
	return ""
}

// TemplateQuery filters List: Status ("" for all) and Name (a prefix, ""
// for all).
type TemplateQuery struct {
	Status string
	Name   string
}

// SyncResult is what one sync of the registry did.
type SyncResult struct {
	// Accounts are the WhatsApp Business Accounts read.
	Accounts int
	// Seen are the templates Meta listed; Created and Changed those the
	// registry did not have or had otherwise; Disabled those it had and
	// Meta no longer lists.
	Seen, Created, Changed, Disabled int
	// Skipped are templates Meta listed that the registry cannot hold (a
	// name or language outside the rules), logged.
	Skipped int
}

// BotText is one bot text: the catalog's defaults and the tenant's
// overrides. A plural text (a count: "cart.items") is listed once per
// plural form, "cart.items.few"; Arabic has six forms, English two (one,
// other), so an English form that English never uses has no default
// (nil) and takes no override.
type BotText struct {
	Key        string
	DefaultAR  string
	DefaultEN  *string
	OverrideAR *string
	OverrideEN *string
	// Placeholders are the {names} the defaults use: an override may use
	// these and no others.
	Placeholders []string
	// UpdatedAt is the latest change of an override (nil: none).
	UpdatedAt *time.Time
}

// BotTextChange replaces a key's overrides: nil removes that language's.
type BotTextChange struct {
	AR *string
	EN *string
}

// Preview is a bot text in both languages with sample values in its
// placeholders.
type Preview struct {
	AR string
	EN *string
}

// Errors of this package.
var (
	ErrQuickReplyNotFound = errs.New(errs.CodeNotFound, "cms.quick_reply.not_found")
	ErrTemplateNotFound   = errs.New(errs.CodeNotFound, "cms.template.not_found")
	ErrBotTextNotFound    = errs.New(errs.CodeNotFound, "cms.bot_text.not_found")
)

// MaxBody bounds a quick reply's body and a bot text, in characters
// (WhatsApp's limit for a text message).
const MaxBody = 4096

// Tenants is what cms needs of tenants (tenants.Service).
type Tenants interface {
	// Get returns a tenant by id or slug: not_found.
	Get(ctx context.Context, idOrSlug string) (*tenants.Tenant, error)
	// Numbers lists a tenant's WhatsApp numbers without their secrets:
	// not_found for an unknown tenant.
	Numbers(ctx context.Context, idOrSlug string) ([]tenants.Number, error)
	// ResolveNumber returns a number with its access token opened:
	// not_found, forbidden for a suspended tenant or a disabled number.
	ResolveNumber(ctx context.Context, phoneNumberID string) (*tenants.Tenant, *tenants.Number, error)
}

// Auditor records staff actions (audit.Log).
type Auditor interface {
	Record(ctx context.Context, tx bun.IDB, e tenants.AuditEntry) error
}

// Config tunes cms.
type Config struct {
	// GraphBaseURL is Meta's Graph API (https://graph.facebook.com; the
	// sandbox's /sandbox/graph in dev and tests); GraphVersion its version
	// (v23.0). The composition root passes the WhatsApp channel's.
	GraphBaseURL string
	GraphVersion string
	// SyncEvery is how often every active tenant's registry is synced
	// (CMS_TEMPLATE_SYNC_EVERY, 15m).
	SyncEvery time.Duration
}

// Deps are what cms needs.
type Deps struct {
	Scope   *tenants.Scope
	Tenants Tenants
	Jobs    *jobs.Jobs
	Audit   Auditor
	// HTTPClient calls Meta (a client with a 30 s timeout).
	HTTPClient *http.Client
	// Catalog holds the default bot texts (i18n.MustLoad()).
	Catalog *i18n.Catalog
	// Actor names who acts in a staff request, for the audit log
	// ("user:<email>"; system:unknown).
	Actor func(ctx context.Context) string
	Log   *slog.Logger
	Now   func() time.Time
}

// Service is cms.
type Service struct {
	cfg     Config
	scope   *tenants.Scope
	tenants Tenants
	jobs    *jobs.Jobs
	audit   Auditor
	graph   *graph
	catalog *i18n.Catalog
	texts   *defaults
	actor   func(ctx context.Context) string
	log     *slog.Logger
	now     func() time.Time
}

// New builds the service.
func New(cfg Config, d Deps) *Service {
	if cfg.GraphBaseURL == "" {
		cfg.GraphBaseURL = "https://graph.facebook.com"
	}
	if cfg.GraphVersion == "" {
		cfg.GraphVersion = "v23.0"
	}
	if cfg.SyncEvery <= 0 {
		cfg.SyncEvery = 15 * time.Minute
	}
	s := &Service{cfg: cfg, scope: d.Scope, tenants: d.Tenants, jobs: d.Jobs, audit: d.Audit, catalog: d.Catalog,
		actor: d.Actor, log: d.Log, now: d.Now}
	if s.catalog == nil {
		s.catalog = i18n.MustLoad()
	}
	if s.actor == nil {
		s.actor = func(context.Context) string { return "system:unknown" }
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.graph = newGraph(cfg.GraphBaseURL, cfg.GraphVersion, d.HTTPClient)
	s.texts = loadDefaults(s.catalog)
	return s
}

// record appends an audit entry for the tenant of ctx in tx.
func (s *Service) record(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, action, target string, before, after any) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: tenantID, Actor: s.actor(ctx), Action: action,
		Target: target, Before: before, After: after})
}
