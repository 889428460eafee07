package checkout

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/db"
	"concierge/internal/errs"
	"concierge/modules/orders"
	"concierge/plugins/payments"
)

type paymentRow struct {
	bun.BaseModel `bun:"table:payments"`
	TenantID      uuid.UUID  `bun:"tenant_id"`
	ID            uuid.UUID  `bun:"id"`
	OrderID       uuid.UUID  `bun:"order_id"`
	Provider      string     `bun:"provider"`
	Status        string     `bun:"status"`
	Amount        int64      `bun:"amount"`
	Currency      string     `bun:"currency"`
	Captured      int64      `bun:"captured"`
	Refunded      int64      `bun:"refunded"`
	Ref           string     `bun:"ref"`
	PaymentRef    string     `bun:"payment_ref"`
	RedirectURL   string     `bun:"redirect_url"`
	ExpiresAt     *time.Time `bun:"expires_at"`
	ConfirmedAt   *time.Time `bun:"confirmed_at"`
	CreatedAt     time.Time  `bun:"created_at"`
	UpdatedAt     time.Time  `bun:"updated_at"`
}

func toPaymentRow(tenantID uuid.UUID, p *Payment) *paymentRow {
	return &paymentRow{TenantID: tenantID, ID: p.ID, OrderID: p.OrderID, Provider: p.Provider, Status: string(p.Status), Amount: p.Amount,
		Currency: p.Currency, Captured: p.Captured, Refunded: p.Refunded, Ref: p.Ref, PaymentRef: p.PaymentRef, RedirectURL: p.RedirectURL,
		ExpiresAt: p.ExpiresAt, ConfirmedAt: p.ConfirmedAt, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func (r *paymentRow) toPayment() *Payment {
	return &Payment{ID: r.ID, OrderID: r.OrderID, Provider: r.Provider, Status: payments.Status(r.Status), Amount: r.Amount,
		Currency: r.Currency, Captured: r.Captured, Refunded: r.Refunded, Ref: r.Ref, PaymentRef: r.PaymentRef, RedirectURL: r.RedirectURL,
		ExpiresAt: r.ExpiresAt, ConfirmedAt: r.ConfirmedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func insertPayment(ctx context.Context, tx bun.IDB, r *paymentRow) error {
	_, err := tx.NewInsert().Model(r).Exec(ctx)
	return db.Translate(err, "payment")
}

// insertStartedPayment writes a payment already started and its first
// event in one statement.
func insertStartedPayment(ctx context.Context, tx bun.IDB, p *paymentRow, e *eventRow) error {
	_, err := tx.NewRaw(`WITH p AS (?) ?`, tx.NewInsert().Model(p), tx.NewInsert().Model(e)).Exec(ctx)
	return db.Translate(err, "payment")
}

func updatePayment(ctx context.Context, tx bun.IDB, r *paymentRow) error {
	_, err := tx.NewUpdate().Model(r).
		Column("status", "captured", "refunded", "ref", "payment_ref", "redirect_url", "expires_at", "confirmed_at", "updated_at").
		Where("id = ?", r.ID).Exec(ctx)
	return db.Translate(err, "payment")
}

// getPayment reads one payment matching where (lock: FOR UPDATE); nil when
// none.
func getPayment(ctx context.Context, tx bun.IDB, lock bool, where string, args ...any) (*Payment, error) {
	var r paymentRow
	q := tx.NewSelect().Model(&r).Where(where, args...).OrderExpr("created_at DESC").Limit(1)
	if lock {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	return r.toPayment(), nil
}

func orderPayments(ctx context.Context, tx bun.IDB, orderIDs []uuid.UUID) (map[uuid.UUID][]orders.Payment, error) {
	var rs []paymentRow
	if err := tx.NewSelect().Model(&rs).Where("order_id IN (?)", bun.In(orderIDs)).Order("created_at", "id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID][]orders.Payment, len(orderIDs))
	for _, r := range rs {
		out[r.OrderID] = append(out[r.OrderID], orders.Payment{ID: r.ID, Provider: r.Provider, Status: r.Status, Amount: r.Amount,
			Currency: r.Currency, Captured: r.Captured, Refunded: r.Refunded, RedirectURL: r.RedirectURL, ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt})
	}
	return out, nil
}

// eventRow is one provider event offered to a payment.
type eventRow struct {
	bun.BaseModel `bun:"table:payment_events"`
	TenantID      uuid.UUID `bun:"tenant_id"`
	ID            uuid.UUID `bun:"id"`
	PaymentID     uuid.UUID `bun:"payment_id"`
	Provider      string    `bun:"provider"`
	EventID       string    `bun:"event_id"`
	Kind          string    `bun:"kind"`
	Amount        int64     `bun:"amount"`
	Currency      string    `bun:"currency"`
	FromStatus    string    `bun:"from_status"`
	ToStatus      string    `bun:"to_status"`
	Outcome       string    `bun:"outcome"`
	Reason        string    `bun:"reason"`
	At            time.Time `bun:"at"`
}

// claimEvent records an event, unless the provider's event id is already
// recorded: it reports whether this call recorded it (false: a repeat).
func claimEvent(ctx context.Context, tx bun.IDB, r *eventRow) (bool, error) {
	res, err := tx.NewInsert().Model(r).On("CONFLICT (tenant_id, provider, event_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func setEventOutcome(ctx context.Context, tx bun.IDB, r *eventRow) error {
	_, err := tx.NewUpdate().Model(r).Column("from_status", "to_status", "outcome", "reason").Where("id = ?", r.ID).Exec(ctx)
	return err
}

// deferredEvents are a payment's events that could not apply yet, oldest
// first.
func deferredEvents(ctx context.Context, tx bun.IDB, paymentID uuid.UUID) ([]eventRow, error) {
	var rs []eventRow
	err := tx.NewSelect().Model(&rs).Where("payment_id = ? AND outcome = 'deferred'", paymentID).Order("at", "id").Scan(ctx)
	return rs, err
}

// settingsRow is a tenant's settings of one provider.
type settingsRow struct {
	bun.BaseModel `bun:"table:payment_settings"`
	TenantID      uuid.UUID         `bun:"tenant_id"`
	Provider      string            `bun:"provider"`
	Enabled       bool              `bun:"enabled"`
	Fields        map[string]string `bun:"fields,type:jsonb"`
	Sealed        map[string]string `bun:"sealed,type:jsonb"`
	UpdatedAt     time.Time         `bun:"updated_at"`
}

func getSettings(ctx context.Context, tx bun.IDB) ([]settingsRow, error) {
	var rs []settingsRow
	err := tx.NewSelect().Model(&rs).Order("provider").Scan(ctx)
	return rs, err
}

func getProviderSettings(ctx context.Context, tx bun.IDB, provider string) (*settingsRow, error) {
	var r settingsRow
	err := tx.NewSelect().Model(&r).Where("provider = ?", provider).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &r, err
}

func upsertSettings(ctx context.Context, tx bun.IDB, r *settingsRow) error {
	_, err := tx.NewInsert().Model(r).
		On("CONFLICT (tenant_id, provider) DO UPDATE SET enabled = EXCLUDED.enabled, fields = EXCLUDED.fields, sealed = EXCLUDED.sealed, updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	return db.Translate(err, "payment settings")
}

// errNoPayment is a payment the tenant does not have.
var errNoPayment = errs.New(errs.CodeNotFound, "checkout.payment.not_found")
