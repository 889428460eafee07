package cart

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/tenants"
)

// handlers serve the public cart API (tenant from the Host; the cart id is
// the bearer of access), the staff list of carts and the pricing settings.
type handlers struct {
	svc      *Service
	validate *httpx.Validator
}

// Mount serves the cart API on the public door and the staff routes (the
// carts list: carts:read; pricing settings: settings:read and
// settings:write). Every mutating cart route takes an Idempotency-Key.
func (s *Service) Mount(r httpx.Routers) {
	h := &handlers{svc: s, validate: r.Validator}
	idem := func(c *fiber.Ctx) error { return c.Next() }
	if s.idem != nil {
		idem = s.idem.Middleware(idempotencyScope)
	}
	p := r.Public
	p.Post("/carts", idem, h.create)
	p.Get("/carts/:id", h.get)
	p.Post("/carts/:id/items", idem, h.add)
	p.Patch("/carts/:id/items/:sku", idem, h.setQuantity)
	p.Delete("/carts/:id/items/:sku", idem, h.remove)
	p.Delete("/carts/:id/items", idem, h.clear)
	p.Get("/carts/:id/shipping", h.shipping)

	r.Staff.Get("/carts", r.Allow("carts", "read"), h.list)
	r.Staff.Get("/settings/pricing", r.Allow("settings", "read"), h.getSettings)
	r.Staff.Put("/settings/pricing", r.Allow("settings", "write"), h.putSettings)
}

// idempotencyScope keeps Idempotency-Keys apart per tenant and cart: the
// cart id is the bearer of access, so a key used on one cart never answers
// for another, and two anonymous shoppers who both send "1" never meet. A
// new cart has no id yet: its keys are scoped by the client's address.
func idempotencyScope(c *fiber.Ctx) (string, bool) {
	t, err := tenants.FromContext(c.UserContext())
	if err != nil {
		return "", false
	}
	if id := c.Params("id"); id != "" {
		// A malformed id names no cart (404 without a query): nothing
		// worth remembering for a day.
		return t.ID.String() + ":cart:" + id, validID(id)
	}
	return t.ID.String() + ":new:" + c.IP(), true
}

// ---- JSON shapes (docs/openapi.yaml) ----

type bilingual struct {
	AR string `json:"ar"`
	EN string `json:"en"`
}

type apiLine struct {
	SKU               string    `json:"sku"`
	VariantID         uuid.UUID `json:"variant_id"`
	ProductID         uuid.UUID `json:"product_id"`
	Title             bilingual `json:"title"`
	Options           bilingual `json:"options"`
	Quantity          int       `json:"quantity"`
	UnitPrice         int64     `json:"unit_price"`
	Total             int64     `json:"total"`
	PriceChanged      bool      `json:"price_changed"`
	PreviousUnitPrice *int64    `json:"previous_unit_price,omitempty"`
	Available         bool      `json:"available"`
	StockShort        bool      `json:"stock_short"`
	AddedAt           time.Time `json:"added_at"`
}

type apiTotals struct {
	Subtotal int64 `json:"subtotal"`
	Discount int64 `json:"discount"`
	Shipping int64 `json:"shipping"`
	VAT      int64 `json:"vat"`
	Total    int64 `json:"total"`
}

type apiVAT struct {
	RateBP   int  `json:"rate_bp"`
	Included bool `json:"included"`
}

type apiShippingState struct {
	City                  string   `json:"city,omitempty"`
	Known                 bool     `json:"known"`
	Zone                  *apiZone `json:"zone"`
	FreeShippingRemaining int64    `json:"free_shipping_remaining"`
}

