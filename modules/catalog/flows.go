package catalog

import (
	"context"
	"errors"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"

	"concierge/internal/arabic"
	"concierge/internal/errs"
	"concierge/internal/money"
	"concierge/modules/whatsapp/dialog"
)

// Flows is the catalog's part of the WhatsApp conversation (a
// dialog.Capability named "catalog"): browsing categories, product lists and
// details, choosing a variant, free-text search and the storefront's "Chat to
// order" hand-over. It reads the catalog through the Service's cached reads,
// in the tenant carried by the turn's context.
//
// # Reply ids
//
//	menu:catalog                           top-level categories
//	catalog:cat:<categoryID>               a category: its sub-categories, or its products
//	catalog:all:<categoryID>               every product of a category and its sub-categories
//	catalog:p:<productID>                  product detail
//	catalog:v:<productID>                  the product's variants, to choose one
//	catalog:vs:<productID>:<variantID>     a variant chosen
//	catalog:like:<productID>               more like this (the product's category, without it)
//	catalog:more:cats:<parentID|top>:<n>   categories from the n-th on
//	catalog:more:cat:<categoryID>:<cursor> the next page of a category's products
//	catalog:more:like:<productID>:<cursor> the next page of "more like this"
//	catalog:more:q:<query>:<cursor>        the next page of a search (a query too
//	                                       long for the id is kept in the state:
//	                                       catalog:more:q:<cursor>)
//	catalog:more:v:<productID>:<n>         variants from the n-th on
//
// A variant id carries its product, so a tap on an old message still works
// without state. Every id stays within WhatsApp's 200 characters (the
// longest with UUIDs, a variant's, is 84 bytes).
//
// # Steps and state
//
// State.Step is "catalog:categories", "catalog:products", "catalog:search",
// "catalog:product", "catalog:variants", "catalog:variant",
// "catalog:no_results" or "catalog:not_found". State.Data keeps
// "catalog.category" (the category shown last), "catalog.product" and
// "catalog.variant" (the product shown and the variant chosen: what a cart
// would add) and "catalog.query" (the last search, for its "More" row).
//
// # Free text
//
// The engine offers a capability only the texts that no built-in intent
// (greeting, menu, help, agent, language, stop) took, so the catalog claims
// every such text, except while a hand-off to a person is pending and,
// unless it carries a SKU, while the store has nothing on display (the
// engine's "didn't understand" with the menu is the better answer then):
//
//   - a text carrying "SKU: <sku>" or "رمز المنتج: <sku>" anywhere (the
//     storefront's Chat to order message, see ChatToOrderText) opens that
//     product with that variant chosen;
//   - a thank-you or an "ok" gets a short friendly answer;
//   - a text with fewer than two letters (empty, emoji, numbers only) or only
//     request words ("do you have") gets the categories;
//   - anything else is a search, request words stripped ("ابحث عن عباية" →
//     "عباية"); no match gets a helpful answer with Browse and Talk to staff.
//
// # Meta catalog
//
// When the tenant has a Meta catalog (Tenant.MetaCatalogID), product
// details are product messages (the variant's SKU as retailer id) and a
// category's products a product_list (up to 30, in sections by
// sub-category); everything else stays the same.
type Flows struct {
	svc *Service
	// Texts overrides the default texts per tenant (nil: defaults only); the
	// conversation worker's text overrides work here as they do for the
	// engine. DefaultFlowTexts lists the keys.
	Texts dialog.Overrides
	// Cart offers "Add to cart" on a product and a chosen variant. It is nil
	// until the cart capability exists: no add-to-cart button is shown then.
	Cart CartOffer
}

// CartOffer is the cart capability's hook into the product steps.
type CartOffer interface {
	// AddButton returns the button that puts variant v of p into the
	// customer's cart, titled in req.Locale() within dialog.MaxButtonTitle
	// runes, with an id the cart capability owns ("cart:..."), or false when
	// it cannot be offered now (v unavailable, cart full, ...).
	AddButton(ctx context.Context, req dialog.Request, p Product, v Variant) (dialog.Option, bool)
}

// NewFlows returns the catalog's conversation steps over svc.
func NewFlows(svc *Service) *Flows { return &Flows{svc: svc} }

// FlowsName is the capability's name: its reply-id and step prefix.
const FlowsName = "catalog"

// Page sizes: a list keeps one of its ten rows for "More"; a product_list
// holds up to 30 products.
const (
	listPage = dialog.MaxListRows - 1
	metaPage = 30
)

// Keys the flows keep in State.Data.
const (
	dataCategory = "catalog.category"
	dataProduct  = "catalog.product"
	dataVariant  = "catalog.variant"
	dataQuery    = "catalog.query"
)

// Steps the flows write to State.Step.
const (
	stepCategories = FlowsName + ":categories"
	stepProducts   = FlowsName + ":products"
	stepSearch     = FlowsName + ":search"
	stepProduct    = FlowsName + ":product"
	stepVariants   = FlowsName + ":variants"
	stepVariant    = FlowsName + ":variant"
	stepNoResults  = FlowsName + ":no_results"
	stepNotFound   = FlowsName + ":not_found"
)

const idMenu = dialog.IDMenuPrefix + FlowsName

// maxID is WhatsApp's limit on a list row id, in bytes to be safe.
const maxID = 200

// Name implements dialog.Capability.
func (f *Flows) Name() string { return FlowsName }

// MenuEntry implements dialog.Capability: "Browse products".
func (f *Flows) MenuEntry(locale string) (dialog.Option, bool) {
	return dialog.Option{ID: idMenu, Title: defaultText("catalog.menu.title", locale),
		Description: defaultText("catalog.menu.desc", locale)}, true
}

// Handle implements dialog.Capability. Errors are the service's, other than
// not_found (answered) and an invalid cursor (the list starts over).
func (f *Flows) Handle(ctx context.Context, req dialog.Request) (dialog.Result, bool, error) {
	t := &turn{f: f, ctx: ctx, req: req, locale: req.Locale(), meta: strings.TrimSpace(req.Tenant.MetaCatalogID)}
	t.res.State = req.State
	t.res.State.Data = maps.Clone(req.State.Data)
	if t.res.State.Data == nil {
		t.res.State.Data = map[string]string{}
	}
	var (
		claimed bool
		err     error
	)
	switch req.In.Kind {
	case dialog.KindButtonReply, dialog.KindListReply, dialog.KindTemplateButton:
		if id := strings.TrimSpace(req.In.ReplyID); id != "" {
			claimed, err = t.route(id)
		}
	case dialog.KindText:
		if req.State.Step != dialog.StepHandoff {
			claimed, err = t.freeText(req.In.Text)
		}
	}
	if err != nil || !claimed {
		return dialog.Result{}, false, err
	}
	return t.res, true, nil
}

