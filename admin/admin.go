// Package admin is the dashboard of merchant staff and platform admins:
// server-rendered pages (templ components in admin/ui, htmx, every page
// readable without JavaScript) at /admin on the platform host and on every
// tenant host. It calls the modules' services through the small interfaces
// below and never touches SQL.
//
// Sign-in is the identity service's: a session (session.go) holds the
// user's access and refresh tokens server-side, in Redis, under a random
// id the browser keeps in an HttpOnly, SameSite=Strict cookie. Every route
// is authorised with the API's casbin policy (identity.Access): a role that
// may not open a page gets a 403 page, and the navigation shows only what
// the role may use. The tenant is the host's (a tenant host) or the one
// chosen in the session (the platform host), never a form field's.
package admin

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"concierge/admin/ui"
	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/internal/input"
	"concierge/internal/jobs"
	"concierge/internal/webassets"
	"concierge/modules/analytics"
	"concierge/modules/audit"
	"concierge/modules/catalog"
	"concierge/modules/cms"
	"concierge/modules/identity"
	"concierge/modules/orders"
	"concierge/modules/returns"
	"concierge/modules/sla"
	"concierge/modules/whatsapp"
	"concierge/tenants"
)

//go:embed assets
var assetFS embed.FS

// Identity signs staff in and out and says what they may do
// (identity.Service).
type Identity interface {
	Login(ctx context.Context, in identity.LoginInput) (*identity.Tokens, error)
	Refresh(ctx context.Context, refreshToken, ip, userAgent string) (*identity.Tokens, error)
	Logout(ctx context.Context, refreshToken string) error
	VerifyAccessToken(ctx context.Context, token string) (*identity.Principal, error)
	AccessIn(ctx context.Context, userID uuid.UUID, domain string) (*identity.Access, error)
	Me(ctx context.Context, userID uuid.UUID) (*identity.User, error)
	SetLocale(ctx context.Context, userID uuid.UUID, locale string) error
}

// Stores resolves hosts and reads tenants (tenants.Service).
type Stores interface {
	ResolveHost(ctx context.Context, hostport string) (*tenants.Tenant, error)
	Get(ctx context.Context, idOrSlug string) (*tenants.Tenant, error)
	List(ctx context.Context) ([]tenants.Tenant, error)
	Create(ctx context.Context, actor string, in tenants.CreateInput) (*tenants.Tenant, error)
	Suspend(ctx context.Context, actor, idOrSlug string) (*tenants.Tenant, error)
	Update(ctx context.Context, actor, idOrSlug string, in tenants.UpdateInput) (*tenants.Tenant, error)
}

// Orders is the orders core (orders.Service).
type Orders interface {
	List(ctx context.Context, q orders.ListQuery) (orders.Page, error)
	Get(ctx context.Context, id uuid.UUID) (*orders.Detail, error)
	Transition(ctx context.Context, id uuid.UUID, tr orders.Transition) (*orders.Order, error)
	Stats(ctx context.Context, from, to time.Time) (orders.Stats, error)
}

// Funnels reads the analytics funnel (analytics.Service).
type Funnels interface {
	Funnel(ctx context.Context, from, to time.Time) (analytics.Funnel, error)
}

// Conversations is the hand-off inbox (whatsapp.Service). Every method
// but List answers not_found for a conversation the tenant does not have.
type Conversations interface {
	List(ctx context.Context, handoff string, limit int) ([]whatsapp.ConversationView, error)
	Get(ctx context.Context, id uuid.UUID) (*whatsapp.ConversationView, error)
	Messages(ctx context.Context, id uuid.UUID, limit int) ([]whatsapp.Message, error)
	// Reply and ReplyQuick: invalid (blank, a variable without a value).
	Reply(ctx context.Context, id uuid.UUID, text string) (*whatsapp.Message, error)
	ReplyQuick(ctx context.Context, id uuid.UUID, ref string, vars map[string]string) (*whatsapp.Message, error)
	TakeOver(ctx context.Context, id uuid.UUID) (*whatsapp.ConversationView, error)
	Release(ctx context.Context, id uuid.UUID) (*whatsapp.ConversationView, error)
	Resume(ctx context.Context, id uuid.UUID) (*whatsapp.ConversationView, error)
}

// QuickReplies lists the store's quick replies (cms.Service).
type QuickReplies interface {
	QuickReplies(ctx context.Context, query string) ([]cms.QuickReply, error)
}

