package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"concierge/internal/db"
)

type categoryRow struct {
	bun.BaseModel `bun:"table:categories"`
	TenantID      uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	ParentID      *uuid.UUID `bun:"parent_id,type:uuid"`
	Slug          string     `bun:"slug"`
	NameAR        string     `bun:"name_ar"`
	NameEN        string     `bun:"name_en"`
	Position      int        `bun:"position"`
	ImageURL      string     `bun:"image_url"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt     time.Time  `bun:"updated_at,nullzero,default:now()"`
	Products      int        `bun:"products,scanonly"`
	Total         int        `bun:"total,scanonly"`
}

func toCategory(r categoryRow) Category {
	return Category{ID: r.ID, ParentID: r.ParentID, Slug: r.Slug, NameAR: r.NameAR, NameEN: r.NameEN,
		Position: r.Position, ImageURL: r.ImageURL, Products: r.Products, Total: r.Total, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type productRow struct {
	bun.BaseModel `bun:"table:products"`
	TenantID      uuid.UUID         `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID         `bun:"id,pk,type:uuid"`
	Slug          string            `bun:"slug"`
	ExternalID    string            `bun:"external_id"`
	Status        string            `bun:"status"`
	Brand         string            `bun:"brand"`
	TitleAR       string            `bun:"title_ar"`
	TitleEN       string            `bun:"title_en"`
	DescriptionAR string            `bun:"description_ar"`
	DescriptionEN string            `bun:"description_en"`
	Attributes    map[string]string `bun:"attributes,type:jsonb,notnull"`
	Link          string            `bun:"link"`
	Currency      string            `bun:"currency"`
	MinPrice      int64             `bun:"min_price"`
	MaxPrice      int64             `bun:"max_price"`
	InStock       bool              `bun:"in_stock"`
	ContentHash   string            `bun:"content_hash"`
	CreatedAt     time.Time         `bun:"created_at,nullzero,default:now()"`
	UpdatedAt     time.Time         `bun:"updated_at,nullzero,default:now()"`
}

// productColumns are the columns read back (never the search columns).
var productColumns = []string{"tenant_id", "id", "slug", "external_id", "status", "brand", "title_ar", "title_en",
	"description_ar", "description_en", "attributes", "link", "currency", "min_price", "max_price", "in_stock",
	"content_hash", "created_at", "updated_at"}

