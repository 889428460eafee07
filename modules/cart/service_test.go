package cart_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/i18n"
	"concierge/internal/money"
	"concierge/modules/cart"
	"concierge/modules/catalog"
)

// TestCartOperations walks every operation of a web cart: create, add (and
// add again: one line, summed), set, set 0, remove, clear, the totals with
// VAT included, and the refusals of each.
func TestCartOperations(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.product(t, f.ctx, "عود", "Oud", variant("OUD-1", 12500, nil))
	f.product(t, f.ctx, "مسك", "Musk", variant("MSK-1", 4500, intp(5)))
	f.product(t, f.ctx, "عطر", "Perfume", variant("PRF-M", 9900, intp(2), catalog.Option{Name: "Size", Value: "50 ml", ValueAR: "٥٠ مل"}))

	c := f.newCart(t, f.ctx)
	if !cart.ValidID(c.ID) || c.Status != cart.StatusActive || c.Channel != cart.ChannelWeb || c.Currency != "SAR" ||
		c.ExpiresAt == nil || !c.ExpiresAt.Equal(f.clock.Now().Add(30*24*time.Hour)) || len(c.Lines) != 0 || c.Totals.Total != 0 {
		t.Fatalf("new cart: %+v", c)
	}
	c = f.add(t, f.ctx, c.ID, "OUD-1", 2)
	c = f.add(t, f.ctx, c.ID, "oud-1", 1) // any case: the same line
	c = f.add(t, f.ctx, c.ID, "PRF-M", 1)
	if len(c.Lines) != 2 || line(t, c, "OUD-1").Quantity != 3 || line(t, c, "PRF-M").OptionsAR != "٥٠ مل" ||
		line(t, c, "PRF-M").OptionsEN != "50 ml" || line(t, c, "OUD-1").TitleEN != "Oud" {
		t.Fatalf("lines: %+v", c.Lines)
	}
	// 3 × 125.00 + 99.00 = 474.00, VAT included: 474.00 × 15/115 = 61.83.
	if tt := c.Totals; tt.Subtotal != 47400 || tt.Total != 47400 || tt.VAT != 6183 || tt.Shipping != 0 || tt.Discount != 0 || !tt.VATIncluded {
		t.Fatalf("totals: %+v", tt)
	}
	if c, _ = f.svc.SetQuantity(f.ctx, c.ID, "OUD-1", 1); line(t, c, "OUD-1").Quantity != 1 {
		t.Fatalf("set: %+v", c.Lines)
	}
	c, err := f.svc.SetQuantity(f.ctx, c.ID, "PRF-M", 0)
	if err != nil || len(c.Lines) != 1 {
		t.Fatalf("set 0 removes: %v %+v", err, c)
	}
	f.add(t, f.ctx, c.ID, "MSK-1", 1)
	if c, err = f.svc.Remove(f.ctx, c.ID, "msk-1"); err != nil || len(c.Lines) != 1 {
		t.Fatalf("remove: %v %+v", err, c)
	}
	if c, err = f.svc.Clear(f.ctx, c.ID); err != nil || len(c.Lines) != 0 || c.Totals.Total != 0 {
		t.Fatalf("clear: %v %+v", err, c)
	}

	// Refusals.
	_, err = f.svc.Add(f.ctx, c.ID, "NOPE-1", 1)
	wantCode(t, err, errs.CodeInvalid, "sku")
	if ar, en := texts(t, errs.FieldsOf(err)[0].Msg); !strings.Contains(en, "NOPE-1") || !strings.Contains(ar, "NOPE-1") {
		t.Fatalf("unknown SKU message does not name it: %q / %q", ar, en)
	}
	for _, n := range []int{0, -1, 1000} {
		_, err = f.svc.Add(f.ctx, c.ID, "OUD-1", n)
		wantCode(t, err, errs.CodeInvalid, "quantity")
	}
	f.add(t, f.ctx, c.ID, "OUD-1", 990)
	_, err = f.svc.Add(f.ctx, c.ID, "OUD-1", 10) // 1000 on one line
	wantCode(t, err, errs.CodeInvalid, "quantity")
	_, err = f.svc.SetQuantity(f.ctx, c.ID, "MSK-1", 2)
	wantCode(t, err, errs.CodeNotFound, "")
	_, err = f.svc.Remove(f.ctx, c.ID, "MSK-1")
	wantCode(t, err, errs.CodeNotFound, "")
	for _, id := range []string{"", "nope", strings.Repeat("a", 32), strings.Repeat("A", 32), c.ID + "x"} {
		_, err = f.svc.Get(f.ctx, id)
		wantCode(t, err, errs.CodeNotFound, "")
	}
}

