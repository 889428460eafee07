package catalog

import (
	"errors"
	"strconv"

	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/modules/whatsapp/dialog"
)

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
		sections = append(sections, dialog.ProductSection{Title: dialog.Clip(title, dialog.MaxListTitle), SKUs: ids})
	}
	t.res.Replies = append(t.res.Replies, dialog.Reply{
		Kind: dialog.ReplyProductList, Header: dialog.Clip(c.Name(t.locale), 60),
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
	page, err := t.query(Query{Q: q, Understand: true, Cursor: cursor, Limit: listPage})
	if err != nil {
		return err
	}
	if cursor == "" {
		dialog.Funnel(&t.res, "search", "")
	}
	shown := dialog.Clip(q, 60)
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
