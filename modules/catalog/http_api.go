package catalog

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/i18n"
)

// The API's JSON shapes (docs/openapi.yaml) and the converters from the
// domain. Public products never carry stock quantities or external ids;
// texts a person reads (run errors, rejection reasons) come in the reader's
// language (Accept-Language, Arabic by default) with both kept.

type bilingual struct {
	AR string `json:"ar"`
	EN string `json:"en"`
}

type apiOption struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	NameAR  string `json:"name_ar,omitempty"`
	ValueAR string `json:"value_ar,omitempty"`
}

type apiVariant struct {
	ID          uuid.UUID   `json:"id"`
	SKU         string      `json:"sku"`
	Options     []apiOption `json:"options"`
	Price       int64       `json:"price"`
	CompareAt   *int64      `json:"compare_at_price"`
	Currency    string      `json:"currency"`
	StockState  string      `json:"stock_state"`
	Available   bool        `json:"available"`
	WeightGrams int         `json:"weight_grams"`
	// Stock quantities are for staff only.
	Stock    *int  `json:"stock,omitempty"`
	Archived *bool `json:"archived,omitempty"`
}

type apiMedia struct {
	ID  uuid.UUID `json:"id"`
	URL string    `json:"url"`
	Alt bilingual `json:"alt"`
}

type apiCategoryRef struct {
	ID   uuid.UUID `json:"id"`
	Slug string    `json:"slug"`
	Name bilingual `json:"name"`
}

type apiPrice struct {
	Min      int64  `json:"min"`
	Max      int64  `json:"max"`
	Currency string `json:"currency"`
}

type apiProduct struct {
	ID          uuid.UUID         `json:"id"`
	Slug        string            `json:"slug"`
	Status      string            `json:"status"`
	Title       bilingual         `json:"title"`
	Description bilingual         `json:"description"`
	Brand       string            `json:"brand"`
	Link        string            `json:"link,omitempty"`
	Attributes  map[string]string `json:"attributes"`
	Price       apiPrice          `json:"price"`
	InStock     bool              `json:"in_stock"`
	Categories  []apiCategoryRef  `json:"categories"`
	Media       []apiMedia        `json:"media"`
	Variants    []apiVariant      `json:"variants"`
	UpdatedAt   time.Time         `json:"updated_at"`
	ExternalID  string            `json:"external_id,omitempty"`
}

type apiPage struct {
	Items      []apiProduct `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
	// AppliedFilters are the filters read out of q's words (public search);
	// pass literal=<name> (or all) to keep those words as text instead.
	AppliedFilters []apiAppliedFilter `json:"applied_filters,omitempty"`
}

type apiAppliedFilter struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	From  string `json:"from"`
}

type apiCategory struct {
	ID       uuid.UUID  `json:"id"`
	ParentID *uuid.UUID `json:"parent_id"`
	Slug     string     `json:"slug"`
	Name     bilingual  `json:"name"`
	Position int        `json:"position"`
	ImageURL string     `json:"image_url,omitempty"`
	Products int        `json:"products"`
	Total    int        `json:"products_total"`
}

type apiCategories struct {
	Items []apiCategory `json:"items"`
}

func toAPIVariant(v Variant, staff bool) apiVariant {
	a := apiVariant{ID: v.ID, SKU: v.SKU, Options: make([]apiOption, len(v.Options)), Price: v.Price, Currency: v.Currency,
		StockState: v.StockState(), Available: v.Available(), WeightGrams: v.WeightGrams}
	for i, o := range v.Options {
		a.Options[i] = apiOption(o)
	}
	if v.CompareAt > 0 {
		c := v.CompareAt
		a.CompareAt = &c
	}
	if staff {
		a.Stock = v.Stock
		arch := v.Archived
		a.Archived = &arch
	}
	return a
}

func toAPIProduct(p Product, staff bool) apiProduct {
	a := apiProduct{ID: p.ID, Slug: p.Slug, Status: p.Status, Title: bilingual{p.TitleAR, p.TitleEN},
		Description: bilingual{p.DescriptionAR, p.DescriptionEN}, Brand: p.Brand, Link: p.Link, Attributes: nonNil(p.Attributes),
		Price: apiPrice{Min: p.MinPrice, Max: p.MaxPrice, Currency: p.Currency}, InStock: p.InStock, UpdatedAt: p.UpdatedAt,
		Categories: make([]apiCategoryRef, len(p.Categories)), Media: make([]apiMedia, len(p.Media)), Variants: make([]apiVariant, len(p.Variants))}
	if staff {
		a.ExternalID = p.ExternalID
	}
	for i, c := range p.Categories {
		a.Categories[i] = apiCategoryRef{ID: c.ID, Slug: c.Slug, Name: bilingual{c.NameAR, c.NameEN}}
	}
	for i, m := range p.Media {
		a.Media[i] = apiMedia{ID: m.ID, URL: m.URL, Alt: bilingual{m.AltAR, m.AltEN}}
	}
	for i, v := range p.Variants {
		a.Variants[i] = toAPIVariant(v, staff)
	}
	return a
}

func toAPIPage(p Page, staff bool) apiPage {
	out := apiPage{Items: make([]apiProduct, len(p.Items)), NextCursor: p.NextCursor}
	for i, it := range p.Items {
		out.Items[i] = toAPIProduct(it, staff)
	}
	for _, a := range p.Applied {
		out.AppliedFilters = append(out.AppliedFilters, apiAppliedFilter(a))
	}
	return out
}

func toAPICategories(cs []Category) apiCategories {
	out := apiCategories{Items: make([]apiCategory, len(cs))}
	for i, c := range cs {
		out.Items[i] = apiCategory{ID: c.ID, ParentID: c.ParentID, Slug: c.Slug, Name: bilingual{c.NameAR, c.NameEN},
			Position: c.Position, ImageURL: c.ImageURL, Products: c.Products, Total: c.Total}
	}
	return out
}

type apiSource struct {
	ID              uuid.UUID  `json:"id"`
	Name            string     `json:"name"`
	Kind            string     `json:"kind"`
	URL             string     `json:"url,omitempty"`
	Format          string     `json:"format"`
	Full            bool       `json:"full"`
	IntervalMinutes int        `json:"interval_minutes"`
	NextRunAt       *time.Time `json:"next_run_at,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
}

