package catalog

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/modules/catalog/feed"
)

// HTTP serves the public products API and the staff catalog API.
type HTTP struct {
	svc      *Service
	validate *httpx.Validator
	actor    func(c *fiber.Ctx) string
}

// NewHTTP builds the handlers; actor names the staff member for run records.
func NewHTTP(svc *Service, v *httpx.Validator, actor func(c *fiber.Ctx) string) *HTTP {
	return &HTTP{svc: svc, validate: v, actor: actor}
}

// Mount serves the public products API (tenant from Host or API key) and
// the staff catalog API; the two file routes take bodies up to the
// configured upload limit (CATALOG_UPLOAD_LIMIT).
func (h *HTTP) Mount(r httpx.Routers) {
	r.Public.Get("/products", h.list)
	r.Public.Get("/products/:ref", h.product)
	r.Public.Get("/categories", h.categories)

	read, write := r.Allow("catalog", "read"), r.Allow("catalog", "write")
	st := r.Staff
	st.Post("/products", write, h.createProduct)
	st.Patch("/products/:ref", write, h.updateProduct)
	st.Delete("/products/:ref", write, h.archiveProduct)
	st.Post("/products/:ref/variants", write, h.addVariant)
	st.Patch("/products/:ref/variants/:variant", write, h.updateVariant)
	st.Delete("/products/:ref/variants/:variant", write, h.archiveVariant)
	st.Post("/products/:ref/media", write, h.addMedia)
	st.Delete("/products/:ref/media/:media", write, h.deleteMedia)
	st.Post("/categories", write, h.createCategory)
	st.Put("/categories/:ref", write, h.updateCategory)
	st.Delete("/categories/:ref", write, h.deleteCategory)

	st.Get("/catalog/products", read, h.staffList)
	st.Get("/catalog/products/:ref", read, h.staffProduct)
	st.Post("/catalog/stock", write, h.bulkStock)
	st.Post("/catalog/prices", write, h.bulkPrices)
	st.Get("/catalog/sources", read, h.listSources)
	st.Post("/catalog/sources", write, h.createSource)
	st.Get("/catalog/sources/:id", read, h.getSource)
	st.Delete("/catalog/sources/:id", write, h.deleteSource)
	st.Get("/catalog/runs", read, h.listRuns)
	st.Get("/catalog/runs/:id", read, h.getRun)
	st.Get("/catalog/consistency", read, h.consistency)

	upload := httpx.LimitBody(h.svc.cfg.UploadLimit)
	r.Uploads.Post("/catalog/sources/:id/runs", upload, write, h.runSource)
	r.Uploads.Post("/catalog/imports", upload, write, h.importFile)
}

// ---- API shapes ----

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

func fromAPIProduct(a apiProduct) Product {
	p := Product{ID: a.ID, Slug: a.Slug, Status: a.Status, TitleAR: a.Title.AR, TitleEN: a.Title.EN,
		DescriptionAR: a.Description.AR, DescriptionEN: a.Description.EN, Brand: a.Brand, Link: a.Link, Attributes: a.Attributes,
		Currency: a.Price.Currency, MinPrice: a.Price.Min, MaxPrice: a.Price.Max, InStock: a.InStock, UpdatedAt: a.UpdatedAt}
	for _, c := range a.Categories {
		p.Categories = append(p.Categories, CategoryRef{ID: c.ID, Slug: c.Slug, NameAR: c.Name.AR, NameEN: c.Name.EN})
	}
	for i, m := range a.Media {
		p.Media = append(p.Media, Media{ID: m.ID, URL: m.URL, AltAR: m.Alt.AR, AltEN: m.Alt.EN, Position: i})
	}
	for i, v := range a.Variants {
		out := Variant{ID: v.ID, ProductID: a.ID, SKU: v.SKU, Price: v.Price, Currency: v.Currency, WeightGrams: v.WeightGrams, Position: i}
		for _, o := range v.Options {
			out.Options = append(out.Options, Option(o))
		}
		if v.CompareAt != nil {
			out.CompareAt = *v.CompareAt
		}
		// The public shape has no quantity: keep the state.
		switch v.StockState {
		case StockIn:
			one := 1
			out.Stock = &one
		case StockOut:
			zero := 0
			out.Stock = &zero
		}
		p.Variants = append(p.Variants, out)
	}
	return p
}

