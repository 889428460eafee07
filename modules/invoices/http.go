package invoices

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/modules/orders"
	"concierge/tenants"
)

// pageCSP lets the documents' page use its own inline style and the QR's
// data: image, and nothing else.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Mount serves the invoices: GET /orders/{id}/invoice (orders:read; HTML,
// or JSON when the Accept header prefers application/json), the invoice
// settings GET and PUT /settings/invoicing (settings:read, settings:write)
// and the public page of a signed link, GET /invoices/{token} on the root
// (no login: the token names the tenant and the document).
func (s *Service) Mount(r httpx.Routers) {
	h := &handlers{svc: s, validate: r.Validator}
	r.Staff.Get("/orders/:id/invoice", r.Allow("orders", "read"), h.orderInvoice)
	r.Staff.Get("/settings/invoicing", r.Allow("settings", "read"), h.getSettings)
	r.Staff.Put("/settings/invoicing", r.Allow("settings", "write"), h.putSettings)
	r.Root.Get("/invoices/:token", h.public)
}

type handlers struct {
	svc      *Service
	validate *httpx.Validator
}

// ---- JSON shapes (docs/openapi.yaml) ----

type apiBilingual struct {
	AR string `json:"ar"`
	EN string `json:"en"`
}

type apiSeller struct {
	Name      string `json:"name"` // as in the QR: the Arabic name
	NameEN    string `json:"name_en"`
	VATNumber string `json:"vat_number"`
}

type apiLine struct {
	Title     apiBilingual `json:"title"`
	Options   apiBilingual `json:"options"`
	SKU       string       `json:"sku,omitempty"`
	Shipping  bool         `json:"shipping"`
	Quantity  int          `json:"quantity"`
	UnitPrice int64        `json:"unit_price"`
	Amount    int64        `json:"amount"`
	Discount  int64        `json:"discount"`
	VAT       int64        `json:"vat"`
	Total     int64        `json:"total"`
}

type apiInvoice struct {
	ID            uuid.UUID `json:"id"`
	Number        string    `json:"number"`
	Kind          string    `json:"kind"`
	OrderID       uuid.UUID `json:"order_id"`
	OrderNumber   string    `json:"order_number"`
	RefersTo      string    `json:"refers_to,omitempty"`
	CreditedTotal int64     `json:"credited_total,omitempty"`
	IssuedAt      time.Time `json:"issued_at"`
	Currency      string    `json:"currency"`
	Subtotal      int64     `json:"subtotal"`
	Discount      int64     `json:"discount"`
	Shipping      int64     `json:"shipping"`
	VAT           int64     `json:"vat"`
	Total         int64     `json:"total"`
	VATRateBP     int       `json:"vat_rate_bp"`
	VATIncluded   bool      `json:"vat_included"`
	Seller        apiSeller `json:"seller"`
	Lines         []apiLine `json:"lines"`
	QR            string    `json:"qr_tlv_base64"`
	PublicURL     string    `json:"public_url"`
}

type apiDocument struct {
	apiInvoice
	CreditNotes []apiInvoice `json:"credit_notes"`
}

func (s *Service) toAPIInvoice(v *Invoice) apiInvoice {
	a := apiInvoice{ID: v.ID, Number: Number(v.Number), Kind: v.Kind, OrderID: v.OrderID, OrderNumber: Number(v.OrderNumber),
		CreditedTotal: v.CreditedTotal, IssuedAt: v.IssuedAt, Currency: v.Currency, Subtotal: v.Subtotal, Discount: v.Discount,
		Shipping: v.Shipping, VAT: v.VAT, Total: v.Total, VATRateBP: v.VATRateBP, VATIncluded: v.VATIncluded,
		Seller: apiSeller{Name: v.Seller.NameAR, NameEN: v.Seller.NameEN, VATNumber: v.Seller.VATNumber},
		Lines:  make([]apiLine, len(v.Lines)), QR: v.QR, PublicURL: s.Link(v)}
	if v.RefersToNumber > 0 {
		a.RefersTo = Number(v.RefersToNumber)
	}
	for i, l := range v.Lines {
		a.Lines[i] = apiLine{Title: apiBilingual{l.TitleAR, l.TitleEN}, Options: apiBilingual{l.OptionsAR, l.OptionsEN}, SKU: l.SKU,
			Shipping: l.Shipping, Quantity: l.Quantity, UnitPrice: l.UnitPrice, Amount: l.Amount, Discount: l.Discount, VAT: l.VAT, Total: l.Total}
	}
	return a
}

