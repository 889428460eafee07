package cms_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/cms"
)

func ptr(s string) *string { return &s }

// TestBotTexts: every bot text of the catalog is listed with its defaults
// (a plural text once per form); an override is stored where the WhatsApp
// channel reads it, replaced per language, previewed with sample values
// and removed; unknown keys and placeholders are refused.
func TestBotTexts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shop := f.shop(t, "texts", "", "")
	ctx := shop.Ctx
	cat := f.env.Catalog

	all, err := f.svc.BotTexts(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]cms.BotText{}
	for _, b := range all {
		byKey[b.Key] = b
	}
	prompt, ok := byKey["language.prompt"]
	if !ok || prompt.DefaultAR != cat.Text("ar", "bot.language.prompt", nil) || prompt.DefaultEN == nil ||
		*prompt.DefaultEN != cat.Text("en", "bot.language.prompt", nil) || !slices.Equal(prompt.Placeholders, []string{"{store}"}) ||
		prompt.OverrideAR != nil || prompt.UpdatedAt != nil {
		t.Fatalf("language.prompt %+v", prompt)
	}
	if _, ok := byKey["cart.items"]; ok {
		t.Error("a plural text is listed under its own key, which no lookup reads")
	}
	few, one := byKey["cart.items.few"], byKey["cart.items.one"]
	if few.DefaultAR == "" || few.DefaultEN != nil || !slices.Contains(few.Placeholders, "{n}") {
		t.Errorf("cart.items.few %+v", few)
	}
	if one.DefaultAR == "" || one.DefaultEN == nil || *one.DefaultEN == "" {
		t.Errorf("cart.items.one %+v", one)
	}
	ids := 0
	for _, id := range cat.IDs() {
		if strings.HasPrefix(id, "bot.") {
			ids++
		}
	}
	if len(all) < ids {
		t.Errorf("%d bot texts listed, the catalog has %d", len(all), ids)
	}
	if cs, _ := f.svc.BotTexts(ctx, "checkout."); len(cs) == 0 || !strings.HasPrefix(cs[0].Key, "checkout.") || len(cs) >= len(all) {
		t.Errorf("prefix filter: %d", len(cs))
	}

	// Override both languages, then drop the English one.
	b, err := f.svc.SetBotText(ctx, "language.prompt", cms.BotTextChange{AR: ptr("  حيّاك الله في {store}!\r\nاختر لغتك:  "), EN: ptr("Hi from {store}!")})
	if err != nil {
		t.Fatal(err)
	}
	if b.OverrideAR == nil || *b.OverrideAR != "حيّاك الله في {store}!\nاختر لغتك:" || b.OverrideEN == nil || b.UpdatedAt == nil {
		t.Fatalf("set %+v", b)
	}
	stored := func() map[string]string {
		m := map[string]string{}
		inTx(t, f, shop, func(ctx context.Context, tx bun.Tx) error {
			var rows []struct {
				Locale string `bun:"locale"`
				Body   string `bun:"body"`
			}
			err := tx.NewRaw(`SELECT locale, body FROM bot_texts WHERE key = 'language.prompt'`).Scan(ctx, &rows)
			for _, r := range rows {
				m[r.Locale] = r.Body
			}
			return err
		})
		return m
	}
	if m := stored(); len(m) != 2 || m["en"] != "Hi from {store}!" {
		t.Fatalf("bot_texts rows %v", m)
	}
	if b, err = f.svc.SetBotText(ctx, "language.prompt", cms.BotTextChange{AR: b.OverrideAR}); err != nil || b.OverrideEN != nil {
		t.Fatalf("remove English: %+v %v", b, err)
	}
	if m := stored(); len(m) != 1 || m["ar"] == "" {
		t.Fatalf("bot_texts rows %v", m)
	}

	// Preview: the store's current wording with its name, or the given
	// text with sample values; nothing saved.
	p, err := f.svc.PreviewBotText(ctx, "language.prompt", cms.BotTextChange{})
	if err != nil || p.AR != "حيّاك الله في "+shop.NameAR+"!\nاختر لغتك:" || p.EN == nil ||
		*p.EN != strings.ReplaceAll(*prompt.DefaultEN, "{store}", shop.NameEN) {
		t.Fatalf("preview of the current texts: %+v %v", p, err)
	}
	p, err = f.svc.PreviewBotText(ctx, "checkout.notify.pay_link", cms.BotTextChange{AR: ptr("ادفع {total} للطلب {order} قبل {deadline}"), EN: ptr("Pay {total} for #{order}")})
	if err != nil || p.AR != "ادفع ٢٧٥٫٠٠ ر.س للطلب ١٠٤٢ قبل غدًا ٨:٠٠ م" || *p.EN != "Pay SAR 275.00 for #1042" {
		t.Fatalf("preview: %+v %v", p, err)
	}
	if strings.ContainsAny(p.AR+*p.EN, "{}") {
		t.Errorf("a placeholder left in %+v", p)
	}
	p, err = f.svc.PreviewBotText(ctx, "cart.items.few", cms.BotTextChange{AR: ptr("{n} قطع في السلة")})
	if err != nil || p.AR != "٣ قطع في السلة" || p.EN != nil {
		t.Errorf("plural preview: %+v %v", p, err)
	}
	if cur, _ := f.svc.BotText(ctx, "checkout.notify.pay_link"); cur.OverrideAR != nil {
		t.Error("a preview saved its text")
	}

	// Refusals.
	_, err = f.svc.SetBotText(ctx, "no.such.key", cms.BotTextChange{AR: ptr("x")})
	wantCode(t, err, errs.CodeNotFound)
	_, err = f.svc.PreviewBotText(ctx, "no.such.key", cms.BotTextChange{})
	wantCode(t, err, errs.CodeNotFound)
	wantCode(t, f.svc.DeleteBotText(ctx, "no.such.key"), errs.CodeNotFound)
	_, err = f.svc.BotText(ctx, "cart.items")
	wantCode(t, err, errs.CodeNotFound)
	_, err = f.svc.SetBotText(ctx, "checkout.notify.pay_link", cms.BotTextChange{AR: ptr("ادفع {total} واستخدم {coupon}"), EN: ptr("Pay\tnow {total}")})
	wantCode(t, err, errs.CodeInvalid)
	wantField(t, err, "ar", "cms.field.placeholders_unknown", "{coupon}", "{deadline}, {order}, {total}")
	wantField(t, err, "en", "text.control")
	_, err = f.svc.PreviewBotText(ctx, "language.prompt", cms.BotTextChange{AR: ptr("   "), EN: ptr(strings.Repeat("ب", 4097))})
	wantField(t, err, "ar", "cms.field.bot_text_required")
	wantField(t, err, "en", "cms.field.too_long")
	_, err = f.svc.SetBotText(ctx, "cart.items.few", cms.BotTextChange{AR: ptr("{n} قطع"), EN: ptr("{n} items")})
	wantField(t, err, "en", "cms.field.form_unused")
	if b, err := f.svc.SetBotText(ctx, "cart.items.few", cms.BotTextChange{AR: ptr("{n} قطع")}); err != nil || *b.OverrideAR != "{n} قطع" {
		t.Errorf("plural form override: %+v %v", b, err)
	}

	// Delete: back to the defaults (twice is fine).
	if err := f.svc.DeleteBotText(ctx, "language.prompt"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteBotText(ctx, "language.prompt"); err != nil {
		t.Fatal(err)
	}
	if b, err := f.svc.BotText(ctx, "language.prompt"); err != nil || b.OverrideAR != nil || b.OverrideEN != nil || len(stored()) != 0 {
		t.Errorf("after delete %+v %v", b, err)
	}
	want := []string{"bot_text.update", "bot_text.update", "bot_text.update", "bot_text.delete"}
	if got := auditActions(t, f, shop); !slices.Equal(got, want) {
		t.Errorf("audit %v, want %v", got, want)
	}
}
