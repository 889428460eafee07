package admin

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/admin/ui"
	"concierge/internal/arabic"
	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/money"
	"concierge/modules/catalog"
)

// The catalog pages (/admin/products and under it): products with search
// and filters, a product's form with its variants and pictures, the
// category tree and the feed sources (catalog_feeds.go). Everything goes
// through catalog.Service, which audits each change with the signed-in
// user as actor. Records are named by id only: another tenant's id is a
// product, variant, picture or category this tenant does not have (404).

// productStatuses are the statuses staff list and set.
var productStatuses = []string{catalog.StatusActive, catalog.StatusDraft, catalog.StatusArchived}

// productsList is GET /admin/products: the staff search (any words, Arabic
// normalised) or the newest first, filtered by category (with its
// sub-categories), status and stock, 25 a page.
func (a *Console) productsList(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := a.view(c, "admin.catalog.products")
	cats, err := a.d.Catalog.Categories(ctx)
	if err != nil {
		return a.fail(c, err)
	}
	tree := ui.CategoryTree(cats, v.Lang)
	f := ui.ProductFilter{Q: clip(strings.TrimSpace(c.Query("q")), 200), Category: c.Query("category"), Status: c.Query("status"),
		InStock: c.Query("stock") == "in"}
	if !slices.Contains(productStatuses, f.Status) {
		f.Status = catalog.StatusActive
	}
	if !slices.ContainsFunc(tree, func(n ui.CategoryNode) bool { return n.ID.String() == f.Category }) {
		f.Category = ""
	}
	q := catalog.Query{Q: f.Q, Category: f.Category, Status: f.Status, InStock: f.InStock, Cursor: c.Query("cursor"), Limit: 25}
	page, err := a.d.Catalog.StaffList(ctx, q)
	if errs.CodeOf(err) == errs.CodeInvalid { // a cursor that does not parse: the first page
		q.Cursor = ""
		page, err = a.d.Catalog.StaffList(ctx, q)
	}
	if err != nil {
		return a.fail(c, err)
	}
	l := ui.ProductsList{Products: page.Items, Filter: f, Categories: tree, Statuses: productStatuses,
		CanWrite: reqOf(c).access.Can("catalog", "write")}
	if page.NextCursor != "" {
		next := f.Query()
		next.Set("cursor", page.NextCursor)
		l.Next = "/admin/products?" + next.Encode()
	}
	return a.render(c, ui.ProductsListPage(v, l))
}

// clip cuts s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// productNew is GET /admin/products/new: the new product's form.
func (a *Console) productNew(c *fiber.Ctx) error {
	return a.productPage(c, nil, ui.ProductPage{Form: ui.ProductForm{Status: catalog.StatusActive}})
}

// productRef parses :ref, a product id; anything else is a product this
// tenant does not have.
func productRef(c *fiber.Ctx) (string, error) {
	id, err := uuid.Parse(c.Params("ref"))
	if err != nil {
		return "", errs.New(errs.CodeNotFound, "catalog.product.not_found")
	}
	return id.String(), nil
}

// productShow is GET /admin/products/{id}.
func (a *Console) productShow(c *fiber.Ctx) error {
	p, err := a.product(c)
	if err != nil {
		return a.fail(c, err)
	}
	return a.productPage(c, p, ui.ProductPage{})
}

// product reads the product of :ref.
func (a *Console) product(c *fiber.Ctx) (*catalog.Product, error) {
	ref, err := productRef(c)
	if err != nil {
		return nil, err
	}
	return a.d.Catalog.StaffProduct(c.UserContext(), ref)
}

