package catalog

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/i18n"
	"concierge/internal/safefetch"
	"concierge/modules/catalog/feed"
)

// Sync: a run imports one feed (an uploaded file or a URL pull) into the
// tenant's catalog. A run is a row (catalog_runs) and a job inserted in the
// same transaction; the job fetches and parses outside any transaction, then
// applies every valid item in ONE transaction (a run imports all its valid
// rows or nothing) under a per-tenant advisory lock, so runs of a tenant
// (and so of a source) never overlap. Re-running a finished run does
// nothing; a crashed run is retried by the queue and starts over.
//
// Items are upserted by SKU; variants sharing a group id form one product
// (keyed by external_id). Content hashes tell unchanged rows from updated
// ones. A full run archives feed-made variants (and products left with none)
// that the feed no longer has; products made through the API are never
// archived by a feed. The apply steps are in sync_apply.go.

// Source is where a tenant's catalog comes from.
type Source struct {
	ID              uuid.UUID
	Name            string
	Kind            string // upload | url
	URL             string
	Format          feed.Format
	Full            bool
	IntervalMinutes int
	NextRunAt       *time.Time
	CreatedAt       time.Time
}

// SourceInput creates a source.
type SourceInput struct {
	Name            string
	Kind            string
	URL             string
	Format          feed.Format
	Full            bool
	IntervalMinutes int
}

// Run is one sync run.
type Run struct {
	ID        uuid.UUID
	SourceID  *uuid.UUID
	Status    string
	Format    feed.Format
	Full      bool
	URL       string
	InputName string
	// Error says why a failed run failed: messages read in order (what
	// failed, then the detail).
	Error []errs.Message
	// RequestedBy is who started the run, as identity.Actor writes it
	// ("user:owner@shop.sa", "cli:ops", "system:catalog.schedule").
	RequestedBy string
	Report      *Report
	CreatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time
}

// ErrorText is the run's error in lang ("" when it has none).
func (r Run) ErrorText(cat *i18n.Catalog, lang string) string { return Texts(cat, lang, r.Error) }

// Texts renders messages in lang, joined as one sentence ("a: b").
func Texts(cat *i18n.Catalog, lang string, ms []errs.Message) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = cat.Text(lang, m.ID, m.Data)
	}
	return strings.Join(parts, ": ")
}

// Report is what a run did. Counts are of variants (SKUs); Products counts
// products.
type Report struct {
	Format    string
	Rows      int
	Created   int
	Updated   int
	Unchanged int
	Archived  int
	Rejected  []Rejection
	Products  ProductCounts
	Rejects   int
	Timings   map[string]int // milliseconds: fetch, parse, apply
}

// ProductCounts counts products a run created, updated or archived.
type ProductCounts struct {
	Created  int
	Updated  int
	Archived int
}

// Rejection is a row that was not imported, with its line and the reason
// (a message of the catalog: catalog.feed.*).
type Rejection struct {
	Line   int
	SKU    string
	Reason errs.Message
}

// RunRequest starts a run: of a source (SourceID), or one-off from Input or
// URL. Who asked is the actor of the context (Deps.Actor).
type RunRequest struct {
	SourceID    *uuid.UUID
	Input       []byte
	InputName   string
	URL         string
	Format      feed.Format
	Full        bool
	ContentType string
}

// CreateSource adds a catalog source. Errors: invalid.
func (s *Service) CreateSource(ctx context.Context, in SourceInput) (*Source, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	if in.Format == "" {
		in.Format = feed.FormatAuto
	}
	var fe []errs.FieldError
	if !ValidFormat(in.Format) {
		fe = append(fe, errs.Field("format", "oneof", "catalog.field.format"))
	}
	switch in.Kind {
	case "url":
		if !s.validURL(in.URL) {
			fe = append(fe, s.urlField("url"))
		}
	case "upload":
		in.URL, in.IntervalMinutes = "", 0
	default:
		fe = append(fe, errs.Field("kind", "oneof", "catalog.field.source_kind"))
	}
	if len(fe) > 0 {
		return nil, errs.Invalid(fe...)
	}
	r := sourceRow{TenantID: t.ID, ID: uuid.Must(uuid.NewV7()), Name: strings.TrimSpace(in.Name), Kind: in.Kind, URL: in.URL,
		Format: string(in.Format), FullSync: in.Full, IntervalMinutes: in.IntervalMinutes}
	if in.IntervalMinutes > 0 {
		next := s.now().UTC()
		r.NextRunAt = &next
	}
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := insertSource(ctx, tx, &r); err != nil {
			return err
		}
		return s.record(ctx, tx, t, "catalog_source.create", "catalog_source:"+r.ID.String(),
			map[string]any{"name": r.Name, "kind": r.Kind, "url": r.URL, "interval_minutes": r.IntervalMinutes})
	})
	if err != nil {
		return nil, err
	}
	src := toSource(r)
	return &src, nil
}

