// Package config reads the one configuration struct from the environment.
// Every variable is listed in Vars with its default, and `concierge help`
// prints that list.
package config

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"concierge/internal/i18n"
)

// Var is one environment variable and its default. What it means, in
// Arabic and English, is the catalog's message config.<Name>.
type Var struct {
	Name    string
	Default string
}

// Vars is every environment variable the product reads, with its default.
var Vars = []Var{
	{"HTTP_ADDR", "127.0.0.1:8080"},
	{"DATABASE_URL", "postgres://postgres@127.0.0.1:54329/concierge?sslmode=disable"},
	{"REDIS_URL", "redis://127.0.0.1:63799/0"},
	{"MASTER_KEY", ""},
	{"MASTER_KEYS_OLD", ""},
	{"PLATFORM_DOMAIN", "localhost"},
	{"PUBLIC_BASE_URL", "http://localhost:8080"},
	{"LOG_LEVEL", "info"},
	{"ENV", "dev"},
	{"JWT_SECRET", ""},
	{"ACCESS_TOKEN_TTL", "15m"},
	{"REFRESH_TOKEN_TTL", "720h"},
	{"RATE_LIMIT_IP", "100"},
	{"RATE_LIMIT_TENANT", "1000"},
	{"LOGIN_MAX_FAILURES", "5"},
	{"LOGIN_FAILURE_WINDOW", "15m"},
	{"BODY_LIMIT", "1048576"},
	{"READ_TIMEOUT", "15s"},
	{"WRITE_TIMEOUT", "30s"},
	{"SHUTDOWN_TIMEOUT", "20s"},
	{"CACHE_TTL", "5m"},
	{"CORS_EXTRA_ORIGINS", ""},
	{"OTEL_EXPORTER_OTLP_ENDPOINT", ""},
	{"OTEL_SERVICE_NAME", "concierge"},
	{"JOB_WORKERS", "10"},
	{"JOB_TIMEOUT", "1m"},
	{"JOB_RESCUE_AFTER", "5m"},
	{"DB_MAX_CONNS", "20"},
	{"REDIS_PREFIX", "cc:"},
	{"WHATSAPP_API_BASE_URL", ""},
	{"WHATSAPP_API_VERSION", "v23.0"},
	{"WHATSAPP_VERIFY_TOKEN", "concierge-dev-verify"},
	{"WHATSAPP_APP_SECRET", ""},
	{"WHATSAPP_SEND_RATE", "20"},
	{"WHATSAPP_REENGAGE_TEMPLATE", "concierge_reengage"},
	{"WHATSAPP_SWEEP_AFTER", "1m"},
	{"WHATSAPP_SEND_TIMEOUT", "15s"},
	{"WHATSAPP_SEND_RESCUE_AFTER", "45s"},
	{"SANDBOX_ENABLED", ""},
	{"CATALOG_UPLOAD_LIMIT", "67108864"},
	{"CATALOG_FETCH_MAX_BYTES", "67108864"},
	{"CATALOG_FETCH_TIMEOUT", "60s"},
	{"CATALOG_FETCH_ALLOW", ""},
	{"CATALOG_CACHE_TTL", "10m"},
	{"CART_ABANDON_AFTER", "24h"},
	{"STRIPE_API_BASE", ""},
	{"CHECKOUT_EXPIRY_GRACE", "10m"},
	{"CHECKOUT_CONCURRENCY", ""},
	{"ORDER_LOOKUP_PER_HOUR", "10"},
	{"ADMIN_IDLE_TIMEOUT", "30m"},
	{"CMS_TEMPLATE_SYNC_EVERY", "15m"},
	{"CART_RETENTION", "720h"},
	{"PPROF_ADDR", ""},
	{"METRICS_ADDR", "127.0.0.1:9090"},
}

