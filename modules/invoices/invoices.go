// Package invoices issues ZATCA phase-1 simplified tax invoices and credit
// notes (docs/invoices.md). An order's invoice is issued inside the
// transaction that confirms it (Service is an orders.Observer); a refund of
// its payment issues a credit note for the newly refunded amount. Documents
// are numbered per tenant without gaps, snapshot what they state (seller,
// amounts, lines) and carry the ZATCA QR payload (TLV, base64). Staff read
// an order's invoice as print-ready bilingual HTML or JSON; customers open a
// signed public link that needs no login.
//
// A tenant without a VAT number gets no invoices: confirmation goes on, and
// the invoice is issued on demand once the number is set (Invoice).
package invoices

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/orders"
	"concierge/tenants"
)

// The kinds of document.
const (
	KindInvoice    = "invoice"
	KindCreditNote = "credit_note"
)

// Invoice is one issued document: a simplified tax invoice or a credit
// note. Amounts are minor units of Currency with the order's semantics:
// Subtotal and Shipping as the order priced them (with VAT when
// VATIncluded), Discount subtracted before VAT, VAT included in Total. A
// credit note holds the credited amounts, positive.
type Invoice struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	Kind        string
	Number      int64
	OrderID     uuid.UUID
	OrderNumber int64
	// RefersTo is a credit note's invoice (RefersToNumber its number).
	RefersTo       *uuid.UUID
	RefersToNumber int64
	IssuedAt       time.Time // UTC, whole seconds
	Currency       string
	Subtotal       int64
	Discount       int64
	Shipping       int64
	VAT            int64
	Total          int64
	VATRateBP      int
	VATIncluded    bool
	Seller         Seller
	Lines          []Line
	// QR is the ZATCA QR payload: the base64 (standard) of the TLV fields
	// seller name, VAT number, time, total with VAT, VAT (QRFields).
	QR string
	// CreditedTotal is, for a credit note, the order's refunded total this
	// credit note brings its credits to.
	CreditedTotal int64
}

// Seller is who issues the document, as it was when issued.
type Seller struct {
	NameAR    string
	NameEN    string
	VATNumber string
}

// Line is one line of a document. UnitPrice and Amount (UnitPrice ×
// Quantity) are as the order priced them; Discount is the line's share of
// the order's discount, VAT its share of the order's VAT, Total what it
// costs with VAT (Amount − Discount, plus VAT when prices exclude it).
type Line struct {
	Shipping  bool // the delivery line
	SKU       string
	TitleAR   string
	TitleEN   string
	OptionsAR string
	OptionsEN string
	Quantity  int
	UnitPrice int64
	Amount    int64
	Discount  int64
	VAT       int64
	Total     int64
}

// Document is an order's invoice with its credit notes, oldest first.
type Document struct {
	Invoice     Invoice
	CreditNotes []Invoice
}

// Settings are how a tenant's invoices name the seller. VATNumber is the
// Saudi VAT registration number (15 digits, first and last 3).
type Settings struct {
	VATNumber    string
	SellerNameAR string
	SellerNameEN string
	// Configured is false until the tenant saved its settings (the names
	// are then the store's names, as a suggestion).
	Configured bool
	UpdatedAt  *time.Time
}

// Orders reads orders (orders.Service).
type Orders interface {
	// GetTx reads an order with its lines in tx; lock holds it until tx
	// ends. Errors: not_found.
	GetTx(ctx context.Context, tx bun.IDB, id uuid.UUID, lock bool) (*orders.Order, error)
}

// Auditor records settings changes (tenants.AuditEntry).
type Auditor interface {
	Record(ctx context.Context, tx bun.IDB, e tenants.AuditEntry) error
}