func toAPIPage(p Page, staff bool) apiPage {
	out := apiPage{Items: make([]apiProduct, len(p.Items)), NextCursor: p.NextCursor}
	for i, it := range p.Items {
		out.Items[i] = toAPIProduct(it, staff)
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

func fromAPICategories(a apiCategories) []Category {
	out := make([]Category, len(a.Items))
	for i, c := range a.Items {
		out[i] = Category{ID: c.ID, ParentID: c.ParentID, Slug: c.Slug, NameAR: c.Name.AR, NameEN: c.Name.EN,
			Position: c.Position, ImageURL: c.ImageURL, Products: c.Products, Total: c.Total}
	}
	return out
}

// ---- public handlers ----

func sendJSON(c *fiber.Ctx, b []byte) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(b)
}

func (h *HTTP) product(c *fiber.Ctx) error {
	b, err := h.svc.ProductJSON(c.UserContext(), c.Params("ref"))
	if err != nil {
		return err
	}
	return sendJSON(c, b)
}

func (h *HTTP) categories(c *fiber.Ctx) error {
	b, err := h.svc.CategoriesJSON(c.UserContext())
	if err != nil {
		return err
	}
	return sendJSON(c, b)
}

func (h *HTTP) list(c *fiber.Ctx) error {
	q, err := parseListQuery(c)
	if err != nil {
		return err
	}
	b, err := h.svc.ListJSON(c.UserContext(), q)
	if err != nil {
		return err
	}
	return sendJSON(c, b)
}

func invalidParam(name, en, ar string) error {
	return errs.Invalid(field(name, "invalid", en, ar))
}

// parseListQuery reads q, category, brand, min_price, max_price (minor
// units), in_stock, cursor and limit.
func parseListQuery(c *fiber.Ctx) (Query, error) {
	q := Query{Q: c.Query("q"), Category: c.Query("category"), Brand: c.Query("brand"), Cursor: c.Query("cursor")}
	var fe []errs.FieldError
	if len(q.Q) > 200 {
		fe = append(fe, field("q", "max", "at most 200 characters", "200 حرف على الأكثر"))
	}
	for _, p := range []struct {
		name string
		dst  **int64
	}{{"min_price", &q.MinPrice}, {"max_price", &q.MaxPrice}} {
		if s := c.Query(p.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				fe = append(fe, field(p.name, "min", "must be a whole number of minor units (halalas), 0 or more", "يجب أن يكون عددًا صحيحًا بالهللات، صفرًا أو أكثر"))
				continue
			}
			*p.dst = &n
		}
	}
	if q.MinPrice != nil && q.MaxPrice != nil && *q.MinPrice > *q.MaxPrice {
		fe = append(fe, field("max_price", "gtefield", "must not be below min_price", "يجب ألا يقل عن min_price"))
	}
	switch s := c.Query("in_stock"); s {
	case "", "false", "0":
	case "true", "1":
		q.InStock = true
	default:
		fe = append(fe, field("in_stock", "boolean", "must be true or false", "يجب أن تكون true أو false"))
	}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPageSize {
			fe = append(fe, field("limit", "range", "must be 1 to 100", "يجب أن يكون بين 1 و100"))
		}
		q.Limit = n
	}
	if q.Cursor != "" {
		if _, err := decodeCursor(q.Cursor); err != nil {
			return q, err
		}
	}
	if len(fe) > 0 {
		return q, errs.Invalid(fe...)
	}
	return q, nil
}

// ---- staff handlers ----

type optionReq struct {
	Name    string `json:"name" validate:"required,max=50"`
	Value   string `json:"value" validate:"required,max=100"`
	NameAR  string `json:"name_ar" validate:"max=50"`
	ValueAR string `json:"value_ar" validate:"max=100"`
}

