package cart_test

import (
	"testing"
	"time"

	"concierge/internal/errs"
	"concierge/modules/cart"
)

// TestAbandonSweep: carts with items untouched for AbandonAfter become
// abandoned with one "abandoned" event each, in every tenant; empty and
// recently touched carts stay active; a change makes an abandoned cart
// active again, and it can be abandoned (and recorded) again later.
func TestAbandonSweep(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := f.other(t)
	f.product(t, f.ctx, "عود", "Oud", variant("OUD-1", 12500, nil))
	f.product(t, other, "عود", "Oud", variant("OUD-1", 9900, nil))
	stale := f.newCart(t, f.ctx)
	f.add(t, f.ctx, stale.ID, "OUD-1", 2)
	empty := f.newCart(t, f.ctx)
	cust := f.customer(t, f.ctx)
	wa, err := f.svc.CustomerCart(f.ctx, cust)
	if err != nil {
		t.Fatal(err)
	}
	f.add(t, f.ctx, wa.ID, "OUD-1", 1)
	theirs := f.newCart(t, other)
	f.add(t, other, theirs.ID, "OUD-1", 1)

	f.clock.Add(23 * time.Hour)
	fresh := f.newCart(t, f.ctx)
	f.add(t, f.ctx, fresh.ID, "OUD-1", 1)
	if n, err := f.svc.MarkAbandoned(f.ctx); err != nil || n != 0 {
		t.Fatalf("before 24h: %d %v", n, err)
	}
	f.clock.Add(time.Hour + time.Second)
	n, err := f.svc.MarkAbandoned(f.ctx)
	if err != nil || n != 3 { // stale, the WhatsApp cart, the other tenant's
		t.Fatalf("after 24h: %d %v", n, err)
	}
	status := func(ctxID string, c *cart.Cart) string {
		t.Helper()
		ctx := f.ctx
		if ctxID == "other" {
			ctx = other
		}
		got, err := f.svc.Get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	if status("", stale) != cart.StatusAbandoned || status("", wa) != cart.StatusAbandoned || status("other", theirs) != cart.StatusAbandoned ||
		status("", empty) != cart.StatusActive || status("", fresh) != cart.StatusActive {
		t.Fatal("statuses after the sweep")
	}
	evs, err := f.svc.Events(f.ctx, stale.ID)
	if err != nil || len(evs) != 1 || evs[0].Kind != cart.EventAbandoned || evs[0].Value != 25000 || evs[0].Items != 2 ||
		evs[0].Currency != "SAR" || evs[0].Channel != cart.ChannelWeb || evs[0].CustomerID != nil {
		t.Fatalf("event: %v %+v", err, evs)
	}
	if evs, _ := f.svc.Events(f.ctx, wa.ID); len(evs) != 1 || evs[0].CustomerID == nil || *evs[0].CustomerID != cust {
		t.Fatalf("WhatsApp event: %+v", evs)
	}
	// Events are the tenant's own.
	if evs, _ := f.svc.Events(other, stale.ID); len(evs) != 0 {
		t.Fatalf("tenant B sees tenant A's events: %+v", evs)
	}
	// The staff list shows them, with their value.
	page, err := f.svc.List(f.ctx, cart.ListQuery{Status: cart.StatusAbandoned})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("abandoned list: %v %+v", err, page)
	}
	// Running again marks nothing more.
	if n, _ := f.svc.MarkAbandoned(f.ctx); n != 0 {
		t.Fatalf("second run marked %d", n)
	}
	// A change makes it active again; a day later it is abandoned again.
	c := f.add(t, f.ctx, stale.ID, "OUD-1", 1)
	if c.Status != cart.StatusActive {
		t.Fatalf("after a change: %s", c.Status)
	}
	f.clock.Add(25 * time.Hour)
	if _, err := f.svc.MarkAbandoned(f.ctx); err != nil {
		t.Fatal(err)
	}
	if evs, _ := f.svc.Events(f.ctx, stale.ID); len(evs) != 2 || evs[1].Value != 37500 {
		t.Fatalf("second abandonment: %+v", evs)
	}
	// The WhatsApp customer's abandoned cart is still theirs.
	if again, err := f.svc.CustomerCart(f.ctx, cust); err != nil || again.ID != wa.ID {
		t.Fatalf("customer cart after abandonment: %v %+v", err, again)
	}
}

// TestRetentionSweep: web carts untouched for Retention are deleted with
// their lines; WhatsApp carts and live web carts stay.
func TestRetentionSweep(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.product(t, f.ctx, "عود", "Oud", variant("OUD-1", 12500, nil))
	old := f.newCart(t, f.ctx)
	f.add(t, f.ctx, old.ID, "OUD-1", 1)
	wa, err := f.svc.CustomerCart(f.ctx, f.customer(t, f.ctx))
	if err != nil {
		t.Fatal(err)
	}
	f.add(t, f.ctx, wa.ID, "OUD-1", 1)
	f.clock.Add(20 * 24 * time.Hour)
	live := f.newCart(t, f.ctx)
	f.clock.Add(10*24*time.Hour + time.Minute)
	n, err := f.svc.DeleteExpired(f.ctx)
	if err != nil || n != 1 {
		t.Fatalf("deleted %d: %v", n, err)
	}
	if _, err := f.svc.Get(f.ctx, old.ID); errs.CodeOf(err) != errs.CodeNotFound {
		t.Fatalf("expired cart: %v", err)
	}
	if _, err := f.svc.Get(f.ctx, live.ID); err != nil {
		t.Fatalf("live cart: %v", err)
	}
	if c, err := f.svc.Get(f.ctx, wa.ID); err != nil || len(c.Lines) != 1 {
		t.Fatalf("WhatsApp cart: %v %+v", err, c)
	}
}