// Sources lists the tenant's sources.
func (s *Service) Sources(ctx context.Context) ([]Source, error) {
	var rs []sourceRow
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		rs, err = listSources(ctx, tx)
		return err
	})
	out := make([]Source, len(rs))
	for i, r := range rs {
		out[i] = toSource(r)
	}
	return out, err
}

// Source returns one source. Errors: not_found.
func (s *Service) Source(ctx context.Context, id uuid.UUID) (*Source, error) {
	var r *sourceRow
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		r, err = getSource(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	src := toSource(*r)
	return &src, nil
}

// DeleteSource removes a source; its runs stay. Errors: not_found.
func (s *Service) DeleteSource(ctx context.Context, id uuid.UUID) error {
	t, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	return s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := deleteSource(ctx, tx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, t, "catalog_source.delete", "catalog_source:"+id.String(), nil)
	})
}

// StartRun records a run and enqueues its job in one transaction.
// Errors: not_found (source), invalid.
func (s *Service) StartRun(ctx context.Context, req RunRequest) (*Run, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	r := runRow{TenantID: t.ID, ID: uuid.Must(uuid.NewV7()), Status: RunQueued, Format: string(req.Format), FullSync: req.Full,
		URL: req.URL, InputName: req.InputName, Input: req.Input, RequestedBy: s.actor(ctx).String()}
	if r.Format == "" {
		r.Format = string(feed.FormatAuto)
	}
	if r.Format == string(feed.FormatAuto) && len(req.Input) > 0 {
		r.Format = string(feed.Detect(req.InputName, req.ContentType, head(req.Input)))
	}
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if req.SourceID != nil {
			src, err := getSource(ctx, tx, *req.SourceID)
			if err != nil {
				return err
			}
			r.SourceID, r.FullSync = &src.ID, src.FullSync
			if src.Format != string(feed.FormatAuto) || r.Format == "" {
				r.Format = src.Format
			}
			if src.Kind == "url" {
				r.URL, r.Input = src.URL, nil
				r.Format = src.Format
			} else if len(req.Input) == 0 {
				return errs.Invalid(errs.Field("body", "required", "catalog.field.upload_needs_file"))
			}
			if r.InputName == "" {
				r.InputName = src.Name
			}
		}
		if len(r.Input) == 0 && r.URL == "" {
			return errs.Invalid(errs.Field("body", "required", "catalog.field.file_empty"))
		}
		if r.URL != "" && !s.validURL(r.URL) {
			return errs.Invalid(s.urlField("url"))
		}
		if err := insertRun(ctx, tx, &r); err != nil {
			return err
		}
		if err := s.record(ctx, tx, t, "catalog_run.start", "catalog_run:"+r.ID.String(),
			map[string]any{"source_id": r.SourceID, "url": r.URL, "input_name": r.InputName}); err != nil {
			return err
		}
		return s.jobs.InsertTx(ctx, tx, SyncArgs{TenantID: t.ID, RunID: r.ID}, nil)
	})
	if err != nil {
		return nil, err
	}
	run := toRun(r)
	return &run, nil
}

func head(b []byte) []byte {
	if len(b) > 4096 {
		return b[:4096]
	}
	return b
}

// Run returns one run with its full report. Errors: not_found.
func (s *Service) Run(ctx context.Context, id uuid.UUID) (*Run, error) {
	var r *runRow
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		r, err = getRun(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	run := toRun(*r)
	return &run, nil
}

// Runs lists recent runs, of one source when given, newest first.
func (s *Service) Runs(ctx context.Context, source *uuid.UUID, limit int) ([]Run, error) {
	var rs []runRow
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		rs, err = listRuns(ctx, tx, source, limit)
		return err
	})
	out := make([]Run, len(rs))
	for i, r := range rs {
		out[i] = toRun(r)
	}
	return out, err
}

