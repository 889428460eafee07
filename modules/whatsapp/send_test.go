package whatsapp_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"concierge/modules/identity"
	"concierge/modules/whatsapp"
	"concierge/modules/whatsapp/cloudapi"
)

// staffReplies queues staff replies to customer wa's conversation.
func (f *fixture) staffReplies(wa string, texts ...string) []*whatsapp.Message {
	f.t.Helper()
	ctx := identity.WithActor(f.shop.Ctx, identity.UserActor("agent@shop.test"))
	conv := f.conversation(wa).Conversation.ID
	var out []*whatsapp.Message
	for _, s := range texts {
		m, err := f.svc.Reply(ctx, conv, s)
		if err != nil {
			f.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// TestSendInOrder: a conversation's replies reach the Cloud API in the
// order they were written, each tagged with our id, and are recorded sent
// under the WhatsApp id Meta answered with.
func TestSendInOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wa := phone()
	f.onboard(wa, "en")
	f.sendAll()
	ms := f.staffReplies(wa, "first", "second")
	before := len(f.cloud.taken())
	err := f.svc.Send(f.shop.Ctx, ms[1].ID, 1, 8)
	if _, ok := snoozed(err); !ok {
		t.Fatalf("the second reply went before the first: %v", err)
	}
	for _, m := range ms {
		if err := f.svc.Send(f.shop.Ctx, m.ID, 1, 8); err != nil {
			t.Fatal(err)
		}
	}
	got := f.cloud.taken()[before:]
	if len(got) != 2 || got[0].Msg.Text.Body != "first" || got[1].Msg.Text.Body != "second" {
		t.Fatalf("the Cloud API got %+v", got)
	}
	for i, m := range ms {
		if got[i].Msg.BizOpaqueCallbackData != m.ID.String() || got[i].Creds.PhoneNumberID != f.number.PhoneNumberID {
			t.Errorf("send %d: callback %q, number %s", i, got[i].Msg.BizOpaqueCallbackData, got[i].Creds.PhoneNumberID)
		}
	}
	sent := f.outbound(whatsapp.StatusSent)
	if last := sent[len(sent)-1]; last.ID != ms[1].ID || last.WAMessageID != got[1].WAMID {
		t.Fatalf("recorded %+v, want sent as %s", last, got[1].WAMID)
	}
	// The job again (River retried it): nothing goes out twice.
	if err := f.svc.Send(f.shop.Ctx, ms[0].ID, 2, 8); err != nil || len(f.cloud.taken()) != before+2 {
		t.Fatalf("a settled message was sent again: %v", err)
	}
}

// TestSendErrors: what the Cloud API's answers do to the message and the
// job.
func TestSendErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		status string // of the message after the attempt
		code   int64
		check  func(t *testing.T, err error)
	}{
		{"permanent refusal: failed, no retry", &cloudapi.APIError{Status: 400, Code: 131026, Message: "Message undeliverable", Permanent: true},
			whatsapp.StatusFailed, 131026, func(t *testing.T, err error) {
				if !cancelled(err) {
					t.Fatalf("job outcome %v, want cancelled", err)
				}
			}},
		{"refusal: queued again, retried with backoff", &cloudapi.APIError{Status: 500, Code: 1, Message: "unknown"},
			whatsapp.StatusQueued, 0, func(t *testing.T, err error) {
				if _, ok := snoozed(err); err == nil || ok || cancelled(err) {
					t.Fatalf("job outcome %v, want an error (River's backoff)", err)
				}
			}},
		{"rate limited: queued, snoozed", &cloudapi.RateLimitedError{RetryAfter: 2 * time.Second},
			whatsapp.StatusQueued, 0, func(t *testing.T, err error) {
				if d, ok := snoozed(err); !ok || d != 2*time.Second {
					t.Fatalf("job outcome %v, want snoozed 2s", err)
				}
			}},
		{"no answer: the outcome is unknown, the message stays sending", errors.New("context deadline exceeded"),
			whatsapp.StatusSending, 0, func(t *testing.T, err error) {
				if _, ok := snoozed(err); err == nil || ok || cancelled(err) {
					t.Fatalf("job outcome %v, want an error", err)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			wa := phone()
			f.say(text(wa, "hello", f.clock.Now()))
			m := f.outbound(whatsapp.StatusQueued)[0]
			f.cloud.failNext(tc.err)
			tc.check(t, f.svc.Send(f.shop.Ctx, m.ID, 1, 8))
			r := f.rows(whatsapp.Out)[0]
			if r.Status != tc.status || (tc.code != 0 && r.ErrorCode.Int64 != tc.code) {
				t.Fatalf("message %s (error %v), want %s (%d)", r.Status, r.ErrorCode, tc.status, tc.code)
			}
		})
	}
}

// TestSendUnansweredIsSettled: a call that went unanswered leaves the
// message "sending". A status naming it (our id in the callback data)
// proves Meta took it: it is sent, and the next attempt sends nothing.
// Without a status, the next attempt waits for one until the rescue window
// has passed since the claim, then sends it again.
func TestSendUnansweredIsSettled(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	taken, lost := phone(), phone()
	f.say(text(taken, "hello", f.clock.Now()), text(lost, "hello", f.clock.Now()))
	for _, m := range f.outbound(whatsapp.StatusQueued) {
		f.cloud.failNext(errors.New("no answer"))
		if err := f.svc.Send(f.shop.Ctx, m.ID, 1, 8); err == nil {
			t.Fatal("an unanswered call succeeded")
		}
	}
	pending := f.outbound(whatsapp.StatusSending)
	if len(pending) != 2 {
		t.Fatalf("%d messages sending, want 2", len(pending))
	}
	// The two conversations ran in either order: pending[0] is the reply
	// to taken, pending[1] the reply to lost.
	var first string
	f.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT c.wa_id FROM conversations v JOIN customers c ON c.id = v.customer_id WHERE v.id = ?`,
			pending[0].ConversationID).Scan(&first)
	})
	if first != taken {
		pending[0], pending[1] = pending[1], pending[0]
	}
	// Both wait for a status at first.
	for _, m := range pending {
		if d, ok := snoozed(f.svc.Send(f.shop.Ctx, m.ID, 2, 8)); !ok || d <= 0 || d > 8*time.Second {
			t.Fatalf("an unsettled message was not held back for its status (snooze %v)", d)
		}
	}
	// Meta took the first: its status arrives.
	proof := wamid()
	if res := f.deliver(status(f.number.PhoneNumberID, proof, pending[0].ID.String(), whatsapp.StatusSent, 0)); res.Statuses != 1 {
		t.Fatalf("the status naming our id was not applied: %+v", res)
	}
	if err := f.svc.Send(f.shop.Ctx, pending[0].ID, 3, 8); err != nil || len(f.cloud.taken()) != 0 {
		t.Fatalf("a message Meta took was sent again: %v, %d sends", err, len(f.cloud.taken()))
	}
	// The second never reached Meta: once the window has passed since the
	// claim (aged in the database, whose clock claims use), it goes again.
	f.exec(`UPDATE messages SET status_at = now() - interval '1 minute' WHERE id = ?`, pending[1].ID)
	if err := f.svc.Send(f.shop.Ctx, pending[1].ID, 3, 8); err != nil {
		t.Fatal(err)
	}
	got := f.cloud.taken()
	if len(got) != 1 || got[0].To != lost {
		t.Fatalf("the Cloud API got %+v, want the lost reply once", got)
	}
	for _, r := range f.rows(whatsapp.Out) {
		want := map[string]string{pending[0].ID.String(): proof, pending[1].ID.String(): got[0].WAMID}[r.ID.String()]
		if r.Status != whatsapp.StatusSent || r.WAMessageID != want {
			t.Fatalf("%s is %s as %q, want sent as %q", r.ID, r.Status, r.WAMessageID, want)
		}
	}
}

// TestSendOutsideTheWindow: more than 24 hours after the customer's last
// message, a staff reply goes as the re-engagement template carrying the
// text on one line; without such a template it fails at once (Meta's
// 131047, without calling Meta).
func TestSendOutsideTheWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		template string
	}{{"re-engagement template", "concierge_reengage"}, {"none configured", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(c *whatsapp.Config, _ *whatsapp.Deps) { c.ReengageTemplate = tc.template })
			wa := phone()
			f.onboard(wa, "en")
			f.sendAll()
			before := len(f.cloud.taken())
			f.clock.advance(25 * time.Hour)
			m := f.staffReplies(wa, "Your order is\n  ready")[0]
			err := f.svc.Send(f.shop.Ctx, m.ID, 1, 8)
			got := f.cloud.taken()[before:]
			if tc.template == "" {
				r := f.rows(whatsapp.Out)
				if !cancelled(err) || len(got) != 0 || r[len(r)-1].Status != whatsapp.StatusFailed || r[len(r)-1].ErrorCode.Int64 != 131047 {
					t.Fatalf("without a template: %v, %d sends, %+v", err, len(got), r[len(r)-1])
				}
				return
			}
			if err != nil || len(got) != 1 {
				t.Fatalf("Send: %v, %d sends", err, len(got))
			}
			tpl := got[0].Msg.Template
			if tpl == nil || tpl.Name != "concierge_reengage" || tpl.Language.Code != "en" || tpl.Components[0].Parameters[0].Text != "Your order is ready" {
				t.Fatalf("the Cloud API got %+v", got[0].Msg)
			}
		})
	}
}
