// Package storefront is each merchant's web shop: server-rendered pages
// (templ components in storefront/ui, htmx for smoother navigation, every
// page working without JavaScript) on the tenant's host — its own domain or
// <slug>.<PLATFORM_DOMAIN>. Arabic pages live at /, English ones under /en;
// both are right-to-left or left-to-right from one set of templates.
//
// It calls the modules' services through the small interfaces below and
// never touches SQL. Catalog pages (home, category, product, search) are
// cached per tenant, catalog version, language and URL: a write to the
// catalog changes the version, so a price change shows on the next request.
// Every response carries an ETag; fingerprinted assets are immutable.
//
// Forms are protected against cross-site requests twice: a browser's
// cross-site POST is refused from its Sec-Fetch-Site or Origin header (as
// net/http's CrossOriginProtection does), and every form carries a token
// that must match the visitor's HttpOnly token cookie and be signed for the
// tenant (double submit, signed).
package storefront

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/internal/input"
	"concierge/internal/webassets"
	"concierge/modules/cart"
	"concierge/modules/catalog"
	"concierge/modules/checkout"
	"concierge/modules/orders"
	"concierge/storefront/ui"
	"concierge/tenants"
)

//go:embed assets
var assetFS embed.FS

// Catalog is what the storefront reads of the catalog (catalog.Service).
type Catalog interface {
	Product(ctx context.Context, ref string) (*catalog.Product, error)
	List(ctx context.Context, q catalog.Query) (catalog.Page, error)
	Categories(ctx context.Context) ([]catalog.Category, error)
	Facets(ctx context.Context) (catalog.Facets, error)
	Version(ctx context.Context) (string, error)
}

// Carts is the web cart (cart.Service).
type Carts interface {
	Create(ctx context.Context) (*cart.Cart, error)
	Priced(ctx context.Context, id, city string) (*cart.Cart, error)
	Add(ctx context.Context, id, sku string, quantity int) (*cart.Cart, error)
	SetQuantity(ctx context.Context, id, sku string, quantity int) (*cart.Cart, error)
	Remove(ctx context.Context, id, sku string) (*cart.Cart, error)
	Shipping(ctx context.Context, id, city string) (cart.ShippingQuote, error)
	PricingSettings(ctx context.Context) (cart.Settings, error)
}

// Checkout places orders (checkout.Service).
type Checkout interface {
	Init(ctx context.Context, req checkout.InitRequest) (*checkout.InitResult, error)
	Confirm(ctx context.Context, orderID uuid.UUID, actor string) (*checkout.InitResult, error)
	PaymentSettings(ctx context.Context) ([]checkout.ProviderSettings, error)
}

// Orders reads orders for the confirmation and the lookup (orders.Service).
type Orders interface {
	Get(ctx context.Context, id uuid.UUID) (*orders.Detail, error)
	LookupLimited(ctx context.Context, ip, phone, number string) (*orders.Detail, error)
}

// Stores resolves hosts and reads the tenant's storefront settings
// (tenants.Service).
type Stores interface {
	ResolveHost(ctx context.Context, hostport string) (*tenants.Tenant, error)
	StorefrontOf(ctx context.Context) (*tenants.Storefront, error)
}

// ChatLinks builds "Chat to order" links (the catalog's and cart's codes);
// nil: no links.
type ChatLinks interface {
	ProductLink(ctx context.Context, lang, phone string, p catalog.Product, v catalog.Variant) string
	CartLink(ctx context.Context, lang, phone, cartID string) string
}

// Events records the funnel (analytics); nil records nothing.
type Events interface {
	Track(ctx context.Context, e Event)
}

// Event is a funnel step seen by the storefront.
type Event struct {
	Name      string // product_viewed, search, handoff_clicked, cart_added, checkout_started (orders record the rest)
	SessionID string
	Consented bool
	ProductID *uuid.UUID
	OrderID   *uuid.UUID
	Amount    int64
	Currency  string
	Query     string
}

