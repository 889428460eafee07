package whatsapp

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// The messages table: the inbox (inbound, unique per WhatsApp id) and the
// outbox (outbound, with their send state and delivery statuses).

type messageRow struct {
	bun.BaseModel  `bun:"table:messages"`
	TenantID       uuid.UUID       `bun:"tenant_id,pk,type:uuid"`
	ID             uuid.UUID       `bun:"id,pk,type:uuid"`
	ConversationID uuid.UUID       `bun:"conversation_id,type:uuid"`
	Direction      string          `bun:"direction"`
	WAMessageID    sql.NullString  `bun:"wa_message_id"`
	Kind           string          `bun:"kind"`
	Body           string          `bun:"body"`
	Payload        json.RawMessage `bun:"payload,type:jsonb"`
	Author         string          `bun:"author"`
	Status         string          `bun:"status"`
	SentAt         time.Time       `bun:"sent_at"`
	CreatedAt      time.Time       `bun:"created_at,nullzero,default:now()"`
	ProcessedAt    bun.NullTime    `bun:"processed_at"`
	StatusAt       bun.NullTime    `bun:"status_at"`
	ErrorCode      sql.NullInt64   `bun:"error_code"`
	ErrorDetail    string          `bun:"error_detail"`
}

func (r *messageRow) toMessage() Message {
	m := Message{ID: r.ID, ConversationID: r.ConversationID, Direction: r.Direction, WAMessageID: r.WAMessageID.String,
		Kind: r.Kind, Body: r.Body, Payload: r.Payload, Author: r.Author, Status: r.Status, SentAt: r.SentAt,
		CreatedAt: r.CreatedAt, ProcessedAt: nullTime(r.ProcessedAt), StatusAt: nullTime(r.StatusAt), ErrorDetail: r.ErrorDetail}
	if r.ErrorCode.Valid {
		c := int(r.ErrorCode.Int64)
		m.ErrorCode = &c
	}
	return m
}

func toMessageRow(tenantID uuid.UUID, m *Message) *messageRow {
	r := &messageRow{TenantID: tenantID, ID: m.ID, ConversationID: m.ConversationID, Direction: m.Direction,
		WAMessageID: sql.NullString{String: m.WAMessageID, Valid: m.WAMessageID != ""}, Kind: m.Kind, Body: m.Body,
		Payload: m.Payload, Author: m.Author, Status: m.Status, SentAt: m.SentAt, ErrorDetail: m.ErrorDetail}
	if len(r.Payload) == 0 {
		r.Payload = json.RawMessage(`{}`)
	}
	return r
}

// listMessages returns a conversation's newest limit messages, oldest first.
func listMessages(ctx context.Context, tx bun.IDB, conversationID uuid.UUID, limit int) ([]Message, error) {
	var rows []messageRow
	if err := tx.NewSelect().Model(&rows).Where("conversation_id = ?", conversationID).
		OrderExpr("created_at DESC, id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(rows))
	for i := len(rows) - 1; i >= 0; i-- {
		out = append(out, rows[i].toMessage())
	}
	return out, nil
}

// insertInbound inserts inbound messages, skipping those already stored
// (Meta's redeliveries: one row per WhatsApp id, without locking), and
// returns the WhatsApp ids it inserted.
func insertInbound(ctx context.Context, tx bun.IDB, tid uuid.UUID, msgs []*Message) (map[string]bool, error) {
	rows := make([]messageRow, len(msgs))
	for i, m := range msgs {
		rows[i] = *toMessageRow(tid, m)
	}
	var inserted []string
	if err := tx.NewInsert().Model(&rows).
		On("CONFLICT (tenant_id, wa_message_id) WHERE wa_message_id IS NOT NULL DO NOTHING").
		Returning("wa_message_id").Scan(ctx, &inserted); err != nil {
		return nil, translate(err, "message")
	}
	fresh := make(map[string]bool, len(inserted))
	for _, w := range inserted {
		fresh[w] = true
	}
	return fresh, nil
}

func insertOutbound(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, m *Message) error {
	_, err := tx.NewInsert().Model(toMessageRow(tenantID, m)).Exec(ctx)
	return translate(err, "message")
}

// unprocessed lists a conversation's inbound messages not yet handled, in
// WhatsApp timestamp order (then arrival).
func unprocessed(ctx context.Context, tx bun.IDB, conversationID uuid.UUID, limit int) ([]Message, error) {
	var rows []messageRow
	err := tx.NewSelect().Model(&rows).
		Where("conversation_id = ? AND direction = 'in' AND status = ?", conversationID, StatusReceived).
		OrderExpr("sent_at, created_at, id").Limit(int64(limit)).Scan(ctx)
	out := make([]Message, len(rows))
	for i := range rows {
		out[i] = rows[i].toMessage()
	}
	return out, err
}

func markInbound(ctx context.Context, tx bun.IDB, tenantID, id uuid.UUID, status string) error {
	_, err := tx.NewUpdate().Model((*messageRow)(nil)).
		Set("status = ?, processed_at = now()", status).
		Where("tenant_id = ? AND id = ?", tenantID, id).Exec(ctx)
	return err
}

func getMessage(ctx context.Context, tx bun.IDB, id uuid.UUID) (*Message, error) {
	r := new(messageRow)
	if err := tx.NewSelect().Model(r).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, translate(err, "message")
	}
	m := r.toMessage()
	return &m, nil
}

