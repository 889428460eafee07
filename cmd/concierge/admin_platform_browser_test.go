package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"concierge/modules/whatsapp/cloudapi"
	"concierge/tenants"
)

// TestAdminPlatformInBrowser opens every page kind of the platform area in
// Chromium as a platform admin, in Arabic and in English: a tenant's page,
// the WhatsApp numbers (with a real webhook's health, and the add form
// refused with its field errors), failed jobs, unrouted webhooks and the
// audit log with its chain verification. Each is held to its language's
// lang and dir, no sideways scrolling at 390×844 and 1280×800 (screenshots
// in $SCREENSHOT_DIR/admin) and axe-core's WCAG A and AA rules.
func TestAdminPlatformInBrowser(t *testing.T) {
	t.Parallel()
	axe := axeCore(t)
	ta := startApp(t, modeServe, map[string]string{"WHATSAPP_APP_SECRET": "platform-secret"})
	tn := ta.tenant("plbrowse")
	ta.user("root@platform.test", true, "", "")
	ctx := context.Background()
	if _, err := ta.app.deps.tenants.AddDomain(ctx, "test", "plbrowse", tenants.DomainInput{Host: "www.plbrowse.test", IsPrimary: true}); err != nil {
		t.Fatal(err)
	}
	wn := waAddNumber(t, ta, tn)
	wn.deliver(wn.textBody(waPhone()))
	deadJob(t, ta, "browser")
	ghost := waBody(map[string]any{"messaging_product": "whatsapp", "metadata": map[string]any{"display_phone_number": "966500000000", "phone_number_id": "199900000088"},
		"messages": []any{waText(waPhone(), "مرحبا")}})
	if r := wn.post(ghost, cloudapi.Sign(ghost, "platform-secret")); r.status != 200 {
		t.Fatalf("an unrouted webhook: %d %s", r.status, r.body)
	}

	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "bench-results", "screenshots")
	}
	dir = filepath.Join(dir, "admin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tab := newBrowser(t, 5*time.Minute)
	for _, lc := range []struct{ lang, dir string }{{"ar", "rtl"}, {"en", "ltr"}} {
		t.Run(lc.lang, func(t *testing.T) {
			s := &webShopper{b: tab.on(t), t: t, store: ta.base, lang: lc.lang, dir: lc.dir, axe: axe, shots: dir}
			s.open("/admin/login?lang="+lc.lang, http.StatusOK)
			s.b.run("sign in as the platform admin",
				chromedp.SendKeys(chromedp.CSS("#email"), "root@platform.test"),
				chromedp.SendKeys(chromedp.CSS("#password"), adminPassword))
			s.submit(`form[action="/admin/login"] button[type=submit]`, http.StatusOK)
			s.at("/admin/platform/tenants")

			s.submit(`#tenants a[href="/admin/platform/tenants/plbrowse"]`, http.StatusOK)
			s.check("platform-tenant", "")
			if !strings.Contains(s.b.text("#domains"), "www.plbrowse.test") {
				t.Fatal("the tenant's page lacks its domain")
			}
			s.submit(`#numbers-link`, http.StatusOK)
			s.check("platform-numbers", "")
			if row := s.b.text("#number-" + wn.pnid); strings.Contains(row, s.pick("لا شيء مسجل", "none recorded")) {
				t.Fatalf("the number's row shows no webhook: %q", row)
			}
			s.b.run("type a bad number",
				chromedp.SendKeys(chromedp.CSS("#phone_number_id"), "12ab"),
				chromedp.SendKeys(chromedp.CSS("#display_phone"), "call me"))
			s.submit(`form[method=post][action="/admin/platform/numbers"] button[type=submit]`, http.StatusUnprocessableEntity)
			s.check("platform-numbers-errors", "")

			s.submit(`nav.side a[href="/admin/platform/jobs"]`, http.StatusOK)
			s.check("platform-jobs", "")
			if !strings.Contains(s.b.text("#jobs"), "admin_platform_test") {
				t.Fatal("the jobs page lacks the failed job")
			}
			s.submit(`nav.side a[href="/admin/platform/unrouted"]`, http.StatusOK)
			s.check("platform-unrouted", "")
			if !strings.Contains(s.b.text("#unrouted"), "199900000088") {
				t.Fatal("the unrouted page lacks the webhook")
			}
			s.submit(`nav.side a[href="/admin/platform/audit"]`, http.StatusOK)
			s.b.run("filter by the tenant", chromedp.SendKeys(chromedp.CSS("#tenant"), "plbrowse"))
			s.submit(`form[role=search] button[type=submit]`, http.StatusOK)
			s.submit(`#verify-h + form button[type=submit]`, http.StatusOK)
			s.check("platform-audit", "")
			if got := s.b.text("#chain-ok"); got == "" {
				t.Fatalf("the verification reads %q", got)
			}
			if !strings.Contains(s.b.text("#audit"), "domain.add") {
				t.Fatal("the audit page lacks the tenant's entries")
			}
			s.submit(`form[action="/admin/logout"] button[type=submit]`, http.StatusOK)
		})
	}
}
