package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"concierge/internal/config"
	"concierge/internal/jobs"
	"concierge/internal/safefetch"
	"concierge/modules/catalog"
	"concierge/modules/catalog/demo"
	"concierge/modules/catalog/feed"
	"concierge/tenants"
)

// newCatalog builds the catalog service.
func newCatalog(cfg config.Config, d *deps, j *jobs.Jobs, log *slog.Logger) (*catalog.Service, error) {
	allow, err := catalogAllow(cfg)
	if err != nil {
		return nil, err
	}
	return catalog.New(catalog.Config{
		CacheTTL:       cfg.CatalogCacheTTL,
		Fetch:          safefetch.Config{Allow: allow, MaxBytes: int64(cfg.CatalogFetchMaxBytes), Timeout: cfg.CatalogFetchTimeout},
		AllowHTTPLinks: cfg.Env != "production",
		UploadLimit:    cfg.CatalogUploadLimit,
	}, catalog.Deps{Scope: d.scope, Tenants: d.tenants, Jobs: j, Redis: d.rdb, RedisPrefix: cfg.RedisPrefix, Log: log}), nil
}

func catalogAllow(cfg config.Config) ([]netip.Prefix, error) {
	allow, err := safefetch.ParseAllow(strings.Join(cfg.CatalogFetchAllow, ","))
	if err != nil {
		return nil, fmt.Errorf("CATALOG_FETCH_ALLOW: %w", err)
	}
	return allow, nil
}

// demoMedia serves the demo catalog's generated pictures.
func demoMedia(c *fiber.Ctx) error {
	b, ok := demo.Image(c.Params("file"))
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400, immutable")
	return c.Send(b)
}

const catalogUsage = `usage:
  concierge catalog import --tenant SLUG [--format auto|csv|tsv|json|google-tsv|google-xml] [--full] [--json] FILE-or-URL
      import a feed (a file, - for stdin, or an http(s) URL) and print the run's report;
      exits non-zero only when the run itself fails, not for rejected rows
  concierge catalog generate [--variants N] [--seed S] FILE
      write a Concierge CSV catalog of N variants (default 100000) for benchmarks
  concierge catalog reindex --tenant SLUG | --all
      rebuild the search rows and price/stock aggregates of every product
`

func catalogCmd(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return usageError{catalogUsage}
	}
	switch args[0] {
	case "import":
		return catalogImport(ctx, cfg, args[1:], out)
	case "generate":
		return catalogGenerate(args[1:], out)
	case "reindex":
		return catalogReindex(ctx, cfg, args[1:], out)
	}
	return usageError{catalogUsage}
}

