package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"concierge/cmd/concierge/sandbox"
	"concierge/modules/cart"
	"concierge/modules/checkout"
	"concierge/tenants"
)

// After the sale, end to end through the API, the real worker and the
// sandbox: staff move a confirmed order through processing, shipped (with
// tracking) and delivered, the customer hearing of each move once in the
// chat; "my orders" in the chat; cancelling a paid order refunds it; the
// public lookup.

// lifeShop is a tenant with a WhatsApp number, the demo catalog, delivery
// to Riyadh, cash on delivery on, and an owner.
func lifeShop(t *testing.T, ta *testApp, slug string) (n *waNumber, owner string, ctx context.Context) {
	t.Helper()
	n = waTenant(t, ta, slug)
	seedCatalog(t, n)
	ctx = tenants.WithTenant(context.Background(), n.tenant)
	if _, err := ta.app.cart.UpdatePricingSettings(ctx, cart.Settings{VATRateBP: 1500, PricesIncludeVAT: true,
		Zones: []cart.Zone{{NameAR: "الرياض", NameEN: "Riyadh", Fee: 2500}}}); err != nil {
		t.Fatal(err)
	}
	on := true
	if _, err := ta.app.checkout.UpdatePaymentSettings(ctx, map[string]checkout.SettingsChange{"cod": {Enabled: &on}}); err != nil {
		t.Fatal(err)
	}
	return n, ta.user("owner@"+slug+".test", false, slug, "owner"), ctx
}

