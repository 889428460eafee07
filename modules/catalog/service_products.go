package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/tenants"
)

// The service's writes of products, variants and pictures. Each runs in one
// tenant transaction (Service.write), refreshes the products it touched and
// bumps the cache version after the commit.

// CreateProduct creates a product with its variants, media and categories.
// Errors: invalid (fields, unknown category, currency), conflict (SKU, slug).
func (s *Service) CreateProduct(ctx context.Context, in ProductInput) (*Product, error) {
	if _, err := tenantOf(ctx); err != nil {
		return nil, err
	}
	if fe := s.validateProduct(in); len(fe) > 0 {
		return nil, errs.Invalid(fe...)
	}
	currency, err := s.currency(ctx)
	if err != nil {
		return nil, err
	}
	id := uuid.Must(uuid.NewV7())
	err = s.write(ctx, func(ctx context.Context, tx bun.Tx, t *tenants.Tenant) ([]uuid.UUID, error) {
		if err := checkCategories(ctx, tx, "category_ids", in.CategoryIDs); err != nil {
			return nil, err
		}
		slug := in.Slug
		if slug == "" {
			var err error
			if slug, err = freeSlug(ctx, tx, slugify(in.TitleEN, in.Variants[0].SKU)); err != nil {
				return nil, err
			}
		}
		status := in.Status
		if status == "" {
			status = StatusActive
		}
		r := productRow{TenantID: t.ID, ID: id, Slug: slug, Status: status, Brand: strings.TrimSpace(in.Brand),
			TitleAR: strings.TrimSpace(in.TitleAR), TitleEN: strings.TrimSpace(in.TitleEN), DescriptionAR: in.DescriptionAR,
			DescriptionEN: in.DescriptionEN, Link: in.Link, Attributes: nonNil(in.Attributes), Currency: currency}
		if err := insertProduct(ctx, tx, &r); err != nil {
			return nil, err
		}
		for i, v := range in.Variants {
			row := fromVariant(t.ID, variantOf(v, id, i, currency))
			if err := insertVariant(ctx, tx, &row, fmt.Sprintf("variants[%d].sku", i)); err != nil {
				return nil, err
			}
		}
		if err := linkCategories(ctx, tx, t.ID, id, in.CategoryIDs); err != nil {
			return nil, err
		}
		for i, m := range in.Media {
			row := mediaRowOf(t.ID, id, i, m)
			if err := insertMedia(ctx, tx, &row); err != nil {
				return nil, err
			}
		}
		return []uuid.UUID{id}, s.record(ctx, tx, t, "product.create", "product:"+id.String(),
			map[string]any{"slug": slug, "status": status, "title_ar": r.TitleAR, "title_en": r.TitleEN, "variants": len(in.Variants)})
	})
	if err != nil {
		return nil, err
	}
	return s.StaffProduct(ctx, id.String())
}

// UpdateProduct changes a product's own fields. Errors: not_found, invalid,
// conflict (slug).
func (s *Service) UpdateProduct(ctx context.Context, ref string, in ProductPatch) (*Product, error) {
	var id uuid.UUID
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx, t *tenants.Tenant) ([]uuid.UUID, error) {
		p, err := getProduct(ctx, tx, canonicalRef(ref), true)
		if err != nil {
			return nil, err
		}
		id = p.ID
		next := ProductInput{Slug: p.Slug, Status: p.Status, Brand: p.Brand, TitleAR: p.TitleAR, TitleEN: p.TitleEN,
			DescriptionAR: p.DescriptionAR, DescriptionEN: p.DescriptionEN, Link: p.Link, Attributes: p.Attributes,
			Variants: []VariantInput{{SKU: "x"}}}
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&next.Slug, in.Slug)
		set(&next.Status, in.Status)
		set(&next.Brand, in.Brand)
		set(&next.TitleAR, in.TitleAR)
		set(&next.TitleEN, in.TitleEN)
		set(&next.DescriptionAR, in.DescriptionAR)
		set(&next.DescriptionEN, in.DescriptionEN)
		set(&next.Link, in.Link)
		if in.Attributes != nil {
			next.Attributes = *in.Attributes
		}
		if next.Slug == "" {
			return nil, errs.Invalid(errs.Field("slug", "required", "catalog.field.slug_empty"))
		}
		if fe := s.validateProduct(next); len(fe) > 0 {
			return nil, errs.Invalid(fe...)
		}
		if err := updateProductFields(ctx, tx, id, next); err != nil {
			return nil, err
		}
		if in.CategoryIDs != nil {
			if err := checkCategories(ctx, tx, "category_ids", *in.CategoryIDs); err != nil {
				return nil, err
			}
			if err := unlinkCategories(ctx, tx, id); err != nil {
				return nil, err
			}
			if err := linkCategories(ctx, tx, t.ID, id, *in.CategoryIDs); err != nil {
				return nil, err
			}
		}
		return []uuid.UUID{id}, s.record(ctx, tx, t, "product.update", "product:"+id.String(),
			map[string]any{"slug": next.Slug, "status": next.Status, "title_ar": next.TitleAR, "title_en": next.TitleEN})
	})
	if err != nil {
		return nil, err
	}
	return s.StaffProduct(ctx, id.String())
}

