package cms_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"concierge/cmd/concierge/sandbox"
	"concierge/modules/cms"
	"concierge/modules/moduletest"
	"concierge/tenants"
)

// byKey indexes templates by "name/language".

// defaults is how many templates every sandbox account lists.
var defaults = len(sandbox.DefaultTemplates())

func byKey(ts []cms.Template) map[string]cms.Template {
	m := map[string]cms.Template{}
	for _, t := range ts {
		m[t.Name+"/"+t.Language] = t
	}
	return m
}

func approved(t *testing.T, f *fixture, s moduletest.Shop, name, lang string) (bool, string) {
	t.Helper()
	var ok bool
	var code string
	inTx(t, f, s, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if ok, err = f.svc.ApprovedTx(ctx, tx, name, lang); err != nil {
			return err
		}
		code, err = f.svc.ApprovedLanguageTx(ctx, tx, name, lang)
		return err
	})
	return ok, code
}

// TestSyncTemplates: a sync mirrors the account's templates from the
// emulator's Graph API (approved and pending, each language its own row);
// a second sync changes nothing; a template Meta changed is updated and one
// it no longer lists is disabled; ApprovedTx answers only for approved
// templates of the shop's own registry.
func TestSyncTemplates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.shop(t, "synca", "110000000000001", "810000000000001")
	b := f.shop(t, "syncb", "110000000000002", "810000000000002")
	f.emu.SetTemplates("810000000000002", []sandbox.TemplateInfo{
		{Name: "b_only", Language: "en_US", Status: "APPROVED", Category: "UTILITY", Body: "Hi {{1}}"},
	})

	res, err := f.svc.SyncTemplates(a.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accounts != 1 || res.Seen != defaults || res.Created != defaults || res.Changed != 0 || res.Disabled != 0 {
		t.Fatalf("first sync %+v", res)
	}
	all, err := f.svc.Templates(a.Ctx, cms.TemplateQuery{})
	if err != nil || len(all) != defaults {
		t.Fatalf("%d templates %v", len(all), err)
	}
	got := byKey(all)
	oc := got["order_confirmed/ar"]
	if oc.Status != cms.StatusApproved || oc.Category != cms.CategoryUtility || oc.Body() != "تم تأكيد طلبك رقم {{1}}. الإجمالي: {{2}}." ||
		oc.MetaID == "" || oc.SyncedAt == nil {
		t.Errorf("order_confirmed/ar %+v", oc)
	}
	if p := got["promo_offer/en"]; p.Status != cms.StatusPending || p.Category != cms.CategoryMarketing {
		t.Errorf("promo_offer/en %+v", p)
	}
	pending, err := f.svc.Templates(a.Ctx, cms.TemplateQuery{Status: cms.StatusPending})
	if err != nil || len(pending) != 2 {
		t.Errorf("pending: %d %v", len(pending), err)
	}
	named, err := f.svc.Templates(a.Ctx, cms.TemplateQuery{Name: "order_"})
	if err != nil || len(named) != 8 {
		t.Errorf("named order_: %d %v", len(named), err)
	}
	one, err := f.svc.Template(a.Ctx, oc.ID)
	if err != nil || one.Name != "order_confirmed" {
		t.Errorf("get: %+v %v", one, err)
	}
	_, err = f.svc.Templates(a.Ctx, cms.TemplateQuery{Status: "approved-ish"})
	wantField(t, err, "status", "field.oneof")

	// The same again: nothing changes but the time it was seen.
	res, err = f.svc.SyncTemplates(a.Ctx)
	if err != nil || res.Seen != defaults || res.Created+res.Changed+res.Disabled != 0 {
		t.Fatalf("second sync %+v %v", res, err)
	}
	again, _ := f.svc.Templates(a.Ctx, cms.TemplateQuery{})
	for _, x := range again {
		before := got[x.Name+"/"+x.Language]
		if x.ID != before.ID || !x.UpdatedAt.Equal(before.UpdatedAt) || x.Status != before.Status {
			t.Errorf("%s/%s changed on an idempotent sync: %+v → %+v", x.Name, x.Language, before, x)
		}
	}

	// Meta approves the promotion, rejects a new one and drops
	// order_cancelled in English.
	ts := sandbox.DefaultTemplates()
	ts = slices.DeleteFunc(ts, func(x sandbox.TemplateInfo) bool { return x.Name == "order_cancelled" && x.Language == "en" })
	for i := range ts {
		if ts[i].Name == "promo_offer" {
			ts[i].Status = "APPROVED"
		}
	}
	ts = append(ts, sandbox.TemplateInfo{Name: "flash_sale", Language: "ar", Status: "REJECTED", Category: "MARKETING",
		Body: "تخفيضات!", RejectedReason: "PROMOTIONAL"})
	f.emu.SetTemplates("810000000000001", ts)
	res, err = f.svc.SyncTemplates(a.Ctx)
	if err != nil || res.Seen != defaults || res.Created != 1 || res.Changed != 2 || res.Disabled != 1 {
		t.Fatalf("third sync %+v %v", res, err)
	}
	got = byKey(mustTemplates(t, f, a))
	if x := got["order_cancelled/en"]; x.Status != cms.StatusDisabled || x.ID != byKey(all)["order_cancelled/en"].ID {
		t.Errorf("dropped template %+v", x)
	}
	if x := got["flash_sale/ar"]; x.Status != cms.StatusRejected || x.RejectedReason != "PROMOTIONAL" {
		t.Errorf("rejected template %+v", x)
	}

	// ApprovedTx: only approved, only the shop's own, en matching en_US.
	if _, err := f.svc.SyncTemplates(b.Ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		shop       moduletest.Shop
		name, lang string
		want       string
	}{
		{a, "order_confirmed", "ar", "ar"},
		{a, "order_confirmed", "en", "en"},
		{a, "order_confirmed", "en_US", ""},
		{a, "order_cancelled", "ar", "ar"},
		{a, "order_cancelled", "en", ""}, // disabled
		{a, "promo_offer", "en", "en"},   // approved now
		{a, "flash_sale", "ar", ""},      // rejected
		{a, "no_such_template", "ar", ""},
		{a, "order_confirmed", "fr", ""},
		{a, "Order Confirmed", "ar", ""},
		{a, "b_only", "en", ""}, // the other shop's
		{b, "b_only", "en", "en_US"},
		{b, "b_only", "en_US", "en_US"},
		{b, "b_only", "en_GB", ""},
		{b, "b_only", "en-US", "en_US"},
		{a, "order_confirmed", "AR", "ar"},
		{b, "order_confirmed", "ar", ""}, // b's account lists only b_only
	} {
		ok, code := approved(t, f, tc.shop, tc.name, tc.lang)
		if ok != (tc.want != "") || code != tc.want {
			t.Errorf("%s: %s/%s approved %v in %q, want %q", tc.shop.Slug, tc.name, tc.lang, ok, code, tc.want)
		}
	}
	if acts := auditActions(t, f, a); !slices.Equal(acts, []string{"templates.synced", "templates.synced"}) {
		t.Errorf("audit %v", acts)
	}
}

