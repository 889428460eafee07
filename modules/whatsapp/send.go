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
)

// Sending: a send job per outbound message (outbound.go stores both). An
// attempt claims the message ("sending"), calls the Cloud API with no
// transaction open, and records the answer; replies go out in the order
// they were written, the 24-hour rule picks a template when the window is
// closed, and a call left without an answer is settled from its status
// webhook (status.go) before anything is sent again. docs/whatsapp.md,
// "Sending at least once", walks through every outcome.

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
	var stored outbound
	if err := json.Unmarshal(m.Payload, &stored); err != nil {
		return s.fail(ctx, tid, m.ID, 0, "stored message unreadable", river.JobCancel(err))
	}
	o := stored.Outgoing
	switch {
	case o.IsTemplate() || o.IsReadReceipt() || conv.InWindow(s.now()):
	case stored.OutsideWindow != nil:
		// A notification whose window closed since it was queued: its
		// own approved template.
		o = *stored.OutsideWindow
	default:
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

var errAlreadyDone = errors.New("whatsapp: message no longer waiting to be sent")

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
