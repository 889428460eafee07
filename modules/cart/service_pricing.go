package cart

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/money"
	"concierge/modules/identity"
	"concierge/tenants"
)

// PricingSettings returns the tenant's pricing settings (the defaults when
// it has set none).
func (s *Service) PricingSettings(ctx context.Context) (Settings, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return Settings{}, err
	}
	currency, err := s.currency(ctx, t)
	if err != nil {
		return Settings{}, err
	}
	var out Settings
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		out, err = s.loadSettings(ctx, tx, currency)
		return err
	})
	return out, err
}

// UpdatePricingSettings replaces the tenant's pricing settings, recorded in
// the audit log as the context's actor. Carts are priced with them from the
// next read on. in.Currency, when set, must be the tenant's (it cannot
// change here). Errors: invalid (every broken rule, by field).
func (s *Service) UpdatePricingSettings(ctx context.Context, in Settings) (Settings, error) {
	return s.ChangePricingSettings(ctx, func(cur *Settings) {
		currency := cur.Currency
		*cur = in
		if in.Currency == "" {
			cur.Currency = currency
		}
	})
}

// ChangePricingSettings applies change to the tenant's pricing settings as
// they are now, under a lock on them, and saves the result as
// UpdatePricingSettings does: two staff saving different parts at once (the
// VAT rate, the zones) both land. change sees the tenant's currency in
// Currency and may not change it. Errors: invalid (every broken rule of
// the result, by field; nothing is saved).
func (s *Service) ChangePricingSettings(ctx context.Context, change func(*Settings)) (Settings, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return Settings{}, err
	}
	currency, err := s.currency(ctx, t)
	if err != nil {
		return Settings{}, err
	}
	var out Settings
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := lockSettings(ctx, tx, t.ID); err != nil {
			return err
		}
		before, err := s.loadSettings(ctx, tx, currency)
		if err != nil {
			return err
		}
		in := before
		in.Zones = append([]Zone(nil), before.Zones...)
		change(&in)
		fe := validateSettings(in)
		if in.Currency != currency {
			fe = append(fe, errs.Field("currency", "fixed", "cart.field.currency_fixed", "currency", currency))
		}
		if len(fe) > 0 {
			return errs.Invalid(fe...)
		}
		in.UpdatedAt = s.now().UTC()
		for i := range in.Zones {
			z := &in.Zones[i]
			z.NameAR, z.NameEN = strings.TrimSpace(z.NameAR), strings.TrimSpace(z.NameEN)
		}
		row := fromSettings(t.ID, in)
		if err := putSettings(ctx, tx, &row); err != nil {
			return err
		}
		out = in
		if s.audit == nil {
			return nil
		}
		return s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: t.ID, Actor: identity.ActorFrom(ctx).String(),
			Action: "pricing.update", Target: "pricing_settings", Before: auditView(before), After: auditView(in)})
	})
	if err != nil {
		return Settings{}, err
	}
	return out, nil
}

// auditView is what the audit log keeps of settings.
func auditView(s Settings) map[string]any {
	zones := make([]string, len(s.Zones))
	for i, z := range s.Zones {
		zones[i] = fmt.Sprintf("%s/%s=%d", z.NameAR, z.NameEN, z.Fee)
	}
	m := map[string]any{"vat_rate_bp": s.VATRateBP, "prices_include_vat": s.PricesIncludeVAT, "zones": zones,
		"free_shipping_threshold": s.FreeShippingThreshold, "default_fee": nil}
	if s.DefaultFee != nil {
		m["default_fee"] = *s.DefaultFee
	}
	return m
}

// maxName bounds a zone's names and aliases, in characters.
const maxName = 100

// validateSettings lists every broken rule of settings, by field.
func validateSettings(in Settings) []errs.FieldError {
	var fe []errs.FieldError
	amount := func(field string, v int64) {
		if v < 0 || v > money.MaxMinor {
			fe = append(fe, errs.Field(field, "range", "field.range", "min", 0, "max", money.MaxMinor))
		}
	}
	if in.VATRateBP < 0 || in.VATRateBP > 10000 {
		fe = append(fe, errs.Field("vat_rate_bp", "range", "field.range", "min", 0, "max", 10000))
	}
	if in.DefaultFee != nil {
		amount("default_fee", *in.DefaultFee)
	}
	amount("free_shipping_threshold", in.FreeShippingThreshold)
	if len(in.Zones) > MaxZones {
		fe = append(fe, errs.Field("zones", "max", "cart.field.zones_max", "max", MaxZones))
		return fe
	}
	seen := map[string]string{} // city key → the field that named it first
	for i, z := range in.Zones {
		at := fmt.Sprintf("zones[%d]", i)
		amount(at+".fee", z.Fee)
		if strings.TrimSpace(z.NameAR) == "" && strings.TrimSpace(z.NameEN) == "" {
			fe = append(fe, errs.Field(at+".name_ar", "required", "cart.field.zone_name"))
			continue
		}
		if len(z.Aliases) > MaxAliases {
			fe = append(fe, errs.Field(at+".aliases", "max", "cart.field.aliases_max", "max", MaxAliases))
		}
		type named struct{ field, name string }
		names := []named{{at + ".name_ar", z.NameAR}, {at + ".name_en", z.NameEN}}
		for j, a := range z.Aliases {
			names = append(names, named{fmt.Sprintf("%s.aliases[%d]", at, j), a})
		}
		keys := map[string]bool{}
		for j, n := range names {
			field, name := n.field, n.name
			if strings.TrimSpace(name) == "" && j < 2 {
				continue
			}
			key := cityKey(name)
			switch {
			case utf8.RuneCountInString(name) > maxName:
				fe = append(fe, errs.Field(field, "max", "field.max", "param", maxName))
			case key == "":
				fe = append(fe, errs.Field(field, "city", "cart.field.zone_city"))
			case keys[key]:
				// the same city twice in one zone (الرياض and Riyadh normalise apart): harmless
			case seen[key] != "":
				fe = append(fe, errs.Field(field, "unique", "cart.field.zone_duplicate", "city", name))
			default:
				keys[key] = true
				seen[key] = field
			}
		}
	}
	return fe
}
