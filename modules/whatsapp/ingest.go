package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/whatsapp/cloudapi"
	"concierge/tenants"
)

// storedInbound is what the inbox keeps of an inbound message: Meta's
// message as received and the sender's profile name from the same change.
type storedInbound struct {
	Message     cloudapi.Message `json:"message"`
	ProfileName string           `json:"profile_name,omitempty"`
}

// IngestResult counts what one webhook delivery did.
type IngestResult struct {
	Stored     int // new inbound messages
	Duplicates int // redelivered messages already stored
	Statuses   int // delivery statuses applied
	Unrouted   int // changes for numbers no tenant owns (or suspended)
}

// routedChange is one change of a delivery with the tenant and number it is
// for (or why it has none).
type routedChange struct {
	value  *cloudapi.Value
	tenant *tenants.Tenant
	number *tenants.Number
	reason string // why it is unrouted, when tenant is nil
}

// Ingest verifies and stores one webhook delivery. The signature must match
// the app secret of every number the payload is for (or the platform app
// secret); otherwise nothing is stored. Each change is stored in its
// tenant's transaction together with the processing jobs of the
// conversations it touched (batch.go), so a message exists exactly when its
// job does; redelivered messages are ignored. Changes for numbers no tenant
// owns are kept as unrouted for platform admins.
func (s *Service) Ingest(ctx context.Context, body []byte, signature string) (IngestResult, error) {
	var res IngestResult
	p, err := cloudapi.ParseWebhook(body)
	if err != nil {
		return res, err
	}
	var changes []routedChange
	for i := range p.Entry {
		for j := range p.Entry[i].Changes {
			ch := &p.Entry[i].Changes[j]
			if ch.Field != cloudapi.FieldMessages {
				continue
			}
			rc := routedChange{value: &ch.Value}
			t, n, err := s.tenants.ResolveNumber(ctx, ch.Value.Metadata.PhoneNumberID)
			switch {
			case err == nil:
				rc.tenant, rc.number = t, n
			case errors.Is(err, errs.ErrNotFound):
				rc.reason = "unknown phone_number_id"
			case errors.Is(err, errs.ErrForbidden):
				rc.reason = "tenant suspended or number disabled"
			default:
				return res, err
			}
			changes = append(changes, rc)
		}
	}
	if len(changes) == 0 {
		// Only fields this channel does not handle (template reviews,
		// account updates): nothing is stored, and Meta stops retrying.
		return res, nil
	}
	if !s.signed(body, signature, changes) {
		return res, ErrBadSignature
	}
	s.noteWebhooks(ctx, changes)
	for _, rc := range changes {
		if rc.tenant == nil {
			if err := s.storeUnrouted(ctx, rc); err != nil {
				return res, err
			}
			res.Unrouted++
			continue
		}
		r, err := s.batch.store(ctx, rc)
		if err != nil {
			return res, err
		}
		res.Stored += r.Stored
		res.Duplicates += r.Duplicates
		res.Statuses += r.Statuses
	}
	s.metrics.webhookMessages.Add(float64(res.Stored))
	s.metrics.webhookDuplicates.Add(float64(res.Duplicates))
	return res, nil
}

// signed checks X-Hub-Signature-256: every routed number's app secret, or
// the platform secret, must verify the body.
func (s *Service) signed(body []byte, header string, changes []routedChange) bool {
	if header == "" {
		return false
	}
	if s.cfg.PlatformAppSecret != "" && cloudapi.VerifySignature(body, header, s.cfg.PlatformAppSecret) {
		return true
	}
	routed := 0
	for _, rc := range changes {
		if rc.number == nil {
			return false // only the platform secret can vouch for an unknown number
		}
		if !cloudapi.VerifySignature(body, header, rc.number.AppSecret) {
			return false
		}
		routed++
	}
	return routed > 0
}

// storeUnrouted keeps a change for a number no tenant owns, on the platform
// path (GET /api/platform/whatsapp/unrouted lists them).
func (s *Service) storeUnrouted(ctx context.Context, rc routedChange) error {
	payload, err := json.Marshal(rc.value)
	if err != nil {
		return err
	}
	return s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return insertUnrouted(ctx, tx, rc.value.Metadata.PhoneNumberID, rc.reason, payload)
	})
}

// Unrouted is a webhook change for a number no tenant owns, or whose tenant
// is suspended or number disabled.
type Unrouted struct {
	ID            int64
	PhoneNumberID string
	Reason        string
	Payload       json.RawMessage
	ReceivedAt    time.Time
}
