package stripe_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"concierge/internal/testenv"
	"concierge/plugins/payments"
	"concierge/plugins/payments/stripe"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	keyA    = "sk_test_tenantA123"
	keyB    = "rk_test_tenantB456" // stripe-mock takes test-mode keys only
	secretA = "whsec_dGVuYW50QQ=="
)

func settings(key string) payments.Settings {
	return payments.Settings{Enabled: true, Values: map[string]string{"secret_key": key, "webhook_secret": secretA}}
}

// recorded is one request the provider sent.
type recorded struct {
	Method, Path string
	Header       http.Header
	Form         url.Values
	Body         string
}

// recorder is a reverse proxy in front of stripe-mock that records every
// request, and answers itself those override takes (true: answered).
type recorder struct {
	URL      string
	mu       sync.Mutex
	reqs     []recorded
	override func(w http.ResponseWriter, r *http.Request, form url.Values) bool
}

func newRecorder(t *testing.T, override func(w http.ResponseWriter, r *http.Request, form url.Values) bool) *recorder {
	t.Helper()
	upstream, err := url.Parse(testenv.StripeMock(t))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{override: override}
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if r.Method == http.MethodGet {
			form = r.URL.Query()
		}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Form: form, Body: string(body)})
		rec.mu.Unlock()
		if rec.override != nil && rec.override(w, r, form) {
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

// answer writes a Stripe-shaped answer; Stripe-Should-Retry: false keeps
// stripe-go from retrying an error (and sleeping between tries).
func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Stripe-Should-Retry", "false")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func stripeError(typ, code, msg string) string {
	return `{"error": {"type": "` + typ + `", "code": "` + code + `", "message": "` + msg + `"}}`
}

func request() payments.PaymentRequest {
	return payments.PaymentRequest{
		Settings:    settings(keyA),
		TenantID:    "ten_1",
		TenantSlug:  "riyadh-roses",
		OrderID:     "ord_1",
		OrderNumber: "1001",
		PaymentID:   "pay_1",
		Amount:      15000,
		Currency:    "SAR",
		Shipping:    2500,
		VAT:         2500,
		Customer:    payments.Customer{Name: "Noura", Phone: "+966500000001", Locale: "ar"},
		Items: []payments.Item{
			{SKU: "ROSE-12", Name: "باقة ورد", Quantity: 2, UnitPrice: 4500},
			{SKU: "CARD", Name: "بطاقة", Quantity: 1, UnitPrice: 1000},
		},
		SuccessURL:     "https://riyadh-roses.example/pay/pay_1/done",
		CancelURL:      "https://riyadh-roses.example/pay/pay_1/cancel",
		IdempotencyKey: "pay_1:initiate",
		Now:            now,
	}
}

// line is one line item as sent.
type line struct {
	name      string
	unit, qty int64
	currency  string
}

func lines(t *testing.T, form url.Values) []line {
	t.Helper()
	var out []line
	for i := 0; ; i++ {
		p := "line_items[" + strconv.Itoa(i) + "]"
		if !form.Has(p + "[quantity]") {
			return out
		}
		unit, err1 := strconv.ParseInt(form.Get(p+"[price_data][unit_amount]"), 10, 64)
		qty, err2 := strconv.ParseInt(form.Get(p+"[quantity]"), 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("line %d: %v %v", i, err1, err2)
		}
		out = append(out, line{form.Get(p + "[price_data][product_data][name]"), unit, qty, form.Get(p + "[price_data][currency]")})
	}
}