// Errors of the package.
var (
	// ErrNoVATNumber: the store has not set its VAT number, so no invoice
	// can be issued.
	ErrNoVATNumber = errs.New(errs.CodeConflict, "invoices.no_vat_number")
	// ErrNotConfirmed: the order was never confirmed, so it has no invoice.
	ErrNotConfirmed = errs.New(errs.CodeConflict, "invoices.not_confirmed")
	// ErrNotFound: no such invoice.
	ErrNotFound = errs.New(errs.CodeNotFound, "invoices.not_found")
)

// MinSigningKey is the shortest signing key accepted for public links.
const MinSigningKey = 32

// Config tunes the service.
type Config struct {
	// SigningKey signs public links (at least MinSigningKey bytes; the
	// composition root derives it from the master key). Shorter: no link
	// is made or accepted.
	SigningKey []byte
	// PublicBaseURL is where public links point (https://concierge.example).
	PublicBaseURL string
}

// Deps are what the service needs.
type Deps struct {
	Scope  *tenants.Scope
	Orders Orders
	Audit  Auditor
	// Actor names who acts in a request's context ("user:<id>") in the
	// audit log (nil: "staff").
	Actor func(ctx context.Context) string
	Log   *slog.Logger
	Now   func() time.Time
}

// Service issues and serves invoices.
type Service struct {
	cfg    Config
	key    []byte // the HMAC key of public links (nil: links off)
	scope  *tenants.Scope
	orders Orders
	audit  Auditor
	actor  func(ctx context.Context) string
	log    *slog.Logger
	now    func() time.Time
}

