package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"sync"
	"time"

	"concierge/internal/errs"
	"concierge/tenants"
)

// CustomerMessage is what a customer sends. Exactly one of Text,
// ButtonReply, ListReply, TemplateButton, Location, Image, Reaction and
// Unknown is set.
type CustomerMessage struct {
	// PhoneNumberID is the business number written to; when empty, the first
	// active number of the tenant with slug Tenant.
	PhoneNumberID string
	Tenant        string
	// From is the customer's number: E.164 with or without +, or digits.
	From string
	// Name is the customer's WhatsApp profile name ("Sandbox" when empty).
	Name string
	// ContextID is the wamid of the bot message replied to. Button and list
	// replies without one answer the newest bot message offering that id,
	// reactions react to the newest bot message.
	ContextID string

	Text           string
	ButtonReply    *ReplyChoice
	ListReply      *ReplyChoice
	TemplateButton *TemplateButtonChoice
	Location       *Location
	Image          *Image
	Reaction       *Reaction
	// Unknown sends a message type WhatsApp does not support (type
	// "unknown" with error 131051), as a poll or an edited message arrives.
	Unknown bool
}

// ReplyChoice is a tapped reply button or list row.
type ReplyChoice struct {
	ID, Title, Description string
}

// TemplateButtonChoice is a tapped quick-reply button of a template.
type TemplateButtonChoice struct {
	Payload, Text string
}

// Location is a shared location.
type Location struct {
	Latitude, Longitude float64
	Name, Address       string
}

// Image is a photo; the sandbox sends a placeholder picture with Caption.
type Image struct {
	Caption string
}

// Reaction is an emoji on a message; an empty Emoji removes the reaction.
type Reaction struct {
	MessageID, Emoji string
}

// CustomerResult is what became of a customer message.
type CustomerResult struct {
	// ID is the message's wamid, Seq its place in the sandbox's order.
	ID  string
	Seq int64
	// WebhookStatus is the product's HTTP answer; WebhookAnswer its start.
	WebhookStatus int
	WebhookAnswer []byte
	// Payload is the signed webhook body that was posted.
	Payload []byte
}

// Errors of the customer side.
var (
	ErrUnknownNumber = errs.New(errs.CodeNotFound, "sandbox.number.unknown")
	ErrWebhookDown   = errs.New(errs.CodeUnavailable, "sandbox.webhook.down")
)

