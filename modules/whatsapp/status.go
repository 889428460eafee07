package whatsapp

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Delivery statuses: Meta reports each outbound message's fate (sent,
// delivered, read, failed with an error code) by webhook, in the same
// deliveries as inbound messages, and they are stored in the same batch
// (batch.go). A status finds its message by WhatsApp id or by our own id,
// echoed in biz_opaque_callback_data (send.go tags every send with it), and
// only ever moves it forward (failed wins): Meta does not keep statuses in
// order. A status naming our id proves the message reached Meta, which is
// how a send whose call went unanswered is settled without sending it twice.

// applyStatuses applies the delivery statuses of one delivery.
func (s *Service) applyStatuses(ctx context.Context, tx bun.Tx, tid uuid.UUID, it *ingestItem) error {
	for _, st := range it.rc.value.Statuses {
		code, detail := 0, ""
		if len(st.Errors) > 0 {
			code, detail = st.Errors[0].Code, st.Errors[0].Title+": "+st.Errors[0].Details()
		}
		at := st.Timestamp.Time()
		if at.IsZero() {
			at = s.now().UTC()
		}
		conv, twice, err := applyStatus(ctx, tx, tid, st.ID, st.BizOpaqueCallbackData, st.Status, at, code, detail)
		if err != nil {
			return err
		}
		if conv != uuid.Nil {
			it.res.Statuses++
			it.ticked = append(it.ticked, conv)
		}
		if twice {
			it.twice++
		}
	}
	return nil
}

// statusRank orders delivery statuses so a late "sent" never overwrites
// "read" (statusRankSQL is the same order in SQL).
func statusRank(s string) int {
	switch s {
	case StatusSent:
		return 1
	case StatusDelivered:
		return 2
	case StatusRead:
		return 3
	case StatusFailed:
		return 4
	}
	return 0
}
