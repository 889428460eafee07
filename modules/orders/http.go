package orders

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/httpx"
)

// Mount serves the staff reads: GET /orders (orders:read; ?phone, ?status,
// ?cursor, ?limit), GET /orders/{id} and GET /orders/{id}/timeline; the
// staff moves, POST /orders/{id}/transitions (orders:write); and the public
// lookup, POST /orders/lookup (tenant from the Host).
func (s *Service) Mount(r httpx.Routers) {
	r.Staff.Get("/orders", r.Allow("orders", "read"), s.list)
	r.Staff.Get("/orders/:id", r.Allow("orders", "read"), s.get)
	r.Staff.Get("/orders/:id/timeline", r.Allow("orders", "read"), s.timeline)
	r.Public.Post("/orders/lookup", func(c *fiber.Ctx) error { return s.lookup(c, r.Validator) })
	r.Staff.Post("/orders/:id/transitions", r.Allow("orders", "write"), func(c *fiber.Ctx) error { return s.transition(c, r.Validator) })
}

// transitionBody is POST /orders/{id}/transitions.
type transitionBody struct {
	To             string `json:"to" validate:"required,oneof=processing shipped delivered cancelled"`
	TrackingNumber string `json:"tracking_number" validate:"max=100"`
	TrackingURL    string `json:"tracking_url" validate:"omitempty,max=1000,weburl"`
	Carrier        string `json:"carrier" validate:"max=100"`
	Note           string `json:"note" validate:"max=1000"`
}

func (s *Service) transition(c *fiber.Ctx, v *httpx.Validator) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	var b transitionBody
	if err := httpx.Bind(c, v, &b); err != nil {
		return err
	}
	ctx := c.UserContext()
	o, err := s.Transition(ctx, id, Transition{To: b.To, Note: b.Note, Actor: s.actor(ctx),
		Tracking: Tracking{Number: b.TrackingNumber, URL: b.TrackingURL, Carrier: b.Carrier}})
	if err != nil {
		return err
	}
	return c.JSON(ToAPIOrder(*o))
}

// ---- JSON shapes (docs/openapi.yaml) ----

// APIBilingual is a text in both languages.
type APIBilingual struct {
	AR string `json:"ar"`
	EN string `json:"en"`
}

// APILine is an order line.
type APILine struct {
	SKU       string       `json:"sku"`
	VariantID uuid.UUID    `json:"variant_id"`
	ProductID uuid.UUID    `json:"product_id"`
	Title     APIBilingual `json:"title"`
	Options   APIBilingual `json:"options"`
	Quantity  int          `json:"quantity"`
	UnitPrice int64        `json:"unit_price"`
	Total     int64        `json:"total"`
}

// APITotals are an order's money, minor units.
type APITotals struct {
	Currency string `json:"currency"`
	Subtotal int64  `json:"subtotal"`
	Discount int64  `json:"discount"`
	Shipping int64  `json:"shipping"`
	VAT      int64  `json:"vat"`
	Total    int64  `json:"total"`
	VATRate  int    `json:"vat_rate_bp"`
	VATIncl  bool   `json:"vat_included"`
}

// APIAddress is a Saudi National Address.
type APIAddress struct {
	BuildingNumber   string       `json:"building_number"`
	Street           string       `json:"street"`
	District         string       `json:"district"`
	City             string       `json:"city"`
	PostalCode       string       `json:"postal_code"`
	AdditionalNumber string       `json:"additional_number,omitempty"`
	ShortAddress     string       `json:"short_address,omitempty"`
	Notes            string       `json:"notes,omitempty"`
	Location         *APILocation `json:"location,omitempty"`
}

// APILocation is a map pin.
type APILocation struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// APICustomer is who ordered.
type APICustomer struct {
	Name       string     `json:"name"`
	Phone      string     `json:"phone"`
	Locale     string     `json:"locale"`
	CustomerID *uuid.UUID `json:"customer_id,omitempty"`
}

