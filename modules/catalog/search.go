package catalog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/arabic"
	"concierge/internal/errs"
	"concierge/tenants"
)

// Search works on text normalised by internal/arabic (hamza forms → ا,
// ى → ي, ة → ه, no tatweel or diacritics, ASCII digits, lower case) on both
// sides:
//
//   - Full text ('simple' configuration, prefix matching, every word must
//     match): the title is weight A, brand, categories, options and SKUs
//     weight B, the start of the description weight C. Arabic words are
//     indexed with and without their attached article or conjunction
//     (العطر → عطر, والعود → عود), so "عطر" finds "العطر الملكي"; English
//     query words also try a naive singular ("watches" → "watch").
//   - When no product matches the words (first page), each word is corrected
//     against the tenant's vocabulary of title words (pg_trgm similarity,
//     then edit distance: "iphnoe" → "iphone", "sunglases" → "sunglasses")
//     and the corrected words are searched the same way. A word with nothing
//     close stays, so "تلفزيون سامسونج" finds nothing in a shop without TVs.
//
// Score = full-text rank (title weighted) ×2, plus 1 when every word is in
// the title, plus a bonus when in stock; ties break on id. The matching,
// filters and ranking run in SECURITY DEFINER functions (migration 00007).

// inStockBonus is added to the score of a product in stock.
const inStockBonus = 0.35

// stopWords are request words customers wrap a search in ("ابحث عن عباية",
// "do you have black abaya"); they are dropped from the query.
var stopWords = map[string]bool{
	"ابحث": true, "عن": true, "ابغي": true, "ابغا": true, "ابي": true, "ابى": true, "اريد": true, "بدي": true, "ودي": true,
	"عندكم": true, "عندك": true, "هل": true, "في": true, "فيه": true, "لو": true, "سمحت": true, "ممكن": true, "بحث": true,
	"search": true, "for": true, "find": true, "show": true, "me": true, "i": true, "want": true, "do": true, "you": true,
	"have": true, "looking": true, "a": true, "an": true, "the": true, "please": true, "need": true, "any": true,
}

// articles are attached prefixes stripped for the alternative form of an
// Arabic word, longest first.
var articles = []string{"وال", "بال", "فال", "كال", "لل", "ال"}

