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
	"concierge/modules/whatsapp/cloudapi"
	"concierge/modules/whatsapp/dialog"
	"concierge/tenants"
)

// Engine is the dialog engine as the worker uses it.
type Engine interface {
	Handle(ctx context.Context, req dialog.Request) (dialog.Result, error)
	// Text is one bot text in locale: the tenant's override or the default.
	Text(ctx context.Context, key, locale string) string
}

// Sender delivers one message through the Cloud API.
type Sender interface {
	Send(ctx context.Context, creds cloudapi.Creds, to string, o cloudapi.Outgoing) (string, error)
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

// SendArgs is the job that delivers one outbound message.
type SendArgs struct {
	TenantID  uuid.UUID `json:"tenant_id"`
	MessageID uuid.UUID `json:"message_id"`
}

// Kind names the job.
func (SendArgs) Kind() string { return "conversation.send" }

// Tenant is the job's tenant.
func (a SendArgs) Tenant() uuid.UUID { return a.TenantID }

// InsertOpts puts sends on the whatsapp queue with a bounded number of
// attempts (River backs off exponentially between them).
func (SendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: "whatsapp", MaxAttempts: 8}
}

// SendWorker runs SendArgs.
type SendWorker struct {
	river.WorkerDefaults[SendArgs]
	Service *Service
}

// Work sends the message.
func (w *SendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	return w.Service.Send(ctx, job.Args.MessageID, job.Attempt, job.MaxAttempts)
}

// Timeout bounds one send attempt, its Cloud API call included
// (WHATSAPP_SEND_TIMEOUT), instead of the global JOB_TIMEOUT.
func (w *SendWorker) Timeout(*river.Job[SendArgs]) time.Duration { return w.Service.cfg.SendTimeout }

// RescueAfter is how long a send job may stay running before it is taken
// back from a dead worker (WHATSAPP_SEND_RESCUE_AFTER), instead of the
// global JOB_RESCUE_AFTER: internal/jobs rescues the kind on its own.
func (w *SendWorker) RescueAfter() time.Duration { return w.Service.cfg.SendRescueAfter }

// overridesKey carries a tenant's text overrides, loaded once per turn batch.
type overridesKey struct{}

// TextOverrides serves the tenant texts loaded into the context (the
// processing transaction loads them), so the engine's lookups cost nothing.
type TextOverrides struct{}

// Lookup returns the override of key in locale, if the tenant has one.
func (TextOverrides) Lookup(ctx context.Context, key, locale string) (string, bool) {
	m, _ := ctx.Value(overridesKey{}).(map[string]string)
	v, ok := m[key+"|"+locale]
	return v, ok
}

func loadOverrides(ctx context.Context, tx bun.IDB) (context.Context, error) {
	var rows []struct {
		Key    string `bun:"key"`
		Locale string `bun:"locale"`
		Body   string `bun:"body"`
	}
	if err := tx.NewSelect().Table("bot_texts").Column("key", "locale", "body").Scan(ctx, &rows); err != nil {
		return ctx, err
	}
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[r.Key+"|"+r.Locale] = r.Body
	}
	return context.WithValue(ctx, overridesKey{}, m), nil
}

