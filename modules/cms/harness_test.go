package cms_test

import (
	"context"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"concierge/cmd/concierge/sandbox"
	"concierge/internal/errs"
	"concierge/internal/gateway"
	"concierge/internal/httpx"
	"concierge/modules/cms"
	"concierge/modules/moduletest"
	"concierge/tenants"
)

// fixture is one test's world: a database, the Cloud API emulator served
// on 127.0.0.1:0 (its Graph API lists templates per WABA), and the service
// calling it.
type fixture struct {
	env *moduletest.Env
	emu *sandbox.Emulator
	svc *cms.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := moduletest.New(t)
	emu := sandbox.New(sandbox.Config{WebhookURL: "http://127.0.0.1:1/unused", Log: env.Log}, env.Tenants)
	t.Cleanup(emu.Close)
	app := gateway.NewApp(gateway.AppConfig{Catalog: env.Catalog}, env.Log)
	emu.Routes(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	svc := cms.New(cms.Config{GraphBaseURL: "http://" + ln.Addr().String() + "/sandbox/graph", GraphVersion: "v23.0"},
		cms.Deps{Scope: env.Scope, Tenants: env.Tenants, Jobs: env.Jobs, Audit: env.Audit, Catalog: env.Catalog, Log: env.Log,
			Actor: func(context.Context) string { return "user:test@example.sa" }})
	return &fixture{env: env, emu: emu, svc: svc}
}

// shop onboards a tenant; with a WABA id, it gets a WhatsApp number in
// that account (phone number id pnid).
func (f *fixture) shop(t *testing.T, slug, pnid, wabaID string) moduletest.Shop {
	t.Helper()
	s := f.env.Tenant(t, slug)
	if wabaID != "" {
		if _, err := f.env.Tenants.AddNumber(context.Background(), "test", s.Slug, tenants.NumberInput{PhoneNumberID: pnid,
			DisplayPhone: "+9665" + pnid[len(pnid)-8:], WABAID: wabaID, AccessToken: "token-" + pnid, AppSecret: "secret-" + pnid}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// mount serves the module as the composition root does, with stand-ins for
// the gateway's tenant resolution and sign-in: the staff door carries the
// shop of the X-Test-Shop header and lets everyone in.
func (f *fixture) mount(shops ...moduletest.Shop) *fiber.App {
	app := gateway.NewApp(gateway.AppConfig{Catalog: f.env.Catalog}, f.env.Log)
	pass := func(string, string) fiber.Handler { return func(c *fiber.Ctx) error { return c.Next() } }
	tenant := func(c *fiber.Ctx) error {
		for _, s := range shops {
			if s.Slug == c.Get("X-Test-Shop") || c.Get("X-Test-Shop") == "" {
				c.SetUserContext(s.Ctx)
				break
			}
		}
		return c.Next()
	}
	v1 := httpx.Prepend(app.Group("/api/v1"), tenant)
	f.svc.Mount(httpx.Routers{Staff: v1, Public: v1, Allow: pass, AllowPlatform: pass, Validator: httpx.NewValidator(), Catalog: f.env.Catalog})
	return app
}

// call sends one request to app and returns the status and body.
func call(t *testing.T, app *fiber.App, method, path, shop, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept-Language", "en")
	if shop != "" {
		req.Header.Set("X-Test-Shop", shop)
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code errs.Code) {
	t.Helper()
	if errs.CodeOf(err) != code {
		t.Fatalf("error %v, want %s", err, code)
	}
}

// wantField fails unless err is invalid with a field error on field whose
// message has id (and, when given, values containing want).
func wantField(t *testing.T, err error, field, id string, want ...string) {
	t.Helper()
	for _, fe := range errs.FieldsOf(err) {
		if fe.Field != field || fe.Msg.ID != id {
			continue
		}
		for _, w := range want {
			if !strings.Contains(fe.Msg.String(), w) {
				t.Fatalf("field %s: %s lacks %q", field, fe.Msg, w)
			}
		}
		return
	}
	t.Fatalf("error %v lacks field %s (%s)", err, field, id)
}

// inTx runs fn in the shop's scoped transaction.
func inTx(t *testing.T, f *fixture, s moduletest.Shop, fn func(ctx context.Context, tx bun.Tx) error) {
	t.Helper()
	if err := f.env.Scope.InTenantTx(s.Ctx, fn); err != nil {
		t.Fatal(err)
	}
}

// auditActions lists the shop's audit actions, oldest first, without
// onboarding's (tenant.*, domain.*, whatsapp_number.*).
func auditActions(t *testing.T, f *fixture, s moduletest.Shop) []string {
	t.Helper()
	var out []string
	inTx(t, f, s, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`SELECT action FROM audit_log WHERE tenant_id = ?
			AND action NOT LIKE 'tenant.%' AND action NOT LIKE 'domain.%' AND action NOT LIKE 'whatsapp\_number.%' ORDER BY seq`, s.ID).Scan(ctx, &out)
	})
	return out
}