// productPage renders the new-product page (p nil) or p's page; pg carries
// a form that came back with its errors (422).
func (a *Console) productPage(c *fiber.Ctx, p *catalog.Product, pg ui.ProductPage) error {
	cats, err := a.d.Catalog.Categories(c.UserContext())
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.catalog.new")
	pg.Product, pg.Categories, pg.Statuses = p, ui.CategoryTree(cats, v.Lang), productStatuses
	pg.CanWrite, pg.MaxImageMB = reqOf(c).access.Can("catalog", "write"), catalog.MaxImageBytes>>20
	if p != nil {
		v.Title = p.Title(v.Lang)
		if pg.Errors == nil {
			pg.Form = ui.ProductForm{TitleAR: p.TitleAR, TitleEN: p.TitleEN, DescriptionAR: p.DescriptionAR, DescriptionEN: p.DescriptionEN,
				Status: p.Status, CategoryIDs: map[string]bool{}}
			for _, cr := range p.Categories {
				pg.Form.CategoryIDs[cr.ID.String()] = true
			}
		}
	}
	if done := c.Query("done"); slices.Contains([]string{"created", "saved", "archived", "variant_added", "variant_saved",
		"variant_archived", "uploaded", "picture_deleted"}, done) {
		v.Flash = v.T("admin.catalog.done." + done)
	}
	if len(pg.Errors)+len(pg.VariantErrors)+len(pg.MediaErrors) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return a.render(c, ui.ProductEditPage(v, pg))
}

// productForm reads the product form; bad gets each field's error.
func (a *Console) productForm(c *fiber.Ctx, v *ui.View, bad map[string]string) ui.ProductForm {
	f := ui.ProductForm{TitleAR: strings.TrimSpace(c.FormValue("title_ar")), TitleEN: strings.TrimSpace(c.FormValue("title_en")),
		DescriptionAR: strings.TrimSpace(c.FormValue("description_ar")), DescriptionEN: strings.TrimSpace(c.FormValue("description_en")),
		Status: c.FormValue("status"), CategoryIDs: map[string]bool{}}
	for _, id := range c.Context().PostArgs().PeekMulti("category") {
		f.CategoryIDs[string(id)] = true
	}
	if f.TitleAR == "" && f.TitleEN == "" {
		bad["title_ar"] = v.T("admin.catalog.title_required")
	}
	for name, max := range map[string]int{"title_ar": 300, "title_en": 300, "description_ar": 10000, "description_en": 10000} {
		if utf8.RuneCountInString(c.FormValue(name)) > max {
			bad[name] = v.T("admin.field.too_long", "max", v.Number(int64(max)))
		}
	}
	if !slices.Contains(productStatuses, f.Status) {
		bad["status"] = v.T("admin.catalog.bad_status")
	}
	return f
}

// categoryIDs are the form's categories, each one of the tenant's.
func (a *Console) categoryIDs(c *fiber.Ctx, f ui.ProductForm, v *ui.View, bad map[string]string) []uuid.UUID {
	cats, err := a.d.Catalog.Categories(c.UserContext())
	if err != nil {
		bad["form"] = v.T("admin.error.body")
		return nil
	}
	ids := []uuid.UUID{}
	for s := range f.CategoryIDs {
		id, err := uuid.Parse(s)
		if err != nil || !slices.ContainsFunc(cats, func(c catalog.Category) bool { return c.ID == id }) {
			bad["categories"] = v.T("admin.catalog.bad_category")
			continue
		}
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(x, y uuid.UUID) int { return strings.Compare(x.String(), y.String()) })
	return ids
}

