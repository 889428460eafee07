package whatsapp

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/db"
)

// Every SQL statement of the channel (the messages table's in
// store_messages.go), on private row types with converters to the domain
// types. Tenant tables are read and written inside the
// tenant's scoped transaction (row-level security); whatsapp_unrouted and
// the sweep's view of unprocessed messages on the platform path.

type customerRow struct {
	bun.BaseModel `bun:"table:customers"`
	TenantID      uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	WAID          string    `bun:"wa_id"`
	ProfileName   string    `bun:"profile_name"`
	Locale        string    `bun:"locale"`
	Consent       string    `bun:"consent"`
	CreatedAt     time.Time `bun:"created_at,nullzero,default:now()"`
	UpdatedAt     time.Time `bun:"updated_at,nullzero,default:now()"`
}

func (r *customerRow) toCustomer() *Customer {
	return &Customer{ID: r.ID, TenantID: r.TenantID, WAID: r.WAID, ProfileName: r.ProfileName, Locale: r.Locale,
		Consent: r.Consent, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type conversationRow struct {
	bun.BaseModel `bun:"table:conversations"`
	TenantID      uuid.UUID       `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID       `bun:"id,pk,type:uuid"`
	CustomerID    uuid.UUID       `bun:"customer_id,type:uuid"`
	NumberID      uuid.UUID       `bun:"number_id,type:uuid"`
	PhoneNumberID string          `bun:"phone_number_id"`
	State         json.RawMessage `bun:"state,type:jsonb"`
	LastInboundAt bun.NullTime    `bun:"last_inbound_at"`
	Handoff       string          `bun:"handoff"`
	HandoffAt     bun.NullTime    `bun:"handoff_at"`
	AssigneeID    uuid.NullUUID   `bun:"assignee_id,type:uuid"`
	CreatedAt     time.Time       `bun:"created_at,nullzero,default:now()"`
	UpdatedAt     time.Time       `bun:"updated_at,nullzero,default:now()"`
}

func nullTime(t bun.NullTime) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := t.Time
	return &v
}

func (r *conversationRow) toConversation() *Conversation {
	c := &Conversation{ID: r.ID, TenantID: r.TenantID, CustomerID: r.CustomerID, NumberID: r.NumberID,
		PhoneNumberID: r.PhoneNumberID, StateJSON: r.State, LastInboundAt: nullTime(r.LastInboundAt),
		Handoff: r.Handoff, HandoffAt: nullTime(r.HandoffAt), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.AssigneeID.Valid {
		id := r.AssigneeID.UUID
		c.AssigneeID = &id
	}
	return c
}

func translate(err error, what string) error { return db.Translate(err, what) }

// setLockTimeout bounds how long the transaction waits for a row lock (a
// conversation another worker is processing).
func setLockTimeout(ctx context.Context, tx bun.IDB) error {
	_, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = '15s'`)
	return err
}

// ---- customers ----

// ensureCustomers creates the customers that do not exist yet (no lock on
// existing rows) and returns every WhatsApp id's customer id.
func ensureCustomers(ctx context.Context, tx bun.IDB, tid uuid.UUID, waIDs map[string]bool) (map[string]uuid.UUID, error) {
	rows := make([]customerRow, 0, len(waIDs))
	ids := make([]string, 0, len(waIDs))
	for w := range waIDs {
		rows = append(rows, customerRow{TenantID: tid, ID: uuid.Must(uuid.NewV7()), WAID: w, Consent: ConsentUnknown})
		ids = append(ids, w)
	}
	if _, err := tx.NewInsert().Model(&rows).On("CONFLICT (tenant_id, wa_id) DO NOTHING").Exec(ctx); err != nil {
		return nil, translate(err, "customer")
	}
	var found []customerRow
	if err := tx.NewSelect().Model(&found).Column("id", "wa_id").Where("wa_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]uuid.UUID, len(found))
	for _, c := range found {
		out[c.WAID] = c.ID
	}
	return out, nil
}

// findCustomer reads a customer by id or, when id is nil, by WhatsApp id:
// not_found when the tenant has none.
func findCustomer(ctx context.Context, tx bun.IDB, id uuid.UUID, waID string) (*Customer, error) {
	if id != uuid.Nil {
		return getCustomer(ctx, tx, id)
	}
	r := new(customerRow)
	if err := tx.NewSelect().Model(r).Where("wa_id = ?", waID).Scan(ctx); err != nil {
		return nil, translate(err, "customer")
	}
	return r.toCustomer(), nil
}

func getCustomer(ctx context.Context, tx bun.IDB, id uuid.UUID) (*Customer, error) {
	r := new(customerRow)
	if err := tx.NewSelect().Model(r).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, translate(err, "customer")
	}
	return r.toCustomer(), nil
}

func updateCustomer(ctx context.Context, tx bun.IDB, c *Customer) error {
	_, err := tx.NewUpdate().Model((*customerRow)(nil)).
		Set("profile_name = ?, locale = ?, consent = ?, updated_at = now()", c.ProfileName, c.Locale, c.Consent).
		Where("tenant_id = ? AND id = ?", c.TenantID, c.ID).Exec(ctx)
	return err
}

// ---- conversations ----

// lockConversation reads a conversation and holds its row lock until the
// transaction ends: the per-conversation lock that orders processing. NO KEY
// UPDATE, so webhook ingest inserting messages that reference the
// conversation (a KEY SHARE lock) never waits for a turn to finish.
func lockConversation(ctx context.Context, tx bun.IDB, id uuid.UUID) (*Conversation, error) {
	r := new(conversationRow)
	if err := tx.NewSelect().Model(r).Where("id = ?", id).For("NO KEY UPDATE").Scan(ctx); err != nil {
		return nil, translate(err, "conversation")
	}
	return r.toConversation(), nil
}

// convKey names a conversation by its customer and business number.
type convKey struct{ customer, number uuid.UUID }

// ensureConversations creates the conversations that do not exist yet (no
// lock on existing rows; wanted maps each to its phone_number_id) and
// returns every conversation's id.
func ensureConversations(ctx context.Context, tx bun.IDB, tid uuid.UUID, wanted map[convKey]string) (map[convKey]uuid.UUID, error) {
	rows := make([]conversationRow, 0, len(wanted))
	custIDs := make([]uuid.UUID, 0, len(wanted))
	for k, pnid := range wanted {
		rows = append(rows, conversationRow{TenantID: tid, ID: uuid.Must(uuid.NewV7()), CustomerID: k.customer,
			NumberID: k.number, PhoneNumberID: pnid, State: json.RawMessage(`{}`), Handoff: HandoffBot})
		custIDs = append(custIDs, k.customer)
	}
	if _, err := tx.NewInsert().Model(&rows).On("CONFLICT (tenant_id, customer_id, number_id) DO NOTHING").Exec(ctx); err != nil {
		return nil, translate(err, "conversation")
	}
	var existing []conversationRow
	if err := tx.NewSelect().Model(&existing).Column("id", "customer_id", "number_id").
		Where("customer_id IN (?)", bun.In(custIDs)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make(map[convKey]uuid.UUID, len(existing))
	for _, c := range existing {
		out[convKey{c.CustomerID, c.NumberID}] = c.ID
	}
	return out, nil
}

// latestConversation is the customer's conversation they wrote in last:
// not_found when they have none.
func latestConversation(ctx context.Context, tx bun.IDB, customerID uuid.UUID) (*Conversation, error) {
	r := new(conversationRow)
	if err := tx.NewSelect().Model(r).Where("customer_id = ?", customerID).
		OrderExpr("last_inbound_at DESC NULLS LAST, updated_at DESC, id DESC").Limit(1).Scan(ctx); err != nil {
		return nil, translate(err, "conversation")
	}
	return r.toConversation(), nil
}

func getConversation(ctx context.Context, tx bun.IDB, id uuid.UUID) (*Conversation, error) {
	r := new(conversationRow)
	if err := tx.NewSelect().Model(r).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, translate(err, "conversation")
	}
	return r.toConversation(), nil
}

func saveConversation(ctx context.Context, tx bun.IDB, c *Conversation) error {
	var assignee uuid.NullUUID
	if c.AssigneeID != nil {
		assignee = uuid.NullUUID{UUID: *c.AssigneeID, Valid: true}
	}
	_, err := tx.NewUpdate().Model((*conversationRow)(nil)).
		Set("state = ?, handoff = ?, handoff_at = ?, assignee_id = ?, last_inbound_at = ?, updated_at = now()",
			c.StateJSON, c.Handoff, c.HandoffAt, assignee, c.LastInboundAt).
		Where("tenant_id = ? AND id = ?", c.TenantID, c.ID).Exec(ctx)
	return err
}

type viewRow struct {
	conversationRow `bun:",extend"`
	WAID            string `bun:"wa_id"`
	ProfileName     string `bun:"profile_name"`
	Locale          string `bun:"locale"`
	Consent         string `bun:"consent"`
	LastMessage     string `bun:"last_message"`
}

func (r *viewRow) toView() ConversationView {
	c := r.conversationRow.toConversation()
	return ConversationView{Conversation: *c, LastMessage: r.LastMessage, Customer: Customer{ID: c.CustomerID, TenantID: c.TenantID,
		WAID: r.WAID, ProfileName: r.ProfileName, Locale: r.Locale, Consent: r.Consent}}
}

func views(ctx context.Context, tx bun.IDB, where func(*bun.SelectQuery) *bun.SelectQuery, limit int) ([]ConversationView, error) {
	var rows []viewRow
	q := tx.NewSelect().Model(&rows).
		ColumnExpr("conversation_row.*").
		ColumnExpr("cu.wa_id, cu.profile_name, cu.locale, cu.consent").
		ColumnExpr("(SELECT m.body FROM messages m WHERE m.tenant_id = conversation_row.tenant_id AND m.conversation_id = conversation_row.id ORDER BY m.created_at DESC LIMIT 1) AS last_message").
		Join("JOIN customers cu ON cu.tenant_id = conversation_row.tenant_id AND cu.id = conversation_row.customer_id")
	q = where(q).OrderExpr("conversation_row.updated_at DESC").Limit(int64(limit))
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]ConversationView, len(rows))
	for i := range rows {
		out[i] = rows[i].toView()
	}
	return out, nil
}