// queuedBefore reports whether the conversation has an older outbound
// message not yet taken by the Cloud API: queued, or its call in flight
// (ids are time-ordered UUIDv7, so they order messages written in one
// transaction).
func queuedBefore(ctx context.Context, tx bun.IDB, m *Message) (bool, error) {
	// "sending" counts too: an older reply whose Cloud API call is in flight
	// must be answered before this one is sent, or the two calls race.
	return tx.NewSelect().Model((*messageRow)(nil)).
		Where("conversation_id = ? AND direction = 'out' AND status IN (?, ?)", m.ConversationID, StatusQueued, StatusSending).
		Where("(created_at, id) < (?, ?)", m.CreatedAt, m.ID).Exists(ctx)
}

// markSent records the Cloud API's answer: the message went out as wamid. A
// status webhook may have settled it first (same wamid: nothing to do). When
// it names another WhatsApp id, the message went out twice (a re-send after
// an unanswered call whose first copy had reached Meta after all): twice is
// then true and the row keeps the copy whose statuses it already follows.
func markSent(ctx context.Context, tx bun.IDB, tenantID, id uuid.UUID, wamid string) (twice bool, err error) {
	res, err := tx.NewUpdate().Model((*messageRow)(nil)).
		Set("status = ?, wa_message_id = ?, status_at = now(), error_code = NULL, error_detail = ''", StatusSent, wamid).
		Where("tenant_id = ? AND id = ? AND status IN (?, ?)", tenantID, id, StatusQueued, StatusSending).Exec(ctx)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return false, nil
	}
	var recorded sql.NullString
	err = tx.NewSelect().Model((*messageRow)(nil)).Column("wa_message_id").
		Where("tenant_id = ? AND id = ?", tenantID, id).Scan(ctx, &recorded)
	if err != nil {
		return false, translate(err, "message")
	}
	return recorded.Valid && recorded.String != wamid, nil
}