// TestStockLimits: more than the stock is a conflict saying how many are
// available, in Arabic and English; untracked stock is unlimited.
func TestStockLimits(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.product(t, f.ctx, "مسك", "Musk", variant("MSK-1", 4500, intp(5)))
	f.product(t, f.ctx, "عنبر", "Amber", variant("AMB-1", 4500, intp(0)))
	f.product(t, f.ctx, "ورد", "Rose", variant("ROS-1", 4500, nil))
	c := f.newCart(t, f.ctx)

	_, err := f.svc.Add(f.ctx, c.ID, "MSK-1", 6)
	wantCode(t, err, errs.CodeConflict, "quantity")
	var e *errs.Error
	errors.As(err, &e)
	ar, en := texts(t, e.Msg)
	if en != "Only 5 of MSK-1 available." || ar != "المتوفر من MSK-1 5 فقط." {
		t.Fatalf("stock message: %q / %q", ar, en)
	}
	f.add(t, f.ctx, c.ID, "MSK-1", 3)
	_, err = f.svc.Add(f.ctx, c.ID, "MSK-1", 3)
	errors.As(err, &e)
	if _, en := texts(t, e.Msg); e.Code != errs.CodeConflict || !strings.Contains(en, "already holds 3") {
		t.Fatalf("stock with the cart's own: %v %q", err, en)
	}
	c = f.add(t, f.ctx, c.ID, "MSK-1", 2) // exactly the stock
	if line(t, c, "MSK-1").Quantity != 5 {
		t.Fatalf("to the stock: %+v", c.Lines)
	}
	_, err = f.svc.SetQuantity(f.ctx, c.ID, "MSK-1", 6)
	wantCode(t, err, errs.CodeConflict, "quantity")
	_, err = f.svc.Add(f.ctx, c.ID, "AMB-1", 1)
	wantCode(t, err, errs.CodeConflict, "quantity")
	errors.As(err, &e)
	if _, en := texts(t, e.Msg); en != "AMB-1 is sold out." {
		t.Fatalf("sold out: %q", en)
	}
	if c = f.add(t, f.ctx, c.ID, "ROS-1", 999); line(t, c, "ROS-1").Quantity != 999 {
		t.Fatal("untracked stock is unlimited")
	}
	// Stock falling below a line: the line is short (checkout will refuse
	// it), lowering it is allowed, raising it is not.
	if _, err := f.cat.BulkStock(f.ctx, []catalog.StockUpdate{{SKU: "MSK-1", Stock: intp(2)}}); err != nil {
		t.Fatal(err)
	}
	c, _ = f.svc.Get(f.ctx, c.ID)
	if l := line(t, c, "MSK-1"); !l.Short() || !l.Available {
		t.Fatalf("short line: %+v", l)
	}
	if c, err = f.svc.SetQuantity(f.ctx, c.ID, "MSK-1", 4); err != nil || line(t, c, "MSK-1").Quantity != 4 {
		t.Fatalf("lowering a short line: %v", err)
	}
}