// listViews lists conversations, newest activity first, only those in
// hand-off state handoff unless it is "".
func listViews(ctx context.Context, tx bun.IDB, handoff string, limit int) ([]ConversationView, error) {
	return views(ctx, tx, func(q *bun.SelectQuery) *bun.SelectQuery {
		if handoff != "" {
			q = q.Where("conversation_row.handoff = ?", handoff)
		}
		return q
	}, limit)
}

// getView reads one conversation with its customer: ErrNotFound when the
// tenant has none with this id.
func getView(ctx context.Context, tx bun.IDB, id uuid.UUID) (*ConversationView, error) {
	vs, err := views(ctx, tx, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("conversation_row.id = ?", id)
	}, 1)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, ErrNotFound
	}
	return &vs[0], nil
}

// ---- consent ----

type consentRow struct {
	bun.BaseModel `bun:"table:consent_records"`
	TenantID      uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	CustomerID    uuid.UUID `bun:"customer_id,type:uuid"`
	Action        string    `bun:"action"`
	Purpose       string    `bun:"purpose"`
	NoticeVersion string    `bun:"notice_version"`
	Channel       string    `bun:"channel"`
	MessageID     string    `bun:"message_id"`
	At            time.Time `bun:"at"`
}

func insertConsent(ctx context.Context, tx bun.IDB, tenantID uuid.UUID, r ConsentRecord) error {
	_, err := tx.NewInsert().Model(&consentRow{TenantID: tenantID, ID: uuid.Must(uuid.NewV7()), CustomerID: r.CustomerID,
		Action: r.Action, Purpose: r.Purpose, NoticeVersion: r.NoticeVersion, Channel: r.Channel, MessageID: r.MessageID, At: r.At}).Exec(ctx)
	return err
}

