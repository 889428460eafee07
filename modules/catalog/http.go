package catalog

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/tenants"
)

// handlers serve the public products API and the staff catalog API. The
// service returns domain values; the handlers convert them to the API's
// JSON (http_api.go). memo is this process's copy of the public JSON it
// made, per tenant and catalog version, so a cached product costs what it
// did when the cache held the JSON itself.
type handlers struct {
	svc      *Service
	validate *httpx.Validator
	cat      *i18n.Catalog
	memo     copies
}

// Mount serves the public products API (tenant from Host or API key) and
// the staff catalog API; the two file routes take bodies up to the
// configured upload limit (CATALOG_UPLOAD_LIMIT).
func (s *Service) Mount(r httpx.Routers) {
	h := &handlers{svc: s, validate: r.Validator, cat: r.Catalog}
	if h.cat == nil {
		h.cat = s.messages
	}
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

	// Uploaded pictures, on any host: the path names the tenant.
	r.Root.Get("/uploads/:tenant/:file", h.image)

	upload := httpx.LimitBody(s.cfg.UploadLimit)
	r.Uploads.Post("/catalog/sources/:id/runs", upload, write, h.runSource)
	r.Uploads.Post("/catalog/imports", upload, write, h.importFile)
}

// ---- public handlers ----

func sendJSON(c *fiber.Ctx, b []byte) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(b)
}

// public answers a public read with the JSON of what read returns under the
// tenant's catalog version, from this process's copy when it has one.
func (h *handlers) public(c *fiber.Ctx, key string, read func(ctx context.Context, t *tenants.Tenant, version string) (any, error)) error {
	ctx := c.UserContext()
	t, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	version, err := h.svc.cache.version(ctx, t.ID)
	if err != nil {
		return err
	}
	memo := h.memo.of(t.ID)
	if version != "" {
		if b, ok := memo.get(version, key); ok {
			h.svc.metrics.hit.Inc()
			return sendJSON(c, b)
		}
	}
	v, err := read(ctx, t, version)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if version != "" {
		memo.put(version, key, b)
	}
	return sendJSON(c, b)
}

func (h *handlers) product(c *fiber.Ctx) error {
	ref := canonicalRef(c.Params("ref"))
	return h.public(c, "p:"+ref, func(ctx context.Context, t *tenants.Tenant, version string) (any, error) {
		p, err := h.svc.productAt(ctx, t, version, ref)
		if err != nil {
			return nil, err
		}
		return toAPIProduct(*p, false), nil
	})
}

func (h *handlers) categories(c *fiber.Ctx) error {
	return h.public(c, "c:all", func(ctx context.Context, t *tenants.Tenant, version string) (any, error) {
		cs, err := h.svc.categoriesAt(ctx, t, version)
		if err != nil {
			return nil, err
		}
		return toAPICategories(cs), nil
	})
}

func (h *handlers) list(c *fiber.Ctx) error {
	q, err := parseListQuery(c)
	if err != nil {
		return err
	}
	q.Status, q.Understand = "", true
	return h.public(c, "l:"+queryKey(q), func(ctx context.Context, t *tenants.Tenant, version string) (any, error) {
		page, err := h.svc.listAt(ctx, t, version, q)
		if err != nil {
			return nil, err
		}
		return toAPIPage(page, false), nil
	})
}

func invalidParam(name, id string) error {
	return errs.Invalid(errs.Field(name, "invalid", id))
}