// productCreate is POST /admin/products: a product with its first
// variant.
func (a *Console) productCreate(c *fiber.Ctx) error {
	v := a.view(c, "admin.catalog.new")
	bad := map[string]string{}
	f := a.productForm(c, v, bad)
	ids := a.categoryIDs(c, f, v, bad)
	f.SKU, f.Price, f.Stock = strings.TrimSpace(c.FormValue("sku")), strings.TrimSpace(c.FormValue("price")), strings.TrimSpace(c.FormValue("stock"))
	vf := ui.VariantForm{SKU: f.SKU, Price: f.Price, Stock: f.Stock}
	variant := a.variantInput(vf, v, bad)
	if len(bad) > 0 {
		return a.productPage(c, nil, ui.ProductPage{Form: f, Errors: bad})
	}
	p, err := a.d.Catalog.CreateProduct(c.UserContext(), catalog.ProductInput{Status: f.Status, TitleAR: f.TitleAR, TitleEN: f.TitleEN,
		DescriptionAR: f.DescriptionAR, DescriptionEN: f.DescriptionEN, CategoryIDs: ids, Variants: []catalog.VariantInput{variant}})
	if err != nil {
		if a.catalogErrors(v, err, bad, productField) {
			return a.productPage(c, nil, ui.ProductPage{Form: f, Errors: bad})
		}
		return a.fail(c, err)
	}
	return c.Redirect("/admin/products/"+p.ID.String()+"?done=created", fiber.StatusSeeOther)
}

// productUpdate is POST /admin/products/{id}: the product's own fields and
// categories.
func (a *Console) productUpdate(c *fiber.Ctx) error {
	p, err := a.product(c)
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.catalog.products")
	bad := map[string]string{}
	f := a.productForm(c, v, bad)
	ids := a.categoryIDs(c, f, v, bad)
	if len(bad) > 0 {
		return a.productPage(c, p, ui.ProductPage{Form: f, Errors: bad})
	}
	_, err = a.d.Catalog.UpdateProduct(c.UserContext(), p.ID.String(), catalog.ProductPatch{Status: &f.Status, TitleAR: &f.TitleAR,
		TitleEN: &f.TitleEN, DescriptionAR: &f.DescriptionAR, DescriptionEN: &f.DescriptionEN, CategoryIDs: &ids})
	if err != nil {
		if a.catalogErrors(v, err, bad, productField) {
			return a.productPage(c, p, ui.ProductPage{Form: f, Errors: bad})
		}
		return a.fail(c, err)
	}
	return c.Redirect("/admin/products/"+p.ID.String()+"?done=saved", fiber.StatusSeeOther)
}

// productArchive is POST /admin/products/{id}/archive.
func (a *Console) productArchive(c *fiber.Ctx) error {
	ref, err := productRef(c)
	if err != nil {
		return a.fail(c, err)
	}
	if _, err := a.d.Catalog.ArchiveProduct(c.UserContext(), ref); err != nil {
		return a.fail(c, err)
	}
	return c.Redirect("/admin/products/"+ref+"?done=archived", fiber.StatusSeeOther)
}

// catalogErrors puts the field errors of a refused change (invalid or
// conflict) into bad under the form's names (name maps the service's
// field names) and reports whether err was one.
func (a *Console) catalogErrors(v *ui.View, err error, bad map[string]string, name func(string) string) bool {
	if code := errs.CodeOf(err); code != errs.CodeInvalid && code != errs.CodeConflict {
		return false
	}
	for _, fe := range errs.FieldsOf(err) {
		if n := name(fe.Field); bad[n] == "" {
			bad[n] = a.d.Texts.Message(v.Lang, fe.Msg)
		}
	}
	if len(bad) == 0 {
		var e *errs.Error
		bad["form"] = v.T("admin.error.invalid")
		if errors.As(err, &e) {
			bad["form"] = a.d.Texts.Message(v.Lang, e.Msg)
		}
	}
	return true
}

// productField is the product form's name of a service field.
func productField(f string) string {
	f = strings.TrimPrefix(f, "variants[0].")
	switch {
	case f == "title":
		return "title_ar"
	case strings.HasPrefix(f, "category_ids"):
		return "categories"
	case strings.HasPrefix(f, "options"):
		return "options"
	case f == "compare_at_price":
		return "price"
	case slices.Contains([]string{"title_ar", "title_en", "description_ar", "description_en", "status", "sku", "price", "stock"}, f):
		return f
	}
	return "form"
}

// ---- variants ----

