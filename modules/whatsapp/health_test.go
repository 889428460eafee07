package whatsapp_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"concierge/internal/errs"
	"concierge/modules/whatsapp"
	"concierge/modules/whatsapp/cloudapi"
)

// TestHealth: a verified delivery records the number's last webhook (at most
// once a minute), a forged one does not; failed sends are counted by Meta's
// error code within the window, per tenant.
func TestHealth(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other, otherNumber, _ := f.addShop("healthy")
	health := func(ctx context.Context, since time.Time) map[string]*whatsapp.NumberHealth {
		t.Helper()
		h, err := f.svc.Health(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*whatsapp.NumberHealth{}
		for id, v := range h {
			out[id.String()] = v
		}
		return out
	}
	day := f.clock.Now().Add(-24 * time.Hour)
	if h := health(f.shop.Ctx, day); len(h) != 0 {
		t.Fatalf("health before any webhook: %+v", h)
	}

	first := f.clock.Now()
	wa := phone()
	f.say(text(wa, "hello", first))
	f.sendAll()
	w := f.cloud.taken()[0].WAMID
	f.clock.advance(30 * time.Second) // within the minute: not written again
	f.deliver(status(f.number.PhoneNumberID, w, "", whatsapp.StatusFailed, 131026))
	h := health(f.shop.Ctx, day)[f.number.ID.String()]
	if h == nil || !h.LastWebhook.Equal(first.Truncate(time.Millisecond)) ||
		len(h.SendErrors) != 1 || h.SendErrors[0] != (whatsapp.SendErrors{Code: 131026, Count: 1}) {
		t.Fatalf("after a failed send: %+v", h)
	}
	if h := health(f.shop.Ctx, time.Now().Add(time.Hour))[f.number.ID.String()]; h == nil || len(h.SendErrors) != 0 {
		t.Fatalf("failures before the window are counted: %+v", h)
	}
	f.clock.advance(time.Minute)
	f.deliver(status(f.number.PhoneNumberID, w, "", whatsapp.StatusRead, 0))
	if h := health(f.shop.Ctx, day)[f.number.ID.String()]; !h.LastWebhook.Equal(f.clock.Now().Truncate(time.Millisecond)) {
		t.Fatalf("a minute later the last webhook is %v, want %v", h.LastWebhook, f.clock.Now())
	}

	// The other tenant sees only its number, which had no verified webhook
	// (a forged one does not count).
	forged := messages(otherNumber.PhoneNumberID, text(phone(), "hi", f.clock.Now()))
	if _, err := f.svc.Ingest(context.Background(), forged, cloudapi.Sign(forged, "wrong")); !errors.Is(err, errs.ErrUnauthorized) {
		t.Fatalf("a forged delivery: %v", err)
	}
	if h := health(other.Ctx, day); len(h) != 0 {
		t.Fatalf("the other tenant's health: %+v", h)
	}
}

// TestListUnroutedPages: the platform's unrouted changes, newest first, in
// pages.
func TestListUnroutedPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *whatsapp.Config, _ *whatsapp.Deps) { c.PlatformAppSecret = "platform-secret" })
	for _, pnid := range []string{"199900000001", "199900000002", "199900000003"} {
		b := messages(pnid, text(phone(), "مرحبا", f.clock.Now()))
		if _, err := f.svc.Ingest(context.Background(), b, cloudapi.Sign(b, "platform-secret")); err != nil {
			t.Fatal(err)
		}
	}
	page1, err := f.svc.ListUnrouted(context.Background(), 2, 0)
	if err != nil || len(page1) != 2 || page1[0].PhoneNumberID != "199900000003" || page1[0].Reason == "" {
		t.Fatalf("first page: %+v %v", page1, err)
	}
	page2, err := f.svc.ListUnrouted(context.Background(), 2, page1[1].ID)
	if err != nil || len(page2) != 1 || page2[0].PhoneNumberID != "199900000001" || len(page2[0].Payload) == 0 {
		t.Fatalf("second page: %+v %v", page2, err)
	}
}