// turn is the working state of one Handle call.
type turn struct {
	f      *Flows
	ctx    context.Context
	req    dialog.Request
	locale string
	meta   string // the tenant's Meta catalog id, "" when none
	res    dialog.Result
	tree   *tree // loaded on first use
}

// route answers a reply id; false for an id the catalog does not know
// (the engine answers it).
func (t *turn) route(id string) (bool, error) {
	if id == idMenu {
		return true, t.categories(0)
	}
	rest, ok := strings.CutPrefix(id, FlowsName+":")
	if !ok {
		return false, nil
	}
	p := strings.Split(rest, ":")
	uid := func(i int) (uuid.UUID, bool) {
		if i >= len(p) {
			return uuid.Nil, false
		}
		u, err := uuid.Parse(p[i])
		return u, err == nil
	}
	num := func(i int) (int, bool) {
		if i >= len(p) {
			return 0, false
		}
		n, err := strconv.Atoi(p[i])
		return n, err == nil && n >= 0 && n < 10000
	}
	switch {
	case len(p) == 2 && p[0] == "cat":
		if c, ok := uid(1); ok {
			return true, t.openCategory(c)
		}
	case len(p) == 2 && p[0] == "all":
		if c, ok := uid(1); ok {
			return true, t.categoryProducts(c, "")
		}
	case len(p) == 2 && p[0] == "p":
		if pid, ok := uid(1); ok {
			return true, t.product(pid)
		}
	case len(p) == 2 && p[0] == "v":
		if pid, ok := uid(1); ok {
			return true, t.variants(pid, 0)
		}
	case len(p) == 3 && p[0] == "vs":
		pid, ok1 := uid(1)
		vid, ok2 := uid(2)
		if ok1 && ok2 {
			return true, t.chooseVariant(pid, vid)
		}
	case len(p) == 2 && p[0] == "like":
		if pid, ok := uid(1); ok {
			return true, t.like(pid, "")
		}
	case len(p) == 4 && p[0] == "more" && p[1] == "cats":
		n, ok := num(3)
		if !ok {
			break
		}
		if p[2] == "top" {
			return true, t.categories(n)
		}
		if c, ok := uid(2); ok {
			return true, t.subCategories(c, n)
		}
	case len(p) == 4 && p[0] == "more" && p[1] == "cat":
		if c, ok := uid(2); ok && p[3] != "" {
			return true, t.categoryProducts(c, p[3])
		}
	case len(p) == 4 && p[0] == "more" && p[1] == "like":
		if pid, ok := uid(2); ok && p[3] != "" {
			return true, t.like(pid, p[3])
		}
	case len(p) >= 3 && p[0] == "more" && p[1] == "q" && p[len(p)-1] != "":
		q := strings.Join(p[2:len(p)-1], ":")
		if q == "" {
			q = t.res.State.Data[dataQuery]
		}
		if q == "" { // the search is forgotten: start browsing instead
			return true, t.categories(0)
		}
		return true, t.search(q, p[len(p)-1])
	case len(p) == 4 && p[0] == "more" && p[1] == "v":
		pid, ok1 := uid(2)
		n, ok2 := num(3)
		if ok1 && ok2 {
			return true, t.variants(pid, n)
		}
	}
	return false, nil
}

// freeText answers a typed message; false leaves it to the engine (a
// store with nothing on display has nothing to search).
func (t *turn) freeText(s string) (bool, error) {
	if sku := ExtractSKU(s); sku != "" {
		return true, t.chatToOrder(sku)
	}
	tr, err := t.loadTree()
	if err != nil || len(tr.visible(uuid.Nil)) == 0 {
		return false, err
	}
	if isCourtesy(s) {
		t.step(stepCategories)
		t.buttons(t.text("catalog.thanks"), t.browseButton())
		return true, nil
	}
	q := searchText(s)
	if letters(q) < 2 {
		return true, t.categories(0)
	}
	return true, t.search(q, "")
}

// ---- categories ----

// tree is the tenant's category tree as the flows use it.
type tree struct {
	byID     map[uuid.UUID]Category
	children map[uuid.UUID][]Category // uuid.Nil: top level; in tree order
	total    map[uuid.UUID]int        // active products in the category and below
}

func (t *turn) loadTree() (*tree, error) {
	if t.tree != nil {
		return t.tree, nil
	}
	cs, err := t.f.svc.Categories(t.ctx)
	if err != nil {
		return nil, err
	}
	tr := &tree{byID: make(map[uuid.UUID]Category, len(cs)), children: map[uuid.UUID][]Category{}, total: map[uuid.UUID]int{}}
	for _, c := range cs {
		tr.byID[c.ID] = c
	}
	for _, c := range cs {
		parent := uuid.Nil
		if c.ParentID != nil {
			if _, ok := tr.byID[*c.ParentID]; ok {
				parent = *c.ParentID
			}
		}
		tr.children[parent] = append(tr.children[parent], c)
	}
	for _, c := range cs {
		tr.total[c.ID] = c.Total
	}
	t.tree = tr
	return tr, nil
}

// visible returns the children of parent (uuid.Nil: top level) that have
// products.
func (tr *tree) visible(parent uuid.UUID) []Category {
	var out []Category
	for _, c := range tr.children[parent] {
		if tr.total[c.ID] > 0 {
			out = append(out, c)
		}
	}
	return out
}

// depth is the number of ancestors of id.
func (tr *tree) depth(id uuid.UUID) int {
	n := 0
	for c, ok := tr.byID[id]; ok && c.ParentID != nil && n < 32; c, ok = tr.byID[*c.ParentID] {
		n++
	}
	return n
}