func catalogGenerate(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("catalog generate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	n := fs.Int("variants", 100000, "variants to write")
	seed := fs.Int64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 || *n < 1 {
		return usageError{catalogUsage}
	}
	f, err := os.Create(fs.Arg(0))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := demo.Large(w, *n, *seed); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %d variants to %s\n", *n, fs.Arg(0))
	return nil
}

func catalogImport(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("catalog import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	slug := fs.String("tenant", "", "tenant slug")
	format := fs.String("format", "auto", "feed format")
	full := fs.Bool("full", false, "archive what the feed no longer lists")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	// Flags may follow the file name too.
	var positional []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return usageError{catalogUsage}
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if *slug == "" || len(positional) != 1 || !validFormat(*format) {
		return usageError{catalogUsage}
	}
	src := positional[0]
	d, svc, err := openCatalog(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	t, err := d.tenants.Get(ctx, *slug)
	if err != nil {
		return fmt.Errorf("tenant %q: %w", *slug, err)
	}
	tctx := tenants.WithTenant(ctx, t)
	req := catalog.RunRequest{Format: feed.Format(*format), Full: *full, RequestedBy: "cli", InputName: src}
	switch {
	case strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://"):
		req.URL = src
	case src == "-":
		if req.Input, err = io.ReadAll(os.Stdin); err != nil {
			return err
		}
	default:
		if req.Input, err = os.ReadFile(src); err != nil {
			return err
		}
	}
	start := time.Now()
	run, err := svc.StartRun(tctx, req)
	if err != nil {
		return err
	}
	run, err = svc.WaitRun(tctx, run.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(runJSON(run)); err != nil {
			return err
		}
	} else {
		printRun(out, run, time.Since(start))
	}
	if run.Status != catalog.RunSucceeded {
		return fmt.Errorf("catalog import failed: %s", run.Error)
	}
	return nil
}

// openCatalog opens the shared dependencies (quiet log) and the catalog
// service for a command; the caller closes the deps.
func openCatalog(ctx context.Context, cfg config.Config) (*deps, *catalog.Service, error) {
	d, err := openDeps(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, nil, err
	}
	svc, err := catalogFor(d)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, svc, nil
}

// catalogFor builds the catalog service on d with an insert-only job client
// (commands run their sync runs themselves).
func catalogFor(d *deps) (*catalog.Service, error) {
	j, err := jobs.New(jobs.Config{Tenancy: tenants.JobTenancy()}, d.db, d.log)
	if err != nil {
		return nil, err
	}
	return newCatalog(d.cfg, d, j, d.log)
}

func validFormat(f string) bool {
	switch feed.Format(f) {
	case feed.FormatAuto, feed.FormatCSV, feed.FormatTSV, feed.FormatJSON, feed.FormatGoogleTSV, feed.FormatGoogleXML:
		return true
	}
	return false
}

type runReport struct {
	RunID    string          `json:"run_id"`
	Status   string          `json:"status"`
	Error    string          `json:"error,omitempty"`
	Format   string          `json:"format"`
	Full     bool            `json:"full"`
	Report   *catalog.Report `json:"report,omitempty"`
	Duration int64           `json:"duration_ms"`
}

func runJSON(r *catalog.Run) runReport {
	out := runReport{RunID: r.ID.String(), Status: r.Status, Error: r.Error, Format: string(r.Format), Full: r.Full, Report: r.Report}
	if r.StartedAt != nil && r.FinishedAt != nil {
		out.Duration = r.FinishedAt.Sub(*r.StartedAt).Milliseconds()
	}
	return out
}

func printRun(w io.Writer, r *catalog.Run, took time.Duration) {
	fmt.Fprintf(w, "run %s: %s (%s, %s)\n", r.ID, r.Status, r.Format, took.Round(time.Millisecond))
	if r.Error != "" {
		fmt.Fprintf(w, "error: %s\n", r.Error)
	}
	if rep := r.Report; rep != nil {
		fmt.Fprintf(w, "rows %d: created %d, updated %d, unchanged %d, archived %d, rejected %d\n",
			rep.Rows, rep.Created, rep.Updated, rep.Unchanged, rep.Archived, rep.Rejects)
		fmt.Fprintf(w, "products: created %d, updated %d, archived %d\n", rep.Products.Created, rep.Products.Updated, rep.Products.Archived)
		for _, x := range rep.Rejected {
			fmt.Fprintf(w, "  line %d", x.Line)
			if x.SKU != "" {
				fmt.Fprintf(w, " (%s)", x.SKU)
			}
			fmt.Fprintf(w, ": %s\n", x.Reason)
		}
	}
}

// seedDemoCatalog imports the demo catalog into the demo tenant (an
// idempotent sync: a second seed finds everything unchanged).
func seedDemoCatalog(ctx context.Context, d *deps, t *tenants.Tenant, out io.Writer) error {
	svc, err := catalogFor(d)
	if err != nil {
		return err
	}
	var buf strings.Builder
	if err := demo.WriteCSV(&buf, demo.Catalog(d.cfg.PublicBaseURL)); err != nil {
		return err
	}
	tctx := tenants.WithTenant(ctx, t)
	run, err := svc.StartRun(tctx, catalog.RunRequest{Input: []byte(buf.String()), InputName: "demo-catalog.csv",
		Format: feed.FormatCSV, Full: true, RequestedBy: "seed"})
	if err != nil {
		return err
	}
	if run, err = svc.WaitRun(tctx, run.ID); err != nil {
		return err
	}
	if run.Status != catalog.RunSucceeded {
		return fmt.Errorf("seed: demo catalog: %s", run.Error)
	}
	rep := run.Report
	fmt.Fprintf(out, "seed: demo catalog: created %d, updated %d, unchanged %d variants (%d products created)\n",
		rep.Created, rep.Updated, rep.Unchanged, rep.Products.Created)
	return nil
}

func catalogReindex(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("catalog reindex", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	slug := fs.String("tenant", "", "tenant slug")
	all := fs.Bool("all", false, "every tenant")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || (*slug == "") == !*all {
		return usageError{catalogUsage}
	}
	d, svc, err := openCatalog(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	var ts []tenants.Tenant
	if *all {
		if ts, err = d.tenants.List(ctx); err != nil {
			return err
		}
	} else {
		t, err := d.tenants.Get(ctx, *slug)
		if err != nil {
			return fmt.Errorf("tenant %q: %w", *slug, err)
		}
		ts = []tenants.Tenant{*t}
	}
	for i := range ts {
		n, err := svc.Reindex(tenants.WithTenant(ctx, &ts[i]))
		if err != nil {
			return fmt.Errorf("reindex %s: %w", ts[i].Slug, err)
		}
		fmt.Fprintf(out, "reindexed %d products of %s\n", n, ts[i].Slug)
	}
	return nil
}
