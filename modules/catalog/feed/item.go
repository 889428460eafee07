// Package feed reads merchants' catalog files into Items: Concierge's CSV and
// TSV (documented header), JSON, and the Meta / Google product feed as CSV,
// TSV or RSS/Atom XML with the g: fields. It parses only; the catalog
// module validates items against the tenant's catalog and upserts them.
package feed

import "concierge/internal/errs"

// Format names a feed format. They are the values of the
// `concierge catalog import --format` flag and of a source's format.
type Format string

// Formats.
const (
	FormatAuto      Format = "auto"
	FormatCSV       Format = "csv"
	FormatTSV       Format = "tsv"
	FormatJSON      Format = "json"
	FormatGoogleTSV Format = "google-tsv" // also Google/Meta feeds as CSV
	FormatGoogleXML Format = "google-xml" // RSS 2.0 or Atom with g: fields
)

// Item is one sellable variant as a feed describes it. Items that share a
// GroupID are variants of one product; the product-level fields (titles,
// descriptions, brand, categories, media, attributes) are taken from the
// first item of the group.
type Item struct {
	// Line is the 1-based line of the file where the item starts (CSV/TSV:
	// the record's first line; JSON: the line of the object's '{'; XML: the
	// line of <item> or <entry>).
	Line int
	// SKU identifies the variant; unique per tenant. Required.
	SKU string
	// GroupID groups variants into one product (item_group_id, the product
	// handle). Empty: the item is a product of its own, keyed by its SKU.
	GroupID string

	TitleAR, TitleEN             string
	DescriptionAR, DescriptionEN string
	// Slug is the product's URL name; empty lets the importer derive it.
	Slug  string
	Brand string
	// Status is "active", "draft" or "archived"; empty means active.
	Status string
	// Categories are paths from the root, each level bilingual, e.g.
	// [[{EN:"Women" AR:"نساء"} {EN:"Abayas" AR:"عبايات"}]]. A level may
	// have only one language.
	Categories [][]CategoryName
	// Options are the variant's option values in order, e.g. size M,
	// colour Black. At most three.
	Options []Option

	// Price and CompareAt are in minor units of Currency (CompareAt 0:
	// none). Currency is an ISO 4217 code; empty means the tenant's.
	Price     int64
	CompareAt int64
	Currency  string
	// Stock is the quantity on hand; nil means stock is not tracked.
	Stock *int
	// WeightGrams is the shipping weight; 0 means unknown.
	WeightGrams int

	// Images are the product's pictures, first is the main one.
	Images []Image
	// Link is the product's page on the merchant's own site, if any.
	Link string
	// Attributes are further name → value pairs (material, gtin, ...).
	Attributes map[string]string
}

// CategoryName is one level of a category path.
type CategoryName struct {
	AR, EN string
}

// Option is one option value of a variant, e.g. Color: Black. NameAR and
// ValueAR are the Arabic forms when the feed has them (اللون: أسود).
type Option struct {
	Name, Value     string
	NameAR, ValueAR string
}

// Image is a picture with alternative text in both languages.
type Image struct {
	URL          string
	AltAR, AltEN string
}

// Reject is a row the parser could not turn into an Item.
type Reject struct {
	Line int
	SKU  string // when it could be read
	// Reason is why, as a message of the catalog (catalog.feed.*) with its
	// values, e.g. catalog.feed.price_syntax column=price value="abc":
	// `price "abc" is not a number`.
	Reason errs.Message
}

// Result is a parsed feed: the valid items in file order and the rejected rows.
type Result struct {
	Format  Format
	Items   []Item
	Rejects []Reject
}
