package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"concierge/internal/errs"
)

// TemplateInfo is a message template as the emulator's Graph API lists it
// for a WhatsApp Business Account: Meta's values (Status APPROVED, PENDING,
// REJECTED, PAUSED, DISABLED; Category UTILITY, MARKETING,
// AUTHENTICATION) and the text of its BODY component ({{1}}, {{2}} for
// parameters). ID is Meta's template id; empty, one is derived from the
// account, name and language.
type TemplateInfo struct {
	Name           string
	Language       string
	Status         string
	Category       string
	Body           string
	ID             string
	RejectedReason string
}

// defaultTemplates are the templates every account has until a test sets
// its own: the product's notifications, approved in Arabic and English,
// and one marketing template still pending.
var defaultTemplates = []struct{ name, ar, en string }{
	{"order_confirmed", "تم تأكيد طلبك رقم {{1}}. الإجمالي: {{2}}.", "Your order {{1}} is confirmed. Total: {{2}}."},
	{"order_shipped", "تم شحن طلبك رقم {{1}}. التتبع: {{2}}", "Your order {{1}} has shipped. Tracking: {{2}}"},
	{"order_delivered", "تم توصيل طلبك رقم {{1}}. شكرًا لتسوقك معنا!", "Your order {{1}} was delivered. Thank you for shopping with us!"},
	{"order_cancelled", "تم إلغاء طلبك رقم {{1}}.", "Your order {{1}} was cancelled."},
	{"refund_issued", "أعدنا لك {{2}} عن طلبك رقم {{1}}.", "We refunded {{2}} for your order {{1}}."},
	{"return_decided", "طلب الإرجاع للطلب رقم {{1}}: {{2}}", "Your return for order {{1}}: {{2}}"},
	{"return_received", "استلمنا المرتجع للطلب رقم {{1}}.", "We received the return for order {{1}}."},
	{"cod_confirmation", "يرجى تأكيد طلبك رقم {{1}} بقيمة {{2}} للدفع عند الاستلام، إلى: {{3}}", "Please confirm your cash-on-delivery order {{1}} of {{2}}, to: {{3}}"},
	{"cod_expired", "انتهت مهلة تأكيد طلبك رقم {{1}} فأُلغي.", "Your order {{1}} was not confirmed in time and was cancelled."},
	{"payment_link", "لإتمام طلبك رقم {{1}} بقيمة {{2}} ادفع من هنا: {{3}}", "To complete your order {{1}} of {{2}}, pay here: {{3}}"},
	{"concierge_reengage", "لديك رسالة جديدة: {{1}}", "You have a new message: {{1}}"},
	{"return_requested", "استلمنا طلب الإرجاع {{1}} للطلب رقم {{2}}.", "We received return request {{1}} for order {{2}}."},
	{"return_approved", "وافقنا على طلب الإرجاع {{1}}.", "Your return {{1}} is approved."},
	{"return_rejected", "تعذّر قبول طلب الإرجاع {{1}}: {{2}}", "Your return {{1}} could not be accepted: {{2}}"},
	{"return_refunded", "أعدنا لك {{2}} عن المرتجع {{1}}.", "We refunded {{2}} for return {{1}}."},
	{"return_photo_rejected", "تعذّر قبول الصورة المرسلة مع طلب الإرجاع {{1}}.", "We could not accept the photo sent with return {{1}}."},
}

// DefaultTemplates returns the templates every account lists until
// SetTemplates changes it: each of order_confirmed, order_shipped,
// order_delivered, order_cancelled, refund_issued, return_decided,
// return_received, cod_confirmation, cod_expired, payment_link,
// concierge_reengage and the returns module's return_requested,
// return_approved, return_rejected, return_refunded and
// return_photo_rejected APPROVED (UTILITY) in ar and en, and promo_offer PENDING (MARKETING) in
// ar and en. The slice is the caller's.
func DefaultTemplates() []TemplateInfo {
	var out []TemplateInfo
	for _, t := range defaultTemplates {
		out = append(out,
			TemplateInfo{Name: t.name, Language: "ar", Status: "APPROVED", Category: "UTILITY", Body: t.ar},
			TemplateInfo{Name: t.name, Language: "en", Status: "APPROVED", Category: "UTILITY", Body: t.en})
	}
	return append(out,
		TemplateInfo{Name: "promo_offer", Language: "ar", Status: "PENDING", Category: "MARKETING", Body: "خصم {{1}} على كل المنتجات هذا الأسبوع!"},
		TemplateInfo{Name: "promo_offer", Language: "en", Status: "PENDING", Category: "MARKETING", Body: "{{1}} off everything this week!"})
}

// SetTemplates replaces the templates wabaID lists (an empty slice: none);
// nil restores DefaultTemplates.
func (e *Emulator) SetTemplates(wabaID string, ts []TemplateInfo) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.templates == nil {
		e.templates = map[string][]TemplateInfo{}
	}
	if ts == nil {
		delete(e.templates, wabaID)
		return
	}
	e.templates[wabaID] = append([]TemplateInfo{}, ts...)
}

// Templates returns the templates wabaID lists now.
func (e *Emulator) Templates(wabaID string) []TemplateInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.templatesLocked(wabaID)
}

func (e *Emulator) templatesLocked(wabaID string) []TemplateInfo {
	if ts, ok := e.templates[wabaID]; ok {
		return append([]TemplateInfo{}, ts...)
	}
	return DefaultTemplates()
}

