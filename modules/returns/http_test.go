package returns

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"concierge/internal/gateway"
	"concierge/internal/httpx"
	"concierge/modules/orders"
)

// stubMedia hands out the same bytes for every media id.
type stubMedia struct {
	data []byte
	mime string
}

func (s stubMedia) DownloadMedia(context.Context, string, int64) ([]byte, string, error) {
	return s.data, s.mime, nil
}

// mount serves returns the way the composition root does, with stand-ins
// for what the gateway and identity add: both doors carry the fixture's
// tenant, the staff door lets everyone in (identity's tests cover sign-in
// and the policy).
func (f *fixture) mount(svc *Service) *fiber.App {
	app := gateway.NewApp(gateway.AppConfig{Catalog: f.env.Catalog}, f.env.Log)
	pass := func(string, string) fiber.Handler { return func(c *fiber.Ctx) error { return c.Next() } }
	tenant := func(c *fiber.Ctx) error {
		c.SetUserContext(f.ctx)
		return c.Next()
	}
	svc.Mount(httpx.Routers{
		Webhooks: app.Group(""), Root: app.Group(""), Platform: app.Group("/api/platform"),
		Staff:  httpx.Prepend(app.Group("/api/v1"), tenant),
		Public: httpx.Prepend(app.Group("/api/v1"), tenant),
		Allow:  pass, AllowPlatform: pass, Validator: httpx.NewValidator(), Catalog: f.env.Catalog,
	})
	return app
}