// categories sends the top-level categories from the offset-th on.
func (t *turn) categories(offset int) error {
	tr, err := t.loadTree()
	if err != nil {
		return err
	}
	cs := tr.visible(uuid.Nil)
	if len(cs) == 0 {
		t.step(stepNotFound)
		t.buttons(t.text("catalog.empty"), t.staffButton())
		return nil
	}
	rows := make([]dialog.Option, 0, len(cs))
	for _, c := range cs {
		rows = append(rows, t.categoryRow(c, tr))
	}
	t.step(stepCategories)
	delete(t.res.State.Data, dataCategory)
	t.pagedList(t.text("catalog.categories.body"), t.text("catalog.categories.button"), rows, offset,
		"catalog:more:cats:top:", t.text("catalog.more.categories"))
	return nil
}

// openCategory shows a category's sub-categories, or its products when it
// has none.
func (t *turn) openCategory(id uuid.UUID) error {
	tr, err := t.loadTree()
	if err != nil {
		return err
	}
	if _, ok := tr.byID[id]; !ok {
		return t.notFound("catalog.category.none")
	}
	if len(tr.visible(id)) > 0 {
		return t.subCategories(id, 0)
	}
	return t.categoryProducts(id, "")
}

// subCategories lists a category's sub-categories from the offset-th on,
// after an "All in <name>" row.
func (t *turn) subCategories(id uuid.UUID, offset int) error {
	tr, err := t.loadTree()
	if err != nil {
		return err
	}
	c, ok := tr.byID[id]
	if !ok {
		return t.notFound("catalog.category.none")
	}
	name := c.Name(t.locale)
	rows := []dialog.Option{{
		ID:          "catalog:all:" + id.String(),
		Title:       t.text("catalog.all.title", "{category}", name),
		Description: t.text("catalog.all.desc", "{category}", name, "{count}", t.count(tr.total[id])),
	}}
	for _, sub := range tr.visible(id) {
		rows = append(rows, t.categoryRow(sub, tr))
	}
	t.step(stepCategories)
	t.res.State.Data[dataCategory] = id.String()
	t.pagedList(t.text("catalog.subcategories.body", "{category}", name), t.text("catalog.categories.button"), rows, offset,
		"catalog:more:cats:"+id.String()+":", t.text("catalog.more.categories"))
	return nil
}

func (t *turn) categoryRow(c Category, tr *tree) dialog.Option {
	return dialog.Option{ID: "catalog:cat:" + c.ID.String(), Title: c.Name(t.locale), Description: t.count(tr.total[c.ID])}
}

// pagedList sends rows[offset:] as a list; past ten rows the tenth is
// "More", with id morePrefix + the next offset.
func (t *turn) pagedList(body, button string, rows []dialog.Option, offset int, morePrefix, moreDesc string) {
	if offset >= len(rows) {
		offset = 0
	}
	rows = rows[offset:]
	if len(rows) > dialog.MaxListRows {
		next := offset + listPage
		rows = append(rows[:listPage:listPage], t.moreRow(morePrefix+strconv.Itoa(next), moreDesc))
	}
	t.list(body, button, rows)
}

func (t *turn) moreRow(id, desc string) dialog.Option {
	return dialog.Option{ID: id, Title: t.text("catalog.more.title"), Description: desc}
}

// ---- product lists ----

// categoryProducts lists the products of a category and its sub-categories
// from cursor on.
func (t *turn) categoryProducts(id uuid.UUID, cursor string) error {
	tr, err := t.loadTree()
	if err != nil {
		return err
	}
	c, ok := tr.byID[id]
	if !ok {
		return t.notFound("catalog.category.none")
	}
	size := listPage
	if t.meta != "" {
		size = metaPage
	}
	page, err := t.query(Query{Category: id.String(), Cursor: cursor, Limit: size})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return t.notFound("catalog.category.none")
		}
		return err
	}
	name := c.Name(t.locale)
	t.res.State.Data[dataCategory] = id.String()
	if len(page.Items) == 0 {
		t.step(stepNotFound)
		t.buttons(t.text("catalog.products.none", "{category}", name), t.browseButton(), t.staffButton())
		return nil
	}
	t.step(stepProducts)
	more := ""
	if page.NextCursor != "" {
		more = "catalog:more:cat:" + id.String() + ":" + page.NextCursor
	}
	if t.meta != "" {
		t.productList(c, tr, page.Items)
		if more != "" {
			t.buttons(t.text("catalog.products.meta_more", "{category}", name),
				dialog.Option{ID: more, Title: t.text("catalog.more.button")}, t.browseButton())
		}
		return nil
	}
	t.productRows(t.text("catalog.products.body", "{category}", name), page.Items, more)
	return nil
}

// query runs a product query; a cursor the service rejects (from an old or
// altered message) starts the list over.
func (t *turn) query(q Query) (Page, error) {
	page, err := t.f.svc.List(t.ctx, q)
	if err != nil && q.Cursor != "" && errs.CodeOf(err) == errs.CodeInvalid {
		q.Cursor = ""
		return t.f.svc.List(t.ctx, q)
	}
	return page, err
}

// productRows sends products as a list, with a "More" row when more is set.
func (t *turn) productRows(body string, ps []Product, more string) {
	rows := make([]dialog.Option, 0, len(ps)+1)
	for _, p := range ps {
		rows = append(rows, dialog.Option{
			ID:          "catalog:p:" + p.ID.String(),
			Title:       p.Title(t.locale),
			Description: t.productLine(p),
		})
	}
	if more != "" {
		rows = append(rows, t.moreRow(more, t.text("catalog.more.products")))
	}
	t.list(body, t.text("catalog.products.button"), rows)
}

// productList sends products of category c as a Meta product_list, in
// sections by the sub-category (child of c) they belong to.
func (t *turn) productList(c Category, tr *tree, ps []Product) {
	children := tr.visible(c.ID)
	// section of each category below c: the child of c it descends from
	sectionOf := map[uuid.UUID]int{}
	for i, ch := range children {
		var mark func(id uuid.UUID, depth int)
		mark = func(id uuid.UUID, depth int) {
			sectionOf[id] = i + 1
			if depth < 32 {
				for _, g := range tr.children[id] {
					mark(g.ID, depth+1)
				}
			}
		}
		mark(ch.ID, 0)
	}
	skus := make([][]string, len(children)+1) // 0: c itself
	for _, p := range ps {
		v, ok := representative(p)
		if !ok {
			continue
		}
		s := 0
		for _, ref := range p.Categories {
			if i, ok := sectionOf[ref.ID]; ok {
				s = i
				break
			}
		}
		skus[s] = append(skus[s], v.SKU)
	}
	var sections []dialog.ProductSection
	for i, ids := range skus {
		if len(ids) == 0 {
			continue
		}
		title := c.Name(t.locale)
		if i > 0 {
			title = children[i-1].Name(t.locale)
		}
		sections = append(sections, dialog.ProductSection{Title: clipWords(title, dialog.MaxListTitle), SKUs: ids})
	}
	t.res.Replies = append(t.res.Replies, dialog.Reply{
		Kind: dialog.ReplyProductList, Header: clipWords(c.Name(t.locale), 60),
		Body:      t.text("catalog.products.meta_body", "{category}", c.Name(t.locale)),
		CatalogID: t.meta, Sections: sections,
	})
}

