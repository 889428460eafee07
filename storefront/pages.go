package storefront

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"

	"concierge/internal/errs"
	"concierge/internal/i18n"
	"concierge/internal/money"
	"concierge/modules/catalog"
	"concierge/storefront/ui"
	"concierge/tenants"
)

// pageCSP lets pages load only their own scripts (htmx, app.js), the
// store's pictures from https, and inline styles (the inlined sheet).
const pageCSP = "default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; script-src 'self'; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"

// pageCache keeps rendered catalog pages: key = tenant, catalog version,
// language, path and query. Pages of an older version are never asked for
// again and fall out of the LRU.
type pageCache struct{ lru *lru.Cache[string, *prepared] }

func newPageCache(n int) *pageCache {
	c, _ := lru.New[string, *prepared](n)
	return &pageCache{lru: c}
}

// cachedPage answers from the page cache when the catalog version allows,
// else renders build's component and keeps it.
func (s *Site) cachedPage(c *fiber.Ctx, v *ui.View, build func() (templ.Component, error)) error {
	ctx := c.UserContext()
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return err
	}
	version, err := s.d.Catalog.Version(ctx)
	if err != nil {
		return err
	}
	key := ""
	if version != "" {
		key = t.ID.String() + "|" + version + "|" + v.Lang + "|" + c.Path() + "?" + v.Query + "|" + v.BaseURL + "|" + v.Stamp
		if p, ok := s.pages.lru.Get(key); ok {
			return s.send(c, p)
		}
	}
	comp, err := build()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := comp.Render(ctx, &buf); err != nil {
		return err
	}
	p := prepare(buf.Bytes())
	if key != "" {
		s.pages.lru.Add(key, p)
	}
	return s.send(c, p)
}

// render renders a page that is not cached.
func (s *Site) render(c *fiber.Ctx, comp templ.Component, _ bool) error {
	var buf bytes.Buffer
	if err := comp.Render(c.UserContext(), &buf); err != nil {
		return err
	}
	return s.send(c, prepare(buf.Bytes()))
}

// send writes a page: the visitor's CSRF token in place of the marker, an
// ETag of what is sent, revalidation on every use (a price change shows on
// the next request), gzip when the client takes it (spliced from the parts
// compressed once: prepared).
func (s *Site) send(c *fiber.Ctx, p *prepared) error {
	token, etag := "", p.etag
	if p.hasForm() {
		token = s.csrfToken(c)
		sum := sha256.Sum256([]byte(token))
		etag += hex.EncodeToString(sum[:4])
		c.Set(fiber.HeaderCacheControl, "private, no-cache")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, no-cache")
	}
	etag = `"` + etag + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderContentSecurityPolicy, pageCSP)
	c.Set(fiber.HeaderVary, "Accept-Encoding, HX-Request")
	if c.Response().StatusCode() == fiber.StatusOK && c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	if p.size > 1024 && strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(p.gzip(token))
	}
	return c.Send(p.text(token))
}

// ---- catalog pages ----

const perPage = 24

func (s *Site) home(c *fiber.Ctx, v *ui.View) error {
	v.Title = v.StoreName()
	v.Description = v.T("storefront.home.featured") + " — " + v.StoreName()
	return s.cachedPage(c, v, func() (templ.Component, error) {
		ctx := c.UserContext()
		cs, err := s.d.Catalog.Categories(ctx)
		if err != nil {
			return nil, err
		}
		page, err := s.d.Catalog.List(ctx, catalog.Query{InStock: true, Limit: 12})
		if err != nil {
			return nil, err
		}
		var top []catalog.Category
		for _, cat := range cs {
			if cat.ParentID == nil && cat.Total > 0 {
				top = append(top, cat)
			}
		}
		home := ui.Home{Categories: top, Featured: s.cards(v, page.Items)}
		if v.Store.WhatsApp != "" {
			home.ChatURL = "https://wa.me/" + v.Store.WhatsApp
		}
		v.JSONLD = mustJSON(map[string]any{"@context": "https://schema.org", "@type": "Store", "name": v.StoreName(), "url": v.Abs(v.Lang, "/")})
		return ui.HomePage(v, home), nil
	})
}

