// Package catalog is what a merchant sells: categories (a tree), products with
// bilingual titles, descriptions and media, and the variants that carry the
// SKU, options, price and stock. It owns the staff API that edits them, the
// sync runs that import feeds (files and scheduled URL pulls), Arabic-aware
// search, the public products API served from a versioned Redis cache, and
// the WhatsApp browse steps.
//
// It is the reference module: the composition root sees three doors, New
// (Config, Deps), Service.Mount (the HTTP routes) and Service.Workers (the
// jobs), plus NewFlows for the dialog engine. Inside, the files read the same
// in every capability:
//
//	catalog.go            domain types, Config, Deps, Service, New
//	service*.go, sync*.go the service: public methods own the transaction
//	validate.go           the domain rules of staff input
//	store*.go             every SQL query, on private row types
//	search.go             query parsing and cursors (no SQL)
//	cache*.go             the versioned read cache and its private encoding
//	http*.go              handlers and the API's JSON shapes
//	flows*.go             the WhatsApp dialog steps
//	jobs.go               job args, workers, the consistency check
//
// Every table is tenant-isolated: all work goes through tenants.Scope's
// scoped transaction, and every cache key carries the tenant id. Every text a
// person reads is a message of the catalog (internal/i18n/messages/catalog*).
package catalog

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/i18n"
	"concierge/internal/safefetch"
	"concierge/modules/identity"
	"concierge/tenants"
)

// Product statuses.
const (
	StatusDraft    = "draft"
	StatusActive   = "active"
	StatusArchived = "archived"
)

// Stock states of a variant as the public API shows them.
const (
	StockIn        = "in_stock"
	StockOut       = "out_of_stock"
	StockUntracked = "untracked"
)

// Sync run states.
const (
	RunQueued    = "queued"
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
)

// Limits.
const (
	MaxOptions     = 3
	MaxMedia       = 20
	MaxVariants    = 100
	MaxBulk        = 1000
	MaxPageSize    = 100
	DefaultPerPage = 20
)

// ErrNotFound matches (errors.Is) every not_found error of the catalog: no
// such product, variant, picture, category, source or run.
var ErrNotFound = errs.New(errs.CodeNotFound, "catalog.not_found")

