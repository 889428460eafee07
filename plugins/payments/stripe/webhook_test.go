package stripe_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"concierge/plugins/payments"
	"concierge/plugins/payments/stripe"
)

// sign signs body as Stripe does, by hand: t=<unix>,v1=<hex HMAC-SHA256 of
// "<unix>.<body>" keyed with the endpoint's secret>.
func sign(secret string, at time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.", at.Unix())
	mac.Write(body)
	return fmt.Sprintf("t=%d,v1=%s", at.Unix(), hex.EncodeToString(mac.Sum(nil)))
}

// delivery is a webhook request of body signed at at with secret, received
// at now.
func delivery(secret string, at time.Time, body []byte) payments.WebhookRequest {
	h := http.Header{}
	h.Set("Stripe-Signature", sign(secret, at, body))
	return payments.WebhookRequest{Settings: settings(keyA), Header: h, Body: body, Now: now}
}

// event is an event payload of type typ about object.
func event(typ, object string) []byte {
	return []byte(`{"id": "evt_1", "object": "event", "api_version": "2025-03-31.basil", "created": ` +
		fmt.Sprint(now.Add(-time.Minute).Unix()) + `, "livemode": false, "type": "` + typ + `", "data": {"object": ` + object + `}}`)
}

func checkoutSession(paymentStatus string) string {
	return `{"id": "cs_test_1", "object": "checkout.session", "amount_total": 15000, "currency": "sar", "mode": "payment",
		"status": "complete", "payment_status": "` + paymentStatus + `", "payment_intent": "pi_1",
		"metadata": {"tenant_id": "ten_1", "order_id": "ord_1", "payment_id": "pay_1"}}`
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	p := stripe.New(stripe.Config{})
	body := event("checkout.session.completed", checkoutSession("paid"))
	ctx := context.Background()

	// The hand-made signature and stripe-go's test helper agree.
	helper := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secretA, Timestamp: now})
	if got := sign(secretA, now, body); got != helper.Header {
		t.Fatalf("hand signature %q, stripe-go's %q", got, helper.Header)
	}

	tests := []struct {
		name string
		req  func() payments.WebhookRequest
		ok   bool
	}{
		{"signed now", func() payments.WebhookRequest { return delivery(secretA, now, body) }, true},
		// now is far from the wall clock: accepted only because tolerance
		// counts from req.Now.
		{"signed 299s before receipt", func() payments.WebhookRequest { return delivery(secretA, now.Add(-299*time.Second), body) }, true},
		{"signed 299s after receipt", func() payments.WebhookRequest { return delivery(secretA, now.Add(299*time.Second), body) }, true},
		{"stale: signed 301s before receipt", func() payments.WebhookRequest { return delivery(secretA, now.Add(-301*time.Second), body) }, false},
		{"signed 301s after receipt", func() payments.WebhookRequest { return delivery(secretA, now.Add(301*time.Second), body) }, false},
		{"signed for the wall clock, received at req.Now", func() payments.WebhookRequest {
			return delivery(secretA, time.Now(), body)
		}, false},
		{"another secret", func() payments.WebhookRequest { return delivery("whsec_b3RoZXI=", now, body) }, false},
		{"body changed after signing", func() payments.WebhookRequest {
			r := delivery(secretA, now, body)
			r.Body = []byte(strings.Replace(string(body), "15000", "1", 1))
			return r
		}, false},
		{"missing header", func() payments.WebhookRequest {
			r := delivery(secretA, now, body)
			r.Header.Del("Stripe-Signature")
			return r
		}, false},
		{"timestamp without signature", func() payments.WebhookRequest {
			r := delivery(secretA, now, body)
			r.Header.Set("Stripe-Signature", fmt.Sprintf("t=%d", now.Unix()))
			return r
		}, false},
		{"v0 scheme only", func() payments.WebhookRequest {
			r := delivery(secretA, now, body)
			r.Header.Set("Stripe-Signature", strings.Replace(r.Header.Get("Stripe-Signature"), "v1=", "v0=", 1))
			return r
		}, false},
		{"signature moved to another timestamp", func() payments.WebhookRequest {
			r := delivery(secretA, now.Add(-time.Hour), body)
			sig := strings.SplitN(r.Header.Get("Stripe-Signature"), ",", 2)[1]
			r.Header.Set("Stripe-Signature", fmt.Sprintf("t=%d,%s", now.Unix(), sig))
			return r
		}, false},
		{"rolled secret: one of two signatures valid", func() payments.WebhookRequest {
			r := delivery(secretA, now, body)
			old := strings.SplitN(sign("whsec_b2xk", now, body), ",", 2)[1]
			r.Header.Set("Stripe-Signature", r.Header.Get("Stripe-Signature")+","+old)
			return r
		}, true},
		{"no webhook secret set", func() payments.WebhookRequest {
			r := delivery(secretA, now, body)
			r.Settings = payments.Settings{Enabled: true, Values: map[string]string{"secret_key": keyA}}
			return r
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			events, err := p.HandleWebhook(ctx, tt.req())
			if tt.ok {
				if err != nil || len(events) != 1 {
					t.Errorf("HandleWebhook = %v, %v; want one event", events, err)
				}
				return
			}
			if !errors.Is(err, payments.ErrBadSignature) || events != nil {
				t.Errorf("HandleWebhook = %v, %v; want ErrBadSignature", events, err)
			}
		})
	}
}