func (s *Site) category(c *fiber.Ctx, v *ui.View) error {
	slug := c.Params("slug")
	return s.cachedPage(c, v, func() (templ.Component, error) {
		ctx := c.UserContext()
		cs, err := s.d.Catalog.Categories(ctx)
		if err != nil {
			return nil, err
		}
		var cat *catalog.Category
		for i := range cs {
			if cs[i].Slug == slug {
				cat = &cs[i]
			}
		}
		if cat == nil {
			return nil, errs.New(errs.CodeNotFound, "catalog.category.not_found")
		}
		var children []catalog.Category
		for _, x := range cs {
			if x.ParentID != nil && *x.ParentID == cat.ID && x.Total > 0 {
				children = append(children, x)
			}
		}
		cursor := c.Query("cursor")
		page, err := s.d.Catalog.List(ctx, catalog.Query{Category: cat.ID.String(), Cursor: cursor, Limit: perPage})
		if err != nil {
			return nil, err
		}
		l := ui.Listing{Category: cat, Children: children, Cards: s.cards(v, page.Items)}
		if page.NextCursor != "" {
			l.NextURL = v.URL("/categories/"+slug) + "?" + ui.Query("cursor", page.NextCursor)
		}
		if cursor != "" {
			l.FirstURL = v.URL("/categories/" + slug)
		}
		v.Title = cat.Name(v.Lang) + " — " + v.StoreName()
		v.Description = cat.Name(v.Lang) + " — " + v.StoreName()
		return ui.ListingPage(v, l), nil
	})
}

func (s *Site) product(c *fiber.Ctx, v *ui.View) error {
	ctx := c.UserContext()
	p, err := s.d.Catalog.Product(ctx, c.Params("slug"))
	if err != nil {
		return err
	}
	if c.Params("slug") != p.Slug { // an id or another spelling: the canonical URL
		return c.Redirect(v.URL("/products/"+url.PathEscape(p.Slug)), fiber.StatusMovedPermanently)
	}
	id := p.ID
	s.track(c, Event{Name: "product_viewed", ProductID: &id})
	return s.cachedPage(c, v, func() (templ.Component, error) {
		pp := ui.ProductPage{Product: *p, Pictures: s.pictures(v, *p), ChatURLs: map[string]string{}}
		for _, vr := range p.Variants {
			if pp.Selected.SKU == "" && vr.Available() {
				pp.Selected = vr
			}
		}
		if pp.Selected.SKU == "" && len(p.Variants) > 0 {
			pp.Selected = p.Variants[0]
		}
		if s.d.Chat != nil && v.Store.WhatsApp != "" {
			for _, vr := range p.Variants {
				pp.ChatURLs[vr.SKU] = s.d.Chat.ProductLink(ctx, v.Lang, v.Store.WhatsApp, *p, vr)
			}
			pp.ChatURL = pp.ChatURLs[pp.Selected.SKU]
		}
		v.Title = p.Title(v.Lang) + " — " + v.StoreName()
		v.Description = clip(p.Description(v.Lang), 160)
		if len(pp.Pictures) > 0 {
			v.Image = v.BaseURL + pp.Pictures[0].Src
		}
		v.JSONLD = productLD(v, *p, pp.Pictures)
		return ui.ProductView(v, pp), nil
	})
}

