package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v2"

	"concierge/admin"
	"concierge/cmd/concierge/sandbox"
	"concierge/internal/config"
	"concierge/internal/gateway"
	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/internal/idempotency"
	"concierge/internal/jobs"
	"concierge/internal/observability"
	"concierge/modules/analytics"
	"concierge/modules/cart"
	"concierge/modules/catalog"
	"concierge/modules/checkout"
	"concierge/modules/cms"
	"concierge/modules/identity"
	"concierge/modules/invoices"
	"concierge/modules/orders"
	"concierge/modules/returns"
	"concierge/modules/sla"
	"concierge/modules/whatsapp"
	"concierge/modules/whatsapp/cloudapi"
	"concierge/modules/whatsapp/dialog"
	"concierge/storefront"
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
	deps     *deps
	mode     mode
	texts    *i18n.Catalog
	jobs     *jobs.Jobs
	identity *identity.Service
	catalog  *catalog.Service
	cart     *cart.Service
	orders   *orders.Service
	checkout *checkout.Service
	invoices *invoices.Service
	sla      *sla.Service
	cms      *cms.Service
	returns  *returns.Service
	conv     *whatsapp.Service
	// analytics keeps the funnel's events (written in the background).
	analytics *analytics.Service
	// storefront is the web shop on tenant hosts.
	storefront *storefront.Site
	// admin is the staff and platform dashboard at /admin.
	admin *admin.Console
	// paymentMethods are the payment providers' names.
	paymentMethods []string
	sandbox        *sandbox.Emulator
	// tenantsHTTP resolves tenants at the doors and serves the onboarding API.
	tenantsHTTP *tenants.HTTP
	metrics     *observability.Metrics
	fiber       *fiber.App
	tracing     func(context.Context) error
	stopBg      context.CancelFunc
	// metricsLn is the private METRICS_ADDR listener (nil when off).
	metricsLn  net.Listener
	metricsSrv *http.Server
}

// mounter is a capability's HTTP door (Service.Mount).
type mounter interface{ Mount(httpx.Routers) }

// worker is a capability's jobs door (Service.Workers).
type worker interface{ Workers(*jobs.Jobs) error }

// mounters is every capability that serves routes, in no particular order:
// each route goes through the door (router) it is mounted on.
func (a *App) mounters() []mounter {
	ms := []mounter{
		a.identity, a.deps.audit, a.tenantsHTTP, jobs.NewHTTP(a.jobs, a.recordPlatform),
		a.catalog, a.cart, a.orders, a.checkout, a.invoices, a.sla, a.cms, a.returns, a.conv, a.analytics, demoMedia{},
	}
	if a.sandbox != nil {
		ms = append(ms, a.sandbox)
	}
	return ms
}

