package invoices_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"concierge/modules/invoices"
	"concierge/modules/orders"
)

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, app *fiber.App, method, url, body string, header map[string]string) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, url, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

var jsonAccept = map[string]string{"Accept": "application/json"}

type apiDoc struct {
	ID          string `json:"id"`
	Number      string `json:"number"`
	Kind        string `json:"kind"`
	OrderNumber string `json:"order_number"`
	RefersTo    string `json:"refers_to"`
	IssuedAt    string `json:"issued_at"`
	Currency    string `json:"currency"`
	Subtotal    int64  `json:"subtotal"`
	Discount    int64  `json:"discount"`
	Shipping    int64  `json:"shipping"`
	VAT         int64  `json:"vat"`
	Total       int64  `json:"total"`
	Seller      struct {
		Name      string `json:"name"`
		NameEN    string `json:"name_en"`
		VATNumber string `json:"vat_number"`
	} `json:"seller"`
	Lines []struct {
		Title     struct{ AR, EN string } `json:"title"`
		Quantity  int                     `json:"quantity"`
		UnitPrice int64                   `json:"unit_price"`
		VAT       int64                   `json:"vat"`
		Total     int64                   `json:"total"`
	} `json:"lines"`
	QR          string   `json:"qr_tlv_base64"`
	PublicURL   string   `json:"public_url"`
	CreditNotes []apiDoc `json:"credit_notes"`
}

// TestInvoiceJSONAndQR: the staff route's JSON, and its QR payload decoded
// tag by tag.
func TestInvoiceJSONAndQR(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.shop(t, true)
	app := f.mount(shop)
	lines := []orders.Line{line("BAG-1", "حقيبة", "Bag", 1, 20000)}
	o := f.confirmed(t, shop.Ctx, lines, totals(lines, 0, false)) // 200.00 + 30.00 VAT
	res := do(t, app, "GET", "/api/v1/orders/"+o.ID.String()+"/invoice", "", jsonAccept)
	if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "application/json") || res.header.Get("Cache-Control") != "private, no-store" {
		t.Fatalf("%d %v %s", res.status, res.header, res.body)
	}
	var d apiDoc
	if err := json.Unmarshal([]byte(res.body), &d); err != nil {
		t.Fatal(err)
	}
	if d.Number != "1" || d.Kind != "invoice" || d.Currency != "SAR" || d.Subtotal != 20000 || d.VAT != 3000 || d.Total != 23000 ||
		d.Seller.Name != "متجر الرياض" || d.Seller.NameEN != "Riyadh Store" || d.Seller.VATNumber != "310122393500003" ||
		d.IssuedAt != "2026-12-02T14:05:00Z" || d.CreditNotes == nil || len(d.CreditNotes) != 0 {
		t.Fatalf("document: %s", res.body)
	}
	if len(d.Lines) != 1 || d.Lines[0].Title.AR != "حقيبة" || d.Lines[0].UnitPrice != 20000 || d.Lines[0].VAT != 3000 || d.Lines[0].Total != 23000 {
		t.Fatalf("lines: %+v", d.Lines)
	}
	if !strings.HasPrefix(d.PublicURL, "https://concierge.test/invoices/") {
		t.Fatalf("public url %q", d.PublicURL)
	}
	raw, err := base64.StdEncoding.DecodeString(d.QR)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := invoices.DecodeTLV(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := []invoices.TLVField{{Tag: 1, Value: "متجر الرياض"}, {Tag: 2, Value: "310122393500003"}, {Tag: 3, Value: "2026-12-02T14:05:00Z"},
		{Tag: 4, Value: "230.00"}, {Tag: 5, Value: "30.00"}}
	if len(fields) != len(want) {
		t.Fatalf("QR fields: %+v", fields)
	}
	for i := range want {
		if fields[i] != want[i] {
			t.Errorf("QR tag %d: %q, want %q", want[i].Tag, fields[i].Value, want[i].Value)
		}
	}
	if raw[1] != 21 {
		t.Fatalf("the seller name's length byte is %d, want 21 (UTF-8 bytes)", raw[1])
	}
	// A refund adds a credit note that refers to the invoice.
	f.refunded(t, shop.Ctx, o.ID, 11500)
	res = do(t, app, "GET", "/api/v1/orders/"+o.ID.String()+"/invoice", "", jsonAccept)
	d = apiDoc{}
	if err := json.Unmarshal([]byte(res.body), &d); err != nil || len(d.CreditNotes) != 1 {
		t.Fatalf("%v %s", err, res.body)
	}
	if cn := d.CreditNotes[0]; cn.Kind != "credit_note" || cn.Number != "2" || cn.RefersTo != "1" || cn.Total != 11500 || cn.VAT != 1500 ||
		cn.Subtotal != 10000 || cn.PublicURL == d.PublicURL {
		t.Fatalf("credit note: %+v", cn)
	}
}

