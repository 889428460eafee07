package catalog

import (
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
	"github.com/uptrace/bun/dialect/pgdialect"

	"concierge/internal/arabic"
	"concierge/internal/httpx"
)

// Search works on text normalised by internal/arabic (hamza forms → ا,
// ى → ي, ة → ه, no tatweel or diacritics, ASCII digits, lower case) on both
// sides. Two matchers:
//
//   - full text ('simple' configuration, prefix matching): the title is
//     weight A, brand, categories, options and SKUs weight B, the description
//     weight C. Arabic words are indexed with and without their attached
//     article or conjunction (العطر → عطر, والعود → عود), so "عطر" finds
//     "العطر الملكي"; English query words also try a naive singular
//     ("watches" → "watch").
//   - trigram word similarity against the normalised title, for typos and
//     broken words ("iphnoe 15" → "iPhone 15"), when the words match nothing.
//
// The full-text matcher runs first; only when no product matches the words
// does the trigram matcher run (typos). Score = full-text rank (title
// weighted), plus 1 when every word is in the title, or else the title's
// word similarity; plus a bonus when in stock; ties break on id.

// Ranking weights.
const (
	trigramThreshold = 0.45 // pg_trgm word similarity for the typo matcher
	inStockBonus     = 0.35
)

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

// indexTerms is the indexed form of normalised text: each word, and its
// article-less form when it has one.
func indexTerms(s string) string {
	ws := terms(arabic.Normalize(s))
	out := make([]string, 0, len(ws)*2)
	for _, w := range ws {
		out = append(out, w)
		if b := stripArticle(w); b != "" {
			out = append(out, b)
		}
	}
	return strings.Join(out, " ")
}

type document struct{ title, a, b, c string }

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
			b.WriteString(" " + o.Value)
		}
	}
	desc := p.DescriptionAR + " " + p.DescriptionEN
	if len(desc) > 4000 {
		desc = desc[:4000]
	}
	return document{
		title: arabic.Normalize(title),
		a:     indexTerms(title),
		b:     indexTerms(b.String()),
		c:     indexTerms(desc),
	}
}

// searchQuery is a parsed customer query.
type searchQuery struct {
	text    string // normalised words, for trigram similarity
	tsquery string // to_tsquery('simple', ...) text; "" when no words
	title   string // the same, every word in the title (weight A)
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
	return searchQuery{text: strings.Join(kept, " "), tsquery: strings.Join(parts, " & "), title: strings.Join(title, " & ")}
}

// longWords are the query's words of four letters or more: each must look
// like a word of the title on the typo path.
func (q searchQuery) longWords() []string {
	out := []string{}
	for _, w := range strings.Fields(q.text) {
		if utf8.RuneCountInString(w) >= 4 {
			out = append(out, w)
		}
	}
	return out
}

// tsLexeme quotes a word for to_tsquery.
func tsLexeme(w string) string { return "'" + strings.ReplaceAll(w, "'", "''") + "'" }

// cursor is the position after the last item of a page: the score (search)
// or the in-stock flag (list), then the id.
type cursor struct {
	Score float64
	ID    uuid.UUID
}

func encodeCursor(c cursor) string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[:8], math.Float64bits(c.Score))
	copy(b[8:], c.ID[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeCursor(s string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 24 {
		return cursor{}, httpx.Invalid(httpx.FieldError{Field: "cursor", Code: "cursor",
			Message: "is not a cursor this API returned", MessageAr: "ليست مؤشر صفحة صادرًا عن هذه الواجهة"})
	}
	var c cursor
	c.Score = math.Float64frombits(binary.BigEndian.Uint64(b[:8]))
	copy(c.ID[:], b[8:])
	return c, nil
}

// queryKey is a stable cache key for a query.
func queryKey(q Query) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q|%q|%q|%v|%v|%v|%q|%q|%d", arabic.Normalize(q.Q), q.Category, q.Brand, ptrVal(q.MinPrice),
		ptrVal(q.MaxPrice), q.InStock, q.Status, q.Cursor, q.Limit)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func ptrVal(p *int64) any {
	if p == nil {
		return "-"
	}
	return *p
}

// listProducts runs a list or a search.
func listProducts(ctx context.Context, tx bun.IDB, q Query) (Page, error) {
	outer, limit, err := listQuery(ctx, tx, q)
	if err != nil {
		return Page{}, err
	}
	var hits []struct {
		ID    uuid.UUID `bun:"id"`
		Score float64   `bun:"score"`
	}
	if err := outer.Scan(ctx, &hits); err != nil {
		return Page{}, fmt.Errorf("catalog: list products: %w", err)
	}
	var page Page
	if len(hits) > limit {
		last := hits[limit-1]
		page.NextCursor = encodeCursor(cursor{Score: last.Score, ID: last.ID})
		hits = hits[:limit]
	}
	if len(hits) == 0 {
		page.Items = []Product{}
		return page, nil
	}
	ids := make([]uuid.UUID, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	var rows []productRow
	if err := tx.NewSelect().Model(&rows).Column(productColumns...).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return Page{}, err
	}
	byID := make(map[uuid.UUID]productRow, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	page.Items = make([]Product, 0, len(ids))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			page.Items = append(page.Items, toProduct(r))
		}
	}
	return page, loadDetails(ctx, tx, page.Items, q.Status != "")
}