// workers is every capability with background jobs.
func (a *App) workers() []worker {
	return []worker{a.identity, a.catalog, a.cart, a.checkout, a.sla, a.cms, a.returns, a.conv, a.analytics}
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

// actorName names who acts in ctx for the audit log (identity.Actor).
func actorName(ctx context.Context) string { return identity.ActorFrom(ctx).String() }

// newApp builds every dependency top-down, then mounts every capability's
// routes and registers its jobs.
func newApp(ctx context.Context, cfg config.Config, log *slog.Logger, m mode) (a *App, err error) {
	a = &App{mode: m, texts: i18n.MustLoad()}
	built := a // a is nil once a step fails: release what was built
	defer func() {
		if err != nil {
			built.Close(ctx)
		}
	}()
	// Step 1: tracing first, so every later client picks up the provider.
	if a.tracing, err = observability.SetupTracing(ctx, cfg.OTelServiceName, cfg.OTLPEndpoint); err != nil {
		return nil, err
	}
	// Step 2: databases, secrets, tenancy, the audit log.
	if a.deps, err = openDeps(ctx, cfg, log); err != nil {
		return nil, err
	}
	d := a.deps
	// Step 3: jobs. serve inserts only; worker and dev also work.
	if a.jobs, err = jobs.New(jobs.Config{Workers: cfg.JobWorkers, Work: m != modeServe, Tenancy: tenants.JobTenancy(),
		JobTimeout: cfg.JobTimeout, RescueAfter: cfg.JobRescueAfter}, d.db, log); err != nil {
		return nil, err
	}
	// Step 4: the capabilities. The WhatsApp channel's dialog engine
	// browses the catalog and keeps the cart (the catalog's products offer
	// "Add to cart").
	if a.identity, err = newIdentity(d); err != nil {
		return nil, err
	}
	if a.catalog, err = newCatalog(cfg, d, a.jobs, log); err != nil {
		return nil, err
	}
	a.cart = cart.New(cart.Config{AbandonAfter: cfg.CartAbandonAfter, Retention: cfg.CartRetention},
		cart.Deps{Scope: d.scope, Tenants: d.tenants, Catalog: a.catalog, Redis: d.rdb, RedisPrefix: cfg.RedisPrefix,
			Audit: d.audit, Log: log, Messages: a.texts})
	a.orders = orders.New(orders.Config{LookupPerHour: cfg.OrderLookupPerHour, RedisPrefix: cfg.RedisPrefix},
		orders.Deps{Scope: d.scope, Limiter: redis_rate.NewLimiter(d.rdb), Actor: actorName, Log: log})
	notices, orderNotices, returnNotices := &notifier{author: "checkout"}, &notifier{author: "orders"}, &notifier{author: "returns"}
	providers := newPaymentProviders(cfg, log)
	a.paymentMethods = providers.Names()
	a.orders.SetNotifier(orderNotices)
	a.checkout = checkout.New(checkout.Config{PublicBaseURL: cfg.PublicBaseURL, PlatformDomain: cfg.PlatformDomain, ExpiryGrace: cfg.CheckoutExpiryGrace,
		Concurrency: cfg.CheckoutConcurrency},
		checkout.Deps{Scope: d.scope, Tenants: d.tenants, Jobs: a.jobs, Providers: providers, Carts: a.cart, Stock: a.catalog, Orders: a.orders,
			Notifier: notices, Secrets: d.keys, Audit: d.audit, Idempotency: idempotency.New(d.rdb, cfg.RedisPrefix, idempotency.Config{}, log),
			Actor: actorName, Log: log})
	a.orders.SetPayments(a.checkout)
	a.orders.SetCanceller(a.checkout)
	// After the sale: a tax invoice on confirmation and a credit note on
	// each refund; SLA timers (dispatch after confirmation, hand-off, return
	// decision).
	a.invoices = invoices.New(invoices.Config{SigningKey: d.keys.Derive("invoices"), PublicBaseURL: cfg.PublicBaseURL},
		invoices.Deps{Scope: d.scope, Orders: a.orders, Audit: d.audit, Actor: actorName, Log: log})
	a.sla = sla.New(sla.Config{}, sla.Deps{Scope: d.scope, Jobs: a.jobs, Audit: d.audit, Log: log})
	// The funnel: every process records (requests and jobs alike), so the
	// writer runs in every mode.
	a.analytics = analytics.New(analytics.Config{}, analytics.Deps{Scope: d.scope, Log: log})
	a.analytics.Start(context.WithoutCancel(ctx))
	a.orders.Observe(orderFunnel{a.analytics})
	a.orders.Observe(a.invoices)
	a.orders.Observe(dispatchTimer{a.sla})
	a.returns = returns.New(returns.Config{}, returns.Deps{Scope: d.scope, Tenants: d.tenants, Jobs: a.jobs, Orders: a.orders,
		Refunds: returnRefunds{checkout: a.checkout, providers: providers}, Stock: a.catalog, Notifier: returnNotices, Timers: a.sla,
		Audit: d.audit, Actor: actorName, Log: log})
	words := dialog.Words{Overrides: whatsapp.TextOverrides{}, Catalog: a.texts}
	browse := dialog.IDMenuPrefix + catalog.FlowsName
	catalogFlows := catalog.NewFlows(a.catalog, words)
	cartFlows := cart.NewFlows(a.cart, words, browse)
	checkoutFlows := checkout.NewFlows(a.checkout, words, browse)
	orderFlows := orders.NewFlows(a.orders, words)
	orderFlows.Invoices = invoiceLinks{a.invoices}
	returnFlows := returns.NewFlows(a.returns, words)
	orderFlows.Returns = returnFlows
	catalogFlows.Cart = cartFlows
	cartFlows.Checkout = checkoutFlows
	// Quick replies, the registry of Meta-approved templates (synced from
	// the Cloud API) and the bot texts' overrides.
	a.cms = cms.New(cms.Config{GraphBaseURL: graphBase(cfg), GraphVersion: cfg.WhatsAppAPIVersion, SyncEvery: cfg.CMSTemplateSyncEvery},
		cms.Deps{Scope: d.scope, Tenants: d.tenants, Jobs: a.jobs, Audit: d.audit, HTTPClient: &http.Client{Timeout: 30 * time.Second},
			Catalog: a.texts, Actor: actorName, Log: log})
	d.tenants.OnNumberAdded(func(ctx context.Context, n *tenants.Number) {
		// A new number's account: its approved templates, now.
		if err := a.cms.EnqueueSync(tenants.WithTenantID(ctx, n.TenantID)); err != nil {
			log.WarnContext(ctx, "template sync not queued", "tenant_id", n.TenantID, "error", err)
		}
	})
	staff := staffSide{templates: a.cms, quickReplies: a.cms, timers: handoffFunnel{Timers: a.sla, events: a.analytics}, funnel: chatFunnel{a.analytics}, context: &customerContexts{scope: d.scope, carts: a.cart, orders: a.orders, payments: a.checkout}}
	a.conv = newChannel(cfg, d, a.jobs, a.texts, log, staff, catalogFlows, cartFlows, checkoutFlows, orderFlows, returnFlows)
	notices.channel, orderNotices.channel, returnNotices.channel = a.conv, a.conv, a.conv
	media, err := a.conv.MediaClient(whatsapp.MediaConfig{BaseURL: graphBase(cfg), Version: cfg.WhatsAppAPIVersion})
	if err != nil {
		return nil, err
	}
	a.returns.SetMedia(media)
	if cfg.SandboxEnabled && m != modeWorker {
		a.sandbox = sandbox.New(sandbox.Config{WebhookURL: "http://" + cfg.HTTPAddr + "/webhook/whatsapp", Log: log}, d.tenants)
	}
	for _, w := range a.workers() {
		if err := w.Workers(a.jobs); err != nil {
			return nil, err
		}
	}
	// Step 5: metrics, on their own private listener (bound now, so a busy
	// METRICS_ADDR fails the start).
	if cfg.MetricsAddr != "" {
		if a.metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return nil, fmt.Errorf("listen on METRICS_ADDR %s (each process needs its own; off disables): %w", cfg.MetricsAddr, err)
		}
	}
	a.metrics = observability.NewMetrics()
	a.metrics.MustRegister(a.jobs.Collector())
	a.metrics.MustRegister(a.conv.Collectors()...)
	a.metrics.MustRegister(a.catalog.Collectors()...)
	a.metrics.MustRegister(a.sla.Collectors()...)
	a.metrics.MustRegister(a.analytics.Collectors()...)
	// Step 6: the HTTP gateway: the worker answers only health (for probes);
	// serve and dev mount every capability on the doors.
	if m == modeWorker {
		a.fiber = gateway.NewApp(gateway.AppConfig{Catalog: a.texts}, log)
		a.healthRoutes(a.fiber)
		return a, nil
	}
	if a.storefront, err = a.newStorefront(cfg); err != nil {
		return nil, err
	}
	a.admin = a.newAdmin(cfg)
	app, r := a.doors(cfg, log)
	// The storefront first: on a tenant host its pages (/privacy among
	// them) answer; on any other host its routes pass the request on.
	a.storefront.Mount(r.Root)
	// The dashboard at /admin, on every host.
	a.admin.Mount(r.Root, r.RootUploads)
	for _, mt := range a.mounters() {
		mt.Mount(r)
	}
	// Last: an unknown path on a tenant host gets the store's 404 page.
	app.Use(func(c *fiber.Ctx) error {
		if a.storefront.NotFound(c) {
			return nil
		}
		return c.Next()
	})
	a.fiber = app
	return a, nil
}

