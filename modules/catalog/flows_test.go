package catalog_test

import (
	"context"
	"flag"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"concierge/modules/catalog"
	"concierge/modules/catalog/catalogtest"
	"concierge/modules/whatsapp/dialog"
	"concierge/modules/whatsapp/dialog/dialogtest"
)

var update = flag.Bool("update", false, "rewrite testdata/transcripts/*.txt with the flows' current replies (review the diff!)")

// flowTenant is the dialog tenant every transcript assumes.
var flowTenant = dialog.Tenant{
	NameAR:        "متجر النخبة",
	NameEN:        "Nukhba Store",
	DefaultLocale: "ar",
	PrivacyURL:    "https://nukhba.example/privacy",
	NoticeVersion: "2025-01",
}

// flowTranscripts are the golden conversations in testdata/transcripts, each
// driven through the real engine on the demo catalog by a customer who has
// chosen locale and consented.
var flowTranscripts = []struct {
	file          string
	locale        string
	metaCatalogID string
}{
	{file: "browse.txt", locale: "ar"},
	{file: "paging.txt", locale: "ar"},
	{file: "variants.txt", locale: "ar"},
	{file: "search.txt", locale: "ar"},
	{file: "no_results.txt", locale: "ar"},
	{file: "chat_to_order.txt", locale: "ar"},
	{file: "english.txt", locale: "en"},
	{file: "meta_catalog.txt", locale: "ar", metaCatalogID: "1234567890"},
}

func TestFlowTranscripts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedDemo(t)
	ids := catalogtest.Names(t, f.ctx, f.svc)

	files := make([]string, len(flowTranscripts))
	for i, tc := range flowTranscripts {
		files[i] = tc.file
	}
	dialogtest.RunFiles(t, filepath.Join("testdata", "transcripts"), files, *update, func(t *testing.T, name string) *dialogtest.Session {
		i := slices.IndexFunc(flowTranscripts, func(tc struct{ file, locale, metaCatalogID string }) bool { return tc.file == name })
		s := newFlowSession(t, f.ctx, dialog.New(nil, catalog.NewFlows(f.svc, dialog.Words{})), ids, flowTranscripts[i].locale)
		s.Tenant.MetaCatalogID = flowTranscripts[i].metaCatalogID
		return s
	})
}

// newFlowSession is one transcript's customer of the catalog's steps.
func newFlowSession(t testing.TB, ctx context.Context, eng *dialog.Engine, ids *dialogtest.Names, locale string) *dialogtest.Session {
	return &dialogtest.Session{T: t, Ctx: ctx, Engine: eng, Names: ids, Tenant: flowTenant,
		Customer: dialog.Customer{Locale: locale, Consent: dialog.ConsentGranted},
		Now:      time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC), CursorPrefix: "catalog:more:"}
}