// productLD is the product's schema.org Product with an offer per variant.
func productLD(v *ui.View, p catalog.Product, pics []ui.Picture) string {
	offers := make([]map[string]any, 0, len(p.Variants))
	for _, vr := range p.Variants {
		avail := "https://schema.org/OutOfStock"
		if vr.Available() {
			avail = "https://schema.org/InStock"
		}
		offers = append(offers, map[string]any{"@type": "Offer", "sku": vr.SKU,
			"price": money.Amount{Minor: vr.Price, Currency: vr.Currency}.Decimal(), "priceCurrency": vr.Currency,
			"availability": avail, "url": v.Abs(v.Lang, "/products/"+p.Slug)})
	}
	ld := map[string]any{"@context": "https://schema.org", "@type": "Product", "name": p.Title(v.Lang),
		"description": clip(p.Description(v.Lang), 500), "offers": offers}
	if len(p.Variants) > 0 {
		ld["sku"] = p.Variants[0].SKU
	}
	if p.Brand != "" {
		ld["brand"] = map[string]any{"@type": "Brand", "name": p.Brand}
	}
	var imgs []string
	for _, pic := range pics {
		imgs = append(imgs, v.BaseURL+pic.Src)
	}
	if len(imgs) > 0 {
		ld["image"] = imgs
	}
	return mustJSON(ld)
}

