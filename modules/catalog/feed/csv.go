package feed

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"concierge/internal/errs"
)

// table reads a delimited file (CSV or TSV) that starts with a header row,
// one record at a time.
type table struct {
	cr     *csv.Reader
	header []string
	// lastQuote is the quote error of the previous record: when the file
	// ends right after it, the quote swallowed the rest of the file.
	lastQuote *csv.ParseError
}

// newTable reads the header row.
func newTable(r io.Reader, comma rune) (*table, error) {
	cr := csv.NewReader(r)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	var pe *csv.ParseError
	switch {
	case errors.Is(err, io.EOF):
		return nil, fileErr(ErrEmpty, "empty")
	case errors.As(err, &pe):
		e := fileErr(ErrHeader, "header")
		detail := quoteProblem(pe)
		e.Detail = &detail
		return nil, e
	case err != nil:
		return nil, readErr(err)
	}
	for _, h := range header {
		if !utf8.ValidString(h) {
			return nil, fileErr(ErrHeader, "header_utf8")
		}
	}
	cr.ReuseRecord = true
	return &table{cr: cr, header: header}, nil
}

// next returns the next record that is not blank and its first line. When
// the record is malformed, reason says why and rec is what could be read.
// At the end of the file err is io.EOF; any other error is fatal.
func (t *table) next() (rec []string, line int, reason errs.Message, err error) {
	for {
		rec, err = t.cr.Read()
		var pe *csv.ParseError
		switch {
		case errors.Is(err, io.EOF):
			if q := t.lastQuote; q != nil && q.Line > q.StartLine {
				return nil, 0, none, fileErr(ErrSyntax, "quote_never_closed", "line", q.StartLine)
			}
			return nil, 0, none, io.EOF
		case errors.As(err, &pe):
			t.lastQuote = nil
			if errors.Is(pe.Err, csv.ErrQuote) {
				t.lastQuote = pe
			}
			return nil, pe.StartLine, quoteProblem(pe), nil
		case err != nil:
			return nil, 0, none, readErr(err)
		}
		t.lastQuote = nil
		if blank(rec) {
			continue
		}
		line, _ = t.cr.FieldPos(0)
		if len(rec) != len(t.header) {
			return rec, line, because("fields_count", "count", len(rec), "header", len(t.header)), nil
		}
		return rec, line, none, nil
	}
}

// quoteProblem explains a CSV quoting error to a merchant.
func quoteProblem(pe *csv.ParseError) errs.Message {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return because("bare_quote")
	case pe.Line > pe.StartLine:
		return because("quote_skipped", "line", pe.Line, "start", pe.StartLine)
	default:
		return because("quote_unclosed")
	}
}

// blank reports whether every field of rec is empty or spaces, as in the
// ",,,," rows spreadsheets leave at the end.
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// parseConcierge reads Concierge's CSV or TSV: a header row of the
// documented column names (any case, any order; unknown columns become
// attributes), then one variant per row.
func parseConcierge(r io.Reader, comma rune, c *collector) error {
	t, err := newTable(r, comma)
	if err != nil {
		return err
	}
	cols, err := conciergeHeader(t.header)
	if err != nil {
		return err
	}
	var d draft
	for {
		rec, line, reason, err := t.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		d = draft{line: line, reason: reason}
		for i, f := range rec {
			if i >= len(cols) {
				break
			}
			f = strings.TrimSpace(f)
			if !utf8.ValidString(f) {
				d.fail(because("text_utf8", "column", t.header[i]))
				continue
			}
			if cols[i] == colNone {
				if name := strings.TrimSpace(t.header[i]); name != "" {
					d.attr(name, f)
				}
				continue
			}
			d.v[cols[i]] = f
		}
		if err := c.take(d.build(c.opt)); err != nil {
			return err
		}
	}
}

// conciergeHeader maps each header field to its column (colNone for
// unknown ones) and checks the required columns are there.
func conciergeHeader(header []string) ([]column, error) {
	cols := make([]column, len(header))
	seen := make(map[string]bool, len(header))
	var has [numColumns]bool
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if name == "" {
			continue
		}
		if seen[name] {
			return nil, fileErr(ErrHeader, "header_twice", "column", q(strings.TrimSpace(h)))
		}
		seen[name] = true
		cols[i] = columnOf(name)
		has[cols[i]] = true
	}
	var missing []string
	for _, c := range []column{colSKU, colPrice} {
		if !has[c] {
			missing = append(missing, q(c.String()))
		}
	}
	noTitle := !has[colTitleAR] && !has[colTitleEN]
	if len(missing) > 0 || noTitle {
		return nil, fileErr(ErrHeader, "header_missing", "columns", strings.Join(missing, ", "), "title", noTitle,
			"google", isGoogleHeader(header))
	}
	return cols, nil
}
