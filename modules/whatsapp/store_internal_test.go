package whatsapp

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/modules/moduletest"
	"concierge/tenants"
)

// storeFixture is a tenant with one customer, one conversation and an
// outbound message, written through the store's own functions.
type storeFixture struct {
	env  *moduletest.Env
	shop moduletest.Shop
	msg  uuid.UUID
	conv uuid.UUID // msg's conversation
}

func newStoreFixture(t *testing.T) *storeFixture {
	t.Helper()
	env := moduletest.New(t)
	shop := env.Tenant(t, "store")
	num, err := env.Tenants.AddNumber(context.Background(), "test", shop.Slug, tenants.NumberInput{
		PhoneNumberID: "190000000002", DisplayPhone: "+966120000002", AccessToken: "token", AppSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	f := &storeFixture{env: env, shop: shop, msg: uuid.Must(uuid.NewV7())}
	f.tx(t, func(ctx context.Context, tx bun.Tx) error {
		custs, err := ensureCustomers(ctx, tx, shop.ID, map[string]bool{"966500000009": true})
		if err != nil {
			return err
		}
		k := convKey{custs["966500000009"], num.ID}
		convs, err := ensureConversations(ctx, tx, shop.ID, map[convKey]string{k: num.PhoneNumberID})
		if err != nil {
			return err
		}
		// ensure* are idempotent: a second call finds the same rows.
		again, err := ensureConversations(ctx, tx, shop.ID, map[convKey]string{k: num.PhoneNumberID})
		if err != nil || again[k] != convs[k] {
			t.Fatalf("ensureConversations twice: %v, %v", again, err)
		}
		f.conv = convs[k]
		return insertOutbound(ctx, tx, shop.ID, &Message{ID: f.msg, ConversationID: convs[k], Direction: Out, Kind: "text",
			Body: "hi", Payload: json.RawMessage(`{"type":"text","text":{"body":"hi"}}`), Author: AuthorBot, Status: StatusQueued, SentAt: time.Now()})
	})
	return f
}

func (f *storeFixture) tx(t *testing.T, fn func(ctx context.Context, tx bun.Tx) error) {
	t.Helper()
	if err := f.env.Scope.InTenantTx(f.shop.Ctx, fn); err != nil {
		t.Fatal(err)
	}
}

func (f *storeFixture) message(t *testing.T) *Message {
	t.Helper()
	var m *Message
	f.tx(t, func(ctx context.Context, tx bun.Tx) error {
		var err error
		m, err = getMessage(ctx, tx, f.msg)
		return err
	})
	return m
}

// TestClaimSendOnce: of two attempts, one claims the message; a claim is
// taken over only once it is older than the settle window.
func TestClaimSendOnce(t *testing.T) {
	t.Parallel()
	f := newStoreFixture(t)
	claim := func() bool {
		var ok bool
		f.tx(t, func(ctx context.Context, tx bun.Tx) error {
			var err error
			ok, err = claimSend(ctx, tx, f.shop.ID, f.msg, time.Minute)
			return err
		})
		return ok
	}
	if !claim() || claim() {
		t.Fatal("a fresh claim was taken twice")
	}
	f.tx(t, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE messages SET status_at = now() - interval '2 minutes' WHERE id = ?`, f.msg)
		return err
	})
	if !claim() {
		t.Fatal("a claim older than the window was not taken over")
	}
	if m := f.message(t); m.Status != StatusSending {
		t.Fatalf("claimed message is %s", m.Status)
	}
}

// TestStatusSettlesByCallbackData: a status naming our id settles a message
// whose send has no recorded answer and records its WhatsApp id; the
// answer then agrees; a status or answer for another copy reports the
// message went out twice and changes nothing.
func TestStatusSettlesByCallbackData(t *testing.T) {
	t.Parallel()
	f := newStoreFixture(t)
	f.tx(t, func(ctx context.Context, tx bun.Tx) error {
		_, err := claimSend(ctx, tx, f.shop.ID, f.msg, time.Minute)
		return err
	})
	step := func(name string, fn func(ctx context.Context, tx bun.Tx) (bool, bool, error), applied, twice bool) {
		t.Helper()
		f.tx(t, func(ctx context.Context, tx bun.Tx) error {
			a, tw, err := fn(ctx, tx)
			if err != nil {
				return err
			}
			if a != applied || tw != twice {
				t.Fatalf("%s: applied %v twice %v, want %v %v", name, a, tw, applied, twice)
			}
			return nil
		})
	}
	status := func(wamid, st string) func(ctx context.Context, tx bun.Tx) (bool, bool, error) {
		return func(ctx context.Context, tx bun.Tx) (bool, bool, error) {
			conv, twice, err := applyStatus(ctx, tx, f.shop.ID, wamid, f.msg.String(), st, time.Now(), 0, "")
			if conv != uuid.Nil && conv != f.conv {
				t.Fatalf("status %s moved a message of conversation %s, want %s", st, conv, f.conv)
			}
			return conv != uuid.Nil, twice, err
		}
	}
	answer := func(wamid string) func(ctx context.Context, tx bun.Tx) (bool, bool, error) {
		return func(ctx context.Context, tx bun.Tx) (bool, bool, error) {
			tw, err := markSent(ctx, tx, f.shop.ID, f.msg, wamid)
			return false, tw, err
		}
	}
	step("sent, by our id", status("wamid.first", StatusSent), true, false)
	if m := f.message(t); m.Status != StatusSent || m.WAMessageID != "wamid.first" {
		t.Fatalf("after the status: %s as %q", m.Status, m.WAMessageID)
	}
	step("the answer for the same copy", answer("wamid.first"), false, false)
	step("delivered", status("wamid.first", StatusDelivered), true, false)
	step("sent, another copy", status("wamid.second", StatusSent), false, true)
	step("an answer for another copy", answer("wamid.second"), false, true)
	if m := f.message(t); m.Status != StatusDelivered || m.WAMessageID != "wamid.first" {
		t.Fatalf("a second copy moved the message: %s as %q", m.Status, m.WAMessageID)
	}
}