// pngImage finds the QR's data: URI (html/template writes "+" as "&#43;").
var pngImage = regexp.MustCompile(`<img src="data:image/png;base64,([^"]+)"`)

// checkPage: a document page is Arabic first, right to left, with the
// seller, the VAT number and the QR as a PNG.
func checkPage(t *testing.T, res response, want ...string) {
	t.Helper()
	if res.status != 200 || res.header.Get("Content-Type") != "text/html; charset=utf-8" ||
		!strings.Contains(res.header.Get("Content-Security-Policy"), "img-src data:") {
		t.Fatalf("%d %v", res.status, res.header)
	}
	for _, s := range append([]string{`<html lang="ar" dir="rtl">`, "فاتورة ضريبية مبسطة", "Simplified Tax Invoice", "متجر الرياض", "Riyadh Store",
		"310122393500003", "@media print", "2026-12-02 17:05"}, want...) {
		if !strings.Contains(res.body, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
	m := pngImage.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no QR image in the page")
	}
	png, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("the QR is not a PNG: %v", err)
	}
}

// TestInvoicePages: the staff route's HTML (the default) and the signed
// public link: same page, no login, not cached or indexed; a tampered or
// foreign token is a 404 page.
func TestInvoicePages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop, other := f.shop(t, true), f.shop(t, true)
	app := f.mount(shop)
	lines, tot := abayaOrder()
	o := f.confirmed(t, shop.Ctx, lines, tot)
	url := "/api/v1/orders/" + o.ID.String() + "/invoice"
	for _, accept := range []string{"", "*/*", "text/html,application/xhtml+xml,application/json;q=0.9"} {
		res := do(t, app, "GET", url, "", map[string]string{"Accept": accept})
		checkPage(t, res, "عباية سوداء", "Black abaya", "230.00", "٪")
	}
	f.refunded(t, shop.Ctx, o.ID, 10000)
	res := do(t, app, "GET", url, "", jsonAccept)
	var d apiDoc
	if err := json.Unmarshal([]byte(res.body), &d); err != nil {
		t.Fatal(err)
	}
	checkPage(t, do(t, app, "GET", url, "", nil), "إشعار دائن", "Credit Note", "Credit note for invoice no. 1")

	// The public link: no staff door, the tenant from the token.
	public := strings.TrimPrefix(d.PublicURL, "https://concierge.test")
	res = do(t, app, "GET", public, "", nil)
	checkPage(t, res, "إشعار دائن")
	if res.header.Get("Cache-Control") != "private, no-store" || res.header.Get("X-Robots-Tag") != "noindex" {
		t.Fatalf("public headers: %v", res.header)
	}
	cn := do(t, app, "GET", strings.TrimPrefix(d.CreditNotes[0].PublicURL, "https://concierge.test"), "", nil)
	if cn.status != 200 || !strings.Contains(cn.body, "إشعار دائن") || strings.Contains(cn.body, "فاتورة ضريبية مبسطة") {
		t.Fatalf("the credit note's own link: %d", cn.status)
	}
	tok := strings.TrimPrefix(public, "/invoices/")
	flip := "A"
	if tok[10] == 'A' {
		flip = "B"
	}
	tampered := tok[:10] + flip + tok[11:]
	_, id, _ := f.svc.Verify(tok)
	for name, path := range map[string]string{
		"tampered":      "/invoices/" + tampered,
		"garbage":       "/invoices/not-a-token",
		"other tenant":  "/invoices/" + f.svc.Token(other.ID, id), // validly signed, but the document is not the other tenant's
		"no such thing": "/invoices/" + f.svc.Token(shop.ID, o.ID),
	} {
		res := do(t, app, "GET", path, "", nil)
		if res.status != 404 || res.header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(res.body, "Invoice not found") ||
			res.header.Get("X-Robots-Tag") != "noindex" || strings.Contains(res.body, "متجر الرياض") {
			t.Errorf("%s: %d %v", name, res.status, res.header)
		}
	}
}

