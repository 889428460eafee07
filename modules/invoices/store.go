package invoices

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/db"
)

type settingsRow struct {
	bun.BaseModel `bun:"table:invoice_settings"`
	TenantID      uuid.UUID `bun:"tenant_id,pk"`
	VATNumber     string    `bun:"vat_number"`
	SellerNameAR  string    `bun:"seller_name_ar"`
	SellerNameEN  string    `bun:"seller_name_en"`
	NextNumber    int64     `bun:"next_number"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

func (r *settingsRow) toSettings() Settings {
	u := r.UpdatedAt
	return Settings{VATNumber: r.VATNumber, SellerNameAR: r.SellerNameAR, SellerNameEN: r.SellerNameEN, Configured: true, UpdatedAt: &u}
}

func (r *settingsRow) seller() Seller {
	return Seller{NameAR: r.SellerNameAR, NameEN: r.SellerNameEN, VATNumber: r.VATNumber}
}

type invoiceRow struct {
	bun.BaseModel  `bun:"table:invoices,alias:i"`
	TenantID       uuid.UUID  `bun:"tenant_id"`
	ID             uuid.UUID  `bun:"id"`
	Kind           string     `bun:"kind"`
	Number         int64      `bun:"number"`
	OrderID        uuid.UUID  `bun:"order_id"`
	OrderNumber    int64      `bun:"order_number"`
	RefersTo       *uuid.UUID `bun:"refers_to"`
	RefersToNumber int64      `bun:"refers_to_number,scanonly"`
	IssuedAt       time.Time  `bun:"issued_at"`
	Currency       string     `bun:"currency"`
	Subtotal       int64      `bun:"subtotal"`
	Discount       int64      `bun:"discount"`
	Shipping       int64      `bun:"shipping"`
	VAT            int64      `bun:"vat"`
	Total          int64      `bun:"total"`
	VATRateBP      int        `bun:"vat_rate_bp"`
	VATIncluded    bool       `bun:"vat_included"`
	SellerNameAR   string     `bun:"seller_name_ar"`
	SellerNameEN   string     `bun:"seller_name_en"`
	VATNumber      string     `bun:"vat_number"`
	Lines          []dbLine   `bun:"lines,type:jsonb"`
	QRTLV          string     `bun:"qr_tlv"`
	CreditedTotal  *int64     `bun:"credited_total"`
}

// dbLine is the stored form of a line.
type dbLine struct {
	Shipping  bool   `json:"shipping,omitempty"`
	SKU       string `json:"sku,omitempty"`
	TitleAR   string `json:"title_ar"`
	TitleEN   string `json:"title_en"`
	OptionsAR string `json:"options_ar,omitempty"`
	OptionsEN string `json:"options_en,omitempty"`
	Quantity  int    `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
	Amount    int64  `json:"amount"`
	Discount  int64  `json:"discount"`
	VAT       int64  `json:"vat"`
	Total     int64  `json:"total"`
}

func toInvoiceRow(v *Invoice) *invoiceRow {
	r := &invoiceRow{TenantID: v.TenantID, ID: v.ID, Kind: v.Kind, Number: v.Number, OrderID: v.OrderID, OrderNumber: v.OrderNumber,
		RefersTo: v.RefersTo, IssuedAt: v.IssuedAt, Currency: v.Currency, Subtotal: v.Subtotal, Discount: v.Discount, Shipping: v.Shipping,
		VAT: v.VAT, Total: v.Total, VATRateBP: v.VATRateBP, VATIncluded: v.VATIncluded, SellerNameAR: v.Seller.NameAR,
		SellerNameEN: v.Seller.NameEN, VATNumber: v.Seller.VATNumber, QRTLV: v.QR, Lines: make([]dbLine, len(v.Lines))}
	if v.Kind == KindCreditNote {
		c := v.CreditedTotal
		r.CreditedTotal = &c
	}
	for i, l := range v.Lines {
		r.Lines[i] = dbLine{Shipping: l.Shipping, SKU: l.SKU, TitleAR: l.TitleAR, TitleEN: l.TitleEN, OptionsAR: l.OptionsAR, OptionsEN: l.OptionsEN,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, Amount: l.Amount, Discount: l.Discount, VAT: l.VAT, Total: l.Total}
	}
	return r
}

