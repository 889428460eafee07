package catalog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/db"
	"concierge/internal/errs"
	"concierge/internal/input"
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
// archived by a feed.

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
	ID          uuid.UUID
	SourceID    *uuid.UUID
	Status      string
	Format      feed.Format
	Full        bool
	URL         string
	InputName   string
	Error       string
	RequestedBy string
	Report      *Report
	CreatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time
}

// Report is what a run did. Counts are of variants (SKUs); Products counts
// products.
type Report struct {
	Format    string         `json:"format"`
	Rows      int            `json:"rows"`
	Created   int            `json:"created"`
	Updated   int            `json:"updated"`
	Unchanged int            `json:"unchanged"`
	Archived  int            `json:"archived"`
	Rejected  []Rejection    `json:"rejected"`
	Products  ProductCounts  `json:"products"`
	Rejects   int            `json:"rejected_count"`
	Timings   map[string]int `json:"timings_ms,omitempty"`
}

// ProductCounts counts products a run created, updated or archived.
type ProductCounts struct {
	Created  int `json:"created"`
	Updated  int `json:"updated"`
	Archived int `json:"archived"`
}

// Rejection is a row that was not imported, with its line and the reason.
type Rejection struct {
	Line   int    `json:"line"`
	SKU    string `json:"sku,omitempty"`
	Reason string `json:"reason"`
}

// RunRequest starts a run: of a source (SourceID), or one-off from Input or
// URL.
type RunRequest struct {
	SourceID    *uuid.UUID
	Input       []byte
	InputName   string
	URL         string
	Format      feed.Format
	Full        bool
	ContentType string
	RequestedBy string
}

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
	Report        *Report    `bun:"report,type:jsonb"`
	Error         string     `bun:"error"`
	RequestedBy   string     `bun:"requested_by"`
	CreatedAt     time.Time  `bun:"created_at,nullzero,default:now()"`
	StartedAt     *time.Time `bun:"started_at"`
	FinishedAt    *time.Time `bun:"finished_at"`
}

var runColumns = []string{"tenant_id", "id", "source_id", "status", "format", "full_sync", "url", "input_name", "report",
	"error", "requested_by", "created_at", "started_at", "finished_at"}

func toRun(r runRow) Run {
	return Run{ID: r.ID, SourceID: r.SourceID, Status: r.Status, Format: feed.Format(r.Format), Full: r.FullSync, URL: r.URL,
		InputName: r.InputName, Error: r.Error, RequestedBy: r.RequestedBy, Report: r.Report, CreatedAt: r.CreatedAt,
		StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}
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
	if !validFormat(in.Format) {
		fe = append(fe, field("format", "oneof", "must be auto, csv, tsv, json, google-tsv or google-xml", "صيغة غير معروفة"))
	}
	switch in.Kind {
	case "url":
		if !s.validURL(in.URL) {
			fe = append(fe, s.urlField("url"))
		}
	case "upload":
		in.URL, in.IntervalMinutes = "", 0
	default:
		fe = append(fe, field("kind", "oneof", "must be upload or url", "يجب أن يكون upload أو url"))
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
		_, err := tx.NewInsert().Model(&r).Returning("created_at").Exec(ctx)
		return db.Translate(err, "source")
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
		return tx.NewSelect().Model(&rs).Order("created_at").Scan(ctx)
	})
	out := make([]Source, len(rs))
	for i, r := range rs {
		out[i] = toSource(r)
	}
	return out, err
}

// Source returns one source. Errors: not_found.
func (s *Service) Source(ctx context.Context, id uuid.UUID) (*Source, error) {
	var r sourceRow
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return db.Translate(tx.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx), "source")
	})
	if err != nil {
		return nil, err
	}
	src := toSource(r)
	return &src, nil
}

