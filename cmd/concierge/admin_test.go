package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The admin dashboard over HTTP, as a browser without JavaScript uses it:
// sign-in and its session (cookie flags, fixation, CSRF, sign-out, idle
// timeout), roles (the navigation and 403 pages follow the API's policy),
// the orders list with its filters, an order's page and its moves, and
// isolation between tenants.

const adminPassword = "correct horse battery"

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// formToken is the first CSRF token of a page's forms.
func formToken(t *testing.T, p page) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no csrf_token in the page (%d): %.300s", p.status, p.body)
	}
	return m[1]
}

// adminLogin signs s in as email (the user exists) and returns the
// session's CSRF token.
func adminLogin(t *testing.T, s *shopper, email string) string {
	t.Helper()
	login := s.send("GET", "/admin/login", nil, nil)
	if login.status != 200 {
		t.Fatalf("login page: %d", login.status)
	}
	r := s.send("POST", "/admin/login", url.Values{"csrf_token": {formToken(t, login)}, "email": {email}, "password": {adminPassword}, "next": {"/admin"}}, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin" {
		t.Fatalf("sign in %s: %d %s %.300s", email, r.status, r.header.Get("Location"), r.body)
	}
	home := s.send("GET", "/admin", nil, nil)
	if home.status == http.StatusSeeOther { // a platform admin on the platform host
		home = s.send("GET", home.header.Get("Location"), nil, nil)
	}
	if home.status != 200 {
		t.Fatalf("home after sign-in: %d %.300s", home.status, home.body)
	}
	return formToken(t, home)
}