type apiCart struct {
	ID        string           `json:"id"`
	Status    string           `json:"status"`
	Channel   string           `json:"channel"`
	Currency  string           `json:"currency"`
	Items     []apiLine        `json:"items"`
	ItemCount int              `json:"item_count"`
	Totals    apiTotals        `json:"totals"`
	VAT       apiVAT           `json:"vat"`
	Shipping  apiShippingState `json:"shipping"`
	ExpiresAt *time.Time       `json:"expires_at"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

type apiZone struct {
	NameAR  string   `json:"name_ar"`
	NameEN  string   `json:"name_en"`
	Aliases []string `json:"aliases"`
	Fee     int64    `json:"fee"`
}

func toAPIZone(z Zone) apiZone {
	a := apiZone{NameAR: z.NameAR, NameEN: z.NameEN, Aliases: z.Aliases, Fee: z.Fee}
	if a.Aliases == nil {
		a.Aliases = []string{}
	}
	return a
}

func toAPICart(c *Cart) apiCart {
	a := apiCart{ID: c.ID, Status: c.Status, Channel: c.Channel, Currency: c.Currency, Items: make([]apiLine, len(c.Lines)),
		ItemCount: c.Items(), ExpiresAt: c.ExpiresAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		Totals: apiTotals{Subtotal: c.Totals.Subtotal, Discount: c.Totals.Discount, Shipping: c.Totals.Shipping, VAT: c.Totals.VAT, Total: c.Totals.Total},
		VAT:    apiVAT{RateBP: c.Totals.VATRateBP, Included: c.Totals.VATIncluded},
		Shipping: apiShippingState{City: c.City, Known: c.Totals.ShippingKnown,
			FreeShippingRemaining: c.Totals.FreeShippingRemaining}}
	if z := c.Totals.ShippingZone; z != nil {
		az := toAPIZone(*z)
		a.Shipping.Zone = &az
	}
	for i, l := range c.Lines {
		a.Items[i] = apiLine{SKU: l.SKU, VariantID: l.VariantID, ProductID: l.ProductID, Title: bilingual{l.TitleAR, l.TitleEN},
			Options: bilingual{l.OptionsAR, l.OptionsEN}, Quantity: l.Quantity, UnitPrice: l.UnitPrice, Total: l.Total(),
			PriceChanged: l.PriceChanged(), PreviousUnitPrice: l.PreviousPrice, Available: l.Available, StockShort: l.Short(),
			AddedAt: l.AddedAt}
	}
	return a
}

type apiShipping struct {
	City                  string   `json:"city"`
	Zone                  *apiZone `json:"zone"`
	Fee                   int64    `json:"fee"`
	Free                  bool     `json:"free"`
	FreeShippingThreshold int64    `json:"free_shipping_threshold"`
	FreeShippingRemaining int64    `json:"free_shipping_remaining"`
	Currency              string   `json:"currency"`
}

type apiSummary struct {
	ID          string     `json:"id"`
	Status      string     `json:"status"`
	Channel     string     `json:"channel"`
	Customer    *apiWho    `json:"customer"`
	Currency    string     `json:"currency"`
	ItemCount   int        `json:"item_count"`
	Value       int64      `json:"value"`
	UpdatedAt   time.Time  `json:"updated_at"`
	AbandonedAt *time.Time `json:"abandoned_at"`
}

type apiWho struct {
	ID      uuid.UUID `json:"id"`
	Channel string    `json:"channel"`
}

type apiSummaries struct {
	Items      []apiSummary `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

type apiSettings struct {
	Currency              string     `json:"currency"`
	VATRateBP             int        `json:"vat_rate_bp"`
	PricesIncludeVAT      bool       `json:"prices_include_vat"`
	Zones                 []apiZone  `json:"zones"`
	DefaultFee            *int64     `json:"default_fee"`
	FreeShippingThreshold int64      `json:"free_shipping_threshold"`
	UpdatedAt             *time.Time `json:"updated_at"`
}

func toAPISettings(s Settings) apiSettings {
	a := apiSettings{Currency: s.Currency, VATRateBP: s.VATRateBP, PricesIncludeVAT: s.PricesIncludeVAT, Zones: make([]apiZone, len(s.Zones)),
		DefaultFee: s.DefaultFee, FreeShippingThreshold: s.FreeShippingThreshold}
	for i, z := range s.Zones {
		a.Zones[i] = toAPIZone(z)
	}
	if !s.UpdatedAt.IsZero() {
		u := s.UpdatedAt
		a.UpdatedAt = &u
	}
	return a
}

// ---- requests ----

type addReq struct {
	SKU      string `json:"sku" validate:"required,max=64"`
	Quantity int    `json:"quantity" validate:"min=1,max=999"`
}

type quantityReq struct {
	Quantity *int `json:"quantity" validate:"required,min=0,max=999"`
}

type zoneReq struct {
	NameAR  string   `json:"name_ar" validate:"max=100"`
	NameEN  string   `json:"name_en" validate:"max=100"`
	Aliases []string `json:"aliases" validate:"max=10,dive,max=100"`
	Fee     *int64   `json:"fee" validate:"required,min=0,max=1000000000000"`
}

type settingsReq struct {
	// Currency is the tenant's and cannot change here; a client may send
	// back what GET gave.
	Currency              string    `json:"currency" validate:"omitempty,iso4217"`
	VATRateBP             *int      `json:"vat_rate_bp" validate:"required,min=0,max=10000"`
	PricesIncludeVAT      *bool     `json:"prices_include_vat" validate:"required"`
	Zones                 []zoneReq `json:"zones" validate:"max=200,dive"`
	DefaultFee            *int64    `json:"default_fee" validate:"omitnil,min=0,max=1000000000000"`
	FreeShippingThreshold int64     `json:"free_shipping_threshold" validate:"min=0,max=1000000000000"`
	UpdatedAt             *string   `json:"updated_at"`
}

// ---- handlers ----

func (h *handlers) create(c *fiber.Ctx) error {
	// The body is optional: nothing, or an empty object.
	if len(c.Body()) > 0 {
		var req struct{}
		if err := httpx.Bind(c, h.validate, &req); err != nil {
			return err
		}
	}
	cart, err := h.svc.Create(c.UserContext())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, "/api/v1/carts/"+cart.ID)
	return c.Status(fiber.StatusCreated).JSON(toAPICart(cart))
}

