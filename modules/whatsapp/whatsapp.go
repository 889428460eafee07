// Package whatsapp is the WhatsApp channel: a customer's message from Meta's
// webhook to the bot's reply on their phone, the staff's side of the
// conversation, and the notifications other modules send. The files follow a
// message through:
//
//	webhook.go   GET/POST /webhook/whatsapp: Meta's subscription check and the deliveries
//	ingest.go    a delivery verified (X-Hub-Signature-256) and routed to its tenant by number
//	batch.go     stored once, with its processing job, in a group commit per tenant
//	process.go   the per-conversation worker: new messages in timestamp order through the dialog engine (dialog/)
//	outbound.go  the bot's replies become outbound rows and their send jobs, in the turn's transaction
//	send.go      the send job: the Cloud API call (cloudapi/), retries, the 24-hour rule, settling unanswered calls
//	status.go    delivery statuses (sent, delivered, read, failed) move outbound messages forward
//	handoff.go   the staff inbox: a person takes the conversation, replies, hands it back
//	notify.go    Notify: a message to a customer that is not a reply (order updates, payment links)
//	sweep.go     the safety net: inbound messages stored but never processed
//	texts.go     the bot's words: tenant overrides over the catalog's "bot.<key>" messages
//	privacy.go   the platform's default privacy notice, linked from the consent request
//	http.go      Mount: the webhook, the staff API, the privacy notice, the unrouted list
//	jobs.go      Workers: the jobs above and the periodic sweep
//	store.go     every SQL statement of the channel (store_messages.go: the messages table's)
//
// The sub-packages: cloudapi is the Cloud API wire client (webhook types,
// signatures, message builders, the HTTP client and the per-number sender),
// dialog the conversation engine with its golden transcripts. The sandbox
// (cmd/concierge/sandbox) emulates Meta for development and tests.
package whatsapp

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/modules/whatsapp/cloudapi"
	"concierge/modules/whatsapp/dialog"
	"concierge/tenants"
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