// placeCOD checks a web cart out with cash on delivery for the WhatsApp
// customer phone (digits) and confirms it; it returns the order.
func placeCOD(t *testing.T, ta *testApp, n *waNumber, phone string) apiOrder {
	t.Helper()
	cartID := newCart(t, ta, n.host, "PRF-002", 1)
	body := strings.Replace(checkoutBody(cartID, "cod", "Riyadh"), `"0551234567"`, `"+`+phone+`"`, 1)
	r := ta.do(request{method: "POST", path: "/api/v1/checkout/init", host: n.host, body: body})
	co := decodeCheckout(t, r)
	if r := ta.do(request{method: "POST", path: "/api/v1/checkout/confirm", host: n.host, body: `{"order_id":"` + co.Order.ID + `"}`}); r.status != 200 {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	return apiOrder{ID: co.Order.ID, Number: co.Order.Number}
}

type apiOrder struct {
	ID       string   `json:"id"`
	Number   string   `json:"number"`
	Status   string   `json:"status"`
	Allowed  []string `json:"allowed_transitions"`
	Tracking *struct {
		Number, URL, Carrier string
	} `json:"tracking"`
	Timeline []struct {
		Kind, From, To, Actor, Note string
	} `json:"timeline"`
	Payments []struct {
		Provider, Status string
		Refunded         int64
	} `json:"payments"`
}

func decodeOrder(t *testing.T, r response) apiOrder {
	t.Helper()
	var o apiOrder
	if err := json.Unmarshal(r.raw, &o); err != nil || o.ID == "" {
		t.Fatalf("not an order (%d): %s", r.status, r.body)
	}
	return o
}

// notices counts the notifications queued for an order.
func notices(t *testing.T, n *waNumber, orderID string) int {
	t.Helper()
	var c int
	n.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM whatsapp_notifications WHERE key LIKE ?`, "order:"+orderID+":%").Scan(&c)
	})
	return c
}

func TestOrderLifecycle(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeDev, nil)
	n, owner, _ := lifeShop(t, ta, "lifeshop")
	agent := ta.user("agent@lifeshop.test", false, "lifeshop", "agent")
	chat := &waChat{t: t, n: n, phone: waPhone(), total: 3}
	n.onboard(chat.phone, "en", "Sara")
	if r := ta.do(request{method: "PUT", path: "/api/v1/settings/invoicing", host: n.host, token: owner,
		body: `{"vat_number":"٣١٠١٢٢٣٩٣٥٠٠٠٠٣","seller_name_ar":"متجر الرياض","seller_name_en":"Riyadh Store"}`}); r.status != 200 {
		t.Fatalf("invoicing settings: %d %s", r.status, r.body)
	}

	o := placeCOD(t, ta, n, chat.phone)
	checkInvoice(t, ta, n, owner, o)
	// The COD confirmation request and the confirmation reach the chat.
	chat.total += 2
	got := n.waitBot(chat.phone, chat.total, 20*time.Second)
	wantText(t, got[chat.total-2:], "Order #"+o.Number+" is confirmed")
	// The web order's confirmation request reads in the customer's
	// language (English), not the order's (the store's default, Arabic).
	wantText(t, got[chat.total-2:], "1 × White Musk Perfume — SAR\u00a095.00")
	wantText(t, got[chat.total-2:], "Total: SAR\u00a0120.00")

	move := func(token, body string) response {
		return ta.do(request{method: "POST", path: "/api/v1/orders/" + o.ID + "/transitions", host: n.host, token: token, body: body})
	}
	// Refused, each with nothing changed: an agent may not move orders; a
	// status staff cannot set; tracking on a move other than shipped; a
	// tracking link that is not a web link; unknown fields.
	wantProblem(t, move(agent, `{"to":"processing"}`), 403, "")
	wantProblem(t, move(owner, `{"to":"returned"}`), 422, "to")
	wantProblem(t, move(owner, `{"to":"confirmed"}`), 422, "to")
	wantProblem(t, move(owner, `{"to":"processing","tracking_number":"X1"}`), 422, "tracking_number")
	wantProblem(t, move(owner, `{"to":"shipped","tracking_url":"javascript:alert(1)"}`), 422, "tracking_url")
	wantProblem(t, move(owner, `{"to":"shipped","by":"x"}`), 422, "by")
	wantProblem(t, move(owner, `{"to":"shipped","note":"`+strings.Repeat("x", 1001)+`"}`), 422, "note")
	wantProblem(t, ta.do(request{method: "POST", path: "/api/v1/orders/00000000-0000-7000-8000-000000000000/transitions", host: n.host,
		token: owner, body: `{"to":"processing"}`}), 404, "")

	// processing: no message to the customer.
	r := move(owner, `{"to":"processing","note":"packing"}`)
	if got := decodeOrder(t, r); r.status != 200 || got.Status != "processing" || strings.Join(got.Allowed, ",") != "shipped,cancelled" {
		t.Fatalf("processing: %d %s", r.status, r.body)
	}
	if c := notices(t, n, o.ID); c != 1 {
		t.Fatalf("notices after processing: %d (want the confirmation only)", c)
	}
	// shipped with tracking: the text names the carrier and number, the
	// link comes as a button.
	r = move(owner, `{"to":"shipped","tracking_number":"SMSA123456","tracking_url":"https://track.example.sa/SMSA123456","carrier":"SMSA"}`)
	if got := decodeOrder(t, r); r.status != 200 || got.Tracking == nil || got.Tracking.Number != "SMSA123456" {
		t.Fatalf("shipped: %d %s", r.status, r.body)
	}
	chat.total++
	got = n.waitBot(chat.phone, chat.total, 20*time.Second)
	shipped := wantText(t, got[chat.total-1:], "has shipped with SMSA. Tracking number: SMSA123456")
	if shipped.Type != "interactive" || !strings.Contains(string(shipped.Raw), `"cta_url"`) || !strings.Contains(string(shipped.Raw), "https://track.example.sa/SMSA123456") {
		t.Fatalf("shipped notice is not a tracking button: %s", shipped.Raw)
	}
	// A retried move answers the same order and notifies nobody twice.
	if r := move(owner, `{"to":"shipped","tracking_number":"SMSA123456"}`); r.status != 200 {
		t.Fatalf("shipped again: %d %s", r.status, r.body)
	}
	r = move(owner, `{"to":"delivered"}`)
	if r.status != 200 {
		t.Fatalf("delivered: %d %s", r.status, r.body)
	}
	chat.total++
	got = n.waitBot(chat.phone, chat.total, 20*time.Second)
	wantText(t, got[chat.total-1:], "has been delivered")
	move(owner, `{"to":"delivered"}`)
	if c := notices(t, n, o.ID); c != 3 {
		t.Fatalf("notices: %d, want confirmed, shipped, delivered", c)
	}
	// Delivered back to processing: 409 naming what is allowed.
	wantProblem(t, move(owner, `{"to":"processing"}`), 409, "")

	// The timeline: who, from, to, note.
	r = ta.do(request{method: "GET", path: "/api/v1/orders/" + o.ID, host: n.host, token: owner})
	d := decodeOrder(t, r)
	var moves []string
	for _, e := range d.Timeline {
		if e.To != "" {
			moves = append(moves, e.From+">"+e.To)
		}
		if e.To == "processing" && (e.Note != "packing" || !strings.HasPrefix(e.Actor, "user:")) {
			t.Fatalf("processing event: %+v", e)
		}
	}
	if strings.Join(moves, " ") != ">pending_payment pending_payment>confirmed confirmed>processing processing>shipped shipped>delivered" {
		t.Fatalf("timeline moves: %v", moves)
	}

	// "my orders" in the chat: the list, then the order with its timeline,
	// tracking button and "Talk to us".
	list := chat.typeText("my orders", 1)
	show := idWith(t, list, "orders:show:"+o.ID)
	wantText(t, list, "#"+o.Number+" · Delivered")
	got = chat.tap(show, 3)
	wantText(t, got, "Order #"+o.Number+" — Delivered")
	wantText(t, got, "Shipped")
	wantText(t, got, "Tracking number: SMSA123456 SMSA")
	wantText(t, got, "https://track.example.sa/SMSA123456")
	idWith(t, got, "handoff")
	// Another customer's order id gives nothing away.
	other := placeCOD(t, ta, n, waPhone())
	wantText(t, chat.tap("orders:show:"+other.ID, 1), "could not find that order")
	// In Arabic.
	ar := &waChat{t: t, n: n, phone: waPhone(), total: 3}
	n.onboard(ar.phone, "ar", "نورة")
	wantText(t, ar.typeText("طلباتي", 1), "لا توجد لديك طلبات")
}

// checkInvoice reads a confirmed order's tax invoice as JSON, decodes its
// QR payload (ZATCA TLV) and checks every tag, then opens its public link
// without signing in.
func checkInvoice(t *testing.T, ta *testApp, n *waNumber, owner string, o apiOrder) {
	t.Helper()
	r := ta.do(request{method: "GET", path: "/api/v1/orders/" + o.ID + "/invoice", host: n.host, token: owner,
		headers: map[string]string{"Accept": "application/json"}})
	var inv struct {
		Number    string `json:"number"`
		IssuedAt  string `json:"issued_at"`
		Total     int64  `json:"total"`
		VAT       int64  `json:"vat"`
		Currency  string `json:"currency"`
		QR        string `json:"qr_tlv_base64"`
		PublicURL string `json:"public_url"`
	}
	if err := json.Unmarshal(r.raw, &inv); err != nil || r.status != 200 || inv.QR == "" {
		t.Fatalf("invoice: %d %s", r.status, r.body)
	}
	raw, err := base64.StdEncoding.DecodeString(inv.QR)
	if err != nil {
		t.Fatal(err)
	}
	tags := map[byte]string{}
	for i := 0; i+2 <= len(raw); {
		tag, l := raw[i], int(raw[i+1])
		if i+2+l > len(raw) {
			t.Fatalf("TLV cut short at tag %d", tag)
		}
		tags[tag] = string(raw[i+2 : i+2+l])
		i += 2 + l
	}
	issued, _ := time.Parse(time.RFC3339, inv.IssuedAt)
	want := map[byte]string{1: "متجر الرياض", 2: "310122393500003", 3: issued.UTC().Format("2006-01-02T15:04:05Z"),
		4: fmt.Sprintf("%d.%02d", inv.Total/100, inv.Total%100), 5: fmt.Sprintf("%d.%02d", inv.VAT/100, inv.VAT%100)}
	for tag, v := range want {
		if tags[tag] != v {
			t.Fatalf("QR tag %d = %q, want %q (all: %q)", tag, tags[tag], v, tags)
		}
	}
	if inv.Total != 12000 || inv.VAT != 1565 || inv.Currency != "SAR" {
		t.Fatalf("invoice totals: %+v", inv)
	}
	u, err := url.Parse(inv.PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	page := ta.do(request{method: "GET", path: u.Path})
	if page.status != 200 || !strings.Contains(page.body, `dir="rtl"`) || !strings.Contains(page.body, "310122393500003") {
		t.Fatalf("public invoice page: %d %.300s", page.status, page.body)
	}
	if tampered := ta.do(request{method: "GET", path: u.Path[:len(u.Path)-2] + "xx"}); tampered.status != 404 {
		t.Fatalf("a tampered invoice link: %d", tampered.status)
	}
}

// TestCancelPaidOrderRefunds: staff cancel an order whose cash was
// collected: the stock comes back, the payment is refunded in full by the
// refund job (cash on delivery: recorded as handed back), and the customer
// is told of the cancellation and of the refund.
func TestCancelPaidOrderRefunds(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeDev, nil)
	n, owner, ctx := lifeShop(t, ta, "cancelshop")
	setStock(t, ta, ctx, "PRF-002", intPtr(5))
	chat := &waChat{t: t, n: n, phone: waPhone(), total: 3}
	n.onboard(chat.phone, "en", "Omar")
	o := placeCOD(t, ta, n, chat.phone)
	chat.total += 2
	n.waitBot(chat.phone, chat.total, 20*time.Second)
	if s := *stockOf(t, ta, ctx, "PRF-002"); s != 4 {
		t.Fatalf("stock after the order: %d", s)
	}
	if r := ta.do(request{method: "POST", path: "/api/v1/orders/" + o.ID + "/cod-collected", host: n.host, token: owner}); r.status != 200 {
		t.Fatalf("collected: %d %s", r.status, r.body)
	}
	r := ta.do(request{method: "POST", path: "/api/v1/orders/" + o.ID + "/transitions", host: n.host, token: owner, body: `{"to":"cancelled","note":"out of area"}`})
	if r.status != 200 || decodeOrder(t, r).Status != "cancelled" {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	if s := *stockOf(t, ta, ctx, "PRF-002"); s != 5 {
		t.Fatalf("stock after cancelling: %d", s)
	}
	chat.total += 2
	got := n.waitBot(chat.phone, chat.total, 30*time.Second)[chat.total-2:]
	wantText(t, got, "Your order #"+o.Number+" has been cancelled")
	wantText(t, got, "We have refunded SAR\u00a0")
	d := decodeOrder(t, ta.do(request{method: "GET", path: "/api/v1/orders/" + o.ID, host: n.host, token: owner}))
	if len(d.Payments) != 1 || d.Payments[0].Status != "refunded" || d.Payments[0].Refunded == 0 {
		t.Fatalf("payment after cancelling: %+v", d.Payments)
	}
	// Cancelling again changes nothing and refunds nothing more.
	if r := ta.do(request{method: "POST", path: "/api/v1/orders/" + o.ID + "/transitions", host: n.host, token: owner, body: `{"to":"cancelled"}`}); r.status != 200 {
		t.Fatalf("cancel again: %d %s", r.status, r.body)
	}
}

// TestOrderLookup: the right phone and number give the public view (no
// address beyond the city, no name or phone); a wrong pair and an unknown
// order get byte-identical 404s; the 11th try within the hour gets 429 with
// Retry-After.
func TestOrderLookup(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeDev, nil)
	n, _, _ := lifeShop(t, ta, "lookshop")
	phone := waPhone()
	o := placeCOD(t, ta, n, phone)
	look := func(body string) response {
		return ta.do(request{method: "POST", path: "/api/v1/orders/lookup", host: n.host, body: body})
	}
	r := look(fmt.Sprintf(`{"phone":"+%s","order_number":"#%s"}`, phone, o.Number))
	if r.status != 200 {
		t.Fatalf("lookup: %d %s", r.status, r.body)
	}
	for _, leak := range []string{phone[3:], "Sara", "King Fahd", "2929", "12345", "Al Olaya", o.ID} {
		if strings.Contains(r.body, leak) {
			t.Fatalf("the public view shows %q: %s", leak, r.body)
		}
	}
	for _, want := range []string{`"city":"Riyadh"`, `"status":"confirmed"`, `"number":"` + o.Number + `"`, `"status":"placed"`, `"sku":"PRF-002"`} {
		if !strings.Contains(r.body, want) {
			t.Fatalf("the public view lacks %s: %s", want, r.body)
		}
	}
	// Arabic-Indic digits and a local phone form find it too.
	arabicNumber := strings.NewReplacer("0", "٠", "1", "١", "2", "٢", "3", "٣", "4", "٤", "5", "٥", "6", "٦", "7", "٧", "8", "٨", "9", "٩").Replace(o.Number)
	if r := look(fmt.Sprintf(`{"phone":"0%s","order_number":"%s"}`, phone[3:], arabicNumber)); r.status != 200 {
		t.Fatalf("lookup in Arabic digits: %d %s", r.status, r.body)
	}
	strip := regexp.MustCompile(`"(instance|trace_id|request_id)":"[^"]*",?`)
	wrong := look(fmt.Sprintf(`{"phone":"+966500000001","order_number":"%s"}`, o.Number))
	unknown := look(fmt.Sprintf(`{"phone":"+%s","order_number":"999999"}`, phone))
	if wrong.status != 404 || unknown.status != 404 || strip.ReplaceAllString(wrong.body, "") != strip.ReplaceAllString(unknown.body, "") {
		t.Fatalf("wrong pair %d %s / unknown %d %s", wrong.status, wrong.body, unknown.status, unknown.body)
	}
	wantProblem(t, look(`{"phone":"hello","order_number":"abc"}`), 422, "order_number")
	// Another store's host does not find this store's order.
	other, _, _ := lifeShop(t, ta, "lookother")
	if r := ta.do(request{method: "POST", path: "/api/v1/orders/lookup", host: other.host,
		body: fmt.Sprintf(`{"phone":"+%s","order_number":"%s"}`, phone, o.Number)}); r.status != 404 {
		t.Fatalf("lookup on another store: %d %s", r.status, r.body)
	}
	// Five tries counted so far from this address (the malformed one is
	// refused before it counts): the 6th to 10th pass, the 11th is refused.
	for i := 6; i <= 10; i++ {
		if r := look(fmt.Sprintf(`{"phone":"+%s","order_number":"%d"}`, phone, 5000+i)); r.status != 404 {
			t.Fatalf("try %d: %d %s", i, r.status, r.body)
		}
	}
	r = look(fmt.Sprintf(`{"phone":"+%s","order_number":"%s"}`, phone, o.Number))
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("11th try: %d %s", r.status, r.body)
	}
}

