package main

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/cmd/concierge/sandbox"
	"concierge/modules/cart"
	"concierge/modules/catalog"
	"concierge/tenants"
)

// TestChatToOrder is the storefront's "Chat to order" through the whole
// product (docs/chat-to-order.md): the link the storefront builds (the
// tenant's WhatsApp number, a prefilled text with a product's or a web
// cart's code), the customer sending that text through the signed webhook,
// and the bot answering with the product ready to add, or with the web
// cart's lines in the WhatsApp cart — once, however often the text comes;
// any SKU form; helpful answers to unknown codes and to another tenant's.
func TestChatToOrder(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeDev, nil)
	n := waTenant(t, ta, "chatorder")
	seedCatalog(t, n)
	ctx := tenants.WithTenant(context.Background(), n.tenant)
	setStock(t, ta, ctx, "ABY-001-BLK-M", intPtr(10))
	setStock(t, ta, ctx, "PRF-002", nil)
	setStock(t, ta, ctx, "PRF-001-50ML", nil)
	three := 3
	odd, err := ta.app.catalog.CreateProduct(ctx, catalog.ProductInput{TitleAR: "عباية سهرة مطرزة", TitleEN: "Embroidered Evening Abaya",
		Variants: []catalog.VariantInput{{SKU: "عباية سهرة #1 [M] x", Price: 45000, Stock: &three,
			Options: []catalog.Option{{Name: "Size", Value: "M", NameAR: "المقاس"}}}}})
	if err != nil {
		t.Fatal(err)
	}

	// The storefront's side: the tenant's number and a product's link.
	display, err := ta.app.deps.tenants.ChatNumber(ctx)
	if err != nil || display != n.display {
		t.Fatalf("ChatNumber = %q, %v; want %q", display, err, n.display)
	}
	abaya, err := ta.app.catalog.ProductBySKU(ctx, "ABY-001-BLK-M")
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(abaya.Variants, func(v catalog.Variant) bool { return v.SKU == "ABY-001-BLK-M" })
	link, err := url.Parse(catalog.WhatsAppLink(display, catalog.ChatText("ar", *abaya, abaya.Variants[i])))
	if err != nil || link.Host != "wa.me" || link.Path != "/"+strings.TrimPrefix(n.display, "+") {
		t.Fatalf("link %v: %v", link, err)
	}
	prefilled := link.Query().Get("text")
	if !strings.HasPrefix(prefilled, "أرغب بطلب: عباية سوداء كلاسيكية — ") || !strings.HasSuffix(prefilled, "[#P-ABY-001-BLK-M]") {
		t.Fatalf("prefilled text %q", prefilled)
	}

	phone := waPhone()
	conv := n.chatWith(t, phone, "ar", "نورة")
	next := conv.next
	customer := customerOf(t, n, phone)
	quantities := func() map[string]int {
		t.Helper()
		c, err := ta.app.cart.CustomerCart(ctx, customer)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, l := range c.Lines {
			out[l.SKU] = l.Quantity
		}
		return out
	}
	// addOne presses the product's "Add to cart" (addID) and takes one.
	addOne := func(addID string) {
		t.Helper()
		list := next(waButton(addID, "أضف إلى السلة"), 1)
		q := slices.IndexFunc(list[0].ReplyIDs(), func(id string) bool { return strings.HasPrefix(id, "cart:q:") && strings.Contains(id, ":1:") })
		if q < 0 {
			t.Fatalf("quantity list: %s", list[0].Raw)
		}
		if added := next(sandbox.CustomerMessage{ListReply: &sandbox.ReplyChoice{ID: list[0].ReplyIDs()[q], Title: "١"}}, 1); !strings.Contains(added[0].Text(), "✅") {
			t.Fatalf("added: %s", added[0].Raw)
		}
	}

	// The product's text: its detail with the variant chosen, ready to add.
	detail := next(sandbox.CustomerMessage{Text: prefilled}, 2)
	addID := "cart:add:" + abaya.ID.String() + ":" + abaya.Variants[i].ID.String()
	if detail[0].Type != "image" || !strings.Contains(detail[0].Text(), "عباية سوداء كلاسيكية") || !strings.Contains(detail[0].Text(), "ABY-001-BLK-M") ||
		!slices.Contains(detail[1].ReplyIDs(), addID) {
		t.Fatalf("product from its code: %s | %s", detail[0].Raw, detail[1].Raw)
	}
	addOne(addID)
	if q := quantities(); q["ABY-001-BLK-M"] != 1 {
		t.Fatalf("cart after adding: %v", q)
	}

	// A SKU with spaces, Arabic letters, "#" and brackets; the English text
	// in an Arabic conversation.
	oddText := catalog.ChatText("en", *odd, odd.Variants[0])
	if !strings.HasPrefix(oddText, "I'd like to order: Embroidered Evening Abaya — Size M [#P:") {
		t.Fatalf("odd SKU text %q", oddText)
	}
	oddDetail := next(sandbox.CustomerMessage{Text: oddText}, 2)
	oddAdd := "cart:add:" + odd.ID.String() + ":" + odd.Variants[0].ID.String()
	if !strings.Contains(oddDetail[0].Text(), "عباية سهرة مطرزة") || !strings.Contains(oddDetail[0].Text(), odd.Variants[0].SKU) ||
		!slices.Contains(oddDetail[1].ReplyIDs(), oddAdd) {
		t.Fatalf("odd SKU: %s | %s", oddDetail[0].Raw, oddDetail[1].Raw)
	}
	addOne(oddAdd)
	if q := quantities(); q[odd.Variants[0].SKU] != 1 || q["ABY-001-BLK-M"] != 1 {
		t.Fatalf("cart after the odd SKU: %v", q)
	}

	// An unknown code: a helpful answer with a search for the title.
	none := next(sandbox.CustomerMessage{Text: "أرغب بطلب: عباية قديمة — مقاس M [#P-ABY-OLD-9]"}, 1)
	if !strings.Contains(none[0].Text(), "لم نجد المنتج صاحب الرمز «P-ABY-OLD-9»") ||
		!slices.Equal(none[0].ReplyIDs(), []string{"catalog:q:عباية قديمة", "menu:catalog", "handoff"}) {
		t.Fatalf("unknown code: %s", none[0].Raw)
	}

	// A web cart made through the public cart API, with two lines.
	webID := decodeCart(t, ta.do(request{method: "POST", path: "/api/v1/carts", host: n.host})).ID
	for _, body := range []string{`{"sku":"PRF-002","quantity":2}`, `{"sku":"PRF-001-50ML","quantity":1}`} {
		if r := ta.do(request{method: "POST", path: "/api/v1/carts/" + webID + "/items", host: n.host, body: body}); r.status != 200 {
			t.Fatalf("web cart add %s: %d %s", body, r.status, r.body)
		}
	}
	code, err := ta.app.cart.HandoffCode(ctx, webID)
	if err != nil || !catalog.ValidCartCode(code) {
		t.Fatalf("HandoffCode: %q %v", code, err)
	}
	cartLink, err := url.Parse(catalog.WhatsAppLink(display, cart.CartTextFor("ar", code)))
	if err != nil {
		t.Fatal(err)
	}
	cartText := cartLink.Query().Get("text")
	if cartText != "أرغب بإكمال طلبي من المتجر [#"+code+"]" {
		t.Fatalf("cart text %q", cartText)
	}
	want := map[string]int{"ABY-001-BLK-M": 1, odd.Variants[0].SKU: 1, "PRF-002": 2, "PRF-001-50ML": 1}
	view := next(sandbox.CustomerMessage{Text: cartText}, 1)
	if !strings.Contains(view[0].Text(), "نقلنا منتجات سلتك") || !strings.Contains(view[0].Text(), "عطر المسك الأبيض") ||
		!strings.Contains(view[0].Text(), "العطر الملكي للعود") || !slices.Contains(view[0].ReplyIDs(), "cart:checkout") {
		t.Fatalf("hand-off: %s", view[0].Raw)
	}
	if q := quantities(); !maps.Equal(q, want) {
		t.Fatalf("WhatsApp cart after the hand-off: %v, want %v", q, want)
	}
	// Sent again: nothing doubles.
	again := next(sandbox.CustomerMessage{Text: cartText}, 1)
	if !strings.Contains(again[0].Text(), "موجودة في سلتك هنا بالفعل") {
		t.Fatalf("hand-off again: %s", again[0].Raw)
	}
	// Meta redelivers one message: answered once, nothing doubles.
	msg := waText(phone, cartText)
	body := n.messages(nil, msg)
	n.deliver(body)
	n.deliver(body)
	conv.total++
	n.waitBot(phone, conv.total, 15*time.Second)
	n.settle(phone, 15*time.Second)
	if got := len(ta.app.sandbox.Sent(n.pnid, phone)); got != conv.total {
		t.Fatalf("a redelivered message got %d answers", got-conv.total+1)
	}
	if q := quantities(); !maps.Equal(q, want) {
		t.Fatalf("WhatsApp cart after the same text again: %v, want %v", q, want)
	}
	// The web cart is the shopper's still.
	if c := decodeCart(t, ta.do(request{method: "GET", path: "/api/v1/carts/" + webID, host: n.host})); c.quantityOf("PRF-002") != 2 {
		t.Fatalf("web cart after the hand-off: %+v", c.Items)
	}

	// Tenant B's number: A's cart code and A's odd SKU name nothing there.
	b := waTenant(t, ta, "chatorderb")
	seedCatalog(t, b)
	pb := waPhone()
	b.onboard(pb, "ar", "علي")
	b.say(pb, sandbox.CustomerMessage{Text: cartText})
	got := b.waitBot(pb, 4, 15*time.Second)
	b.settle(pb, 15*time.Second)
	if !strings.Contains(got[3].Text(), "لم نجد سلة بالرمز «"+code+"»") || strings.Contains(string(got[3].Raw), "عطر") {
		t.Fatalf("A's cart code on B's number: %s", got[3].Raw)
	}
	b.say(pb, sandbox.CustomerMessage{Text: oddText})
	got = b.waitBot(pb, 5, 15*time.Second)
	b.settle(pb, 15*time.Second)
	if !strings.Contains(got[4].Text(), "لم نجد المنتج صاحب الرمز") || strings.Contains(string(got[4].Raw), odd.ID.String()) {
		t.Fatalf("A's product code on B's number: %s", got[4].Raw)
	}
	if c, err := ta.app.cart.CustomerCart(tenants.WithTenant(context.Background(), b.tenant), customerOf(t, b, pb)); err != nil || len(c.Lines) != 0 {
		t.Fatalf("B's customer cart: %+v %v", c, err)
	}

	// A new customer whose first message is the product's text: after the
	// language and consent, the product, not the welcome.
	first := waPhone()
	n.say(first, sandbox.CustomerMessage{Text: prefilled, Name: "هند"})
	n.waitBot(first, 1, 15*time.Second)
	n.say(first, sandbox.CustomerMessage{ButtonReply: &sandbox.ReplyChoice{ID: "lang:ar", Title: "العربية"}, Name: "هند"})
	n.waitBot(first, 2, 15*time.Second)
	n.say(first, sandbox.CustomerMessage{ButtonReply: &sandbox.ReplyChoice{ID: "consent:agree", Title: "موافق"}, Name: "هند"})
	got = n.waitBot(first, 4, 15*time.Second)
	n.settle(first, 15*time.Second)
	if got[2].Type != "image" || !strings.Contains(got[2].Text(), "ABY-001-BLK-M") || !slices.Contains(got[3].ReplyIDs(), addID) {
		t.Fatalf("first contact with a code: %s", waTexts(got))
	}

	// The chat's funnel: conversations, consent, product views and cart
	// adds, on the whatsapp channel only.
	if err := ta.app.analytics.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	f, err := ta.app.analytics.Funnel(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if f.WhatsApp.Conversations < 2 || f.WhatsApp.ProductViews == 0 || f.WhatsApp.CartAdds == 0 || f.Web.ProductViews != 0 {
		t.Fatalf("funnel after the chats: whatsapp %+v, web %+v", f.WhatsApp, f.Web)
	}
}

// customerOf is the id of WhatsApp customer phone of n's tenant.
func customerOf(t *testing.T, n *waNumber, phone string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	n.inTx(func(ctx context.Context, tx bun.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT id FROM customers WHERE wa_id = ?`, phone).Scan(&id)
	})
	return id
}