func TestWebhookEvents(t *testing.T) {
	t.Parallel()
	p := stripe.New(stripe.Config{})
	at := now.Add(-time.Minute)
	captured := payments.Event{ID: "evt_1", Kind: payments.EventCaptured, PaymentID: "pay_1", Ref: "cs_test_1", PaymentRef: "pi_1",
		Amount: 15000, Currency: "SAR", At: at}
	with := func(e payments.Event, f func(*payments.Event)) []payments.Event {
		f(&e)
		return []payments.Event{e}
	}
	charge := func(amountRefunded int, metadata, paymentIntent string) string {
		return fmt.Sprintf(`{"id": "ch_1", "object": "charge", "amount": 15000, "amount_captured": 15000, "amount_refunded": %d,
			"currency": "sar", "refunded": false, "payment_intent": %s, "metadata": %s}`, amountRefunded, paymentIntent, metadata)
	}
	tests := []struct {
		name string
		body []byte
		want []payments.Event
	}{
		{"completed and paid", event("checkout.session.completed", checkoutSession("paid")), []payments.Event{captured}},
		{"completed with nothing to pay", event("checkout.session.completed", checkoutSession("no_payment_required")), []payments.Event{captured}},
		{"completed, paying by an async method", event("checkout.session.completed", checkoutSession("unpaid")),
			with(captured, func(e *payments.Event) { e.Kind, e.Amount = payments.EventRequiresAction, 0 })},
		{"async payment succeeded", event("checkout.session.async_payment_succeeded", checkoutSession("paid")), []payments.Event{captured}},
		{"async payment failed", event("checkout.session.async_payment_failed", checkoutSession("unpaid")),
			with(captured, func(e *payments.Event) { e.Kind, e.Amount, e.Reason = payments.EventFailed, 0, "async_payment_failed" })},
		{"expired", event("checkout.session.expired", strings.Replace(checkoutSession("unpaid"), `"pi_1"`, "null", 1)),
			with(captured, func(e *payments.Event) { e.Kind, e.Amount, e.PaymentRef = payments.EventExpired, 0, "" })},
		{"expanded payment intent", event("checkout.session.completed", strings.Replace(checkoutSession("paid"), `"pi_1"`, `{"id": "pi_1", "object": "payment_intent"}`, 1)),
			[]payments.Event{captured}},
		{"charge refunded in part", event("charge.refunded", charge(3000, `{"payment_id": "pay_1"}`, `"pi_1"`)),
			[]payments.Event{{ID: "evt_1", Kind: payments.EventRefunded, PaymentID: "pay_1", PaymentRef: "pi_1", Amount: 3000, Currency: "SAR", At: at}}},
		{"charge refunded, no metadata", event("charge.refunded", charge(15000, `{}`, `"pi_1"`)),
			[]payments.Event{{ID: "evt_1", Kind: payments.EventRefunded, PaymentRef: "pi_1", Amount: 15000, Currency: "SAR", At: at}}},
		{"charge refunded, nothing to find it by", event("charge.refunded", charge(15000, `{}`, `null`)), nil},
		{"session not made by the checkout", event("checkout.session.completed", strings.Replace(checkoutSession("paid"), `"payment_id": "pay_1"`, `"other": "x"`, 1)), nil},
		{"unknown payment status", event("checkout.session.completed", checkoutSession("processing")), nil},
		{"unknown event type", event("customer.created", `{"id": "cus_1", "object": "customer"}`), nil},
		{"payment intent event", event("payment_intent.succeeded", `{"id": "pi_1", "object": "payment_intent", "amount": 15000}`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := p.HandleWebhook(context.Background(), delivery(secretA, now, tt.body))
			if err != nil {
				t.Fatalf("HandleWebhook: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("HandleWebhook =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestWebhookMalformed: authentic deliveries that cannot be read are errors,
// not ErrBadSignature, and never panics.
func TestWebhookMalformed(t *testing.T) {
	t.Parallel()
	p := stripe.New(stripe.Config{})
	bodies := map[string]string{
		"not json":                `garbage`,
		"empty":                   ``,
		"array":                   `[1, 2]`,
		"truncated":               `{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {"id": "cs_1"`,
		"no id":                   `{"type": "checkout.session.completed", "data": {"object": {}}}`,
		"no data":                 `{"id": "evt_1", "type": "checkout.session.completed"}`,
		"data.object a string":    `{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": "cs_1"}}`,
		"data.object null":        `{"id": "evt_1", "type": "charge.refunded", "data": {"object": null}}`,
		"amount a string":         `{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {"id": "cs_1", "amount_total": "15000"}}}`,
		"metadata not strings":    `{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {"id": "cs_1", "metadata": {"payment_id": 5}}}}`,
		"payment intent a number": `{"id": "evt_1", "type": "charge.refunded", "data": {"object": {"id": "ch_1", "payment_intent": 7}}}`,
		"session without id":      `{"id": "evt_1", "type": "checkout.session.expired", "data": {"object": {"metadata": {"payment_id": "pay_1"}}}}`,
		"created out of range":    `{"id": "evt_1", "type": "charge.refunded", "created": 1e400, "data": {"object": {"id": "ch_1"}}}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			events, err := p.HandleWebhook(context.Background(), delivery(secretA, now, []byte(body)))
			if err == nil || errors.Is(err, payments.ErrBadSignature) || events != nil {
				t.Errorf("HandleWebhook = %v, %v; want an error other than ErrBadSignature", events, err)
			}
		})
	}
}

// FuzzHandleWebhook: an authentic delivery of any body never panics, is
// never taken for a forgery, and whatever events it gives are complete.
func FuzzHandleWebhook(f *testing.F) {
	f.Add(event("checkout.session.completed", checkoutSession("paid")))
	f.Add(event("checkout.session.expired", checkoutSession("unpaid")))
	f.Add(event("charge.refunded", `{"id": "ch_1", "amount_refunded": 300, "currency": "sar", "payment_intent": {"id": "pi_1"}, "metadata": {"payment_id": "p"}}`))
	f.Add([]byte(`{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": "x"}}`))
	f.Add([]byte(`{"data": {"object": {"payment_intent": [{}]}}}`))
	f.Add([]byte(`null`))
	f.Add([]byte{0xff, 0xfe})
	p := stripe.New(stripe.Config{})
	kinds := map[payments.EventKind]bool{payments.EventCaptured: true, payments.EventRequiresAction: true,
		payments.EventFailed: true, payments.EventExpired: true, payments.EventRefunded: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := p.HandleWebhook(context.Background(), delivery(secretA, now, body))
		if errors.Is(err, payments.ErrBadSignature) {
			t.Fatalf("authentic delivery refused as a forgery: %v", err)
		}
		for _, e := range events {
			if e.ID == "" || !kinds[e.Kind] || (e.PaymentID == "" && e.PaymentRef == "") {
				t.Fatalf("incomplete event %+v from %q", e, body)
			}
		}
	})
}