// Category is a node of the category tree.
type Category struct {
	ID        uuid.UUID
	ParentID  *uuid.UUID
	Slug      string
	NameAR    string
	NameEN    string
	Position  int
	ImageURL  string
	Products  int // active products in the category itself
	Total     int // distinct active products in the category and its sub-categories
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Product is one thing a merchant sells, in one or more variants.
type Product struct {
	ID            uuid.UUID
	Slug          string
	ExternalID    string
	Status        string
	Brand         string
	TitleAR       string
	TitleEN       string
	DescriptionAR string
	DescriptionEN string
	Attributes    map[string]string
	Link          string
	Currency      string
	MinPrice      int64
	MaxPrice      int64
	InStock       bool
	Categories    []CategoryRef
	Media         []Media
	Variants      []Variant
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// CategoryRef names a category a product is in.
type CategoryRef struct {
	ID     uuid.UUID
	Slug   string
	NameAR string
	NameEN string
}

// Media is a product picture.
type Media struct {
	ID       uuid.UUID
	URL      string
	AltAR    string
	AltEN    string
	Position int
}

// Option is one option value of a variant (Size: M), with its Arabic forms
// when the merchant gave them (المقاس: M).
type Option struct {
	Name    string
	Value   string
	NameAR  string
	ValueAR string
}

// NameIn is the option's name in locale, with fallback.
func (o Option) NameIn(locale string) string { return pick(locale, o.NameAR, o.Name) }

// ValueIn is the option's value in locale, with fallback.
func (o Option) ValueIn(locale string) string { return pick(locale, o.ValueAR, o.Value) }

// Variant is what is actually sold: a SKU with its options, price and stock.
type Variant struct {
	ID          uuid.UUID
	ProductID   uuid.UUID
	SKU         string
	Options     []Option
	Price       int64 // minor units of Currency
	CompareAt   int64 // 0: none
	Currency    string
	Stock       *int // nil: not tracked
	WeightGrams int
	Position    int
	Archived    bool
	UpdatedAt   time.Time
}

// StockState is the public stock state of the variant.
func (v Variant) StockState() string {
	switch {
	case v.Stock == nil:
		return StockUntracked
	case *v.Stock > 0:
		return StockIn
	}
	return StockOut
}

// Available reports whether the variant can be ordered now.
func (v Variant) Available() bool { return !v.Archived && (v.Stock == nil || *v.Stock > 0) }

// SaleVariant is a variant as a cart prices it: the variant (archived or
// not) with its product's titles and whether the product is on sale.
type SaleVariant struct {
	Variant
	TitleAR, TitleEN string // the product's
	ProductActive    bool
}

// OnSale reports whether the variant may be sold: not archived, its product
// active (stock aside).
func (v SaleVariant) OnSale() bool { return v.ProductActive && !v.Archived }

// Title returns the title in locale, falling back to the other language.
func (p Product) Title(locale string) string { return pick(locale, p.TitleAR, p.TitleEN) }

// Description returns the description in locale, with fallback.
func (p Product) Description(locale string) string {
	return pick(locale, p.DescriptionAR, p.DescriptionEN)
}

// Name returns the category name in locale, with fallback.
func (c Category) Name(locale string) string { return pick(locale, c.NameAR, c.NameEN) }

func pick(locale, ar, en string) string {
	if locale == "en" {
		if en != "" {
			return en
		}
		return ar
	}
	if ar != "" {
		return ar
	}
	return en
}

// Query selects products for a list or a search.
type Query struct {
	Q        string
	Category string // id or slug; includes its sub-categories
	Brand    string
	MinPrice *int64
	MaxPrice *int64
	InStock  bool
	// Options asks for variant option values by kind ("size" → "M",
	// "colour" → "Black"; optionKind): a product qualifies when its
	// variants that are not archived carry every one.
	Options map[string]string
	// Understand reads constraints out of Q (Understand: price bounds,
	// sizes, colours the store uses) and applies them as filters, unless
	// Literal names them: "all" keeps every word as text, or a comma list
	// of filter names ("colour,max_price") to keep.
	Understand bool
	Literal    string
	Status     string // "" → active only (public); staff may ask for any
	Cursor     string
	Limit      int
}

// Page is one page of products.
type Page struct {
	Items      []Product
	NextCursor string
	// Applied are the filters read out of the query's words (Understand),
	// each with the words it came from, so a client can show and undo them.
	Applied []AppliedFilter
}

// Config holds the catalog's settings.
type Config struct {
	// CacheTTL bounds how long an entry lives under one version (a safety
	// net: versions, not TTLs, keep reads fresh).
	CacheTTL time.Duration
	// Fetch configures URL pulls (SSRF rules, limits, test allow-list).
	Fetch safefetch.Config
	// ConsistencySample is how many cached products the check compares per
	// tenant and run.
	ConsistencySample int
	// UploadLimit is the largest catalog file a request may carry
	// (CATALOG_UPLOAD_LIMIT); zero means 64 MiB.
	UploadLimit int
	// AllowHTTPLinks lets product links, pictures, category images and feed
	// URLs be http:// as well as https:// (dev and test; production takes
	// https only).
	AllowHTTPLinks bool
}

// Jobs inserts River jobs inside the caller's transaction.
type Jobs interface {
	InsertTx(ctx context.Context, tx bun.Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// Auditor records staff changes (audit.Log) in the change's transaction.
type Auditor interface {
	Record(ctx context.Context, tx bun.IDB, e tenants.AuditEntry) error
}

// Deps are the catalog's collaborators.
type Deps struct {
	Scope *tenants.Scope
	// Audit records every staff change with its actor (nil: none).
	Audit       Auditor
	Tenants     *tenants.Service
	Jobs        Jobs
	Redis       redis.UniversalClient
	RedisPrefix string
	Log         *slog.Logger
	Now         func() time.Time
	// Actor names who acts in a context (the runs' requested_by); nil:
	// identity.ActorFrom.
	Actor func(context.Context) identity.Actor
	// Messages renders the texts people read (run errors, reasons); nil:
	// the embedded catalog.
	Messages *i18n.Catalog
}

// Service is the catalog.
type Service struct {
	cfg      Config
	scope    *tenants.Scope
	tenants  *tenants.Service
	jobs     Jobs
	cache    *cache
	fetch    *safefetch.Fetcher
	log      *slog.Logger
	now      func() time.Time
	actor    func(context.Context) identity.Actor
	messages *i18n.Catalog
	metrics  *metrics
	audit    Auditor
}

// New builds the service.
func New(cfg Config, d Deps) *Service {
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 10 * time.Minute
	}
	if cfg.ConsistencySample <= 0 {
		cfg.ConsistencySample = 500
	}
	if cfg.UploadLimit <= 0 {
		cfg.UploadLimit = 64 << 20
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	actor := d.Actor
	if actor == nil {
		actor = identity.ActorFrom
	}
	msgs := d.Messages
	if msgs == nil {
		msgs = i18n.MustLoad()
	}
	m := newMetrics()
	return &Service{
		cfg: cfg, scope: d.Scope, tenants: d.Tenants, jobs: d.Jobs,
		cache: newCache(d.Redis, d.RedisPrefix, cfg.CacheTTL, log, m),
		fetch: safefetch.New(cfg.Fetch), log: log, now: now, actor: actor, messages: msgs, metrics: m,
		audit: d.Audit,
	}
}

// tenantOf returns the tenant of ctx, failing closed.
func tenantOf(ctx context.Context) (*tenants.Tenant, error) { return tenants.FromContext(ctx) }