// representative is the variant that stands for p in a product_list: the
// first available one, else the first.
func representative(p Product) (Variant, bool) {
	for _, v := range p.Variants {
		if v.Available() {
			return v, true
		}
	}
	if len(p.Variants) > 0 {
		return p.Variants[0], true
	}
	return Variant{}, false
}

// ---- search ----

// search lists the best matches of q from cursor on.
func (t *turn) search(q, cursor string) error {
	page, err := t.query(Query{Q: q, Cursor: cursor, Limit: listPage})
	if err != nil {
		return err
	}
	shown := clipWords(q, 60)
	t.res.State.Data[dataQuery] = q
	if len(page.Items) == 0 {
		t.step(stepNoResults)
		t.buttons(t.text("catalog.search.none", "{query}", shown), t.browseButton(), t.staffButton())
		return nil
	}
	t.step(stepSearch)
	more := ""
	if page.NextCursor != "" {
		more = "catalog:more:q:" + q + ":" + page.NextCursor
		if len(more) > maxID { // too long to carry: the state keeps the query
			more = "catalog:more:q:" + page.NextCursor
		}
	}
	t.productRows(t.text("catalog.search.body", "{query}", shown), page.Items, more)
	return nil
}

// ---- product detail ----

// product shows a product's detail.
func (t *turn) product(id uuid.UUID) error {
	p, err := t.f.svc.Product(t.ctx, id.String())
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return t.notFound("catalog.product.none")
		}
		return err
	}
	if len(p.Variants) == 1 {
		return t.detail(p, &p.Variants[0], false)
	}
	return t.detail(p, nil, false)
}

// chatToOrder opens the product of sku with that variant chosen.
func (t *turn) chatToOrder(sku string) error {
	p, err := t.f.svc.ProductBySKU(t.ctx, sku)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			t.step(stepNotFound)
			t.buttons(t.text("catalog.sku.none", "{sku}", clipWords(sku, 64)), t.browseButton(), t.staffButton())
			return nil
		}
		return err
	}
	for i := range p.Variants {
		if strings.EqualFold(p.Variants[i].SKU, sku) {
			return t.detail(p, &p.Variants[i], true)
		}
	}
	return t.detail(p, nil, false)
}

// detail sends a product's picture and caption (or its Meta catalog
// card), then its buttons. chosen is the variant the customer chose, or the
// only one; shown says the customer chose it (its option and SKU are named).
func (t *turn) detail(p *Product, chosen *Variant, shown bool) error {
	tr, err := t.loadTree()
	if err != nil {
		return err
	}
	var lines []string
	if shown && chosen != nil {
		if opts := optionLabel(*chosen, t.locale); opts != "" {
			lines = append(lines, t.text("catalog.detail.option", "{options}", opts))
		}
		lines = append(lines, t.text("catalog.detail.sku", "{sku}", chosen.SKU))
	}
	stock := t.stockText(p.InStock)
	if chosen != nil {
		stock = t.stockText(chosen.Available())
	}
	if t.meta != "" {
		sku := ""
		if chosen != nil {
			sku = chosen.SKU
		} else if v, ok := representative(*p); ok {
			sku = v.SKU
		}
		t.res.Replies = append(t.res.Replies, dialog.Reply{Kind: dialog.ReplyProduct,
			Body: strings.Join(append(lines, stock), "\n"), CatalogID: t.meta, ProductRetailerID: sku})
	} else {
		price := t.productPrice(*p)
		if chosen != nil {
			price = t.variantPrice(*chosen)
		}
		caption := "*" + p.Title(t.locale) + "*\n" + strings.Join(append(append([]string{price}, lines...), stock), "\n")
		if d := strings.TrimSpace(p.Description(t.locale)); d != "" {
			caption += "\n\n" + clipWords(d, 300)
		}
		if len(p.Media) > 0 && p.Media[0].URL != "" {
			t.res.Replies = append(t.res.Replies, dialog.Reply{Kind: dialog.ReplyImage, ImageURL: p.Media[0].URL, Body: caption})
		} else {
			t.res.Replies = append(t.res.Replies, dialog.Reply{Kind: dialog.ReplyText, Body: caption})
		}
	}
	var first []dialog.Option
	if add, ok := t.cartButton(p, chosen); ok {
		first = append(first, add)
	}
	if len(p.Variants) > 1 {
		first = append(first, dialog.Option{ID: "catalog:v:" + p.ID.String(), Title: t.text("catalog.detail.choose", "{option}", t.optionName(*p))})
	}
	first = append(first, t.likeButton(p))
	t.buttons(t.text("catalog.detail.prompt"), append(first[:min(len(first), 2)], t.backButton(p, tr))...)
	t.step(stepProduct)
	t.remember(p, chosen, shown, tr)
	return nil
}

// remember keeps the product, the chosen variant and the product's category
// in the state.
func (t *turn) remember(p *Product, chosen *Variant, shown bool, tr *tree) {
	t.res.State.Data[dataProduct] = p.ID.String()
	if chosen != nil && shown {
		t.res.State.Data[dataVariant] = chosen.ID.String()
	} else {
		delete(t.res.State.Data, dataVariant)
	}
	if c, ok := homeCategory(p, tr); ok {
		t.res.State.Data[dataCategory] = c.String()
	}
}