// DeleteSource removes a source; its runs stay. Errors: not_found.
func (s *Service) DeleteSource(ctx context.Context, id uuid.UUID) error {
	return s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Table("catalog_sources").Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.CodeNotFound, "no such source")
		}
		return nil
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
		URL: req.URL, InputName: req.InputName, Input: req.Input, RequestedBy: req.RequestedBy}
	if r.Format == "" {
		r.Format = string(feed.FormatAuto)
	}
	if r.Format == string(feed.FormatAuto) && len(req.Input) > 0 {
		r.Format = string(feed.Detect(req.InputName, req.ContentType, head(req.Input)))
	}
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if req.SourceID != nil {
			var src sourceRow
			if err := tx.NewSelect().Model(&src).Where("id = ?", *req.SourceID).Scan(ctx); err != nil {
				return db.Translate(err, "source")
			}
			r.SourceID, r.FullSync = &src.ID, src.FullSync
			if src.Format != string(feed.FormatAuto) || r.Format == "" {
				r.Format = src.Format
			}
			if src.Kind == "url" {
				r.URL, r.Input = src.URL, nil
				r.Format = src.Format
			} else if len(req.Input) == 0 {
				return invalidParam("body", "an upload source needs the file as the request body", "مصدر الرفع يحتاج إلى الملف في جسم الطلب")
			}
			if r.InputName == "" {
				r.InputName = src.Name
			}
		}
		if len(r.Input) == 0 && r.URL == "" {
			return invalidParam("body", "the file is empty", "الملف فارغ")
		}
		if r.URL != "" && !s.validURL(r.URL) {
			return errs.Invalid(s.urlField("url"))
		}
		if _, err := tx.NewInsert().Model(&r).Returning("created_at").Exec(ctx); err != nil {
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
	var r runRow
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return db.Translate(tx.NewSelect().Model(&r).Column(runColumns...).Where("id = ?", id).Scan(ctx), "run")
	})
	if err != nil {
		return nil, err
	}
	run := toRun(r)
	return &run, nil
}

// Runs lists recent runs, of one source when given, newest first.
func (s *Service) Runs(ctx context.Context, source *uuid.UUID, limit int) ([]Run, error) {
	var rs []runRow
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewSelect().Model(&rs).Column(runColumns...).OrderExpr("created_at DESC, id DESC").Limit(int64(limit))
		if source != nil {
			q = q.Where("source_id = ?", *source)
		}
		return q.Scan(ctx)
	})
	out := make([]Run, len(rs))
	for i, r := range rs {
		out[i] = toRun(r)
	}
	return out, err
}

// errRunFailed marks an error that fails the run for good (bad file,
// refused URL): the job does not retry it.
type errRunFailed struct{ msg string }

func (e errRunFailed) Error() string { return e.msg }

// ExecuteRun carries out a run (the job's work). It is idempotent: a
// finished run is left alone. The returned error is for the queue (retry);
// a run that fails for good records its error and returns nil.
func (s *Service) ExecuteRun(ctx context.Context, runID uuid.UUID) error {
	start := s.now()
	var r runRow
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewSelect().Model(&r).Where("id = ?", runID).Scan(ctx); err != nil {
			return db.Translate(err, "run")
		}
		if r.Status == RunSucceeded || r.Status == RunFailed {
			return nil
		}
		// Conditional: a concurrent execution may finish the run while this
		// update waits for its row lock; then there is nothing left to do.
		res, err := tx.NewUpdate().Table("catalog_runs").Set("status = ?, started_at = ?", RunRunning, s.now().UTC()).
			Where("id = ? AND status IN (?)", runID, bun.In([]string{RunQueued, RunRunning})).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			r.Status = RunSucceeded // finished meanwhile (or failed): leave it
		}
		return nil
	})
	if err != nil || r.Status == RunSucceeded || r.Status == RunFailed {
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
			return s.failRun(ctx, runID, fmt.Sprintf("could not fetch the feed: %v", err))
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
		return s.failRun(ctx, runID, fmt.Sprintf("could not read the file as %s: %v", format, err))
	}
	parsedAt := s.now()
	var rep *Report
	var done bool
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, _ := tenantOf(ctx)
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('catalog-sync:' || ?::text, 0))", t.ID.String()); err != nil {
			return err
		}
		var status string
		if err := tx.NewSelect().Table("catalog_runs").Column("status").Where("id = ?", runID).For("UPDATE").Scan(ctx, &status); err != nil {
			return err
		}
		if status == RunSucceeded || status == RunFailed {
			done = true
			return nil
		}
		var err error
		rep, err = apply(ctx, tx, t.ID, currency, parsed, r.FullSync, s.now().UTC())
		if err != nil {
			return err
		}
		rep.Format = string(parsed.Format)
		rep.Timings = map[string]int{"fetch": int(fetched.Sub(start).Milliseconds()), "parse": int(parsedAt.Sub(fetched).Milliseconds()),
			"apply": int(s.now().Sub(parsedAt).Milliseconds())}
		now := s.now().UTC()
		_, err = tx.NewUpdate().Table("catalog_runs").Set("status = ?, report = ?, input = NULL, finished_at = ?, format = ?",
			RunSucceeded, rep, now, string(parsed.Format)).Where("id = ?", runID).Exec(ctx)
		return err
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

