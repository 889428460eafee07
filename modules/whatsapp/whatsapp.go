// Package whatsapp is the WhatsApp channel: the webhook
// inbox (every inbound message stored once, with its processing job, in one
// transaction), customers and their consent, the per-conversation worker that
// runs the dialog engine in timestamp order, the sender that delivers replies
// through the Cloud API (per-number rate limit, circuit breaker, retries, the
// 24-hour rule), delivery statuses, human hand-off and the staff API.
package whatsapp

import (
	"encoding/json"
	"time"

	"concierge/internal/errs"

	"github.com/google/uuid"
)

// Consent states of a customer.
const (
	ConsentUnknown   = "unknown"
	ConsentGranted   = "granted"
	ConsentDeclined  = "declined"
	ConsentWithdrawn = "withdrawn"
)

// Hand-off states of a conversation: the bot answers, a human was asked for,
// or a human is answering.
const (
	HandoffBot     = "bot"
	HandoffWaiting = "waiting"
	HandoffHuman   = "human"
)

// Message statuses. Inbound: received → processed (or held while a human
// has the conversation). Outbound: queued → sending (the Cloud API call is
// in flight) → sent → delivered → read, or failed.
const (
	StatusReceived  = "received"
	StatusProcessed = "processed"
	StatusHeld      = "held"
	StatusQueued    = "queued"
	StatusSending   = "sending"
	StatusSent      = "sent"
	StatusDelivered = "delivered"
	StatusRead      = "read"
	StatusFailed    = "failed"
)

// Directions of a message.
const (
	In  = "in"
	Out = "out"
)

// ConsentPurpose is what a customer agrees to (recorded with each grant).
const ConsentPurpose = "whatsapp_commerce: answering questions, taking and delivering orders, order updates"

// Customer is a merchant's customer on WhatsApp.
type Customer struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	WAID        string
	ProfileName string
	Locale      string
	Consent     string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Conversation is a customer's thread with one business number.
type Conversation struct {
	ID            uuid.UUID
	TenantID      uuid.UUID
	CustomerID    uuid.UUID
	NumberID      uuid.UUID
	PhoneNumberID string
	StateJSON     json.RawMessage // the dialog engine's state
	LastInboundAt *time.Time      // opens the 24-hour customer-service window
	Handoff       string
	HandoffAt     *time.Time
	AssigneeID    *uuid.UUID
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// InWindow reports whether a free-form message may be sent at now: within 24
// hours of the customer's last message.
func (c *Conversation) InWindow(now time.Time) bool {
	return c.LastInboundAt != nil && now.Sub(*c.LastInboundAt) < 24*time.Hour
}

// Message is one inbound or outbound WhatsApp message.
type Message struct {
	ID             uuid.UUID
	ConversationID uuid.UUID
	Direction      string
	WAMessageID    string
	Kind           string
	Body           string          // text, reply title or caption; a summary for outbound
	Payload        json.RawMessage // inbound: the WhatsApp message; outbound: the message to send
	Author         string          // customer, bot, or staff:<email>
	Status         string
	SentAt         time.Time // WhatsApp's timestamp (inbound) or when queued (outbound)
	CreatedAt      time.Time
	ProcessedAt    *time.Time
	StatusAt       *time.Time
	ErrorCode      *int
	ErrorDetail    string
}

// ConsentRecord is one grant, decline or withdrawal.
type ConsentRecord struct {
	CustomerID    uuid.UUID
	Action        string // grant, decline, withdraw
	Purpose       string
	NoticeVersion string
	Channel       string
	MessageID     string
	At            time.Time
}

// Errors of this package.
var (
	ErrNotFound       = errs.E(errs.CodeNotFound, "no such conversation")
	ErrOutsideWindow  = errs.E(errs.CodeConflict, "the customer last wrote more than 24 hours ago; only approved templates can be sent")
	ErrBadSignature   = errs.E(errs.CodeUnauthorized, "the X-Hub-Signature-256 header is missing or does not match the payload")
	ErrNotInHandoff   = errs.E(errs.CodeConflict, "the bot is answering this conversation")
	ErrEmptyReply     = errs.Invalid(errs.FieldError{Field: "text", Code: "required", Msg: errs.Legacy("is required (the reply is empty)", "مطلوب (الرد فارغ)")})
	ErrVerifyMismatch = errs.E(errs.CodeForbidden, "verification token mismatch")
)
