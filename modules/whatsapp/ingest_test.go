package whatsapp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"concierge/internal/errs"
	"concierge/modules/whatsapp"
	"concierge/modules/whatsapp/cloudapi"
)

// TestIngestStoresEachMessageOnceWithItsJob: a delivery's messages are
// stored with one processing job per conversation; Meta's redelivery of the
// same body stores nothing more.
func TestIngestStoresEachMessageOnceWithItsJob(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := phone(), phone()
	now := f.clock.Now()
	delivery := messages(f.number.PhoneNumberID, text(a, "مرحبا", now), text(b, "hello", now), text(a, "English", now.Add(time.Second)))
	if res := f.deliver(delivery); res != (whatsapp.IngestResult{Stored: 3}) {
		t.Fatalf("first delivery: %+v, want 3 stored", res)
	}
	if res := f.deliver(delivery); res != (whatsapp.IngestResult{Duplicates: 3}) {
		t.Fatalf("redelivery: %+v, want 3 duplicates", res)
	}
	in := f.rows(whatsapp.In)
	if len(in) != 3 {
		t.Fatalf("%d inbound messages stored, want 3", len(in))
	}
	for _, r := range in {
		if r.Status != whatsapp.StatusReceived || r.Author != whatsapp.AuthorCustomer || r.Kind != "text" {
			t.Fatalf("stored %+v", r)
		}
	}
	if convs := f.jobConversations(); len(convs) != 2 {
		t.Fatalf("processing jobs for %d conversations, want 2", len(convs))
	}
	if c := f.customer(a); c.Consent != whatsapp.ConsentUnknown || c.ProfileName != "" {
		t.Fatalf("a new customer is %+v: nothing beyond the message before consent", c)
	}
}

// TestIngestRefuses: nothing is stored from a delivery whose signature does
// not prove it, or that is not a WhatsApp webhook at all.
func TestIngestRefuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *whatsapp.Config, _ *whatsapp.Deps) { c.PlatformAppSecret = "platform-secret" })
	_, otherNumber, otherSecret := f.addShop("other")
	wa := phone()
	mine := messages(f.number.PhoneNumberID, text(wa, "مرحبا", f.clock.Now()))
	both := []byte(strings.Replace(string(mine), `"changes":[`, `"changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"`+otherNumber.PhoneNumberID+`"},"messages":[{"from":"`+wa+`","id":"wamid.other","timestamp":"1","type":"text","text":{"body":"x"}}]}},`, 1))
	tests := []struct {
		name      string
		body      []byte
		signature string
		code      errs.Code
		message   string
	}{
		{"no signature", mine, "", errs.CodeUnauthorized, "whatsapp.webhook.bad_signature"},
		{"wrong secret", mine, cloudapi.Sign(mine, "guess"), errs.CodeUnauthorized, "whatsapp.webhook.bad_signature"},
		{"another tenant's secret", mine, cloudapi.Sign(mine, otherSecret), errs.CodeUnauthorized, "whatsapp.webhook.bad_signature"},
		{"two tenants, one secret", both, cloudapi.Sign(both, f.secret), errs.CodeUnauthorized, "whatsapp.webhook.bad_signature"},
		{"not JSON", []byte(`{"object":`), "sha256=00", errs.CodeMalformed, "whatsapp.webhook.not_json"},
		{"not WhatsApp", []byte(`{"object":"page","entry":[]}`), "sha256=00", errs.CodeMalformed, "whatsapp.webhook.not_whatsapp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Ingest(context.Background(), tc.body, tc.signature)
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Msg.ID != tc.message || !f.env.Catalog.Has(e.Msg.ID) {
				t.Fatalf("Ingest: %v, want %s with message %s", err, tc.code, tc.message)
			}
		})
	}
	if in := f.rows(""); len(in) != 0 {
		t.Fatalf("refused deliveries stored %d messages", len(in))
	}
	// The platform secret vouches for any number, a tenant's included.
	res, err := f.svc.Ingest(context.Background(), mine, cloudapi.Sign(mine, "platform-secret"))
	if err != nil || res.Stored != 1 {
		t.Fatalf("signed with the platform secret: %+v, %v", res, err)
	}
}

// TestIngestUnrouted: a number no tenant owns is kept for platform admins
// (only the platform secret can vouch for it) and answered, so Meta stops
// retrying.
func TestIngestUnrouted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *whatsapp.Config, _ *whatsapp.Deps) { c.PlatformAppSecret = "platform-secret" })
	ghost := messages("199900000009", text(phone(), "مرحبا", f.clock.Now()))
	if _, err := f.svc.Ingest(context.Background(), ghost, cloudapi.Sign(ghost, f.secret)); !errors.Is(err, errs.ErrUnauthorized) {
		t.Fatalf("an unknown number vouched for by a tenant's secret: %v", err)
	}
	res, err := f.svc.Ingest(context.Background(), ghost, cloudapi.Sign(ghost, "platform-secret"))
	if err != nil || res != (whatsapp.IngestResult{Unrouted: 1}) {
		t.Fatalf("Ingest: %+v, %v; want 1 unrouted", res, err)
	}
	if n := len(f.rows("")); n != 0 {
		t.Fatalf("the tenant stored %d messages of an unrouted payload", n)
	}
}
