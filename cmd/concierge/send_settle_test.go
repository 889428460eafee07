package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"

	"concierge/cmd/concierge/sandbox"
)

// TestUnansweredSendIsSettled: a send whose Cloud API call goes unanswered
// (the emulator holds the answer past WHATSAPP_SEND_TIMEOUT) stays "sending"
// and is settled from what is known before anything is sent again. When
// Meta took it, its status webhook proves it and nothing is re-sent; when
// Meta never took it, it is sent again once WHATSAPP_SEND_RESCUE_AFTER has
// passed since the claim. A status for a second copy of a message is
// counted (concierge_whatsapp_sent_twice_total), not applied.
func TestUnansweredSendIsSettled(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeDev, map[string]string{"WHATSAPP_SEND_TIMEOUT": "3s", "WHATSAPP_SEND_RESCUE_AFTER": "8s"})
	emu := ta.app.sandbox
	t.Cleanup(emu.ReleaseDelays) // before the app stops: no answer stays held
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// outbound returns the conversation's one reply: its id, status and
	// WhatsApp id.
	outbound := func(n *waNumber, phone string) (id, status, wamid string) {
		t.Helper()
		n.inTx(func(ctx context.Context, tx bun.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT m.id::text, m.status, COALESCE(m.wa_message_id, '') FROM messages m
				JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
				JOIN customers cu ON cu.tenant_id = c.tenant_id AND cu.id = c.customer_id
				WHERE cu.wa_id = ? AND m.direction = 'out'`, phone).Scan(&id, &status, &wamid)
		})
		return id, status, wamid
	}
	sentOnce := func(n *waNumber, phone string) sandbox.Recorded {
		t.Helper()
		got := emu.Sent(n.pnid, phone)
		if len(got) != 1 {
			t.Fatalf("the emulator recorded %d messages to %s, want the reply once:%s", len(got), phone, waTexts(got))
		}
		id, status, wamid := outbound(n, phone)
		if (status != "sent" && status != "delivered" && status != "read") || wamid != got[0].ID || got[0].Message.BizOpaqueCallbackData != id {
			t.Fatalf("reply %s is %s as %q; the emulator recorded %s for %s", id, status, wamid, got[0].ID, got[0].Message.BizOpaqueCallbackData)
		}
		return got[0]
	}

	t.Run("taken by Meta, answer lost: its status settles it", func(t *testing.T) {
		n := waTenant(t, ta, "settle-taken")
		phone := waPhone()
		emu.DelayNext(n.pnid, sandbox.Delay{Count: 1, For: time.Hour, Accept: true})
		n.say(phone, sandbox.CustomerMessage{Text: "hello"})
		if err := emu.WaitHolding(ctx, n.pnid, 1); err != nil {
			t.Fatal(err)
		}
		n.settle(phone, 60*time.Second) // the call timed out; the next attempt found it sent
		sentOnce(n, phone)
		if h := emu.Holding(n.pnid); h != 1 {
			t.Fatalf("%d answers held, want the first call's still held (it was never answered)", h)
		}
	})

	t.Run("not taken, answer lost: sent again after the window", func(t *testing.T) {
		n := waTenant(t, ta, "settle-lost")
		phone := waPhone()
		emu.DelayNext(n.pnid, sandbox.Delay{Count: 1, For: time.Hour})
		n.say(phone, sandbox.CustomerMessage{Text: "hello"})
		if err := emu.WaitHolding(ctx, n.pnid, 1); err != nil {
			t.Fatal(err)
		}
		n.settle(phone, 60*time.Second)
		rec := sentOnce(n, phone)

		// A "sent" status for another copy of this message (as if the lost
		// call had been taken after all) is not applied, and is counted.
		id, _, _ := outbound(n, phone)
		body := n.envelope(map[string]any{"statuses": []any{map[string]any{"id": waWamid(), "status": "sent",
			"timestamp": strconv.FormatInt(time.Now().Unix(), 10), "recipient_id": phone, "biz_opaque_callback_data": id}}})
		if r := n.deliver(body); waCount(r, "statuses") != 0 {
			t.Fatalf("a second copy's status was applied: %s", r.body)
		}
		if _, _, wamid := outbound(n, phone); wamid != rec.ID {
			t.Fatalf("the reply now follows %s, want %s", wamid, rec.ID)
		}
	})

	// The paths above, as the send metrics saw them: both held calls went
	// unanswered; the lost one waited for the window and was sent again.
	m := convMetrics(t, ta)
	for name, least := range map[string]float64{
		`concierge_whatsapp_sends_total{outcome="no_answer"}`:       2,
		`concierge_whatsapp_sends_total{outcome="awaiting_status"}`: 1,
		`concierge_whatsapp_sends_total{outcome="resent_unproven"}`: 1,
	} {
		if m[name] < least {
			t.Errorf("%s = %v, want at least %v", name, m[name], least)
		}
	}
	if v := m["concierge_whatsapp_sent_twice_total"]; v != 1 {
		t.Errorf("concierge_whatsapp_sent_twice_total = %v, want 1 (the second copy's status)", v)
	}
}

// convMetrics gathers the conversation module's metrics into series →
// value (`name{label="value",...}`, labels in their order).
func convMetrics(t *testing.T, ta *testApp) map[string]float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(ta.app.conv.Collectors()...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			name := mf.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			out[name] = m.GetCounter().GetValue()
		}
	}
	return out
}