type variantReq struct {
	SKU         string      `json:"sku" validate:"required,max=64"`
	Options     []optionReq `json:"options" validate:"max=3,dive"`
	Price       *int64      `json:"price" validate:"required,min=0,max=1000000000000"`
	CompareAt   *int64      `json:"compare_at_price" validate:"omitempty,min=0,max=1000000000000"`
	Stock       *int        `json:"stock" validate:"omitempty,min=0,max=2147483647"`
	WeightGrams int         `json:"weight_grams" validate:"min=0,max=2147483647"`
}

func (r variantReq) input() VariantInput {
	v := VariantInput{SKU: r.SKU, Stock: r.Stock, WeightGrams: r.WeightGrams}
	if r.Price != nil {
		v.Price = *r.Price
	}
	if r.CompareAt != nil {
		v.CompareAt = *r.CompareAt
	}
	for _, o := range r.Options {
		v.Options = append(v.Options, Option(o))
	}
	return v
}

type mediaReq struct {
	URL   string `json:"url" validate:"required,max=2048,weburl"`
	AltAR string `json:"alt_ar" validate:"max=300"`
	AltEN string `json:"alt_en" validate:"max=300"`
}

type productReq struct {
	Slug          string            `json:"slug" validate:"omitempty,max=160"`
	Status        string            `json:"status" validate:"omitempty,oneof=draft active archived"`
	Brand         string            `json:"brand" validate:"max=200"`
	TitleAR       string            `json:"title_ar" validate:"max=300"`
	TitleEN       string            `json:"title_en" validate:"max=300"`
	DescriptionAR string            `json:"description_ar" text:"multiline" validate:"max=10000"`
	DescriptionEN string            `json:"description_en" text:"multiline" validate:"max=10000"`
	Link          string            `json:"link" validate:"omitempty,max=2048,weburl"`
	Attributes    map[string]string `json:"attributes" validate:"max=50,dive,keys,min=1,max=100,endkeys,max=1000"`
	CategoryIDs   []uuid.UUID       `json:"category_ids" validate:"max=20"`
	Media         []mediaReq        `json:"media" validate:"max=20,dive"`
	Variants      []variantReq      `json:"variants" validate:"required,min=1,max=100,dive"`
}

func (h *HTTP) createProduct(c *fiber.Ctx) error {
	var req productReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	in := ProductInput{Slug: req.Slug, Status: req.Status, Brand: req.Brand, TitleAR: req.TitleAR, TitleEN: req.TitleEN,
		DescriptionAR: req.DescriptionAR, DescriptionEN: req.DescriptionEN, Link: req.Link, Attributes: req.Attributes,
		CategoryIDs: req.CategoryIDs}
	for _, m := range req.Media {
		in.Media = append(in.Media, MediaInput(m))
	}
	for _, v := range req.Variants {
		in.Variants = append(in.Variants, v.input())
	}
	p, err := h.svc.CreateProduct(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toAPIProduct(*p, true))
}

type productPatchReq struct {
	Slug          *string `json:"slug" validate:"omitempty,max=160"`
	Status        *string `json:"status" validate:"omitempty,oneof=draft active archived"`
	Brand         *string `json:"brand" validate:"omitempty,max=200"`
	TitleAR       *string `json:"title_ar" validate:"omitempty,max=300"`
	TitleEN       *string `json:"title_en" validate:"omitempty,max=300"`
	DescriptionAR *string `json:"description_ar" text:"multiline" validate:"omitempty,max=10000"`
	DescriptionEN *string `json:"description_en" text:"multiline" validate:"omitempty,max=10000"`
	// An empty link clears it.
	Link        *string            `json:"link" validate:"omitempty,max=2048,weburl"`
	Attributes  *map[string]string `json:"attributes" validate:"omitempty,max=50,dive,keys,min=1,max=100,endkeys,max=1000"`
	CategoryIDs *[]uuid.UUID       `json:"category_ids"`
}