// parseListQuery reads q, category, brand, size, colour (or color),
// min_price, max_price (minor units), in_stock, literal, cursor and limit.
func parseListQuery(c *fiber.Ctx) (Query, error) {
	q := Query{Q: c.Query("q"), Category: c.Query("category"), Brand: c.Query("brand"), Cursor: c.Query("cursor"),
		Literal: c.Query("literal")}
	var fe []errs.FieldError
	if len(q.Q) > 200 {
		fe = append(fe, errs.Field("q", "max", "catalog.field.query_long", "max", 200))
	}
	if len(q.Literal) > 100 {
		fe = append(fe, errs.Field("literal", "max", "field.max", "param", 100))
	}
	for _, o := range []struct{ param, kind string }{{"size", "size"}, {"colour", "colour"}, {"color", "colour"}} {
		v := strings.TrimSpace(c.Query(o.param))
		if v == "" {
			continue
		}
		if len(v) > 100 {
			fe = append(fe, errs.Field(o.param, "max", "field.max", "param", 100))
			continue
		}
		if q.Options == nil {
			q.Options = map[string]string{}
		}
		q.Options[o.kind] = v
	}
	for _, p := range []struct {
		name string
		dst  **int64
	}{{"min_price", &q.MinPrice}, {"max_price", &q.MaxPrice}} {
		if s := c.Query(p.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				fe = append(fe, errs.Field(p.name, "min", "catalog.field.price_param"))
				continue
			}
			*p.dst = &n
		}
	}
	if q.MinPrice != nil && q.MaxPrice != nil && *q.MinPrice > *q.MaxPrice {
		fe = append(fe, errs.Field("max_price", "gtefield", "catalog.field.price_range"))
	}
	switch s := c.Query("in_stock"); s {
	case "", "false", "0":
	case "true", "1":
		q.InStock = true
	default:
		fe = append(fe, errs.Field("in_stock", "boolean", "field.boolean"))
	}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPageSize {
			fe = append(fe, errs.Field("limit", "range", "field.range", "min", 1, "max", MaxPageSize))
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

func (h *handlers) createProduct(c *fiber.Ctx) error {
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

func (h *handlers) updateProduct(c *fiber.Ctx) error {
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

func (h *handlers) archiveProduct(c *fiber.Ctx) error {
	p, err := h.svc.ArchiveProduct(c.UserContext(), c.Params("ref"))
	if err != nil {
		return err
	}
	return c.JSON(toAPIProduct(*p, true))
}

func (h *handlers) addVariant(c *fiber.Ctx) error {
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

func (h *handlers) updateVariant(c *fiber.Ctx) error {
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
		return errs.New(errs.CodeInvalid, "catalog.error.body_object")
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

func (h *handlers) archiveVariant(c *fiber.Ctx) error {
	if err := h.svc.ArchiveVariant(c.UserContext(), c.Params("ref"), c.Params("variant")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) addMedia(c *fiber.Ctx) error {
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

func (h *handlers) deleteMedia(c *fiber.Ctx) error {
	id, err := uuid.Parse(c.Params("media"))
	if err != nil {
		return errs.New(errs.CodeNotFound, "catalog.media.not_found")
	}
	if err := h.svc.DeleteMedia(c.UserContext(), c.Params("ref"), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// image serves an uploaded picture (GET /uploads/{tenant}/{id}.{ext}) with
// the type its bytes were taken as, cached for good (a picture's id never
// names other bytes).
func (h *handlers) image(c *fiber.Ctx) error {
	notFound := errs.New(errs.CodeNotFound, "catalog.media.not_found")
	tenantID, err := uuid.Parse(c.Params("tenant"))
	if err != nil {
		return notFound
	}
	name, ext, _ := strings.Cut(c.Params("file"), ".")
	id, err := uuid.Parse(name)
	if err != nil {
		return notFound
	}
	img, err := h.svc.Image(c.UserContext(), tenantID, id)
	if err != nil {
		return err
	}
	if imageTypes[img.ContentType] != "."+ext {
		return notFound
	}
	c.Set(fiber.HeaderContentType, img.ContentType)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; sandbox")
	return c.Send(img.Data)
}

type categoryReq struct {
	ParentID *uuid.UUID `json:"parent_id"`
	Slug     string     `json:"slug" validate:"omitempty,max=120"`
	NameAR   string     `json:"name_ar" validate:"max=200"`
	NameEN   string     `json:"name_en" validate:"max=200"`
	Position int        `json:"position" validate:"min=0,max=1000000"`
	ImageURL string     `json:"image_url" validate:"omitempty,max=2048,weburl"`
}

func (h *handlers) createCategory(c *fiber.Ctx) error {
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

func (h *handlers) updateCategory(c *fiber.Ctx) error {
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

func (h *handlers) deleteCategory(c *fiber.Ctx) error {
	if err := h.svc.DeleteCategory(c.UserContext(), c.Params("ref")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) staffList(c *fiber.Ctx) error {
	q, err := parseListQuery(c)
	if err != nil {
		return err
	}
	q.Status = c.Query("status", StatusActive)
	switch q.Status {
	case StatusDraft, StatusActive, StatusArchived:
	default:
		return invalidParam("status", "catalog.field.status")
	}
	page, err := h.svc.StaffList(c.UserContext(), q)
	if err != nil {
		return err
	}
	return c.JSON(toAPIPage(page, true))
}

func (h *handlers) staffProduct(c *fiber.Ctx) error {
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

func (h *handlers) bulkStock(c *fiber.Ctx) error {
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

func (h *handlers) bulkPrices(c *fiber.Ctx) error {
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