// TestFlowsCrossTenant: a second tenant's catalog never shows the first
// tenant's products, categories or SKUs, by browsing, searching, Chat to
// order or tapping an id taken from the other tenant.
func TestFlowsCrossTenant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedDemo(t)
	o := f.other(t)
	cat, err := o.svc.CreateCategory(o.ctx, catalog.CategoryInput{Slug: "abayas", NameAR: "عبايات", NameEN: "Abayas"})
	if err != nil {
		t.Fatal(err)
	}
	five := 5
	own, err := o.svc.CreateProduct(o.ctx, catalog.ProductInput{
		TitleAR: "عباية بنية واسعة", TitleEN: "Loose Brown Abaya", CategoryIDs: []uuid.UUID{cat.ID},
		Variants: []catalog.VariantInput{{SKU: "OTHER-ABY-1", Price: 15000, Stock: &five}},
	})
	if err != nil {
		t.Fatal(err)
	}
	first, err := f.svc.ProductBySKU(f.ctx, "ABY-001-BLK-M")
	if err != nil {
		t.Fatal(err)
	}
	firstCats, err := f.svc.Categories(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// every id the first tenant has, as it could appear in a reply id
	foreign := []string{first.ID.String(), first.Variants[0].ID.String()}
	for _, c := range firstCats {
		foreign = append(foreign, c.ID.String())
	}

	eng := dialog.New(nil, catalog.NewFlows(f.svc, dialog.Words{}))
	turn := func(ctx context.Context, in dialog.Inbound) []dialog.Reply {
		t.Helper()
		res, err := eng.Handle(ctx, dialog.Request{Tenant: flowTenant, Customer: dialog.Customer{Locale: "ar", Consent: dialog.ConsentGranted}, In: in})
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		return res.Replies
	}
	text := func(s string) dialog.Inbound { return dialog.Inbound{Kind: dialog.KindText, Text: s} }
	tap := func(id string) dialog.Inbound { return dialog.Inbound{Kind: dialog.KindListReply, ReplyID: id} }
	idsOf := func(rs []dialog.Reply) []string {
		var out []string
		for _, r := range rs {
			for _, o := range r.Options {
				out = append(out, o.ID)
			}
		}
		return out
	}

	t.Run("other tenant sees only its own", func(t *testing.T) {
		checks := []struct {
			name string
			in   dialog.Inbound
			want []string // exactly these option ids
		}{
			{"browse", tap("menu:catalog"), []string{"catalog:cat:" + cat.ID.String()}},
			{"category", tap("catalog:cat:" + cat.ID.String()), []string{"catalog:p:" + own.ID.String()}},
			{"search", text("عباية"), []string{"catalog:p:" + own.ID.String()}},
			{"search for a product only the first has", text("iphone 15 pro"), []string{"menu:catalog", "handoff"}},
			{"chat to order by a foreign SKU", text(catalog.ChatToOrderText("ar", "عباية سوداء كلاسيكية", "ABY-001-BLK-M")), []string{"menu:catalog", "handoff"}},
			{"foreign product id", tap("catalog:p:" + first.ID.String()), []string{"menu:catalog", "handoff"}},
			{"foreign variant", tap("catalog:vs:" + first.ID.String() + ":" + first.Variants[0].ID.String()), []string{"menu:catalog", "handoff"}},
			{"foreign like", tap("catalog:like:" + first.ID.String()), []string{"menu:catalog", "handoff"}},
			{"foreign category", tap("catalog:cat:" + firstCats[0].ID.String()), []string{"menu:catalog", "handoff"}},
			{"foreign category products", tap("catalog:all:" + firstCats[0].ID.String()), []string{"menu:catalog", "handoff"}},
		}
		for _, c := range checks {
			got := idsOf(turn(o.ctx, c.in))
			if !slices.Equal(got, c.want) {
				t.Errorf("%s: ids %v, want %v", c.name, got, c.want)
			}
			for _, id := range got {
				for _, fid := range foreign {
					if strings.Contains(id, fid) {
						t.Errorf("%s: reply id %s names the first tenant's %s", c.name, id, fid)
					}
				}
			}
		}
	})
	t.Run("first tenant does not see the other's", func(t *testing.T) {
		for _, in := range []dialog.Inbound{
			text("OTHER-ABY-1 SKU: OTHER-ABY-1"), text("عباية بنية واسعة"), tap("menu:catalog"),
			tap("catalog:p:" + own.ID.String()), tap("catalog:cat:" + cat.ID.String()),
		} {
			for _, id := range idsOf(turn(f.ctx, in)) {
				if strings.Contains(id, own.ID.String()) || strings.Contains(id, cat.ID.String()) {
					t.Errorf("%+v: reply id %s names the other tenant's catalog", in, id)
				}
			}
		}
	})
}

// fakeCart is a CartOffer that offers every available variant.
type fakeCart struct{}

