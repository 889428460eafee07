package catalog_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/modules/catalog"
	"concierge/modules/catalog/feed"
	"concierge/modules/identity"
)

func readFeed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "feeds", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSyncFormats imports the same real-shaped catalog in every format: four
// valid variants of three products, a broken price, a row without SKU and a
// SKU repeated inside the feed are rejected with their lines, and the valid
// rows still import.
func TestSyncFormats(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		file   string
		format feed.Format
	}{
		{"v1.csv", feed.FormatCSV},
		{"v1.tsv", feed.FormatTSV},
		{"v1.json", feed.FormatJSON},
		{"v1.google.tsv", feed.FormatGoogleTSV},
		{"v1.google.xml", feed.FormatGoogleXML},
		{"v1.csv", feed.FormatAuto},
		{"v1.google.xml", feed.FormatAuto},
	} {
		t.Run(tc.file+"/"+string(tc.format), func(t *testing.T) {
			_, ctx := f.newTenant(t)
			run := importBytes(t, f.svc, ctx, readFeed(t, tc.file), tc.format, false)
			if run.Status != catalog.RunSucceeded {
				t.Fatalf("run %s: %s", run.Status, runError(t, run))
			}
			rep := run.Report
			if rep.Created != 4 || rep.Updated != 0 || rep.Products.Created != 3 || rep.Rejects != 3 {
				t.Fatalf("report: created %d updated %d products %d rejected %d: %+v", rep.Created, rep.Updated, rep.Products.Created, rep.Rejects, rep.Rejected)
			}
			reasons, ids := "", map[string]bool{}
			for _, r := range rep.Rejected {
				if r.Line <= 1 {
					t.Errorf("rejection without a line: %+v", r)
				}
				_, en := texts(t, r.Reason) // renders in Arabic too
				reasons += strings.ToLower(en) + "\n"
				ids[r.Reason.ID] = true
			}
			for _, want := range []string{"price", "sku", "duplicate"} {
				if !strings.Contains(reasons, want) {
					t.Errorf("no rejection mentions %q:\n%s", want, reasons)
				}
			}
			if !ids["catalog.feed.duplicate_sku"] || !ids["catalog.feed.required"] {
				t.Errorf("rejections %v: want catalog.feed.duplicate_sku and catalog.feed.required", ids)
			}
			if tc.file == "v1.csv" {
				var lines []int
				for _, r := range rep.Rejected {
					lines = append(lines, r.Line)
				}
				if len(lines) != 3 || lines[0] != 5 || lines[1] != 6 || lines[2] != 8 {
					t.Errorf("rejected lines %v, want [5 6 8]", lines)
				}
			}
			p, err := f.svc.ProductBySKU(ctx, "ABY-1-M")
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Variants) != 2 || p.MinPrice != 34900 || p.Variants[0].CompareAt != 39900 {
				t.Fatalf("abaya: %d variants, min price %d, compare-at %d", len(p.Variants), p.MinPrice, p.Variants[0].CompareAt)
			}
			byS := map[string]catalog.Variant{}
			for _, v := range p.Variants {
				byS[v.SKU] = v
			}
			if byS["ABY-1-S"].StockState() != catalog.StockIn || byS["ABY-1-M"].StockState() != catalog.StockOut {
				t.Fatalf("stock states: S %s, M %s", byS["ABY-1-S"].StockState(), byS["ABY-1-M"].StockState())
			}
			if len(p.Categories) != 1 || len(p.Media) == 0 {
				t.Fatalf("abaya categories %+v media %+v", p.Categories, p.Media)
			}
			thobe, err := f.svc.ProductBySKU(ctx, "TOB-1")
			if err != nil || thobe.Variants[0].Price != 15000 || thobe.TitleEN != "White Cotton Thobe" {
				t.Fatalf("thobe: %+v %v (the duplicate row must not win)", thobe, err)
			}
		})
	}
}