// Authors of messages that are not staff's (staff replies are written by
// their identity.Actor, "user:<email>"; notifications by theirs,
// "system:<what>").
const (
	AuthorCustomer = "customer"
	AuthorBot      = "bot"
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
	Author         string          // customer, bot, user:<email> (staff) or system:<what> (notifications)
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

// Errors of this package; their messages are in the catalog
// (internal/i18n/messages/whatsapp.*.toml).
var (
	ErrNotFound         = errs.New(errs.CodeNotFound, "whatsapp.conversation.not_found")
	ErrCustomerNotFound = errs.New(errs.CodeNotFound, "whatsapp.customer.not_found")
	ErrOutsideWindow    = errs.New(errs.CodeConflict, "whatsapp.outside_window")
	ErrNoConsent        = errs.New(errs.CodeConflict, "whatsapp.notify.no_consent")
	// ErrTemplateNotApproved: outside the 24-hour window only a template
	// Meta approved may be sent, and this one is not (unknown, pending,
	// rejected).
	ErrTemplateNotApproved = errs.New(errs.CodeConflict, "whatsapp.notify.template_not_approved")
	ErrBadSignature        = errs.New(errs.CodeUnauthorized, "whatsapp.webhook.bad_signature")
	ErrEmptyReply          = errs.Invalid(errs.Field("text", "required", "whatsapp.reply.empty"))
	ErrVerifyMismatch      = errs.New(errs.CodeForbidden, "whatsapp.webhook.verify_mismatch")
	ErrPageNotFound        = errs.New(errs.CodeNotFound, "whatsapp.privacy.not_found")
)

// Tenants resolves a business number to its tenant and credentials, and a
// store's slug to its tenant (the privacy notice); *tenants.Service
// implements it.
type Tenants interface {
	// ResolveNumber: not_found for an unknown number, forbidden for a
	// suspended tenant or a disabled number.
	ResolveNumber(ctx context.Context, phoneNumberID string) (*tenants.Tenant, *tenants.Number, error)
	// Get: not_found for an unknown tenant.
	Get(ctx context.Context, idOrSlug string) (*tenants.Tenant, error)
}

// Jobs inserts jobs inside a transaction; *jobs.Jobs implements it.
type Jobs interface {
	InsertTx(ctx context.Context, tx bun.Tx, args river.JobArgs, opts *river.InsertOpts) error
	InsertManyTx(ctx context.Context, tx bun.Tx, args []river.JobArgs) error
}

// Engine is the dialog engine as the worker uses it; *dialog.Engine
// implements it.
type Engine interface {
	Handle(ctx context.Context, req dialog.Request) (dialog.Result, error)
}

// Sender delivers one message through the Cloud API; *cloudapi.Sender
// implements it (per-number rate limit and circuit breaker).
type Sender interface {
	Send(ctx context.Context, creds cloudapi.Creds, to string, o cloudapi.Outgoing) (string, error)
}

// Config is the channel's configuration.
type Config struct {
	// VerifyToken (WHATSAPP_VERIFY_TOKEN) answers Meta's subscription check.
	VerifyToken string
	// PlatformAppSecret (WHATSAPP_APP_SECRET) verifies webhooks when a
	// number's own app secret does not.
	PlatformAppSecret string
	// PublicBaseURL builds the default privacy notice link.
	PublicBaseURL string
	// PlatformDomain builds tenant hosts for links.
	PlatformDomain string
	// ReengageTemplate is the approved template (one body parameter) that
	// carries a reply outside the 24-hour window.
	ReengageTemplate string
	// SweepAfter is how long an inbound message may wait unprocessed before
	// the sweeper reports and re-queues it.
	SweepAfter time.Duration
	// SendTimeout (WHATSAPP_SEND_TIMEOUT) bounds one send attempt, the Cloud
	// API call included (default 15s).
	SendTimeout time.Duration
	// SendRescueAfter (WHATSAPP_SEND_RESCUE_AFTER) is how long after an
	// attempt claimed a message its outcome may stay unknown: a send job
	// still running that long after it began (its worker died) is rescued,
	// and a message left "sending" that long with no status webhook proving
	// it went out is sent again (default 45s; must exceed SendTimeout).
	SendRescueAfter time.Duration
}

// Defaults of Config.SendTimeout and Config.SendRescueAfter.
const (
	DefaultSendTimeout     = 15 * time.Second
	DefaultSendRescueAfter = 45 * time.Second
)

// Deps are the Service's collaborators. Who acts is read from the context
// (identity.ActorFrom: the signed-in staff member, or what the caller set
// with identity.WithActor); customers act as identity.CustomerActor.
type Deps struct {
	Scope   *tenants.Scope
	Tenants Tenants
	Jobs    Jobs
	Sender  Sender
	// Engine runs the turns; nil builds the dialog engine over Words with
	// Capabilities.
	Engine       Engine
	Capabilities []dialog.Capability
	Audit        tenants.Auditor
	// Catalog holds the bot's default texts ("bot.<key>") and the texts of
	// the channel's pages (nil: i18n.MustLoad()).
	Catalog     *i18n.Catalog
	Redis       redis.UniversalClient // staff events (best effort); may be nil
	RedisPrefix string
	Log         *slog.Logger
	// Tracer traces the webhook batches (nil: the global provider's).
	Tracer trace.Tracer
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Templates is the tenant's registry of Meta-approved templates
	// (modules/cms): a notification outside the 24-hour window is refused
	// unless its template is approved. Nil: not checked.
	Templates Templates
	// Timers starts the hand-off SLA timer when a customer asks for a
	// person and stops it at the first staff reply (modules/sla). Nil: none.
	Timers Timers
	// QuickReplies renders a staff member's quick reply (modules/cms). Nil:
	// replies are typed only.
	QuickReplies QuickReplies
	// Context is what staff see of a customer beside the conversation: the
	// open cart, the last order and its payment (nil: nothing).
	Context CustomerContexts
	// Funnel records the sales funnel's steps taken in the chat
	// (modules/analytics): conversation_started, consent_given and the
	// capabilities' steps (dialog.EffectFunnel). Nil: nothing recorded.
	Funnel Funnel
}

// Funnel records a step of the sales funnel for the customer of ctx's
// tenant; it never blocks and never fails the turn.
type Funnel interface {
	Step(ctx context.Context, step string, customerID uuid.UUID, productID *uuid.UUID)
}

// Templates finds a tenant's approved message template: the exact language
// code Meta approved it in ("en_US" for "en"), or "" when it is not
// approved in that language.
type Templates interface {
	ApprovedLanguageTx(ctx context.Context, tx bun.IDB, name, language string) (string, error)
}

// Timers starts and stops SLA timers in the caller's transaction.
type Timers interface {
	StartTx(ctx context.Context, tx bun.Tx, kind string, subject uuid.UUID) error
	StopTx(ctx context.Context, tx bun.Tx, kind string, subject uuid.UUID) error
}

// TimerHandoff is the SLA timer from a hand-off request to the first staff
// reply.
const TimerHandoff = "handoff_first_reply"

// QuickReplies renders a quick reply (by shortcut or id) in locale with vars.
// Errors: not_found, invalid (a variable without a value).
type QuickReplies interface {
	Render(ctx context.Context, ref, locale string, vars map[string]string) (string, error)
}

// CustomerContexts reads what staff see of a customer: the open cart, the
// last order and its payment. phone is E.164.
type CustomerContexts interface {
	CustomerContext(ctx context.Context, customerID uuid.UUID, phone string) (CustomerContext, error)
}

// CustomerContext is what staff see of a customer beside the conversation.
type CustomerContext struct {
	Cart      *CartSummary
	LastOrder *OrderSummary
	// Orders are the customer's recent orders, newest first (LastOrder is
	// the first), each with its payment.
	Orders []OrderSummary
}

// RecentOrders is how many orders a CustomerContext lists.
const RecentOrders = 5

// CartSummary is a customer's open cart.
type CartSummary struct {
	ID       string
	Items    int
	Total    int64
	Currency string
}

// OrderSummary is a customer's last order with its payment.
type OrderSummary struct {
	ID            uuid.UUID
	Number        string
	Status        string
	Total         int64
	Currency      string
	PaymentMethod string
	PaymentStatus string
	CreatedAt     time.Time
}

// Service is the WhatsApp channel.
type Service struct {
	cfg          Config
	scope        *tenants.Scope
	tenants      Tenants
	jobs         Jobs
	sender       Sender
	engine       Engine
	words        dialog.Words
	catalog      *i18n.Catalog
	audit        tenants.Auditor
	rdb          redis.UniversalClient
	prefix       string
	log          *slog.Logger
	tracer       trace.Tracer
	metrics      *metrics
	templates    Templates
	timers       Timers
	funnel       Funnel
	quickReplies QuickReplies
	contexts     CustomerContexts
	// validator binds the staff API's bodies (the Routers' Validator, set
	// by Mount).
	validator *httpx.Validator
	now       func() time.Time
	batch     *batcher
	// webhookSeen is when this process last recorded a webhook per number
	// (health.go).
	webhookSeen sync.Map
}

// New builds the channel.
func New(cfg Config, d Deps) *Service {
	if cfg.SweepAfter <= 0 {
		cfg.SweepAfter = time.Minute
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = DefaultSendTimeout
	}
	if cfg.SendRescueAfter <= 0 {
		// (One set but not above SendTimeout is refused when the send
		// worker is registered: jobs.AddWorker.)
		cfg.SendRescueAfter = max(DefaultSendRescueAfter, 3*cfg.SendTimeout)
	}
	if d.Catalog == nil {
		d.Catalog = i18n.MustLoad()
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Tracer == nil {
		d.Tracer = otel.Tracer("concierge/whatsapp")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	words := dialog.Words{Overrides: TextOverrides{}, Catalog: d.Catalog}
	if d.Engine == nil {
		d.Engine = dialog.NewWithWords(words, d.Capabilities...)
	}
	s := &Service{cfg: cfg, scope: d.Scope, tenants: d.Tenants, jobs: d.Jobs, sender: d.Sender, engine: d.Engine,
		words: words, catalog: d.Catalog, audit: d.Audit, rdb: d.Redis, prefix: d.RedisPrefix, log: d.Log,
		tracer: d.Tracer, metrics: newMetrics(), now: d.Now,
		templates: d.Templates, timers: d.Timers, quickReplies: d.QuickReplies, contexts: d.Context,
		funnel: d.Funnel}
	s.batch = newBatcher(s)
	return s
}

type metrics struct {
	webhookMessages   prometheus.Counter
	webhookDuplicates prometheus.Counter
	processed         *prometheus.CounterVec
	sends             *prometheus.CounterVec
	swept             prometheus.Counter
	sentTwice         prometheus.Counter
	notifications     *prometheus.CounterVec
}

func newMetrics() *metrics {
	return &metrics{
		webhookMessages:   prometheus.NewCounter(prometheus.CounterOpts{Name: "concierge_whatsapp_inbound_stored_total", Help: "Inbound WhatsApp messages stored."}),
		webhookDuplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "concierge_whatsapp_inbound_duplicates_total", Help: "Redelivered inbound messages ignored."}),
		processed:         prometheus.NewCounterVec(prometheus.CounterOpts{Name: "concierge_whatsapp_inbound_processed_total", Help: "Inbound messages handled, by outcome (processed, held)."}, []string{"outcome"}),
		sends:             prometheus.NewCounterVec(prometheus.CounterOpts{Name: "concierge_whatsapp_sends_total", Help: "Outbound send attempts by outcome."}, []string{"outcome"}),
		swept:             prometheus.NewCounter(prometheus.CounterOpts{Name: "concierge_whatsapp_swept_total", Help: "Inbound messages found unprocessed past WHATSAPP_SWEEP_AFTER and re-queued."}),
		sentTwice: prometheus.NewCounter(prometheus.CounterOpts{Name: "concierge_whatsapp_sent_twice_total",
			Help: "Sent status webhooks for a second copy of an outbound message (a re-send after an unanswered call whose first copy had reached Meta after all: the at-least-once window)."}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "concierge_whatsapp_notifications_total",
			Help: "Notifications queued, by form (session: a text inside the 24-hour window; template: outside it; repeated: a key already notified)."}, []string{"form"}),
	}
}

// Collectors are the channel's Prometheus metrics.
func (s *Service) Collectors() []prometheus.Collector {
	m := s.metrics
	return []prometheus.Collector{m.webhookMessages, m.webhookDuplicates, m.processed, m.sends, m.swept, m.sentTwice, m.notifications}
}
