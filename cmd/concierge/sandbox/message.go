package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Message is the body of a Cloud API send (POST /{phone_number_id}/messages)
// as far as the emulator knows it: text, interactive, image and template
// messages, and the mark-as-read form. Keys the emulator does not know are
// refused, as Meta refuses them.
type Message struct {
	MessagingProduct      string           `json:"messaging_product"`
	RecipientType         string           `json:"recipient_type,omitempty"`
	To                    string           `json:"to,omitempty"`
	Type                  string           `json:"type,omitempty"`
	Context               *Context         `json:"context,omitempty"`
	BizOpaqueCallbackData string           `json:"biz_opaque_callback_data,omitempty"`
	Text                  *Text            `json:"text,omitempty"`
	Interactive           *Interactive     `json:"interactive,omitempty"`
	Image                 *Media           `json:"image,omitempty"`
	Template              *Template        `json:"template,omitempty"`
	Status                string           `json:"status,omitempty"`     // "read" in the mark-as-read form
	MessageID             string           `json:"message_id,omitempty"` // the message marked read
	TypingIndicator       *TypingIndicator `json:"typing_indicator,omitempty"`
}

// Context quotes the message being replied to.
type Context struct {
	MessageID string `json:"message_id"`
}

// TypingIndicator goes with a mark-as-read to show "typing…".
type TypingIndicator struct {
	Type string `json:"type"`
}

// Text is a text message.
type Text struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url,omitempty"`
}

// Media is an image (or a header's video or document), by uploaded id or
// link.
type Media struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Interactive is a button, list, cta_url, product or product_list message.
type Interactive struct {
	Type   string     `json:"type"`
	Header *Header    `json:"header,omitempty"`
	Body   *TextBlock `json:"body,omitempty"`
	Footer *TextBlock `json:"footer,omitempty"`
	Action *Action    `json:"action,omitempty"`
}

// Header is an interactive message's header.
type Header struct {
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	Image    *Media `json:"image,omitempty"`
	Video    *Media `json:"video,omitempty"`
	Document *Media `json:"document,omitempty"`
}

// TextBlock is a body or footer.
type TextBlock struct {
	Text string `json:"text"`
}

// Action is what an interactive message offers.
type Action struct {
	Button            string         `json:"button,omitempty"`  // list: the button that opens it
	Buttons           []Button       `json:"buttons,omitempty"` // button: reply buttons
	Sections          []Section      `json:"sections,omitempty"`
	Name              string         `json:"name,omitempty"` // cta_url
	Parameters        *CTAParameters `json:"parameters,omitempty"`
	CatalogID         string         `json:"catalog_id,omitempty"`
	ProductRetailerID string         `json:"product_retailer_id,omitempty"`
}

// Button is a reply button.
type Button struct {
	Type  string `json:"type"`
	Reply *Reply `json:"reply,omitempty"`
}

// Reply is a reply button's id and title.
type Reply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Section is a list section (rows) or a product_list section (items).
type Section struct {
	Title        string        `json:"title,omitempty"`
	Rows         []Row         `json:"rows,omitempty"`
	ProductItems []ProductItem `json:"product_items,omitempty"`
}

// Row is a list row.
type Row struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// ProductItem is a product of a product_list.
type ProductItem struct {
	ProductRetailerID string `json:"product_retailer_id"`
}

// CTAParameters are a cta_url button's text and target.
type CTAParameters struct {
	DisplayText string `json:"display_text"`
	URL         string `json:"url"`
}

// Template is a template message.
type Template struct {
	Name       string      `json:"name"`
	Language   *Language   `json:"language,omitempty"`
	Components []Component `json:"components,omitempty"`
}

// Language is a template's language.
type Language struct {
	Code   string `json:"code"`
	Policy string `json:"policy,omitempty"`
}

// Component fills a template's header, body or button.
type Component struct {
	Type       string      `json:"type"`
	SubType    string      `json:"sub_type,omitempty"`
	Index      json.Number `json:"index,omitempty"`
	Parameters []Parameter `json:"parameters,omitempty"`
}

// Parameter is one value of a template component.
type Parameter struct {
	Type          string         `json:"type"`
	ParameterName string         `json:"parameter_name,omitempty"`
	Text          string         `json:"text,omitempty"`
	Payload       string         `json:"payload,omitempty"`
	Image         *Media         `json:"image,omitempty"`
	Document      *Media         `json:"document,omitempty"`
	Video         *Media         `json:"video,omitempty"`
	Currency      *CurrencyParam `json:"currency,omitempty"`
	DateTime      *DateTimeParam `json:"date_time,omitempty"`
}