// TestInvoiceRouteErrors: problems for an unknown order, an unconfirmed
// one and a store without a VAT number.
func TestInvoiceRouteErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop, novat := f.shop(t, true), f.shop(t, false)
	lines, tot := abayaOrder()
	pending := f.order(t, shop.Ctx, lines, tot)
	confirmed := f.confirmed(t, novat.Ctx, lines, tot)
	en := map[string]string{"Accept": "application/json", "Accept-Language": "en"}
	for _, tc := range []struct {
		name   string
		app    *fiber.App
		id     string
		status int
		detail string
	}{
		{"malformed id", f.mount(shop), "nope", 404, "No such order."},
		{"unknown order", f.mount(shop), "0190a9b4-7c2e-7d4f-8a1b-2c3d4e5f6a7b", 404, "No such order."},
		{"not confirmed", f.mount(shop), pending.ID.String(), 409, "has not been confirmed"},
		{"no VAT number", f.mount(novat), confirmed.ID.String(), 409, "has not set its VAT number"},
		{"another tenant's order", f.mount(shop), confirmed.ID.String(), 404, "No such order."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, tc.app, "GET", "/api/v1/orders/"+tc.id+"/invoice", "", en)
			if res.status != tc.status || !strings.HasPrefix(res.header.Get("Content-Type"), "application/problem+json") || !strings.Contains(res.body, tc.detail) {
				t.Fatalf("%d %s", res.status, res.body)
			}
		})
	}
}

// TestSettingsRoutes: GET and PUT /settings/invoicing.
func TestSettingsRoutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.shop(t, false)
	app := f.mount(shop)
	res := do(t, app, "GET", "/api/v1/settings/invoicing", "", nil)
	var s map[string]any
	if err := json.Unmarshal([]byte(res.body), &s); err != nil || res.status != 200 || s["configured"] != false || s["vat_number"] != "" ||
		s["seller_name_ar"] != shop.NameAR {
		t.Fatalf("%d %s", res.status, res.body)
	}
	for _, tc := range []struct {
		name, body string
		fields     []string
	}{
		{"everything wrong", `{"vat_number": "123", "seller_name_ar": "", "seller_name_en": "x\ny"}`, []string{"vat_number", "seller_name_ar", "seller_name_en"}},
		{"missing", `{}`, []string{"vat_number", "seller_name_ar", "seller_name_en"}},
		{"unknown field", `{"vat_number": "300000000000003", "seller_name_ar": "متجر", "seller_name_en": "Store", "next_number": 5}`, []string{"next_number"}},
		{"wrong type", `{"vat_number": 300000000000003, "seller_name_ar": "متجر", "seller_name_en": "Store"}`, []string{"vat_number"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, app, "PUT", "/api/v1/settings/invoicing", tc.body, nil)
			var p struct {
				Errors []struct{ Field, Message string } `json:"errors"`
			}
			if err := json.Unmarshal([]byte(res.body), &p); err != nil || res.status != 422 {
				t.Fatalf("%d %s", res.status, res.body)
			}
			got := map[string]bool{}
			for _, e := range p.Errors {
				got[e.Field] = e.Message != ""
			}
			for _, name := range tc.fields {
				if !got[name] {
					t.Errorf("no error for %s: %s", name, res.body)
				}
			}
		})
	}
	res = do(t, app, "PUT", "/api/v1/settings/invoicing", `{"vat_number": "٣١٠١٢٢٣٩٣٥٠٠٠٠٣", "seller_name_ar": " متجر الرياض ", "seller_name_en": "Riyadh Store"}`, nil)
	if err := json.Unmarshal([]byte(res.body), &s); err != nil || res.status != 200 || s["vat_number"] != "310122393500003" ||
		s["seller_name_ar"] != "متجر الرياض" || s["configured"] != true {
		t.Fatalf("%d %s", res.status, res.body)
	}
	// GET's answer sent back is accepted as it is.
	get := do(t, app, "GET", "/api/v1/settings/invoicing", "", nil)
	if res := do(t, app, "PUT", "/api/v1/settings/invoicing", get.body, nil); res.status != 200 || res.body != get.body && !strings.Contains(res.body, "310122393500003") {
		t.Fatalf("echo: %d %s", res.status, res.body)
	}
}