// Images serves resized product pictures (storefront/images); nil serves
// the originals.
type Images interface {
	Handler(resolve func(c *fiber.Ctx) (uuid.UUID, string, error)) fiber.Handler
}

// Config holds the storefront's settings.
type Config struct {
	// SigningKey signs CSRF tokens (derived from MASTER_KEY).
	SigningKey []byte
	// Secure marks cookies Secure (production: https only).
	Secure bool
	// PageCacheEntries bounds the in-process page cache (default 2048).
	PageCacheEntries int
	// CartDays is how long the cart cookie lives (default 30).
	CartDays int
}

// Deps are the storefront's collaborators.
type Deps struct {
	Catalog  Catalog
	Carts    Carts
	Checkout Checkout
	Orders   Orders
	Stores   Stores
	Chat     ChatLinks
	Events   Events
	Images   Images
	Texts    *i18n.Catalog
	Log      *slog.Logger
	// ClientIP names the client of a request (the gateway's, proxy-aware).
	ClientIP func(c *fiber.Ctx) string
}

// Site is the storefront.
type Site struct {
	cfg    Config
	d      Deps
	pages  *pageCache
	assets *webassets.Set
}

// New builds the storefront.
func New(cfg Config, d Deps) *Site {
	if cfg.PageCacheEntries <= 0 {
		cfg.PageCacheEntries = 2048
	}
	if cfg.CartDays <= 0 {
		cfg.CartDays = 30
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
	return &Site{cfg: cfg, d: d, pages: newPageCache(cfg.PageCacheEntries), assets: webassets.Load(assetFS, "assets", "/assets")}
}

// AssetPath is the fingerprinted path of an asset.
func (s *Site) AssetPath(name string) string { return s.assets.Path(name) }

// langKey is the request's language in c.Locals.
const langKey = "storefront.lang"

// Mount serves the storefront on app's root, on tenant hosts: every page in
// Arabic and, under /en, in English. A request for a host that is no store
// passes on to the routes mounted after it.
func (s *Site) Mount(app fiber.Router) {
	app.Get("/assets/:file", s.assets.Serve)
	app.Get("/robots.txt", s.tenant, s.robots)
	app.Get("/sitemap.xml", s.tenant, s.sitemap)
	app.Get("/img/:product/:pic", s.tenant, s.image)
	for _, lang := range []string{"ar", "en"} {
		prefix := ""
		if lang == "en" {
			prefix = "/en"
		}
		set := s.setLang(lang)
		get := func(p string, hs ...fiber.Handler) {
			app.Get(prefix+p, append([]fiber.Handler{set, s.tenant}, hs...)...)
		}
		post := func(p string, hs ...fiber.Handler) {
			app.Post(prefix+p, append([]fiber.Handler{set, s.tenant, s.guard}, hs...)...)
		}
		if prefix == "" {
			get("/", s.page(s.home))
		} else {
			app.Get(prefix, set, s.tenant, s.page(s.home))
		}
		get("/categories/:slug", s.page(s.category))
		get("/products/:slug", s.page(s.product))
		get("/search", s.page(s.search))
		get("/cart", s.page(s.cartPage))
		post("/cart/add", s.page(s.cartAdd))
		post("/cart/update", s.page(s.cartUpdate))
		post("/cart/remove", s.page(s.cartRemove))
		get("/checkout", s.page(s.checkoutPage))
		post("/checkout", s.page(s.checkoutPost))
		get("/checkout/done", s.page(s.done))
		get("/checkout/cancelled", s.page(s.cancelled))
		get("/orders/lookup", s.page(s.lookupPage))
		post("/orders/lookup", s.page(s.lookupPost))
		get("/privacy", s.page(s.privacy))
	}
}

func (s *Site) setLang(lang string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals(langKey, lang)
		return c.Next()
	}
}

func langOf(c *fiber.Ctx) string {
	if l, ok := c.Locals(langKey).(string); ok {
		return l
	}
	return "ar"
}

