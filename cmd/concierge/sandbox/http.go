package sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	_ "embed" // the chat page
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"concierge/internal/errs"
	"concierge/internal/httpx"
)

//go:embed page.html
var pageHTML string

const jsonType = "application/json; charset=utf-8"

// Routes mounts the sandbox on r (the app root):
//
//	POST /sandbox/graph/:version/:phone_number_id/messages  Cloud API send (Bearer token)
//	GET  /sandbox/graph/:version/:media_id                  Cloud API media URL (Bearer token)
//	GET  /sandbox/graph/:version/:waba_id/message_templates Graph API template list (Bearer token; templates.go)
//	GET  /sandbox/media/:media_id                           media download (Bearer token)
//	GET  /sandbox                                           the chat page
//	GET  /sandbox/api/numbers                               numbers to chat with
//	GET  /sandbox/api/messages?phone_number_id=&customer=&after=
//	POST /sandbox/api/send                                  a customer message → signed webhook
//	GET  /sandbox/api/media/:media_id                       media for the page
//	POST /sandbox/api/faults                                FailNext over HTTP
//	GET  /sandbox/api/counters?phone_number_id=             Counters over HTTP
//
// The customer API has no authentication: the sandbox is for development
// and tests only.
func (e *Emulator) Mount(r httpx.Routers) { e.Routes(r.Webhooks) }

// Routes mounts the emulator's routes on r.
func (e *Emulator) Routes(r fiber.Router) {
	r.Get("/sandbox", e.page)
	g := r.Group("/sandbox")
	g.Post("/graph/:version/:phone_number_id/messages", e.graphSend)
	g.Get("/graph/:version/:media_id", e.graphMedia)
	g.Get("/graph/:version/:waba_id/message_templates", e.graphTemplates)
	g.Get("/media/:media_id", e.graphMediaDownload)
	api := g.Group("/api")
	api.Get("/numbers", e.apiNumbers)
	api.Get("/messages", e.apiMessages)
	api.Post("/send", e.apiSend)
	api.Get("/media/:media_id", e.apiMedia)
	api.Post("/faults", e.apiFaults)
	api.Get("/counters", e.apiCounters)
}

// ---- Cloud API emulator ----

// writeMetaError answers in the Graph API's error shape.
func writeMetaError(c *fiber.Ctx, m *metaError) error {
	typ := m.typ
	if typ == "" {
		typ = "OAuthException"
	}
	body := map[string]any{"message": m.message, "type": typ, "code": m.code, "fbtrace_id": newTraceID()}
	if m.subcode != 0 {
		body["error_subcode"] = m.subcode
	}
	if m.details != "" {
		body["error_data"] = map[string]string{"messaging_product": "whatsapp", "details": m.details}
	}
	if m.retryAft > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(m.retryAft))
	}
	if m.status == fiber.StatusUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `OAuth "Facebook Platform" "invalid_token" "`+m.message+`"`)
	}
	b, err := json.Marshal(map[string]any{"error": body})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, jsonType)
	return c.Status(m.status).Send(b)
}

func badToken() *metaError {
	return &metaError{status: fiber.StatusUnauthorized, code: 190, message: "Invalid OAuth access token - Cannot parse access token"}
}

func noSuchObject(method, id string) *metaError {
	return &metaError{status: fiber.StatusBadRequest, code: 100, subcode: 33, typ: "GraphMethodException",
		message: "Unsupported " + method + " request. Object with ID '" + id + "' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"}
}

func unknownError() *metaError {
	return &metaError{status: fiber.StatusInternalServerError, code: 1, message: "An unknown error has occurred."}
}

// authorize checks the Bearer token against the number's access token.
func (e *Emulator) authorize(c *fiber.Ctx, pnid, method string) (numberInfo, *metaError) {
	auth := c.Get(fiber.HeaderAuthorization)
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		return numberInfo{}, badToken()
	}
	_, n, err := e.numbers.ResolveNumber(c.UserContext(), pnid)
	switch {
	case errors.Is(err, errs.ErrNotFound), errors.Is(err, errs.ErrForbidden), err == nil && n == nil:
		return numberInfo{}, noSuchObject(method, pnid)
	case err != nil:
		e.log.Error("resolve number", "phone_number_id", pnid, "err", err)
		return numberInfo{}, unknownError()
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(n.AccessToken)) != 1 {
		return numberInfo{}, badToken()
	}
	return infoOf(n), nil
}

