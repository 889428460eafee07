package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/identity"
	"concierge/modules/whatsapp/cloudapi"
	"concierge/modules/whatsapp/dialog"
	"concierge/tenants"
)

// ProcessArgs is the job "conversation X has news": the worker locks the
// conversation and handles all its unprocessed messages in order. Jobs are
// not unique (River's uniqueness includes running jobs, which could strand a
// message that arrives while one runs); a job that finds nothing left to do
// ends at once.
type ProcessArgs struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
}

// Kind names the job.
func (ProcessArgs) Kind() string { return "conversation.process" }

// Tenant is the job's tenant.
func (a ProcessArgs) Tenant() uuid.UUID { return a.TenantID }

// InsertOpts puts the job on the whatsapp queue.
func (ProcessArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: "whatsapp", MaxAttempts: 10}
}

// ProcessWorker runs ProcessArgs.
type ProcessWorker struct {
	river.WorkerDefaults[ProcessArgs]
	Service *Service
}

// Work handles the conversation's news.
func (w *ProcessWorker) Work(ctx context.Context, job *river.Job[ProcessArgs]) error {
	return w.Service.Process(ctx, job.Args.ConversationID)
}

// processBatchSize bounds how many messages one transaction handles.
const processBatchSize = 50

// Process handles a conversation's unprocessed inbound messages in WhatsApp
// timestamp order, each exactly once: the conversation row is locked for the
// transaction, so workers take turns, and each message's replies, send jobs,
// effects and "processed" mark commit together. A crash rolls all of it back
// and the job runs again.
func (s *Service) Process(ctx context.Context, conversationID uuid.UUID) error {
	for {
		n, events, err := s.processBatch(ctx, conversationID)
		if err != nil {
			return err
		}
		for _, e := range events {
			s.publish(ctx, e.tenantID, e.event, conversationID)
		}
		if n > 0 {
			if t, err := tenants.FromContext(ctx); err == nil {
				s.publish(ctx, t.ID, EventMessage, conversationID) // the bot's replies
			}
		}
		if n < processBatchSize {
			return nil
		}
	}
}

type staffEvent struct {
	tenantID uuid.UUID
	event    string
}