func mustTemplates(t *testing.T, f *fixture, s moduletest.Shop) []cms.Template {
	t.Helper()
	ts, err := f.svc.Templates(s.Ctx, cms.TemplateQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestSyncPagesAndAccounts: an account with more templates than one page
// is read to its end; a shop with two numbers in two accounts gets both
// accounts' templates; a shop without a WABA syncs nothing.
func TestSyncPagesAndAccounts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.shop(t, "pages", "120000000000001", "820000000000001")
	if _, err := f.env.Tenants.AddNumber(context.Background(), "test", s.Slug, tenants.NumberInput{PhoneNumberID: "120000000000002",
		DisplayPhone: "+966500000222", WABAID: "820000000000002", AccessToken: "token-2", AppSecret: "secret-2"}); err != nil {
		t.Fatal(err)
	}
	var many []sandbox.TemplateInfo
	for i := range 230 {
		many = append(many, sandbox.TemplateInfo{Name: fmt.Sprintf("bulk_%03d", i), Language: "ar", Status: "APPROVED", Category: "UTILITY", Body: "{{1}}"})
	}
	f.emu.SetTemplates("820000000000001", many)
	f.emu.SetTemplates("820000000000002", []sandbox.TemplateInfo{{Name: "second_account", Language: "en", Status: "APPROVED", Category: "UTILITY", Body: "x"}})
	res, err := f.svc.SyncTemplates(s.Ctx)
	if err != nil || res.Accounts != 2 || res.Seen != 231 || res.Created != 231 {
		t.Fatalf("sync %+v %v", res, err)
	}
	got := byKey(mustTemplates(t, f, s))
	if _, ok := got["bulk_229/ar"]; !ok {
		t.Error("the last page was not read")
	}
	if _, ok := got["second_account/en"]; !ok {
		t.Error("the second account was not read")
	}

	bare := f.shop(t, "bare", "", "")
	if res, err := f.svc.SyncTemplates(bare.Ctx); err != nil || res != (cms.SyncResult{}) {
		t.Errorf("a shop without an account: %+v %v", res, err)
	}
}

// TestSyncFailures: the job retries while Meta is busy or failing (429,
// 5xx) and gives up on a refusal (an expired token, an unknown account),
// writing nothing either way; a suspended shop is not synced.
func TestSyncFailures(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.shop(t, "fail", "130000000000001", "830000000000001")
	w := &cms.SyncTemplatesWorker{Service: f.svc}
	job := &river.Job[cms.SyncTemplatesArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: cms.SyncTemplatesArgs{TenantID: s.ID}}
	ctx := tenants.WithTenantID(context.Background(), s.ID) // as jobs.Tenancy gives it
	for _, tc := range []struct {
		name   string
		fault  sandbox.Fault
		cancel bool
	}{
		{"unavailable", sandbox.Fault{Count: 1, Status: 503, Code: 2}, false},
		{"server error", sandbox.Fault{Count: 1, Status: 500, Code: 1}, false},
		{"rate limited", sandbox.Fault{Count: 1, Status: 429, Code: 80007}, false},
		{"token expired", sandbox.Fault{Count: 1, Status: 401, Code: 190}, true},
		{"permission", sandbox.Fault{Count: 1, Status: 403, Code: 200}, true},
		{"bad request", sandbox.Fault{Count: 1, Status: 400, Code: 100}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.emu.FailTemplates("830000000000001", tc.fault)
			err := w.Work(ctx, job)
			var ge *cms.GraphError
			var cancel *rivertype.JobCancelError
			if err == nil || !errors.As(err, &ge) || ge.Status != tc.fault.Status || errors.As(err, &cancel) != tc.cancel {
				t.Fatalf("Work: %v (graph error %+v), want cancel %v", err, ge, tc.cancel)
			}
			if n := len(mustTemplates(t, f, s)); n != 0 {
				t.Fatalf("%d templates written by a failed sync", n)
			}
		})
	}
	if err := w.Work(ctx, job); err != nil {
		t.Fatal(err)
	}
	if n := len(mustTemplates(t, f, s)); n != defaults {
		t.Fatalf("%d templates after a good sync", n)
	}
	if _, err := f.env.Tenants.Suspend(context.Background(), "test", s.Slug); err != nil {
		t.Fatal(err)
	}
	f.emu.SetTemplates("830000000000001", []sandbox.TemplateInfo{})
	if err := w.Work(ctx, job); err != nil {
		t.Fatal(err)
	}
	var disabled int
	inTx(t, f, s, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`SELECT count(*) FROM message_templates WHERE status = 'disabled'`).Scan(ctx, &disabled)
	})
	if disabled != 0 {
		t.Errorf("a suspended shop was synced: %d disabled", disabled)
	}
	unknown := &river.Job[cms.SyncTemplatesArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: cms.SyncTemplatesArgs{TenantID: uuid.Must(uuid.NewV7())}}
	var cancel *rivertype.JobCancelError
	if err := w.Work(tenants.WithTenantID(context.Background(), unknown.Args.TenantID), unknown); !errors.As(err, &cancel) {
		t.Errorf("an unknown tenant: %v", err)
	}
}