func TestAdminSession(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, nil)
	_, _, _ = lifeShop(t, ta, "adm")
	host := "adm.example.sa"

	// No session: the sign-in page, coming back afterwards.
	s := newShopper(t, ta, host)
	r := s.send("GET", "/admin/orders?status=confirmed", nil, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/login?next="+url.QueryEscape("/admin/orders?status=confirmed") {
		t.Fatalf("no session: %d %q", r.status, r.header.Get("Location"))
	}
	login := s.send("GET", "/admin/login", nil, nil)
	if !strings.Contains(login.body, `<html lang="ar" dir="rtl">`) || !strings.Contains(login.body, "تسجيل الدخول") {
		t.Fatalf("the sign-in page is not Arabic first: %.300s", login.body)
	}
	if en := s.send("GET", "/admin/login?lang=en", nil, nil); !strings.Contains(en.body, `<html lang="en" dir="ltr">`) || !strings.Contains(en.body, "Sign in") {
		t.Fatalf("the English sign-in page: %.300s", en.body)
	}
	token := formToken(t, s.send("GET", "/admin/login", nil, nil))

	// The sign-in form needs its token, and a same-site request.
	if r := s.send("POST", "/admin/login", url.Values{"email": {"owner@adm.test"}, "password": {adminPassword}}, nil); r.status != 403 {
		t.Fatalf("sign-in without the form token: %d", r.status)
	}
	if r := s.send("POST", "/admin/login", url.Values{"csrf_token": {token}, "email": {"owner@adm.test"}, "password": {adminPassword}},
		map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}); r.status != 403 {
		t.Fatalf("cross-site sign-in: %d", r.status)
	}
	// A wrong password: the error, the email kept, no session.
	r = s.send("POST", "/admin/login", url.Values{"csrf_token": {token}, "email": {"owner@adm.test"}, "password": {"wrong password here"}}, nil)
	if r.status != 401 || !strings.Contains(r.body, "غير صحيحة") || !strings.Contains(r.body, `value="owner@adm.test"`) || r.set["cc_admin"] != nil {
		t.Fatalf("wrong password: %d %v %.400s", r.status, r.set, r.body)
	}

	// Fixation: a session id planted before sign-in is never used.
	s.cookies["cc_admin"] = &http.Cookie{Name: "cc_admin", Value: "planted-by-an-attacker-0123456789"}
	csrf := adminLogin(t, s, "owner@adm.test")
	ck := s.cookies["cc_admin"]
	if ck == nil || ck.Value == "planted-by-an-attacker-0123456789" || len(ck.Value) < 40 {
		t.Fatalf("session cookie after sign-in: %+v", ck)
	}
	planted := newShopper(t, ta, host)
	planted.cookies["cc_admin"] = &http.Cookie{Name: "cc_admin", Value: "planted-by-an-attacker-0123456789"}
	if r := planted.send("GET", "/admin", nil, nil); r.status != http.StatusSeeOther {
		t.Fatalf("the planted id opens a session: %d", r.status)
	}
	// The cookie: HttpOnly, SameSite=Strict, the dashboard's path only.
	fresh := newShopper(t, ta, host)
	lp := fresh.send("GET", "/admin/login", nil, nil)
	set := fresh.send("POST", "/admin/login", url.Values{"csrf_token": {formToken(t, lp)}, "email": {"owner@adm.test"}, "password": {adminPassword}}, nil)
	var sessionCookie string
	for _, h := range set.header.Values("Set-Cookie") {
		if strings.HasPrefix(h, "cc_admin=") {
			sessionCookie = h
		}
	}
	if !regexp.MustCompile(`^cc_admin=[A-Za-z0-9_-]{40,}; path=/admin; HttpOnly; (secure; )?SameSite=Strict$`).MatchString(sessionCookie) {
		t.Fatalf("session cookie: %q", sessionCookie)
	}

	// The page is Arabic, right to left, with the store and the user.
	home := s.send("GET", "/admin", nil, nil)
	if !strings.Contains(home.body, `dir="rtl"`) || !strings.Contains(home.body, "owner@adm.test") || !strings.Contains(home.body, "متجر adm") {
		t.Fatalf("home: %.500s", home.body)
	}
	if home.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("home Cache-Control %q", home.header.Get("Cache-Control"))
	}
	// The language is the user's: switching keeps it across sessions.
	csrf = formToken(t, home)
	if r := s.send("POST", "/admin/lang", url.Values{"csrf_token": {csrf}, "lang": {"en"}, "next": {"/admin/orders"}}, nil); r.status != 303 ||
		r.header.Get("Location") != "/admin/orders" {
		t.Fatalf("switch language: %d %q", r.status, r.header.Get("Location"))
	}
	if r := s.send("GET", "/admin/orders", nil, nil); !strings.Contains(r.body, `<html lang="en" dir="ltr">`) || !strings.Contains(r.body, "Orders") {
		t.Fatalf("after switching to English: %.300s", r.body)
	}
	other := newShopper(t, ta, host)
	adminLogin(t, other, "owner@adm.test")
	if r := other.send("GET", "/admin", nil, nil); !strings.Contains(r.body, `lang="en"`) {
		t.Fatal("a new session does not start in the user's language")
	}
	if r := s.send("POST", "/admin/lang", url.Values{"lang": {"ar"}}, nil); r.status != 403 {
		t.Fatalf("language switch without the token: %d", r.status)
	}

	// Sign-out needs the token, then revokes the session at once.
	if r := s.send("POST", "/admin/logout", url.Values{}, nil); r.status != 403 {
		t.Fatalf("sign-out without the token: %d", r.status)
	}
	stolen := s.cookies["cc_admin"].Value
	if r := s.send("POST", "/admin/logout", url.Values{"csrf_token": {formToken(t, s.send("GET", "/admin", nil, nil))}}, nil); r.status != 303 ||
		!strings.HasPrefix(r.header.Get("Location"), "/admin/login?") {
		t.Fatalf("sign-out: %d %q", r.status, r.header.Get("Location"))
	}
	replay := newShopper(t, ta, host)
	replay.cookies["cc_admin"] = &http.Cookie{Name: "cc_admin", Value: stolen}
	if r := replay.send("GET", "/admin", nil, nil); r.status != http.StatusSeeOther {
		t.Fatalf("the signed-out session still opens pages: %d", r.status)
	}

	// Idle timeout: unused for longer than ADMIN_IDLE_TIMEOUT (30m), the
	// session ends; used within it, it goes on.
	idle := newShopper(t, ta, host)
	adminLogin(t, idle, "owner@adm.test")
	start := time.Now()
	ta.app.admin.SetClock(func() time.Time { return start.Add(20 * time.Minute) })
	if r := idle.send("GET", "/admin", nil, nil); r.status != 200 {
		t.Fatalf("used after 20 minutes: %d", r.status)
	}
	ta.app.admin.SetClock(func() time.Time { return start.Add(20*time.Minute + 31*time.Minute) })
	r = idle.send("GET", "/admin", nil, nil)
	if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "notice=admin.login.expired") {
		t.Fatalf("idle for 31 minutes: %d %q", r.status, r.header.Get("Location"))
	}
	ta.app.admin.SetClock(time.Now)
	if r := idle.send("GET", "/admin", nil, nil); r.status != http.StatusSeeOther {
		t.Fatalf("the timed-out session came back: %d", r.status)
	}
	// An open redirect is not possible through next.
	s2 := newShopper(t, ta, host)
	evil := s2.send("GET", "/admin/login?next=//evil.example/x", nil, nil)
	if !strings.Contains(evil.body, `name="next" value="/admin"`) {
		t.Fatalf("next from the query is not kept to the dashboard: %.400s", evil.body)
	}
}

