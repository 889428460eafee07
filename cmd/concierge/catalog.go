package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
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
	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/internal/jobs"
	"concierge/internal/safefetch"
	"concierge/modules/catalog"
	"concierge/modules/catalog/demo"
	"concierge/modules/catalog/feed"
	"concierge/modules/identity"
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
	}, catalog.Deps{Scope: d.scope, Tenants: d.tenants, Jobs: j, Redis: d.rdb, RedisPrefix: cfg.RedisPrefix, Log: log, Audit: d.audit}), nil
}

func catalogAllow(cfg config.Config) ([]netip.Prefix, error) {
	allow, err := safefetch.ParseAllow(strings.Join(cfg.CatalogFetchAllow, ","))
	if err != nil {
		return nil, fmt.Errorf("CATALOG_FETCH_ALLOW: %w", err)
	}
	return allow, nil
}

// demoMedia serves the demo catalog's generated pictures
// (GET /media/demo/:file).
type demoMedia struct{}

// Mount serves the pictures on the root.
func (demoMedia) Mount(r httpx.Routers) { r.Root.Get("/media/demo/:file", serveDemoMedia) }

func serveDemoMedia(c *fiber.Ctx) error {
	b, ok := demo.Image(c.Params("file"))
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400, immutable")
	return c.Send(b)
}

// catalogUsage is the usage of `concierge catalog`.
var catalogUsage = errs.M("catalog.cli.usage")

func catalogCmd(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return usage(catalogUsage)
	}
	switch args[0] {
	case "import":
		return catalogImport(ctx, cfg, args[1:], out)
	case "generate":
		return catalogGenerate(args[1:], out)
	case "reindex":
		return catalogReindex(ctx, cfg, args[1:], out)
	}
	return usage(catalogUsage)
}