// Config is the product's configuration.
type Config struct {
	HTTPAddr           string
	DatabaseURL        string
	RedisURL           string
	MasterKey          string
	MasterKeysOld      []string
	PlatformDomain     string
	PublicBaseURL      string
	LogLevel           string
	Env                string
	JWTSecret          string
	AccessTokenTTL     time.Duration
	RefreshTokenTTL    time.Duration
	RateLimitIP        int
	RateLimitTenant    int
	LoginMaxFailures   int
	LoginFailureWindow time.Duration
	BodyLimit          int
	ReadTimeout        time.Duration
	WriteTimeout       time.Duration
	ShutdownTimeout    time.Duration
	CacheTTL           time.Duration
	CORSExtraOrigins   []string
	OTLPEndpoint       string
	OTelServiceName    string
	JobWorkers         int
	JobTimeout         time.Duration
	JobRescueAfter     time.Duration
	DBMaxConns         int
	RedisPrefix        string
	PprofAddr          string
	// MetricsAddr is where /metrics is served; "" when METRICS_ADDR is off.
	MetricsAddr string

	WhatsAppAPIBaseURL       string
	WhatsAppAPIVersion       string
	WhatsAppVerifyToken      string
	WhatsAppAppSecret        string
	WhatsAppSendRate         int
	WhatsAppReengageTemplate string
	WhatsAppSweepAfter       time.Duration
	WhatsAppSendTimeout      time.Duration
	WhatsAppSendRescueAfter  time.Duration
	SandboxEnabled           bool

	CatalogUploadLimit   int
	CatalogFetchMaxBytes int
	CatalogFetchTimeout  time.Duration
	CatalogFetchAllow    []string
	CatalogCacheTTL      time.Duration

	CartAbandonAfter time.Duration
	CartRetention    time.Duration

	// StripeAPIBase is Stripe's API ("": https://api.stripe.com); tests and
	// the sandbox point it at stripe-mock.
	StripeAPIBase       string
	CheckoutExpiryGrace time.Duration
	CheckoutConcurrency int
	OrderLookupPerHour  int
	// CMSTemplateSyncEvery is how often every store's message templates
	// are read again from the Cloud API.
	CMSTemplateSyncEvery time.Duration
	// AdminIdleTimeout ends a dashboard session unused for that long.
	AdminIdleTimeout time.Duration
}