func (e *Emulator) graphSend(c *fiber.Ctx) error {
	pnid := strings.Clone(c.Params("phone_number_id"))
	num, merr := e.authorize(c, pnid, "post")
	if merr != nil {
		e.count(pnid, func(k *Counters) {
			if merr.code == 190 {
				k.Unauthorized++
			} else {
				k.Rejected++
			}
		})
		return writeMetaError(c, merr)
	}
	m, merr := decodeMessage(c.Body())
	if merr == nil {
		merr = m.validate()
	}
	if merr != nil {
		e.count(pnid, func(k *Counters) { k.Rejected++ })
		e.log.Info("send refused", "phone_number_id", pnid, "code", merr.code, "message", merr.message, "details", merr.details)
		return writeMetaError(c, merr)
	}
	if m.isRead() {
		// Unknown ids are accepted, as tests of other packages post inbound
		// webhooks of their own; a known customer message turns read.
		e.mu.Lock()
		if x := e.byID[m.MessageID]; x != nil && x.key.pnid == pnid && x.dir == dirIn {
			if statusRank[x.status] < statusRank[StatusRead] {
				x.status = StatusRead
				x.rev = e.notifyLocked()
			}
		}
		e.mu.Unlock()
		e.count(pnid, func(k *Counters) { k.Reads++ })
		c.Set(fiber.HeaderContentType, jsonType)
		return c.SendString(`{"success":true}`)
	}

	e.mu.Lock()
	delay := e.takeDelayLocked(pnid)
	var fault *Fault
	if delay == nil || delay.Accept {
		fault = e.takeFaultLocked(pnid)
	}
	e.mu.Unlock()
	if delay != nil && !delay.Accept {
		// Meta never takes it; the caller learns that only if it waits.
		e.hold(pnid, delay)
		return writeMetaError(c, faultError(&Fault{Status: fiber.StatusServiceUnavailable, Code: 131016, RetryAfter: time.Second}))
	}
	if fault != nil && fault.Status >= 400 {
		e.count(pnid, func(k *Counters) { k.Injected++ })
		if delay != nil {
			e.hold(pnid, delay)
		}
		return writeMetaError(c, faultError(fault))
	}

	wa := strings.TrimPrefix(m.To, "+")
	raw, err := compactJSON(c.Body())
	if err != nil {
		return err
	}
	x := &entry{key: convKey{pnid, wa}, dir: dirOut, id: newWamid(), typ: m.Type, at: time.Now(), status: StatusAccepted, raw: raw, msg: m}
	e.mu.Lock()
	e.convLocked(x.key).num = num
	e.addLocked(x)
	e.mu.Unlock()
	e.count(pnid, func(k *Counters) {
		k.Accepted++
		if fault != nil {
			k.Injected++
		}
	})

	category := "service"
	if m.Type == "template" {
		category = "utility"
	}
	e.queueStatuses(statusJob{num: num, key: x.key, id: x.id, category: category, bizOpaque: m.BizOpaqueCallbackData, fault: fault})

	if delay != nil {
		// Taken, with its status webhooks on their way: the answer is late.
		e.hold(pnid, delay)
	}
	msg := map[string]string{"id": x.id}
	if m.Type == "template" {
		msg["message_status"] = "accepted"
	}
	return c.JSON(map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []map[string]string{{"input": m.To, "wa_id": wa}},
		"messages":          []map[string]string{msg},
	})
}

func compactJSON(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// graphMedia answers GET /{media_id} with the media's URL, as Meta does.
func (e *Emulator) graphMedia(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("media_id"))
	e.mu.Lock()
	it := e.media.items[id]
	e.mu.Unlock()
	if it == nil {
		return writeMetaError(c, noSuchObject("get", id))
	}
	if _, merr := e.authorize(c, it.pnid, "get"); merr != nil {
		return writeMetaError(c, merr)
	}
	return c.JSON(map[string]any{
		"messaging_product": "whatsapp", "url": c.BaseURL() + "/sandbox/media/" + id,
		"mime_type": it.mime, "sha256": it.sha256, "file_size": len(it.data), "id": id,
	})
}