func catalogGenerate(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("catalog generate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	n := fs.Int("variants", 100000, "variants to write")
	seed := fs.Int64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 || *n < 1 {
		return usage(catalogUsage)
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
	fmt.Fprintln(out, say(errs.M("catalog.cli.generated", "variants", *n, "file", fs.Arg(0))))
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
			return usage(catalogUsage)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if *slug == "" || len(positional) != 1 || !catalog.ValidFormat(feed.Format(*format)) {
		return usage(catalogUsage)
	}
	src := positional[0]
	d, svc, err := openCatalog(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	t, err := d.tenants.Get(ctx, *slug)
	if err != nil {
		return describeErr(err)
	}
	tctx := identity.WithActor(tenants.WithTenant(ctx, t), cliActor())
	req := catalog.RunRequest{Format: feed.Format(*format), Full: *full, InputName: src}
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
		return describeErr(err)
	}
	run, err = svc.WaitRun(tctx, run.ID)
	if err != nil {
		return err
	}
	cat, lang := i18n.MustLoad(), cliLang()
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(runJSON(cat, lang, run)); err != nil {
			return err
		}
	} else {
		printRun(out, cat, lang, run, time.Since(start))
	}
	if run.Status != catalog.RunSucceeded {
		return errors.New(say(errs.M("catalog.cli.import_failed", "error", run.ErrorText(cat, lang))))
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

// runReport is a run as `catalog import --json` prints it: the API's field
// names, texts in the shell's language.
type runReport struct {
	RunID    string     `json:"run_id"`
	Status   string     `json:"status"`
	Error    string     `json:"error,omitempty"`
	Format   string     `json:"format"`
	Full     bool       `json:"full"`
	Report   *cliReport `json:"report,omitempty"`
	Duration int64      `json:"duration_ms"`
}

type cliReport struct {
	Format    string `json:"format"`
	Rows      int    `json:"rows"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Archived  int    `json:"archived"`
	Rejected  []struct {
		Line   int    `json:"line"`
		SKU    string `json:"sku,omitempty"`
		Reason string `json:"reason"`
	} `json:"rejected"`
	Products struct {
		Created  int `json:"created"`
		Updated  int `json:"updated"`
		Archived int `json:"archived"`
	} `json:"products"`
	Rejects int            `json:"rejected_count"`
	Timings map[string]int `json:"timings_ms,omitempty"`
}

func runJSON(cat *i18n.Catalog, lang string, r *catalog.Run) runReport {
	out := runReport{RunID: r.ID.String(), Status: r.Status, Error: r.ErrorText(cat, lang), Format: string(r.Format), Full: r.Full}
	if r.StartedAt != nil && r.FinishedAt != nil {
		out.Duration = r.FinishedAt.Sub(*r.StartedAt).Milliseconds()
	}
	if rep := r.Report; rep != nil {
		c := &cliReport{Format: rep.Format, Rows: rep.Rows, Created: rep.Created, Updated: rep.Updated, Unchanged: rep.Unchanged,
			Archived: rep.Archived, Rejects: rep.Rejects, Timings: rep.Timings}
		c.Products.Created, c.Products.Updated, c.Products.Archived = rep.Products.Created, rep.Products.Updated, rep.Products.Archived
		c.Rejected = make([]struct {
			Line   int    `json:"line"`
			SKU    string `json:"sku,omitempty"`
			Reason string `json:"reason"`
		}, len(rep.Rejected))
		for i, x := range rep.Rejected {
			c.Rejected[i].Line, c.Rejected[i].SKU, c.Rejected[i].Reason = x.Line, x.SKU, cat.Message(lang, x.Reason)
		}
		out.Report = c
	}
	return out
}

func printRun(w io.Writer, cat *i18n.Catalog, lang string, r *catalog.Run, took time.Duration) {
	line := func(id string, kv ...any) { fmt.Fprintln(w, cat.Message(lang, errs.M(id, kv...))) }
	line("catalog.cli.run", "id", r.ID.String(), "status", r.Status, "format", string(r.Format), "took", took.Round(time.Millisecond).String())
	if len(r.Error) > 0 {
		line("catalog.cli.run_error", "error", r.ErrorText(cat, lang))
	}
	if rep := r.Report; rep != nil {
		line("catalog.cli.rows", "rows", rep.Rows, "created", rep.Created, "updated", rep.Updated, "unchanged", rep.Unchanged,
			"archived", rep.Archived, "rejected", rep.Rejects)
		line("catalog.cli.products", "created", rep.Products.Created, "updated", rep.Products.Updated, "archived", rep.Products.Archived)
		for _, x := range rep.Rejected {
			line("catalog.cli.rejected", "line", x.Line, "sku", x.SKU, "reason", cat.Message(lang, x.Reason))
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
	tctx := identity.WithActor(tenants.WithTenant(ctx, t), identity.SystemActor("seed"))
	run, err := svc.StartRun(tctx, catalog.RunRequest{Input: []byte(buf.String()), InputName: "demo-catalog.csv",
		Format: feed.FormatCSV, Full: true})
	if err != nil {
		return err
	}
	if run, err = svc.WaitRun(tctx, run.ID); err != nil {
		return err
	}
	if run.Status != catalog.RunSucceeded {
		return errors.New(say(errs.M("catalog.cli.seed_failed", "error", run.ErrorText(i18n.MustLoad(), cliLang()))))
	}
	rep := run.Report
	fmt.Fprintln(out, say(errs.M("catalog.cli.seeded", "created", rep.Created, "updated", rep.Updated, "unchanged", rep.Unchanged,
		"products", rep.Products.Created)))
	return nil
}

func catalogReindex(ctx context.Context, cfg config.Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("catalog reindex", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	slug := fs.String("tenant", "", "tenant slug")
	all := fs.Bool("all", false, "every tenant")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 || (*slug == "") == !*all {
		return usage(catalogUsage)
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
			return describeErr(err)
		}
		ts = []tenants.Tenant{*t}
	}
	for i := range ts {
		n, err := svc.Reindex(tenants.WithTenant(ctx, &ts[i]))
		if err != nil {
			return fmt.Errorf("reindex %s: %w", ts[i].Slug, err)
		}
		fmt.Fprintln(out, say(errs.M("catalog.cli.reindexed", "products", n, "tenant", ts[i].Slug)))
	}
	return nil
}
