package whatsapp_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/identity"
	"concierge/modules/whatsapp"
)

// staff signs a staff member of the fixture's tenant in: a user row (the
// conversation's assignee refers to it) and a context carrying them.
func (f *fixture) staff(email string) (context.Context, uuid.UUID) {
	f.t.Helper()
	id := uuid.Must(uuid.NewV7())
	if err := f.env.Scope.PlatformTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, password_hash) VALUES (?, ?, 'x')`, id, email)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return identity.WithPrincipal(f.shop.Ctx, &identity.Principal{UserID: id, Email: email}), id
}

// TestHandoff: the customer asks for a person; staff see them waiting,
// reply (the conversation is theirs, the bot paused), and hand it back (the
// customer is told, in their language). Another tenant sees none of it.
func TestHandoff(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	agent, agentID := f.staff("agent@shop.test")
	other, _, _ := f.addShop("other")
	wa := phone()
	f.onboard(wa, "ar")
	f.say(text(wa, "موظف", f.clock.Now().Add(time.Minute)))
	waiting, err := f.svc.List(agent, whatsapp.HandoffWaiting, 50)
	if err != nil || len(waiting) != 1 || waiting[0].Customer.WAID != wa {
		t.Fatalf("waiting: %+v, %v", waiting, err)
	}
	conv := waiting[0].Conversation.ID

	for _, blank := range []string{"", "  \n\t", "a\x00b"} {
		if _, err := f.svc.Reply(agent, conv, blank); errs.CodeOf(err) != errs.CodeInvalid || len(errs.FieldsOf(err)) != 1 || errs.FieldsOf(err)[0].Field != "text" {
			t.Errorf("reply %q: %v, want invalid text", blank, err)
		}
	}
	m, err := f.svc.Reply(agent, conv, "أهلًا، أنا سارة")
	if err != nil || m.Author != "user:agent@shop.test" || m.Body != "أهلًا، أنا سارة" {
		t.Fatalf("reply: %+v, %v", m, err)
	}
	v, _ := f.svc.Get(agent, conv)
	if v.Conversation.Handoff != whatsapp.HandoffHuman || v.Conversation.AssigneeID == nil || *v.Conversation.AssigneeID != agentID {
		t.Fatalf("after the staff reply: %+v", v.Conversation)
	}

	// Another tenant's staff: nothing to see, nothing to do.
	if _, err := f.svc.Get(other.Ctx, conv); !errors.Is(err, whatsapp.ErrNotFound) {
		t.Errorf("another tenant reads the conversation: %v", err)
	}
	if _, err := f.svc.Reply(other.Ctx, conv, "hijack"); !errors.Is(err, whatsapp.ErrNotFound) {
		t.Errorf("another tenant replies: %v", err)
	}
	if _, err := f.svc.Messages(other.Ctx, conv, 10); !errors.Is(err, whatsapp.ErrNotFound) {
		t.Errorf("another tenant reads the messages: %v", err)
	}
	if l, err := f.svc.List(other.Ctx, "", 50); err != nil || len(l) != 0 {
		t.Errorf("another tenant's inbox: %+v, %v", l, err)
	}

	v2, err := f.svc.Resume(agent, conv)
	if err != nil || v2.Conversation.Handoff != whatsapp.HandoffBot || v2.Conversation.AssigneeID != nil {
		t.Fatalf("resume: %+v, %v", v2, err)
	}
	out := f.rows(whatsapp.Out)
	if last := out[len(out)-1]; last.Author != whatsapp.AuthorBot || outBody(t, last) != f.env.Catalog.Text("ar", "bot.handoff.resumed", nil) {
		t.Fatalf("after resume the customer is told %q by %s", outBody(t, last), last.Author)
	}
	var actors []string
	f.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`SELECT actor FROM audit_log WHERE action = 'conversation.handoff' ORDER BY seq`).Scan(ctx, &actors)
	})
	if len(actors) != 1 || actors[0] != "user:agent@shop.test" {
		t.Fatalf("hand-off audited as %v", actors)
	}

	v3, err := f.svc.TakeOver(agent, conv)
	if err != nil || v3.Conversation.Handoff != whatsapp.HandoffHuman || *v3.Conversation.AssigneeID != agentID {
		t.Fatalf("take over: %+v, %v", v3, err)
	}
	msgs, err := f.svc.Messages(agent, conv, 3)
	if err != nil || len(msgs) != 3 || msgs[2].ID != out[len(out)-1].ID {
		t.Fatalf("the newest messages, oldest first: %+v, %v", msgs, err)
	}
}
