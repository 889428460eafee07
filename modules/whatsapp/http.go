package whatsapp

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/httpx"
)

// Mount serves the channel on the composition root's doors:
//
//	GET, POST /webhook/whatsapp             Meta (Webhooks: no tenant, the signature is the gate)
//	GET  /api/v1/conversations[?handoff=]   staff: the inbox (conversations read)
//	GET  /api/v1/conversations/{id}         staff: one conversation
//	GET  /api/v1/conversations/{id}/messages
//	POST /api/v1/conversations/{id}/reply   staff: a reply; the bot pauses (conversations write)
//	POST /api/v1/conversations/{id}/handoff staff: take the conversation over
//	POST /api/v1/conversations/{id}/resume  staff: hand it back to the bot
//	GET  /privacy?store=<slug>&lang=        the platform's default privacy notice (Root)
//	GET  /api/platform/whatsapp/unrouted    platform admins: payloads for numbers no tenant owns
func (s *Service) Mount(r httpx.Routers) {
	s.validator = r.Validator
	r.Webhooks.Get("/webhook/whatsapp", s.verifyWebhook)
	r.Webhooks.Post("/webhook/whatsapp", s.webhook)

	read, write := r.Allow("conversations", "read"), r.Allow("conversations", "write")
	r.Staff.Get("/conversations", read, s.list)
	r.Staff.Get("/conversations/:id", read, s.get)
	r.Staff.Get("/conversations/:id/messages", read, s.messages)
	r.Staff.Post("/conversations/:id/reply", write, s.reply)
	r.Staff.Post("/conversations/:id/handoff", write, s.takeOver)
	r.Staff.Post("/conversations/:id/resume", write, s.resume)

	r.Root.Get("/privacy", s.privacy)
	r.Platform.Get("/whatsapp/unrouted", r.AllowPlatform("platform", "read"), s.unrouted)
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
		return 0, errs.Invalid(errs.Field("limit", "range", "field.range", "min", 1, "max", maxLimit))
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

func (s *Service) list(c *fiber.Ctx) error {
	handoff := c.Query("handoff")
	switch handoff {
	case "", HandoffBot, HandoffWaiting, HandoffHuman:
	default:
		return errs.Invalid(errs.Field("handoff", "oneof", "field.oneof", "param", HandoffBot+" "+HandoffWaiting+" "+HandoffHuman))
	}
	limit, err := limitParam(c, 50, 200)
	if err != nil {
		return err
	}
	views, err := s.List(c.UserContext(), handoff, limit)
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

func (s *Service) get(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	v, err := s.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	out := apiConversationDetail{apiConversation: toAPIConversation(*v, time.Now())}
	if s.contexts != nil {
		cc, err := s.contexts.CustomerContext(c.UserContext(), v.Customer.ID, "+"+v.Customer.WAID)
		if err != nil {
			return err
		}
		out.Context = toAPIContext(cc)
	}
	return c.JSON(out)
}

// apiConversationDetail is one conversation with what staff see of its
// customer.
type apiConversationDetail struct {
	apiConversation
	Context *apiContext `json:"context,omitempty"`
}

type apiContext struct {
	Cart      *apiCartSummary  `json:"cart"`
	LastOrder *apiOrderSummary `json:"last_order"`
}

type apiCartSummary struct {
	ID       string `json:"id"`
	Items    int    `json:"items"`
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
}

type apiOrderSummary struct {
	ID            uuid.UUID `json:"id"`
	Number        string    `json:"number"`
	Status        string    `json:"status"`
	Total         int64     `json:"total"`
	Currency      string    `json:"currency"`
	PaymentMethod string    `json:"payment_method"`
	PaymentStatus string    `json:"payment_status"`
	CreatedAt     time.Time `json:"created_at"`
}

func toAPIContext(cc CustomerContext) *apiContext {
	out := &apiContext{}
	if c := cc.Cart; c != nil {
		out.Cart = &apiCartSummary{ID: c.ID, Items: c.Items, Total: c.Total, Currency: c.Currency}
	}
	if o := cc.LastOrder; o != nil {
		out.LastOrder = &apiOrderSummary{ID: o.ID, Number: o.Number, Status: o.Status, Total: o.Total, Currency: o.Currency,
			PaymentMethod: o.PaymentMethod, PaymentStatus: o.PaymentStatus, CreatedAt: o.CreatedAt}
	}
	return out
}

func (s *Service) messages(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	limit, err := limitParam(c, 100, 500)
	if err != nil {
		return err
	}
	ms, err := s.Messages(c.UserContext(), id, limit)
	if err != nil {
		return err
	}
	out := make([]apiMessage, len(ms))
	for i, m := range ms {
		out[i] = toAPIMessage(m)
	}
	return c.JSON(fiber.Map{"items": out})
}

// replyRequest is a typed reply, or a quick reply by shortcut or id with
// its variables.
type replyRequest struct {
	Text       string            `json:"text" text:"multiline" validate:"required_without=QuickReply,excluded_with=QuickReply,max=4096"`
	QuickReply string            `json:"quick_reply" validate:"max=64"`
	Vars       map[string]string `json:"vars" validate:"max=20,dive,keys,max=64,endkeys,max=500"`
}

func (s *Service) reply(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in replyRequest
	if err := httpx.Bind(c, s.validator, &in); err != nil {
		return err
	}
	var m *Message
	if in.QuickReply != "" {
		m, err = s.ReplyQuick(c.UserContext(), id, in.QuickReply, in.Vars)
	} else {
		m, err = s.Reply(c.UserContext(), id, in.Text)
	}
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(toAPIMessage(*m))
}

func (s *Service) takeOver(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	v, err := s.TakeOver(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(toAPIConversation(*v, time.Now()))
}

func (s *Service) resume(c *fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	v, err := s.Resume(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(toAPIConversation(*v, time.Now()))
}

type apiUnrouted struct {
	ID            int64           `json:"id"`
	PhoneNumberID string          `json:"phone_number_id"`
	Reason        string          `json:"reason"`
	Payload       json.RawMessage `json:"payload"`
	ReceivedAt    time.Time       `json:"received_at"`
}

// unrouted lists the newest webhook changes for numbers no tenant owns (or
// suspended), on the platform path.
func (s *Service) unrouted(c *fiber.Ctx) error {
	var rows []Unrouted
	err := s.scope.PlatformTx(c.UserContext(), func(ctx context.Context, tx bun.Tx) error {
		var err error
		rows, err = listUnrouted(ctx, tx, 100, 0)
		return err
	})
	if err != nil {
		return err
	}
	out := make([]apiUnrouted, len(rows))
	for i, u := range rows {
		out[i] = apiUnrouted{ID: u.ID, PhoneNumberID: u.PhoneNumberID, Reason: u.Reason, Payload: u.Payload, ReceivedAt: u.ReceivedAt}
	}
	return c.JSON(fiber.Map{"items": out})
}