// TestPriceChangeIsAppliedAndFlaggedUntilRead: a new catalog price is
// applied at once (totals never differ from what checkout charges) and
// flagged with the old price on every answer until a read has shown it.
func TestPriceChangeIsAppliedAndFlaggedUntilRead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.product(t, f.ctx, "عود", "Oud", variant("OUD-1", 12500, nil))
	f.product(t, f.ctx, "مسك", "Musk", variant("MSK-1", 4500, nil))
	c := f.newCart(t, f.ctx)
	f.add(t, f.ctx, c.ID, "OUD-1", 2)
	if _, err := f.cat.BulkPrice(f.ctx, []catalog.PriceUpdate{{SKU: "OUD-1", Price: 9900}}); err != nil {
		t.Fatal(err)
	}
	// A change shows it, and so does the next change...
	c = f.add(t, f.ctx, c.ID, "MSK-1", 1)
	l := line(t, c, "OUD-1")
	if !l.PriceChanged() || *l.PreviousPrice != 12500 || l.UnitPrice != 9900 || c.Totals.Subtotal != 2*9900+4500 {
		t.Fatalf("after the change: %+v, totals %+v", l, c.Totals)
	}
	// ... the read shows it ...
	c, err := f.svc.Get(f.ctx, c.ID)
	if err != nil || !line(t, c, "OUD-1").PriceChanged() || *line(t, c, "OUD-1").PreviousPrice != 12500 {
		t.Fatalf("the read: %v %+v", err, c)
	}
	// ... and the next read does not.
	c, _ = f.svc.Get(f.ctx, c.ID)
	if line(t, c, "OUD-1").PriceChanged() || line(t, c, "OUD-1").UnitPrice != 9900 {
		t.Fatalf("after the read: %+v", line(t, c, "OUD-1"))
	}
	// A change noticed by a read is shown by that read.
	if _, err := f.cat.BulkPrice(f.ctx, []catalog.PriceUpdate{{SKU: "MSK-1", Price: 5000}}); err != nil {
		t.Fatal(err)
	}
	if c, _ = f.svc.Get(f.ctx, c.ID); !line(t, c, "MSK-1").PriceChanged() || c.Totals.Subtotal != 2*9900+5000 {
		t.Fatalf("read-noticed change: %+v", c)
	}
	if c, _ = f.svc.Get(f.ctx, c.ID); line(t, c, "MSK-1").PriceChanged() {
		t.Fatal("flag kept after a read")
	}
	// An archived variant: the line stays, unavailable, outside the totals;
	// adding it is refused naming the SKU.
	p, err := f.cat.ProductBySKU(f.ctx, "MSK-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.cat.ArchiveVariant(f.ctx, p.ID.String(), p.Variants[0].ID.String()); err != nil {
		t.Fatal(err)
	}
	c, _ = f.svc.Get(f.ctx, c.ID)
	if l := line(t, c, "MSK-1"); l.Available || c.Totals.Subtotal != 2*9900 || c.Items() != 2 {
		t.Fatalf("archived line: %+v totals %+v", l, c.Totals)
	}
	_, err = f.svc.Add(f.ctx, c.ID, "MSK-1", 1)
	wantCode(t, err, errs.CodeInvalid, "sku")
}

// TestCartLifecycle: an expired web cart is not found; a checked-out cart
// changes no more.
func TestCartLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.product(t, f.ctx, "عود", "Oud", variant("OUD-1", 12500, nil))
	c := f.newCart(t, f.ctx)
	f.add(t, f.ctx, c.ID, "OUD-1", 1)
	// Each change renews the expiry.
	f.clock.Add(29 * 24 * time.Hour)
	c = f.add(t, f.ctx, c.ID, "OUD-1", 1)
	if !c.ExpiresAt.Equal(f.clock.Now().Add(30 * 24 * time.Hour)) {
		t.Fatalf("expiry not renewed: %v", c.ExpiresAt)
	}
	f.clock.Add(30*24*time.Hour + time.Second)
	_, err := f.svc.Get(f.ctx, c.ID)
	wantCode(t, err, errs.CodeNotFound, "")
	_, err = f.svc.Add(f.ctx, c.ID, "OUD-1", 1)
	wantCode(t, err, errs.CodeNotFound, "")

	c = f.newCart(t, f.ctx)
	f.add(t, f.ctx, c.ID, "OUD-1", 1)
	if err := f.svc.Convert(f.ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Add(f.ctx, c.ID, "OUD-1", 1)
	wantCode(t, err, errs.CodeConflict, "")
	wantCode(t, f.svc.Convert(f.ctx, c.ID), errs.CodeConflict, "")
	if got, err := f.svc.Get(f.ctx, c.ID); err != nil || got.Status != cart.StatusConverted || len(got.Lines) != 1 {
		t.Fatalf("converted cart: %v %+v", err, got)
	}
}