func (s *Service) failRun(ctx context.Context, runID uuid.UUID, msg string) error {
	s.metrics.runs.WithLabelValues("failed").Inc()
	return s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewUpdate().Table("catalog_runs").Set("status = ?, error = ?, input = NULL, finished_at = ?", RunFailed, msg, s.now().UTC()).
			Where("id = ? AND status IN (?)", runID, bun.In([]string{RunQueued, RunRunning})).Exec(ctx)
		return err
	})
}

// group is the items of one product in a feed.
type group struct {
	key   string
	items []feed.Item
}

// apply upserts parsed items. It runs inside the run's transaction.
func apply(ctx context.Context, tx bun.Tx, tenantID uuid.UUID, currency string, parsed feed.Result, full bool, now time.Time) (*Report, error) {
	rep := &Report{Rows: len(parsed.Items) + len(parsed.Rejects), Rejected: []Rejection{}}
	for _, r := range parsed.Rejects {
		rep.Rejected = append(rep.Rejected, Rejection(r))
	}
	// Group by product, rejecting items whose currency is not the store's.
	var groups []*group
	byKey := map[string]*group{}
	for _, it := range parsed.Items {
		if it.Currency != "" && it.Currency != currency {
			rep.Rejected = append(rep.Rejected, Rejection{Line: it.Line, SKU: it.SKU,
				Reason: fmt.Sprintf("currency %s is not the store's currency %s", it.Currency, currency)})
			continue
		}
		key := it.GroupID
		if key == "" {
			key = it.SKU
		}
		g := byKey[key]
		if g == nil {
			g = &group{key: key}
			byKey[key] = g
			groups = append(groups, g)
		}
		if len(g.items) >= MaxVariants {
			rep.Rejected = append(rep.Rejected, Rejection{Line: it.Line, SKU: it.SKU, Reason: fmt.Sprintf("product %q has more than %d variants", key, MaxVariants)})
			continue
		}
		g.items = append(g.items, it)
	}

	// What the catalog has now.
	var products []struct {
		ID          uuid.UUID `bun:"id"`
		ExternalID  string    `bun:"external_id"`
		Slug        string    `bun:"slug"`
		Status      string    `bun:"status"`
		ContentHash string    `bun:"content_hash"`
	}
	if err := tx.NewSelect().Table("products").Column("id", "external_id", "slug", "status", "content_hash").Scan(ctx, &products); err != nil {
		return nil, err
	}
	type existingProduct struct {
		id           uuid.UUID
		status, hash string
	}
	productByKey := make(map[string]existingProduct, len(products))
	slugs := make(map[string]bool, len(products))
	for _, p := range products {
		slugs[p.Slug] = true
		if p.ExternalID != "" {
			productByKey[p.ExternalID] = existingProduct{p.ID, p.Status, p.ContentHash}
		}
	}
	var variants []struct {
		ID          uuid.UUID `bun:"id"`
		ProductID   uuid.UUID `bun:"product_id"`
		SKU         string    `bun:"sku"`
		Archived    bool      `bun:"archived"`
		ContentHash string    `bun:"content_hash"`
	}
	if err := tx.NewSelect().Table("variants").Column("id", "product_id", "sku", "archived", "content_hash").Scan(ctx, &variants); err != nil {
		return nil, err
	}
	type existingVariant struct {
		id, product uuid.UUID
		archived    bool
		hash        string
	}
	variantBySKU := make(map[string]existingVariant, len(variants))
	for _, v := range variants {
		variantBySKU[v.SKU] = existingVariant{v.ID, v.ProductID, v.Archived, v.ContentHash}
	}

	cats, err := ensureCategories(ctx, tx, tenantID, groups)
	if err != nil {
		return nil, err
	}

	var newProducts, changedProducts []productRow
	var newVariants, changedVariants []variantRow
	var media []mediaRow
	var links []productCategoryRow
	var replaced, touched []uuid.UUID
	seenSKU := make(map[string]bool, len(parsed.Items))
	for _, g := range groups {
		first := g.items[0]
		p := productRow{TenantID: tenantID, ExternalID: g.key, Status: first.Status, Brand: first.Brand,
			TitleAR: first.TitleAR, TitleEN: first.TitleEN, DescriptionAR: first.DescriptionAR, DescriptionEN: first.DescriptionEN,
			Attributes: nonNil(first.Attributes), Link: first.Link, Currency: currency}
		if p.Status == "" {
			p.Status = StatusActive
		}
		catIDs := categoryIDs(first, cats)
		p.ContentHash = productHash(p, first, catIDs)
		old, exists := productByKey[g.key]
		productChanged := false
		switch {
		case !exists:
			p.ID = uuid.Must(uuid.NewV7())
			p.Slug = uniqueSlug(slugs, first.Slug, first.TitleEN, g.key)
			newProducts = append(newProducts, p)
			rep.Products.Created++
			productChanged = true
		case old.hash != p.ContentHash || old.status != p.Status:
			p.ID = old.id
			changedProducts = append(changedProducts, p)
			rep.Products.Updated++
			productChanged = true
		default:
			p.ID = old.id
		}
		if productChanged {
			replaced = append(replaced, p.ID)
			for i, img := range first.Images {
				// The parser refused rows with bad links (and, in
				// production, http ones); this guards the table.
				if input.WebURL(img.URL, true) != nil || i >= MaxMedia {
					continue
				}
				media = append(media, mediaRow{TenantID: tenantID, ID: uuid.Must(uuid.NewV7()), ProductID: p.ID, URL: img.URL,
					AltAR: img.AltAR, AltEN: img.AltEN, Position: i})
			}
			for i, c := range catIDs {
				links = append(links, productCategoryRow{TenantID: tenantID, ProductID: p.ID, CategoryID: c, Position: i})
			}
		}
		variantChanged := false
		for i, it := range g.items {
			seenSKU[it.SKU] = true
			opts := make([]Option, len(it.Options))
			for j, o := range it.Options {
				opts[j] = Option{Name: o.Name, Value: o.Value, NameAR: o.NameAR, ValueAR: o.ValueAR}
			}
			v := Variant{ProductID: p.ID, SKU: it.SKU, Options: opts, Price: it.Price, CompareAt: it.CompareAt, Currency: currency,
				Stock: it.Stock, WeightGrams: it.WeightGrams, Position: i}
			ev, ok := variantBySKU[it.SKU]
			switch {
			case !ok:
				v.ID = uuid.Must(uuid.NewV7())
				newVariants = append(newVariants, fromVariant(tenantID, v))
				rep.Created++
				variantChanged = true
			case ev.product != p.ID || ev.archived || ev.hash != variantHash(v):
				v.ID = ev.id
				changedVariants = append(changedVariants, fromVariant(tenantID, v))
				rep.Updated++
				variantChanged = true
			default:
				rep.Unchanged++
				continue
			}
		}
		if productChanged || variantChanged {
			touched = append(touched, p.ID)
		}
	}

	// Write: products first (variants point at them), then variants, media
	// and category links of replaced products.
	for _, chunk := range chunks(len(newProducts), 1000) {
		rows := newProducts[chunk[0]:chunk[1]]
		if _, err := tx.NewInsert().Model(&rows).ExcludeColumn("created_at", "updated_at").Exec(ctx); err != nil {
			return nil, translateWrite(err, "slug")
		}
	}
	for _, chunk := range chunks(len(changedProducts), 500) {
		rows := changedProducts[chunk[0]:chunk[1]]
		values := make([]string, len(rows))
		args := make([]any, 0, len(rows)*10)
		for i, r := range rows {
			values[i] = "(?::uuid, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)"
			args = append(args, r.ID, r.Status, r.Brand, r.TitleAR, r.TitleEN, r.DescriptionAR, r.DescriptionEN, jsonText(r.Attributes), r.Link, r.ContentHash)
		}
		_, err := tx.NewRaw(`UPDATE products p SET status = v.status, brand = v.brand, title_ar = v.title_ar, title_en = v.title_en,
			description_ar = v.description_ar, description_en = v.description_en, attributes = v.attributes, link = v.link,
			content_hash = v.content_hash, updated_at = ?
			FROM (VALUES `+strings.Join(values, ",")+`) AS v (id, status, brand, title_ar, title_en, description_ar, description_en, attributes, link, content_hash)
			WHERE p.id = v.id`, append([]any{now}, args...)...).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("catalog: update products: %w", err)
		}
	}
	for _, chunk := range chunks(len(changedVariants), 500) {
		rows := changedVariants[chunk[0]:chunk[1]]
		values := make([]string, len(rows))
		args := make([]any, 0, len(rows)*10)
		for i, r := range rows {
			values[i] = "(?::uuid, ?::uuid, ?::jsonb, ?::bigint, ?::bigint, ?, ?::integer, ?::integer, ?::integer, ?)"
			args = append(args, r.ID, r.ProductID, jsonText(r.Options), r.Price, r.CompareAt, r.Currency, r.Stock, r.WeightGrams, r.Position, r.ContentHash)
		}
		_, err := tx.NewRaw(`UPDATE variants t SET product_id = v.product_id, options = v.options, price = v.price, compare_at = v.compare_at,
			currency = v.currency, stock = v.stock, weight_grams = v.weight_grams, position = v.position, archived = false,
			content_hash = v.content_hash, updated_at = ?
			FROM (VALUES `+strings.Join(values, ",")+`) AS v (id, product_id, options, price, compare_at, currency, stock, weight_grams, position, content_hash)
			WHERE t.id = v.id`, append([]any{now}, args...)...).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("catalog: update variants: %w", err)
		}
	}
	for _, chunk := range chunks(len(newVariants), 1000) {
		rows := newVariants[chunk[0]:chunk[1]]
		if _, err := tx.NewInsert().Model(&rows).ExcludeColumn("created_at", "updated_at").Exec(ctx); err != nil {
			return nil, translateWrite(err, "sku")
		}
	}
	for _, chunk := range chunks(len(replaced), 5000) {
		ids := replaced[chunk[0]:chunk[1]]
		if _, err := tx.NewDelete().Table("product_media").Where("product_id IN (?)", bun.In(ids)).Exec(ctx); err != nil {
			return nil, err
		}
		if _, err := tx.NewDelete().Table("product_categories").Where("product_id IN (?)", bun.In(ids)).Exec(ctx); err != nil {
			return nil, err
		}
	}
	for _, chunk := range chunks(len(media), 1000) {
		rows := media[chunk[0]:chunk[1]]
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return nil, err
		}
	}
	for _, chunk := range chunks(len(links), 1000) {
		rows := links[chunk[0]:chunk[1]]
		if _, err := tx.NewInsert().Model(&rows).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return nil, err
		}
	}

	// A full feed archives the feed-made variants it no longer lists, and
	// products left without an active variant.
	if full {
		var gone []uuid.UUID
		goneProducts := map[uuid.UUID]bool{}
		for _, v := range variants {
			if !v.Archived && !seenSKU[v.SKU] {
				gone = append(gone, v.ID)
				goneProducts[v.ProductID] = true
			}
		}
		if len(gone) > 0 {
			var fromFeeds []uuid.UUID
			ids := make([]uuid.UUID, 0, len(goneProducts))
			for id := range goneProducts {
				ids = append(ids, id)
			}
			if err := tx.NewSelect().Table("products").Column("id").Where("id IN (?)", bun.In(ids)).Where("external_id <> ''").Scan(ctx, &fromFeeds); err != nil {
				return nil, err
			}
			res, err := tx.NewUpdate().Table("variants").Set("archived = true, updated_at = ?", now).
				Where("id IN (?)", bun.In(gone)).Where("product_id IN (?)", bun.In(append(fromFeeds, uuid.Nil))).Exec(ctx)
			if err != nil {
				return nil, err
			}
			n, _ := res.RowsAffected()
			rep.Archived = int(n)
			if len(fromFeeds) > 0 {
				res, err = tx.NewUpdate().Table("products").Set("status = ?, updated_at = ?", StatusArchived, now).
					Where("id IN (?)", bun.In(fromFeeds)).Where("status <> ?", StatusArchived).
					Where("NOT EXISTS (SELECT 1 FROM variants v WHERE v.tenant_id = products.tenant_id AND v.product_id = products.id AND NOT v.archived)").Exec(ctx)
				if err != nil {
					return nil, err
				}
				n, _ = res.RowsAffected()
				rep.Products.Archived = int(n)
				touched = append(touched, fromFeeds...)
			}
		}
	}
	sort.SliceStable(rep.Rejected, func(i, j int) bool { return rep.Rejected[i].Line < rep.Rejected[j].Line })
	rep.Rejects = len(rep.Rejected)
	return rep, refresh(ctx, tx, dedupe(touched))
}