// Breaches lists SLA breaches (sla.Service).
type Breaches interface {
	Breaches(ctx context.Context, q sla.BreachQuery) (sla.BreachPage, error)
}

// Returns is the returns queue (returns.Service).
type Returns interface {
	List(ctx context.Context, q returns.Query) (returns.Page, error)
	Get(ctx context.Context, id uuid.UUID) (*returns.Detail, error)
	Media(ctx context.Context, returnID, mediaID uuid.UUID) ([]byte, string, error)
	Decide(ctx context.Context, id uuid.UUID, d returns.Decision) (*returns.Return, error)
	MarkReceived(ctx context.Context, id uuid.UUID) (*returns.Return, error)
}

// Content is the WhatsApp template registry and the quick replies
// (cms.Service).
type Content interface {
	Templates(ctx context.Context, q cms.TemplateQuery) ([]cms.Template, error)
	EnqueueSync(ctx context.Context) error
	QuickReplies(ctx context.Context, query string) ([]cms.QuickReply, error)
	QuickReply(ctx context.Context, ref string) (*cms.QuickReply, error)
	CreateQuickReply(ctx context.Context, in cms.QuickReplyInput) (*cms.QuickReply, error)
	UpdateQuickReply(ctx context.Context, ref string, in cms.QuickReplyInput) (*cms.QuickReply, error)
	DeleteQuickReply(ctx context.Context, ref string) error
	PreviewQuickReply(ctx context.Context, in cms.QuickReplyInput) (cms.QuickReplyPreview, error)
}

// Customers reads the store's WhatsApp customers (whatsapp.Service).
type Customers interface {
	Customers(ctx context.Context, q whatsapp.CustomerQuery) (whatsapp.CustomerPage, error)
	Customer(ctx context.Context, id uuid.UUID) (*whatsapp.CustomerDetail, error)
}

// CustomerOrders reads a customer's orders (orders.Service).
type CustomerOrders interface {
	ForContact(ctx context.Context, customerID uuid.UUID, phone string, limit int) ([]orders.ContactOrder, error)
}

// Onboarding manages the tenants' domains and WhatsApp numbers
// (tenants.Service); secrets are sealed there, never read back.
type Onboarding interface {
	Domains(ctx context.Context, idOrSlug string) ([]tenants.Domain, error)
	AddDomain(ctx context.Context, actor, idOrSlug string, in tenants.DomainInput) (*tenants.Domain, error)
	RemoveDomain(ctx context.Context, actor, idOrSlug string, domainID uuid.UUID) error
	Numbers(ctx context.Context, idOrSlug string) ([]tenants.Number, error)
	AllNumbers(ctx context.Context) ([]tenants.Number, error)
	AddNumber(ctx context.Context, actor, idOrSlug string, in tenants.NumberInput) (*tenants.Number, error)
	UpdateNumber(ctx context.Context, actor, idOrSlug string, numberID uuid.UUID, in tenants.NumberUpdate) (*tenants.Number, error)
}

// DeadJobs is River's dead letter (jobs.Jobs).
type DeadJobs interface {
	ListDiscarded(ctx context.Context, limit int, after int64) ([]jobs.Discarded, error)
	RetryTx(ctx context.Context, tx *sql.Tx, id int64) (jobs.Discarded, error)
	DiscardTx(ctx context.Context, tx *sql.Tx, id int64) (jobs.Discarded, error)
	Stats(ctx context.Context) ([]jobs.StateCount, error)
}

// AuditLog reads and verifies the audit log across tenants and records
// platform actions outside our own tables (audit.Log).
type AuditLog interface {
	Search(ctx context.Context, q audit.Query) (audit.Page, error)
	VerifyAll(ctx context.Context) (audit.Verification, error)
	// RecordPlatform runs act and records e in one platform transaction.
	RecordPlatform(ctx context.Context, e tenants.AuditEntry, act func(ctx context.Context, tx *sql.Tx) (map[string]any, error)) error
}

// Channel reads the WhatsApp numbers' health and the unrouted webhooks
// (whatsapp.Service).
type Channel interface {
	Health(ctx context.Context, since time.Time) (map[uuid.UUID]*whatsapp.NumberHealth, error)
	ListUnrouted(ctx context.Context, limit int, before int64) ([]whatsapp.Unrouted, error)
}