// FailTemplates makes the next template reads of wabaID fail as f says
// (Status 400 and up; Count reads; Code is Meta's, 1 when zero). Faults
// queue up in the order given.
func (e *Emulator) FailTemplates(wabaID string, f Fault) {
	if f.Count <= 0 || f.Status < 400 {
		return
	}
	if f.Code == 0 {
		f.Code = 1
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.templateFaults == nil {
		e.templateFaults = map[string][]*Fault{}
	}
	e.templateFaults[wabaID] = append(e.templateFaults[wabaID], &f)
}

func (e *Emulator) takeTemplateFault(wabaID string) *Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.templateFaults[wabaID]
	if len(q) == 0 {
		return nil
	}
	f := *q[0]
	if q[0].Count--; q[0].Count <= 0 {
		q = q[1:]
	}
	if len(q) == 0 {
		delete(e.templateFaults, wabaID)
	} else {
		e.templateFaults[wabaID] = q
	}
	return &f
}

// authorizeWABA checks the Bearer token against the access tokens of the
// active numbers of the account.
func (e *Emulator) authorizeWABA(c *fiber.Ctx, wabaID string) *metaError {
	token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		return badToken()
	}
	ctx := c.UserContext()
	ts, err := e.numbers.List(ctx)
	if err != nil {
		e.log.Error("list tenants", "err", err)
		return unknownError()
	}
	known := false
	for _, t := range ts {
		nums, err := e.numbers.Numbers(ctx, t.ID.String())
		if err != nil {
			e.log.Error("list numbers", "tenant", t.Slug, "err", err)
			return unknownError()
		}
		for _, n := range nums {
			if n.WABAID != wabaID {
				continue
			}
			_, open, err := e.numbers.ResolveNumber(ctx, n.PhoneNumberID)
			switch {
			case errors.Is(err, errs.ErrNotFound), errors.Is(err, errs.ErrForbidden), err == nil && open == nil:
				continue
			case err != nil:
				e.log.Error("resolve number", "phone_number_id", n.PhoneNumberID, "err", err)
				return unknownError()
			}
			known = true
			if subtle.ConstantTimeCompare([]byte(token), []byte(open.AccessToken)) == 1 {
				return nil
			}
		}
	}
	if !known {
		return noSuchObject("get", wabaID)
	}
	return badToken()
}

type graphTemplate struct {
	Name           string              `json:"name"`
	Language       string              `json:"language"`
	Status         string              `json:"status"`
	Category       string              `json:"category"`
	Components     []map[string]string `json:"components"`
	RejectedReason string              `json:"rejected_reason,omitempty"`
	ID             string              `json:"id"`
}

// graphTemplates answers GET /{waba_id}/message_templates as Meta does:
// {"data": [...], "paging": {"cursors": {"before", "after"}, "next"}},
// limit (1 to 1000, 25 by default) templates after the "after" cursor;
// "next" only while more remain.
func (e *Emulator) graphTemplates(c *fiber.Ctx) error {
	waba := strings.Clone(c.Params("waba_id"))
	if merr := e.authorizeWABA(c, waba); merr != nil {
		return writeMetaError(c, merr)
	}
	if f := e.takeTemplateFault(waba); f != nil {
		return writeMetaError(c, faultError(f))
	}
	limit := 25
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return writeMetaError(c, invalidParam("Param limit must be a number between 1 and 1000"))
		}
		limit = n
	}
	start := 0
	if v := c.Query("after"); v != "" {
		i, ok := parseCursor(v)
		if !ok {
			return writeMetaError(c, invalidParam("Invalid parameter after"))
		}
		start = i + 1
	}
	all := e.Templates(waba)
	start = min(start, len(all))
	end := min(start+limit, len(all))
	data := make([]graphTemplate, 0, end-start)
	for _, t := range all[start:end] {
		id := t.ID
		if id == "" {
			id = templateID(waba, t.Name, t.Language)
		}
		g := graphTemplate{Name: t.Name, Language: t.Language, Status: t.Status, Category: t.Category, ID: id,
			Components: []map[string]string{{"type": "BODY", "text": t.Body}}}
		if t.Status == "REJECTED" {
			g.RejectedReason = t.RejectedReason
		}
		data = append(data, g)
	}
	paging := map[string]any{}
	if end > start {
		paging["cursors"] = map[string]string{"before": cursor(start), "after": cursor(end - 1)}
	}
	if end < len(all) {
		q := url.Values{}
		c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) { q.Add(string(k), string(v)) })
		q.Set("after", cursor(end-1))
		paging["next"] = c.BaseURL() + c.Path() + "?" + q.Encode()
	}
	b, err := json.Marshal(map[string]any{"data": data, "paging": paging})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, jsonType)
	return c.Send(b)
}

// cursor encodes a template's position the way Meta's cursors look: opaque
// base64.
func cursor(i int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("tpl:" + strconv.Itoa(i)))
}

func parseCursor(s string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	v, ok := strings.CutPrefix(string(b), "tpl:")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(v)
	return i, err == nil && i >= 0
}

// templateID is a stable, Meta-shaped (numeric) id for a template.
func templateID(waba, name, lang string) string {
	h := sha256.Sum256([]byte(waba + "|" + name + "|" + lang))
	return strconv.FormatUint(binary.BigEndian.Uint64(h[:8])%9e15+1e15, 10)
}
