package invoices

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"concierge/internal/arabic"
	"concierge/internal/errs"
	"concierge/internal/input"
	"concierge/tenants"
)

// MaxSellerName bounds a seller name in characters; the QR's one-byte
// length bounds it to 255 UTF-8 bytes too (about 127 Arabic letters).
const MaxSellerName = 200

// ParseVATNumber reads a Saudi VAT registration number as a person types
// it: 15 digits, the first and the last 3, Arabic-Indic or Persian digits
// read as ASCII, surrounding space ignored. It returns the number in ASCII
// digits, or false.
func ParseVATNumber(s string) (string, bool) {
	v := arabic.DigitsToASCII(strings.TrimSpace(s))
	if len(v) != 15 || v[0] != '3' || v[14] != '3' {
		return "", false
	}
	for i := range len(v) {
		if v[i] < '0' || v[i] > '9' {
			return "", false
		}
	}
	return v, true
}

// checkSettings cleans in and returns it with the field errors.
func checkSettings(in Settings) (Settings, []errs.FieldError) {
	var fields []errs.FieldError
	out := Settings{}
	if v, ok := ParseVATNumber(in.VATNumber); ok {
		out.VATNumber = v
	} else {
		fields = append(fields, errs.Field("vat_number", "format", "invoices.field.vat_number"))
	}
	name := func(field, v string) string {
		v, err := input.Clean(v, input.SingleLine)
		switch {
		case err != nil:
			fields = append(fields, errs.Field(field, "text", "invoices.field.seller_name_text"))
		case v == "":
			fields = append(fields, errs.Field(field, "required", "field.required"))
		case utf8.RuneCountInString(v) > MaxSellerName || len(v) > 255:
			fields = append(fields, errs.Field(field, "max", "invoices.field.seller_name_long", "max", MaxSellerName))
		}
		return v
	}
	out.SellerNameAR = name("seller_name_ar", in.SellerNameAR)
	out.SellerNameEN = name("seller_name_en", in.SellerNameEN)
	return out, fields
}

// Settings returns the tenant's invoice settings. Before any are saved,
// VATNumber is empty and the names are the store's (Configured false).
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return Settings{}, err
	}
	var out Settings
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := getSettings(ctx, tx)
		if err != nil || r == nil {
			out = Settings{SellerNameAR: t.NameAR, SellerNameEN: t.NameEN}
			return err
		}
		out = r.toSettings()
		return nil
	})
	return out, err
}

// SetSettings saves the tenant's invoice settings (the numbering goes on
// where it was) and audits the change as invoices.settings_updated; it
// returns them as stored. Documents already issued keep the seller they
// named. Errors: invalid (vat_number, seller_name_ar, seller_name_en).
func (s *Service) SetSettings(ctx context.Context, in Settings) (Settings, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return Settings{}, err
	}
	in, fields := checkSettings(in)
	if len(fields) > 0 {
		return Settings{}, errs.Invalid(fields...)
	}
	var out Settings
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := lockSettings(ctx, tx)
		if err != nil {
			return err
		}
		r := &settingsRow{TenantID: t.ID, VATNumber: in.VATNumber, SellerNameAR: in.SellerNameAR, SellerNameEN: in.SellerNameEN,
			UpdatedAt: s.now().UTC()}
		if err := upsertSettings(ctx, tx, r); err != nil {
			return err
		}
		out = r.toSettings()
		var prev any
		if before != nil {
			prev = auditView(before.toSettings())
		}
		if s.audit == nil {
			return nil
		}
		return s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: t.ID, Actor: s.actor(ctx), Action: "invoices.settings_updated",
			Target: "invoice_settings", Before: prev, After: auditView(out)})
	})
	return out, err
}

// auditView is what the audit log keeps of the settings (nothing secret:
// a VAT number is printed on every invoice).
func auditView(s Settings) map[string]string {
	return map[string]string{"vat_number": s.VATNumber, "seller_name_ar": s.SellerNameAR, "seller_name_en": s.SellerNameEN}
}