// recordPlatform is the jobs API's audit (jobs.Recorder): act and its
// platform audit entry, as the request's actor, in one transaction.
func (a *App) recordPlatform(ctx context.Context, action, target string, act func(ctx context.Context, tx *sql.Tx) (map[string]any, error)) error {
	return a.deps.audit.RecordPlatform(ctx, tenants.AuditEntry{Actor: actorName(ctx), Action: action, Target: target}, act)
}

// newAdmin builds the dashboard over the modules' services.
func (a *App) newAdmin(cfg config.Config) *admin.Console {
	d := a.deps
	return admin.New(admin.Config{IdleTimeout: cfg.AdminIdleTimeout, Secure: cfg.Env == "production", RedisPrefix: cfg.RedisPrefix,
		PaymentMethods: a.paymentMethods, ReengageTemplate: cfg.WhatsAppReengageTemplate},
		admin.Deps{Identity: a.identity, Stores: d.tenants, Orders: a.orders, Funnels: a.analytics, Conversations: a.conv, Breaches: a.sla,
			Contexts: &customerContexts{scope: d.scope, carts: a.cart, orders: a.orders, payments: a.checkout}, QuickReplies: a.cms,
			Payments: a.checkout, Invoices: a.invoices,
			Catalog: a.catalog, Onboarding: d.tenants, DeadJobs: a.jobs, AuditLog: d.audit, Channel: a.conv,
			Redis: d.rdb, Keys: d.keys, Texts: a.texts, Log: d.log,
			ClientIP: func(c *fiber.Ctx) string { ip, _ := gateway.ByIP(c); return ip },
			Returns:  a.returns, Content: a.cms, Customers: a.conv, CustomerOrders: a.orders,
			Settings: admin.Settings{Storefront: d.tenants, Pricing: a.cart, Invoicing: a.invoices, Payments: a.checkout, SLA: a.sla,
				Returns: a.returns, BotTexts: a.cms},
			Staff: a.identity})
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
	}, identity.Deps{Scope: d.scope, Redis: d.rdb, RedisPrefix: d.cfg.RedisPrefix, Audit: d.audit, Log: d.log})
}