// graphMediaDownload serves media to a holder of the number's token.
func (e *Emulator) graphMediaDownload(c *fiber.Ctx) error {
	id := strings.Clone(c.Params("media_id"))
	e.mu.Lock()
	it := e.media.items[id]
	e.mu.Unlock()
	if it == nil {
		return c.SendStatus(fiber.StatusNotFound)
	}
	if _, merr := e.authorize(c, it.pnid, "get"); merr != nil {
		return writeMetaError(c, merr)
	}
	c.Set(fiber.HeaderContentType, it.mime)
	return c.Send(it.data)
}

// ---- customer API ----

type apiNumber struct {
	PhoneNumberID string `json:"phone_number_id"`
	DisplayPhone  string `json:"display_phone"`
	TenantSlug    string `json:"tenant_slug"`
	TenantNameAR  string `json:"tenant_name_ar"`
	TenantNameEN  string `json:"tenant_name_en"`
	Status        string `json:"status"`
}

func (e *Emulator) apiNumbers(c *fiber.Ctx) error {
	ctx := c.UserContext()
	ts, err := e.numbers.List(ctx)
	if err != nil {
		return err
	}
	out := []apiNumber{}
	for _, t := range ts {
		nums, err := e.numbers.Numbers(ctx, t.ID.String())
		if err != nil {
			return err
		}
		for _, n := range nums {
			status := n.Status
			if t.Status != "active" {
				status = t.Status
			}
			out = append(out, apiNumber{PhoneNumberID: n.PhoneNumberID, DisplayPhone: n.DisplayPhone, TenantSlug: t.Slug,
				TenantNameAR: t.NameAR, TenantNameEN: t.NameEN, Status: status})
		}
	}
	return c.JSON(map[string]any{"numbers": out})
}

type apiEntry struct {
	Seq           int64           `json:"seq"`
	Rev           int64           `json:"rev"`
	Direction     string          `json:"direction"` // in: customer → business; out: bot → customer
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	Timestamp     int64           `json:"timestamp"`
	Status        string          `json:"status"`
	Error         *apiEntryError  `json:"error,omitempty"`
	WebhookStatus int             `json:"webhook_status,omitempty"`
	Message       json.RawMessage `json:"message"`
}

type apiEntryError struct {
	Code  int    `json:"code,omitempty"`
	Title string `json:"title"`
}

func toAPIEntry(x *entry) apiEntry {
	a := apiEntry{Seq: x.seq, Rev: x.rev, Direction: x.dir, ID: x.id, Type: x.typ, Timestamp: x.at.Unix(),
		Status: x.status, WebhookStatus: x.webhook, Message: append(json.RawMessage(nil), x.raw...)}
	if x.status == StatusFailed {
		a.Error = &apiEntryError{Code: x.errCode, Title: x.errTitle}
	}
	return a
}

// apiMessages returns the conversation's messages that are new or changed
// since the cursor "after" (0: all), oldest first, and the next cursor. A
// poll counts as the chat being open: delivered bot messages get their read
// status.
func (e *Emulator) apiMessages(c *fiber.Ctx) error {
	pnid := strings.Clone(c.Query("phone_number_id"))
	wa := waID(c.Query("customer"))
	var fields []errs.FieldError
	if pnid == "" {
		fields = append(fields, errs.Field("phone_number_id", "required", "field.required"))
	}
	if !validWaID(wa) {
		fields = append(fields, errs.Field("customer", "phone", "sandbox.field.phone"))
	}
	after, err := strconv.ParseInt(c.Query("after", "0"), 10, 64)
	if err != nil || after < 0 {
		fields = append(fields, errs.Field("after", "numeric", "sandbox.field.cursor"))
	}
	if len(fields) > 0 {
		return errs.Invalid(fields...)
	}
	key := convKey{pnid, wa}
	var reads []statusJob
	e.mu.Lock()
	cursor := e.rev
	out := []apiEntry{}
	conv := e.convs[key]
	if conv != nil {
		conv.viewedAt = time.Now()
		for _, x := range conv.entries {
			if x.rev > after {
				out = append(out, toAPIEntry(x))
			}
			if x.dir == dirOut && x.status == StatusDelivered && !x.readQueue && conv.num.pnid != "" {
				x.readQueue = true
				reads = append(reads, statusJob{num: conv.num, key: key, id: x.id, readOnly: true})
			}
		}
	} else {
		e.convLocked(key).viewedAt = time.Now()
	}
	e.mu.Unlock()
	for _, j := range reads {
		e.queueStatuses(j)
	}
	return c.JSON(map[string]any{"cursor": cursor, "messages": out})
}

