package invoices

import (
	"bytes"
	"embed"
	"encoding/base64"
	"html/template"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"concierge/internal/i18n"
	"concierge/internal/money"
)

// The printed documents: one template (invoice.html), always bilingual,
// Arabic first, right to left, for A4 and 80 mm receipt printers.

//go:embed invoice.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "invoice.html"))

// riyadh is the time zone documents show their time in (the QR states UTC).
var riyadh = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Riyadh"); err == nil {
		return loc
	}
	return time.FixedZone("AST", 3*3600)
})

type pageView struct {
	Title string
	Docs  []docView
}

type docView struct {
	CreditNote         bool
	Number             string
	RefersTo           string
	OrderNumber        string
	IssuedAR, IssuedEN string
	SellerAR, SellerEN string
	VATNumber          string
	Currency           string
	Lines              []lineView
	Subtotal, Discount amountView
	Shipping, Net      amountView
	VAT, Total         amountView
	HasDiscount        bool
	RateAR, RateEN     string
	VATIncluded        bool
	QRImage            template.URL // data:image/png;base64,...
}

type lineView struct {
	TitleAR, TitleEN     string
	OptionsAR, OptionsEN string
	Quantity             int
	UnitPrice, VAT       string
	Total                string
}

// amountView is an amount as Arabic and English readers write it.
type amountView struct{ AR, EN string }

// Number is how a document's number is written: the tenant's sequential
// integer ("17").
func Number(n int64) string { return strconv.FormatInt(n, 10) }

// renderPage writes the page of docs (an invoice and its credit notes, or a
// credit note alone).
func renderPage(w io.Writer, docs []Invoice) error {
	v := pageView{}
	for i := range docs {
		d, err := viewOf(&docs[i])
		if err != nil {
			return err
		}
		v.Docs = append(v.Docs, d)
	}
	if len(docs) > 0 {
		title := "فاتورة ضريبية مبسطة / Simplified Tax Invoice"
		if docs[0].Kind == KindCreditNote {
			title = "إشعار دائن / Credit Note"
		}
		v.Title = title + " " + Number(docs[0].Number)
	}
	return pages.ExecuteTemplate(w, "page", v)
}

// renderNotFound writes the page of a link that opens nothing.
func renderNotFound(w io.Writer) error { return pages.ExecuteTemplate(w, "notfound", nil) }

func viewOf(doc *Invoice) (docView, error) {
	img, err := qrImage(doc.QR)
	if err != nil {
		return docView{}, err
	}
	amt := func(minor int64) amountView {
		a := money.Amount{Minor: minor, Currency: doc.Currency}
		return amountView{AR: money.Format(a, "ar"), EN: money.Format(a, "en")}
	}
	dec := func(minor int64) string { return money.Amount{Minor: minor, Currency: doc.Currency}.Decimal() }
	local := doc.IssuedAt.In(riyadh()).Format("2006-01-02 15:04")
	rate := percent(doc.VATRateBP)
	v := docView{CreditNote: doc.Kind == KindCreditNote, Number: Number(doc.Number), OrderNumber: strconv.FormatInt(doc.OrderNumber, 10),
		IssuedAR: i18n.Digits(local) + " بتوقيت الرياض", IssuedEN: local + " Riyadh time (" + doc.IssuedAt.UTC().Format(QRTimeFormat) + ")",
		SellerAR: doc.Seller.NameAR, SellerEN: doc.Seller.NameEN, VATNumber: doc.Seller.VATNumber, Currency: doc.Currency,
		Subtotal: amt(doc.Subtotal), Discount: amt(doc.Discount), Shipping: amt(doc.Shipping), Net: amt(doc.Total - doc.VAT),
		VAT: amt(doc.VAT), Total: amt(doc.Total), HasDiscount: doc.Discount > 0, RateAR: i18n.Digits(rate) + "٪", RateEN: rate + "%",
		VATIncluded: doc.VATIncluded, QRImage: img}
	if doc.RefersToNumber > 0 {
		v.RefersTo = Number(doc.RefersToNumber)
	}
	for _, l := range doc.Lines {
		v.Lines = append(v.Lines, lineView{TitleAR: l.TitleAR, TitleEN: l.TitleEN, OptionsAR: l.OptionsAR, OptionsEN: l.OptionsEN,
			Quantity: l.Quantity, UnitPrice: dec(l.UnitPrice), VAT: dec(l.VAT), Total: dec(l.Total)})
	}
	return v, nil
}

// qrImage is the PNG of the QR code of payload (the base64 text exactly),
// as a data: URI.
func qrImage(payload string) (template.URL, error) {
	png, err := qrcode.Encode(payload, qrcode.Medium, 256)
	if err != nil {
		return "", err
	}
	// The URI is made here from a PNG's base64, nothing from outside.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), nil //nolint:gosec
}

// percent writes basis points as a percentage without trailing zeros:
// 1500 → "15", 1250 → "12.5".
func percent(bp int) string {
	s := strconv.Itoa(bp/100) + "." + strconv.Itoa(100 + bp%100)[1:]
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// htmlOf renders docs to bytes.
func htmlOf(docs []Invoice) ([]byte, error) {
	var b bytes.Buffer
	if err := renderPage(&b, docs); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
