package catalog

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"concierge/internal/errs"
)

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
		return nil, translate(err, "catalog.product.not_found")
	}
	ps := []Product{toProduct(r)}
	if err := loadDetails(ctx, tx, ps, anyStatus); err != nil {
		return nil, err
	}
	return &ps[0], nil
}

// productsByID reads products by id, in the order of ids (ids not found are
// left out), with their details.
func productsByID(ctx context.Context, tx bun.IDB, ids []uuid.UUID, archived bool) ([]Product, error) {
	var rows []productRow
	if err := tx.NewSelect().Model(&rows).Column(productColumns...).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	byID := make(map[uuid.UUID]productRow, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	out := make([]Product, 0, len(ids))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			out = append(out, toProduct(r))
		}
	}
	return out, loadDetails(ctx, tx, out, archived)
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
		ps[i].Media = append(ps[i].Media, toMedia(m))
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

// productIDBySKU finds the product of the variant on sale with sku (any
// case).
func productIDBySKU(ctx context.Context, tx bun.IDB, sku string) (uuid.UUID, error) {
	sku = strings.TrimSpace(sku)
	var id uuid.UUID
	// The SKU as written first: (tenant_id, sku) is unique and indexed, and
	// text = is leakproof, so the index serves it under row-level security
	// (lower() is not leakproof: the case-insensitive match below filters
	// the tenant's variants one by one).
	err := tx.NewSelect().Table("variants").Column("product_id").
		Where("sku = ?", sku).Where("NOT archived").Limit(1).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.NewSelect().Table("variants").Column("product_id").
			Where("lower(sku) = lower(?)", sku).Where("NOT archived").Limit(1).Scan(ctx, &id)
	}
	return id, translate(err, "catalog.variant.not_found")
}

// allProductIDs lists every product of the tenant.
func allProductIDs(ctx context.Context, tx bun.IDB) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := tx.NewSelect().Table("products").Column("id").Scan(ctx, &ids)
	return ids, err
}

// takenSlugs lists the product slugs that are base or base-<anything>.
func takenSlugs(ctx context.Context, tx bun.IDB, base string) ([]string, error) {
	var taken []string
	err := tx.NewSelect().Table("products").Column("slug").Where("slug = ? OR slug LIKE ?", base, base+"-%").Scan(ctx, &taken)
	return taken, err
}

// insertProduct adds a product row. Errors: conflict (slug).
func insertProduct(ctx context.Context, tx bun.IDB, r *productRow) error {
	_, err := tx.NewInsert().Model(r).Exec(ctx)
	return translateWrite(err, "slug")
}

// updateProductFields replaces a product's own fields (not its aggregates)
// and clears its content hash, so the next feed rewrites it. Errors:
// conflict (slug).
func updateProductFields(ctx context.Context, tx bun.IDB, id uuid.UUID, in ProductInput) error {
	_, err := tx.NewUpdate().Table("products").Where("id = ?", id).
		Set("slug = ?, status = ?, brand = ?, title_ar = ?, title_en = ?, description_ar = ?, description_en = ?, link = ?, attributes = ?, content_hash = '', updated_at = now()",
			in.Slug, in.Status, strings.TrimSpace(in.Brand), strings.TrimSpace(in.TitleAR), strings.TrimSpace(in.TitleEN),
			in.DescriptionAR, in.DescriptionEN, in.Link, jsonText(nonNil(in.Attributes))).Exec(ctx)
	return translateWrite(err, "slug")
}

// touchProducts marks products as changed.
func touchProducts(ctx context.Context, tx bun.IDB, ids []uuid.UUID, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.NewUpdate().Table("products").Set("updated_at = ?", now).Where("id IN (?)", bun.In(ids)).Exec(ctx)
	return err
}