type sendRequest struct {
	PhoneNumberID  string           `json:"phone_number_id" validate:"omitempty,numeric,max=32"`
	Tenant         string           `json:"tenant" validate:"omitempty,max=63"`
	Customer       string           `json:"customer" validate:"required,max=40"`
	Name           string           `json:"name" validate:"max=256"`
	ContextID      string           `json:"context_id" validate:"max=512"`
	Text           string           `json:"text" validate:"max=4096"`
	ButtonReply    *replyRequest    `json:"button_reply"`
	ListReply      *replyRequest    `json:"list_reply"`
	TemplateButton *buttonRequest   `json:"template_button"`
	Location       *locationReq     `json:"location"`
	Image          *imageRequest    `json:"image"`
	Reaction       *reactionRequest `json:"reaction"`
	Unknown        bool             `json:"unknown"`
}

type replyRequest struct {
	ID          string `json:"id" validate:"required,max=256"`
	Title       string `json:"title" validate:"required,max=256"`
	Description string `json:"description" validate:"max=256"`
}

type buttonRequest struct {
	Payload string `json:"payload" validate:"max=1024"`
	Text    string `json:"text" validate:"max=256"`
}

type locationReq struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name" validate:"max=256"`
	Address   string  `json:"address" validate:"max=512"`
}

type imageRequest struct {
	Caption string `json:"caption" validate:"max=1024"`
}

type reactionRequest struct {
	MessageID string `json:"message_id" validate:"max=512"`
	Emoji     string `json:"emoji" validate:"max=32"`
}

func (r sendRequest) toCustomerMessage() CustomerMessage {
	m := CustomerMessage{PhoneNumberID: r.PhoneNumberID, Tenant: r.Tenant, From: r.Customer, Name: r.Name, ContextID: r.ContextID,
		Text: r.Text, Unknown: r.Unknown}
	if r.ButtonReply != nil {
		m.ButtonReply = &ReplyChoice{ID: r.ButtonReply.ID, Title: r.ButtonReply.Title, Description: r.ButtonReply.Description}
	}
	if r.ListReply != nil {
		m.ListReply = &ReplyChoice{ID: r.ListReply.ID, Title: r.ListReply.Title, Description: r.ListReply.Description}
	}
	if r.TemplateButton != nil {
		m.TemplateButton = &TemplateButtonChoice{Payload: r.TemplateButton.Payload, Text: r.TemplateButton.Text}
	}
	if r.Location != nil {
		m.Location = &Location{Latitude: r.Location.Latitude, Longitude: r.Location.Longitude, Name: r.Location.Name, Address: r.Location.Address}
	}
	if r.Image != nil {
		m.Image = &Image{Caption: r.Image.Caption}
	}
	if r.Reaction != nil {
		m.Reaction = &Reaction{MessageID: r.Reaction.MessageID, Emoji: r.Reaction.Emoji}
	}
	return m
}

// apiSend posts a customer message and answers with the product's HTTP
// status and the message's id.
func (e *Emulator) apiSend(c *fiber.Ctx) error {
	var req sendRequest
	if err := httpx.Bind(c, e.v, &req); err != nil {
		return err
	}
	res, err := e.SendAsCustomer(c.UserContext(), req.toCustomerMessage())
	if err != nil {
		return err
	}
	return c.Status(res.WebhookStatus).JSON(map[string]any{
		"id": res.ID, "seq": res.Seq, "webhook_status": res.WebhookStatus, "webhook_answer": string(res.WebhookAnswer),
	})
}

func (e *Emulator) apiMedia(c *fiber.Ctx) error {
	e.mu.Lock()
	it := e.media.items[c.Params("media_id")]
	e.mu.Unlock()
	if it == nil {
		return errs.New(errs.CodeNotFound, "sandbox.media.not_found")
	}
	c.Set(fiber.HeaderContentType, it.mime)
	c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	return c.Send(it.data)
}

