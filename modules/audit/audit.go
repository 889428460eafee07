// Package audit keeps the append-only, hash-chained audit log of staff and
// platform actions. Each tenant has its own chain (platform-wide actions form
// the chain with no tenant), so a tenant's scoped transaction extends its own
// chain; every entry's hash covers its fields and the previous hash, so
// editing, deleting or reordering any entry breaks verification.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/tenants"
)

// genesis is the prev_hash of every chain's first entry.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

type row struct {
	bun.BaseModel `bun:"table:audit_log"`
	ID            int64           `bun:"id,pk,autoincrement"`
	TenantID      uuid.NullUUID   `bun:"tenant_id,type:uuid"`
	Seq           int64           `bun:"seq"`
	At            time.Time       `bun:"at"`
	Actor         string          `bun:"actor"`
	Action        string          `bun:"action"`
	Target        string          `bun:"target"`
	Before        json.RawMessage `bun:"before,type:jsonb,nullzero"`
	After         json.RawMessage `bun:"after,type:jsonb,nullzero"`
	RequestID     string          `bun:"request_id"`
	PrevHash      string          `bun:"prev_hash"`
	Hash          string          `bun:"hash"`
}

// Entry is one recorded action as read back.
type Entry struct {
	ID        int64
	TenantID  uuid.UUID
	Seq       int64
	At        time.Time
	Actor     string
	Action    string
	Target    string
	Before    json.RawMessage
	After     json.RawMessage
	RequestID string
	Hash      string
}

// Log writes and verifies the audit log.
type Log struct {
	requestID func(context.Context) string
	scope     *tenants.Scope
}

// Config configures the log (nothing yet: the chain's rules are fixed).
type Config struct{}

// Deps are the log's collaborators.
type Deps struct {
	// RequestID extracts the request id recorded with each entry (may be nil).
	RequestID func(context.Context) string
	// Scope runs the log's own reads (the API); nil serves no routes.
	Scope *tenants.Scope
}

// New builds the log.
func New(_ Config, d Deps) *Log { return &Log{requestID: d.RequestID, scope: d.Scope} }

