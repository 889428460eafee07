package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"concierge/modules/cms"
	"concierge/tenants"
)

// TestAdminContentInBrowser drives the returns queue, the templates and
// quick replies and the customers pages in Chromium as the demo store's
// owner, in Arabic and in English: every page kind is held to its
// language's lang and dir, no sideways scrolling (screenshots at 390×844
// and 1280×800 in $SCREENSHOT_DIR/admin) and axe-core's WCAG 2 A and AA
// rules. The return (with the customer's photo) is approved in Arabic and
// received in English; the quick reply editor's preview follows the typing
// (htmx) in both.
func TestAdminContentInBrowser(t *testing.T) {
	t.Parallel()
	axe := axeCore(t)
	ta, store := demoStoreApp(t)
	host := "demo.localhost"
	tn, err := ta.app.deps.tenants.Get(context.Background(), demoSlug)
	if err != nil {
		t.Fatal(err)
	}
	n := &waNumber{ta: ta.withT(t), tenant: tn, slug: tn.Slug, host: host, pnid: demoPhoneNumberID}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	login := ta.do(request{method: "POST", path: "/api/auth/login", body: `{"email":"` + demoOwnerEmail + `","password":"` + demoPassword + `"}`})
	if err := json.Unmarshal(login.raw, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("login: %d %s", login.status, login.body)
	}
	owner := tok.AccessToken

	// A WhatsApp customer, a delivered cash-on-delivery order, a return
	// with a photo.
	chat := &waChat{t: t, n: n, phone: waPhone()}
	n.onboard(chat.phone, "en", "Huda")
	cartID := newCart(t, ta, host, "ABY-001-BLK-M", 1)
	body := strings.Replace(checkoutBody(cartID, "cod", "Riyadh"), `"0551234567"`, `"+`+chat.phone+`"`, 1)
	co := decodeCheckout(t, ta.do(request{method: "POST", path: "/api/v1/checkout/init", host: host, body: body}))
	if r := ta.do(request{method: "POST", path: "/api/v1/checkout/confirm", host: host, body: `{"order_id":"` + co.Order.ID + `"}`}); r.status != 200 {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	if r := ta.do(request{method: "POST", path: "/api/v1/orders/" + co.Order.ID + "/cod-collected", host: host, token: owner}); r.status != 200 {
		t.Fatalf("collected: %d %s", r.status, r.body)
	}
	for _, to := range []string{"shipped", "delivered"} {
		if r := ta.do(request{method: "POST", path: "/api/v1/orders/" + co.Order.ID + "/transitions", host: host, token: owner,
			body: `{"to":"` + to + `"}`}); r.status != 200 {
			t.Fatalf("%s: %d %s", to, r.status, r.body)
		}
	}
	n.settle(chat.phone, 20*time.Second)
	chat.total = len(ta.app.sandbox.Sent(n.pnid, chat.phone))
	retID, _ := chatReturn(t, ta, n, chat, owner, co.Order.ID)
	tctx := tenants.WithTenant(context.Background(), tn)
	waPoll(t, 30*time.Second, "the demo's templates are synced", func() bool {
		ts, err := ta.app.cms.Templates(tctx, cms.TemplateQuery{})
		return err == nil && len(ts) > 0
	})

	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "bench-results", "screenshots")
	}
	dir = filepath.Join(dir, "admin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tab := newBrowser(t, 5*time.Minute, chromedp.Flag("host-resolver-rules", "MAP *.localhost 127.0.0.1"))

	for _, lc := range []struct{ lang, dir, currency string }{{"ar", "rtl", "ر.س"}, {"en", "ltr", "SAR"}} {
		t.Run(lc.lang, func(t *testing.T) {
			s := &webShopper{b: tab.on(t), t: t, store: store, lang: lc.lang, dir: lc.dir, currency: lc.currency, axe: axe, shots: dir}
			s.open("/admin/login?lang="+lc.lang, http.StatusOK)
			s.b.run("fill the sign-in form",
				chromedp.SendKeys(chromedp.CSS("#email"), demoOwnerEmail),
				chromedp.SendKeys(chromedp.CSS("#password"), demoPassword))
			s.submit(`form[action="/admin/login"] button[type=submit]`, http.StatusOK)

			// Returns: the queue, the return with its photo, a decision.
			s.submit(`nav.side a[href="/admin/returns"]`, http.StatusOK)
			s.at("/admin/returns")
			s.check("returns", "#returns td.num")
			s.submit(`#returns a[href="/admin/returns/`+retID+`"]`, http.StatusOK)
			s.at("/admin/returns/" + retID)
			s.b.run("the customer's photo is shown", chromedp.Poll[chromedp.Void](
				`(() => { const i = document.querySelector("#photos img"); return !!i && i.complete && i.naturalWidth > 0 })()`,
				chromedp.WithPollingTimeout(10*time.Second)))
			if lc.lang == "ar" {
				s.check("return", "#return-value")
				s.b.run("approve with 20.00", chromedp.SetValue(chromedp.CSS("#refund_amount"), "20.00"),
					chromedp.SendKeys(chromedp.CSS("#note"), "نعتذر عن ذلك"))
				s.submit(`button[name=decision][value=approve]`, http.StatusOK)
				s.at("/admin/returns/" + retID)
				s.check("return-approved", "#refund-amount")
				if got := s.b.text("#refund-amount"); !strings.Contains(got, "٢٠") {
					t.Fatalf("the refund amount reads %q", got)
				}
			} else {
				s.check("return", "#return-value")
				s.submit(`form[action$="/received"] button[type=submit]`, http.StatusOK)
				s.at("/admin/returns/" + retID)
				if got := s.b.text("#return-status"); got != "Closed" {
					t.Fatalf("the return's status after receiving reads %q", got)
				}
				s.check("return-received", "#return-value")
			}

			// Templates and quick replies: the editor's preview follows the
			// typing, then the reply is saved.
			s.submit(`nav.side a[href="/admin/templates"]`, http.StatusOK)
			s.at("/admin/templates")
			s.check("templates", "")
			if !strings.Contains(s.b.text("#templates"), "order_confirmed") {
				t.Fatal("the templates page does not list the synced templates")
			}
			s.submit(`#new-qr`, http.StatusOK)
			s.at("/admin/templates/quick-replies/new")
			s.b.run("type a quick reply",
				chromedp.SendKeys(chromedp.CSS("#shortcut"), "thanks-"+lc.lang),
				chromedp.SendKeys(chromedp.CSS("#title"), s.pick("شكر", "Thanks")),
				chromedp.SendKeys(chromedp.CSS("#body_en"), "Thanks {{customer_name}}, order {{order_number}}"),
				chromedp.SendKeys(chromedp.CSS("#body_ar"), "شكرًا {{customer_name}}، طلبك {{order_number}}"),
				chromedp.Poll[chromedp.Void](`(() => { const a = document.querySelector("#preview-ar"), e = document.querySelector("#preview-en"); `+
					`return !!a && !!e && a.innerText.includes("طلبك ١٠٤٢") && e.innerText.includes("Sarah, order 1042") })()`,
					chromedp.WithPollingTimeout(10*time.Second)))
			if got := s.b.text("#preview-ar"); !strings.Contains(got, "شكرًا سارة، طلبك ١٠٤٢") {
				t.Fatalf("the live Arabic preview reads %q", got)
			}
			s.at("/admin/templates/quick-replies/new") // no page load: htmx
			s.check("quick-reply-editor", "")
			s.submit(`#qr-form button[value=save]`, http.StatusOK)
			s.at("/admin/templates")
			if !strings.Contains(s.b.text("#replies"), "thanks-"+lc.lang) {
				t.Fatal("the saved quick reply is not listed")
			}

			// Customers: the list and the customer with the ledger.
			s.submit(`nav.side a[href="/admin/customers"]`, http.StatusOK)
			s.at("/admin/customers")
			s.check("customers", "")
			s.submit(`#customers a`, http.StatusOK)
			s.check("customer", "#customer-orders td.num")
			if !strings.Contains(s.b.text("#ledger"), s.pick("موافقة", "Granted")) {
				t.Fatal("the consent ledger lacks the grant")
			}
			s.submit(`form[action="/admin/logout"] button[type=submit]`, http.StatusOK)
			if lc.lang == "ar" {
				s.open("/admin/login?lang=en", http.StatusOK)
			}
		})
	}
}