type faultRequest struct {
	PhoneNumberID     string `json:"phone_number_id" validate:"required,numeric,max=32"`
	Count             int    `json:"count" validate:"min=1,max=10000"`
	Status            int    `json:"status" validate:"min=0,max=599"`
	Code              int    `json:"code" validate:"min=0,max=2147483647"`
	RetryAfterSeconds int    `json:"retry_after_seconds" validate:"min=0,max=3600"`
	Details           string `json:"details" validate:"max=1024"`
}

func (e *Emulator) apiFaults(c *fiber.Ctx) error {
	var req faultRequest
	if err := httpx.Bind(c, e.v, &req); err != nil {
		return err
	}
	f := Fault{Count: req.Count, Status: req.Status, Code: req.Code, Details: req.Details,
		RetryAfter: time.Duration(req.RetryAfterSeconds) * time.Second}
	if f.RetryAfter == 0 && (f.Status == fiber.StatusTooManyRequests || f.Status == fiber.StatusServiceUnavailable) {
		f.RetryAfter = time.Second
	}
	e.Inject(req.PhoneNumberID, f)
	return c.SendStatus(fiber.StatusNoContent)
}

type apiCountersBody struct {
	Accepted       int `json:"accepted"`
	Reads          int `json:"reads"`
	Rejected       int `json:"rejected"`
	Unauthorized   int `json:"unauthorized"`
	Injected       int `json:"injected"`
	Delayed        int `json:"delayed"`
	StatusesPosted int `json:"statuses_posted"`
	StatusesFailed int `json:"statuses_failed"`
	Inbound        int `json:"inbound"`
	InboundFailed  int `json:"inbound_failed"`
}

func (e *Emulator) apiCounters(c *fiber.Ctx) error {
	k := e.Counters(c.Query("phone_number_id"))
	return c.JSON(apiCountersBody(k))
}

// ---- the page ----

// pageCSP lets the page run only its own inline script and style (by nonce)
// and talk only to its own origin; bot images may come from anywhere.
const pageCSP = "default-src 'none'; script-src 'nonce-%s'; style-src 'nonce-%s'; img-src 'self' data: https: http:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (e *Emulator) page(c *fiber.Ctx) error {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	nonce := base64.RawURLEncoding.EncodeToString(b)
	c.Set(fiber.HeaderContentSecurityPolicy, strings.ReplaceAll(pageCSP, "%s", nonce))
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.SendString(strings.ReplaceAll(e.pageHTML(), "{{NONCE}}", nonce))
}

// pageWords are the keys of the chat page's words: the page's script reads
// them as T[lang][key], the markup as {{t.key}}; their messages are
// sandbox.page.<key in snake case>.
var pageWords = []string{
	"documentTitle", "title", "number", "customer", "newCustomer", "name", "hint", "conversation", "quick",
	"location", "image", "reaction", "unknown", "message", "placeholder", "send", "close", "lang", "empty",
	"noNumbers", "defaultName", "locName", "locAddress", "template", "product", "viewItems", "unsupported",
	"reacted", "webhook", "unreachable", "failed", "sent", "delivered", "read", "accepted", "sendFailed",
	"photo", "video", "document", "loadFailed",
}

// pageHTML is the chat page with its words filled in from the catalog: the
// markup in Arabic (the page starts in Arabic), the script's table T in
// both languages. Built once; the nonce is added per request.
func (e *Emulator) pageHTML() string {
	e.pageOnce.Do(func() {
		texts := map[string]map[string]string{"ar": {}, "en": {}}
		for _, k := range pageWords {
			id := "sandbox.page." + snakeCase(k)
			for lang := range texts {
				texts[lang][k] = e.cfg.Catalog.Text(lang, id, nil)
			}
		}
		js, err := json.Marshal(texts) // escapes <, > and & (and U+2028/9): safe inside <script>
		if err != nil {
			panic(err)
		}
		pairs := []string{"{{TEXTS}}", string(js)}
		for _, k := range pageWords {
			pairs = append(pairs, "{{t."+k+"}}", html.EscapeString(texts["ar"][k]))
		}
		e.pageText = strings.NewReplacer(pairs...).Replace(pageHTML)
	})
	return e.pageText
}

// snakeCase writes newCustomer as new_customer.
func snakeCase(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
