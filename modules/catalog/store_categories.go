package catalog

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

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

// resolveCategory finds a category by id or slug. Errors: not_found.
func resolveCategory(ctx context.Context, tx bun.IDB, ref string) (*categoryRow, error) {
	var r categoryRow
	q := tx.NewSelect().Model(&r)
	if id, err := uuid.Parse(ref); err == nil {
		q = q.Where("id = ?", id)
	} else {
		q = q.Where("slug = ?", strings.ToLower(ref))
	}
	if err := q.Limit(1).Scan(ctx); err != nil {
		return nil, translate(err, "catalog.category.not_found")
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

// existingCategories returns which of ids are categories of the tenant.
func existingCategories(ctx context.Context, tx bun.IDB, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	var found []uuid.UUID
	if err := tx.NewSelect().Table("categories").Column("id").Where("id IN (?)", bun.In(ids)).Scan(ctx, &found); err != nil {
		return nil, err
	}
	have := make(map[uuid.UUID]bool, len(found))
	for _, id := range found {
		have[id] = true
	}
	return have, nil
}

// insertCategory adds a category and reads back its times. Errors:
// conflict (slug).
func insertCategory(ctx context.Context, tx bun.IDB, r *categoryRow) error {
	_, err := tx.NewInsert().Model(r).Returning("created_at, updated_at").Exec(ctx)
	return translateWrite(err, "slug")
}

// updateCategory writes a category's fields. Errors: conflict (slug).
func updateCategory(ctx context.Context, tx bun.IDB, r *categoryRow) error {
	_, err := tx.NewUpdate().Model(r).Column("parent_id", "slug", "name_ar", "name_en", "position", "image_url").
		Set("updated_at = now()").WherePK().Exec(ctx)
	return translateWrite(err, "slug")
}

// subCategoryCount counts the direct children of a category.
func subCategoryCount(ctx context.Context, tx bun.IDB, id uuid.UUID) (int, error) {
	n, err := tx.NewSelect().Table("categories").Where("parent_id = ?", id).Count(ctx)
	return int(n), err
}

// categoryProducts lists the products in a category (itself, not below).
func categoryProducts(ctx context.Context, tx bun.IDB, id uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := tx.NewSelect().Table("product_categories").Column("product_id").Where("category_id = ?", id).Scan(ctx, &ids)
	return ids, err
}

// deleteCategory removes a category (its product links go with it).
func deleteCategory(ctx context.Context, tx bun.IDB, id uuid.UUID) error {
	_, err := tx.NewDelete().Table("categories").Where("id = ?", id).Exec(ctx)
	return err
}

// allCategoryRows reads every category row (a sync matches feed paths to
// them by slug).
func allCategoryRows(ctx context.Context, tx bun.IDB) ([]categoryRow, error) {
	var rs []categoryRow
	err := tx.NewSelect().Model(&rs).Scan(ctx)
	return rs, err
}

// insertCategoryRows adds categories one by one, in order: a child's parent
// must exist first.
func insertCategoryRows(ctx context.Context, tx bun.IDB, rs []categoryRow) error {
	for i := range rs {
		if _, err := tx.NewInsert().Model(&rs[i]).ExcludeColumn("created_at", "updated_at").Exec(ctx); err != nil {
			return translate(err, "catalog.category.not_found")
		}
	}
	return nil
}