// CurrencyParam is a currency template parameter.
type CurrencyParam struct {
	FallbackValue string `json:"fallback_value"`
	Code          string `json:"code"`
	Amount1000    int64  `json:"amount_1000"`
}

// DateTimeParam is a date_time template parameter.
type DateTimeParam struct {
	FallbackValue string `json:"fallback_value"`
}

// Limits Meta applies to interactive messages, in characters.
const (
	maxTextBody        = 4096
	maxInteractiveBody = 1024
	maxListBody        = 4096
	maxHeaderText      = 60
	maxFooterText      = 60
	maxButtons         = 3
	maxButtonTitle     = 20
	maxButtonID        = 256
	maxListButton      = 20
	maxSections        = 10
	maxRows            = 10
	maxSectionTitle    = 24
	maxRowTitle        = 24
	maxRowDescription  = 72
	maxRowID           = 200
	maxCTAText         = 20
	maxCaption         = 1024
	maxProductItems    = 30
)

// metaError is an error answer of the Graph API.
type metaError struct {
	status   int
	code     int
	subcode  int
	typ      string
	message  string
	details  string
	retryAft int // seconds
}

func (m *metaError) Error() string { return fmt.Sprintf("%d %s: %s", m.code, m.message, m.details) }

// invalidParam is Meta's 100 for a missing or malformed parameter.
func invalidParam(format string, args ...any) *metaError {
	return &metaError{status: 400, code: 100, message: "(#100) " + fmt.Sprintf(format, args...)}
}

// required is Meta's 100 for a missing parameter.
func required(param string) *metaError {
	return invalidParam("The parameter %s is required.", param)
}

// badValue is Meta's 131009 for a value out of bounds.
func badValue(format string, args ...any) *metaError {
	return &metaError{status: 400, code: 131009, message: "(#131009) Parameter value is not valid", details: fmt.Sprintf(format, args...)}
}

// decodeMessage parses a send body strictly, as Meta does.
func decodeMessage(body []byte) (*Message, *metaError) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, required("messaging_product")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	var m Message
	if err := dec.Decode(&m); err != nil {
		msg := err.Error()
		if k, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return nil, invalidParam("Unexpected key %s on param.", k)
		}
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return nil, invalidParam("Param %s must be a %s.", ute.Field, ute.Type.String())
		}
		return nil, &metaError{status: 400, code: 100, message: "(#100) Invalid parameter", details: "the request body is not valid JSON"}
	}
	if dec.More() {
		return nil, &metaError{status: 400, code: 100, message: "(#100) Invalid parameter", details: "the request body has data after the JSON object"}
	}
	return &m, nil
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// isRead reports whether m is the mark-as-read form.
func (m *Message) isRead() bool { return m.Status != "" || m.MessageID != "" }

// validate checks a send like Meta would, and sets Meta's default type
// (text) when none is given.
func (m *Message) validate() *metaError {
	switch {
	case m.MessagingProduct == "":
		return required("messaging_product")
	case m.MessagingProduct != "whatsapp":
		return invalidParam("Param messaging_product must be one of {WHATSAPP} - got %q.", m.MessagingProduct)
	}
	if m.isRead() {
		switch {
		case m.Status != "read":
			return invalidParam("Param status must be one of {READ} - got %q.", m.Status)
		case m.MessageID == "":
			return required("message_id")
		case m.TypingIndicator != nil && m.TypingIndicator.Type != "text":
			return invalidParam("Param typing_indicator['type'] must be one of {TEXT} - got %q.", m.TypingIndicator.Type)
		case m.To != "" || m.Type != "" || m.Text != nil || m.Interactive != nil || m.Image != nil || m.Template != nil:
			return invalidParam("Invalid parameter: a mark-as-read request carries only messaging_product, status, message_id and typing_indicator")
		}
		return nil
	}
	if m.TypingIndicator != nil {
		return invalidParam("Unexpected key \"typing_indicator\" on param: it goes with status \"read\".")
	}
	if m.RecipientType != "" && m.RecipientType != "individual" {
		return invalidParam("Param recipient_type must be one of {INDIVIDUAL} - got %q.", m.RecipientType)
	}
	if m.To == "" {
		return required("to")
	}
	if !validWaID(strings.TrimPrefix(m.To, "+")) {
		return &metaError{status: 400, code: 100, message: "(#100) Invalid parameter", details: fmt.Sprintf("Param to must be a phone number in international format without spaces (digits, optional leading +), got %q", m.To)}
	}
	if m.Context != nil && m.Context.MessageID == "" {
		return required("context['message_id']")
	}
	if m.Type == "" {
		m.Type = "text" // Meta's default
	}
	present := map[string]bool{"text": m.Text != nil, "interactive": m.Interactive != nil, "image": m.Image != nil, "template": m.Template != nil}
	for k, ok := range present {
		if ok && k != m.Type {
			return invalidParam("Param %s is not allowed for messages of type %s.", k, m.Type)
		}
	}
	switch m.Type {
	case "text":
		return validateText(m.Text)
	case "interactive":
		return validateInteractive(m.Interactive)
	case "image":
		if m.Image == nil {
			return required("image")
		}
		return validateMedia("image", m.Image, true)
	case "template":
		return validateTemplate(m.Template)
	case "audio", "contacts", "document", "location", "reaction", "sticker", "video":
		return invalidParam("Param type %q is valid for Meta but not emulated by the sandbox (text, interactive, image, template).", m.Type)
	}
	return invalidParam("Param type must be one of {AUDIO, CONTACTS, DOCUMENT, IMAGE, INTERACTIVE, LOCATION, REACTION, STICKER, TEMPLATE, TEXT, VIDEO} - got %q.", m.Type)
}

