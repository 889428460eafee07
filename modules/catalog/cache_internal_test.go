package catalog

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"concierge/internal/safefetch"
	"concierge/internal/testenv"
	"concierge/modules/catalog/demo"
	"concierge/modules/catalog/feed"
	"concierge/modules/moduletest"
)

var intCodec = codec[int]{
	encode: func(v int) ([]byte, error) { return []byte(strconv.Itoa(v)), nil },
	decode: func(b []byte) (int, error) { return strconv.Atoi(string(b)) },
}

// TestCachedFillsOnce: concurrent misses of one entry run its fill once and
// all get its value; a failed fill is not shared (each waiter fills for
// itself), and a waiter whose context ends stops waiting.
func TestCachedFillsOnce(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	c := newCache(rdb, prefix, time.Minute, slog.New(slog.NewTextHandler(io.Discard, nil)), newMetrics())
	tenant := uuid.New()
	ctx := context.Background()

	var fills atomic.Int32
	release := make(chan struct{})
	slow := func() (int, error) {
		fills.Add(1)
		<-release
		return 42, nil
	}
	const n = 20
	var wg sync.WaitGroup
	got := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = cached(ctx, c, tenant, "1", "k:a", intCodec, slow)
		}()
	}
	// Every caller has missed and joined the fill before it ends.
	waitJoined(t, c, tenant, "1", "k:a", n-1)
	close(release)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || got[i] != 42 {
			t.Fatalf("caller %d: %d, %v", i, got[i], errs[i])
		}
	}
	if f := fills.Load(); f != 1 {
		t.Fatalf("%d fills for %d concurrent misses, want 1", f, n)
	}
	// Another version is another entry.
	if v, err := cached(ctx, c, tenant, "2", "k:a", intCodec, func() (int, error) { return 7, nil }); err != nil || v != 7 {
		t.Fatalf("version 2: %d, %v", v, err)
	}

	// A failed fill: the waiters fill for themselves.
	boom := errors.New("boom")
	var tries atomic.Int32
	gate := make(chan struct{})
	failing := func() (int, error) {
		if tries.Add(1) == 1 {
			<-gate
			return 0, boom
		}
		return 9, nil
	}
	first := make(chan error)
	go func() {
		_, err := cached(ctx, c, tenant, "1", "k:b", intCodec, failing)
		first <- err
	}()
	waitJoined(t, c, tenant, "1", "k:b", 0)
	second := make(chan int)
	go func() {
		v, _ := cached(ctx, c, tenant, "1", "k:b", intCodec, failing)
		second <- v
	}()
	waitJoined(t, c, tenant, "1", "k:b", 1)
	close(gate)
	if err := <-first; !errors.Is(err, boom) {
		t.Fatalf("first caller: %v, want the fill's error", err)
	}
	if v := <-second; v != 9 {
		t.Fatalf("waiter after a failed fill: %d, want its own fill's 9", v)
	}

	// A value made from other entries is returned, not kept.
	var made atomic.Int32
	fromCache := func() (int, error) { made.Add(1); return 5, errMadeFromCache }
	for range 2 {
		if v, err := cached(ctx, c, tenant, "1", "k:d", intCodec, fromCache); err != nil || v != 5 {
			t.Fatalf("made from the cache: %d, %v", v, err)
		}
	}
	if made.Load() != 2 {
		t.Fatalf("a value made from the cache was kept: %d fills for 2 reads", made.Load())
	}

	// A waiter whose context ends returns.
	hold := make(chan struct{})
	defer close(hold)
	go func() {
		_, _ = cached(ctx, c, tenant, "1", "k:c", intCodec, func() (int, error) { <-hold; return 1, nil })
	}()
	waitJoined(t, c, tenant, "1", "k:c", 0)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := cached(short, c, tenant, "1", "k:c", intCodec, func() (int, error) { return 2, nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiter with an ended context: %v", err)
	}
}

// waitJoined waits until the fill of key under version is running with
// waiters callers waiting for it.
func waitJoined(t *testing.T, c *cache, tenant uuid.UUID, version, key string, waiters int32) {
	t.Helper()
	full := c.entryKey(tenant, version, key)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if f, ok := c.fills.Load(full); ok && f.(*flight).waiters.Load() == waiters {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fill of %s has not %d waiters", key, waiters)
		}
		runtime.Gosched()
	}
}