// variants lists a product's variants from the offset-th on.
func (t *turn) variants(pid uuid.UUID, offset int) error {
	p, err := t.f.svc.Product(t.ctx, pid.String())
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return t.notFound("catalog.product.none")
		}
		return err
	}
	if len(p.Variants) <= 1 {
		return t.product(pid)
	}
	rows := make([]dialog.Option, 0, len(p.Variants))
	for _, v := range p.Variants {
		title := optionLabel(v, t.locale)
		if title == "" {
			title = v.SKU
		}
		rows = append(rows, dialog.Option{
			ID:          "catalog:vs:" + p.ID.String() + ":" + v.ID.String(),
			Title:       title,
			Description: t.variantPrice(v) + " · " + t.stockText(v.Available()),
		})
	}
	t.step(stepVariants)
	t.res.State.Data[dataProduct] = p.ID.String()
	t.pagedList(t.text("catalog.variants.body", "{product}", p.Title(t.locale), "{option}", t.optionName(*p)),
		t.text("catalog.variants.button"), rows, offset, "catalog:more:v:"+p.ID.String()+":", t.text("catalog.more.options"))
	return nil
}

// chooseVariant confirms the customer's choice of a variant.
func (t *turn) chooseVariant(pid, vid uuid.UUID) error {
	p, err := t.f.svc.Product(t.ctx, pid.String())
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return t.notFound("catalog.product.none")
		}
		return err
	}
	i := slices.IndexFunc(p.Variants, func(v Variant) bool { return v.ID == vid })
	if i < 0 { // the variant is gone: show what there is now
		return t.variants(pid, 0)
	}
	tr, err := t.loadTree()
	if err != nil {
		return err
	}
	v := p.Variants[i]
	opts := optionLabel(v, t.locale)
	if opts == "" {
		opts = v.SKU
	}
	stock := t.stockText(true)
	if !v.Available() {
		stock = t.text("catalog.variant.out")
	}
	body := t.text("catalog.variant.chosen", "{product}", p.Title(t.locale), "{options}", opts, "{sku}", v.SKU,
		"{price}", t.variantPrice(v), "{stock}", stock)
	var first []dialog.Option
	if add, ok := t.cartButton(p, &v); ok {
		first = append(first, add)
	}
	if !v.Available() && slices.ContainsFunc(p.Variants, Variant.Available) {
		first = append(first, dialog.Option{ID: "catalog:v:" + p.ID.String(), Title: t.text("catalog.variant.another")})
	}
	first = append(first, t.likeButton(p))
	t.buttons(body, append(first[:min(len(first), 2)], t.backButton(p, tr))...)
	t.step(stepVariant)
	t.remember(p, &v, true, tr)
	return nil
}

// like lists products of the product's category, without it, from cursor on.
func (t *turn) like(pid uuid.UUID, cursor string) error {
	p, err := t.f.svc.Product(t.ctx, pid.String())
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return t.notFound("catalog.product.none")
		}
		return err
	}
	tr, err := t.loadTree()
	if err != nil {
		return err
	}
	title := p.Title(t.locale)
	var items []Product
	more := ""
	if c, ok := homeCategory(p, tr); ok {
		page, err := t.query(Query{Category: c.String(), Cursor: cursor, Limit: listPage})
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		for _, it := range page.Items {
			if it.ID != p.ID {
				items = append(items, it)
			}
		}
		if page.NextCursor != "" {
			more = "catalog:more:like:" + p.ID.String() + ":" + page.NextCursor
		}
	}
	if len(items) == 0 && more == "" {
		t.step(stepNotFound)
		t.buttons(t.text("catalog.like.none", "{product}", title), t.backButton(p, tr), t.browseButton())
		return nil
	}
	t.step(stepProducts)
	t.res.State.Data[dataProduct] = p.ID.String()
	t.productRows(t.text("catalog.like.body", "{product}", title), items, more)
	return nil
}

// homeCategory is the category a product is shown under: the deepest of its
// categories that still exists.
func homeCategory(p *Product, tr *tree) (uuid.UUID, bool) {
	best, depth := uuid.Nil, -1
	for _, ref := range p.Categories {
		if _, ok := tr.byID[ref.ID]; !ok {
			continue
		}
		if d := tr.depth(ref.ID); d > depth {
			best, depth = ref.ID, d
		}
	}
	return best, depth >= 0
}

// ---- buttons ----

func (t *turn) cartButton(p *Product, v *Variant) (dialog.Option, bool) {
	if t.f.Cart == nil || v == nil || !v.Available() {
		return dialog.Option{}, false
	}
	return t.f.Cart.AddButton(t.ctx, t.req, *p, *v)
}

func (t *turn) likeButton(p *Product) dialog.Option {
	return dialog.Option{ID: "catalog:like:" + p.ID.String(), Title: t.text("catalog.detail.like")}
}

// backButton leads to the product's category, or to the categories.
func (t *turn) backButton(p *Product, tr *tree) dialog.Option {
	id := idMenu
	if c, ok := homeCategory(p, tr); ok {
		id = "catalog:cat:" + c.String()
	}
	return dialog.Option{ID: id, Title: t.text("catalog.detail.back")}
}

func (t *turn) browseButton() dialog.Option {
	return dialog.Option{ID: idMenu, Title: t.text("catalog.browse")}
}

func (t *turn) staffButton() dialog.Option {
	return dialog.Option{ID: dialog.IDHandoff, Title: t.text("catalog.staff")}
}

// notFound answers a tap on something that no longer exists.
func (t *turn) notFound(key string) error {
	t.step(stepNotFound)
	t.buttons(t.text(key), t.browseButton(), t.staffButton())
	return nil
}

// ---- replies ----

func (t *turn) step(s string) { t.res.State.Step = s }

// buttons appends a buttons reply, titles clipped to WhatsApp's limit.
func (t *turn) buttons(body string, opts ...dialog.Option) {
	opts = slices.Clone(opts[:min(len(opts), dialog.MaxButtons)])
	for i := range opts {
		opts[i].Title = clipWords(opts[i].Title, dialog.MaxButtonTitle)
		opts[i].Description = ""
	}
	t.res.Replies = append(t.res.Replies, dialog.Reply{Kind: dialog.ReplyButtons, Body: body, Options: opts})
}

// list appends a list reply, rows and titles clipped to WhatsApp's limits.
func (t *turn) list(body, button string, rows []dialog.Option) {
	rows = slices.Clone(rows[:min(len(rows), dialog.MaxListRows)])
	for i := range rows {
		rows[i].Title = clipWords(rows[i].Title, dialog.MaxListTitle)
		rows[i].Description = clipWords(rows[i].Description, dialog.MaxListDescription)
	}
	t.res.Replies = append(t.res.Replies, dialog.Reply{Kind: dialog.ReplyList, Body: body,
		ListButton: clipWords(button, dialog.MaxListButton), Options: rows})
}

// ---- texts ----