func toAPISource(s Source) apiSource {
	return apiSource{ID: s.ID, Name: s.Name, Kind: s.Kind, URL: s.URL, Format: string(s.Format), Full: s.Full,
		IntervalMinutes: s.IntervalMinutes, NextRunAt: s.NextRunAt, CreatedAt: s.CreatedAt}
}

type apiRun struct {
	ID          uuid.UUID  `json:"id"`
	SourceID    *uuid.UUID `json:"source_id,omitempty"`
	Status      string     `json:"status"`
	Format      string     `json:"format"`
	Full        bool       `json:"full"`
	URL         string     `json:"url,omitempty"`
	InputName   string     `json:"input_name,omitempty"`
	Error       string     `json:"error,omitempty"`
	ErrorAR     string     `json:"error_ar,omitempty"`
	ErrorEN     string     `json:"error_en,omitempty"`
	RequestedBy string     `json:"requested_by,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	Report      *apiReport `json:"report,omitempty"`
}

type apiReport struct {
	Format    string         `json:"format"`
	Rows      int            `json:"rows"`
	Created   int            `json:"created"`
	Updated   int            `json:"updated"`
	Unchanged int            `json:"unchanged"`
	Archived  int            `json:"archived"`
	Rejected  []apiRejection `json:"rejected"`
	Products  struct {
		Created  int `json:"created"`
		Updated  int `json:"updated"`
		Archived int `json:"archived"`
	} `json:"products"`
	Rejects int            `json:"rejected_count"`
	Timings map[string]int `json:"timings_ms,omitempty"`
}

type apiRejection struct {
	Line     int    `json:"line"`
	SKU      string `json:"sku,omitempty"`
	Reason   string `json:"reason"`
	ReasonAR string `json:"reason_ar"`
	ReasonEN string `json:"reason_en"`
}

// toAPIRun converts a run for the reader of c; a list shows the first 20
// rejected rows of each report, one run all of them.
func (h *handlers) toAPIRun(c *fiber.Ctx, r Run, withRejects bool) apiRun {
	c.Vary(fiber.HeaderAcceptLanguage)
	return toAPIRun(h.cat, httpx.Lang(c), r, withRejects)
}

func toAPIRun(cat *i18n.Catalog, lang string, r Run, withRejects bool) apiRun {
	a := apiRun{ID: r.ID, SourceID: r.SourceID, Status: r.Status, Format: string(r.Format), Full: r.Full, URL: r.URL,
		InputName: r.InputName, RequestedBy: r.RequestedBy, CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}
	if len(r.Error) > 0 {
		a.Error, a.ErrorAR, a.ErrorEN = Texts(cat, lang, r.Error), Texts(cat, i18n.AR, r.Error), Texts(cat, i18n.EN, r.Error)
	}
	if r.Report != nil {
		a.Report = toAPIReport(cat, lang, *r.Report, withRejects)
	}
	return a
}

func toAPIReport(cat *i18n.Catalog, lang string, rep Report, withRejects bool) *apiReport {
	rejected := rep.Rejected
	if !withRejects && len(rejected) > 20 {
		rejected = rejected[:20]
	}
	a := &apiReport{Format: rep.Format, Rows: rep.Rows, Created: rep.Created, Updated: rep.Updated, Unchanged: rep.Unchanged,
		Archived: rep.Archived, Rejected: make([]apiRejection, len(rejected)), Rejects: rep.Rejects, Timings: rep.Timings}
	a.Products.Created, a.Products.Updated, a.Products.Archived = rep.Products.Created, rep.Products.Updated, rep.Products.Archived
	for i, x := range rejected {
		a.Rejected[i] = apiRejection{Line: x.Line, SKU: x.SKU, Reason: render(cat, lang, x.Reason),
			ReasonAR: render(cat, i18n.AR, x.Reason), ReasonEN: render(cat, i18n.EN, x.Reason)}
	}
	return a
}

func render(cat *i18n.Catalog, lang string, m errs.Message) string {
	return cat.Text(lang, m.ID, m.Data)
}

type apiConsistency struct {
	Version string     `json:"version"`
	Checked int        `json:"checked"`
	Drifted int        `json:"drifted"`
	Drift   []apiDrift `json:"drift"`
}

type apiDrift struct {
	Key    string `json:"key"`
	SKU    string `json:"sku,omitempty"`
	Field  string `json:"field"`
	Cached string `json:"cached"`
	Stored string `json:"stored"`
}

func toAPIConsistency(r ConsistencyReport) apiConsistency {
	a := apiConsistency{Version: r.Version, Checked: r.Checked, Drifted: r.Drifted, Drift: make([]apiDrift, len(r.Drift))}
	for i, d := range r.Drift {
		a.Drift[i] = apiDrift(d)
	}
	return a
}
