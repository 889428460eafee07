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
)

// Var documents one environment variable.
type Var struct {
	Name    string
	Default string
	Help    string
}

// Vars is every environment variable the product reads, with its default.
var Vars = []Var{
	{"HTTP_ADDR", "127.0.0.1:8080", "listen address of the HTTP gateway"},
	{"DATABASE_URL", "postgres://postgres@127.0.0.1:54329/concierge?sslmode=disable", "PostgreSQL connection URL (make run starts a private server and sets it)"},
	{"REDIS_URL", "redis://127.0.0.1:63799/0", "Redis connection URL (make run starts a private server and sets it)"},
	{"MASTER_KEY", "", "base64 of 32 bytes sealing tenant secrets (AES-256-GCM); required outside dev. make run generates one into .data/master.key"},
	{"MASTER_KEYS_OLD", "", "comma-separated base64 keys still accepted for opening secrets sealed before a rotation"},
	{"PLATFORM_DOMAIN", "localhost", "tenants are served at <slug>.<PLATFORM_DOMAIN>"},
	{"PUBLIC_BASE_URL", "http://localhost:8080", "public URL of the gateway, used in links"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"ENV", "dev", "dev, test or production; production refuses dev defaults"},
	{"JWT_SECRET", "", "HMAC key for access tokens (base64 or text, at least 32 bytes); derived from MASTER_KEY when empty"},
	{"ACCESS_TOKEN_TTL", "15m", "lifetime of JWT access tokens"},
	{"REFRESH_TOKEN_TTL", "720h", "lifetime of refresh tokens"},
	{"RATE_LIMIT_IP", "100", "requests per second allowed per client IP (burst the same)"},
	{"RATE_LIMIT_TENANT", "1000", "requests per second allowed per tenant (burst the same)"},
	{"LOGIN_MAX_FAILURES", "5", "failed logins per email and IP within LOGIN_FAILURE_WINDOW before 429"},
	{"LOGIN_FAILURE_WINDOW", "15m", "window for counting failed logins"},
	{"BODY_LIMIT", "1048576", "largest request body in bytes (413 above it)"},
	{"READ_TIMEOUT", "15s", "HTTP read timeout"},
	{"WRITE_TIMEOUT", "30s", "HTTP write timeout"},
	{"SHUTDOWN_TIMEOUT", "20s", "grace period for draining requests and jobs on shutdown"},
	{"CACHE_TTL", "5m", "lifetime of cached tenant resolution and store profiles"},
	{"CORS_EXTRA_ORIGINS", "", "comma-separated origins allowed besides each tenant's own domains"},
	{"OTEL_EXPORTER_OTLP_ENDPOINT", "", "OTLP/HTTP endpoint for traces (e.g. http://127.0.0.1:4318); tracing stays in-process when empty"},
	{"OTEL_SERVICE_NAME", "concierge", "service name on traces"},
	{"JOB_WORKERS", "10", "concurrent jobs per queue in the worker"},
	{"JOB_TIMEOUT", "1m", "longest a single job attempt may run"},
	{"JOB_RESCUE_AFTER", "5m", "a job running longer than this (its worker died) is taken back by another worker; must exceed JOB_TIMEOUT"},
	{"DB_MAX_CONNS", "20", "largest PostgreSQL pool size"},
	{"REDIS_PREFIX", "cc:", "prefix of every Redis key (tests give each test its own)"},
	{"WHATSAPP_API_BASE_URL", "", "Cloud API base URL; empty means Meta's https://graph.facebook.com, or the built-in emulator (http://HTTP_ADDR/sandbox/graph) when the sandbox is on"},
	{"WHATSAPP_API_VERSION", "v23.0", "Graph API version in Cloud API request paths"},
	{"WHATSAPP_VERIFY_TOKEN", "concierge-dev-verify", "token Meta echoes when verifying the webhook (GET /webhook/whatsapp); required outside dev"},
	{"WHATSAPP_APP_SECRET", "", "platform Meta app secret, used to check X-Hub-Signature-256 when a number has none of its own"},
	{"WHATSAPP_SEND_RATE", "20", "messages per second sent per business number (GCRA in Redis)"},
	{"WHATSAPP_REENGAGE_TEMPLATE", "concierge_reengage", "approved template (one body parameter) used for replies outside the 24-hour window"},
	{"WHATSAPP_SWEEP_AFTER", "1m", "inbound messages still unprocessed after this long are reported and re-queued by the sweeper"},
	{"WHATSAPP_SEND_TIMEOUT", "15s", "longest one send attempt may run, its Cloud API call included (instead of JOB_TIMEOUT); an unanswered send stays \"sending\" until settled"},
	{"WHATSAPP_SEND_RESCUE_AFTER", "45s", "a send job still running this long after it began (its worker died) is rescued, and a message left \"sending\" this long without a status webhook proving it went out is sent again; must exceed WHATSAPP_SEND_TIMEOUT"},
	{"SANDBOX_ENABLED", "", "serve the WhatsApp sandbox (/sandbox and the Cloud API emulator); default on in dev and test, refused in production"},
	{"CATALOG_UPLOAD_LIMIT", "67108864", "largest catalog file accepted by POST /api/v1/catalog/imports and upload sources, in bytes (other requests keep BODY_LIMIT)"},
	{"CATALOG_FETCH_MAX_BYTES", "67108864", "largest feed a URL source may return, in bytes"},
	{"CATALOG_FETCH_TIMEOUT", "60s", "longest a feed URL pull may take"},
	{"CATALOG_FETCH_ALLOW", "", "comma-separated CIDRs or IPs that feed URL pulls may reach despite the SSRF rules (loopback, private, link-local, metadata); for tests and on-premise feeds only"},
	{"CATALOG_CACHE_TTL", "10m", "lifetime of a cached catalog read under one catalog version (writes bump the version, so this is only a safety net)"},
	{"PPROF_ADDR", "", "when set (e.g. 127.0.0.1:6060), serve Go's pprof profiles there; keep it off public interfaces"},
	{"METRICS_ADDR", "127.0.0.1:9090", "private listener serving Prometheus /metrics (never served on HTTP_ADDR); each process on a machine needs its own (e.g. 127.0.0.1:9091 for the worker), :0 picks a free port, off disables"},
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
func Help() string {
	var b strings.Builder
	for _, v := range Vars {
		d := v.Default
		if d == "" {
			d = "(empty)"
		}
		fmt.Fprintf(&b, "  %-28s %s\n  %-28s default: %s\n", v.Name, v.Help, "", d)
	}
	return b.String()
}
