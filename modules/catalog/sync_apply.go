package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/input"
	"concierge/modules/catalog/feed"
)

// apply upserts a parsed feed into the catalog, inside the run's
// transaction, in named steps:
//
//  1. group: items by product (group id, else SKU), rejecting items in
//     another currency and products with too many variants;
//  2. loadExisting: the keys and content hashes of every product and variant;
//  3. ensureCategories: the categories the feed names that do not exist yet;
//  4. planProducts and planVariants: what is new, changed or unchanged;
//  5. writeProducts, writeVariants, writeMediaAndLinks: the changes, in bulk;
//  6. archiveMissing (full runs): feed-made variants the feed no longer
//     lists, and products left with none;
//  7. report, and the products' aggregates and search rows (refresh).
func apply(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, currency string, parsed feed.Result, full bool, now time.Time) (*Report, error) {
	a := &applying{ctx: ctx, tx: tx, tenantID: tenantID, currency: currency, now: now,
		rep: &Report{Rows: len(parsed.Items) + len(parsed.Rejects), Rejected: []Rejection{}}}
	for _, r := range parsed.Rejects {
		a.reject(r.Line, r.SKU, r.Reason)
	}
	a.group(parsed.Items)
	steps := []func() error{a.loadExisting, a.ensureCategories, a.plan, a.writeProducts, a.writeVariants, a.writeMediaAndLinks}
	if full {
		steps = append(steps, a.archiveMissing)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	a.finishReport()
	return a.rep, refresh(ctx, tx, dedupe(a.touched))
}

// applying is the working state of one apply.
type applying struct {
	ctx      context.Context
	tx       bun.IDB
	tenantID uuid.UUID
	currency string
	now      time.Time
	rep      *Report

	groups []*group

	// What the catalog has.
	products map[string]existingProduct // by external id
	slugs    map[string]bool
	variants []variantKey
	bySKU    map[string]variantKey
	cats     map[string]uuid.UUID // by pathKey

	// What the feed changes.
	newProducts, changedProducts []productRow
	newVariants, changedVariants []variantRow
	media                        []mediaRow
	links                        []productCategoryRow
	replaced                     []uuid.UUID // products whose media and categories are rewritten
	touched                      []uuid.UUID // products to refresh
	seenSKU                      map[string]bool
}

// group is the items of one product in a feed.
type group struct {
	key   string
	items []feed.Item
}

type existingProduct struct {
	id           uuid.UUID
	status, hash string
}

func (a *applying) reject(line int, sku string, reason errs.Message) {
	a.rep.Rejected = append(a.rep.Rejected, Rejection{Line: line, SKU: sku, Reason: reason})
}

// group sorts items into products, rejecting items whose currency is not
// the store's and variants past MaxVariants.
func (a *applying) group(items []feed.Item) {
	byKey := map[string]*group{}
	for _, it := range items {
		if it.Currency != "" && it.Currency != a.currency {
			a.reject(it.Line, it.SKU, errs.M("catalog.feed.currency_store", "currency", it.Currency, "store", a.currency))
			continue
		}
		key := it.GroupID
		if key == "" {
			key = it.SKU
		}
		g := byKey[key]
		if g == nil {
			g = &group{key: key}
			byKey[key] = g
			a.groups = append(a.groups, g)
		}
		if len(g.items) >= MaxVariants {
			a.reject(it.Line, it.SKU, errs.M("catalog.feed.product_too_many_variants", "product", fmt.Sprintf("%q", key), "max", MaxVariants))
			continue
		}
		g.items = append(g.items, it)
	}
	a.seenSKU = make(map[string]bool, len(items))
}

// loadExisting reads what the catalog has now.
func (a *applying) loadExisting() error {
	products, err := productKeys(a.ctx, a.tx)
	if err != nil {
		return err
	}
	a.products = make(map[string]existingProduct, len(products))
	a.slugs = make(map[string]bool, len(products))
	for _, p := range products {
		a.slugs[p.Slug] = true
		if p.ExternalID != "" {
			a.products[p.ExternalID] = existingProduct{p.ID, p.Status, p.ContentHash}
		}
	}
	if a.variants, err = variantKeys(a.ctx, a.tx); err != nil {
		return err
	}
	a.bySKU = make(map[string]variantKey, len(a.variants))
	for _, v := range a.variants {
		a.bySKU[v.SKU] = v
	}
	return nil
}

// ensureCategories creates the categories the feed names that do not exist
// yet, and keeps every path's category id by pathKey.
func (a *applying) ensureCategories() error {
	existing, err := allCategoryRows(a.ctx, a.tx)
	if err != nil {
		return err
	}
	bySlug := make(map[string]uuid.UUID, len(existing))
	for _, c := range existing {
		bySlug[c.Slug] = c.ID
	}
	a.cats = map[string]uuid.UUID{}
	var created []categoryRow
	for _, g := range a.groups {
		for _, path := range g.items[0].Categories {
			var parent *uuid.UUID
			var slugParts []string
			for depth, level := range path {
				key := pathKey(path[:depth+1])
				slugParts = append(slugParts, slugify(level.EN, "c-"+shortHash(level.AR)))
				if id, ok := a.cats[key]; ok {
					p := id
					parent = &p
					continue
				}
				slug := strings.Join(slugParts, "-")
				if len(slug) > 120 {
					slug = slug[:110] + "-" + shortHash(key)
				}
				id, ok := bySlug[slug]
				if !ok {
					id = uuid.Must(uuid.NewV7())
					bySlug[slug] = id
					created = append(created, categoryRow{TenantID: a.tenantID, ID: id, ParentID: parent, Slug: slug,
						NameAR: level.AR, NameEN: level.EN, Position: len(created)})
				}
				a.cats[key] = id
				p := id
				parent = &p
			}
		}
	}
	return insertCategoryRows(a.ctx, a.tx, created)
}

// plan decides, group by group, which products and variants are new,
// changed or unchanged.
func (a *applying) plan() error {
	for _, g := range a.groups {
		p, changed := a.planProduct(g)
		if a.planVariants(g, p) || changed {
			a.touched = append(a.touched, p)
		}
	}
	return nil
}

// planProduct plans a group's product; it returns the product's id and
// whether the product itself changes (then its media and categories are
// rewritten).
func (a *applying) planProduct(g *group) (uuid.UUID, bool) {
	first := g.items[0]
	p := productRow{TenantID: a.tenantID, ExternalID: g.key, Status: first.Status, Brand: first.Brand,
		TitleAR: first.TitleAR, TitleEN: first.TitleEN, DescriptionAR: first.DescriptionAR, DescriptionEN: first.DescriptionEN,
		Attributes: nonNil(first.Attributes), Link: first.Link, Currency: a.currency}
	if p.Status == "" {
		p.Status = StatusActive
	}
	catIDs := categoryIDs(first, a.cats)
	p.ContentHash = productHash(p, first, catIDs)
	old, exists := a.products[g.key]
	switch {
	case !exists:
		p.ID = uuid.Must(uuid.NewV7())
		p.Slug = uniqueSlug(a.slugs, first.Slug, first.TitleEN, g.key)
		a.newProducts = append(a.newProducts, p)
		a.rep.Products.Created++
	case old.hash != p.ContentHash || old.status != p.Status:
		p.ID = old.id
		a.changedProducts = append(a.changedProducts, p)
		a.rep.Products.Updated++
	default:
		return old.id, false
	}
	a.replaced = append(a.replaced, p.ID)
	for i, img := range first.Images {
		// The parser refused rows with bad links (and, in production, http
		// ones); this guards the table.
		if input.WebURL(img.URL, true) != nil || i >= MaxMedia {
			continue
		}
		a.media = append(a.media, mediaRow{TenantID: a.tenantID, ID: uuid.Must(uuid.NewV7()), ProductID: p.ID, URL: img.URL,
			AltAR: img.AltAR, AltEN: img.AltEN, Position: i})
	}
	for i, c := range catIDs {
		a.links = append(a.links, productCategoryRow{TenantID: a.tenantID, ProductID: p.ID, CategoryID: c, Position: i})
	}
	return p.ID, true
}

// planVariants plans a group's variants of product id; it returns whether
// any is new or changed.
func (a *applying) planVariants(g *group, id uuid.UUID) bool {
	changed := false
	for i, it := range g.items {
		a.seenSKU[it.SKU] = true
		opts := make([]Option, len(it.Options))
		for j, o := range it.Options {
			opts[j] = Option{Name: o.Name, Value: o.Value, NameAR: o.NameAR, ValueAR: o.ValueAR}
		}
		v := Variant{ProductID: id, SKU: it.SKU, Options: opts, Price: it.Price, CompareAt: it.CompareAt, Currency: a.currency,
			Stock: it.Stock, WeightGrams: it.WeightGrams, Position: i}
		ev, ok := a.bySKU[it.SKU]
		switch {
		case !ok:
			v.ID = uuid.Must(uuid.NewV7())
			a.newVariants = append(a.newVariants, fromVariant(a.tenantID, v))
			a.rep.Created++
			changed = true
		case ev.ProductID != id || ev.Archived || ev.ContentHash != variantHash(v):
			v.ID = ev.ID
			a.changedVariants = append(a.changedVariants, fromVariant(a.tenantID, v))
			a.rep.Updated++
			changed = true
		default:
			a.rep.Unchanged++
		}
	}
	return changed
}

// writeProducts writes products first: variants point at them.
func (a *applying) writeProducts() error {
	if err := insertProductRows(a.ctx, a.tx, a.newProducts); err != nil {
		return err
	}
	return updateProductRows(a.ctx, a.tx, a.changedProducts, a.now)
}

// writeVariants writes changed variants, then new ones (a SKU may move
// between products).
func (a *applying) writeVariants() error {
	if err := updateVariantRows(a.ctx, a.tx, a.changedVariants, a.now); err != nil {
		return err
	}
	return insertVariantRows(a.ctx, a.tx, a.newVariants)
}

// writeMediaAndLinks replaces the pictures and category links of the
// products that changed.
func (a *applying) writeMediaAndLinks() error {
	if err := clearMediaAndLinks(a.ctx, a.tx, a.replaced); err != nil {
		return err
	}
	if err := insertMediaRows(a.ctx, a.tx, a.media); err != nil {
		return err
	}
	return insertLinkRows(a.ctx, a.tx, a.links)
}

// archiveMissing (a full feed) archives the feed-made variants the feed no
// longer lists, and products left without a variant on sale.
func (a *applying) archiveMissing() error {
	var gone []uuid.UUID
	goneProducts := map[uuid.UUID]bool{}
	for _, v := range a.variants {
		if !v.Archived && !a.seenSKU[v.SKU] {
			gone = append(gone, v.ID)
			goneProducts[v.ProductID] = true
		}
	}
	if len(gone) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, 0, len(goneProducts))
	for id := range goneProducts {
		ids = append(ids, id)
	}
	fromFeeds, err := feedMadeProducts(a.ctx, a.tx, ids)
	if err != nil {
		return err
	}
	if a.rep.Archived, err = archiveVariantsOf(a.ctx, a.tx, gone, fromFeeds, a.now); err != nil {
		return err
	}
	if len(fromFeeds) > 0 {
		if a.rep.Products.Archived, err = archiveEmptyProducts(a.ctx, a.tx, fromFeeds, a.now); err != nil {
			return err
		}
		a.touched = append(a.touched, fromFeeds...)
	}
	return nil
}