// text returns the tenant's text for key in the turn's locale, or the
// default, with the placeholders (pairs of "{name}", value) filled.
func (t *turn) text(key string, pairs ...string) string {
	s, ok := "", false
	if t.f.Texts != nil {
		s, ok = t.f.Texts.Lookup(t.ctx, key, t.locale)
	}
	if !ok || strings.TrimSpace(s) == "" {
		s = defaultText(key, t.locale)
	}
	if len(pairs) == 0 {
		return s
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// count is "12 products" in the turn's locale, with the CLDR plural form
// (Arabic has six) and Arabic-Indic digits in Arabic.
func (t *turn) count(n int) string {
	return t.text(countKey(t.locale, n), "{n}", localDigits(strconv.Itoa(n), t.locale))
}

// countKey is the text key of the plural form of n in locale.
func countKey(locale string, n int) string {
	tag := language.English
	if locale == dialog.LocaleAR {
		tag = language.Arabic
	}
	form := "other"
	switch plural.Cardinal.MatchPlural(tag, n%10000000, 0, 0, 0, 0) {
	case plural.Zero:
		form = "zero"
	case plural.One:
		form = "one"
	case plural.Two:
		form = "two"
	case plural.Few:
		form = "few"
	case plural.Many:
		form = "many"
	}
	return "catalog.count." + form
}

// localDigits writes ASCII digits as Arabic-Indic ones in Arabic.
func localDigits(s, locale string) string {
	if locale != dialog.LocaleAR {
		return s
	}
	return strings.Map(func(r rune) rune {
		if '0' <= r && r <= '9' {
			return '٠' + (r - '0')
		}
		return r
	}, s)
}

func (t *turn) stockText(available bool) string {
	if available {
		return t.text("catalog.stock.in")
	}
	return t.text("catalog.stock.out")
}

func (t *turn) money(minor int64, currency string) string {
	return money.Format(money.Amount{Minor: minor, Currency: currency}, t.locale)
}

// productPrice is a product's price: "from X" when its variants differ,
// "X (was Y)" when its one price is reduced.
func (t *turn) productPrice(p Product) string {
	if p.MinPrice != p.MaxPrice {
		return t.text("catalog.price.from", "{price}", t.money(p.MinPrice, p.Currency))
	}
	for _, v := range p.Variants {
		if v.Price == p.MinPrice && v.CompareAt > v.Price {
			return t.variantPrice(v)
		}
	}
	return t.money(p.MinPrice, p.Currency)
}

// variantPrice is a variant's price, with the price it replaces when on sale.
func (t *turn) variantPrice(v Variant) string {
	price := t.money(v.Price, v.Currency)
	if v.CompareAt > v.Price {
		return t.text("catalog.price.sale", "{price}", price, "{was}", t.money(v.CompareAt, v.Currency))
	}
	return price
}

// productLine is a product's list row description: price and stock.
func (t *turn) productLine(p Product) string {
	return t.productPrice(p) + " · " + t.stockText(p.InStock)
}

// optionName names what a product's variants differ in: "size" when only
// the size varies, "option" otherwise.
func (t *turn) optionName(p Product) string {
	varying := map[string]bool{}
	for _, v := range p.Variants {
		for _, o := range v.Options {
			for _, w := range p.Variants {
				if val, ok := optionValue(w, o.Name); !ok || val != o.Value {
					varying[strings.ToLower(strings.TrimSpace(o.Name))] = true
				}
			}
		}
	}
	if len(varying) == 1 {
		for name := range varying {
			if k := "catalog.option." + name; defaultText(k, t.locale) != "" {
				return t.text(k)
			}
		}
	}
	return t.text("catalog.option.any")
}

func optionValue(v Variant, name string) (string, bool) {
	for _, o := range v.Options {
		if strings.EqualFold(o.Name, name) {
			return o.Value, true
		}
	}
	return "", false
}

// optionLabel is a variant's option values in locale, "Black / M" or
// "أسود / M".
func optionLabel(v Variant, locale string) string {
	vals := make([]string, 0, len(v.Options))
	for _, o := range v.Options {
		if s := strings.TrimSpace(o.ValueIn(locale)); s != "" {
			vals = append(vals, s)
		}
	}
	return strings.Join(vals, " / ")
}

// ---- text helpers ----

// clipWords shortens s to at most n runes, ending with "…" after a whole
// word when one ends in the second half, never between a letter and its
// combining marks. Line breaks become spaces.
func clipWords(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	r := []rune(s)
	cut := n - 1 // keep r[:cut]
	for i := cut; i > n/2; i-- {
		if r[i] == ' ' {
			cut = i
			break
		}
	}
	for cut > 0 && unicode.Is(unicode.Mn, r[cut]) {
		cut--
	}
	return strings.TrimRightFunc(string(r[:cut]), func(c rune) bool {
		return unicode.IsSpace(c) || strings.ContainsRune(",،;:-–—(", c)
	}) + "…"
}

// letters counts the letters of s.
func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

// skuPattern finds "SKU: X" or "رمز المنتج: X" (also "SKU X", "SKU#X");
// group 1 is the separator, group 2 the SKU.
var skuPattern = regexp.MustCompile(`(?i)(?:\bsku|رمز المنتج)(\s*[:：#]?\s*)([A-Za-z0-9][^\s()\[\]{}<>«»"'،,;]*)`)

// ExtractSKU returns the SKU a message carries as "SKU: <sku>" or
// "رمز المنتج: <sku>" anywhere in it (case-insensitive; Arabic-Indic digits
// and bidi marks are tolerated), or "". The last such mention wins, so a
// title that names a SKU does not hide the one ChatToOrderText appends;
// without a colon ("SKU ABY-001") the code must contain a digit, so "sku
// bag" is not read as a code.
func ExtractSKU(text string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r == '\u200e' || r == '\u200f' || r == '\u061c' || r == '\ufeff' || 0x202a <= r && r <= 0x202e || 0x2066 <= r && r <= 0x2069:
			return -1
		}
		return r
	}, arabic.DigitsToASCII(text))
	var colon, bare string
	for _, m := range skuPattern.FindAllStringSubmatch(clean, -1) {
		sku := strings.TrimRight(m[2], ".:!?؟")
		if sku == "" || len(sku) > 64 {
			continue
		}
		switch {
		case strings.ContainsAny(m[1], ":：#"):
			colon = sku
		case strings.ContainsAny(sku, "0123456789"):
			bare = sku
		}
	}
	if colon != "" {
		return colon
	}
	return bare
}