// linkCategories puts a product in categories, in order.
func linkCategories(ctx context.Context, tx bun.IDB, tenantID, productID uuid.UUID, ids []uuid.UUID) error {
	for i, id := range dedupe(ids) {
		r := productCategoryRow{TenantID: tenantID, ProductID: productID, CategoryID: id, Position: i}
		if _, err := tx.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// unlinkCategories takes a product out of every category.
func unlinkCategories(ctx context.Context, tx bun.IDB, productID uuid.UUID) error {
	_, err := tx.NewDelete().Table("product_categories").Where("product_id = ?", productID).Exec(ctx)
	return err
}

// insertVariant adds a variant. Errors: conflict (SKU, named field).
func insertVariant(ctx context.Context, tx bun.IDB, r *variantRow, field string) error {
	_, err := tx.NewInsert().Model(r).Exec(ctx)
	return translateWrite(err, field)
}

// updateVariant writes a variant's fields. Errors: conflict (SKU).
func updateVariant(ctx context.Context, tx bun.IDB, r *variantRow) error {
	_, err := tx.NewUpdate().Model(r).Column("sku", "options", "price", "compare_at", "stock", "weight_grams", "content_hash").
		Set("updated_at = now()").WherePK().Exec(ctx)
	return translateWrite(err, "sku")
}

// archiveVariant takes a variant off sale.
func archiveVariant(ctx context.Context, tx bun.IDB, id uuid.UUID) error {
	_, err := tx.NewUpdate().Table("variants").Set("archived = true, updated_at = now()").Where("id = ?", id).Exec(ctx)
	return err
}

// variantsBySKUForUpdate reads and locks the variants of skus (exact case).
func variantsBySKUForUpdate(ctx context.Context, tx bun.IDB, skus []string) ([]variantRow, error) {
	var vs []variantRow
	err := tx.NewSelect().Model(&vs).Where("sku IN (?)", bun.In(skus)).For("UPDATE").Scan(ctx)
	return vs, err
}

// setVariantStock sets a variant's stock (nil: untracked).
func setVariantStock(ctx context.Context, tx bun.IDB, id uuid.UUID, stock *int) error {
	_, err := tx.NewUpdate().Table("variants").Set("stock = ?", stock).Set("updated_at = now()").Where("id = ?", id).Exec(ctx)
	return translate(err, "catalog.variant.not_found")
}

// setVariantPrice sets a variant's price and compare-at price (nil: none).
func setVariantPrice(ctx context.Context, tx bun.IDB, id uuid.UUID, price int64, compareAt *int64) error {
	_, err := tx.NewUpdate().Table("variants").Set("price = ?, compare_at = ?", price, compareAt).Set("updated_at = now()").
		Where("id = ?", id).Exec(ctx)
	return translate(err, "catalog.variant.not_found")
}

// rehashVariants recomputes variants' content hashes after direct updates.
func rehashVariants(ctx context.Context, tx bun.IDB, productIDs []uuid.UUID) error {
	if len(productIDs) == 0 {
		return nil
	}
	var vs []variantRow
	if err := tx.NewSelect().Model(&vs).Where("product_id IN (?)", bun.In(productIDs)).Scan(ctx); err != nil {
		return err
	}
	for _, v := range vs {
		h := variantHash(toVariant(v))
		if h != v.ContentHash {
			if _, err := tx.NewUpdate().Table("variants").Set("content_hash = ?", h).Where("id = ?", v.ID).Exec(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// insertMedia adds a picture.
func insertMedia(ctx context.Context, tx bun.IDB, r *mediaRow) error {
	_, err := tx.NewInsert().Model(r).Exec(ctx)
	return translate(err, "catalog.media.not_found")
}

// deleteMedia removes a picture of a product. Errors: not_found.
func deleteMedia(ctx context.Context, tx bun.IDB, productID, mediaID uuid.UUID) error {
	res, err := tx.NewDelete().Table("product_media").Where("product_id = ? AND id = ?", productID, mediaID).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.CodeNotFound, "catalog.media.not_found")
	}
	return nil
}

// saleVariantRow is a variant with what a cart shows of its product.
type saleVariantRow struct {
	variantRow    `bun:",extend"`
	TitleAR       string `bun:"title_ar"`
	TitleEN       string `bun:"title_en"`
	ProductStatus string `bun:"product_status"`
}

func (r saleVariantRow) toSaleVariant() SaleVariant {
	return SaleVariant{Variant: toVariant(r.variantRow), TitleAR: r.TitleAR, TitleEN: r.TitleEN, ProductActive: r.ProductStatus == StatusActive}
}

// saleVariants reads the variants with ids, archived or not, with their
// products' titles and status (one query, for a cart's lines).
func saleVariants(ctx context.Context, tx bun.IDB, ids []uuid.UUID) ([]saleVariantRow, error) {
	var rs []saleVariantRow
	err := saleVariantQuery(tx, &rs).Where("v.id IN (?)", bun.In(ids)).Scan(ctx)
	return rs, err
}

// saleVariantBySKU reads the variant on sale (not archived, its product
// active) with sku: as written first (the unique index serves it under
// row-level security), else in any case.
func saleVariantBySKU(ctx context.Context, tx bun.IDB, sku string) (*saleVariantRow, error) {
	var r saleVariantRow
	onSale := func(where string) error {
		return saleVariantQuery(tx, &r).Where(where, sku).Where("NOT v.archived").Where("p.status = ?", StatusActive).Limit(1).Scan(ctx)
	}
	err := onSale("v.sku = ?")
	if errors.Is(err, sql.ErrNoRows) {
		err = onSale("lower(v.sku) = lower(?)")
	}
	if err != nil {
		return nil, translate(err, "catalog.variant.not_found")
	}
	return &r, nil
}

func saleVariantQuery(tx bun.IDB, dst any) *bun.SelectQuery {
	return tx.NewSelect().Model(dst).ModelTableExpr("variants AS v").ColumnExpr("v.*").
		ColumnExpr("p.title_ar, p.title_en, p.status AS product_status").
		Join("JOIN products AS p ON p.tenant_id = v.tenant_id AND p.id = v.product_id")
}

// stockMove is one variant's stock change: Before is the stock locked
// (nil: untracked), Moved whether the change applied (a take larger than
// the stock does not).
type stockMove struct {
	ID        uuid.UUID `bun:"id"`
	ProductID uuid.UUID `bun:"product_id"`
	SKU       string    `bun:"sku"`
	Before    *int      `bun:"before"`
	Delta     int       `bun:"delta"`
	Moved     bool      `bun:"moved"`
}

// moveStock adds deltas[i] to the stock of variant ids[i] (ids sorted: rows
// are locked in that order), in one statement: the tracked variants are
// locked, then each whose stock stays >= 0 is changed; untracked ones (stock
// NULL) are neither locked nor changed, so checkouts of them never queue.
func moveStock(ctx context.Context, tx bun.IDB, ids []uuid.UUID, deltas []int) ([]stockMove, error) {
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = id.String()
	}
	var out []stockMove
	err := tx.NewRaw(`WITH want AS (SELECT * FROM unnest(?::uuid[], ?::int[]) AS w (id, delta)),
		locked AS (SELECT v.id, v.product_id, v.sku, v.stock, w.delta FROM variants v JOIN want w ON w.id = v.id
			WHERE v.stock IS NOT NULL ORDER BY v.id FOR UPDATE OF v),
		untracked AS (SELECT v.id, v.product_id, v.sku, w.delta FROM variants v JOIN want w ON w.id = v.id WHERE v.stock IS NULL),
		upd AS (UPDATE variants v SET stock = l.stock + l.delta, updated_at = now() FROM locked l
			WHERE v.id = l.id AND l.stock IS NOT NULL AND l.stock + l.delta >= 0 RETURNING v.id)
		SELECT l.id, l.product_id, l.sku, l.stock AS before, l.delta, (l.stock IS NULL OR u.id IS NOT NULL) AS moved
		FROM locked l LEFT JOIN upd u ON u.id = l.id
		UNION ALL
		SELECT id, product_id, sku, NULL, delta, true FROM untracked`, pgdialect.Array(strs), pgdialect.Array(deltas)).Scan(ctx, &out)
	return out, err
}

// imageRow is an uploaded picture's bytes.
type imageRow struct {
	bun.BaseModel `bun:"table:catalog_images"`
	TenantID      uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	ContentType   string    `bun:"content_type"`
	Data          []byte    `bun:"data,type:bytea"`
}

// insertImage stores the bytes of picture id.
func insertImage(ctx context.Context, tx bun.IDB, tenantID, id uuid.UUID, contentType string, data []byte) error {
	_, err := tx.NewInsert().Model(&imageRow{TenantID: tenantID, ID: id, ContentType: contentType, Data: data}).Exec(ctx)
	return translate(err, "catalog.media.not_found")
}

// getImage reads an uploaded picture. Errors: not_found.
func getImage(ctx context.Context, tx bun.IDB, id uuid.UUID) (*Image, error) {
	var r imageRow
	if err := tx.NewSelect().Model(&r).Column("content_type", "data").Where("id = ?", id).Scan(ctx); err != nil {
		return nil, translate(err, "catalog.media.not_found")
	}
	return &Image{ContentType: r.ContentType, Data: r.Data}, nil
}