// Catalog is the catalog's staff side (catalog.Service): products,
// variants, pictures, categories, feed sources and runs. Each change is
// audited by the catalog with the actor of ctx.
type Catalog interface {
	StaffList(ctx context.Context, q catalog.Query) (catalog.Page, error)
	StaffProduct(ctx context.Context, ref string) (*catalog.Product, error)
	CreateProduct(ctx context.Context, in catalog.ProductInput) (*catalog.Product, error)
	UpdateProduct(ctx context.Context, ref string, in catalog.ProductPatch) (*catalog.Product, error)
	ArchiveProduct(ctx context.Context, ref string) (*catalog.Product, error)
	AddVariant(ctx context.Context, productRef string, in catalog.VariantInput) (*catalog.Variant, error)
	UpdateVariant(ctx context.Context, productRef, variantRef string, in catalog.VariantPatch) (*catalog.Variant, error)
	ArchiveVariant(ctx context.Context, productRef, variantRef string) error
	UploadImage(ctx context.Context, productRef string, in catalog.ImageUpload) (*catalog.Media, error)
	DeleteMedia(ctx context.Context, productRef string, mediaID uuid.UUID) error
	Categories(ctx context.Context) ([]catalog.Category, error)
	CreateCategory(ctx context.Context, in catalog.CategoryInput) (*catalog.Category, error)
	UpdateCategory(ctx context.Context, ref string, in catalog.CategoryInput) (*catalog.Category, error)
	DeleteCategory(ctx context.Context, ref string) error
	Sources(ctx context.Context) ([]catalog.Source, error)
	CreateSource(ctx context.Context, in catalog.SourceInput) (*catalog.Source, error)
	DeleteSource(ctx context.Context, id uuid.UUID) error
	StartRun(ctx context.Context, req catalog.RunRequest) (*catalog.Run, error)
	Runs(ctx context.Context, source *uuid.UUID, limit int) ([]catalog.Run, error)
	Run(ctx context.Context, id uuid.UUID) (*catalog.Run, error)
}

// Sealer encrypts the refresh token kept in a session (secrets.Keyring).
type Sealer interface {
	Seal(plaintext, context string) (string, error)
	Open(sealed, context string) (string, error)
}

// Config holds the dashboard's settings.
type Config struct {
	// IdleTimeout ends a session unused for that long (ADMIN_IDLE_TIMEOUT,
	// default 30 minutes).
	IdleTimeout time.Duration
	// Secure marks the session cookie Secure (production: https only).
	Secure bool
	// RedisPrefix prefixes the session keys.
	RedisPrefix string
	// PaymentMethods are the providers' names, for the orders filter.
	PaymentMethods []string
	// ReengageTemplate is the approved template a reply outside the
	// 24-hour window goes out in ("" none: outside it, no reply).
	ReengageTemplate string
}

// Deps are the dashboard's collaborators.
type Deps struct {
	Identity      Identity
	Stores        Stores
	Orders        Orders
	Funnels       Funnels
	Conversations Conversations
	// Contexts is what the inbox shows beside a conversation (nil: nothing).
	Contexts     whatsapp.CustomerContexts
	QuickReplies QuickReplies
	Payments     Payments
	Invoices     Invoices
	Breaches     Breaches
	Catalog      Catalog
	Onboarding   Onboarding
	DeadJobs     DeadJobs
	AuditLog     AuditLog
	Channel      Channel
	Redis        redis.UniversalClient
	Keys         Sealer
	Texts        *i18n.Catalog
	Log          *slog.Logger
	// ClientIP names the client of a request (the gateway's, proxy-aware).
	ClientIP func(c *fiber.Ctx) string
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	// The returns queue, templates and quick replies, customers.
	Returns        Returns
	Content        Content
	Customers      Customers
	CustomerOrders CustomerOrders
	// Settings and Staff serve the settings and staff pages (settings.go,
	// staff.go).
	Settings Settings
	Staff    Staff
}

// Console is the admin dashboard.
type Console struct {
	cfg    Config
	d      Deps
	assets *webassets.Set
	zones  sync.Map // time zone name → *time.Location
	live   *hub     // the inbox's events
}

