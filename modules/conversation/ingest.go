package conversation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"concierge/internal/httpx"
	"concierge/modules/whatsapp"
	"concierge/tenants"
)

// storedInbound is what the inbox keeps of an inbound message: Meta's
// message as received and the sender's profile name from the same change.
type storedInbound struct {
	Message     whatsapp.Message `json:"message"`
	ProfileName string           `json:"profile_name,omitempty"`
}

// IngestResult counts what one webhook delivery did.
type IngestResult struct {
	Stored     int // new inbound messages
	Duplicates int // redelivered messages already stored
	Statuses   int // delivery statuses applied
	Unrouted   int // changes for numbers no tenant owns (or suspended)
}

type routedChange struct {
	value  *whatsapp.Value
	tenant *tenants.Tenant
	number *tenants.Number
	reason string // why it is unrouted, when tenant is nil
}

// Ingest verifies and stores one webhook delivery. The signature must match
// the app secret of every number the payload is for (or the platform app
// secret); otherwise nothing is stored. Each change is stored in its
// tenant's transaction together with the processing jobs of the
// conversations it touched, so a message exists exactly when its job does;
// redelivered messages are ignored. Changes for numbers no tenant owns are
// kept as unrouted for platform admins.
func (s *Service) Ingest(ctx context.Context, body []byte, signature string) (IngestResult, error) {
	var res IngestResult
	p, err := whatsapp.ParseWebhook(body)
	if err != nil {
		return res, err
	}
	var changes []routedChange
	for i := range p.Entry {
		for j := range p.Entry[i].Changes {
			ch := &p.Entry[i].Changes[j]
			if ch.Field != whatsapp.FieldMessages {
				continue
			}
			rc := routedChange{value: &ch.Value}
			t, n, err := s.tenants.ResolveNumber(ctx, ch.Value.Metadata.PhoneNumberID)
			switch {
			case err == nil:
				rc.tenant, rc.number = t, n
			case errors.Is(err, httpx.ErrNotFound):
				rc.reason = "unknown phone_number_id"
			case errors.Is(err, httpx.ErrForbidden):
				rc.reason = "tenant suspended or number disabled"
			default:
				return res, err
			}
			changes = append(changes, rc)
		}
	}
	if len(changes) == 0 {
		// Only fields this module does not handle (template reviews,
		// account updates): nothing is stored, and Meta stops retrying.
		return res, nil
	}
	if !s.signed(body, signature, changes) {
		return res, ErrBadSignature
	}
	for _, rc := range changes {
		if rc.tenant == nil {
			if err := s.storeUnrouted(ctx, rc); err != nil {
				return res, err
			}
			res.Unrouted++
			continue
		}
		tctx := tenants.WithTenant(ctx, rc.tenant)
		err := s.scope.InTenantTx(tctx, func(ctx context.Context, tx bun.Tx) error {
			return s.storeChange(ctx, tx, rc, &res)
		})
		if err != nil {
			return res, err
		}
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
	if s.cfg.PlatformAppSecret != "" && whatsapp.VerifySignature(body, header, s.cfg.PlatformAppSecret) {
		return true
	}
	routed := 0
	for _, rc := range changes {
		if rc.number == nil {
			return false // only the platform secret can vouch for an unknown number
		}
		if !whatsapp.VerifySignature(body, header, rc.number.AppSecret) {
			return false
		}
		routed++
	}
	return routed > 0
}

func (s *Service) storeChange(ctx context.Context, tx bun.Tx, rc routedChange, res *IngestResult) error {
	tid := rc.tenant.ID
	names := make(map[string]string, len(rc.value.Contacts))
	for _, c := range rc.value.Contacts {
		names[c.WaID] = c.Profile.Name
	}
	touched := map[uuid.UUID]time.Time{} // conversation → newest message time
	for _, m := range rc.value.Messages {
		cust, err := upsertCustomer(ctx, tx, tid, m.From)
		if err != nil {
			return err
		}
		conv, err := upsertConversation(ctx, tx, tid, cust.ID, rc.number.ID, rc.number.PhoneNumberID)
		if err != nil {
			return err
		}
		in := m.Normalise()
		payload, err := json.Marshal(storedInbound{Message: m, ProfileName: names[m.From]})
		if err != nil {
			return err
		}
		at := in.Timestamp
		if at.IsZero() {
			at = time.Now().UTC()
		}
		msg := &Message{ID: uuid.Must(uuid.NewV7()), ConversationID: conv.ID, Direction: In, WAMessageID: m.ID,
			Kind: string(in.Kind), Body: truncate(in.Text, 4096), Payload: payload, Author: "customer",
			Status: StatusReceived, SentAt: at}
		inserted, err := insertInbound(ctx, tx, tid, msg)
		if err != nil {
			return err
		}
		if !inserted {
			res.Duplicates++
			continue
		}
		res.Stored++
		if at.After(touched[conv.ID]) {
			touched[conv.ID] = at
		}
	}
	// Ingest takes no lock on existing conversation or customer rows (the
	// worker holds the conversation's while it answers, and moves
	// last_inbound_at forward itself), so a webhook never waits for a turn.
	ids := slices.SortedFunc(maps.Keys(touched), func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	for _, id := range ids {
		if err := s.jobs.InsertTx(ctx, tx, ProcessArgs{TenantID: tid, ConversationID: id}, nil); err != nil {
			return err
		}
	}
	for _, st := range rc.value.Statuses {
		code, detail := 0, ""
		if len(st.Errors) > 0 {
			code, detail = st.Errors[0].Code, st.Errors[0].Title+": "+st.Errors[0].Details()
		}
		at := st.Timestamp.Time()
		if at.IsZero() {
			at = time.Now().UTC()
		}
		ok, err := applyStatus(ctx, tx, tid, st.ID, st.BizOpaqueCallbackData, st.Status, at, code, detail)
		if err != nil {
			return err
		}
		if ok {
			res.Statuses++
		}
	}
	return nil
}

func (s *Service) storeUnrouted(ctx context.Context, rc routedChange) error {
	payload, err := json.Marshal(rc.value)
	if err != nil {
		return err
	}
	return s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO whatsapp_unrouted (phone_number_id, reason, payload) VALUES (?, ?, ?)`,
			rc.value.Metadata.PhoneNumberID, rc.reason, string(payload))
		return err
	})
}

// ProcessArgs is the job "conversation X has news": the worker locks the
// conversation and handles all its unprocessed messages in order. Jobs are
// not unique (River's uniqueness includes running jobs, which could strand a
// message that arrives while one runs); a job that finds nothing left to do
// ends at once.
type ProcessArgs struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
}

// Kind names the job.
func (ProcessArgs) Kind() string { return "conversation.process" }

// Tenant is the job's tenant.
func (a ProcessArgs) Tenant() uuid.UUID { return a.TenantID }

// InsertOpts puts the job on the whatsapp queue.
func (ProcessArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: "whatsapp", MaxAttempts: 10}
}
