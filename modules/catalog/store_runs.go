package catalog

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/catalog/feed"
)

type sourceRow struct {
	bun.BaseModel   `bun:"table:catalog_sources"`
	TenantID        uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	ID              uuid.UUID  `bun:"id,pk,type:uuid"`
	Name            string     `bun:"name"`
	Kind            string     `bun:"kind"`
	URL             string     `bun:"url"`
	Format          string     `bun:"format"`
	FullSync        bool       `bun:"full_sync"`
	IntervalMinutes int        `bun:"interval_minutes"`
	NextRunAt       *time.Time `bun:"next_run_at"`
	CreatedAt       time.Time  `bun:"created_at,nullzero,default:now()"`
	UpdatedAt       time.Time  `bun:"updated_at,nullzero,default:now()"`
}

func toSource(r sourceRow) Source {
	return Source{ID: r.ID, Name: r.Name, Kind: r.Kind, URL: r.URL, Format: feed.Format(r.Format), Full: r.FullSync,
		IntervalMinutes: r.IntervalMinutes, NextRunAt: r.NextRunAt, CreatedAt: r.CreatedAt}
}

type runRow struct {
	bun.BaseModel `bun:"table:catalog_runs"`
	TenantID      uuid.UUID  `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID  `bun:"id,pk,type:uuid"`
	SourceID      *uuid.UUID `bun:"source_id,type:uuid"`
	Status        string     `bun:"status"`
	Format        string     `bun:"format"`
	FullSync      bool       `bun:"full_sync"`
	URL           string     `bun:"url"`
	InputName     string     `bun:"input_name"`
	Input         []byte     `bun:"input"`
	Report        *reportRow `bun:"report,type:jsonb"`
	Error         string     `bun:"error"`
	RequestedBy   string     `bun:"requested_by"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()"`
	StartedAt     *time.Time `bun:"started_at"`
	FinishedAt    *time.Time `bun:"finished_at"`
}

var runColumns = []string{"tenant_id", "id", "source_id", "status", "format", "full_sync", "url", "input_name", "report",
	"error", "requested_by", "created_at", "started_at", "finished_at"}

func toRun(r runRow) Run {
	run := Run{ID: r.ID, SourceID: r.SourceID, Status: r.Status, Format: feed.Format(r.Format), Full: r.FullSync, URL: r.URL,
		InputName: r.InputName, Error: decodeMessages(r.Error), RequestedBy: r.RequestedBy, CreatedAt: r.CreatedAt,
		StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}
	if r.Report != nil {
		rep := r.Report.toReport()
		run.Report = &rep
	}
	return run
}

// reportRow is a run's report as catalog_runs.report holds it. A reason is
// stored as a message ({"id": ..., "data": {...}}); reports stored before
// reasons were messages hold an English sentence, read back as the message
// catalog.legacy_text.
type reportRow struct {
	Format    string         `json:"format"`
	Rows      int            `json:"rows"`
	Created   int            `json:"created"`
	Updated   int            `json:"updated"`
	Unchanged int            `json:"unchanged"`
	Archived  int            `json:"archived"`
	Rejected  []rejectionRow `json:"rejected"`
	Products  struct {
		Created  int `json:"created"`
		Updated  int `json:"updated"`
		Archived int `json:"archived"`
	} `json:"products"`
	Rejects int            `json:"rejected_count"`
	Timings map[string]int `json:"timings_ms,omitempty"`
}

type rejectionRow struct {
	Line   int           `json:"line"`
	SKU    string        `json:"sku,omitempty"`
	Reason storedMessage `json:"reason"`
}

func fromReport(rep *Report) *reportRow {
	r := &reportRow{Format: rep.Format, Rows: rep.Rows, Created: rep.Created, Updated: rep.Updated, Unchanged: rep.Unchanged,
		Archived: rep.Archived, Rejected: make([]rejectionRow, len(rep.Rejected)), Rejects: rep.Rejects, Timings: rep.Timings}
	r.Products.Created, r.Products.Updated, r.Products.Archived = rep.Products.Created, rep.Products.Updated, rep.Products.Archived
	for i, x := range rep.Rejected {
		r.Rejected[i] = rejectionRow{Line: x.Line, SKU: x.SKU, Reason: storedMessage(x.Reason)}
	}
	return r
}

