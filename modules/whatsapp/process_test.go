package whatsapp_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"concierge/modules/whatsapp"
	"concierge/modules/whatsapp/cloudapi"
)

// botText is the catalog's bot text key in locale, its placeholders
// filled for the fixture's tenant (the platform's default privacy notice,
// version 1).
func (f *fixture) botText(key, locale string) string {
	store := f.shop.NameAR
	if locale == "en" {
		store = f.shop.NameEN
	}
	return strings.NewReplacer("{store}", store, "{privacy_url}", "https://concierge.test/privacy?store="+f.shop.Slug,
		"{notice_version}", "1").Replace(f.env.Catalog.Text(locale, "bot."+key, nil))
}

// body of an outbound row: the text, or an interactive message's body.
func outBody(t *testing.T, r row) string {
	t.Helper()
	var o cloudapi.Outgoing
	if err := json.Unmarshal(r.Payload, &o); err != nil {
		t.Fatal(err)
	}
	switch {
	case o.Text != nil:
		return o.Text.Body
	case o.Interactive != nil && o.Interactive.Body != nil:
		return o.Interactive.Body.Text
	}
	return ""
}

// TestProcessAnswersInTimestampOrder: messages are handled in WhatsApp
// timestamp order, not in the order the webhook lists them, each once; the
// replies and their send jobs are stored in the turn's transaction.
func TestProcessAnswersInTimestampOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wa := phone()
	t0 := f.clock.Now().Add(-time.Minute)
	f.deliver(messages(f.number.PhoneNumberID, text(wa, "عربي", t0.Add(10*time.Second)), text(wa, "English", t0)))
	f.processAll()
	f.processAll() // a second run of the job finds nothing left to do
	out := f.rows(whatsapp.Out)
	if len(out) != 2 {
		t.Fatalf("%d replies, want 2 (each message answered once)", len(out))
	}
	if got, want := outBody(t, out[0]), f.botText("consent.request", "en"); got != want {
		t.Errorf("first reply %q, want the English consent request", got)
	}
	if got, want := outBody(t, out[1]), f.botText("consent.request", "ar"); got != want {
		t.Errorf("second reply %q, want the Arabic consent request", got)
	}
	for _, r := range out {
		if r.Status != whatsapp.StatusQueued || r.Author != whatsapp.AuthorBot {
			t.Errorf("reply %+v, want queued by the bot", r)
		}
	}
	if n := f.jobs("conversation.send"); n != 2 {
		t.Fatalf("%d send jobs, want one per reply", n)
	}
	for _, r := range f.rows(whatsapp.In) {
		if r.Status != whatsapp.StatusProcessed {
			t.Fatalf("inbound %+v not processed", r)
		}
	}
	c := f.customer(wa)
	if c.Locale != "ar" {
		t.Fatalf("locale %q, want ar (the later message wins)", c.Locale)
	}
	if v := f.conversation(wa); v.Conversation.LastInboundAt == nil || !v.Conversation.LastInboundAt.Equal(t0.Add(10*time.Second).Truncate(time.Second)) {
		t.Fatalf("the window opens at %v, want the newest message's time", v.Conversation.LastInboundAt)
	}
}

// TestProcessRecordsConsent: agreeing is recorded (purpose, notice version,
// message id) and audited with the customer as the actor; the profile name
// is kept only from then on.
func TestProcessRecordsConsent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wa := phone()
	f.onboard(wa, "en")
	c := f.customer(wa)
	if c.ProfileName == "" {
		t.Fatal("the profile name is not kept after consent")
	}
	var action, version, actor, target string
	f.inTx(func(ctx context.Context, tx bun.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT action, notice_version FROM consent_records WHERE customer_id = ?`, c.ID).Scan(&action, &version); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT actor, target FROM audit_log WHERE action = 'consent.grant'`).Scan(&actor, &target)
	})
	if action != "grant" || version != "1" {
		t.Fatalf("consent record %s %s", action, version)
	}
	if want := "customer:" + c.ID.String(); actor != want || target != want {
		t.Fatalf("audited as %s on %s, want the customer %s", actor, target, want)
	}
}

// TestProcessHoldsWhileAPersonIsAskedFor: after the customer asks for a
// person, their messages are stored as held and not answered.
func TestProcessHoldsWhileAPersonIsAskedFor(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wa := phone()
	f.onboard(wa, "ar")
	f.say(text(wa, "موظف", f.clock.Now().Add(time.Minute)))
	if v := f.conversation(wa); v.Conversation.Handoff != whatsapp.HandoffWaiting {
		t.Fatalf("handoff %q, want waiting", v.Conversation.Handoff)
	}
	out := len(f.rows(whatsapp.Out))
	f.say(text(wa, "وين طلبي؟", f.clock.Now().Add(2*time.Minute)))
	if n := len(f.rows(whatsapp.Out)); n != out {
		t.Fatalf("the bot answered during the hand-off (%d replies, want %d)", n, out)
	}
	in := f.rows(whatsapp.In)
	if last := in[len(in)-1]; last.Status != whatsapp.StatusHeld || last.Body != "وين طلبي؟" {
		t.Fatalf("message during the hand-off stored as %+v, want held", last)
	}
}
