package analytics_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/gateway"
	"concierge/internal/httpx"
	"concierge/modules/analytics"
	"concierge/modules/moduletest"
)

// mount serves the module the way the composition root does, with
// stand-ins for what the gateway and identity add: the staff door carries
// shop and lets everyone in (their own tests cover sign-in and
// permissions); the permission each route asks for is recorded.
func (f *fixture) mount(shop moduletest.Shop, asked map[string]string) *fiber.App {
	app := gateway.NewApp(gateway.AppConfig{Catalog: f.env.Catalog}, f.env.Log)
	allow := func(object, action string) fiber.Handler {
		return func(c *fiber.Ctx) error {
			asked[c.Method()+" "+c.Route().Path] = object + ":" + action
			return c.Next()
		}
	}
	tenant := func(c *fiber.Ctx) error {
		c.SetUserContext(shop.Ctx)
		return c.Next()
	}
	f.svc.Mount(httpx.Routers{
		Staff:     httpx.Prepend(app.Group("/api/v1"), tenant),
		Public:    httpx.Prepend(app.Group("/api/v1"), tenant),
		Allow:     allow,
		Validator: httpx.NewValidator(), Catalog: f.env.Catalog,
	})
	return app
}

type apiMoney struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type apiCounts struct {
	Conversations int64    `json:"conversations"`
	ProductViews  int64    `json:"product_views"`
	CartAdds      int64    `json:"cart_adds"`
	Checkouts     int64    `json:"checkouts_started"`
	Orders        int64    `json:"orders_placed"`
	Paid          int64    `json:"orders_paid"`
	Revenue       apiMoney `json:"revenue"`
	AOV           apiMoney `json:"average_order_value"`
}

type apiFunnel struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Currency string    `json:"currency"`
	Total    apiCounts `json:"total"`
	Web      apiCounts `json:"web"`
	WhatsApp apiCounts `json:"whatsapp"`
}

