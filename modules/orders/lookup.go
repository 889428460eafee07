package orders

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"concierge/internal/arabic"
	"concierge/internal/errs"
	"concierge/internal/gateway"
	"concierge/internal/httpx"
	"concierge/tenants"
)

// Order lookup for the web: a shopper who gives the phone an order was
// placed with and its number sees the order's public view (status,
// timeline, items, totals; of the address only the city). A wrong pair and
// an unknown order get the same 404, and tries are limited per IP and per
// phone (LookupPerHour, 10 by default), so numbers cannot be enumerated and
// a phone's orders cannot be guessed.

// ErrLookupNotFound answers every lookup that does not match.
var ErrLookupNotFound = errs.New(errs.CodeNotFound, "orders.lookup.not_found")

// Lookup returns the order numbered number placed with phone (E.164).
// Errors: ErrLookupNotFound.
func (s *Service) Lookup(ctx context.Context, phone string, number int64) (*Detail, error) {
	var out *Detail
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		o, evs, err := getDetail(ctx, tx, "o.number = ? AND o.customer_phone = ? AND o.status <> 'pending_payment'", number, phone)
		if errors.Is(err, ErrNotFound) {
			return ErrLookupNotFound
		}
		if err != nil {
			return err
		}
		out = &Detail{Order: *o, Events: evs}
		return nil
	})
	return out, err
}

// lookupBody is POST /orders/lookup.
type lookupBody struct {
	Phone       string `json:"phone" validate:"required,max=32"`
	OrderNumber string `json:"order_number" validate:"required,max=24"`
}

// APIPublicOrder is the public view of an order: nothing of the customer
// but the city.
type APIPublicOrder struct {
	Number      string       `json:"number"`
	Status      string       `json:"status"`
	Items       []APILine    `json:"items"`
	Totals      APITotals    `json:"totals"`
	City        string       `json:"city"`
	Tracking    *APITracking `json:"tracking,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
	ConfirmedAt *time.Time   `json:"confirmed_at,omitempty"`
	ShippedAt   *time.Time   `json:"shipped_at,omitempty"`
	DeliveredAt *time.Time   `json:"delivered_at,omitempty"`
	CancelledAt *time.Time   `json:"cancelled_at,omitempty"`
	Timeline    []APIStep    `json:"timeline"`
}

// APIStep is a customer-visible step of an order's timeline.
type APIStep struct {
	Status string    `json:"status"` // the status reached, or "refunded"
	At     time.Time `json:"at"`
}

// ToAPIPublicOrder converts an order for the public lookup.
func ToAPIPublicOrder(d Detail) APIPublicOrder {
	a := ToAPIOrder(d.Order)
	out := APIPublicOrder{Number: a.Number, Status: a.Status, Items: a.Items, Totals: a.Totals, City: d.Address.City, Tracking: a.Tracking,
		CreatedAt: a.CreatedAt, ConfirmedAt: a.ConfirmedAt, ShippedAt: a.ShippedAt, DeliveredAt: a.DeliveredAt, CancelledAt: a.CancelledAt,
		Timeline: []APIStep{}}
	for _, e := range d.Events {
		switch {
		case e.Kind == "created":
			out.Timeline = append(out.Timeline, APIStep{Status: "placed", At: e.At})
		case e.To != "" && e.To != StatusPendingPayment:
			out.Timeline = append(out.Timeline, APIStep{Status: e.To, At: e.At})
		case e.Kind == "payment_refunded":
			out.Timeline = append(out.Timeline, APIStep{Status: "refunded", At: e.At})
		}
	}
	return out
}

// parseOrderNumber reads "1042", "#1042" or "١٠٤٢".
func parseOrderNumber(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(arabic.DigitsToASCII(s)), "#")
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

func (s *Service) lookup(c *fiber.Ctx, v *httpx.Validator) error {
	var b lookupBody
	if err := httpx.Bind(c, v, &b); err != nil {
		return err
	}
	ip, _ := gateway.ByIP(c)
	d, err := s.LookupLimited(c.UserContext(), ip, b.Phone, b.OrderNumber)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(ToAPIPublicOrder(*d))
}

// LookupLimited is the public lookup as a shopper types it (phone in any
// form, order number with or without "#", Arabic-Indic digits), counted
// against the per-IP and per-phone limits once the input is well formed.
// Errors: invalid (phone, order_number), rate_limited, ErrLookupNotFound.
func (s *Service) LookupLimited(ctx context.Context, ip, rawPhone, rawNumber string) (*Detail, error) {
	var fields []errs.FieldError
	phone, err := ParsePhone(rawPhone)
	if err != nil {
		fields = append(fields, errs.Field("phone", "e164", "field.e164"))
	}
	number, ok := parseOrderNumber(rawNumber)
	if !ok {
		fields = append(fields, errs.Field("order_number", "numeric", "field.numeric"))
	}
	if len(fields) > 0 {
		return nil, errs.Invalid(fields...)
	}
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.limit(ctx, "lookup:"+ip); err != nil {
		return nil, err
	}
	if err := s.limit(ctx, "lookup:{"+t.ID.String()+"}:"+phone); err != nil {
		return nil, err
	}
	return s.Lookup(ctx, phone, number)
}

// limit counts one lookup try against key: 429 with Retry-After over
// LookupPerHour. Redis trouble lets the try through (and is logged).
func (s *Service) limit(ctx context.Context, key string) error {
	if s.limiter == nil {
		return nil
	}
	res, err := s.limiter.Allow(ctx, s.cfg.RedisPrefix+key, redis_rate.PerHour(s.cfg.LookupPerHour))
	if err != nil {
		s.log.WarnContext(ctx, "order lookup rate limit unavailable; allowing", "error", err)
		return nil
	}
	if res.Allowed > 0 {
		return nil
	}
	return &errs.Error{Code: errs.CodeRateLimited, Msg: errs.M("orders.lookup.rate_limited"),
		RetryAfter: max(1, int(math.Ceil(res.RetryAfter.Seconds())))}
}
