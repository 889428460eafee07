package orders

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/keyset"
	"concierge/tenants"
)

// CreateTx stores a new order (o.ID, Number, CreatedAt and UpdatedAt are
// filled in) with its lines and a "created" event by actor (the observers
// are told), inside tx, a tenant transaction of the caller. Errors: conflict (the cart already has
// an order that is not cancelled).
func (s *Service) CreateTx(ctx context.Context, tx bun.Tx, o *Order, actor string) error {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	o.ID, o.CreatedAt, o.UpdatedAt = uuid.Must(uuid.NewV7()), now, now
	ev := eventRow{ID: uuid.Must(uuid.NewV7()), Kind: "created", Actor: actor}
	if o.Number, err = insertOrder(ctx, tx, toOrderRow(t.ID, o), toLineRows(o.Lines), ev); err != nil {
		return err
	}
	for _, obs := range s.observers {
		if err := obs.OrderEventTx(ctx, tx, o.ID, o, Event{ID: ev.ID, Kind: ev.Kind, Actor: actor, At: now}); err != nil {
			return err
		}
	}
	return nil
}

// UpdateTx writes o's changeable fields (customer, address, totals, lines
// when withLines, stock_held, cart version) inside tx and, when kind is not
// empty, adds a timeline event.
func (s *Service) UpdateTx(ctx context.Context, tx bun.Tx, o *Order, withLines bool, ev Event) error {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return err
	}
	o.UpdatedAt = s.now().UTC()
	if err := updateOrder(ctx, tx, toOrderRow(t.ID, o)); err != nil {
		return err
	}
	if withLines {
		if err := replaceLines(ctx, tx, t.ID, o.ID, toLineRows(o.Lines)); err != nil {
			return err
		}
	}
	if ev.Kind == "" {
		return nil
	}
	return s.addEvent(ctx, tx, o.ID, nil, ev)
}

// MoveTx moves o to status to inside tx, stamping when it was confirmed
// or cancelled, with a timeline event (ev.Kind "" is the status's name).
// Errors: conflict ("orders.transition", naming the statuses o may move to).
func (s *Service) MoveTx(ctx context.Context, tx bun.Tx, o *Order, to string, ev Event) error {
	if !CanMove(o.Status, to) {
		return errs.New(errs.CodeConflict, "orders.transition", "from", o.Status, "to", to, "allowed", strings.Join(transitions[o.Status], ", "))
	}
	now := s.now().UTC()
	ev.From, ev.To = o.Status, to
	if ev.Kind == "" {
		ev.Kind = to
	}
	o.Status = to
	switch to {
	case StatusConfirmed:
		o.ConfirmedAt = &now
	case StatusCancelled:
		o.CancelledAt = &now
	case StatusShipped:
		o.ShippedAt = &now
	case StatusDelivered:
		o.DeliveredAt = &now
	}
	if err := s.UpdateTx(ctx, tx, o, false, Event{}); err != nil {
		return err
	}
	return s.addEvent(ctx, tx, o.ID, o, ev)
}

// EventTx adds an event to an order's timeline inside tx.
func (s *Service) EventTx(ctx context.Context, tx bun.Tx, orderID uuid.UUID, ev Event) error {
	return s.addEvent(ctx, tx, orderID, nil, ev)
}

// addEvent stores ev and tells the observers; o is the moved order of a
// status change.
func (s *Service) addEvent(ctx context.Context, tx bun.Tx, orderID uuid.UUID, o *Order, ev Event) error {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return err
	}
	if ev.At.IsZero() {
		ev.At = s.now().UTC()
	}
	ev.ID = uuid.Must(uuid.NewV7())
	if err := insertEvent(ctx, tx, &eventRow{TenantID: t.ID, ID: ev.ID, OrderID: orderID, Kind: ev.Kind,
		FromStatus: ev.From, ToStatus: ev.To, Actor: ev.Actor, Note: ev.Note, Data: ev.Data, At: ev.At}); err != nil {
		return err
	}
	for _, obs := range s.observers {
		if err := obs.OrderEventTx(ctx, tx, orderID, o, ev); err != nil {
			return err
		}
	}
	return nil
}

