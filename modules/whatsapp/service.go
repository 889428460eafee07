package whatsapp

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/input"
	"concierge/tenants"
)

// Numbers resolves a business number to its tenant and credentials.
type Numbers interface {
	ResolveNumber(ctx context.Context, phoneNumberID string) (*tenants.Tenant, *tenants.Number, error)
}

// Jobs inserts jobs inside a transaction.
type Jobs interface {
	InsertTx(ctx context.Context, tx bun.Tx, args river.JobArgs, opts *river.InsertOpts) error
	InsertManyTx(ctx context.Context, tx bun.Tx, args []river.JobArgs) error
}

// Actor names the staff member acting in ctx: their user id and a label for
// message authorship (identity.Actor's "user:<email>").
type Actor func(ctx context.Context) (uuid.UUID, string)

// Config is the conversation module's configuration.
type Config struct {
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

type metrics struct {
	webhookMessages   prometheus.Counter
	webhookDuplicates prometheus.Counter
	processed         *prometheus.CounterVec
	sends             *prometheus.CounterVec
	swept             prometheus.Counter
	sentTwice         prometheus.Counter
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
	}
}

// Collectors are the module's Prometheus metrics.
func (s *Service) Collectors() []prometheus.Collector {
	m := s.metrics
	return []prometheus.Collector{m.webhookMessages, m.webhookDuplicates, m.processed, m.sends, m.swept, m.sentTwice}
}

// Defaults of Config.SendTimeout and Config.SendRescueAfter.
const (
	DefaultSendTimeout     = 15 * time.Second
	DefaultSendRescueAfter = 45 * time.Second
)

// Service is the conversation capability.
type Service struct {
	cfg     Config
	scope   *tenants.Scope
	tenants Numbers
	jobs    Jobs
	sender  Sender
	engine  Engine
	audit   tenants.Auditor
	rdb     redis.UniversalClient
	prefix  string
	actor   Actor
	log     *slog.Logger
	metrics *metrics
	now     func() time.Time
	batch   *batcher
}

// Deps are the Service's collaborators.
type Deps struct {
	Scope       *tenants.Scope
	Numbers     Numbers
	Jobs        Jobs
	Sender      Sender
	Engine      Engine
	Audit       tenants.Auditor
	Redis       redis.UniversalClient
	RedisPrefix string
	Actor       Actor
	Log         *slog.Logger
}

// New builds the service.
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
	s := &Service{cfg: cfg, scope: d.Scope, tenants: d.Numbers, jobs: d.Jobs, sender: d.Sender, engine: d.Engine,
		audit: d.Audit, rdb: d.Redis, prefix: d.RedisPrefix, actor: d.Actor, log: d.Log, metrics: newMetrics(), now: time.Now}
	s.batch = newBatcher(s)
	return s
}

// ConversationView is a conversation with its customer and last message.
type ConversationView struct {
	Conversation Conversation
	Customer     Customer
	LastMessage  string
}

type viewRow struct {
	conversationRow `bun:",extend"`
	WAID            string `bun:"wa_id"`
	ProfileName     string `bun:"profile_name"`
	Locale          string `bun:"locale"`
	Consent         string `bun:"consent"`
	LastMessage     string `bun:"last_message"`
}

func (r *viewRow) toView() ConversationView {
	c := r.conversationRow.toConversation()
	return ConversationView{Conversation: *c, LastMessage: r.LastMessage, Customer: Customer{ID: c.CustomerID, TenantID: c.TenantID,
		WAID: r.WAID, ProfileName: r.ProfileName, Locale: r.Locale, Consent: r.Consent}}
}

func (s *Service) views(ctx context.Context, tx bun.IDB, where func(*bun.SelectQuery) *bun.SelectQuery, limit int) ([]ConversationView, error) {
	var rows []viewRow
	q := tx.NewSelect().Model(&rows).
		ColumnExpr("conversation_row.*").
		ColumnExpr("cu.wa_id, cu.profile_name, cu.locale, cu.consent").
		ColumnExpr("(SELECT m.body FROM messages m WHERE m.tenant_id = conversation_row.tenant_id AND m.conversation_id = conversation_row.id ORDER BY m.created_at DESC LIMIT 1) AS last_message").
		Join("JOIN customers cu ON cu.tenant_id = conversation_row.tenant_id AND cu.id = conversation_row.customer_id")
	q = where(q).OrderExpr("conversation_row.updated_at DESC").Limit(int64(limit))
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]ConversationView, len(rows))
	for i := range rows {
		out[i] = rows[i].toView()
	}
	return out, nil
}

// List returns the tenant's conversations, newest activity first, optionally
// only those in one hand-off state (waiting = customers asking for a person).
func (s *Service) List(ctx context.Context, handoff string, limit int) ([]ConversationView, error) {
	var out []ConversationView
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		out, err = s.views(ctx, tx, func(q *bun.SelectQuery) *bun.SelectQuery {
			if handoff != "" {
				q = q.Where("conversation_row.handoff = ?", handoff)
			}
			return q
		}, limit)
		return err
	})
	return out, err
}