// variantInput reads a variant form (price in the store's currency, stock
// "" untracked, options "Name: Value; ..."); bad gets each field's error.
func (a *Console) variantInput(f ui.VariantForm, v *ui.View, bad map[string]string) catalog.VariantInput {
	in := catalog.VariantInput{SKU: f.SKU}
	switch n := utf8.RuneCountInString(f.SKU); {
	case n == 0:
		bad["sku"] = v.T("admin.field.required")
	case n > 64:
		bad["sku"] = v.T("admin.field.too_long", "max", v.Number(64))
	}
	amt, err := money.Parse(f.Price, v.Currency)
	switch {
	case strings.TrimSpace(f.Price) == "":
		bad["price"] = v.T("admin.field.required")
	case err != nil || amt.Currency != v.Currency:
		bad["price"] = v.T("admin.catalog.bad_price", "example", money.Amount{Minor: 1250, Currency: v.Currency}.Decimal())
	default:
		in.Price = amt.Minor
	}
	if s := arabic.DigitsToASCII(strings.TrimSpace(f.Stock)); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > catalog.MaxCount {
			bad["stock"] = v.T("admin.catalog.bad_stock")
		} else {
			in.Stock = &n
		}
	}
	opts, field := parseOptions(f.Options, f.OptionsAR)
	if field != "" {
		bad[field] = v.T("admin.catalog.bad_options", "max", v.Number(catalog.MaxOptions))
	}
	in.Options = opts
	return in
}

// parseOptions reads "Size: M; Colour: Black" and its Arabic forms in the
// same order ("المقاس: M; اللون: أسود", may be empty). It names the field
// that does not read ("" when both do).
func parseOptions(en, ar string) ([]catalog.Option, string) {
	pairs := func(s string) ([][2]string, bool) {
		var out [][2]string
		for part := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ';' || r == '؛' }) {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			name, value, ok := strings.Cut(part, ":")
			name, value = strings.TrimSpace(name), strings.TrimSpace(value)
			if !ok || name == "" || value == "" {
				return nil, false
			}
			out = append(out, [2]string{name, value})
		}
		return out, len(out) <= catalog.MaxOptions
	}
	e, ok := pairs(en)
	if !ok {
		return nil, "options"
	}
	r, ok := pairs(ar)
	if !ok || len(r) > 0 && len(r) != len(e) {
		return nil, "options_ar"
	}
	opts := make([]catalog.Option, len(e))
	for i, p := range e {
		opts[i] = catalog.Option{Name: p[0], Value: p[1]}
		if len(r) > 0 {
			opts[i].NameAR, opts[i].ValueAR = r[i][0], r[i][1]
		}
	}
	return opts, ""
}

func variantFormOf(c *fiber.Ctx) ui.VariantForm {
	return ui.VariantForm{SKU: strings.TrimSpace(c.FormValue("sku")), Price: strings.TrimSpace(c.FormValue("price")),
		Stock: strings.TrimSpace(c.FormValue("stock")), Options: strings.TrimSpace(c.FormValue("options")),
		OptionsAR: strings.TrimSpace(c.FormValue("options_ar"))}
}

// variantField is the variant form's name of a service field.
func variantField(f string) string {
	switch {
	case strings.HasPrefix(f, "options"):
		return "options"
	case f == "compare_at_price":
		return "price"
	case f == "sku" || f == "price" || f == "stock":
		return f
	}
	return "form"
}

// variantAdd is POST /admin/products/{id}/variants.
func (a *Console) variantAdd(c *fiber.Ctx) error {
	p, err := a.product(c)
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.catalog.products")
	bad := map[string]string{}
	f := variantFormOf(c)
	in := a.variantInput(f, v, bad)
	if len(bad) == 0 {
		if _, err = a.d.Catalog.AddVariant(c.UserContext(), p.ID.String(), in); err != nil && !a.catalogErrors(v, err, bad, variantField) {
			return a.fail(c, err)
		}
	}
	if len(bad) > 0 {
		return a.productPage(c, p, ui.ProductPage{VariantFor: "new", Variant: f, VariantErrors: bad})
	}
	return c.Redirect("/admin/products/"+p.ID.String()+"?done=variant_added#variants", fiber.StatusSeeOther)
}