// New builds the service.
func New(cfg Config, d Deps) *Service {
	s := &Service{cfg: cfg, scope: d.Scope, orders: d.Orders, audit: d.Audit, actor: d.Actor, log: d.Log, now: d.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.actor == nil {
		s.actor = func(context.Context) string { return "staff" }
	}
	if len(cfg.SigningKey) >= MinSigningKey {
		// A key of its own for links, whatever else the given key signs.
		k := sha256.Sum256(append([]byte("concierge invoices link v1\x00"), cfg.SigningKey...))
		s.key = k[:]
	} else {
		s.log.Error("invoices: signing key shorter than 32 bytes: public invoice links are off")
	}
	return s
}

// OrderEventTx issues documents as orders move, inside the transaction of
// the change (orders.Observer): the invoice when an order is confirmed, a
// credit note for the newly refunded amount when its payment is refunded
// (ev.Data["refunded"]: the payment's refunded total). A store without a VAT
// number, or an order never confirmed, gets nothing and the change goes on;
// only a failure to store the document fails it.
func (s *Service) OrderEventTx(ctx context.Context, tx bun.Tx, orderID uuid.UUID, o *orders.Order, ev orders.Event) error {
	switch {
	case ev.To == orders.StatusConfirmed && o != nil:
		_, err := s.IssueTx(ctx, tx, o)
		if errors.Is(err, ErrNoVATNumber) {
			s.log.InfoContext(ctx, "invoices: no invoice for a confirmed order: the store has no VAT number", "order_id", orderID)
			return nil
		}
		return err
	case ev.Kind == "payment_refunded":
		refunded, err := strconv.ParseInt(ev.Data["refunded"], 10, 64)
		if err != nil || refunded <= 0 {
			s.log.WarnContext(ctx, "invoices: refund event without a refunded total", "order_id", orderID, "refunded", ev.Data["refunded"])
			return nil
		}
		o, err := s.orders.GetTx(ctx, tx, orderID, false)
		if err != nil {
			return err
		}
		_, err = s.CreditTx(ctx, tx, o, refunded)
		switch {
		case errors.Is(err, ErrNoVATNumber):
			s.log.InfoContext(ctx, "invoices: no credit note for a refund: the store has no VAT number", "order_id", orderID)
			return nil
		case errors.Is(err, ErrNotConfirmed):
			s.log.InfoContext(ctx, "invoices: no credit note for a refund of an order never confirmed", "order_id", orderID)
			return nil
		}
		return err
	}
	return nil
}

// IssueTx issues o's invoice inside tx, or returns the one it has. Errors:
// conflict (ErrNotConfirmed: o was never confirmed; ErrNoVATNumber).
func (s *Service) IssueTx(ctx context.Context, tx bun.IDB, o *orders.Order) (*Invoice, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	if o.ConfirmedAt == nil {
		return nil, ErrNotConfirmed
	}
	if inv, err := orderInvoice(ctx, tx, o.ID); err != nil || inv != nil {
		return inv, err
	}
	// The settings' row lock serialises the tenant's issues: an invoice
	// issued meanwhile is seen by the second look.
	set, err := lockSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	if set == nil {
		return nil, ErrNoVATNumber
	}
	if inv, err := orderInvoice(ctx, tx, o.ID); err != nil || inv != nil {
		return inv, err
	}
	inv, err := buildInvoice(t.ID, o, set.seller(), s.now())
	if err != nil {
		return nil, err
	}
	if err := s.insert(ctx, tx, inv); err != nil {
		return nil, err
	}
	return inv, nil
}

// CreditTx issues a credit note for what of refunded (the order's refunded
// total) no earlier credit note credits, inside tx; nil when there is
// nothing new (a replayed refund). An order with no invoice yet gets it
// first. Credits never exceed the invoice's total. Errors: conflict
// (ErrNotConfirmed, ErrNoVATNumber).
func (s *Service) CreditTx(ctx context.Context, tx bun.IDB, o *orders.Order, refunded int64) (*Invoice, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	inv, err := s.IssueTx(ctx, tx, o)
	if err != nil {
		return nil, err
	}
	set, err := lockSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	if set == nil {
		return nil, ErrNoVATNumber
	}
	credited, err := creditedTotal(ctx, tx, o.ID)
	if err != nil {
		return nil, err
	}
	upTo := min(refunded, inv.Total)
	if upTo <= credited {
		return nil, nil
	}
	if refunded > inv.Total {
		s.log.WarnContext(ctx, "invoices: refunded more than the invoice's total; credited up to the total", "order_id", o.ID,
			"refunded", refunded, "total", inv.Total)
	}
	cn := buildCreditNote(t.ID, inv, credited, upTo, set.seller(), s.now())
	if err := s.insert(ctx, tx, cn); err != nil {
		return nil, err
	}
	return cn, nil
}

// insert numbers doc, makes its QR payload and stores it.
func (s *Service) insert(ctx context.Context, tx bun.IDB, doc *Invoice) error {
	n, err := takeNumber(ctx, tx)
	if err != nil {
		return err
	}
	doc.Number = n
	if doc.QR, err = QRPayload(doc); err != nil {
		return err
	}
	return insertInvoice(ctx, tx, doc)
}

// Invoice returns an order's invoice with its credit notes, issuing the
// invoice now if the order was confirmed without one (the store set its
// VAT number later). Errors: not_found (no such order), conflict
// (ErrNotConfirmed, ErrNoVATNumber).
func (s *Service) Invoice(ctx context.Context, orderID uuid.UUID) (*Document, error) {
	var out *Document
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		inv, err := orderInvoice(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if inv == nil {
			o, err := s.orders.GetTx(ctx, tx, orderID, true)
			if err != nil {
				return err
			}
			if inv, err = s.IssueTx(ctx, tx, o); err != nil {
				return err
			}
		}
		out = &Document{Invoice: *inv}
		out.CreditNotes, err = creditNotes(ctx, tx, orderID)
		return err
	})
	return out, err
}

// Get returns the document with id: an invoice with its credit notes, or a
// credit note alone. Errors: not_found.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (*Document, error) {
	var out *Document
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		inv, err := invoiceByID(ctx, tx, id)
		if err != nil {
			return err
		}
		out = &Document{Invoice: *inv}
		if inv.Kind == KindInvoice {
			out.CreditNotes, err = creditNotes(ctx, tx, inv.OrderID)
		}
		return err
	})
	return out, err
}