func TestAdminRolesOrdersAndIsolation(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, nil)
	nA, ownerToken, _ := lifeShop(t, ta, "rola")
	nB, _, _ := lifeShop(t, ta, "rolb")
	oA1 := placeCOD(t, ta, nA, "966551000001")
	oA2 := placeCOD(t, ta, nA, "966551000002")
	oB := placeCOD(t, ta, nB, "966551000003")
	ta.user("agent@rola.test", false, "rola", "agent")
	ta.user("viewer@rola.test", false, "rola", "viewer")

	owner := newShopper(t, ta, nA.host)
	csrf := adminLogin(t, owner, "owner@rola.test")
	home := owner.send("GET", "/admin", nil, nil)
	if !strings.Contains(home.body, `id="funnel"`) || !strings.Contains(home.body, `href="/admin/orders"`) {
		t.Fatalf("owner's home lacks the funnel or the orders link: %.600s", home.body)
	}
	if !regexp.MustCompile(`id="today-orders">٢<`).MatchString(home.body) {
		t.Fatalf("today's orders on the owner's home: %s", regexp.MustCompile(`id="today-orders">[^<]*<`).FindString(home.body))
	}

	// The list, newest first, with its filters.
	list := owner.send("GET", "/admin/orders", nil, nil)
	if list.status != 200 || strings.Index(list.body, oA2.ID) > strings.Index(list.body, oA1.ID) || strings.Contains(list.body, oB.ID) {
		t.Fatalf("orders list: %d, A1 at %d, A2 at %d, B at %d", list.status, strings.Index(list.body, oA1.ID), strings.Index(list.body, oA2.ID),
			strings.Index(list.body, oB.ID))
	}
	byPhone := owner.send("GET", "/admin/orders?phone=0551000001", nil, nil)
	if !strings.Contains(byPhone.body, oA1.ID) || strings.Contains(byPhone.body, oA2.ID) {
		t.Fatal("the phone filter does not select the customer's orders")
	}
	if r := owner.send("GET", "/admin/orders?status=shipped", nil, nil); strings.Contains(r.body, oA1.ID) || !strings.Contains(r.body, `id="no-orders"`) {
		t.Fatal("the status filter shows confirmed orders as shipped")
	}
	if r := owner.send("GET", "/admin/orders?payment=cod&from=2000-01-01", nil, nil); !strings.Contains(r.body, oA1.ID) {
		t.Fatal("payment and date filters lose cash-on-delivery orders")
	}
	// A bad filter is said next to its field; the rest applies.
	bad := owner.send("GET", "/admin/orders?from=yesterday&phone=12ab&status=confirmed", nil, nil)
	if bad.status != 422 || !strings.Contains(bad.body, `id="from-err"`) || !strings.Contains(bad.body, `id="phone-err"`) || !strings.Contains(bad.body, oA1.ID) {
		t.Fatalf("bad filters: %d %.300s", bad.status, bad.body)
	}
	if r := owner.send("GET", "/admin/orders?cursor=not-a-cursor", nil, nil); r.status != 200 {
		t.Fatalf("a cursor that does not parse: %d", r.status)
	}

	// The order's page, and a move with tracking.
	detail := owner.send("GET", "/admin/orders/"+oA1.ID, nil, nil)
	if detail.status != 200 || !strings.Contains(detail.body, `id="timeline"`) || !strings.Contains(detail.body, "/transitions") {
		t.Fatalf("order page: %d %.300s", detail.status, detail.body)
	}
	move := url.Values{"csrf_token": {csrf}, "to": {"shipped"}, "tracking_number": {"TRK123"}, "tracking_url": {"http://not-https.example"}}
	if r := owner.send("POST", "/admin/orders/"+oA1.ID+"/transitions", move, nil); r.status != 422 || !strings.Contains(r.body, `id="tracking_url-err"`) ||
		!strings.Contains(r.body, `value="TRK123"`) {
		t.Fatalf("a bad tracking link: %d %.300s", r.status, r.body)
	}
	move.Set("tracking_url", "https://track.example/TRK123")
	if r := owner.send("POST", "/admin/orders/"+oA1.ID+"/transitions", move, nil); r.status != 303 {
		t.Fatalf("ship: %d %.300s", r.status, r.body)
	}
	if o := decodeOrder(t, ta.do(request{method: "GET", path: "/api/v1/orders/" + oA1.ID, host: nA.host, token: ownerToken})); o.Status != "shipped" ||
		o.Tracking == nil || o.Tracking.Number != "TRK123" {
		t.Fatalf("after the move: %+v", o)
	}
	// No CSRF token: 403, nothing moves.
	if r := owner.send("POST", "/admin/orders/"+oA2.ID+"/transitions", url.Values{"to": {"cancelled"}}, nil); r.status != 403 {
		t.Fatalf("a move without the token: %d", r.status)
	}
	if r := owner.send("POST", "/admin/orders/"+oA2.ID+"/transitions", url.Values{"to": {"cancelled"}},
		map[string]string{"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"}); r.status != 403 {
		t.Fatalf("a cross-site move: %d", r.status)
	}

	// Isolation: B's order on A's host is not found; A's staff on B's host
	// have no pages there.
	if r := owner.send("GET", "/admin/orders/"+oB.ID, nil, nil); r.status != 404 || strings.Contains(r.body, "966551000003") {
		t.Fatalf("B's order on A's dashboard: %d", r.status)
	}
	if r := owner.send("POST", "/admin/orders/"+oB.ID+"/transitions", url.Values{"csrf_token": {csrf}, "to": {"cancelled"}}, nil); r.status != 404 {
		t.Fatalf("moving B's order from A's dashboard: %d", r.status)
	}
	onB := newShopper(t, ta, nB.host)
	adminLogin(t, newShopper(t, ta, nB.host), "owner@rolb.test")
	onB.cookies = owner.cookies // A's session on B's host
	for _, p := range []string{"/admin", "/admin/orders", "/admin/orders/" + oB.ID} {
		if r := onB.send("GET", p, nil, nil); r.status != 404 || strings.Contains(r.body, "551000003") || strings.Contains(r.body, "Sara Ali") {
			t.Fatalf("A's owner on B's host %s: %d", p, r.status)
		}
	}
	if r := owner.send("GET", "/admin/orders/not-a-uuid", nil, nil); r.status != 404 {
		t.Fatalf("a malformed id: %d", r.status)
	}

	// The agent reads orders but moves none; no funnel (analytics).
	agent := newShopper(t, ta, nA.host)
	acsrf := adminLogin(t, agent, "agent@rola.test")
	ah := agent.send("GET", "/admin", nil, nil)
	if strings.Contains(ah.body, `id="funnel"`) || !strings.Contains(ah.body, `href="/admin/orders"`) {
		t.Fatalf("agent's home: %.500s", ah.body)
	}
	if r := agent.send("GET", "/admin/orders/"+oA2.ID, nil, nil); r.status != 200 || strings.Contains(r.body, "/transitions") {
		t.Fatalf("agent's order page offers moves: %d", r.status)
	}
	r := agent.send("POST", "/admin/orders/"+oA2.ID+"/transitions", url.Values{"csrf_token": {acsrf}, "to": {"cancelled"}}, nil)
	if r.status != 403 || !strings.Contains(r.body, "غير مسموح") {
		t.Fatalf("agent's move: %d %.300s", r.status, r.body)
	}
	// The viewer reads, moves nothing either.
	viewer := newShopper(t, ta, nA.host)
	vcsrf := adminLogin(t, viewer, "viewer@rola.test")
	if r := viewer.send("POST", "/admin/orders/"+oA2.ID+"/transitions", url.Values{"csrf_token": {vcsrf}, "to": {"cancelled"}}, nil); r.status != 403 {
		t.Fatalf("viewer's move: %d", r.status)
	}
	if o := decodeOrder(t, ta.do(request{method: "GET", path: "/api/v1/orders/" + oA2.ID, host: nA.host, token: ownerToken})); o.Status != "confirmed" {
		t.Fatalf("a refused move moved the order: %s", o.Status)
	}
	// Unknown dashboard paths are 404 pages, hostile input 4xx.
	for _, p := range []string{"/admin/nope", "/admin/orders/%00", "/admin/orders?status=%FF%FE"} {
		if r := owner.send("GET", p, nil, nil); r.status >= 500 || r.status == 200 && p != "/admin/orders?status=%FF%FE" {
			t.Fatalf("%s: %d", p, r.status)
		}
	}
}