// TestCartsAcrossTenants: another tenant's cart id is not found, for every
// operation; the same SKU in another tenant is another product.
func TestCartsAcrossTenants(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := f.other(t)
	f.product(t, f.ctx, "عود", "Oud", variant("OUD-1", 12500, nil))
	f.product(t, other, "عود آخر", "Other Oud", variant("OUD-1", 100, nil))
	mine := f.newCart(t, f.ctx)
	f.add(t, f.ctx, mine.ID, "OUD-1", 1)
	theirs := f.add(t, other, f.newCart(t, other).ID, "OUD-1", 1)
	if line(t, theirs, "OUD-1").UnitPrice != 100 {
		t.Fatalf("the other tenant's SKU: %+v", theirs.Lines)
	}
	for name, op := range map[string]func() error{
		"get":      func() error { _, err := f.svc.Get(other, mine.ID); return err },
		"add":      func() error { _, err := f.svc.Add(other, mine.ID, "OUD-1", 1); return err },
		"set":      func() error { _, err := f.svc.SetQuantity(other, mine.ID, "OUD-1", 2); return err },
		"remove":   func() error { _, err := f.svc.Remove(other, mine.ID, "OUD-1"); return err },
		"clear":    func() error { _, err := f.svc.Clear(other, mine.ID); return err },
		"shipping": func() error { _, err := f.svc.Shipping(other, mine.ID, "Riyadh"); return err },
		"convert":  func() error { return f.svc.Convert(other, mine.ID) },
	} {
		if err := op(); errs.CodeOf(err) != errs.CodeNotFound {
			t.Errorf("%s of tenant A's cart in tenant B: %v, want not_found", name, err)
		}
	}
	if c, err := f.svc.Get(f.ctx, mine.ID); err != nil || line(t, c, "OUD-1").Quantity != 1 || line(t, c, "OUD-1").UnitPrice != 12500 {
		t.Fatalf("tenant A's cart changed: %v %+v", err, c)
	}
	// A customer of tenant A has no cart in tenant B.
	cust := f.customer(t, f.ctx)
	if _, err := f.svc.CustomerCart(other, cust); errs.CodeOf(err) != errs.CodeNotFound {
		t.Fatalf("tenant A's customer in tenant B: %v", err)
	}
}

// TestCustomerCart: one open cart per WhatsApp customer, whoever asks first
// and however many ask at once; an abandoned cart stays the customer's.
func TestCustomerCart(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.product(t, f.ctx, "عود", "Oud", variant("OUD-1", 12500, nil))
	cust := f.customer(t, f.ctx)
	var wg sync.WaitGroup
	ids := make(chan string, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := f.twin().CustomerCart(f.ctx, cust)
			if err != nil {
				t.Error(err)
				return
			}
			ids <- c.ID
		}()
	}
	wg.Wait()
	close(ids)
	first := ""
	for id := range ids {
		if first == "" {
			first = id
		}
		if id != first || !cart.ValidID(id) {
			t.Fatalf("customer carts %s and %s", first, id)
		}
	}
	c := f.add(t, f.ctx, first, "OUD-1", 1)
	if c.Channel != cart.ChannelWhatsApp || c.CustomerID == nil || *c.CustomerID != cust || c.ExpiresAt != nil {
		t.Fatalf("customer cart: %+v", c)
	}
	if _, err := f.svc.CustomerCart(f.ctx, uuid.New()); errs.CodeOf(err) != errs.CodeNotFound {
		t.Fatalf("unknown customer: %v", err)
	}
}

// TestConcurrentChangesAcrossProcesses: two services (two processes) adding
// and setting on one cart at once lose nothing: the adds sum exactly, and
// the line set concurrently ends at one of the values set.
func TestConcurrentChangesAcrossProcesses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.product(t, f.ctx, "عود", "Oud", variant("OUD-1", 12500, nil))
	f.product(t, f.ctx, "مسك", "Musk", variant("MSK-1", 4500, nil))
	c := f.newCart(t, f.ctx)
	procs := []*cart.Service{f.svc, f.twin()}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := procs[i%2].Add(f.ctx, c.ID, "OUD-1", 2); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := procs[(i+1)%2].Add(f.ctx, c.ID, "MSK-1", 1); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	c, err := f.svc.Get(f.ctx, c.ID)
	if err != nil || line(t, c, "OUD-1").Quantity != 40 || line(t, c, "MSK-1").Quantity != 20 || c.Items() != 60 {
		t.Fatalf("after concurrent adds: %v %+v", err, c)
	}
	if c.Totals.Subtotal != 40*12500+20*4500 {
		t.Fatalf("totals: %+v", c.Totals)
	}
}