// ChatToOrderText is the WhatsApp message the storefront pre-fills for
// "Chat to order": "أرغب في طلب: <title> (SKU: <sku>)" in Arabic, "I'd like
// to order: <title> (SKU: <sku>)" otherwise. The flows read the SKU back
// with ExtractSKU and open that product with that variant chosen.
func ChatToOrderText(locale, title, sku string) string {
	title = strings.Join(strings.Fields(title), " ")
	sku = strings.TrimSpace(sku)
	if locale == dialog.LocaleAR || strings.HasPrefix(strings.ToLower(locale), "ar-") {
		return "أرغب في طلب: " + title + " (SKU: " + sku + ")"
	}
	return "I'd like to order: " + title + " (SKU: " + sku + ")"
}

// requestWords wrap a search ("ابحث عن عباية", "do you have black abaya?"),
// in normalised form; searchText drops them from both ends.
var requestWords = map[string]bool{
	"ابحث": true, "ابحثي": true, "بحث": true, "دور": true, "دورلي": true, "عن": true, "ابغي": true, "ابغا": true, "ابغى": true,
	"ابي": true, "اريد": true, "بدي": true, "ودي": true, "عندكم": true, "عندك": true, "هل": true, "يوجد": true,
	"فيه": true, "في": true, "لو": true, "سمحت": true, "ممكن": true, "من": true, "فضلك": true, "حق": true,
	"search": true, "for": true, "find": true, "show": true, "me": true, "i": true, "want": true, "do": true,
	"you": true, "have": true, "looking": true, "im": true, "i'm": true, "need": true, "any": true, "please": true,
	"pls": true, "is": true, "there": true, "got": true, "some": true, "a": true, "an": true, "the": true, "can": true,
}

// searchText is what to search for in a customer's text: the text without
// request words at its ends and without surrounding punctuation.
func searchText(s string) string {
	ws := strings.Fields(s)
	key := func(w string) string {
		return strings.TrimFunc(arabic.Normalize(w), func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) })
	}
	for len(ws) > 0 && (requestWords[key(ws[0])] || key(ws[0]) == "") {
		ws = ws[1:]
	}
	for len(ws) > 0 && (requestWords[key(ws[len(ws)-1])] || key(ws[len(ws)-1]) == "") {
		ws = ws[:len(ws)-1]
	}
	q := strings.Join(ws, " ")
	q = strings.TrimFunc(q, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
	if utf8.RuneCountInString(q) > 100 {
		q = clipWords(q, 101)
		q = strings.TrimSuffix(q, "…")
	}
	return q
}

// courtesyWords are the words of a thank-you or an acknowledgement, in
// normalised form.
var courtesyWords = map[string]bool{
	"thanks": true, "thank": true, "you": true, "thx": true, "ty": true, "ok": true, "okay": true, "k": true,
	"great": true, "cool": true, "nice": true, "perfect": true, "fine": true, "alright": true, "so": true, "much": true,
	"شكرا": true, "شكرًا": true, "مشكور": true, "مشكوره": true, "مشكورين": true, "تسلم": true, "تسلمي": true,
	"تسلمين": true, "يعطيك": true, "يعطيكم": true, "العافيه": true, "الله": true, "تمام": true, "طيب": true,
	"اوكي": true, "اوك": true, "حلو": true, "ممتاز": true, "جزاك": true, "جزاكم": true, "خيرا": true, "خير": true,
	"كثير": true, "جزيلا": true, "والله": true,
}

// isCourtesy reports whether s is only a thank-you or an "ok".
func isCourtesy(s string) bool {
	ws := strings.FieldsFunc(arabic.Normalize(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsMark(r) })
	if len(ws) == 0 || len(ws) > 6 {
		return false
	}
	for _, w := range ws {
		if !courtesyWords[w] {
			return false
		}
	}
	return true
}

// ---- default texts ----

