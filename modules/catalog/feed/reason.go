package feed

import (
	"errors"
	"strconv"
	"strings"

	"concierge/internal/errs"
	"concierge/internal/i18n"
	"concierge/internal/input"
	"concierge/internal/money"
)

// Why a row is rejected, and why a file cannot be read, are messages of the
// message catalog (internal/i18n/messages/catalog_feed.<lang>.toml, ids
// "catalog.feed.*"): an id and the values it names, so the staff who read a
// run's report read it in their language. Values that quote what the file
// holds are quoted Go-style (strconv.Quote), so a control character shows as
// \x01 rather than disappearing.

// because is the reason of a rejected row: message catalog.feed.<id>.
func because(id string, kv ...any) errs.Message { return errs.M("catalog.feed."+id, kv...) }

// none is the empty reason: the row is fine.
var none errs.Message

// q quotes what the file holds for a reason.
func q(s string) string { return strconv.Quote(s) }

// Error is a file that cannot be read as a whole. Kind is one of the
// sentinels (ErrEmpty, ErrFormat, ...), for errors.Is; Msg says why, in the
// message catalog; Detail, when set, is a second message that follows it
// (the first rejected row of a file with too many); Err is an underlying
// read error, logged only.
type Error struct {
	Kind   error
	Msg    errs.Message
	Detail *errs.Message
	Err    error
}

// Error is the message in English, for logs and tests.
func (e *Error) Error() string {
	ms := e.Messages()
	parts := make([]string, len(ms))
	cat := i18n.MustLoad()
	for i, m := range ms {
		parts[i] = cat.Text(i18n.EN, m.ID, m.Data)
	}
	return strings.Join(parts, ": ")
}

// Unwrap returns the sentinel and the underlying error.
func (e *Error) Unwrap() []error {
	out := []error{e.Kind}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Messages are the messages that explain the error, in reading order.
func (e *Error) Messages() []errs.Message {
	if e.Detail == nil {
		return []errs.Message{e.Msg}
	}
	return []errs.Message{e.Msg, *e.Detail}
}

// fileErr builds a whole-file error: message catalog.feed.file.<id>.
func fileErr(kind error, id string, kv ...any) *Error {
	return &Error{Kind: kind, Msg: errs.M("catalog.feed.file."+id, kv...)}
}

// readErr is a read error of the underlying reader.
func readErr(err error) *Error {
	e := fileErr(ErrRead, "read", "detail", err.Error())
	e.Err = err
	return e
}

// textReason names the problem input.Check found in column col.
func textReason(col string, err error) errs.Message {
	switch {
	case errors.Is(err, input.ErrUTF8):
		return because("text_utf8", "column", col)
	case errors.Is(err, input.ErrLineBreak):
		return because("text_line_break", "column", col)
	}
	return because("text_control", "column", col)
}

// priceReason turns a money.Parse error of column col into a reason.
func priceReason(col string, err error) errs.Message {
	var pe *money.ParseError
	if !errors.As(err, &pe) {
		return because("price_invalid", "column", col, "value", "")
	}
	v := q(pe.Input)
	switch {
	case errors.Is(err, money.ErrEmpty):
		return because("price_empty", "column", col)
	case errors.Is(err, money.ErrSyntax):
		if pe.Comma {
			return because("price_syntax_comma", "column", col, "value", v)
		}
		return because("price_syntax", "column", col, "value", v)
	case errors.Is(err, money.ErrNegative):
		return because("negative", "column", col, "value", v)
	case errors.Is(err, money.ErrNoCurrency):
		return because("price_no_currency", "column", col, "value", v)
	case errors.Is(err, money.ErrRange):
		return because("too_large", "column", col, "value", v)
	case errors.Is(err, money.ErrCurrency):
		return because("price_unknown_currency", "column", col, "value", v, "currency", q(pe.Currency))
	case errors.Is(err, money.ErrPrecision):
		return because("price_precision", "column", col, "value", v, "decimals", strconv.Itoa(pe.Decimals),
			"currency", pe.Currency, "allowed", strconv.Itoa(pe.Allowed))
	}
	return because("price_invalid", "column", col, "value", v)
}