// ExecuteRun carries out a run (the job's work). It is idempotent: a
// finished run is left alone. The returned error is for the queue (retry);
// a run that fails for good records why and returns nil.
func (s *Service) ExecuteRun(ctx context.Context, runID uuid.UUID) error {
	start := s.now()
	r, err := s.claimRun(ctx, runID)
	if err != nil || r == nil {
		return err
	}
	currency, err := s.currency(ctx)
	if err != nil {
		return err
	}
	input, contentType := r.Input, ""
	if r.URL != "" {
		resp, err := s.fetch.Get(ctx, r.URL)
		if err != nil {
			return s.failRun(ctx, runID, fetchFailure(err))
		}
		input, contentType = resp.Body, resp.ContentType
	}
	fetched := s.now()
	format := feed.Format(r.Format)
	if format == "" || format == feed.FormatAuto {
		format = feed.Detect(r.InputName+r.URL, contentType, head(input))
	}
	parsed, err := feed.Parse(bytes.NewReader(input), format, feed.Options{DefaultCurrency: currency, HTTPSOnly: !s.cfg.AllowHTTPLinks})
	if err != nil {
		return s.failRun(ctx, runID, parseFailure(format, err))
	}
	parsedAt := s.now()
	var rep *Report
	var done bool
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := lockTenantSync(ctx, tx, r.TenantID); err != nil {
			return err
		}
		status, err := lockRunStatus(ctx, tx, runID)
		if err != nil {
			return err
		}
		if status == RunSucceeded || status == RunFailed {
			done = true
			return nil
		}
		if rep, err = apply(ctx, tx, r.TenantID, currency, parsed, r.FullSync, s.now().UTC()); err != nil {
			return err
		}
		rep.Format = string(parsed.Format)
		rep.Timings = map[string]int{"fetch": int(fetched.Sub(start).Milliseconds()), "parse": int(parsedAt.Sub(fetched).Milliseconds()),
			"apply": int(s.now().Sub(parsedAt).Milliseconds())}
		return finishRun(ctx, tx, runID, rep, s.now().UTC())
	})
	if err != nil || done {
		return err
	}
	s.cache.bump(ctx, r.TenantID)
	s.metrics.runs.WithLabelValues("succeeded").Inc()
	s.log.InfoContext(ctx, "catalog sync run finished", "run_id", runID, "created", rep.Created, "updated", rep.Updated,
		"unchanged", rep.Unchanged, "archived", rep.Archived, "rejected", rep.Rejects, "ms", s.now().Sub(start).Milliseconds())
	return nil
}

// claimRun reads a run and marks it running; nil when it has finished
// (or finishes meanwhile): there is nothing to do.
func (s *Service) claimRun(ctx context.Context, runID uuid.UUID) (*runRow, error) {
	var r *runRow
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if r, err = getRunInput(ctx, tx, runID); err != nil {
			return err
		}
		if r.Status == RunSucceeded || r.Status == RunFailed {
			r = nil
			return nil
		}
		// Conditional: a concurrent execution may finish the run while this
		// update waits for its row lock; then there is nothing left to do.
		started, err := startRun(ctx, tx, runID, s.now().UTC())
		if !started {
			r = nil
		}
		return err
	})
	return r, err
}

// fetchFailure says why a URL pull failed.
func fetchFailure(err error) []errs.Message {
	var se *safefetch.StatusError
	switch {
	case errors.Is(err, safefetch.ErrBlocked):
		return []errs.Message{errs.M("catalog.run.fetch_blocked", "detail", err.Error())}
	case errors.Is(err, safefetch.ErrTooLarge):
		return []errs.Message{errs.M("catalog.run.fetch_too_large")}
	case errors.Is(err, safefetch.ErrTimeout):
		return []errs.Message{errs.M("catalog.run.fetch_timeout")}
	case errors.Is(err, safefetch.ErrTooManyRedirects):
		return []errs.Message{errs.M("catalog.run.fetch_redirects")}
	case errors.As(err, &se):
		return []errs.Message{errs.M("catalog.run.fetch_status", "status", se.Code)}
	}
	return []errs.Message{errs.M("catalog.run.fetch_failed", "detail", err.Error())}
}

// parseFailure says why a file could not be read as format.
func parseFailure(format feed.Format, err error) []errs.Message {
	why := []errs.Message{errs.M("catalog.run.parse_failed", "format", string(format))}
	var fe *feed.Error
	if errors.As(err, &fe) {
		return append(why, fe.Messages()...)
	}
	return append(why, errs.M("catalog.legacy_text", "text", err.Error()))
}

// failRun records why a run failed for good.
func (s *Service) failRun(ctx context.Context, runID uuid.UUID, why []errs.Message) error {
	s.metrics.runs.WithLabelValues("failed").Inc()
	return s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return failRunRow(ctx, tx, runID, why, s.now().UTC())
	})
}

// WaitRun is for the command line: it executes the run in this process (the
// same code the job runs; the job then finds it finished) and returns it.
func (s *Service) WaitRun(ctx context.Context, runID uuid.UUID) (*Run, error) {
	if err := s.ExecuteRun(ctx, runID); err != nil {
		return nil, err
	}
	run, err := s.Run(ctx, runID)
	if err != nil {
		return nil, err
	}
	if run.Status != RunSucceeded && run.Status != RunFailed {
		return nil, errors.New("catalog: run did not finish")
	}
	return run, nil
}

// ValidFormat reports whether f names a feed format (or auto).
func ValidFormat(f feed.Format) bool {
	switch f {
	case feed.FormatAuto, feed.FormatCSV, feed.FormatTSV, feed.FormatJSON, feed.FormatGoogleTSV, feed.FormatGoogleXML:
		return true
	}
	return false
}
