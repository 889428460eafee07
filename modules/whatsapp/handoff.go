package whatsapp

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/input"
	"concierge/modules/identity"
	"concierge/tenants"
)

// The staff's side of a conversation: the inbox (customers waiting for a
// person first), a conversation's messages, a staff reply (the bot pauses:
// "human"), taking a conversation over, and handing it back to the bot. The
// customer asks for a person through the dialog (process.go applies the
// hand-off effect: "waiting"); while a person has the conversation, the
// customer's messages are stored as "held" and not answered.

// ConversationView is a conversation with its customer and last message.
type ConversationView struct {
	Conversation Conversation
	Customer     Customer
	LastMessage  string
}

// List returns the tenant's conversations, newest activity first, optionally
// only those in one hand-off state (waiting = customers asking for a person).
func (s *Service) List(ctx context.Context, handoff string, limit int) ([]ConversationView, error) {
	var out []ConversationView
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		out, err = listViews(ctx, tx, handoff, limit)
		return err
	})
	return out, err
}

// Get returns one conversation of the tenant: ErrNotFound when it has none
// with this id.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (*ConversationView, error) {
	var out *ConversationView
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		out, err = getView(ctx, tx, id)
		return err
	})
	return out, err
}

// Messages returns a conversation's newest messages, oldest first.
func (s *Service) Messages(ctx context.Context, id uuid.UUID, limit int) ([]Message, error) {
	var out []Message
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := getConversation(ctx, tx, id); err != nil {
			return ErrNotFound
		}
		var err error
		out, err = listMessages(ctx, tx, id, limit)
		return err
	})
	return out, err
}

// Reply queues a staff member's text to the customer, written by the actor
// of ctx (identity.ActorFrom). The conversation moves to "human" (the bot
// stays paused) and is assigned to the staff member if nobody has it.
// Outside the 24-hour window the sender carries the text in the
// re-engagement template.
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
	userID, _ := identity.UserIDFrom(ctx)
	author := identity.ActorFrom(ctx).String()
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
		if s.timers != nil {
			// The first reply answers the hand-off: its SLA timer stops.
			if err := s.timers.StopTx(ctx, tx, TimerHandoff, conv.ID); err != nil {
				return err
			}
		}
		m, err := s.queueText(ctx, tx, conv, author, text)
		if err == nil && m == nil {
			return ErrEmptyReply
		}
		out = m
		return err
	})
	if err == nil {
		s.publishIn(ctx, EventMessage, id)
	}
	return out, err
}

// publishIn publishes a staff event of ctx's tenant.
func (s *Service) publishIn(ctx context.Context, event string, conversationID uuid.UUID) {
	if t, err := tenants.FromContext(ctx); err == nil {
		s.publish(ctx, t.ID, event, conversationID)
	}
}

// ReplyQuick sends a quick reply (by shortcut or id) rendered in the
// customer's language with vars; {{customer_name}}, {{store_name}} and
// {{order_number}} (the customer's last order) are filled unless given.
// Errors: those of Reply; not_found (no such quick reply, or no quick
// replies configured); invalid (a variable without a value).
func (s *Service) ReplyQuick(ctx context.Context, id uuid.UUID, ref string, vars map[string]string) (*Message, error) {
	if s.quickReplies == nil {
		return nil, errs.New(errs.CodeNotFound, "whatsapp.quick_reply.not_found")
	}
	v, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	locale := localeOf(t, &v.Customer)
	all := map[string]string{"customer_name": v.Customer.ProfileName, "store_name": t.NameAR}
	if locale == "en" {
		all["store_name"] = t.NameEN
	}
	if s.contexts != nil {
		cc, err := s.contexts.CustomerContext(ctx, v.Customer.ID, "+"+v.Customer.WAID)
		if err != nil {
			return nil, err
		}
		if cc.LastOrder != nil {
			all["order_number"] = cc.LastOrder.Number
		}
	}
	for k, val := range vars {
		all[k] = val
	}
	text, err := s.quickReplies.Render(ctx, ref, locale, all)
	if err != nil {
		return nil, err
	}
	return s.Reply(ctx, id, text)
}

// TakeOver lets the staff member of ctx take the conversation: the bot
// pauses.
func (s *Service) TakeOver(ctx context.Context, id uuid.UUID) (*ConversationView, error) {
	userID, _ := identity.UserIDFrom(ctx)
	return s.setHandoff(ctx, id, false, func(c *Conversation) {
		now := s.now().UTC()
		c.Handoff, c.HandoffAt = HandoffHuman, &now
		if userID != uuid.Nil {
			c.AssigneeID = &userID
		}
	})
}

// Release puts a conversation a person had back in the queue: waiting for
// a person, nobody assigned (the bot stays paused). The customer waits for
// a reply again: the hand-off's SLA timer runs (started anew when a reply
// had stopped it; one still running goes on from the request).
func (s *Service) Release(ctx context.Context, id uuid.UUID) (*ConversationView, error) {
	return s.setHandoff(ctx, id, false, func(c *Conversation) {
		now := s.now().UTC()
		c.Handoff, c.HandoffAt, c.AssigneeID = HandoffWaiting, &now, nil
	})
}

// Resume hands the conversation back to the bot and tells the customer
// (bot text "handoff.resumed").
func (s *Service) Resume(ctx context.Context, id uuid.UUID) (*ConversationView, error) {
	return s.setHandoff(ctx, id, true, func(c *Conversation) {
		c.Handoff, c.HandoffAt, c.AssigneeID = HandoffBot, nil, nil
	})
}

// setHandoff changes the conversation's hand-off state and audits it; with
// resumed, a customer who was waiting for or talking to a person is told
// the assistant is back.
func (s *Service) setHandoff(ctx context.Context, id uuid.UUID, resumed bool, change func(*Conversation)) (*ConversationView, error) {
	author := identity.ActorFrom(ctx).String()
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
		if resumed && s.timers != nil {
			// Back with the bot: nobody waits for a person any more.
			if err := s.timers.StopTx(ctx, tx, TimerHandoff, conv.ID); err != nil {
				return err
			}
		}
		if conv.Handoff == HandoffWaiting && before != HandoffWaiting && s.timers != nil {
			// Back in the queue: waiting for a person's reply again.
			if err := s.timers.StartTx(ctx, tx, TimerHandoff, conv.ID); err != nil {
				return err
			}
		}
		if resumed && before != HandoffBot {
			cust, err := getCustomer(ctx, tx, conv.CustomerID)
			if err != nil {
				return err
			}
			if ctx, err = loadOverrides(ctx, tx); err != nil {
				return err
			}
			t, _ := tenants.FromContext(ctx)
			locale := localeOf(t, cust)
			text := s.words.Text(ctx, locale, "handoff.resumed", customerVars(t, cust, locale)...)
			if _, err := s.queueText(ctx, tx, conv, AuthorBot, text); err != nil {
				return err
			}
		}
		if err := s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: conv.TenantID, Actor: author,
			Action: "conversation.handoff", Target: "conversation:" + conv.ID.String(),
			Before: map[string]string{"handoff": before}, After: map[string]string{"handoff": conv.Handoff}}); err != nil {
			return err
		}
		out, err = getView(ctx, tx, id)
		return err
	})
	if err == nil {
		s.publishIn(ctx, EventHandoff, id)
	}
	return out, err
}
