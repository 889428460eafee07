package tenants

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/httpx"
)

// APITenant is the API form of a tenant: the platform API and the shell's
// --json print it.
type APITenant struct {
	ID             uuid.UUID `json:"id"`
	Slug           string    `json:"slug"`
	NameEN         string    `json:"name_en"`
	NameAR         string    `json:"name_ar"`
	DefaultLocale  string    `json:"default_locale"`
	Currency       string    `json:"currency"`
	Timezone       string    `json:"timezone"`
	Status         string    `json:"status"`
	PrivacyURL     string    `json:"privacy_url"`
	PrivacyVersion string    `json:"privacy_version"`
	MetaCatalogID  string    `json:"meta_catalog_id"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// ToAPITenant converts a tenant to its API form.
func ToAPITenant(t *Tenant) APITenant {
	return APITenant{ID: t.ID, Slug: t.Slug, NameEN: t.NameEN, NameAR: t.NameAR, DefaultLocale: t.DefaultLocale,
		Currency: t.Currency, Timezone: t.Timezone, Status: t.Status, PrivacyURL: t.PrivacyURL, PrivacyVersion: t.PrivacyVersion,
		MetaCatalogID: t.MetaCatalogID, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

// apiStore is the public profile served at GET /api/v1/store.
type apiStore struct {
	Slug          string            `json:"slug"`
	Name          map[string]string `json:"name"`
	NameEN        string            `json:"name_en"`
	NameAR        string            `json:"name_ar"`
	DefaultLocale string            `json:"default_locale"`
	Locales       []string          `json:"locales"`
	Currency      string            `json:"currency"`
}

// APIDomain is the API form of a tenant's domain.
type APIDomain struct {
	ID        uuid.UUID `json:"id"`
	TenantID  uuid.UUID `json:"tenant_id"`
	Host      string    `json:"host"`
	IsPrimary bool      `json:"is_primary"`
	CreatedAt time.Time `json:"created_at"`
}

// ToAPIDomain converts a domain to its API form.
func ToAPIDomain(d Domain) APIDomain {
	return APIDomain{ID: d.ID, TenantID: d.TenantID, Host: d.Host, IsPrimary: d.IsPrimary, CreatedAt: d.CreatedAt}
}

// APINumber is the API form of a WhatsApp number. It never carries the
// secrets, only whether they are set.
type APINumber struct {
	ID             uuid.UUID `json:"id"`
	TenantID       uuid.UUID `json:"tenant_id"`
	PhoneNumberID  string    `json:"phone_number_id"`
	DisplayPhone   string    `json:"display_phone"`
	WABAID         string    `json:"waba_id"`
	Status         string    `json:"status"`
	HasAccessToken bool      `json:"has_access_token"`
	HasAppSecret   bool      `json:"has_app_secret"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// ToAPINumber converts a number to its API form (without its secrets).
func ToAPINumber(n Number) APINumber {
	return APINumber{ID: n.ID, TenantID: n.TenantID, PhoneNumberID: n.PhoneNumberID, DisplayPhone: n.DisplayPhone,
		WABAID: n.WABAID, Status: n.Status, HasAccessToken: true, HasAppSecret: true, CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt}
}

// HTTP serves tenant resolution and the platform onboarding API.
type HTTP struct {
	profiles sync.Map // tenant id → encodedProfile
	svc      *Service
	validate *httpx.Validator
	actor    func(ctx context.Context) string
	onTenant func(c *fiber.Ctx, t *Tenant)
}

// NewHTTP builds the handlers. actor names who acts (for the audit log);
// onTenant, when set, is called once a request's tenant is resolved (to tag
// logs and traces).
func NewHTTP(svc *Service, v *httpx.Validator, actor func(ctx context.Context) string, onTenant func(c *fiber.Ctx, t *Tenant)) *HTTP {
	return &HTTP{svc: svc, validate: v, actor: actor, onTenant: onTenant}
}

// Resolve is the middleware that finds the tenant from an X-API-Key header
// (when present; it wins over the host) or the Host header and puts it in the
// request context. Unknown host → 404 problem; bad key → 401; suspended → 403.
func (h *HTTP) Resolve() fiber.Handler {
	return func(c *fiber.Ctx) error {
		var t *Tenant
		var err error
		if key := c.Get(APIKeyHeader); key != "" {
			t, err = h.svc.ResolveAPIKey(c.UserContext(), key)
		} else {
			t, err = h.svc.ResolveHost(c.UserContext(), c.Hostname())
		}
		if err != nil {
			return err
		}
		c.SetUserContext(WithTenant(c.UserContext(), t))
		if h.onTenant != nil {
			h.onTenant(c, t)
		}
		return c.Next()
	}
}

// encodedProfile is a tenant's public profile, encoded once per version of
// the tenant (its updated_at).
type encodedProfile struct {
	version time.Time
	body    []byte
}

// Store answers GET /api/v1/store: the resolved tenant's public profile. The
// tenant comes from the resolution cache; its JSON is encoded once per change.
func (h *HTTP) Store(c *fiber.Ctx) error {
	t, err := FromContext(c.UserContext())
	if err != nil {
		return err
	}
	var body []byte
	if p, ok := h.profiles.Load(t.ID); ok && p.(encodedProfile).version.Equal(t.UpdatedAt) {
		body = p.(encodedProfile).body
	} else {
		body, err = json.Marshal(apiStore{
			Slug: t.Slug, Name: map[string]string{"ar": t.NameAR, "en": t.NameEN}, NameEN: t.NameEN, NameAR: t.NameAR,
			DefaultLocale: t.DefaultLocale, Locales: []string{"ar", "en"}, Currency: t.Currency,
		})
		if err != nil {
			return err
		}
		h.profiles.Store(t.ID, encodedProfile{version: t.UpdatedAt, body: body})
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(body)
}

// Mount serves the store profile (GET /api/v1/store) and the onboarding API
// to platform admins (tenants, domains, numbers, API keys).
func (h *HTTP) Mount(r httpx.Routers) {
	r.Public.Get("/store", h.Store)
	r.Staff.Get("/settings/storefront", r.Allow("settings", "read"), h.getStorefront)
	r.Staff.Put("/settings/storefront", r.Allow("settings", "write"), h.putStorefront)
	read, write := r.AllowPlatform("platform", "read"), r.AllowPlatform("platform", "write")
	p := r.Platform
	p.Get("/tenants", read, h.listTenants)
	p.Post("/tenants", write, h.createTenant)
	p.Get("/tenants/:id", read, h.getTenant)
	p.Patch("/tenants/:id", write, h.updateTenant)
	p.Get("/tenants/:id/domains", read, h.listDomains)
	p.Post("/tenants/:id/domains", write, h.addDomain)
	p.Delete("/tenants/:id/domains/:domain", write, h.removeDomain)
	p.Get("/tenants/:id/numbers", read, h.listNumbers)
	p.Post("/tenants/:id/numbers", write, h.addNumber)
	p.Get("/tenants/:id/numbers/:number", read, h.getNumber)
	p.Patch("/tenants/:id/numbers/:number", write, h.updateNumber)
	p.Get("/tenants/:id/api-keys", read, h.listAPIKeys)
	p.Post("/tenants/:id/api-keys", write, h.createAPIKey)
	p.Delete("/tenants/:id/api-keys/:key", write, h.revokeAPIKey)
}

// ResolveFromPath is the middleware of webhook routes whose URL names the
// tenant (/payments/{provider}/webhook/{tenant}): param holds its slug.
// Unknown → 404; suspended → 403.
func (h *HTTP) ResolveFromPath(param string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, err := h.svc.Get(c.UserContext(), c.Params(param))
		if err != nil {
			return err
		}
		if t.Status != StatusActive {
			return errs.New(errs.CodeForbidden, "tenants.suspended")
		}
		c.SetUserContext(WithTenant(c.UserContext(), t))
		if h.onTenant != nil {
			h.onTenant(c, t)
		}
		return c.Next()
	}
}

func (h *HTTP) listTenants(c *fiber.Ctx) error {
	ts, err := h.svc.List(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]APITenant, len(ts))
	for i := range ts {
		out[i] = ToAPITenant(&ts[i])
	}
	return c.JSON(fiber.Map{"items": out})
}

