package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"concierge/internal/config"
	"concierge/internal/errs"
	"concierge/modules/cart"
	"concierge/modules/checkout"
	"concierge/modules/identity"
	"concierge/modules/invoices"
	"concierge/tenants"
)

// Demo data: one bilingual tenant reachable at demo.<PLATFORM_DOMAIN>, a
// sandbox WhatsApp number, and an owner and platform admin to log in with.
const (
	demoSlug          = "demo"
	demoPhoneNumberID = "100000000000001"
	demoDisplayPhone  = "+966500000000"
	demoOwnerEmail    = "owner@demo.test"
	demoAdminEmail    = "admin@concierge.test"
	demoPassword      = "concierge-demo-2026"
)

func seedCmd(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	if len(args) != 1 || args[0] != "demo" {
		return usage(errs.M("cli.usage_seed"))
	}
	d, err := openDeps(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	return seedDemo(ctx, d, out)
}

// seedDemo is idempotent: what exists is left as it is.
func seedDemo(ctx context.Context, d *deps, out io.Writer) error {
	actor := identity.SystemActor("seed").String()
	t, err := d.tenants.Get(ctx, demoSlug)
	if errors.Is(err, errs.ErrNotFound) {
		t, err = d.tenants.Create(ctx, actor, tenants.CreateInput{
			Slug: demoSlug, NameEN: "Demo Store", NameAR: "المتجر التجريبي", DefaultLocale: "ar", Currency: "SAR", Timezone: "Asia/Riyadh",
		})
		if err == nil {
			fmt.Fprintln(out, say(errs.M("cli.seed_tenant", "slug", t.Slug, "id", t.ID.String())))
		}
	}
	if err != nil {
		return err
	}
	nums, err := d.tenants.Numbers(ctx, demoSlug)
	if err != nil {
		return err
	}
	if len(nums) == 0 {
		if _, err := d.tenants.AddNumber(ctx, actor, demoSlug, tenants.NumberInput{
			PhoneNumberID: demoPhoneNumberID, DisplayPhone: demoDisplayPhone, WABAID: "100000000000000",
			AccessToken: "sandbox-access-token", AppSecret: "sandbox-app-secret",
		}); err != nil {
			return err
		}
		fmt.Fprintln(out, say(errs.M("cli.seed_number", "phone", demoDisplayPhone, "id", demoPhoneNumberID)))
	}
	if err := seedUsers(ctx, d, out); err != nil {
		return err
	}
	if err := seedDemoCatalog(ctx, d, t, out); err != nil {
		return err
	}
	if err := seedDemoPricing(ctx, d, t, out); err != nil {
		return err
	}
	if err := seedDemoPayments(ctx, d, t, out); err != nil {
		return err
	}
	if err := seedDemoInvoicing(ctx, d, t, out); err != nil {
		return err
	}
	port := ""
	if _, p, err := net.SplitHostPort(d.cfg.HTTPAddr); err == nil && p != "80" {
		port = ":" + p
	}
	fmt.Fprintln(out, say(errs.M("cli.seed_ready", "url", "http://"+demoSlug+"."+d.cfg.PlatformDomain+port,
		"owner", demoOwnerEmail, "admin", demoAdminEmail, "password", demoPassword)))
	return nil
}

// seedDemoPayments turns cash on delivery on for the demo tenant unless it
// has payment settings of its own. Card payments need the merchant's
// Stripe keys (PUT /api/v1/settings/payments).
func seedDemoPayments(ctx context.Context, d *deps, t *tenants.Tenant, out io.Writer) error {
	svc := checkout.New(checkout.Config{}, checkout.Deps{Scope: d.scope, Providers: newPaymentProviders(d.cfg, d.log),
		Secrets: d.keys, Audit: d.audit})
	tctx := identity.WithActor(tenants.WithTenant(ctx, t), identity.SystemActor("seed"))
	cur, err := svc.PaymentSettings(tctx)
	if err != nil {
		return err
	}
	for _, p := range cur {
		if p.UpdatedAt != nil {
			return nil
		}
	}
	on := true
	if _, err := svc.UpdatePaymentSettings(tctx, map[string]checkout.SettingsChange{"cod": {Enabled: &on}}); err != nil {
		return err
	}
	fmt.Fprintln(out, say(errs.M("cli.seed_payments")))
	return nil
}

// demoVATNumber is the demo store's (fictitious) Saudi VAT number.
const demoVATNumber = "310122393500003"

// seedDemoInvoicing gives the demo tenant a VAT number, so its confirmed
// orders get tax invoices, unless it has invoicing settings of its own.
func seedDemoInvoicing(ctx context.Context, d *deps, t *tenants.Tenant, out io.Writer) error {
	svc := invoices.New(invoices.Config{SigningKey: d.keys.Derive("invoices")}, invoices.Deps{Scope: d.scope, Audit: d.audit,
		Actor: actorName, Log: d.log})
	tctx := identity.WithActor(tenants.WithTenant(ctx, t), identity.SystemActor("seed"))
	cur, err := svc.Settings(tctx)
	if err != nil || cur.Configured {
		return err
	}
	if _, err := svc.SetSettings(tctx, invoices.Settings{VATNumber: demoVATNumber, SellerNameAR: t.NameAR, SellerNameEN: t.NameEN}); err != nil {
		return err
	}
	fmt.Fprintln(out, say(errs.M("cli.seed_invoicing", "vat", demoVATNumber)))
	return nil
}

// demoPricing is the demo store's delivery: Riyadh, Jeddah, Makkah and Dammam by
// zone, other cities at a default fee, free from 500.00; VAT 15 % included.
func demoPricing() cart.Settings {
	fee := int64(3500)
	return cart.Settings{VATRateBP: 1500, PricesIncludeVAT: true, DefaultFee: &fee, FreeShippingThreshold: 50000,
		Zones: []cart.Zone{
			{NameAR: "الرياض", NameEN: "Riyadh", Fee: 2500},
			{NameAR: "جدة", NameEN: "Jeddah", Aliases: []string{"Jiddah", "Jedda"}, Fee: 3000},
			{NameAR: "مكة المكرمة", NameEN: "Makkah", Aliases: []string{"Mecca", "مكة"}, Fee: 3000},
			{NameAR: "الدمام", NameEN: "Dammam", Fee: 3000},
		}}
}

// seedDemoPricing gives the demo tenant demoPricing unless it has pricing
// settings of its own (a merchant's change is kept).
func seedDemoPricing(ctx context.Context, d *deps, t *tenants.Tenant, out io.Writer) error {
	svc := cart.New(cart.Config{}, cart.Deps{Scope: d.scope, Tenants: d.tenants, Audit: d.audit})
	tctx := identity.WithActor(tenants.WithTenant(ctx, t), identity.SystemActor("seed"))
	cur, err := svc.PricingSettings(tctx)
	if err != nil || !cur.UpdatedAt.IsZero() {
		return err
	}
	if _, err := svc.UpdatePricingSettings(tctx, demoPricing()); err != nil {
		return err
	}
	fmt.Fprintln(out, say(errs.M("cli.seed_pricing")))
	return nil
}
