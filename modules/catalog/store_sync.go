package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// The bulk reads and writes of a sync run: what the catalog has, then rows
// inserted and updated in chunks (a VALUES list per statement), so a feed of
// 100,000 rows costs a few hundred statements.

// productKey is what a sync needs to know of an existing product.
type productKey struct {
	ID          uuid.UUID `bun:"id"`
	ExternalID  string    `bun:"external_id"`
	Slug        string    `bun:"slug"`
	Status      string    `bun:"status"`
	ContentHash string    `bun:"content_hash"`
}

// productKeys reads every product's keys.
func productKeys(ctx context.Context, tx bun.IDB) ([]productKey, error) {
	var out []productKey
	err := tx.NewSelect().Table("products").Column("id", "external_id", "slug", "status", "content_hash").Scan(ctx, &out)
	return out, err
}

// variantKey is what a sync needs to know of an existing variant.
type variantKey struct {
	ID          uuid.UUID `bun:"id"`
	ProductID   uuid.UUID `bun:"product_id"`
	SKU         string    `bun:"sku"`
	Archived    bool      `bun:"archived"`
	ContentHash string    `bun:"content_hash"`
}

// variantKeys reads every variant's keys.
func variantKeys(ctx context.Context, tx bun.IDB) ([]variantKey, error) {
	var out []variantKey
	err := tx.NewSelect().Table("variants").Column("id", "product_id", "sku", "archived", "content_hash").Scan(ctx, &out)
	return out, err
}

// insertProductRows adds new products. Errors: conflict (slug).
func insertProductRows(ctx context.Context, tx bun.IDB, rows []productRow) error {
	for _, c := range chunks(len(rows), 1000) {
		part := rows[c[0]:c[1]]
		if _, err := tx.NewInsert().Model(&part).ExcludeColumn("created_at", "updated_at").Exec(ctx); err != nil {
			return translateWrite(err, "slug")
		}
	}
	return nil
}

// updateProductRows rewrites changed products' own fields.
func updateProductRows(ctx context.Context, tx bun.IDB, rows []productRow, now time.Time) error {
	for _, c := range chunks(len(rows), 500) {
		part := rows[c[0]:c[1]]
		values := make([]string, len(part))
		args := make([]any, 0, len(part)*10+1)
		args = append(args, now)
		for i, r := range part {
			values[i] = "(?::uuid, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)"
			args = append(args, r.ID, r.Status, r.Brand, r.TitleAR, r.TitleEN, r.DescriptionAR, r.DescriptionEN, jsonText(r.Attributes), r.Link, r.ContentHash)
		}
		_, err := tx.NewRaw(`UPDATE products p SET status = v.status, brand = v.brand, title_ar = v.title_ar, title_en = v.title_en,
			description_ar = v.description_ar, description_en = v.description_en, attributes = v.attributes, link = v.link,
			content_hash = v.content_hash, updated_at = ?
			FROM (VALUES `+strings.Join(values, ",")+`) AS v (id, status, brand, title_ar, title_en, description_ar, description_en, attributes, link, content_hash)
			WHERE p.id = v.id`, args...).Exec(ctx)
		if err != nil {
			return fmt.Errorf("catalog: update products: %w", err)
		}
	}
	return nil
}

