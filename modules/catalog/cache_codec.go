package catalog

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// The cache's private encoding of domain values: JSON of the private types
// below, with tags of their own. It is neither the public API's shape (the
// HTTP layer makes that, and may change it freely) nor the domain types'
// (which carry no tags). codecVersion is part of every entry's key: a change
// to these types that old entries would not decode into changes it, so a
// process never reads an entry another build wrote in another shape.
const codecVersion = "d1"

type cacheProduct struct {
	ID            uuid.UUID          `json:"id"`
	Slug          string             `json:"slug"`
	ExternalID    string             `json:"external_id,omitempty"`
	Status        string             `json:"status"`
	Brand         string             `json:"brand,omitempty"`
	TitleAR       string             `json:"title_ar,omitempty"`
	TitleEN       string             `json:"title_en,omitempty"`
	DescriptionAR string             `json:"description_ar,omitempty"`
	DescriptionEN string             `json:"description_en,omitempty"`
	Attributes    map[string]string  `json:"attributes,omitempty"`
	Link          string             `json:"link,omitempty"`
	Currency      string             `json:"currency"`
	MinPrice      int64              `json:"min_price"`
	MaxPrice      int64              `json:"max_price"`
	InStock       bool               `json:"in_stock"`
	Categories    []cacheCategoryRef `json:"categories,omitempty"`
	Media         []cacheMedia       `json:"media,omitempty"`
	Variants      []cacheVariant     `json:"variants,omitempty"`
	CreatedAt     time.Time          `json:"created_at"`
	UpdatedAt     time.Time          `json:"updated_at"`
}

type cacheCategoryRef struct {
	ID     uuid.UUID `json:"id"`
	Slug   string    `json:"slug"`
	NameAR string    `json:"name_ar,omitempty"`
	NameEN string    `json:"name_en,omitempty"`
}

type cacheMedia struct {
	ID       uuid.UUID `json:"id"`
	URL      string    `json:"url"`
	AltAR    string    `json:"alt_ar,omitempty"`
	AltEN    string    `json:"alt_en,omitempty"`
	Position int       `json:"position"`
}

type cacheOption struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	NameAR  string `json:"name_ar,omitempty"`
	ValueAR string `json:"value_ar,omitempty"`
}

type cacheVariant struct {
	ID          uuid.UUID     `json:"id"`
	SKU         string        `json:"sku"`
	Options     []cacheOption `json:"options,omitempty"`
	Price       int64         `json:"price"`
	CompareAt   int64         `json:"compare_at,omitempty"`
	Currency    string        `json:"currency"`
	Stock       *int          `json:"stock,omitempty"`
	WeightGrams int           `json:"weight_grams,omitempty"`
	Position    int           `json:"position"`
	Archived    bool          `json:"archived,omitempty"`
	UpdatedAt   time.Time     `json:"updated_at"`
}

