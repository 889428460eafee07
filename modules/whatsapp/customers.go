package whatsapp

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/arabic"
	"concierge/internal/errs"
	"concierge/internal/keyset"
)

// The staff's reading of the store's WhatsApp customers (the dashboard's
// customers pages): a searchable, paginated list and one customer with the
// consent ledger and their conversations. Reading only: consent changes
// come from the customer (process.go), never from staff.

// CustomerQuery filters Customers: Search matches the profile name (a part
// of it, any case, Arabic letter forms and marks as arabic.Normalize folds
// them) or, when it is a phone number, the WhatsApp id (a part
// of its digits; a leading 0 of a local number dropped).
type CustomerQuery struct {
	Search string
	Cursor string
	Limit  int
}

// CustomerPage is one page of customers, newest first.
type CustomerPage struct {
	Items      []Customer
	NextCursor string
}

// CustomerDetail is a customer with their consent ledger (oldest first)
// and their conversations (newest activity first).
type CustomerDetail struct {
	Customer      Customer
	Consents      []ConsentRecord
	Conversations []ConversationView
}

// MaxCustomerPage bounds a page of customers; MaxCustomerSearch the
// search text, in characters.
const (
	MaxCustomerPage   = 100
	MaxCustomerSearch = 100
)

// Customers returns a page of the store's customers, newest first.
// Errors: invalid (cursor, a search longer than MaxCustomerSearch).
func (s *Service) Customers(ctx context.Context, q CustomerQuery) (CustomerPage, error) {
	if q.Limit <= 0 || q.Limit > MaxCustomerPage {
		q.Limit = 25
	}
	q.Search = strings.TrimSpace(q.Search)
	if utf8.RuneCountInString(q.Search) > MaxCustomerSearch || !utf8.ValidString(q.Search) || strings.ContainsRune(q.Search, 0) {
		return CustomerPage{}, errs.Invalid(errs.Field("q", "max", "field.max", "param", MaxCustomerSearch))
	}
	after, err := keyset.Parse(q.Cursor, "whatsapp.field.cursor")
	if err != nil {
		return CustomerPage{}, err
	}
	var page CustomerPage
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rows, err := listCustomers(ctx, tx, q, after)
		if err != nil {
			return err
		}
		if len(rows) > q.Limit {
			rows = rows[:q.Limit]
			last := rows[len(rows)-1]
			page.NextCursor = keyset.Cursor{At: last.CreatedAt, ID: last.ID.String()}.Encode()
		}
		page.Items = make([]Customer, len(rows))
		for i := range rows {
			page.Items[i] = *rows[i].toCustomer()
		}
		return nil
	})
	return page, err
}

// Customer returns one customer of the store with their consent ledger and
// conversations. Errors: not_found (ErrCustomerNotFound).
func (s *Service) Customer(ctx context.Context, id uuid.UUID) (*CustomerDetail, error) {
	var out *CustomerDetail
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := getCustomer(ctx, tx, id)
		if errs.CodeOf(err) == errs.CodeNotFound {
			return ErrCustomerNotFound
		}
		if err != nil {
			return err
		}
		out = &CustomerDetail{Customer: *c}
		if out.Consents, err = consentsOf(ctx, tx, id); err != nil {
			return err
		}
		out.Conversations, err = views(ctx, tx, func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("conversation_row.customer_id = ?", id)
		}, 50)
		return err
	})
	return out, err
}

// phoneDigits is the search as the digits of a phone number ("" when it is
// not one: fewer than 3 digits, or anything but digits, spaces, +, - and
// parentheses).
func phoneDigits(search string) string {
	s := arabic.DigitsToASCII(search)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '+' || r == '-' || r == '(' || r == ')':
		default:
			return ""
		}
	}
	d := strings.TrimLeft(b.String(), "0")
	if len(d) < 3 {
		return ""
	}
	return d
}

// likeEscape escapes LIKE's wildcards in s.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func listCustomers(ctx context.Context, tx bun.IDB, q CustomerQuery, after *keyset.Cursor) ([]customerRow, error) {
	var rows []customerRow
	sel := tx.NewSelect().Model(&rows).OrderExpr("created_at DESC, id DESC").Limit(int64(q.Limit + 1))
	if q.Search != "" {
		if d := phoneDigits(q.Search); d != "" {
			sel = sel.Where("wa_id LIKE ?", "%"+d+"%")
		} else {
			// Both sides in matching form: "فاطمه" finds "فاطمة", "اسراء"
			// finds "إسراء" (migration 00027's arabic_fold).
			sel = sel.Where("arabic_fold(profile_name) LIKE ?", "%"+likeEscape(arabic.Normalize(q.Search))+"%")
		}
	}
	if after != nil {
		sel = sel.Where("(created_at, id) < (?, ?)", after.At, after.ID)
	}
	return rows, sel.Scan(ctx)
}

// consentsOf is a customer's consent ledger, oldest first.
func consentsOf(ctx context.Context, tx bun.IDB, customerID uuid.UUID) ([]ConsentRecord, error) {
	var rows []consentRow
	if err := tx.NewSelect().Model(&rows).Where("customer_id = ?", customerID).OrderExpr("at, id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]ConsentRecord, len(rows))
	for i, r := range rows {
		out[i] = ConsentRecord{CustomerID: r.CustomerID, Action: r.Action, Purpose: r.Purpose, NoticeVersion: r.NoticeVersion,
			Channel: r.Channel, MessageID: r.MessageID, At: r.At.UTC()}
	}
	return out, nil
}
