package cms_test

import (
	"slices"
	"testing"

	"concierge/internal/errs"
	"concierge/modules/cms"
)

// TestPreviewQuickReply: both bodies with sample values (the store's name
// in {{store_name}}), nothing saved; bodies are checked as a save checks
// them, every broken one said.
func TestPreviewQuickReply(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.shop(t, "qrp", "", "")
	p, err := f.svc.PreviewQuickReply(shop.Ctx, thanks())
	if err != nil {
		t.Fatal(err)
	}
	if want := "شكرًا سارة! طلبك رقم ١٠٤٢ قيد التجهيز في " + shop.NameAR + "."; p.AR != want {
		t.Errorf("ar = %q, want %q", p.AR, want)
	}
	if want := "Thank you Sarah! Order 1042 is being prepared at " + shop.NameEN + "."; p.EN != want {
		t.Errorf("en = %q, want %q", p.EN, want)
	}
	if all, err := f.svc.QuickReplies(shop.Ctx, ""); err != nil || len(all) != 0 {
		t.Errorf("a preview saved something: %+v %v", all, err)
	}
	// The shortcut and title do not matter; the bodies do.
	_, err = f.svc.PreviewQuickReply(shop.Ctx, cms.QuickReplyInput{Shortcut: "BAD SHORTCUT", BodyAR: "مرحبا {{nope}}", BodyEN: "  "})
	var fields []string
	for _, fe := range errs.FieldsOf(err) {
		fields = append(fields, fe.Field)
	}
	if errs.CodeOf(err) != errs.CodeInvalid || !slices.Equal(fields, []string{"body_ar", "body_en"}) {
		t.Errorf("bad bodies: %v %v", err, fields)
	}
}