func (fakeCart) AddButton(_ context.Context, req dialog.Request, _ catalog.Product, v catalog.Variant) (dialog.Option, bool) {
	if req.Locale() == dialog.LocaleAR {
		return dialog.Option{ID: "cart:add:" + v.SKU, Title: "أضف إلى السلة"}, true
	}
	return dialog.Option{ID: "cart:add:" + v.SKU, Title: "Add to cart"}, true
}

// fakeTexts overrides one text.
type fakeTexts map[string]string

func (m fakeTexts) Lookup(_ context.Context, key, locale string) (string, bool) {
	s, ok := m[key+"|"+locale]
	return s, ok
}

// TestFlowsSmallCatalog covers what the demo catalog cannot show: an empty
// catalog, more than ten categories, a product without pictures, the cart
// hook and tenant texts.
func TestFlowsSmallCatalog(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	flows := catalog.NewFlows(f.svc, dialog.Words{})
	eng := dialog.New(nil, flows)
	var state dialog.State
	turn := func(in dialog.Inbound) []dialog.Reply {
		t.Helper()
		res, err := eng.Handle(f.ctx, dialog.Request{Tenant: flowTenant, Customer: dialog.Customer{Locale: "en", Consent: dialog.ConsentGranted}, State: state, In: in})
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		dialogtest.CheckLimits(t, res.Replies)
		state = res.State
		return res.Replies
	}
	tap := func(id string) dialog.Inbound { return dialog.Inbound{Kind: dialog.KindListReply, ReplyID: id} }
	ids := func(r dialog.Reply) []string {
		var out []string
		for _, o := range r.Options {
			out = append(out, o.ID)
		}
		return out
	}

	// Nothing on display yet.
	got := turn(tap("menu:catalog"))
	if len(got) != 1 || !strings.HasPrefix(got[0].Body, "We have nothing on display") || !slices.Equal(ids(got[0]), []string{"handoff"}) {
		t.Errorf("empty catalog: %+v", got)
	}

	// Free text is left to the engine while there is nothing to search; a
	// SKU is still answered.
	got = turn(dialog.Inbound{Kind: dialog.KindText, Text: "abaya"})
	if len(got) != 1 || !strings.HasPrefix(got[0].Body, "Sorry, I didn't understand") {
		t.Errorf("free text, empty catalog: %+v", got)
	}
	got = turn(dialog.Inbound{Kind: dialog.KindText, Text: "SKU: P0-A"})
	if len(got) != 1 || !strings.HasPrefix(got[0].Body, "We couldn't find a product with the code “P0-A”") {
		t.Errorf("SKU, empty catalog: %+v", got)
	}

	// Twelve categories with a product each; one without products.
	var products []*catalog.Product
	for i := range 12 {
		c, err := f.svc.CreateCategory(f.ctx, catalog.CategoryInput{Slug: "cat-" + strconv.Itoa(i), NameAR: "قسم " + strconv.Itoa(i), NameEN: "Category " + strconv.Itoa(i), Position: i})
		if err != nil {
			t.Fatal(err)
		}
		one, zero := 1, 0
		p, err := f.svc.CreateProduct(f.ctx, catalog.ProductInput{TitleAR: "منتج " + strconv.Itoa(i), TitleEN: "Product " + strconv.Itoa(i),
			CategoryIDs: []uuid.UUID{c.ID}, Variants: []catalog.VariantInput{
				{SKU: "P" + strconv.Itoa(i) + "-A", Options: []catalog.Option{{Name: "Size", Value: "A"}}, Price: 1000, Stock: &one},
				{SKU: "P" + strconv.Itoa(i) + "-B", Options: []catalog.Option{{Name: "Size", Value: "B"}}, Price: 1000, Stock: &zero},
			}})
		if err != nil {
			t.Fatal(err)
		}
		products = append(products, p)
	}
	if _, err := f.svc.CreateCategory(f.ctx, catalog.CategoryInput{Slug: "empty", NameEN: "Empty"}); err != nil {
		t.Fatal(err)
	}
	got = turn(tap("menu:catalog"))
	if len(got) != 1 || len(got[0].Options) != 10 || got[0].Options[9].ID != "catalog:more:cats:top:9" {
		t.Fatalf("first page: %+v", got)
	}
	got = turn(tap("catalog:more:cats:top:9"))
	if len(got) != 1 || len(got[0].Options) != 3 || got[0].Options[2].Title != "Category 11" {
		t.Fatalf("second page: %+v", got)
	}

	// A product without pictures: the caption comes as a text.
	p := products[0]
	got = turn(tap("catalog:p:" + p.ID.String()))
	if len(got) != 2 || got[0].Kind != dialog.ReplyText || !strings.HasPrefix(got[0].Body, "*Product 0*\nSAR\u00a010.00\nIn stock") {
		t.Errorf("no media: %+v", got)
	}

	// The cart hook: offered for a chosen available variant only.
	flows.Cart = fakeCart{}
	got = turn(tap("catalog:vs:" + p.ID.String() + ":" + p.Variants[0].ID.String()))
	if want := []string{"cart:add:P0-A", "catalog:like:" + p.ID.String(), "catalog:cat:" + p.Categories[0].ID.String()}; len(got) != 1 || !slices.Equal(ids(got[0]), want) {
		t.Errorf("available variant with a cart: %+v, want ids %v", got, want)
	}
	if state.Data["catalog.variant"] != p.Variants[0].ID.String() || state.Data["catalog.product"] != p.ID.String() || state.Step != "catalog:variant" {
		t.Errorf("state after the choice: %+v", state)
	}
	got = turn(tap("catalog:vs:" + p.ID.String() + ":" + p.Variants[1].ID.String()))
	if want := []string{"catalog:v:" + p.ID.String(), "catalog:like:" + p.ID.String(), "catalog:cat:" + p.Categories[0].ID.String()}; len(got) != 1 || !slices.Equal(ids(got[0]), want) {
		t.Errorf("sold-out variant with a cart: %+v, want ids %v", got, want)
	}
	got = turn(dialog.Inbound{Kind: dialog.KindText, Text: catalog.ChatToOrderText("en", p.TitleEN, "p0-a")})
	if want := []string{"cart:add:P0-A", "catalog:v:" + p.ID.String(), "catalog:cat:" + p.Categories[0].ID.String()}; len(got) != 2 || !slices.Equal(ids(got[1]), want) {
		t.Errorf("chat to order with a cart: %+v, want ids %v", got, want)
	}
	flows.Cart = nil

	// Tenant texts: a text and one plural form.
	withTexts := catalog.NewFlows(f.svc, dialog.Words{Overrides: fakeTexts{
		"catalog.categories.body|en": "Pick one of our departments:", "catalog.count.one|en": "just {n} item"}})
	res, err := dialog.New(nil, withTexts).Handle(f.ctx, dialog.Request{Tenant: flowTenant,
		Customer: dialog.Customer{Locale: "en", Consent: dialog.ConsentGranted}, In: tap("menu:catalog")})
	if err != nil || len(res.Replies) != 1 || res.Replies[0].Body != "Pick one of our departments:" || res.Replies[0].Options[0].Description != "just 1 item" {
		t.Errorf("override: %+v %v", res.Replies, err)
	}

	// Stale and malformed ids: known shapes answer, unknown ones go back to
	// the engine ("didn't understand").
	for _, id := range []string{"catalog:p:not-a-uuid", "catalog:nothing", "catalog:vs:" + p.ID.String(), "catalog:more:cats:top:x"} {
		got = turn(tap(id))
		if len(got) != 1 || !strings.HasPrefix(got[0].Body, "Sorry, I didn't understand") {
			t.Errorf("%s: %+v", id, got)
		}
	}
	got = turn(tap("catalog:p:" + uuid.NewString()))
	if len(got) != 1 || !strings.HasPrefix(got[0].Body, "Sorry, this product is no longer available") {
		t.Errorf("unknown product: %+v", got)
	}
}
