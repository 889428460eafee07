package main

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"concierge/modules/invoices"
)

var refundKeyField = regexp.MustCompile(`name="refund_key" value="([^"]+)"`)

// TestAdminOrderMoney: from an order's page, cash on delivery collected
// and refused at the door, refunds (bad amounts kept with their error, a
// form sent twice refunds once) and the tax invoice; the agent may do none
// of it, another store's order is not found.
func TestAdminOrderMoney(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, nil)
	nA, ownerToken, ctx := lifeShop(t, ta, "mona")
	nB, _, _ := lifeShop(t, ta, "monb")
	if _, err := ta.app.invoices.SetSettings(ctx, invoices.Settings{VATNumber: "310122393500003", SellerNameAR: "متجر منى", SellerNameEN: "Mona"}); err != nil {
		t.Fatal(err)
	}
	paid := placeCOD(t, ta, nA, "966552000001")
	refused := placeCOD(t, ta, nA, "966552000002")
	other := placeCOD(t, ta, nB, "966552000003")
	ta.user("agent@mona.test", false, "mona", "agent")

	owner := newShopper(t, ta, nA.host)
	csrf := adminLogin(t, owner, "owner@mona.test")
	page := owner.get("/admin/orders/" + paid.ID)
	if !strings.Contains(page.body, "/cod-collected") || !strings.Contains(page.body, "/cod-refused") || strings.Contains(page.body, "/refunds") ||
		!strings.Contains(page.body, "/admin/orders/"+paid.ID+"/invoice") {
		t.Fatalf("a confirmed COD order's page: %.600s", page.body)
	}

	// Cash collected: captured, then refundable.
	if r := owner.send("POST", "/admin/orders/"+paid.ID+"/cod-collected", url.Values{"csrf_token": {csrf}}, nil); r.status != 303 {
		t.Fatalf("collected: %d %.300s", r.status, r.body)
	}
	page = owner.get("/admin/orders/" + paid.ID + "?done=collected")
	if strings.Contains(page.body, "/cod-collected") || !strings.Contains(page.body, "/refunds") {
		t.Fatal("after collection the page still offers collection, or no refund")
	}
	key := refundKeyField.FindStringSubmatch(page.body)[1]
	for _, c := range []struct{ amount, want string }{
		{"abc", `id="amount-err"`}, {"0", `id="amount-err"`}, {"-5", `id="amount-err"`},
		{"99999999999999999999", `id="amount-err"`}, {"5000.00", `id="amount-err"`}, {"10.001", `id="amount-err"`},
	} {
		r := owner.send("POST", "/admin/orders/"+paid.ID+"/refunds", url.Values{"csrf_token": {csrf}, "refund_key": {key}, "amount": {c.amount}, "reason": {"test"}}, nil)
		if r.status != 422 || !strings.Contains(r.body, c.want) || !strings.Contains(r.body, `value="`+c.amount+`"`) {
			t.Errorf("refund %q: %d, want 422 with the amount kept", c.amount, r.status)
		}
	}
	refund := url.Values{"csrf_token": {csrf}, "refund_key": {key}, "amount": {"١٠٫٠٠"}, "reason": {"broken box"}}
	for range 2 { // the same form twice: one refund
		if r := owner.send("POST", "/admin/orders/"+paid.ID+"/refunds", refund, nil); r.status != 303 {
			t.Fatalf("refund: %d %.300s", r.status, r.body)
		}
	}
	o := ta.do(request{method: "GET", path: "/api/v1/orders/" + paid.ID, host: nA.host, token: ownerToken})
	if n := strings.Count(o.body, `"refunded":1000`); n != 1 {
		t.Fatalf("refunded once 10.00: %s", o.body)
	}

	// Refused at the door: cancelled.
	if r := owner.send("POST", "/admin/orders/"+refused.ID+"/cod-refused", url.Values{"csrf_token": {csrf}, "cod_note": {"not home"}}, nil); r.status != 303 {
		t.Fatalf("refused: %d %.300s", r.status, r.body)
	}
	if o := decodeOrder(t, ta.do(request{method: "GET", path: "/api/v1/orders/" + refused.ID, host: nA.host, token: ownerToken})); o.Status != "cancelled" {
		t.Fatalf("refused order is %s", o.Status)
	}
	// Again: the order cannot, said on the page.
	if r := owner.send("POST", "/admin/orders/"+refused.ID+"/cod-collected", url.Values{"csrf_token": {csrf}}, nil); r.status != 422 || !strings.Contains(r.body, `id="cod-err"`) {
		t.Fatalf("collecting a refused order: %d", r.status)
	}

	// The invoice, printable; another store's is not found.
	if r := owner.get("/admin/orders/" + paid.ID + "/invoice"); r.status != 200 || !strings.Contains(r.body, "310122393500003") ||
		!strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("invoice: %d %.300s", r.status, r.body)
	}
	for _, p := range []string{"/invoice"} {
		if r := owner.get("/admin/orders/" + other.ID + p); r.status != 404 {
			t.Fatalf("B's invoice on A's dashboard: %d", r.status)
		}
	}
	for _, p := range []string{"/cod-collected", "/cod-refused", "/refunds"} {
		if r := owner.send("POST", "/admin/orders/"+other.ID+p, url.Values{"csrf_token": {csrf}, "refund_key": {key}}, nil); r.status != 404 {
			t.Fatalf("POST %s on B's order: %d", p, r.status)
		}
		if r := owner.send("POST", "/admin/orders/"+paid.ID+p, url.Values{}, nil); r.status != 403 {
			t.Fatalf("POST %s without the token: %d", p, r.status)
		}
	}
	if o := decodeOrder(t, ta.do(request{method: "GET", path: "/api/v1/orders/" + other.ID, host: nB.host,
		token: ta.user("owner2@monb.test", false, "monb", "owner")})); o.Status != "confirmed" {
		t.Fatalf("B's order changed: %s", o.Status)
	}

	// The agent reads the order, settles nothing.
	agent := newShopper(t, ta, nA.host)
	acsrf := adminLogin(t, agent, "agent@mona.test")
	if r := agent.get("/admin/orders/" + paid.ID); strings.Contains(r.body, "/refunds") {
		t.Fatal("the agent is offered a refund")
	}
	for _, p := range []string{"/cod-collected", "/cod-refused", "/refunds"} {
		if r := agent.send("POST", "/admin/orders/"+paid.ID+p, url.Values{"csrf_token": {acsrf}, "amount": {"1"}}, nil); r.status != 403 {
			t.Fatalf("agent POST %s: %d", p, r.status)
		}
	}
}
