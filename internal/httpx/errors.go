// Package httpx holds the gateway's HTTP plumbing: the one error vocabulary,
// RFC 9457 problem+json answers, request parsing and validation.
package httpx

import (
	"errors"
	"fmt"
)

// Code is one word of the error vocabulary shared by every module.
type Code string

// The error codes. The Fiber error handler is the one place that maps a code to
// an HTTP status.
const (
	CodeInvalid      Code = "invalid"
	CodeNotFound     Code = "not_found"
	CodeConflict     Code = "conflict"
	CodeUnauthorized Code = "unauthorized"
	CodeForbidden    Code = "forbidden"
	CodeRateLimited  Code = "rate_limited"
	CodeUnavailable  Code = "unavailable"
	CodeInternal     Code = "internal"
	CodeTooLarge     Code = "too_large"
	CodeMalformed    Code = "malformed"
	// CodeMethodNotAllowed is a known path asked with a method it does not
	// serve (405 with an Allow header).
	CodeMethodNotAllowed Code = "method_not_allowed"
)

// Sentinel errors modules wrap with %w.
var (
	ErrInvalid      = &Error{Code: CodeInvalid}
	ErrNotFound     = &Error{Code: CodeNotFound}
	ErrConflict     = &Error{Code: CodeConflict}
	ErrUnauthorized = &Error{Code: CodeUnauthorized}
	ErrForbidden    = &Error{Code: CodeForbidden}
	ErrRateLimited  = &Error{Code: CodeRateLimited}
	ErrUnavailable  = &Error{Code: CodeUnavailable}
)

// FieldError is one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// MessageAr is the same message in Arabic.
	MessageAr string `json:"message_ar,omitempty"`
}

// Error is the application error: a code, a message safe to show a client, and
// optional field errors. Anything else (the wrapped cause) goes only to the log.
type Error struct {
	Code    Code
	Message string // safe for the client; empty means the code's default
	Fields  []FieldError
	// RetryAfter, in seconds, for rate_limited and unavailable.
	RetryAfter int
	Err        error // the cause, logged, never sent
}

func (e *Error) Error() string {
	switch {
	case e.Message != "" && e.Err != nil:
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	case e.Message != "":
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	case e.Err != nil:
		return fmt.Sprintf("%s: %v", e.Code, e.Err)
	}
	return string(e.Code)
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches errors by code, so errors.Is(err, httpx.ErrNotFound) holds for any
// not_found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// E builds an error with a code and a client-safe message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches a cause (logged only) to a coded error.
func Wrap(code Code, cause error, message string) *Error {
	return &Error{Code: code, Message: message, Err: cause}
}

// Invalid builds a 422 error listing field errors.
func Invalid(fields ...FieldError) *Error {
	return &Error{Code: CodeInvalid, Message: "the request has invalid fields", Fields: fields}
}

// CodeOf returns the code of err, or internal when it carries none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
