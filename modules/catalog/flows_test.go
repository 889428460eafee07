package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"concierge/modules/catalog"
	"concierge/modules/whatsapp/dialog"
	"concierge/modules/whatsapp/dialog/transcript"
)

var update = flag.Bool("update", false, "rewrite testdata/transcripts/*.txt with the flows' current replies (review the diff!)")

// flowTenant is the dialog tenant every transcript assumes.
var flowTenant = dialog.Tenant{
	NameAR:        "متجر النخبة",
	NameEN:        "Nukhba Store",
	DefaultLocale: "ar",
	PrivacyURL:    "https://nukhba.example/privacy",
	NoticeVersion: "2025-01",
}

// flowTranscripts are the golden conversations in testdata/transcripts, each
// driven through the real engine on the demo catalog by a customer who has
// chosen locale and consented.
var flowTranscripts = []struct {
	file          string
	locale        string
	metaCatalogID string
}{
	{file: "browse.txt", locale: "ar"},
	{file: "paging.txt", locale: "ar"},
	{file: "variants.txt", locale: "ar"},
	{file: "search.txt", locale: "ar"},
	{file: "no_results.txt", locale: "ar"},
	{file: "chat_to_order.txt", locale: "ar"},
	{file: "english.txt", locale: "en"},
	{file: "meta_catalog.txt", locale: "ar", metaCatalogID: "1234567890"},
}