// Load reads the configuration from getenv (os.Getenv when nil).
func Load(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, v := range Vars {
			if v.Name == name {
				return v.Default
			}
		}
		panic("config: undocumented variable " + name)
	}
	var errs []string
	dur := func(name string) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Sprintf("%s: want a positive duration like 15m, got %q", name, get(name)))
		}
		return d
	}
	num := func(name string) int {
		n, err := strconv.Atoi(get(name))
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Sprintf("%s: want a positive integer, got %q", name, get(name)))
		}
		return n
	}
	// optNum is num where empty means 0 (the code picks).
	optNum := func(name string) int {
		if get(name) == "" {
			return 0
		}
		return num(name)
	}
	list := func(name string) []string {
		var out []string
		for _, s := range strings.Split(get(name), ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	c := Config{
		HTTPAddr:           get("HTTP_ADDR"),
		DatabaseURL:        get("DATABASE_URL"),
		RedisURL:           get("REDIS_URL"),
		MasterKey:          get("MASTER_KEY"),
		MasterKeysOld:      list("MASTER_KEYS_OLD"),
		PlatformDomain:     strings.ToLower(get("PLATFORM_DOMAIN")),
		PublicBaseURL:      strings.TrimRight(get("PUBLIC_BASE_URL"), "/"),
		LogLevel:           get("LOG_LEVEL"),
		Env:                get("ENV"),
		JWTSecret:          get("JWT_SECRET"),
		AccessTokenTTL:     dur("ACCESS_TOKEN_TTL"),
		RefreshTokenTTL:    dur("REFRESH_TOKEN_TTL"),
		RateLimitIP:        num("RATE_LIMIT_IP"),
		RateLimitTenant:    num("RATE_LIMIT_TENANT"),
		LoginMaxFailures:   num("LOGIN_MAX_FAILURES"),
		LoginFailureWindow: dur("LOGIN_FAILURE_WINDOW"),
		BodyLimit:          num("BODY_LIMIT"),
		ReadTimeout:        dur("READ_TIMEOUT"),
		WriteTimeout:       dur("WRITE_TIMEOUT"),
		ShutdownTimeout:    dur("SHUTDOWN_TIMEOUT"),
		CacheTTL:           dur("CACHE_TTL"),
		CORSExtraOrigins:   list("CORS_EXTRA_ORIGINS"),
		OTLPEndpoint:       get("OTEL_EXPORTER_OTLP_ENDPOINT"),
		OTelServiceName:    get("OTEL_SERVICE_NAME"),
		JobWorkers:         num("JOB_WORKERS"),
		JobTimeout:         dur("JOB_TIMEOUT"),
		JobRescueAfter:     dur("JOB_RESCUE_AFTER"),
		DBMaxConns:         num("DB_MAX_CONNS"),
		RedisPrefix:        get("REDIS_PREFIX"),
		PprofAddr:          getenv("PPROF_ADDR"),
		MetricsAddr:        get("METRICS_ADDR"),

		WhatsAppAPIBaseURL:       strings.TrimRight(get("WHATSAPP_API_BASE_URL"), "/"),
		WhatsAppAPIVersion:       get("WHATSAPP_API_VERSION"),
		WhatsAppVerifyToken:      get("WHATSAPP_VERIFY_TOKEN"),
		WhatsAppAppSecret:        get("WHATSAPP_APP_SECRET"),
		WhatsAppSendRate:         num("WHATSAPP_SEND_RATE"),
		WhatsAppReengageTemplate: get("WHATSAPP_REENGAGE_TEMPLATE"),
		WhatsAppSweepAfter:       dur("WHATSAPP_SWEEP_AFTER"),
		WhatsAppSendTimeout:      dur("WHATSAPP_SEND_TIMEOUT"),
		WhatsAppSendRescueAfter:  dur("WHATSAPP_SEND_RESCUE_AFTER"),

		CatalogUploadLimit:   num("CATALOG_UPLOAD_LIMIT"),
		CatalogFetchMaxBytes: num("CATALOG_FETCH_MAX_BYTES"),
		CatalogFetchTimeout:  dur("CATALOG_FETCH_TIMEOUT"),
		CatalogFetchAllow:    list("CATALOG_FETCH_ALLOW"),
		CatalogCacheTTL:      dur("CATALOG_CACHE_TTL"),

		CartAbandonAfter: dur("CART_ABANDON_AFTER"),
		CartRetention:    dur("CART_RETENTION"),

		StripeAPIBase:        get("STRIPE_API_BASE"),
		CheckoutExpiryGrace:  dur("CHECKOUT_EXPIRY_GRACE"),
		CheckoutConcurrency:  optNum("CHECKOUT_CONCURRENCY"),
		OrderLookupPerHour:   num("ORDER_LOOKUP_PER_HOUR"),
		CMSTemplateSyncEvery: dur("CMS_TEMPLATE_SYNC_EVERY"),
		AdminIdleTimeout:     dur("ADMIN_IDLE_TIMEOUT"),
	}
	switch sb := strings.ToLower(getenv("SANDBOX_ENABLED")); sb {
	case "":
		c.SandboxEnabled = c.Env != "production"
	case "1", "true", "yes", "on":
		c.SandboxEnabled = true
	case "0", "false", "no", "off":
	default:
		errs = append(errs, fmt.Sprintf("SANDBOX_ENABLED: want true or false, got %q", sb))
	}
	if strings.EqualFold(c.MetricsAddr, "off") {
		c.MetricsAddr = ""
	} else if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
		errs = append(errs, fmt.Sprintf("METRICS_ADDR: want host:port or off, got %q", c.MetricsAddr))
	}
	switch c.Env {
	case "dev", "test", "production":
	default:
		errs = append(errs, fmt.Sprintf("ENV: want dev, test or production, got %q", c.Env))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Sprintf("LOG_LEVEL: want debug, info, warn or error, got %q", c.LogLevel))
	}
	if c.Env == "production" && c.MasterKey == "" {
		errs = append(errs, "MASTER_KEY: required in production")
	}
	if c.JobRescueAfter <= c.JobTimeout {
		errs = append(errs, "JOB_RESCUE_AFTER: must exceed JOB_TIMEOUT")
	}
	if c.WhatsAppSendRescueAfter <= c.WhatsAppSendTimeout {
		errs = append(errs, "WHATSAPP_SEND_RESCUE_AFTER: must exceed WHATSAPP_SEND_TIMEOUT")
	}
	if c.Env == "production" && c.SandboxEnabled {
		errs = append(errs, "SANDBOX_ENABLED: the WhatsApp sandbox cannot run in production")
	}
	if c.Env == "production" && getenv("WHATSAPP_VERIFY_TOKEN") == "" {
		errs = append(errs, "WHATSAPP_VERIFY_TOKEN: required in production (the dev default is public)")
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// Help renders the variables as an aligned table for `concierge help`.
func Help(cat *i18n.Catalog, lang string) string {
	var b strings.Builder
	for _, v := range Vars {
		d := v.Default
		if d == "" {
			d = cat.Text(lang, "cli.empty", nil)
		}
		fmt.Fprintf(&b, "  %-28s %s\n  %-28s %s\n", v.Name, cat.Text(lang, "config."+v.Name, nil), "",
			cat.Text(lang, "cli.default", map[string]any{"value": d}))
	}
	return b.String()
}
