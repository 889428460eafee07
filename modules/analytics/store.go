package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/db"
	"concierge/internal/money"
)

// ---- events ----

// eventRow is an analytics_events row. Empty texts are stored as NULL;
// Amount and Currency are both set or both nil.
type eventRow struct {
	bun.BaseModel `bun:"table:analytics_events"`
	TenantID      uuid.UUID  `bun:"tenant_id"`
	ID            uuid.UUID  `bun:"id"`
	OccurredAt    time.Time  `bun:"occurred_at"`
	Name          string     `bun:"name"`
	Channel       string     `bun:"channel"`
	SessionID     string     `bun:"session_id,nullzero"`
	CustomerID    *uuid.UUID `bun:"customer_id"`
	ProductID     *uuid.UUID `bun:"product_id"`
	OrderID       *uuid.UUID `bun:"order_id"`
	Amount        *int64     `bun:"amount"`
	Currency      string     `bun:"currency,nullzero"`
	Query         string     `bun:"query,nullzero"`
}

// insertEvents stores one tenant's events with one multi-row INSERT.
func insertEvents(ctx context.Context, tx bun.IDB, rows []eventRow) error {
	if len(rows) == 0 {
		return nil
	}
	if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("insert: %w", db.Translate(err, "analytics event"))
	}
	return nil
}

// ---- funnel ----

// funnelRow is the funnel of one channel, or of both (Total).
type funnelRow struct {
	Total         bool   `bun:"total"`
	Channel       string `bun:"channel"`
	Currency      string `bun:"currency"`
	Conversations int64  `bun:"conversations"`
	ProductViews  int64  `bun:"product_views"`
	CartAdds      int64  `bun:"cart_adds"`
	Checkouts     int64  `bun:"checkouts"`
	Orders        int64  `bun:"orders"`
	Paid          int64  `bun:"paid"`
	PaidPriced    int64  `bun:"paid_priced"`
	Revenue       int64  `bun:"revenue"`
}

func (r funnelRow) toCounts() Counts {
	return Counts{Conversations: r.Conversations, ProductViews: r.ProductViews, CartAdds: r.CartAdds, Checkouts: r.Checkouts,
		Orders: r.Orders, Paid: r.Paid, Revenue: money.Amount{Minor: r.Revenue, Currency: r.Currency},
		AOV: money.Amount{Minor: aov(r.Revenue, r.PaidPriced), Currency: r.Currency}}
}

// funnelSQL reads a tenant's funnel over [?1, ?2) in one pass over the
// funnel index. Conversations are distinct by conversation (its session
// id, else its customer, else the event); orders placed and paid are
// distinct by order id (the first event of each, with its channel and
// amount). Revenue sums the paid orders in the store's currency (the
// tenants row, which the tenant's own policy lets it read). GROUPING SETS
// give each channel's row and the total's in the same statement; the total
// row exists even for a period without events.
const funnelSQL = `
WITH e AS (
  SELECT channel, name, COALESCE(session_id, customer_id::text, id::text) AS who, NULL::bigint AS amount, false AS priced
  FROM analytics_events
  WHERE tenant_id = ?0 AND occurred_at >= ?1 AND occurred_at < ?2
    AND name IN ('conversation_started', 'product_viewed', 'cart_added', 'checkout_started')
  UNION ALL
  SELECT * FROM (
    SELECT DISTINCT ON (name, COALESCE(order_id, id)) channel, name, NULL::text AS who, amount,
           COALESCE(currency = (SELECT currency FROM tenants WHERE id = ?0), false) AS priced
    FROM analytics_events
    WHERE tenant_id = ?0 AND occurred_at >= ?1 AND occurred_at < ?2 AND name IN ('order_placed', 'paid')
    ORDER BY name, COALESCE(order_id, id), occurred_at, id
  ) orders
)
SELECT GROUPING(channel) = 1 AS total, COALESCE(channel, '') AS channel,
       COALESCE((SELECT currency FROM tenants WHERE id = ?0), '') AS currency,
       count(DISTINCT channel || ':' || who) FILTER (WHERE name = 'conversation_started') AS conversations,
       count(*) FILTER (WHERE name = 'product_viewed') AS product_views,
       count(*) FILTER (WHERE name = 'cart_added') AS cart_adds,
       count(*) FILTER (WHERE name = 'checkout_started') AS checkouts,
       count(*) FILTER (WHERE name = 'order_placed') AS orders,
       count(*) FILTER (WHERE name = 'paid') AS paid,
       count(*) FILTER (WHERE name = 'paid' AND priced AND amount IS NOT NULL) AS paid_priced,
       COALESCE(sum(amount) FILTER (WHERE name = 'paid' AND priced), 0)::bigint AS revenue
FROM e
GROUP BY GROUPING SETS ((channel), ())`

func funnelRows(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, from, to time.Time) ([]funnelRow, error) {
	var rs []funnelRow
	if err := tx.NewRaw(funnelSQL, tenantID, from, to).Scan(ctx, &rs); err != nil {
		return nil, fmt.Errorf("analytics: funnel: %w", err)
	}
	return rs, nil
}

// ---- partitions ----

// ensureMonths creates the partitions of months that lack one (the
// definer function analytics_ensure_month), returning how many it created.
func ensureMonths(ctx context.Context, tx bun.IDB, months ...time.Time) (int, error) {
	created := 0
	for _, m := range months {
		var ok bool
		if err := tx.NewRaw(`SELECT analytics_ensure_month(?::date)`, m.Format(time.DateOnly)).Scan(ctx, &ok); err != nil {
			return created, fmt.Errorf("analytics: partition of %s: %w", m.Format("2006-01"), err)
		}
		if ok {
			created++
		}
	}
	return created, nil
}

// dropBefore drops the partitions of months before month's (the definer
// function analytics_drop_before), returning how many it dropped.
func dropBefore(ctx context.Context, tx bun.IDB, month time.Time) (int, error) {
	var n int
	if err := tx.NewRaw(`SELECT analytics_drop_before(?::date)`, month.Format(time.DateOnly)).Scan(ctx, &n); err != nil {
		return 0, fmt.Errorf("analytics: drop partitions before %s: %w", month.Format("2006-01"), err)
	}
	return n, nil
}