// updateVariantRows rewrites changed variants (and puts archived ones back
// on sale).
func updateVariantRows(ctx context.Context, tx bun.IDB, rows []variantRow, now time.Time) error {
	for _, c := range chunks(len(rows), 500) {
		part := rows[c[0]:c[1]]
		values := make([]string, len(part))
		args := make([]any, 0, len(part)*10+1)
		args = append(args, now)
		for i, r := range part {
			values[i] = "(?::uuid, ?::uuid, ?::jsonb, ?::bigint, ?::bigint, ?, ?::integer, ?::integer, ?::integer, ?)"
			args = append(args, r.ID, r.ProductID, jsonText(r.Options), r.Price, r.CompareAt, r.Currency, r.Stock, r.WeightGrams, r.Position, r.ContentHash)
		}
		_, err := tx.NewRaw(`UPDATE variants t SET product_id = v.product_id, options = v.options, price = v.price, compare_at = v.compare_at,
			currency = v.currency, stock = v.stock, weight_grams = v.weight_grams, position = v.position, archived = false,
			content_hash = v.content_hash, updated_at = ?
			FROM (VALUES `+strings.Join(values, ",")+`) AS v (id, product_id, options, price, compare_at, currency, stock, weight_grams, position, content_hash)
			WHERE t.id = v.id`, args...).Exec(ctx)
		if err != nil {
			return fmt.Errorf("catalog: update variants: %w", err)
		}
	}
	return nil
}

// insertVariantRows adds new variants. Errors: conflict (SKU).
func insertVariantRows(ctx context.Context, tx bun.IDB, rows []variantRow) error {
	for _, c := range chunks(len(rows), 1000) {
		part := rows[c[0]:c[1]]
		if _, err := tx.NewInsert().Model(&part).ExcludeColumn("created_at", "updated_at").Exec(ctx); err != nil {
			return translateWrite(err, "sku")
		}
	}
	return nil
}

// clearMediaAndLinks removes the pictures and category links of products
// a sync rewrites.
func clearMediaAndLinks(ctx context.Context, tx bun.IDB, productIDs []uuid.UUID) error {
	for _, c := range chunks(len(productIDs), 5000) {
		ids := productIDs[c[0]:c[1]]
		if _, err := tx.NewDelete().Table("product_media").Where("product_id IN (?)", bun.In(ids)).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Table("product_categories").Where("product_id IN (?)", bun.In(ids)).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// insertMediaRows adds pictures.
func insertMediaRows(ctx context.Context, tx bun.IDB, rows []mediaRow) error {
	for _, c := range chunks(len(rows), 1000) {
		part := rows[c[0]:c[1]]
		if _, err := tx.NewInsert().Model(&part).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// insertLinkRows puts products in categories.
func insertLinkRows(ctx context.Context, tx bun.IDB, rows []productCategoryRow) error {
	for _, c := range chunks(len(rows), 1000) {
		part := rows[c[0]:c[1]]
		if _, err := tx.NewInsert().Model(&part).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// feedMadeProducts returns which of ids a feed made (an external id):
// products made through the API are never archived by a feed.
func feedMadeProducts(ctx context.Context, tx bun.IDB, ids []uuid.UUID) ([]uuid.UUID, error) {
	var out []uuid.UUID
	err := tx.NewSelect().Table("products").Column("id").Where("id IN (?)", bun.In(ids)).Where("external_id <> ''").Scan(ctx, &out)
	return out, err
}

// archiveVariantsOf archives the variants of ids that belong to one of
// products, and returns how many.
func archiveVariantsOf(ctx context.Context, tx bun.IDB, ids, products []uuid.UUID, now time.Time) (int, error) {
	res, err := tx.NewUpdate().Table("variants").Set("archived = true, updated_at = ?", now).
		Where("id IN (?)", bun.In(ids)).Where("product_id IN (?)", bun.In(append(products, uuid.Nil))).Exec(ctx)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// archiveEmptyProducts archives those of ids left without a variant on
// sale, and returns how many.
func archiveEmptyProducts(ctx context.Context, tx bun.IDB, ids []uuid.UUID, now time.Time) (int, error) {
	res, err := tx.NewUpdate().Table("products").Set("status = ?, updated_at = ?", StatusArchived, now).
		Where("id IN (?)", bun.In(ids)).Where("status <> ?", StatusArchived).
		Where("NOT EXISTS (SELECT 1 FROM variants v WHERE v.tenant_id = products.tenant_id AND v.product_id = products.id AND NOT v.archived)").Exec(ctx)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