// minimise erases what a customer who declined or withdrew consent told us
// beyond what must be kept: the profile name and the content of their
// messages (ids, times and kinds stay, for the record of what happened).
func minimise(ctx context.Context, tx bun.IDB, tenantID, customerID uuid.UUID) error {
	if _, err := tx.NewUpdate().Model((*customerRow)(nil)).Set("profile_name = '', updated_at = now()").
		Where("tenant_id = ? AND id = ?", tenantID, customerID).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewUpdate().Model((*messageRow)(nil)).
		Set("body = '', payload = '{\"minimised\":true}'").
		Where("tenant_id = ? AND direction = 'in'", tenantID).
		Where("conversation_id IN (SELECT id FROM conversations WHERE tenant_id = ? AND customer_id = ?)", tenantID, customerID).
		Exec(ctx)
	return err
}

// ---- bot texts ----

// botTexts reads the tenant's text overrides, "key|locale" → text.
func botTexts(ctx context.Context, tx bun.IDB) (map[string]string, error) {
	var rows []struct {
		Key    string `bun:"key"`
		Locale string `bun:"locale"`
		Body   string `bun:"body"`
	}
	if err := tx.NewSelect().Table("bot_texts").Column("key", "locale", "body").Scan(ctx, &rows); err != nil {
		return nil, err
	}
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[r.Key+"|"+r.Locale] = r.Body
	}
	return m, nil
}