func (s *Service) processBatch(ctx context.Context, conversationID uuid.UUID) (int, []staffEvent, error) {
	var events []staffEvent
	var handled int
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := setLockTimeout(ctx, tx); err != nil {
			return err
		}
		conv, err := lockConversation(ctx, tx, conversationID)
		if err != nil {
			return err
		}
		msgs, err := unprocessed(ctx, tx, conv.ID, processBatchSize)
		if err != nil || len(msgs) == 0 {
			return err
		}
		handled = len(msgs)
		tenant, _, err := s.tenants.ResolveNumber(ctx, conv.PhoneNumberID)
		if err != nil {
			if errors.Is(err, errs.ErrForbidden) || errors.Is(err, errs.ErrNotFound) {
				// Suspended tenant or disabled number: keep the messages, answer nothing.
				for _, m := range msgs {
					if err := markInbound(ctx, tx, conv.TenantID, m.ID, StatusHeld); err != nil {
						return err
					}
				}
				return nil
			}
			return err
		}
		cust, err := getCustomer(ctx, tx, conv.CustomerID)
		if err != nil {
			return err
		}
		if ctx, err = loadOverrides(ctx, tx); err != nil {
			return err
		}
		var state dialog.State
		if len(conv.StateJSON) == 0 || string(conv.StateJSON) == "{}" || string(conv.StateJSON) == "null" {
			s.step(ctx, "conversation_started", cust.ID, "")
		}
		if len(conv.StateJSON) > 0 {
			if err := json.Unmarshal(conv.StateJSON, &state); err != nil {
				s.log.WarnContext(ctx, "conversation state unreadable; starting over", "conversation_id", conv.ID, "error", err)
				state = dialog.State{}
			}
		}
		for _, m := range msgs {
			// The customer-service window opens at the customer's newest
			// message (messages may arrive out of order: never move back).
			if conv.LastInboundAt == nil || m.SentAt.After(*conv.LastInboundAt) {
				at := m.SentAt
				conv.LastInboundAt = &at
			}
			if conv.Handoff != HandoffBot {
				// A person has the conversation: stored and shown, not answered.
				if err := markInbound(ctx, tx, conv.TenantID, m.ID, StatusHeld); err != nil {
					return err
				}
				s.metrics.processed.WithLabelValues("held").Inc()
				continue
			}
			var stored storedInbound
			_ = json.Unmarshal(m.Payload, &stored)
			in := stored.Message.Normalise()
			var pin *dialog.Location
			if l := in.Location; l != nil {
				pin = &dialog.Location{Lat: l.Latitude, Lng: l.Longitude, Name: l.Name, Address: l.Address}
			}
			req := dialog.Request{
				Tenant:   s.dialogTenant(tenant),
				Customer: dialog.Customer{ID: cust.ID.String(), Locale: cust.Locale, Consent: cust.Consent, Name: cust.ProfileName, WAID: cust.WAID},
				State:    state,
				In:       dialog.Inbound{Kind: string(in.Kind), Text: in.Text, ReplyID: in.ReplyID, Location: pin, Media: mediaOf(in)},
				Now:      s.now(),
			}
			res, err := s.engine.Handle(ctx, req)
			if err != nil {
				return fmt.Errorf("dialog: %w", err)
			}
			evs, err := s.applyEffects(ctx, tx, conv, cust, m, stored.ProfileName, res.Effects)
			if err != nil {
				return err
			}
			events = append(events, evs...)
			for _, r := range res.Replies {
				for _, o := range toOutgoing(r) {
					if _, err := s.queue(ctx, tx, conv, AuthorBot, outbound{Outgoing: o}); err != nil {
						return err
					}
				}
			}
			state = res.State
			if err := markInbound(ctx, tx, conv.TenantID, m.ID, StatusProcessed); err != nil {
				return err
			}
			s.metrics.processed.WithLabelValues("processed").Inc()
		}
		if err := updateCustomer(ctx, tx, cust); err != nil {
			return err
		}
		if conv.StateJSON, err = json.Marshal(state); err != nil {
			return err
		}
		return saveConversation(ctx, tx, conv)
	})
	return handled, events, err
}

// dialogTenant is what the engine knows of the tenant: its names, language,
// privacy notice (the platform's default notice unless it has its own) and
// Meta catalog.
func (s *Service) dialogTenant(t *tenants.Tenant) dialog.Tenant {
	privacy := t.PrivacyURL
	if privacy == "" {
		privacy = s.cfg.PublicBaseURL + "/privacy?store=" + t.Slug
	}
	version := t.PrivacyVersion
	if version == "" {
		version = "1"
	}
	return dialog.Tenant{NameAR: t.NameAR, NameEN: t.NameEN, DefaultLocale: t.DefaultLocale, PrivacyURL: privacy, NoticeVersion: version,
		MetaCatalogID: t.MetaCatalogID}
}