func TestDescription(t *testing.T) {
	t.Parallel()
	p := stripe.New(stripe.Config{})
	if p.Name() != "stripe" {
		t.Errorf("Name() = %q", p.Name())
	}
	c := p.Capabilities()
	if c.SeparateCapture || c.PartialCapture || !c.Refunds || !c.PartialRefund || !c.Webhooks || !c.Redirect || c.CustomerConfirms {
		t.Errorf("Capabilities() = %+v", c)
	}
	for _, cur := range []string{"SAR", "AED", "KWD", "BHD", "OMR", "QAR", "USD", "EUR"} {
		if !c.Accepts(cur) {
			t.Errorf("does not accept %s", cur)
		}
	}
	if c.Accepts("sar") || c.Accepts("XYZ") {
		t.Error("accepts a lower-case or unknown code")
	}

	fields := map[string]payments.Field{}
	for _, f := range p.Fields() {
		fields[f.Name] = f
	}
	tests := []struct {
		field string
		value string
		ok    bool
	}{
		{"secret_key", "sk_test_51Habc", true},
		{"secret_key", "sk_live_51Habc", true},
		{"secret_key", "rk_live_51Habc", true},
		{"secret_key", "pk_test_51Habc", false},
		{"secret_key", "sk_test_", false},
		{"secret_key", "sk_test_abc\nx", false},
		{"webhook_secret", "whsec_abc+/=", true},
		{"webhook_secret", "whsec_", false},
		{"webhook_secret", "sk_test_abc", false},
	}
	for _, tt := range tests {
		f, ok := fields[tt.field]
		if !ok || f.Kind != payments.FieldSecret || !f.Required || f.Pattern == nil {
			t.Fatalf("field %s = %+v", tt.field, f)
		}
		if got := f.Pattern.MatchString(tt.value); got != tt.ok {
			t.Errorf("%s pattern on %q = %v, want %v", tt.field, tt.value, got, tt.ok)
		}
	}
	if len(fields) != 2 {
		t.Errorf("Fields() = %+v", p.Fields())
	}
}

