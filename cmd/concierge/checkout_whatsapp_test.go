package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/cmd/concierge/sandbox"
	"concierge/internal/testenv"
	"concierge/modules/cart"
	"concierge/modules/checkout"
	"concierge/tenants"
)

// Checkout in the chat, through the sandbox and the real worker: the
// address by location pin or typed step by step (Arabic-Indic digits
// too), the summary, the consent replay recorded in the ledger, cash on
// delivery confirmed or cancelled with the buttons of the notification, a
// saved address offered next time, and a card payment whose link arrives
// as a CTA and whose Stripe webhook confirms the order in the chat.

// waChat sends customer messages and waits for the bot's answers.
type waChat struct {
	t     *testing.T
	n     *waNumber
	phone string
	total int
}

// send sends m and returns the next want bot messages.
func (c *waChat) send(m sandbox.CustomerMessage, want int) []sandbox.Recorded {
	c.t.Helper()
	c.n.say(c.phone, m)
	c.total += want
	got := c.n.waitBot(c.phone, c.total, 20*time.Second)
	c.n.settle(c.phone, 20*time.Second)
	return got[c.total-want:]
}

func (c *waChat) tap(id string, want int) []sandbox.Recorded {
	c.t.Helper()
	return c.send(waButton(id, id), want)
}

func (c *waChat) typeText(s string, want int) []sandbox.Recorded {
	c.t.Helper()
	return c.send(sandbox.CustomerMessage{Text: s}, want)
}

// wantText fails unless one of rs says s.
func wantText(t *testing.T, rs []sandbox.Recorded, s string) sandbox.Recorded {
	t.Helper()
	for _, r := range rs {
		if strings.Contains(r.Text(), s) || strings.Contains(string(r.Raw), s) {
			return r
		}
	}
	t.Fatalf("no message says %q:%s", s, waTexts(rs))
	return sandbox.Recorded{}
}

// idWith is the reply id of rs that starts with prefix.
func idWith(t *testing.T, rs []sandbox.Recorded, prefix string) string {
	t.Helper()
	for _, r := range rs {
		for _, id := range r.ReplyIDs() {
			if strings.HasPrefix(id, prefix) {
				return id
			}
		}
	}
	t.Fatalf("no reply id %s…:%s", prefix, waTexts(rs))
	return ""
}

