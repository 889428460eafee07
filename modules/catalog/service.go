package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/db"
	"concierge/internal/errs"
	"concierge/internal/input"
	"concierge/internal/money"
)

// ---- reads (public, cached) ----

// ProductJSON returns the public JSON of an active product by id or slug,
// from the cache. Errors: not_found.
func (s *Service) ProductJSON(ctx context.Context, ref string) ([]byte, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	ref = canonicalRef(ref)
	return s.cache.get(ctx, t.ID, "p:"+ref, func() ([]byte, error) {
		var p *Product
		err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			p, err = getProduct(ctx, tx, ref, false)
			return err
		})
		if err != nil {
			return nil, err
		}
		return json.Marshal(toAPIProduct(*p, false))
	})
}

// Product returns an active product by id or slug (cached).
func (s *Service) Product(ctx context.Context, ref string) (*Product, error) {
	b, err := s.ProductJSON(ctx, ref)
	if err != nil {
		return nil, err
	}
	var a apiProduct
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, err
	}
	p := fromAPIProduct(a)
	return &p, nil
}

// ProductBySKU returns the active product that has a variant with sku.
func (s *Service) ProductBySKU(ctx context.Context, sku string) (*Product, error) {
	var id uuid.UUID
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return db.Translate(tx.NewSelect().Table("variants").Column("product_id").
			Where("lower(sku) = lower(?)", strings.TrimSpace(sku)).Where("NOT archived").Limit(1).Scan(ctx, &id), "variant")
	})
	if err != nil {
		return nil, err
	}
	return s.Product(ctx, id.String())
}

// ListJSON returns the public JSON of a page of products (cached per query).
// Errors: invalid (cursor), not_found (category).
func (s *Service) ListJSON(ctx context.Context, q Query) ([]byte, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	q.Status = ""
	return s.cache.get(ctx, t.ID, "l:"+queryKey(q), func() ([]byte, error) {
		page, err := s.list(ctx, q)
		if err != nil {
			return nil, err
		}
		return json.Marshal(toAPIPage(page, false))
	})
}

// List returns a page of active products (cached).
func (s *Service) List(ctx context.Context, q Query) (Page, error) {
	b, err := s.ListJSON(ctx, q)
	if err != nil {
		return Page{}, err
	}
	var a apiPage
	if err := json.Unmarshal(b, &a); err != nil {
		return Page{}, err
	}
	page := Page{NextCursor: a.NextCursor, Items: make([]Product, len(a.Items))}
	for i, p := range a.Items {
		page.Items[i] = fromAPIProduct(p)
	}
	return page, nil
}

func (s *Service) list(ctx context.Context, q Query) (Page, error) {
	var page Page
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		page, err = listProducts(ctx, tx, q)
		return err
	})
	return page, err
}

// CategoriesJSON returns the public JSON of the category tree (cached).
func (s *Service) CategoriesJSON(ctx context.Context) ([]byte, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	return s.cache.get(ctx, t.ID, "c:all", func() ([]byte, error) {
		cs, err := s.categories(ctx)
		if err != nil {
			return nil, err
		}
		return json.Marshal(toAPICategories(cs))
	})
}

// Categories returns every category in tree order (cached).
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	b, err := s.CategoriesJSON(ctx)
	if err != nil {
		return nil, err
	}
	var a apiCategories
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, err
	}
	return fromAPICategories(a), nil
}

func (s *Service) categories(ctx context.Context) ([]Category, error) {
	var cs []Category
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		cs, err = listCategories(ctx, tx)
		return err
	})
	return cs, err
}

// ---- staff reads (uncached, any status, stock quantities) ----

// StaffProduct returns a product in any status with archived variants.
func (s *Service) StaffProduct(ctx context.Context, ref string) (*Product, error) {
	var p *Product
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		p, err = getProduct(ctx, tx, canonicalRef(ref), true)
		return err
	})
	return p, err
}

// StaffList lists products of q.Status (any status when "all").
func (s *Service) StaffList(ctx context.Context, q Query) (Page, error) {
	if q.Status == "" {
		q.Status = StatusActive
	}
	return s.list(ctx, q)
}

// ---- writes ----