func TestInitiate(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, nil)
	p := stripe.New(stripe.Config{APIBase: rec.URL})
	req := request()
	s, err := p.Initiate(context.Background(), req)
	if err != nil {
		t.Fatalf("Initiate: %v", err)
	}
	// What stripe-mock can prove of its answer: a session id and URL, and
	// the expiry it echoes.
	if !strings.HasPrefix(s.Ref, "cs_") || !strings.HasPrefix(s.RedirectURL, "https://") || s.Status != payments.StatusRequiresAction {
		t.Errorf("session = %+v", s)
	}
	if want := now.Add(24*time.Hour - time.Minute); !s.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", s.ExpiresAt, want)
	}

	reqs := rec.requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Path != "/v1/checkout/sessions" {
		t.Fatalf("requests = %+v", reqs)
	}
	r := reqs[0]
	if got := r.Header.Get("Idempotency-Key"); got != "pay_1:initiate" {
		t.Errorf("Idempotency-Key = %q", got)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+keyA {
		t.Errorf("Authorization = %q", got)
	}
	want := map[string]string{
		"mode":                 "payment",
		"currency":             "sar",
		"client_reference_id":  "ord_1",
		"success_url":          req.SuccessURL,
		"cancel_url":           req.CancelURL,
		"locale":               "auto", // Checkout has no Arabic
		"expires_at":           strconv.FormatInt(now.Add(24*time.Hour-time.Minute).Unix(), 10),
		"metadata[payment_id]": "pay_1",
		"metadata[order_id]":   "ord_1",
		"metadata[tenant_id]":  "ten_1",
		"payment_intent_data[metadata][payment_id]": "pay_1",
		"payment_intent_data[metadata][order_id]":   "ord_1",
		"payment_intent_data[metadata][tenant_id]":  "ten_1",
	}
	for k, v := range want {
		if got := r.Form.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	got := lines(t, r.Form)
	wantLines := []line{
		{"باقة ورد", 4500, 2, "sar"},
		{"بطاقة", 1000, 1, "sar"},
		{"الشحن", 2500, 1, "sar"},
		{"ضريبة القيمة المضافة", 2500, 1, "sar"}, // 15000 - 10000 - 2500
	}
	if len(got) != len(wantLines) {
		t.Fatalf("lines = %+v, want %+v", got, wantLines)
	}
	var total int64
	for i := range got {
		if got[i] != wantLines[i] {
			t.Errorf("line %d = %+v, want %+v", i, got[i], wantLines[i])
		}
		total += got[i].unit * got[i].qty
	}
	if total != req.Amount {
		t.Errorf("lines add up to %d, not %d", total, req.Amount)
	}
}

func TestInitiateLines(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, nil)
	p := stripe.New(stripe.Config{APIBase: rec.URL})
	tests := []struct {
		name   string
		change func(*payments.PaymentRequest)
		want   []line
	}{ // locale "en" gives locale=en; "ar" (the default here) auto
		{"english, VAT included in the prices", func(r *payments.PaymentRequest) {
			r.Customer.Locale, r.Amount = "en", 12500
		}, []line{{"باقة ورد", 4500, 2, "sar"}, {"بطاقة", 1000, 1, "sar"}, {"Shipping", 2500, 1, "sar"}}},
		{"no shipping", func(r *payments.PaymentRequest) {
			r.Customer.Locale, r.Shipping, r.Amount = "en", 0, 11500
		}, []line{{"باقة ورد", 4500, 2, "sar"}, {"بطاقة", 1000, 1, "sar"}, {"VAT", 1500, 1, "sar"}}},
		{"item without a name", func(r *payments.PaymentRequest) {
			r.Items = []payments.Item{{SKU: "X-1", Quantity: 1, UnitPrice: 100}, {Quantity: 3, UnitPrice: 100}}
			r.Shipping, r.Amount = 0, 400
		}, []line{{"X-1", 100, 1, "sar"}, {"منتج", 100, 3, "sar"}}},
		{"three decimals", func(r *payments.PaymentRequest) {
			r.Customer.Locale, r.Currency, r.Items, r.Shipping, r.Amount = "en", "KWD", []payments.Item{{Name: "Rose", Quantity: 1, UnitPrice: 1250}}, 0, 1250
		}, []line{{"Rose", 1250, 1, "kwd"}}},
	}
	for _, tt := range tests {
		req := request()
		tt.change(&req)
		req.IdempotencyKey = "key:" + tt.name
		if _, err := p.Initiate(context.Background(), req); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		reqs := rec.requests()
		r := reqs[len(reqs)-1]
		if r.Header.Get("Idempotency-Key") != req.IdempotencyKey {
			t.Errorf("%s: Idempotency-Key = %q", tt.name, r.Header.Get("Idempotency-Key"))
		}
		if want := map[string]string{"en": "en", "ar": "auto"}[req.Customer.Locale]; r.Form.Get("locale") != want {
			t.Errorf("%s: locale = %q", tt.name, r.Form.Get("locale"))
		}
		got := lines(t, r.Form)
		if len(got) != len(tt.want) {
			t.Errorf("%s: lines = %+v, want %+v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: line %d = %+v, want %+v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
}

// TestInitiateRetry: a retried checkout sends the same key with the same
// parameters, which is what makes Stripe answer the first session again
// (stripe-mock keeps no state, so its answers differ: the request is what
// is proved here). Each tenant's call carries that tenant's key.
func TestInitiateRetry(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, nil)
	p := stripe.New(stripe.Config{APIBase: rec.URL})
	a := request()
	b := request()
	b.Settings, b.TenantID, b.PaymentID, b.IdempotencyKey = settings(keyB), "ten_2", "pay_2", "pay_2:initiate"
	for _, r := range []payments.PaymentRequest{a, b, a} {
		if _, err := p.Initiate(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	reqs := rec.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	if reqs[0].Body != reqs[2].Body || reqs[0].Header.Get("Idempotency-Key") != reqs[2].Header.Get("Idempotency-Key") {
		t.Errorf("the retry differs:\n%s\n%s", reqs[0].Body, reqs[2].Body)
	}
	for i, want := range []string{keyA, keyB, keyA} {
		if got := reqs[i].Header.Get("Authorization"); got != "Bearer "+want {
			t.Errorf("request %d Authorization = %q, want tenant key %s", i, got, want)
		}
	}
	if got := reqs[1].Form.Get("metadata[payment_id]"); got != "pay_2" {
		t.Errorf("tenant B's metadata[payment_id] = %q", got)
	}
}

// TestInitiateRefused: what never reaches Stripe.
func TestInitiateRefused(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, nil)
	p := stripe.New(stripe.Config{APIBase: rec.URL})
	tests := []struct {
		name   string
		change func(*payments.PaymentRequest)
		err    error
	}{
		{"no secret key", func(r *payments.PaymentRequest) { r.Settings = payments.Settings{Enabled: true} }, payments.ErrMisconfigured},
		{"publishable key", func(r *payments.PaymentRequest) { r.Settings = settings("pk_test_abc") }, payments.ErrMisconfigured},
		{"items over the amount", func(r *payments.PaymentRequest) { r.Amount = 12000 }, payments.ErrMisconfigured},
		{"negative shipping", func(r *payments.PaymentRequest) { r.Shipping = -1 }, payments.ErrMisconfigured},
		{"zero quantity", func(r *payments.PaymentRequest) { r.Items[0].Quantity = 0 }, payments.ErrMisconfigured},
		{"negative price", func(r *payments.PaymentRequest) { r.Items[0].UnitPrice = -1 }, payments.ErrMisconfigured},
		{"overflowing line", func(r *payments.PaymentRequest) { r.Items[0].UnitPrice, r.Items[0].Quantity = 1<<62, 4 }, payments.ErrMisconfigured},
		{"currency not offered", func(r *payments.PaymentRequest) { r.Currency = "JPY" }, payments.ErrDeclined},
		{"nothing to pay", func(r *payments.PaymentRequest) { r.Amount, r.Items, r.Shipping = 0, nil, 0 }, payments.ErrDeclined},
		{"fils not in tens", func(r *payments.PaymentRequest) {
			r.Currency, r.Items, r.Shipping, r.Amount = "KWD", nil, 0, 1505
		}, payments.ErrDeclined},
		{"too many lines", func(r *payments.PaymentRequest) {
			r.Items = make([]payments.Item, 101)
			for i := range r.Items {
				r.Items[i] = payments.Item{Name: "x", Quantity: 1, UnitPrice: 1}
			}
			r.Shipping, r.Amount = 0, 101
		}, payments.ErrDeclined},
		{"no payment id", func(r *payments.PaymentRequest) { r.PaymentID = "" }, nil},
		{"no clock", func(r *payments.PaymentRequest) { r.Now = time.Time{} }, nil},
	}
	for _, tt := range tests {
		req := request()
		tt.change(&req)
		_, err := p.Initiate(context.Background(), req)
		if err == nil || (tt.err != nil && !errors.Is(err, tt.err)) {
			t.Errorf("%s: error = %v, want %v", tt.name, err, tt.err)
		}
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("%d requests reached Stripe", n)
	}
}

// TestErrors: Stripe's answers mapped to the errors the checkout acts on.
func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		// want for Initiate and for Refund; nil: no payments error.
		initiate, refund error
		// tries is how often stripe-go sends each call: once, unless the
		// answer is not Stripe's JSON (then it retries twice).
		tries int
	}{
		{"bad key", 401, stripeError("invalid_request_error", "", "Invalid API Key provided"), payments.ErrMisconfigured, payments.ErrMisconfigured, 1},
		{"restricted key lacks the right", 403, stripeError("invalid_request_error", "", "The provided key does not have the required permissions"), payments.ErrMisconfigured, payments.ErrMisconfigured, 1},
		{"rate limited", 429, stripeError("invalid_request_error", "rate_limit", "Too many requests"), payments.ErrUnavailable, payments.ErrUnavailable, 1},
		{"stripe down", 500, stripeError("api_error", "", "Something went wrong"), payments.ErrUnavailable, payments.ErrUnavailable, 1},
		{"bad gateway page", 502, "<html>bad gateway</html>", payments.ErrUnavailable, payments.ErrUnavailable, 3},
		{"card declined", 402, stripeError("card_error", "card_declined", "Your card was declined"), payments.ErrDeclined, payments.ErrDeclined, 1},
		{"amount too small", 400, stripeError("invalid_request_error", "amount_too_small", "Amount must be at least 2 SAR"), payments.ErrDeclined, payments.ErrDeclined, 1},
		{"invalid request", 400, stripeError("invalid_request_error", "parameter_invalid", "Invalid currency for this account"), payments.ErrMisconfigured, payments.ErrDeclined, 1},
		{"charge already refunded", 400, stripeError("invalid_request_error", "charge_already_refunded", "Charge has already been refunded"), payments.ErrMisconfigured, payments.ErrDeclined, 1},
		{"unknown object", 404, stripeError("invalid_request_error", "resource_missing", "No such payment_intent"), payments.ErrNotFound, payments.ErrNotFound, 1},
		{"idempotency conflict", 400, stripeError("idempotency_error", "", "Keys for idempotent requests can only be used with the same parameters"), nil, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ url.Values) bool {
				answer(w, tt.status, tt.body)
				return true
			})
			p := stripe.New(stripe.Config{APIBase: rec.URL})
			_, err := p.Initiate(context.Background(), request())
			checkErr(t, "Initiate", err, tt.initiate)
			_, err = p.Refund(context.Background(), payments.Operation{Settings: settings(keyA), PaymentRef: "pi_1", Amount: 100})
			checkErr(t, "Refund", err, tt.refund)
			if n := len(rec.requests()); n != 2*tt.tries {
				t.Errorf("%d requests, want %d", n, 2*tt.tries)
			}
		})
	}

	t.Run("no answer", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + ln.Addr().String()
		ln.Close() // nothing listens there now
		p := stripe.New(stripe.Config{APIBase: base})
		// stripe-go retries a refused connection twice (sleeping 0.5-1.5 s)
		// before giving up.
		_, err = p.Initiate(context.Background(), request())
		checkErr(t, "Initiate", err, payments.ErrUnavailable)

		ctx, cancel := context.WithCancel(context.Background())
		cancel() // a cancelled caller: stripe-go gives up at once
		_, err = p.Initiate(ctx, request())
		checkErr(t, "Initiate", err, payments.ErrUnavailable)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v does not carry the cancelled context", err)
		}
	})
}

func checkErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s succeeded, want an error", what)
		return
	}
	sentinels := []error{payments.ErrMisconfigured, payments.ErrUnavailable, payments.ErrDeclined, payments.ErrNotFound, payments.ErrUnsupported, payments.ErrBadSignature}
	for _, s := range sentinels {
		if got, wanted := errors.Is(err, s), s == want; got != wanted {
			t.Errorf("%s error %v: errors.Is(%v) = %v", what, err, s, got)
		}
	}
}

func TestRefund(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, nil)
	p := stripe.New(stripe.Config{APIBase: rec.URL})
	r, err := p.Refund(context.Background(), payments.Operation{
		Settings: settings(keyA), PaymentID: "pay_1", Ref: "cs_test_1", PaymentRef: "pi_123", Amount: 3000, Currency: "SAR",
		IdempotencyKey: "pay_1:refund:1", Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Ref, "re_") || r.Amount != 3000 { // stripe-mock echoes the amount
		t.Errorf("Refund = %+v", r)
	}
	reqs := rec.requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Path != "/v1/refunds" {
		t.Fatalf("requests = %+v", reqs)
	}
	f := reqs[0].Form
	if f.Get("payment_intent") != "pi_123" || f.Get("amount") != "3000" || f.Get("metadata[payment_id]") != "pay_1" {
		t.Errorf("refund form = %v", f)
	}
	if got := reqs[0].Header.Get("Idempotency-Key"); got != "pay_1:refund:1" {
		t.Errorf("Idempotency-Key = %q", got)
	}

	for _, op := range []payments.Operation{
		{Settings: settings(keyA), Amount: 3000},
		{Settings: settings(keyA), PaymentRef: "pi_1"},
	} {
		if _, err := p.Refund(context.Background(), op); err == nil {
			t.Errorf("Refund(%+v) succeeded", op)
		}
	}

	failed := newRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ url.Values) bool {
		answer(w, 200, `{"id": "re_1", "object": "refund", "amount": 3000, "status": "failed", "failure_reason": "lost_or_stolen_card"}`)
		return true
	})
	_, err = stripe.New(stripe.Config{APIBase: failed.URL}).Refund(context.Background(), payments.Operation{Settings: settings(keyA), PaymentRef: "pi_1", Amount: 3000})
	checkErr(t, "failed refund", err, payments.ErrDeclined)
}

