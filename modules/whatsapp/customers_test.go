package whatsapp_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/arabic"
	"concierge/internal/errs"
	"concierge/modules/whatsapp"
)

// TestCustomers: the staff's list (newest first, search by name or phone
// digits in any form, pages) and one customer with the consent ledger and
// conversations; another tenant sees none of it.
func TestCustomers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other, _, _ := f.addShop("othercust")
	first, second, third := phone(), phone(), phone()
	f.onboard(first, "ar")
	f.onboard(second, "en")
	f.say(text(third, "hi", f.clock.Now().Add(time.Minute))) // no consent yet
	ctx := f.shop.Ctx

	all, err := f.svc.Customers(ctx, whatsapp.CustomerQuery{})
	if err != nil || len(all.Items) != 3 || all.Items[0].WAID != third || all.Items[2].WAID != first || all.NextCursor != "" {
		t.Fatalf("list: %+v %v", all, err)
	}
	p1, err := f.svc.Customers(ctx, whatsapp.CustomerQuery{Limit: 2})
	if err != nil || len(p1.Items) != 2 || p1.NextCursor == "" {
		t.Fatalf("first page: %+v %v", p1, err)
	}
	p2, err := f.svc.Customers(ctx, whatsapp.CustomerQuery{Limit: 2, Cursor: p1.NextCursor})
	if err != nil || len(p2.Items) != 1 || p2.Items[0].WAID != first || p2.NextCursor != "" {
		t.Fatalf("second page: %+v %v", p2, err)
	}
	// By phone: international, local (0…) and Arabic-Indic digits; by a
	// part of the profile name ("عميل <digits>", harness_test.go).
	local := "0" + second[3:]
	for _, q := range []string{"+" + second, local, "٠" + toArabicDigits(second[3:]), "عميل " + second[8:]} {
		got, err := f.svc.Customers(ctx, whatsapp.CustomerQuery{Search: q})
		if err != nil || len(got.Items) != 1 || got.Items[0].WAID != second {
			t.Errorf("search %q: %+v %v", q, got.Items, err)
		}
	}
	// A name is found as it is typed: without hamza, marks or tatweel, with
	// ه for ة, in another case.
	f.inTx(func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE customers SET profile_name = ? WHERE wa_id = ?", "إسراء الزَّهْرانيّة Al-Zahrani", third)
		return err
	})
	for _, q := range []string{"اسراء", "إسـراء", "الزهرانيه", "زهرانية", "al-ZAHRANI", "اسراء  الزهرانيه"} {
		got, err := f.svc.Customers(ctx, whatsapp.CustomerQuery{Search: q})
		if err != nil || len(got.Items) != 1 || got.Items[0].WAID != third {
			t.Errorf("search %q: %+v %v", q, got.Items, err)
		}
	}
	if got, err := f.svc.Customers(ctx, whatsapp.CustomerQuery{Search: "100%_"}); err != nil || len(got.Items) != 0 {
		t.Errorf("wildcards are not escaped: %+v %v", got.Items, err)
	}
	for _, bad := range []whatsapp.CustomerQuery{{Cursor: "nope"}, {Search: string(make([]byte, 101))}, {Search: "a\x00"}} {
		if _, err := f.svc.Customers(ctx, bad); errs.CodeOf(err) != errs.CodeInvalid {
			t.Errorf("%+v: %v, want invalid", bad, err)
		}
	}

	// One customer: the ledger (the grant of onboarding) and the
	// conversation.
	id := f.customer(first).ID
	d, err := f.svc.Customer(ctx, id)
	if err != nil || d.Customer.WAID != first || d.Customer.Consent != whatsapp.ConsentGranted {
		t.Fatalf("detail: %+v %v", d, err)
	}
	if len(d.Consents) != 1 || d.Consents[0].Action != "grant" || d.Consents[0].Purpose == "" || d.Consents[0].NoticeVersion == "" ||
		d.Consents[0].Channel == "" || d.Consents[0].At.IsZero() {
		t.Errorf("ledger: %+v", d.Consents)
	}
	if len(d.Conversations) != 1 || d.Conversations[0].Customer.WAID != first {
		t.Errorf("conversations: %+v", d.Conversations)
	}
	if _, err := f.svc.Customer(ctx, uuid.Must(uuid.NewV7())); !errors.Is(err, whatsapp.ErrCustomerNotFound) {
		t.Errorf("an unknown customer: %v", err)
	}

	// Another tenant: no customers, this one not found.
	if l, err := f.svc.Customers(other.Ctx, whatsapp.CustomerQuery{}); err != nil || len(l.Items) != 0 {
		t.Errorf("another tenant's list: %+v %v", l, err)
	}
	if _, err := f.svc.Customer(other.Ctx, id); !errors.Is(err, whatsapp.ErrCustomerNotFound) {
		t.Errorf("another tenant reads the customer: %v", err)
	}
}

func toArabicDigits(s string) string {
	out := []rune(s)
	for i, r := range out {
		if r >= '0' && r <= '9' {
			out[i] = '٠' + (r - '0')
		}
	}
	return string(out)
}

// TestArabicFoldMatchesNormalize holds the database's arabic_fold (the
// customer search's) to internal/arabic.Normalize on names and how they are
// typed: hamza and madda forms, marks, tatweel, taa marbuta, Persian
// letters, presentation forms, digits, invisible characters, spaces, case.
func TestArabicFoldMatchesNormalize(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	names := []string{
		"أحمد", "إبراهيم", "آمنة", "ٱلرحمن", "مُحَمَّد", "فاطمة الزَّهراء", "مصطفى", "عائشة", "لؤي", "يـــوسف",
		"ﻻمية", "ﷲ", "کریم", "یاسمین", "سمية\u0670", "عبد  الله\t\n", "\u00a0نورة\u00a0الشمري ", "محمد\u200fعلي\u200e",
		"\u202bسارة\u202c", "\ufeffهند", "ريم\u00adا", "٠٥٥١٢٣٤", "۱۲۳", "Sara O'Neil", "JOHN  SMITH", "Ｈｉ", "١٬٢٥٠٫٥٠", "؟،؛٪",
		"Mohammed ١٢ محمد", "", "  ", "ءامنة", "Zoë",
	}
	for _, n := range names {
		var got string
		f.inTx(func(ctx context.Context, tx bun.Tx) error {
			return tx.QueryRowContext(ctx, "SELECT arabic_fold(?)", n).Scan(&got)
		})
		if want := arabic.Normalize(n); got != want {
			t.Errorf("arabic_fold(%q) = %q, arabic.Normalize gives %q", n, got, want)
		}
	}
}
