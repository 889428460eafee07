package cms

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/tenants"
)

// Mount serves cms on the staff door, every route under the "templates"
// permission (read: owner, manager, viewer; write: owner, manager):
//
//	GET    /quick-replies[?q=]            read
//	POST   /quick-replies                 write
//	GET    /quick-replies/:id             read   (id or shortcut)
//	PUT    /quick-replies/:id             write
//	DELETE /quick-replies/:id             write
//	POST   /quick-replies/:id/render      read   {"locale","vars":{…}}
//	GET    /templates[?status=&name=]     read
//	GET    /templates/:id                 read
//	POST   /templates/sync                write  202 {"queued": true}
//	GET    /bot-texts[?prefix=]           read
//	GET    /bot-texts/:key                read
//	PUT    /bot-texts/:key                write  {"ar","en"} (null removes)
//	DELETE /bot-texts/:key                write
//	POST   /bot-texts/:key/preview        write  {"ar","en"} (null: current)
func (s *Service) Mount(r httpx.Routers) {
	h := &handlers{svc: s, validate: r.Validator}
	read, write := r.Allow("templates", "read"), r.Allow("templates", "write")
	st := r.Staff
	st.Get("/quick-replies", read, h.listQuickReplies)
	st.Post("/quick-replies", write, h.createQuickReply)
	st.Get("/quick-replies/:id", read, h.getQuickReply)
	st.Put("/quick-replies/:id", write, h.updateQuickReply)
	st.Delete("/quick-replies/:id", write, h.deleteQuickReply)
	st.Post("/quick-replies/:id/render", read, h.render)
	st.Get("/templates", read, h.listTemplates)
	st.Post("/templates/sync", write, h.sync)
	st.Get("/templates/:id", read, h.getTemplate)
	st.Get("/bot-texts", read, h.listBotTexts)
	st.Get("/bot-texts/:key", read, h.getBotText)
	st.Put("/bot-texts/:key", write, h.putBotText)
	st.Delete("/bot-texts/:key", write, h.deleteBotText)
	st.Post("/bot-texts/:key/preview", write, h.previewBotText)
}

type handlers struct {
	svc      *Service
	validate *httpx.Validator
}

// ---- requests ----

type quickReplyReq struct {
	Shortcut string `json:"shortcut" validate:"required,max=32"`
	Title    string `json:"title" validate:"required,max=100"`
	BodyAR   string `json:"body_ar" text:"multiline" validate:"required,max=4096"`
	BodyEN   string `json:"body_en" text:"multiline" validate:"required,max=4096"`
}

type renderReq struct {
	Locale string            `json:"locale" validate:"omitempty,oneof=ar en"`
	Vars   map[string]string `json:"vars" text:"multiline" validate:"max=50"`
}

type botTextReq struct {
	AR *string `json:"ar" text:"multiline"`
	EN *string `json:"en" text:"multiline"`
}

