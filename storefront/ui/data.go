package ui

import (
	"concierge/modules/cart"
	"concierge/modules/catalog"
	"concierge/modules/orders"
)

// Picture is a product picture as pages show it: its resized URL (Src at
// a middle width, Srcset for the browser to choose) and intrinsic size.
type Picture struct {
	Src, Srcset   string
	Alt           string
	Width, Height int
}

// Card is a product in a grid.
type Card struct {
	Product catalog.Product
	URL     string
	Picture *Picture
}

// Home is the home page.
type Home struct {
	Categories []catalog.Category
	Featured   []Card
	ChatURL    string
}

// Listing is a category page or search results.
type Listing struct {
	Category *catalog.Category
	Children []catalog.Category
	Cards    []Card
	NextURL  string
	FirstURL string // set when not on the first page
	// Search only.
	Q         string
	Applied   []AppliedFilter
	Filters   Filters
	Searching bool
}

// AppliedFilter is a filter read out of the shopper's words, with the link
// that searches without it.
type AppliedFilter struct {
	Label   string
	UndoURL string
}

// Filters are the search form's choices and values.
type Filters struct {
	Categories []catalog.Category
	Brands     []string
	Sizes      []catalog.OptionValue
	Colours    []catalog.OptionValue
	Category   string
	Brand      string
	Size       string
	Colour     string
	MinPrice   string // major units as typed
	MaxPrice   string
	InStock    bool
	Error      string
}

// ProductPage is a product's page.
type ProductPage struct {
	Product  catalog.Product
	Pictures []Picture
	// Selected is the variant shown first (the first available).
	Selected catalog.Variant
	ChatURL  string
	// ChatURLs are the "Order on WhatsApp" links of each variant (by SKU).
	ChatURLs map[string]string
	Added    bool
}

// CartPage is the cart.
type CartPage struct {
	Cart     *cart.Cart
	Quote    *cart.ShippingQuote
	City     string
	ChatURL  string
	Messages []string
}

// CheckoutPage is the checkout form.
type CheckoutPage struct {
	Cart    *cart.Cart
	Methods []string
	Form    Form
}

// DonePage is the order confirmation.
type DonePage struct {
	Order   orders.Order
	Payment string // cod, paid, pending or cancelled
}

// LookupPage is the order lookup form and its answer.
type LookupPage struct {
	Form  Form
	Order *orders.Detail
}

// ErrorPage is a 404 or an error page.
type ErrorPage struct {
	Status int
	Title  string
	Body   string
}
