package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // served only when PPROF_ADDR is set
	"os"
	"runtime/debug"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v2"
	"github.com/riverqueue/river"
	"go.opentelemetry.io/otel"

	"concierge/cmd/concierge/sandbox"
	"concierge/internal/config"
	"concierge/internal/db"
	"concierge/internal/gateway"
	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/internal/jobs"
	"concierge/internal/observability"
	"concierge/modules/catalog"
	"concierge/modules/identity"
	"concierge/modules/whatsapp"
	"concierge/modules/whatsapp/cloudapi"
	"concierge/modules/whatsapp/dialog"
	"concierge/tenants"
)

type mode int

const (
	modeServe mode = iota
	modeWorker
	modeDev
)

func (m mode) String() string { return [...]string{"serve", "worker", "dev"}[m] }

// App is the running product: the gateway, the job runner, or both.
type App struct {
	conv     *whatsapp.Service
	catalog  *catalog.Service
	sandbox  *sandbox.Emulator
	deps     *deps
	mode     mode
	fiber    *fiber.App
	jobs     *jobs.Jobs
	identity *identity.Service
	metrics  *observability.Metrics
	texts    *i18n.Catalog
	tracing  func(context.Context) error
	stopBg   context.CancelFunc
	// metricsLn is the private METRICS_ADDR listener (nil when off).
	metricsLn  net.Listener
	metricsSrv *http.Server
}

// newLogger is the one logger constructor: JSON, with trace, request and
// tenant ids on every line.
func newLogger(level string, w io.Writer) *slog.Logger {
	return observability.NewLogger(level, w, observability.TenantFrom(func(ctx context.Context) string {
		if t, err := tenants.FromContext(ctx); err == nil {
			return t.ID.String()
		}
		return ""
	}))
}

func requestIDFrom(ctx context.Context) string { return observability.RequestIDFrom(ctx) }

// newApp builds every dependency top-down and wires routes and jobs.
func newApp(ctx context.Context, cfg config.Config, log *slog.Logger, m mode) (*App, error) {
	a := &App{mode: m, texts: i18n.MustLoad()}
	// Step 1: tracing first, so every later client picks up the provider.
	shutdown, err := observability.SetupTracing(ctx, cfg.OTelServiceName, cfg.OTLPEndpoint)
	if err != nil {
		return nil, err
	}
	a.tracing = shutdown
	// Step 2: databases, secrets, tenancy.
	d, err := openDeps(ctx, cfg, log)
	if err != nil {
		_ = shutdown(ctx)
		return nil, err
	}
	a.deps = d
	// Step 3: identity.
	if a.identity, err = newIdentity(d); err != nil {
		a.Close(ctx)
		return nil, err
	}
	// Step 4: jobs. serve inserts only; worker and dev also work.
	a.jobs, err = jobs.New(jobs.Config{Workers: cfg.JobWorkers, Work: m != modeServe, Tenancy: tenants.JobTenancy(),
		JobTimeout: cfg.JobTimeout, RescueAfter: cfg.JobRescueAfter}, d.db, log)
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	// Step 5: the catalog, then the WhatsApp channel and its conversations
	// (whose dialog engine browses the catalog).
	if a.catalog, err = newCatalog(cfg, d, a.jobs, log); err != nil {
		a.Close(ctx)
		return nil, err
	}
	flows := catalog.NewFlows(a.catalog, dialog.Words{Overrides: whatsapp.TextOverrides{}, Catalog: a.texts})
	a.conv = newConversations(cfg, d, a.jobs, log, flows)
	if cfg.SandboxEnabled && m != modeWorker {
		a.sandbox = sandbox.New(sandbox.Config{WebhookURL: "http://" + cfg.HTTPAddr + "/webhook/whatsapp", Log: log}, d.tenants)
	}
	if err := a.registerJobs(); err != nil {
		a.Close(ctx)
		return nil, err
	}
	// Step 6: metrics (on their own private listener, bound now so a busy
	// METRICS_ADDR fails the start) and the HTTP gateway.
	if cfg.MetricsAddr != "" {
		if a.metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			a.Close(ctx)
			return nil, fmt.Errorf("listen on METRICS_ADDR %s (each process needs its own; off disables): %w", cfg.MetricsAddr, err)
		}
	}
	a.metrics = observability.NewMetrics()
	a.metrics.MustRegister(a.jobs.Collector())
	a.metrics.MustRegister(a.conv.Collectors()...)
	a.metrics.MustRegister(a.catalog.Collectors()...)
	if m == modeWorker {
		// The worker answers only health, for probes (metrics are on
		// METRICS_ADDR).
		a.fiber = gateway.NewApp(gateway.AppConfig{}, log)
		a.healthRoutes(a.fiber)
	} else {
		a.fiber = a.routes(cfg, log)
	}
	return a, nil
}

