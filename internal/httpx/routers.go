package httpx

import (
	"github.com/gofiber/fiber/v2"

	"concierge/internal/errs"
	"concierge/internal/i18n"
)

// Routers are the route groups every capability mounts its handlers on
// (Service.Mount), each with its middleware already applied by the
// composition root, and what handlers need from the edge. A module never
// builds its own gateway pieces: it picks the door and, for staff and
// platform routes, the permission.
//
//	func (s *Service) Mount(r httpx.Routers) {
//		r.Public.Get("/products", s.list)
//		r.Staff.Post("/products", r.Allow("catalog", "write"), s.createProduct)
//		r.Platform.Get("/tenants", r.AllowPlatform("platform", "read"), s.listTenants)
//		r.Webhooks.Post("/payments/:provider/webhook/:tenant", r.TenantFromPath("tenant"), s.webhook)
//	}
type Routers struct {
	// Public is /api/v1 on a tenant's host: the tenant comes from the Host
	// header (or an X-API-Key); CORS and the tenant's rate limit apply.
	Public fiber.Router
	// Staff is Public with a signed-in staff member of that tenant: every
	// route registered on it authenticates first (so an unknown path stays
	// a 404, not a 401). Add Allow(object, action) to each route.
	Staff fiber.Router
	// Platform is /api/platform: signed-in platform admins only. Add
	// AllowPlatform(object, action) to each route.
	Platform fiber.Router
	// Webhooks is the root, before the per-IP rate limit, without a tenant:
	// a webhook finds its tenant from its URL path (TenantFromPath) or its
	// signed payload.
	Webhooks fiber.Router
	// Root is the root, after the per-IP rate limit, without a tenant:
	// sign-in (/api/auth) and pages that resolve their own tenant (the
	// privacy notice, the sandbox, later the storefront and the admin).
	Root fiber.Router
	// RootUploads is Root without the standard body limit, for the
	// dashboard's file forms: each route adds its own LimitBody.
	RootUploads fiber.Router
	// Uploads is Staff without the standard body limit, for the few routes
	// that take files: each adds its own LimitBody from its module's config
	// (and the composition root raises the server's limit to the largest).
	Uploads fiber.Router

	// Allow checks a staff route's permission (the casbin policy,
	// modules/identity/policy.csv).
	Allow func(object, action string) fiber.Handler
	// AllowPlatform checks a platform route's permission.
	AllowPlatform func(object, action string) fiber.Handler
	// TenantFromPath resolves the tenant from a route parameter (its slug)
	// for webhook routes.
	TenantFromPath func(param string) fiber.Handler

	// Validator binds and validates request bodies (Bind).
	Validator *Validator
	// Catalog gives pages their texts.
	Catalog *i18n.Catalog
}

// LimitBody answers 413 for a request body larger than limit bytes.
func LimitBody(limit int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Request().Body()) > limit {
			return errs.New(errs.CodeTooLarge, "error.too_large")
		}
		return c.Next()
	}
}

// Prepend returns a router whose every route runs hs before its own
// handlers. Unlike a Fiber group's Use, which runs for every path under the
// prefix (so an unknown path would answer 401), only registered routes get
// hs.
func Prepend(r fiber.Router, hs ...fiber.Handler) fiber.Router {
	return &prepended{Router: r, hs: hs}
}

type prepended struct {
	fiber.Router
	hs []fiber.Handler
}

func (p *prepended) with(handlers []fiber.Handler) []fiber.Handler {
	out := make([]fiber.Handler, 0, len(p.hs)+len(handlers))
	return append(append(out, p.hs...), handlers...)
}

func (p *prepended) Get(path string, handlers ...fiber.Handler) fiber.Router {
	p.Router.Get(path, p.with(handlers)...)
	return p
}

func (p *prepended) Head(path string, handlers ...fiber.Handler) fiber.Router {
	p.Router.Head(path, p.with(handlers)...)
	return p
}

func (p *prepended) Post(path string, handlers ...fiber.Handler) fiber.Router {
	p.Router.Post(path, p.with(handlers)...)
	return p
}

func (p *prepended) Put(path string, handlers ...fiber.Handler) fiber.Router {
	p.Router.Put(path, p.with(handlers)...)
	return p
}

func (p *prepended) Delete(path string, handlers ...fiber.Handler) fiber.Router {
	p.Router.Delete(path, p.with(handlers)...)
	return p
}

func (p *prepended) Patch(path string, handlers ...fiber.Handler) fiber.Router {
	p.Router.Patch(path, p.with(handlers)...)
	return p
}

func (p *prepended) Options(path string, handlers ...fiber.Handler) fiber.Router {
	p.Router.Options(path, p.with(handlers)...)
	return p
}

func (p *prepended) All(path string, handlers ...fiber.Handler) fiber.Router {
	p.Router.All(path, p.with(handlers)...)
	return p
}

func (p *prepended) Add(method, path string, handlers ...fiber.Handler) fiber.Router {
	p.Router.Add(method, path, p.with(handlers)...)
	return p
}

// Group keeps the prepended handlers on the sub-group's routes.
func (p *prepended) Group(prefix string, handlers ...fiber.Handler) fiber.Router {
	return &prepended{Router: p.Router.Group(prefix), hs: p.with(handlers)}
}

// Use would run for every path under the prefix; a prepended router has no
// prefix of its own, so it refuses (a programming error, found at start).
func (p *prepended) Use(...interface{}) fiber.Router {
	panic("httpx: Use on a Prepend router: add the handler to the routes instead")
}
