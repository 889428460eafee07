package cloudapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"concierge/internal/errs"
	"concierge/internal/input"
	"concierge/internal/money"
)

// SignatureHeader is the header Meta signs webhook bodies in.
const SignatureHeader = "X-Hub-Signature-256"

// ObjectWhatsApp is the "object" of every WhatsApp Business webhook.
const ObjectWhatsApp = "whatsapp_business_account"

// FieldMessages is the change field carrying messages and statuses.
const FieldMessages = "messages"

// Message types as they appear in value.messages[].type.
const (
	TypeText        = "text"
	TypeInteractive = "interactive"
	TypeButton      = "button"
	TypeLocation    = "location"
	TypeImage       = "image"
	TypeDocument    = "document"
	TypeAudio       = "audio"
	TypeVideo       = "video"
	TypeSticker     = "sticker"
	TypeOrder       = "order"
	TypeReaction    = "reaction"
	TypeUnsupported = "unsupported"
)

// Delivery states as they appear in value.statuses[].status.
const (
	StatusSent      = "sent"
	StatusDelivered = "delivered"
	StatusRead      = "read"
	StatusFailed    = "failed"
)

// Payload is a webhook body as Meta posts it.
type Payload struct {
	Object string  `json:"object"`
	Entry  []Entry `json:"entry"`
}

// Entry is one WhatsApp Business Account in a webhook; ID is the WABA id.
type Entry struct {
	ID      string   `json:"id"`
	Changes []Change `json:"changes"`
}

// Change is one change notification; Field is "messages" for messages and
// statuses.
type Change struct {
	Field string `json:"field"`
	Value Value  `json:"value"`
}

// Value is the content of a "messages" change.
type Value struct {
	MessagingProduct string    `json:"messaging_product"`
	Metadata         Metadata  `json:"metadata"`
	Contacts         []Contact `json:"contacts,omitempty"`
	Messages         []Message `json:"messages,omitempty"`
	Statuses         []Status  `json:"statuses,omitempty"`
	Errors           []Error   `json:"errors,omitempty"`
}

// Metadata names the business number a change is about.
type Metadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

// Contact is the customer who sent a message.
type Contact struct {
	Profile Profile `json:"profile"`
	WaID    string  `json:"wa_id"`
}

// Profile is a customer's WhatsApp profile.
type Profile struct {
	Name string `json:"name"`
}

// Timestamp is a Unix time in seconds. Meta sends it as a string; a bare
// number is accepted too.
type Timestamp string

// UnmarshalJSON accepts "1700000000" and 1700000000.
func (ts *Timestamp) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] != '"' {
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("timestamp: %w", err)
		}
		*ts = Timestamp(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	*ts = Timestamp(s)
	return nil
}

