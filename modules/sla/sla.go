// Package sla keeps per-tenant service-level timers: how long a customer
// waits for a person after asking for one (handoff_first_reply), a return
// request for its decision (return_decision) and a confirmed order for its
// dispatch (order_dispatch), each against the tenant's target.
//
//   - StartTx and StopTx run in the caller's tenant transaction (the module
//     whose event starts or ends the wait calls them, through a small
//     interface of its own): one running timer per kind and subject, so a
//     repeated start or stop is harmless.
//   - The sweep (sla.sweep, every minute) finds timers past due across
//     tenants on the platform path and records each breach once, in its
//     tenant's transaction. A timer stopped late before the sweep saw it
//     is recorded as breached by the stop.
//   - Staff read the breaches (GET /sla/breaches) and set the targets
//     (GET and PUT /settings/sla, audited as sla.settings_updated).
//
// docs/sla.md.
package sla

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/jobs"
	"concierge/internal/keyset"
	"concierge/modules/identity"
	"concierge/tenants"
)

// The kinds of timer.
const (
	// KindHandoffFirstReply runs from a customer asking for a person to the
	// first staff reply; its subject is the conversation.
	KindHandoffFirstReply = "handoff_first_reply"
	// KindReturnDecision runs from a return request to its approval or
	// rejection; its subject is the return.
	KindReturnDecision = "return_decision"
	// KindOrderDispatch runs from an order's confirmation to its shipping;
	// its subject is the order.
	KindOrderDispatch = "order_dispatch"
)

// Kinds lists every kind of timer.
func Kinds() []string { return []string{KindHandoffFirstReply, KindReturnDecision, KindOrderDispatch} }

// validKind reports whether kind is one of Kinds.
func validKind(kind string) bool {
	for _, k := range Kinds() {
		if k == kind {
			return true
		}
	}
	return false
}

// Bounds of a target.
const (
	MinTarget = time.Minute
	MaxTarget = 30 * 24 * time.Hour
)

// Settings are a tenant's targets, in seconds.
type Settings struct {
	HandoffFirstReplySeconds int
	ReturnDecisionSeconds    int
	OrderDispatchSeconds     int
	// UpdatedAt is when the tenant last saved them (nil: the defaults).
	UpdatedAt *time.Time
}

// DefaultSettings are the targets of a tenant that set none: 15 minutes to
// a first reply, 48 hours to a return decision and to an order's dispatch.
func DefaultSettings() Settings {
	return Settings{
		HandoffFirstReplySeconds: int((15 * time.Minute).Seconds()),
		ReturnDecisionSeconds:    int((48 * time.Hour).Seconds()),
		OrderDispatchSeconds:     int((48 * time.Hour).Seconds()),
	}
}

// Target is the target of kind (zero for an unknown kind).
func (s Settings) Target(kind string) time.Duration {
	switch kind {
	case KindHandoffFirstReply:
		return time.Duration(s.HandoffFirstReplySeconds) * time.Second
	case KindReturnDecision:
		return time.Duration(s.ReturnDecisionSeconds) * time.Second
	case KindOrderDispatch:
		return time.Duration(s.OrderDispatchSeconds) * time.Second
	}
	return 0
}

// Breach is a timer that ran past its due time.
type Breach struct {
	ID        uuid.UUID
	TimerID   uuid.UUID
	Kind      string
	SubjectID uuid.UUID
	DueAt     time.Time
	// BreachedAt is when the breach was recorded: by the sweep, or by the
	// stop of a timer stopped late before the sweep saw it.
	BreachedAt    time.Time
	TargetSeconds int
}

// BreachQuery filters and pages the breaches.
type BreachQuery struct {
	Kind   string     // "" for every kind
	Since  *time.Time // breaches recorded at or after it
	Cursor string     // NextCursor of the previous page
	Limit  int        // 1 to MaxBreachPage; 0 for DefaultBreachPage
}

// BreachPage is one page of breaches, newest first.
type BreachPage struct {
	Items []Breach
	// NextCursor asks for the next page; "" on the last.
	NextCursor string
}

// Page sizes of Breaches.
const (
	DefaultBreachPage = 20
	MaxBreachPage     = 100
)

// ErrUnknownKind is a timer kind that is not one of Kinds (a programming
// error of the caller of StartTx or StopTx).
var ErrUnknownKind = errs.New(errs.CodeInvalid, "sla.kind_unknown", "kinds", strings.Join(Kinds(), ", "))

// Auditor records settings changes (audit.Log).
type Auditor interface {
	Record(ctx context.Context, tx bun.IDB, e tenants.AuditEntry) error
}

// Config tunes the service (nothing yet: the module contract's first door
// takes one).
type Config struct{}

// Deps are what the service needs.
type Deps struct {
	Scope *tenants.Scope
	Jobs  *jobs.Jobs
	Audit Auditor // nil: settings changes are not audited
	Log   *slog.Logger
	Now   func() time.Time
}

// Service keeps the timers.
type Service struct {
	scope   *tenants.Scope
	jobs    *jobs.Jobs
	audit   Auditor
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics
}

// New builds the service.
func New(_ Config, d Deps) *Service {
	s := &Service{scope: d.Scope, jobs: d.Jobs, audit: d.Audit, log: d.Log, now: d.Now}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.metrics = newMetrics(s)
	return s
}

// StartTx starts the timer of kind for subject now, in the caller's
// transaction, with the tenant's target (the defaults when it set none).
// A timer of that kind already running for subject is left as it is.
// Errors: invalid (an unknown kind, a nil subject).
func (s *Service) StartTx(ctx context.Context, tx bun.Tx, kind string, subject uuid.UUID) error {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return err
	}
	if err := checkTimer(kind, subject); err != nil {
		return err
	}
	_, err = startTimer(ctx, tx, t.ID, uuid.Must(uuid.NewV7()), kind, subject, s.now().UTC())
	return err
}

