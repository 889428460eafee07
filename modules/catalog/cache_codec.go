package catalog

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"
)

// The cache's private encoding of domain values: JSON of the private types
// below, with tags of their own (a search's ranking, read on every search,
// has a compact binary form: rankingCodec). It is neither the public API's shape (the
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

// cloneProduct deep-copies p (strings are shared: they cannot change).
func cloneProduct(p Product) Product {
	p.Attributes = maps.Clone(p.Attributes)
	p.Categories = slices.Clone(p.Categories)
	p.Media = slices.Clone(p.Media)
	p.Variants = slices.Clone(p.Variants)
	for i := range p.Variants {
		v := &p.Variants[i]
		v.Options = slices.Clone(v.Options)
		if v.Stock != nil {
			n := *v.Stock
			v.Stock = &n
		}
	}
	return p
}

var productCodec = codec[*Product]{
	clone:  func(p *Product) *Product { c := cloneProduct(*p); return &c },
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
	clone: func(p Page) Page {
		p.Items = slices.Clone(p.Items)
		for i := range p.Items {
			p.Items[i] = cloneProduct(p.Items[i])
		}
		p.Applied = slices.Clone(p.Applied)
		return p
	},
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
	clone: func(cs []Category) []Category {
		cs = slices.Clone(cs)
		for i := range cs {
			if cs[i].ParentID != nil {
				id := *cs[i].ParentID
				cs[i].ParentID = &id
			}
		}
		return cs
	},
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
	clone: func(f Facets) Facets {
		return Facets{Brands: slices.Clone(f.Brands), Options: slices.Clone(f.Options)}
	},
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

// rankingCodec encodes a ranking as fixed-size records rather than JSON:
// a search reads its ranking (up to maxRanked matches) on every request.
// Layout: one byte Complete (0 or 1), then per hit the id (16 bytes), the
// score's IEEE 754 bits, the minimum and maximum price (8 bytes each, big
// endian) and in stock (one byte, 0 or 1).
var rankingCodec = codec[ranking]{
	clone: func(r ranking) ranking { return r }, // shared: the package only reads a ranking
	encode: func(r ranking) ([]byte, error) {
		b := make([]byte, 1, 1+len(r.Hits)*rankedHitSize)
		if r.Complete {
			b[0] = 1
		}
		for _, h := range r.Hits {
			b = append(b, h.ID[:]...)
			b = binary.BigEndian.AppendUint64(b, math.Float64bits(h.Score))
			b = binary.BigEndian.AppendUint64(b, uint64(h.MinPrice))
			b = binary.BigEndian.AppendUint64(b, uint64(h.MaxPrice))
			stock := byte(0)
			if h.InStock {
				stock = 1
			}
			b = append(b, stock)
		}
		return b, nil
	},
	decode: func(b []byte) (ranking, error) {
		if len(b) == 0 || b[0] > 1 || (len(b)-1)%rankedHitSize != 0 {
			return ranking{}, errors.New("catalog: bad ranking entry")
		}
		r := ranking{Complete: b[0] == 1, Hits: make([]rankedHit, (len(b)-1)/rankedHitSize)}
		for i := range r.Hits {
			rec := b[1+i*rankedHitSize : 1+(i+1)*rankedHitSize]
			h := &r.Hits[i]
			copy(h.ID[:], rec[:16])
			h.Score = math.Float64frombits(binary.BigEndian.Uint64(rec[16:24]))
			h.MinPrice = int64(binary.BigEndian.Uint64(rec[24:32]))
			h.MaxPrice = int64(binary.BigEndian.Uint64(rec[32:40]))
			if rec[40] > 1 {
				return ranking{}, errors.New("catalog: bad ranking entry")
			}
			h.InStock = rec[40] == 1
		}
		return r, nil
	},
}

// rankedHitSize is the size of a hit in rankingCodec.
const rankedHitSize = 16 + 8 + 8 + 8 + 1
