package sla

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/db"
	"concierge/internal/keyset"
)

// ---- settings ----

type settingsRow struct {
	bun.BaseModel            `bun:"table:sla_settings"`
	TenantID                 uuid.UUID `bun:"tenant_id,pk"`
	HandoffFirstReplySeconds int       `bun:"handoff_first_reply_seconds"`
	ReturnDecisionSeconds    int       `bun:"return_decision_seconds"`
	OrderDispatchSeconds     int       `bun:"order_dispatch_seconds"`
	UpdatedAt                time.Time `bun:"updated_at"`
}

func (r settingsRow) toSettings() Settings {
	at := r.UpdatedAt
	return Settings{HandoffFirstReplySeconds: r.HandoffFirstReplySeconds, ReturnDecisionSeconds: r.ReturnDecisionSeconds,
		OrderDispatchSeconds: r.OrderDispatchSeconds, UpdatedAt: &at}
}

func fromSettings(tenantID uuid.UUID, s Settings) settingsRow {
	r := settingsRow{TenantID: tenantID, HandoffFirstReplySeconds: s.HandoffFirstReplySeconds,
		ReturnDecisionSeconds: s.ReturnDecisionSeconds, OrderDispatchSeconds: s.OrderDispatchSeconds}
	if s.UpdatedAt != nil {
		r.UpdatedAt = *s.UpdatedAt
	}
	return r
}

// targetColumn is the sla_settings column of each kind's target.
var targetColumn = map[string]string{
	KindHandoffFirstReply: "handoff_first_reply_seconds",
	KindReturnDecision:    "return_decision_seconds",
	KindOrderDispatch:     "order_dispatch_seconds",
}

// loadSettings reads the tenant's settings, the defaults when it has none.
func loadSettings(ctx context.Context, tx bun.IDB, tenantID uuid.UUID) (Settings, error) {
	var r settingsRow
	err := tx.NewSelect().Model(&r).Where("tenant_id = ?", tenantID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultSettings(), nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("sla: read settings: %w", err)
	}
	return r.toSettings(), nil
}

func putSettings(ctx context.Context, tx bun.IDB, r *settingsRow) error {
	_, err := tx.NewInsert().Model(r).On("CONFLICT (tenant_id) DO UPDATE").
		Set("handoff_first_reply_seconds = EXCLUDED.handoff_first_reply_seconds").
		Set("return_decision_seconds = EXCLUDED.return_decision_seconds").
		Set("order_dispatch_seconds = EXCLUDED.order_dispatch_seconds").
		Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
	return db.Translate(err, "SLA settings")
}

// ---- timers ----

type timerRow struct {
	bun.BaseModel `bun:"table:sla_timers"`
	TenantID      uuid.UUID  `bun:"tenant_id,pk"`
	ID            uuid.UUID  `bun:"id,pk"`
	Kind          string     `bun:"kind"`
	SubjectID     uuid.UUID  `bun:"subject_id"`
	StartedAt     time.Time  `bun:"started_at"`
	DueAt         time.Time  `bun:"due_at"`
	StoppedAt     *time.Time `bun:"stopped_at"`
	BreachedAt    *time.Time `bun:"breached_at"`
}

// startTimer inserts a running timer due after the tenant's target of kind
// (its settings row's, else the default), unless one of that kind runs for
// subject already (the partial unique index sla_timers_running). It
// reports whether it inserted one.
func startTimer(ctx context.Context, tx bun.IDB, tenantID, id uuid.UUID, kind string, subject uuid.UUID, now time.Time) (bool, error) {
	def := DefaultSettings().Target(kind)
	res, err := tx.NewRaw(`INSERT INTO sla_timers (tenant_id, id, kind, subject_id, started_at, due_at)
		SELECT ?0, ?1, ?2, ?3, ?4::timestamptz,
		       ?4::timestamptz + make_interval(secs => COALESCE((SELECT ?5 FROM sla_settings WHERE tenant_id = ?0), ?6))
		ON CONFLICT (tenant_id, kind, subject_id) WHERE stopped_at IS NULL DO NOTHING`,
		tenantID, id, kind, subject, now, bun.Ident(targetColumn[kind]), int(def.Seconds())).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("sla: start %s timer: %w", kind, db.Translate(err, "SLA timer"))
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// stopTimer stops the running timer of kind for subject at now, returning
// it (nil when none runs) and whether it must be recorded as breached now:
// stopped past its due time and not breached before. The row is locked
// first, so a sweep breaching it meanwhile is either seen here (breached
// already) or waits and then finds it stopped.
func stopTimer(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, kind string, subject uuid.UUID, now time.Time) (*timerRow, bool, error) {
	var r timerRow
	err := tx.NewSelect().Model(&r).
		Where("tenant_id = ? AND kind = ? AND subject_id = ? AND stopped_at IS NULL", tenantID, kind, subject).
		For("UPDATE").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("sla: stop %s timer: %w", kind, err)
	}
	late := r.BreachedAt == nil && now.After(r.DueAt)
	r.StoppedAt = &now
	if late {
		r.BreachedAt = &now
	}
	if _, err := tx.NewUpdate().Model(&r).Column("stopped_at", "breached_at").WherePK().Exec(ctx); err != nil {
		return nil, false, fmt.Errorf("sla: stop %s timer: %w", kind, err)
	}
	return &r, late, nil
}