// Time is the timestamp in UTC, or the zero time when it is not a number.
func (ts Timestamp) Time() time.Time {
	n, err := strconv.ParseInt(strings.TrimSpace(string(ts)), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// Message is one inbound message. Type says which per-type object is set.
type Message struct {
	From      string    `json:"from"`
	ID        string    `json:"id"`
	Timestamp Timestamp `json:"timestamp"`
	Type      string    `json:"type"`
	Context   *Context  `json:"context,omitempty"`

	Text        *Text             `json:"text,omitempty"`
	Interactive *InteractiveReply `json:"interactive,omitempty"`
	Button      *TemplateButton   `json:"button,omitempty"`
	Location    *Location         `json:"location,omitempty"`
	Image       *Media            `json:"image,omitempty"`
	Document    *Media            `json:"document,omitempty"`
	Audio       *Media            `json:"audio,omitempty"`
	Video       *Media            `json:"video,omitempty"`
	Sticker     *Media            `json:"sticker,omitempty"`
	Order       *Order            `json:"order,omitempty"`
	Reaction    *Reaction         `json:"reaction,omitempty"`
	// Errors explain an "unsupported" (or unknown) message.
	Errors []Error `json:"errors,omitempty"`
}

// Context links a message to an earlier one: the message it replies to (a
// button tap carries the id of the message with the buttons), or the product
// a customer asks about.
type Context struct {
	From                string           `json:"from,omitempty"`
	ID                  string           `json:"id,omitempty"`
	Forwarded           bool             `json:"forwarded,omitempty"`
	FrequentlyForwarded bool             `json:"frequently_forwarded,omitempty"`
	ReferredProduct     *ReferredProduct `json:"referred_product,omitempty"`
}

// ReferredProduct is the catalog product a customer's message is about.
type ReferredProduct struct {
	CatalogID         string `json:"catalog_id"`
	ProductRetailerID string `json:"product_retailer_id"`
}

// Text is a text body, inbound and outbound (PreviewURL is outbound only).
type Text struct {
	PreviewURL bool   `json:"preview_url,omitempty"`
	Body       string `json:"body"`
}

// InteractiveReply is a customer's tap on a reply button or list row.
type InteractiveReply struct {
	Type        string       `json:"type"` // button_reply | list_reply
	ButtonReply *ButtonReply `json:"button_reply,omitempty"`
	ListReply   *ListReply   `json:"list_reply,omitempty"`
}

// ButtonReply is the reply button a customer tapped.
type ButtonReply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// ListReply is the list row a customer chose.
type ListReply struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// TemplateButton is a tap on a template's quick-reply button.
type TemplateButton struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

// Location is a shared location.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
	URL       string  `json:"url,omitempty"`
}

// Media is an inbound image, document, audio, video or sticker; ID is the
// Cloud API media id (download it through the Graph API).
type Media struct {
	ID       string `json:"id"`
	MimeType string `json:"mime_type,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
	Voice    bool   `json:"voice,omitempty"`    // audio recorded as a voice note
	Animated bool   `json:"animated,omitempty"` // animated sticker
}

// Order is a cart sent from the WhatsApp catalog.
type Order struct {
	CatalogID    string      `json:"catalog_id"`
	Text         string      `json:"text,omitempty"`
	ProductItems []OrderItem `json:"product_items"`
}

// OrderItem is one line of an Order. ItemPrice is kept as the decimal Meta
// sent (never a float); use PriceMinor for integer minor units.
type OrderItem struct {
	ProductRetailerID string      `json:"product_retailer_id"`
	Quantity          int         `json:"quantity"`
	ItemPrice         json.Number `json:"item_price"`
	Currency          string      `json:"currency"`
}

// PriceMinor is the unit price in minor units of Currency (SAR 12.5 → 1250,
// KWD 1.250 → 1250). It fails when the price has more decimals than the
// currency or is not a plain decimal.
func (i OrderItem) PriceMinor() (int64, error) {
	return MinorUnits(string(i.ItemPrice), i.Currency)
}

// Reaction is an emoji reaction to a message; an empty Emoji removes it.
type Reaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji,omitempty"`
}

// Status is a delivery report for a message the business sent.
type Status struct {
	ID                    string        `json:"id"`
	Status                string        `json:"status"`
	Timestamp             Timestamp     `json:"timestamp"`
	RecipientID           string        `json:"recipient_id"`
	BizOpaqueCallbackData string        `json:"biz_opaque_callback_data,omitempty"`
	Conversation          *Conversation `json:"conversation,omitempty"`
	Pricing               *Pricing      `json:"pricing,omitempty"`
	Errors                []Error       `json:"errors,omitempty"`
}

// Conversation is the billing conversation a status belongs to.
type Conversation struct {
	ID                  string              `json:"id"`
	ExpirationTimestamp Timestamp           `json:"expiration_timestamp,omitempty"`
	Origin              *ConversationOrigin `json:"origin,omitempty"`
}

// ConversationOrigin says who opened the conversation (user_initiated,
// marketing, utility, service, authentication, ...).
type ConversationOrigin struct {
	Type string `json:"type"`
}

// Pricing is the pricing information of a status.
type Pricing struct {
	Billable     bool   `json:"billable"`
	PricingModel string `json:"pricing_model"`
	Category     string `json:"category"`
	Type         string `json:"type,omitempty"`
}

// Error is an error reported in a webhook (failed status, unsupported
// message, or value.errors).
type Error struct {
	Code      int        `json:"code"`
	Title     string     `json:"title,omitempty"`
	Message   string     `json:"message,omitempty"`
	ErrorData *ErrorData `json:"error_data,omitempty"`
	Href      string     `json:"href,omitempty"`
}

// ErrorData holds an error's details.
type ErrorData struct {
	Details string `json:"details"`
}

// Details is the error's details text, or "".
func (e Error) Details() string {
	if e.ErrorData == nil {
		return ""
	}
	return e.ErrorData.Details
}

// ParseWebhook decodes a webhook body, scrubbing its texts (input.Scrub).
// A body that is not JSON, or whose object is not a WhatsApp Business
// Account, is an errs error with the code malformed.
func ParseWebhook(body []byte) (*Payload, error) {
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, errs.Wrap(errs.CodeMalformed, fmt.Errorf("whatsapp: webhook: %w", err), "whatsapp.webhook.not_json")
	}
	if p.Object != ObjectWhatsApp {
		return nil, errs.New(errs.CodeMalformed, "whatsapp.webhook.not_whatsapp", "object", p.Object)
	}
	// What customers send is kept whatever it holds, but NUL and invalid
	// UTF-8 (which encoding/json passes through as \u0000 and U+FFFD) cannot
	// be stored: they become U+FFFD, so the message and its job are stored
	// and Meta is answered 200.
	input.ScrubAll(&p)
	return &p, nil
}

