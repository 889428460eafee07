package checkout

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/arabic"
	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/modules/orders"
	"concierge/tenants"
)

// Mount serves checkout: POST /checkout/init and /checkout/confirm on the
// public door (tenant from the Host; Idempotency-Key taken), the staff
// cash-on-delivery routes (orders:write), the payment settings (owner
// only: payments:read, payments:write) and the providers' webhooks at
// /payments/{provider}/webhook/{tenant_slug}.
func (s *Service) Mount(r httpx.Routers) {
	h := &handlers{svc: s, validate: r.Validator}
	idem := func(c *fiber.Ctx) error { return c.Next() }
	if s.idem != nil {
		idem = s.idem.Middleware(idempotencyScope)
	}
	staffIdem := func(c *fiber.Ctx) error { return c.Next() }
	if s.idem != nil {
		staffIdem = s.idem.Middleware(orderScope)
	}
	r.Public.Post("/checkout/init", idem, h.init)
	r.Public.Post("/checkout/confirm", idem, h.confirm)
	r.Staff.Post("/orders/:id/cod-collected", r.Allow("orders", "write"), h.codCollected)
	r.Staff.Post("/orders/:id/cod-refused", r.Allow("orders", "write"), h.codRefused)
	r.Staff.Post("/orders/:id/refunds", r.Allow("orders", "write"), staffIdem, h.refund)
	r.Staff.Get("/settings/payments", r.Allow("payments", "read"), h.getSettings)
	r.Staff.Put("/settings/payments", r.Allow("payments", "write"), h.putSettings)
	r.Webhooks.Post("/payments/:provider/webhook/:tenant", r.TenantFromPath("tenant"), h.webhook)
}

type handlers struct {
	svc      *Service
	validate *httpx.Validator
}

// idempotencyScope keeps keys apart per tenant and cart (or order): a key
// answers only for the checkout it was used on.
func idempotencyScope(c *fiber.Ctx) (string, bool) {
	t, err := tenants.FromContext(c.UserContext())
	if err != nil {
		return "", false
	}
	var body struct {
		CartID  string `json:"cart_id"`
		OrderID string `json:"order_id"`
	}
	_ = json.Unmarshal(c.Body(), &body)
	switch {
	case body.CartID != "" && len(body.CartID) <= 64:
		return t.ID.String() + ":checkout:" + body.CartID, true
	case body.OrderID != "" && len(body.OrderID) <= 64:
		return t.ID.String() + ":confirm:" + body.OrderID, true
	}
	return "", false
}

// orderScope keeps a staff route's keys apart per tenant and order.
func orderScope(c *fiber.Ctx) (string, bool) {
	t, err := tenants.FromContext(c.UserContext())
	if err != nil {
		return "", false
	}
	if _, err := uuid.Parse(c.Params("id")); err != nil {
		return "", false
	}
	return t.ID.String() + ":order:" + c.Params("id") + ":" + c.Route().Path, true
}

// ---- requests ----

type initReq struct {
	CartID        string      `json:"cart_id" validate:"required,max=64"`
	Customer      customerReq `json:"customer"`
	Address       addressReq  `json:"address"`
	PaymentMethod string      `json:"payment_method" validate:"required,max=32"`
	Notes         string      `json:"notes" validate:"max=500"`
	Locale        string      `json:"locale" validate:"omitempty,oneof=ar en"`
}

type customerReq struct {
	Name  string `json:"name" validate:"required,max=100"`
	Phone string `json:"phone" validate:"required,max=32"`
}

type addressReq struct {
	BuildingNumber   string       `json:"building_number" validate:"required,max=16"`
	Street           string       `json:"street" validate:"required,max=200"`
	District         string       `json:"district" validate:"required,max=100"`
	City             string       `json:"city" validate:"required,max=100"`
	PostalCode       string       `json:"postal_code" validate:"required,max=16"`
	AdditionalNumber string       `json:"additional_number" validate:"max=16"`
	ShortAddress     string       `json:"short_address" validate:"max=16"`
	Notes            string       `json:"notes" validate:"max=300"`
	Location         *locationReq `json:"location"`
}

type locationReq struct {
	Lat *float64 `json:"lat" validate:"required,gte=-90,lte=90"`
	Lng *float64 `json:"lng" validate:"required,gte=-180,lte=180"`
}