// batch bounds how many messages one transaction handles.
const batch = 50

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
		if n < batch {
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
		if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = '15s'`); err != nil {
			return err
		}
		conv, err := lockConversation(ctx, tx, conversationID)
		if err != nil {
			return err
		}
		msgs, err := unprocessed(ctx, tx, conv.ID, batch)
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
			req := dialog.Request{
				Tenant:   s.dialogTenant(tenant),
				Customer: dialog.Customer{Locale: cust.Locale, Consent: cust.Consent, Name: cust.ProfileName},
				State:    state,
				In:       dialog.Inbound{Kind: string(in.Kind), Text: in.Text, ReplyID: in.ReplyID},
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
					if _, err := s.queue(ctx, tx, conv, "bot", o); err != nil {
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
// and audited), data minimisation and hand-off.
func (s *Service) applyEffects(ctx context.Context, tx bun.Tx, conv *Conversation, cust *Customer, m Message, profileName string, effects []dialog.Effect) ([]staffEvent, error) {
	var events []staffEvent
	consent := func(action, state, version string) error {
		cust.Consent = state
		rec := ConsentRecord{CustomerID: cust.ID, Action: action, Purpose: ConsentPurpose, NoticeVersion: version,
			Channel: "whatsapp", MessageID: m.WAMessageID, At: s.now().UTC()}
		if err := insertConsent(ctx, tx, conv.TenantID, rec); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: conv.TenantID, Actor: "customer:" + cust.ID.String(),
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
		case dialog.EffectConsentDeclined:
			err = consent("decline", ConsentDeclined, e.Value)
		case dialog.EffectConsentWithdrawn:
			err = consent("withdraw", ConsentWithdrawn, e.Value)
		case dialog.EffectDataMinimise:
			cust.ProfileName = ""
			err = minimise(ctx, tx, conv.TenantID, cust.ID)
		case dialog.EffectHandoffRequested:
			if conv.Handoff == HandoffBot {
				now := s.now().UTC()
				conv.Handoff, conv.HandoffAt = HandoffWaiting, &now
				events = append(events, staffEvent{tenantID: conv.TenantID, event: "handoff_requested"})
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

// toOutgoing turns a channel-neutral reply into Cloud API messages; the
// builders enforce WhatsApp's limits (long texts become several messages).
func toOutgoing(r dialog.Reply) []cloudapi.Outgoing {
	var out []cloudapi.Outgoing
	decorate := func(o cloudapi.Outgoing) cloudapi.Outgoing {
		if r.Header != "" {
			o = o.WithHeader(r.Header)
		}
		if r.Footer != "" {
			o = o.WithFooter(r.Footer)
		}
		return o
	}
	switch r.Kind {
	case dialog.ReplyButtons:
		bs := make([]cloudapi.Button, len(r.Options))
		for i, o := range r.Options {
			bs[i] = cloudapi.Button{ID: o.ID, Title: o.Title}
		}
		out = append(out, decorate(cloudapi.Buttons(r.Body, bs...)))
	case dialog.ReplyList:
		rows := make([]cloudapi.Row, len(r.Options))
		for i, o := range r.Options {
			rows[i] = cloudapi.Row{ID: o.ID, Title: o.Title, Description: o.Description}
		}
		for _, o := range cloudapi.ListPages(r.Body, r.ListButton, rows, func(page int) string { return fmt.Sprintf("menu:page:%d", page) }) {
			out = append(out, decorate(o))
		}
	case dialog.ReplyCTAURL:
		out = append(out, decorate(cloudapi.CTAURL(r.Body, r.ListButton, r.URL)))
	case dialog.ReplyImage:
		out = append(out, cloudapi.Image(r.ImageURL, r.Body))
	case dialog.ReplyProduct:
		o := cloudapi.Product(r.Body, r.CatalogID, r.ProductRetailerID)
		if r.Footer != "" {
			o = o.WithFooter(r.Footer)
		}
		out = append(out, o)
	case dialog.ReplyProductList:
		sections := make([]cloudapi.ProductSection, len(r.Sections))
		for i, s := range r.Sections {
			sections[i] = cloudapi.ProductSection{Title: s.Title, RetailerID: s.SKUs}
		}
		for _, o := range cloudapi.ProductList(r.Header, r.Body, r.CatalogID, sections) {
			if r.Footer != "" {
				o = o.WithFooter(r.Footer)
			}
			out = append(out, o)
		}
	default:
		out = append(out, cloudapi.TextPages(r.Body)...)
	}
	return out
}

// queueText stores a text reply and its send job (long texts are split).
func (s *Service) queueText(ctx context.Context, tx bun.Tx, conv *Conversation, author, text string) (*Message, error) {
	var first *Message
	for _, o := range cloudapi.TextPages(text) {
		m, err := s.queue(ctx, tx, conv, author, o)
		if err != nil {
			return nil, err
		}
		if first == nil {
			first = m
		}
	}
	return first, nil
}

// queue stores one outbound message and, in the same transaction, the job
// that sends it: nothing is sent for a rolled-back turn, nothing is lost.
func (s *Service) queue(ctx context.Context, tx bun.Tx, conv *Conversation, author string, o cloudapi.Outgoing) (*Message, error) {
	payload, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	m := &Message{ID: uuid.Must(uuid.NewV7()), ConversationID: conv.ID, Direction: Out, Kind: string(o.Type),
		Body: truncate(o.Summary(), 4096), Payload: payload, Author: author, Status: StatusQueued, SentAt: s.now().UTC()}
	if err := insertOutbound(ctx, tx, conv.TenantID, m); err != nil {
		return nil, err
	}
	if err := s.jobs.InsertTx(ctx, tx, SendArgs{TenantID: conv.TenantID, MessageID: m.ID}, nil); err != nil {
		return nil, err
	}
	return m, nil
}

// Send delivers one queued outbound message. It reads in one short
// transaction, calls the Cloud API with no transaction open, and records the
// outcome in another. Outside the 24-hour window a free-form message goes
// out as the re-engagement template. Rate limits and an open breaker snooze
// the job; permanent errors (invalid recipient, window closed, template
// rejected) fail the message without retrying; other errors retry with
// backoff until the last attempt marks the message failed.
//
// A message found "sending" is ambiguous: an earlier attempt claimed it and
// its call may or may not have reached Meta (its worker died, or the call
// went unanswered within SendTimeout). It is settled from what is known
// before anything is sent again: a status webhook naming it (our id in
// biz_opaque_callback_data, or the WhatsApp id already recorded) has moved
// it to sent, delivered, read or failed, and then nothing is sent. Until
// SendRescueAfter has passed since the claim the attempt waits for such a
// status; after that, unproven, the message is sent again (at least once:
// see docs/whatsapp.md).
func (s *Service) Send(ctx context.Context, messageID uuid.UUID, attempt, maxAttempts int) error {
	var (
		m       *Message
		conv    *Conversation
		cust    *Customer
		earlier bool
		age     time.Duration // since the message was claimed, when "sending"
	)
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if m, err = getMessage(ctx, tx, messageID); err != nil {
			return err
		}
		if m.Status != StatusQueued && m.Status != StatusSending {
			return nil
		}
		if m.Status == StatusSending {
			if age, err = claimAge(ctx, tx, m.ID); err != nil {
				return err
			}
		}
		if conv, err = getConversation(ctx, tx, m.ConversationID); err != nil {
			return err
		}
		if earlier, err = queuedBefore(ctx, tx, m); err != nil {
			return err
		}
		cust, err = getCustomer(ctx, tx, conv.CustomerID)
		return err
	})
	if err != nil {
		if errors.Is(err, errs.ErrNotFound) {
			return river.JobCancel(err)
		}
		return err
	}
	if m.Status != StatusQueued && m.Status != StatusSending {
		return nil // settled: sent (a status webhook proved it), or failed
	}
	if m.Status == StatusSending {
		if wait := s.cfg.SendRescueAfter - age; wait > 0 {
			// The earlier attempt's outcome is unknown. If Meta took the
			// message, its status webhook (carrying our id) settles it
			// within moments; wait for that before sending again.
			s.metrics.sends.WithLabelValues("awaiting_status").Inc()
			return river.JobSnooze(wait)
		}
	}
	if earlier {
		// Replies reach the customer in the order they were written: wait
		// for the conversation's older queued messages to go first.
		s.metrics.sends.WithLabelValues("waiting_turn").Inc()
		return river.JobSnooze(300 * time.Millisecond)
	}
	tid := conv.TenantID
	_, number, err := s.tenants.ResolveNumber(ctx, conv.PhoneNumberID)
	if err != nil {
		if errors.Is(err, errs.ErrForbidden) || errors.Is(err, errs.ErrNotFound) {
			return s.fail(ctx, tid, m.ID, 0, "the business number is disabled or its tenant suspended", river.JobCancel(err))
		}
		return err
	}
	var o cloudapi.Outgoing
	if err := json.Unmarshal(m.Payload, &o); err != nil {
		return s.fail(ctx, tid, m.ID, 0, "stored message unreadable", river.JobCancel(err))
	}
	if !o.IsTemplate() && !o.IsReadReceipt() && !conv.InWindow(s.now()) {
		if s.cfg.ReengageTemplate == "" {
			return s.fail(ctx, tid, m.ID, 131047, "outside the 24-hour window and no re-engagement template is configured", river.JobCancel(ErrOutsideWindow))
		}
		lang := cust.Locale
		if lang == "" {
			lang = "ar"
		}
		// Template text parameters may not hold new lines, tabs or runs of
		// spaces: flatten the reply into one line.
		param := strings.Join(strings.Fields(m.Body), " ")
		o = cloudapi.TemplateMessage(s.cfg.ReengageTemplate, lang, []string{cloudapi.Truncate(param, 1024)}, nil)
	}
	creds := cloudapi.Creds{PhoneNumberID: number.PhoneNumberID, AccessToken: number.AccessToken}
	var pending bool // not claimed, yet still queued or sending: another attempt holds a fresh claim
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		claimed, err := claimSend(ctx, tx, tid, m.ID, s.cfg.SendRescueAfter)
		if err != nil || claimed {
			return err
		}
		cur, err := getMessage(ctx, tx, m.ID)
		if err != nil {
			return err
		}
		pending = cur.Status == StatusQueued || cur.Status == StatusSending
		return errAlreadyDone
	})
	switch {
	case errors.Is(err, errAlreadyDone) && pending:
		// Claimed meanwhile by another attempt of this job (one rescued
		// from a worker that was only slow): let its outcome settle first.
		s.metrics.sends.WithLabelValues("awaiting_status").Inc()
		return river.JobSnooze(s.cfg.SendRescueAfter)
	case errors.Is(err, errAlreadyDone):
		return nil
	case err != nil:
		return err
	}
	if m.Status == StatusSending {
		// No status proved the earlier copy went out: send again. If it had
		// gone out after all, the customer gets this message twice (the
		// at-least-once window, counted by concierge_whatsapp_sent_twice_total).
		s.metrics.sends.WithLabelValues("resent_unproven").Inc()
		s.log.WarnContext(ctx, "whatsapp: sending again a message whose earlier attempt has no known outcome and no status webhook",
			"message_id", m.ID, "attempt", attempt, "claimed_ago", age.Round(time.Millisecond).String())
	}
	wamid, sendErr := s.sender.Send(ctx, creds, cust.WAID, o.WithCallbackData(m.ID.String()))
	// The outcome is recorded even when the attempt's deadline has just
	// passed: a message Meta answered for must never be left "sending".
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	var rl *cloudapi.RateLimitedError
	switch {
	case sendErr == nil:
		s.metrics.sends.WithLabelValues("sent").Inc()
		var twice bool
		err := s.scope.InTenantTx(rctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			twice, err = markSent(ctx, tx, tid, m.ID, wamid)
			return err
		})
		if twice {
			s.log.WarnContext(rctx, "whatsapp: a message went out twice (re-sent after an unanswered call whose first copy had reached Meta)",
				"message_id", m.ID, "wamid", wamid)
		}
		return err
	case errors.As(sendErr, &rl):
		s.metrics.sends.WithLabelValues("rate_limited").Inc()
		return s.unclaim(rctx, tid, m.ID, river.JobSnooze(max(rl.RetryAfter, 100*time.Millisecond)))
	case errors.Is(sendErr, cloudapi.ErrBreakerOpen):
		s.metrics.sends.WithLabelValues("breaker_open").Inc()
		return s.unclaim(rctx, tid, m.ID, river.JobSnooze(5*time.Second))
	case cloudapi.IsPermanent(sendErr):
		s.metrics.sends.WithLabelValues("permanent_error").Inc()
		code := 0
		var ae *cloudapi.APIError
		if errors.As(sendErr, &ae) {
			code = ae.Code
		}
		return s.fail(rctx, tid, m.ID, code, sendErr.Error(), river.JobCancel(sendErr))
	default:
		// Meta answered with a refusal (it did not take the message), or did
		// not answer (timeout, reset, a 2xx cut short): then it may have
		// gone out, so the message stays "sending" and the next attempt
		// settles it before sending again.
		var ae *cloudapi.APIError
		refused := errors.As(sendErr, &ae) && ae.Status != 0 && ae.Status/100 != 2
		if refused {
			s.metrics.sends.WithLabelValues("retryable_error").Inc()
		} else {
			s.metrics.sends.WithLabelValues("no_answer").Inc()
		}
		if attempt >= maxAttempts {
			return s.fail(rctx, tid, m.ID, 0, "gave up after "+fmt.Sprint(attempt)+" attempts: "+sendErr.Error(), sendErr)
		}
		if refused {
			return s.unclaim(rctx, tid, m.ID, sendErr)
		}
		return sendErr
	}
}

// recordTimeout bounds recording a send's outcome after its Cloud API call,
// which may run just past the attempt's deadline.
const recordTimeout = 5 * time.Second

var errAlreadyDone = errors.New("conversation: message no longer waiting to be sent")

// unclaim returns a message Meta did not take to "queued" and returns ret.
// (A timeout is not a refusal: the message may have gone out, so it stays
// "sending" and the next attempt settles it first.)
func (s *Service) unclaim(ctx context.Context, tenantID, id uuid.UUID, ret error) error {
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return unclaimSend(ctx, tx, tenantID, id)
	})
	if err != nil {
		return err
	}
	return ret
}

// fail marks the message failed and returns ret (the job's outcome).
func (s *Service) fail(ctx context.Context, tenantID, id uuid.UUID, code int, detail string, ret error) error {
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return markFailed(ctx, tx, tenantID, id, code, detail)
	})
	if err != nil {
		return err
	}
	return ret
}