func (r reportRow) toReport() Report {
	rep := Report{Format: r.Format, Rows: r.Rows, Created: r.Created, Updated: r.Updated, Unchanged: r.Unchanged,
		Archived: r.Archived, Rejected: make([]Rejection, len(r.Rejected)), Rejects: r.Rejects, Timings: r.Timings,
		Products: ProductCounts{Created: r.Products.Created, Updated: r.Products.Updated, Archived: r.Products.Archived}}
	for i, x := range r.Rejected {
		rep.Rejected[i] = Rejection{Line: x.Line, SKU: x.SKU, Reason: errs.Message(x.Reason)}
	}
	return rep
}

// storedMessage is a message as stored in JSON: {"id": ..., "data": ...},
// or, in rows written before messages, a sentence.
type storedMessage errs.Message

type messageJSON struct {
	ID   string         `json:"id"`
	Data map[string]any `json:"data,omitempty"`
}

func (m storedMessage) MarshalJSON() ([]byte, error) {
	return json.Marshal(messageJSON{ID: m.ID, Data: m.Data})
}

func (m *storedMessage) UnmarshalJSON(b []byte) error {
	var text string
	if json.Unmarshal(b, &text) == nil {
		*m = storedMessage(legacyText(text))
		return nil
	}
	// Numbers stay as written (a line, a limit): json.Number prints them
	// as they were, where a float64 would print 2147483647 as 2.147483647e+09.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var j messageJSON
	if err := dec.Decode(&j); err != nil {
		return err
	}
	*m = storedMessage{ID: j.ID, Data: j.Data}
	return nil
}

// legacyText is a text stored before the catalog's messages existed.
func legacyText(s string) errs.Message { return errs.M("catalog.legacy_text", "text", s) }

// encodeMessages is how catalog_runs.error holds a run's failure: a JSON
// array of messages.
func encodeMessages(ms []errs.Message) string {
	out := make([]storedMessage, len(ms))
	for i, m := range ms {
		out[i] = storedMessage(m)
	}
	return jsonText(out)
}

// decodeMessages reads catalog_runs.error: an array of messages, or a
// sentence written before messages existed.
func decodeMessages(s string) []errs.Message {
	if s == "" {
		return nil
	}
	if strings.HasPrefix(s, "[") {
		var ms []storedMessage
		if err := json.Unmarshal([]byte(s), &ms); err == nil {
			out := make([]errs.Message, len(ms))
			for i, m := range ms {
				out[i] = errs.Message(m)
			}
			return out
		}
	}
	return []errs.Message{legacyText(s)}
}

// insertSource adds a source.
func insertSource(ctx context.Context, tx bun.IDB, r *sourceRow) error {
	_, err := tx.NewInsert().Model(r).Returning("created_at").Exec(ctx)
	return translate(err, "catalog.source.not_found")
}

// listSources lists the tenant's sources, oldest first.
func listSources(ctx context.Context, tx bun.IDB) ([]sourceRow, error) {
	var rs []sourceRow
	err := tx.NewSelect().Model(&rs).Order("created_at").Scan(ctx)
	return rs, err
}

// getSource reads a source. Errors: not_found.
func getSource(ctx context.Context, tx bun.IDB, id uuid.UUID) (*sourceRow, error) {
	var r sourceRow
	if err := tx.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, translate(err, "catalog.source.not_found")
	}
	return &r, nil
}

// deleteSource removes a source; its runs stay. Errors: not_found.
func deleteSource(ctx context.Context, tx bun.IDB, id uuid.UUID) error {
	res, err := tx.NewDelete().Table("catalog_sources").Where("id = ?", id).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.New(errs.CodeNotFound, "catalog.source.not_found")
	}
	return nil
}

// dueSource names a URL source whose interval has passed.
type dueSource struct {
	TenantID uuid.UUID `bun:"tenant_id"`
	ID       uuid.UUID `bun:"id"`
}

// dueSources lists up to 500 due URL sources of every tenant (the platform
// path: ids only).
func dueSources(ctx context.Context, tx bun.IDB, now time.Time) ([]dueSource, error) {
	var due []dueSource
	err := tx.NewSelect().Table("catalog_sources").Column("tenant_id", "id").
		Where("kind = 'url' AND interval_minutes > 0 AND (next_run_at IS NULL OR next_run_at <= ?)", now).
		OrderExpr("next_run_at NULLS FIRST").Limit(500).Scan(ctx, &due)
	return due, err
}

