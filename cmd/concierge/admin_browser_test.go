package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAdminInBrowser drives the dashboard in Chromium as the demo store's
// owner, in Arabic and in English: sign in, home, the orders list, an
// order's page, a move of the order (shipped, with tracking), the 404
// page, and the platform's tenants page as the demo's platform admin. Every page is held to its language's lang and dir, no sideways
// scrolling at 390×844 and 1280×800 (screenshots of both in
// $SCREENSHOT_DIR/admin, default bench-results/screenshots/admin) and no
// violation of axe-core's WCAG 2.0/2.1 A and AA rules.
func TestAdminInBrowser(t *testing.T) {
	t.Parallel()
	axe := axeCore(t)
	ta, store := demoStoreApp(t)
	// Two orders to look at (one per language's move).
	host := "demo.localhost"
	var ids []string
	for range 2 {
		cartID := newCart(t, ta, host, "ABY-001-BLK-M", 1)
		r := ta.do(request{method: "POST", path: "/api/v1/checkout/init", host: host, body: checkoutBody(cartID, "cod", "Riyadh")})
		co := decodeCheckout(t, r)
		if r := ta.do(request{method: "POST", path: "/api/v1/checkout/confirm", host: host, body: `{"order_id":"` + co.Order.ID + `"}`}); r.status != 200 {
			t.Fatalf("confirm: %d %s", r.status, r.body)
		}
		ids = append(ids, co.Order.ID)
	}
	dir := adminShots(t)
	tab := newBrowser(t, 5*time.Minute, chromedp.Flag("host-resolver-rules", "MAP *.localhost 127.0.0.1"))

	for i, lc := range []struct{ lang, dir, currency string }{{"ar", "rtl", "ر.س"}, {"en", "ltr", "SAR"}} {
		t.Run(lc.lang, func(t *testing.T) {
			s := &webShopper{b: tab.on(t), t: t, store: store, lang: lc.lang, dir: lc.dir, currency: lc.currency, axe: axe, shots: dir}
			s.open("/admin/login?lang="+lc.lang, http.StatusOK)
			s.check("login", "")
			s.b.run("fill the sign-in form",
				chromedp.SendKeys(chromedp.CSS("#email"), demoOwnerEmail),
				chromedp.SendKeys(chromedp.CSS("#password"), demoPassword))
			s.submit(`form[action="/admin/login"] button[type=submit]`, http.StatusOK)
			s.at("/admin")
			s.check("home", "#funnel td.num")
			s.submit(`nav.side a[href="/admin/orders"]`, http.StatusOK)
			s.at("/admin/orders")
			s.check("orders", "#orders td.num")
			s.submit(`#orders a[href="/admin/orders/`+ids[i]+`"]`, http.StatusOK)
			s.at("/admin/orders/" + ids[i])
			s.check("order", "main td.num")
			s.b.run("ship with tracking",
				chromedp.SetValue(chromedp.CSS("#to"), "shipped"),
				chromedp.SendKeys(chromedp.CSS("#tracking_number"), "TRK-"+lc.lang),
				chromedp.SendKeys(chromedp.CSS("#tracking_url"), "https://track.example/"+lc.lang))
			s.submit(`form[action$="/transitions"] button[type=submit]`, http.StatusOK)
			s.at("/admin/orders/" + ids[i])
			if got := s.b.text("#order-status"); got != s.pick("تم الشحن", "Shipped") {
				t.Fatalf("the order's status after the move reads %q", got)
			}
			if got := s.b.text("#timeline"); !strings.Contains(got, "TRK-"+lc.lang) {
				t.Fatalf("the timeline lacks the tracking number: %q", got)
			}
			s.check("order-moved", "main td.num")
			s.open("/admin/nope", http.StatusNotFound)
			s.check("notfound", "")
			// Sign out: back to the sign-in page, and the dashboard closed.
			s.open("/admin", http.StatusOK)
			s.submit(`form[action="/admin/logout"] button[type=submit]`, http.StatusOK)
			s.at("/admin/login")
			s.open("/admin/orders", http.StatusOK)
			s.at("/admin/login")
			// The platform area, as the demo's platform admin.
			s.open("/admin/login?lang="+lc.lang, http.StatusOK)
			s.b.run("sign in as the platform admin",
				chromedp.SendKeys(chromedp.CSS("#email"), demoAdminEmail),
				chromedp.SendKeys(chromedp.CSS("#password"), demoPassword))
			s.submit(`form[action="/admin/login"] button[type=submit]`, http.StatusOK)
			s.open("/admin/platform/tenants", http.StatusOK)
			s.check("platform-tenants", "")
			if !strings.Contains(s.b.text("#tenants"), "demo") {
				t.Fatal("the tenants page does not list the demo store")
			}
			s.submit(`form[action="/admin/logout"] button[type=submit]`, http.StatusOK)
			if lc.lang == "ar" {
				// The language is the user's: switch to English for the next
				// round's sign-in to start in English.
				s.open("/admin/login?lang=en", http.StatusOK)
			}
		})
	}
}

// adminShots is the dashboard's screenshot folder: $SCREENSHOT_DIR/admin
// (default bench-results/screenshots/admin), made if missing.
func adminShots(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "bench-results", "screenshots")
	}
	dir = filepath.Join(dir, "admin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