// finishReport orders the rejected rows by line and counts them.
func (a *applying) finishReport() {
	sort.SliceStable(a.rep.Rejected, func(i, j int) bool { return a.rep.Rejected[i].Line < a.rep.Rejected[j].Line })
	a.rep.Rejects = len(a.rep.Rejected)
}

func pathKey(path []feed.CategoryName) string {
	var b strings.Builder
	for _, l := range path {
		b.WriteString(strings.ToLower(l.EN) + "\x00" + l.AR + "\x01")
	}
	return b.String()
}

// categoryIDs returns the leaf category of each of the item's paths.
func categoryIDs(it feed.Item, cats map[string]uuid.UUID) []uuid.UUID {
	var ids []uuid.UUID
	for _, path := range it.Categories {
		if len(path) == 0 {
			continue
		}
		if id, ok := cats[pathKey(path)]; ok {
			ids = append(ids, id)
		}
	}
	return dedupe(ids)
}

func productHash(p productRow, it feed.Item, cats []uuid.UUID) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%s|%s|%s|%s|%s|%s|%s|%v|", p.Status, p.Brand, p.TitleAR, p.TitleEN, p.DescriptionAR, p.DescriptionEN,
		p.Link, it.Slug, jsonText(p.Attributes), cats)
	for _, img := range it.Images {
		fmt.Fprintf(h, "%s|%s|%s|", img.URL, img.AltAR, img.AltEN)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:4])
}

// uniqueSlug picks the feed's slug, else one from the English title, else
// from the product key, made unique among taken.
func uniqueSlug(taken map[string]bool, given, title, key string) string {
	base := given
	if base == "" || !slugRe.MatchString(base) {
		base = slugify(title, key)
	}
	slug := base
	if taken[slug] {
		slug = slugify(base+"-"+key, key)
	}
	for n := 2; taken[slug]; n++ {
		slug = fmt.Sprintf("%s-%d", base, n)
	}
	taken[slug] = true
	return slug
}