// flowTexts holds every text the flows show, key → locale → text. Tenants
// override them through Flows.Texts. Placeholders: {category}, {product},
// {query}, {sku}, {options}, {option}, {price}, {was}, {stock}, {count}, {n}.
// Button titles stay within dialog.MaxButtonTitle runes and list titles
// within dialog.MaxListTitle (a test holds them to it); longer texts are cut
// with "…".
var flowTexts = map[string]map[string]string{
	"catalog.menu.title": {"ar": "تصفح المنتجات", "en": "Browse products"},
	"catalog.menu.desc":  {"ar": "ابحث واطّلع على منتجاتنا", "en": "Search and see what we sell"},

	"catalog.categories.body": {
		"ar": "اختر قسمًا لتتصفح منتجاتنا، أو اكتب اسم ما تبحث عنه وسنبحث لك عنه.",
		"en": "Choose a category to browse, or type what you're looking for and we'll search for it.",
	},
	"catalog.categories.button": {"ar": "الأقسام", "en": "Categories"},
	"catalog.subcategories.body": {
		"ar": "قسم {category}: اختر قسمًا فرعيًا، أو اعرض كل ما فيه.",
		"en": "{category}: choose a section, or see everything in it.",
	},
	"catalog.all.title": {"ar": "عرض الكل", "en": "All in {category}"},
	"catalog.all.desc":  {"ar": "كل ما في قسم {category} · {count}", "en": "{count}"},
	"catalog.empty": {
		"ar": "لا توجد منتجات معروضة حاليًا. تحدّث مع أحد موظفينا وسيساعدك.",
		"en": "We have nothing on display right now. Talk to our staff and they'll help you.",
	},

	"catalog.products.body": {
		"ar": "منتجات قسم {category}. اختر منتجًا لعرض تفاصيله:",
		"en": "{category}: choose a product to see its details.",
	},
	"catalog.products.button": {"ar": "المنتجات", "en": "Products"},
	"catalog.products.none": {
		"ar": "لا توجد منتجات متاحة في قسم {category} حاليًا. تصفّح الأقسام الأخرى، أو تحدّث مع أحد موظفينا.",
		"en": "There's nothing in {category} right now. Browse our other categories, or talk to our staff.",
	},
	"catalog.products.meta_body": {
		"ar": "تصفّح منتجات قسم {category} واطّلع على تفاصيلها وأسعارها.",
		"en": "Browse {category} and see the details and prices.",
	},
	"catalog.products.meta_more": {
		"ar": "في قسم {category} منتجات أخرى أيضًا.",
		"en": "There are more products in {category}.",
	},

	"catalog.more.title":      {"ar": "المزيد…", "en": "More…"},
	"catalog.more.button":     {"ar": "المزيد", "en": "More"},
	"catalog.more.products":   {"ar": "اعرض منتجات أخرى", "en": "See more products"},
	"catalog.more.categories": {"ar": "اعرض أقسامًا أخرى", "en": "See more categories"},
	"catalog.more.options":    {"ar": "اعرض خيارات أخرى", "en": "See more options"},

	"catalog.search.body": {"ar": "هذا ما وجدناه لـ«{query}»:", "en": "Here's what we found for “{query}”:"},
	"catalog.search.none": {
		"ar": "لم نجد منتجات تطابق «{query}». جرّب كلمة أخرى أو اسمًا أقصر، أو تصفّح الأقسام، أو تحدّث مع أحد موظفينا.",
		"en": "We couldn't find anything matching “{query}”. Try another or a shorter word, browse our categories, or talk to our staff.",
	},
	"catalog.thanks": {
		"ar": "العفو، في خدمتك دائمًا! اكتب اسم أي منتج تبحث عنه، أو تصفّح الأقسام.",
		"en": "You're welcome! Type the name of anything you're looking for, or browse our categories.",
	},
	"catalog.browse": {"ar": "تصفح المنتجات", "en": "Browse products"},
	"catalog.staff":  {"ar": "التحدث مع موظف", "en": "Talk to staff"},

	"catalog.stock.in":   {"ar": "متوفر", "en": "In stock"},
	"catalog.stock.out":  {"ar": "نفد من المخزون", "en": "Out of stock"},
	"catalog.price.from": {"ar": "ابتداءً من {price}", "en": "from {price}"},
	"catalog.price.sale": {"ar": "{price} بدلًا من {was}", "en": "{price} (was {was})"},

	"catalog.detail.option": {"ar": "الخيار: {options}", "en": "Option: {options}"},
	"catalog.detail.sku":    {"ar": "رمز المنتج: {sku}", "en": "SKU: {sku}"},
	"catalog.detail.prompt": {
		"ar": "ماذا تريد أن تفعل الآن؟ يمكنك أيضًا كتابة اسم منتج آخر للبحث عنه.",
		"en": "What would you like to do next? You can also type another product name to search for it.",
	},
	"catalog.detail.choose": {"ar": "اختر {option}", "en": "Choose {option}"},
	"catalog.detail.like":   {"ar": "منتجات مشابهة", "en": "More like this"},
	"catalog.detail.back":   {"ar": "رجوع", "en": "Back"},

	"catalog.option.size":    {"ar": "المقاس", "en": "size"},
	"catalog.option.color":   {"ar": "اللون", "en": "colour"},
	"catalog.option.colour":  {"ar": "اللون", "en": "colour"},
	"catalog.option.storage": {"ar": "السعة", "en": "storage"},
	"catalog.option.weight":  {"ar": "الوزن", "en": "weight"},
	"catalog.option.model":   {"ar": "الموديل", "en": "model"},
	"catalog.option.any":     {"ar": "الخيار", "en": "option"},

	"catalog.variants.body":   {"ar": "{product}\nاختر {option} من القائمة:", "en": "{product}\nChoose the {option} from the list:"},
	"catalog.variants.button": {"ar": "الخيارات", "en": "Options"},
	"catalog.variant.chosen": {
		"ar": "اخترت {product} ({options}).\nرمز المنتج: {sku}\nالسعر: {price}\n{stock}",
		"en": "You chose {product} ({options}).\nSKU: {sku}\nPrice: {price}\n{stock}",
	},
	"catalog.variant.out": {
		"ar": "للأسف نفد هذا الخيار من المخزون حاليًا.",
		"en": "Sorry, this option is out of stock right now.",
	},
	"catalog.variant.another": {"ar": "اختر خيارًا آخر", "en": "Choose another"},

	"catalog.like.body": {"ar": "منتجات مشابهة لـ«{product}»:", "en": "More like “{product}”:"},
	"catalog.like.none": {
		"ar": "لا توجد حاليًا منتجات مشابهة لـ«{product}».",
		"en": "There's nothing similar to “{product}” right now.",
	},
	"catalog.product.none": {
		"ar": "عذرًا، هذا المنتج لم يعد متاحًا. تصفّح منتجاتنا لتجد بديلًا يناسبك.",
		"en": "Sorry, this product is no longer available. Browse our products to find an alternative.",
	},
	"catalog.category.none": {
		"ar": "عذرًا، هذا القسم لم يعد متاحًا. تصفّح أقسامنا الأخرى.",
		"en": "Sorry, this category is no longer available. Browse our other categories.",
	},
	"catalog.sku.none": {
		"ar": "لم نجد منتجًا برمز «{sku}»، فربما تغيّر أو لم يعد متاحًا. تصفّح منتجاتنا، أو تحدّث مع أحد موظفينا وسيساعدك في طلبك.",
		"en": "We couldn't find a product with the code “{sku}”; it may have changed or is no longer available. Browse our products, or talk to our staff and they'll help with your order.",
	},

	// Product counts in the CLDR plural forms (Arabic uses all six; English
	// one and other). {n} is written in the locale's digits.
	"catalog.count.zero":  {"ar": "لا توجد منتجات", "en": "no products"},
	"catalog.count.one":   {"ar": "منتج واحد", "en": "1 product"},
	"catalog.count.two":   {"ar": "منتجان", "en": "2 products"},
	"catalog.count.few":   {"ar": "{n} منتجات", "en": "{n} products"},
	"catalog.count.many":  {"ar": "{n} منتجًا", "en": "{n} products"},
	"catalog.count.other": {"ar": "{n} منتج", "en": "{n} products"},
}

// defaultText is the default of key in locale (Arabic unless "en").
func defaultText(key, locale string) string {
	if locale != dialog.LocaleEN {
		locale = dialog.LocaleAR
	}
	return flowTexts[key][locale]
}

// DefaultFlowTexts returns a copy of the flows' default texts, key → locale
// → text, for the admin UI's text overrides.
func DefaultFlowTexts() map[string]map[string]string {
	out := make(map[string]map[string]string, len(flowTexts))
	for k, v := range flowTexts {
		out[k] = maps.Clone(v)
	}
	return out
}