func TestCapture(t *testing.T) {
	t.Parallel()
	_, err := stripe.New(stripe.Config{}).Capture(context.Background(), payments.Operation{Settings: settings(keyA), Ref: "cs_1", Amount: 1})
	if !errors.Is(err, payments.ErrUnsupported) {
		t.Errorf("Capture error = %v, want ErrUnsupported", err)
	}
}

// session is a Checkout Session as Stripe answers it, with status and
// payment status.
func session(status, paymentStatus string) string {
	return `{"id": "cs_test_1", "object": "checkout.session", "status": "` + status + `", "payment_status": "` + paymentStatus +
		`", "amount_total": 15000, "currency": "sar", "mode": "payment"}`
}

func TestCancel(t *testing.T) {
	t.Parallel()
	op := payments.Operation{Settings: settings(keyA), PaymentID: "pay_1", Ref: "cs_test_1", IdempotencyKey: "pay_1:cancel", Now: now}

	t.Run("open session", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(t, nil)
		r, err := stripe.New(stripe.Config{APIBase: rec.URL}).Cancel(context.Background(), op)
		if err != nil || r.Status != payments.StatusExpired {
			t.Fatalf("Cancel = %+v, %v", r, err)
		}
		reqs := rec.requests()
		if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Path != "/v1/checkout/sessions/cs_test_1/expire" ||
			reqs[0].Header.Get("Idempotency-Key") != "pay_1:cancel" {
			t.Errorf("requests = %+v", reqs)
		}
	})

	notOpen := func(status, paymentStatus string) func(w http.ResponseWriter, r *http.Request, _ url.Values) bool {
		return func(w http.ResponseWriter, r *http.Request, _ url.Values) bool {
			if r.Method == http.MethodPost {
				answer(w, 400, stripeError("invalid_request_error", "", "Only open Checkout Sessions can be expired."))
			} else {
				answer(w, 200, session(status, paymentStatus))
			}
			return true
		}
	}
	tests := []struct {
		name                  string
		status, paymentStatus string
		want                  payments.Status
		err                   error
	}{
		{"already paid", "complete", "paid", "", payments.ErrUnsupported},
		{"already expired", "expired", "unpaid", payments.StatusExpired, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t, notOpen(tt.status, tt.paymentStatus))
			r, err := stripe.New(stripe.Config{APIBase: rec.URL}).Cancel(context.Background(), op)
			if tt.err != nil {
				checkErr(t, "Cancel", err, tt.err)
				return
			}
			if err != nil || r.Status != tt.want {
				t.Errorf("Cancel = %+v, %v; want %s", r, err, tt.want)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	op := payments.Operation{Settings: settings(keyA), PaymentID: "pay_1", Ref: "cs_test_1", Now: now}

	t.Run("stripe-mock", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(t, nil)
		r, err := stripe.New(stripe.Config{APIBase: rec.URL}).Status(context.Background(), op)
		// stripe-mock's fixture session is open and unpaid.
		if err != nil || r.Status != payments.StatusRequiresAction {
			t.Fatalf("Status = %+v, %v", r, err)
		}
		if reqs := rec.requests(); len(reqs) != 1 || reqs[0].Method != http.MethodGet || reqs[0].Path != "/v1/checkout/sessions/cs_test_1" {
			t.Errorf("requests = %+v", reqs)
		}
	})

	tests := []struct {
		name                  string
		status, paymentStatus string
		want                  payments.Result
	}{
		{"paid", "complete", "paid", payments.Result{Status: payments.StatusCaptured, Amount: 15000}},
		{"nothing to pay", "complete", "no_payment_required", payments.Result{Status: payments.StatusCaptured, Amount: 15000}},
		{"bank transfer on its way", "complete", "unpaid", payments.Result{Status: payments.StatusRequiresAction}},
		{"open", "open", "unpaid", payments.Result{Status: payments.StatusRequiresAction}},
		{"expired", "expired", "unpaid", payments.Result{Status: payments.StatusExpired}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ url.Values) bool {
				answer(w, 200, session(tt.status, tt.paymentStatus))
				return true
			})
			r, err := stripe.New(stripe.Config{APIBase: rec.URL}).Status(context.Background(), op)
			if err != nil || r != tt.want {
				t.Errorf("Status = %+v, %v; want %+v", r, err, tt.want)
			}
		})
	}

	t.Run("unknown session", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ url.Values) bool {
			answer(w, 404, stripeError("invalid_request_error", "resource_missing", "No such checkout.session: 'cs_test_1'"))
			return true
		})
		_, err := stripe.New(stripe.Config{APIBase: rec.URL}).Status(context.Background(), op)
		checkErr(t, "Status", err, payments.ErrNotFound)
	})
}

