package tenants

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"concierge/internal/errs"
)

// Storefront is how a tenant's web shop presents itself: its names (the
// tenant's own unless staff set display names), logo, primary colour, and
// the WhatsApp number its "Chat to order" links open.
type Storefront struct {
	NameAR, NameEN string
	LogoURL        string
	PrimaryColor   string // #rrggbb; "" the platform's
	// WhatsAppPhone is the digits of the display phone of the tenant's
	// first active WhatsApp number ("" when it has none).
	WhatsAppPhone string
	UpdatedAt     *time.Time
}

// StorefrontInput is a PUT of the storefront settings: every field is
// replaced ("" clears it).
type StorefrontInput struct {
	NameAR, NameEN, LogoURL, PrimaryColor string
}

type storefrontRow struct {
	bun.BaseModel `bun:"table:storefront_settings"`
	TenantID      string    `bun:"tenant_id,pk,type:uuid"`
	NameAR        string    `bun:"name_ar"`
	NameEN        string    `bun:"name_en"`
	LogoURL       string    `bun:"logo_url"`
	PrimaryColor  string    `bun:"primary_color"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

// StorefrontOf returns the storefront settings of the tenant in ctx
// (cached with the tenant; a change to the tenant, its numbers or these
// settings forgets it).
func (s *Service) StorefrontOf(ctx context.Context) (*Storefront, error) {
	t, err := FromContext(ctx)
	if err != nil {
		return nil, err
	}
	key := "storefront:" + t.ID.String()
	if v, ok := s.cache.get(ctx, key); ok && v.Storefront != nil {
		return v.Storefront, nil
	}
	gen := s.cache.genNow()
	sf := &Storefront{NameAR: t.NameAR, NameEN: t.NameEN}
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var r storefrontRow
		err := tx.NewSelect().Model(&r).Where("tenant_id = ?", t.ID).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		applyStorefront(sf, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	phone, err := s.ChatNumber(ctx)
	if err != nil {
		return nil, err
	}
	sf.WhatsAppPhone = digitsOnly(phone)
	s.cache.put(ctx, key, cached{Tenant: t, Storefront: sf}, gen)
	return sf, nil
}

func applyStorefront(sf *Storefront, r storefrontRow) {
	if r.NameAR != "" {
		sf.NameAR = r.NameAR
	}
	if r.NameEN != "" {
		sf.NameEN = r.NameEN
	}
	sf.LogoURL, sf.PrimaryColor = r.LogoURL, r.PrimaryColor
	at := r.UpdatedAt
	sf.UpdatedAt = &at
}

// SetStorefront replaces the storefront settings of the tenant in ctx.
// Errors: invalid (a colour that is not #rrggbb, or too light to carry
// white text at WCAG AA contrast).
func (s *Service) SetStorefront(ctx context.Context, actor string, in StorefrontInput) (*Storefront, error) {
	t, err := FromContext(ctx)
	if err != nil {
		return nil, err
	}
	in.PrimaryColor = strings.ToLower(strings.TrimSpace(in.PrimaryColor))
	if in.PrimaryColor != "" {
		if !hexColour(in.PrimaryColor) {
			return nil, errs.Invalid(errs.Field("primary_color", "hexcolor", "tenants.field.colour"))
		}
		if contrastWithWhite(in.PrimaryColor) < 4.5 {
			return nil, errs.Invalid(errs.Field("primary_color", "contrast", "tenants.field.colour_contrast"))
		}
	}
	r := storefrontRow{TenantID: t.ID.String(), NameAR: strings.TrimSpace(in.NameAR), NameEN: strings.TrimSpace(in.NameEN),
		LogoURL: strings.TrimSpace(in.LogoURL), PrimaryColor: in.PrimaryColor}
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var before storefrontRow
		_ = tx.NewSelect().Model(&before).Where("tenant_id = ?", t.ID).Scan(ctx)
		_, err := tx.NewInsert().Model(&r).On("CONFLICT (tenant_id) DO UPDATE").
			Set("name_ar = EXCLUDED.name_ar, name_en = EXCLUDED.name_en, logo_url = EXCLUDED.logo_url").
			Set("primary_color = EXCLUDED.primary_color, updated_at = now()").Returning("updated_at").Exec(ctx)
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, AuditEntry{TenantID: t.ID, Actor: actor, Action: "storefront.update",
			Target: "tenant:" + t.ID.String(), Before: before, After: r})
	})
	if err != nil {
		return nil, err
	}
	s.invalidate(ctx, t.ID)
	return s.StorefrontOf(ctx)
}

func hexColour(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	_, err := strconv.ParseUint(s[1:], 16, 32)
	return err == nil
}

// contrastWithWhite is the WCAG contrast ratio of white on colour c.
func contrastWithWhite(c string) float64 {
	v, _ := strconv.ParseUint(c[1:], 16, 32)
	lin := func(x uint64) float64 {
		f := float64(x) / 255
		if f <= 0.03928 {
			return f / 12.92
		}
		return math.Pow((f+0.055)/1.055, 2.4)
	}
	l := 0.2126*lin(v>>16&0xff) + 0.7152*lin(v>>8&0xff) + 0.0722*lin(v&0xff)
	return 1.05 / (l + 0.05)
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