func (h *HTTP) updateProduct(c *fiber.Ctx) error {
	var req productPatchReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	p, err := h.svc.UpdateProduct(c.UserContext(), c.Params("ref"), ProductPatch(req))
	if err != nil {
		return err
	}
	return c.JSON(toAPIProduct(*p, true))
}

func (h *HTTP) archiveProduct(c *fiber.Ctx) error {
	p, err := h.svc.ArchiveProduct(c.UserContext(), c.Params("ref"))
	if err != nil {
		return err
	}
	return c.JSON(toAPIProduct(*p, true))
}

func (h *HTTP) addVariant(c *fiber.Ctx) error {
	var req variantReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	v, err := h.svc.AddVariant(c.UserContext(), c.Params("ref"), req.input())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toAPIVariant(*v, true))
}

func (h *HTTP) updateVariant(c *fiber.Ctx) error {
	var req struct {
		SKU         *string      `json:"sku" validate:"omitempty,min=1,max=64"`
		Options     *[]optionReq `json:"options" validate:"omitempty,max=3,dive"`
		Price       *int64       `json:"price" validate:"omitempty,min=0,max=1000000000000"`
		CompareAt   *int64       `json:"compare_at_price" validate:"omitempty,min=0,max=1000000000000"`
		Stock       *int         `json:"stock" validate:"omitempty,min=0,max=2147483647"`
		WeightGrams *int         `json:"weight_grams" validate:"omitempty,min=0,max=2147483647"`
	}
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	// Which fields were sent as null (Bind has checked the body).
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(c.Body(), &raw); err != nil {
		return errs.E(errs.CodeInvalid, "the body must be a JSON object")
	}
	patch := VariantPatch{SKU: req.SKU, Price: req.Price, CompareAt: req.CompareAt, Stock: req.Stock, WeightGrams: req.WeightGrams}
	if s, present := raw["stock"]; present && string(s) == "null" {
		patch.Untrack = true
	}
	if s, present := raw["compare_at_price"]; present && string(s) == "null" {
		zero := int64(0)
		patch.CompareAt = &zero
	}
	if req.Options != nil {
		opts := make([]Option, len(*req.Options))
		for i, o := range *req.Options {
			opts[i] = Option(o)
		}
		patch.Options = &opts
	}
	v, err := h.svc.UpdateVariant(c.UserContext(), c.Params("ref"), c.Params("variant"), patch)
	if err != nil {
		return err
	}
	return c.JSON(toAPIVariant(*v, true))
}

