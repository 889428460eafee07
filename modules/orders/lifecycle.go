package orders

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
)

// The lifecycle after the sale: staff move a confirmed order through
// processing, shipped (with tracking) and delivered, or cancel it. Each move
// is a timeline event (who, when, from, to, note) and, where the customer
// cares, a notification queued in the same transaction (sent once per order
// and status, never for a rolled-back move). Cancelling hands the order to
// the Canceller (checkout): the stock comes back and a paid order is
// refunded in full through its payment provider.

// StaffTargets are the statuses staff may move an order to through
// POST /orders/{id}/transitions.
var StaffTargets = []string{StatusProcessing, StatusShipped, StatusDelivered, StatusCancelled}

// Transition is a staff move of an order.
type Transition struct {
	To       string
	Tracking Tracking // shipped only; optional
	Note     string
	Actor    string // "user:<id>"
}

// Canceller undoes what an order holds when staff cancel it (checkout): the
// reserved stock and the payment (a live one cancelled, a captured one
// refunded in full by a job). Called inside the cancelling transaction, the
// order locked, just before it moves (what it changes on o, such as the
// stock no longer held, is written with the move).
type Canceller interface {
	OrderCancelledTx(ctx context.Context, tx bun.Tx, o *Order, actor string) error
}

// SetCanceller names the canceller (checkout is built after orders).
func (s *Service) SetCanceller(c Canceller) { s.canceller = c }

// SetNotifier names the customer notifier.
func (s *Service) SetNotifier(n Notifier) { s.notifier = n }

// Allowed returns the statuses an order in status from may move to.
func Allowed(from string) []string { return append([]string(nil), transitions[from]...) }

// Transition moves an order as staff ask. The same move again (the order
// already has that status) answers the order unchanged: a retried request
// changes and notifies nothing. Errors: not_found; invalid (to is not a
// staff target, tracking on a move other than shipped, a tracking URL that
// is not https); conflict ("orders.transition", naming the statuses the
// order may move to).
func (s *Service) Transition(ctx context.Context, id uuid.UUID, tr Transition) (*Order, error) {
	if err := checkTransition(&tr); err != nil {
		return nil, err
	}
	var o *Order
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if o, err = s.GetTx(ctx, tx, id, true); err != nil {
			return err
		}
		if o.Status == tr.To {
			return nil
		}
		if !CanMove(o.Status, tr.To) {
			allowed := strings.Join(StaffMoves(o.Status), ", ")
			if allowed == "" {
				allowed = "-"
			}
			return errs.New(errs.CodeConflict, "orders.transition", "from", o.Status, "to", tr.To, "allowed", allowed)
		}
		ev := Event{Kind: tr.To, Actor: tr.Actor, Note: tr.Note}
		if tr.To == StatusShipped {
			o.Tracking = tr.Tracking
			ev.Data = trackingData(tr.Tracking)
		}
		if tr.To == StatusCancelled && s.canceller != nil {
			if err := s.canceller.OrderCancelledTx(ctx, tx, o, tr.Actor); err != nil {
				return err
			}
		}
		if err := s.MoveTx(ctx, tx, o, tr.To, ev); err != nil {
			return err
		}
		return s.notifyMove(ctx, tx, o)
	})
	return o, err
}

func trackingData(t Tracking) map[string]string {
	d := map[string]string{}
	for k, v := range map[string]string{"tracking_number": t.Number, "tracking_url": t.URL, "carrier": t.Carrier} {
		if v != "" {
			d[k] = v
		}
	}
	return d
}

// checkTransition validates a move's fields (the JSON edge has checked
// their shapes and lengths).
func checkTransition(tr *Transition) error {
	var fields []errs.FieldError
	ok := false
	for _, t := range StaffTargets {
		ok = ok || t == tr.To
	}
	if !ok {
		fields = append(fields, errs.Field("to", "oneof", "field.oneof", "param", strings.Join(StaffTargets, " ")))
	}
	if tr.To != StatusShipped && tr.Tracking != (Tracking{}) {
		fields = append(fields, errs.Field("tracking_number", "shipped_only", "orders.field.tracking_shipped_only"))
	}
	if len(fields) > 0 {
		return errs.Invalid(fields...)
	}
	return nil
}

// notifyMove tells the customer about a move they care about: shipped
// (with its tracking), delivered, cancelled. Confirmation and payment
// notices are checkout's.
func (s *Service) notifyMove(ctx context.Context, tx bun.Tx, o *Order) error {
	number := strconv.FormatInt(o.Number, 10)
	n := Notice{Key: "order:" + o.ID.String() + ":" + o.Status, Vars: []string{"{order}", number}, Params: []string{number}}
	switch o.Status {
	case StatusShipped:
		n.Text, n.Template = "orders.notify.shipped", "order_shipped"
		track := o.Tracking.Number
		if o.Tracking.URL != "" {
			n.URL, n.URLText = o.Tracking.URL, "orders.button.track"
			track = o.Tracking.URL
		}
		if o.Tracking.Number != "" {
			n.Text = "orders.notify.shipped_tracking"
			n.Vars = append(n.Vars, "{tracking}", o.Tracking.Number, "{carrier}", o.Tracking.Carrier)
		}
		n.Params = append(n.Params, firstOf(track, "-"))
	case StatusDelivered:
		n.Text, n.Template = "orders.notify.delivered", "order_delivered"
	case StatusCancelled:
		n.Text, n.Template = "orders.notify.cancelled", "order_cancelled"
	default:
		return nil
	}
	return s.Notify(ctx, tx, o, n)
}

// Notify queues a notice to the order's customer when they can be reached
// in the chat: a customer who never consented, or has no conversation, is
// logged and skipped (the move still happens).
func (s *Service) Notify(ctx context.Context, tx bun.Tx, o *Order, n Notice) error {
	return NotifyCustomer(ctx, tx, s.notifier, s.log, o, n)
}

// NotifyCustomer queues n through notifier (nil: nothing) to the customer
// of o, inside tx. A customer who cannot be reached in the chat (no
// WhatsApp conversation, no consent, the window closed and the template
// not approved) is logged and skipped: the change goes on. Other errors
// are returned.
func NotifyCustomer(ctx context.Context, tx bun.Tx, notifier Notifier, log *slog.Logger, o *Order, n Notice) error {
	if notifier == nil {
		return nil
	}
	n.CustomerID, n.Phone = o.CustomerID, o.CustomerPhone
	err := notifier.NotifyTx(ctx, tx, n)
	if err != nil && (errors.Is(err, errs.ErrNotFound) || errors.Is(err, errs.ErrConflict)) {
		log.InfoContext(ctx, "order notification not sent", "order_id", o.ID, "key", n.Key, "reason", err.Error())
		return nil
	}
	return err
}
