package main

import (
	"context"
	"log/slog"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel"

	"concierge/internal/config"
	"concierge/internal/db"
	"concierge/internal/gateway"
	"concierge/internal/httpx"
	"concierge/modules/identity"
	"concierge/tenants"
)

// doors builds the Fiber application with the gateway's middleware in the
// order internal/gateway documents, and the doors every capability mounts
// its routes on (httpx.Routers), each with its own middleware.
func (a *App) doors(cfg config.Config, log *slog.Logger) (*fiber.App, httpx.Routers) {
	d := a.deps
	app := gateway.NewApp(gateway.AppConfig{
		BodyLimit: max(cfg.BodyLimit, cfg.CatalogUploadLimit), ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout,
		Catalog: a.texts,
	}, log)
	app.Use(gateway.RequestID())
	app.Use(gateway.Trace(otel.Tracer("concierge/http")))
	app.Use(gateway.AccessLog(log))
	app.Use(gateway.Metrics(a.metrics))
	app.Use(gateway.Recover(log))
	app.Use(gateway.SecurityHeaders())
	app.Use(gateway.UTF8())
	// The host picks the tenant: it must be unambiguous. Text in the path and
	// query string must be text (no NUL, valid UTF-8) before any handler
	// reads it.
	app.Use(gateway.StrictHost())
	app.Use(gateway.CleanRequest())
	a.healthRoutes(app)

	// Every route but the uploads keeps to BODY_LIMIT (the server accepts
	// up to the largest upload limit).
	limit := httpx.LimitBody(cfg.BodyLimit)
	v := httpx.NewValidator(httpx.AllowHTTPLinks(cfg.Env != "production"))
	idh := identity.NewHTTP(a.identity, v)
	th := tenants.NewHTTP(d.tenants, v, actorName, nil)
	a.tenantsHTTP = th
	r := httpx.Routers{
		Validator: v,
		Catalog:   a.texts,
		Allow:     idh.Require, AllowPlatform: idh.RequirePlatform, TenantFromPath: th.ResolveFromPath,
	}
	// Routes are grouped by door, each with its middleware, so the order
	// modules mount in does not matter. Webhooks skip the per-IP limit (Meta
	// delivers from few addresses at high rates; signatures are the gate);
	// every other door is limited per IP first, then given its deadline.
	limiter := redis_rate.NewLimiter(d.rdb)
	perIP := gateway.RateLimit(limiter, cfg.RedisPrefix, gateway.ByIP, redis_rate.PerSecond(cfg.RateLimitIP))
	deadline := gateway.Timeout(cfg.WriteTimeout)
	r.Webhooks = httpx.Prepend(app.Group(""), limit)
	r.Root = httpx.Prepend(app.Group(""), perIP, deadline, limit)
	r.RootUploads = httpx.Prepend(app.Group(""), perIP, deadline)
	// Platform administration: signed-in platform admins; each route adds
	// its own permission.
	r.Platform = httpx.Prepend(app.Group("/api/platform", perIP, deadline, idh.Authenticate, idh.RequirePlatform("platform", "read")), limit)
	// The tenant API: the Host header (or an API key) picks the tenant.
	v1 := app.Group("/api/v1", perIP, deadline, th.Resolve(),
		gateway.CORS(th.OriginAllowed(tenants.OriginPolicy{Extra: cfg.CORSExtraOrigins, AllowHTTP: cfg.Env != "production",
			PublicPort: tenants.PortOf(cfg.PublicBaseURL)})),
		gateway.RateLimit(limiter, cfg.RedisPrefix, gateway.ByTenant(func(c *fiber.Ctx) string {
			if t, err := tenants.FromContext(c.UserContext()); err == nil {
				return t.ID.String()
			}
			return ""
		}), redis_rate.PerSecond(cfg.RateLimitTenant)))
	r.Public = httpx.Prepend(v1, limit)
	r.Staff = httpx.Prepend(v1, limit, idh.Authenticate)
	r.Uploads = httpx.Prepend(v1, idh.Authenticate)

	return app, r
}

// healthRoutes mounts /healthz (alive) and /readyz (Postgres, Redis,
// migrations current). /metrics is not among them: it is served only on the
// private METRICS_ADDR listener, never on the public gateway.
func (a *App) healthRoutes(app *fiber.App) {
	d := a.deps
	app.Get("/healthz", gateway.Healthz())
	app.Get("/readyz", gateway.Readyz(map[string]func(context.Context) error{
		"postgres":   func(ctx context.Context) error { return d.db.Pool.Ping(ctx) },
		"redis":      func(ctx context.Context) error { return d.rdb.Ping(ctx).Err() },
		"migrations": func(ctx context.Context) error { return db.Current(ctx, d.db.SQL) },
	}))
}