func (h *HTTP) archiveVariant(c *fiber.Ctx) error {
	if err := h.svc.ArchiveVariant(c.UserContext(), c.Params("ref"), c.Params("variant")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *HTTP) addMedia(c *fiber.Ctx) error {
	var req mediaReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	m, err := h.svc.AddMedia(c.UserContext(), c.Params("ref"), MediaInput(req))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(apiMedia{ID: m.ID, URL: m.URL, Alt: bilingual{m.AltAR, m.AltEN}})
}

func (h *HTTP) deleteMedia(c *fiber.Ctx) error {
	id, err := uuid.Parse(c.Params("media"))
	if err != nil {
		return errs.E(errs.CodeNotFound, "no such picture")
	}
	if err := h.svc.DeleteMedia(c.UserContext(), c.Params("ref"), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type categoryReq struct {
	ParentID *uuid.UUID `json:"parent_id"`
	Slug     string     `json:"slug" validate:"omitempty,max=120"`
	NameAR   string     `json:"name_ar" validate:"max=200"`
	NameEN   string     `json:"name_en" validate:"max=200"`
	Position int        `json:"position" validate:"min=0,max=1000000"`
	ImageURL string     `json:"image_url" validate:"omitempty,max=2048,weburl"`
}

func (h *HTTP) createCategory(c *fiber.Ctx) error {
	var req categoryReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	cat, err := h.svc.CreateCategory(c.UserContext(), CategoryInput(req))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toAPICategories([]Category{*cat}).Items[0])
}

func (h *HTTP) updateCategory(c *fiber.Ctx) error {
	var req categoryReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	cat, err := h.svc.UpdateCategory(c.UserContext(), c.Params("ref"), CategoryInput(req))
	if err != nil {
		return err
	}
	return c.JSON(toAPICategories([]Category{*cat}).Items[0])
}

func (h *HTTP) deleteCategory(c *fiber.Ctx) error {
	if err := h.svc.DeleteCategory(c.UserContext(), c.Params("ref")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *HTTP) staffList(c *fiber.Ctx) error {
	q, err := parseListQuery(c)
	if err != nil {
		return err
	}
	q.Status = c.Query("status", StatusActive)
	switch q.Status {
	case StatusDraft, StatusActive, StatusArchived:
	default:
		return invalidParam("status", "must be draft, active or archived", "يجب أن تكون draft أو active أو archived")
	}
	page, err := h.svc.StaffList(c.UserContext(), q)
	if err != nil {
		return err
	}
	return c.JSON(toAPIPage(page, true))
}

func (h *HTTP) staffProduct(c *fiber.Ctx) error {
	p, err := h.svc.StaffProduct(c.UserContext(), c.Params("ref"))
	if err != nil {
		return err
	}
	return c.JSON(toAPIProduct(*p, true))
}

type bulkStockReq struct {
	Items []struct {
		SKU   string `json:"sku" validate:"required,max=64"`
		Stock *int   `json:"stock" validate:"omitempty,min=0,max=2147483647"`
	} `json:"items" validate:"required,min=1,max=1000,dive"`
}

func (h *HTTP) bulkStock(c *fiber.Ctx) error {
	var req bulkStockReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	items := make([]StockUpdate, len(req.Items))
	for i, it := range req.Items {
		items[i] = StockUpdate{SKU: it.SKU, Stock: it.Stock}
	}
	res, err := h.svc.BulkStock(c.UserContext(), items)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"updated": res.Updated})
}

type bulkPriceReq struct {
	Items []struct {
		SKU       string `json:"sku" validate:"required,max=64"`
		Price     *int64 `json:"price" validate:"required,min=0,max=1000000000000"`
		CompareAt int64  `json:"compare_at_price" validate:"min=0,max=1000000000000"`
	} `json:"items" validate:"required,min=1,max=1000,dive"`
}

func (h *HTTP) bulkPrices(c *fiber.Ctx) error {
	var req bulkPriceReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	items := make([]PriceUpdate, len(req.Items))
	for i, it := range req.Items {
		items[i] = PriceUpdate{SKU: it.SKU, Price: *it.Price, CompareAt: it.CompareAt}
	}
	res, err := h.svc.BulkPrice(c.UserContext(), items)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"updated": res.Updated})
}

// ---- sources and runs ----

type sourceReq struct {
	Name            string `json:"name" validate:"required,max=200"`
	Kind            string `json:"kind" validate:"required,oneof=upload url"`
	URL             string `json:"url" validate:"required_if=Kind url,omitempty,max=2048,weburl"`
	Format          string `json:"format" validate:"omitempty,oneof=auto csv tsv json google-tsv google-xml"`
	Full            bool   `json:"full"`
	IntervalMinutes int    `json:"interval_minutes" validate:"min=0,max=10080"`
}

func (h *HTTP) createSource(c *fiber.Ctx) error {
	var req sourceReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		return err
	}
	src, err := h.svc.CreateSource(c.UserContext(), SourceInput{Name: req.Name, Kind: req.Kind, URL: req.URL,
		Format: feed.Format(req.Format), Full: req.Full, IntervalMinutes: req.IntervalMinutes})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toAPISource(*src))
}

func (h *HTTP) listSources(c *fiber.Ctx) error {
	srcs, err := h.svc.Sources(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]apiSource, len(srcs))
	for i, s := range srcs {
		out[i] = toAPISource(s)
	}
	return c.JSON(fiber.Map{"items": out})
}

func parseID(c *fiber.Ctx, name, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params(name))
	if err != nil {
		return uuid.Nil, errs.E(errs.CodeNotFound, "no such %s", what)
	}
	return id, nil
}