// StopTx stops the running timer of kind for subject, in the caller's
// transaction; without one it does nothing. A timer stopped past its due
// time that the sweep has not yet recorded is recorded as breached now.
// Errors: invalid (an unknown kind, a nil subject).
func (s *Service) StopTx(ctx context.Context, tx bun.Tx, kind string, subject uuid.UUID) error {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return err
	}
	if err := checkTimer(kind, subject); err != nil {
		return err
	}
	now := s.now().UTC()
	r, late, err := stopTimer(ctx, tx, t.ID, kind, subject, now)
	if err != nil || !late {
		return err
	}
	b, err := recordBreach(ctx, tx, r, now)
	if err != nil {
		return err
	}
	// Counted before the caller commits: a rolled-back stop counts a breach
	// the database does not keep (rare; the table is the record).
	s.metrics.breaches.WithLabelValues(b.Kind).Inc()
	s.log.InfoContext(ctx, "sla breach: stopped after its target", "tenant_id", t.ID, "kind", b.Kind,
		"subject_id", b.SubjectID, "late_by", now.Sub(b.DueAt).Round(time.Second).String())
	return nil
}

func checkTimer(kind string, subject uuid.UUID) error {
	if !validKind(kind) {
		return ErrUnknownKind
	}
	if subject == uuid.Nil {
		return errs.Invalid(errs.Field("subject_id", "required", "field.required"))
	}
	return nil
}

// Settings returns the tenant's targets (the defaults when it set none).
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return Settings{}, err
	}
	var out Settings
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		out, err = loadSettings(ctx, tx, t.ID)
		return err
	})
	return out, err
}

// UpdateSettings replaces the tenant's targets, recorded in the audit log as
// the context's actor (sla.settings_updated). Running timers keep the target
// they started with. Errors: invalid (a target outside MinTarget to
// MaxTarget, by field: handoff_first_reply_seconds, ...).
func (s *Service) UpdateSettings(ctx context.Context, in Settings) (Settings, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return Settings{}, err
	}
	if fe := validateSettings(in); len(fe) > 0 {
		return Settings{}, errs.Invalid(fe...)
	}
	now := s.now().UTC()
	in.UpdatedAt = &now
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := loadSettings(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		row := fromSettings(t.ID, in)
		if err := putSettings(ctx, tx, &row); err != nil {
			return err
		}
		if s.audit == nil {
			return nil
		}
		return s.audit.Record(ctx, tx, tenants.AuditEntry{TenantID: t.ID, Actor: identity.ActorFrom(ctx).String(),
			Action: "sla.settings_updated", Target: "sla_settings", Before: auditView(before), After: auditView(in)})
	})
	if err != nil {
		return Settings{}, err
	}
	return in, nil
}

// auditView is what the audit log keeps of settings.
func auditView(s Settings) map[string]int {
	return map[string]int{"handoff_first_reply_seconds": s.HandoffFirstReplySeconds,
		"return_decision_seconds": s.ReturnDecisionSeconds, "order_dispatch_seconds": s.OrderDispatchSeconds}
}

// validateSettings lists every target out of bounds, by field.
func validateSettings(in Settings) []errs.FieldError {
	var fe []errs.FieldError
	minS, maxS := int(MinTarget.Seconds()), int(MaxTarget.Seconds())
	for _, f := range []struct {
		name string
		v    int
	}{
		{"handoff_first_reply_seconds", in.HandoffFirstReplySeconds},
		{"return_decision_seconds", in.ReturnDecisionSeconds},
		{"order_dispatch_seconds", in.OrderDispatchSeconds},
	} {
		if f.v < minS || f.v > maxS {
			fe = append(fe, errs.Field(f.name, "range", "sla.field.target_seconds", "min", minS, "max", maxS))
		}
	}
	return fe
}

// Breaches returns a page of the tenant's breaches, newest first. Errors:
// invalid (an unknown kind, a limit out of range, a cursor this list did
// not give).
func (s *Service) Breaches(ctx context.Context, q BreachQuery) (BreachPage, error) {
	after, fe := checkQuery(q)
	if len(fe) > 0 {
		return BreachPage{}, errs.Invalid(fe...)
	}
	if q.Limit == 0 {
		q.Limit = DefaultBreachPage
	}
	var page BreachPage
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rs, err := listBreaches(ctx, tx, q, after)
		if err != nil {
			return err
		}
		if len(rs) > q.Limit {
			rs = rs[:q.Limit]
			last := rs[len(rs)-1]
			page.NextCursor = keyset.Cursor{At: last.BreachedAt, ID: last.ID.String()}.Encode()
		}
		page.Items = make([]Breach, len(rs))
		for i := range rs {
			page.Items[i] = rs[i].toBreach()
		}
		return nil
	})
	return page, err
}

// checkQuery lists what is wrong with q, by field, and decodes its cursor.
func checkQuery(q BreachQuery) (*keyset.Cursor, []errs.FieldError) {
	var fe []errs.FieldError
	if q.Kind != "" && !validKind(q.Kind) {
		fe = append(fe, errs.Field("kind", "oneof", "field.oneof", "param", strings.Join(Kinds(), " ")))
	}
	if q.Limit < 0 || q.Limit > MaxBreachPage {
		fe = append(fe, errs.Field("limit", "range", "field.range", "min", 1, "max", MaxBreachPage))
	}
	after, err := keyset.Parse(q.Cursor, "sla.field.cursor")
	if err != nil {
		fe = append(fe, errs.Field("cursor", "invalid", "sla.field.cursor"))
	}
	return after, fe
}