// TestAdminPlatformTenants: a platform admin on the platform host lands in
// the platform area, onboards a tenant (field errors kept, a taken slug
// said), suspends it (its staff are then refused) and activates it again,
// each audited with the admin as actor; a store owner gets the 403 page
// there and no platform link.
func TestAdminPlatformTenants(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, nil)
	ta.tenant("plat")
	ta.user("root@platform.test", true, "", "")
	ownerToken := ta.user("owner@plat.test", false, "plat", "owner")

	admin := newShopper(t, ta, "shop.test")
	csrf := adminLogin(t, admin, "root@platform.test")
	if r := admin.send("GET", "/admin", nil, nil); r.status != 303 || r.header.Get("Location") != "/admin/platform/tenants" {
		t.Fatalf("a platform admin's /admin on the platform host: %d %q", r.status, r.header.Get("Location"))
	}
	list := admin.send("GET", "/admin/platform/tenants", nil, nil)
	if list.status != 200 || !strings.Contains(list.body, `id="tenant-plat"`) || !strings.Contains(list.body, `href="/admin/platform/tenants"`) {
		t.Fatalf("tenants page: %d %.400s", list.status, list.body)
	}
	bad := admin.send("POST", "/admin/platform/tenants", url.Values{"csrf_token": {csrf}, "slug": {"Bad Slug!"}, "name_ar": {"متجر"}, "name_en": {""}}, nil)
	if bad.status != 422 || !strings.Contains(bad.body, `id="slug-err"`) || !strings.Contains(bad.body, `id="name_en-err"`) || !strings.Contains(bad.body, `value="متجر"`) {
		t.Fatalf("bad onboarding: %d %.400s", bad.status, bad.body)
	}
	if r := admin.send("POST", "/admin/platform/tenants", url.Values{"csrf_token": {csrf}, "slug": {"plat"}, "name_ar": {"متجر"}, "name_en": {"Shop"}}, nil); r.status != 422 ||
		!strings.Contains(r.body, `id="slug-err"`) {
		t.Fatalf("a taken slug: %d", r.status)
	}
	if r := admin.send("POST", "/admin/platform/tenants", url.Values{"slug": {"newshop"}, "name_ar": {"جديد"}, "name_en": {"New"}}, nil); r.status != 403 {
		t.Fatalf("onboarding without the token: %d", r.status)
	}
	if r := admin.send("POST", "/admin/platform/tenants", url.Values{"csrf_token": {csrf}, "slug": {"newshop"}, "name_ar": {"جديد"}, "name_en": {"New"}}, nil); r.status != 303 {
		t.Fatalf("onboard: %d %.300s", r.status, r.body)
	}
	if tn, err := ta.app.deps.tenants.Get(context.Background(), "newshop"); err != nil || tn.NameEN != "New" {
		t.Fatalf("the onboarded tenant: %+v %v", tn, err)
	}

	// Suspend plat: its owner's dashboard is refused; activate: it is back.
	owner := newShopper(t, ta, "plat.example.sa")
	adminLogin(t, owner, "owner@plat.test")
	if r := admin.send("POST", "/admin/platform/tenants/plat/suspend", url.Values{"csrf_token": {csrf}}, nil); r.status != 303 {
		t.Fatalf("suspend: %d", r.status)
	}
	if r := owner.send("GET", "/admin/orders", nil, nil); r.status != 403 {
		t.Fatalf("a suspended store's dashboard: %d", r.status)
	}
	if r := admin.send("POST", "/admin/platform/tenants/plat/activate", url.Values{"csrf_token": {csrf}}, nil); r.status != 303 {
		t.Fatalf("activate: %d", r.status)
	}
	if r := owner.send("GET", "/admin/orders", nil, nil); r.status != 200 {
		t.Fatalf("the store's dashboard after activation: %d", r.status)
	}
	if r := admin.send("POST", "/admin/platform/tenants/plat/delete", url.Values{"csrf_token": {csrf}}, nil); r.status != 404 && r.status != 405 {
		t.Fatalf("an unknown action: %d", r.status)
	}
	// Both are in plat's audit log with the admin as actor.
	audit := ta.do(request{method: "GET", path: "/api/v1/audit", host: "plat.example.sa", token: ownerToken})
	var entries []struct{ Actor, Action string }
	if err := json.Unmarshal(audit.raw, &entries); err != nil {
		var wrapped struct {
			Items []struct{ Actor, Action string }
		}
		if err := json.Unmarshal(audit.raw, &wrapped); err != nil {
			t.Fatalf("audit: %d %.300s", audit.status, audit.body)
		}
		entries = wrapped.Items
	}
	byAdmin := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "tenant.") && strings.Contains(e.Actor, "root@platform.test") {
			byAdmin++
		}
	}
	if byAdmin < 2 {
		t.Fatalf("suspend and activate are not audited with the admin as actor: %+v", entries)
	}

	// A store owner: no platform link, the 403 page in the platform area.
	if strings.Contains(owner.send("GET", "/admin", nil, nil).body, "/admin/platform/tenants") {
		t.Fatal("an owner's navigation offers the platform area")
	}
	r := owner.send("GET", "/admin/platform/tenants", nil, nil)
	if r.status != 403 || strings.Contains(r.body, `id="tenants"`) {
		t.Fatalf("an owner in the platform area: %d", r.status)
	}
	ocsrf := formToken(t, owner.send("GET", "/admin", nil, nil))
	if r := owner.send("POST", "/admin/platform/tenants/newshop/suspend", url.Values{"csrf_token": {ocsrf}}, nil); r.status != 403 {
		t.Fatalf("an owner suspending a tenant: %d", r.status)
	}
}