// SendAsCustomer builds Meta's inbound webhook for m, records it in the
// conversation, signs it with the number's app secret and posts it to the
// product. A product answering something other than 2xx is not an error: it
// is in the result (and the message is marked failed). An unreachable
// webhook is ErrWebhookDown; a bad message is invalid, an unknown number
// not_found.
func (e *Emulator) SendAsCustomer(ctx context.Context, m CustomerMessage) (CustomerResult, error) {
	wa := waID(m.From)
	if !validWaID(wa) {
		return CustomerResult{}, errs.Invalid(errs.Field("customer", "phone", "sandbox.field.phone"))
	}
	if err := m.check(); err != nil {
		return CustomerResult{}, err
	}
	_, num, err := e.resolveForCustomer(ctx, m.PhoneNumberID, m.Tenant)
	if err != nil {
		return CustomerResult{}, err
	}
	info := infoOf(num)
	key := convKey{num.PhoneNumberID, wa}
	name := strings.TrimSpace(m.Name)
	if name == "" {
		name = "Sandbox"
	}
	now := time.Now()
	msg := inboundMessage{From: wa, ID: newWamid(), Timestamp: unix(now)}

	e.mu.Lock()
	ctxID := m.ContextID
	switch {
	case ctxID != "":
	case m.ButtonReply != nil || m.ListReply != nil:
		want := m.ButtonReply
		if want == nil {
			want = m.ListReply
		}
		x := e.lastBotLocked(key, func(x *entry) bool { return x.msg != nil && contains(x.recorded().ReplyIDs(), want.ID) })
		if x == nil {
			x = e.lastBotLocked(key, func(x *entry) bool { return x.typ == "interactive" })
		}
		if x != nil {
			ctxID = x.id
		}
	case m.TemplateButton != nil:
		if x := e.lastBotLocked(key, func(x *entry) bool { return x.typ == "template" }); x != nil {
			ctxID = x.id
		}
	case m.Reaction != nil && m.Reaction.MessageID == "":
		if x := e.lastBotLocked(key, func(*entry) bool { return true }); x != nil {
			ctxID = x.id
		}
	}
	e.mu.Unlock()

	switch {
	case m.Text != "":
		msg.Type, msg.Text = "text", &inboundText{Body: m.Text}
	case m.ButtonReply != nil:
		r := m.ButtonReply
		msg.Type = "interactive"
		msg.Interactive = &inboundInteractive{Type: "button_reply", ButtonReply: &inboundReply{ID: r.ID, Title: r.Title}}
	case m.ListReply != nil:
		r := m.ListReply
		msg.Type = "interactive"
		msg.Interactive = &inboundInteractive{Type: "list_reply", ListReply: &inboundReply{ID: r.ID, Title: r.Title, Description: r.Description}}
	case m.TemplateButton != nil:
		msg.Type, msg.Button = "button", &inboundButton{Payload: m.TemplateButton.Payload, Text: m.TemplateButton.Text}
	case m.Location != nil:
		l := m.Location
		msg.Type, msg.Location = "location", &inboundLocation{Latitude: l.Latitude, Longitude: l.Longitude, Name: l.Name, Address: l.Address}
	case m.Image != nil:
		data := placeholderPNG()
		sum := sha256.Sum256(data)
		id := newDigits(16)
		it := &mediaItem{pnid: num.PhoneNumberID, mime: "image/png", sha256: base64.StdEncoding.EncodeToString(sum[:]), data: data}
		e.mu.Lock()
		e.media.put(id, it)
		e.mu.Unlock()
		msg.Type, msg.Image = "image", &inboundImage{Caption: m.Image.Caption, MimeType: it.mime, SHA256: it.sha256, ID: id}
	case m.Reaction != nil:
		target := m.Reaction.MessageID
		if target == "" {
			target, ctxID = ctxID, ""
		}
		if target == "" {
			return CustomerResult{}, errs.Invalid(errs.Field("reaction.message_id", "required", "sandbox.field.nothing_to_react_to"))
		}
		msg.Type, msg.Reaction = "reaction", &inboundReaction{MessageID: target, Emoji: m.Reaction.Emoji}
	case m.Unknown:
		msg.Type = "unknown"
		msg.Errors = []webhookError{{Code: 131051, Title: "Message type unknown", Message: "Message type unknown",
			ErrorData: &webhookErrorData{Details: "Message type is currently not supported."}}}
	}
	if ctxID != "" && msg.Type != "reaction" {
		msg.Context = &inboundContext{From: info.display, ID: ctxID}
	}

	raw, err := json.Marshal(msg)
	if err != nil {
		return CustomerResult{}, err
	}
	body, err := json.Marshal(info.envelope(webhookValue{
		Contacts: []webhookContact{{Profile: webhookProfile{Name: name}, WaID: wa}},
		Messages: []inboundMessage{msg},
	}))
	if err != nil {
		return CustomerResult{}, err
	}
	x := &entry{key: key, dir: dirIn, id: msg.ID, typ: msg.Type, at: now, status: StatusSent, raw: raw}
	e.mu.Lock()
	c := e.convLocked(key)
	c.num = info
	e.addLocked(x)
	e.mu.Unlock()

	res := CustomerResult{ID: msg.ID, Seq: x.seq, Payload: body}
	code, answer, err := e.postWebhook(ctx, info.secret, body)
	res.WebhookStatus, res.WebhookAnswer = code, answer
	e.count(info.pnid, func(c *Counters) {
		c.Inbound++
		if err != nil || code < 200 || code > 299 {
			c.InboundFailed++
		}
	})
	if err != nil {
		e.setStatus(msg.ID, StatusFailed, 0, "webhook unreachable")
		e.log.Warn("inbound webhook not delivered", "phone_number_id", info.pnid, "err", err)
		return res, errs.Wrap(errs.CodeUnavailable, err, "sandbox.webhook.down")
	}
	e.mu.Lock()
	x.webhook = code
	e.mu.Unlock()
	if code >= 200 && code <= 299 {
		e.setStatus(msg.ID, StatusDelivered, 0, "")
	} else {
		e.setStatus(msg.ID, StatusFailed, code, fmt.Sprintf("webhook answered HTTP %d", code))
	}
	return res, nil
}