func (s *Service) toAPIDocument(d *Document) apiDocument {
	out := apiDocument{apiInvoice: s.toAPIInvoice(&d.Invoice), CreditNotes: make([]apiInvoice, len(d.CreditNotes))}
	for i := range d.CreditNotes {
		out.CreditNotes[i] = s.toAPIInvoice(&d.CreditNotes[i])
	}
	return out
}

type apiSettings struct {
	VATNumber    string     `json:"vat_number"`
	SellerNameAR string     `json:"seller_name_ar"`
	SellerNameEN string     `json:"seller_name_en"`
	Configured   bool       `json:"configured"`
	UpdatedAt    *time.Time `json:"updated_at,omitempty"`
}

// settingsReq is the PUT body; configured and updated_at (GET's answer
// sent back) are ignored.
type settingsReq struct {
	VATNumber    string     `json:"vat_number"`
	SellerNameAR string     `json:"seller_name_ar"`
	SellerNameEN string     `json:"seller_name_en"`
	Configured   *bool      `json:"configured"`
	UpdatedAt    *time.Time `json:"updated_at"`
}

func toAPISettings(s Settings) apiSettings {
	return apiSettings{VATNumber: s.VATNumber, SellerNameAR: s.SellerNameAR, SellerNameEN: s.SellerNameEN, Configured: s.Configured, UpdatedAt: s.UpdatedAt}
}

// ---- handlers ----

// docs is the page's documents: the invoice, then its credit notes.
func (d *Document) docs() []Invoice { return append([]Invoice{d.Invoice}, d.CreditNotes...) }

// Page is the printable page of the invoice and its credit notes (the one
// the signed link shows); it needs PageCSP.
func (d *Document) Page() ([]byte, error) { return htmlOf(d.docs()) }

// PageCSP is the Content-Security-Policy the page needs (its own inline
// style, the QR code as a data: image).
const PageCSP = pageCSP

func (h *handlers) orderInvoice(c *fiber.Ctx) error {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return orders.ErrNotFound
	}
	d, err := h.svc.Invoice(c.UserContext(), id)
	if err != nil {
		return err
	}
	c.Vary(fiber.HeaderAccept)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	if c.Accepts(fiber.MIMETextHTML, fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON {
		return c.JSON(h.svc.toAPIDocument(d))
	}
	return sendPage(c, d.docs())
}

// public serves a signed link's page. Whatever is wrong with the token (a
// malformed, tampered or foreign one, a document that is gone) answers the
// same 404 page.
func (h *handlers) public(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("X-Robots-Tag", "noindex")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	tenantID, id, ok := h.svc.Verify(c.Params("token"))
	if !ok {
		return notFoundPage(c)
	}
	d, err := h.svc.Get(tenants.WithTenantID(c.UserContext(), tenantID), id)
	if errors.Is(err, errs.ErrNotFound) {
		return notFoundPage(c)
	}
	if err != nil {
		return err
	}
	return sendPage(c, d.docs())
}

func sendPage(c *fiber.Ctx, docs []Invoice) error {
	b, err := htmlOf(docs)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderContentSecurityPolicy, pageCSP)
	return c.Send(b)
}

func notFoundPage(c *fiber.Ctx) error {
	c.Status(fiber.StatusNotFound)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderContentSecurityPolicy, pageCSP)
	return renderNotFound(c)
}

func (h *handlers) getSettings(c *fiber.Ctx) error {
	s, err := h.svc.Settings(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(toAPISettings(s))
}

func (h *handlers) putSettings(c *fiber.Ctx) error {
	var req settingsReq
	if err := httpx.Bind(c, h.validate, &req); err != nil {
		if errs.CodeOf(err) != errs.CodeInvalid {
			return err
		}
		// One answer names every bad field: the text's and the rules'.
		fields := errs.FieldsOf(err)
		named := map[string]bool{}
		for _, f := range fields {
			named[f.Field] = true
		}
		_, more := checkSettings(Settings{VATNumber: req.VATNumber, SellerNameAR: req.SellerNameAR, SellerNameEN: req.SellerNameEN})
		for _, f := range more {
			if !named[f.Field] {
				fields = append(fields, f)
			}
		}
		return errs.Invalid(fields...)
	}
	s, err := h.svc.SetSettings(c.UserContext(), Settings{VATNumber: req.VATNumber, SellerNameAR: req.SellerNameAR, SellerNameEN: req.SellerNameEN})
	if err != nil {
		return err
	}
	return c.JSON(toAPISettings(s))
}