// TestHTTP: the routes as scenarios, in order — a staff request, its
// refusals in the reader's language, the list and the detail, the
// decision, the parcel, the photo with its headers, the window, and the
// storefront's own request with its proof.
func TestHTTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	svc := f.service(Config{}, stubMedia{data: pngOf(300), mime: "image/png"})
	app := f.mount(svc)
	o := f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.abaya, 2}, item{f.scarf, 1})
	f.clock.Set(deliveredAt.Add(time.Hour))
	// A request with a photo, stored by its job: the media route serves it.
	withPhoto, err := svc.Create(f.ctx, Request{OrderID: o.ID, Channel: ChannelStaff, Reason: ReasonDamaged,
		Lines: []LineRequest{{SKU: f.scarf.SKU, Quantity: 1}}, Media: []MediaRef{{ID: "555", MimeType: "image/png"}}})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := svc.Get(f.ctx, withPhoto.ID)
	if err := svc.FetchMedia(f.ctx, d.Media[0].ID, false); err != nil {
		t.Fatal(err)
	}
	photo := "/api/v1/returns/" + withPhoto.ID.String() + "/media/" + d.Media[0].ID.String()

	var id string // the staff request's, once made
	ret := func(suffix string) func() string { return func() string { return "/api/v1/returns/" + id + suffix } }
	fixed := func(p string) func() string { return func() string { return p } }
	tests := []struct {
		name, method string
		path         func() string
		body, lang   string
		status       int
		contains     []string
		headers      map[string]string
	}{
		{name: "more than ordered", method: "POST", path: fixed("/api/v1/returns"), lang: "en",
			body:   `{"order_id":"` + o.ID.String() + `","items":[{"sku":"` + f.abaya.SKU + `","quantity":3}],"reason":"wrong_size"}`,
			status: 422, contains: []string{`"field":"items[0].quantity"`, "at most 2 of " + f.abaya.SKU + " can be returned (ordered 2, already in other returns 0)"}},
		{name: "other without words, in Arabic", method: "POST", path: fixed("/api/v1/returns"),
			body:   `{"order_id":"` + o.ID.String() + `","items":[{"sku":"` + f.abaya.SKU + `","quantity":1}],"reason":"other"}`,
			status: 422, contains: []string{`"field":"reason_text"`, "مطلوب عندما يكون السبب «سبب آخر»"}},
		{name: "unknown reason", method: "POST", path: fixed("/api/v1/returns"), lang: "en",
			body:   `{"order_id":"` + o.ID.String() + `","items":[{"sku":"x","quantity":1}],"reason":"bored"}`,
			status: 422, contains: []string{`"field":"reason"`}},
		{name: "staff request", method: "POST", path: fixed("/api/v1/returns"),
			body:   `{"order_id":"` + o.ID.String() + `","items":[{"variant_id":"` + f.abaya.ID.String() + `","quantity":2}],"reason":"wrong_size","note":"by phone"}`,
			status: 201, contains: []string{`"rma":"RMA-1002"`, `"status":"requested"`, `"total":40000`, `"created_by":"user:staff-1"`, `"channel":"staff"`}},
		{name: "list", method: "GET", path: fixed("/api/v1/returns?status=requested&limit=1"), status: 200,
			contains: []string{`"rma":"RMA-1002"`, `"next_cursor":`}},
		{name: "list, bad status", method: "GET", path: fixed("/api/v1/returns?status=lost"), lang: "en", status: 422,
			contains: []string{"must be one of: requested approved rejected received refunded closed"}},
		{name: "detail", method: "GET", path: ret(""), status: 200, contains: []string{`"timeline":[{"kind":"requested"`, `"note":"by phone"`}},
		{name: "no such return", method: "GET", path: fixed("/api/v1/returns/nope"), lang: "en", status: 404, contains: []string{"No such return."}},
		{name: "reject without a note", method: "POST", path: ret("/decision"), body: `{"decision":"reject"}`, lang: "en",
			status: 422, contains: []string{`"field":"note"`, "it tells the customer why"}},
		{name: "received before the decision", method: "POST", path: ret("/received"), lang: "en",
			status: 409, contains: []string{"Only an approved return can be marked received; this one is requested."}},
		{name: "approve", method: "POST", path: ret("/decision"), body: `{"decision":"approve","note":"ok"}`,
			status: 200, contains: []string{`"status":"approved"`, `"refund_amount":40000`, `"refund_status":"pending"`}},
		{name: "approve again", method: "POST", path: ret("/decision"), body: `{"decision":"approve"}`, status: 200, contains: []string{`"status":"approved"`}},
		{name: "reject after approval", method: "POST", path: ret("/decision"), body: `{"decision":"reject","note":"no"}`, lang: "en",
			status: 409, contains: []string{"This return was already decided (it is approved)"}},
		{name: "received", method: "POST", path: ret("/received"), status: 200, contains: []string{`"status":"received"`, `"received_at":"`}},
		{name: "the photo", method: "GET", path: fixed(photo), status: 200, contains: []string{"\x89PNG"},
			headers: map[string]string{"Content-Type": "image/png", "Content-Disposition": "inline", "X-Content-Type-Options": "nosniff"}},
		{name: "the photo in the detail", method: "GET", path: fixed("/api/v1/returns/" + withPhoto.ID.String()), status: 200,
			contains: []string{`"media":[{"id":"` + d.Media[0].ID.String() + `","status":"stored","mime_type":"image/png","size_bytes":300`, `"url":"` + photo + `"`}},
		{name: "a photo of another return", method: "GET", path: ret("/media/" + d.Media[0].ID.String()), lang: "en", status: 404,
			contains: []string{"This return has no such photo."}},
		{name: "window", method: "GET", path: fixed("/api/v1/settings/returns"), status: 200, contains: []string{`"window_days":7`}},
		{name: "window too long", method: "PUT", path: fixed("/api/v1/settings/returns"), body: `{"window_days":400}`, status: 422,
			contains: []string{`"field":"window_days"`}},
		{name: "window changed", method: "PUT", path: fixed("/api/v1/settings/returns"), body: `{"window_days":14}`, status: 200,
			contains: []string{`"window_days":14`, `"updated_at":"`}},
		{name: "storefront, wrong phone", method: "POST", path: fixed("/api/v1/returns/customer"), lang: "en",
			body: `{"order_id":"` + o.ID.String() + `","order_number":` + strconv.FormatInt(o.Number, 10) +
				`,"phone":"0550000000","items":[{"sku":"` + f.scarf.SKU + `","quantity":1}],"reason":"damaged"}`,
			status: 404, contains: []string{"No such order."}},
		{name: "storefront, everything already asked", method: "POST", path: fixed("/api/v1/returns/customer"), lang: "en",
			body: `{"order_id":"` + o.ID.String() + `","order_number":` + strconv.FormatInt(o.Number, 10) +
				`,"phone":"0551234567","items":[{"sku":"` + f.scarf.SKU + `","quantity":1}],"reason":"damaged"}`,
			status: 422, contains: []string{"Every item of this order is already in a return request."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path(), strings.NewReader(tc.body))
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
			for k, v := range tc.headers {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if strings.Contains(string(b), `"returns.`) {
				t.Errorf("the answer shows a message id: %s", b)
			}
			if tc.name == "staff request" {
				var a APIReturn
				if err := json.Unmarshal(b, &a); err != nil {
					t.Fatal(err)
				}
				id = a.ID.String()
			}
		})
	}
	// The storefront's proof works for a new order.
	o2 := f.order(t, f.ctx, nil, orders.StatusDelivered, item{f.scarf, 1})
	body := `{"order_id":"` + o2.ID.String() + `","order_number":` + strconv.FormatInt(o2.Number, 10) +
		`,"phone":"+966 55 123 4567","items":[{"sku":"` + f.scarf.SKU + `","quantity":1}],"reason":"changed_mind"}`
	req := httptest.NewRequest("POST", "/api/v1/returns/customer", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 201 || !strings.Contains(string(b), `"channel":"web"`) || !strings.Contains(string(b), `"created_by":"customer:web"`) {
		t.Fatalf("storefront request: %d %s", res.StatusCode, b)
	}
}
