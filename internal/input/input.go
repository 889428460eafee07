// Package input holds the rules every piece of text and every link from
// outside (API bodies, query strings, feed rows, the shell) must pass before
// it is stored: valid UTF-8 without NUL or other control characters, surrounding
// white space trimmed, links absolute http(s). The HTTP edge (httpx.Bind and
// the gateway), the catalog feed and the domain services all apply the same
// rules, so a value refused at one door is refused at every door.
package input

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problems of a text. Each is a sentinel so callers can name it in both
// languages.
var (
	// ErrUTF8 is a text that is not valid UTF-8 (it would otherwise be
	// stored with U+FFFD in place of what was sent, or refused by
	// PostgreSQL).
	ErrUTF8 = errors.New("is not valid UTF-8 text")
	// ErrControl is a text holding NUL or another control character that no
	// field allows (C0 other than tab, line feed and carriage return; DEL;
	// C1).
	ErrControl = errors.New("contains a control character")
	// ErrLineBreak is a tab or line break in a field that holds one line.
	ErrLineBreak = errors.New("must be a single line (no tabs or line breaks)")
)

// Mode says which white space characters a field may hold inside it.
type Mode int

const (
	// SingleLine fields (names, SKUs, titles, identifiers) allow no control
	// character at all.
	SingleLine Mode = iota
	// MultiLine fields (descriptions, messages) allow tab, line feed and
	// carriage return.
	MultiLine
)

// Check reports the first problem of s, or nil. It does not trim.
func Check(s string, m Mode) error {
	// Fast path: printable ASCII only.
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b < 0x20 || b >= 0x7f {
			return checkSlow(s[i:], m)
		}
	}
	return nil
}

func checkSlow(s string, m Mode) error {
	if !utf8.ValidString(s) {
		return ErrUTF8
	}
	lineBreak := false
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			lineBreak = true
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return ErrControl
		}
	}
	if lineBreak && m == SingleLine {
		return ErrLineBreak
	}
	return nil
}

// Clean trims surrounding white space (Unicode's, which includes the
// no-break space U+00A0) and checks the rest; a text of white space only
// becomes "".
func Clean(s string, m Mode) (string, error) {
	if !utf8.ValidString(s) {
		return s, ErrUTF8
	}
	s = strings.TrimFunc(s, unicode.IsSpace)
	return s, Check(s, m)
}

// Blank reports whether s is empty once trimmed.
func Blank(s string) bool { return strings.TrimFunc(s, unicode.IsSpace) == "" }

// MaxURLLen is the longest link accepted, in bytes.
const MaxURLLen = 2048

// Problems of a link.
var (
	ErrURL       = errors.New("must be an absolute link")
	ErrURLScheme = errors.New("must start with https://")
	// ErrURLSchemeHTTP is ErrURLScheme where plain http is allowed too.
	ErrURLSchemeHTTP = errors.New("must start with https:// or http://")
)

// WebURL checks a link a person's browser or WhatsApp may open, or a server
// may fetch: absolute, https (or http when allowHTTP, outside production),
// with a host, without user name or password, without white space or control
// characters, at most MaxURLLen bytes. Any other scheme (javascript:, data:,
// file:, ftp:, ...) is refused.
func WebURL(s string, allowHTTP bool) error {
	if len(s) > MaxURLLen || Check(s, SingleLine) != nil || strings.ContainsFunc(s, unicode.IsSpace) {
		return ErrURL
	}
	u, err := url.Parse(s)
	if err != nil {
		return ErrURL
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !allowHTTP {
			return ErrURLScheme
		}
	default:
		if allowHTTP {
			return ErrURLSchemeHTTP
		}
		return ErrURLScheme
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" || u.User != nil {
		return ErrURL
	}
	return nil
}

// Scrub makes text that must be kept whatever it holds (a customer's
// WhatsApp message: refusing it would make Meta retry it for days) safe to
// store: invalid UTF-8 and NUL (which PostgreSQL text and jsonb refuse)
// become U+FFFD; everything else is kept as sent.
func Scrub(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// ScrubAll applies Scrub to every string reachable from ptr (a pointer to a
// decoded value: struct fields, slices, arrays, map keys and values,
// pointers), in place.
func ScrubAll(ptr any) { scrubValue(reflect.ValueOf(ptr)) }

func scrubValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); v.CanSet() {
			if c := Scrub(s); c != s {
				v.SetString(c)
			}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			scrubValue(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				scrubValue(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := 0; i < v.Len(); i++ {
			scrubValue(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		type kv struct{ old, key, val reflect.Value }
		var all []kv
		iter := v.MapRange()
		for iter.Next() {
			k := reflect.New(iter.Key().Type()).Elem()
			k.Set(iter.Key())
			val := reflect.New(iter.Value().Type()).Elem()
			val.Set(iter.Value())
			scrubValue(k)
			scrubValue(val)
			all = append(all, kv{iter.Key(), k, val})
		}
		for _, e := range all {
			v.SetMapIndex(e.old, reflect.Value{})
		}
		for _, e := range all {
			v.SetMapIndex(e.key, e.val)
		}
	}
}