func (h *HTTP) createTenant(c *fiber.Ctx) error {
	var in CreateInput
	if err := httpx.Bind(c, h.validate, &in); err != nil {
		return err
	}
	t, err := h.svc.Create(c.UserContext(), h.actor(c.UserContext()), in)
	if err != nil {
		return err
	}
	c.Location("/api/platform/tenants/" + t.ID.String())
	return c.Status(fiber.StatusCreated).JSON(ToAPITenant(t))
}

func (h *HTTP) getTenant(c *fiber.Ctx) error {
	t, err := h.svc.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(ToAPITenant(t))
}

func (h *HTTP) updateTenant(c *fiber.Ctx) error {
	var in UpdateInput
	if err := httpx.Bind(c, h.validate, &in); err != nil {
		return err
	}
	t, err := h.svc.Update(c.UserContext(), h.actor(c.UserContext()), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(ToAPITenant(t))
}

func (h *HTTP) listDomains(c *fiber.Ctx) error {
	ds, err := h.svc.Domains(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	out := make([]APIDomain, len(ds))
	for i, d := range ds {
		out[i] = ToAPIDomain(d)
	}
	return c.JSON(fiber.Map{"items": out})
}

func (h *HTTP) addDomain(c *fiber.Ctx) error {
	var in DomainInput
	if err := httpx.Bind(c, h.validate, &in); err != nil {
		return err
	}
	d, err := h.svc.AddDomain(c.UserContext(), h.actor(c.UserContext()), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ToAPIDomain(*d))
}

func (h *HTTP) removeDomain(c *fiber.Ctx) error {
	id, err := uuid.Parse(c.Params("domain"))
	if err != nil {
		return errs.New(errs.CodeNotFound, "tenants.no_such_domain")
	}
	if err := h.svc.RemoveDomain(c.UserContext(), h.actor(c.UserContext()), c.Params("id"), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *HTTP) listNumbers(c *fiber.Ctx) error {
	ns, err := h.svc.Numbers(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	out := make([]APINumber, len(ns))
	for i, n := range ns {
		out[i] = ToAPINumber(n)
	}
	return c.JSON(fiber.Map{"items": out})
}

func (h *HTTP) addNumber(c *fiber.Ctx) error {
	var in NumberInput
	if err := httpx.Bind(c, h.validate, &in); err != nil {
		return err
	}
	n, err := h.svc.AddNumber(c.UserContext(), h.actor(c.UserContext()), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ToAPINumber(*n))
}

func (h *HTTP) getNumber(c *fiber.Ctx) error {
	id, err := uuid.Parse(c.Params("number"))
	if err != nil {
		return errs.New(errs.CodeNotFound, "tenants.no_such_number")
	}
	ns, err := h.svc.Numbers(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	for _, n := range ns {
		if n.ID == id {
			return c.JSON(ToAPINumber(n))
		}
	}
	return errs.New(errs.CodeNotFound, "tenants.no_such_number")
}

func (h *HTTP) updateNumber(c *fiber.Ctx) error {
	id, err := uuid.Parse(c.Params("number"))
	if err != nil {
		return errs.New(errs.CodeNotFound, "tenants.no_such_number")
	}
	var in NumberUpdate
	if err := httpx.Bind(c, h.validate, &in); err != nil {
		return err
	}
	n, err := h.svc.UpdateNumber(c.UserContext(), h.actor(c.UserContext()), c.Params("id"), id, in)
	if err != nil {
		return err
	}
	return c.JSON(ToAPINumber(*n))
}

// OriginPolicy decides which browser origins may call a tenant's API with
// credentials.
type OriginPolicy struct {
	// Extra origins allowed for every tenant (CORS_EXTRA_ORIGINS).
	Extra []string
	// AllowHTTP admits http:// origins (outside production).
	AllowHTTP bool
	// PublicPort is the port the product serves on besides the scheme's
	// default (PUBLIC_BASE_URL's).
	PublicPort string
}

// OriginAllowed admits a browser origin (scheme, host and port, compared
// whole) when it is one of p.Extra, or when its host is one of the request
// tenant's hosts (custom domain or subdomain) and its scheme and port are
// ones the product serves: https (http too when p.AllowHTTP) on the scheme's
// default port or p.PublicPort. http://shop.example:1 is another site,
// whatever its host.
func (h *HTTP) OriginAllowed(p OriginPolicy) func(c *fiber.Ctx, origin string) bool {
	return func(c *fiber.Ctx, origin string) bool {
		if slices.Contains(p.Extra, origin) {
			return true
		}
		t, err := FromContext(c.UserContext())
		if err != nil {
			return false
		}
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return false
		}
		scheme := strings.ToLower(u.Scheme)
		switch {
		case scheme == "https":
		case scheme == "http" && p.AllowHTTP:
		default:
			return false
		}
		port := u.Port()
		if port == "" {
			port = DefaultPort(scheme)
		}
		if port != DefaultPort(scheme) && port != p.PublicPort {
			return false
		}
		ot, err := h.svc.ResolveHost(c.UserContext(), u.Hostname())
		return err == nil && ot.ID == t.ID
	}
}

// DefaultPort is the port of a URL scheme (http 80, https 443).
func DefaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// PortOf is the port of a base URL, explicit or its scheme's default.
func PortOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	if p := u.Port(); p != "" {
		return p
	}
	return DefaultPort(strings.ToLower(u.Scheme))
}

// apiStorefront is GET/PUT /api/v1/settings/storefront.
type apiStorefront struct {
	NameAR        string     `json:"name_ar" validate:"max=100"`
	NameEN        string     `json:"name_en" validate:"max=100"`
	LogoURL       string     `json:"logo_url" validate:"omitempty,max=2048,weburl"`
	PrimaryColor  string     `json:"primary_color" validate:"omitempty,max=7"`
	WhatsAppPhone string     `json:"whatsapp_phone,omitempty" validate:"-"`
	UpdatedAt     *time.Time `json:"updated_at,omitempty" validate:"-"`
}

func toAPIStorefront(sf *Storefront) apiStorefront {
	return apiStorefront{NameAR: sf.NameAR, NameEN: sf.NameEN, LogoURL: sf.LogoURL, PrimaryColor: sf.PrimaryColor,
		WhatsAppPhone: sf.WhatsAppPhone, UpdatedAt: sf.UpdatedAt}
}

func (h *HTTP) getStorefront(c *fiber.Ctx) error {
	sf, err := h.svc.StorefrontOf(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(toAPIStorefront(sf))
}

func (h *HTTP) putStorefront(c *fiber.Ctx) error {
	var in apiStorefront
	if err := httpx.Bind(c, h.validate, &in); err != nil {
		return err
	}
	sf, err := h.svc.SetStorefront(c.UserContext(), h.actor(c.UserContext()),
		StorefrontInput{NameAR: in.NameAR, NameEN: in.NameEN, LogoURL: in.LogoURL, PrimaryColor: in.PrimaryColor})
	if err != nil {
		return err
	}
	return c.JSON(toAPIStorefront(sf))
}