// lockSource reads and locks a source unless another transaction holds it
// (nil, nil then, as when it is gone).
func lockSource(ctx context.Context, tx bun.IDB, id uuid.UUID) (*sourceRow, error) {
	var r sourceRow
	err := tx.NewSelect().Model(&r).Where("id = ?", id).For("UPDATE SKIP LOCKED").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &r, err
}

// setSourceNextRun sets when a source is next due.
func setSourceNextRun(ctx context.Context, tx bun.IDB, id uuid.UUID, next time.Time) error {
	_, err := tx.NewUpdate().Table("catalog_sources").Set("next_run_at = ?", next).Where("id = ?", id).Exec(ctx)
	return err
}

// sourceBusy reports whether a source has a run queued or running.
func sourceBusy(ctx context.Context, tx bun.IDB, id uuid.UUID) (bool, error) {
	return tx.NewSelect().Table("catalog_runs").Where("source_id = ? AND status IN (?)", id, bun.In([]string{RunQueued, RunRunning})).Exists(ctx)
}

// insertRun records a run.
func insertRun(ctx context.Context, tx bun.IDB, r *runRow) error {
	_, err := tx.NewInsert().Model(r).Returning("created_at").Exec(ctx)
	return err
}

// getRun reads a run with its report, not its input. Errors: not_found.
func getRun(ctx context.Context, tx bun.IDB, id uuid.UUID) (*runRow, error) {
	var r runRow
	if err := tx.NewSelect().Model(&r).Column(runColumns...).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, translate(err, "catalog.run.not_found")
	}
	return &r, nil
}

// getRunInput reads a run with its input (the job's read). Errors:
// not_found.
func getRunInput(ctx context.Context, tx bun.IDB, id uuid.UUID) (*runRow, error) {
	var r runRow
	if err := tx.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, translate(err, "catalog.run.not_found")
	}
	return &r, nil
}

// listRuns lists recent runs, of one source when given, newest first.
func listRuns(ctx context.Context, tx bun.IDB, source *uuid.UUID, limit int) ([]runRow, error) {
	var rs []runRow
	q := tx.NewSelect().Model(&rs).Column(runColumns...).OrderExpr("created_at DESC, id DESC").Limit(int64(limit))
	if source != nil {
		q = q.Where("source_id = ?", *source)
	}
	return rs, q.Scan(ctx)
}

// startRun marks a queued (or crashed running) run as running; false when
// it finished meanwhile.
func startRun(ctx context.Context, tx bun.IDB, id uuid.UUID, now time.Time) (bool, error) {
	res, err := tx.NewUpdate().Table("catalog_runs").Set("status = ?, started_at = ?", RunRunning, now).
		Where("id = ? AND status IN (?)", id, bun.In([]string{RunQueued, RunRunning})).Exec(ctx)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// lockTenantSync takes the tenant's sync lock until the transaction ends:
// runs of a tenant never overlap.
func lockTenantSync(ctx context.Context, tx bun.IDB, tenantID uuid.UUID) error {
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('catalog-sync:' || ?::text, 0))", tenantID.String())
	return err
}

// lockRunStatus reads a run's status, locking the run.
func lockRunStatus(ctx context.Context, tx bun.IDB, id uuid.UUID) (string, error) {
	var status string
	err := tx.NewSelect().Table("catalog_runs").Column("status").Where("id = ?", id).For("UPDATE").Scan(ctx, &status)
	return status, translate(err, "catalog.run.not_found")
}

// finishRun records a run's success and report, and drops its input.
func finishRun(ctx context.Context, tx bun.IDB, id uuid.UUID, rep *Report, now time.Time) error {
	_, err := tx.NewUpdate().Table("catalog_runs").Set("status = ?, report = ?, input = NULL, finished_at = ?, format = ?",
		RunSucceeded, fromReport(rep), now, rep.Format).Where("id = ?", id).Exec(ctx)
	return err
}

// failRunRow records why a run failed for good, unless it finished.
func failRunRow(ctx context.Context, tx bun.IDB, id uuid.UUID, why []errs.Message, now time.Time) error {
	_, err := tx.NewUpdate().Table("catalog_runs").Set("status = ?, error = ?, input = NULL, finished_at = ?", RunFailed, encodeMessages(why), now).
		Where("id = ? AND status IN (?)", id, bun.In([]string{RunQueued, RunRunning})).Exec(ctx)
	return err
}