// tenant resolves the store from the Host header; a host that is no store
// passes the request on.
func (s *Site) tenant(c *fiber.Ctx) error {
	t, err := s.d.Stores.ResolveHost(c.UserContext(), string(c.Request().Host()))
	if err != nil {
		if errs.CodeOf(err) == errs.CodeNotFound || errs.CodeOf(err) == errs.CodeForbidden {
			return c.Next()
		}
		return err
	}
	c.SetUserContext(tenants.WithTenant(c.UserContext(), t))
	return c.Next()
}

// handler is a page handler: it renders its page or returns an error the
// page wrapper turns into an error page.
type handler func(c *fiber.Ctx, v *ui.View) error

// page runs h for a tenant request with the request's view; errors become
// the error page in the visitor's language (4xx for anything the visitor
// sent, logged 500 otherwise).
func (s *Site) page(h handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		t, err := tenants.FromContext(ctx)
		if err != nil {
			return c.Next() // no store here
		}
		v, err := s.view(c, t)
		if err != nil {
			return s.fail(c, nil, err)
		}
		if err := h(c, v); err != nil {
			return s.fail(c, v, err)
		}
		return nil
	}
}

// view builds the request's view.
func (s *Site) view(c *fiber.Ctx, t *tenants.Tenant) (*ui.View, error) {
	lang := langOf(c)
	v := ui.NewView(s.d.Texts, lang)
	sf, err := s.d.Stores.StorefrontOf(c.UserContext())
	if err != nil {
		return nil, err
	}
	v.Store = ui.Store{NameAR: sf.NameAR, NameEN: sf.NameEN, LogoURL: sf.LogoURL, Color: sf.PrimaryColor, Currency: t.Currency,
		WhatsApp: sf.WhatsAppPhone, PrivacyVersion: t.PrivacyVersion, VATIncluded: true}
	v.BaseURL = c.Protocol() + "://" + string(c.Request().Host())
	v.Path = strings.TrimPrefix(c.Path(), "/en")
	if v.Path == "" {
		v.Path = "/"
	}
	v.Query = string(c.Request().URI().QueryString())
	v.AssetPath = s.AssetPath
	v.Stamp = strconv.FormatInt(t.UpdatedAt.UnixNano(), 36) + "|" + sf.NameAR + "|" + sf.NameEN + "|" + sf.LogoURL + "|" +
		sf.PrimaryColor + "|" + sf.WhatsAppPhone
	return v, nil
}

// fail renders the error page for err.
func (s *Site) fail(c *fiber.Ctx, v *ui.View, err error) error {
	if v == nil {
		v = ui.NewView(s.d.Texts, langOf(c))
		v.Store.Currency = "SAR"
		v.AssetPath = s.AssetPath
	}
	v.NoIndex, v.JSONLD = true, ""
	status := fiber.StatusInternalServerError
	p := ui.ErrorPage{Title: v.T("storefront.error.title"), Body: v.T("storefront.error.body")}
	switch errs.CodeOf(err) {
	case errs.CodeNotFound:
		status = fiber.StatusNotFound
		p = ui.ErrorPage{Title: v.T("storefront.notfound.title"), Body: v.T("storefront.notfound.body")}
	case errs.CodeInvalid:
		status = fiber.StatusUnprocessableEntity
	case errs.CodeForbidden:
		status = fiber.StatusForbidden
		if errors.Is(err, errCSRF) {
			p.Body = v.T("storefront.error.csrf")
		}
	case errs.CodeRateLimited:
		status = fiber.StatusTooManyRequests
	case errs.CodeConflict:
		status = fiber.StatusConflict
	default:
		s.d.Log.ErrorContext(c.UserContext(), "storefront page failed", "path", c.Route().Path, "error", err)
	}
	p.Status = status
	v.Title = p.Title
	c.Status(status)
	return s.render(c, ui.ErrorView(v, p), false)
}

