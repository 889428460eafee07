// Package cart is what a customer is about to buy, and what it costs: carts
// of a WhatsApp customer (one open cart each) or of an anonymous web shopper
// (an unguessable id is the bearer of access), their lines (one per variant,
// with the unit price applied now), the tenant's pricing (VAT rate, whether
// catalog prices include VAT, shipping zones, a default fee, a free-shipping
// threshold) and the one place totals are computed (Price), which checkout
// calls too. It offers the public cart API and the staff pricing settings and
// abandoned-cart list (http.go), the WhatsApp cart steps (flows*.go) and the
// abandon and retention sweeps (jobs.go).
//
// The files read as in every capability:
//
//	cart.go           domain types, Config, Deps, Service, New
//	pricing.go        totals, VAT rounding, shipping, city matching (no SQL)
//	service.go        the cart operations: each public method owns its transaction
//	service_pricing.go the pricing settings
//	store*.go         every SQL query, on private row types
//	http*.go          handlers and the API's JSON shapes
//	flows*.go         the WhatsApp steps (a dialog.Capability named "cart")
//	jobs.go           the abandon and retention sweeps
//
// Concurrency: every change locks the cart's row (SELECT ... FOR UPDATE) in
// the tenant's transaction, so concurrent adds, edits and the sweeps take
// turns whichever process they run in; a WhatsApp turn's change joins the
// conversation worker's transaction and commits or rolls back with the turn.
// docs/cart.md explains the model, the rounding rule and the flows.
package cart

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/i18n"
	"concierge/internal/idempotency"
	"concierge/modules/catalog"
	"concierge/tenants"
)

// Cart statuses. An abandoned cart is still its owner's: the next change
// makes it active again. A converted cart was checked out and changes no
// more.
const (
	StatusActive    = "active"
	StatusAbandoned = "abandoned"
	StatusConverted = "converted"
)

// Channels a cart belongs to.
const (
	ChannelWeb      = "web"
	ChannelWhatsApp = "whatsapp"
)

// Limits.
const (
	MaxQuantity = 999 // per line
	MaxLines    = 50  // distinct variants per cart
	MaxZones    = 200 // shipping zones per tenant
	MaxAliases  = 10  // extra names per zone
	MaxListPage = 100
)

// EventAbandoned is the kind of the event the abandon sweep records.
const EventAbandoned = "abandoned"

// ErrNotFound matches (errors.Is) every not_found error of the cart.
var ErrNotFound = errs.New(errs.CodeNotFound, "cart.not_found")

// Cart is a cart with its lines, priced now.
type Cart struct {
	ID         string
	Channel    string
	CustomerID *uuid.UUID // WhatsApp carts
	Status     string
	Currency   string
	City       string // the delivery city when known (WhatsApp: typed by the customer)
	Lines      []Line
	Totals     Totals
	ExpiresAt  *time.Time // web carts: deleted after it
	CreatedAt  time.Time
	UpdatedAt  time.Time

	zones int // the tenant's shipping zones when priced (a typed city can set the fee)
}

// Items is the number of pieces in the cart (the sum of the quantities of
// the lines that can be sold).
func (c *Cart) Items() int {
	n := 0
	for _, l := range c.Lines {
		if l.Available {
			n += l.Quantity
		}
	}
	return n
}

// Line is one variant in a cart.
type Line struct {
	VariantID uuid.UUID
	ProductID uuid.UUID
	SKU       string
	TitleAR   string
	TitleEN   string
	OptionsAR string // "أسود / M"
	OptionsEN string // "Black / M"
	Quantity  int
	UnitPrice int64 // minor units, the price applied now
	// PreviousPrice is the unit price before a change the shopper has not
	// been shown yet (nil: none); a read shows it once.
	PreviousPrice *int64
	// Available is false when the variant is no longer sold (archived, its
	// product withdrawn, or out of stock): the line stays, outside the totals.
	Available bool
	// Stock is the variant's stock when tracked (nil: untracked); a line
	// whose quantity exceeds it is short.
	Stock   *int
	AddedAt time.Time

	position int // the order lines were added in
}

// Total is the line's price: unit price × quantity.
func (l Line) Total() int64 { return l.UnitPrice * int64(l.Quantity) }

// PriceChanged reports whether the price changed since the shopper last saw
// the line.
func (l Line) PriceChanged() bool { return l.PreviousPrice != nil }

// Short reports whether the stock is below the line's quantity.
func (l Line) Short() bool { return l.Stock != nil && *l.Stock < l.Quantity }

// Title is the line's title in locale, with fallback.
func (l Line) Title(locale string) string { return pick(locale, l.TitleAR, l.TitleEN) }

// Options is the line's option values in locale, with fallback.
func (l Line) Options(locale string) string { return pick(locale, l.OptionsAR, l.OptionsEN) }

// Totals is what the cart costs, in minor units of Currency (see Price).
type Totals struct {
	Currency string
	Subtotal int64 // the lines, as the catalog prices them
	Discount int64 // none yet; subtracted before shipping and VAT
	Shipping int64
	VAT      int64 // included in Total either way
	Total    int64
	// VATRateBP and VATIncluded say how VAT was computed: included in the
	// prices (extracted) or added to them.
	VATRateBP   int
	VATIncluded bool
	// ShippingKnown is false when no delivery city is known (Shipping is 0
	// then, unless the free-shipping threshold is reached); ShippingZone
	// names the zone that priced it (nil: the default fee or free).
	ShippingKnown bool
	ShippingZone  *Zone
	// FreeShippingRemaining is what the goods lack to reach the
	// free-shipping threshold (0 when reached or when there is none).
	FreeShippingRemaining int64
}

