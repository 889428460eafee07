package catalog

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// hit is a product a list or search matched, with its score.
type hit struct {
	ID    uuid.UUID `bun:"id"`
	Score float64   `bun:"score"`
}

// hitQuery selects the ids and scores of one page.
type hitQuery struct {
	status     string
	categories []uuid.UUID // nil: any
	brand      string
	minPrice   *int64
	maxPrice   *int64
	inStock    bool
	options    []string // filter tokens every product must carry
	mode       matcher
	words      searchQuery // matchWords and matchSimilar
	after      *cursor
	limit      int
}

// filtered reports whether h narrows its words' matches by more than the
// status: categories, brand, price, stock or options.
func (h hitQuery) filtered() bool {
	return h.categories != nil || h.brand != "" || h.minPrice != nil || h.maxPrice != nil || h.inStock || len(h.options) > 0
}

// searchHits returns the page's ids and scores, one more than the limit
// (the extra one says there is a next page). Lists read products; searches
// run in the SECURITY DEFINER function catalog_search_page (migrations
// 00007, 00021) so that matching, filters and ranking use their indexes
// under row-level security, and it returns the page itself (cursor and
// size applied inside, one top-N sort).
func searchHits(ctx context.Context, tx bun.IDB, h hitQuery) ([]hit, error) {
	if h.mode != matchList {
		rs, err := rankedHits(ctx, tx, h, h.limit+1)
		hits := make([]hit, len(rs))
		for i, r := range rs {
			hits[i] = hit{ID: r.ID, Score: r.Score}
		}
		return hits, err
	}
	var hits []hit
	inner := tx.NewSelect().TableExpr("products AS p").ColumnExpr("p.id").
		ColumnExpr("CASE WHEN p.in_stock THEN 1.0 ELSE 0.0 END::float8 AS score").Where("p.status = ?", h.status)
	if h.categories != nil {
		inner = inner.Where("EXISTS (SELECT 1 FROM product_categories pc WHERE pc.tenant_id = p.tenant_id AND pc.product_id = p.id AND pc.category_id IN (?))", bun.In(h.categories))
	}
	if h.brand != "" {
		inner = inner.Where("lower(p.brand) = lower(?)", h.brand)
	}
	if h.minPrice != nil {
		inner = inner.Where("p.max_price >= ?", *h.minPrice)
	}
	if h.maxPrice != nil {
		inner = inner.Where("p.min_price <= ?", *h.maxPrice)
	}
	if h.inStock {
		inner = inner.Where("p.in_stock")
	}
	if len(h.options) > 0 {
		inner = inner.Where("EXISTS (SELECT 1 FROM product_search ps WHERE ps.tenant_id = p.tenant_id AND ps.product_id = p.id AND ps.options @> ?::text[])",
			pgdialect.Array(h.options))
	}
	outer := tx.NewSelect().TableExpr("(?) AS m", inner).Column("m.id", "m.score")
	if h.after != nil {
		outer = outer.Where("(m.score < ? OR (m.score = ? AND m.id > ?))", h.after.Score, h.after.Score, h.after.ID)
	}
	if err := outer.OrderExpr("m.score DESC, m.id").Limit(int64(h.limit+1)).Scan(ctx, &hits); err != nil {
		return nil, fmt.Errorf("catalog: list products: %w", err)
	}
	return hits, nil
}

// rankedHit is a product a search matched, with its score and what the
// price and stock filters read.
type rankedHit struct {
	ID       uuid.UUID `bun:"id"`
	Score    float64   `bun:"score"`
	MinPrice int64     `bun:"min_price"`
	MaxPrice int64     `bun:"max_price"`
	InStock  bool      `bun:"in_stock"`
}

// rankedHits returns the best n matches of h's words within its filters,
// after its cursor, best first (catalog_search_page): full-text rank (title
// weighted) and stock. Only those products are then read, under the tenant
// policy.
func rankedHits(ctx context.Context, tx bun.IDB, h hitQuery, n int) ([]rankedHit, error) {
	from, to := int64(0), int64(math.MaxInt64)
	if h.minPrice != nil {
		from = *h.minPrice
	}
	if h.maxPrice != nil {
		to = *h.maxPrice
	}
	var afterScore, afterID any
	if h.after != nil {
		afterScore, afterID = h.after.Score, h.after.ID
	}
	var hits []rankedHit
	err := tx.NewRaw(`SELECT s.id, s.score, s.min_price, s.max_price, s.in_stock
		FROM catalog_search_page(to_tsquery('simple', ?), to_tsquery('simple', ?), ?, ?, ?, ?, ?, ?, ?::uuid[], ?::text[], ?::float8, ?::uuid, ?) AS s`,
		h.words.tsquery, h.words.title, h.status, inStockBonus, from, to, h.inStock, strings.ToLower(h.brand), uuidArray(h.categories),
		pgdialect.Array(emptyIfNil(h.options)), afterScore, afterID, n).Scan(ctx, &hits)
	if err != nil {
		return nil, fmt.Errorf("catalog: search products: %w", err)
	}
	return hits, nil
}

