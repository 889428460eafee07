package returns

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/modules/orders"
)

// Mount serves returns: the staff routes (returns:read, returns:write) —
// POST /returns (a return recorded for a customer), GET /returns
// (?status, ?cursor, ?limit), GET /returns/{id}, POST
// /returns/{id}/decision, POST /returns/{id}/received, GET
// /returns/{id}/media/{media_id} (the photo itself) —, the window
// (GET/PUT /settings/returns: settings:read, settings:write) and, on the
// public door, POST /returns/customer: a shopper's own request, proven by
// the order's number and phone (a wrong pair answers like an unknown
// order).
func (s *Service) Mount(r httpx.Routers) {
	h := &handlers{svc: s, validate: r.Validator}
	r.Staff.Post("/returns", r.Allow("returns", "write"), h.create)
	r.Staff.Get("/returns", r.Allow("returns", "read"), h.list)
	r.Staff.Get("/returns/:id", r.Allow("returns", "read"), h.get)
	r.Staff.Post("/returns/:id/decision", r.Allow("returns", "write"), h.decide)
	r.Staff.Post("/returns/:id/received", r.Allow("returns", "write"), h.received)
	r.Staff.Get("/returns/:id/media/:media_id", r.Allow("returns", "read"), h.media)
	r.Staff.Get("/settings/returns", r.Allow("settings", "read"), h.getSettings)
	r.Staff.Put("/settings/returns", r.Allow("settings", "write"), h.putSettings)
	r.Public.Post("/returns/customer", h.customerCreate)
}

type handlers struct {
	svc      *Service
	validate *httpx.Validator
}

// ---- requests ----

type itemReq struct {
	SKU       string `json:"sku" validate:"max=64"`
	VariantID string `json:"variant_id" validate:"omitempty,uuid"`
	Quantity  int    `json:"quantity" validate:"required,min=1,max=999"`
}

type createReq struct {
	OrderID    string    `json:"order_id" validate:"required,uuid"`
	Items      []itemReq `json:"items" validate:"required,min=1,max=50,dive"`
	Reason     string    `json:"reason" validate:"required,oneof=wrong_size damaged not_as_described changed_mind other"`
	ReasonText string    `json:"reason_text" text:"multiline" validate:"max=500"`
	Note       string    `json:"note" text:"multiline" validate:"max=1000"`
}

type customerReq struct {
	OrderID     string    `json:"order_id" validate:"required,uuid"`
	OrderNumber int64     `json:"order_number" validate:"required,min=1,max=9007199254740991"`
	Phone       string    `json:"phone" validate:"required,max=32"`
	Items       []itemReq `json:"items" validate:"required,min=1,max=50,dive"`
	Reason      string    `json:"reason" validate:"required,oneof=wrong_size damaged not_as_described changed_mind other"`
	ReasonText  string    `json:"reason_text" text:"multiline" validate:"max=500"`
}

type decisionReq struct {
	Decision     string `json:"decision" validate:"required,oneof=approve reject"`
	Note         string `json:"note" text:"multiline" validate:"max=1000"`
	RefundAmount *int64 `json:"refund_amount" validate:"omitempty,min=0,max=1000000000000"`
}

type settingsReq struct {
	WindowDays *int       `json:"window_days" validate:"required,min=0,max=365"`
	UpdatedAt  *time.Time `json:"updated_at"` // GET's answer sent back
}

func toLineRequests(items []itemReq) []LineRequest {
	out := make([]LineRequest, len(items))
	for i, it := range items {
		out[i] = LineRequest{SKU: it.SKU, Quantity: it.Quantity}
		if id, err := uuid.Parse(it.VariantID); err == nil {
			out[i].VariantID = id
		}
	}
	return out
}

// ---- answers (docs/openapi.yaml: Return, ReturnSettings) ----

// APIBilingual is a text in both languages.
type APIBilingual struct {
	AR string `json:"ar"`
	EN string `json:"en"`
}

// APILine is an item of a return.
type APILine struct {
	Position  int          `json:"position"`
	VariantID uuid.UUID    `json:"variant_id"`
	SKU       string       `json:"sku"`
	Title     APIBilingual `json:"title"`
	Quantity  int          `json:"quantity"`
	UnitPrice int64        `json:"unit_price"`
	Total     int64        `json:"total"`
}