// productVariant reads the product of :ref and finds :variant (an id)
// among its variants.
func (a *Console) productVariant(c *fiber.Ctx) (*catalog.Product, *catalog.Variant, error) {
	p, err := a.product(c)
	if err != nil {
		return nil, nil, err
	}
	if id, err := uuid.Parse(c.Params("variant")); err == nil {
		for _, vr := range p.Variants {
			if vr.ID == id {
				return p, &vr, nil
			}
		}
	}
	return nil, nil, errs.New(errs.CodeNotFound, "catalog.variant.not_found")
}

// variantUpdate is POST /admin/products/{id}/variants/{variant}: SKU,
// options, price, stock.
func (a *Console) variantUpdate(c *fiber.Ctx) error {
	p, vr, err := a.productVariant(c)
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.catalog.products")
	bad := map[string]string{}
	f := variantFormOf(c)
	in := a.variantInput(f, v, bad)
	if len(bad) == 0 {
		patch := catalog.VariantPatch{SKU: &in.SKU, Options: &in.Options, Price: &in.Price, Stock: in.Stock, Untrack: in.Stock == nil}
		if vr.CompareAt != 0 && vr.CompareAt <= in.Price {
			var none int64
			patch.CompareAt = &none // a compare-at price at or under the new price means nothing
		}
		if _, err = a.d.Catalog.UpdateVariant(c.UserContext(), p.ID.String(), vr.ID.String(), patch); err != nil && !a.catalogErrors(v, err, bad, variantField) {
			return a.fail(c, err)
		}
	}
	if len(bad) > 0 {
		return a.productPage(c, p, ui.ProductPage{VariantFor: vr.ID.String(), Variant: f, VariantErrors: bad})
	}
	return c.Redirect("/admin/products/"+p.ID.String()+"?done=variant_saved#variants", fiber.StatusSeeOther)
}

// variantArchive is POST /admin/products/{id}/variants/{variant}/archive.
func (a *Console) variantArchive(c *fiber.Ctx) error {
	p, vr, err := a.productVariant(c)
	if err != nil {
		return a.fail(c, err)
	}
	if err := a.d.Catalog.ArchiveVariant(c.UserContext(), p.ID.String(), vr.ID.String()); err != nil {
		return a.fail(c, err)
	}
	return c.Redirect("/admin/products/"+p.ID.String()+"?done=variant_archived#variants", fiber.StatusSeeOther)
}

// ---- pictures ----

// mediaUpload is POST /admin/products/{id}/media (multipart): a JPEG, PNG
// or WebP picture, told by its bytes, stored by the catalog and served at
// /uploads/{tenant}/{id}; its URL starts with this request's origin.
func (a *Console) mediaUpload(c *fiber.Ctx) error {
	p, err := a.product(c)
	if err != nil {
		return a.fail(c, err)
	}
	v := a.view(c, "admin.catalog.products")
	form := ui.MediaForm{AltAR: strings.TrimSpace(c.FormValue("alt_ar")), AltEN: strings.TrimSpace(c.FormValue("alt_en"))}
	bad := map[string]string{}
	for name, val := range map[string]string{"alt_ar": form.AltAR, "alt_en": form.AltEN} {
		if utf8.RuneCountInString(val) > 300 {
			bad[name] = v.T("admin.field.too_long", "max", v.Number(300))
		}
	}
	var data []byte
	if fh, err := c.FormFile("file"); err != nil {
		bad["file"] = v.T("admin.catalog.picture_required")
	} else if fh.Size > catalog.MaxImageBytes {
		bad["file"] = v.T("admin.catalog.picture_too_large", "max", v.Number(catalog.MaxImageBytes>>20))
	} else if f, err := fh.Open(); err != nil {
		return a.fail(c, err)
	} else {
		data, err = io.ReadAll(io.LimitReader(f, catalog.MaxImageBytes+1))
		_ = f.Close()
		if err != nil {
			return a.fail(c, err)
		}
	}
	if len(bad) == 0 {
		_, err = a.d.Catalog.UploadImage(c.UserContext(), p.ID.String(), catalog.ImageUpload{Data: data, AltAR: form.AltAR, AltEN: form.AltEN,
			BaseURL: c.BaseURL()})
		if err != nil && !a.catalogErrors(v, err, bad, func(f string) string {
			if f == "alt_ar" || f == "alt_en" {
				return f
			}
			return "file"
		}) {
			return a.fail(c, err)
		}
	}
	if len(bad) > 0 {
		return a.productPage(c, p, ui.ProductPage{Media: form, MediaErrors: bad})
	}
	return c.Redirect("/admin/products/"+p.ID.String()+"?done=uploaded#media", fiber.StatusSeeOther)
}

