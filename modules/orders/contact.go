package orders

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// ContactOrder is an order of a customer with the state of its latest
// payment, for the staff's view of a customer.
type ContactOrder struct {
	Order
	// PaymentStatus is the latest payment's status ("" when there is none,
	// or no payments reader).
	PaymentStatus string
}

// MaxContactOrders bounds ForContact.
const MaxContactOrders = 100

// ForContact returns a WhatsApp customer's newest placed orders (those
// linked to the customer and those placed with their phone, E.164; drafts
// waiting for payment left out), newest first, at most limit, each with its
// latest payment's status: ForContactTx in its own transaction.
func (s *Service) ForContact(ctx context.Context, customerID uuid.UUID, phone string, limit int) ([]ContactOrder, error) {
	if limit <= 0 || limit > MaxContactOrders {
		limit = 20
	}
	var out []ContactOrder
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		os, err := customerOrders(ctx, tx, customerID, phone, limit)
		if err != nil {
			return err
		}
		out = make([]ContactOrder, len(os))
		ids := make([]uuid.UUID, len(os))
		for i, o := range os {
			out[i], ids[i] = ContactOrder{Order: o}, o.ID
		}
		if s.payments == nil || len(ids) == 0 {
			return nil
		}
		ps, err := s.payments.OrderPayments(ctx, tx, ids)
		if err != nil {
			return err
		}
		for i := range out {
			if p := ps[out[i].ID]; len(p) > 0 {
				out[i].PaymentStatus = p[len(p)-1].Status
			}
		}
		return nil
	})
	return out, err
}