// newChannel builds the WhatsApp channel: the Cloud API client (Meta, or the
// built-in emulator when the sandbox is on), the per-number sender and the
// dialog engine with the capabilities' steps.
// staffSide are the channel's links to the modules staff work with: the
// template registry, SLA timers, quick replies and the customer's context.
type staffSide struct {
	templates    whatsapp.Templates
	timers       whatsapp.Timers
	quickReplies whatsapp.QuickReplies
	context      whatsapp.CustomerContexts
	funnel       whatsapp.Funnel
}

// graphBase is the Cloud API's base URL: WHATSAPP_API_BASE_URL, else the
// sandbox's emulator when it is on, else Meta's.
func graphBase(cfg config.Config) string {
	switch {
	case cfg.WhatsAppAPIBaseURL != "":
		return cfg.WhatsAppAPIBaseURL
	case cfg.SandboxEnabled:
		return "http://" + cfg.HTTPAddr + "/sandbox/graph"
	}
	return "https://graph.facebook.com"
}

func newChannel(cfg config.Config, d *deps, j *jobs.Jobs, texts *i18n.Catalog, log *slog.Logger, staff staffSide, caps ...dialog.Capability) *whatsapp.Service {
	client := cloudapi.NewClient(graphBase(cfg), cfg.WhatsAppAPIVersion, &http.Client{Timeout: cfg.WhatsAppSendTimeout})
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
		Audit: d.audit, Catalog: texts, Redis: d.rdb, RedisPrefix: cfg.RedisPrefix, Log: log,
		Templates: staff.templates, Timers: staff.timers, QuickReplies: staff.quickReplies, Context: staff.context,
		Funnel: staff.funnel,
	})
}