// Get returns one conversation of the tenant.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (*ConversationView, error) {
	var out *ConversationView
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		out, err = s.view(ctx, tx, id)
		return err
	})
	return out, err
}

func (s *Service) view(ctx context.Context, tx bun.IDB, id uuid.UUID) (*ConversationView, error) {
	vs, err := s.views(ctx, tx, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("conversation_row.id = ?", id)
	}, 1)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, ErrNotFound
	}
	return &vs[0], nil
}

// Messages returns a conversation's newest messages, oldest first.
func (s *Service) Messages(ctx context.Context, id uuid.UUID, limit int) ([]Message, error) {
	var out []Message
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := getConversation(ctx, tx, id); err != nil {
			return ErrNotFound
		}
		var rows []messageRow
		if err := tx.NewSelect().Model(&rows).Where("conversation_id = ?", id).
			OrderExpr("created_at DESC, id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
			return err
		}
		for i := len(rows) - 1; i >= 0; i-- {
			out = append(out, rows[i].toMessage())
		}
		return nil
	})
	return out, err
}

// Reply queues a staff member's text to the customer. The conversation moves
// to "human" (the bot stays paused) and is assigned to the staff member if
// nobody has it. Outside the 24-hour window the sender carries the text in
// the re-engagement template.
func (s *Service) Reply(ctx context.Context, id uuid.UUID, text string) (*Message, error) {
	// The text a staff member typed goes to the customer as it is, but never
	// blank (whitespace only would become no message at all) and never with
	// control characters WhatsApp would refuse.
	if input.Blank(text) {
		return nil, ErrEmptyReply
	}
	if err := input.Check(text, input.MultiLine); err != nil {
		return nil, errs.Invalid(errs.TextError("text", err))
	}
	userID, author := s.actor(ctx)
	var out *Message
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		conv, err := lockConversation(ctx, tx, id)
		if err != nil {
			return ErrNotFound
		}
		if conv.Handoff != HandoffHuman {
			now := s.now().UTC()
			conv.Handoff, conv.HandoffAt = HandoffHuman, &now
		}
		if conv.AssigneeID == nil && userID != uuid.Nil {
			conv.AssigneeID = &userID
		}
		if err := saveConversation(ctx, tx, conv); err != nil {
			return err
		}
		m, err := s.queueText(ctx, tx, conv, author, text)
		if err == nil && m == nil {
			return ErrEmptyReply
		}
		out = m
		return err
	})
	return out, err
}

// TakeOver lets a staff member take the conversation: the bot pauses.
func (s *Service) TakeOver(ctx context.Context, id uuid.UUID) (*ConversationView, error) {
	userID, _ := s.actor(ctx)
	return s.setHandoff(ctx, id, func(c *Conversation) {
		now := s.now().UTC()
		c.Handoff, c.HandoffAt = HandoffHuman, &now
		if userID != uuid.Nil {
			c.AssigneeID = &userID
		}
	})
}

// Resume hands the conversation back to the bot and tells the customer.
func (s *Service) Resume(ctx context.Context, id uuid.UUID) (*ConversationView, error) {
	return s.setHandoff(ctx, id, func(c *Conversation) {
		c.Handoff, c.HandoffAt, c.AssigneeID = HandoffBot, nil, nil
	}, "handoff.resumed")
}

func (s *Service) setHandoff(ctx context.Context, id uuid.UUID, change func(*Conversation), notifyKey ...string) (*ConversationView, error) {
	_, author := s.actor(ctx)
	var out *ConversationView
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		conv, err := lockConversation(ctx, tx, id)
		if err != nil {
			return ErrNotFound
		}
		before := conv.Handoff
		change(conv)
		if err := saveConversation(ctx, tx, conv); err != nil {
			return err
		}
		if len(notifyKey) > 0 && before != HandoffBot {
			cust, err := getCustomer(ctx, tx, conv.CustomerID)
			if err != nil {
				return err
			}
			if octx, err := loadOverrides(ctx, tx); err == nil {
				ctx = octx
			}
			text := s.engine.Text(ctx, notifyKey[0], cust.Locale)
			if _, err := s.queueText(ctx, tx, conv, "bot", text); err != nil {
				return err
			}
		}
		if err := s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: conv.TenantID, Actor: author,
			Action: "conversation.handoff", Target: "conversation:" + conv.ID.String(),
			Before: map[string]string{"handoff": before}, After: map[string]string{"handoff": conv.Handoff}}); err != nil {
			return err
		}
		out, err = s.view(ctx, tx, id)
		return err
	})
	return out, err
}

// publish tells staff dashboards about an event (best effort: the API is the
// source of truth, Redis may be down).
func (s *Service) publish(ctx context.Context, tenantID uuid.UUID, event string, conversationID uuid.UUID) {
	if s.rdb == nil {
		return
	}
	b, _ := json.Marshal(map[string]string{"event": event, "conversation_id": conversationID.String()})
	ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := s.rdb.Publish(ctx, s.prefix+"events:{"+tenantID.String()+"}", b).Err(); err != nil {
		s.log.WarnContext(ctx, "could not publish staff event", "event", event, "error", err)
	}
}
