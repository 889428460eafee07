package cloudapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Outgoing message types (the request's "type").
const (
	OutText        = "text"
	OutImage       = "image"
	OutInteractive = "interactive"
	OutTemplate    = "template"
)

// Interactive types (interactive.type).
const (
	InteractiveButton      = "button"
	InteractiveList        = "list"
	InteractiveCTAURL      = "cta_url"
	InteractiveProduct     = "product"
	InteractiveProductList = "product_list"
)

// Outgoing is one message to send. Its JSON is exactly the Cloud API
// Messages request without the envelope (messaging_product, recipient_type,
// to), so it round-trips through JSON: store json.Marshal(o) in the outbound
// row, unmarshal it in the send job, and Request adds the envelope. A read
// receipt (MarkReadMessage) is an Outgoing with Status "read" and MessageID.
//
// Build values with the constructors (Text, Buttons, ListPages, ...), which
// respect WhatsApp's limits; Validate (called by Request) rejects hand-built
// values that do not.
type Outgoing struct {
	Type        string        `json:"type,omitempty"`
	Context     *ReplyContext `json:"context,omitempty"`
	Text        *Text         `json:"text,omitempty"`
	Image       *MediaRef     `json:"image,omitempty"`
	Interactive *Interactive  `json:"interactive,omitempty"`
	Template    *Template     `json:"template,omitempty"`
	// Status and MessageID make a read receipt ("read", the customer's wamid).
	Status    string `json:"status,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	// BizOpaqueCallbackData is echoed back in this message's status
	// webhooks (Status.BizOpaqueCallbackData), e.g. the outbound row's id.
	BizOpaqueCallbackData string `json:"biz_opaque_callback_data,omitempty"`
}

// MaxCallbackData is the limit of BizOpaqueCallbackData.
const MaxCallbackData = 512

// WithCallbackData sets the data Meta echoes back in the message's status
// webhooks (at most MaxCallbackData characters; longer data is rejected by
// Validate rather than cut, since it is meant to be read back).
func (o Outgoing) WithCallbackData(data string) Outgoing {
	o.BizOpaqueCallbackData = data
	return o
}

// ReplyContext quotes an earlier message (the reply shows it above).
type ReplyContext struct {
	MessageID string `json:"message_id"`
}

// MediaRef is outbound media: by Link (a public HTTPS URL) or by an uploaded
// media ID.
type MediaRef struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Interactive is an interactive message: reply buttons, list, CTA URL
// button, single product or product list.
type Interactive struct {
	Type   string      `json:"type"`
	Header *Header     `json:"header,omitempty"`
	Body   *BodyText   `json:"body,omitempty"`
	Footer *FooterText `json:"footer,omitempty"`
	Action Action      `json:"action"`
}

// Header is an interactive message's header; this package builds text
// headers (Type "text").
type Header struct {
	Type  string    `json:"type"`
	Text  string    `json:"text,omitempty"`
	Image *MediaRef `json:"image,omitempty"`
}

// BodyText is an interactive message's body.
type BodyText struct {
	Text string `json:"text"`
}

// FooterText is an interactive message's footer.
type FooterText struct {
	Text string `json:"text"`
}

// Action is the interactive part: Buttons for reply buttons; Button (the
// label) and Sections for a list; Name "cta_url" and Parameters for a CTA
// URL button; CatalogID with ProductRetailerID (single product) or Sections
// (product list).
type Action struct {
	Button            string         `json:"button,omitempty"`
	Buttons           []ReplyButton  `json:"buttons,omitempty"`
	Sections          []Section      `json:"sections,omitempty"`
	Name              string         `json:"name,omitempty"`
	Parameters        *CTAParameters `json:"parameters,omitempty"`
	CatalogID         string         `json:"catalog_id,omitempty"`
	ProductRetailerID string         `json:"product_retailer_id,omitempty"`
}

// ReplyButton is one reply button (Type "reply").
type ReplyButton struct {
	Type  string `json:"type"`
	Reply Button `json:"reply"`
}

// Button is a reply button's id and title.
type Button struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Section is a list section (Rows) or a product list section (ProductItems).
type Section struct {
	Title        string        `json:"title,omitempty"`
	Rows         []SectionRow  `json:"rows,omitempty"`
	ProductItems []ProductItem `json:"product_items,omitempty"`
}

// SectionRow is a list row as sent.
type SectionRow struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// ProductItem is one catalog product of a product list.
type ProductItem struct {
	ProductRetailerID string `json:"product_retailer_id"`
}

// CTAParameters are a CTA URL button's label and target.
type CTAParameters struct {
	DisplayText string `json:"display_text"`
	URL         string `json:"url"`
}

// Template is an approved message template with its parameters.
type Template struct {
	Name       string              `json:"name"`
	Language   TemplateLanguage    `json:"language"`
	Components []TemplateComponent `json:"components,omitempty"`
}

// TemplateLanguage is the template's language code ("ar", "en_US").
type TemplateLanguage struct {
	Code string `json:"code"`
}

// TemplateComponent fills one part of a template: Type "header" or "body"
// with parameters, or Type "button" with SubType "quick_reply" (or "url") and
// the button's Index.
type TemplateComponent struct {
	Type       string              `json:"type"`
	SubType    string              `json:"sub_type,omitempty"`
	Index      string              `json:"index,omitempty"`
	Parameters []TemplateParameter `json:"parameters,omitempty"`
}

// TemplateParameter is one template parameter: Type "text" with Text,
// "payload" with Payload (quick reply), or "image" with Image.
type TemplateParameter struct {
	Type    string    `json:"type"`
	Text    string    `json:"text,omitempty"`
	Payload string    `json:"payload,omitempty"`
	Image   *MediaRef `json:"image,omitempty"`
}

// IsTemplate reports whether o is a template message, the only kind allowed
// outside the 24-hour customer-service window.
func (o Outgoing) IsTemplate() bool { return o.Type == OutTemplate }

// IsReadReceipt reports whether o marks a customer's message as read.
func (o Outgoing) IsReadReceipt() bool { return o.Status == StatusRead }

// request is the Cloud API body: the envelope plus the message.
type request struct {
	MessagingProduct string `json:"messaging_product"`
	RecipientType    string `json:"recipient_type,omitempty"`
	To               string `json:"to,omitempty"`
	Outgoing
}

// Request is the exact Cloud API request body for sending o to the customer
// with WhatsApp id (or E.164 number) to. A read receipt ignores to. It fails
// with an *InvalidMessageError (permanent) when o breaks a WhatsApp limit or
// misses a required field, or to is not a phone number.
func (o Outgoing) Request(to string) ([]byte, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	r := request{MessagingProduct: "whatsapp", Outgoing: o}
	if !o.IsReadReceipt() {
		if !validRecipient(to) {
			return nil, &InvalidMessageError{Problems: []Problem{{Field: "to", Reason: fmt.Sprintf("%q is not a phone number", to)}}}
		}
		r.RecipientType, r.To = "individual", to
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("whatsapp: encode request: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func validRecipient(to string) bool {
	d := strings.TrimPrefix(to, "+")
	return len(d) >= 5 && len(d) <= 20 && digits(d)
}

// Validate checks o against WhatsApp's limits and required fields. Its
// error is an *InvalidMessageError; IsPermanent holds for it.
func (o Outgoing) Validate() error {
	var v validator
	switch {
	case o.IsReadReceipt():
		v.require(o.MessageID != "", "message_id", "a read receipt needs the message id")
		v.require(o.Type == "", "type", "a read receipt has no type")
	case o.Type == OutText:
		v.require(o.Text != nil && strings.TrimSpace(o.Text.Body) != "", "text.body", "required")
		if o.Text != nil {
			v.max("text.body", o.Text.Body, MaxTextBody)
		}
	case o.Type == OutImage:
		v.require(o.Image != nil && (o.Image.Link != "" || o.Image.ID != ""), "image", "needs a link or a media id")
		if o.Image != nil {
			v.max("image.caption", o.Image.Caption, MaxCaption)
		}
	case o.Type == OutInteractive:
		v.require(o.Interactive != nil, "interactive", "required")
		if o.Interactive != nil {
			v.interactive(o.Interactive)
		}
	case o.Type == OutTemplate:
		v.require(o.Template != nil && o.Template.Name != "" && o.Template.Language.Code != "", "template", "needs a name and a language code")
	default:
		v.fail("type", fmt.Sprintf("unknown message type %q", o.Type))
	}
	if o.Context != nil {
		v.require(o.Context.MessageID != "", "context.message_id", "required")
	}
	v.max("biz_opaque_callback_data", o.BizOpaqueCallbackData, MaxCallbackData)
	return v.err()
}

// InvalidMessageError is an outgoing message that breaks a WhatsApp limit or
// misses a required field. The builders never make one: it is a programming
// error of whoever built the message by hand, for developers' eyes (logs,
// the message's error detail), and sending it again cannot help
// (IsPermanent).
type InvalidMessageError struct {
	Problems []Problem
}

// Problem is one field of an invalid message and what is wrong with it.
type Problem struct {
	Field  string // as in the Cloud API's JSON: interactive.action.buttons[0].reply.title
	Reason string
}

func (e *InvalidMessageError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Reason
	}
	return "whatsapp: invalid message: " + strings.Join(parts, "; ")
}

type validator struct{ problems []Problem }

func (v *validator) fail(field, msg string) {
	v.problems = append(v.problems, Problem{Field: field, Reason: msg})
}

func (v *validator) require(ok bool, field, msg string) {
	if !ok {
		v.fail(field, msg)
	}
}

func (v *validator) max(field, s string, n int) {
	if c := utf8.RuneCountInString(s); c > n {
		v.fail(field, fmt.Sprintf("%d characters, at most %d", c, n))
	}
}

func (v *validator) nonEmptyMax(field, s string, n int) {
	v.require(strings.TrimSpace(s) != "", field, "required")
	v.max(field, s, n)
}

func (v *validator) interactive(in *Interactive) {
	if in.Header != nil {
		v.require(in.Header.Type != "", "interactive.header.type", "required")
		if in.Header.Type == "text" {
			v.nonEmptyMax("interactive.header.text", in.Header.Text, MaxHeader)
		}
	}
	if in.Body != nil {
		v.max("interactive.body.text", in.Body.Text, MaxInteractiveBody)
	}
	if in.Footer != nil {
		v.max("interactive.footer.text", in.Footer.Text, MaxFooter)
	}
	body := in.Body != nil && strings.TrimSpace(in.Body.Text) != ""
	a := in.Action
	switch in.Type {
	case InteractiveButton:
		v.require(body, "interactive.body", "required")
		v.require(len(a.Buttons) >= 1 && len(a.Buttons) <= MaxButtons, "interactive.action.buttons", fmt.Sprintf("%d buttons, need 1 to %d", len(a.Buttons), MaxButtons))
		ids := map[string]bool{}
		for i, b := range a.Buttons {
			f := fmt.Sprintf("interactive.action.buttons[%d]", i)
			v.require(b.Type == "reply", f+".type", `must be "reply"`)
			v.nonEmptyMax(f+".reply.id", b.Reply.ID, MaxButtonID)
			v.nonEmptyMax(f+".reply.title", b.Reply.Title, MaxButtonTitle)
			v.require(!ids[b.Reply.ID], f+".reply.id", "duplicate id")
			ids[b.Reply.ID] = true
		}
	case InteractiveList:
		v.require(body, "interactive.body", "required")
		v.nonEmptyMax("interactive.action.button", a.Button, MaxListButton)
		v.require(len(a.Sections) >= 1 && len(a.Sections) <= MaxSections, "interactive.action.sections", fmt.Sprintf("%d sections, need 1 to %d", len(a.Sections), MaxSections))
		rows := 0
		ids := map[string]bool{}
		for i, s := range a.Sections {
			f := fmt.Sprintf("interactive.action.sections[%d]", i)
			v.max(f+".title", s.Title, MaxSectionTitle)
			v.require(len(a.Sections) == 1 || s.Title != "", f+".title", "required when there are several sections")
			v.require(len(s.Rows) > 0, f+".rows", "required")
			for j, r := range s.Rows {
				rf := fmt.Sprintf("%s.rows[%d]", f, j)
				v.nonEmptyMax(rf+".id", r.ID, MaxRowID)
				v.nonEmptyMax(rf+".title", r.Title, MaxRowTitle)
				v.max(rf+".description", r.Description, MaxRowDescription)
				v.require(!ids[r.ID], rf+".id", "duplicate id")
				ids[r.ID] = true
			}
			rows += len(s.Rows)
		}
		v.require(rows <= MaxRows, "interactive.action.sections", fmt.Sprintf("%d rows, at most %d", rows, MaxRows))
	case InteractiveCTAURL:
		v.require(body, "interactive.body", "required")
		v.require(a.Name == "cta_url", "interactive.action.name", `must be "cta_url"`)
		v.require(a.Parameters != nil, "interactive.action.parameters", "required")
		if a.Parameters != nil {
			v.nonEmptyMax("interactive.action.parameters.display_text", a.Parameters.DisplayText, MaxCTADisplayText)
			v.require(strings.HasPrefix(a.Parameters.URL, "https://") || strings.HasPrefix(a.Parameters.URL, "http://"), "interactive.action.parameters.url", "needs an http(s) URL")
		}
	case InteractiveProduct:
		v.require(a.CatalogID != "" && a.ProductRetailerID != "", "interactive.action", "needs catalog_id and product_retailer_id")
	case InteractiveProductList:
		v.require(body, "interactive.body", "required")
		v.require(in.Header != nil && in.Header.Type == "text", "interactive.header", "a text header is required")
		v.require(a.CatalogID != "", "interactive.action.catalog_id", "required")
		v.require(len(a.Sections) >= 1 && len(a.Sections) <= MaxSections, "interactive.action.sections", fmt.Sprintf("%d sections, need 1 to %d", len(a.Sections), MaxSections))
		items := 0
		for i, s := range a.Sections {
			f := fmt.Sprintf("interactive.action.sections[%d]", i)
			v.nonEmptyMax(f+".title", s.Title, MaxSectionTitle)
			v.require(len(s.ProductItems) > 0, f+".product_items", "required")
			items += len(s.ProductItems)
		}
		v.require(items <= MaxProductItems, "interactive.action.sections", fmt.Sprintf("%d products, at most %d", items, MaxProductItems))
	default:
		v.fail("interactive.type", fmt.Sprintf("unknown interactive type %q", in.Type))
	}
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &InvalidMessageError{Problems: v.problems}
}

// Summary renders o as one short plain text for logs and the staff inbox:
// the text or body, then the choices in brackets.
func (o Outgoing) Summary() string {
	switch {
	case o.IsReadReceipt():
		return "[read " + o.MessageID + "]"
	case o.Text != nil && o.Type == OutText:
		return o.Text.Body
	case o.Image != nil && o.Type == OutImage:
		if o.Image.Caption != "" {
			return "[image] " + o.Image.Caption
		}
		return "[image] " + o.Image.Link
	case o.Template != nil && o.Type == OutTemplate:
		s := "[template " + o.Template.Name + " " + o.Template.Language.Code + "]"
		var params, replies []string
		for _, c := range o.Template.Components {
			for _, p := range c.Parameters {
				switch {
				case p.Text != "":
					params = append(params, p.Text)
				case p.Payload != "":
					replies = append(replies, p.Payload)
				}
			}
		}
		if len(params) > 0 {
			s += " " + strings.Join(params, ", ")
		}
		if len(replies) > 0 {
			s += " [" + strings.Join(replies, " | ") + "]"
		}
		return s
	case o.Interactive != nil && o.Type == OutInteractive:
		return o.Interactive.summary()
	}
	return "[" + o.Type + "]"
}

func (in *Interactive) summary() string {
	var parts []string
	if in.Header != nil && in.Header.Text != "" {
		parts = append(parts, in.Header.Text)
	}
	if in.Body != nil && in.Body.Text != "" {
		parts = append(parts, in.Body.Text)
	}
	a := in.Action
	switch in.Type {
	case InteractiveButton:
		titles := make([]string, len(a.Buttons))
		for i, b := range a.Buttons {
			titles[i] = b.Reply.Title
		}
		parts = append(parts, "["+strings.Join(titles, " | ")+"]")
	case InteractiveList:
		var titles []string
		for _, s := range a.Sections {
			for _, r := range s.Rows {
				titles = append(titles, r.Title)
			}
		}
		parts = append(parts, "["+a.Button+": "+strings.Join(titles, " | ")+"]")
	case InteractiveCTAURL:
		if a.Parameters != nil {
			parts = append(parts, "["+a.Parameters.DisplayText+" → "+a.Parameters.URL+"]")
		}
	case InteractiveProduct:
		parts = append(parts, "[product "+a.ProductRetailerID+"]")
	case InteractiveProductList:
		n := 0
		for _, s := range a.Sections {
			n += len(s.ProductItems)
		}
		parts = append(parts, fmt.Sprintf("[%d products]", n))
	}
	return strings.Join(parts, " ")
}