func (r *invoiceRow) toInvoice() *Invoice {
	v := &Invoice{ID: r.ID, TenantID: r.TenantID, Kind: r.Kind, Number: r.Number, OrderID: r.OrderID, OrderNumber: r.OrderNumber,
		RefersTo: r.RefersTo, RefersToNumber: r.RefersToNumber, IssuedAt: r.IssuedAt.UTC(), Currency: r.Currency, Subtotal: r.Subtotal,
		Discount: r.Discount, Shipping: r.Shipping, VAT: r.VAT, Total: r.Total, VATRateBP: r.VATRateBP, VATIncluded: r.VATIncluded,
		Seller: Seller{NameAR: r.SellerNameAR, NameEN: r.SellerNameEN, VATNumber: r.VATNumber}, QR: r.QRTLV, Lines: make([]Line, len(r.Lines))}
	if r.CreditedTotal != nil {
		v.CreditedTotal = *r.CreditedTotal
	}
	for i, l := range r.Lines {
		v.Lines[i] = Line{Shipping: l.Shipping, SKU: l.SKU, TitleAR: l.TitleAR, TitleEN: l.TitleEN, OptionsAR: l.OptionsAR, OptionsEN: l.OptionsEN,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, Amount: l.Amount, Discount: l.Discount, VAT: l.VAT, Total: l.Total}
	}
	return v
}

// getSettings reads the tenant's settings (nil: none saved).
func getSettings(ctx context.Context, tx bun.IDB) (*settingsRow, error) {
	return readSettings(ctx, tx, false)
}

// lockSettings reads the tenant's settings and holds their row (FOR
// UPDATE) until tx ends: documents are numbered one at a time.
func lockSettings(ctx context.Context, tx bun.IDB) (*settingsRow, error) {
	return readSettings(ctx, tx, true)
}

func readSettings(ctx context.Context, tx bun.IDB, lock bool) (*settingsRow, error) {
	var r settingsRow
	q := tx.NewSelect().Model(&r).Limit(1)
	if lock {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, translate(err)
	}
	return &r, nil
}

// upsertSettings writes the seller's fields; next_number stays.
func upsertSettings(ctx context.Context, tx bun.IDB, r *settingsRow) error {
	_, err := tx.NewInsert().Model(r).ExcludeColumn("next_number").
		On("CONFLICT (tenant_id) DO UPDATE").
		Set("vat_number = EXCLUDED.vat_number, seller_name_ar = EXCLUDED.seller_name_ar, seller_name_en = EXCLUDED.seller_name_en, updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	return translate(err)
}

// takeNumber draws the tenant's next document number, in tx: rolled back
// with it, so numbers have no gaps.
func takeNumber(ctx context.Context, tx bun.IDB) (int64, error) {
	var n int64
	err := tx.NewRaw(`UPDATE invoice_settings SET next_number = next_number + 1 RETURNING next_number - 1`).Scan(ctx, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("invoices: numbering without settings")
	}
	return n, translate(err)
}

func insertInvoice(ctx context.Context, tx bun.IDB, v *Invoice) error {
	_, err := tx.NewInsert().Model(toInvoiceRow(v)).Exec(ctx)
	return translate(err)
}

// selectInvoices selects documents with the number of the invoice a
// credit note refers to.
func selectInvoices(tx bun.IDB, rs any) *bun.SelectQuery {
	return tx.NewSelect().Model(rs).ColumnExpr("i.*").
		ColumnExpr("(SELECT r.number FROM invoices r WHERE r.tenant_id = i.tenant_id AND r.id = i.refers_to) AS refers_to_number")
}

// orderInvoice reads an order's invoice (nil: none).
func orderInvoice(ctx context.Context, tx bun.IDB, orderID uuid.UUID) (*Invoice, error) {
	var r invoiceRow
	err := selectInvoices(tx, &r).Where("i.order_id = ? AND i.kind = 'invoice'", orderID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err)
	}
	return r.toInvoice(), nil
}

// invoiceByID reads a document. Errors: not_found.
func invoiceByID(ctx context.Context, tx bun.IDB, id uuid.UUID) (*Invoice, error) {
	var r invoiceRow
	if err := selectInvoices(tx, &r).Where("i.id = ?", id).Scan(ctx); err != nil {
		return nil, translate(err)
	}
	return r.toInvoice(), nil
}

// creditNotes reads an order's credit notes, oldest first.
func creditNotes(ctx context.Context, tx bun.IDB, orderID uuid.UUID) ([]Invoice, error) {
	var rs []invoiceRow
	if err := selectInvoices(tx, &rs).Where("i.order_id = ? AND i.kind = 'credit_note'", orderID).Order("i.number").Scan(ctx); err != nil {
		return nil, translate(err)
	}
	out := make([]Invoice, len(rs))
	for i := range rs {
		out[i] = *rs[i].toInvoice()
	}
	return out, nil
}

// creditedTotal is the order's refunded total its credit notes credit.
func creditedTotal(ctx context.Context, tx bun.IDB, orderID uuid.UUID) (int64, error) {
	var n int64
	err := tx.NewRaw(`SELECT COALESCE(max(credited_total), 0) FROM invoices WHERE order_id = ? AND kind = 'credit_note'`, orderID).Scan(ctx, &n)
	return n, translate(err)
}

// translate maps driver errors onto the error vocabulary.
func translate(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return db.Translate(err, "invoice")
}