// wordsMatch reports whether any product of status matches the words,
// whatever the filters (catalog_words_match).
func wordsMatch(ctx context.Context, tx bun.IDB, words searchQuery, status string) (bool, error) {
	var ok bool
	err := tx.NewRaw("SELECT catalog_words_match(to_tsquery('simple', ?), ?)", words.tsquery, status).Scan(ctx, &ok)
	if err != nil {
		return false, fmt.Errorf("catalog: search words: %w", err)
	}
	return ok, nil
}

// correctWords corrects each word against the tenant's vocabulary of title
// words (catalog_correct: pg_trgm similarity, then edit distance); a word
// with nothing close stays.
func correctWords(ctx context.Context, tx bun.IDB, words []string) ([]string, error) {
	var corrected []string
	err := tx.NewRaw("SELECT catalog_correct(?::text[])", pgdialect.Array(words)).Scan(ctx, pgdialect.Array(&corrected))
	return corrected, err
}

// uuidArray is a uuid[] parameter; nil stays NULL.
func uuidArray(ids []uuid.UUID) any {
	if ids == nil {
		return nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return pgdialect.Array(out)
}

// refresh recomputes the aggregates and search columns of products from
// their rows: price range, stock, and the normalised search text. Every write
// path calls it in its transaction, so list and search never disagree with
// the variants.
func refresh(ctx context.Context, tx bun.IDB, ids []uuid.UUID) error {
	for start := 0; start < len(ids); start += 1000 {
		if err := refreshChunk(ctx, tx, ids[start:min(start+1000, len(ids))]); err != nil {
			return err
		}
	}
	return nil
}

func refreshChunk(ctx context.Context, tx bun.IDB, chunk []uuid.UUID) error {
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
			"setweight(to_tsvector('simple', ?::text), 'A') || setweight(to_tsvector('simple', ?::text), 'B') || setweight(to_tsvector('simple', ?::text), 'C'), ?::text[])")
		searchArgs = append(searchArgs, p.TenantID, p.ID, p.Status, agg.inStock, agg.min, agg.max, p.Brand, doc.a, doc.b, doc.c,
			pgdialect.Array(emptyIfNil(doc.options)))
	}
	if len(values) == 0 {
		return nil
	}
	_, err = tx.NewRaw(`UPDATE products p SET currency = v.currency, min_price = v.min_price, max_price = v.max_price, in_stock = v.in_stock
		FROM (VALUES `+strings.Join(values, ",")+`) AS v (id, currency, min_price, max_price, in_stock)
		WHERE p.id = v.id`, args...).Exec(ctx)
	if err != nil {
		return fmt.Errorf("catalog: refresh products: %w", err)
	}
	_, err = tx.NewRaw(`INSERT INTO product_search (tenant_id, product_id, status, in_stock, min_price, max_price, brand, doc, options)
		VALUES `+strings.Join(search, ",")+`
		ON CONFLICT (tenant_id, product_id) DO UPDATE SET status = excluded.status, in_stock = excluded.in_stock,
		min_price = excluded.min_price, max_price = excluded.max_price, brand = excluded.brand, doc = excluded.doc,
		options = excluded.options`, searchArgs...).Exec(ctx)
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

// facets reads the brands and option values of the active products'
// variants that are not archived, each once, in a stable order.
func facets(ctx context.Context, tx bun.IDB) (Facets, error) {
	var f Facets
	err := tx.NewRaw(`SELECT DISTINCT p.brand FROM products p WHERE p.status = 'active' AND p.brand <> '' ORDER BY 1`).Scan(ctx, &f.Brands)
	if err != nil {
		return f, fmt.Errorf("catalog: brands: %w", err)
	}
	var rows []struct {
		Name    string `bun:"name"`
		Value   string `bun:"value"`
		ValueAR string `bun:"value_ar"`
	}
	err = tx.NewRaw(`SELECT DISTINCT o->>'Name' AS name, o->>'Value' AS value, COALESCE(o->>'ValueAR', '') AS value_ar
		FROM variants v JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id
		CROSS JOIN LATERAL jsonb_array_elements(v.options) AS o
		WHERE p.status = 'active' AND NOT v.archived ORDER BY 1, 2, 3`).Scan(ctx, &rows)
	if err != nil {
		return f, fmt.Errorf("catalog: option values: %w", err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		kind := optionKind(r.Name)
		key := kind + "=" + filterValue(r.Value, r.ValueAR)
		if seen[key] || filterValue(r.Value, r.ValueAR) == "" {
			continue
		}
		seen[key] = true
		f.Options = append(f.Options, OptionValue{Option: kind, EN: r.Value, AR: r.ValueAR})
	}
	return f, nil
}