func (m CustomerMessage) check() error {
	kinds := 0
	for _, set := range []bool{m.Text != "", m.ButtonReply != nil, m.ListReply != nil, m.TemplateButton != nil,
		m.Location != nil, m.Image != nil, m.Reaction != nil, m.Unknown} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return errs.Invalid(errs.Field("message", "one_of", "sandbox.field.one_kind"))
	}
	for field, r := range map[string]*ReplyChoice{"button_reply": m.ButtonReply, "list_reply": m.ListReply} {
		if r != nil && (r.ID == "" || r.Title == "") {
			return errs.Invalid(errs.Field(field, "required", "sandbox.field.id_and_title"))
		}
	}
	if b := m.TemplateButton; b != nil && b.Payload == "" && b.Text == "" {
		return errs.Invalid(errs.Field("template_button", "required", "sandbox.field.payload_or_text"))
	}
	if l := m.Location; l != nil && (l.Latitude < -90 || l.Latitude > 90 || l.Longitude < -180 || l.Longitude > 180) {
		return errs.Invalid(errs.Field("location", "range", "sandbox.field.coordinates"))
	}
	return nil
}

// resolveForCustomer finds the business number by phone_number_id or tenant
// slug.
func (e *Emulator) resolveForCustomer(ctx context.Context, pnid, slug string) (*tenants.Tenant, *tenants.Number, error) {
	if pnid == "" && slug != "" {
		nums, err := e.numbers.Numbers(ctx, slug)
		if errors.Is(err, errs.ErrNotFound) {
			return nil, nil, ErrUnknownNumber
		}
		if err != nil {
			return nil, nil, err
		}
		for _, n := range nums {
			if n.Status == "active" {
				pnid = n.PhoneNumberID
				break
			}
		}
	}
	if pnid == "" {
		return nil, nil, ErrUnknownNumber
	}
	t, n, err := e.numbers.ResolveNumber(ctx, pnid)
	if errors.Is(err, errs.ErrNotFound) || errors.Is(err, errs.ErrForbidden) || (err == nil && n == nil) {
		return nil, nil, ErrUnknownNumber
	}
	return t, n, err
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// placeholderPNG is the picture every sandbox customer "photographs": a
// sun over two hills.
var placeholderPNG = sync.OnceValue(func() []byte {
	const w, h = 240, 160
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	sky, sun, hill, hill2 := color.RGBA{0xd9, 0xf2, 0xe6, 0xff}, color.RGBA{0xf5, 0xb7, 0x2e, 0xff}, color.RGBA{0x25, 0xd3, 0x66, 0xff}, color.RGBA{0x12, 0x8c, 0x7e, 0xff}
	for y := range h {
		for x := range w {
			c := sky
			dx, dy := x-170, y-50
			switch {
			case (x-70)*(x-70)/3+(y-190)*(y-190) < 110*110/3 && y > 100:
				c = hill2
			case (x-180)*(x-180)/2+(y-200)*(y-200) < 100*100/2 && y > 110:
				c = hill
			case dx*dx+dy*dy < 22*22:
				c = sun
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
})