// TestSyncUpdatesAndFullArchive: a second, full feed changes a price,
// keeps an unchanged product, archives the product it no longer lists; the
// cached public read shows the new price right after the run.
func TestSyncUpdatesAndFullArchive(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	run := importBytes(t, f.svc, f.ctx, readFeed(t, "v1.csv"), feed.FormatAuto, false)
	if run.Status != catalog.RunSucceeded {
		t.Fatal(runError(t, run))
	}
	before, err := f.svc.Product(f.ctx, "black-crepe-abaya") // now cached
	if err != nil || before.MinPrice != 34900 {
		t.Fatalf("before: %+v %v", before, err)
	}
	if _, err := f.svc.Product(f.ctx, "oud-oil"); err != nil {
		t.Fatal(err)
	}
	run = importBytes(t, f.svc, f.ctx, readFeed(t, "v2.csv"), feed.FormatCSV, true)
	rep := run.Report
	if run.Status != catalog.RunSucceeded || rep.Updated != 2 || rep.Unchanged != 1 || rep.Created != 0 || rep.Archived != 1 || rep.Products.Archived != 1 {
		t.Fatalf("second run: %s %+v", run.Status, rep)
	}
	after, err := f.svc.Product(f.ctx, "black-crepe-abaya")
	if err != nil || after.MinPrice != 29900 || after.Variants[0].Price != 29900 {
		t.Fatalf("after: stale price %d (%v)", after.MinPrice, err)
	}
	if _, err := f.svc.Product(f.ctx, "oud-oil"); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("archived product still public: %v", err)
	}
	staff, err := f.svc.StaffProduct(f.ctx, "oud-oil")
	if err != nil || staff.Status != catalog.StatusArchived || !staff.Variants[0].Archived {
		t.Fatalf("staff view of the archived product: %+v %v", staff, err)
	}
	// The same full feed again changes nothing.
	run = importBytes(t, f.svc, f.ctx, readFeed(t, "v2.csv"), feed.FormatCSV, true)
	if rep := run.Report; rep.Unchanged != 3 || rep.Updated+rep.Created+rep.Archived != 0 {
		t.Fatalf("third run: %+v", rep)
	}
	// Re-executing a finished run is a no-op (jobs are retried).
	if err := f.svc.ExecuteRun(f.ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	again, err := f.svc.Run(f.ctx, run.ID)
	if err != nil || again.Report.Unchanged != 3 || again.FinishedAt == nil || !again.FinishedAt.Equal(*run.FinishedAt) {
		t.Fatalf("re-run changed the run: %+v %v", again, err)
	}
	// A product made through the API is never archived by a feed.
	if _, err := f.svc.CreateProduct(f.ctx, catalog.ProductInput{TitleEN: "Gift Card", Variants: []catalog.VariantInput{{SKU: "GIFT-100", Price: 10000}}}); err != nil {
		t.Fatal(err)
	}
	run = importBytes(t, f.svc, f.ctx, readFeed(t, "v2.csv"), feed.FormatCSV, true)
	if run.Report.Archived != 0 {
		t.Fatalf("full run archived %d API-made variants", run.Report.Archived)
	}
	if _, err := f.svc.ProductBySKU(f.ctx, "GIFT-100"); err != nil {
		t.Fatal(err)
	}
}

