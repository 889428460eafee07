package catalog

import (
	"errors"
	"slices"
	"strings"

	"github.com/google/uuid"

	"concierge/modules/whatsapp/dialog"
)

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
			t.buttons(t.text("catalog.sku.none", "{sku}", dialog.Clip(sku, 64)), t.browseButton(), t.staffButton())
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
	dialog.Funnel(&t.res, "product_viewed", p.ID.String())
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
			caption += "\n\n" + dialog.Clip(d, 300)
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
