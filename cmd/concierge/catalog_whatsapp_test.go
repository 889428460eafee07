package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"concierge/cmd/concierge/sandbox"
	"concierge/modules/catalog"
	"concierge/modules/catalog/demo"
	"concierge/modules/catalog/feed"
	"concierge/tenants"
)

// seedCatalog imports the demo catalog into n's tenant through a sync run.
func seedCatalog(t *testing.T, n *waNumber) {
	t.Helper()
	seedCatalogInto(t, n.ta, n.ta.app.deps.tenants, n.slug, "https://media.test")
}

// seedCatalogInto imports the demo catalog (pictures under mediaBase) into
// tenant slug.
func seedCatalogInto(t *testing.T, ta *testApp, ts *tenants.Service, slug, mediaBase string) {
	t.Helper()
	var b strings.Builder
	if err := demo.WriteCSV(&b, demo.Catalog(mediaBase)); err != nil {
		t.Fatal(err)
	}
	tn, err := ts.Get(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	ctx := tenants.WithTenant(context.Background(), tn)
	svc := ta.app.catalog
	run, err := svc.StartRun(ctx, catalog.RunRequest{Input: []byte(b.String()), Format: feed.FormatCSV})
	if err != nil {
		t.Fatal(err)
	}
	if run, err = svc.WaitRun(ctx, run.ID); err != nil || run.Status != catalog.RunSucceeded {
		t.Fatalf("demo catalog: %v %+v", err, run)
	}
}

// TestCatalogInWhatsApp browses the demo catalog through the whole
// pipeline (signed webhook → worker → dialog engine with the catalog
// capability → Cloud API emulator): the menu's Browse entry, categories,
// a search, and the storefront's Chat-to-order message straight to the
// product's picture; another tenant's customer never gets this catalog.
func TestCatalogInWhatsApp(t *testing.T) {
	t.Parallel()
	ta := waStartApp(t, modeDev, nil)
	n := waTenant(t, ta, "browse")
	other := waTenant(t, ta, "empty")
	seedCatalog(t, n)

	phone := waPhone()
	conv := n.chatWith(t, phone, "ar", "سارة")
	next := conv.next
	menu := ta.app.sandbox.Sent(n.pnid, phone)[2]
	if !strings.Contains(string(menu.Raw), `"menu:catalog"`) {
		t.Fatalf("the menu has no Browse entry: %s", menu.Raw)
	}
	cats := next(sandbox.CustomerMessage{ListReply: &sandbox.ReplyChoice{ID: "menu:catalog", Title: "تصفح المنتجات"}}, 1)
	if cats[0].Type != "interactive" || !strings.Contains(string(cats[0].Raw), "نساء") || !strings.Contains(string(cats[0].Raw), "catalog:cat:") {
		t.Fatalf("categories: %s", cats[0].Raw)
	}
	found := next(sandbox.CustomerMessage{Text: "ابحث عن عبايه سوداء"}, 1)
	if !strings.Contains(string(found[0].Raw), "عباية سوداء كلاسيكية") || !strings.Contains(string(found[0].Raw), "catalog:p:") {
		t.Fatalf("search: %s", found[0].Raw)
	}
	detail := next(sandbox.CustomerMessage{Text: catalog.ChatToOrderText("ar", "عباية سوداء كلاسيكية", "ABY-001-BLK-M")}, 2)
	if detail[0].Type != "image" || !strings.Contains(detail[0].Text(), "عباية سوداء كلاسيكية") || !strings.Contains(string(detail[0].Raw), "https://media.test/media/demo/") {
		t.Fatalf("chat to order: %s", detail[0].Raw)
	}
	if detail[1].Type != "interactive" || !strings.Contains(string(detail[1].Raw), `"cart:add:`) || !strings.Contains(string(detail[1].Raw), "catalog:v:") {
		t.Fatalf("detail buttons: %s", detail[1].Raw)
	}
	none := next(sandbox.CustomerMessage{Text: "zzqx غواصة"}, 1)
	if !strings.Contains(string(none[0].Raw), `"handoff"`) {
		t.Fatalf("no results should offer staff: %s", none[0].Raw)
	}

	// Another tenant's customer: the same SKU names nothing there.
	p2 := waPhone()
	other.onboard(p2, "ar", "علي")
	other.say(p2, sandbox.CustomerMessage{Text: catalog.ChatToOrderText("ar", "عباية", "ABY-001-BLK-M")})
	got := other.waitBot(p2, 4, 15*time.Second)
	other.settle(p2, 15*time.Second)
	if raw := string(got[3].Raw); strings.Contains(raw, "عباية سوداء كلاسيكية") || strings.Contains(raw, "media.test") {
		t.Fatalf("the other tenant's customer got this catalog: %s", raw)
	}
}