// applyEffects carries out what a turn decided: language, consent (recorded
// and audited, the customer acting), data minimisation and hand-off.
func (s *Service) applyEffects(ctx context.Context, tx bun.Tx, conv *Conversation, cust *Customer, m Message, profileName string, effects []dialog.Effect) ([]staffEvent, error) {
	var events []staffEvent
	who := identity.CustomerActor(cust.ID).String()
	consent := func(action, state, version string) error {
		purpose := ConsentPurpose
		if state == "" {
			// A purpose of its own: "<purpose>@<version>".
			purpose, version, _ = strings.Cut(version, "@")
		} else {
			cust.Consent = state
		}
		rec := ConsentRecord{CustomerID: cust.ID, Action: action, Purpose: purpose, NoticeVersion: version,
			Channel: "whatsapp", MessageID: m.WAMessageID, At: s.now().UTC()}
		if err := insertConsent(ctx, tx, conv.TenantID, rec); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: conv.TenantID, Actor: who,
			Action: "consent." + action, Target: "customer:" + cust.ID.String(),
			After: map[string]string{"purpose": rec.Purpose, "notice_version": version, "channel": rec.Channel, "message_id": rec.MessageID}})
	}
	for _, e := range effects {
		var err error
		switch e.Kind {
		case dialog.EffectLocaleSet:
			cust.Locale = e.Value
		case dialog.EffectConsentGranted:
			err = consent("grant", ConsentGranted, e.Value)
			cust.ProfileName = profileName // processed only once agreed to
			s.step(ctx, "consent_given", cust.ID, "")
		case dialog.EffectFunnel:
			step, product, _ := strings.Cut(e.Value, ":")
			s.step(ctx, step, cust.ID, product)
		case dialog.EffectConsentDeclined:
			err = consent("decline", ConsentDeclined, e.Value)
		case dialog.EffectConsentWithdrawn:
			err = consent("withdraw", ConsentWithdrawn, e.Value)
		case dialog.EffectPurposeConsent:
			err = consent("grant", "", e.Value)
		case dialog.EffectDataMinimise:
			cust.ProfileName = ""
			err = minimise(ctx, tx, conv.TenantID, cust.ID)
		case dialog.EffectHandoffRequested:
			if conv.Handoff == HandoffBot {
				now := s.now().UTC()
				conv.Handoff, conv.HandoffAt = HandoffWaiting, &now
				events = append(events, staffEvent{tenantID: conv.TenantID, event: EventHandoffRequested})
				if s.timers != nil {
					err = s.timers.StartTx(ctx, tx, TimerHandoff, conv.ID)
				}
			}
		default:
			s.log.WarnContext(ctx, "unknown dialog effect", "kind", e.Kind)
		}
		if err != nil {
			return nil, err
		}
	}
	return events, nil
}

// Staff events, published on the Redis channel <prefix>events:{<tenant
// id>} as {"event": ..., "conversation_id": ...} once the change is
// committed: the admin inbox listens and refreshes what changed.
const (
	// EventMessage: a conversation has new messages (the customer's, the
	// bot's or staff's).
	EventMessage = "message"
	// EventStatus: only delivery statuses of a conversation's sent
	// messages changed (sent, delivered, read, failed).
	EventStatus = "status"
	// EventHandoff: a conversation changed hands (taken, released, back
	// to the bot).
	EventHandoff = "handoff"
	// EventHandoffRequested: a customer asked for a person.
	EventHandoffRequested = dialog.EffectHandoffRequested
)

// EventsChannel is the Redis channel of a tenant's staff events.
func EventsChannel(prefix string, tenantID uuid.UUID) string {
	return prefix + "events:{" + tenantID.String() + "}"
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
	if err := s.rdb.Publish(ctx, EventsChannel(s.prefix, tenantID), b).Err(); err != nil {
		s.log.WarnContext(ctx, "could not publish staff event", "event", event, "error", err)
	}
}

// mediaOf is the attachment of a normalised message, for the dialog.
func mediaOf(in cloudapi.Inbound) *dialog.Media {
	if in.Media == nil || in.Media.ID == "" {
		return nil
	}
	return &dialog.Media{ID: in.Media.ID, MimeType: in.Media.MimeType, SHA256: in.Media.SHA256}
}

// step records a funnel step (Deps.Funnel), with the product when product
// is an id.
func (s *Service) step(ctx context.Context, step string, customerID uuid.UUID, product string) {
	if s.funnel == nil {
		return
	}
	var pid *uuid.UUID
	if id, err := uuid.Parse(product); err == nil {
		pid = &id
	}
	s.funnel.Step(ctx, step, customerID, pid)
}
