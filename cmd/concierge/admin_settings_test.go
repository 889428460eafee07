package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"concierge/modules/cms"
	"concierge/tenants"
)

// The settings and staff pages over HTTP, as a browser without JavaScript
// uses them: each section saved on its own through its module's service
// (field errors next to the fields, nothing written on an error), payment
// secrets write-only, bot texts edited with a preview and reset; staff
// invited with a one-time link, roles changed, a member removed and signed
// out at once; roles, CSRF, hostile input and other tenants refused.

// settingsPosts are every POST route of the settings pages, with a valid
// body for each.
func settingsPosts(botKey string) map[string]url.Values {
	return map[string]url.Values{
		"/admin/settings/store":                            {"name_ar": {"متجر"}, "name_en": {"Shop"}},
		"/admin/settings/invoicing":                        {"vat_number": {"300000000000003"}, "seller_name_ar": {"بائع"}, "seller_name_en": {"Seller"}},
		"/admin/settings/pricing":                          {"vat_rate": {"15"}, "free_shipping": {"0"}},
		"/admin/settings/zones":                            {"zones[0].name_ar": {"جدة"}, "zones[0].name_en": {"Jeddah"}, "zones[0].fee": {"10"}},
		"/admin/settings/sla":                              {"handoff_minutes": {"10"}, "return_minutes": {"600"}, "dispatch_minutes": {"600"}},
		"/admin/settings/returns":                          {"window_days": {"3"}},
		"/admin/settings/payments/cod":                     {"cod.enabled": {"on"}},
		"/admin/settings/bot-texts/" + botKey:              {"ar": {"نص"}},
		"/admin/settings/bot-texts/" + botKey + "/preview": {"ar": {"نص"}},
		"/admin/settings/bot-texts/" + botKey + "/reset":   {},
	}
}

// with is form plus the CSRF token.
func with(form url.Values, csrf string) url.Values {
	out := url.Values{"csrf_token": {csrf}}
	for k, v := range form {
		out[k] = v
	}
	return out
}