// Record appends e in tx (the caller's transaction, so the entry commits
// exactly when the change does). Appends to one chain are serialised by a
// transaction-scoped advisory lock.
func (l *Log) Record(ctx context.Context, tx bun.IDB, e tenants.AuditEntry) error {
	chain := e.TenantID.String()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('audit:' || ?, 0))`, chain); err != nil {
		return fmt.Errorf("audit: lock chain: %w", err)
	}
	var last struct {
		Seq  int64  `bun:"seq"`
		Hash string `bun:"hash"`
	}
	q := tx.NewSelect().Model((*row)(nil)).Column("seq", "hash").Order("seq DESC").Limit(1)
	if e.TenantID == uuid.Nil {
		q = q.Where("tenant_id IS NULL")
	} else {
		q = q.Where("tenant_id = ?", e.TenantID)
	}
	last.Hash = genesis
	if err := q.Scan(ctx, &last); err != nil && !isNoRows(err) {
		return fmt.Errorf("audit: read chain head: %w", err)
	}
	r := &row{
		TenantID: uuid.NullUUID{UUID: e.TenantID, Valid: e.TenantID != uuid.Nil},
		Seq:      last.Seq + 1,
		At:       time.Now().UTC().Truncate(time.Microsecond),
		Actor:    e.Actor, Action: e.Action, Target: e.Target,
		PrevHash: last.Hash,
	}
	if l.requestID != nil {
		r.RequestID = l.requestID(ctx)
	}
	var err error
	if r.Before, err = canonical(e.Before); err != nil {
		return err
	}
	if r.After, err = canonical(e.After); err != nil {
		return err
	}
	r.Hash = hashOf(r)
	if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
		return fmt.Errorf("audit: append: %w", err)
	}
	return nil
}

// canonical encodes v as JSON with sorted keys (via a round trip through a
// generic value), so the stored jsonb and the hashed bytes agree.
func canonical(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit: encode: %w", err)
	}
	var g any
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, err
	}
	return json.Marshal(g)
}

// hashOf is SHA-256 over the previous hash and every field, length-prefixed.
func hashOf(r *row) string {
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s|", len(s), s) }
	field(r.PrevHash)
	tid := ""
	if r.TenantID.Valid {
		tid = r.TenantID.UUID.String()
	}
	field(tid)
	field(fmt.Sprint(r.Seq))
	field(r.At.UTC().Format(time.RFC3339Nano))
	field(r.Actor)
	field(r.Action)
	field(r.Target)
	field(normJSON(r.Before))
	field(normJSON(r.After))
	field(r.RequestID)
	return hex.EncodeToString(h.Sum(nil))
}

// normJSON re-encodes JSON read back from jsonb so key order and spacing do
// not matter.
func normJSON(b json.RawMessage) string {
	if len(b) == 0 || string(b) == "null" {
		return ""
	}
	var g any
	if json.Unmarshal(b, &g) != nil {
		return string(b)
	}
	out, _ := json.Marshal(g)
	return string(out)
}

// Problem is one verification failure.
type Problem struct {
	TenantID uuid.UUID
	Seq      int64
	ID       int64
	Reason   string
}

// Verify walks every chain in order and reports each entry whose hash, link
// or sequence does not hold. It must run on the platform path (all chains).
func Verify(ctx context.Context, tx bun.IDB, out io.Writer) ([]Problem, int, error) {
	var rows []row
	if err := tx.NewSelect().Model(&rows).
		OrderExpr("COALESCE(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid), seq").Scan(ctx); err != nil {
		return nil, 0, err
	}
	var problems []Problem
	prev := map[uuid.UUID]*row{}
	for i := range rows {
		r := &rows[i]
		chain := r.TenantID.UUID
		p, seen := prev[chain]
		wantPrev, wantSeq := genesis, int64(1)
		if seen {
			wantPrev, wantSeq = p.Hash, p.Seq+1
		}
		bad := func(reason string) {
			problems = append(problems, Problem{TenantID: chain, Seq: r.Seq, ID: r.ID, Reason: reason})
			if out != nil {
				fmt.Fprintf(out, "TAMPERED chain=%s seq=%d id=%d: %s\n", chainName(chain), r.Seq, r.ID, reason)
			}
		}
		switch {
		case r.Seq != wantSeq:
			bad(fmt.Sprintf("sequence gap: want %d, found %d (an entry was removed or inserted)", wantSeq, r.Seq))
		case r.PrevHash != wantPrev:
			bad("link broken: prev_hash does not match the previous entry")
		}
		if hashOf(r) != r.Hash {
			bad("content changed: hash does not match the entry")
		}
		prev[chain] = r
	}
	return problems, len(rows), nil
}

func chainName(id uuid.UUID) string {
	if id == uuid.Nil {
		return "platform"
	}
	return id.String()
}

// List returns the newest entries of the tenant in ctx's scoped transaction.
func List(ctx context.Context, tx bun.IDB, limit int) ([]Entry, error) {
	var rows []row
	if err := tx.NewSelect().Model(&rows).Order("id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, err
	}
	return toEntries(rows), nil
}

func toEntries(rows []row) []Entry {
	out := make([]Entry, len(rows))
	for i, r := range rows {
		out[i] = Entry{ID: r.ID, TenantID: r.TenantID.UUID, Seq: r.Seq, At: r.At, Actor: r.Actor, Action: r.Action,
			Target: r.Target, Before: r.Before, After: r.After, RequestID: r.RequestID, Hash: r.Hash}
	}
	return out
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// Query selects entries of the platform-wide viewer: every field optional.
type Query struct {
	// Tenant is the chain (uuid.Nil: every chain; Platform: the platform's
	// own, entries with no tenant).
	Tenant   uuid.UUID
	Platform bool
	// Actor matches actors containing it, Action actions starting with it.
	Actor, Action string
	// From and To bound the time (To excluded); zero is open.
	From, To time.Time
	// Before is the last id of the previous page (0: the newest page).
	Before int64
	// Limit is the page size, 1..MaxPage.
	Limit int
}

// MaxPage caps one page of Search.
const MaxPage = 200

// Page is one page of Search, newest first; Next is the Before of the next
// page (0: this is the last).
type Page struct {
	Entries []Entry
	Next    int64
}

// Search reads entries across chains on the platform path (platform
// admins' viewer), newest first.
func (l *Log) Search(ctx context.Context, q Query) (Page, error) {
	if q.Limit < 1 || q.Limit > MaxPage {
		q.Limit = 50
	}
	var page Page
	err := l.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var rows []row
		s := tx.NewSelect().Model(&rows).Order("id DESC").Limit(int64(q.Limit + 1))
		switch {
		case q.Platform:
			s = s.Where("tenant_id IS NULL")
		case q.Tenant != uuid.Nil:
			s = s.Where("tenant_id = ?", q.Tenant)
		}
		if q.Actor != "" {
			s = s.Where("strpos(actor, ?) > 0", q.Actor)
		}
		if q.Action != "" {
			s = s.Where("starts_with(action, ?)", q.Action)
		}
		if !q.From.IsZero() {
			s = s.Where("at >= ?", q.From)
		}
		if !q.To.IsZero() {
			s = s.Where("at < ?", q.To)
		}
		if q.Before > 0 {
			s = s.Where("id < ?", q.Before)
		}
		if err := s.Scan(ctx); err != nil {
			return fmt.Errorf("audit: search: %w", err)
		}
		if len(rows) > q.Limit {
			rows = rows[:q.Limit]
			page.Next = rows[q.Limit-1].ID
		}
		page.Entries = toEntries(rows)
		return nil
	})
	return page, err
}

// Verification is the result of checking every chain.
type Verification struct {
	Entries int
	// First is the first entry that does not hold (nil: every chain is
	// intact); Problems counts them all.
	First    *Problem
	Problems int
}

// VerifyAll recomputes every chain on the platform path (Verify).
func (l *Log) VerifyAll(ctx context.Context) (Verification, error) {
	var v Verification
	err := l.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ps, n, err := Verify(ctx, tx, nil)
		v.Entries, v.Problems = n, len(ps)
		if len(ps) > 0 {
			v.First = &ps[0]
		}
		return err
	})
	return v, err
}

// RecordPlatform runs act in a platform transaction and appends e in the
// same one, with what act returns as e.Before: the action and its entry
// commit together or not at all. act changes what is not a row of ours (a
// background job retried or deleted in River's tables) through tx.
func (l *Log) RecordPlatform(ctx context.Context, e tenants.AuditEntry, act func(ctx context.Context, tx *sql.Tx) (map[string]any, error)) error {
	return l.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := act(ctx, tx.Tx)
		if err != nil {
			return err
		}
		if before != nil {
			e.Before = before
		}
		return l.Record(ctx, tx, e)
	})
}