func TestCheckoutInWhatsApp(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeDev, map[string]string{"STRIPE_API_BASE": testenv.StripeMock(t)})
	n := waTenant(t, ta, "chatshop")
	seedCatalog(t, n)
	ctx := tenants.WithTenant(context.Background(), n.tenant)
	setPrice(t, ta, ctx, "PRF-002", 20000)
	setStock(t, ta, ctx, "PRF-002", intPtr(10))
	fee := int64(3500)
	if _, err := ta.app.cart.UpdatePricingSettings(ctx, cart.Settings{VATRateBP: 1500, PricesIncludeVAT: true, DefaultFee: &fee,
		Zones: []cart.Zone{{NameAR: "الرياض", NameEN: "Riyadh", Fee: 2500}, {NameAR: "جدة", NameEN: "Jeddah", Fee: 3000}}}); err != nil {
		t.Fatal(err)
	}
	on := true
	if _, err := ta.app.checkout.UpdatePaymentSettings(ctx, map[string]checkout.SettingsChange{
		"cod":    {Enabled: &on},
		"stripe": {Enabled: &on, Secrets: map[string]string{"secret_key": "sk_test_chat", "webhook_secret": "whsec_chatshop"}},
	}); err != nil {
		t.Fatal(err)
	}
	// fill puts quantity of PRF-002 in the customer's cart (through the API).
	fill := func(phone string, quantity int) string {
		t.Helper()
		var id uuid.UUID
		n.inTx(func(ctx context.Context, tx bun.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT id FROM customers WHERE wa_id = ?`, phone).Scan(&id)
		})
		c, err := ta.app.cart.CustomerCart(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ta.app.cart.Add(ctx, c.ID, "PRF-002", quantity); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}

	// English, cash on delivery, address by location pin.
	en := &waChat{t: t, n: n, phone: waPhone(), total: 3}
	n.onboard(en.phone, "en", "Sara")
	// From the product: Add to cart, a quantity, then Checkout.
	prod, err := ta.app.catalog.ProductBySKU(ctx, "PRF-002")
	if err != nil {
		t.Fatal(err)
	}
	add := "cart:add:" + prod.ID.String() + ":" + prod.Variants[0].ID.String()
	qty := idWith(t, en.tap(add, 1), strings.Replace(add, "cart:add:", "cart:q:", 1)+":2:")
	wantText(t, en.send(sandbox.CustomerMessage{ListReply: &sandbox.ReplyChoice{ID: qty, Title: "2"}}, 1), "Added 2")
	wantText(t, en.tap("cart:checkout", 1), "What name")
	wantText(t, en.typeText("Sara Ali", 1), "location pin")
	got := en.send(sandbox.CustomerMessage{Location: &sandbox.Location{Latitude: 24.7136, Longitude: 46.6753, Name: "Home", Address: "Olaya St"}}, 2)
	wantText(t, got, "Got your location")
	wantText(t, en.tap(idWith(t, got, "checkout:city:0"), 1), "Which district")
	// The customer wanders off to the cart and comes back: the checkout
	// resumes at the district.
	en.typeText("cart", 1)
	got = en.tap("cart:checkout", 2)
	wantText(t, got, "Welcome back")
	wantText(t, got, "Which district")
	wantText(t, en.typeText("Al Olaya", 1), "street")
	en.tap("checkout:skip", 1)
	en.tap("checkout:skip", 1)
	got = en.tap("checkout:skip", 2)
	// 2 × 200.00 + Riyadh 25.00; VAT inside.
	wantText(t, got, "Delivery to Riyadh: SAR\u00a025.00")
	wantText(t, got, "Total: SAR\u00a0425.00")
	wantText(t, got, "maps.google.com/?q=24.713600,46.675300")
	wantText(t, got, "Do you agree?")
	got = en.tap("checkout:agree", 1)
	if ids := strings.Join(got[0].ReplyIDs(), ","); ids != "checkout:pay:cod,checkout:pay:stripe" {
		t.Fatalf("payment choice: %s", ids)
	}
	var consents int
	n.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM consent_records WHERE purpose = 'order_fulfilment' AND action = 'grant'`).Scan(&consents)
	})
	if consents != 1 {
		t.Fatalf("order consent records: %d", consents)
	}
	got = en.tap("checkout:pay:cod", 2) // the reply, then the confirmation notice
	// A second tap on the same button: the same order, no second notice.
	wantText(t, en.tap("checkout:pay:cod", 1), "Order #1001")
	wantText(t, got, "Order #1001")
	notice := wantText(t, got, "Please confirm your order by")
	wantText(t, []sandbox.Recorded{notice}, "2 × ")
	confirmID := idWith(t, got, "checkout:cod_confirm:")
	if stockOf(t, ta, ctx, "PRF-002") == nil || *stockOf(t, ta, ctx, "PRF-002") != 8 {
		t.Fatalf("stock after a COD checkout: %v", *stockOf(t, ta, ctx, "PRF-002"))
	}
	got = en.tap(confirmID, 2)
	wantText(t, got, "Thank you for confirming")
	wantText(t, got, "Order #1001 is confirmed")
	orderID := strings.TrimPrefix(confirmID, "checkout:cod_confirm:")
	var status string
	n.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT status FROM orders WHERE id = ?`, orderID).Scan(&status)
	})
	if status != "confirmed" {
		t.Fatalf("order after Confirm: %s", status)
	}
	// Confirm again (an old button): still confirmed, said once more.
	wantText(t, en.tap(confirmID, 1), "Thank you for confirming")

	// The same customer again, by card: the saved address is offered; the
	// payment link arrives as a CTA; Stripe's webhook confirms the order.
	cartID := fill(en.phone, 1)
	got = en.tap("cart:checkout", 1)
	wantText(t, got, "same address as last time")
	wantText(t, got, "Sara Ali")
	wantText(t, en.tap("checkout:saved:yes", 2), "Total: SAR\u00a0225.00")
	en.tap("checkout:agree", 1)
	got = en.tap("checkout:pay:stripe", 2)
	wantText(t, got, "Order #1002")
	link := wantText(t, got, "pay SAR\u00a0225.00 securely")
	if !strings.Contains(string(link.Raw), `"cta_url"`) || !strings.Contains(string(link.Raw), "https://") {
		t.Fatalf("the payment link is not a CTA: %s", link.Raw)
	}
	var payID, order2 string
	n.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT p.id, p.order_id FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.cart_id = ?`, cartID).Scan(&payID, &order2)
	})
	body := stripeEvent("evt_chat_1", "checkout.session.completed", sessionObject(payID, order2, 22500, "paid"))
	r := ta.do(request{method: "POST", path: "/payments/stripe/webhook/chatshop", body: body,
		headers: map[string]string{"Stripe-Signature": stripeSign("whsec_chatshop", body, time.Now())}})
	if r.status != 200 || !strings.Contains(r.body, `"applied":1`) {
		t.Fatalf("webhook: %d %s", r.status, r.body)
	}
	en.total++
	got = n.waitBot(en.phone, en.total, 20*time.Second)
	wantText(t, got[en.total-1:], "Order #1002 is confirmed")

	// Arabic, typed address with Arabic-Indic digits, then Cancel: the
	// order ends and its stock comes back. The store now ships only to its
	// zones.
	if _, err := ta.app.cart.UpdatePricingSettings(ctx, cart.Settings{VATRateBP: 1500, PricesIncludeVAT: true,
		Zones: []cart.Zone{{NameAR: "الرياض", NameEN: "Riyadh", Fee: 2500}, {NameAR: "جدة", NameEN: "Jeddah", Fee: 3000}}}); err != nil {
		t.Fatal(err)
	}
	ar := &waChat{t: t, n: n, phone: waPhone(), total: 3}
	n.onboard(ar.phone, "ar", "نورة")
	fill(ar.phone, 3)
	wantText(t, ar.tap("cart:checkout", 1), "ما الاسم")
	ar.typeText("نورة محمد", 1)
	wantText(t, ar.tap("checkout:type", 1), "إلى أي مدينة")
	wantText(t, ar.typeText("الدمام", 2), "لا نوصّل إلى الدمام. نوصّل إلى: الرياض / Riyadh، جدة / Jeddah")
	wantText(t, ar.typeText("جده", 1), "ما اسم الحي في جدة")
	ar.typeText("الروضة", 1)
	ar.typeText("شارع التحلية", 1)
	wantText(t, ar.typeText("29", 1), "4 أرقام")
	ar.typeText("٢٩٢٩", 1)
	got = ar.typeText("٢١٤٤٢", 2)
	wantText(t, got, "2929، شارع التحلية، الروضة، جدة، 21442")
	wantText(t, got, "هل توافق؟")
	ar.tap("checkout:agree", 1)
	got = ar.tap("checkout:pay:cod", 2)
	wantText(t, got, "الطلب رقم 1003")
	cancelID := idWith(t, got, "checkout:cod_cancel:")
	before := *stockOf(t, ta, ctx, "PRF-002")
	got = ar.tap(cancelID, 2)
	wantText(t, got, "أُلغي طلبك")
	wantText(t, got, "أُلغي الطلب رقم 1003")
	if after := *stockOf(t, ta, ctx, "PRF-002"); after != before+3 {
		t.Fatalf("stock after Cancel: %d, want %d", after, before+3)
	}
	// Another customer's order buttons do nothing to it.
	wantText(t, ar.tap(confirmID, 1), "لم نجد هذا الطلب")
}