// ArchiveProduct archives a product (it leaves the storefront and the chat;
// its rows stay for orders). Errors: not_found.
func (s *Service) ArchiveProduct(ctx context.Context, ref string) (*Product, error) {
	st := StatusArchived
	return s.UpdateProduct(ctx, ref, ProductPatch{Status: &st})
}

// AddVariant adds a variant to a product. Errors: not_found, invalid, conflict.
func (s *Service) AddVariant(ctx context.Context, productRef string, in VariantInput) (*Variant, error) {
	if fe := validateVariant("", in); len(fe) > 0 {
		return nil, errs.Invalid(fe...)
	}
	currency, err := s.currency(ctx)
	if err != nil {
		return nil, err
	}
	var out Variant
	err = s.write(ctx, func(ctx context.Context, tx bun.Tx, t *tenants.Tenant) ([]uuid.UUID, error) {
		p, err := getProduct(ctx, tx, canonicalRef(productRef), true)
		if err != nil {
			return nil, err
		}
		if len(p.Variants) >= MaxVariants {
			return nil, errs.Invalid(errs.Field("variants", "max", "catalog.field.variants_max", "max", MaxVariants))
		}
		out = variantOf(in, p.ID, len(p.Variants), currency)
		row := fromVariant(t.ID, out)
		if err := insertVariant(ctx, tx, &row, "sku"); err != nil {
			return nil, err
		}
		return []uuid.UUID{p.ID}, s.record(ctx, tx, t, "variant.add", "variant:"+out.ID.String(),
			map[string]any{"product_id": p.ID, "sku": out.SKU, "price": out.Price, "stock": out.Stock})
	})
	return &out, err
}

// UpdateVariant changes a variant. Errors: not_found, invalid, conflict.
func (s *Service) UpdateVariant(ctx context.Context, productRef string, variantRef string, in VariantPatch) (*Variant, error) {
	var out Variant
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx, t *tenants.Tenant) ([]uuid.UUID, error) {
		v, err := getVariant(ctx, tx, productRef, variantRef)
		if err != nil {
			return nil, err
		}
		next := VariantInput{SKU: v.SKU, Options: v.Options, Price: v.Price, CompareAt: v.CompareAt, Stock: v.Stock, WeightGrams: v.WeightGrams}
		if in.SKU != nil {
			next.SKU = *in.SKU
		}
		if in.Options != nil {
			next.Options = *in.Options
		}
		if in.Price != nil {
			next.Price = *in.Price
		}
		if in.CompareAt != nil {
			next.CompareAt = *in.CompareAt
		}
		if in.Stock != nil || in.Untrack {
			next.Stock = in.Stock
		}
		if in.WeightGrams != nil {
			next.WeightGrams = *in.WeightGrams
		}
		if fe := validateVariant("", next); len(fe) > 0 {
			return nil, errs.Invalid(fe...)
		}
		out = variantOf(next, v.ProductID, v.Position, v.Currency)
		out.ID, out.Archived = v.ID, v.Archived
		row := fromVariant(t.ID, out)
		if err := updateVariant(ctx, tx, &row); err != nil {
			return nil, err
		}
		return []uuid.UUID{v.ProductID}, s.record(ctx, tx, t, "variant.update", "variant:"+out.ID.String(),
			map[string]any{"product_id": v.ProductID, "sku": out.SKU, "price": out.Price, "stock": out.Stock})
	})
	return &out, err
}

