package whatsapp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"concierge/internal/gateway"
	"concierge/internal/httpx"
	"concierge/modules/whatsapp"
	"concierge/modules/whatsapp/cloudapi"
)

// mount serves the channel the way the composition root does, with
// stand-ins for what the gateway and identity add: the staff door carries
// the fixture's tenant and lets everyone in, the platform door too (their
// own tests cover sign-in and permissions).
func (f *fixture) mount() *fiber.App {
	app := gateway.NewApp(gateway.AppConfig{Catalog: f.env.Catalog}, f.env.Log)
	pass := func(string, string) fiber.Handler { return func(c *fiber.Ctx) error { return c.Next() } }
	tenant := func(c *fiber.Ctx) error {
		c.SetUserContext(f.shop.Ctx)
		return c.Next()
	}
	f.svc.Mount(httpx.Routers{
		Webhooks: app.Group(""), Root: app.Group(""),
		Platform: app.Group("/api/platform"),
		Staff:    httpx.Prepend(app.Group("/api/v1"), tenant),
		Public:   httpx.Prepend(app.Group("/api/v1"), tenant),
		Allow:    pass, AllowPlatform: pass,
		Validator: httpx.NewValidator(), Catalog: f.env.Catalog,
	})
	return app
}

// TestHTTP: the channel's routes as scenarios — Meta's subscription check,
// the webhook's refusals, the staff API's parameters, the privacy notice
// in both languages and the platform's list of unrouted payloads. Refusals
// carry the catalog's messages in the reader's language.
func TestHTTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *whatsapp.Config, _ *whatsapp.Deps) { c.PlatformAppSecret = "platform-secret" })
	app := f.mount()
	suspended, _, _ := f.addShop("closed")
	if _, err := f.env.Tenants.Suspend(suspended.Ctx, "test", suspended.Slug); err != nil {
		t.Fatal(err)
	}
	wa := phone()
	f.onboard(wa, "ar")
	conv := f.conversation(wa).Conversation.ID.String()
	ghost := messages("199900000007", text(phone(), "مرحبا", f.clock.Now()))
	if _, err := f.svc.Ingest(t.Context(), ghost, cloudapi.Sign(ghost, "platform-secret")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, body, lang string
		headers                        map[string]string
		status                         int
		contains                       []string
	}{
		{name: "subscription check", method: "GET", path: "/webhook/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444",
			status: 200, contains: []string{"1158201444"}},
		{name: "subscription check, wrong token", method: "GET", path: "/webhook/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1",
			lang: "en", status: 403, contains: []string{"The verification token does not match."}},
		{name: "unsigned delivery", method: "POST", path: "/webhook/whatsapp", body: string(messages(f.number.PhoneNumberID, text(wa, "x", f.clock.Now()))),
			status: 401, contains: []string{"الترويسة X-Hub-Signature-256 مفقودة"}},
		{name: "not a webhook", method: "POST", path: "/webhook/whatsapp", body: `{"object":`, lang: "en",
			status: 400, contains: []string{"The webhook body is not valid JSON."}},
		{name: "inbox", method: "GET", path: "/api/v1/conversations?handoff=bot", status: 200, contains: []string{`"wa_id":"` + wa + `"`, `"window_open":true`}},
		{name: "inbox, unknown hand-off state", method: "GET", path: "/api/v1/conversations?handoff=maybe", lang: "en",
			status: 422, contains: []string{`"field":"handoff"`, "must be one of: bot waiting human"}},
		{name: "inbox, limit out of range", method: "GET", path: "/api/v1/conversations?limit=0", lang: "en",
			status: 422, contains: []string{`"field":"limit"`, "must be 1 to 200"}},
		{name: "messages", method: "GET", path: "/api/v1/conversations/" + conv + "/messages?limit=2", status: 200, contains: []string{`"direction":"out"`}},
		{name: "no such conversation", method: "GET", path: "/api/v1/conversations/not-a-uuid", lang: "en",
			status: 404, contains: []string{"There is no such conversation."}},
		{name: "an empty reply", method: "POST", path: "/api/v1/conversations/" + conv + "/reply", body: `{"text":"   "}`,
			status: 422, contains: []string{`"field":"text"`}},
		{name: "a reply", method: "POST", path: "/api/v1/conversations/" + conv + "/reply", body: `{"text":"مرحبا"}`,
			status: 202, contains: []string{`"author":"system:unknown"`, `"status":"queued"`}},
		{name: "privacy notice, the store's language", method: "GET", path: "/privacy?store=" + f.shop.Slug,
			status: 200, contains: []string{`<html lang="ar" dir="rtl">`, "إشعار الخصوصية — " + f.shop.NameAR, "الإصدار 1", ">English</a>"}},
		{name: "privacy notice in English", method: "GET", path: "/privacy?store=" + f.shop.Slug + "&lang=en",
			status: 200, contains: []string{`<html lang="en" dir="ltr">`, "Privacy notice — " + f.shop.NameEN, "sending you order updates", "Version 1"}},
		{name: "privacy notice of a suspended store", method: "GET", path: "/privacy?store=" + suspended.Slug, lang: "en",
			status: 404, contains: []string{"There is no such store."}},
		{name: "unrouted payloads", method: "GET", path: "/api/platform/whatsapp/unrouted",
			status: 200, contains: []string{`"phone_number_id":"199900000007"`, `"reason":"unknown phone_number_id"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			if tc.lang != "" {
				req.Header.Set("Accept-Language", tc.lang)
			}
			res, err := app.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("%d %s, want %d", res.StatusCode, b, tc.status)
			}
			for _, want := range tc.contains {
				if !strings.Contains(string(b), want) {
					t.Errorf("the answer lacks %q: %s", want, b)
				}
			}
			// No message id in place of a text: every id is in the catalog.
			if strings.Contains(string(b), "whatsapp.") || strings.Contains(string(b), "legacy.") {
				t.Errorf("the answer shows a message id: %s", b)
			}
			if res.StatusCode >= 400 {
				var p httpx.Problem
				if err := json.Unmarshal(b, &p); err != nil || p.TitleAr == "" || p.TitleEn == "" {
					t.Errorf("refusal is not a problem: %s", b)
				}
			}
			if strings.HasPrefix(tc.path, "/privacy") && res.StatusCode == http.StatusOK && res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Errorf("content type %q", res.Header.Get("Content-Type"))
			}
		})
	}
}
