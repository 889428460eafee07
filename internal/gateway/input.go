package gateway

import (
	"bytes"

	"github.com/gofiber/fiber/v2"

	"concierge/internal/errs"
	"concierge/internal/input"
)

// CleanRequest refuses, before any handler sees them, request lines whose
// text could never be valid anywhere: a path (raw or percent-decoded) that is
// not UTF-8 or holds a control character (400), and a query parameter whose
// name or value, once percent-decoded, is not UTF-8 or holds a control
// character — NUL, tab, line breaks included (422 naming the parameter).
// Handlers then read query strings as plain one-line text; what a value
// means (a number, a UUID, one of a list) stays theirs to check.
func CleanRequest() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if badText(c.Request().URI().PathOriginal()) || badText(c.Request().URI().Path()) {
			return errs.New(errs.CodeMalformed, "error.path_not_text")
		}
		var fields []errs.FieldError
		c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
			if len(fields) >= 10 {
				return
			}
			switch {
			case badText(k):
				fields = append(fields, errs.TextError("query", input.Check(string(k), input.SingleLine)))
			case badText(v):
				fields = append(fields, errs.TextError(string(k), input.Check(string(v), input.SingleLine)))
			}
		})
		if len(fields) > 0 {
			return errs.Invalid(fields...)
		}
		return c.Next()
	}
}

// badText reports whether b fails input.Check for one line of text, without
// allocating for the common printable-ASCII case.
func badText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			return input.Check(string(b), input.SingleLine) != nil
		}
	}
	return false
}

// StrictHost refuses (400) a request whose host is ambiguous: more than one
// Host header, or an absolute request target (GET http://a/ HTTP/1.1) whose
// authority differs from the Host header. Tenants are chosen by host, so the
// host every later step reads must be the one the client meant.
func StrictHost() fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := &c.Request().Header
		// fasthttp keeps only the last Host header; the raw header block
		// holds every copy.
		if countHostLines(h.RawHeaders()) > 1 {
			return errs.New(errs.CodeMalformed, "error.host_twice")
		}
		// The request line as sent (Request.RequestURI would rewrite it
		// from the parsed URI, dropping an absolute target's authority).
		if target := h.RequestURI(); hasScheme(target) {
			authority := target[bytes.Index(target, []byte("://"))+3:]
			if i := bytes.IndexAny(authority, "/?#"); i >= 0 {
				authority = authority[:i]
			}
			if !bytes.EqualFold(authority, h.Host()) {
				return errs.New(errs.CodeMalformed, "error.host_mismatch")
			}
		}
		return c.Next()
	}
}

// countHostLines counts "Host:" header lines in a raw header block, without
// allocating.
func countHostLines(raw []byte) int {
	n := 0
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		if len(line) > 5 && line[4] == ':' && (line[0]|0x20) == 'h' && (line[1]|0x20) == 'o' && (line[2]|0x20) == 's' && (line[3]|0x20) == 't' {
			n++
		}
	}
	return n
}

func hasScheme(target []byte) bool {
	return len(target) > 7 && (bytes.EqualFold(target[:7], []byte("http://")) || len(target) > 8 && bytes.EqualFold(target[:8], []byte("https://")))
}
