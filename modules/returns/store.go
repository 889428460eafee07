package returns

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/db"
	"concierge/internal/keyset"
)

type settingsRow struct {
	bun.BaseModel `bun:"table:return_settings"`
	TenantID      uuid.UUID `bun:"tenant_id"`
	WindowDays    int       `bun:"window_days"`
	LastNumber    int64     `bun:"last_number"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

type returnRow struct {
	bun.BaseModel `bun:"table:returns"`
	TenantID      uuid.UUID  `bun:"tenant_id"`
	ID            uuid.UUID  `bun:"id"`
	Number        int64      `bun:"number"`
	OrderID       uuid.UUID  `bun:"order_id"`
	OrderNumber   int64      `bun:"order_number"`
	CustomerID    *uuid.UUID `bun:"customer_id"`
	Channel       string     `bun:"channel"`
	Status        string     `bun:"status"`
	Reason        string     `bun:"reason"`
	ReasonText    string     `bun:"reason_text"`
	Currency      string     `bun:"currency"`
	RefundAmount  int64      `bun:"refund_amount"`
	RefundStatus  string     `bun:"refund_status"`
	RefundError   string     `bun:"refund_error"`
	RefundedAt    *time.Time `bun:"refunded_at"`
	DecisionNote  string     `bun:"decision_note"`
	DecidedBy     string     `bun:"decided_by"`
	DecidedAt     *time.Time `bun:"decided_at"`
	ReceivedAt    *time.Time `bun:"received_at"`
	CreatedBy     string     `bun:"created_by"`
	CreatedAt     time.Time  `bun:"created_at"`
	UpdatedAt     time.Time  `bun:"updated_at"`
}

func toReturnRow(tenantID uuid.UUID, r *Return) *returnRow {
	return &returnRow{TenantID: tenantID, ID: r.ID, Number: r.Number, OrderID: r.OrderID, OrderNumber: r.OrderNumber, CustomerID: r.CustomerID,
		Channel: r.Channel, Status: r.Status, Reason: r.Reason, ReasonText: r.ReasonText, Currency: r.Currency, RefundAmount: r.RefundAmount,
		RefundStatus: r.RefundStatus, RefundError: r.RefundError, RefundedAt: r.RefundedAt, DecisionNote: r.DecisionNote, DecidedBy: r.DecidedBy,
		DecidedAt: r.DecidedAt, ReceivedAt: r.ReceivedAt, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (r *returnRow) toReturn() Return {
	return Return{ID: r.ID, Number: r.Number, OrderID: r.OrderID, OrderNumber: r.OrderNumber, CustomerID: r.CustomerID, Channel: r.Channel,
		Status: r.Status, Reason: r.Reason, ReasonText: r.ReasonText, Currency: r.Currency, RefundAmount: r.RefundAmount, RefundStatus: r.RefundStatus,
		RefundError: r.RefundError, RefundedAt: r.RefundedAt, DecisionNote: r.DecisionNote, DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt,
		ReceivedAt: r.ReceivedAt, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type lineRow struct {
	bun.BaseModel `bun:"table:return_lines"`
	TenantID      uuid.UUID `bun:"tenant_id"`
	ReturnID      uuid.UUID `bun:"return_id"`
	Position      int       `bun:"position"`
	VariantID     uuid.UUID `bun:"variant_id"`
	SKU           string    `bun:"sku"`
	TitleAR       string    `bun:"title_ar"`
	TitleEN       string    `bun:"title_en"`
	Quantity      int       `bun:"quantity"`
	UnitPrice     int64     `bun:"unit_price"`
}

func toLineRows(tenantID, returnID uuid.UUID, ls []Line) []lineRow {
	out := make([]lineRow, len(ls))
	for i, l := range ls {
		out[i] = lineRow{TenantID: tenantID, ReturnID: returnID, Position: l.Position, VariantID: l.VariantID, SKU: l.SKU,
			TitleAR: l.TitleAR, TitleEN: l.TitleEN, Quantity: l.Quantity, UnitPrice: l.UnitPrice}
	}
	return out
}

func (r lineRow) toLine() Line {
	return Line{Position: r.Position, VariantID: r.VariantID, SKU: r.SKU, TitleAR: r.TitleAR, TitleEN: r.TitleEN, Quantity: r.Quantity, UnitPrice: r.UnitPrice}
}

// mediaRow is a photo's row without its bytes (mediaData reads those).
type mediaRow struct {
	bun.BaseModel `bun:"table:return_media"`
	TenantID      uuid.UUID  `bun:"tenant_id"`
	ID            uuid.UUID  `bun:"id"`
	ReturnID      *uuid.UUID `bun:"return_id"`
	MediaID       string     `bun:"media_id"`
	MimeType      string     `bun:"mime_type"`
	SizeBytes     *int64     `bun:"size_bytes"`
	SHA256        string     `bun:"sha256"`
	Status        string     `bun:"status"`
	Reason        string     `bun:"reason"`
	CreatedAt     time.Time  `bun:"created_at"`
	UpdatedAt     time.Time  `bun:"updated_at"`
}

// mediaColumns are mediaRow's columns (never data).
var mediaColumns = []string{"tenant_id", "id", "return_id", "media_id", "mime_type", "size_bytes", "sha256", "status", "reason", "created_at", "updated_at"}

func (r mediaRow) toMedia() Media {
	return Media{ID: r.ID, ReturnID: r.ReturnID, MediaID: r.MediaID, MimeType: r.MimeType, SizeBytes: r.SizeBytes, SHA256: r.SHA256,
		Status: r.Status, Reason: r.Reason, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type eventRow struct {
	bun.BaseModel `bun:"table:return_events"`
	TenantID      uuid.UUID         `bun:"tenant_id"`
	ID            uuid.UUID         `bun:"id"`
	ReturnID      uuid.UUID         `bun:"return_id"`
	Kind          string            `bun:"kind"`
	Actor         string            `bun:"actor"`
	Note          string            `bun:"note"`
	Data          map[string]string `bun:"data,type:jsonb"`
	At            time.Time         `bun:"at"`
}

func (r eventRow) toEvent() Event {
	return Event{ID: r.ID, Kind: r.Kind, Actor: r.Actor, Note: r.Note, Data: r.Data, At: r.At}
}

// translate maps driver errors onto the error vocabulary.
func translate(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return db.Translate(err, "return")
}

// ---- settings ----

// getSettings reads the tenant's row, nil when it has none.
func getSettings(ctx context.Context, tx bun.IDB) (*settingsRow, error) {
	var r settingsRow
	err := tx.NewSelect().Model(&r).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &r, err
}

// putWindow writes the tenant's window.
func putWindow(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, days int, at time.Time) error {
	_, err := tx.NewRaw(`INSERT INTO return_settings (tenant_id, window_days, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET window_days = EXCLUDED.window_days, updated_at = EXCLUDED.updated_at`,
		tenantID, days, at).Exec(ctx)
	return translate(err)
}

// nextNumber draws the tenant's next RMA number. The row stays locked until
// tx ends: numbers are gapless, and one tenant's new returns take turns.
func nextNumber(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, at time.Time) (int64, error) {
	var n int64
	err := tx.NewRaw(`INSERT INTO return_settings (tenant_id, last_number, updated_at) VALUES (?, 1001, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET last_number = return_settings.last_number + 1
		RETURNING last_number`, tenantID, at).Scan(ctx, &n)
	return n, translate(err)
}

// ---- returns ----

func insertReturn(ctx context.Context, tx bun.IDB, r *returnRow, lines []lineRow) error {
	if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
		return translate(err)
	}
	_, err := tx.NewInsert().Model(&lines).Exec(ctx)
	return translate(err)
}

// updateReturn writes a return's changeable columns.
func updateReturn(ctx context.Context, tx bun.IDB, r *returnRow) error {
	_, err := tx.NewUpdate().Model(r).
		Column("status", "refund_amount", "refund_status", "refund_error", "refunded_at", "decision_note", "decided_by", "decided_at",
			"received_at", "updated_at").
		Where("id = ?", r.ID).Exec(ctx)
	return translate(err)
}

// getReturn reads a return with its lines (lock: FOR UPDATE of the return).
func getReturn(ctx context.Context, tx bun.IDB, id uuid.UUID, lock bool) (*Return, error) {
	var r returnRow
	q := tx.NewSelect().Model(&r).Where("id = ?", id)
	if lock {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, translate(err)
	}
	out := r.toReturn()
	lines, err := linesOf(ctx, tx, []uuid.UUID{id})
	if err != nil {
		return nil, err
	}
	out.Lines = lines[id]
	return &out, nil
}

// linesOf reads the lines of returns, in position order.
func linesOf(ctx context.Context, tx bun.IDB, ids []uuid.UUID) (map[uuid.UUID][]Line, error) {
	out := map[uuid.UUID][]Line{}
	if len(ids) == 0 {
		return out, nil
	}
	var rs []lineRow
	if err := tx.NewSelect().Model(&rs).Where("return_id IN (?)", bun.In(ids)).Order("return_id", "position").Scan(ctx); err != nil {
		return nil, err
	}
	for _, r := range rs {
		out[r.ReturnID] = append(out[r.ReturnID], r.toLine())
	}
	return out, nil
}

// quantities are the quantities of an order's variants in its returns:
// asked for (every return not rejected) and received.
type quantities struct {
	Requested map[uuid.UUID]int
	Received  map[uuid.UUID]int
}

// orderQuantities sums the returns of orders by variant.
func orderQuantities(ctx context.Context, tx bun.IDB, orderIDs []uuid.UUID) (map[uuid.UUID]quantities, error) {
	out := map[uuid.UUID]quantities{}
	if len(orderIDs) == 0 {
		return out, nil
	}
	var rs []struct {
		OrderID   uuid.UUID `bun:"order_id"`
		VariantID uuid.UUID `bun:"variant_id"`
		Requested int       `bun:"requested"`
		Received  int       `bun:"received"`
	}
	err := tx.NewRaw(`SELECT r.order_id, l.variant_id,
			sum(l.quantity) AS requested,
			coalesce(sum(l.quantity) FILTER (WHERE r.received_at IS NOT NULL), 0) AS received
		FROM returns r JOIN return_lines l ON l.tenant_id = r.tenant_id AND l.return_id = r.id
		WHERE r.order_id IN (?) AND r.status <> 'rejected'
		GROUP BY r.order_id, l.variant_id`, bun.In(orderIDs)).Scan(ctx, &rs)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		q, ok := out[r.OrderID]
		if !ok {
			q = quantities{Requested: map[uuid.UUID]int{}, Received: map[uuid.UUID]int{}}
			out[r.OrderID] = q
		}
		q.Requested[r.VariantID] += r.Requested
		q.Received[r.VariantID] += r.Received
	}
	return out, nil
}

// refundsOf sums what an order's other approved returns refund (queued or
// done), apart from the return except.
func refundsOf(ctx context.Context, tx bun.IDB, orderID, except uuid.UUID) (int64, error) {
	var sum int64
	err := tx.NewRaw(`SELECT coalesce(sum(refund_amount), 0) FROM returns
		WHERE order_id = ? AND id <> ? AND status NOT IN ('requested', 'rejected') AND refund_status IN ('pending', 'done', 'manual')`,
		orderID, except).Scan(ctx, &sum)
	return sum, err
}

func listReturns(ctx context.Context, tx bun.IDB, q Query, after *keyset.Cursor) ([]returnRow, error) {
	var rs []returnRow
	sel := tx.NewSelect().Model(&rs).OrderExpr("created_at DESC, id DESC").Limit(int64(q.Limit + 1))
	if q.Status != "" {
		sel = sel.Where("status = ?", q.Status)
	}
	if after != nil {
		sel = sel.Where("(created_at, id) < (?, ?)", after.At, after.ID)
	}
	return rs, sel.Scan(ctx)
}

// ---- media ----

func insertMedia(ctx context.Context, tx bun.IDB, rs []mediaRow) error {
	if len(rs) == 0 {
		return nil
	}
	_, err := tx.NewInsert().Model(&rs).Exec(ctx)
	return translate(err)
}

// getMedia reads a photo's row (lock: FOR UPDATE). Errors: not_found.
func getMedia(ctx context.Context, tx bun.IDB, id uuid.UUID, lock bool) (*mediaRow, error) {
	var r mediaRow
	q := tx.NewSelect().Model(&r).Column(mediaColumns...).Where("id = ?", id)
	if lock {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrMediaNotFound
		}
		return nil, err
	}
	return &r, nil
}

func mediaOf(ctx context.Context, tx bun.IDB, returnID uuid.UUID) ([]Media, error) {
	var rs []mediaRow
	if err := tx.NewSelect().Model(&rs).Column(mediaColumns...).Where("return_id = ?", returnID).Order("created_at", "id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Media, len(rs))
	for i, r := range rs {
		out[i] = r.toMedia()
	}
	return out, nil
}

// mediaData reads a stored photo's bytes and type. Errors: not_found.
func mediaData(ctx context.Context, tx bun.IDB, returnID, id uuid.UUID) ([]byte, string, string, error) {
	var r struct {
		Data     []byte `bun:"data"`
		MimeType string `bun:"mime_type"`
		Status   string `bun:"status"`
	}
	err := tx.NewRaw(`SELECT data, mime_type, status FROM return_media WHERE return_id = ? AND id = ?`, returnID, id).Scan(ctx, &r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", "", ErrMediaNotFound
	}
	return r.Data, r.MimeType, r.Status, err
}

// storeMedia keeps a photo's bytes.
func storeMedia(ctx context.Context, tx bun.IDB, id uuid.UUID, data []byte, mimeType, sum string, at time.Time) error {
	_, err := tx.NewRaw(`UPDATE return_media SET data = ?, mime_type = ?, size_bytes = ?, sha256 = ?, status = 'stored', reason = '', updated_at = ?
		WHERE id = ?`, data, mimeType, len(data), sum, at, id).Exec(ctx)
	return translate(err)
}

// rejectMedia records why a photo was not kept.
func rejectMedia(ctx context.Context, tx bun.IDB, id uuid.UUID, reason string, at time.Time) error {
	_, err := tx.NewRaw(`UPDATE return_media SET data = NULL, status = 'rejected', reason = ?, updated_at = ? WHERE id = ?`,
		reason, at, id).Exec(ctx)
	return translate(err)
}

// ---- events ----

func insertEvent(ctx context.Context, tx bun.IDB, r *eventRow) error {
	if r.Data == nil {
		r.Data = map[string]string{}
	}
	_, err := tx.NewInsert().Model(r).Exec(ctx)
	return translate(err)
}

func eventsOf(ctx context.Context, tx bun.IDB, returnID uuid.UUID) ([]Event, error) {
	var rs []eventRow
	if err := tx.NewSelect().Model(&rs).Where("return_id = ?", returnID).Order("at", "id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Event, len(rs))
	for i, r := range rs {
		out[i] = r.toEvent()
	}
	return out, nil
}
