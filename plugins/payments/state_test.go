package payments_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"concierge/plugins/payments"
)

// st builds a State: st(status, amount, captured, refunded).
func st(s payments.Status, amount, captured, refunded int64) payments.State {
	return payments.State{Status: s, Amount: amount, Captured: captured, Refunded: refunded}
}

func TestNext(t *testing.T) {
	t.Parallel()
	const (
		pending  = payments.StatusPending
		action   = payments.StatusRequiresAction
		authd    = payments.StatusAuthorized
		captured = payments.StatusCaptured
		partial  = payments.StatusPartiallyRefunded
		refunded = payments.StatusRefunded
		failed   = payments.StatusFailed
		cancel   = payments.StatusCancelled
		expired  = payments.StatusExpired
	)
	tests := []struct {
		name   string
		from   payments.State
		kind   payments.EventKind
		amount int64
		want   payments.State // the state after; on an error, the state unchanged
		err    error          // nil, ErrNoChange or ErrIllegalTransition
	}{
		// Every legal move forward.
		{"pending to requires_action", st(pending, 100, 0, 0), payments.EventRequiresAction, 0, st(action, 100, 0, 0), nil},
		{"pending to authorized", st(pending, 100, 0, 0), payments.EventAuthorized, 0, st(authd, 100, 0, 0), nil},
		{"pending to captured", st(pending, 100, 0, 0), payments.EventCaptured, 100, st(captured, 100, 100, 0), nil},
		{"pending to failed", st(pending, 100, 0, 0), payments.EventFailed, 0, st(failed, 100, 0, 0), nil},
		{"pending to cancelled", st(pending, 100, 0, 0), payments.EventCancelled, 0, st(cancel, 100, 0, 0), nil},
		{"pending to expired", st(pending, 100, 0, 0), payments.EventExpired, 0, st(expired, 100, 0, 0), nil},
		{"requires_action to authorized", st(action, 100, 0, 0), payments.EventAuthorized, 0, st(authd, 100, 0, 0), nil},
		{"requires_action to captured", st(action, 100, 0, 0), payments.EventCaptured, 100, st(captured, 100, 100, 0), nil},
		{"requires_action to failed", st(action, 100, 0, 0), payments.EventFailed, 0, st(failed, 100, 0, 0), nil},
		{"requires_action to cancelled", st(action, 100, 0, 0), payments.EventCancelled, 0, st(cancel, 100, 0, 0), nil},
		{"requires_action to expired", st(action, 100, 0, 0), payments.EventExpired, 0, st(expired, 100, 0, 0), nil},
		{"authorized to captured in full", st(authd, 100, 0, 0), payments.EventCaptured, 100, st(captured, 100, 100, 0), nil},
		{"authorized to captured in part", st(authd, 100, 0, 0), payments.EventCaptured, 60, st(captured, 100, 60, 0), nil},
		{"authorized to failed", st(authd, 100, 0, 0), payments.EventFailed, 0, st(failed, 100, 0, 0), nil},
		{"authorized to cancelled", st(authd, 100, 0, 0), payments.EventCancelled, 0, st(cancel, 100, 0, 0), nil},
		{"authorized to expired", st(authd, 100, 0, 0), payments.EventExpired, 0, st(expired, 100, 0, 0), nil},
		{"captured refunded in part", st(captured, 100, 100, 0), payments.EventRefunded, 30, st(partial, 100, 100, 30), nil},
		{"captured refunded in full", st(captured, 100, 100, 0), payments.EventRefunded, 100, st(refunded, 100, 100, 100), nil},
		{"partial capture refunded in full", st(captured, 100, 60, 0), payments.EventRefunded, 60, st(refunded, 100, 60, 60), nil},
		{"partially refunded, more", st(partial, 100, 100, 30), payments.EventRefunded, 50, st(partial, 100, 100, 50), nil},
		{"partially refunded, the rest", st(partial, 100, 100, 30), payments.EventRefunded, 100, st(refunded, 100, 100, 100), nil},

		// Events that change nothing.
		{"requires_action again", st(action, 100, 0, 0), payments.EventRequiresAction, 0, st(action, 100, 0, 0), payments.ErrNoChange},
		{"authorized again", st(authd, 100, 0, 0), payments.EventAuthorized, 0, st(authd, 100, 0, 0), payments.ErrNoChange},
		{"captured again", st(captured, 100, 100, 0), payments.EventCaptured, 100, st(captured, 100, 100, 0), payments.ErrNoChange},
		{"captured again, another amount", st(captured, 100, 60, 0), payments.EventCaptured, 80, st(captured, 100, 60, 0), payments.ErrNoChange},
		{"captured after a partial refund", st(partial, 100, 100, 30), payments.EventCaptured, 100, st(partial, 100, 100, 30), payments.ErrNoChange},
		{"failed again", st(failed, 100, 0, 0), payments.EventFailed, 0, st(failed, 100, 0, 0), payments.ErrNoChange},
		{"cancelled again", st(cancel, 100, 0, 0), payments.EventCancelled, 0, st(cancel, 100, 0, 0), payments.ErrNoChange},
		{"expired again", st(expired, 100, 0, 0), payments.EventExpired, 0, st(expired, 100, 0, 0), payments.ErrNoChange},
		{"refund total already applied", st(partial, 100, 100, 30), payments.EventRefunded, 30, st(partial, 100, 100, 30), payments.ErrNoChange},
		{"older refund total", st(partial, 100, 100, 50), payments.EventRefunded, 30, st(partial, 100, 100, 50), payments.ErrNoChange},
		{"refunded again", st(refunded, 100, 100, 100), payments.EventRefunded, 100, st(refunded, 100, 100, 100), payments.ErrNoChange},
		{"older total after refunded", st(refunded, 100, 100, 100), payments.EventRefunded, 30, st(refunded, 100, 100, 100), payments.ErrNoChange},

		// Illegal: refused, the state unchanged.
		{"failed after captured", st(captured, 100, 100, 0), payments.EventFailed, 0, st(captured, 100, 100, 0), payments.ErrIllegalTransition},
		{"cancelled after captured", st(captured, 100, 100, 0), payments.EventCancelled, 0, st(captured, 100, 100, 0), payments.ErrIllegalTransition},
		{"expired after captured", st(captured, 100, 100, 0), payments.EventExpired, 0, st(captured, 100, 100, 0), payments.ErrIllegalTransition},
		{"failed after refunded", st(refunded, 100, 100, 100), payments.EventFailed, 0, st(refunded, 100, 100, 100), payments.ErrIllegalTransition},
		{"captured after refunded", st(refunded, 100, 100, 100), payments.EventCaptured, 100, st(refunded, 100, 100, 100), payments.ErrIllegalTransition},
		{"captured after failed", st(failed, 100, 0, 0), payments.EventCaptured, 100, st(failed, 100, 0, 0), payments.ErrIllegalTransition},
		{"captured after cancelled", st(cancel, 100, 0, 0), payments.EventCaptured, 100, st(cancel, 100, 0, 0), payments.ErrIllegalTransition},
		{"captured after expired", st(expired, 100, 0, 0), payments.EventCaptured, 100, st(expired, 100, 0, 0), payments.ErrIllegalTransition},
		{"cancelled after failed", st(failed, 100, 0, 0), payments.EventCancelled, 0, st(failed, 100, 0, 0), payments.ErrIllegalTransition},
		{"expired after cancelled", st(cancel, 100, 0, 0), payments.EventExpired, 0, st(cancel, 100, 0, 0), payments.ErrIllegalTransition},
		{"captured over the payment amount", st(authd, 100, 0, 0), payments.EventCaptured, 101, st(authd, 100, 0, 0), payments.ErrIllegalTransition},
		{"captured nothing", st(authd, 100, 0, 0), payments.EventCaptured, 0, st(authd, 100, 0, 0), payments.ErrIllegalTransition},
		{"captured a negative amount", st(pending, 100, 0, 0), payments.EventCaptured, -5, st(pending, 100, 0, 0), payments.ErrIllegalTransition},
		{"refund over captured", st(captured, 100, 60, 0), payments.EventRefunded, 61, st(captured, 100, 60, 0), payments.ErrIllegalTransition},
		{"refund over captured after a partial refund", st(partial, 100, 100, 30), payments.EventRefunded, 101, st(partial, 100, 100, 30), payments.ErrIllegalTransition},
		{"refund of nothing", st(captured, 100, 100, 0), payments.EventRefunded, 0, st(captured, 100, 100, 0), payments.ErrIllegalTransition},
		{"refund before capture", st(authd, 100, 0, 0), payments.EventRefunded, 30, st(authd, 100, 0, 0), payments.ErrIllegalTransition},
		{"refund of a pending payment", st(pending, 100, 0, 0), payments.EventRefunded, 30, st(pending, 100, 0, 0), payments.ErrIllegalTransition},
		{"refund of a failed payment", st(failed, 100, 0, 0), payments.EventRefunded, 30, st(failed, 100, 0, 0), payments.ErrIllegalTransition},
		{"requires_action after authorized", st(authd, 100, 0, 0), payments.EventRequiresAction, 0, st(authd, 100, 0, 0), payments.ErrIllegalTransition},
		{"authorized after captured", st(captured, 100, 100, 0), payments.EventAuthorized, 0, st(captured, 100, 100, 0), payments.ErrIllegalTransition},
		{"authorized after expired", st(expired, 100, 0, 0), payments.EventAuthorized, 0, st(expired, 100, 0, 0), payments.ErrIllegalTransition},
		{"unknown event", st(pending, 100, 0, 0), payments.EventKind("disputed"), 0, st(pending, 100, 0, 0), payments.ErrIllegalTransition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := payments.Next(tt.from, tt.kind, tt.amount)
			switch {
			case tt.err == nil && err != nil:
				t.Fatalf("Next(%+v, %s, %d): %v", tt.from, tt.kind, tt.amount, err)
			case tt.err != nil && !errors.Is(err, tt.err):
				t.Fatalf("Next(%+v, %s, %d) error = %v, want %v", tt.from, tt.kind, tt.amount, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("Next(%+v, %s, %d) = %+v, want %+v", tt.from, tt.kind, tt.amount, got, tt.want)
			}
		})
	}
}