func validateText(t *Text) *metaError {
	switch {
	case t == nil:
		return required("text")
	case strings.TrimSpace(t.Body) == "":
		return required("text['body']")
	case runes(t.Body) > maxTextBody:
		return badValue("Message text is too long. Max length is %d", maxTextBody)
	}
	return nil
}

func validateMedia(param string, m *Media, captionOK bool) *metaError {
	switch {
	case m.ID == "" && m.Link == "":
		return required(param + "['id'] or " + param + "['link']")
	case m.ID != "" && m.Link != "":
		return invalidParam("Param %s must have either id or link, not both.", param)
	case m.Link != "" && !httpURL(m.Link):
		return badValue("Param %s['link'] must be a valid http or https URL", param)
	case m.Caption != "" && !captionOK:
		return invalidParam("Unexpected key \"caption\" on param \"%s\".", param)
	case runes(m.Caption) > maxCaption:
		return badValue("Param %s['caption'] is too long. Max length is %d", param, maxCaption)
	}
	return nil
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func validateInteractive(in *Interactive) *metaError {
	if in == nil {
		return required("interactive")
	}
	if in.Type == "" {
		return required("interactive['type']")
	}
	if in.Action == nil {
		return required("interactive['action']")
	}
	if in.Footer != nil && runes(in.Footer.Text) > maxFooterText {
		return badValue("Footer text is too long. Max length is %d", maxFooterText)
	}
	if in.Footer != nil && strings.TrimSpace(in.Footer.Text) == "" {
		return required("interactive['footer']['text']")
	}
	if err := validateHeader(in.Type, in.Header); err != nil {
		return err
	}
	a := in.Action
	switch in.Type {
	case "button":
		if err := needBody(in, maxInteractiveBody); err != nil {
			return err
		}
		if n := len(a.Buttons); n < 1 || n > maxButtons {
			return badValue("Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: %d", maxButtons)
		}
		ids, titles := map[string]bool{}, map[string]bool{}
		for i, b := range a.Buttons {
			if b.Type != "reply" {
				return invalidParam("Param interactive['action']['buttons'][%d]['type'] must be one of {REPLY} - got %q.", i, b.Type)
			}
			if b.Reply == nil {
				return required(fmt.Sprintf("interactive['action']['buttons'][%d]['reply']", i))
			}
			if b.Reply.ID == "" {
				return required(fmt.Sprintf("interactive['action']['buttons'][%d]['reply']['id']", i))
			}
			if runes(b.Reply.ID) > maxButtonID {
				return badValue("Button id is too long. Max length is %d", maxButtonID)
			}
			if n := runes(b.Reply.Title); n < 1 || n > maxButtonTitle {
				return badValue("Button title length invalid. Min length: 1, Max length: %d", maxButtonTitle)
			}
			if ids[b.Reply.ID] {
				return badValue("Button ids must be unique: %q repeats", b.Reply.ID)
			}
			if titles[b.Reply.Title] {
				return badValue("Button titles must be unique: %q repeats", b.Reply.Title)
			}
			ids[b.Reply.ID], titles[b.Reply.Title] = true, true
		}
		return onlyAction(a, "buttons")
	case "list":
		if err := needBody(in, maxListBody); err != nil {
			return err
		}
		if a.Button == "" {
			return required("interactive['action']['button']")
		}
		if runes(a.Button) > maxListButton {
			return badValue("Button title length invalid. Min length: 1, Max length: %d", maxListButton)
		}
		if n := len(a.Sections); n < 1 || n > maxSections {
			return badValue("Invalid sections count. Min allowed sections: 1, Max allowed sections: %d", maxSections)
		}
		rows, ids := 0, map[string]bool{}
		for i, s := range a.Sections {
			if len(a.Sections) > 1 && s.Title == "" {
				return required(fmt.Sprintf("interactive['action']['sections'][%d]['title']", i))
			}
			if runes(s.Title) > maxSectionTitle {
				return badValue("Section title is too long. Max length is %d", maxSectionTitle)
			}
			if len(s.ProductItems) > 0 {
				return invalidParam("Unexpected key \"product_items\" on param \"interactive['action']['sections'][%d]\".", i)
			}
			if len(s.Rows) == 0 {
				return required(fmt.Sprintf("interactive['action']['sections'][%d]['rows']", i))
			}
			for j, r := range s.Rows {
				rows++
				if r.ID == "" {
					return required(fmt.Sprintf("interactive['action']['sections'][%d]['rows'][%d]['id']", i, j))
				}
				if runes(r.ID) > maxRowID {
					return badValue("Row id is too long. Max length is %d", maxRowID)
				}
				if ids[r.ID] {
					return badValue("Row ids must be unique: %q repeats", r.ID)
				}
				ids[r.ID] = true
				if n := runes(r.Title); n < 1 || n > maxRowTitle {
					return badValue("Row title length invalid. Min length: 1, Max length: %d", maxRowTitle)
				}
				if runes(r.Description) > maxRowDescription {
					return badValue("Row description is too long. Max length is %d", maxRowDescription)
				}
			}
		}
		if rows > maxRows {
			return badValue("Total row count exceed max allowed count: %d", maxRows)
		}
		return onlyAction(a, "button", "sections")
	case "cta_url":
		if err := needBody(in, maxInteractiveBody); err != nil {
			return err
		}
		if a.Name != "cta_url" {
			return invalidParam("Param interactive['action']['name'] must be one of {CTA_URL} - got %q.", a.Name)
		}
		p := a.Parameters
		switch {
		case p == nil:
			return required("interactive['action']['parameters']")
		case p.DisplayText == "":
			return required("interactive['action']['parameters']['display_text']")
		case runes(p.DisplayText) > maxCTAText:
			return badValue("Button title length invalid. Min length: 1, Max length: %d", maxCTAText)
		case p.URL == "":
			return required("interactive['action']['parameters']['url']")
		case !httpURL(p.URL):
			return badValue("Param interactive['action']['parameters']['url'] must be a valid http or https URL")
		}
		return onlyAction(a, "name", "parameters")
	case "product":
		if in.Body != nil && runes(in.Body.Text) > maxInteractiveBody {
			return badValue("Body text is too long. Max length is %d", maxInteractiveBody)
		}
		switch {
		case a.CatalogID == "":
			return required("interactive['action']['catalog_id']")
		case a.ProductRetailerID == "":
			return required("interactive['action']['product_retailer_id']")
		}
		return onlyAction(a, "catalog_id", "product_retailer_id")
	case "product_list":
		if in.Header == nil {
			return required("interactive['header']")
		}
		if err := needBody(in, maxInteractiveBody); err != nil {
			return err
		}
		if a.CatalogID == "" {
			return required("interactive['action']['catalog_id']")
		}
		if n := len(a.Sections); n < 1 || n > maxSections {
			return badValue("Invalid sections count. Min allowed sections: 1, Max allowed sections: %d", maxSections)
		}
		items := 0
		for i, s := range a.Sections {
			if s.Title == "" {
				return required(fmt.Sprintf("interactive['action']['sections'][%d]['title']", i))
			}
			if runes(s.Title) > maxSectionTitle {
				return badValue("Section title is too long. Max length is %d", maxSectionTitle)
			}
			if len(s.Rows) > 0 {
				return invalidParam("Unexpected key \"rows\" on param \"interactive['action']['sections'][%d]\".", i)
			}
			if len(s.ProductItems) == 0 {
				return required(fmt.Sprintf("interactive['action']['sections'][%d]['product_items']", i))
			}
			for j, it := range s.ProductItems {
				if it.ProductRetailerID == "" {
					return required(fmt.Sprintf("interactive['action']['sections'][%d]['product_items'][%d]['product_retailer_id']", i, j))
				}
			}
			items += len(s.ProductItems)
		}
		if items > maxProductItems {
			return badValue("Total product count exceed max allowed count: %d", maxProductItems)
		}
		return onlyAction(a, "catalog_id", "sections")
	}
	return invalidParam("Param interactive['type'] must be one of {BUTTON, CTA_URL, LIST, PRODUCT, PRODUCT_LIST} - got %q.", in.Type)
}

func needBody(in *Interactive, max int) *metaError {
	if in.Body == nil || strings.TrimSpace(in.Body.Text) == "" {
		return required("interactive['body']['text']")
	}
	if runes(in.Body.Text) > max {
		return badValue("Body text is too long. Max length is %d", max)
	}
	return nil
}

func validateHeader(typ string, h *Header) *metaError {
	if h == nil {
		return nil
	}
	if typ == "product" {
		return invalidParam("Param interactive['header'] is not allowed for interactive messages of type product.")
	}
	switch h.Type {
	case "text":
		if strings.TrimSpace(h.Text) == "" {
			return required("interactive['header']['text']")
		}
		if runes(h.Text) > maxHeaderText {
			return badValue("Header text is too long. Max length is %d", maxHeaderText)
		}
		return nil
	case "image", "video", "document":
		if typ == "list" || typ == "product_list" {
			return invalidParam("Param interactive['header']['type'] must be TEXT for %s messages - got %q.", typ, h.Type)
		}
		m := map[string]*Media{"image": h.Image, "video": h.Video, "document": h.Document}[h.Type]
		if m == nil {
			return required("interactive['header']['" + h.Type + "']")
		}
		return validateMedia("interactive['header']['"+h.Type+"']", m, false)
	case "":
		return required("interactive['header']['type']")
	}
	return invalidParam("Param interactive['header']['type'] must be one of {TEXT, IMAGE, VIDEO, DOCUMENT} - got %q.", h.Type)
}

// onlyAction refuses action keys that belong to other interactive types.
func onlyAction(a *Action, allowed ...string) *metaError {
	set := map[string]bool{
		"button": a.Button != "", "buttons": len(a.Buttons) > 0, "sections": len(a.Sections) > 0,
		"name": a.Name != "", "parameters": a.Parameters != nil, "catalog_id": a.CatalogID != "",
		"product_retailer_id": a.ProductRetailerID != "",
	}
	for _, k := range allowed {
		delete(set, k)
	}
	for _, k := range []string{"button", "buttons", "sections", "name", "parameters", "catalog_id", "product_retailer_id"} {
		if set[k] {
			return invalidParam("Unexpected key %q on param \"interactive['action']\".", k)
		}
	}
	return nil
}

func validateTemplate(t *Template) *metaError {
	switch {
	case t == nil:
		return required("template")
	case t.Name == "":
		return required("template['name']")
	case t.Language == nil || t.Language.Code == "":
		return required("template['language']['code']")
	case t.Language.Policy != "" && t.Language.Policy != "deterministic":
		return invalidParam("Param template['language']['policy'] must be one of {DETERMINISTIC} - got %q.", t.Language.Policy)
	}
	for i, c := range t.Components {
		switch strings.ToLower(c.Type) {
		case "header", "body":
		case "button":
			switch strings.ToLower(c.SubType) {
			case "quick_reply", "url", "copy_code", "flow", "catalog", "mpm", "voice_call":
			case "":
				return required(fmt.Sprintf("template['components'][%d]['sub_type']", i))
			default:
				return invalidParam("Param template['components'][%d]['sub_type'] is not valid - got %q.", i, c.SubType)
			}
			if c.Index == "" {
				return required(fmt.Sprintf("template['components'][%d]['index']", i))
			}
		case "":
			return required(fmt.Sprintf("template['components'][%d]['type']", i))
		default:
			return invalidParam("Param template['components'][%d]['type'] must be one of {HEADER, BODY, BUTTON} - got %q.", i, c.Type)
		}
		for j, p := range c.Parameters {
			where := fmt.Sprintf("template['components'][%d]['parameters'][%d]", i, j)
			switch p.Type {
			case "text":
				if p.Text == "" {
					return required(where + "['text']")
				}
			case "payload":
				if p.Payload == "" {
					return required(where + "['payload']")
				}
			case "currency":
				if p.Currency == nil {
					return required(where + "['currency']")
				}
			case "date_time":
				if p.DateTime == nil {
					return required(where + "['date_time']")
				}
			case "image", "document", "video":
				m := map[string]*Media{"image": p.Image, "document": p.Document, "video": p.Video}[p.Type]
				if m == nil {
					return required(where + "['" + p.Type + "']")
				}
				if err := validateMedia(where+"['"+p.Type+"']", m, false); err != nil {
					return err
				}
			case "":
				return required(where + "['type']")
			default:
				return invalidParam("Param %s['type'] is not valid - got %q.", where, p.Type)
			}
		}
	}
	return nil
}
