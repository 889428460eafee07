package sla_test

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
	"concierge/modules/moduletest"
	"concierge/modules/sla"
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

// TestHTTP: the routes as scenarios — the settings in their units (GET,
// PUT, every refusal by field in both languages), the breaches with their
// filters and pages, and the permission each route asks for.
func TestHTTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop, other := f.env.Tenant(t, "shop"), f.env.Tenant(t, "other")
	asked := map[string]string{}
	app := f.mount(shop, asked)
	otherApp := f.mount(other, map[string]string{})
	// Three breaches of the shop's (two dispatch, one return), one of the other tenant's.
	subjects := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	f.start(t, shop, sla.KindOrderDispatch, subjects[0])
	f.start(t, shop, sla.KindReturnDecision, subjects[1])
	f.start(t, shop, sla.KindOrderDispatch, subjects[2])
	f.start(t, other, sla.KindOrderDispatch, uuid.New())
	f.clock.Add(49 * time.Hour)
	f.sweep(t, 4)

	type page struct {
		Items []struct {
			ID            uuid.UUID `json:"id"`
			Kind          string    `json:"kind"`
			SubjectID     uuid.UUID `json:"subject_id"`
			DueAt         time.Time `json:"due_at"`
			BreachedAt    time.Time `json:"breached_at"`
			TargetSeconds int       `json:"target_seconds"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	var next string // the first page's cursor, for the next scenario
	tests := []struct {
		name, method, path, body string
		app                      *fiber.App
		status                   int
		contains                 []string
		check                    func(t *testing.T, body []byte)
	}{
		{name: "default settings", method: "GET", path: "/api/v1/settings/sla", status: 200,
			contains: []string{`"handoff_first_reply_minutes":15`, `"return_decision_hours":48`, `"order_dispatch_hours":48`, `"updated_at":null`}},
		{name: "settings saved", method: "PUT", path: "/api/v1/settings/sla",
			body:   `{"handoff_first_reply_minutes":10,"return_decision_hours":24,"order_dispatch_hours":72}`,
			status: 200, contains: []string{`"handoff_first_reply_minutes":10`, `"return_decision_hours":24`, `"order_dispatch_hours":72`, `"updated_at":"2026-03-03T10:00:00Z"`}},
		{name: "settings read back", method: "GET", path: "/api/v1/settings/sla", status: 200,
			contains: []string{`"handoff_first_reply_minutes":10`, `"return_decision_hours":24`, `"order_dispatch_hours":72`, `"updated_at":"2026-03-03T10:00:00Z"`}},
		{name: "what GET gave may be sent back", method: "PUT", path: "/api/v1/settings/sla",
			body:   `{"handoff_first_reply_minutes":10,"return_decision_hours":24,"order_dispatch_hours":72,"updated_at":"2026-03-03T10:00:00Z"}`,
			status: 200, contains: []string{`"order_dispatch_hours":72`}},
		{name: "another tenant still has the defaults", app: otherApp, method: "GET", path: "/api/v1/settings/sla", status: 200,
			contains: []string{`"handoff_first_reply_minutes":15`, `"updated_at":null`}},
		{name: "targets out of range", method: "PUT", path: "/api/v1/settings/sla",
			body:   `{"handoff_first_reply_minutes":0,"return_decision_hours":721,"order_dispatch_hours":48}`,
			status: 422, contains: []string{`"field":"handoff_first_reply_minutes"`, `"message_en":"must be at least 1"`,
				`"field":"return_decision_hours"`, `"message_en":"must be at most 720"`, `"message_ar":"يجب ألا يزيد عن 720"`},
			check: func(t *testing.T, body []byte) {
				if strings.Contains(string(body), `"field":"order_dispatch_hours"`) {
					t.Errorf("a good field refused: %s", body)
				}
			}},
		{name: "a target missing", method: "PUT", path: "/api/v1/settings/sla", body: `{"handoff_first_reply_minutes":15,"return_decision_hours":48}`,
			status: 422, contains: []string{`"field":"order_dispatch_hours"`, `"message_en":"is required"`}},
		{name: "a fraction", method: "PUT", path: "/api/v1/settings/sla",
			body:   `{"handoff_first_reply_minutes":1.5,"return_decision_hours":48,"order_dispatch_hours":48}`,
			status: 422, contains: []string{`"field":"handoff_first_reply_minutes"`, `"code":"type"`}},
		{name: "seconds are not this API's unit", method: "PUT", path: "/api/v1/settings/sla",
			body:   `{"handoff_first_reply_seconds":900,"return_decision_hours":48,"order_dispatch_hours":48}`,
			status: 422, contains: []string{`"field":"handoff_first_reply_seconds"`, `"code":"unknown"`}},
		{name: "no body", method: "PUT", path: "/api/v1/settings/sla", status: 400},
		{name: "breaches, first page", method: "GET", path: "/api/v1/sla/breaches?limit=2", status: 200,
			check: func(t *testing.T, body []byte) {
				var p page
				if err := json.Unmarshal(body, &p); err != nil || len(p.Items) != 2 || p.NextCursor == nil || *p.NextCursor == "" {
					t.Fatalf("page %s (%v)", body, err)
				}
				it := p.Items[0]
				if it.ID == uuid.Nil || it.DueAt.IsZero() || !it.BreachedAt.Equal(time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)) ||
					it.TargetSeconds != 48*3600 || (it.Kind != sla.KindOrderDispatch && it.Kind != sla.KindReturnDecision) {
					t.Fatalf("item %+v", it)
				}
				next = *p.NextCursor
			}},
		{name: "breaches, last page", method: "GET", path: "/api/v1/sla/breaches?limit=2&cursor=", status: 200,
			check: func(t *testing.T, body []byte) {
				var p page
				if err := json.Unmarshal(body, &p); err != nil || len(p.Items) != 1 || p.NextCursor != nil {
					t.Fatalf("page %s (%v)", body, err)
				}
			}},
		{name: "breaches of one kind since a time", method: "GET",
			path: "/api/v1/sla/breaches?kind=order_dispatch&since=2026-03-03T12:59:00%2B03:00", status: 200,
			check: func(t *testing.T, body []byte) {
				var p page
				if err := json.Unmarshal(body, &p); err != nil || len(p.Items) != 2 || p.Items[0].Kind != sla.KindOrderDispatch ||
					p.Items[1].Kind != sla.KindOrderDispatch || p.NextCursor != nil {
					t.Fatalf("page %s (%v)", body, err)
				}
			}},
		{name: "an unencoded offset is read back", method: "GET", path: "/api/v1/sla/breaches?since=2026-03-03T13:01:00+03:00", status: 200,
			contains: []string{`"items":[]`}},
		{name: "another tenant's list", app: otherApp, method: "GET", path: "/api/v1/sla/breaches", status: 200,
			check: func(t *testing.T, body []byte) {
				var p page
				if err := json.Unmarshal(body, &p); err != nil || len(p.Items) != 1 {
					t.Fatalf("page %s (%v)", body, err)
				}
				for _, s := range subjects {
					if p.Items[0].SubjectID == s {
						t.Fatalf("the other tenant sees the shop's breach: %s", body)
					}
				}
			}},
		{name: "bad filters, every one named", method: "GET", path: "/api/v1/sla/breaches?kind=late&since=yesterday&limit=500&cursor=xyz", status: 422,
			contains: []string{`"field":"kind"`, `"message_en":"must be one of: handoff_first_reply return_decision order_dispatch"`,
				`"field":"since"`, `"message_en":"must be a date and time in RFC 3339 form, such as 2026-03-01T09:00:00Z"`,
				`"message_ar":"يجب أن يكون تاريخًا ووقتًا بصيغة RFC 3339، مثل 2026-03-01T09:00:00Z"`,
				`"field":"limit"`, `"message_en":"must be 1 to 100"`,
				`"field":"cursor"`, `"message_en":"is not a cursor this list gave"`}},
		{name: "limit zero", method: "GET", path: "/api/v1/sla/breaches?limit=0", status: 422, contains: []string{`"field":"limit"`}},
		{name: "limit not a number", method: "GET", path: "/api/v1/sla/breaches?limit=ten", status: 422, contains: []string{`"field":"limit"`}},
	}
	// The clock stays at 2026-03-03T10:00:00Z: the breaches' time and the settings'.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if strings.HasSuffix(path, "cursor=") {
				path += next
			}
			req := httptest.NewRequest(tc.method, path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			a := tc.app
			if a == nil {
				a = app
			}
			res, err := a.Test(req, -1)
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
					t.Errorf("the answer lacks %s: %s", want, b)
				}
			}
			// No message id in place of a text: every id is in the catalog.
			if strings.Contains(string(b), "sla.") {
				t.Errorf("the answer shows a message id: %s", b)
			}
			if tc.check != nil {
				tc.check(t, b)
			}
		})
	}
	for route, want := range map[string]string{
		"GET /api/v1/sla/breaches": "orders:read",
		"GET /api/v1/settings/sla": "settings:read",
		"PUT /api/v1/settings/sla": "settings:write",
	} {
		if asked[route] != want {
			t.Errorf("%s asks for %q, want %q", route, asked[route], want)
		}
	}
}