// TestNotificationsOutsideWindow: a customer who last wrote two days ago
// gets each change as the store's approved template, in the code Meta
// approved it in, with its parameters — never a free-form message; a
// template still pending in Meta is refused (the move still happens and
// nothing is queued).
func TestNotificationsOutsideWindow(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeDev, nil)
	n, owner, ctx := lifeShop(t, ta, "windowshop")
	// Adding the number queued a sync of its account; let it finish first,
	// so it cannot write the registry over the one below.
	templateSyncsDone(t, ta, n.tenant.ID.String())
	// The number's account: order_delivered is still pending in Meta.
	var ts []sandbox.TemplateInfo
	for _, tpl := range sandbox.DefaultTemplates() {
		if tpl.Name == "order_delivered" {
			tpl.Status = "PENDING"
		}
		if tpl.Language == "en" {
			tpl.Language = "en_US"
		}
		ts = append(ts, tpl)
	}
	ta.app.sandbox.SetTemplates("9"+n.pnid, ts)
	if r, err := ta.app.cms.SyncTemplates(ctx); err != nil || r.Seen != len(ts) {
		t.Fatalf("sync: %+v %v", r, err)
	}
	chat := &waChat{t: t, n: n, phone: waPhone(), total: 3}
	n.onboard(chat.phone, "en", "Lina")
	o := placeCOD(t, ta, n, chat.phone)
	chat.total += 2
	n.waitBot(chat.phone, chat.total, 20*time.Second)
	n.inTx(func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE conversations SET last_inbound_at = now() - interval '2 days'
			WHERE customer_id = (SELECT id FROM customers WHERE wa_id = ?)`, chat.phone)
		return err
	})
	move := func(body string) {
		t.Helper()
		if r := ta.do(request{method: "POST", path: "/api/v1/orders/" + o.ID + "/transitions", host: n.host, token: owner, body: body}); r.status != 200 {
			t.Fatalf("%s: %d %s", body, r.status, r.body)
		}
	}
	move(`{"to":"shipped","tracking_number":"AR-77","tracking_url":"https://track.example.sa/AR-77","carrier":"Aramex"}`)
	chat.total++
	got := n.waitBot(chat.phone, chat.total, 20*time.Second)[chat.total-1]
	tpl := got.Message.Template
	if got.Type != "template" || tpl == nil || tpl.Name != "order_shipped" || tpl.Language == nil || tpl.Language.Code != "en_US" ||
		!strings.Contains(string(got.Raw), `"text":"`+o.Number+`"`) || !strings.Contains(string(got.Raw), "https://track.example.sa/AR-77") {
		t.Fatalf("shipped outside the window: %s %s", got.Type, got.Raw)
	}
	// order_delivered is pending in Meta: refused, nothing queued; the
	// order is delivered all the same.
	move(`{"to":"delivered"}`)
	if c := notices(t, n, o.ID); c != 2 {
		t.Fatalf("notices: %d, want confirmed and shipped only", c)
	}
	if d := decodeOrder(t, ta.do(request{method: "GET", path: "/api/v1/orders/" + o.ID, host: n.host, token: owner})); d.Status != "delivered" {
		t.Fatalf("order: %s", d.Status)
	}
	n.settle(chat.phone, 20*time.Second)
	if sent := ta.app.sandbox.Sent(n.pnid, chat.phone); len(sent) != chat.total {
		t.Fatalf("%d messages reached the customer, want %d", len(sent), chat.total)
	}
}

// templateSyncsDone waits until no template sync of the tenant is queued
// or running.
func templateSyncsDone(t *testing.T, ta *testApp, tenantID string) {
	t.Helper()
	waPoll(t, 30*time.Second, "template sync still running", func() bool {
		var open int
		err := ta.app.deps.db.SQL.QueryRowContext(context.Background(), `SELECT count(*) FROM river_job
			WHERE kind = 'cms.sync_templates' AND args->>'tenant_id' = $1 AND state NOT IN ('completed', 'cancelled', 'discarded')`, tenantID).Scan(&open)
		if err != nil {
			t.Fatal(err)
		}
		return open == 0
	})
}