func (h *handlers) get(c *fiber.Ctx) error {
	cart, err := h.svc.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(toAPICart(cart))
}

func (h *handlers) add(c *fiber.Ctx) error {
	var req addReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	return h.answer(c)(h.svc.Add(c.UserContext(), c.Params("id"), req.SKU, req.Quantity))
}

func (h *handlers) setQuantity(c *fiber.Ctx) error {
	var req quantityReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	return h.answer(c)(h.svc.SetQuantity(c.UserContext(), c.Params("id"), c.Params("sku"), *req.Quantity))
}

func (h *handlers) remove(c *fiber.Ctx) error {
	return h.answer(c)(h.svc.Remove(c.UserContext(), c.Params("id"), c.Params("sku")))
}

func (h *handlers) clear(c *fiber.Ctx) error {
	return h.answer(c)(h.svc.Clear(c.UserContext(), c.Params("id")))
}

// answer writes a changed cart.
func (h *handlers) answer(c *fiber.Ctx) func(*Cart, error) error {
	return func(cart *Cart, err error) error {
		if err != nil {
			return err
		}
		return c.JSON(toAPICart(cart))
	}
}

func (h *handlers) shipping(c *fiber.Ctx) error {
	q, err := h.svc.Shipping(c.UserContext(), c.Params("id"), c.Query("city"))
	if err != nil {
		return err
	}
	a := apiShipping{City: q.City, Fee: q.Fee, Free: q.Free, FreeShippingThreshold: q.Threshold, FreeShippingRemaining: q.Remaining, Currency: q.Currency}
	if q.Zone != nil {
		z := toAPIZone(*q.Zone)
		a.Zone = &z
	}
	return c.JSON(a)
}

func (h *handlers) list(c *fiber.Ctx) error {
	q := ListQuery{Status: c.Query("status", StatusAbandoned), Cursor: c.Query("cursor")}
	switch q.Status {
	case StatusActive, StatusAbandoned, StatusConverted:
	default:
		return errs.Invalid(errs.Field("status", "oneof", "field.oneof", "param", "active abandoned converted"))
	}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxListPage {
			return errs.Invalid(errs.Field("limit", "range", "field.range", "min", 1, "max", MaxListPage))
		}
		q.Limit = n
	}
	page, err := h.svc.List(c.UserContext(), q)
	if err != nil {
		return err
	}
	out := apiSummaries{Items: make([]apiSummary, len(page.Items)), NextCursor: page.NextCursor}
	for i, s := range page.Items {
		out.Items[i] = apiSummary{ID: s.ID, Status: s.Status, Channel: s.Channel, Currency: s.Currency, ItemCount: s.Items,
			Value: s.Value, UpdatedAt: s.UpdatedAt, AbandonedAt: s.AbandonedAt}
		if s.CustomerID != nil {
			out.Items[i].Customer = &apiWho{ID: *s.CustomerID, Channel: s.Channel}
		}
	}
	return c.JSON(out)
}

func (h *handlers) getSettings(c *fiber.Ctx) error {
	s, err := h.svc.PricingSettings(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(toAPISettings(s))
}

func (h *handlers) putSettings(c *fiber.Ctx) error {
	var req settingsReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	in := Settings{Currency: req.Currency, VATRateBP: *req.VATRateBP, PricesIncludeVAT: *req.PricesIncludeVAT, DefaultFee: req.DefaultFee,
		FreeShippingThreshold: req.FreeShippingThreshold, Zones: make([]Zone, len(req.Zones))}
	for i, z := range req.Zones {
		in.Zones[i] = Zone{NameAR: z.NameAR, NameEN: z.NameEN, Aliases: z.Aliases, Fee: *z.Fee}
	}
	out, err := h.svc.UpdatePricingSettings(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.JSON(toAPISettings(out))
}