// breachTimer marks the timer breached at now if it still runs, unbreached
// and past due; nil when it does not (stopped, breached by another sweep,
// or not due). The condition is re-checked on the locked row, so two
// sweeps, or a sweep and a stop, never breach it twice.
func breachTimer(ctx context.Context, tx bun.IDB, tenantID, id uuid.UUID, now time.Time) (*timerRow, error) {
	var rs []timerRow
	err := tx.NewRaw(`UPDATE sla_timers SET breached_at = ?
		WHERE tenant_id = ? AND id = ? AND stopped_at IS NULL AND breached_at IS NULL AND due_at < ?
		RETURNING tenant_id, id, kind, subject_id, started_at, due_at, stopped_at, breached_at`,
		now, tenantID, id, now).Scan(ctx, &rs)
	if err != nil {
		return nil, fmt.Errorf("sla: breach timer %s: %w", id, err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	return &rs[0], nil
}

// dueTimer is a timer the sweep found past due.
type dueTimer struct {
	TenantID uuid.UUID `bun:"tenant_id"`
	ID       uuid.UUID `bun:"id"`
	DueAt    time.Time `bun:"due_at"`
}

// dueTimers lists, across tenants (the platform path), running timers not
// yet breached whose due time is before now, after the key (due_at,
// tenant_id, id) of the last one handled, oldest due first.
func dueTimers(ctx context.Context, tx bun.IDB, now time.Time, after *dueTimer, limit int) ([]dueTimer, error) {
	var out []dueTimer
	q := `SELECT tenant_id, id, due_at FROM sla_timers
		WHERE stopped_at IS NULL AND breached_at IS NULL AND due_at < ?`
	args := []any{now}
	if after != nil {
		q += ` AND (due_at, tenant_id, id) > (?, ?, ?)`
		args = append(args, after.DueAt, after.TenantID, after.ID)
	}
	q += ` ORDER BY due_at, tenant_id, id LIMIT ?`
	args = append(args, limit)
	if err := tx.NewRaw(q, args...).Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("sla: due timers: %w", err)
	}
	return out, nil
}

// runningCounts counts running timers by kind across tenants (the
// platform path).
func runningCounts(ctx context.Context, tx bun.IDB) (map[string]int64, error) {
	var rs []struct {
		Kind  string `bun:"kind"`
		Count int64  `bun:"n"`
	}
	if err := tx.NewRaw(`SELECT kind, count(*) AS n FROM sla_timers WHERE stopped_at IS NULL GROUP BY kind`).Scan(ctx, &rs); err != nil {
		return nil, fmt.Errorf("sla: running timers: %w", err)
	}
	out := map[string]int64{}
	for _, r := range rs {
		out[r.Kind] = r.Count
	}
	return out, nil
}

// ---- breaches ----

type breachRow struct {
	bun.BaseModel `bun:"table:sla_breaches"`
	TenantID      uuid.UUID `bun:"tenant_id,pk"`
	ID            uuid.UUID `bun:"id,pk"`
	TimerID       uuid.UUID `bun:"timer_id"`
	Kind          string    `bun:"kind"`
	SubjectID     uuid.UUID `bun:"subject_id"`
	DueAt         time.Time `bun:"due_at"`
	BreachedAt    time.Time `bun:"breached_at"`
	TargetSeconds int       `bun:"target_seconds"`
}

func (r breachRow) toBreach() Breach {
	return Breach{ID: r.ID, TimerID: r.TimerID, Kind: r.Kind, SubjectID: r.SubjectID, DueAt: r.DueAt,
		BreachedAt: r.BreachedAt, TargetSeconds: r.TargetSeconds}
}

// recordBreach stores the breach of timer t (breached at at).
func recordBreach(ctx context.Context, tx bun.IDB, t *timerRow, at time.Time) (Breach, error) {
	r := breachRow{TenantID: t.TenantID, ID: uuid.Must(uuid.NewV7()), TimerID: t.ID, Kind: t.Kind, SubjectID: t.SubjectID,
		DueAt: t.DueAt, BreachedAt: at, TargetSeconds: int(math.Round(t.DueAt.Sub(t.StartedAt).Seconds()))}
	if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
		return Breach{}, fmt.Errorf("sla: record breach of timer %s: %w", t.ID, db.Translate(err, "SLA breach"))
	}
	return r.toBreach(), nil
}

func listBreaches(ctx context.Context, tx bun.IDB, q BreachQuery, after *keyset.Cursor) ([]breachRow, error) {
	var rs []breachRow
	sel := tx.NewSelect().Model(&rs).OrderExpr("breached_at DESC, id DESC").Limit(int64(q.Limit + 1))
	if q.Kind != "" {
		sel = sel.Where("kind = ?", q.Kind)
	}
	if q.Since != nil {
		sel = sel.Where("breached_at >= ?", q.Since.UTC())
	}
	if after != nil {
		sel = sel.Where("(breached_at, id) < (?, ?)", after.At, after.ID)
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("sla: list breaches: %w", err)
	}
	return rs, nil
}