// TestPricingSettings: defaults, an update (audited), validation of every
// field, and carts priced with the new settings.
func TestPricingSettings(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	def, err := f.svc.PricingSettings(f.ctx)
	if err != nil || def.VATRateBP != 1500 || !def.PricesIncludeVAT || def.Currency != "SAR" || len(def.Zones) != 0 ||
		def.DefaultFee == nil || *def.DefaultFee != 0 {
		t.Fatalf("defaults: %v %+v", err, def)
	}
	f.settings(t, f.ctx, shippingSettings())
	got, _ := f.svc.PricingSettings(f.ctx)
	if len(got.Zones) != 3 || got.Zones[1].Aliases[0] != "Jiddah" || *got.DefaultFee != 3500 || got.FreeShippingThreshold != 50000 || got.UpdatedAt.IsZero() {
		t.Fatalf("stored: %+v", got)
	}
	bad := shippingSettings()
	bad.VATRateBP = 10001
	bad.FreeShippingThreshold = money.MaxMinor + 1
	bad.Currency = "USD" // the tenant's currency cannot change here
	bad.Zones = append(bad.Zones, cart.Zone{NameAR: "الریاض", Fee: 1}, cart.Zone{Fee: 1}, cart.Zone{NameEN: "!!!", Fee: 1},
		cart.Zone{NameEN: "Dammam", Fee: -1})
	_, err = f.svc.UpdatePricingSettings(f.ctx, bad)
	for _, field := range []string{"currency", "vat_rate_bp", "free_shipping_threshold", "zones[3].name_ar", "zones[4].name_ar", "zones[5].name_en", "zones[6].fee"} {
		wantCode(t, err, errs.CodeInvalid, field)
	}
	if got2, _ := f.svc.PricingSettings(f.ctx); len(got2.Zones) != 3 {
		t.Fatal("a refused update changed the settings")
	}
}

// TestPricingChangesSerialise: two staff saving different parts of the
// pricing settings at once (the VAT rate, the zones) both land. The second
// change waits for the first to commit and then sees it; it does not write
// back the settings it read before.
func TestPricingChangesSerialise(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.settings(t, f.ctx, shippingSettings())
	inA, releaseA, errA := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		_, err := f.svc.ChangePricingSettings(f.ctx, func(s *cart.Settings) {
			close(inA)
			<-releaseA
			s.VATRateBP = 500
		})
		errA <- err
	}()
	<-inA // A has read the settings and holds them
	release := sync.OnceFunc(func() { close(releaseA) })
	defer release() // a failure below must not leave A's transaction open
	errB := make(chan error, 1)
	go func() {
		_, err := f.svc.ChangePricingSettings(f.ctx, func(s *cart.Settings) { s.Zones = s.Zones[:1] })
		errB <- err
	}()
	// B waits on A's lock: its advisory lock is requested, not granted.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var waiting int
		if err := f.env.Scope.DB().QueryRowContext(context.Background(), `SELECT count(*) FROM pg_locks
			WHERE locktype = 'advisory' AND NOT granted AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('cart-pricing:' || ?::text, 0)`,
			f.shop.ID.String()).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case err := <-errB:
			t.Fatalf("the second change finished while the first held the settings: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the second change never waited for the first")
		}
	}
	release()
	if err := <-errA; err != nil {
		t.Fatal(err)
	}
	if err := <-errB; err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.PricingSettings(f.ctx)
	if err != nil || got.VATRateBP != 500 || len(got.Zones) != 1 || *got.DefaultFee != 3500 {
		t.Fatalf("after both changes: %+v %v", got, err)
	}
}