// ensureCategories creates the categories the feed names that do not exist
// yet and returns every path's category id, keyed by pathKey.
func ensureCategories(ctx context.Context, tx bun.Tx, tenantID uuid.UUID, groups []*group) (map[string]uuid.UUID, error) {
	var existing []categoryRow
	if err := tx.NewSelect().Model(&existing).Scan(ctx); err != nil {
		return nil, err
	}
	bySlug := make(map[string]uuid.UUID, len(existing))
	for _, c := range existing {
		bySlug[c.Slug] = c.ID
	}
	out := map[string]uuid.UUID{}
	var created []categoryRow
	for _, g := range groups {
		for _, path := range g.items[0].Categories {
			var parent *uuid.UUID
			var slugParts []string
			for depth, level := range path {
				key := pathKey(path[:depth+1])
				slugParts = append(slugParts, slugify(level.EN, "c-"+shortHash(level.AR)))
				if id, ok := out[key]; ok {
					p := id
					parent = &p
					continue
				}
				slug := strings.Join(slugParts, "-")
				if len(slug) > 120 {
					slug = slug[:110] + "-" + shortHash(key)
				}
				id, ok := bySlug[slug]
				if !ok {
					id = uuid.Must(uuid.NewV7())
					bySlug[slug] = id
					created = append(created, categoryRow{TenantID: tenantID, ID: id, ParentID: parent, Slug: slug,
						NameAR: level.AR, NameEN: level.EN, Position: len(created)})
				}
				out[key] = id
				p := id
				parent = &p
			}
		}
	}
	for _, c := range created {
		// One by one: a child's parent must exist first (slices are in
		// creation order).
		row := c
		if _, err := tx.NewInsert().Model(&row).ExcludeColumn("created_at", "updated_at").Exec(ctx); err != nil {
			return nil, db.Translate(err, "category")
		}
	}
	return out, nil
}