// APIOrder is an order as the API shows it.
type APIOrder struct {
	ID            uuid.UUID    `json:"id"`
	Number        string       `json:"number"`
	Status        string       `json:"status"`
	Channel       string       `json:"channel"`
	CartID        string       `json:"cart_id"`
	PaymentMethod string       `json:"payment_method"`
	Customer      APICustomer  `json:"customer"`
	Address       APIAddress   `json:"address"`
	Notes         string       `json:"notes"`
	Items         []APILine    `json:"items"`
	Totals        APITotals    `json:"totals"`
	ConfirmedAt   *time.Time   `json:"confirmed_at"`
	CancelledAt   *time.Time   `json:"cancelled_at"`
	RefusedAt     *time.Time   `json:"refused_at,omitempty"`
	ShippedAt     *time.Time   `json:"shipped_at,omitempty"`
	DeliveredAt   *time.Time   `json:"delivered_at,omitempty"`
	Tracking      *APITracking `json:"tracking,omitempty"`
	Allowed       []string     `json:"allowed_transitions"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
	Timeline      []APIEvent   `json:"timeline,omitempty"`
	Payments      []APIPayment `json:"payments,omitempty"`
}

// APITracking is how a shipped order can be followed.
type APITracking struct {
	Number  string `json:"number,omitempty"`
	URL     string `json:"url,omitempty"`
	Carrier string `json:"carrier,omitempty"`
}

// APIEvent is a timeline entry.
type APIEvent struct {
	Kind  string            `json:"kind"`
	From  string            `json:"from,omitempty"`
	To    string            `json:"to,omitempty"`
	Actor string            `json:"actor"`
	Note  string            `json:"note,omitempty"`
	Data  map[string]string `json:"data,omitempty"`
	At    time.Time         `json:"at"`
}

// APIPayment is a payment as the API shows it.
type APIPayment struct {
	ID          uuid.UUID  `json:"id"`
	Provider    string     `json:"provider"`
	Status      string     `json:"status"`
	Amount      int64      `json:"amount"`
	Currency    string     `json:"currency"`
	Captured    int64      `json:"captured"`
	Refunded    int64      `json:"refunded"`
	RedirectURL string     `json:"redirect_url,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

// ToAPIOrder converts an order for the API.
func ToAPIOrder(o Order) APIOrder {
	a := APIOrder{ID: o.ID, Number: strconv.FormatInt(o.Number, 10), Status: o.Status, Channel: o.Channel, CartID: o.CartID,
		PaymentMethod: o.PaymentMethod, Customer: APICustomer{Name: o.CustomerName, Phone: o.CustomerPhone, Locale: o.Locale, CustomerID: o.CustomerID},
		Address: APIAddress{BuildingNumber: o.Address.BuildingNumber, Street: o.Address.Street, District: o.Address.District, City: o.Address.City,
			PostalCode: o.Address.PostalCode, AdditionalNumber: o.Address.AdditionalNumber, ShortAddress: o.Address.ShortAddress, Notes: o.Address.Notes},
		Notes: o.Notes, Items: make([]APILine, len(o.Lines)),
		Totals: APITotals{Currency: o.Totals.Currency, Subtotal: o.Totals.Subtotal, Discount: o.Totals.Discount, Shipping: o.Totals.Shipping,
			VAT: o.Totals.VAT, Total: o.Totals.Total, VATRate: o.Totals.VATRateBP, VATIncl: o.Totals.VATIncluded},
		ConfirmedAt: o.ConfirmedAt, CancelledAt: o.CancelledAt, RefusedAt: o.RefusedAt, ShippedAt: o.ShippedAt, DeliveredAt: o.DeliveredAt,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Allowed: StaffMoves(o.Status)}
	if o.Tracking != (Tracking{}) {
		a.Tracking = &APITracking{Number: o.Tracking.Number, URL: o.Tracking.URL, Carrier: o.Tracking.Carrier}
	}
	if l := o.Address.Location; l != nil {
		a.Address.Location = &APILocation{Lat: l.Lat, Lng: l.Lng}
	}
	for i, l := range o.Lines {
		a.Items[i] = APILine{SKU: l.SKU, VariantID: l.VariantID, ProductID: l.ProductID, Title: APIBilingual{l.TitleAR, l.TitleEN},
			Options: APIBilingual{l.OptionsAR, l.OptionsEN}, Quantity: l.Quantity, UnitPrice: l.UnitPrice, Total: l.Total()}
	}
	return a
}

// ToAPIPayment converts a payment for the API.
func ToAPIPayment(p Payment) APIPayment {
	return APIPayment{ID: p.ID, Provider: p.Provider, Status: p.Status, Amount: p.Amount, Currency: p.Currency, Captured: p.Captured,
		Refunded: p.Refunded, RedirectURL: p.RedirectURL, ExpiresAt: p.ExpiresAt, CreatedAt: p.CreatedAt}
}

func toAPIEvents(evs []Event) []APIEvent {
	out := make([]APIEvent, len(evs))
	for i, e := range evs {
		out[i] = APIEvent{Kind: e.Kind, From: e.From, To: e.To, Actor: e.Actor, Note: e.Note, Data: e.Data, At: e.At}
	}
	return out
}

type apiPage struct {
	Items      []APIOrder `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// ---- handlers ----

// orderID parses the :id of a route; a malformed id names no order.
func orderID(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, ErrNotFound
	}
	return id, nil
}

func (s *Service) get(c *fiber.Ctx) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	d, err := s.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	a := ToAPIOrder(d.Order)
	a.Timeline = toAPIEvents(d.Events)
	a.Payments = make([]APIPayment, len(d.Payments))
	for i, p := range d.Payments {
		a.Payments[i] = ToAPIPayment(p)
	}
	return c.JSON(a)
}

func (s *Service) timeline(c *fiber.Ctx) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	evs, err := s.Timeline(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": toAPIEvents(evs)})
}

func (s *Service) list(c *fiber.Ctx) error {
	q := ListQuery{Phone: c.Query("phone"), Status: c.Query("status"), Cursor: c.Query("cursor")}
	var fields []errs.FieldError
	if q.Phone != "" {
		p, err := ParsePhone(q.Phone)
		if err != nil {
			fields = append(fields, errs.Field("phone", "e164", "field.e164"))
		}
		q.Phone = p
	}
	if q.Status != "" && !validStatus(q.Status) {
		fields = append(fields, errs.Field("status", "oneof", "field.oneof", "param", "pending_payment confirmed processing shipped delivered cancelled returned"))
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxListPage {
			fields = append(fields, errs.Field("limit", "max", "field.max", "param", MaxListPage))
		}
		q.Limit = n
	}
	if len(fields) > 0 {
		return errs.Invalid(fields...)
	}
	page, err := s.List(c.UserContext(), q)
	if err != nil {
		return err
	}
	out := apiPage{Items: make([]APIOrder, len(page.Items)), NextCursor: page.NextCursor}
	for i, o := range page.Items {
		out.Items[i] = ToAPIOrder(o)
	}
	return c.JSON(out)
}

// staffAllowed lists the moves staff may make from status.
// StaffMoves lists the statuses staff may move an order in status to.
func StaffMoves(status string) []string {
	out := []string{}
	for _, to := range transitions[status] {
		for _, t := range StaffTargets {
			if t == to {
				out = append(out, to)
			}
		}
	}
	return out
}

func validStatus(s string) bool {
	for _, st := range Statuses {
		if st == s {
			return true
		}
	}
	return false
}