// GetTx reads an order with its lines inside tx; lock holds it (FOR
// UPDATE) until tx ends. Errors: not_found.
func (s *Service) GetTx(ctx context.Context, tx bun.IDB, id uuid.UUID, lock bool) (*Order, error) {
	return getOrder(ctx, tx, "id = ?", lock, id)
}

// ForCartTx reads (and locks) the order of a cart that is not cancelled.
// Errors: not_found.
func (s *Service) ForCartTx(ctx context.Context, tx bun.IDB, cartID string) (*Order, error) {
	return getOrder(ctx, tx, "cart_id = ? AND status <> 'cancelled'", true, cartID)
}

// LatestForCustomerTx reads a WhatsApp customer's most recent order (its
// address is offered at the next checkout). Errors: not_found.
func (s *Service) LatestForCustomerTx(ctx context.Context, tx bun.IDB, customerID uuid.UUID) (*Order, error) {
	return getOrder(ctx, tx, "customer_id = ?", false, customerID)
}

// ForCustomerTx reads a WhatsApp customer's newest placed orders (drafts
// waiting for payment left out), newest first, at most limit, without their
// lines (GetTx reads one whole).
func (s *Service) ForCustomerTx(ctx context.Context, tx bun.IDB, customerID uuid.UUID, limit int) ([]Order, error) {
	return customerOrders(ctx, tx, customerID, "", limit)
}

// ForContactTx is ForCustomerTx with also the orders placed on the web
// with the customer's phone (E.164): a WhatsApp customer's orders wherever
// they were placed.
func (s *Service) ForContactTx(ctx context.Context, tx bun.IDB, customerID uuid.UUID, phone string, limit int) ([]Order, error) {
	return customerOrders(ctx, tx, customerID, phone, limit)
}

// Mine reports whether o belongs to the WhatsApp customer with this id or
// phone (E.164).
func Mine(o Order, customerID uuid.UUID, phone string) bool {
	return (o.CustomerID != nil && *o.CustomerID == customerID) || (phone != "" && o.CustomerPhone == phone)
}

// RefusalsTx counts the orders of phone refused at the door.
func (s *Service) RefusalsTx(ctx context.Context, tx bun.IDB, phone string) (int, error) {
	return countRefusals(ctx, tx, phone)
}

// Get returns an order with its timeline and payments. Errors: not_found.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (*Detail, error) {
	var out *Detail
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		o, evs, err := getDetail(ctx, tx, "o.id = ?", id)
		if err != nil {
			return err
		}
		out = &Detail{Order: *o, Events: evs}
		if s.payments != nil {
			ps, err := s.payments.OrderPayments(ctx, tx, []uuid.UUID{id})
			if err != nil {
				return err
			}
			out.Payments = ps[id]
		}
		return nil
	})
	return out, err
}

// List returns a page of orders, newest first, filtered by phone and
// status. Errors: invalid (cursor, status).
func (s *Service) List(ctx context.Context, q ListQuery) (Page, error) {
	if q.Limit <= 0 || q.Limit > MaxListPage {
		q.Limit = 20
	}
	after, err := keyset.Parse(q.Cursor, "orders.field.cursor")
	if err != nil {
		return Page{}, err
	}
	var page Page
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rs, err := listOrders(ctx, tx, q, after)
		if err != nil {
			return err
		}
		if len(rs) > q.Limit {
			rs = rs[:q.Limit]
			last := rs[len(rs)-1]
			page.NextCursor = keyset.Cursor{At: last.CreatedAt, ID: last.ID.String()}.Encode()
		}
		page.Items = make([]Order, len(rs))
		for i := range rs {
			page.Items[i] = rs[i].toOrder()
		}
		return nil
	})
	return page, err
}

// Stats counts the orders placed in [from, to) and their revenue.
func (s *Service) Stats(ctx context.Context, from, to time.Time) (Stats, error) {
	var st Stats
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		st, err = orderStats(ctx, tx, from, to)
		return err
	})
	return st, err
}

// Timeline returns an order's events. Errors: not_found.
func (s *Service) Timeline(ctx context.Context, id uuid.UUID) ([]Event, error) {
	var out []Event
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		_, out, err = getDetail(ctx, tx, "o.id = ?", id)
		return err
	})
	return out, err
}