type confirmReq struct {
	OrderID string `json:"order_id" validate:"required,max=64"`
}

type refundReq struct {
	Amount int64  `json:"amount" validate:"min=0,max=1000000000000"`
	Reason string `json:"reason" validate:"max=500"`
}

type noteReq struct {
	Note string `json:"note" validate:"max=1000"`
}

var (
	fourDigits   = regexp.MustCompile(`^[0-9]{4}$`)
	fiveDigits   = regexp.MustCompile(`^[0-9]{5}$`)
	shortAddress = regexp.MustCompile(`^[A-Z]{4}[0-9]{4}$`)
)

// AddressInput is an address as a person typed it.
type AddressInput struct {
	BuildingNumber, Street, District, City, PostalCode, AdditionalNumber, ShortAddress, Notes string
	Location                                                                                  *orders.Location
}

// ParseAddress checks a Saudi National Address (digits may be typed in
// Arabic-Indic) and returns it cleaned, or the field errors, named under
// prefix ("address."). Required: building number (4 digits), street,
// district, city, postal code (5 digits); optional: additional number (4
// digits), short address (AAAA0000).
func ParseAddress(in AddressInput, prefix string) (orders.Address, []errs.FieldError) {
	var fe []errs.FieldError
	digits := func(s string) string { return strings.ReplaceAll(arabic.DigitsToASCII(strings.TrimSpace(s)), " ", "") }
	a := orders.Address{BuildingNumber: digits(in.BuildingNumber), Street: strings.TrimSpace(in.Street), District: strings.TrimSpace(in.District),
		City: strings.TrimSpace(in.City), PostalCode: digits(in.PostalCode), AdditionalNumber: digits(in.AdditionalNumber),
		ShortAddress: strings.ToUpper(strings.ReplaceAll(digits(in.ShortAddress), "-", "")), Notes: strings.TrimSpace(in.Notes), Location: in.Location}
	if !fourDigits.MatchString(a.BuildingNumber) {
		fe = append(fe, errs.Field(prefix+"building_number", "format", "checkout.field.building_number"))
	}
	if !fiveDigits.MatchString(a.PostalCode) {
		fe = append(fe, errs.Field(prefix+"postal_code", "format", "checkout.field.postal_code"))
	}
	if a.AdditionalNumber != "" && !fourDigits.MatchString(a.AdditionalNumber) {
		fe = append(fe, errs.Field(prefix+"additional_number", "format", "checkout.field.additional_number"))
	}
	if a.ShortAddress != "" && !shortAddress.MatchString(a.ShortAddress) {
		fe = append(fe, errs.Field(prefix+"short_address", "format", "checkout.field.short_address"))
	}
	for name, v := range map[string]string{"street": a.Street, "district": a.District, "city": a.City} {
		if v == "" {
			fe = append(fe, errs.Field(prefix+name, "required", "field.required"))
		}
	}
	return a, fe
}

// bind decodes and checks a request; the field errors of the tags and of
// check come back together.
func (h *handlers) bind(c *fiber.Ctx, dst any, check func() []errs.FieldError) error {
	err := httpx.Bind(c, h.validate, dst)
	if err != nil && errs.CodeOf(err) != errs.CodeInvalid {
		return err
	}
	fields := errs.FieldsOf(err)
	named := map[string]bool{}
	for _, f := range fields {
		named[f.Field] = true
	}
	for _, f := range check() {
		if !named[f.Field] {
			fields = append(fields, f)
		}
	}
	if len(fields) > 0 {
		return errs.Invalid(fields...)
	}
	return nil
}

// ---- answers ----

type apiCheckout struct {
	Order   orders.APIOrder    `json:"order"`
	Payment *orders.APIPayment `json:"payment"`
}

func toAPICheckout(r *InitResult) apiCheckout {
	out := apiCheckout{Order: orders.ToAPIOrder(*r.Order)}
	if p := r.Payment; p != nil {
		ap := orders.ToAPIPayment(orders.Payment{ID: p.ID, Provider: p.Provider, Status: string(p.Status), Amount: p.Amount, Currency: p.Currency,
			Captured: p.Captured, Refunded: p.Refunded, RedirectURL: p.RedirectURL, ExpiresAt: p.ExpiresAt, CreatedAt: p.CreatedAt})
		out.Payment = &ap
	}
	return out
}

// ---- handlers ----