// terms splits normalised text into words (letters and digits), keeping
// Arabic and Latin letters together as a word.
func terms(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// stripArticle returns w without an attached article, or "" when there is
// none or too little would remain.
func stripArticle(w string) string {
	for _, a := range articles {
		if strings.HasPrefix(w, a) && utf8.RuneCountInString(w)-utf8.RuneCountInString(a) >= 2 {
			return w[len(a):]
		}
	}
	return ""
}

// singular is a naive English singular for query words ("watches" → "watch").
func singular(w string) string {
	if w[0] >= utf8.RuneSelf || len(w) < 5 {
		return ""
	}
	switch {
	case strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "xes"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return ""
}

// indexTerms is the indexed form of normalised text: each word once, and
// its article-less form when it has one (repeats would only add positions
// to the search row).
func indexTerms(s string) string {
	ws := terms(arabic.Normalize(s))
	out := make([]string, 0, len(ws)*2)
	seen := make(map[string]bool, len(ws)*2)
	add := func(w string) {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	for _, w := range ws {
		add(w)
		if b := stripArticle(w); b != "" {
			add(b)
		}
	}
	return strings.Join(out, " ")
}

type document struct {
	title, a, b, c string
	options        []string // filter tokens (optionTokens)
}

// titleTerms are the vocabulary words of a normalised title: letters and
// digits, three runes or more.
func titleTerms(title string) []string {
	var out []string
	for _, w := range terms(title) {
		if utf8.RuneCountInString(w) >= 3 {
			out = append(out, w)
		}
	}
	return out
}

// clipRunes keeps the first n runes of s (the start of a description is
// what matters for search, and keeps the search rows small).
func clipRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// searchDocument builds the search columns of a product.
func searchDocument(p productRow, vs []variantRow, categories []string) document {
	title := strings.TrimSpace(p.TitleAR + " " + p.TitleEN)
	var b strings.Builder
	b.WriteString(p.Brand)
	for _, c := range categories {
		b.WriteString(" " + c)
	}
	for _, v := range vs {
		b.WriteString(" " + v.SKU)
		for _, o := range v.Options {
			b.WriteString(" " + o.Value + " " + o.ValueAR)
		}
	}
	// Only the first words of the descriptions: every lexeme makes each
	// search row bigger, and a search reads one row per match.
	desc := clipRunes(p.DescriptionAR, 80) + " " + clipRunes(p.DescriptionEN, 80)
	return document{
		title:   arabic.Normalize(title),
		a:       indexTerms(title),
		b:       indexTerms(b.String()),
		c:       indexTerms(desc),
		options: optionTokens(vs),
	}
}

// searchQuery is a parsed customer query.
type searchQuery struct {
	words   []string // normalised words (request words dropped)
	tsquery string   // to_tsquery('simple', ...) text; "" when no words
	title   string   // the same, every word in the title (weight A)
}

// parseQuery normalises q and builds the full-text query: every word must
// match (as a prefix), in any of its forms.
func parseQuery(q string) searchQuery {
	ws := terms(arabic.Normalize(q))
	var kept []string
	for _, w := range ws {
		if !stopWords[w] {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		kept = ws // a query of stop words only: search for them anyway
	}
	return queryOf(kept)
}

// queryOf builds the full-text queries of normalised words.
func queryOf(kept []string) searchQuery {
	var parts, title []string
	for _, w := range kept {
		forms := []string{tsLexeme(w)}
		if b := stripArticle(w); b != "" {
			forms = append(forms, tsLexeme(b))
		}
		if s := singular(w); s != "" {
			forms = append(forms, tsLexeme(s))
		}
		parts = append(parts, "("+strings.Join(forms, ":* | ")+":*)")
		title = append(title, "("+strings.Join(forms, ":*A | ")+":*A)")
	}
	return searchQuery{words: kept, tsquery: strings.Join(parts, " & "), title: strings.Join(title, " & ")}
}

// tsLexeme quotes a word for to_tsquery.
func tsLexeme(w string) string { return "'" + strings.ReplaceAll(w, "'", "''") + "'" }

// cursor is the position after the last item of a page: the score (search)
// or the in-stock flag (list), then the id; and which matcher the search's
// first page used, so every page of a search uses the same one.
type cursor struct {
	Score float64
	ID    uuid.UUID
	Mode  matcher
}

// matcher is how a page was selected.
type matcher byte

const (
	matchList    matcher = iota // no query
	matchWords                  // full text
	matchSimilar                // full text of the words corrected against the vocabulary (no word matched)
)

func encodeCursor(c cursor) string {
	var b [25]byte
	binary.BigEndian.PutUint64(b[:8], math.Float64bits(c.Score))
	copy(b[8:24], c.ID[:])
	b[24] = byte(c.Mode)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeCursor(s string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 25 || b[24] > byte(matchSimilar) {
		return cursor{}, errs.Invalid(errs.Field("cursor", "cursor", "catalog.field.cursor"))
	}
	var c cursor
	c.Score = math.Float64frombits(binary.BigEndian.Uint64(b[:8]))
	copy(c.ID[:], b[8:24])
	c.Mode = matcher(b[24])
	return c, nil
}

// queryKey is a stable cache key for a query: queries that search the
// same way share it. The words are keyed as searched (normalised, request
// words dropped: "ابحث عن عباية" is "عباية"), the options as filter tokens,
// the limit as applied. A query to understand keys its words as typed
// (Understand reads them); listAt keys the understood query, so a storefront
// search "abaya under 200" and GET /api/v1/products?q=abaya&max_price=20000
// share one entry.
func queryKey(q Query) string {
	words := strings.Join(parseQuery(q.Q).words, " ")
	if q.Understand {
		words = arabic.Normalize(q.Q)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPerPage
	}
	h := sha256.New()
	fmt.Fprintf(h, "%q|%q|%q|%v|%v|%v|%q|%q|%d|%q|%q|%v", words, q.Category, q.Brand, ptrVal(q.MinPrice),
		ptrVal(q.MaxPrice), q.InStock, q.Status, q.Cursor, limit, filterTokens(q.Options), q.Literal, q.Understand)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func ptrVal(p *int64) any {
	if p == nil {
		return "-"
	}
	return *p
}

// listProducts runs a list or a search in the caller's transaction.
// Errors: invalid (cursor), not_found (category).
func listProducts(ctx context.Context, tx bun.IDB, q Query) (Page, error) {
	h := hitQuery{status: q.Status, brand: q.Brand, minPrice: q.MinPrice, maxPrice: q.MaxPrice, inStock: q.InStock, limit: q.Limit,
		options: filterTokens(q.Options)}
	if h.status == "" {
		h.status = StatusActive
	}
	if h.limit <= 0 {
		h.limit = DefaultPerPage
	}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return Page{}, err
		}
		h.after = &c
	}
	if q.Category != "" {
		c, err := resolveCategory(ctx, tx, q.Category)
		if err != nil {
			return Page{}, err
		}
		if h.categories, err = categoryTree(ctx, tx, c.ID); err != nil {
			return Page{}, err
		}
	}
	sq := parseQuery(q.Q)
	switch {
	case strings.TrimSpace(q.Q) == "" || sq.tsquery == "":
		h.mode = matchList
	case h.after != nil:
		h.mode = h.after.Mode
	default:
		h.mode = matchWords
	}
	h.words = sq
	if h.mode == matchSimilar {
		if err := correct(ctx, tx, &h); err != nil {
			return Page{}, err
		}
	}
	hits, err := searchHits(ctx, tx, h)
	if err != nil {
		return Page{}, err
	}
	// A first page where no word matched: try the typo matcher. When the
	// filters could have left nothing, the words are checked first: words
	// that match products the filters excluded are no typo, and correcting
	// them would only search a second time.
	if len(hits) == 0 && h.mode == matchWords && h.after == nil {
		if h.filtered() {
			matched, err := wordsMatch(ctx, tx, h.words, h.status)
			if err != nil || matched {
				return Page{Items: []Product{}}, err
			}
		}
		h.mode = matchSimilar
		if err := correct(ctx, tx, &h); err != nil {
			return Page{}, err
		}
		if hits, err = searchHits(ctx, tx, h); err != nil {
			return Page{}, err
		}
	}
	var page Page
	if len(hits) > h.limit {
		last := hits[h.limit-1]
		page.NextCursor = encodeCursor(cursor{Score: last.Score, ID: last.ID, Mode: h.mode})
		hits = hits[:h.limit]
	}
	if len(hits) == 0 {
		page.Items = []Product{}
		return page, nil
	}
	ids := make([]uuid.UUID, len(hits))
	for i, x := range hits {
		ids[i] = x.ID
	}
	page.Items, err = productsByID(ctx, tx, ids, q.Status != "")
	return page, err
}

// correct replaces the query's words by the closest words of the tenant's
// vocabulary (typos).
func correct(ctx context.Context, tx bun.IDB, h *hitQuery) error {
	corrected, err := correctWords(ctx, tx, h.words.words)
	if err != nil {
		return err
	}
	h.words = queryOf(corrected)
	return nil
}

// Searches of the public catalog can read their matches from a ranking
// cached per catalog version (listSearch): the best maxRanked matches of
// the words within the filters that decide which products match (brand,
// categories, options), best first, each with its price range and stock.
// A price range and "in stock only" then narrow the ranking in the
// process, so one ranking of "abaya" serves every price ceiling a shopper
// picks and every page after it; the page's products come from the product
// cache. The answer is the database's: the same products in the same order
// (score, then id) with the same cursors. When the ranking cannot tell —
// its best maxRanked hold too few products in the price range, the cursor
// lies beyond them, the words match nothing (the typo corrector's case) —
// the search runs in the database as before (listProducts).

// maxRanked bounds a cached ranking (about 40 KB).
const maxRanked = 1000

// ranking is the best matches of a search's words within its brand,
// categories and options, best first: all of them (Complete) or the best
// maxRanked.
type ranking struct {
	Hits     []rankedHit
	Complete bool
}

// page returns the hits after the cursor within the price range and the
// stock filter, at most limit+1 (the extra one says there is a next page),
// and whether they are the database's answer: there are limit+1 of them,
// or the ranking holds every match.
func (r ranking) page(after *cursor, minPrice, maxPrice *int64, inStock bool, limit int) ([]rankedHit, bool) {
	var out []rankedHit
	for _, h := range r.Hits {
		if after != nil && h.Score >= after.Score && (h.Score != after.Score || bytes.Compare(h.ID[:], after.ID[:]) <= 0) {
			continue
		}
		if (minPrice != nil && h.MaxPrice < *minPrice) || (maxPrice != nil && h.MinPrice > *maxPrice) || (inStock && !h.InStock) {
			continue
		}
		out = append(out, h)
		if len(out) == limit+1 {
			return out, true
		}
	}
	return out, r.Complete
}

// rankKey is the cache key of a search's ranking: its words as searched
// and the filters that decide which products match.
func rankKey(sq searchQuery, q Query) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q|%q|%q|%q", sq.tsquery, q.Category, strings.ToLower(q.Brand), filterTokens(q.Options))
	return "r:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// listSearch reads a page of active products (q.Status must be ""): a
// search through the cached ranking of its words when it can (see above),
// anything else with listProducts. It is listAt's fill: a page it made
// from the cache comes with errMadeFromCache, which cached turns into
// success without keeping the page.
func (s *Service) listSearch(ctx context.Context, t *tenants.Tenant, version string, q Query) (Page, error) {
	sq := parseQuery(q.Q)
	if version == "" || q.Status != "" || strings.TrimSpace(q.Q) == "" || sq.tsquery == "" {
		return s.list(ctx, q)
	}
	var after *cursor
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return Page{}, err
		}
		if c.Mode != matchWords {
			return s.list(ctx, q)
		}
		after = &c
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPerPage
	}
	r, err := s.rankingAt(ctx, t, version, sq, q)
	if err != nil {
		return Page{}, err
	}
	hits, exact := r.page(after, q.MinPrice, q.MaxPrice, q.InStock, limit)
	if !exact || len(r.Hits) == 0 {
		return s.list(ctx, q)
	}
	page := Page{Items: []Product{}}
	if len(hits) > limit {
		last := hits[limit-1]
		page.NextCursor = encodeCursor(cursor{Score: last.Score, ID: last.ID, Mode: matchWords})
		hits = hits[:limit]
	}
	if len(hits) == 0 {
		return page, errMadeFromCache
	}
	ids := make([]uuid.UUID, len(hits))
	for i, x := range hits {
		ids[i] = x.ID
	}
	if page.Items, err = s.productsAt(ctx, t, version, ids); err != nil {
		return Page{}, err
	}
	return page, errMadeFromCache
}

// rankingAt reads the ranking of a search's words (sq) within q's brand,
// categories and options through the cache under version.
// Errors: not_found (category).
func (s *Service) rankingAt(ctx context.Context, t *tenants.Tenant, version string, sq searchQuery, q Query) (ranking, error) {
	return cached(ctx, s.cache, t.ID, version, rankKey(sq, q), rankingCodec, func() (ranking, error) {
		var r ranking
		err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			h := hitQuery{status: StatusActive, brand: q.Brand, options: filterTokens(q.Options), mode: matchWords, words: sq}
			if q.Category != "" {
				c, err := resolveCategory(ctx, tx, q.Category)
				if err != nil {
					return err
				}
				if h.categories, err = categoryTree(ctx, tx, c.ID); err != nil {
					return err
				}
			}
			hits, err := rankedHits(ctx, tx, h, maxRanked+1)
			if err != nil {
				return err
			}
			r.Complete = len(hits) <= maxRanked
			r.Hits = hits[:min(len(hits), maxRanked)]
			return nil
		})
		return r, err
	})
}