// New builds the dashboard.
func New(cfg Config, d Deps) *Console {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Texts == nil {
		d.Texts = i18n.MustLoad()
	}
	if d.ClientIP == nil {
		d.ClientIP = func(c *fiber.Ctx) string { return c.IP() }
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Console{cfg: cfg, d: d, assets: webassets.Load(assetFS, "assets", "/admin/assets"), live: newHub(d.Redis, cfg.RedisPrefix)}
}

// SetClock replaces the clock (tests move it past the idle timeout).
func (a *Console) SetClock(now func() time.Time) { a.d.Now = now }

// page is one signed-in page of the navigation: its path, its text id and
// the permission it needs; the navigation lists those the user holds.
type page struct {
	path     string
	label    string
	obj, act string
	platform bool // in the platform domain
}

// pages are the dashboard's pages in navigation order.
var pages = []page{
	{path: "/admin", label: "admin.nav.home", obj: "store", act: "read"},
	{path: "/admin/inbox", label: "admin.nav.inbox", obj: "conversations", act: "read"},
	{path: "/admin/products", label: "admin.nav.products", obj: "catalog", act: "read"},
	{path: "/admin/orders", label: "admin.nav.orders", obj: "orders", act: "read"},
	{path: "/admin/returns", label: "admin.nav.returns", obj: "returns", act: "read"},
	{path: "/admin/templates", label: "admin.nav.templates", obj: "templates", act: "read"},
	// Customers are read with the conversations (the policy has no
	// customers object: whoever reads the chats reads who wrote them).
	{path: "/admin/customers", label: "admin.nav.customers", obj: "conversations", act: "read"},
	{path: "/admin/settings", label: "admin.nav.settings", obj: "settings", act: "read"},
	{path: "/admin/staff", label: "admin.nav.staff", obj: "staff", act: "read"},
	{path: "/admin/platform/tenants", label: "admin.nav.platform_tenants", obj: "platform", act: "read", platform: true},
	{path: "/admin/platform/numbers", label: "admin.platform.nav.numbers", obj: "platform", act: "read", platform: true},
	{path: "/admin/platform/jobs", label: "admin.platform.nav.jobs", obj: "jobs", act: "read", platform: true},
	{path: "/admin/platform/unrouted", label: "admin.platform.nav.unrouted", obj: "platform", act: "read", platform: true},
	{path: "/admin/platform/audit", label: "admin.platform.nav.audit", obj: "audit", act: "read", platform: true},
}

// Mount serves the dashboard under /admin on app's root; uploads is the
// root without the standard body limit (the picture upload sets its own).
func (a *Console) Mount(app, uploads fiber.Router) {
	app.Get("/admin/assets/:file", a.assets.Serve)
	app.Get("/admin/login", a.loginPage)
	app.Post("/admin/login", a.guardLogin, a.login)
	app.Get("/admin/logout", a.signedIn, a.logoutPage)
	app.Post("/admin/logout", a.signedIn, a.guard, a.logout)
	app.Post("/admin/lang", a.signedIn, a.guard, a.setLang)
	app.Get("/admin/invite/:token", a.invitePage)
	app.Post("/admin/invite/:token", a.guardLogin, a.acceptInvite)

	tenant := func(obj, act string) []fiber.Handler {
		return []fiber.Handler{a.signedIn, a.inTenant, a.require(obj, act, false)}
	}
	app.Get("/admin", append(tenant("store", "read"), a.home)...)
	app.Get("/admin/inbox", append(tenant("conversations", "read"), a.inbox)...)
	app.Get("/admin/inbox/events", append(tenant("conversations", "read"), a.inboxEvents)...)
	app.Get("/admin/inbox/queues", append(tenant("conversations", "read"), a.inboxQueues)...)
	app.Get("/admin/inbox/:id", append(tenant("conversations", "read"), a.inboxConversation)...)
	app.Get("/admin/inbox/:id/thread", append(tenant("conversations", "read"), a.inboxThread)...)
	app.Get("/admin/inbox/:id/context", append(tenant("conversations", "read"), a.inboxContext)...)
	app.Post("/admin/inbox/:id/reply", append(tenant("conversations", "write"), a.guard, a.inboxReply)...)
	for _, act := range []string{"take", "release", "resume"} {
		app.Post("/admin/inbox/:id/"+act, append(tenant("conversations", "write"), a.guard, a.inboxHandoff(act))...)
	}
	app.Get("/admin/orders", append(tenant("orders", "read"), a.ordersList)...)
	app.Get("/admin/orders/:id", append(tenant("orders", "read"), a.orderDetail)...)
	app.Post("/admin/orders/:id/transitions", append(tenant("orders", "write"), a.guard, a.orderMove)...)
	app.Post("/admin/orders/:id/cod-collected", append(tenant("orders", "write"), a.guard, a.orderCOD(true))...)
	app.Post("/admin/orders/:id/cod-refused", append(tenant("orders", "write"), a.guard, a.orderCOD(false))...)
	app.Post("/admin/orders/:id/refunds", append(tenant("orders", "write"), a.guard, a.orderRefund)...)
	app.Get("/admin/orders/:id/invoice", append(tenant("orders", "read"), a.orderInvoice)...)
	a.mountContent(app, tenant)
	app.Get("/admin/settings", append(tenant("settings", "read"), a.settingsPage)...)
	app.Post("/admin/settings/store", append(tenant("settings", "write"), a.guard, a.saveStore)...)
	app.Post("/admin/settings/invoicing", append(tenant("settings", "write"), a.guard, a.saveInvoicing)...)
	app.Post("/admin/settings/pricing", append(tenant("settings", "write"), a.guard, a.savePricing)...)
	app.Post("/admin/settings/zones", append(tenant("settings", "write"), a.guard, a.saveZones)...)
	app.Post("/admin/settings/sla", append(tenant("settings", "write"), a.guard, a.saveSLA)...)
	app.Post("/admin/settings/returns", append(tenant("settings", "write"), a.guard, a.saveReturns)...)
	app.Post("/admin/settings/payments/:provider", append(tenant("payments", "write"), a.guard, a.savePayments)...)
	app.Get("/admin/settings/bot-texts", append(tenant("settings", "read"), a.botTexts)...)
	app.Get("/admin/settings/bot-texts/:key", append(tenant("settings", "read"), a.botText)...)
	app.Post("/admin/settings/bot-texts/:key", append(tenant("settings", "write"), a.guard, a.botTextSave)...)
	app.Post("/admin/settings/bot-texts/:key/preview", append(tenant("settings", "write"), a.guard, a.botTextPreview)...)
	app.Post("/admin/settings/bot-texts/:key/reset", append(tenant("settings", "write"), a.guard, a.botTextReset)...)
	app.Get("/admin/staff", append(tenant("staff", "read"), a.staffPage)...)
	app.Post("/admin/staff/invites", append(tenant("staff", "write"), a.guard, a.staffInvite)...)
	app.Post("/admin/staff/invites/:id/revoke", append(tenant("staff", "write"), a.guard, a.staffRevoke)...)
	app.Post("/admin/staff/:user/role", append(tenant("staff", "write"), a.guard, a.staffRole)...)
	app.Post("/admin/staff/:user/remove", append(tenant("staff", "write"), a.guard, a.staffRemove)...)
	a.mountCatalog(app, uploads, tenant)

	platform := func(obj, act string) []fiber.Handler {
		return []fiber.Handler{a.signedIn, a.require(obj, act, true)}
	}
	app.Get("/admin/platform/tenants", append(platform("platform", "read"), a.platformTenants)...)
	app.Post("/admin/platform/tenants", append(platform("platform", "write"), a.guard, a.platformCreateTenant)...)
	app.Post("/admin/platform/tenants/:slug/suspend", append(platform("platform", "write"), a.guard, a.platformTenantStatus(true))...)
	app.Post("/admin/platform/tenants/:slug/activate", append(platform("platform", "write"), a.guard, a.platformTenantStatus(false))...)
	app.Get("/admin/platform/tenants/:slug", append(platform("platform", "read"), a.platformTenant)...)
	app.Post("/admin/platform/tenants/:slug/domains", append(platform("platform", "write"), a.guard, a.platformAddDomain)...)
	app.Post("/admin/platform/tenants/:slug/domains/:id/remove", append(platform("platform", "write"), a.guard, a.platformRemoveDomain)...)
	app.Get("/admin/platform/numbers", append(platform("platform", "read"), a.platformNumbers)...)
	app.Post("/admin/platform/numbers", append(platform("platform", "write"), a.guard, a.platformAddNumber)...)
	app.Post("/admin/platform/numbers/:id", append(platform("platform", "write"), a.guard, a.platformUpdateNumber)...)
	app.Get("/admin/platform/jobs", append(platform("jobs", "read"), a.platformJobs)...)
	app.Post("/admin/platform/jobs/:id/retry", append(platform("jobs", "write"), a.guard, a.platformJobAction(true))...)
	app.Post("/admin/platform/jobs/:id/discard", append(platform("jobs", "write"), a.guard, a.platformJobAction(false))...)
	app.Get("/admin/platform/unrouted", append(platform("platform", "read"), a.platformUnrouted)...)
	app.Get("/admin/platform/audit", append(platform("audit", "read"), a.platformAudit)...)
	app.Get("/admin/*", a.signedIn, a.notFound)
}

// ---- request state ----

// req is what the middleware learned about a signed-in request.
type req struct {
	sess   *session
	key    string // the session's Redis key
	p      *identity.Principal
	tenant *tenants.Tenant // nil in the platform area
	access *identity.Access
	// platform is the user's access in the platform domain (platform
	// admins only; read once, for the platform area and its navigation).
	platform *identity.Access
}

const reqKey = "admin.req"

func reqOf(c *fiber.Ctx) *req {
	r, _ := c.Locals(reqKey).(*req)
	return r
}

// inTenant sets the request's tenant: the host's, else (the platform
// host) the session's choice; without one it answers 404 — a platform
// admin on the platform host has no merchant area until a tenant host is
// used.
func (a *Console) inTenant(c *fiber.Ctx) error {
	r := reqOf(c)
	ctx := c.UserContext()
	t, err := a.d.Stores.ResolveHost(ctx, string(c.Request().Host()))
	if err != nil {
		if errs.CodeOf(err) != errs.CodeNotFound { // a suspended store's host: forbidden
			return a.fail(c, err)
		}
		t = nil
		if r.sess.Tenant != uuid.Nil {
			if t, err = a.d.Stores.Get(ctx, r.sess.Tenant.String()); err != nil {
				return a.fail(c, err)
			}
		}
	}
	if t == nil {
		if r.p.PlatformAdmin && c.Path() == "/admin" {
			return c.Redirect("/admin/platform/tenants", fiber.StatusSeeOther)
		}
		return a.fail(c, errs.New(errs.CodeNotFound, "admin.no_store"))
	}
	if t.Status != tenants.StatusActive {
		return a.fail(c, errs.New(errs.CodeForbidden, "tenants.suspended"))
	}
	r.tenant = t
	c.SetUserContext(tenants.WithTenant(ctx, t))
	return c.Next()
}

// require allows the request when the user may do act on obj in the
// request's tenant (platform: in the platform domain), else answers the
// 403 page. A user with no role at all in the tenant gets 404: the tenant's
// pages do not exist for them.
func (a *Console) require(obj, act string, platform bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r := reqOf(c)
		domain := identity.PlatformDomain
		if !platform {
			domain = r.tenant.ID.String()
		}
		acc, err := a.d.Identity.AccessIn(c.UserContext(), r.p.UserID, domain)
		if err != nil {
			return a.fail(c, err)
		}
		r.access = acc
		if platform {
			r.platform = acc
		}
		if !acc.Any() && !platform {
			// The tenant's pages do not exist for someone without a role
			// in it.
			return a.fail(c, errs.New(errs.CodeNotFound, "admin.not_found"))
		}
		if !acc.Can(obj, act) {
			return a.fail(c, errs.New(errs.CodeForbidden, "identity.forbidden", "action", act, "object", obj))
		}
		return c.Next()
	}
}