// Inbound returns every message of the payload, normalised, in the order Meta
// listed them, with the business number (PhoneNumberID, DisplayPhoneNumber)
// and the sender's profile name filled in. Changes other than "messages" are
// skipped.
func (p *Payload) Inbound() []Inbound {
	var out []Inbound
	for _, e := range p.Entry {
		for _, c := range e.Changes {
			if c.Field != FieldMessages {
				continue
			}
			names := make(map[string]string, len(c.Value.Contacts))
			for _, ct := range c.Value.Contacts {
				names[ct.WaID] = ct.Profile.Name
			}
			for _, m := range c.Value.Messages {
				in := m.Normalise()
				in.PhoneNumberID = c.Value.Metadata.PhoneNumberID
				in.DisplayPhoneNumber = c.Value.Metadata.DisplayPhoneNumber
				in.ProfileName = names[m.From]
				out = append(out, in)
			}
		}
	}
	return out
}

// StatusUpdate is a delivery report with the business number it concerns.
type StatusUpdate struct {
	PhoneNumberID string
	Status
}

// StatusUpdates returns every delivery report of the payload in order.
func (p *Payload) StatusUpdates() []StatusUpdate {
	var out []StatusUpdate
	for _, e := range p.Entry {
		for _, c := range e.Changes {
			if c.Field != FieldMessages {
				continue
			}
			for _, s := range c.Value.Statuses {
				out = append(out, StatusUpdate{PhoneNumberID: c.Value.Metadata.PhoneNumberID, Status: s})
			}
		}
	}
	return out
}

// Sign returns the X-Hub-Signature-256 value Meta would send for body:
// "sha256=" + hex(HMAC-SHA256(body, secret)).
func Sign(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature reports whether header is a valid X-Hub-Signature-256 of
// body under appSecret. An empty secret or header never verifies.
func VerifySignature(body []byte, header, appSecret string) bool {
	if appSecret == "" {
		return false
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// MinorUnits converts a decimal amount ("12.5") in currency (ISO 4217) to
// integer minor units (1250 for SAR) without floating point.
func MinorUnits(amount, currency string) (int64, error) {
	exp := money.Digits(strings.ToUpper(currency))
	if exp < 0 {
		exp = 2
	}
	s := strings.TrimSpace(amount)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	if whole == "" || len(frac) > exp || !digits(whole) || !digits(frac) || len(whole) > 15 {
		return 0, fmt.Errorf("whatsapp: amount %q is not a %s amount", amount, currency)
	}
	n, err := strconv.ParseInt(whole+frac+strings.Repeat("0", exp-len(frac)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("whatsapp: amount %q: %w", amount, err)
	}
	if neg {
		n = -n
	}
	return n, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
