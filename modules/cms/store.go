package cms

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"concierge/internal/db"
	"concierge/internal/errs"
)

// ---- quick replies ----

type quickReplyRow struct {
	bun.BaseModel `bun:"table:quick_replies"`
	TenantID      uuid.UUID `bun:"tenant_id"`
	ID            uuid.UUID `bun:"id"`
	Shortcut      string    `bun:"shortcut"`
	Title         string    `bun:"title"`
	BodyAR        string    `bun:"body_ar"`
	BodyEN        string    `bun:"body_en"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

func toQuickReplyRow(tenantID uuid.UUID, q *QuickReply) *quickReplyRow {
	return &quickReplyRow{TenantID: tenantID, ID: q.ID, Shortcut: q.Shortcut, Title: q.Title, BodyAR: q.BodyAR, BodyEN: q.BodyEN,
		CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt}
}

func (r *quickReplyRow) toQuickReply() QuickReply {
	return QuickReply{ID: r.ID, Shortcut: r.Shortcut, Title: r.Title, BodyAR: r.BodyAR, BodyEN: r.BodyEN,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// translateQuickReply maps a taken shortcut to a conflict naming the field.
func translateQuickReply(err error) error {
	if _, ok := db.IsUniqueViolation(err); ok {
		return &errs.Error{Code: errs.CodeConflict, Err: err, Msg: errs.M("cms.quick_reply.shortcut_taken"),
			Fields: []errs.FieldError{errs.Field("shortcut", "unique", "cms.field.shortcut_taken")}}
	}
	return db.Translate(err, "quick reply")
}

func insertQuickReply(ctx context.Context, tx bun.IDB, r *quickReplyRow) error {
	_, err := tx.NewInsert().Model(r).Exec(ctx)
	return translateQuickReply(err)
}

func updateQuickReply(ctx context.Context, tx bun.IDB, r *quickReplyRow) error {
	_, err := tx.NewUpdate().Model(r).Column("shortcut", "title", "body_ar", "body_en", "updated_at").
		Where("id = ?", r.ID).Exec(ctx)
	return translateQuickReply(err)
}

func deleteQuickReply(ctx context.Context, tx bun.IDB, id uuid.UUID) error {
	_, err := tx.NewDelete().Model((*quickReplyRow)(nil)).Where("id = ?", id).Exec(ctx)
	return db.Translate(err, "quick reply")
}

// getQuickReply reads a quick reply by id or shortcut (lock: FOR UPDATE).
func getQuickReply(ctx context.Context, tx bun.IDB, ref string, lock bool) (*QuickReply, error) {
	id, shortcut, err := parseRef(ref)
	if err != nil {
		return nil, err
	}
	var r quickReplyRow
	q := tx.NewSelect().Model(&r)
	if id != uuid.Nil {
		q = q.Where("id = ?", id)
	} else {
		q = q.Where("shortcut = ?", shortcut)
	}
	if lock {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrQuickReplyNotFound
		}
		return nil, db.Translate(err, "quick reply")
	}
	out := r.toQuickReply()
	return &out, nil
}

// maxQuickReplies bounds a list.
const maxQuickReplies = 1000

func listQuickReplies(ctx context.Context, tx bun.IDB, query string) ([]quickReplyRow, error) {
	var rs []quickReplyRow
	q := tx.NewSelect().Model(&rs).Order("shortcut").Limit(maxQuickReplies)
	if query != "" {
		like := "%" + likeEscape(strings.ToLower(query)) + "%"
		q = q.Where("(shortcut LIKE ? OR lower(title) LIKE ?)", like, like)
	}
	err := q.Scan(ctx)
	return rs, db.Translate(err, "quick reply")
}

// likeEscape escapes LIKE's wildcards (the default escape is \).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ---- message templates ----

type templateRow struct {
	bun.BaseModel  `bun:"table:message_templates"`
	TenantID       uuid.UUID       `bun:"tenant_id"`
	ID             uuid.UUID       `bun:"id"`
	Name           string          `bun:"name"`
	Language       string          `bun:"language"`
	Category       string          `bun:"category"`
	Status         string          `bun:"status"`
	Components     json.RawMessage `bun:"components,type:jsonb"`
	MetaID         string          `bun:"meta_id"`
	RejectedReason string          `bun:"rejected_reason"`
	SyncedAt       *time.Time      `bun:"synced_at"`
	UpdatedAt      time.Time       `bun:"updated_at"`
}

func (r *templateRow) toTemplate() Template {
	return Template{ID: r.ID, Name: r.Name, Language: r.Language, Category: r.Category, Status: r.Status,
		Components: r.Components, MetaID: r.MetaID, RejectedReason: r.RejectedReason, SyncedAt: r.SyncedAt, UpdatedAt: r.UpdatedAt}
}

// maxTemplates bounds a list (Meta allows a few hundred per account).
const maxTemplates = 2000

func listTemplates(ctx context.Context, tx bun.IDB, status, name string) ([]templateRow, error) {
	var rs []templateRow
	q := tx.NewSelect().Model(&rs).Order("name", "language").Limit(maxTemplates)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	if name != "" {
		q = q.Where("name LIKE ?", likeEscape(strings.ToLower(name))+"%")
	}
	err := q.Scan(ctx)
	return rs, db.Translate(err, "template")
}

func getTemplate(ctx context.Context, tx bun.IDB, id uuid.UUID) (*templateRow, error) {
	var r templateRow
	if err := tx.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrTemplateNotFound
		}
		return nil, db.Translate(err, "template")
	}
	return &r, nil
}

// approvedLanguages lists the languages template name is approved in whose
// base is base ("en": en, en_GB, en_US), sorted.
func approvedLanguages(ctx context.Context, tx bun.IDB, name, base string) ([]string, error) {
	var langs []string
	err := tx.NewSelect().Model((*templateRow)(nil)).Column("language").
		Where("name = ? AND status = ?", name, StatusApproved).
		Where("(lower(language) = ? OR lower(language) LIKE ?)", base, likeEscape(base)+`\_%`).
		Scan(ctx, &langs)
	sort.Strings(langs)
	return langs, db.Translate(err, "template")
}

// upsertTemplates writes the templates Meta listed, keeping each one's id;
// updated_at moves only for a template that changed. It returns how many
// were created and changed.
func upsertTemplates(ctx context.Context, tx bun.IDB, rs []templateRow, now time.Time) (created, changed int, err error) {
	if len(rs) == 0 {
		return 0, 0, nil
	}
	for i := range rs {
		rs[i].SyncedAt, rs[i].UpdatedAt = &now, now
	}
	var outcome []struct {
		Created bool `bun:"created"`
		Changed bool `bun:"changed"`
	}
	// xmax = 0 marks a row this statement inserted; the CTE reads each
	// row's state before the statement.
	err = tx.NewRaw(`WITH before AS (
			SELECT name, language, category, status, components, meta_id, rejected_reason FROM message_templates
		), up AS (?
			ON CONFLICT (tenant_id, name, language) DO UPDATE SET
			  category = EXCLUDED.category, status = EXCLUDED.status, components = EXCLUDED.components,
			  meta_id = EXCLUDED.meta_id, rejected_reason = EXCLUDED.rejected_reason, synced_at = EXCLUDED.synced_at,
			  updated_at = CASE WHEN (message_templates.category, message_templates.status, message_templates.components, message_templates.meta_id, message_templates.rejected_reason)
			      IS DISTINCT FROM (EXCLUDED.category, EXCLUDED.status, EXCLUDED.components, EXCLUDED.meta_id, EXCLUDED.rejected_reason)
			    THEN EXCLUDED.updated_at ELSE message_templates.updated_at END
			RETURNING (xmax = 0) AS created, name, language, category, status, components, meta_id, rejected_reason)
		SELECT up.created, (NOT up.created AND (b.category, b.status, b.components, b.meta_id, b.rejected_reason)
		    IS DISTINCT FROM (up.category, up.status, up.components, up.meta_id, up.rejected_reason)) AS changed
		FROM up LEFT JOIN before b ON b.name = up.name AND b.language = up.language`,
		tx.NewInsert().Model(&rs)).Scan(ctx, &outcome)
	if err != nil {
		return 0, 0, db.Translate(err, "template")
	}
	for _, o := range outcome {
		if o.Created {
			created++
		} else if o.Changed {
			changed++
		}
	}
	return created, changed, nil
}

// disableMissing disables every template not among kept (those Meta no
// longer lists) and returns how many.
func disableMissing(ctx context.Context, tx bun.IDB, kept []templateRow, now time.Time) (int, error) {
	names, langs := make([]string, len(kept)), make([]string, len(kept))
	for i, r := range kept {
		names[i], langs[i] = r.Name, r.Language
	}
	res, err := tx.NewUpdate().Model((*templateRow)(nil)).
		Set("status = ?", StatusDisabled).Set("updated_at = ?", now).
		Where("status <> ?", StatusDisabled).
		Where("(name, language) NOT IN (SELECT * FROM unnest(?::text[], ?::text[]))", pgdialect.Array(names), pgdialect.Array(langs)).
		Exec(ctx)
	if err != nil {
		return 0, db.Translate(err, "template")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ---- bot texts (the WhatsApp channel reads them on every turn) ----

type botTextRow struct {
	bun.BaseModel `bun:"table:bot_texts"`
	TenantID      uuid.UUID `bun:"tenant_id"`
	Key           string    `bun:"key"`
	Locale        string    `bun:"locale"`
	Body          string    `bun:"body"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

// listBotTexts reads the store's overrides, of one key or ("") all.
func listBotTexts(ctx context.Context, tx bun.IDB, key string) ([]botTextRow, error) {
	var rs []botTextRow
	q := tx.NewSelect().Model(&rs).Order("key", "locale")
	if key != "" {
		q = q.Where("key = ?", key)
	}
	err := q.Scan(ctx)
	return rs, db.Translate(err, "bot text")
}

func upsertBotText(ctx context.Context, tx bun.IDB, r *botTextRow) error {
	_, err := tx.NewInsert().Model(r).On("CONFLICT (tenant_id, key, locale) DO UPDATE").
		Set("body = EXCLUDED.body, updated_at = EXCLUDED.updated_at").Exec(ctx)
	return db.Translate(err, "bot text")
}

func deleteBotText(ctx context.Context, tx bun.IDB, key, locale string) error {
	_, err := tx.NewDelete().Model((*botTextRow)(nil)).Where("key = ? AND locale = ?", key, locale).Exec(ctx)
	return db.Translate(err, "bot text")
}

// ---- the sync's fan-out (platform path) ----

// tenantsToSync are the active tenants with an active number that names
// its WhatsApp Business Account.
func tenantsToSync(ctx context.Context, tx bun.IDB) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := tx.NewRaw(`SELECT DISTINCT t.id FROM tenants t JOIN whatsapp_numbers n ON n.tenant_id = t.id
		WHERE t.status = 'active' AND n.status = 'active' AND n.waba_id <> '' ORDER BY t.id`).Scan(ctx, &ids)
	return ids, err
}