// APIMedia is a photo of a return.
type APIMedia struct {
	ID        uuid.UUID `json:"id"`
	Status    string    `json:"status"`
	MimeType  string    `json:"mime_type,omitempty"`
	SizeBytes *int64    `json:"size_bytes,omitempty"`
	SHA256    string    `json:"sha256,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	URL       string    `json:"url,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// APIEvent is a timeline entry.
type APIEvent struct {
	Kind  string            `json:"kind"`
	Actor string            `json:"actor"`
	Note  string            `json:"note,omitempty"`
	Data  map[string]string `json:"data,omitempty"`
	At    time.Time         `json:"at"`
}

// APIReturn is a return as the API shows it.
type APIReturn struct {
	ID           uuid.UUID  `json:"id"`
	RMA          string     `json:"rma"`
	Number       int64      `json:"number"`
	OrderID      uuid.UUID  `json:"order_id"`
	OrderNumber  string     `json:"order_number"`
	CustomerID   *uuid.UUID `json:"customer_id,omitempty"`
	Channel      string     `json:"channel"`
	Status       string     `json:"status"`
	Reason       string     `json:"reason"`
	ReasonText   string     `json:"reason_text"`
	Items        []APILine  `json:"items"`
	Total        int64      `json:"total"`
	Currency     string     `json:"currency"`
	RefundAmount int64      `json:"refund_amount"`
	RefundStatus string     `json:"refund_status"`
	RefundError  string     `json:"refund_error,omitempty"`
	RefundedAt   *time.Time `json:"refunded_at"`
	DecisionNote string     `json:"decision_note"`
	DecidedBy    string     `json:"decided_by"`
	DecidedAt    *time.Time `json:"decided_at"`
	ReceivedAt   *time.Time `json:"received_at"`
	CreatedBy    string     `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	Media        []APIMedia `json:"media,omitempty"`
	Timeline     []APIEvent `json:"timeline,omitempty"`
}

// ToAPIReturn converts a return for the API.
func ToAPIReturn(r Return) APIReturn {
	a := APIReturn{ID: r.ID, RMA: r.RMA(), Number: r.Number, OrderID: r.OrderID, OrderNumber: strconv.FormatInt(r.OrderNumber, 10),
		CustomerID: r.CustomerID, Channel: r.Channel, Status: r.Status, Reason: r.Reason, ReasonText: r.ReasonText,
		Items: make([]APILine, len(r.Lines)), Total: r.Total(), Currency: r.Currency, RefundAmount: r.RefundAmount,
		RefundStatus: r.RefundStatus, RefundError: r.RefundError, RefundedAt: r.RefundedAt, DecisionNote: r.DecisionNote,
		DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt, ReceivedAt: r.ReceivedAt, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	for i, l := range r.Lines {
		a.Items[i] = APILine{Position: l.Position, VariantID: l.VariantID, SKU: l.SKU, Title: APIBilingual{l.TitleAR, l.TitleEN},
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, Total: l.Total()}
	}
	return a
}

func toAPIDetail(d *Detail) APIReturn {
	a := ToAPIReturn(d.Return)
	a.Media = make([]APIMedia, len(d.Media))
	for i, m := range d.Media {
		a.Media[i] = APIMedia{ID: m.ID, Status: m.Status, MimeType: m.MimeType, SizeBytes: m.SizeBytes, SHA256: m.SHA256, Reason: m.Reason, CreatedAt: m.CreatedAt}
		if m.Status == MediaStored {
			a.Media[i].URL = "/api/v1/returns/" + d.ID.String() + "/media/" + m.ID.String()
		}
	}
	a.Timeline = make([]APIEvent, len(d.Events))
	for i, e := range d.Events {
		a.Timeline[i] = APIEvent{Kind: e.Kind, Actor: e.Actor, Note: e.Note, Data: e.Data, At: e.At}
	}
	return a
}

type apiPage struct {
	Items      []APIReturn `json:"items"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

type apiSettings struct {
	WindowDays int        `json:"window_days"`
	UpdatedAt  *time.Time `json:"updated_at"`
}

// ---- handlers ----

// returnID parses the :id of a route; a malformed id names no return.
func returnID(c *fiber.Ctx, param string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params(param))
	if err != nil {
		if param == "media_id" {
			return uuid.Nil, ErrMediaNotFound
		}
		return uuid.Nil, ErrNotFound
	}
	return id, nil
}

func (h *handlers) create(c *fiber.Ctx) error {
	var req createReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	r, err := h.svc.Create(ctx, Request{OrderID: uuid.MustParse(req.OrderID), Channel: ChannelStaff, Actor: h.svc.actor(ctx),
		Lines: toLineRequests(req.Items), Reason: req.Reason, ReasonText: req.ReasonText, Note: req.Note})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, "/api/v1/returns/"+r.ID.String())
	return c.Status(fiber.StatusCreated).JSON(ToAPIReturn(*r))
}