// Settings are a tenant's pricing settings.
type Settings struct {
	Currency         string // the tenant's (read-only here)
	VATRateBP        int    // basis points: 1500 = 15 %
	PricesIncludeVAT bool
	Zones            []Zone
	// DefaultFee is the fee for cities in no zone; nil: the store delivers
	// only to its zones.
	DefaultFee *int64
	// FreeShippingThreshold: goods worth at least this ship free (0: never).
	FreeShippingThreshold int64
	UpdatedAt             time.Time
}

// Zone is a city the store delivers to, with its flat fee.
type Zone struct {
	NameAR  string
	NameEN  string
	Aliases []string // other spellings ("Makkah", "Mecca")
	Fee     int64
}

// Name is the zone's name in locale, with fallback.
func (z Zone) Name(locale string) string { return pick(locale, z.NameAR, z.NameEN) }

// DefaultSettings are the pricing of a tenant that set none: VAT 15 %
// included in the prices, free delivery everywhere.
func DefaultSettings(currency string) Settings {
	free := int64(0)
	return Settings{Currency: currency, VATRateBP: 1500, PricesIncludeVAT: true, DefaultFee: &free}
}

// ShippingQuote is what delivery to a city costs for a cart.
type ShippingQuote struct {
	City      string
	Zone      *Zone // nil: the default fee
	Fee       int64 // 0 when free
	Free      bool  // the free-shipping threshold is reached
	Threshold int64 // 0: none
	Remaining int64 // what the goods lack to ship free
	Currency  string
}

// Summary is a cart in the staff list.
type Summary struct {
	ID          string
	Channel     string
	CustomerID  *uuid.UUID
	Status      string
	Currency    string
	Items       int
	Value       int64 // the subtotal at the last change
	UpdatedAt   time.Time
	AbandonedAt *time.Time
}

// ListQuery selects carts for the staff list.
type ListQuery struct {
	Status string // active, abandoned (default) or converted
	Cursor string
	Limit  int
}

// ListPage is one page of the staff list.
type ListPage struct {
	Items      []Summary
	NextCursor string
}

// Catalog is what the cart needs of the catalog (*catalog.Service is one):
// the variants of its lines and the variant an SKU names, read in the cart's
// own transaction, and, for the WhatsApp steps, a product by id.
type Catalog interface {
	// SaleVariants reads variants by id (archived or not, with their
	// products' titles and status) in tx; unknown ids are absent.
	SaleVariants(ctx context.Context, tx bun.IDB, ids []uuid.UUID) (map[uuid.UUID]catalog.SaleVariant, error)
	// SaleVariantBySKU reads the variant on sale with sku in tx. Errors:
	// not_found.
	SaleVariantBySKU(ctx context.Context, tx bun.IDB, sku string) (catalog.SaleVariant, error)
	// Product returns an active product by id. Errors: not_found.
	Product(ctx context.Context, ref string) (*catalog.Product, error)
}

// Config holds the cart's settings.
type Config struct {
	// AbandonAfter: a cart untouched this long is abandoned
	// (CART_ABANDON_AFTER, 24h).
	AbandonAfter time.Duration
	// Retention: an anonymous cart untouched this long expires and is
	// deleted (CART_RETENTION, 30 days).
	Retention time.Duration
	// Idempotency shapes the Idempotency-Key store (24 h keys).
	Idempotency idempotency.Config
}

// Deps are the cart's collaborators.
type Deps struct {
	Scope       *tenants.Scope
	Tenants     Tenants // the tenant's currency where the context lacks it
	Catalog     Catalog
	Redis       redis.UniversalClient // Idempotency-Key answers; nil: keys are ignored
	RedisPrefix string
	Audit       Auditor
	Log         *slog.Logger
	Now         func() time.Time
	Messages    *i18n.Catalog
}

// Tenants finds a tenant (*tenants.Service is one).
type Tenants interface {
	Get(ctx context.Context, idOrSlug string) (*tenants.Tenant, error)
}

// Auditor records staff actions (modules/audit's Log).
type Auditor interface {
	Record(ctx context.Context, tx bun.IDB, e tenants.AuditEntry) error
}

// Service is the cart.
type Service struct {
	cfg      Config
	scope    *tenants.Scope
	tenants  Tenants
	catalog  Catalog
	idem     *idempotency.Store
	audit    Auditor
	log      *slog.Logger
	now      func() time.Time
	messages *i18n.Catalog
}

// New builds the service.
func New(cfg Config, d Deps) *Service {
	if cfg.AbandonAfter <= 0 {
		cfg.AbandonAfter = 24 * time.Hour
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	msgs := d.Messages
	if msgs == nil {
		msgs = i18n.MustLoad()
	}
	s := &Service{cfg: cfg, scope: d.Scope, tenants: d.Tenants, catalog: d.Catalog, audit: d.Audit, log: log, now: now, messages: msgs}
	if d.Redis != nil {
		s.idem = idempotency.New(d.Redis, d.RedisPrefix, cfg.Idempotency, log)
	}
	return s
}

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