// TestEnqueueSync: a sync is queued on demand and at onboarding (one per
// shop at a time), and the periodic fan-out queues one for every active
// shop with an account.
func TestEnqueueSync(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.shop(t, "qa", "140000000000001", "840000000000001")
	b := f.shop(t, "qb", "140000000000002", "840000000000002")
	f.shop(t, "qc", "", "") // no account
	d := f.shop(t, "qd", "140000000000004", "840000000000004")
	if _, err := f.env.Tenants.Suspend(context.Background(), "test", d.Slug); err != nil {
		t.Fatal(err)
	}
	queued := func() map[string]int {
		t.Helper()
		var rows []struct {
			TenantID string `bun:"tenant_id"`
		}
		if err := f.env.DB.Bun.NewRaw(`SELECT args->>'tenant_id' AS tenant_id FROM river_job WHERE kind = 'cms.sync_templates'`).
			Scan(context.Background(), &rows); err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, r := range rows {
			m[r.TenantID]++
		}
		return m
	}
	if err := f.svc.EnqueueSync(a.Ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.EnqueueSync(a.Ctx); err != nil {
		t.Fatal(err)
	}
	inTx(t, f, b, func(ctx context.Context, tx bun.Tx) error { return f.svc.EnqueueSyncTx(ctx, tx, b.ID) })
	if q := queued(); q[a.ID.String()] != 1 || q[b.ID.String()] != 1 || len(q) != 2 {
		t.Fatalf("queued %v", q)
	}
	// A tenant's transaction cannot queue another's sync.
	err := f.env.Scope.InTenantTx(a.Ctx, func(ctx context.Context, tx bun.Tx) error { return f.svc.EnqueueSyncTx(ctx, tx, b.ID) })
	if err == nil {
		t.Error("tenant A queued tenant B's sync")
	}
	n, err := f.svc.EnqueueSyncAll(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("fan-out found %d tenants: %v", n, err)
	}
	if q := queued(); q[a.ID.String()] != 1 || q[b.ID.String()] != 1 || len(q) != 2 {
		t.Fatalf("after the fan-out, queued %v", q)
	}
	if acts := auditActions(t, f, a); !slices.Equal(acts, []string{"templates.sync_requested", "templates.sync_requested"}) {
		t.Errorf("audit %v", acts)
	}
}
