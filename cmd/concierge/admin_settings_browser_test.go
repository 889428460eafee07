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

// TestAdminSettingsInBrowser drives the settings and staff pages in
// Chromium, in Arabic and in English: the demo owner saves a section after
// a field error, opens the bot texts and previews one, invites a new
// member whose link is then opened (a new password, signed in) and is
// spent afterwards (410); a manager sees the settings read-only. Every page
// is held to its language's lang and dir, no sideways scrolling at 390×844
// and 1280×800 (screenshots in $SCREENSHOT_DIR/admin, default
// bench-results/screenshots/admin) and no axe-core WCAG 2 A/AA violation.
func TestAdminSettingsInBrowser(t *testing.T) {
	t.Parallel()
	axe := axeCore(t)
	ta, store := demoStoreApp(t)
	ta.user("manager@demo.test", false, "demo", "manager")
	ta.user("agent@demo.test", false, "demo", "agent")
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
			signIn := func(email, password string) {
				s.open("/admin/login?lang="+lc.lang, http.StatusOK)
				s.b.run("sign in as "+email, chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password))
				s.submit(`form[action="/admin/login"] button[type=submit]`, http.StatusOK)
			}
			signOut := func() {
				s.open("/admin", http.StatusOK)
				s.submit(`form[action="/admin/logout"] button[type=submit]`, http.StatusOK)
			}
			signIn(demoOwnerEmail, demoPassword)
			s.submit(`nav.side a[href="/admin/settings"]`, http.StatusOK)
			s.at("/admin/settings")
			s.check("settings", "")
			// A field error next to its field, then saved.
			s.b.run("a return window too long", chromedp.SetValue(chromedp.CSS("#window_days"), "999"))
			s.submit(`form[action="/admin/settings/returns"] button[type=submit]`, http.StatusUnprocessableEntity)
			if got := s.b.text("#window_days-err"); got == "" {
				t.Fatal("no error next to the return window")
			}
			s.check("settings-error", "")
			s.b.run("a good return window", chromedp.SetValue(chromedp.CSS("#window_days"), "10"))
			s.submit(`form[action="/admin/settings/returns"] button[type=submit]`, http.StatusOK)
			if got := s.b.text(".flash"); got == "" {
				t.Fatal("no notice after saving")
			}
			// Bot texts: the list, one text, its preview.
			s.open("/admin/settings/bot-texts", http.StatusOK)
			s.check("bot-texts", "")
			s.submit(`#bot-texts tbody tr:first-child a`, http.StatusOK)
			s.check("bot-text", "")
			s.submit(`button[formaction$="/preview"]`, http.StatusOK)
			if got := s.b.text("#preview-ar"); got == "" {
				t.Fatal("no preview")
			}
			s.check("bot-text-preview", "")
			// Staff: invite, the link shown once.
			s.submit(`nav.side a[href="/admin/staff"]`, http.StatusOK)
			s.check("staff", "")
			email := "invited-" + lc.lang + "@demo.test"
			s.b.run("fill the invitation", chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SetValue(chromedp.CSS("#role"), "agent"))
			s.submit(`form[action="/admin/staff/invites"] button[type=submit]`, http.StatusOK)
			link := evalIn[string](s.b, "read the link", `document.querySelector("#invite-link").value`)
			if !strings.Contains(link, "/admin/invite/") {
				t.Fatalf("the invitation link: %q", link)
			}
			s.check("staff-invited", "")
			signOut()
			// The invitee: a new password, then signed in.
			path := link[strings.Index(link, "/admin/invite/"):]
			s.open(path+"?lang="+lc.lang, http.StatusOK)
			s.check("invite", "")
			s.b.run("choose a password", chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
				chromedp.SendKeys(chromedp.CSS("#password_again"), adminPassword))
			s.submit(`main form button[type=submit]`, http.StatusOK)
			s.at("/admin")
			if got := s.b.text("header.top"); !strings.Contains(got, email) {
				t.Fatalf("the newcomer is not signed in: %q", got)
			}
			signOut()
			s.open(path+"?lang="+lc.lang, http.StatusGone)
			s.check("invite-gone", "")
			// A manager: the settings read-only.
			signIn("manager@demo.test", adminPassword)
			s.open("/admin/settings", http.StatusOK)
			if n := evalIn[int](s.b, "count the forms", `document.querySelectorAll('form[action^="/admin/settings"]').length`); n != 0 {
				t.Fatalf("the manager's settings page has %d forms", n)
			}
			s.check("settings-readonly", "")
			signOut()
			// A staff member without settings rights (an agent): no link to
			// the settings or the staff, and the 403 page when the address
			// is typed; the inbox and orders are theirs.
			signIn("agent@demo.test", adminPassword)
			nav := s.b.text("nav.side")
			if !strings.Contains(nav, s.pick("المحادثات", "Inbox")) || strings.Contains(nav, s.pick("الإعدادات", "Settings")) {
				t.Fatalf("the agent's navigation reads %q", nav)
			}
			if n := evalIn[int](s.b, "settings links", `document.querySelectorAll('a[href^="/admin/settings"], a[href^="/admin/staff"]').length`); n != 0 {
				t.Fatalf("the agent is shown %d settings or staff links", n)
			}
			s.open("/admin/settings", http.StatusForbidden)
			s.check("settings-forbidden", "")
			s.open("/admin/staff", http.StatusForbidden)
			signOut()
		})
	}
}