// TestShippingQuotes: the zone fee (any spelling of its city), the default
// fee, the free-shipping threshold, and a city the store does not deliver to.
func TestShippingQuotes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.settings(t, f.ctx, shippingSettings())
	f.product(t, f.ctx, "عود", "Oud", variant("OUD-1", 12500, nil))
	c := f.newCart(t, f.ctx)
	f.add(t, f.ctx, c.ID, "OUD-1", 1)
	for _, city := range []string{"الرياض", "الریاض", "Riyadh", "riyadh", " RIYADH ", "رياض", "Ar-Riyadh"} {
		q, err := f.svc.Shipping(f.ctx, c.ID, city)
		if err != nil || q.Zone == nil || q.Zone.NameEN != "Riyadh" || q.Fee != 2500 || q.Free || q.Remaining != 50000-12500 {
			t.Fatalf("%q: %v %+v", city, err, q)
		}
	}
	for _, city := range []string{"jedda", "جده", "Mecca", "مكه", "مكة المكرمة"} {
		if q, err := f.svc.Shipping(f.ctx, c.ID, city); err != nil || q.Zone == nil || q.Fee != 3000 {
			t.Fatalf("%q: %v %+v", city, err, q)
		}
	}
	if q, err := f.svc.Shipping(f.ctx, c.ID, "Abha"); err != nil || q.Zone != nil || q.Fee != 3500 {
		t.Fatalf("default fee: %v %+v", err, q)
	}
	f.add(t, f.ctx, c.ID, "OUD-1", 3) // 500.00: the threshold
	if q, err := f.svc.Shipping(f.ctx, c.ID, "Riyadh"); err != nil || !q.Free || q.Fee != 0 || q.Remaining != 0 {
		t.Fatalf("free shipping: %v %+v", err, q)
	}
	// Without a default fee, only the zones are served.
	s := shippingSettings()
	s.DefaultFee = nil
	f.settings(t, f.ctx, s)
	_, err := f.svc.Shipping(f.ctx, c.ID, "Abha")
	wantCode(t, err, errs.CodeInvalid, "city")
	ar, en := texts(t, errs.FieldsOf(err)[0].Msg)
	if !strings.Contains(en, "Abha") || !strings.Contains(en, "الرياض / Riyadh") || !strings.Contains(ar, "نوصّل") {
		t.Fatalf("not served: %q / %q", ar, en)
	}
	_, err = f.svc.Shipping(f.ctx, c.ID, "  ")
	wantCode(t, err, errs.CodeInvalid, "city")
}

// TestTotalsWithShippingAndVAT: a cart's totals with its city, VAT included
// and excluded, the free-shipping threshold; Priced is what checkout gets.
func TestTotalsWithShippingAndVAT(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.settings(t, f.ctx, shippingSettings())
	f.product(t, f.ctx, "شاي", "Tea", variant("TEA-1", 110, nil))
	f.product(t, f.ctx, "قهوة", "Coffee", variant("COF-1", 110, nil))
	c := f.newCart(t, f.ctx)
	f.add(t, f.ctx, c.ID, "TEA-1", 1)
	f.add(t, f.ctx, c.ID, "COF-1", 1)
	// VAT included, no city: 2.20, VAT 2.20 × 15/115 = 0.2869 → 0.29 (per
	// line it would be 0.14 + 0.14 = 0.28).
	c, _ = f.svc.Get(f.ctx, c.ID)
	if tt := c.Totals; tt.Subtotal != 220 || tt.VAT != 29 || tt.Total != 220 || tt.ShippingKnown || tt.FreeShippingRemaining != 50000-220 {
		t.Fatalf("included: %+v", tt)
	}
	p, err := f.svc.Priced(f.ctx, c.ID, "جدة")
	if tt := p.Totals; err != nil || tt.Shipping != 3000 || tt.Total != 3220 || tt.VAT != 420 || !tt.ShippingKnown || tt.ShippingZone.NameEN != "Jeddah" {
		t.Fatalf("priced for Jeddah: %v %+v", err, tt)
	}
	// VAT added: 2.20 + 15 % = 0.33 (per line 0.17 + 0.17 = 0.34).
	s := shippingSettings()
	s.PricesIncludeVAT = false
	f.settings(t, f.ctx, s)
	c, _ = f.svc.Get(f.ctx, c.ID)
	if tt := c.Totals; tt.Subtotal != 220 || tt.VAT != 33 || tt.Total != 253 || tt.VATIncluded {
		t.Fatalf("excluded: %+v", tt)
	}
	p, _ = f.svc.Priced(f.ctx, c.ID, "Abha") // default fee 35.00: (2.20 + 35.00) × 1.15
	if tt := p.Totals; tt.Shipping != 3500 || tt.VAT != 558 || tt.Total != 3720+558 {
		t.Fatalf("excluded with the default fee: %+v", tt)
	}
}

// texts renders messages in Arabic and English, checking each is in the
// catalog and renders completely in both.
func texts(t *testing.T, ms ...errs.Message) (ar, en string) {
	t.Helper()
	cat := i18n.MustLoad()
	var a, e []string
	for _, m := range ms {
		if !cat.Has(m.ID) {
			t.Errorf("message %s is not in the catalog", m)
		}
		at, et := cat.Message(i18n.AR, m), cat.Message(i18n.EN, m)
		if strings.Contains(at+et, "<no value>") || at == "" || et == "" {
			t.Errorf("message %s renders incompletely: %q / %q", m, at, et)
		}
		a, e = append(a, at), append(e, et)
	}
	return strings.Join(a, " "), strings.Join(e, " ")
}
