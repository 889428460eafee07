package ui

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"concierge/internal/money"
	"concierge/modules/catalog"
)

// The catalog pages' view types (catalog.templ).

// CategoryNode is a category in tree order with its depth (0: a root).
type CategoryNode struct {
	catalog.Category
	Depth int
}

// CategoryTree orders cs depth first (each parent before its children,
// siblings by position then name in lang); a category whose parent is
// missing is a root.
func CategoryTree(cs []catalog.Category, lang string) []CategoryNode {
	known := map[string]bool{}
	for _, c := range cs {
		known[c.ID.String()] = true
	}
	children := map[string][]catalog.Category{}
	for _, c := range cs {
		parent := ""
		if c.ParentID != nil && known[c.ParentID.String()] && *c.ParentID != c.ID {
			parent = c.ParentID.String()
		}
		children[parent] = append(children[parent], c)
	}
	var out []CategoryNode
	seen := map[string]bool{}
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		kids := children[parent]
		sortCategories(kids, lang)
		for _, c := range kids {
			if seen[c.ID.String()] {
				continue
			}
			seen[c.ID.String()] = true
			out = append(out, CategoryNode{Category: c, Depth: depth})
			walk(c.ID.String(), depth+1)
		}
	}
	walk("", 0)
	return out
}

func sortCategories(cs []catalog.Category, lang string) {
	slices.SortStableFunc(cs, func(a, b catalog.Category) int {
		if a.Position != b.Position {
			return a.Position - b.Position
		}
		return strings.Compare(a.Name(lang), b.Name(lang))
	})
}

// Indent is a category's name prefixed by its depth (for a select).
func (n CategoryNode) Indent(lang string) string {
	return strings.Repeat("— ", n.Depth) + n.Name(lang)
}

// ProductFilter is the products list's filter, as typed.
type ProductFilter struct {
	Q, Category, Status string
	InStock             bool
}

// Query is the filter as a query string (for the next page's link).
func (f ProductFilter) Query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"q": f.Q, "category": f.Category, "status": f.Status} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.InStock {
		q.Set("stock", "in")
	}
	return q
}

// ProductsList is the products page.
type ProductsList struct {
	Products   []catalog.Product
	Filter     ProductFilter
	Categories []CategoryNode
	Statuses   []string
	// Next is the next page's URL ("" on the last page).
	Next     string
	CanWrite bool
}

// ProductForm is a product's fields as typed; SKU, Price and Stock are
// the first variant's (a new product).
type ProductForm struct {
	TitleAR, TitleEN, DescriptionAR, DescriptionEN, Status string
	CategoryIDs                                            map[string]bool
	SKU, Price, Stock                                      string
}

// VariantForm is a variant as typed: options as "Size: M; Colour: Black"
// (OptionsAR the same in Arabic, in the same order), the price in major
// units ("12.50"), the stock ("" untracked).
type VariantForm struct {
	SKU, Options, OptionsAR, Price, Stock string
}

// MediaForm is the upload form's texts as typed.
type MediaForm struct {
	AltAR, AltEN string
}

// ProductPage is the new-product page (Product nil) or a product's page:
// its form, variants, pictures. A form that came back with errors names
// itself: Errors (the product's), VariantErrors for the variant VariantFor
// ("new": the add form), MediaErrors (the upload).
type ProductPage struct {
	Product       *catalog.Product
	Form          ProductForm
	Errors        map[string]string
	Categories    []CategoryNode
	Statuses      []string
	CanWrite      bool
	VariantFor    string
	Variant       VariantForm
	VariantErrors map[string]string
	Media         MediaForm
	MediaErrors   map[string]string
	// MaxImageMB is the largest picture an upload may carry, in MB.
	MaxImageMB int
}

// VariantEdit is a variant form's values and errors.
type VariantEdit struct {
	Form   VariantForm
	Errors map[string]string
}

// VariantValues is a variant as its form shows it: what was typed when
// the form came back, else the stored values.
func (p ProductPage) VariantValues(v catalog.Variant) VariantEdit {
	if p.VariantFor == v.ID.String() {
		return VariantEdit{p.Variant, p.VariantErrors}
	}
	return VariantEdit{Form: VariantFormOf(v)}
}

// NewVariant is the add form's values and errors.
func (p ProductPage) NewVariant() VariantEdit {
	if p.VariantFor == "new" {
		return VariantEdit{p.Variant, p.VariantErrors}
	}
	return VariantEdit{}
}

// VariantFormOf is a stored variant as its form shows it.
func VariantFormOf(v catalog.Variant) VariantForm {
	f := VariantForm{SKU: v.SKU, Price: money.Amount{Minor: v.Price, Currency: v.Currency}.Decimal()}
	if v.Stock != nil {
		f.Stock = strconv.Itoa(*v.Stock)
	}
	var en, ar []string
	for _, o := range v.Options {
		en = append(en, o.Name+": "+o.Value)
		if o.NameAR != "" || o.ValueAR != "" {
			ar = append(ar, o.NameIn("ar")+": "+o.ValueIn("ar"))
		}
	}
	f.Options, f.OptionsAR = strings.Join(en, "; "), strings.Join(ar, "; ")
	return f
}

// OptionsText is a variant's options in lang ("Size: M · Colour: Black").
func OptionsText(v catalog.Variant, lang string) string {
	parts := make([]string, len(v.Options))
	for i, o := range v.Options {
		parts[i] = o.NameIn(lang) + ": " + o.ValueIn(lang)
	}
	return strings.Join(parts, " · ")
}

// Stock is a product's stock: the sum of its tracked variants that are
// not archived; tracked is false when none is tracked.
func Stock(p catalog.Product) (n int64, tracked bool) {
	for _, v := range p.Variants {
		if v.Archived || v.Stock == nil {
			continue
		}
		tracked = true
		n += int64(*v.Stock)
	}
	return n, tracked
}

// CategoriesPage is the category tree with its forms.
type CategoriesPage struct {
	Tree     []CategoryNode
	CanWrite bool
	// Alert says why an action was refused (a category with children).
	Alert string
	// Form is the create form as typed; Errors its errors. RenameFor names
	// the category whose rename form came back (RenameErrors).
	Form         CategoryForm
	Errors       map[string]string
	RenameFor    string
	Rename       CategoryForm
	RenameErrors map[string]string
}

// CategoryForm is a category's names (and, to create, its parent) as typed.
type CategoryForm struct {
	NameAR, NameEN, Parent string
}

// RenameValues is a category's rename form: what was typed when it came
// back, else the stored names.
func (p CategoriesPage) RenameValues(c catalog.Category) (CategoryForm, map[string]string) {
	if p.RenameFor == c.ID.String() {
		return p.Rename, p.RenameErrors
	}
	return CategoryForm{NameAR: c.NameAR, NameEN: c.NameEN}, nil
}

// FeedsPage is the feed sources and their runs.
type FeedsPage struct {
	Sources  []catalog.Source
	Runs     []catalog.Run
	CanWrite bool
	Form     SourceForm
	Errors   map[string]string
	Formats  []string
}

// SourceForm is a new source as typed.
type SourceForm struct {
	Name, URL, Format, Interval string
	Full                        bool
}

// RunPage is one run's report.
type RunPage struct {
	Run *catalog.Run
	// Error is the run's failure in the page's language ("" none);
	// Reasons the rejected rows' reasons, in order.
	Error   string
	Reasons []string
}

func moneyOf(minor int64, currency string) money.Amount {
	return money.Amount{Minor: minor, Currency: currency}
}