// TestQueryKeySharesMeaning: queries that search the same way share a cache
// key — request words, punctuation, spelling variants and the default page
// size do not split them, an understood query shares with the explicit
// filters it means — and queries that differ do not.
func TestQueryKeySharesMeaning(t *testing.T) {
	t.Parallel()
	p := func(v int64) *int64 { return &v }
	facets := Facets{Options: []OptionValue{{Option: "size", EN: "M"}, {Option: "colour", EN: "Black", AR: "أسود"}}}
	understood := func(q Query) Query {
		q.Understand = true
		out, _ := q.apply(facets, "SAR")
		out.Understand, out.Literal = false, ""
		return out
	}
	same := []struct {
		name string
		a, b Query
	}{
		{"request words", Query{Q: "ابحث عن عباية"}, Query{Q: "عباية"}},
		{"spelling and punctuation", Query{Q: "عباية؟"}, Query{Q: "عبايه"}},
		{"default limit", Query{Q: "abaya"}, Query{Q: "abaya", Limit: DefaultPerPage}},
		{"price words", understood(Query{Q: "abaya under 200", Limit: 24}), Query{Q: "abaya", MaxPrice: p(20000), Limit: 24}},
		{"arabic price words", understood(Query{Q: "عطر أقل من ٣٠٠", Limit: 24}), Query{Q: "عطر", MaxPrice: p(30000), Limit: 24}},
		{"colour and size words", understood(Query{Q: "black abaya size M", Limit: 24}),
			Query{Q: "abaya", Options: map[string]string{"colour": "Black", "size": "M"}, Limit: 24}},
		{"both languages' filters", understood(Query{Q: "عباية سوداء مقاس M", Limit: 24}),
			Query{Q: "عباية", Options: map[string]string{"colour": "black", "size": "m"}, Limit: 24}},
	}
	for _, tt := range same {
		if queryKey(tt.a) != queryKey(tt.b) {
			t.Errorf("%s: %+v and %+v have different keys", tt.name, tt.a, tt.b)
		}
	}
	differ := []struct {
		name string
		a, b Query
	}{
		{"words", Query{Q: "abaya"}, Query{Q: "abayas"}},
		{"ceiling", Query{Q: "abaya", MaxPrice: p(20000)}, Query{Q: "abaya", MaxPrice: p(20100)}},
		{"limit", Query{Q: "abaya", Limit: 10}, Query{Q: "abaya", Limit: 24}},
		{"status", Query{Q: "abaya"}, Query{Q: "abaya", Status: StatusActive}},
		{"cursor", Query{Q: "abaya"}, Query{Q: "abaya", Cursor: "x"}},
		{"understood or not", Query{Q: "abaya under 200", Understand: true}, Query{Q: "abaya under 200"}},
		{"price sign to understand", Query{Q: "abaya < 200", Understand: true}, Query{Q: "abaya 200", Understand: true}},
		{"option", Query{Q: "abaya", Options: map[string]string{"size": "M"}}, Query{Q: "abaya", Options: map[string]string{"size": "L"}}},
	}
	for _, tt := range differ {
		if queryKey(tt.a) == queryKey(tt.b) {
			t.Errorf("%s: %+v and %+v share a key", tt.name, tt.a, tt.b)
		}
	}
}

// TestRankingPage: a ranking narrowed by price, stock and a cursor keeps the
// database's order, and says when it cannot answer (too few of its best
// matches pass, the ranking is not complete).
func TestRankingPage(t *testing.T) {
	t.Parallel()
	id := func(n byte) uuid.UUID { return uuid.UUID{15: n} }
	p := func(v int64) *int64 { return &v }
	r := ranking{Complete: true, Hits: []rankedHit{
		{ID: id(1), Score: 2.5, MinPrice: 100, MaxPrice: 300, InStock: true},
		{ID: id(2), Score: 2, MinPrice: 500, MaxPrice: 500, InStock: true},
		{ID: id(3), Score: 2, MinPrice: 50, MaxPrice: 80},
		{ID: id(4), Score: 1.5, MinPrice: 200, MaxPrice: 200, InStock: true},
		{ID: id(5), Score: 1, MinPrice: 90, MaxPrice: 90, InStock: true},
	}}
	ids := func(hs []rankedHit) (out []byte) {
		for _, h := range hs {
			out = append(out, h.ID[15])
		}
		return out
	}
	tests := []struct {
		name      string
		r         ranking
		after     *cursor
		min, max  *int64
		inStock   bool
		limit     int
		want      []byte
		wantExact bool
	}{
		{name: "first page", r: r, limit: 2, want: []byte{1, 2, 3}, wantExact: true},
		{name: "ceiling", r: r, max: p(200), limit: 2, want: []byte{1, 3, 4}, wantExact: true},
		{name: "floor and stock", r: r, min: p(150), inStock: true, limit: 5, want: []byte{1, 2, 4}, wantExact: true},
		{name: "after a tie", r: r, after: &cursor{Score: 2, ID: id(2)}, limit: 5, want: []byte{3, 4, 5}, wantExact: true},
		{name: "after the last", r: r, after: &cursor{Score: 1, ID: id(5)}, limit: 5, want: nil, wantExact: true},
		{name: "incomplete, enough", r: ranking{Hits: r.Hits}, max: p(200), limit: 2, want: []byte{1, 3, 4}, wantExact: true},
		{name: "incomplete, too few", r: ranking{Hits: r.Hits}, max: p(90), limit: 2, want: []byte{3, 5}, wantExact: false},
		{name: "incomplete, past the cursor", r: ranking{Hits: r.Hits}, after: &cursor{Score: 0.5, ID: id(9)}, limit: 2, wantExact: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, exact := tt.r.page(tt.after, tt.min, tt.max, tt.inStock, tt.limit)
			if string(ids(got)) != string(tt.want) || exact != tt.wantExact {
				t.Fatalf("page = %v, %v; want %v, %v", ids(got), exact, tt.want, tt.wantExact)
			}
		})
	}
	// The codec keeps every field.
	b, err := rankingCodec.encode(r)
	if err != nil {
		t.Fatal(err)
	}
	back, err := rankingCodec.decode(b)
	if err != nil || !reflect.DeepEqual(back, r) {
		t.Fatalf("decode(encode(r)) = %+v, %v", back, err)
	}
	if _, err := rankingCodec.decode(b[:len(b)-1]); err == nil {
		t.Fatal("a cut entry decodes")
	}
}