// mustJSON encodes structured data for a <script> block: "<" escaped so
// no text closes the element.
func mustJSON(v any) string {
	b, _ := json.Marshal(v) // maps of strings and numbers: cannot fail
	return strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`).Replace(string(b))
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Picture widths offered in srcset.
var pictureWidths = []int{160, 320, 480, 640, 960}

// cards are products as grid cards.
func (s *Site) cards(v *ui.View, ps []catalog.Product) []ui.Card {
	out := make([]ui.Card, len(ps))
	for i, p := range ps {
		out[i] = ui.Card{Product: p, URL: v.URL("/products/" + url.PathEscape(p.Slug))}
		if pics := s.pictures(v, p); len(pics) > 0 {
			pic := pics[0]
			pic.Src = pictureURL(p, 0, 320)
			out[i].Picture = &pic
		}
	}
	return out
}

// pictures are a product's pictures, resized; every picture is shown
// square (object-fit), so width and height are known without reading it.
func (s *Site) pictures(v *ui.View, p catalog.Product) []ui.Picture {
	out := make([]ui.Picture, 0, len(p.Media))
	for i, m := range p.Media {
		alt := i18n.Pick(v.Lang, m.AltAR, m.AltEN)
		if alt == "" {
			alt = v.T("storefront.product.picture", "title", p.Title(v.Lang), "n", v.Number(int64(i+1)))
		}
		var set []string
		for _, w := range pictureWidths {
			set = append(set, pictureURL(p, i, w)+" "+strconv.Itoa(w)+"w")
		}
		out = append(out, ui.Picture{Src: pictureURL(p, i, 640), Srcset: strings.Join(set, ", "), Alt: alt, Width: 640, Height: 640})
	}
	return out
}

// pictureURL is the resized picture i of p: /img/<product id>/<i>-<hash of
// its URL>?w=, so a changed picture gets a new URL (immutable caching).
func pictureURL(p catalog.Product, i, w int) string {
	sum := sha256.Sum256([]byte(p.Media[i].URL))
	return "/img/" + p.ID.String() + "/" + strconv.Itoa(i) + "-" + hex.EncodeToString(sum[:4]) + "?w=" + strconv.Itoa(w)
}

// image serves a product picture through the resizer.
func (s *Site) image(c *fiber.Ctx) error {
	if _, err := tenants.FromContext(c.UserContext()); err != nil {
		return c.Next()
	}
	resolve := func(c *fiber.Ctx) (tenantID uuid.UUID, src string, err error) {
		t, err := tenants.FromContext(c.UserContext())
		if err != nil {
			return tenantID, "", err
		}
		p, err := s.d.Catalog.Product(c.UserContext(), c.Params("product"))
		if err != nil {
			return tenantID, "", err
		}
		idx, hash, _ := strings.Cut(c.Params("pic"), "-")
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 || i >= len(p.Media) || !strings.HasSuffix(pictureURL(*p, i, 0), hash+"?w=0") {
			return tenantID, "", errs.New(errs.CodeNotFound, "catalog.media.not_found")
		}
		return t.ID, p.Media[i].URL, nil
	}
	if s.d.Images == nil {
		_, src, err := resolve(c)
		if err != nil {
			return fiber.ErrNotFound
		}
		return c.Redirect(src, fiber.StatusFound)
	}
	return s.d.Images.Handler(resolve)(c)
}

func (s *Site) search(c *fiber.Ctx, v *ui.View) error {
	ctx := c.UserContext()
	q := catalog.Query{Q: strings.TrimSpace(c.Query("q")), Category: c.Query("category"), Brand: c.Query("brand"),
		Cursor: c.Query("cursor"), Literal: c.Query("literal"), Understand: true, Limit: perPage}
	f := ui.Filters{Category: q.Category, Brand: q.Brand, Size: c.Query("size"), Colour: c.Query("colour"),
		MinPrice: c.Query("min"), MaxPrice: c.Query("max"), InStock: c.Query("in_stock") == "1"}
	q.InStock = f.InStock
	if len(q.Q) > 200 || len(q.Literal) > 100 || len(f.Size) > 100 || len(f.Colour) > 100 || len(q.Brand) > 100 || len(q.Category) > 200 {
		return errs.Invalid(errs.Field("q", "max", "catalog.field.query_long", "max", 200))
	}
	for _, o := range []struct{ kind, val string }{{"size", f.Size}, {"colour", f.Colour}} {
		if o.val != "" {
			if q.Options == nil {
				q.Options = map[string]string{}
			}
			q.Options[o.kind] = o.val
		}
	}
	for _, b := range []struct {
		raw string
		dst **int64
	}{{f.MinPrice, &q.MinPrice}, {f.MaxPrice, &q.MaxPrice}} {
		if b.raw == "" {
			continue
		}
		a, err := money.Parse(b.raw, v.Store.Currency)
		if err != nil || a.Minor < 0 {
			f.Error = v.T("storefront.filters.min_price") + ": " + b.raw
			continue
		}
		m := a.Minor
		*b.dst = &m
	}
	if q.Q != "" && q.Cursor == "" {
		s.track(c, Event{Name: "search", Query: q.Q})
	}
	v.Title = v.T("storefront.search.title") + " — " + v.StoreName()
	if q.Q != "" {
		v.Title = v.T("storefront.search.results", "q", q.Q) + " — " + v.StoreName()
	}
	v.NoIndex = true
	return s.cachedPage(c, v, func() (templ.Component, error) {
		page, err := s.d.Catalog.List(ctx, q)
		if err != nil {
			if errs.CodeOf(err) == errs.CodeInvalid || errs.CodeOf(err) == errs.CodeNotFound {
				page, err = s.d.Catalog.List(ctx, catalog.Query{Q: q.Q, Understand: true, Limit: perPage})
			}
			if err != nil {
				return nil, err
			}
		}
		cs, err := s.d.Catalog.Categories(ctx)
		if err != nil {
			return nil, err
		}
		facets, err := s.d.Catalog.Facets(ctx)
		if err != nil {
			return nil, err
		}
		f.Categories, f.Brands, f.Sizes, f.Colours = cs, facets.Brands, facets.Values("size"), facets.Values("colour")
		l := ui.Listing{Searching: true, Q: q.Q, Cards: s.cards(v, page.Items), Filters: f}
		params, _ := url.ParseQuery(v.Query)
		params.Del("cursor")
		for _, a := range page.Applied {
			undo := cloneValues(params)
			lit := strings.Trim(undo.Get("literal")+","+a.Name, ",")
			undo.Set("literal", lit)
			l.Applied = append(l.Applied, ui.AppliedFilter{Label: s.filterLabel(v, a), UndoURL: v.URL("/search") + "?" + undo.Encode()})
		}
		if page.NextCursor != "" {
			next := cloneValues(params)
			next.Set("cursor", page.NextCursor)
			l.NextURL = v.URL("/search") + "?" + next.Encode()
		}
		if q.Cursor != "" {
			l.FirstURL = v.URL("/search") + "?" + params.Encode()
		}
		return ui.ListingPage(v, l), nil
	})
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// filterLabel says a derived filter in the view's language.
func (s *Site) filterLabel(v *ui.View, a catalog.AppliedFilter) string {
	switch a.Name {
	case "min_price", "max_price":
		n, _ := strconv.ParseInt(a.Value, 10, 64)
		return v.T("storefront.filter."+a.Name, "amount", v.Money(n))
	case "size", "colour":
		return v.T("storefront.filter."+a.Name, "value", a.Value)
	}
	return a.Name + ": " + a.Value
}

func (s *Site) privacy(c *fiber.Ctx, v *ui.View) error {
	v.Title = v.T("storefront.privacy.title") + " — " + v.StoreName()
	v.Description = clip(v.T("storefront.privacy.body", "store", v.StoreName()), 160)
	return s.render(c, ui.PrivacyView(v), false)
}

// robots allows everything but the cart, checkout and lookup, and names
// the sitemap.
func (s *Site) robots(c *fiber.Ctx) error {
	if _, err := tenants.FromContext(c.UserContext()); err != nil {
		return c.Next()
	}
	base := c.Protocol() + "://" + string(c.Request().Host())
	var b strings.Builder
	b.WriteString("User-agent: *\n")
	for _, p := range []string{"/cart", "/checkout", "/orders/", "/search", "/en/cart", "/en/checkout", "/en/orders/", "/en/search"} {
		b.WriteString("Disallow: " + p + "\n")
	}
	b.WriteString("Allow: /\n\nSitemap: " + base + "/sitemap.xml\n")
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.SendString(b.String())
}

// sitemap lists the home, category and product pages in both languages
// (up to 50,000 URLs, the protocol's limit).
func (s *Site) sitemap(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if _, err := tenants.FromContext(ctx); err != nil {
		return c.Next()
	}
	base := c.Protocol() + "://" + string(c.Request().Host())
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">` + "\n")
	n := 0
	add := func(path string) {
		for _, lang := range []string{"ar", "en"} {
			b.WriteString("<url><loc>" + xmlEscape(base+ui.LangURL(lang, path)) + "</loc>")
			b.WriteString(`<xhtml:link rel="alternate" hreflang="ar" href="` + xmlEscape(base+path) + `"/>`)
			b.WriteString(`<xhtml:link rel="alternate" hreflang="en" href="` + xmlEscape(base+ui.LangURL("en", path)) + `"/>`)
			b.WriteString("</url>\n")
			n++
		}
	}
	add("/")
	cs, err := s.d.Catalog.Categories(ctx)
	if err != nil {
		return s.fail(c, nil, err)
	}
	for _, cat := range cs {
		if cat.Total > 0 {
			add("/categories/" + url.PathEscape(cat.Slug))
		}
	}
	q := catalog.Query{Limit: catalog.MaxPageSize}
	for n < 50000-2*catalog.MaxPageSize {
		page, err := s.d.Catalog.List(ctx, q)
		if err != nil {
			return s.fail(c, nil, err)
		}
		for _, p := range page.Items {
			add("/products/" + url.PathEscape(p.Slug))
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	b.WriteString("</urlset>\n")
	c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(b.Bytes())
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

// message is an error's text for a person in lang.
func (s *Site) message(lang string, err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		if len(e.Fields) > 0 {
			return s.d.Texts.Message(lang, e.Fields[0].Msg)
		}
		return s.d.Texts.Message(lang, e.Msg)
	}
	return s.d.Texts.Text(lang, "storefront.error.body", nil)
}