func TestFlowTranscripts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedDemo(t)
	ids := learnIDs(t, f)

	files, err := filepath.Glob(filepath.Join("testdata", "transcripts", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if !slices.ContainsFunc(flowTranscripts, func(tc struct{ file, locale, metaCatalogID string }) bool {
			return tc.file == filepath.Base(file)
		}) {
			t.Errorf("%s is not in flowTranscripts: it would never run", file)
		}
	}
	for _, tc := range flowTranscripts {
		t.Run(strings.TrimSuffix(tc.file, ".txt"), func(t *testing.T) {
			t.Parallel()
			file := filepath.Join("testdata", "transcripts", tc.file)
			newSession := func() *flowSession {
				s := newFlowSession(t, f.ctx, dialog.New(nil, catalog.NewFlows(f.svc, dialog.Words{})), ids, tc.locale)
				s.tenant.MetaCatalogID = tc.metaCatalogID
				return s
			}
			if *update {
				src, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				out, err := transcript.Rewrite(bytes.NewReader(src), newSession().drive)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			turns, err := transcript.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			transcript.Run(t, turns, newSession().drive)
		})
	}
}

// stableIDs names a seeded catalog's ids so transcripts do not depend on the
// UUIDs of one run: a category is <c:slug>, a product <p:slug>, a variant
// <v:SKU>. Customer taps in a transcript use the same names.
type stableIDs struct {
	name map[string]string // uuid → "c:women-abayas"
	id   map[string]string // "c:women-abayas" → uuid
}

func learnIDs(t *testing.T, f *fixture) *stableIDs {
	t.Helper()
	s := &stableIDs{name: map[string]string{}, id: map[string]string{}}
	add := func(id uuid.UUID, name string) {
		if _, dup := s.id[name]; dup {
			t.Fatalf("two ids named %s", name)
		}
		s.name[id.String()], s.id[name] = name, id.String()
	}
	cs, err := f.svc.Categories(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		add(c.ID, "c:"+c.Slug)
	}
	cursor := ""
	for {
		page, err := f.svc.List(f.ctx, catalog.Query{Limit: catalog.MaxPageSize, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Items {
			add(p.ID, "p:"+p.Slug)
			for _, v := range p.Variants {
				add(v.ID, "v:"+v.SKU)
			}
		}
		if cursor = page.NextCursor; cursor == "" {
			return s
		}
	}
}

// flowSession plays the conversation worker for one transcript: it keeps
// the customer and the state (round-tripped through JSON) between turns,
// writes reply ids with stable names and reads them back from taps. List
// cursors are named <cursor1>, <cursor2>, ... in the order they appear.
type flowSession struct {
	t        testing.TB
	ctx      context.Context
	eng      *dialog.Engine
	ids      *stableIDs
	tenant   dialog.Tenant
	customer dialog.Customer
	state    []byte
	cursors  map[string]string // cursor → "cursor1"
	cursorOf map[string]string // "cursor1" → cursor
}

func newFlowSession(t testing.TB, ctx context.Context, eng *dialog.Engine, ids *stableIDs, locale string) *flowSession {
	return &flowSession{t: t, ctx: ctx, eng: eng, ids: ids, tenant: flowTenant,
		customer: dialog.Customer{Locale: locale, Consent: dialog.ConsentGranted},
		cursors:  map[string]string{}, cursorOf: map[string]string{}}
}

var placeholder = regexp.MustCompile(`<([^<>]+)>`)

// drive runs one turn.
func (s *flowSession) drive(in dialog.Inbound) []dialog.Reply {
	s.t.Helper()
	in.ReplyID = placeholder.ReplaceAllStringFunc(in.ReplyID, func(m string) string {
		name := m[1 : len(m)-1]
		if id, ok := s.ids.id[name]; ok {
			return id
		}
		if c, ok := s.cursorOf[name]; ok {
			return c
		}
		s.t.Fatalf("reply id %q: unknown name %s", in.ReplyID, m)
		return m
	})
	var st dialog.State
	if s.state != nil {
		if err := json.Unmarshal(s.state, &st); err != nil {
			s.t.Fatalf("state: %v", err)
		}
	}
	res, err := s.eng.Handle(s.ctx, dialog.Request{Tenant: s.tenant, Customer: s.customer, State: st, In: in,
		Now: time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)})
	if err != nil {
		s.t.Fatalf("Handle(%+v): %v", in, err)
	}
	for _, e := range res.Effects {
		if e.Kind == dialog.EffectLocaleSet {
			s.customer.Locale = e.Value
		}
	}
	if s.state, err = json.Marshal(res.State); err != nil {
		s.t.Fatalf("state: %v", err)
	}
	checkLimits(s.t, res.Replies)
	out := make([]dialog.Reply, len(res.Replies))
	for i, r := range res.Replies {
		r.Options = slices.Clone(r.Options)
		for j := range r.Options {
			r.Options[j].ID = s.stable(r.Options[j].ID)
		}
		out[i] = r
	}
	return out
}

// stable writes an id with names instead of UUIDs and cursors.
func (s *flowSession) stable(id string) string {
	parts := strings.Split(id, ":")
	for i, p := range parts {
		if name, ok := s.ids.name[p]; ok {
			parts[i] = "<" + name + ">"
		} else if _, err := uuid.Parse(p); err == nil {
			s.t.Fatalf("reply id %q: unknown UUID %s", id, p)
		}
	}
	last := len(parts) - 1
	if strings.HasPrefix(id, "catalog:more:") && !strings.HasPrefix(parts[last], "<") {
		if _, err := strconv.Atoi(parts[last]); err != nil {
			c := parts[last]
			if s.cursors[c] == "" {
				name := "cursor" + strconv.Itoa(len(s.cursors)+1)
				s.cursors[c], s.cursorOf[name] = name, c
			}
			parts[last] = "<" + s.cursors[c] + ">"
		}
	}
	return strings.Join(parts, ":")
}

// checkLimits holds replies to WhatsApp's limits.
func checkLimits(t testing.TB, replies []dialog.Reply) {
	t.Helper()
	runes := utf8.RuneCountInString
	for _, r := range replies {
		switch r.Kind {
		case dialog.ReplyButtons:
			if len(r.Options) == 0 || len(r.Options) > dialog.MaxButtons {
				t.Errorf("%d buttons: %+v", len(r.Options), r)
			}
		case dialog.ReplyList:
			if len(r.Options) == 0 || len(r.Options) > dialog.MaxListRows {
				t.Errorf("%d rows: %+v", len(r.Options), r)
			}
			if runes(r.ListButton) > dialog.MaxListButton {
				t.Errorf("list button %q too long", r.ListButton)
			}
		case dialog.ReplyProductList:
			n := 0
			for _, s := range r.Sections {
				n += len(s.SKUs)
				if runes(s.Title) > dialog.MaxListTitle {
					t.Errorf("section title %q too long", s.Title)
				}
			}
			if n == 0 || n > 30 || r.Header == "" || r.Body == "" || r.CatalogID == "" {
				t.Errorf("product list: %+v", r)
			}
		case dialog.ReplyProduct:
			if r.CatalogID == "" || r.ProductRetailerID == "" {
				t.Errorf("product: %+v", r)
			}
		}
		if runes(r.Body) > 1024 && r.Kind != dialog.ReplyText {
			t.Errorf("body of %d runes: %q", runes(r.Body), r.Body)
		}
		ids := map[string]bool{}
		for _, o := range r.Options {
			title, desc := dialog.MaxListTitle, dialog.MaxListDescription
			if r.Kind == dialog.ReplyButtons {
				title, desc = dialog.MaxButtonTitle, 0
			}
			if runes(o.Title) > title || runes(o.Description) > desc || o.Title == "" {
				t.Errorf("option %q: title %q or description %q too long", o.ID, o.Title, o.Description)
			}
			if len(o.ID) > 200 || o.ID == "" || ids[o.ID] {
				t.Errorf("option id %q: empty, repeated or longer than 200", o.ID)
			}
			ids[o.ID] = true
		}
	}
}

// TestFlowsCrossTenant: a second tenant's catalog never shows the first
// tenant's products, categories or SKUs, by browsing, searching, Chat to
// order or tapping an id taken from the other tenant.
func TestFlowsCrossTenant(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.seedDemo(t)
	o := f.other(t)
	cat, err := o.svc.CreateCategory(o.ctx, catalog.CategoryInput{Slug: "abayas", NameAR: "عبايات", NameEN: "Abayas"})
	if err != nil {
		t.Fatal(err)
	}
	five := 5
	own, err := o.svc.CreateProduct(o.ctx, catalog.ProductInput{
		TitleAR: "عباية بنية واسعة", TitleEN: "Loose Brown Abaya", CategoryIDs: []uuid.UUID{cat.ID},
		Variants: []catalog.VariantInput{{SKU: "OTHER-ABY-1", Price: 15000, Stock: &five}},
	})
	if err != nil {
		t.Fatal(err)
	}
	first, err := f.svc.ProductBySKU(f.ctx, "ABY-001-BLK-M")
	if err != nil {
		t.Fatal(err)
	}
	firstCats, err := f.svc.Categories(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// every id the first tenant has, as it could appear in a reply id
	foreign := []string{first.ID.String(), first.Variants[0].ID.String()}
	for _, c := range firstCats {
		foreign = append(foreign, c.ID.String())
	}

	eng := dialog.New(nil, catalog.NewFlows(f.svc, dialog.Words{}))
	turn := func(ctx context.Context, in dialog.Inbound) []dialog.Reply {
		t.Helper()
		res, err := eng.Handle(ctx, dialog.Request{Tenant: flowTenant, Customer: dialog.Customer{Locale: "ar", Consent: dialog.ConsentGranted}, In: in})
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		return res.Replies
	}
	text := func(s string) dialog.Inbound { return dialog.Inbound{Kind: dialog.KindText, Text: s} }
	tap := func(id string) dialog.Inbound { return dialog.Inbound{Kind: dialog.KindListReply, ReplyID: id} }
	idsOf := func(rs []dialog.Reply) []string {
		var out []string
		for _, r := range rs {
			for _, o := range r.Options {
				out = append(out, o.ID)
			}
		}
		return out
	}

	t.Run("other tenant sees only its own", func(t *testing.T) {
		checks := []struct {
			name string
			in   dialog.Inbound
			want []string // exactly these option ids
		}{
			{"browse", tap("menu:catalog"), []string{"catalog:cat:" + cat.ID.String()}},
			{"category", tap("catalog:cat:" + cat.ID.String()), []string{"catalog:p:" + own.ID.String()}},
			{"search", text("عباية"), []string{"catalog:p:" + own.ID.String()}},
			{"search for a product only the first has", text("iphone 15 pro"), []string{"menu:catalog", "handoff"}},
			{"chat to order by a foreign SKU", text(catalog.ChatToOrderText("ar", "عباية سوداء كلاسيكية", "ABY-001-BLK-M")), []string{"menu:catalog", "handoff"}},
			{"foreign product id", tap("catalog:p:" + first.ID.String()), []string{"menu:catalog", "handoff"}},
			{"foreign variant", tap("catalog:vs:" + first.ID.String() + ":" + first.Variants[0].ID.String()), []string{"menu:catalog", "handoff"}},
			{"foreign like", tap("catalog:like:" + first.ID.String()), []string{"menu:catalog", "handoff"}},
			{"foreign category", tap("catalog:cat:" + firstCats[0].ID.String()), []string{"menu:catalog", "handoff"}},
			{"foreign category products", tap("catalog:all:" + firstCats[0].ID.String()), []string{"menu:catalog", "handoff"}},
		}
		for _, c := range checks {
			got := idsOf(turn(o.ctx, c.in))
			if !slices.Equal(got, c.want) {
				t.Errorf("%s: ids %v, want %v", c.name, got, c.want)
			}
			for _, id := range got {
				for _, fid := range foreign {
					if strings.Contains(id, fid) {
						t.Errorf("%s: reply id %s names the first tenant's %s", c.name, id, fid)
					}
				}
			}
		}
	})
	t.Run("first tenant does not see the other's", func(t *testing.T) {
		for _, in := range []dialog.Inbound{
			text("OTHER-ABY-1 SKU: OTHER-ABY-1"), text("عباية بنية واسعة"), tap("menu:catalog"),
			tap("catalog:p:" + own.ID.String()), tap("catalog:cat:" + cat.ID.String()),
		} {
			for _, id := range idsOf(turn(f.ctx, in)) {
				if strings.Contains(id, own.ID.String()) || strings.Contains(id, cat.ID.String()) {
					t.Errorf("%+v: reply id %s names the other tenant's catalog", in, id)
				}
			}
		}
	})
}

// fakeCart is a CartOffer that offers every available variant.
type fakeCart struct{}

func (fakeCart) AddButton(_ context.Context, req dialog.Request, _ catalog.Product, v catalog.Variant) (dialog.Option, bool) {
	if req.Locale() == dialog.LocaleAR {
		return dialog.Option{ID: "cart:add:" + v.SKU, Title: "أضف إلى السلة"}, true
	}
	return dialog.Option{ID: "cart:add:" + v.SKU, Title: "Add to cart"}, true
}

// fakeTexts overrides one text.
type fakeTexts map[string]string

func (m fakeTexts) Lookup(_ context.Context, key, locale string) (string, bool) {
	s, ok := m[key+"|"+locale]
	return s, ok
}

// TestFlowsSmallCatalog covers what the demo catalog cannot show: an empty
// catalog, more than ten categories, a product without pictures, the cart
// hook and tenant texts.
func TestFlowsSmallCatalog(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	flows := catalog.NewFlows(f.svc, dialog.Words{})
	eng := dialog.New(nil, flows)
	var state dialog.State
	turn := func(in dialog.Inbound) []dialog.Reply {
		t.Helper()
		res, err := eng.Handle(f.ctx, dialog.Request{Tenant: flowTenant, Customer: dialog.Customer{Locale: "en", Consent: dialog.ConsentGranted}, State: state, In: in})
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		checkLimits(t, res.Replies)
		state = res.State
		return res.Replies
	}
	tap := func(id string) dialog.Inbound { return dialog.Inbound{Kind: dialog.KindListReply, ReplyID: id} }
	ids := func(r dialog.Reply) []string {
		var out []string
		for _, o := range r.Options {
			out = append(out, o.ID)
		}
		return out
	}

	// Nothing on display yet.
	got := turn(tap("menu:catalog"))
	if len(got) != 1 || !strings.HasPrefix(got[0].Body, "We have nothing on display") || !slices.Equal(ids(got[0]), []string{"handoff"}) {
		t.Errorf("empty catalog: %+v", got)
	}

	// Free text is left to the engine while there is nothing to search; a
	// SKU is still answered.
	got = turn(dialog.Inbound{Kind: dialog.KindText, Text: "abaya"})
	if len(got) != 1 || !strings.HasPrefix(got[0].Body, "Sorry, I didn't understand") {
		t.Errorf("free text, empty catalog: %+v", got)
	}
	got = turn(dialog.Inbound{Kind: dialog.KindText, Text: "SKU: P0-A"})
	if len(got) != 1 || !strings.HasPrefix(got[0].Body, "We couldn't find a product with the code “P0-A”") {
		t.Errorf("SKU, empty catalog: %+v", got)
	}

	// Twelve categories with a product each; one without products.
	var products []*catalog.Product
	for i := range 12 {
		c, err := f.svc.CreateCategory(f.ctx, catalog.CategoryInput{Slug: "cat-" + strconv.Itoa(i), NameAR: "قسم " + strconv.Itoa(i), NameEN: "Category " + strconv.Itoa(i), Position: i})
		if err != nil {
			t.Fatal(err)
		}
		one, zero := 1, 0
		p, err := f.svc.CreateProduct(f.ctx, catalog.ProductInput{TitleAR: "منتج " + strconv.Itoa(i), TitleEN: "Product " + strconv.Itoa(i),
			CategoryIDs: []uuid.UUID{c.ID}, Variants: []catalog.VariantInput{
				{SKU: "P" + strconv.Itoa(i) + "-A", Options: []catalog.Option{{Name: "Size", Value: "A"}}, Price: 1000, Stock: &one},
				{SKU: "P" + strconv.Itoa(i) + "-B", Options: []catalog.Option{{Name: "Size", Value: "B"}}, Price: 1000, Stock: &zero},
			}})
		if err != nil {
			t.Fatal(err)
		}
		products = append(products, p)
	}
	if _, err := f.svc.CreateCategory(f.ctx, catalog.CategoryInput{Slug: "empty", NameEN: "Empty"}); err != nil {
		t.Fatal(err)
	}
	got = turn(tap("menu:catalog"))
	if len(got) != 1 || len(got[0].Options) != 10 || got[0].Options[9].ID != "catalog:more:cats:top:9" {
		t.Fatalf("first page: %+v", got)
	}
	got = turn(tap("catalog:more:cats:top:9"))
	if len(got) != 1 || len(got[0].Options) != 3 || got[0].Options[2].Title != "Category 11" {
		t.Fatalf("second page: %+v", got)
	}

	// A product without pictures: the caption comes as a text.
	p := products[0]
	got = turn(tap("catalog:p:" + p.ID.String()))
	if len(got) != 2 || got[0].Kind != dialog.ReplyText || !strings.HasPrefix(got[0].Body, "*Product 0*\nSAR\u00a010.00\nIn stock") {
		t.Errorf("no media: %+v", got)
	}

	// The cart hook: offered for a chosen available variant only.
	flows.Cart = fakeCart{}
	got = turn(tap("catalog:vs:" + p.ID.String() + ":" + p.Variants[0].ID.String()))
	if want := []string{"cart:add:P0-A", "catalog:like:" + p.ID.String(), "catalog:cat:" + p.Categories[0].ID.String()}; len(got) != 1 || !slices.Equal(ids(got[0]), want) {
		t.Errorf("available variant with a cart: %+v, want ids %v", got, want)
	}
	if state.Data["catalog.variant"] != p.Variants[0].ID.String() || state.Data["catalog.product"] != p.ID.String() || state.Step != "catalog:variant" {
		t.Errorf("state after the choice: %+v", state)
	}
	got = turn(tap("catalog:vs:" + p.ID.String() + ":" + p.Variants[1].ID.String()))
	if want := []string{"catalog:v:" + p.ID.String(), "catalog:like:" + p.ID.String(), "catalog:cat:" + p.Categories[0].ID.String()}; len(got) != 1 || !slices.Equal(ids(got[0]), want) {
		t.Errorf("sold-out variant with a cart: %+v, want ids %v", got, want)
	}
	got = turn(dialog.Inbound{Kind: dialog.KindText, Text: catalog.ChatToOrderText("en", p.TitleEN, "p0-a")})
	if want := []string{"cart:add:P0-A", "catalog:v:" + p.ID.String(), "catalog:cat:" + p.Categories[0].ID.String()}; len(got) != 2 || !slices.Equal(ids(got[1]), want) {
		t.Errorf("chat to order with a cart: %+v, want ids %v", got, want)
	}
	flows.Cart = nil

	// Tenant texts: a text and one plural form.
	withTexts := catalog.NewFlows(f.svc, dialog.Words{Overrides: fakeTexts{
		"catalog.categories.body|en": "Pick one of our departments:", "catalog.count.one|en": "just {n} item"}})
	res, err := dialog.New(nil, withTexts).Handle(f.ctx, dialog.Request{Tenant: flowTenant,
		Customer: dialog.Customer{Locale: "en", Consent: dialog.ConsentGranted}, In: tap("menu:catalog")})
	if err != nil || len(res.Replies) != 1 || res.Replies[0].Body != "Pick one of our departments:" || res.Replies[0].Options[0].Description != "just 1 item" {
		t.Errorf("override: %+v %v", res.Replies, err)
	}

	// Stale and malformed ids: known shapes answer, unknown ones go back to
	// the engine ("didn't understand").
	for _, id := range []string{"catalog:p:not-a-uuid", "catalog:nothing", "catalog:vs:" + p.ID.String(), "catalog:more:cats:top:x"} {
		got = turn(tap(id))
		if len(got) != 1 || !strings.HasPrefix(got[0].Body, "Sorry, I didn't understand") {
			t.Errorf("%s: %+v", id, got)
		}
	}
	got = turn(tap("catalog:p:" + uuid.NewString()))
	if len(got) != 1 || !strings.HasPrefix(got[0].Body, "Sorry, this product is no longer available") {
		t.Errorf("unknown product: %+v", got)
	}
}