// ---- rendering ----

// langOf is the request's language: the session's, else the query's
// (?lang=en on the sign-in page), else the browser's, else Arabic.
func (a *Console) langOf(c *fiber.Ctx) string {
	if r := reqOf(c); r != nil && r.sess != nil && r.sess.Lang != "" {
		return r.sess.Lang
	}
	if l := c.Query("lang"); l == "ar" || l == "en" {
		return l
	}
	if l := c.FormValue("lang"); l == "ar" || l == "en" {
		return l
	}
	return "ar"
}

// view builds the request's view: language, user, store, navigation.
func (a *Console) view(c *fiber.Ctx, title string) *ui.View {
	v := ui.NewView(a.d.Texts, a.langOf(c))
	v.AssetPath = a.assets.Path
	v.Path = c.Path()
	v.Here = c.OriginalURL()
	v.Title = v.T(title)
	r := reqOf(c)
	if r == nil || r.sess == nil {
		return v
	}
	v.Email, v.CSRF = r.sess.Email, r.sess.CSRF
	if r.tenant != nil {
		v.Store = i18n.Pick(v.Lang, r.tenant.NameAR, r.tenant.NameEN)
		v.Currency = r.tenant.Currency
		v.Location = a.location(r.tenant.Timezone)
	}
	if r.platform == nil && r.p != nil && r.p.PlatformAdmin {
		// The token says platform admin: read the grant itself (the claim
		// alone grants nothing).
		if acc, err := a.d.Identity.AccessIn(c.UserContext(), r.p.UserID, identity.PlatformDomain); err == nil {
			r.platform = acc
		}
	}
	for _, p := range pages {
		acc := r.access
		if p.platform {
			acc = r.platform
		} else if r.tenant == nil {
			acc = nil // no store here: no store pages
		}
		if acc != nil && acc.Can(p.obj, p.act) {
			v.Nav = append(v.Nav, ui.NavItem{Path: p.path, Label: p.label})
		}
	}
	return v
}