func (h *HTTP) getSource(c *fiber.Ctx) error {
	id, err := parseID(c, "id", "source")
	if err != nil {
		return err
	}
	src, err := h.svc.Source(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(toAPISource(*src))
}

func (h *HTTP) deleteSource(c *fiber.Ctx) error {
	id, err := parseID(c, "id", "source")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteSource(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// runSource starts a run of a source: a URL source pulls its URL; an upload
// source takes the request body as the file.
func (h *HTTP) runSource(c *fiber.Ctx) error {
	id, err := parseID(c, "id", "source")
	if err != nil {
		return err
	}
	run, err := h.svc.StartRun(c.UserContext(), RunRequest{SourceID: &id, Input: body(c), InputName: c.Query("name"),
		RequestedBy: h.actor(c)})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(toAPIRun(*run, false))
}

// importFile starts a one-off run of the request body (?format=, ?full=).
func (h *HTTP) importFile(c *fiber.Ctx) error {
	f := feed.Format(c.Query("format", string(feed.FormatAuto)))
	if !validFormat(f) {
		return invalidParam("format", "must be auto, csv, tsv, json, google-tsv or google-xml", "يجب أن تكون auto أو csv أو tsv أو json أو google-tsv أو google-xml")
	}
	full := c.QueryBool("full", false)
	b := body(c)
	if len(b) == 0 {
		return invalidParam("body", "the file is empty", "الملف فارغ")
	}
	run, err := h.svc.StartRun(c.UserContext(), RunRequest{Input: b, InputName: c.Query("name"), Format: f, Full: full,
		ContentType: c.Get(fiber.HeaderContentType), RequestedBy: h.actor(c)})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(toAPIRun(*run, false))
}

func body(c *fiber.Ctx) []byte {
	b := c.Body()
	if len(b) == 0 {
		return nil
	}
	if fh, err := c.FormFile("file"); err == nil {
		f, err := fh.Open()
		if err == nil {
			defer f.Close()
			if data, err := io.ReadAll(f); err == nil {
				return data
			}
		}
	}
	return append([]byte(nil), b...)
}

func (h *HTTP) listRuns(c *fiber.Ctx) error {
	var source *uuid.UUID
	if s := c.Query("source"); s != "" {
		id, err := uuid.Parse(s)
		if err != nil {
			return invalidParam("source", "must be a source id", "يجب أن يكون معرّف مصدر")
		}
		source = &id
	}
	runs, err := h.svc.Runs(c.UserContext(), source, 50)
	if err != nil {
		return err
	}
	out := make([]apiRun, len(runs))
	for i, r := range runs {
		out[i] = toAPIRun(r, false)
	}
	return c.JSON(fiber.Map{"items": out})
}

func (h *HTTP) getRun(c *fiber.Ctx) error {
	id, err := parseID(c, "id", "run")
	if err != nil {
		return err
	}
	run, err := h.svc.Run(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(toAPIRun(*run, true))
}

func (h *HTTP) consistency(c *fiber.Ctx) error {
	rep, err := h.svc.CheckConsistency(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(rep)
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
	RequestedBy string     `json:"requested_by,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	Report      *Report    `json:"report,omitempty"`
}

func toAPIRun(r Run, withRejects bool) apiRun {
	a := apiRun{ID: r.ID, SourceID: r.SourceID, Status: r.Status, Format: string(r.Format), Full: r.Full, URL: r.URL,
		InputName: r.InputName, Error: r.Error, RequestedBy: r.RequestedBy, CreatedAt: r.CreatedAt, StartedAt: r.StartedAt,
		FinishedAt: r.FinishedAt, Report: r.Report}
	if a.Report != nil && !withRejects {
		rep := *a.Report
		if len(rep.Rejected) > 20 {
			rep.Rejected = rep.Rejected[:20]
		}
		a.Report = &rep
	}
	return a
}

func validFormat(f feed.Format) bool {
	switch f {
	case feed.FormatAuto, feed.FormatCSV, feed.FormatTSV, feed.FormatJSON, feed.FormatGoogleTSV, feed.FormatGoogleXML:
		return true
	}
	return false
}

var _ = strings.TrimSpace
