package catalog

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/input"
	"concierge/internal/money"
)

// The domain rules of what staff send, for input that may not have come
// through the HTTP edge (the shell, forms, flows). Each broken rule is a
// field error with a message of the catalog (catalog.field.*, or the
// shared field.* ones).

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

// CategoryInput creates or replaces a category.
type CategoryInput struct {
	ParentID *uuid.UUID
	Slug     string
	NameAR   string
	NameEN   string
	Position int
	ImageURL string
}

var slugRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,158}[a-z0-9])?$`)

// MaxCount is the largest stock or weight in grams (32-bit columns).
const MaxCount = math.MaxInt32

// text is one text of an input and the rule it follows.
type text struct {
	field, value string
	mode         input.Mode
}

// checkTexts applies the input rules to texts.
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
		fe = append(fe, errs.Field(prefix+"price", "max", "field.max", "param", money.MaxMinor))
	}
	if v.CompareAt > money.MaxMinor {
		fe = append(fe, errs.Field(prefix+"compare_at_price", "max", "field.max", "param", money.MaxMinor))
	}
	if v.Stock != nil && *v.Stock > MaxCount {
		fe = append(fe, errs.Field(prefix+"stock", "max", "field.max", "param", MaxCount))
	}
	if v.WeightGrams > MaxCount {
		fe = append(fe, errs.Field(prefix+"weight_grams", "max", "field.max", "param", MaxCount))
	}
	if s := strings.TrimSpace(v.SKU); s == "" || len(s) > 64 {
		fe = append(fe, errs.Field(prefix+"sku", "required", "catalog.field.sku_required", "max", 64))
	}
	if v.Price < 0 {
		fe = append(fe, errs.Field(prefix+"price", "min", "catalog.field.negative"))
	}
	if v.CompareAt != 0 && v.CompareAt <= v.Price {
		fe = append(fe, errs.Field(prefix+"compare_at_price", "gtfield", "catalog.field.compare_at"))
	}
	if v.Stock != nil && *v.Stock < 0 {
		fe = append(fe, errs.Field(prefix+"stock", "min", "catalog.field.negative"))
	}
	if v.WeightGrams < 0 {
		fe = append(fe, errs.Field(prefix+"weight_grams", "min", "catalog.field.negative"))
	}
	if len(v.Options) > MaxOptions {
		fe = append(fe, errs.Field(prefix+"options", "max", "catalog.field.options_max", "max", MaxOptions))
	}
	for i, o := range v.Options {
		if strings.TrimSpace(o.Name) == "" || strings.TrimSpace(o.Value) == "" {
			fe = append(fe, errs.Field(fmt.Sprintf("%soptions[%d]", prefix, i), "required", "catalog.field.option_incomplete"))
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
		fe = append(fe, errs.Field("title", "required", "catalog.field.title_required"))
	}
	if in.Slug != "" && !slugRe.MatchString(in.Slug) {
		fe = append(fe, errs.Field("slug", "slug", "catalog.field.slug"))
	}
	switch in.Status {
	case "", StatusDraft, StatusActive, StatusArchived:
	default:
		fe = append(fe, errs.Field("status", "oneof", "catalog.field.status"))
	}
	if len(in.Variants) == 0 {
		fe = append(fe, errs.Field("variants", "required", "catalog.field.variants_required"))
	}
	if len(in.Variants) > MaxVariants {
		fe = append(fe, errs.Field("variants", "max", "catalog.field.variants_max", "max", MaxVariants))
	}
	if len(in.Media) > MaxMedia {
		fe = append(fe, errs.Field("media", "max", "catalog.field.media_max", "max", MaxMedia))
	}
	seen := map[string]int{}
	for i, v := range in.Variants {
		p := fmt.Sprintf("variants[%d].", i)
		fe = append(fe, validateVariant(p, v)...)
		k := strings.ToLower(strings.TrimSpace(v.SKU))
		if j, dup := seen[k]; dup && k != "" {
			fe = append(fe, errs.Field(p+"sku", "unique", "catalog.field.sku_repeated", "index", j))
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

func (s *Service) validateCategory(in CategoryInput) []errs.FieldError {
	fe := checkTexts(text{"slug", in.Slug, input.SingleLine}, text{"name_ar", in.NameAR, input.SingleLine},
		text{"name_en", in.NameEN, input.SingleLine})
	if strings.TrimSpace(in.NameAR) == "" && strings.TrimSpace(in.NameEN) == "" {
		fe = append(fe, errs.Field("name", "required", "catalog.field.name_required"))
	}
	if in.Slug != "" && !slugRe.MatchString(in.Slug) {
		fe = append(fe, errs.Field("slug", "slug", "catalog.field.slug"))
	}
	if in.ImageURL != "" && !s.validURL(in.ImageURL) {
		fe = append(fe, s.urlField("image_url"))
	}
	return fe
}

// validateStock checks the items of a bulk stock update.
func validateStock(items []StockUpdate) []errs.FieldError {
	var fe []errs.FieldError
	for i, it := range items {
		fe = append(fe, checkTexts(text{fmt.Sprintf("items[%d].sku", i), it.SKU, input.SingleLine})...)
		if it.Stock != nil && *it.Stock < 0 {
			fe = append(fe, errs.Field(fmt.Sprintf("items[%d].stock", i), "min", "catalog.field.negative"))
		}
		if it.Stock != nil && *it.Stock > MaxCount {
			fe = append(fe, errs.Field(fmt.Sprintf("items[%d].stock", i), "max", "field.max", "param", MaxCount))
		}
	}
	return fe
}

// validatePrices checks the items of a bulk price update.
func validatePrices(items []PriceUpdate) []errs.FieldError {
	var fe []errs.FieldError
	for i, it := range items {
		fe = append(fe, checkTexts(text{fmt.Sprintf("items[%d].sku", i), it.SKU, input.SingleLine})...)
		if it.Price < 0 {
			fe = append(fe, errs.Field(fmt.Sprintf("items[%d].price", i), "min", "catalog.field.negative"))
		}
		if it.Price > money.MaxMinor || it.CompareAt > money.MaxMinor {
			fe = append(fe, errs.Field(fmt.Sprintf("items[%d].price", i), "max", "field.max", "param", money.MaxMinor))
		}
		if it.CompareAt != 0 && it.CompareAt <= it.Price {
			fe = append(fe, errs.Field(fmt.Sprintf("items[%d].compare_at_price", i), "gtfield", "catalog.field.compare_at"))
		}
	}
	return fe
}

// validURL reports whether u is a link a browser may open (https; http too
// outside production).
func (s *Service) validURL(u string) bool { return input.WebURL(u, s.cfg.AllowHTTPLinks) == nil }

// urlField is the field error of a link validURL refused.
func (s *Service) urlField(name string) errs.FieldError {
	if s.cfg.AllowHTTPLinks {
		return errs.Field(name, "weburl", "field.weburl_http")
	}
	return errs.Field(name, "weburl", "field.weburl")
}