// ---- notifications ----

type notificationRow struct {
	bun.BaseModel `bun:"table:whatsapp_notifications"`
	TenantID      uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	Key           string    `bun:"key,pk"`
	CustomerID    uuid.UUID `bun:"customer_id,type:uuid"`
	MessageID     uuid.UUID `bun:"message_id,type:uuid"`
	Author        string    `bun:"author"`
	CreatedAt     time.Time `bun:"created_at,nullzero,default:now()"`
}

// notificationMessage is the message queued under key, or uuid.Nil.
func notificationMessage(ctx context.Context, tx bun.IDB, key string) (uuid.UUID, error) {
	var id uuid.UUID
	err := tx.NewSelect().Model((*notificationRow)(nil)).Column("message_id").Where("key = ?", key).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return uuid.Nil, nil
	}
	return id, err
}

// claimNotification records key as notified by message messageID (whose
// row the transaction inserts next: the foreign key is checked at commit).
// It returns false when the key is taken: a concurrent transaction holding
// it is waited for, and the key stays free if that one rolls back.
func claimNotification(ctx context.Context, tx bun.IDB, tid uuid.UUID, key string, customerID, messageID uuid.UUID, author string) (bool, error) {
	res, err := tx.NewInsert().Model(&notificationRow{TenantID: tid, Key: key, CustomerID: customerID, MessageID: messageID, Author: author}).
		On("CONFLICT (tenant_id, key) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, translate(err, "notification")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ---- the platform path ----

// insertUnrouted keeps a change for a number no tenant owns.
func insertUnrouted(ctx context.Context, tx bun.IDB, phoneNumberID, reason string, payload []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO whatsapp_unrouted (phone_number_id, reason, payload) VALUES (?, ?, ?)`,
		phoneNumberID, reason, string(payload))
	return err
}

type unroutedRow struct {
	ID            int64           `bun:"id"`
	PhoneNumberID string          `bun:"phone_number_id"`
	Reason        string          `bun:"reason"`
	Payload       json.RawMessage `bun:"payload"`
	ReceivedAt    time.Time       `bun:"received_at"`
}

// listUnrouted returns the newest limit unrouted changes with ids below
// before (0: the newest).
func listUnrouted(ctx context.Context, tx bun.IDB, limit int, before int64) ([]Unrouted, error) {
	var rows []unroutedRow
	q := tx.NewSelect().Table("whatsapp_unrouted").Column("id", "phone_number_id", "reason", "payload", "received_at")
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	if err := q.OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make([]Unrouted, len(rows))
	for i, r := range rows {
		out[i] = Unrouted(r)
	}
	return out, nil
}

// stuckConversations finds, across tenants, the conversations with inbound
// messages received before cutoff and still unprocessed (the platform role
// sees only such messages' ids and times), oldest first.
func stuckConversations(ctx context.Context, tx bun.IDB, cutoff time.Time, limit int) ([]Stuck, error) {
	var stuck []Stuck
	err := tx.NewSelect().Table("messages").
		ColumnExpr("tenant_id, conversation_id, count(*) AS messages, min(created_at) AS oldest").
		Where("direction = 'in' AND status = ? AND created_at < ?", StatusReceived, cutoff).
		GroupExpr("tenant_id, conversation_id").OrderExpr("oldest").Limit(int64(limit)).
		Scan(ctx, &stuck)
	return stuck, err
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

type failedSendRow struct {
	NumberID uuid.UUID `bun:"number_id"`
	Code     int       `bun:"code"`
	Count    int64     `bun:"count"`
}

// failedSends counts the tenant's outbound messages failed since since, by
// number and error code (0: none), most first.
func failedSends(ctx context.Context, tx bun.IDB, since time.Time) ([]failedSendRow, error) {
	var rows []failedSendRow
	err := tx.NewSelect().TableExpr("messages AS m").
		Join("JOIN conversations AS c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id").
		ColumnExpr("c.number_id, COALESCE(m.error_code, 0) AS code, count(*) AS count").
		Where("m.direction = ? AND m.status = ? AND m.status_at >= ?", Out, StatusFailed, since).
		GroupExpr("c.number_id, code").OrderExpr("count DESC, code").Scan(ctx, &rows)
	return rows, err
}