// TestListSearchMatchesDatabase: a search answered from the cached ranking
// and the product cache gives the database's answer — the same products in
// the same order, the same cursors, page after page — for plain and
// understood queries, price ranges, stock, brand, category and options, and
// the first page of one search serves another price range from the cache.
func TestListSearchMatchesDatabase(t *testing.T) {
	t.Parallel()
	env := moduletest.New(t)
	svc := New(Config{Fetch: safefetch.Config{Timeout: 10 * time.Second}, AllowHTTPLinks: true},
		Deps{Scope: env.Scope, Tenants: env.Tenants, Jobs: env.Jobs, Redis: env.Redis, RedisPrefix: env.Prefix, Log: env.Log, Messages: env.Catalog})
	shop := env.Tenant(t, "shop")
	ctx := shop.Ctx
	var buf bytes.Buffer
	if err := demo.WriteCSV(&buf, demo.Catalog("https://media.test")); err != nil {
		t.Fatal(err)
	}
	// Enough products that one letter matches more than maxRanked of them.
	if err := demo.Large(&buf, 6000, 7); err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{buf.Bytes()} {
		run, err := svc.StartRun(ctx, RunRequest{Input: b, InputName: "test-feed", Format: feed.FormatCSV})
		if err != nil {
			t.Fatal(err)
		}
		if run, err = svc.WaitRun(ctx, run.ID); err != nil || run.Status != RunSucceeded {
			t.Fatalf("import: %v %+v", err, run)
		}
	}
	version, err := svc.cache.version(ctx, shop.Tenant.ID)
	if err != nil || version == "" {
		t.Fatalf("version %q, %v", version, err)
	}
	p := func(v int64) *int64 { return &v }
	queries := []Query{
		{Q: "abaya"}, {Q: "عباية", Limit: 7}, {Q: "black abaya", Limit: 5}, {Q: "عطر", MaxPrice: p(30000), Limit: 6},
		{Q: "perfume", MinPrice: p(20000), MaxPrice: p(60000), Limit: 4}, {Q: "watch", InStock: true, Limit: 8},
		{Q: "dress", Options: map[string]string{"size": "M"}, Limit: 6}, {Q: "shoes", Brand: "layan", Limit: 5},
		{Q: "thobe", Category: "men", Limit: 6}, {Q: "ساعه ذكيه", MaxPrice: p(100000), Limit: 3},
		{Q: "abaya", MaxPrice: p(1000)}, {Q: "iphnoe 15"}, {Q: "zzqxvw"}, {Q: "قهوه", Limit: 100},
		{Q: "abaya under 200", Understand: true, Limit: 24}, {Q: "عباية سوداء مقاس M", Understand: true, Limit: 24},
		// More matches than a ranking keeps: enough of them in its best, or
		// (a low ceiling) not.
		{Q: "a", Limit: 40}, {Q: "a", MaxPrice: p(3500), Limit: 10},
	}
	facets, err := svc.facetsAt(ctx, shop.Tenant, version)
	if err != nil {
		t.Fatal(err)
	}
	encode := func(ps []Product) string {
		var out []string
		for i := range ps {
			b, err := productCodec.encode(&ps[i])
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
		return strings.Join(out, "\n")
	}
	for _, q := range queries {
		if q.Understand {
			q, _ = q.apply(facets, "SAR")
			q.Understand = false
		}
		t.Run(q.Q, func(t *testing.T) {
			db, cached := q, q
			for n := 0; ; n++ {
				want, err := svc.list(ctx, db)
				if err != nil {
					t.Fatal(err)
				}
				got, err := svc.listSearch(ctx, shop.Tenant, version, cached)
				if err != nil && !errors.Is(err, errMadeFromCache) {
					t.Fatal(err)
				}
				if got.NextCursor != want.NextCursor || encode(got.Items) != encode(want.Items) {
					t.Fatalf("page %d: cache %d items (next %q), database %d items (next %q)", n, len(got.Items), got.NextCursor,
						len(want.Items), want.NextCursor)
				}
				if want.NextCursor == "" || n == 4 {
					return
				}
				db.Cursor, cached.Cursor = want.NextCursor, got.NextCursor
			}
		})
	}
	if r, err := svc.rankingAt(ctx, shop.Tenant, version, parseQuery("a"), Query{Q: "a"}); err != nil || r.Complete || len(r.Hits) != maxRanked {
		t.Fatalf("the ranking of a: %d hits, complete %v, %v; want the best %d", len(r.Hits), r.Complete, err, maxRanked)
	}
	// Another price range of a search already ranked is read from the
	// cache: the ranking and the products.
	count := func(c prometheus.Counter) float64 {
		var m dto.Metric
		if err := c.(prometheus.Metric).Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetCounter().GetValue()
	}
	hits, misses := count(svc.metrics.hit), count(svc.metrics.miss)
	page, err := svc.listSearch(ctx, shop.Tenant, version, Query{Q: "abaya", MaxPrice: p(45600), Limit: 5})
	if !errors.Is(err, errMadeFromCache) || len(page.Items) == 0 {
		t.Fatalf("abaya up to 456 SAR: %d items, %v", len(page.Items), err)
	}
	if count(svc.metrics.hit)-hits != 1 || count(svc.metrics.miss) != misses {
		t.Errorf("another price range of a ranked search: %v hits, %v misses; want its ranking from the cache",
			count(svc.metrics.hit)-hits, count(svc.metrics.miss)-misses)
	}
}

// TestCachedReadersGetTheirOwnCopy: the process's copy decodes an entry
// once and hands out clones, so what one reader changes no other sees.
func TestCachedReadersGetTheirOwnCopy(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	c := newCache(rdb, prefix, time.Minute, slog.New(slog.NewTextHandler(io.Discard, nil)), newMetrics())
	tenant, ctx := uuid.New(), context.Background()
	stock := 3
	parent := uuid.New()
	want := &Product{ID: uuid.New(), Slug: "abaya", Attributes: map[string]string{"fabric": "crepe"},
		Categories: []CategoryRef{{Slug: "abayas"}}, Media: []Media{{URL: "https://media.test/a.png"}},
		Variants: []Variant{{SKU: "A-M", Price: 19900, Stock: &stock, Options: []Option{{Name: "Size", Value: "M"}}}}}
	fill := func() (*Product, error) { return want, nil }
	for i := range 3 {
		p, err := cached(ctx, c, tenant, "1", "p:abaya", productCodec, fill)
		if err != nil {
			t.Fatal(err)
		}
		v := p.Variants[0]
		if v.Price != 19900 || *v.Stock != 3 || v.Options[0].Value != "M" || p.Attributes["fabric"] != "crepe" ||
			p.Categories[0].Slug != "abayas" || p.Media[0].URL != "https://media.test/a.png" {
			t.Fatalf("read %d: %+v", i, p)
		}
		p.Variants[0].Price, *p.Variants[0].Stock, p.Variants[0].Options[0].Value = 1, 0, "XL"
		p.Attributes["fabric"], p.Categories[0].Slug, p.Media[0].URL = "silk", "x", "y"
	}
	for i := range 3 {
		cs, err := cached(ctx, c, tenant, "1", "c:all", categoriesCodec, func() ([]Category, error) {
			id := parent
			return []Category{{Slug: "women"}, {Slug: "abayas", ParentID: &id}}, nil
		})
		if err != nil || len(cs) != 2 || cs[0].Slug != "women" || *cs[1].ParentID != parent {
			t.Fatalf("read %d: %+v, %v", i, cs, err)
		}
		cs[0].Slug, *cs[1].ParentID = "x", uuid.Nil
	}
	for i := range 3 {
		f, err := cached(ctx, c, tenant, "1", "f:all", facetsCodec, func() (Facets, error) {
			return Facets{Brands: []string{"Layan"}, Options: []OptionValue{{Option: "size", EN: "M"}}}, nil
		})
		if err != nil || f.Brands[0] != "Layan" || f.Options[0].EN != "M" {
			t.Fatalf("read %d: %+v, %v", i, f, err)
		}
		f.Brands[0], f.Options[0].EN = "x", "y"
	}
}
