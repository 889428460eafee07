// Package ui holds the admin dashboard's templ components: the layout (the
// navigation the signed-in user's role may use), the sign-in page and one
// component per page kind. Every page gets the request's View; nothing here
// reads a database or a request.
package ui

import (
	"strings"
	"time"

	"concierge/internal/i18n"
	"concierge/internal/money"
)

// NavItem is a link of the navigation.
type NavItem struct {
	Path  string // /admin/orders
	Label string // text id
}

// View is what every page knows about the request it answers.
type View struct {
	Lang  string // ar or en
	Title string
	// Email is the signed-in user's ("" on the sign-in page).
	Email string
	// Store names the tenant the merchant area works on ("" on the
	// platform host without one).
	Store string
	// Currency is the store's, for amounts without their own.
	Currency string
	// Location is the store's time zone: dates are shown in it.
	Location *time.Location
	// CSRF is the session's token: every form carries it, and htmx sends
	// it as X-CSRF-Token (hx-headers on the body).
	CSRF string
	// Nav is what the user's role may open; Path is the page's path (the
	// current item is marked).
	Nav  []NavItem
	Path string
	// Here is the page's path and query, for forms that come back to it.
	Here string
	// Flash is a one-line notice at the top of the page ("" none).
	Flash     string
	AssetPath func(name string) string
	texts     *i18n.Catalog
}

// NewView builds a request's view.
func NewView(texts *i18n.Catalog, lang string) *View {
	return &View{Lang: lang, texts: texts, Location: time.UTC}
}

// T is the text id in the view's language; kv are name, value pairs.
func (v *View) T(id string, kv ...any) string {
	return v.texts.T(v.Lang, id, kv...)
}

// Maybe is the text id when the catalog has it, else fallback (a value
// from the data — an event kind, a payment status — without a text yet).
func (v *View) Maybe(id, fallback string) string {
	if v.texts.Has(id) {
		return v.T(id)
	}
	return fallback
}

// Dir is the page direction.
func (v *View) Dir() string {
	if v.Lang == "ar" {
		return "rtl"
	}
	return "ltr"
}

// Other is the other language.
func (v *View) Other() string {
	if v.Lang == "ar" {
		return "en"
	}
	return "ar"
}

// Money formats an amount in the view's language.
func (v *View) Money(a money.Amount) string {
	if a.Currency == "" {
		a.Currency = v.Currency
	}
	return money.Format(a, v.Lang)
}

// Minor formats minor units of the store's currency.
func (v *View) Minor(minor int64) string {
	return v.Money(money.Amount{Minor: minor, Currency: v.Currency})
}

// Number formats n in the view's language.
func (v *View) Number(n int64) string { return i18n.Number(v.Lang, n) }

// Date formats t as a date and time in the store's time zone, with the
// view's digits (2026-12-02 14:05, or the same in Arabic-Indic digits).
func (v *View) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	loc := v.Location
	if loc == nil {
		loc = time.UTC
	}
	s := t.In(loc).Format("2006-01-02 15:04")
	if v.Lang == "ar" {
		return i18n.Digits(s)
	}
	return s
}

// DateP formats *t, "" for nil.
func (v *View) DateP(t *time.Time) string {
	if t == nil {
		return ""
	}
	return v.Date(*t)
}

// Asset is the fingerprinted path of an asset.
func (v *View) Asset(name string) string {
	if v.AssetPath == nil {
		return "/admin/assets/" + name
	}
	return v.AssetPath(name)
}

// Current reports whether the navigation item is the page's section.
func (v *View) Current(item NavItem) bool {
	if item.Path == "/admin" {
		return v.Path == "/admin"
	}
	return v.Path == item.Path || strings.HasPrefix(v.Path, item.Path+"/")
}

// CSRFHeaders is the hx-headers value carrying the CSRF token.
func (v *View) CSRFHeaders() string { return `{"X-CSRF-Token":"` + v.CSRF + `"}` }
