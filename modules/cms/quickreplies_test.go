package cms_test

import (
	"slices"
	"strings"
	"testing"

	"concierge/internal/errs"
	"concierge/modules/cms"
)

func thanks() cms.QuickReplyInput {
	return cms.QuickReplyInput{Shortcut: "thanks", Title: "Thank you",
		BodyAR: "شكرًا {{customer_name}}! طلبك رقم {{ order_number }} قيد التجهيز في {{store_name}}.",
		BodyEN: "Thank you {{customer_name}}! Order {{order_number}} is being prepared at {{store_name}}."}
}

// TestQuickReplies: create, list, get by id and by shortcut, update,
// render in both languages, delete; every write audited.
func TestQuickReplies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.shop(t, "qr", "", "")
	ctx := shop.Ctx

	q, err := f.svc.CreateQuickReply(ctx, thanks())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateQuickReply(ctx, cms.QuickReplyInput{Shortcut: "hours", Title: "Opening hours",
		BodyAR: "  نعمل من ٩ صباحًا إلى ١١ مساءً.\r\nمرحبًا بك.  ", BodyEN: "We are open 9am to 11pm."}); err != nil {
		t.Fatal(err)
	}
	all, err := f.svc.QuickReplies(ctx, "")
	if err != nil || len(all) != 2 || all[0].Shortcut != "hours" || all[1].Shortcut != "thanks" {
		t.Fatalf("list %+v %v", all, err)
	}
	if all[0].BodyAR != "نعمل من ٩ صباحًا إلى ١١ مساءً.\nمرحبًا بك." {
		t.Errorf("body not cleaned: %q", all[0].BodyAR)
	}
	if found, err := f.svc.QuickReplies(ctx, "THANK"); err != nil || len(found) != 1 || found[0].ID != q.ID {
		t.Errorf("search: %+v %v", found, err)
	}
	for _, ref := range []string{q.ID.String(), "thanks"} {
		got, err := f.svc.QuickReply(ctx, ref)
		if err != nil || got.ID != q.ID || got.BodyEN != q.BodyEN {
			t.Errorf("get %s: %+v %v", ref, got, err)
		}
	}

	vars := map[string]string{"customer_name": "سارة", "order_number": "1042"}
	ar, err := f.svc.Render(ctx, "thanks", "ar", vars)
	if want := "شكرًا سارة! طلبك رقم 1042 قيد التجهيز في " + shop.NameAR + "."; err != nil || ar != want {
		t.Errorf("render ar = %q %v, want %q", ar, err, want)
	}
	en, err := f.svc.Render(ctx, q.ID.String(), "en", map[string]string{"customer_name": "Sarah", "order_number": "1042", "store_name": "Oud House"})
	if want := "Thank you Sarah! Order 1042 is being prepared at Oud House."; err != nil || en != want {
		t.Errorf("render en = %q %v, want %q", en, err, want)
	}
	if def, err := f.svc.Render(ctx, "thanks", "", vars); err != nil || def != ar {
		t.Errorf("render in the store's language = %q %v", def, err)
	}

	in := thanks()
	in.Shortcut, in.BodyEN = "thank-you", "Thanks, {{customer_name}}."
	up, err := f.svc.UpdateQuickReply(ctx, "thanks", in)
	if err != nil || up.ID != q.ID || up.Shortcut != "thank-you" || up.UpdatedAt.Before(q.UpdatedAt) {
		t.Fatalf("update %+v %v", up, err)
	}
	if _, err := f.svc.QuickReply(ctx, "thanks"); errs.CodeOf(err) != errs.CodeNotFound {
		t.Errorf("old shortcut: %v", err)
	}
	if en, err := f.svc.Render(ctx, "thank-you", "en", map[string]string{"customer_name": "Sarah"}); err != nil || en != "Thanks, Sarah." {
		t.Errorf("render after update = %q %v", en, err)
	}

	if err := f.svc.DeleteQuickReply(ctx, q.ID.String()); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.svc.DeleteQuickReply(ctx, q.ID.String()), errs.CodeNotFound)
	_, err = f.svc.QuickReply(ctx, q.ID.String())
	wantCode(t, err, errs.CodeNotFound)
	_, err = f.svc.Render(ctx, q.ID.String(), "ar", vars)
	wantCode(t, err, errs.CodeNotFound)

	want := []string{"quick_reply.create", "quick_reply.create", "quick_reply.update", "quick_reply.delete"}
	if got := auditActions(t, f, shop); !slices.Equal(got, want) {
		t.Errorf("audit %v, want %v", got, want)
	}
}

// TestQuickReplyRules: each broken rule is refused with its field, every
// one at once; a taken shortcut is a conflict; a render without a value the
// body needs names the missing variables and sends nothing.
func TestQuickReplyRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.shop(t, "rules", "", "")
	ctx := shop.Ctx

	_, err := f.svc.CreateQuickReply(ctx, cms.QuickReplyInput{Shortcut: "Bad Shortcut", Title: "",
		BodyAR: "مرحبا {{customer_name}} {{coupon}} {{Coupon Code}}", BodyEN: strings.Repeat("x", 4097)})
	wantCode(t, err, errs.CodeInvalid)
	wantField(t, err, "shortcut", "cms.field.shortcut")
	wantField(t, err, "title", "field.required")
	wantField(t, err, "body_ar", "cms.field.variables_unknown", "{{coupon}}, {{Coupon Code}}", "{{customer_name}}", "{{order_number}}", "{{store_name}}")
	wantField(t, err, "body_en", "cms.field.too_long", "4096")

	_, err = f.svc.CreateQuickReply(ctx, cms.QuickReplyInput{Shortcut: "x", Title: "t\tab", BodyAR: "عرض {{ خاص", BodyEN: "ok }}"})
	wantField(t, err, "title", "text.single_line")
	wantField(t, err, "body_ar", "cms.field.braces")
	wantField(t, err, "body_en", "cms.field.braces")

	if _, err := f.svc.CreateQuickReply(ctx, thanks()); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.CreateQuickReply(ctx, thanks())
	wantCode(t, err, errs.CodeConflict)
	wantField(t, err, "shortcut", "cms.field.shortcut_taken")
	other := thanks()
	other.Shortcut = "other"
	o, err := f.svc.CreateQuickReply(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.UpdateQuickReply(ctx, o.ID.String(), thanks())
	wantCode(t, err, errs.CodeConflict)

	out, err := f.svc.Render(ctx, "thanks", "en", map[string]string{"customer_name": "  "})
	wantCode(t, err, errs.CodeInvalid)
	wantField(t, err, "vars[customer_name]", "cms.field.var_missing", "customer_name")
	wantField(t, err, "vars[order_number]", "cms.field.var_missing", "order_number")
	if out != "" || len(errs.FieldsOf(err)) != 2 {
		t.Errorf("render gave %q, fields %v", out, errs.FieldsOf(err))
	}
	_, err = f.svc.Render(ctx, "thanks", "fr", nil)
	wantField(t, err, "locale", "field.oneof")
	_, err = f.svc.Render(ctx, "thanks", "en", map[string]string{"customer_name": "{{order_number}}", "Bad-Key": "x", "order_number": strings.Repeat("9", 1025)})
	wantField(t, err, "vars[customer_name]", "cms.field.var_braces")
	wantField(t, err, "vars", "cms.field.var_name")
	wantField(t, err, "vars[order_number]", "cms.field.too_long")
	_, err = f.svc.Render(ctx, "no-such", "en", nil)
	wantCode(t, err, errs.CodeNotFound)
}