func TestAdminSettings(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, nil)
	nA, ownerToken, ctxA := lifeShop(t, ta, "seta")
	nB, _, _ := lifeShop(t, ta, "setb")
	ta.user("manager@seta.test", false, "seta", "manager")
	ta.user("agent@seta.test", false, "seta", "agent")
	texts, err := ta.app.cms.BotTexts(ctxA, "")
	if err != nil || len(texts) < 60 {
		t.Fatalf("bot texts: %d %v", len(texts), err)
	}
	var bt cms.BotText // a text with placeholders and English
	for _, b := range texts {
		if len(b.Placeholders) > 0 && b.DefaultEN != nil && bt.Key == "" {
			bt = b
		}
	}

	owner := newShopper(t, ta, nA.host)
	csrf := adminLogin(t, owner, "owner@seta.test")
	page := owner.send("GET", "/admin/settings", nil, nil)
	if page.status != 200 || !strings.Contains(page.body, `href="/admin/settings"`) || !strings.Contains(page.body, `href="/admin/staff"`) ||
		strings.Count(page.body, `<form method="post" action="/admin/settings/`) != 8 || !strings.Contains(page.body, `id="pay-stripe"`) {
		t.Fatalf("the owner's settings page: %d %d forms %.300s", page.status, strings.Count(page.body, `action="/admin/settings/`), page.body)
	}
	if !strings.Contains(page.body, `value="الرياض"`) || !strings.Contains(page.body, `value="25.00"`) || !strings.Contains(page.body, "غير محفوظ") {
		t.Fatal("the page lacks the stored zone or the secrets' state")
	}

	// Store profile: a bad link and colour are said next to their fields,
	// what was typed kept, nothing saved; then saved.
	r := owner.send("POST", "/admin/settings/store", url.Values{"csrf_token": {csrf}, "name_ar": {"متجري"}, "name_en": {"Mine"},
		"logo_url": {"javascript:alert(1)"}, "primary_color": {"#ffffff"}}, nil)
	if r.status != 422 || !strings.Contains(r.body, `id="logo_url-err"`) || !strings.Contains(r.body, `value="متجري"`) {
		t.Fatalf("a bad logo link: %d %.300s", r.status, r.body)
	}
	r = owner.send("POST", "/admin/settings/store", url.Values{"csrf_token": {csrf}, "name_ar": {"متجري"}, "name_en": {"Mine"},
		"logo_url": {"https://cdn.example/logo.png"}, "primary_color": {"#ffffff"}}, nil)
	if r.status != 422 || !strings.Contains(r.body, `id="primary_color-err"`) {
		t.Fatalf("a colour too light: %d", r.status)
	}
	if sf, _ := ta.app.deps.tenants.StorefrontOf(ctxA); sf.NameEN == "Mine" {
		t.Fatal("a refused section was saved")
	}
	r = owner.send("POST", "/admin/settings/store", url.Values{"csrf_token": {csrf}, "name_ar": {"متجري"}, "name_en": {"Mine"},
		"logo_url": {"https://cdn.example/logo.png"}, "primary_color": {"#0b5a4a"}}, nil)
	if r.status != 303 || r.header.Get("Location") != "/admin/settings?done=store#store" {
		t.Fatalf("save the store: %d %q", r.status, r.header.Get("Location"))
	}
	if sf, _ := ta.app.deps.tenants.StorefrontOf(ctxA); sf.NameEN != "Mine" || sf.PrimaryColor != "#0b5a4a" {
		t.Fatalf("the storefront after saving: %+v", sf)
	}
	if r := owner.send("GET", "/admin/settings?done=store", nil, nil); !strings.Contains(r.body, `class="flash"`) || !strings.Contains(r.body, `value="Mine"`) {
		t.Fatal("no notice or value after saving the store")
	}

	// Invoicing: the service's rules, in the user's language.
	r = owner.send("POST", "/admin/settings/invoicing", url.Values{"csrf_token": {csrf}, "vat_number": {"12345"}, "seller_name_ar": {"بائع"}, "seller_name_en": {""}}, nil)
	if r.status != 422 || !strings.Contains(r.body, `id="vat_number-err"`) || !strings.Contains(r.body, `id="seller_name_en-err"`) || !strings.Contains(r.body, `value="12345"`) {
		t.Fatalf("bad invoicing: %d %.300s", r.status, r.body)
	}
	if r := owner.send("POST", "/admin/settings/invoicing", url.Values{"csrf_token": {csrf}, "vat_number": {"٣٠٠٠٠٠٠٠٠٠٠٠٠٠٣"}, "seller_name_ar": {"بائع"},
		"seller_name_en": {"Seller"}}, nil); r.status != 303 {
		t.Fatalf("save invoicing: %d %.300s", r.status, r.body)
	}
	if s, _ := ta.app.invoices.Settings(ctxA); s.VATNumber != "300000000000003" {
		t.Fatalf("invoicing after saving: %+v", s)
	}

	// Pricing: amounts in the store's currency, never floats; zones kept.
	for _, bad := range []url.Values{
		{"vat_rate": {"fifteen"}, "free_shipping": {"100"}},
		{"vat_rate": {"15"}, "free_shipping": {"99999999999999999999999"}},
		{"vat_rate": {"15"}, "default_fee": {"10.555"}},
		{"vat_rate": {"150"}},
	} {
		if r := owner.send("POST", "/admin/settings/pricing", with(bad, csrf), nil); r.status != 422 || !strings.Contains(r.body, `-err"`) {
			t.Fatalf("bad pricing %v: %d", bad, r.status)
		}
	}
	if r := owner.send("POST", "/admin/settings/pricing", url.Values{"csrf_token": {csrf}, "vat_rate": {"12.5"}, "prices_include_vat": {"on"},
		"default_fee": {"30"}, "free_shipping": {"٢٠٠٫٥٠"}}, nil); r.status != 303 {
		t.Fatalf("save pricing: %d %.400s", r.status, r.body)
	}
	pr, _ := ta.app.cart.PricingSettings(ctxA)
	if pr.VATRateBP != 1250 || !pr.PricesIncludeVAT || pr.DefaultFee == nil || *pr.DefaultFee != 3000 || pr.FreeShippingThreshold != 20050 || len(pr.Zones) != 1 {
		t.Fatalf("pricing after saving: %+v", pr)
	}

	// Zones: a duplicate city is said at its row and nothing is written;
	// a cleared row removes its zone.
	r = owner.send("POST", "/admin/settings/zones", url.Values{"csrf_token": {csrf},
		"zones[0].name_ar": {"الرياض"}, "zones[0].name_en": {"Riyadh"}, "zones[0].aliases": {""}, "zones[0].fee": {"25"},
		"zones[1].name_ar": {""}, "zones[1].name_en": {""}, "zones[1].aliases": {""}, "zones[1].fee": {""},
		"zones[2].name_ar": {"جدة"}, "zones[2].name_en": {"Riyadh"}, "zones[2].aliases": {"Jiddah"}, "zones[2].fee": {"15"}}, nil)
	if r.status != 422 || !strings.Contains(r.body, `id="zones[2].name_en-err"`) || !strings.Contains(r.body, `value="Jiddah"`) {
		t.Fatalf("a duplicate zone: %d %.300s", r.status, r.body)
	}
	if r := owner.send("POST", "/admin/settings/zones", url.Values{"csrf_token": {csrf}, "zones[0].name_ar": {"جدة"}, "zones[0].fee": {"abc"}}, nil); r.status != 422 ||
		!strings.Contains(r.body, `id="zones[0].fee-err"`) {
		t.Fatalf("a bad fee: %d", r.status)
	}
	r = owner.send("POST", "/admin/settings/zones", url.Values{"csrf_token": {csrf},
		"zones[0].name_ar": {""}, "zones[0].name_en": {""}, "zones[0].aliases": {""}, "zones[0].fee": {""},
		"zones[1].name_ar": {"جدة"}, "zones[1].name_en": {"Jeddah"}, "zones[1].aliases": {"Jiddah، جده"}, "zones[1].fee": {"15.50"}}, nil)
	if r.status != 303 {
		t.Fatalf("save zones: %d %.400s", r.status, r.body)
	}
	pr, _ = ta.app.cart.PricingSettings(ctxA)
	if len(pr.Zones) != 1 || pr.Zones[0].NameEN != "Jeddah" || pr.Zones[0].Fee != 1550 || len(pr.Zones[0].Aliases) != 2 || pr.VATRateBP != 1250 {
		t.Fatalf("zones after saving: %+v", pr)
	}

	// SLA and returns: the services' bounds.
	if r := owner.send("POST", "/admin/settings/sla", url.Values{"csrf_token": {csrf}, "handoff_minutes": {"0"}, "return_minutes": {"60"},
		"dispatch_minutes": {"60"}}, nil); r.status != 422 || !strings.Contains(r.body, `id="handoff_minutes-err"`) {
		t.Fatalf("a zero target: %d", r.status)
	}
	if r := owner.send("POST", "/admin/settings/sla", url.Values{"csrf_token": {csrf}, "handoff_minutes": {"5"}, "return_minutes": {"1440"},
		"dispatch_minutes": {"٢٨٨٠"}}, nil); r.status != 303 {
		t.Fatalf("save sla: %d %.300s", r.status, r.body)
	}
	if s, _ := ta.app.sla.Settings(ctxA); s.HandoffFirstReplySeconds != 300 || s.OrderDispatchSeconds != 2880*60 {
		t.Fatalf("sla after saving: %+v", s)
	}
	if r := owner.send("POST", "/admin/settings/returns", url.Values{"csrf_token": {csrf}, "window_days": {"400"}}, nil); r.status != 422 ||
		!strings.Contains(r.body, `id="window_days-err"`) {
		t.Fatalf("a window too long: %d", r.status)
	}
	if r := owner.send("POST", "/admin/settings/returns", url.Values{"csrf_token": {csrf}, "window_days": {"14"}}, nil); r.status != 303 {
		t.Fatalf("save returns: %d", r.status)
	}
	if s, _ := ta.app.returns.Settings(ctxA); s.WindowDays != 14 {
		t.Fatalf("returns after saving: %+v", s)
	}

	// Payment providers: enabling Stripe needs its keys; a key is stored,
	// never shown back (set / not set), and a blank one keeps it.
	r = owner.send("POST", "/admin/settings/payments/stripe", url.Values{"csrf_token": {csrf}, "stripe.enabled": {"on"}}, nil)
	if r.status != 422 || !strings.Contains(r.body, `id="stripe.secret_key-err"`) {
		t.Fatalf("stripe without keys: %d %.300s", r.status, r.body)
	}
	const key = "sk_test_0123456789abcdefSECRET"
	r = owner.send("POST", "/admin/settings/payments/stripe", url.Values{"csrf_token": {csrf}, "stripe.enabled": {"on"},
		"stripe.secret_key": {key}, "stripe.webhook_secret": {"whsec_0123456789abcdef"}}, nil)
	if r.status != 303 {
		t.Fatalf("stripe with keys: %d %.300s", r.status, r.body)
	}
	page = owner.send("GET", "/admin/settings", nil, nil)
	if strings.Contains(page.body, key) || strings.Contains(page.body, "whsec_0123456789abcdef") || strings.Count(page.body, "secret-set") != 2 {
		t.Fatal("the settings page shows a secret, or not that it is set")
	}
	if r := owner.send("POST", "/admin/settings/payments/stripe", url.Values{"csrf_token": {csrf}, "stripe.enabled": {"on"},
		"stripe.secret_key": {""}, "stripe.webhook_secret": {""}}, nil); r.status != 303 {
		t.Fatalf("stripe with blank keys: %d %.300s", r.status, r.body)
	}
	// Cash on delivery's rules.
	if r := owner.send("POST", "/admin/settings/payments/cod", url.Values{"csrf_token": {csrf}, "cod.enabled": {"on"}, "cod.max_order_total": {"abc"},
		"cod.confirm_within": {"1s"}, "cod.max_refusals": {"2"}}, nil); r.status != 422 || !strings.Contains(r.body, `id="cod.max_order_total-err"`) {
		t.Fatalf("bad cod rules: %d", r.status)
	}
	if r := owner.send("POST", "/admin/settings/payments/cod", url.Values{"csrf_token": {csrf}, "cod.enabled": {"on"}, "cod.max_order_total": {"500"},
		"cod.confirm_within": {"1s"}, "cod.max_refusals": {"2"}}, nil); r.status != 422 || !strings.Contains(r.body, `id="cod.confirm_within-err"`) {
		t.Fatalf("a confirmation time too short: %d", r.status)
	}
	if r := owner.send("POST", "/admin/settings/payments/cod", url.Values{"csrf_token": {csrf}, "cod.enabled": {"on"}, "cod.max_order_total": {"500"},
		"cod.confirm_within": {"12h"}, "cod.max_refusals": {"2"}}, nil); r.status != 303 {
		t.Fatalf("save cod rules: %d %.300s", r.status, r.body)
	}
	ps, _ := ta.app.checkout.PaymentSettings(ctxA)
	for _, p := range ps {
		switch {
		case p.Provider == "stripe" && (!p.Enabled || !p.SecretsSet["secret_key"] || !p.SecretsSet["webhook_secret"]):
			t.Fatalf("stripe after saving: %+v", p)
		case p.Provider == "cod" && (!p.Enabled || p.Values["max_order_total"] != "50000" || p.Values["confirm_within"] != "12h"):
			t.Fatalf("cod after saving: %+v", p)
		}
	}
	if r := owner.send("POST", "/admin/settings/payments/nope", url.Values{"csrf_token": {csrf}}, nil); r.status != 404 {
		t.Fatalf("an unknown provider: %d", r.status)
	}

	// Bot texts: list, search, edit with preview, a bad placeholder, save,
	// reset.
	list := owner.send("GET", "/admin/settings/bot-texts", nil, nil)
	if list.status != 200 || !strings.Contains(list.body, `id="bot-texts"`) || !strings.Contains(list.body, `rel="next"`) {
		t.Fatalf("bot texts: %d %.300s", list.status, list.body)
	}
	if r := owner.send("GET", "/admin/settings/bot-texts?q="+url.QueryEscape(bt.Key), nil, nil); !strings.Contains(r.body, `href="/admin/settings/bot-texts/`+bt.Key+`"`) {
		t.Fatal("searching by key does not find it")
	}
	if r := owner.send("GET", "/admin/settings/bot-texts?page=999", nil, nil); r.status != 200 || !strings.Contains(r.body, `rel="prev"`) {
		t.Fatalf("a page past the end: %d", r.status)
	}
	if r := owner.send("GET", "/admin/settings/bot-texts?q=%FF%00", nil, nil); r.status < 400 || r.status >= 500 {
		t.Fatalf("a hostile search: %d", r.status)
	}
	edit := owner.send("GET", "/admin/settings/bot-texts/"+bt.Key, nil, nil)
	if edit.status != 200 || !strings.Contains(edit.body, `name="ar"`) || !strings.Contains(edit.body, `name="en"`) {
		t.Fatalf("bot text editor: %d %.300s", edit.status, edit.body)
	}
	ar := "مرحبًا " + bt.Placeholders[0] + " من المتجر"
	pv := owner.send("POST", "/admin/settings/bot-texts/"+bt.Key+"/preview", url.Values{"csrf_token": {csrf}, "ar": {ar}, "en": {"Hello " + bt.Placeholders[0]}}, nil)
	if pv.status != 200 || !strings.Contains(pv.body, `id="preview-ar"`) || strings.Contains(regexp.MustCompile(`id="preview-ar">[^<]*`).FindString(pv.body), bt.Placeholders[0]) {
		t.Fatalf("preview: %d %s", pv.status, regexp.MustCompile(`id="preview-ar">[^<]*`).FindString(pv.body))
	}
	if b, _ := ta.app.cms.BotText(ctxA, bt.Key); b.OverrideAR != nil {
		t.Fatal("the preview saved the text")
	}
	bad := owner.send("POST", "/admin/settings/bot-texts/"+bt.Key, url.Values{"csrf_token": {csrf}, "ar": {"نص {nope}"}, "en": {*bt.DefaultEN}}, nil)
	if bad.status != 422 || !strings.Contains(bad.body, `id="ar-err"`) || !strings.Contains(bad.body, "نص {nope}") {
		t.Fatalf("an unknown placeholder: %d %.300s", bad.status, bad.body)
	}
	if r := owner.send("POST", "/admin/settings/bot-texts/"+bt.Key, url.Values{"csrf_token": {csrf}, "ar": {ar}, "en": {*bt.DefaultEN}}, nil); r.status != 303 {
		t.Fatalf("save a bot text: %d %.300s", r.status, r.body)
	}
	if b, _ := ta.app.cms.BotText(ctxA, bt.Key); b.OverrideAR == nil || *b.OverrideAR != ar || b.OverrideEN != nil {
		t.Fatalf("the bot text after saving: %+v", b)
	}
	if r := owner.send("POST", "/admin/settings/bot-texts/"+bt.Key+"/reset", url.Values{"csrf_token": {csrf}}, nil); r.status != 303 {
		t.Fatalf("reset: %d", r.status)
	}
	if b, _ := ta.app.cms.BotText(ctxA, bt.Key); b.OverrideAR != nil {
		t.Fatal("reset kept the override")
	}
	if r := owner.send("GET", "/admin/settings/bot-texts/no.such.key", nil, nil); r.status != 404 {
		t.Fatalf("an unknown key: %d", r.status)
	}

	// Every change is audited with the owner as actor.
	audit := ta.do(request{method: "GET", path: "/api/v1/audit?limit=200", host: nA.host, token: ownerToken})
	for _, action := range []string{"storefront.update", "invoices.settings_updated", "pricing.update", "sla.settings_updated",
		"returns.settings_updated", "payments.settings_updated", "bot_text.update", "bot_text.delete"} {
		if !regexp.MustCompile(`"action":"` + regexp.QuoteMeta(action) + `"[^}]*"actor":"user:owner@seta.test"|"actor":"user:owner@seta.test"[^}]*"action":"` + regexp.QuoteMeta(action) + `"`).MatchString(audit.body) {
			t.Fatalf("%s is not audited with the owner as actor: %.500s", action, audit.body)
		}
	}

	// No CSRF token, or another site: 403 on every POST, nothing saved.
	for path, form := range settingsPosts(bt.Key) {
		if r := owner.send("POST", path, form, nil); r.status != 403 {
			t.Fatalf("POST %s without the token: %d", path, r.status)
		}
		if r := owner.send("POST", path, with(form, csrf), map[string]string{"Sec-Fetch-Site": "cross-site"}); r.status != 403 {
			t.Fatalf("cross-site POST %s: %d", path, r.status)
		}
	}
	if s, _ := ta.app.returns.Settings(ctxA); s.WindowDays != 14 {
		t.Fatal("a refused POST changed the returns window")
	}
	// Hostile input: 4xx, never 5xx.
	for _, form := range []url.Values{{"window_days": {"1\x00"}}, {"window_days": {"\xff\xfe"}}, {"window_days": {"-1"}},
		{"window_days": {"99999999999999999999999999"}}, {"window_days": {"1e3"}}} {
		if r := owner.send("POST", "/admin/settings/returns", with(form, csrf), nil); r.status < 400 || r.status >= 500 {
			t.Fatalf("hostile %q: %d", form.Get("window_days"), r.status)
		}
	}
	if r := owner.send("GET", "/admin/settings/bot-texts/%00%ff", nil, nil); r.status < 400 || r.status >= 500 {
		t.Fatalf("a hostile key: %d", r.status)
	}

	// The manager reads every value but has no form, and every change is
	// refused with the 403 page; no payment providers.
	manager := newShopper(t, ta, nA.host)
	mcsrf := adminLogin(t, manager, "manager@seta.test")
	mp := manager.send("GET", "/admin/settings", nil, nil)
	if mp.status != 200 || strings.Contains(mp.body, `<form method="post" action="/admin/settings`) || !strings.Contains(mp.body, `value="Mine"`) ||
		!strings.Contains(mp.body, "<fieldset") || strings.Contains(mp.body, `id="payments"`) || !strings.Contains(mp.body, `href="/admin/settings"`) {
		t.Fatalf("the manager's settings page: %d %.400s", mp.status, mp.body)
	}
	if r := manager.send("GET", "/admin/settings/bot-texts/"+bt.Key, nil, nil); r.status != 200 || strings.Contains(r.body, `<form method="post" action="/admin/settings`) {
		t.Fatalf("the manager's bot text page: %d", r.status)
	}
	for path, form := range settingsPosts(bt.Key) {
		if r := manager.send("POST", path, with(form, mcsrf), nil); r.status != 403 || !strings.Contains(r.body, "غير مسموح") {
			t.Fatalf("the manager's POST %s: %d", path, r.status)
		}
	}
	// The agent: no link, the 403 page on every settings route.
	agent := newShopper(t, ta, nA.host)
	acsrf := adminLogin(t, agent, "agent@seta.test")
	if r := agent.send("GET", "/admin", nil, nil); strings.Contains(r.body, `href="/admin/settings"`) || strings.Contains(r.body, `href="/admin/staff"`) {
		t.Fatal("the agent's navigation offers settings or staff")
	}
	for _, path := range []string{"/admin/settings", "/admin/settings/bot-texts", "/admin/settings/bot-texts/" + bt.Key} {
		if r := agent.send("GET", path, nil, nil); r.status != 403 {
			t.Fatalf("the agent's GET %s: %d", path, r.status)
		}
	}
	for path, form := range settingsPosts(bt.Key) {
		if r := agent.send("POST", path, with(form, acsrf), nil); r.status != 403 {
			t.Fatalf("the agent's POST %s: %d", path, r.status)
		}
	}
	if s, _ := ta.app.returns.Settings(ctxA); s.WindowDays != 14 {
		t.Fatal("a refused role changed the returns window")
	}

	// Another tenant: A's owner on B's host has no settings there (404),
	// and B's settings stay as they were.
	onB := newShopper(t, ta, nB.host)
	onB.cookies = owner.cookies
	if r := onB.send("GET", "/admin/settings", nil, nil); r.status != 404 || strings.Contains(r.body, "setb") && strings.Contains(r.body, `name="vat_number"`) {
		t.Fatalf("A's owner on B's settings: %d", r.status)
	}
	for path, form := range settingsPosts(bt.Key) {
		if r := onB.send("POST", path, with(form, csrf), nil); r.status != 404 {
			t.Fatalf("A's owner POST %s on B's host: %d", path, r.status)
		}
	}
	ctxB := tenants.WithTenant(context.Background(), nB.tenant)
	if s, _ := ta.app.returns.Settings(ctxB); s.WindowDays != 7 {
		t.Fatalf("B's return window changed: %d", s.WindowDays)
	}
	if pr, _ := ta.app.cart.PricingSettings(ctxB); len(pr.Zones) != 1 || pr.Zones[0].NameEN != "Riyadh" {
		t.Fatalf("B's zones changed: %+v", pr.Zones)
	}
}