func (h *handlers) customerCreate(c *fiber.Ctx) error {
	var req customerReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	phone, err := orders.ParsePhone(req.Phone)
	if err != nil {
		return errs.Invalid(errs.Field("phone", "e164", "field.e164"))
	}
	r, err := h.svc.Create(c.UserContext(), Request{OrderID: uuid.MustParse(req.OrderID), Channel: ChannelWeb, OrderNumber: req.OrderNumber,
		Phone: phone, Actor: "customer:web", Lines: toLineRequests(req.Items), Reason: req.Reason, ReasonText: req.ReasonText})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ToAPIReturn(*r))
}

func (h *handlers) list(c *fiber.Ctx) error {
	q := Query{Status: c.Query("status"), Cursor: c.Query("cursor")}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxListPage {
			return errs.Invalid(errs.Field("limit", "range", "field.range", "min", 1, "max", MaxListPage))
		}
		q.Limit = n
	}
	page, err := h.svc.List(c.UserContext(), q)
	if err != nil {
		return err
	}
	out := apiPage{Items: make([]APIReturn, len(page.Items)), NextCursor: page.NextCursor}
	for i, r := range page.Items {
		out.Items[i] = ToAPIReturn(r)
	}
	return c.JSON(out)
}

func (h *handlers) get(c *fiber.Ctx) error {
	id, err := returnID(c, "id")
	if err != nil {
		return err
	}
	d, err := h.svc.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(toAPIDetail(d))
}

func (h *handlers) decide(c *fiber.Ctx) error {
	id, err := returnID(c, "id")
	if err != nil {
		return err
	}
	var req decisionReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	r, err := h.svc.Decide(c.UserContext(), id, Decision{Approve: req.Decision == "approve", Note: req.Note, RefundAmount: req.RefundAmount})
	if err != nil {
		return err
	}
	return c.JSON(ToAPIReturn(*r))
}

func (h *handlers) received(c *fiber.Ctx) error {
	id, err := returnID(c, "id")
	if err != nil {
		return err
	}
	r, err := h.svc.MarkReceived(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(ToAPIReturn(*r))
}

func (h *handlers) media(c *fiber.Ctx) error {
	id, err := returnID(c, "id")
	if err != nil {
		return err
	}
	mid, err := returnID(c, "media_id")
	if err != nil {
		return err
	}
	data, mime, err := h.svc.Media(c.UserContext(), id, mid)
	if err != nil {
		return err
	}
	// Only the allowed image types are ever stored (by their declared type
	// and their first bytes); the browser is told not to guess otherwise
	// nor to run anything in it.
	c.Set(fiber.HeaderContentType, mime)
	c.Set(fiber.HeaderContentDisposition, "inline")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; sandbox")
	c.Set(fiber.HeaderCacheControl, "private, max-age=300")
	return c.Send(data)
}

func (h *handlers) getSettings(c *fiber.Ctx) error {
	set, err := h.svc.Settings(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(apiSettings{WindowDays: set.WindowDays, UpdatedAt: set.UpdatedAt})
}

func (h *handlers) putSettings(c *fiber.Ctx) error {
	var req settingsReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	set, err := h.svc.UpdateSettings(c.UserContext(), Settings{WindowDays: *req.WindowDays})
	if err != nil {
		return err
	}
	return c.JSON(apiSettings{WindowDays: set.WindowDays, UpdatedAt: set.UpdatedAt})
}