// claimSend moves a message to "sending" just before the Cloud API call and
// commits, so an attempt that dies mid-call (or whose call goes unanswered)
// leaves a trace. A queued message is claimed at once; one already
// "sending" (an earlier attempt's outcome is unknown) only once its claim is
// older than settleAfter: by then that attempt is over, and a status webhook
// proving the first copy went out would have moved the message on, so it is
// not claimed. The check and the claim are one statement, so two attempts
// can never both claim. It returns false when the message is no longer
// waiting to be sent or another attempt's claim is still fresh.
func claimSend(ctx context.Context, tx bun.IDB, tenantID, id uuid.UUID, settleAfter time.Duration) (bool, error) {
	res, err := tx.NewUpdate().Model((*messageRow)(nil)).
		Set("status = ?, status_at = now()", StatusSending).
		Where("tenant_id = ? AND id = ?", tenantID, id).
		WhereGroup(" AND ", func(q *bun.UpdateQuery) *bun.UpdateQuery {
			return q.Where("status = ?", StatusQueued).
				WhereOr("status = ? AND (status_at IS NULL OR status_at <= now() - make_interval(secs => ?))", StatusSending, settleAfter.Seconds())
		}).Exec(ctx)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// claimAge is how long ago the message was claimed ("sending" since), by
// the database's clock, as the claim was written: worker clocks may differ.
func claimAge(ctx context.Context, tx bun.IDB, id uuid.UUID) (time.Duration, error) {
	var secs sql.NullFloat64
	err := tx.NewSelect().Model((*messageRow)(nil)).ColumnExpr("extract(epoch FROM now() - status_at)::float8").
		Where("id = ?", id).Scan(ctx, &secs)
	if err != nil {
		return 0, translate(err, "message")
	}
	if !secs.Valid {
		return time.Duration(1<<63 - 1), nil // never claimed with a time: as old as can be
	}
	return time.Duration(secs.Float64 * float64(time.Second)), nil
}

// unclaimSend puts a message Meta refused back to "queued" for a retry.
func unclaimSend(ctx context.Context, tx bun.IDB, tenantID, id uuid.UUID) error {
	_, err := tx.NewUpdate().Model((*messageRow)(nil)).Set("status = ?", StatusQueued).
		Where("tenant_id = ? AND id = ? AND status = ?", tenantID, id, StatusSending).Exec(ctx)
	return err
}

func markFailed(ctx context.Context, tx bun.IDB, tenantID, id uuid.UUID, code int, detail string) error {
	_, err := tx.NewUpdate().Model((*messageRow)(nil)).
		Set("status = ?, status_at = now(), error_code = ?, error_detail = ?", StatusFailed, code, truncate(detail, 500)).
		Where("tenant_id = ? AND id = ?", tenantID, id).Exec(ctx)
	return err
}

// statusRankSQL orders delivery statuses in SQL as statusRank does.
const statusRankSQL = `CASE status WHEN 'queued' THEN 0 WHEN 'sending' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 WHEN 'failed' THEN 4 ELSE 0 END`

// applyStatus records a delivery status for an outbound message, moving only
// forward (failed wins); unknown ids are ignored (uuid.Nil). conv is the
// conversation of the message the status moved (uuid.Nil: none moved). The
// message is
// found by its WhatsApp id or, when the status arrives before the send's
// answer was recorded (or the sender died, or its call went unanswered), by
// our id echoed back in the callback data, which also records the WhatsApp
// id. This is what settles a message whose send has no known outcome: a
// status naming it proves it went out, and a later attempt finds it sent
// (or failed) and sends nothing. twice reports a status for a second copy
// of a message already recorded under another WhatsApp id: the message went
// out twice.
func applyStatus(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, wamid, callback, status string, at time.Time, code int, detail string) (conv uuid.UUID, twice bool, err error) {
	q := tx.NewUpdate().Model((*messageRow)(nil)).
		Set("status = ?, status_at = ?", status, at).
		Where("tenant_id = ? AND direction = 'out'", tenantID).
		Where(statusRankSQL+" < ?", statusRank(status))
	id, idErr := uuid.Parse(callback)
	if idErr == nil {
		q = q.Set("wa_message_id = ?", wamid).
			WhereGroup(" AND ", func(q *bun.UpdateQuery) *bun.UpdateQuery {
				return q.Where("wa_message_id = ?", wamid).WhereOr("(id = ? AND wa_message_id IS NULL)", id)
			})
	} else {
		q = q.Where("wa_message_id = ?", wamid)
	}
	if status == StatusFailed {
		q = q.Set("error_code = ?, error_detail = ?", code, truncate(detail, 500))
	}
	var moved []uuid.UUID
	if _, err := q.Returning("conversation_id").Exec(ctx, &moved); err != nil {
		return uuid.Nil, false, err
	}
	if len(moved) > 0 {
		return moved[0], false, nil
	}
	if idErr != nil || status != StatusSent {
		return uuid.Nil, false, nil // each copy reports "sent" once: count it there
	}
	var recorded sql.NullString
	err = tx.NewSelect().Model((*messageRow)(nil)).Column("wa_message_id").
		Where("tenant_id = ? AND id = ? AND direction = 'out'", tenantID, id).Scan(ctx, &recorded)
	if err == sql.ErrNoRows {
		return uuid.Nil, false, nil
	}
	if err != nil {
		return uuid.Nil, false, err
	}
	return uuid.Nil, recorded.Valid && recorded.String != wamid, nil
}
