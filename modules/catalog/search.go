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
	"concierge/internal/errs"
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

type document struct{ title, a, b, c string }

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
		title: arabic.Normalize(title),
		a:     indexTerms(title),
		b:     indexTerms(b.String()),
		c:     indexTerms(desc),
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
		return cursor{}, errs.Invalid(errs.FieldError{Field: "cursor", Code: "cursor", Msg: errs.Legacy("is not a cursor this API returned", "ليست مؤشر صفحة صادرًا عن هذه الواجهة")})
	}
	var c cursor
	c.Score = math.Float64frombits(binary.BigEndian.Uint64(b[:8]))
	copy(c.ID[:], b[8:24])
	c.Mode = matcher(b[24])
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
	var after *cursor
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return Page{}, err
		}
		after = &c
	}
	sq := parseQuery(q.Q)
	mode := matchList
	switch {
	case strings.TrimSpace(q.Q) == "" || sq.tsquery == "":
	case after != nil:
		mode = after.Mode
	default:
		mode = matchWords
	}
	var hits []struct {
		ID    uuid.UUID `bun:"id"`
		Score float64   `bun:"score"`
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPerPage
	}
	for {
		sel, err := listQuery(ctx, tx, q, sq, mode, after, limit)
		if err != nil {
			return Page{}, err
		}
		if err := sel.Scan(ctx, &hits); err != nil {
			return Page{}, fmt.Errorf("catalog: list products: %w", err)
		}
		// A first page where no word matched: try the typo matcher.
		if len(hits) > 0 || mode != matchWords || after != nil {
			break
		}
		mode = matchSimilar
	}
	var page Page
	if len(hits) > limit {
		last := hits[limit-1]
		page.NextCursor = encodeCursor(cursor{Score: last.Score, ID: last.ID, Mode: mode})
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

// priceFrom and priceTo are the query's price range, open ends as the
// widest values.
func priceFrom(q Query) int64 {
	if q.MinPrice != nil {
		return *q.MinPrice
	}
	return 0
}

func priceTo(q Query) int64 {
	if q.MaxPrice != nil {
		return *q.MaxPrice
	}
	return math.MaxInt64
}

// listQuery builds the query of matching ids and scores, one more than the
// page size.
func listQuery(ctx context.Context, tx bun.IDB, q Query, sq searchQuery, mode matcher, after *cursor, limit int) (*bun.SelectQuery, error) {
	status := q.Status
	if status == "" {
		status = StatusActive
	}
	var categories []uuid.UUID // nil: any
	if q.Category != "" {
		c, err := resolveCategory(ctx, tx, q.Category)
		if err != nil {
			return nil, err
		}
		if categories, err = categoryTree(ctx, tx, c.ID); err != nil {
			return nil, err
		}
	}
	var inner *bun.SelectQuery
	switch mode {
	case matchList:
		inner = tx.NewSelect().TableExpr("products AS p").ColumnExpr("p.id").
			ColumnExpr("CASE WHEN p.in_stock THEN 1.0 ELSE 0.0 END::float8 AS score").Where("p.status = ?", status)
		if categories != nil {
			inner = inner.Where("EXISTS (SELECT 1 FROM product_categories pc WHERE pc.tenant_id = p.tenant_id AND pc.product_id = p.id AND pc.category_id IN (?))", bun.In(categories))
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
	case matchWords:
		// Words match: rank by full text (title weighted) and stock. Matching,
		// filters and ranking run in a SECURITY DEFINER function so that they
		// can use their indexes under row-level security (migration 00007);
		// only the page's products are then read, under the tenant policy.
		inner = tx.NewSelect().ColumnExpr("s.id, s.score").
			TableExpr("catalog_search_words(to_tsquery('simple', ?), to_tsquery('simple', ?), ?, ?, ?, ?, ?, ?, ?::uuid[]) AS s",
				sq.tsquery, sq.title, status, inStockBonus, priceFrom(q), priceTo(q), q.InStock, strings.ToLower(q.Brand), uuidArray(categories))
	default:
		// No word matched: correct each word against the tenant's
		// vocabulary (typos) and search those by full text.
		var corrected []string
		if err := tx.NewRaw("SELECT catalog_correct(?::text[])", pgdialect.Array(sq.words)).Scan(ctx, pgdialect.Array(&corrected)); err != nil {
			return nil, err
		}
		cq := queryOf(corrected)
		inner = tx.NewSelect().ColumnExpr("s.id, s.score").
			TableExpr("catalog_search_words(to_tsquery('simple', ?), to_tsquery('simple', ?), ?, ?, ?, ?, ?, ?, ?::uuid[]) AS s",
				cq.tsquery, cq.title, status, inStockBonus, priceFrom(q), priceTo(q), q.InStock, strings.ToLower(q.Brand), uuidArray(categories))
	}
	outer := tx.NewSelect().TableExpr("(?) AS m", inner).Column("m.id", "m.score")
	if after != nil {
		outer = outer.Where("(m.score < ? OR (m.score = ? AND m.id > ?))", after.Score, after.Score, after.ID)
	}
	return outer.OrderExpr("m.score DESC, m.id").Limit(int64(limit + 1)), nil
}

// uuidArray is a uuid[] parameter; nil stays NULL.
func uuidArray(ids []uuid.UUID) any {
	if ids == nil {
		return nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return pgdialect.Array(out)
}