func toProduct(r productRow) Product {
	attrs := r.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	return Product{ID: r.ID, Slug: r.Slug, ExternalID: r.ExternalID, Status: r.Status, Brand: r.Brand,
		TitleAR: r.TitleAR, TitleEN: r.TitleEN, DescriptionAR: r.DescriptionAR, DescriptionEN: r.DescriptionEN,
		Attributes: attrs, Link: r.Link, Currency: r.Currency, MinPrice: r.MinPrice, MaxPrice: r.MaxPrice,
		InStock: r.InStock, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type variantRow struct {
	bun.BaseModel `bun:"table:variants"`
	TenantID      uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	ProductID     uuid.UUID `bun:"product_id,type:uuid"`
	SKU           string    `bun:"sku"`
	Options       []Option  `bun:"options,type:jsonb,notnull"`
	Price         int64     `bun:"price"`
	CompareAt     *int64    `bun:"compare_at"`
	Currency      string    `bun:"currency"`
	Stock         *int      `bun:"stock"`
	WeightGrams   int       `bun:"weight_grams"`
	Position      int       `bun:"position"`
	Archived      bool      `bun:"archived"`
	ContentHash   string    `bun:"content_hash"`
	CreatedAt     time.Time `bun:"created_at,nullzero,default:now()"`
	UpdatedAt     time.Time `bun:"updated_at,nullzero,default:now()"`
}

func toVariant(r variantRow) Variant {
	v := Variant{ID: r.ID, ProductID: r.ProductID, SKU: r.SKU, Options: r.Options, Price: r.Price, Currency: r.Currency,
		Stock: r.Stock, WeightGrams: r.WeightGrams, Position: r.Position, Archived: r.Archived, UpdatedAt: r.UpdatedAt}
	if v.Options == nil {
		v.Options = []Option{}
	}
	if r.CompareAt != nil {
		v.CompareAt = *r.CompareAt
	}
	return v
}

func fromVariant(tenantID uuid.UUID, v Variant) variantRow {
	r := variantRow{TenantID: tenantID, ID: v.ID, ProductID: v.ProductID, SKU: v.SKU, Options: v.Options, Price: v.Price,
		Currency: v.Currency, Stock: v.Stock, WeightGrams: v.WeightGrams, Position: v.Position, Archived: v.Archived}
	if r.Options == nil {
		r.Options = []Option{}
	}
	if v.CompareAt > 0 {
		c := v.CompareAt
		r.CompareAt = &c
	}
	r.ContentHash = variantHash(v)
	return r
}

type mediaRow struct {
	bun.BaseModel `bun:"table:product_media"`
	TenantID      uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	ProductID     uuid.UUID `bun:"product_id,type:uuid"`
	URL           string    `bun:"url"`
	AltAR         string    `bun:"alt_ar"`
	AltEN         string    `bun:"alt_en"`
	Position      int       `bun:"position"`
}

type productCategoryRow struct {
	bun.BaseModel `bun:"table:product_categories"`
	TenantID      uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	ProductID     uuid.UUID `bun:"product_id,pk,type:uuid"`
	CategoryID    uuid.UUID `bun:"category_id,pk,type:uuid"`
	Position      int       `bun:"position"`
}

// getProduct reads one product by id or slug with its details. Statuses
// other than active are found only when anyStatus is set (staff).
func getProduct(ctx context.Context, tx bun.IDB, ref string, anyStatus bool) (*Product, error) {
	var r productRow
	q := tx.NewSelect().Model(&r).Column(productColumns...)
	if id, err := uuid.Parse(ref); err == nil {
		q = q.Where("id = ?", id)
	} else {
		q = q.Where("slug = ?", strings.ToLower(ref))
	}
	if !anyStatus {
		q = q.Where("status = ?", StatusActive)
	}
	if err := q.Limit(1).Scan(ctx); err != nil {
		return nil, db.Translate(err, "product")
	}
	ps := []Product{toProduct(r)}
	if err := loadDetails(ctx, tx, ps, anyStatus); err != nil {
		return nil, err
	}
	return &ps[0], nil
}

// loadDetails fills variants, media and categories of ps in three queries.
// Archived variants are included only for staff.
func loadDetails(ctx context.Context, tx bun.IDB, ps []Product, archived bool) error {
	if len(ps) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(ps))
	at := make(map[uuid.UUID]int, len(ps))
	for i, p := range ps {
		ids[i], at[p.ID] = p.ID, i
	}
	var vs []variantRow
	q := tx.NewSelect().Model(&vs).Where("product_id IN (?)", bun.In(ids)).Order("product_id", "position", "sku")
	if !archived {
		q = q.Where("NOT archived")
	}
	if err := q.Scan(ctx); err != nil {
		return err
	}
	for _, v := range vs {
		i := at[v.ProductID]
		ps[i].Variants = append(ps[i].Variants, toVariant(v))
	}
	var ms []mediaRow
	if err := tx.NewSelect().Model(&ms).Where("product_id IN (?)", bun.In(ids)).Order("product_id", "position", "id").Scan(ctx); err != nil {
		return err
	}
	for _, m := range ms {
		i := at[m.ProductID]
		ps[i].Media = append(ps[i].Media, Media{ID: m.ID, URL: m.URL, AltAR: m.AltAR, AltEN: m.AltEN, Position: m.Position})
	}
	var cs []struct {
		ProductID uuid.UUID `bun:"product_id"`
		ID        uuid.UUID `bun:"id"`
		Slug      string    `bun:"slug"`
		NameAR    string    `bun:"name_ar"`
		NameEN    string    `bun:"name_en"`
	}
	err := tx.NewSelect().TableExpr("product_categories AS pc").
		Join("JOIN categories AS c ON c.tenant_id = pc.tenant_id AND c.id = pc.category_id").
		ColumnExpr("pc.product_id, c.id, c.slug, c.name_ar, c.name_en").
		Where("pc.product_id IN (?)", bun.In(ids)).OrderExpr("pc.product_id, pc.position, c.slug").Scan(ctx, &cs)
	if err != nil {
		return err
	}
	for _, c := range cs {
		i := at[c.ProductID]
		ps[i].Categories = append(ps[i].Categories, CategoryRef{ID: c.ID, Slug: c.Slug, NameAR: c.NameAR, NameEN: c.NameEN})
	}
	for i := range ps {
		if ps[i].Variants == nil {
			ps[i].Variants = []Variant{}
		}
		if ps[i].Media == nil {
			ps[i].Media = []Media{}
		}
		if ps[i].Categories == nil {
			ps[i].Categories = []CategoryRef{}
		}
	}
	return nil
}

// listCategories returns every category with its counts of active
// products: in the category itself, and distinct in its whole sub-tree.
func listCategories(ctx context.Context, tx bun.IDB) ([]Category, error) {
	var rs []categoryRow
	err := tx.NewRaw(`WITH RECURSIVE tree (root, id, depth) AS (
			SELECT id, id, 0 FROM categories
			UNION ALL
			SELECT t.root, c.id, t.depth + 1 FROM categories c JOIN tree t ON c.parent_id = t.id WHERE t.depth < 32),
		counts AS (
			SELECT t.root, count(DISTINCT pc.product_id) FILTER (WHERE t.root = t.id) AS products, count(DISTINCT pc.product_id) AS total
			FROM tree t JOIN product_categories pc ON pc.category_id = t.id
			JOIN products p ON p.tenant_id = pc.tenant_id AND p.id = pc.product_id AND p.status = 'active'
			GROUP BY t.root)
		SELECT c.*, COALESCE(n.products, 0) AS products, COALESCE(n.total, 0) AS total
		FROM categories c LEFT JOIN counts n ON n.root = c.id
		ORDER BY c.position, c.slug`).Scan(ctx, &rs)
	if err != nil {
		return nil, err
	}
	out := make([]Category, len(rs))
	for i, r := range rs {
		out[i] = toCategory(r)
	}
	return out, nil
}

// resolveCategory finds a category by id or slug.
func resolveCategory(ctx context.Context, tx bun.IDB, ref string) (*categoryRow, error) {
	var r categoryRow
	q := tx.NewSelect().Model(&r)
	if id, err := uuid.Parse(ref); err == nil {
		q = q.Where("id = ?", id)
	} else {
		q = q.Where("slug = ?", strings.ToLower(ref))
	}
	if err := q.Limit(1).Scan(ctx); err != nil {
		return nil, db.Translate(err, "category")
	}
	return &r, nil
}

// categoryTree returns id and the ids of all its descendants.
func categoryTree(ctx context.Context, tx bun.IDB, id uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := tx.NewRaw(`WITH RECURSIVE t AS (
		SELECT id FROM categories WHERE id = ?
		UNION SELECT c.id FROM categories c JOIN t ON c.parent_id = t.id)
		SELECT id FROM t`, id).Scan(ctx, &ids)
	return ids, err
}

// refresh recomputes the aggregates and search columns of products from
// their rows: price range, stock, and the normalised search text. Every write
// path calls it in its transaction, so list and search never disagree with
// the variants.
func refresh(ctx context.Context, tx bun.IDB, ids []uuid.UUID) error {
	for start := 0; start < len(ids); start += 1000 {
		chunk := ids[start:min(start+1000, len(ids))]
		var ps []productRow
		if err := tx.NewSelect().Model(&ps).Column(productColumns...).Where("id IN (?)", bun.In(chunk)).Scan(ctx); err != nil {
			return err
		}
		var vs []variantRow
		if err := tx.NewSelect().Model(&vs).Where("product_id IN (?)", bun.In(chunk)).Where("NOT archived").Scan(ctx); err != nil {
			return err
		}
		var cs []struct {
			ProductID uuid.UUID `bun:"product_id"`
			NameAR    string    `bun:"name_ar"`
			NameEN    string    `bun:"name_en"`
		}
		err := tx.NewSelect().TableExpr("product_categories AS pc").
			Join("JOIN categories AS c ON c.tenant_id = pc.tenant_id AND c.id = pc.category_id").
			ColumnExpr("pc.product_id, c.name_ar, c.name_en").Where("pc.product_id IN (?)", bun.In(chunk)).Scan(ctx, &cs)
		if err != nil {
			return err
		}
		byProduct := make(map[uuid.UUID][]variantRow, len(ps))
		for _, v := range vs {
			byProduct[v.ProductID] = append(byProduct[v.ProductID], v)
		}
		cats := make(map[uuid.UUID][]string, len(ps))
		for _, c := range cs {
			cats[c.ProductID] = append(cats[c.ProductID], c.NameAR, c.NameEN)
		}
		var values, search []string
		var args, searchArgs []any
		termSet := map[string]bool{}
		var tenantID uuid.UUID
		for _, p := range ps {
			tenantID = p.TenantID
			agg := aggregate(byProduct[p.ID], p.Currency)
			doc := searchDocument(p, byProduct[p.ID], cats[p.ID])
			values = append(values, "(?::uuid, ?::text, ?::bigint, ?::bigint, ?::boolean)")
			args = append(args, p.ID, agg.currency, agg.min, agg.max, agg.inStock)
			for _, w := range titleTerms(doc.title) {
				termSet[w] = true
			}
			search = append(search, "(?::uuid, ?::uuid, ?::text, ?::boolean, ?::bigint, ?::bigint, lower(?::text), "+
				"setweight(to_tsvector('simple', ?::text), 'A') || setweight(to_tsvector('simple', ?::text), 'B') || setweight(to_tsvector('simple', ?::text), 'C'))")
			searchArgs = append(searchArgs, p.TenantID, p.ID, p.Status, agg.inStock, agg.min, agg.max, p.Brand, doc.a, doc.b, doc.c)
		}
		if len(values) == 0 {
			continue
		}
		_, err = tx.NewRaw(`UPDATE products p SET currency = v.currency, min_price = v.min_price, max_price = v.max_price, in_stock = v.in_stock
			FROM (VALUES `+strings.Join(values, ",")+`) AS v (id, currency, min_price, max_price, in_stock)
			WHERE p.id = v.id`, args...).Exec(ctx)
		if err != nil {
			return fmt.Errorf("catalog: refresh products: %w", err)
		}
		_, err = tx.NewRaw(`INSERT INTO product_search (tenant_id, product_id, status, in_stock, min_price, max_price, brand, doc)
			VALUES `+strings.Join(search, ",")+`
			ON CONFLICT (tenant_id, product_id) DO UPDATE SET status = excluded.status, in_stock = excluded.in_stock,
			min_price = excluded.min_price, max_price = excluded.max_price, brand = excluded.brand, doc = excluded.doc`, searchArgs...).Exec(ctx)
		if err != nil {
			return fmt.Errorf("catalog: refresh search: %w", err)
		}
		terms := make([]string, 0, len(termSet))
		for w := range termSet {
			terms = append(terms, w)
		}
		sort.Strings(terms) // a stable order: concurrent refreshes lock terms alike
		_, err = tx.NewRaw(`INSERT INTO catalog_terms (tenant_id, term) SELECT ?, unnest(?::text[]) ON CONFLICT DO NOTHING`,
			tenantID, pgdialect.Array(terms)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("catalog: refresh terms: %w", err)
		}
	}
	return nil
}

type aggregates struct {
	currency string
	min, max int64
	inStock  bool
}

func aggregate(vs []variantRow, currency string) aggregates {
	a := aggregates{currency: currency}
	for i, v := range vs {
		if i == 0 || v.Price < a.min {
			a.min = v.Price
		}
		if v.Price > a.max {
			a.max = v.Price
		}
		a.currency = v.Currency
		if v.Stock == nil || *v.Stock > 0 {
			a.inStock = true
		}
	}
	return a
}

// bumpUpdated marks products as changed.
func touchProducts(ctx context.Context, tx bun.IDB, ids []uuid.UUID, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.NewUpdate().Table("products").Set("updated_at = ?", now).Where("id IN (?)", bun.In(ids)).Exec(ctx)
	return err
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