type cachePage struct {
	Items      []cacheProduct `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

type cacheCategory struct {
	ID        uuid.UUID  `json:"id"`
	ParentID  *uuid.UUID `json:"parent_id,omitempty"`
	Slug      string     `json:"slug"`
	NameAR    string     `json:"name_ar,omitempty"`
	NameEN    string     `json:"name_en,omitempty"`
	Position  int        `json:"position"`
	ImageURL  string     `json:"image_url,omitempty"`
	Products  int        `json:"products"`
	Total     int        `json:"total"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

func toCacheProduct(p Product) cacheProduct {
	c := cacheProduct{ID: p.ID, Slug: p.Slug, ExternalID: p.ExternalID, Status: p.Status, Brand: p.Brand,
		TitleAR: p.TitleAR, TitleEN: p.TitleEN, DescriptionAR: p.DescriptionAR, DescriptionEN: p.DescriptionEN,
		Attributes: p.Attributes, Link: p.Link, Currency: p.Currency, MinPrice: p.MinPrice, MaxPrice: p.MaxPrice,
		InStock: p.InStock, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		Categories: make([]cacheCategoryRef, len(p.Categories)), Media: make([]cacheMedia, len(p.Media)),
		Variants: make([]cacheVariant, len(p.Variants))}
	for i, r := range p.Categories {
		c.Categories[i] = cacheCategoryRef(r)
	}
	for i, m := range p.Media {
		c.Media[i] = cacheMedia(m)
	}
	for i, v := range p.Variants {
		cv := cacheVariant{ID: v.ID, SKU: v.SKU, Options: make([]cacheOption, len(v.Options)), Price: v.Price, CompareAt: v.CompareAt,
			Currency: v.Currency, Stock: v.Stock, WeightGrams: v.WeightGrams, Position: v.Position, Archived: v.Archived, UpdatedAt: v.UpdatedAt}
		for j, o := range v.Options {
			cv.Options[j] = cacheOption(o)
		}
		c.Variants[i] = cv
	}
	return c
}

func (c cacheProduct) toProduct() Product {
	p := Product{ID: c.ID, Slug: c.Slug, ExternalID: c.ExternalID, Status: c.Status, Brand: c.Brand,
		TitleAR: c.TitleAR, TitleEN: c.TitleEN, DescriptionAR: c.DescriptionAR, DescriptionEN: c.DescriptionEN,
		Attributes: nonNil(c.Attributes), Link: c.Link, Currency: c.Currency, MinPrice: c.MinPrice, MaxPrice: c.MaxPrice,
		InStock: c.InStock, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		Categories: make([]CategoryRef, len(c.Categories)), Media: make([]Media, len(c.Media)), Variants: make([]Variant, len(c.Variants))}
	for i, r := range c.Categories {
		p.Categories[i] = CategoryRef(r)
	}
	for i, m := range c.Media {
		p.Media[i] = Media(m)
	}
	for i, cv := range c.Variants {
		v := Variant{ID: cv.ID, ProductID: c.ID, SKU: cv.SKU, Options: make([]Option, len(cv.Options)), Price: cv.Price,
			CompareAt: cv.CompareAt, Currency: cv.Currency, Stock: cv.Stock, WeightGrams: cv.WeightGrams, Position: cv.Position,
			Archived: cv.Archived, UpdatedAt: cv.UpdatedAt}
		for j, o := range cv.Options {
			v.Options[j] = Option(o)
		}
		p.Variants[i] = v
	}
	return p
}

var productCodec = codec[*Product]{
	encode: func(p *Product) ([]byte, error) { return json.Marshal(toCacheProduct(*p)) },
	decode: func(b []byte) (*Product, error) {
		var c cacheProduct
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, err
		}
		p := c.toProduct()
		return &p, nil
	},
}

var pageCodec = codec[Page]{
	encode: func(p Page) ([]byte, error) {
		c := cachePage{Items: make([]cacheProduct, len(p.Items)), NextCursor: p.NextCursor}
		for i, it := range p.Items {
			c.Items[i] = toCacheProduct(it)
		}
		return json.Marshal(c)
	},
	decode: func(b []byte) (Page, error) {
		var c cachePage
		if err := json.Unmarshal(b, &c); err != nil {
			return Page{}, err
		}
		p := Page{Items: make([]Product, len(c.Items)), NextCursor: c.NextCursor}
		for i, it := range c.Items {
			p.Items[i] = it.toProduct()
		}
		return p, nil
	},
}

var categoriesCodec = codec[[]Category]{
	encode: func(cs []Category) ([]byte, error) {
		out := make([]cacheCategory, len(cs))
		for i, c := range cs {
			out[i] = cacheCategory(c)
		}
		return json.Marshal(out)
	},
	decode: func(b []byte) ([]Category, error) {
		var in []cacheCategory
		if err := json.Unmarshal(b, &in); err != nil {
			return nil, err
		}
		out := make([]Category, len(in))
		for i, c := range in {
			out[i] = Category(c)
		}
		return out, nil
	},
}

type cacheFacets struct {
	Brands  []string           `json:"brands"`
	Options []cacheOptionValue `json:"options"`
}

type cacheOptionValue struct {
	Option string `json:"option"`
	AR     string `json:"ar,omitempty"`
	EN     string `json:"en,omitempty"`
}

var facetsCodec = codec[Facets]{
	encode: func(f Facets) ([]byte, error) {
		out := cacheFacets{Brands: f.Brands, Options: make([]cacheOptionValue, len(f.Options))}
		for i, o := range f.Options {
			out.Options[i] = cacheOptionValue(o)
		}
		return json.Marshal(out)
	},
	decode: func(b []byte) (Facets, error) {
		var in cacheFacets
		if err := json.Unmarshal(b, &in); err != nil {
			return Facets{}, err
		}
		out := Facets{Brands: in.Brands, Options: make([]OptionValue, len(in.Options))}
		for i, o := range in.Options {
			out.Options[i] = OptionValue(o)
		}
		return out, nil
	},
}
