package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"concierge/modules/analytics"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"concierge/cmd/concierge/sandbox"
	"concierge/modules/cart"
	"concierge/modules/catalog"
	"concierge/modules/checkout"
	"concierge/modules/cms"
	"concierge/modules/identity"
	"concierge/modules/invoices"
	"concierge/modules/orders"
	"concierge/modules/returns"
	"concierge/modules/sla"
	"concierge/tenants"
)

// TestIsolationEveryTenantTable fills tenant A's tables through the real
// pipeline (a WhatsApp conversation with consent, a hand-off, audit
// entries), then, for every table with a tenant_id column (read from the
// catalog, so new modules' tables are covered without editing this test),
// checks inside tenant B's scoped transaction that none of A's rows is
// visible, and that writing a row for A is refused.
func TestIsolationEveryTenantTable(t *testing.T) {
	t.Parallel()
	// Carts untouched for a millisecond are abandoned, so the sweep below
	// records events for both tenants.
	ta := startApp(t, modeDev, map[string]string{"CART_ABANDON_AFTER": "1ms"})
	ctx := context.Background()
	a := numberFor(t, ta, "isoa", "500000000000001")
	b := numberFor(t, ta, "isob", "500000000000002")
	emu := ta.app.sandbox
	cust := "966533330001"
	for _, m := range []sandbox.CustomerMessage{
		{Text: "مرحبا"},
		{ButtonReply: &sandbox.ReplyChoice{ID: "lang:ar", Title: "العربية"}},
		{ButtonReply: &sandbox.ReplyChoice{ID: "consent:agree", Title: "موافق"}},
		{Text: "موظف"},
	} {
		m.PhoneNumberID, m.From = "500000000000001", cust
		if res, err := emu.SendAsCustomer(ctx, m); err != nil || res.WebhookStatus != 200 {
			t.Fatalf("webhook: %v %d", err, res.WebhookStatus)
		}
	}
	// Tenant B gets rows of its own too, to try moving them into A.
	if res, err := emu.SendAsCustomer(ctx, sandbox.CustomerMessage{PhoneNumberID: "500000000000002", From: cust, Text: "hello"}); err != nil || res.WebhookStatus != 200 {
		t.Fatalf("webhook: %v %d", err, res.WebhookStatus)
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := emu.Wait(wctx, "500000000000001", cust, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := emu.Wait(wctx, "500000000000002", cust, 1); err != nil {
		t.Fatal(err)
	}
	settled(t, ta, a, 60*time.Second)
	settled(t, ta, b, 60*time.Second)
	// Both tenants get a catalog (categories, products, media, variants, a
	// source and its run) and an API key.
	feedCSV, err := os.ReadFile("../../modules/catalog/testdata/feeds/v1.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, tn := range []*tenants.Tenant{a, b} {
		tctx := tenants.WithTenant(ctx, tn)
		src, err := ta.app.catalog.CreateSource(tctx, catalog.SourceInput{Name: "upload", Kind: "upload"})
		if err != nil {
			t.Fatal(err)
		}
		run, err := ta.app.catalog.StartRun(tctx, catalog.RunRequest{SourceID: &src.ID, Input: feedCSV})
		if err != nil {
			t.Fatal(err)
		}
		if run, err = ta.app.catalog.WaitRun(tctx, run.ID); err != nil || run.Status != catalog.RunSucceeded {
			t.Fatalf("catalog import: %v %+v", err, run)
		}
		if _, _, err := ta.app.deps.tenants.CreateAPIKey(ctx, "test", tn.Slug, "storefront"); err != nil {
			t.Fatal(err)
		}
		// A cart with a line, pricing settings.
		c, err := ta.app.cart.Create(tctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ta.app.cart.Add(tctx, c.ID, "ABY-1-S", 1); err != nil {
			t.Fatal(err)
		}
		if _, err := ta.app.cart.UpdatePricingSettings(tctx, cart.Settings{VATRateBP: 1500, PricesIncludeVAT: true,
			Zones: []cart.Zone{{NameAR: "الرياض", NameEN: "Riyadh", Fee: 2500}}}); err != nil {
			t.Fatal(err)
		}
		// Cash on delivery on; an order of a second cart, confirmed (order,
		// lines, timeline, payment and its events).
		on := true
		if _, err := ta.app.checkout.UpdatePaymentSettings(tctx, map[string]checkout.SettingsChange{"cod": {Enabled: &on}}); err != nil {
			t.Fatal(err)
		}
		c2, err := ta.app.cart.Create(tctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ta.app.cart.Add(tctx, c2.ID, "ABY-1-S", 1); err != nil {
			t.Fatal(err)
		}
		res, err := ta.app.checkout.Init(tctx, checkout.InitRequest{CartID: c2.ID, CustomerName: "Sara", CustomerPhone: "+966551234567",
			Locale: "ar", Method: "cod", Actor: "test", Address: orders.Address{BuildingNumber: "2929", Street: "King Fahd", District: "Olaya",
				City: "Riyadh", PostalCode: "12345"}})
		if err != nil {
			t.Fatal(err)
		}
		// A VAT number first, so the confirmation issues a tax invoice; the
		// confirmation starts the dispatch SLA timer.
		if _, err := ta.app.invoices.SetSettings(tctx, invoices.Settings{VATNumber: "310122393500003", SellerNameAR: "متجر", SellerNameEN: "Shop"}); err != nil {
			t.Fatal(err)
		}
		if _, err := ta.app.sla.UpdateSettings(tctx, sla.Settings{HandoffFirstReplySeconds: 600, ReturnDecisionSeconds: 86400, OrderDispatchSeconds: 86400}); err != nil {
			t.Fatal(err)
		}
		if _, err := ta.app.checkout.Confirm(tctx, res.Order.ID, "test"); err != nil {
			t.Fatal(err)
		}
		// Shipped and delivered, then a return of it (its lines, timeline,
		// the return decision's timer) under the store's return settings.
		for _, to := range []string{"shipped", "delivered"} {
			if _, err := ta.app.orders.Transition(tctx, res.Order.ID, orders.Transition{To: to, Actor: "test"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ta.app.returns.UpdateSettings(tctx, returns.Settings{WindowDays: 14}); err != nil {
			t.Fatal(err)
		}
		if _, err := ta.app.returns.Create(tctx, returns.Request{OrderID: res.Order.ID, Channel: "staff", Actor: "test",
			Lines: []returns.LineRequest{{SKU: "ABY-1-S", Quantity: 1}}, Reason: "damaged"}); err != nil {
			t.Fatal(err)
		}
		// A quick reply and the templates synced from the sandbox.
		if _, err := ta.app.cms.CreateQuickReply(tctx, cms.QuickReplyInput{Shortcut: "hello", Title: "Hello",
			BodyAR: "أهلًا {{customer_name}}", BodyEN: "Hello {{customer_name}}"}); err != nil {
			t.Fatal(err)
		}
		if r, err := ta.app.cms.SyncTemplates(tctx); err != nil || r.Seen == 0 {
			t.Fatalf("template sync: %+v %v", r, err)
		}
		// A product with an uploaded picture; a staff invitation.
		staff := identity.WithActor(tctx, identity.UserActor("owner@"+tn.Slug+".test"))
		p, err := ta.app.catalog.CreateProduct(staff, catalog.ProductInput{TitleAR: "مبخرة", TitleEN: "Burner",
			Variants: []catalog.VariantInput{{SKU: "ISO-PIC", Price: 5000}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ta.app.catalog.UploadImage(staff, p.ID.String(), catalog.ImageUpload{Data: testPNG(t), BaseURL: "https://" + tn.Slug + ".example.sa"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ta.app.identity.CreateInvite(staff, "new@"+tn.Slug+".test", "agent"); err != nil {
			t.Fatal(err)
		}
	}
	// Both carts become abandoned, each with its event.
	if n, err := ta.app.cart.MarkAbandoned(ctx); err != nil || n < 2 {
		t.Fatalf("abandon sweep: %d carts, %v", n, err)
	}

	// The funnel's events: one per tenant, written before the walk.
	for _, tn := range []*tenants.Tenant{a, b} {
		ta.app.analytics.Record(tenants.WithTenant(ctx, tn), analytics.Event{Name: analytics.NameProductViewed,
			Channel: analytics.ChannelWeb, SessionID: "iso"})
	}
	if err := ta.app.analytics.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var tables []string
	err = ta.app.deps.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// pg_catalog, not information_schema: the latter hides tables the
		// reading role holds no privilege on.
		return tx.NewRaw(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_attribute at ON at.attrelid = c.oid AND at.attname = 'tenant_id' AND NOT at.attisdropped
			WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`).Scan(ctx, &tables)
	})
	if err != nil || len(tables) < 8 {
		t.Fatalf("tenant tables: %v %v", tables, err)
	}
	visibleToA, movesRefused := 0, 0
	for _, table := range tables {
		t.Run(table, func(t *testing.T) {
			count := func(as *tenants.Tenant) int {
				var n int
				err := ta.app.deps.scope.InTenantTx(tenants.WithTenant(ctx, as), func(ctx context.Context, tx bun.Tx) error {
					return tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %q WHERE tenant_id = ?`, table), a.ID).Scan(&n)
				})
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := count(a); n > 0 {
				visibleToA++
			}
			if n := count(b); n != 0 {
				t.Fatalf("tenant B sees %d of tenant A's rows in %s", n, table)
			}
			// Moving B's own rows into A is refused with 42501: the policy's
			// WITH CHECK, or no UPDATE grant for the app role at all.
			var moved int64
			err := ta.app.deps.scope.InTenantTx(tenants.WithTenant(ctx, b), func(ctx context.Context, tx bun.Tx) error {
				res, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %q SET tenant_id = ? WHERE tenant_id = ?`, table), a.ID, b.ID)
				if err == nil {
					moved, _ = res.RowsAffected()
				}
				return err
			})
			var pe *pgconn.PgError
			switch {
			case errors.As(err, &pe) && pe.Code == "42501":
				movesRefused++
			case err == nil && moved == 0:
				// B has no rows here: nothing to move, nothing proven.
			default:
				t.Fatalf("moving tenant B's rows of %s into tenant A: moved %d, err %v", table, moved, err)
			}
		})
	}
	if movesRefused < 35 {
		t.Fatalf("only %d tables proved cross-tenant writes are refused", movesRefused)
	}
	if visibleToA < 36 {
		t.Fatalf("only %d tenant tables hold tenant A's data; the fixture is too thin to prove isolation", visibleToA)
	}
}
