package payments

import (
	"errors"
	"fmt"
)

// Status is where a payment stands. One machine for every provider:
//
//	pending → requires_action → authorized → captured → partially_refunded → refunded
//	   │             │              │
//	   └─────────────┴──────────────┴→ failed · cancelled · expired
//
// pending may skip to any later state (a provider that captures at once
// goes pending → captured), requires_action may skip authorized, and a
// captured payment is refunded in one or more steps. failed, cancelled,
// expired and refunded are final.
type Status string

// The payment statuses.
const (
	StatusPending           Status = "pending"
	StatusRequiresAction    Status = "requires_action"
	StatusAuthorized        Status = "authorized"
	StatusCaptured          Status = "captured"
	StatusPartiallyRefunded Status = "partially_refunded"
	StatusRefunded          Status = "refunded"
	StatusFailed            Status = "failed"
	StatusCancelled         Status = "cancelled"
	StatusExpired           Status = "expired"
)

// Final reports whether nothing more can happen to a payment in s.
func (s Status) Final() bool {
	switch s {
	case StatusRefunded, StatusFailed, StatusCancelled, StatusExpired:
		return true
	}
	return false
}

// Live reports whether a payment in s may still be paid (its money not
// taken and it not ended).
func (s Status) Live() bool {
	return s == StatusPending || s == StatusRequiresAction || s == StatusAuthorized
}

// Paid reports whether money was taken (or, for cash on delivery, promised
// and authorised) and not all returned.
func (s Status) Paid() bool {
	return s == StatusCaptured || s == StatusPartiallyRefunded
}

// State is what the machine needs of a payment.
type State struct {
	Status   Status
	Amount   int64 // what the payment is for, minor units
	Captured int64
	Refunded int64
}

// ErrIllegalTransition is an event a payment in its state cannot take
// (captured after refunded, failed after captured): refused, never applied.
var ErrIllegalTransition = errors.New("payments: illegal transition")

// ErrNoChange is an event that changes nothing (a second "captured", a
// refund total already applied): harmless, recorded, not applied.
var ErrNoChange = errors.New("payments: no change")

// order ranks the live states: a payment moves forward only.
var order = map[Status]int{StatusPending: 0, StatusRequiresAction: 1, StatusAuthorized: 2, StatusCaptured: 3, StatusPartiallyRefunded: 4}

// Next returns the state after event kind with amount (captured: what was
// captured; refunded: the total refunded so far). Errors: ErrNoChange,
// ErrIllegalTransition (wrapped with both states).
func Next(s State, kind EventKind, amount int64) (State, error) {
	illegal := func() (State, error) {
		return s, fmt.Errorf("%w: %s on a %s payment", ErrIllegalTransition, kind, s.Status)
	}
	forward := func(to Status) (State, error) {
		switch {
		case s.Status == to:
			return s, ErrNoChange
		case s.Status.Final() || order[s.Status] > order[to]:
			return illegal()
		}
		s.Status = to
		return s, nil
	}
	switch kind {
	case EventRequiresAction:
		return forward(StatusRequiresAction)
	case EventAuthorized:
		return forward(StatusAuthorized)
	case EventCaptured:
		if s.Status == StatusPartiallyRefunded {
			return s, ErrNoChange
		}
		if amount <= 0 || amount > s.Amount {
			return illegal()
		}
		next, err := forward(StatusCaptured)
		if err == nil {
			next.Captured = amount
		}
		return next, err
	case EventFailed, EventCancelled, EventExpired:
		to := map[EventKind]Status{EventFailed: StatusFailed, EventCancelled: StatusCancelled, EventExpired: StatusExpired}[kind]
		switch {
		case s.Status == to:
			return s, ErrNoChange
		case !s.Status.Live():
			return illegal()
		}
		s.Status = to
		return s, nil
	case EventRefunded:
		switch {
		case s.Status == StatusRefunded && amount <= s.Refunded:
			return s, ErrNoChange
		case !s.Status.Paid() || amount <= 0 || amount > s.Captured:
			return illegal()
		case amount <= s.Refunded:
			return s, ErrNoChange
		}
		s.Refunded = amount
		s.Status = StatusPartiallyRefunded
		if amount == s.Captured {
			s.Status = StatusRefunded
		}
		return s, nil
	}
	return illegal()
}