// ArchiveVariant takes a variant off sale. Errors: not_found.
func (s *Service) ArchiveVariant(ctx context.Context, productRef, variantRef string) error {
	return s.write(ctx, func(ctx context.Context, tx bun.Tx, t *tenants.Tenant) ([]uuid.UUID, error) {
		v, err := getVariant(ctx, tx, productRef, variantRef)
		if err != nil {
			return nil, err
		}
		if err := archiveVariant(ctx, tx, v.ID); err != nil {
			return nil, err
		}
		return []uuid.UUID{v.ProductID}, s.record(ctx, tx, t, "variant.archive", "variant:"+v.ID.String(),
			map[string]any{"product_id": v.ProductID, "sku": v.SKU})
	})
}

// getVariant finds a product's variant by id or SKU (any case).
func getVariant(ctx context.Context, tx bun.IDB, productRef, variantRef string) (*Variant, error) {
	p, err := getProduct(ctx, tx, canonicalRef(productRef), true)
	if err != nil {
		return nil, err
	}
	for _, v := range p.Variants {
		if v.ID.String() == strings.ToLower(variantRef) || strings.EqualFold(v.SKU, variantRef) {
			return &v, nil
		}
	}
	return nil, errs.New(errs.CodeNotFound, "catalog.variant.not_found")
}

// AddMedia adds a picture to a product. Errors: not_found, invalid.
func (s *Service) AddMedia(ctx context.Context, productRef string, in MediaInput) (*Media, error) {
	if fe := s.validateMedia("", in); len(fe) > 0 {
		return nil, errs.Invalid(fe...)
	}
	var out Media
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx, t *tenants.Tenant) ([]uuid.UUID, error) {
		p, err := getProduct(ctx, tx, canonicalRef(productRef), true)
		if err != nil {
			return nil, err
		}
		if len(p.Media) >= MaxMedia {
			return nil, errs.Invalid(errs.Field("media", "max", "catalog.field.media_max", "max", MaxMedia))
		}
		row := mediaRowOf(t.ID, p.ID, len(p.Media), in)
		if err := insertMedia(ctx, tx, &row); err != nil {
			return nil, err
		}
		out = toMedia(row)
		return []uuid.UUID{p.ID}, s.record(ctx, tx, t, "media.add", "product:"+p.ID.String(),
			map[string]any{"media_id": row.ID, "url": row.URL})
	})
	return &out, err
}

// DeleteMedia removes a picture. Errors: not_found.
func (s *Service) DeleteMedia(ctx context.Context, productRef string, mediaID uuid.UUID) error {
	return s.write(ctx, func(ctx context.Context, tx bun.Tx, t *tenants.Tenant) ([]uuid.UUID, error) {
		p, err := getProduct(ctx, tx, canonicalRef(productRef), true)
		if err != nil {
			return nil, err
		}
		if err := deleteMedia(ctx, tx, p.ID, mediaID); err != nil {
			return nil, err
		}
		return []uuid.UUID{p.ID}, s.record(ctx, tx, t, "media.delete", "product:"+p.ID.String(), map[string]any{"media_id": mediaID})
	})
}

// StockUpdate sets the stock of a SKU (nil: stop tracking).
type StockUpdate struct {
	SKU   string
	Stock *int
}

// PriceUpdate sets the price (and compare-at price, 0 clears) of a SKU.
type PriceUpdate struct {
	SKU       string
	Price     int64
	CompareAt int64
}

// BulkResult is the outcome of a bulk update: updated SKUs and the SKUs not
// found. Nothing is written when any SKU is unknown or any row is invalid.
type BulkResult struct {
	Updated  int
	NotFound []string
}

// BulkStock sets stock by SKU in one transaction. Errors: invalid.
func (s *Service) BulkStock(ctx context.Context, items []StockUpdate) (BulkResult, error) {
	if fe := validateStock(items); len(fe) > 0 {
		return BulkResult{}, errs.Invalid(fe...)
	}
	skus := make([]string, len(items))
	for i, it := range items {
		skus[i] = it.SKU
	}
	return s.bulk(ctx, skus, func(ctx context.Context, tx bun.Tx, i int, id uuid.UUID) error {
		return setVariantStock(ctx, tx, id, items[i].Stock)
	})
}