// routes builds the Fiber application: the gateway's middleware in the order
// internal/gateway documents, the route groups (httpx.Routers) with their
// middleware, then every capability mounted on them.
func (a *App) routes(cfg config.Config, log *slog.Logger) *fiber.App {
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
	th := tenants.NewHTTP(d.tenants, v, func(ctx context.Context) string { return identity.ActorFrom(ctx).String() }, nil)
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

	// The capabilities.
	idh.Mount(r)
	th.Mount(r)
	d.audit.Mount(r)
	jobs.NewHTTP(a.jobs).Mount(r)
	a.conv.Mount(r)
	r.Root.Get("/media/demo/:file", demoMedia)
	if a.sandbox != nil {
		a.sandbox.Routes(r.Webhooks)
	}
	a.catalog.Mount(r)
	return app
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

// registerJobs adds every module's workers and periodic jobs.
func (a *App) registerJobs() error {
	for _, err := range []error{
		jobs.AddWorker(a.jobs, &identity.PurgeTokensWorker{Service: a.identity}),
		a.conv.Workers(a.jobs),
		a.catalog.Workers(a.jobs),
		a.jobs.Periodic(time.Hour, func() (river.JobArgs, *river.InsertOpts) { return identity.PurgeTokensArgs{}, nil }),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// newConversations builds the WhatsApp channel: the Cloud API client (Meta,
// or the built-in emulator when the sandbox is on), the per-number sender
// and the dialog engine.
func newConversations(cfg config.Config, d *deps, j *jobs.Jobs, log *slog.Logger, caps ...dialog.Capability) *whatsapp.Service {
	base := cfg.WhatsAppAPIBaseURL
	if base == "" {
		base = "https://graph.facebook.com"
		if cfg.SandboxEnabled {
			base = "http://" + cfg.HTTPAddr + "/sandbox/graph"
		}
	}
	client := cloudapi.NewClient(base, cfg.WhatsAppAPIVersion, &http.Client{Timeout: cfg.WhatsAppSendTimeout})
	sender := cloudapi.NewSender(client, d.rdb, cfg.RedisPrefix, cloudapi.SenderConfig{
		RatePerSecond: cfg.WhatsAppSendRate, FailClosed: true, Logger: log,
	})
	return whatsapp.New(whatsapp.Config{
		VerifyToken: cfg.WhatsAppVerifyToken, PlatformAppSecret: cfg.WhatsAppAppSecret,
		PublicBaseURL: cfg.PublicBaseURL, PlatformDomain: cfg.PlatformDomain,
		ReengageTemplate: cfg.WhatsAppReengageTemplate, SweepAfter: cfg.WhatsAppSweepAfter,
		SendTimeout: cfg.WhatsAppSendTimeout, SendRescueAfter: cfg.WhatsAppSendRescueAfter,
	}, whatsapp.Deps{
		Scope: d.scope, Tenants: d.tenants, Jobs: j, Sender: sender, Capabilities: caps,
		Audit: d.audit, Catalog: i18n.MustLoad(), Redis: d.rdb, RedisPrefix: cfg.RedisPrefix, Log: log,
	})
}

// newIdentity builds staff identity; the JWT key is JWT_SECRET or, when that
// is empty, derived from MASTER_KEY.
func newIdentity(d *deps) (*identity.Service, error) {
	secret := []byte(d.cfg.JWTSecret)
	if len(secret) == 0 {
		secret = d.keys.Derive("jwt")
	}
	return identity.New(identity.Config{
		JWTSecret: secret, AccessTTL: d.cfg.AccessTokenTTL, RefreshTTL: d.cfg.RefreshTokenTTL,
		MaxFailures: d.cfg.LoginMaxFailures, FailureWindow: d.cfg.LoginFailureWindow,
	}, d.scope, d.rdb, d.cfg.RedisPrefix, d.audit, d.log)
}

// Run serves and/or works until ctx ends, then shuts down gracefully: stop
// accepting, drain requests and jobs, then close the pools.
func (a *App) Run(ctx context.Context, ln net.Listener, out io.Writer) error {
	log := a.deps.log
	bg, stop := context.WithCancel(context.Background())
	a.stopBg = stop
	go a.deps.cache.Run(bg)
	go a.identity.Run(bg) // session revocations from every process
	if a.jobs.Working() {
		if err := a.jobs.Start(bg); err != nil {
			return err
		}
		log.Info("worker started", "queues", a.jobs.Queues())
	}
	if addr := a.deps.cfg.PprofAddr; addr != "" {
		go func() {
			// net/http/pprof registers on http.DefaultServeMux.
			if err := http.ListenAndServe(addr, nil); err != nil {
				log.Warn("pprof listener stopped", "error", err)
			}
		}()
	}
	errc := make(chan error, 2)
	if a.metricsLn != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.metrics.HTTPHandler())
		a.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := a.metricsSrv.Serve(a.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("metrics listener: %w", err)
			}
		}()
		log.Info("metrics listening", "addr", a.metricsLn.Addr().String())
	}
	if a.fiber != nil {
		go func() { errc <- a.fiber.Listener(ln) }()
		log.Info("gateway listening", "addr", ln.Addr().String(), "mode", a.mode.String())
		fmt.Fprintf(out, "concierge %s listening on http://%s\n", a.mode, ln.Addr())
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	a.Close(context.Background())
	return runErr
}

// Close drains and releases everything, bounded by SHUTDOWN_TIMEOUT.
func (a *App) Close(ctx context.Context) {
	timeout := 20 * time.Second
	if a.deps != nil {
		timeout = a.deps.cfg.ShutdownTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if a.sandbox != nil {
		a.sandbox.Close()
	}
	if a.fiber != nil {
		_ = a.fiber.ShutdownWithContext(ctx)
	}
	if a.metricsSrv != nil {
		_ = a.metricsSrv.Shutdown(ctx)
	} else if a.metricsLn != nil {
		_ = a.metricsLn.Close()
	}
	if a.jobs != nil {
		if err := a.jobs.Stop(ctx); err != nil && a.deps != nil {
			a.deps.log.Warn("jobs did not drain", "error", err)
		}
	}
	if a.stopBg != nil {
		a.stopBg()
	}
	if a.deps != nil {
		a.deps.Close()
	}
	if a.tracing != nil {
		_ = a.tracing(ctx)
	}
}

func serve(ctx context.Context, cfg config.Config, out io.Writer, m mode) error {
	// The live heap is small and request garbage is short-lived: collect less
	// often than Go's default (GOGC=100) to cut GC work and tail latency.
	// An explicit GOGC (or GOMEMLIMIT) in the environment wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// Access logs at thousands of lines a second: batch the writes.
	logw := observability.NewBufferedWriter(os.Stderr, 200*time.Millisecond)
	defer logw.Close()
	log := newLogger(cfg.LogLevel, logw)
	a, err := newApp(ctx, cfg, log, m)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		a.Close(ctx)
		return fmt.Errorf("listen on HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	if err := a.Run(ctx, ln, out); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