// TestHTTP: the funnel route as scenarios — the default week, days, an
// explicit period, every refusal by field in both languages, another
// tenant's answer, and the permission the route asks for.
func TestHTTP(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Second)
	f := newFixture(t, analytics.Config{}, now)
	shop, other := f.env.Tenant(t, "shop"), f.env.Tenant(t, "other")
	asked := map[string]string{}
	app := f.mount(shop, asked)
	otherApp := f.mount(other, map[string]string{})
	// The shop: two web orders paid in the last day (3000 and 1999), one
	// WhatsApp conversation with a view 20 days ago (in the month, not the
	// week: backdated events are stamped within a day, so the view is
	// recorded with the clock moved back).
	for _, amount := range []int64{3000, 1999} {
		id := uuid.New()
		f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NamePaid, Channel: analytics.ChannelWeb, OrderID: &id,
			Amount: amount, Currency: "SAR", At: now.Add(-time.Hour)})
	}
	f.clock.Add(-20 * 24 * time.Hour)
	f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NameConversationStarted, Channel: analytics.ChannelWhatsApp, SessionID: "c1"})
	f.svc.Record(shop.Ctx, analytics.Event{Name: analytics.NameProductViewed, Channel: analytics.ChannelWhatsApp, SessionID: "c1"})
	f.clock.Add(20 * 24 * time.Hour)
	f.flush(t)

	funnel := func(t *testing.T, body []byte) apiFunnel {
		t.Helper()
		var out apiFunnel
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return out
	}
	week := apiCounts{Orders: 0, Paid: 2, Revenue: apiMoney{4999, "SAR"}, AOV: apiMoney{2500, "SAR"}}
	tests := []struct {
		name, path string
		app        *fiber.App
		status     int
		contains   []string
		check      func(t *testing.T, body []byte)
	}{
		{name: "the default week", path: "/api/v1/analytics/funnel", status: 200,
			contains: []string{`"revenue":{"amount":4999,"currency":"SAR"}`, `"average_order_value":{"amount":2500,"currency":"SAR"}`,
				`"orders_paid":2`, `"whatsapp":{"conversations":0`},
			check: func(t *testing.T, body []byte) {
				got := funnel(t, body)
				if got.Total != week || got.Web != week || got.WhatsApp != (apiCounts{Revenue: apiMoney{0, "SAR"}, AOV: apiMoney{0, "SAR"}}) ||
					!got.To.Equal(now) || !got.From.Equal(now.Add(-7*24*time.Hour)) || got.Currency != "SAR" {
					t.Fatalf("%+v", got)
				}
			}},
		{name: "30 days", path: "/api/v1/analytics/funnel?days=30", status: 200,
			check: func(t *testing.T, body []byte) {
				got := funnel(t, body)
				if got.Total.Conversations != 1 || got.Total.ProductViews != 1 || got.WhatsApp.ProductViews != 1 || got.Total.Paid != 2 ||
					!got.From.Equal(now.Add(-30*24*time.Hour)) {
					t.Fatalf("%+v", got)
				}
			}},
		{name: "a period", path: "/api/v1/analytics/funnel?from=" + now.Add(-21*24*time.Hour).Format(time.RFC3339) +
			"&to=" + now.Add(-19*24*time.Hour).Format(time.RFC3339), status: 200,
			check: func(t *testing.T, body []byte) {
				got := funnel(t, body)
				if got.Total.ProductViews != 1 || got.Total.Paid != 0 || got.Total.Revenue != (apiMoney{0, "SAR"}) {
					t.Fatalf("%+v", got)
				}
			}},
		{name: "an unencoded offset is read back", path: "/api/v1/analytics/funnel?from=2026-03-01T00:00:00+03:00&to=2026-03-02T00:00:00+03:00",
			status: 200, contains: []string{`"from":"2026-02-28T21:00:00Z"`}},
		{name: "another tenant's funnel", app: otherApp, path: "/api/v1/analytics/funnel?days=30", status: 200,
			check: func(t *testing.T, body []byte) {
				if got := funnel(t, body); got.Total != (apiCounts{Revenue: apiMoney{0, "SAR"}, AOV: apiMoney{0, "SAR"}}) {
					t.Fatalf("the other tenant sees the shop's: %+v", got)
				}
			}},
		{name: "days out of range", path: "/api/v1/analytics/funnel?days=0", status: 422,
			contains: []string{`"field":"days"`, `"message_en":"must be 1 to 366"`}},
		{name: "days not a number", path: "/api/v1/analytics/funnel?days=week", status: 422, contains: []string{`"field":"days"`}},
		{name: "days and a period", path: "/api/v1/analytics/funnel?days=7&from=2026-03-01T00:00:00Z", status: 422,
			contains: []string{`"field":"days"`, `"message_en":"give either days or from and to, not both"`,
				`"message_ar":"أعطِ days أو from وto، لا كليهما"`}},
		{name: "bad times, both named", path: "/api/v1/analytics/funnel?from=yesterday&to=2026-13-01", status: 422,
			contains: []string{`"field":"from"`, `"field":"to"`,
				`"message_en":"must be a date and time in RFC 3339 form, such as 2026-03-01T00:00:00Z"`}},
		{name: "from without to", path: "/api/v1/analytics/funnel?from=2026-03-01T00:00:00Z", status: 422,
			contains: []string{`"field":"to"`, `"message_en":"is required"`}},
		{name: "to before from", path: "/api/v1/analytics/funnel?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", status: 422,
			contains: []string{`"field":"to"`, `"message_en":"must be after from"`}},
		{name: "longer than 366 days", path: "/api/v1/analytics/funnel?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", status: 422,
			contains: []string{`"field":"to"`, `"message_en":"the period may cover at most 366 days"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.app
			if a == nil {
				a = app
			}
			res, err := a.Test(httptest.NewRequest("GET", tc.path, nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("%d %s, want %d", res.StatusCode, b, tc.status)
			}
			if tc.status == 422 && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("content type %q", res.Header.Get("Content-Type"))
			}
			for _, want := range tc.contains {
				if !strings.Contains(string(b), want) {
					t.Errorf("the answer lacks %s: %s", want, b)
				}
			}
			// No message id in place of a text: every id is in the catalog.
			if strings.Contains(string(b), "analytics.") {
				t.Errorf("the answer shows a message id: %s", b)
			}
			if tc.check != nil {
				tc.check(t, b)
			}
		})
	}
	if got := asked["GET /api/v1/analytics/funnel"]; got != "analytics:read" {
		t.Errorf("the funnel asks for %q, want analytics:read", got)
	}
}