// TestAdminStaff: an owner invites a new person and an existing user with
// one-time links, changes a role, removes a member (whose open dashboard
// and API session end at once), and cannot remove themselves or the last
// owner; managers read, agents are refused, other tenants get 404.
func TestAdminStaff(t *testing.T) {
	t.Parallel()
	ta := startApp(t, modeServe, nil)
	nA, ownerToken, _ := lifeShop(t, ta, "stfa")
	nB, _, _ := lifeShop(t, ta, "stfb")
	ta.user("manager@stfa.test", false, "stfa", "manager")
	ta.user("agent@stfa.test", false, "stfa", "agent")
	ta.user("viewer@stfb.test", false, "stfb", "viewer")

	owner := newShopper(t, ta, nA.host)
	csrf := adminLogin(t, owner, "owner@stfa.test")
	sp := owner.send("GET", "/admin/staff", nil, nil)
	if sp.status != 200 || !strings.Contains(sp.body, "manager@stfa.test") || strings.Contains(sp.body, "viewer@stfb.test") ||
		!strings.Contains(sp.body, `action="/admin/staff/invites"`) {
		t.Fatalf("the staff page: %d %.300s", sp.status, sp.body)
	}

	// Invite: bad input kept with its errors; then the link, shown once.
	if r := owner.send("POST", "/admin/staff/invites", url.Values{"csrf_token": {csrf}, "email": {"not-an-email"}, "role": {"boss"}}, nil); r.status != 422 ||
		!strings.Contains(r.body, `id="email-err"`) || !strings.Contains(r.body, `value="not-an-email"`) {
		t.Fatalf("a bad invitation: %d %.300s", r.status, r.body)
	}
	if r := owner.send("POST", "/admin/staff/invites", url.Values{"csrf_token": {csrf}, "email": {"manager@stfa.test"}, "role": {"agent"}}, nil); r.status != 422 {
		t.Fatalf("inviting a member: %d", r.status)
	}
	link := invite(t, owner, csrf, "new@stfa.test", "agent")
	if r := owner.send("GET", "/admin/staff", nil, nil); !strings.Contains(r.body, "new@stfa.test") || strings.Contains(r.body, link) {
		t.Fatal("the pending invitation is not listed, or its link is shown again")
	}

	// The invitee: passwords that differ or are short are refused, then
	// they join, signed in as an agent; the link is then spent (410).
	newbie := newShopper(t, ta, nA.host)
	ip := newbie.send("GET", link, nil, nil)
	if ip.status != 200 || !strings.Contains(ip.body, `name="password_again"`) || !strings.Contains(ip.body, "new@stfa.test") ||
		ip.header.Get("Referrer-Policy") != "same-origin" {
		t.Fatalf("the invitation page: %d %.300s", ip.status, ip.body)
	}
	tok := formToken(t, ip)
	if r := newbie.send("POST", link, url.Values{"password": {adminPassword}, "password_again": {adminPassword}}, nil); r.status != 403 {
		t.Fatalf("accepting without the form token: %d", r.status)
	}
	if r := newbie.send("POST", link, url.Values{"csrf_token": {tok}, "password": {adminPassword}, "password_again": {"something else"}}, nil); r.status != 422 ||
		!strings.Contains(r.body, `id="password_again-err"`) {
		t.Fatalf("passwords that differ: %d", r.status)
	}
	tok = formToken(t, newbie.send("GET", link, nil, nil))
	if r := newbie.send("POST", link, url.Values{"csrf_token": {tok}, "password": {"short"}, "password_again": {"short"}}, nil); r.status != 422 ||
		!strings.Contains(r.body, `id="password-err"`) {
		t.Fatalf("a short password: %d", r.status)
	}
	tok = formToken(t, newbie.send("GET", link, nil, nil))
	if r := newbie.send("POST", link, url.Values{"csrf_token": {tok}, "password": {adminPassword}, "password_again": {adminPassword}}, nil); r.status != 303 ||
		r.header.Get("Location") != "/admin" {
		t.Fatalf("accept: %d %q %.300s", r.status, r.header.Get("Location"), r.body)
	}
	if r := newbie.send("GET", "/admin", nil, nil); r.status != 200 || !strings.Contains(r.body, "new@stfa.test") || strings.Contains(r.body, `href="/admin/settings"`) {
		t.Fatalf("the newcomer's dashboard: %d", r.status)
	}
	if r := newShopper(t, ta, nA.host).send("GET", link, nil, nil); r.status != 410 {
		t.Fatalf("the link used again: %d", r.status)
	}
	for _, bad := range []string{"/admin/invite/nope", "/admin/invite/" + strings.Repeat("A", 43), "/admin/invite/" + strings.Repeat("A", 500)} {
		if r := newShopper(t, ta, nA.host).send("GET", bad, nil, nil); r.status != 404 {
			t.Fatalf("%s: %d", bad, r.status)
		}
	}

	if r := newShopper(t, ta, nA.host).send("GET", "/admin/invite/%00%ff", nil, nil); r.status < 400 || r.status >= 500 {
		t.Fatalf("a hostile token: %d", r.status)
	}

	// An existing user (staff of B) confirms with their own password; the
	// link does not work on B's host.
	link2 := invite(t, owner, csrf, "viewer@stfb.test", "manager")
	if r := newShopper(t, ta, nB.host).send("GET", link2, nil, nil); r.status != 404 {
		t.Fatalf("A's invitation on B's host: %d", r.status)
	}
	old := newShopper(t, ta, nA.host)
	ip = old.send("GET", link2, nil, nil)
	if ip.status != 200 || strings.Contains(ip.body, `name="password_again"`) {
		t.Fatalf("an existing user's invitation: %d", ip.status)
	}
	if r := old.send("POST", link2, url.Values{"csrf_token": {formToken(t, ip)}, "password": {"not the password"}}, nil); r.status != 401 ||
		!strings.Contains(r.body, `id="invite-error"`) {
		t.Fatalf("a wrong password: %d", r.status)
	}
	if r := old.send("POST", link2, url.Values{"csrf_token": {formToken(t, old.send("GET", link2, nil, nil))}, "password": {adminPassword}}, nil); r.status != 303 {
		t.Fatalf("the existing user accepts: %d %.300s", r.status, r.body)
	}
	if r := old.send("GET", "/admin/settings", nil, nil); r.status != 200 {
		t.Fatalf("the new manager's settings page: %d", r.status)
	}

	// Revoke a pending invitation: its link is then refused (410).
	link3 := invite(t, owner, csrf, "third@stfa.test", "viewer")
	id := regexp.MustCompile(`id="invite-([0-9a-f-]{36})"`).FindStringSubmatch(owner.send("GET", "/admin/staff", nil, nil).body)
	if id == nil {
		t.Fatal("no pending invitation listed")
	}
	if r := owner.send("POST", "/admin/staff/invites/"+id[1]+"/revoke", url.Values{"csrf_token": {csrf}}, nil); r.status != 303 {
		t.Fatalf("revoke: %d", r.status)
	}
	if r := newShopper(t, ta, nA.host).send("GET", link3, nil, nil); r.status != 410 {
		t.Fatalf("a revoked link: %d", r.status)
	}

	newID := memberID(t, owner, "new@stfa.test")
	ownerID := memberID(t, owner, "owner@stfa.test")
	// Roles: the last owner stays one (said on the page); others change.
	if r := owner.send("POST", "/admin/staff/"+ownerID+"/role", url.Values{"csrf_token": {csrf}, "role": {"viewer"}}, nil); r.status != 422 ||
		!strings.Contains(r.body, "آخر مالك") {
		t.Fatalf("demoting the last owner: %d", r.status)
	}
	if r := owner.send("POST", "/admin/staff/"+newID+"/role", url.Values{"csrf_token": {csrf}, "role": {"boss"}}, nil); r.status != 422 {
		t.Fatalf("an unknown role: %d", r.status)
	}
	if r := owner.send("POST", "/admin/staff/"+newID+"/role", url.Values{"csrf_token": {csrf}, "role": {"viewer"}}, nil); r.status != 303 {
		t.Fatalf("change a role: %d", r.status)
	}
	if r := newbie.send("GET", "/admin/settings", nil, nil); r.status != 200 {
		t.Fatalf("the new role is not in force at once: %d", r.status)
	}

	// Remove: not oneself; the removed member's open dashboard goes to the
	// sign-in page on its next request, and their API refresh fails.
	if r := owner.send("POST", "/admin/staff/"+ownerID+"/remove", url.Values{"csrf_token": {csrf}}, nil); r.status != 422 {
		t.Fatalf("removing oneself: %d", r.status)
	}
	login := ta.do(request{method: "POST", path: "/api/auth/login", body: `{"email":"new@stfa.test","password":"` + adminPassword + `"}`})
	var apiTok struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(login.raw, &apiTok); err != nil || apiTok.RefreshToken == "" {
		t.Fatalf("the member's API login: %d %s", login.status, login.body)
	}
	if r := owner.send("POST", "/admin/staff/"+newID+"/remove", url.Values{"csrf_token": {csrf}}, nil); r.status != 303 {
		t.Fatalf("remove: %d %.300s", r.status, r.body)
	}
	if r := newbie.send("GET", "/admin/orders", nil, nil); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/admin/login") {
		t.Fatalf("the removed member's open dashboard: %d %q", r.status, r.header.Get("Location"))
	}
	if r := ta.do(request{method: "POST", path: "/api/auth/refresh", body: `{"refresh_token":"` + apiTok.RefreshToken + `"}`}); r.status != 401 {
		t.Fatalf("the removed member's API refresh: %d %s", r.status, r.body)
	}
	if r := owner.send("GET", "/admin/staff", nil, nil); strings.Contains(r.body, "new@stfa.test") {
		t.Fatal("the removed member is still listed")
	}
	audit := ta.do(request{method: "GET", path: "/api/v1/audit?limit=200", host: nA.host, token: ownerToken})
	for _, action := range []string{"invite.create", "invite.revoke", "membership.update", "membership.remove"} {
		if !strings.Contains(audit.body, fmt.Sprintf(`"action":%q`, action)) || !strings.Contains(audit.body, `"actor":"user:owner@stfa.test"`) {
			t.Fatalf("%s is not audited: %.400s", action, audit.body)
		}
	}

	// Other tenants' ids: 404, nothing changed.
	bOwner := newShopper(t, ta, nB.host)
	bcsrf := adminLogin(t, bOwner, "owner@stfb.test")
	bOnly := memberID(t, bOwner, "owner@stfb.test") // not on A's staff
	for path, form := range map[string]url.Values{
		"/admin/staff/" + bOnly + "/role":           {"role": {"owner"}},
		"/admin/staff/" + bOnly + "/remove":         {},
		"/admin/staff/" + id[1] + "/remove":         {},
		"/admin/staff/not-a-uuid/remove":            {},
		"/admin/staff/invites/" + id[1] + "/revoke": {},
	} {
		r := owner.send("POST", path, with(form, csrf), nil)
		if path == "/admin/staff/invites/"+id[1]+"/revoke" {
			r = bOwner.send("POST", path, with(form, bcsrf), nil)
		}
		if r.status != 404 {
			t.Fatalf("POST %s across tenants: %d", path, r.status)
		}
	}
	if !strings.Contains(bOwner.send("GET", "/admin/staff", nil, nil).body, "owner@stfb.test") {
		t.Fatal("B's member was removed from A's dashboard")
	}
	onB := newShopper(t, ta, nB.host)
	onB.cookies = owner.cookies
	if r := onB.send("GET", "/admin/staff", nil, nil); r.status != 404 {
		t.Fatalf("A's owner on B's staff page: %d", r.status)
	}

	// CSRF: 403 on every POST.
	for _, path := range []string{"/admin/staff/invites", "/admin/staff/" + ownerID + "/role", "/admin/staff/" + ownerID + "/remove",
		"/admin/staff/invites/" + id[1] + "/revoke"} {
		if r := owner.send("POST", path, url.Values{"email": {"x@y.test"}, "role": {"viewer"}}, nil); r.status != 403 {
			t.Fatalf("POST %s without the token: %d", path, r.status)
		}
	}
	// The manager reads the staff without forms; changes are 403.
	manager := newShopper(t, ta, nA.host)
	mcsrf := adminLogin(t, manager, "manager@stfa.test")
	if r := manager.send("GET", "/admin/staff", nil, nil); r.status != 200 || strings.Contains(r.body, `action="/admin/staff`) {
		t.Fatalf("the manager's staff page: %d", r.status)
	}
	for _, path := range []string{"/admin/staff/invites", "/admin/staff/" + ownerID + "/role", "/admin/staff/" + ownerID + "/remove"} {
		if r := manager.send("POST", path, url.Values{"csrf_token": {mcsrf}, "email": {"x@y.test"}, "role": {"viewer"}}, nil); r.status != 403 {
			t.Fatalf("the manager's POST %s: %d", path, r.status)
		}
	}
	// The agent: no link, 403.
	agent := newShopper(t, ta, nA.host)
	adminLogin(t, agent, "agent@stfa.test")
	if r := agent.send("GET", "/admin/staff", nil, nil); r.status != 403 {
		t.Fatalf("the agent's staff page: %d", r.status)
	}
}

// invite makes an invitation through the staff page and returns its
// link's path.
func invite(t *testing.T, s *shopper, csrf, email, role string) string {
	t.Helper()
	r := s.send("POST", "/admin/staff/invites", url.Values{"csrf_token": {csrf}, "email": {email}, "role": {role}}, nil)
	m := regexp.MustCompile(`id="invite-link"[^>]*value="https?://[^/"]+(/admin/invite/[A-Za-z0-9_-]{43})"`).FindStringSubmatch(r.body)
	if r.status != 200 || m == nil {
		t.Fatalf("invite %s: %d %.400s", email, r.status, r.body)
	}
	return m[1]
}

// memberID is the user id of a member on the staff page.
func memberID(t *testing.T, s *shopper, email string) string {
	t.Helper()
	body := s.send("GET", "/admin/staff", nil, nil).body
	m := regexp.MustCompile(`<tr id="member-([0-9a-f-]{36})"><td dir="ltr">` + regexp.QuoteMeta(email) + `<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s is not on the staff page", email)
	}
	return m[1]
}