// ProductInput creates a product. Variants: at least one.
type ProductInput struct {
	Slug          string
	Status        string
	Brand         string
	TitleAR       string
	TitleEN       string
	DescriptionAR string
	DescriptionEN string
	Link          string
	Attributes    map[string]string
	CategoryIDs   []uuid.UUID
	Media         []MediaInput
	Variants      []VariantInput
}

// MediaInput adds a picture.
type MediaInput struct {
	URL, AltAR, AltEN string
}

// VariantInput creates a variant.
type VariantInput struct {
	SKU         string
	Options     []Option
	Price       int64
	CompareAt   int64
	Stock       *int
	WeightGrams int
}

// ProductPatch changes the fields that are set.
type ProductPatch struct {
	Slug, Status, Brand, TitleAR, TitleEN, DescriptionAR, DescriptionEN, Link *string
	Attributes                                                                *map[string]string
	CategoryIDs                                                               *[]uuid.UUID
}

// VariantPatch changes the fields that are set. Untrack clears stock
// tracking (Stock must then be nil).
type VariantPatch struct {
	SKU         *string
	Options     *[]Option
	Price       *int64
	CompareAt   *int64 // 0 clears
	Stock       *int
	Untrack     bool
	WeightGrams *int
}

var slugRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,158}[a-z0-9])?$`)

func field(name, code, en, ar string) errs.FieldError {
	return errs.FieldError{Field: name, Code: code, Msg: errs.Legacy(en, ar)}
}

// MaxCount is the largest stock or weight in grams (32-bit columns).
const MaxCount = math.MaxInt32

// text is one text of an input and the rule it follows.
type text struct {
	field, value string
	mode         input.Mode
}

// checkTexts applies the input rules to texts that may not have come
// through the HTTP edge (the shell, forms, flows).
func checkTexts(ts ...text) []errs.FieldError {
	var fe []errs.FieldError
	for _, t := range ts {
		if err := input.Check(t.value, t.mode); err != nil {
			fe = append(fe, errs.TextError(t.field, err))
		}
	}
	return fe
}

// validateVariant checks one variant against the domain rules.
func validateVariant(prefix string, v VariantInput) []errs.FieldError {
	fe := checkTexts(text{prefix + "sku", v.SKU, input.SingleLine})
	for i, o := range v.Options {
		p := fmt.Sprintf("%soptions[%d].", prefix, i)
		fe = append(fe, checkTexts(text{p + "name", o.Name, input.SingleLine}, text{p + "value", o.Value, input.SingleLine},
			text{p + "name_ar", o.NameAR, input.SingleLine}, text{p + "value_ar", o.ValueAR, input.SingleLine})...)
	}
	if v.Price > money.MaxMinor {
		fe = append(fe, field(prefix+"price", "max", fmt.Sprintf("must be at most %d", money.MaxMinor), fmt.Sprintf("يجب ألا يزيد عن %d", money.MaxMinor)))
	}
	if v.CompareAt > money.MaxMinor {
		fe = append(fe, field(prefix+"compare_at_price", "max", fmt.Sprintf("must be at most %d", money.MaxMinor), fmt.Sprintf("يجب ألا يزيد عن %d", money.MaxMinor)))
	}
	if v.Stock != nil && *v.Stock > MaxCount {
		fe = append(fe, field(prefix+"stock", "max", fmt.Sprintf("must be at most %d", MaxCount), fmt.Sprintf("يجب ألا يزيد عن %d", MaxCount)))
	}
	if v.WeightGrams > MaxCount {
		fe = append(fe, field(prefix+"weight_grams", "max", fmt.Sprintf("must be at most %d", MaxCount), fmt.Sprintf("يجب ألا يزيد عن %d", MaxCount)))
	}
	if s := strings.TrimSpace(v.SKU); s == "" || len(s) > 64 {
		fe = append(fe, field(prefix+"sku", "required", "is required (1 to 64 characters)", "مطلوب (من 1 إلى 64 حرفًا)"))
	}
	if v.Price < 0 {
		fe = append(fe, field(prefix+"price", "min", "must not be negative", "يجب ألا يكون سالبًا"))
	}
	if v.CompareAt != 0 && v.CompareAt <= v.Price {
		fe = append(fe, field(prefix+"compare_at_price", "gtfield", "must be greater than the price", "يجب أن يكون أكبر من السعر"))
	}
	if v.Stock != nil && *v.Stock < 0 {
		fe = append(fe, field(prefix+"stock", "min", "must not be negative", "يجب ألا يكون سالبًا"))
	}
	if v.WeightGrams < 0 {
		fe = append(fe, field(prefix+"weight_grams", "min", "must not be negative", "يجب ألا يكون سالبًا"))
	}
	if len(v.Options) > MaxOptions {
		fe = append(fe, field(prefix+"options", "max", "at most 3 options", "ثلاثة خيارات على الأكثر"))
	}
	for i, o := range v.Options {
		if strings.TrimSpace(o.Name) == "" || strings.TrimSpace(o.Value) == "" {
			fe = append(fe, field(fmt.Sprintf("%soptions[%d]", prefix, i), "required", "needs a name and a value", "يحتاج إلى اسم وقيمة"))
		}
	}
	return fe
}

func (s *Service) validateProduct(in ProductInput) []errs.FieldError {
	fe := checkTexts(text{"slug", in.Slug, input.SingleLine}, text{"status", in.Status, input.SingleLine},
		text{"brand", in.Brand, input.SingleLine}, text{"title_ar", in.TitleAR, input.SingleLine},
		text{"title_en", in.TitleEN, input.SingleLine}, text{"description_ar", in.DescriptionAR, input.MultiLine},
		text{"description_en", in.DescriptionEN, input.MultiLine})
	for k, v := range in.Attributes {
		fe = append(fe, checkTexts(text{"attributes", k, input.SingleLine}, text{"attributes[" + k + "]", v, input.SingleLine})...)
	}
	if in.Link != "" && input.WebURL(in.Link, s.cfg.AllowHTTPLinks) != nil {
		fe = append(fe, s.urlField("link"))
	}
	if input.Blank(in.TitleAR) && input.Blank(in.TitleEN) {
		fe = append(fe, field("title", "required", "is required in Arabic or English", "العنوان مطلوب بالعربية أو بالإنجليزية"))
	}
	if in.Slug != "" && !slugRe.MatchString(in.Slug) {
		fe = append(fe, field("slug", "slug", "must be lower-case letters, digits and hyphens", "يجب أن يتكون من أحرف إنجليزية صغيرة وأرقام وشرطات"))
	}
	switch in.Status {
	case "", StatusDraft, StatusActive, StatusArchived:
	default:
		fe = append(fe, field("status", "oneof", "must be draft, active or archived", "يجب أن تكون draft أو active أو archived"))
	}
	if len(in.Variants) == 0 {
		fe = append(fe, field("variants", "required", "needs at least one variant", "يحتاج إلى نوع واحد على الأقل"))
	}
	if len(in.Variants) > MaxVariants {
		fe = append(fe, field("variants", "max", "at most 100 variants", "100 نوع على الأكثر"))
	}
	if len(in.Media) > MaxMedia {
		fe = append(fe, field("media", "max", "at most 20 pictures", "20 صورة على الأكثر"))
	}
	seen := map[string]int{}
	for i, v := range in.Variants {
		p := fmt.Sprintf("variants[%d].", i)
		fe = append(fe, validateVariant(p, v)...)
		k := strings.ToLower(strings.TrimSpace(v.SKU))
		if j, dup := seen[k]; dup && k != "" {
			fe = append(fe, field(p+"sku", "unique", fmt.Sprintf("repeats the SKU of variants[%d]", j), fmt.Sprintf("يكرر رمز SKU للنوع رقم %d", j)))
		}
		seen[k] = i
	}
	for i, m := range in.Media {
		fe = append(fe, s.validateMedia(fmt.Sprintf("media[%d].", i), m)...)
	}
	return fe
}

func (s *Service) validateMedia(prefix string, m MediaInput) []errs.FieldError {
	fe := checkTexts(text{prefix + "alt_ar", m.AltAR, input.SingleLine}, text{prefix + "alt_en", m.AltEN, input.SingleLine})
	if !s.validURL(m.URL) {
		fe = append(fe, s.urlField(prefix+"url"))
	}
	return fe
}

// validURL reports whether u is a link a browser may open (https; http too
// outside production).
func (s *Service) validURL(u string) bool { return input.WebURL(u, s.cfg.AllowHTTPLinks) == nil }

// urlField is the field error of a link validURL refused.
func (s *Service) urlField(name string) errs.FieldError {
	if s.cfg.AllowHTTPLinks {
		return field(name, "weburl", "must be an absolute link starting with https:// or http://", "يجب أن يكون رابطًا كاملًا يبدأ بـ https:// أو http://")
	}
	return field(name, "weburl", "must be an absolute link starting with https://", "يجب أن يكون رابطًا كاملًا يبدأ بـ https://")
}

// CreateProduct creates a product with its variants, media and categories.
// Errors: invalid (fields, unknown category, currency), conflict (SKU, slug).
func (s *Service) CreateProduct(ctx context.Context, in ProductInput) (*Product, error) {
	t, err := tenantOf(ctx)
	if err != nil {
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
	err = s.write(ctx, func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error) {
		if err := checkCategories(ctx, tx, "category_ids", in.CategoryIDs); err != nil {
			return nil, err
		}
		slug := in.Slug
		if slug == "" {
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
		if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
			return nil, translateWrite(err, "slug")
		}
		for i, v := range in.Variants {
			row := fromVariant(t.ID, variantOf(v, id, i, currency))
			if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
				return nil, translateWrite(err, fmt.Sprintf("variants[%d].sku", i))
			}
		}
		if err := setCategories(ctx, tx, t.ID, id, in.CategoryIDs); err != nil {
			return nil, err
		}
		for i, m := range in.Media {
			if err := insertMedia(ctx, tx, t.ID, id, i, m); err != nil {
				return nil, err
			}
		}
		return []uuid.UUID{id}, nil
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
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error) {
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
			return nil, errs.Invalid(field("slug", "required", "must not be empty", "يجب ألا يكون فارغًا"))
		}
		if fe := s.validateProduct(next); len(fe) > 0 {
			return nil, errs.Invalid(fe...)
		}
		_, err = tx.NewUpdate().Table("products").Where("id = ?", id).
			Set("slug = ?, status = ?, brand = ?, title_ar = ?, title_en = ?, description_ar = ?, description_en = ?, link = ?, attributes = ?, content_hash = '', updated_at = now()",
				next.Slug, next.Status, strings.TrimSpace(next.Brand), strings.TrimSpace(next.TitleAR), strings.TrimSpace(next.TitleEN),
				next.DescriptionAR, next.DescriptionEN, next.Link, jsonText(nonNil(next.Attributes))).Exec(ctx)
		if err != nil {
			return nil, translateWrite(err, "slug")
		}
		if in.CategoryIDs != nil {
			if err := checkCategories(ctx, tx, "category_ids", *in.CategoryIDs); err != nil {
				return nil, err
			}
			t, _ := tenantOf(ctx)
			if _, err := tx.NewDelete().Table("product_categories").Where("product_id = ?", id).Exec(ctx); err != nil {
				return nil, err
			}
			if err := setCategories(ctx, tx, t.ID, id, *in.CategoryIDs); err != nil {
				return nil, err
			}
		}
		return []uuid.UUID{id}, nil
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
	err = s.write(ctx, func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error) {
		t, _ := tenantOf(ctx)
		p, err := getProduct(ctx, tx, canonicalRef(productRef), true)
		if err != nil {
			return nil, err
		}
		if len(p.Variants) >= MaxVariants {
			return nil, errs.Invalid(field("variants", "max", "at most 100 variants", "100 نوع على الأكثر"))
		}
		out = variantOf(in, p.ID, len(p.Variants), currency)
		row := fromVariant(t.ID, out)
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			return nil, translateWrite(err, "sku")
		}
		return []uuid.UUID{p.ID}, nil
	})
	return &out, err
}

// UpdateVariant changes a variant. Errors: not_found, invalid, conflict.
func (s *Service) UpdateVariant(ctx context.Context, productRef string, variantRef string, in VariantPatch) (*Variant, error) {
	var out Variant
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error) {
		t, _ := tenantOf(ctx)
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
		_, err = tx.NewUpdate().Model(&row).Column("sku", "options", "price", "compare_at", "stock", "weight_grams", "content_hash").
			Set("updated_at = now()").WherePK().Exec(ctx)
		if err != nil {
			return nil, translateWrite(err, "sku")
		}
		return []uuid.UUID{v.ProductID}, nil
	})
	return &out, err
}

// ArchiveVariant takes a variant off sale. Errors: not_found.
func (s *Service) ArchiveVariant(ctx context.Context, productRef, variantRef string) error {
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error) {
		v, err := getVariant(ctx, tx, productRef, variantRef)
		if err != nil {
			return nil, err
		}
		_, err = tx.NewUpdate().Table("variants").Set("archived = true, updated_at = now()").Where("id = ?", v.ID).Exec(ctx)
		return []uuid.UUID{v.ProductID}, err
	})
}

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
	return nil, errs.E(errs.CodeNotFound, "no such variant")
}

// AddMedia adds a picture to a product. Errors: not_found, invalid.
func (s *Service) AddMedia(ctx context.Context, productRef string, in MediaInput) (*Media, error) {
	if fe := s.validateMedia("", in); len(fe) > 0 {
		return nil, errs.Invalid(fe...)
	}
	var out Media
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error) {
		t, _ := tenantOf(ctx)
		p, err := getProduct(ctx, tx, canonicalRef(productRef), true)
		if err != nil {
			return nil, err
		}
		if len(p.Media) >= MaxMedia {
			return nil, errs.Invalid(field("media", "max", "at most 20 pictures", "20 صورة على الأكثر"))
		}
		if err := insertMedia(ctx, tx, t.ID, p.ID, len(p.Media), in); err != nil {
			return nil, err
		}
		return []uuid.UUID{p.ID}, tx.NewSelect().Table("product_media").Column("id", "url", "alt_ar", "alt_en", "position").
			Where("product_id = ?", p.ID).OrderExpr("position DESC").Limit(1).Scan(ctx, &out.ID, &out.URL, &out.AltAR, &out.AltEN, &out.Position)
	})
	return &out, err
}

// DeleteMedia removes a picture. Errors: not_found.
func (s *Service) DeleteMedia(ctx context.Context, productRef string, mediaID uuid.UUID) error {
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error) {
		p, err := getProduct(ctx, tx, canonicalRef(productRef), true)
		if err != nil {
			return nil, err
		}
		res, err := tx.NewDelete().Table("product_media").Where("product_id = ? AND id = ?", p.ID, mediaID).Exec(ctx)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, errs.E(errs.CodeNotFound, "no such picture")
		}
		return []uuid.UUID{p.ID}, nil
	})
}

func insertMedia(ctx context.Context, tx bun.IDB, tenantID, productID uuid.UUID, pos int, m MediaInput) error {
	r := mediaRow{TenantID: tenantID, ID: uuid.Must(uuid.NewV7()), ProductID: productID, URL: m.URL,
		AltAR: m.AltAR, AltEN: m.AltEN, Position: pos}
	_, err := tx.NewInsert().Model(&r).Exec(ctx)
	return db.Translate(err, "picture")
}

// CategoryInput creates or replaces a category.
type CategoryInput struct {
	ParentID *uuid.UUID
	Slug     string
	NameAR   string
	NameEN   string
	Position int
	ImageURL string
}

func (s *Service) validateCategory(in CategoryInput) []errs.FieldError {
	fe := checkTexts(text{"slug", in.Slug, input.SingleLine}, text{"name_ar", in.NameAR, input.SingleLine},
		text{"name_en", in.NameEN, input.SingleLine})
	if strings.TrimSpace(in.NameAR) == "" && strings.TrimSpace(in.NameEN) == "" {
		fe = append(fe, field("name", "required", "is required in Arabic or English", "الاسم مطلوب بالعربية أو بالإنجليزية"))
	}
	if in.Slug != "" && !slugRe.MatchString(in.Slug) {
		fe = append(fe, field("slug", "slug", "must be lower-case letters, digits and hyphens", "يجب أن يتكون من أحرف إنجليزية صغيرة وأرقام وشرطات"))
	}
	if in.ImageURL != "" && !s.validURL(in.ImageURL) {
		fe = append(fe, s.urlField("image_url"))
	}
	return fe
}

// CreateCategory creates a category. Errors: invalid (unknown parent),
// conflict (slug).
func (s *Service) CreateCategory(ctx context.Context, in CategoryInput) (*Category, error) {
	if fe := s.validateCategory(in); len(fe) > 0 {
		return nil, errs.Invalid(fe...)
	}
	var out Category
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error) {
		t, _ := tenantOf(ctx)
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
		if _, err := tx.NewInsert().Model(&r).Returning("created_at, updated_at").Exec(ctx); err != nil {
			return nil, translateWrite(err, "slug")
		}
		out = toCategory(r)
		return nil, nil
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
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error) {
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
					return nil, errs.Invalid(field("parent_id", "cycle", "must not be the category itself or one of its sub-categories", "يجب ألا يكون التصنيف نفسه أو أحد فروعه"))
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
		if _, err := tx.NewUpdate().Model(c).Column("parent_id", "slug", "name_ar", "name_en", "position", "image_url").
			Set("updated_at = now()").WherePK().Exec(ctx); err != nil {
			return nil, translateWrite(err, "slug")
		}
		out = toCategory(*c)
		// Category names are part of the products' search text.
		var ids []uuid.UUID
		if err := tx.NewSelect().Table("product_categories").Column("product_id").Where("category_id = ?", c.ID).Scan(ctx, &ids); err != nil {
			return nil, err
		}
		return ids, nil
	})
	return &out, err
}

// DeleteCategory deletes a category without sub-categories; its products
// stay, without it. Errors: not_found, conflict (has sub-categories).
func (s *Service) DeleteCategory(ctx context.Context, ref string) error {
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error) {
		c, err := resolveCategory(ctx, tx, ref)
		if err != nil {
			return nil, err
		}
		n, err := tx.NewSelect().Table("categories").Where("parent_id = ?", c.ID).Count(ctx)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, errs.E(errs.CodeConflict, "the category has sub-categories; move or delete them first")
		}
		var ids []uuid.UUID
		if err := tx.NewSelect().Table("product_categories").Column("product_id").Where("category_id = ?", c.ID).Scan(ctx, &ids); err != nil {
			return nil, err
		}
		_, err = tx.NewDelete().Table("categories").Where("id = ?", c.ID).Exec(ctx)
		return ids, err
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
	var fe []errs.FieldError
	for i, it := range items {
		fe = append(fe, checkTexts(text{fmt.Sprintf("items[%d].sku", i), it.SKU, input.SingleLine})...)
		if it.Stock != nil && *it.Stock < 0 {
			fe = append(fe, field(fmt.Sprintf("items[%d].stock", i), "min", "must not be negative", "يجب ألا يكون سالبًا"))
		}
		if it.Stock != nil && *it.Stock > MaxCount {
			fe = append(fe, field(fmt.Sprintf("items[%d].stock", i), "max", fmt.Sprintf("must be at most %d", MaxCount), fmt.Sprintf("يجب ألا يزيد عن %d", MaxCount)))
		}
	}
	if len(fe) > 0 {
		return BulkResult{}, errs.Invalid(fe...)
	}
	skus := make([]string, len(items))
	for i, it := range items {
		skus[i] = it.SKU
	}
	return s.bulk(ctx, skus, func(ctx context.Context, tx bun.Tx, i int, v variantRow) (string, []any) {
		return "stock = ?", []any{items[i].Stock}
	})
}

// BulkPrice sets prices by SKU in one transaction. Errors: invalid.
func (s *Service) BulkPrice(ctx context.Context, items []PriceUpdate) (BulkResult, error) {
	var fe []errs.FieldError
	for i, it := range items {
		fe = append(fe, checkTexts(text{fmt.Sprintf("items[%d].sku", i), it.SKU, input.SingleLine})...)
		if it.Price < 0 {
			fe = append(fe, field(fmt.Sprintf("items[%d].price", i), "min", "must not be negative", "يجب ألا يكون سالبًا"))
		}
		if it.Price > money.MaxMinor || it.CompareAt > money.MaxMinor {
			fe = append(fe, field(fmt.Sprintf("items[%d].price", i), "max", fmt.Sprintf("must be at most %d", money.MaxMinor), fmt.Sprintf("يجب ألا يزيد عن %d", money.MaxMinor)))
		}
		if it.CompareAt != 0 && it.CompareAt <= it.Price {
			fe = append(fe, field(fmt.Sprintf("items[%d].compare_at_price", i), "gtfield", "must be greater than the price", "يجب أن يكون أكبر من السعر"))
		}
	}
	if len(fe) > 0 {
		return BulkResult{}, errs.Invalid(fe...)
	}
	skus := make([]string, len(items))
	for i, it := range items {
		skus[i] = it.SKU
	}
	return s.bulk(ctx, skus, func(ctx context.Context, tx bun.Tx, i int, v variantRow) (string, []any) {
		var cmp *int64
		if items[i].CompareAt > 0 {
			c := items[i].CompareAt
			cmp = &c
		}
		return "price = ?, compare_at = ?", []any{items[i].Price, cmp}
	})
}

func (s *Service) bulk(ctx context.Context, skus []string, set func(context.Context, bun.Tx, int, variantRow) (string, []any)) (BulkResult, error) {
	var res BulkResult
	seen := map[string]int{}
	for i, sku := range skus {
		k := strings.ToLower(strings.TrimSpace(sku))
		if j, dup := seen[k]; dup {
			return res, errs.Invalid(field(fmt.Sprintf("items[%d].sku", i), "unique", fmt.Sprintf("repeats items[%d]", j), fmt.Sprintf("يكرر العنصر رقم %d", j)))
		}
		seen[k] = i
	}
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error) {
		var vs []variantRow
		if err := tx.NewSelect().Model(&vs).Where("sku IN (?)", bun.In(skus)).For("UPDATE").Scan(ctx); err != nil {
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
			expr, args := set(ctx, tx, i, v)
			if _, err := tx.NewUpdate().Table("variants").Set(expr, args...).Set("updated_at = now()").Where("id = ?", v.ID).Exec(ctx); err != nil {
				return nil, db.Translate(err, "variant")
			}
			res.Updated++
			touched = append(touched, v.ProductID)
		}
		if len(res.NotFound) > 0 {
			res.Updated = 0
			return nil, &errs.Error{Code: errs.CodeInvalid,
				Fields: []errs.FieldError{field("items", "unknown_sku", "unknown SKUs: "+strings.Join(res.NotFound, ", "), "رموز SKU غير معروفة: "+strings.Join(res.NotFound, "، "))}, Msg: errs.Legacy("unknown SKUs; nothing was changed", "")}
		}
		if err := rehashVariants(ctx, tx, touched); err != nil {
			return nil, err
		}
		return touched, nil
	})
	return res, err
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

// write runs fn in the tenant's transaction, refreshes the products it
// touched, and bumps the cache version after the commit.
func (s *Service) write(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error)) error {
	t, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ids, err := fn(ctx, tx)
		if err != nil {
			return err
		}
		if !reindexing(ctx) {
			if err := touchProducts(ctx, tx, ids, s.now()); err != nil {
				return err
			}
		}
		return refresh(ctx, tx, dedupe(ids))
	})
	if err != nil {
		return err
	}
	s.cache.bump(ctx, t.ID)
	return nil
}

// currency is the tenant's currency; every price of a catalog is in it.
func (s *Service) currency(ctx context.Context) (string, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return "", err
	}
	if t.Currency != "" {
		return t.Currency, nil
	}
	full, err := s.tenants.Get(ctx, t.ID.String())
	if err != nil {
		return "", err
	}
	return full.Currency, nil
}

func checkCategories(ctx context.Context, tx bun.IDB, name string, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	var found []uuid.UUID
	if err := tx.NewSelect().Table("categories").Column("id").Where("id IN (?)", bun.In(ids)).Scan(ctx, &found); err != nil {
		return err
	}
	have := map[uuid.UUID]bool{}
	for _, id := range found {
		have[id] = true
	}
	var fe []errs.FieldError
	for i, id := range ids {
		if !have[id] {
			f := name
			if name == "category_ids" {
				f = fmt.Sprintf("%s[%d]", name, i)
			}
			fe = append(fe, field(f, "unknown_category", "is not a category of this store", "ليس تصنيفًا في هذا المتجر"))
		}
	}
	if len(fe) > 0 {
		return errs.Invalid(fe...)
	}
	return nil
}

func setCategories(ctx context.Context, tx bun.IDB, tenantID, productID uuid.UUID, ids []uuid.UUID) error {
	for i, id := range dedupe(ids) {
		r := productCategoryRow{TenantID: tenantID, ProductID: productID, CategoryID: id, Position: i}
		if _, err := tx.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return err
		}
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

// translateWrite maps a unique violation on a SKU or slug to a field error.
func translateWrite(err error, fieldName string) error {
	if c, ok := db.IsUniqueViolation(err); ok {
		if strings.Contains(c, "sku") {
			f := fieldName
			if !strings.HasSuffix(f, "sku") {
				f = "sku"
			}
			return &errs.Error{Code: errs.CodeConflict, Err: err,
				Fields: []errs.FieldError{field(f, "unique", "is already used by another variant", "مستخدم لنوع آخر")}, Msg: errs.Legacy("a variant with this SKU already exists", "")}
		}
		return &errs.Error{Code: errs.CodeConflict, Err: err,
			Fields: []errs.FieldError{field("slug", "unique", "is already used", "مستخدم من قبل")}, Msg: errs.Legacy("the slug is already used", "")}
	}
	return db.Translate(err, "catalog item")
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slugify makes a URL name from English text, or from fallback.
func slugify(s, fallback string) string {
	out := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if out == "" {
		out = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(fallback), "-"), "-")
	}
	if out == "" {
		out = "item"
	}
	if len(out) > 120 {
		out = strings.Trim(out[:120], "-")
	}
	return out
}

// freeSlug returns base, or base-2, base-3, ... whichever is free.
func freeSlug(ctx context.Context, tx bun.IDB, base string) (string, error) {
	var taken []string
	if err := tx.NewSelect().Table("products").Column("slug").Where("slug = ? OR slug LIKE ?", base, base+"-%").Scan(ctx, &taken); err != nil {
		return "", err
	}
	used := map[string]bool{}
	for _, s := range taken {
		used[s] = true
	}
	slug := base
	for n := 2; used[slug]; n++ {
		slug = fmt.Sprintf("%s-%d", base, n)
	}
	return slug, nil
}

func canonicalRef(ref string) string {
	ref = strings.TrimSpace(ref)
	if len(ref) == 36 {
		if id, err := uuid.Parse(ref); err == nil {
			return id.String()
		}
	}
	return strings.ToLower(ref)
}

func dedupe(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// variantHash identifies a variant's sellable content, so a sync can tell
// unchanged rows from updated ones.
func variantHash(v Variant) string {
	stock := "untracked"
	if v.Stock != nil {
		stock = fmt.Sprint(*v.Stock)
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%d|%d|%s|%s|%d|%d", v.SKU, jsonText(v.Options), v.Price, v.CompareAt,
		v.Currency, stock, v.WeightGrams, v.Position)))
	return hex.EncodeToString(h[:12])
}

// Reindex recomputes the aggregates and search rows of every product of the
// tenant (after a change to how search text is built, or a migration that
// adds search columns) and bumps the cache version. It returns the number
// of products.
func (s *Service) Reindex(ctx context.Context) (int, error) {
	var n int
	err := s.write(context.WithValue(ctx, reindexKey{}, true), func(ctx context.Context, tx bun.Tx) ([]uuid.UUID, error) {
		var ids []uuid.UUID
		if err := tx.NewSelect().Table("products").Column("id").Scan(ctx, &ids); err != nil {
			return nil, err
		}
		n = len(ids)
		return ids, nil
	})
	return n, err
}

type reindexKey struct{}

// reindexing reports a Reindex: products are refreshed, not changed.
func reindexing(ctx context.Context) bool { b, _ := ctx.Value(reindexKey{}).(bool); return b }