// TestNextRefundsInAnyOrder: refunded events carry the total so far, so the
// same deliveries in any order end in the same state.
func TestNextRefundsInAnyOrder(t *testing.T) {
	t.Parallel()
	start := st(payments.StatusCaptured, 100, 100, 0)
	want := st(payments.StatusRefunded, 100, 100, 100)
	for _, order := range [][]int64{{30, 100}, {100, 30}, {30, 30, 100, 30}, {100, 100}} {
		s := start
		for _, total := range order {
			next, err := payments.Next(s, payments.EventRefunded, total)
			if err != nil && !errors.Is(err, payments.ErrNoChange) {
				t.Fatalf("order %v: refunded %d on %+v: %v", order, total, s, err)
			}
			s = next
		}
		if s != want {
			t.Errorf("order %v ends in %+v, want %+v", order, s, want)
		}
	}
}

func TestStatusPredicates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status            payments.Status
		final, live, paid bool
	}{
		{payments.StatusPending, false, true, false},
		{payments.StatusRequiresAction, false, true, false},
		{payments.StatusAuthorized, false, true, false},
		{payments.StatusCaptured, false, false, true},
		{payments.StatusPartiallyRefunded, false, false, true},
		{payments.StatusRefunded, true, false, false},
		{payments.StatusFailed, true, false, false},
		{payments.StatusCancelled, true, false, false},
		{payments.StatusExpired, true, false, false},
	}
	for _, tt := range tests {
		if got := tt.status.Final(); got != tt.final {
			t.Errorf("%s.Final() = %v", tt.status, got)
		}
		if got := tt.status.Live(); got != tt.live {
			t.Errorf("%s.Live() = %v", tt.status, got)
		}
		if got := tt.status.Paid(); got != tt.paid {
			t.Errorf("%s.Paid() = %v", tt.status, got)
		}
	}
}