func pathKey(path []feed.CategoryName) string {
	var b strings.Builder
	for _, l := range path {
		b.WriteString(strings.ToLower(l.EN) + "\x00" + l.AR + "\x01")
	}
	return b.String()
}

// categoryIDs returns the leaf category of each of the item's paths.
func categoryIDs(it feed.Item, cats map[string]uuid.UUID) []uuid.UUID {
	var ids []uuid.UUID
	for _, path := range it.Categories {
		if len(path) == 0 {
			continue
		}
		if id, ok := cats[pathKey(path)]; ok {
			ids = append(ids, id)
		}
	}
	return dedupe(ids)
}

func productHash(p productRow, it feed.Item, cats []uuid.UUID) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%s|%s|%s|%s|%s|%s|%s|%v|", p.Status, p.Brand, p.TitleAR, p.TitleEN, p.DescriptionAR, p.DescriptionEN,
		p.Link, it.Slug, jsonText(p.Attributes), cats)
	for _, img := range it.Images {
		fmt.Fprintf(h, "%s|%s|%s|", img.URL, img.AltAR, img.AltEN)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:4])
}

// uniqueSlug picks the feed's slug, else one from the English title, else
// from the product key, made unique among taken.
func uniqueSlug(taken map[string]bool, given, title, key string) string {
	base := given
	if base == "" || !slugRe.MatchString(base) {
		base = slugify(title, key)
	}
	slug := base
	if taken[slug] {
		slug = slugify(base+"-"+key, key)
	}
	for n := 2; taken[slug]; n++ {
		slug = fmt.Sprintf("%s-%d", base, n)
	}
	taken[slug] = true
	return slug
}

// chunks splits n items into [start, end) ranges of at most size.
func chunks(n, size int) [][2]int {
	var out [][2]int
	for i := 0; i < n; i += size {
		out = append(out, [2]int{i, min(i+size, n)})
	}
	return out
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