// productsAt returns the active products with ids, in that order, from the
// product cache under version (Product's entries); those it lacks are read
// in one transaction and cached.
func (s *Service) productsAt(ctx context.Context, t *tenants.Tenant, version string, ids []uuid.UUID) ([]Product, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = "p:" + id.String()
	}
	found := s.cache.getMany(ctx, t.ID, version, keys)
	byID := make(map[uuid.UUID]Product, len(ids))
	var missing []uuid.UUID
	for i, id := range ids {
		if e, ok := found[keys[i]]; ok {
			if p, err := read(e, productCodec); err == nil {
				byID[id] = *p
				continue
			}
		}
		missing = append(missing, id)
	}
	if len(missing) > 0 {
		var ps []Product
		err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			ps, err = productsByID(ctx, tx, missing, false)
			return err
		})
		if err != nil {
			return nil, err
		}
		for i := range ps {
			if ps[i].Status != StatusActive {
				continue // changed since the ranking: not on sale now
			}
			byID[ps[i].ID] = ps[i]
			if b, err := productCodec.encode(&ps[i]); err == nil {
				s.cache.store(ctx, t.ID, version, "p:"+ps[i].ID.String(), b)
			}
		}
	}
	out := make([]Product, 0, len(ids))
	for _, id := range ids {
		if p, ok := byID[id]; ok {
			out = append(out, p)
		}
	}
	return out, nil
}