// TestStripeMockValidates shows what an accepted Initiate proves: stripe-mock
// checks every parameter against Stripe's OpenAPI spec. The request the
// provider sent passes; the same request with Arabic as the page's locale
// (which Checkout does not have) or an unknown parameter does not.
func TestStripeMockValidates(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, nil)
	if _, err := stripe.New(stripe.Config{APIBase: rec.URL}).Initiate(context.Background(), request()); err != nil {
		t.Fatal(err)
	}
	sent := rec.requests()[0].Form
	post := func(form url.Values) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, rec.URL+"/v1/checkout/sessions", strings.NewReader(form.Encode()))
		req.Header.Set("Authorization", "Bearer "+keyA)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := post(sent); got != http.StatusOK {
		t.Errorf("the provider's request again: %d", got)
	}
	for name, change := range map[string]func(url.Values){
		"locale ar":         func(f url.Values) { f.Set("locale", "ar") },
		"unknown parameter": func(f url.Values) { f.Set("shipping_fee", "2500") },
		"amount as decimal": func(f url.Values) { f.Set("line_items[0][price_data][unit_amount]", "45.00") },
	} {
		f := url.Values{}
		for k, v := range sent {
			f[k] = append([]string(nil), v...)
		}
		change(f)
		if got := post(f); got != http.StatusBadRequest {
			t.Errorf("%s: stripe-mock answered %d, want 400", name, got)
		}
	}
}