// TestSyncURLRefusedUnlessAllowed: a feed URL on 127.0.0.1 fails the run
// (SSRF rules) and works only with the test allow-list.
func TestSyncURLRefusedUnlessAllowed(t *testing.T) {
	t.Parallel()
	body := readFeed(t, "v1.csv")
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_, _ = w.Write(body)
	}))
	defer srv.Close()

	f := newFixture(t)
	src, err := f.svc.CreateSource(f.ctx, catalog.SourceInput{Name: "Shopify export", Kind: "url", URL: srv.URL + "/feed.csv"})
	if err != nil {
		t.Fatal(err)
	}
	run, err := f.svc.StartRun(f.ctx, catalog.RunRequest{SourceID: &src.ID})
	if err != nil {
		t.Fatal(err)
	}
	done, err := f.svc.WaitRun(f.ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(done.Error) != 1 || done.Error[0].ID != "catalog.run.fetch_blocked" {
		t.Fatalf("loopback pull: error %v", done.Error)
	}
	if ar, en := texts(t, done.Error...); done.Status != catalog.RunFailed || !strings.Contains(en, "127.0.0.1") || !strings.Contains(ar, "127.0.0.1") || hits != 0 {
		t.Fatalf("loopback pull: status %s, error %q / %q, server hits %d", done.Status, en, ar, hits)
	}

	allowed := newFixture(t, func(c *catalog.Config) {
		c.Fetch.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	run, err = allowed.svc.StartRun(allowed.ctx, catalog.RunRequest{URL: srv.URL + "/feed.csv"})
	if err != nil {
		t.Fatal(err)
	}
	done, err = allowed.svc.WaitRun(allowed.ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != catalog.RunSucceeded || done.Report.Created != 4 || hits != 1 {
		t.Fatalf("allowed pull: %s %q %+v hits %d", done.Status, runError(t, done), done.Report, hits)
	}
}

// TestSyncBrokenFileFailsRun: a file that is not the format at all fails the
// run with a clear error and writes nothing.
func TestSyncBrokenFileFailsRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	run := importBytes(t, f.svc, f.ctx, []byte(`{"items": [ {"sku": "X", "title_en": "Y", "price": "1.00"`), feed.FormatJSON, false)
	if run.Status != catalog.RunFailed || len(run.Error) != 2 || run.Error[0].ID != "catalog.run.parse_failed" ||
		run.Error[1].ID != "catalog.feed.file.json_ends_early" {
		t.Fatalf("broken JSON: %s %v", run.Status, run.Error)
	}
	ar, en := texts(t, run.Error...)
	if en != "could not read the file as json: the file is malformed: the JSON ends early, on line 1" ||
		ar != "تعذّرت قراءة الملف بصيغة json: الملف تالف: ينتهي JSON قبل أوانه، في السطر 1" {
		t.Fatalf("broken JSON: %q / %q", en, ar)
	}
	page, err := f.svc.List(f.ctx, catalog.Query{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("a failed run wrote %d products (%v)", len(page.Items), err)
	}
}

// TestCacheConsistencyCheck plants a stale cached price (as a lost version
// bump would leave) and expects the check to report and drop it.
func TestCacheConsistencyCheck(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	importBytes(t, f.svc, f.ctx, readFeed(t, "v1.csv"), feed.FormatCSV, false)
	if _, err := f.svc.Product(f.ctx, "white-cotton-thobe"); err != nil {
		t.Fatal(err)
	}
	rep, err := f.svc.CheckConsistency(f.ctx)
	if err != nil || rep.Checked != 1 || rep.Drifted != 0 {
		t.Fatalf("clean cache: %+v %v", rep, err)
	}
	key, err := f.svc.PlantCachedPrice(f.ctx, "white-cotton-thobe", 1)
	if err != nil {
		t.Fatal(err)
	}
	// The documented key: {prefix}{tenant}:catalog:<version>:<codec>:p:<ref>,
	// holding the cache's own encoding, not the API's JSON.
	if want := f.env.Prefix + "{" + f.tenant.ID.String() + "}:catalog:" + rep.Version + ":d1:p:white-cotton-thobe"; key != want {
		t.Fatalf("cache key %q, want %q", key, want)
	}
	raw, err := f.env.Redis.Get(context.Background(), key).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	var entry map[string]any
	if err := json.Unmarshal(raw, &entry); err != nil || entry["title_ar"] == nil || entry["title"] != nil {
		t.Fatalf("the cache holds the API's JSON, not its own encoding: %s", raw)
	}
	rep, err = f.svc.CheckConsistency(f.ctx)
	if err != nil || rep.Drifted != 1 || len(rep.Drift) != 1 || rep.Drift[0].Field != "price" || rep.Drift[0].Cached != "1" || rep.Drift[0].Stored != "15000" {
		t.Fatalf("drift report: %+v %v", rep, err)
	}
	fresh, err := f.svc.Product(f.ctx, "white-cotton-thobe")
	if err != nil || fresh.Variants[0].Price != 15000 {
		t.Fatalf("after the check: %+v %v", fresh, err)
	}
}

// TestScheduledPulls: a URL source with an interval gets a run when due, one
// at a time, and not again before its next time.
func TestScheduledPulls(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	other := f.other(t)
	src, err := f.svc.CreateSource(f.ctx, catalog.SourceInput{Name: "nightly", Kind: "url", URL: "https://feeds.example.sa/a.csv", IntervalMinutes: 60})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.svc.CreateSource(other.ctx, catalog.SourceInput{Name: "manual", Kind: "url", URL: "https://feeds.example.sa/b.csv"}); err != nil {
		t.Fatal(err)
	}
	started, err := f.svc.StartDueRuns(context.Background())
	if err != nil || started != 1 {
		t.Fatalf("first scan: started %d, %v", started, err)
	}
	runs, err := f.svc.Runs(f.ctx, &src.ID, 10)
	if err != nil || len(runs) != 1 || runs[0].Status != catalog.RunQueued || runs[0].URL != src.URL || runs[0].RequestedBy != "system:catalog.schedule" {
		t.Fatalf("scheduled run: %+v %v", runs, err)
	}
	if again, err := f.svc.StartDueRuns(context.Background()); err != nil || again != 0 {
		t.Fatalf("second scan started %d (%v); the source is not due for an hour", again, err)
	}
	if runs, _ := other.svc.Runs(other.ctx, nil, 10); len(runs) != 0 {
		t.Fatalf("a source without an interval was scheduled: %+v", runs)
	}
	got, err := f.svc.Source(f.ctx, src.ID)
	if err != nil || got.NextRunAt == nil || time.Until(*got.NextRunAt) < 59*time.Minute {
		t.Fatalf("next run at %v (%v)", got.NextRunAt, err)
	}
}

// TestRunRequestedBy: a run records who asked for it, in the one form of
// identity.Actor.
func TestRunRequestedBy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := identity.WithActor(f.ctx, identity.CLIActor("ops"))
	run, err := f.svc.StartRun(ctx, catalog.RunRequest{Input: readFeed(t, "v1.csv"), Format: feed.FormatCSV})
	if err != nil {
		t.Fatal(err)
	}
	if run.RequestedBy != "cli:ops" {
		t.Fatalf("requested by %q", run.RequestedBy)
	}
	got, err := f.svc.Run(f.ctx, run.ID)
	if err != nil || got.RequestedBy != "cli:ops" {
		t.Fatalf("stored requested_by %q (%v)", got.RequestedBy, err)
	}
	if run, err = f.svc.StartRun(f.ctx, catalog.RunRequest{Input: readFeed(t, "v1.csv")}); err != nil || run.RequestedBy != "system:unknown" {
		t.Fatalf("no actor: %q %v", run.RequestedBy, err)
	}
}

// TestRunsStoredBeforeMessages: runs written before reasons and errors were
// messages (an English sentence in catalog_runs.report and .error) still
// read back, as the sentence; new ones keep their values exactly (a limit
// of 2147483647 is not 2.147483647e+09 after the jsonb round trip).
func TestRunsStoredBeforeMessages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	csv := "sku,title_en,price,stock\nA-1,Oud,10,2147483648\nA-2,Musk,12,1\n"
	run := importBytes(t, f.svc, f.ctx, []byte(csv), feed.FormatCSV, false)
	if run.Report.Rejects != 1 {
		t.Fatalf("report: %+v", run.Report)
	}
	ar, en := texts(t, run.Report.Rejected[0].Reason)
	if en != `stock "2147483648" is too large (at most 2147483647)` || ar != `stock "2147483648" كبير جدًا (الحد الأقصى 2147483647)` {
		t.Fatalf("reason after the round trip: %q / %q", en, ar)
	}
	old := `{"format":"csv","rows":2,"created":1,"updated":0,"unchanged":0,"archived":0,"rejected":[{"line":2,"sku":"A-1","reason":"stock \"2147483648\" is too large (at most 2147483647)"}],"products":{"created":1,"updated":0,"archived":0},"rejected_count":1}`
	err := f.env.Scope.InTenantTx(f.ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw("UPDATE catalog_runs SET report = ?::jsonb, error = ? WHERE id = ?", old, "could not fetch the feed: timed out", run.ID).Exec(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Run(f.ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := got.Report.Rejected
	if len(r) != 1 || r[0].Line != 2 || r[0].SKU != "A-1" || r[0].Reason.ID != "catalog.legacy_text" || got.Report.Created != 1 {
		t.Fatalf("old report: %+v", got.Report)
	}
	if ar, en := texts(t, r[0].Reason); en != `stock "2147483648" is too large (at most 2147483647)` || ar != en {
		t.Fatalf("old reason: %q / %q", en, ar)
	}
	if ar, en := texts(t, got.Error...); en != "could not fetch the feed: timed out" || ar != en {
		t.Fatalf("old error: %q / %q", en, ar)
	}
}