// named is a provider that only has a name.
type named string

func (n named) Name() string                      { return string(n) }
func (named) Capabilities() payments.Capabilities { return payments.Capabilities{} }
func (named) Fields() []payments.Field            { return nil }
func (named) Initiate(context.Context, payments.PaymentRequest) (payments.Session, error) {
	return payments.Session{}, payments.ErrUnsupported
}
func (named) HandleWebhook(context.Context, payments.WebhookRequest) ([]payments.Event, error) {
	return nil, payments.ErrUnsupported
}
func (named) Capture(context.Context, payments.Operation) (payments.Result, error) {
	return payments.Result{}, payments.ErrUnsupported
}
func (named) Refund(context.Context, payments.Operation) (payments.Result, error) {
	return payments.Result{}, payments.ErrUnsupported
}
func (named) Cancel(context.Context, payments.Operation) (payments.Result, error) {
	return payments.Result{}, payments.ErrUnsupported
}
func (named) Status(context.Context, payments.Operation) (payments.Result, error) {
	return payments.Result{}, payments.ErrUnsupported
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	r := payments.NewRegistry(named("stripe"), named("cod"), named("tamara_bnpl"))
	if got, want := r.Names(), []string{"cod", "stripe", "tamara_bnpl"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	if p, ok := r.Get("cod"); !ok || p.Name() != "cod" {
		t.Errorf(`Get("cod") = %v, %v`, p, ok)
	}
	if _, ok := r.Get("paypal"); ok {
		t.Error(`Get("paypal") found a provider`)
	}
	if got := payments.NewRegistry().Names(); len(got) != 0 {
		t.Errorf("empty registry Names() = %v", got)
	}

	panics := []struct {
		name  string
		names []named
	}{
		{"registered twice", []named{"cod", "stripe", "cod"}},
		{"empty name", []named{""}},
		{"upper case", []named{"Stripe"}},
		{"leading digit", []named{"2checkout"}},
		{"hyphen", []named{"cash-on-delivery"}},
		{"longer than 32", []named{"a234567890123456789012345678901234"}},
	}
	for _, tt := range panics {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Errorf("NewRegistry(%q) did not panic", tt.names)
				}
			}()
			ps := make([]payments.Provider, len(tt.names))
			for i, n := range tt.names {
				ps[i] = n
			}
			payments.NewRegistry(ps...)
		})
	}
}

func TestCapabilitiesAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		currencies []string
		currency   string
		want       bool
	}{
		{"empty list takes any", nil, "KWD", true},
		{"listed", []string{"SAR", "AED"}, "AED", true},
		{"not listed", []string{"SAR", "AED"}, "KWD", false},
		{"codes are upper case", []string{"SAR"}, "sar", false},
		{"empty code against a list", []string{"SAR"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := payments.Capabilities{Currencies: tt.currencies}
			if got := c.Accepts(tt.currency); got != tt.want {
				t.Errorf("Accepts(%q) with %v = %v, want %v", tt.currency, tt.currencies, got, tt.want)
			}
		})
	}
}
