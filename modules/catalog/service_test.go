package catalog_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/modules/catalog"
	"concierge/modules/catalog/feed"
)

func fields(err error) map[string]string {
	var e *errs.Error
	out := map[string]string{}
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			out[f.Field] = f.Code
		}
	}
	return out
}

func intp(n int) *int { return &n }

func TestStaffEditing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cat, err := f.svc.CreateCategory(f.ctx, catalog.CategoryInput{NameAR: "عطور", NameEN: "Perfumes"})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := f.svc.CreateCategory(f.ctx, catalog.CategoryInput{ParentID: &cat.ID, NameAR: "دهن عود", NameEN: "Oud Oils", Slug: "oud-oils"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.CreateProduct(f.ctx, catalog.ProductInput{
		TitleAR: "دهن عود كمبودي", TitleEN: "Cambodian Oud Oil", Brand: "Arabian Oud", CategoryIDs: []uuid.UUID{sub.ID},
		Media: []catalog.MediaInput{{URL: "https://cdn.example.sa/oud.jpg", AltAR: "دهن عود", AltEN: "Oud oil"}},
		Variants: []catalog.VariantInput{{SKU: "OUD-3ML", Options: []catalog.Option{{Name: "Size", Value: "3 ml"}}, Price: 45000, Stock: intp(4)},
			{SKU: "OUD-6ML", Options: []catalog.Option{{Name: "Size", Value: "6 ml"}}, Price: 85000, CompareAt: 90000, Stock: intp(0)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Slug != "cambodian-oud-oil" || p.MinPrice != 45000 || p.MaxPrice != 85000 || !p.InStock || len(p.Variants) != 2 {
		t.Fatalf("created: %+v", p)
	}
	// Counted in its category and, once, in the parent's total.
	cs, err := f.svc.Categories(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if (c.ID == cat.ID && (c.Products != 0 || c.Total != 1)) || (c.ID == sub.ID && (c.Products != 1 || c.Total != 1)) {
			t.Fatalf("counts of %s: %d direct, %d total", c.Slug, c.Products, c.Total)
		}
	}
	// Searchable at once, in the parent category too.
	page, err := f.svc.List(f.ctx, catalog.Query{Q: "دهن العود", Category: "perfumes"})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("search after create: %d %v", len(page.Items), err)
	}

	bad := []struct {
		name string
		in   catalog.ProductInput
		want string
	}{
		{"no title", catalog.ProductInput{Variants: []catalog.VariantInput{{SKU: "A", Price: 1}}}, "title"},
		{"negative price", catalog.ProductInput{TitleEN: "X", Variants: []catalog.VariantInput{{SKU: "A", Price: -1}}}, "variants[0].price"},
		{"compare-at below price", catalog.ProductInput{TitleEN: "X", Variants: []catalog.VariantInput{{SKU: "A", Price: 100, CompareAt: 50}}}, "variants[0].compare_at_price"},
		{"no variants", catalog.ProductInput{TitleEN: "X"}, "variants"},
		{"SKU twice", catalog.ProductInput{TitleEN: "X", Variants: []catalog.VariantInput{{SKU: "A", Price: 1}, {SKU: "a", Price: 1}}}, "variants[1].sku"},
		{"unknown category", catalog.ProductInput{TitleEN: "X", CategoryIDs: []uuid.UUID{uuid.New()}, Variants: []catalog.VariantInput{{SKU: "A", Price: 1}}}, "category_ids[0]"},
		{"bad slug", catalog.ProductInput{TitleEN: "X", Slug: "Not A Slug", Variants: []catalog.VariantInput{{SKU: "A", Price: 1}}}, "slug"},
	}
	for _, tc := range bad {
		_, err := f.svc.CreateProduct(f.ctx, tc.in)
		if !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("%s: want invalid, got %v", tc.name, err)
		}
		if _, ok := fields(err)[tc.want]; !ok {
			t.Fatalf("%s: no field error on %q: %v", tc.name, tc.want, fields(err))
		}
	}
	// Duplicate SKU across products: conflict, and nothing half-written.
	_, err = f.svc.CreateProduct(f.ctx, catalog.ProductInput{TitleEN: "Copy", Variants: []catalog.VariantInput{{SKU: "NEW-1", Price: 1}, {SKU: "OUD-3ML", Price: 1}}})
	if !errors.Is(err, errs.ErrConflict) || fields(err)["variants[1].sku"] != "unique" {
		t.Fatalf("duplicate SKU: %v %v", err, fields(err))
	}
	if _, err := f.svc.ProductBySKU(f.ctx, "NEW-1"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("half-written product: %v", err)
	}

	// Update, price changes seen through the cached read.
	if _, err := f.svc.Product(f.ctx, p.Slug); err != nil {
		t.Fatal(err)
	}
	newTitle := "Cambodian Oud Oil (Aged)"
	if _, err := f.svc.UpdateProduct(f.ctx, p.ID.String(), catalog.ProductPatch{TitleEN: &newTitle}); err != nil {
		t.Fatal(err)
	}
	price := int64(39900)
	if _, err := f.svc.UpdateVariant(f.ctx, p.Slug, "OUD-3ML", catalog.VariantPatch{Price: &price}); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Product(f.ctx, p.Slug)
	if err != nil || got.TitleEN != newTitle || got.MinPrice != 39900 {
		t.Fatalf("after update: %q %d %v", got.TitleEN, got.MinPrice, err)
	}
	// Bulk stock and prices by SKU; an unknown SKU changes nothing.
	if _, err := f.svc.BulkStock(f.ctx, []catalog.StockUpdate{{SKU: "OUD-6ML", Stock: intp(7)}, {SKU: "NOPE", Stock: intp(1)}}); !errors.Is(err, errs.ErrInvalid) || !strings.Contains(fields(err)["items"], "unknown_sku") {
		t.Fatalf("unknown SKU: %v %v", err, fields(err))
	}
	if got, _ := f.svc.StaffProduct(f.ctx, p.Slug); *got.Variants[1].Stock != 0 {
		t.Fatalf("bulk with an unknown SKU wrote stock %d", *got.Variants[1].Stock)
	}
	if res, err := f.svc.BulkStock(f.ctx, []catalog.StockUpdate{{SKU: "OUD-6ML", Stock: intp(7)}, {SKU: "OUD-3ML", Stock: nil}}); err != nil || res.Updated != 2 {
		t.Fatalf("bulk stock: %+v %v", res, err)
	}
	if res, err := f.svc.BulkPrice(f.ctx, []catalog.PriceUpdate{{SKU: "OUD-6ML", Price: 80000, CompareAt: 85000}}); err != nil || res.Updated != 1 {
		t.Fatalf("bulk price: %+v %v", res, err)
	}
	got, err = f.svc.Product(f.ctx, p.Slug)
	if err != nil {
		t.Fatal(err)
	}
	v6 := got.Variants[1]
	if v6.StockState() != catalog.StockIn || v6.Price != 80000 || v6.CompareAt != 85000 || got.Variants[0].StockState() != catalog.StockUntracked {
		t.Fatalf("after bulk: %+v", got.Variants)
	}
	// Archive: gone from the public catalog, kept for staff.
	if _, err := f.svc.ArchiveProduct(f.ctx, p.Slug); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Product(f.ctx, p.Slug); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("archived product still served: %v", err)
	}
	if page, _ := f.svc.List(f.ctx, catalog.Query{Q: "oud"}); len(page.Items) != 0 {
		t.Fatalf("archived product still found by search")
	}
	// Categories: a cycle is refused; a category with children cannot go.
	if _, err := f.svc.UpdateCategory(f.ctx, cat.ID.String(), catalog.CategoryInput{ParentID: &sub.ID, NameEN: "Perfumes"}); fields(err)["parent_id"] != "cycle" {
		t.Fatalf("cycle: %v", err)
	}
	if err := f.svc.DeleteCategory(f.ctx, cat.Slug); !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("delete with children: %v", err)
	}
	if err := f.svc.DeleteCategory(f.ctx, "oud-oils"); err != nil {
		t.Fatal(err)
	}
}

// TestCatalogIsolation: a second tenant sees nothing of the first's
// products, categories, runs or sources, reuses its SKUs and slugs freely,
// and cannot change them.
func TestCatalogIsolation(t *testing.T) {
	t.Parallel()
	a := newFixture(t)
	run := importBytes(t, a.svc, a.ctx, readFeed(t, "v1.csv"), feed.FormatCSV, false)
	src, err := a.svc.CreateSource(a.ctx, catalog.SourceInput{Name: "feed", Kind: "url", URL: "https://feeds.example.sa/a.xml", IntervalMinutes: 60})
	if err != nil {
		t.Fatal(err)
	}
	pa, err := a.svc.Product(a.ctx, "black-crepe-abaya")
	if err != nil {
		t.Fatal(err)
	}
	b := a.other(t)

	for _, ref := range []string{pa.ID.String(), pa.Slug} {
		if _, err := b.svc.Product(b.ctx, ref); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("B reads A's product %s: %v", ref, err)
		}
		if _, err := b.svc.StaffProduct(b.ctx, ref); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("B staff-reads A's product %s: %v", ref, err)
		}
	}
	if _, err := b.svc.ProductBySKU(b.ctx, "ABY-1-S"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("B finds A's SKU: %v", err)
	}
	for _, q := range []catalog.Query{{}, {Q: "عباية"}, {Q: "abaya"}} {
		page, err := b.svc.List(b.ctx, q)
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("B lists %d of A's products (%v)", len(page.Items), err)
		}
	}
	if cs, err := b.svc.Categories(b.ctx); err != nil || len(cs) != 0 {
		t.Fatalf("B sees %d of A's categories", len(cs))
	}
	if _, err := b.svc.Run(b.ctx, run.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("B reads A's run: %v", err)
	}
	if runs, _ := b.svc.Runs(b.ctx, nil, 50); len(runs) != 0 {
		t.Fatalf("B lists A's runs")
	}
	if srcs, _ := b.svc.Sources(b.ctx); len(srcs) != 0 {
		t.Fatalf("B lists A's sources")
	}
	if _, err := b.svc.Source(b.ctx, src.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("B reads A's source: %v", err)
	}
	if err := b.svc.DeleteSource(b.ctx, src.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("B deletes A's source: %v", err)
	}
	if _, err := b.svc.StartRun(b.ctx, catalog.RunRequest{SourceID: &src.ID}); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("B runs A's source: %v", err)
	}
	if err := b.svc.ExecuteRun(b.ctx, run.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("B executes A's run: %v", err)
	}
	price := int64(1)
	if _, err := b.svc.UpdateVariant(b.ctx, pa.ID.String(), "ABY-1-S", catalog.VariantPatch{Price: &price}); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("B updates A's variant: %v", err)
	}
	if _, err := b.svc.BulkPrice(b.ctx, []catalog.PriceUpdate{{SKU: "ABY-1-S", Price: 1}}); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("B bulk-prices A's SKU: %v", err)
	}
	if _, err := b.svc.ArchiveProduct(b.ctx, pa.ID.String()); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("B archives A's product: %v", err)
	}
	if _, err := b.svc.CreateProduct(b.ctx, catalog.ProductInput{TitleEN: "X", CategoryIDs: []uuid.UUID{pa.Categories[0].ID},
		Variants: []catalog.VariantInput{{SKU: "Z", Price: 1}}}); fields(err)["category_ids[0]"] != "unknown_category" {
		t.Fatalf("B links A's category: %v", err)
	}
	// B imports the same feed: same SKUs and slugs, its own rows.
	runB := importBytes(t, b.svc, b.ctx, readFeed(t, "v1.csv"), feed.FormatCSV, true)
	if runB.Report.Created != 4 {
		t.Fatalf("B's import: %+v", runB.Report)
	}
	pb, err := b.svc.Product(b.ctx, "black-crepe-abaya")
	if err != nil || pb.ID == pa.ID {
		t.Fatalf("B's product: %v (same id as A's: %v)", err, pb != nil && pb.ID == pa.ID)
	}
	// A is untouched by B's full import.
	if again, err := a.svc.Product(a.ctx, pa.ID.String()); err != nil || again.MinPrice != pa.MinPrice {
		t.Fatalf("A after B's import: %v", err)
	}
}