// pageCSP lets pages load only their own scripts (htmx) and pictures from
// https (product media), inline styles (the stylesheet is inlined), post
// forms only to this host, and be framed by no one.
const pageCSP = "default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; script-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// location is the time zone name, loaded once per process (UTC when it
// is not one).
func (a *Console) location(name string) *time.Location {
	if loc, ok := a.zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" {
		loc = time.UTC
	}
	a.zones.Store(name, loc)
	return loc
}

// render writes a page (no caching: every page is a signed-in user's).
func (a *Console) render(c *fiber.Ctx, comp interface {
	Render(ctx context.Context, w io.Writer) error
}) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentSecurityPolicy, pageCSP)
	c.Set("X-Frame-Options", "DENY")
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}

// fail answers the error page for err in the user's language: 4xx for what
// the request asked, a logged 500 otherwise.
func (a *Console) fail(c *fiber.Ctx, err error) error {
	v := a.view(c, "admin.error.title")
	status := fiber.StatusInternalServerError
	p := ui.ErrorPage{Title: v.T("admin.error.title"), Body: v.T("admin.error.body")}
	switch errs.CodeOf(err) {
	case errs.CodeNotFound:
		status = fiber.StatusNotFound
		p = ui.ErrorPage{Title: v.T("admin.notfound.title"), Body: v.T("admin.notfound.body")}
	case errs.CodeInvalid:
		status = fiber.StatusUnprocessableEntity
		p.Body = v.T("admin.error.invalid")
	case errs.CodeForbidden:
		status = fiber.StatusForbidden
		p = ui.ErrorPage{Title: v.T("admin.forbidden.title"), Body: v.T("admin.forbidden.body")}
		var e *errs.Error
		switch {
		case errors.Is(err, errCSRF):
			p.Body = v.T("admin.error.csrf")
		case errors.As(err, &e) && e.Msg.ID == "tenants.suspended":
			p.Body = a.d.Texts.Message(v.Lang, e.Msg)
		}
	case errs.CodeRateLimited:
		status = fiber.StatusTooManyRequests
		p.Body = v.T("admin.error.rate_limited")
	case errs.CodeConflict:
		status = fiber.StatusConflict
	case errs.CodeUnauthorized:
		return a.toLogin(c, "")
	default:
		a.d.Log.ErrorContext(c.UserContext(), "admin page failed", "path", c.Route().Path, "error", err)
	}
	p.Status = status
	v.Title = p.Title
	c.Status(status)
	return a.render(c, ui.ErrorView(v, p))
}

func (a *Console) notFound(c *fiber.Ctx) error {
	return a.fail(c, errs.New(errs.CodeNotFound, "admin.not_found"))
}

// ---- forms ----

var errCSRF = errs.New(errs.CodeForbidden, "admin.csrf")

// guard refuses a state-changing request without the session's CSRF token
// (the csrf_token field or the X-CSRF-Token header, as htmx sends it) or
// from another site, and a form that is not text.
func (a *Console) guard(c *fiber.Ctx) error {
	r := reqOf(c)
	tok := c.Get("X-CSRF-Token")
	if tok == "" {
		tok = c.FormValue("csrf_token")
	}
	if httpx.CrossSite(c) || r == nil || r.sess == nil || !equal(tok, r.sess.CSRF) {
		return a.fail(c, errCSRF)
	}
	if err := httpx.FormText(c, input.MultiLine); err != nil {
		return a.fail(c, err)
	}
	return c.Next()
}

// localNext is next when it is a path of the dashboard, else /admin (no
// open redirect).
func localNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/admin") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/admin"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/admin"
	}
	return next
}
