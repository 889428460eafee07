package catalog

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/db"
	"concierge/internal/errs"
)

// The store: every SQL query of the catalog lives in the store*.go files, as
// functions that take a bun.IDB (the caller's scoped transaction) and work on
// private row types converted to and from the domain types here. They
// translate driver errors: no rows → not_found with the catalog's message,
// a unique violation → conflict naming the field.
//
//	store.go             rows, converters, error translation
//	store_products.go    products, variants, pictures, category links
//	store_categories.go  the category tree
//	store_search.go      list and search queries, search rows (refresh)
//	store_sync.go        the bulk reads and writes of a sync run
//	store_runs.go        sources and runs, the schedule

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

// optionRow is an option as the variants.options jsonb column holds it
// (and as content hashes read it).
type optionRow struct {
	Name    string
	Value   string
	NameAR  string `json:",omitempty"`
	ValueAR string `json:",omitempty"`
}

func toOptionRows(os []Option) []optionRow {
	out := make([]optionRow, len(os))
	for i, o := range os {
		out[i] = optionRow(o)
	}
	return out
}

func toOptions(rs []optionRow) []Option {
	out := make([]Option, len(rs))
	for i, r := range rs {
		out[i] = Option(r)
	}
	return out
}

type variantRow struct {
	bun.BaseModel `bun:"table:variants"`
	TenantID      uuid.UUID   `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID   `bun:"id,pk,type:uuid"`
	ProductID     uuid.UUID   `bun:"product_id,type:uuid"`
	SKU           string      `bun:"sku"`
	Options       []optionRow `bun:"options,type:jsonb,notnull"`
	Price         int64       `bun:"price"`
	CompareAt     *int64      `bun:"compare_at"`
	Currency      string      `bun:"currency"`
	Stock         *int        `bun:"stock"`
	WeightGrams   int         `bun:"weight_grams"`
	Position      int         `bun:"position"`
	Archived      bool        `bun:"archived"`
	ContentHash   string      `bun:"content_hash"`
	CreatedAt     time.Time   `bun:"created_at,nullzero,default:now()"`
	UpdatedAt     time.Time   `bun:"updated_at,nullzero,default:now()"`
}

func toVariant(r variantRow) Variant {
	v := Variant{ID: r.ID, ProductID: r.ProductID, SKU: r.SKU, Options: toOptions(r.Options), Price: r.Price, Currency: r.Currency,
		Stock: r.Stock, WeightGrams: r.WeightGrams, Position: r.Position, Archived: r.Archived, UpdatedAt: r.UpdatedAt}
	if r.CompareAt != nil {
		v.CompareAt = *r.CompareAt
	}
	return v
}

func fromVariant(tenantID uuid.UUID, v Variant) variantRow {
	r := variantRow{TenantID: tenantID, ID: v.ID, ProductID: v.ProductID, SKU: v.SKU, Options: toOptionRows(v.Options), Price: v.Price,
		Currency: v.Currency, Stock: v.Stock, WeightGrams: v.WeightGrams, Position: v.Position, Archived: v.Archived}
	if v.CompareAt > 0 {
		c := v.CompareAt
		r.CompareAt = &c
	}
	r.ContentHash = variantHash(v)
	return r
}

// variantHash identifies a variant's sellable content, so a sync can tell
// unchanged rows from updated ones. It is stored: its input must not change
// form (options as their jsonb rows).
func variantHash(v Variant) string {
	stock := "untracked"
	if v.Stock != nil {
		stock = fmt.Sprint(*v.Stock)
	}
	h := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%d|%d|%s|%s|%d|%d", v.SKU, jsonText(toOptionRows(v.Options)), v.Price, v.CompareAt,
		v.Currency, stock, v.WeightGrams, v.Position))
	return hex.EncodeToString(h[:12])
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

func toMedia(r mediaRow) Media {
	return Media{ID: r.ID, URL: r.URL, AltAR: r.AltAR, AltEN: r.AltEN, Position: r.Position}
}

type productCategoryRow struct {
	bun.BaseModel `bun:"table:product_categories"`
	TenantID      uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	ProductID     uuid.UUID `bun:"product_id,pk,type:uuid"`
	CategoryID    uuid.UUID `bun:"category_id,pk,type:uuid"`
	Position      int       `bun:"position"`
}

// translate maps a driver error: no rows → not_found with message
// notFound, the rest as internal/db does.
func translate(err error, notFound string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return errs.Wrap(errs.CodeNotFound, err, notFound)
	}
	return db.Translate(err, "catalog")
}

// translateWrite maps a unique violation on a SKU or a slug to a conflict
// naming the field (fieldName for a SKU: variants[0].sku or sku).
func translateWrite(err error, fieldName string) error {
	if c, ok := db.IsUniqueViolation(err); ok {
		if strings.Contains(c, "sku") {
			f := fieldName
			if !strings.HasSuffix(f, "sku") {
				f = "sku"
			}
			return &errs.Error{Code: errs.CodeConflict, Err: err, Msg: errs.M("catalog.variant.sku_taken"),
				Fields: []errs.FieldError{errs.Field(f, "unique", "catalog.field.sku_taken")}}
		}
		return &errs.Error{Code: errs.CodeConflict, Err: err, Msg: errs.M("catalog.slug_taken"),
			Fields: []errs.FieldError{errs.Field("slug", "unique", "catalog.field.slug_taken")}}
	}
	return db.Translate(err, "catalog item")
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// chunks splits n items into [start, end) ranges of at most size.
func chunks(n, size int) [][2]int {
	var out [][2]int
	for i := 0; i < n; i += size {
		out = append(out, [2]int{i, min(i+size, n)})
	}
	return out
}
