// Package ui holds the storefront's templ components: the layout, the
// components pages share and one component per page kind. Every page gets
// the request's View (language, direction, store, URLs, CSRF token) and its
// own page data; nothing here reads a database or a request.
package ui

import (
	"net/url"
	"strconv"
	"strings"

	"concierge/internal/i18n"
	"concierge/internal/money"
)

// CSRFMarker stands for the visitor's CSRF token in cached HTML: the
// handler replaces it with the token of the request it answers.
const CSRFMarker = "__CONCIERGE_CSRF__"

// Store is the tenant as its storefront shows it.
type Store struct {
	NameAR, NameEN string
	LogoURL        string
	Color          string // primary colour, #rrggbb
	Currency       string
	WhatsApp       string // wa.me digits; "" when the store has no number
	PrivacyVersion string
	VATIncluded    bool
}

// View is what every page knows about the request it answers.
type View struct {
	Lang    string // ar or en
	Store   Store
	BaseURL string // scheme://host of the store
	// Path is the page's path without the language prefix ("/products/x"),
	// Query its query string (without "?").
	Path  string
	Query string
	// Title and Description are the page's; Image its Open Graph picture.
	Title       string
	Description string
	Image       string
	// JSONLD is the page's structured data (already JSON); "" none.
	JSONLD string
	// NoIndex keeps the page out of search engines (cart, checkout,
	// lookup, errors).
	NoIndex bool
	// AssetPath maps an asset name to its fingerprinted path.
	AssetPath func(name string) string
	// Stamp changes whenever what the view shows of the store does (its
	// settings, names, number): cached pages are kept under it.
	Stamp string
	texts *i18n.Catalog
}

// NewView builds a request's view.
func NewView(texts *i18n.Catalog, lang string) *View { return &View{Lang: lang, texts: texts} }

// T is the text id in the view's language; kv are name, value pairs.
func (v *View) T(id string, kv ...any) string {
	return v.texts.T(v.Lang, id, kv...)
}

// Dir is the page direction.
func (v *View) Dir() string {
	if v.Lang == "ar" {
		return "rtl"
	}
	return "ltr"
}

// StoreName is the store's name in the view's language.
func (v *View) StoreName() string { return i18n.Pick(v.Lang, v.Store.NameAR, v.Store.NameEN) }

// URL is path in the view's language ("/en" prefix for English).
func (v *View) URL(path string) string { return LangURL(v.Lang, path) }

// LangURL is path in lang.
func LangURL(lang, path string) string {
	if lang == "en" {
		if path == "/" {
			return "/en"
		}
		return "/en" + path
	}
	return path
}

// Abs is the absolute URL of a path in lang.
func (v *View) Abs(lang, path string) string { return v.BaseURL + LangURL(lang, path) }

// Other is the view's language's counterpart.
func (v *View) Other() string {
	if v.Lang == "ar" {
		return "en"
	}
	return "ar"
}

// Here is this page's URL in lang, query kept (the language switch).
func (v *View) Here(lang string) string {
	u := LangURL(lang, v.Path)
	if v.Query != "" {
		u += "?" + v.Query
	}
	return u
}

// Canonical is this page's canonical URL (its query only when it selects
// content: search and paging).
func (v *View) Canonical(lang string) string {
	u := v.Abs(lang, v.Path)
	if v.Query != "" && (strings.HasPrefix(v.Path, "/search") || strings.Contains(v.Query, "cursor=")) {
		u += "?" + v.Query
	}
	return u
}

// Money formats minor units of the store's currency in the view's
// language.
func (v *View) Money(minor int64) string {
	return money.Format(money.Amount{Minor: minor, Currency: v.Store.Currency}, v.Lang)
}

// Number formats n in the view's language.
func (v *View) Number(n int64) string { return i18n.Number(v.Lang, n) }

// Asset is the fingerprinted path of an asset.
func (v *View) Asset(name string) string {
	if v.AssetPath == nil {
		return "/assets/" + name
	}
	return v.AssetPath(name)
}

// Color is the theme's primary colour, or the default.
func (v *View) Color() string {
	if validColor(v.Store.Color) {
		return v.Store.Color
	}
	return "#0f5c4d"
}

func validColor(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	_, err := strconv.ParseUint(s[1:], 16, 32)
	return err == nil
}

// Field is a form field's value and error.
type Field struct {
	Value string
	Error string
}

// Form is a submitted form's values and errors by field name.
type Form struct {
	Fields map[string]Field
	Error  string // the form's own error
}

// Get is a field's value.
func (f Form) Get(name string) string { return f.Fields[name].Value }

// Err is a field's error ("" none).
func (f Form) Err(name string) string { return f.Fields[name].Error }

// Query builds a query string from name, value pairs, skipping empty
// values.
func Query(kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Add(kv[i], kv[i+1])
		}
	}
	return q.Encode()
}