// mediaDelete is POST /admin/products/{id}/media/{media}/delete.
func (a *Console) mediaDelete(c *fiber.Ctx) error {
	ref, err := productRef(c)
	if err != nil {
		return a.fail(c, err)
	}
	id, err := uuid.Parse(c.Params("media"))
	if err != nil {
		return a.fail(c, errs.New(errs.CodeNotFound, "catalog.media.not_found"))
	}
	if err := a.d.Catalog.DeleteMedia(c.UserContext(), ref, id); err != nil {
		return a.fail(c, err)
	}
	return c.Redirect("/admin/products/"+ref+"?done=picture_deleted#media", fiber.StatusSeeOther)
}

// mountCatalog serves the catalog pages; the fixed paths come before
// /admin/products/:ref.
func (a *Console) mountCatalog(app, uploads fiber.Router, tenant func(obj, act string) []fiber.Handler) {
	read := func(h fiber.Handler) []fiber.Handler { return append(tenant("catalog", "read"), h) }
	write := func(h fiber.Handler) []fiber.Handler { return append(tenant("catalog", "write"), a.guard, h) }
	app.Get("/admin/products", read(a.productsList)...)
	app.Post("/admin/products", write(a.productCreate)...)
	app.Get("/admin/products/new", append(tenant("catalog", "write"), a.productNew)...)
	app.Get("/admin/products/categories", read(a.categoriesList)...)
	app.Post("/admin/products/categories", write(a.categoryCreate)...)
	app.Post("/admin/products/categories/:id", write(a.categoryRename)...)
	app.Post("/admin/products/categories/:id/delete", write(a.categoryDelete)...)
	app.Get("/admin/products/feeds", read(a.feedsList)...)
	app.Post("/admin/products/feeds", write(a.sourceCreate)...)
	app.Get("/admin/products/feeds/runs/:id", read(a.runShow)...)
	app.Post("/admin/products/feeds/:id/delete", write(a.sourceDelete)...)
	app.Post("/admin/products/feeds/:id/run", write(a.sourceRun)...)
	app.Get("/admin/products/:ref", read(a.productShow)...)
	app.Post("/admin/products/:ref", write(a.productUpdate)...)
	app.Post("/admin/products/:ref/archive", write(a.productArchive)...)
	app.Post("/admin/products/:ref/variants", write(a.variantAdd)...)
	app.Post("/admin/products/:ref/variants/:variant", write(a.variantUpdate)...)
	app.Post("/admin/products/:ref/variants/:variant/archive", write(a.variantArchive)...)
	// A picture's form: room for a picture up to twice too big, so that one
	// gets its field error rather than the gateway's 413.
	uploads.Post("/admin/products/:ref/media", append([]fiber.Handler{httpx.LimitBody(2 * catalog.MaxImageBytes)}, write(a.mediaUpload)...)...)
	app.Post("/admin/products/:ref/media/:media/delete", write(a.mediaDelete)...)
}
