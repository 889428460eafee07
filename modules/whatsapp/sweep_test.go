package whatsapp_test

import (
	"context"
	"testing"
	"time"

	"concierge/modules/whatsapp"
)

// TestSweep: inbound messages stored but left unprocessed past SweepAfter
// (a lost job, a bug) are found across tenants on the platform path and
// their conversations queued again; processed ones are not.
func TestSweep(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *whatsapp.Config, _ *whatsapp.Deps) { c.SweepAfter = time.Minute })
	stuck, fine := phone(), phone()
	f.say(text(fine, "hello", f.clock.Now()))
	// Stored with its job, which never runs.
	f.deliver(messages(f.number.PhoneNumberID, text(stuck, "hello", f.clock.Now()), text(stuck, "anyone?", f.clock.Now())))
	conv := f.conversation(stuck).Conversation.ID
	if found, err := f.svc.Sweep(context.Background()); err != nil || len(found) != 0 {
		t.Fatalf("a fresh message was swept: %+v, %v", found, err)
	}
	jobs := f.jobs("conversation.process")
	f.clock.advance(2 * time.Minute)
	found, err := f.svc.Sweep(context.Background())
	if err != nil || len(found) != 1 || found[0].ConversationID != conv || found[0].TenantID != f.shop.ID || found[0].Messages != 2 {
		t.Fatalf("swept %+v, %v; want the stuck conversation with 2 messages", found, err)
	}
	if n := f.jobs("conversation.process"); n != jobs+1 {
		t.Fatalf("%d processing jobs, want %d (the stuck conversation queued again)", n, jobs+1)
	}
}