// fullTextMatches reports whether any product matches the words of sq; when
// none does, the search falls back to trigram similarity. The answer depends
// only on the query and the catalog, so every page of a search takes the
// same path.
func fullTextMatches(ctx context.Context, tx bun.IDB, status string, sq searchQuery) bool {
	var ok bool
	err := tx.NewRaw("SELECT catalog_has_words(to_tsquery('simple', ?), ?)", sq.tsquery, status).Scan(ctx, &ok)
	return err == nil && ok
}

// listQuery builds the query of matching ids and scores, one more than the
// page size.
func listQuery(ctx context.Context, tx bun.IDB, q Query) (*bun.SelectQuery, int, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPerPage
	}
	var after *cursor
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, 0, err
		}
		after = &c
	}
	status := q.Status
	if status == "" {
		status = StatusActive
	}
	sq := parseQuery(q.Q)
	searching := strings.TrimSpace(q.Q) != "" && sq.tsquery != ""

	var inner *bun.SelectQuery
	switch {
	case !searching:
		inner = tx.NewSelect().TableExpr("products AS p").Column("p.id").
			ColumnExpr("CASE WHEN p.in_stock THEN 1.0 ELSE 0.0 END::float8 AS score").Where("p.status = ?", status)
	case fullTextMatches(ctx, tx, status, sq):
		// Words match: rank by full text (title weighted) and stock. The
		// ranking runs in a SECURITY DEFINER function so that it can use its
		// index under row-level security (migration 00007).
		inner = tx.NewSelect().
			TableExpr("catalog_search_words(to_tsquery('simple', ?), to_tsquery('simple', ?), ?, ?) AS s", sq.tsquery, sq.title, status, inStockBonus).
			Join("JOIN products AS p ON p.id = s.id").ColumnExpr("p.id, s.score")
	default:
		// No word matches: typos and broken words, by trigram similarity
		// of the title.
		if _, err := tx.ExecContext(ctx, "SELECT set_config('pg_trgm.word_similarity_threshold', ?, true)", fmt.Sprint(trigramThreshold)); err != nil {
			return nil, 0, err
		}
		inner = tx.NewSelect().
			TableExpr("catalog_search_similar(?, ?::text[], ?, ?) AS s", sq.text, pgdialect.Array(sq.longWords()), status, inStockBonus).
			Join("JOIN products AS p ON p.id = s.id").ColumnExpr("p.id, s.score")
	}
	if q.Category != "" {
		c, err := resolveCategory(ctx, tx, q.Category)
		if err != nil {
			return nil, 0, err
		}
		ids, err := categoryTree(ctx, tx, c.ID)
		if err != nil {
			return nil, 0, err
		}
		inner = inner.Where("EXISTS (SELECT 1 FROM product_categories pc WHERE pc.tenant_id = p.tenant_id AND pc.product_id = p.id AND pc.category_id IN (?))", bun.In(ids))
	}
	if q.Brand != "" {
		inner = inner.Where("lower(p.brand) = lower(?)", q.Brand)
	}
	if q.MinPrice != nil {
		inner = inner.Where("p.max_price >= ?", *q.MinPrice)
	}
	if q.MaxPrice != nil {
		inner = inner.Where("p.min_price <= ?", *q.MaxPrice)
	}
	if q.InStock {
		inner = inner.Where("p.in_stock")
	}
	outer := tx.NewSelect().TableExpr("(?) AS m", inner).Column("m.id", "m.score")
	if after != nil {
		outer = outer.Where("(m.score < ? OR (m.score = ? AND m.id > ?))", after.Score, after.Score, after.ID)
	}
	return outer.OrderExpr("m.score DESC, m.id").Limit(int64(limit + 1)), limit, nil
}