// TestReindex rebuilds every product's search row: a search finds the same
// products before and after.
func TestReindex(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	importBytes(t, f.svc, f.ctx, readFeed(t, "v1.csv"), feed.FormatCSV, false)
	before, err := f.svc.List(f.ctx, catalog.Query{Q: "عبايه"})
	if err != nil || len(before.Items) != 1 {
		t.Fatalf("before: %d %v", len(before.Items), err)
	}
	n, err := f.svc.Reindex(f.ctx)
	if err != nil || n != 3 {
		t.Fatalf("reindex: %d %v", n, err)
	}
	after, err := f.svc.List(f.ctx, catalog.Query{Q: "عبايه"})
	if err != nil || len(after.Items) != 1 || after.Items[0].ID != before.Items[0].ID {
		t.Fatalf("after: %+v %v", after.Items, err)
	}
	if after.Items[0].UpdatedAt != before.Items[0].UpdatedAt {
		t.Fatal("reindex changed the product's updated_at")
	}
}

// TestServiceRefusesBadTextAndLinks holds the domain rules for input that
// does not come through the HTTP edge (forms, the shell): links are http(s)
// only — https only in production —, texts carry no control characters, and
// numbers stay inside their columns. Nothing is written when a rule fails.
func TestServiceRefusesBadTextAndLinks(t *testing.T) {
	t.Parallel()
	dev := newFixture(t)
	prod := newFixture(t, func(c *catalog.Config) { c.AllowHTTPLinks = false })
	variant := func() []catalog.VariantInput { return []catalog.VariantInput{{SKU: "OK-1", Price: 100}} }
	cases := []struct {
		name  string
		f     *fixture
		in    catalog.ProductInput
		field string
	}{
		{"javascript link", dev, catalog.ProductInput{TitleEN: "A", Link: "javascript:alert(1)", Variants: variant()}, "link"},
		{"data link", dev, catalog.ProductInput{TitleEN: "A", Link: "data:text/html,x", Variants: variant()}, "link"},
		{"http link in production", prod, catalog.ProductInput{TitleEN: "A", Link: "http://shop.example.sa/a", Variants: variant()}, "link"},
		{"http picture in production", prod, catalog.ProductInput{TitleEN: "A", Media: []catalog.MediaInput{{URL: "http://cdn.example.sa/a.jpg"}}, Variants: variant()}, "media[0].url"},
		{"file picture", dev, catalog.ProductInput{TitleEN: "A", Media: []catalog.MediaInput{{URL: "file:///etc/passwd"}}, Variants: variant()}, "media[0].url"},
		{"NUL in a title", dev, catalog.ProductInput{TitleEN: "A\x00", Variants: variant()}, "title_en"},
		{"newline in a title", dev, catalog.ProductInput{TitleEN: "A\nB", Variants: variant()}, "title_en"},
		{"NUL in an attribute", dev, catalog.ProductInput{TitleEN: "A", Attributes: map[string]string{"k": "\x00"}, Variants: variant()}, "attributes[k]"},
		{"NUL in an option", dev, catalog.ProductInput{TitleEN: "A", Variants: []catalog.VariantInput{{SKU: "S", Price: 1, Options: []catalog.Option{{Name: "Size", Value: "M\x00"}}}}}, "variants[0].options[0].value"},
		{"invalid UTF-8 SKU", dev, catalog.ProductInput{TitleEN: "A", Variants: []catalog.VariantInput{{SKU: "S\xff", Price: 1}}}, "variants[0].sku"},
		{"stock beyond int4", dev, catalog.ProductInput{TitleEN: "A", Variants: []catalog.VariantInput{{SKU: "S", Price: 1, Stock: intp(catalog.MaxCount + 1)}}}, "variants[0].stock"},
		{"price beyond the money bound", dev, catalog.ProductInput{TitleEN: "A", Variants: []catalog.VariantInput{{SKU: "S", Price: 1_000_000_000_001}}}, "variants[0].price"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.f.svc.CreateProduct(tc.f.ctx, tc.in)
			if !errors.Is(err, errs.ErrInvalid) || fields(err)[tc.field] == "" {
				t.Fatalf("want an invalid %s, got %v (%v)", tc.field, err, fields(err))
			}
		})
	}
	if _, err := dev.svc.CreateProduct(dev.ctx, catalog.ProductInput{TitleEN: "A", Link: "http://shop.example.sa/a", Variants: variant()}); err != nil {
		t.Fatalf("http link outside production: %v", err)
	}
	if _, err := prod.svc.CreateCategory(prod.ctx, catalog.CategoryInput{NameEN: "C", ImageURL: "http://cdn.example.sa/c.jpg"}); fields(err)["image_url"] == "" {
		t.Fatalf("http category image in production: %v", err)
	}
	if _, err := prod.svc.CreateSource(prod.ctx, catalog.SourceInput{Name: "feed", Kind: "url", URL: "ftp://example.sa/feed.csv"}); fields(err)["url"] == "" {
		t.Fatalf("ftp feed: %v", err)
	}
	for _, f := range []*fixture{dev, prod} {
		page, err := f.svc.StaffList(f.ctx, catalog.Query{Status: catalog.StatusActive})
		if err != nil {
			t.Fatal(err)
		}
		if f == prod && len(page.Items) != 0 {
			t.Fatalf("a refused product was written: %+v", page.Items)
		}
	}
}