func (h *handlers) init(c *fiber.Ctx) error {
	var req initReq
	var (
		addr  orders.Address
		phone string
	)
	err := h.bind(c, &req, func() []errs.FieldError {
		var fe []errs.FieldError
		in := AddressInput{BuildingNumber: req.Address.BuildingNumber, Street: req.Address.Street, District: req.Address.District,
			City: req.Address.City, PostalCode: req.Address.PostalCode, AdditionalNumber: req.Address.AdditionalNumber,
			ShortAddress: req.Address.ShortAddress, Notes: req.Address.Notes}
		if l := req.Address.Location; l != nil && l.Lat != nil && l.Lng != nil {
			in.Location = &orders.Location{Lat: *l.Lat, Lng: *l.Lng}
		}
		addr, fe = ParseAddress(in, "address.")
		if req.Customer.Phone != "" {
			p, err := orders.ParsePhone(req.Customer.Phone)
			if err != nil {
				fe = append(fe, errs.Field("customer.phone", "format", "checkout.field.phone"))
			}
			phone = p
		}
		return fe
	})
	if err != nil {
		return err
	}
	locale := req.Locale
	if locale == "" {
		locale = httpx.Lang(c)
	}
	res, err := h.svc.Init(c.UserContext(), InitRequest{CartID: req.CartID, CustomerName: req.Customer.Name, CustomerPhone: phone,
		Locale: locale, Address: addr, Method: req.PaymentMethod, Notes: req.Notes, Actor: "customer:web"})
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if res.Created {
		status = fiber.StatusCreated
	}
	c.Set(fiber.HeaderLocation, "/api/v1/orders/"+res.Order.ID.String())
	return c.Status(status).JSON(toAPICheckout(res))
}

func (h *handlers) confirm(c *fiber.Ctx) error {
	var req confirmReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	id, err := uuid.Parse(req.OrderID)
	if err != nil {
		return orders.ErrNotFound
	}
	res, err := h.svc.Confirm(c.UserContext(), id, "customer:web")
	if err != nil {
		return err
	}
	return c.JSON(toAPICheckout(res))
}

func orderID(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, orders.ErrNotFound
	}
	return id, nil
}

func (h *handlers) codCollected(c *fiber.Ctx) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	o, pay, err := h.svc.CODCollected(c.UserContext(), id, h.svc.actor(c.UserContext()))
	if err != nil {
		return err
	}
	return c.JSON(toAPICheckout(&InitResult{Order: o, Payment: pay}))
}

func (h *handlers) codRefused(c *fiber.Ctx) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	var req noteReq
	if len(c.Body()) > 0 {
		if err := httpx.Bind(c, h.validate, &req); err != nil {
			return err
		}
	}
	o, err := h.svc.CODRefused(c.UserContext(), id, h.svc.actor(c.UserContext()), req.Note)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"order": orders.ToAPIOrder(*o)})
}

func (h *handlers) refund(c *fiber.Ctx) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	var req refundReq
	if len(c.Body()) > 0 {
		if err := httpx.Bind(c, h.validate, &req); err != nil {
			return err
		}
	}
	o, pay, err := h.svc.Refund(c.UserContext(), id, req.Amount, h.svc.actor(c.UserContext()), req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(toAPICheckout(&InitResult{Order: o, Payment: pay}))
}

func (h *handlers) getSettings(c *fiber.Ctx) error {
	all, err := h.svc.PaymentSettings(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(h.svc.encodeSettings(all))
}

func (h *handlers) putSettings(c *fiber.Ctx) error {
	var raw map[string]map[string]json.RawMessage
	if err := httpx.Decode(c, &raw); err != nil {
		return err
	}
	changes, err := h.svc.decodeSettings(raw)
	if err != nil {
		return err
	}
	all, err := h.svc.UpdatePaymentSettings(c.UserContext(), changes)
	if err != nil {
		return err
	}
	return c.JSON(h.svc.encodeSettings(all))
}

func (h *handlers) webhook(c *fiber.Ctx) error {
	header := http.Header{}
	c.Request().Header.VisitAll(func(k, v []byte) { header.Add(string(k), string(v)) })
	res, err := h.svc.Webhook(c.UserContext(), c.Params("provider"), header, c.Body())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"received": res.Events, "applied": res.Applied, "unmatched": res.Unmatched, "at": h.svc.now().UTC().Format(time.RFC3339)})
}
