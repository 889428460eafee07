package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/cmd/concierge/sandbox"
	"concierge/internal/testenv"
	"concierge/modules/identity"
	"concierge/tenants"
)

// Returns end to end: a return started in the chat from "my orders", with
// a photo the worker fetches through the Cloud API's media endpoint,
// approved by staff and recorded as cash handed back (cash on delivery);
// a card order's return approved and refunded through Stripe (stripe-mock);
// the hand-off keyword working from inside the return flow; a return
// outside the window refused with the reason in the customer's language.

type apiReturn struct {
	ID           string `json:"id"`
	RMA          string `json:"rma"`
	Status       string `json:"status"`
	RefundStatus string `json:"refund_status"`
	RefundAmount int64  `json:"refund_amount"`
	Media        []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"media"`
}

func decodeReturn(t *testing.T, r response) apiReturn {
	t.Helper()
	var x apiReturn
	if err := json.Unmarshal(r.raw, &x); err != nil || x.ID == "" {
		t.Fatalf("not a return (%d): %s", r.status, r.body)
	}
	return x
}

// deliver moves an order through shipped to delivered.
func deliver(t *testing.T, ta *testApp, n *waNumber, owner, orderID string) {
	t.Helper()
	for _, to := range []string{"shipped", "delivered"} {
		if r := ta.do(request{method: "POST", path: "/api/v1/orders/" + orderID + "/transitions", host: n.host, token: owner,
			body: `{"to":"` + to + `"}`}); r.status != 200 {
			t.Fatalf("%s: %d %s", to, r.status, r.body)
		}
	}
}

// poll asks until ok or the deadline (the worker runs the jobs).
func poll(t *testing.T, what string, ok func() bool) {
	t.Helper()
	waPoll(t, 30*time.Second, what, ok)
}

func TestReturnsEndToEnd(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeDev, map[string]string{"STRIPE_API_BASE": testenv.StripeMock(t)})
	n, owner, _ := lifeShop(t, ta, "retshop")
	const whsec = "whsec_retshop"
	if r := ta.do(request{method: "PUT", path: "/api/v1/settings/payments", host: n.host, token: owner,
		body: `{"stripe":{"enabled":true,"secret_key":"sk_test_ret","webhook_secret":"` + whsec + `"}}`}); r.status != 200 {
		t.Fatalf("stripe settings: %d %s", r.status, r.body)
	}
	chat := &waChat{t: t, n: n, phone: waPhone(), total: 3}
	n.onboard(chat.phone, "en", "Huda")

	// A cash-on-delivery order, cash collected, delivered.
	o := placeCOD(t, ta, n, chat.phone)
	chat.total += 2
	n.waitBot(chat.phone, chat.total, 20*time.Second)
	if r := ta.do(request{method: "POST", path: "/api/v1/orders/" + o.ID + "/cod-collected", host: n.host, token: owner}); r.status != 200 {
		t.Fatalf("collected: %d %s", r.status, r.body)
	}
	deliver(t, ta, n, owner, o.ID)
	chat.total += 2
	n.waitBot(chat.phone, chat.total, 20*time.Second)

	// From "my orders": the order offers "Start a return".
	chat.typeText("my orders", 1)
	start := idWith(t, chat.tap("orders:show:"+o.ID, 2), "ret:start:"+o.ID)
	// The order's one item, one of it: taken without asking how many.
	item := idWith(t, chat.tap(start, 1), "ret:item:0")
	got := chat.send(sandbox.CustomerMessage{ListReply: &sandbox.ReplyChoice{ID: item, Title: "White Musk Perfume"}}, 2)
	wantText(t, got, "Added 1 × White Musk Perfume")
	wantText(t, got, "Why are you returning it?")
	reason := idWith(t, got, "ret:reason:damaged")
	got = chat.send(sandbox.CustomerMessage{ListReply: &sandbox.ReplyChoice{ID: reason, Title: "Damaged"}}, 1)
	wantText(t, got, "Send a photo")
	got = chat.send(sandbox.CustomerMessage{Image: &sandbox.Image{Caption: "torn seam"}}, 3)
	wantText(t, got, "we received the photo")
	wantText(t, got, "Photo: attached")
	got = chat.tap("ret:confirm", 1)
	wantText(t, got, "Your return request RMA-1001 for order #"+o.Number+" is received")

	// Staff see it with its photo, fetched by the worker.
	r := ta.do(request{method: "GET", path: "/api/v1/returns?status=requested", host: n.host, token: owner})
	if r.status != 200 || !strings.Contains(r.body, "RMA-1001") {
		t.Fatalf("returns list: %d %s", r.status, r.body)
	}
	var list struct{ Items []apiReturn }
	_ = json.Unmarshal(r.raw, &list)
	ret := list.Items[0]
	poll(t, "the photo is stored", func() bool {
		ret = decodeReturn(t, ta.do(request{method: "GET", path: "/api/v1/returns/" + ret.ID, host: n.host, token: owner}))
		return len(ret.Media) == 1 && ret.Media[0].Status == "stored"
	})
	img := ta.do(request{method: "GET", path: "/api/v1/returns/" + ret.ID + "/media/" + ret.Media[0].ID, host: n.host, token: owner})
	if img.status != 200 || img.header.Get("Content-Type") != "image/png" || len(img.raw) < 8 || string(img.raw[1:4]) != "PNG" {
		t.Fatalf("the photo: %d %s %d bytes", img.status, img.header.Get("Content-Type"), len(img.raw))
	}
	// Approved: cash on delivery is refunded by hand (recorded as manual),
	// the customer told.
	r = ta.do(request{method: "POST", path: "/api/v1/returns/" + ret.ID + "/decision", host: n.host, token: owner,
		body: `{"decision":"approve","note":"sorry about that"}`})
	if r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	poll(t, "the COD refund is recorded", func() bool {
		ret = decodeReturn(t, ta.do(request{method: "GET", path: "/api/v1/returns/" + ret.ID, host: n.host, token: owner}))
		return ret.RefundStatus == "manual"
	})
	d := decodeOrder(t, ta.do(request{method: "GET", path: "/api/v1/orders/" + o.ID, host: n.host, token: owner}))
	if len(d.Payments) != 1 || d.Payments[0].Refunded != ret.RefundAmount {
		t.Fatalf("COD payment after the return: %+v (return %d)", d.Payments, ret.RefundAmount)
	}
	chat.total++
	wantText(t, n.waitBot(chat.phone, chat.total, 20*time.Second)[chat.total-1:], "approved")
	chat.total++
	wantText(t, n.waitBot(chat.phone, chat.total, 20*time.Second)[chat.total-1:], "refunded")
	// The same decision again answers the same; the other one is 409.
	if r := ta.do(request{method: "POST", path: "/api/v1/returns/" + ret.ID + "/decision", host: n.host, token: owner,
		body: `{"decision":"approve","note":"sorry about that"}`}); r.status != 200 {
		t.Fatalf("approve again: %d %s", r.status, r.body)
	}
	wantProblem(t, ta.do(request{method: "POST", path: "/api/v1/returns/" + ret.ID + "/decision", host: n.host, token: owner,
		body: `{"decision":"reject","note":"no"}`}), 409, "")

	// A card order: paid through Stripe, delivered, returned through the
	// API, approved: refunded through Stripe.
	cartID := newCart(t, ta, n.host, "PRF-002", 1)
	body := strings.Replace(checkoutBody(cartID, "stripe", "Riyadh"), `"0551234567"`, `"+`+chat.phone+`"`, 1)
	co := decodeCheckout(t, ta.do(request{method: "POST", path: "/api/v1/checkout/init", host: n.host, body: body}))
	completed := stripeEvent("evt_ret_paid", "checkout.session.completed", sessionObject(co.Payment.ID, co.Order.ID, co.Order.Totals.Total, "paid"))
	if r := ta.do(request{method: "POST", path: "/payments/stripe/webhook/" + n.slug, body: completed,
		headers: map[string]string{"Stripe-Signature": stripeSign(whsec, completed, time.Now())}}); r.status != 200 || !strings.Contains(r.body, `"applied":1`) {
		t.Fatalf("paid: %d %s", r.status, r.body)
	}
	deliver(t, ta, n, owner, co.Order.ID)
	r = ta.do(request{method: "POST", path: "/api/v1/returns", host: n.host, token: owner,
		body: `{"order_id":"` + co.Order.ID + `","items":[{"sku":"PRF-002","quantity":1}],"reason":"changed_mind"}`})
	if r.status != 201 && r.status != 200 {
		t.Fatalf("staff return: %d %s", r.status, r.body)
	}
	card := decodeReturn(t, r)
	wantProblem(t, ta.do(request{method: "POST", path: "/api/v1/returns", host: n.host, token: owner,
		body: `{"order_id":"` + co.Order.ID + `","items":[{"sku":"PRF-002","quantity":1}],"reason":"changed_mind"}`}), 422, "")
	if r := ta.do(request{method: "POST", path: "/api/v1/returns/" + card.ID + "/decision", host: n.host, token: owner,
		body: `{"decision":"approve","note":"ok"}`}); r.status != 200 {
		t.Fatalf("approve card return: %d %s", r.status, r.body)
	}
	poll(t, "the card refund goes through Stripe", func() bool {
		card = decodeReturn(t, ta.do(request{method: "GET", path: "/api/v1/returns/" + card.ID, host: n.host, token: owner}))
		return card.RefundStatus == "done"
	})
	d = decodeOrder(t, ta.do(request{method: "GET", path: "/api/v1/orders/" + co.Order.ID, host: n.host, token: owner}))
	if len(d.Payments) != 1 || d.Payments[0].Provider != "stripe" || d.Payments[0].Refunded != card.RefundAmount || card.RefundAmount == 0 {
		t.Fatalf("card payment after the return: %+v (return %d)", d.Payments, card.RefundAmount)
	}
	// Received: the item goes back to stock and the order, all returned,
	// becomes returned.
	if r := ta.do(request{method: "POST", path: "/api/v1/returns/" + card.ID + "/received", host: n.host, token: owner}); r.status != 200 {
		t.Fatalf("received: %d %s", r.status, r.body)
	}
	if d := decodeOrder(t, ta.do(request{method: "GET", path: "/api/v1/orders/" + co.Order.ID, host: n.host, token: owner})); d.Status != "returned" {
		t.Fatalf("order after its return was received: %s", d.Status)
	}

	// Outside the window: delivered 30 days ago, the customer is told why.
	old := placeCOD(t, ta, n, chat.phone)
	chat.total += 2
	n.waitBot(chat.phone, chat.total, 20*time.Second)
	deliver(t, ta, n, owner, old.ID)
	chat.total += 2
	n.waitBot(chat.phone, chat.total, 20*time.Second)
	n.inTx(func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE orders SET delivered_at = now() - interval '30 days' WHERE id = ?`, old.ID)
		return err
	})
	wantProblem(t, ta.do(request{method: "POST", path: "/api/v1/returns", host: n.host, token: owner,
		body: `{"order_id":"` + old.ID + `","items":[{"sku":"PRF-002","quantity":1}],"reason":"damaged"}`}), 422, "")
	n.settle(chat.phone, 20*time.Second)
	chat.total = len(ta.app.sandbox.Sent(n.pnid, chat.phone))
	got = chat.tap("ret:start:"+old.ID, 1)
	wantText(t, got, "7 days")

	// "agent" from inside a return: the hand-off, its SLA timer started;
	// staff see the customer's last order and its payment state beside the
	// conversation, and answer with a quick reply, which stops the timer.
	got = chat.tap(start, 1) // a new return of the first order
	chat.typeText("agent", 1)
	var convID string
	n.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT c.id FROM conversations c JOIN customers u ON u.id = c.customer_id WHERE u.wa_id = ?`, chat.phone).Scan(&convID)
	})
	timers := func(running bool) int {
		var c int
		n.inTx(func(ctx context.Context, tx bun.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT count(*) FROM sla_timers WHERE kind = 'handoff_first_reply' AND subject_id = ? AND (stopped_at IS NULL) = ?`,
				convID, running).Scan(&c)
		})
		return c
	}
	if timers(true) != 1 {
		t.Fatal("no hand-off timer running")
	}
	r = ta.do(request{method: "GET", path: "/api/v1/conversations/" + convID, host: n.host, token: owner})
	if r.status != 200 || !strings.Contains(r.body, `"handoff":"waiting"`) || !strings.Contains(r.body, `"last_order":{"id":"`+old.ID+`"`) ||
		!strings.Contains(r.body, `"payment_status":"authorized"`) {
		t.Fatalf("the conversation's context: %d %s", r.status, r.body)
	}
	if r := ta.do(request{method: "POST", path: "/api/v1/quick-replies", host: n.host, token: owner,
		body: `{"shortcut":"returns","title":"Returns","body_ar":"أهلًا {{customer_name}}، طلبك رقم {{order_number}} معنا.","body_en":"Hi {{customer_name}}, we have your order {{order_number}}."}`}); r.status != 201 {
		t.Fatalf("quick reply: %d %s", r.status, r.body)
	}
	if r := ta.do(request{method: "POST", path: "/api/v1/conversations/" + convID + "/reply", host: n.host, token: owner,
		body: `{"quick_reply":"returns"}`}); r.status != 202 {
		t.Fatalf("quick reply sent: %d %s", r.status, r.body)
	}
	chat.total++
	wantText(t, n.waitBot(chat.phone, chat.total, 20*time.Second)[chat.total-1:], "Hi Huda, we have your order "+old.Number+".")
	if timers(true) != 0 || timers(false) != 1 {
		t.Fatal("the first reply did not stop the hand-off timer")
	}
	// Taken, then released to the queue: the customer waits for a reply
	// again, under a new timer; the next reply stops it.
	staff := identity.WithActor(tenants.WithTenant(context.Background(), n.tenant), identity.UserActor("owner@"+n.slug+".test"))
	cid := uuid.MustParse(convID)
	if _, err := ta.app.conv.TakeOver(staff, cid); err != nil {
		t.Fatal(err)
	}
	if timers(true) != 0 {
		t.Fatal("taking the conversation started a timer")
	}
	if _, err := ta.app.conv.Release(staff, cid); err != nil {
		t.Fatal(err)
	}
	if timers(true) != 1 || timers(false) != 1 {
		t.Fatalf("after the release: %d running, %d stopped; want a new one running", timers(true), timers(false))
	}
	if r := ta.do(request{method: "POST", path: "/api/v1/conversations/" + convID + "/reply", host: n.host, token: owner,
		body: `{"text":"معك الآن"}`}); r.status != 202 {
		t.Fatalf("reply: %d %s", r.status, r.body)
	}
	if timers(true) != 0 || timers(false) != 2 {
		t.Fatal("the reply after the release did not stop its timer")
	}
}
