package catalog

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/tenants"
)

// CreateCategory creates a category. Errors: invalid (unknown parent),
// conflict (slug).
func (s *Service) CreateCategory(ctx context.Context, in CategoryInput) (*Category, error) {
	if fe := s.validateCategory(in); len(fe) > 0 {
		return nil, errs.Invalid(fe...)
	}
	var out Category
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx, t *tenants.Tenant) ([]uuid.UUID, error) {
		if in.ParentID != nil {
			if err := checkCategories(ctx, tx, "parent_id", []uuid.UUID{*in.ParentID}); err != nil {
				return nil, err
			}
		}
		slug := in.Slug
		if slug == "" {
			slug = slugify(in.NameEN, "category-"+uuid.NewString()[:8])
		}
		r := categoryRow{TenantID: t.ID, ID: uuid.Must(uuid.NewV7()), ParentID: in.ParentID, Slug: slug,
			NameAR: strings.TrimSpace(in.NameAR), NameEN: strings.TrimSpace(in.NameEN), Position: in.Position, ImageURL: in.ImageURL}
		if err := insertCategory(ctx, tx, &r); err != nil {
			return nil, err
		}
		out = toCategory(r)
		return nil, s.record(ctx, tx, t, "category.create", "category:"+r.ID.String(),
			map[string]any{"slug": r.Slug, "name_ar": r.NameAR, "name_en": r.NameEN, "parent_id": r.ParentID})
	})
	return &out, err
}

// UpdateCategory replaces a category's fields. Errors: not_found, invalid
// (a parent that is itself or a descendant), conflict (slug).
func (s *Service) UpdateCategory(ctx context.Context, ref string, in CategoryInput) (*Category, error) {
	if fe := s.validateCategory(in); len(fe) > 0 {
		return nil, errs.Invalid(fe...)
	}
	var out Category
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx, t *tenants.Tenant) ([]uuid.UUID, error) {
		c, err := resolveCategory(ctx, tx, ref)
		if err != nil {
			return nil, err
		}
		if in.ParentID != nil {
			sub, err := categoryTree(ctx, tx, c.ID)
			if err != nil {
				return nil, err
			}
			for _, id := range sub {
				if id == *in.ParentID {
					return nil, errs.Invalid(errs.Field("parent_id", "cycle", "catalog.field.parent_cycle"))
				}
			}
			if err := checkCategories(ctx, tx, "parent_id", []uuid.UUID{*in.ParentID}); err != nil {
				return nil, err
			}
		}
		if in.Slug != "" {
			c.Slug = in.Slug
		}
		c.ParentID, c.NameAR, c.NameEN, c.Position, c.ImageURL = in.ParentID, strings.TrimSpace(in.NameAR), strings.TrimSpace(in.NameEN), in.Position, in.ImageURL
		if err := updateCategory(ctx, tx, c); err != nil {
			return nil, err
		}
		out = toCategory(*c)
		if err := s.record(ctx, tx, t, "category.update", "category:"+c.ID.String(),
			map[string]any{"slug": c.Slug, "name_ar": c.NameAR, "name_en": c.NameEN, "parent_id": c.ParentID}); err != nil {
			return nil, err
		}
		// Category names are part of the products' search text.
		return categoryProducts(ctx, tx, c.ID)
	})
	return &out, err
}

// DeleteCategory deletes a category without sub-categories; its products
// stay, without it. Errors: not_found, conflict (has sub-categories).
func (s *Service) DeleteCategory(ctx context.Context, ref string) error {
	return s.write(ctx, func(ctx context.Context, tx bun.Tx, t *tenants.Tenant) ([]uuid.UUID, error) {
		c, err := resolveCategory(ctx, tx, ref)
		if err != nil {
			return nil, err
		}
		n, err := subCategoryCount(ctx, tx, c.ID)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, errs.New(errs.CodeConflict, "catalog.category.has_children")
		}
		ids, err := categoryProducts(ctx, tx, c.ID)
		if err != nil {
			return nil, err
		}
		if err := deleteCategory(ctx, tx, c.ID); err != nil {
			return nil, err
		}
		return ids, s.record(ctx, tx, t, "category.delete", "category:"+c.ID.String(), map[string]any{"slug": c.Slug})
	})
}