// NotFound renders the 404 page for a tenant host (the app's last handler);
// it reports false when the host is no store.
func (s *Site) NotFound(c *fiber.Ctx) bool {
	t, err := s.d.Stores.ResolveHost(c.UserContext(), string(c.Request().Host()))
	if err != nil || strings.HasPrefix(c.Path(), "/api/") {
		return false
	}
	if strings.HasPrefix(c.Path(), "/en/") || c.Path() == "/en" {
		c.Locals(langKey, "en")
	}
	c.SetUserContext(tenants.WithTenant(c.UserContext(), t))
	v, err := s.view(c, t)
	if err != nil {
		return false
	}
	_ = s.fail(c, v, errs.New(errs.CodeNotFound, "storefront.not_found"))
	return true
}

// ---- CSRF ----

const (
	csrfCookie = "cc_csrf"
	cartCookie = "cc_cart"
	sidCookie  = "cc_sid"
)

var errCSRF = errs.New(errs.CodeForbidden, "storefront.csrf")

// csrfToken is the visitor's token (set as a cookie when new): random,
// then its signature for the tenant.
func (s *Site) csrfToken(c *fiber.Ctx) string {
	if tok := c.Cookies(csrfCookie); tok != "" && s.validToken(c, tok) {
		return tok
	}
	var b [18]byte
	_, _ = rand.Read(b[:])
	r := base64.RawURLEncoding.EncodeToString(b[:])
	tok := r + "." + s.sign(c, r)
	s.setCookie(c, csrfCookie, tok, 0)
	return tok
}

func (s *Site) sign(c *fiber.Ctx, r string) string {
	t, _ := tenants.FromContext(c.UserContext())
	m := hmac.New(sha256.New, s.cfg.SigningKey)
	if t != nil {
		m.Write(t.ID[:])
	}
	m.Write([]byte(r))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func (s *Site) validToken(c *fiber.Ctx, tok string) bool {
	r, sig, ok := strings.Cut(tok, ".")
	return ok && len(tok) < 100 && hmac.Equal([]byte(sig), []byte(s.sign(c, r)))
}

// guard refuses a cross-site browser request (Sec-Fetch-Site, else an
// Origin that is not this host) and a form whose token is missing, does
// not match the cookie or is not signed for this store.
func (s *Site) guard(c *fiber.Ctx) error {
	t, err := tenants.FromContext(c.UserContext())
	if err != nil {
		return c.Next() // no store here
	}
	refuse := func(err error) error {
		v, verr := s.view(c, t)
		if verr != nil {
			v = nil
		}
		return s.fail(c, v, err)
	}
	if s.crossSite(c) {
		return refuse(errCSRF)
	}
	// Form values are text: no NUL or control characters, valid UTF-8.
	if err := httpx.FormText(c, input.SingleLine); err != nil {
		return refuse(err)
	}
	return c.Next()
}

// crossSite reports a request a page of this store did not send.
func (s *Site) crossSite(c *fiber.Ctx) bool {
	if httpx.CrossSite(c) {
		return true
	}
	form, cookie := c.FormValue("_csrf"), c.Cookies(csrfCookie)
	return form == "" || cookie == "" || !hmac.Equal([]byte(form), []byte(cookie)) || !s.validToken(c, cookie)
}

// setCookie sets an HttpOnly, SameSite=Lax cookie for the host (maxAge 0:
// the session).
func (s *Site) setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	ck := &fiber.Cookie{Name: name, Value: value, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: s.cfg.Secure || c.Protocol() == "https"}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge.Seconds())
	}
	c.Cookie(ck)
}

// sessionID is the visitor's anonymous session (analytics), set when new.
func (s *Site) sessionID(c *fiber.Ctx) string {
	if sid := c.Cookies(sidCookie); len(sid) == 22 {
		return sid
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	sid := base64.RawURLEncoding.EncodeToString(b[:])
	s.setCookie(c, sidCookie, sid, 0)
	return sid
}

// track records a funnel step (never blocking the page).
func (s *Site) track(c *fiber.Ctx, e Event) {
	if s.d.Events == nil {
		return
	}
	e.SessionID = s.sessionID(c)
	s.d.Events.Track(c.UserContext(), e)
}
