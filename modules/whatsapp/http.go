package whatsapp

import (
	"crypto/subtle"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/httpx"
)

// HTTP serves the WhatsApp webhook and the staff conversation API.
type HTTP struct {
	svc         *Service
	validate    *httpx.Validator
	verifyToken string
}

// NewHTTP builds the handlers; verifyToken is WHATSAPP_VERIFY_TOKEN.
func NewHTTP(svc *Service, v *httpx.Validator, verifyToken string) *HTTP {
	return &HTTP{svc: svc, validate: v, verifyToken: verifyToken}
}

// WebhookRoutes mounts GET and POST /webhook/whatsapp. They sit outside
// tenant resolution and staff auth: the payload names the number, and the
// signature proves the sender.
func (h *HTTP) WebhookRoutes(r fiber.Router) {
	r.Get("/webhook/whatsapp", h.verify)
	r.Post("/webhook/whatsapp", h.ingest)
}

// verify answers Meta's subscription check: hub.mode=subscribe and the
// configured token → 200 with hub.challenge as plain text; anything else 403.
func (h *HTTP) verify(c *fiber.Ctx) error {
	mode, token, challenge := c.Query("hub.mode"), c.Query("hub.verify_token"), c.Query("hub.challenge")
	if mode != "subscribe" || h.verifyToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(h.verifyToken)) != 1 {
		return ErrVerifyMismatch
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.SendString(challenge)
}

// ingest stores every message and status of a webhook, with its processing
// job, before answering 200.
func (h *HTTP) ingest(c *fiber.Ctx) error {
	res, err := h.svc.Ingest(c.UserContext(), c.Body(), c.Get("X-Hub-Signature-256"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"stored": res.Stored, "duplicates": res.Duplicates, "statuses": res.Statuses, "unrouted": res.Unrouted})
}

// StaffRoutes mounts the conversation API for staff of the request's
// tenant (conversations permission).
func (h *HTTP) StaffRoutes(r httpx.Routers) {
	read, write := r.Allow("conversations", "read"), r.Allow("conversations", "write")
	r.Staff.Get("/conversations", read, h.list)
	r.Staff.Get("/conversations/:id", read, h.get)
	r.Staff.Get("/conversations/:id/messages", read, h.messages)
	r.Staff.Post("/conversations/:id/reply", write, h.reply)
	r.Staff.Post("/conversations/:id/handoff", write, h.takeOver)
	r.Staff.Post("/conversations/:id/resume", write, h.resume)
}

type apiConversation struct {
	ID            uuid.UUID  `json:"id"`
	CustomerID    uuid.UUID  `json:"customer_id"`
	WAID          string     `json:"wa_id"`
	ProfileName   string     `json:"profile_name"`
	Locale        string     `json:"locale"`
	Consent       string     `json:"consent"`
	PhoneNumberID string     `json:"phone_number_id"`
	Handoff       string     `json:"handoff"`
	HandoffAt     *time.Time `json:"handoff_at,omitempty"`
	AssigneeID    *uuid.UUID `json:"assignee_id,omitempty"`
	LastInboundAt *time.Time `json:"last_inbound_at,omitempty"`
	WindowOpen    bool       `json:"window_open"`
	LastMessage   string     `json:"last_message,omitempty"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

func toAPIConversation(v ConversationView, now time.Time) apiConversation {
	c := v.Conversation
	return apiConversation{ID: c.ID, CustomerID: c.CustomerID, WAID: v.Customer.WAID, ProfileName: v.Customer.ProfileName,
		Locale: v.Customer.Locale, Consent: v.Customer.Consent, PhoneNumberID: c.PhoneNumberID, Handoff: c.Handoff,
		HandoffAt: c.HandoffAt, AssigneeID: c.AssigneeID, LastInboundAt: c.LastInboundAt, WindowOpen: c.InWindow(now),
		LastMessage: v.LastMessage, UpdatedAt: c.UpdatedAt}
}

type apiMessage struct {
	ID          uuid.UUID  `json:"id"`
	Direction   string     `json:"direction"`
	Kind        string     `json:"kind"`
	Body        string     `json:"body"`
	Author      string     `json:"author"`
	Status      string     `json:"status"`
	WAMessageID string     `json:"wa_message_id,omitempty"`
	SentAt      time.Time  `json:"sent_at"`
	StatusAt    *time.Time `json:"status_at,omitempty"`
	ErrorCode   *int       `json:"error_code,omitempty"`
	ErrorDetail string     `json:"error_detail,omitempty"`
}

func toAPIMessage(m Message) apiMessage {
	return apiMessage{ID: m.ID, Direction: m.Direction, Kind: m.Kind, Body: m.Body, Author: m.Author, Status: m.Status,
		WAMessageID: m.WAMessageID, SentAt: m.SentAt, StatusAt: m.StatusAt, ErrorCode: m.ErrorCode, ErrorDetail: m.ErrorDetail}
}

func limitParam(c *fiber.Ctx, def, maxLimit int) (int, error) {
	s := c.Query("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		return 0, errs.Invalid(errs.FieldError{Field: "limit", Code: "range", Msg: errs.Legacy("must be 1 to "+strconv.Itoa(maxLimit), "يجب أن يكون بين 1 و"+strconv.Itoa(maxLimit))})
	}
	return n, nil
}

func idParam(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, ErrNotFound
	}
	return id, nil
}

func (h *HTTP) list(c *fiber.Ctx) error {
	handoff := c.Query("handoff")
	switch handoff {
	case "", HandoffBot, HandoffWaiting, HandoffHuman:
	default:
		return errs.Invalid(errs.FieldError{Field: "handoff", Code: "oneof", Msg: errs.Legacy("must be bot, waiting or human", "يجب أن تكون bot أو waiting أو human")})
	}
	limit, err := limitParam(c, 50, 200)
	if err != nil {
		return err
	}
	views, err := h.svc.List(c.UserContext(), handoff, limit)
	if err != nil {
		return err
	}
	now := time.Now()
	out := make([]apiConversation, len(views))
	for i, v := range views {
		out[i] = toAPIConversation(v, now)
	}
	return c.JSON(fiber.Map{"items": out})
}

func (h *HTTP) get(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	v, err := h.svc.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(toAPIConversation(*v, time.Now()))
}

func (h *HTTP) messages(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	limit, err := limitParam(c, 100, 500)
	if err != nil {
		return err
	}
	ms, err := h.svc.Messages(c.UserContext(), id, limit)
	if err != nil {
		return err
	}
	out := make([]apiMessage, len(ms))
	for i, m := range ms {
		out[i] = toAPIMessage(m)
	}
	return c.JSON(fiber.Map{"items": out})
}

type replyRequest struct {
	Text string `json:"text" text:"multiline" validate:"required,max=4096"`
}

func (h *HTTP) reply(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in replyRequest
	if err := httpx.Bind(c, h.validate, &in); err != nil {
		return err
	}
	m, err := h.svc.Reply(c.UserContext(), id, in.Text)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(toAPIMessage(*m))
}

func (h *HTTP) takeOver(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	v, err := h.svc.TakeOver(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(toAPIConversation(*v, time.Now()))
}

func (h *HTTP) resume(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	v, err := h.svc.Resume(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(toAPIConversation(*v, time.Now()))
}