// bind decodes and checks a request; the field errors of the tags and of
// check (the service's own rules) come back together, one per field.
func (h *handlers) bind(c *fiber.Ctx, dst any, check func() error) error {
	err := httpx.Bind(c, h.validate, dst)
	if err != nil && errs.CodeOf(err) != errs.CodeInvalid {
		return err
	}
	fields := errs.FieldsOf(err)
	named := map[string]bool{}
	for _, f := range fields {
		named[f.Field] = true
	}
	for _, f := range errs.FieldsOf(check()) {
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

type apiQuickReply struct {
	ID        uuid.UUID `json:"id"`
	Shortcut  string    `json:"shortcut"`
	Title     string    `json:"title"`
	BodyAR    string    `json:"body_ar"`
	BodyEN    string    `json:"body_en"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toAPIQuickReply(q QuickReply) apiQuickReply {
	return apiQuickReply{ID: q.ID, Shortcut: q.Shortcut, Title: q.Title, BodyAR: q.BodyAR, BodyEN: q.BodyEN,
		CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt}
}

type apiTemplate struct {
	ID             uuid.UUID       `json:"id"`
	Name           string          `json:"name"`
	Language       string          `json:"language"`
	Category       string          `json:"category"`
	Status         string          `json:"status"`
	Body           string          `json:"body"`
	Components     json.RawMessage `json:"components"`
	MetaID         string          `json:"meta_id"`
	RejectedReason string          `json:"rejected_reason"`
	SyncedAt       *time.Time      `json:"synced_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

func toAPITemplate(t Template) apiTemplate {
	return apiTemplate{ID: t.ID, Name: t.Name, Language: t.Language, Category: t.Category, Status: t.Status, Body: t.Body(),
		Components: t.Components, MetaID: t.MetaID, RejectedReason: t.RejectedReason, SyncedAt: t.SyncedAt, UpdatedAt: t.UpdatedAt}
}

type apiTexts struct {
	AR *string `json:"ar"`
	EN *string `json:"en"`
}

type apiBotText struct {
	Key          string     `json:"key"`
	Default      apiTexts   `json:"default"`
	Override     apiTexts   `json:"override"`
	Placeholders []string   `json:"placeholders"`
	UpdatedAt    *time.Time `json:"updated_at"`
}

func toAPIBotText(b BotText) apiBotText {
	ar := b.DefaultAR
	ph := b.Placeholders
	if ph == nil {
		ph = []string{}
	}
	return apiBotText{Key: b.Key, Default: apiTexts{AR: &ar, EN: b.DefaultEN}, Override: apiTexts{AR: b.OverrideAR, EN: b.OverrideEN},
		Placeholders: ph, UpdatedAt: b.UpdatedAt}
}

// ---- quick replies ----

func (h *handlers) listQuickReplies(c *fiber.Ctx) error {
	qs, err := h.svc.QuickReplies(c.UserContext(), c.Query("q"))
	if err != nil {
		return err
	}
	out := make([]apiQuickReply, len(qs))
	for i, q := range qs {
		out[i] = toAPIQuickReply(q)
	}
	return c.JSON(fiber.Map{"quick_replies": out})
}

func (h *handlers) bindQuickReply(c *fiber.Ctx) (QuickReplyInput, error) {
	var req quickReplyReq
	err := h.bind(c, &req, func() error {
		_, err := checkQuickReply(QuickReplyInput(req))
		return err
	})
	return QuickReplyInput(req), err
}

func (h *handlers) createQuickReply(c *fiber.Ctx) error {
	in, err := h.bindQuickReply(c)
	if err != nil {
		return err
	}
	q, err := h.svc.CreateQuickReply(c.UserContext(), in)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, "/api/v1/quick-replies/"+q.ID.String())
	return c.Status(fiber.StatusCreated).JSON(toAPIQuickReply(*q))
}

func (h *handlers) getQuickReply(c *fiber.Ctx) error {
	q, err := h.svc.QuickReply(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(toAPIQuickReply(*q))
}

func (h *handlers) updateQuickReply(c *fiber.Ctx) error {
	in, err := h.bindQuickReply(c)
	if err != nil {
		return err
	}
	q, err := h.svc.UpdateQuickReply(c.UserContext(), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(toAPIQuickReply(*q))
}

func (h *handlers) deleteQuickReply(c *fiber.Ctx) error {
	if err := h.svc.DeleteQuickReply(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) render(c *fiber.Ctx) error {
	var req renderReq
	if len(c.Body()) > 0 {
		if err := h.bind(c, &req, func() error { return errs.Invalid(checkVars(req.Vars)...) }); err != nil {
			return err
		}
	}
	ctx := c.UserContext()
	text, err := h.svc.Render(ctx, c.Params("id"), req.Locale, req.Vars)
	if err != nil {
		return err
	}
	locale := req.Locale
	if locale == "" {
		locale = i18n.Normalize(defaultLocale(ctx))
	}
	return c.JSON(fiber.Map{"locale": locale, "text": text})
}

// ---- templates ----

func (h *handlers) listTemplates(c *fiber.Ctx) error {
	ts, err := h.svc.Templates(c.UserContext(), TemplateQuery{Status: c.Query("status"), Name: c.Query("name")})
	if err != nil {
		return err
	}
	out := make([]apiTemplate, len(ts))
	for i, t := range ts {
		out[i] = toAPITemplate(t)
	}
	return c.JSON(fiber.Map{"templates": out})
}

func (h *handlers) getTemplate(c *fiber.Ctx) error {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return ErrTemplateNotFound
	}
	t, err := h.svc.Template(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(toAPITemplate(*t))
}

func (h *handlers) sync(c *fiber.Ctx) error {
	if err := h.svc.EnqueueSync(c.UserContext()); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"queued": true})
}

// ---- bot texts ----

func (h *handlers) listBotTexts(c *fiber.Ctx) error {
	bs, err := h.svc.BotTexts(c.UserContext(), c.Query("prefix"))
	if err != nil {
		return err
	}
	out := make([]apiBotText, len(bs))
	for i, b := range bs {
		out[i] = toAPIBotText(b)
	}
	return c.JSON(fiber.Map{"bot_texts": out})
}

func (h *handlers) getBotText(c *fiber.Ctx) error {
	b, err := h.svc.BotText(c.UserContext(), c.Params("key"))
	if err != nil {
		return err
	}
	return c.JSON(toAPIBotText(*b))
}

// bindBotText reads {"ar","en"} after checking the key exists (an unknown
// key is 404 whatever the body).
func (h *handlers) bindBotText(c *fiber.Ctx, optional bool) (string, BotTextChange, error) {
	key := c.Params("key")
	d, ok := h.svc.texts.byKey[key]
	if !ok {
		return "", BotTextChange{}, ErrBotTextNotFound
	}
	var req botTextReq
	if optional && len(c.Body()) == 0 {
		return key, BotTextChange{}, nil
	}
	err := h.bind(c, &req, func() error {
		_, err := checkBotText(d, BotTextChange(req))
		return err
	})
	return key, BotTextChange(req), err
}

func (h *handlers) putBotText(c *fiber.Ctx) error {
	key, ch, err := h.bindBotText(c, false)
	if err != nil {
		return err
	}
	b, err := h.svc.SetBotText(c.UserContext(), key, ch)
	if err != nil {
		return err
	}
	return c.JSON(toAPIBotText(*b))
}

func (h *handlers) deleteBotText(c *fiber.Ctx) error {
	if err := h.svc.DeleteBotText(c.UserContext(), c.Params("key")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) previewBotText(c *fiber.Ctx) error {
	key, ch, err := h.bindBotText(c, true)
	if err != nil {
		return err
	}
	p, err := h.svc.PreviewBotText(c.UserContext(), key, ch)
	if err != nil {
		return err
	}
	return c.JSON(apiTexts{AR: &p.AR, EN: p.EN})
}

// defaultLocale is the language of the store of ctx ("" without one).
func defaultLocale(ctx context.Context) string {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return ""
	}
	return t.DefaultLocale
}
