package cms

import (
	"context"

	"concierge/internal/errs"
	"concierge/internal/i18n"
	"concierge/tenants"
)

// QuickReplyPreview is a quick reply's body in both languages with sample
// values in its variables.
type QuickReplyPreview struct {
	AR, EN string
}

// quickReplySamples are the preview's values of QuickReplyVars, Arabic and
// English; {{store_name}} is the store's own name.
var quickReplySamples = map[string][2]string{
	"customer_name":   {"سارة", "Sarah"},
	"order_number":    {"١٠٤٢", "1042"},
	"order_total":     {"٢٧٥٫٠٠ ر.س", "SAR 275.00"},
	"order_status":    {"تم الشحن", "Shipped"},
	"tracking_number": {"SA1042TRK", "SA1042TRK"},
	"tracking_url":    {"https://example.sa/t/1042", "https://example.sa/t/1042"},
	"payment_url":     {"https://example.sa/pay/1042", "https://example.sa/pay/1042"},
	"agent_name":      {"نورة", "Noura"},
}

// PreviewQuickReply renders the bodies of in (not saved; its shortcut and
// title are not looked at) in Arabic and English with sample values in
// their variables, the store's name in {{store_name}}. Errors: invalid
// (body_ar, body_en: as CreateQuickReply checks them).
func (s *Service) PreviewQuickReply(ctx context.Context, in QuickReplyInput) (QuickReplyPreview, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return QuickReplyPreview{}, err
	}
	var fe []errs.FieldError
	for _, b := range []struct {
		field string
		text  *string
	}{{"body_ar", &in.BodyAR}, {"body_en", &in.BodyEN}} {
		if f := checkBody(b.field, b.text); f != nil {
			fe = append(fe, *f)
		}
	}
	if len(fe) > 0 {
		return QuickReplyPreview{}, errs.Invalid(fe...)
	}
	fill := func(locale, body string) string {
		i := 0
		if locale == i18n.EN {
			i = 1
		}
		return varRe.ReplaceAllStringFunc(body, func(m string) string {
			name := varRe.FindStringSubmatch(m)[1]
			if name == "store_name" {
				return storeName(t, locale)
			}
			return quickReplySamples[name][i]
		})
	}
	return QuickReplyPreview{AR: fill(i18n.AR, in.BodyAR), EN: fill(i18n.EN, in.BodyEN)}, nil
}