// BulkPrice sets prices by SKU in one transaction. Errors: invalid.
func (s *Service) BulkPrice(ctx context.Context, items []PriceUpdate) (BulkResult, error) {
	if fe := validatePrices(items); len(fe) > 0 {
		return BulkResult{}, errs.Invalid(fe...)
	}
	skus := make([]string, len(items))
	for i, it := range items {
		skus[i] = it.SKU
	}
	return s.bulk(ctx, skus, func(ctx context.Context, tx bun.Tx, i int, id uuid.UUID) error {
		var cmp *int64
		if items[i].CompareAt > 0 {
			c := items[i].CompareAt
			cmp = &c
		}
		return setVariantPrice(ctx, tx, id, items[i].Price, cmp)
	})
}

// bulk applies set to the variant of each SKU, all or nothing.
func (s *Service) bulk(ctx context.Context, skus []string, set func(ctx context.Context, tx bun.Tx, i int, variantID uuid.UUID) error) (BulkResult, error) {
	var res BulkResult
	seen := map[string]int{}
	for i, sku := range skus {
		k := strings.ToLower(strings.TrimSpace(sku))
		if j, dup := seen[k]; dup {
			return res, errs.Invalid(errs.Field(fmt.Sprintf("items[%d].sku", i), "unique", "catalog.field.item_repeated", "index", j))
		}
		seen[k] = i
	}
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx, t *tenants.Tenant) ([]uuid.UUID, error) {
		vs, err := variantsBySKUForUpdate(ctx, tx, skus)
		if err != nil {
			return nil, err
		}
		bySKU := make(map[string]variantRow, len(vs))
		for _, v := range vs {
			bySKU[v.SKU] = v
		}
		var touched []uuid.UUID
		for i, sku := range skus {
			v, ok := bySKU[sku]
			if !ok {
				res.NotFound = append(res.NotFound, sku)
				continue
			}
			if err := set(ctx, tx, i, v.ID); err != nil {
				return nil, err
			}
			res.Updated++
			touched = append(touched, v.ProductID)
		}
		if len(res.NotFound) > 0 {
			res.Updated = 0
			return nil, &errs.Error{Code: errs.CodeInvalid, Msg: errs.M("catalog.bulk.unknown_skus"),
				Fields: []errs.FieldError{errs.Field("items", "unknown_sku", "catalog.field.unknown_skus", "skus", strings.Join(res.NotFound, ", "))}}
		}
		if err := rehashVariants(ctx, tx, touched); err != nil {
			return nil, err
		}
		return touched, s.record(ctx, tx, t, "variants.bulk", "catalog", map[string]any{"skus": skus})
	})
	return res, err
}

// checkCategories refuses ids that are not categories of the tenant,
// naming each (name, or name[i] for category_ids).
func checkCategories(ctx context.Context, tx bun.IDB, name string, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	have, err := existingCategories(ctx, tx, ids)
	if err != nil {
		return err
	}
	var fe []errs.FieldError
	for i, id := range ids {
		if !have[id] {
			f := name
			if name == "category_ids" {
				f = fmt.Sprintf("%s[%d]", name, i)
			}
			fe = append(fe, errs.Field(f, "unknown_category", "catalog.field.unknown_category"))
		}
	}
	if len(fe) > 0 {
		return errs.Invalid(fe...)
	}
	return nil
}

func variantOf(in VariantInput, productID uuid.UUID, pos int, currency string) Variant {
	opts := make([]Option, len(in.Options))
	for i, o := range in.Options {
		opts[i] = Option{Name: strings.TrimSpace(o.Name), Value: strings.TrimSpace(o.Value),
			NameAR: strings.TrimSpace(o.NameAR), ValueAR: strings.TrimSpace(o.ValueAR)}
	}
	return Variant{ID: uuid.Must(uuid.NewV7()), ProductID: productID, SKU: strings.TrimSpace(in.SKU), Options: opts,
		Price: in.Price, CompareAt: in.CompareAt, Currency: currency, Stock: in.Stock, WeightGrams: in.WeightGrams, Position: pos}
}

func mediaRowOf(tenantID, productID uuid.UUID, pos int, m MediaInput) mediaRow {
	return mediaRow{TenantID: tenantID, ID: uuid.Must(uuid.NewV7()), ProductID: productID, URL: m.URL,
		AltAR: m.AltAR, AltEN: m.AltEN, Position: pos}
}
