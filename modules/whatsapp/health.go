package whatsapp

import (
	"context"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/tenants"
)

// A number's health, for platform admins: when a verified webhook last
// arrived for it, and its failed sends by error code.
//
// The last webhook time is kept in Redis (a hash per tenant, number id →
// unix milliseconds) and written at most once a minute per number by each
// process, so the webhook's hot path pays one Redis call a minute per
// number; it is best effort (no Redis, no record). Failed sends are the
// outbound messages marked failed — by the send job or by Meta's status
// webhook — read in the tenant's own transaction.

// webhookSeenEvery is how often a process writes a number's last webhook.
const webhookSeenEvery = time.Minute

// NumberHealth is a WhatsApp number's recent health.
type NumberHealth struct {
	// LastWebhook is when a verified webhook last arrived for the number
	// (to the minute; zero: none recorded).
	LastWebhook time.Time
	// SendErrors are the failed sends since the time asked, by error code
	// (0: failed without one from Meta), most first.
	SendErrors []SendErrors
}

// SendErrors counts failed sends with one error code.
type SendErrors struct {
	Code  int
	Count int64
}

func (s *Service) webhookSeenKey(tenantID uuid.UUID) string {
	return s.prefix + "whatsapp:webhook_seen:{" + tenantID.String() + "}"
}

// noteWebhooks records that a verified delivery arrived for the routed
// numbers of changes (at most once a minute per number and process).
func (s *Service) noteWebhooks(ctx context.Context, changes []routedChange) {
	if s.rdb == nil {
		return
	}
	now := s.now()
	for _, rc := range changes {
		if rc.number == nil {
			continue
		}
		if last, ok := s.webhookSeen.Load(rc.number.ID); ok && now.Sub(last.(time.Time)) < webhookSeenEvery {
			continue
		}
		s.webhookSeen.Store(rc.number.ID, now)
		if err := s.rdb.HSet(ctx, s.webhookSeenKey(rc.tenant.ID), rc.number.ID.String(), now.UnixMilli()).Err(); err != nil {
			s.log.WarnContext(ctx, "whatsapp: record last webhook", "number_id", rc.number.ID, "error", err)
		}
	}
}

// Health reports the numbers of ctx's tenant: the last webhook of each
// (from Redis) and the failed sends since since by error code. Numbers with
// neither are absent.
func (s *Service) Health(ctx context.Context, since time.Time) (map[uuid.UUID]*NumberHealth, error) {
	out := map[uuid.UUID]*NumberHealth{}
	of := func(id uuid.UUID) *NumberHealth {
		if out[id] == nil {
			out[id] = &NumberHealth{}
		}
		return out[id]
	}
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rows, err := failedSends(ctx, tx, since)
		for _, r := range rows {
			h := of(r.NumberID)
			h.SendErrors = append(h.SendErrors, SendErrors{Code: r.Code, Count: r.Count})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.rdb == nil {
		return out, nil
	}
	t, _ := tenants.FromContext(ctx) // InTenantTx found it
	seen, err := s.rdb.HGetAll(ctx, s.webhookSeenKey(t.ID)).Result()
	if err != nil {
		s.log.WarnContext(ctx, "whatsapp: read last webhooks", "error", err)
		return out, nil
	}
	for k, v := range seen {
		id, err1 := uuid.Parse(k)
		ms, err2 := strconv.ParseInt(v, 10, 64)
		if err1 == nil && err2 == nil {
			of(id).LastWebhook = time.UnixMilli(ms).UTC()
		}
	}
	return out, nil
}

// ListUnrouted returns up to limit webhook changes for numbers no tenant
// owns (or suspended), newest first, with ids below before (0: the newest),
// on the platform path.
func (s *Service) ListUnrouted(ctx context.Context, limit int, before int64) ([]Unrouted, error) {
	var rows []Unrouted
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		rows, err = listUnrouted(ctx, tx, limit, before)
		return err
	})
	return rows, err
}
