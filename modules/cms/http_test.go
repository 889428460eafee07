package cms_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/cms"
)

// TestHTTP: every route as a scenario, in order, on shop A (shop B for the
// cross-tenant rows): answers in JSON, refusals as problem+json with the
// catalog's words and field errors, writes audited.
func TestHTTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.shop(t, "httpa", "150000000000001", "850000000000001")
	b := f.shop(t, "httpb", "150000000000002", "850000000000002")
	app := f.mount(a, b)
	if _, err := f.svc.SyncTemplates(a.Ctx); err != nil {
		t.Fatal(err)
	}
	tpl := mustTemplates(t, f, a)[0]
	var qrID string
	tests := []struct {
		name, method, path, shop, body string
		status                         int
		contains                       []string
		after                          func(t *testing.T, body string)
	}{
		{name: "create", method: "POST", path: "/api/v1/quick-replies", status: 201,
			body:     `{"shortcut":"thanks","title":"شكر","body_ar":"شكرًا {{customer_name}}، طلبك {{order_number}}","body_en":"Thanks {{customer_name}}, order {{order_number}}"}`,
			contains: []string{`"shortcut":"thanks"`, `"body_ar":"شكرًا {{customer_name}}، طلبك {{order_number}}"`},
			after: func(t *testing.T, body string) {
				var q struct{ ID string }
				if err := json.Unmarshal([]byte(body), &q); err != nil || q.ID == "" {
					t.Fatalf("no id in %s", body)
				}
				qrID = q.ID
			}},
		{name: "create, taken", method: "POST", path: "/api/v1/quick-replies", status: 409,
			body:     `{"shortcut":"thanks","title":"x","body_ar":"x","body_en":"x"}`,
			contains: []string{`"field":"shortcut"`, "is used by another quick reply"}},
		{name: "create, every rule", method: "POST", path: "/api/v1/quick-replies", status: 422,
			body:     `{"shortcut":"Not OK","title":"","body_ar":"{{coupon}}","body_en":"x","extra":1}`,
			contains: []string{`"field":"extra"`}},
		{name: "create, fields", method: "POST", path: "/api/v1/quick-replies", status: 422,
			body:     `{"shortcut":"Not OK","title":"","body_ar":"{{coupon}}","body_en":"x"}`,
			contains: []string{`"field":"shortcut"`, `"field":"title"`, `"field":"body_ar"`, "names unknown variables: {{coupon}}", "{{customer_name}}"}},
		{name: "list", method: "GET", path: "/api/v1/quick-replies?q=than", status: 200, contains: []string{`"quick_replies":[{`, `"shortcut":"thanks"`}},
		{name: "get by shortcut", method: "GET", path: "/api/v1/quick-replies/thanks", status: 200, contains: []string{`"title":"شكر"`}},
		{name: "render ar", method: "POST", path: "/api/v1/quick-replies/thanks/render", status: 200,
			body: `{"locale":"ar","vars":{"customer_name":"سارة","order_number":"1042"}}`, contains: []string{`"text":"شكرًا سارة، طلبك 1042"`, `"locale":"ar"`}},
		{name: "render, a value missing", method: "POST", path: "/api/v1/quick-replies/thanks/render", status: 422,
			body: `{"locale":"en","vars":{"customer_name":"Sarah"}}`, contains: []string{`"field":"vars[order_number]"`, "this reply uses order_number"}},
		{name: "render, bad locale", method: "POST", path: "/api/v1/quick-replies/thanks/render", status: 422,
			body: `{"locale":"fr"}`, contains: []string{`"field":"locale"`}},
		{name: "update", method: "PUT", path: "/api/v1/quick-replies/thanks", status: 200,
			body: `{"shortcut":"thanks","title":"Thanks","body_ar":"شكرًا","body_en":"Thanks"}`, contains: []string{`"title":"Thanks"`}},
		{name: "B cannot read A's", method: "GET", path: "/api/v1/quick-replies/thanks", shop: "b", status: 404, contains: []string{"There is no quick reply"}},
		{name: "B lists nothing", method: "GET", path: "/api/v1/quick-replies", shop: "b", status: 200, contains: []string{`"quick_replies":[]`}},
		{name: "B sees no templates", method: "GET", path: "/api/v1/templates", shop: "b", status: 200, contains: []string{`"templates":[]`}},
		{name: "B cannot read A's template", method: "GET", path: "/api/v1/templates/" + tpl.ID.String(), shop: "b", status: 404,
			contains: []string{"There is no message template"}},
		{name: "templates", method: "GET", path: "/api/v1/templates?status=pending", status: 200,
			contains: []string{`"name":"promo_offer"`, `"status":"pending"`, `"category":"marketing"`, `"type":"BODY"`}},
		{name: "templates, bad status", method: "GET", path: "/api/v1/templates?status=nope", status: 422, contains: []string{`"field":"status"`}},
		{name: "template", method: "GET", path: "/api/v1/templates/" + tpl.ID.String(), status: 200, contains: []string{`"name":"` + tpl.Name + `"`}},
		{name: "template, not an id", method: "GET", path: "/api/v1/templates/nope", status: 404},
		{name: "sync", method: "POST", path: "/api/v1/templates/sync", status: 202, contains: []string{`{"queued":true}`}},
		{name: "bot texts", method: "GET", path: "/api/v1/bot-texts?prefix=language.", status: 200,
			contains: []string{`"key":"language.prompt"`, `"placeholders":["{store}"]`, `"override":{"ar":null,"en":null}`}},
		{name: "bot text", method: "GET", path: "/api/v1/bot-texts/language.prompt", status: 200, contains: []string{`"key":"language.prompt"`}},
		{name: "bot text, put", method: "PUT", path: "/api/v1/bot-texts/language.prompt", status: 200,
			body: `{"ar":"أهلًا في {store}","en":null}`, contains: []string{`"override":{"ar":"أهلًا في {store}","en":null}`}},
		{name: "bot text, unknown key", method: "PUT", path: "/api/v1/bot-texts/nope.nothing", status: 404,
			body: `{"ar":"x"}`, contains: []string{"There is no bot text with this key."}},
		{name: "bot text, unknown placeholder", method: "PUT", path: "/api/v1/bot-texts/language.prompt", status: 422,
			body: `{"ar":"أهلًا {coupon}","en":"Hi {store}"}`, contains: []string{`"field":"ar"`, "unknown placeholders: {coupon}; the default uses: {store}"}},
		{name: "bot text, preview", method: "POST", path: "/api/v1/bot-texts/language.prompt/preview", status: 200,
			body: `{"ar":null,"en":"Hello from {store}"}`, contains: []string{`"ar":"أهلًا في ` + a.NameAR + `"`, `"en":"Hello from ` + a.NameEN + `"`}},
		{name: "bot text, preview without a body", method: "POST", path: "/api/v1/bot-texts/language.prompt/preview", status: 200,
			contains: []string{`"ar":"أهلًا في ` + a.NameAR + `"`}},
		{name: "bot text, preview of an unknown key", method: "POST", path: "/api/v1/bot-texts/nope/preview", status: 404},
		{name: "B sees defaults only", method: "GET", path: "/api/v1/bot-texts/language.prompt", shop: "b", status: 200,
			contains: []string{`"override":{"ar":null,"en":null}`}},
		{name: "B cannot delete A's quick reply", method: "DELETE", path: "/api/v1/quick-replies/thanks", shop: "b", status: 404},
		{name: "bot text, delete", method: "DELETE", path: "/api/v1/bot-texts/language.prompt", status: 204},
		{name: "delete", method: "DELETE", path: "/api/v1/quick-replies/thanks", status: 204},
		{name: "deleted", method: "GET", path: "/api/v1/quick-replies/thanks", status: 404},
	}
	for _, tc := range tests {
		shop := a.Slug
		if tc.shop == "b" {
			shop = b.Slug
		}
		status, body := call(t, app, tc.method, tc.path, shop, tc.body)
		if status != tc.status {
			t.Fatalf("%s: %d %s, want %d", tc.name, status, body, tc.status)
		}
		for _, want := range tc.contains {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the answer lacks %q: %s", tc.name, want, body)
			}
		}
		if strings.Contains(body, `"cms.`) {
			t.Errorf("%s: a message id in place of a text: %s", tc.name, body)
		}
		if tc.after != nil {
			tc.after(t, body)
		}
	}
	if qrID == "" {
		t.Fatal("no quick reply created")
	}
	acts := auditActions(t, f, a)
	for _, want := range []string{"quick_reply.create", "quick_reply.update", "quick_reply.delete", "templates.synced",
		"templates.sync_requested", "bot_text.update", "bot_text.delete"} {
		if !strings.Contains(strings.Join(acts, " "), want) {
			t.Errorf("audit lacks %s: %v", want, acts)
		}
	}
}