// TestLogger: stripe-go's lines go to the configured logger, tagged, and
// never carry the tenant's key.
func TestLogger(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, nil)
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, err := stripe.New(stripe.Config{APIBase: rec.URL, Logger: logger}).Initiate(context.Background(), request()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "provider=stripe") || !strings.Contains(out, "/v1/checkout/sessions") {
		t.Errorf("log = %q", out)
	}
	if strings.Contains(out, keyA) {
		t.Error("the secret key was logged")
	}
}

// TestInitiateTotalMismatch: a session whose total Stripe computed
// differently (the account adds tax, say) is expired and refused.
func TestInitiateTotalMismatch(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ url.Values) bool {
		if r.URL.Path != "/v1/checkout/sessions" {
			return false // the expiry goes on to stripe-mock
		}
		answer(w, 200, `{"id": "cs_test_tax", "object": "checkout.session", "amount_total": 17250, "currency": "sar",
			"status": "open", "payment_status": "unpaid", "url": "https://checkout.stripe.com/c/pay/cs_test_tax"}`)
		return true
	})
	_, err := stripe.New(stripe.Config{APIBase: rec.URL}).Initiate(context.Background(), request())
	checkErr(t, "Initiate", err, payments.ErrMisconfigured)
	reqs := rec.requests()
	if len(reqs) != 2 || reqs[1].Path != "/v1/checkout/sessions/cs_test_tax/expire" {
		t.Errorf("requests = %+v, want the session expired", reqs)
	}
}
