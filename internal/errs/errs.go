// Package errs is the product's one error vocabulary: a code every layer
// agrees on, a message a person can read (an id in the message catalog,
// internal/i18n, with its values) and, for invalid input, one error per
// field. Modules return these errors and wrap them with %w; the HTTP edge
// (httpx.ErrorHandler) is the one place a code becomes a status and a message
// becomes text in the reader's language. The cause (Err) goes to the log,
// never to the client.
//
//	return errs.New(errs.CodeNotFound, "catalog.product.not_found")
//	return errs.Invalid(errs.Field("price", "min", "field.min", "min", 0))
package errs

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Code is one word of the error vocabulary.
type Code string

// The codes. httpx maps each to one HTTP status.
const (
	CodeInvalid          Code = "invalid"            // 422: fields break the rules
	CodeMalformed        Code = "malformed"          // 400: not the shape of a request at all
	CodeNotFound         Code = "not_found"          // 404
	CodeMethodNotAllowed Code = "method_not_allowed" // 405
	CodeRequestTimeout   Code = "request_timeout"    // 408: the client sent its request too slowly
	CodeConflict         Code = "conflict"           // 409
	CodeUnauthorized     Code = "unauthorized"       // 401
	CodeForbidden        Code = "forbidden"          // 403
	CodeTooLarge         Code = "too_large"          // 413
	CodeRateLimited      Code = "rate_limited"       // 429
	CodeUnavailable      Code = "unavailable"        // 503
	CodeInternal         Code = "internal"           // 500
)

// Message is a text a person reads: the id of a message in the catalog and
// the values its template names. A Message with no ID shows the default text
// of its error's code.
type Message struct {
	ID   string
	Data map[string]any
}

// M builds a Message from an id and key/value pairs: M("field.max", "max", 300).
func M(id string, kv ...any) Message {
	m := Message{ID: id}
	if len(kv) > 0 {
		m.Data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			m.Data[k] = kv[i+1]
		}
	}
	return m
}

// String is the message in a form for logs and tests: its id and values.
func (m Message) String() string {
	if len(m.Data) == 0 {
		return m.ID
	}
	keys := make([]string, 0, len(m.Data))
	for k := range m.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(m.ID)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, m.Data[k])
	}
	return b.String()
}

// FieldError is one invalid field of a request: its name as the client
// wrote it (variants[0].sku), the rule it broke and the message to show.
type FieldError struct {
	Field string
	Code  string
	Msg   Message
}

// Field builds a field error.
func Field(field, code, id string, kv ...any) FieldError {
	return FieldError{Field: field, Code: code, Msg: M(id, kv...)}
}

// Error is the application error. Msg is safe for the client; Err, the
// cause, is logged only.
type Error struct {
	Code   Code
	Msg    Message
	Fields []FieldError
	// RetryAfter, in seconds, for rate_limited and unavailable.
	RetryAfter int
	Err        error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Msg.ID != "" {
		b.WriteString(": " + e.Msg.String())
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Msg.String())
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches errors by code, so errors.Is(err, errs.ErrNotFound) holds for
// any not_found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels to match with errors.Is (by code).
var (
	ErrInvalid      = &Error{Code: CodeInvalid}
	ErrNotFound     = &Error{Code: CodeNotFound}
	ErrConflict     = &Error{Code: CodeConflict}
	ErrUnauthorized = &Error{Code: CodeUnauthorized}
	ErrForbidden    = &Error{Code: CodeForbidden}
	ErrRateLimited  = &Error{Code: CodeRateLimited}
	ErrUnavailable  = &Error{Code: CodeUnavailable}
)

// New builds an error with a code and a catalog message.
func New(code Code, id string, kv ...any) *Error {
	return &Error{Code: code, Msg: M(id, kv...)}
}

// Wrap attaches a cause (logged only) to a coded error with a catalog
// message (id may be "" for the code's default).
func Wrap(code Code, cause error, id string, kv ...any) *Error {
	e := &Error{Code: code, Err: cause}
	if id != "" {
		e.Msg = M(id, kv...)
	}
	return e
}

// Invalid builds the 422 error listing field errors.
func Invalid(fields ...FieldError) *Error {
	return &Error{Code: CodeInvalid, Msg: M("error.invalid_fields"), Fields: fields}
}

// CodeOf returns the code of err, or internal when it carries none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// FieldsOf returns the field errors of err, if it is an invalid error.
func FieldsOf(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