// TestCrossTenant: shop B reaches none of shop A's rows through the
// service — quick replies by id or shortcut (read, update, delete,
// render), templates, bot text overrides — and A's rows are untouched.
func TestCrossTenant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.shop(t, "crossa", "160000000000001", "860000000000001")
	b := f.shop(t, "crossb", "", "")
	q, err := f.svc.CreateQuickReply(a.Ctx, thanks())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SyncTemplates(a.Ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetBotText(a.Ctx, "language.prompt", cms.BotTextChange{AR: ptr("أهلًا {store}")}); err != nil {
		t.Fatal(err)
	}
	tpl := mustTemplates(t, f, a)[0]
	vars := map[string]string{"customer_name": "x", "order_number": "1"}

	for _, ref := range []string{q.ID.String(), "thanks"} {
		_, err := f.svc.QuickReply(b.Ctx, ref)
		wantCode(t, err, errs.CodeNotFound)
		_, err = f.svc.UpdateQuickReply(b.Ctx, ref, thanks())
		wantCode(t, err, errs.CodeNotFound)
		wantCode(t, f.svc.DeleteQuickReply(b.Ctx, ref), errs.CodeNotFound)
		_, err = f.svc.Render(b.Ctx, ref, "ar", vars)
		wantCode(t, err, errs.CodeNotFound)
	}
	if qs, err := f.svc.QuickReplies(b.Ctx, ""); err != nil || len(qs) != 0 {
		t.Errorf("B lists %d quick replies: %v", len(qs), err)
	}
	// B may use the same shortcut: shortcuts are unique per shop.
	if _, err := f.svc.CreateQuickReply(b.Ctx, thanks()); err != nil {
		t.Errorf("B's own thanks: %v", err)
	}
	if ts, err := f.svc.Templates(b.Ctx, cms.TemplateQuery{}); err != nil || len(ts) != 0 {
		t.Errorf("B lists %d templates: %v", len(ts), err)
	}
	_, err = f.svc.Template(b.Ctx, tpl.ID)
	wantCode(t, err, errs.CodeNotFound)
	if ok, _ := approved(t, f, b, tpl.Name, tpl.Language); ok {
		t.Error("A's template is approved for B")
	}
	if bt, err := f.svc.BotText(b.Ctx, "language.prompt"); err != nil || bt.OverrideAR != nil {
		t.Errorf("B sees A's override: %+v %v", bt, err)
	}
	if err := f.svc.DeleteBotText(b.Ctx, "language.prompt"); err != nil {
		t.Fatal(err)
	}

	// A's rows are as A left them.
	if got, err := f.svc.QuickReply(a.Ctx, "thanks"); err != nil || got.ID != q.ID || got.BodyAR != q.BodyAR {
		t.Errorf("A's quick reply: %+v %v", got, err)
	}
	if bt, err := f.svc.BotText(a.Ctx, "language.prompt"); err != nil || bt.OverrideAR == nil {
		t.Errorf("A's override: %+v %v", bt, err)
	}
	// Even asked directly in B's transaction, the tables show none of A's
	// rows, and B cannot write a row for A.
	inTx(t, f, b, func(ctx context.Context, tx bun.Tx) error {
		for _, table := range []string{"quick_replies", "message_templates", "bot_texts"} {
			var n int
			if err := tx.NewRaw(`SELECT count(*) FROM ? WHERE tenant_id = ?`, bun.Ident(table), a.ID).Scan(ctx, &n); err != nil {
				return err
			}
			if n != 0 {
				t.Errorf("B sees %d of A's rows in %s", n, table)
			}
		}
		return nil
	})
	err = f.env.Scope.InTenantTx(b.Ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO quick_replies (tenant_id, id, shortcut, title, body_ar, body_en, created_at, updated_at)
			VALUES (?, gen_random_uuid(), 'intruder', 't', 'b', 'b', now(), now())`, a.ID)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "row-level security") {
		t.Errorf("B wrote a row for A: %v", err)
	}
}
