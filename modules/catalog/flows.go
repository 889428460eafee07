package catalog

import (
	"context"
	"maps"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"concierge/internal/i18n"
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
//	catalog:q:<words>                      a search for words (offered after a
//	                                       chat code that names nothing)
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
// A text whose last chat code is a product code ("[#P-…]", the
// storefront's Chat to order, see ChatText and flows_chatcode.go) is the
// catalog's before anything else (dialog.Preemptive): it opens that
// product with the code's variant chosen.
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
// # Files
//
//	flows.go          the capability, reply ids, routing, free text
//	flows_browse.go   categories, product lists, search
//	flows_product.go  product detail, variants, "more like this", buttons
//	flows_text.go     words, prices and options; SKUs in messages; search text
//
// Every text comes from dialog.Words (the tenant's override, else the
// catalog's bot.catalog.<key>), every reply from dialog's builders.
//
// # Meta catalog
//
// When the tenant has a Meta catalog (Tenant.MetaCatalogID), product
// details are product messages (the variant's SKU as retailer id) and a
// category's products a product_list (up to 30, in sections by
// sub-category); everything else stays the same.
type Flows struct {
	svc   *Service
	words dialog.Words
	cat   *i18n.Catalog
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

// NewFlows returns the catalog's conversation steps over svc, speaking with
// words: the tenant's text overrides, else the catalog's bot.catalog.*
// messages (internal/i18n/messages/catalog_bot.<lang>.toml).
func NewFlows(svc *Service, words dialog.Words) *Flows {
	cat := words.Catalog
	if cat == nil {
		cat = i18n.MustLoad()
		words.Catalog = cat
	}
	return &Flows{svc: svc, words: words, cat: cat}
}

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
	return dialog.Option{ID: idMenu, Title: f.cat.Text(locale, "bot.catalog.menu.title", nil),
		Description: f.cat.Text(locale, "bot.catalog.menu.desc", nil)}, true
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
		switch c, product, cart := productCode(req.In.Text); {
		case product: // the storefront's Chat to order, even while a person is awaited
			claimed, err = true, t.chatCode(c, req.In.Text)
		case cart: // the cart capability's
		case req.State.Step != dialog.StepHandoff:
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
	case len(p) >= 2 && p[0] == "q":
		if q := strings.Join(p[1:], ":"); letters(q) >= 2 {
			return true, t.search(q, "")
		}
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
