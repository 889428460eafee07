package httpx

import (
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"concierge/internal/errs"
	"concierge/internal/input"
)

// Request text rules. Every string a request struct receives through Bind
// (fields, slice elements, map keys and values, at any depth) is trimmed and
// checked with the input package before validation:
//
//	Name  string `json:"name"`                    // one line: no control characters at all
//	Body  string `json:"body" text:"multiline"`   // tab, line feed, carriage return allowed
//	Pass  string `json:"password" text:"raw"`     // not trimmed (a password keeps its spaces); still checked
//
// A text of white space only becomes "" (so `required` refuses it).
const textTag = "text"

// checkJSON reads body as strict JSON before it is decoded: invalid UTF-8 and
// lone UTF-16 surrogates (which encoding/json would silently replace with
// U+FFFD), NUL in any string or name, and a name repeated within one object
// (encoding/json keeps the last) are field errors (422); anything else that
// is not one JSON value is malformed (400).
func checkJSON(body []byte) error {
	dec := jsontext.NewDecoder(strings.NewReader(string(body)))
	for {
		tok, err := dec.ReadToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var se *jsontext.SyntacticError
			if errors.As(err, &se) {
				switch {
				case errors.Is(se.Err, jsontext.ErrDuplicateName):
					return errs.Invalid(errs.Field(pointerField(se.JSONPointer), "duplicate", "field.duplicate"))
				case se.Err != nil && strings.Contains(se.Err.Error(), "non-control character"):
					// A raw control byte inside a string.
					return errs.Invalid(errs.TextError(pointerField(se.JSONPointer), input.ErrControl))
				case se.Err != nil && (strings.Contains(se.Err.Error(), "invalid UTF-8") ||
					strings.Contains(se.Err.Error(), "invalid surrogate") || strings.Contains(se.Err.Error(), "invalid escape sequence")):
					// Bytes that are not UTF-8, or \u escapes that are not
					// characters. (jsontext exports no sentinels for these;
					// TestBindRefusesHostileText pins the messages.)
					return errs.Invalid(errs.TextError(pointerField(se.JSONPointer), input.ErrUTF8))
				}
			}
			return errs.Wrap(errs.CodeMalformed, err, "error.body_not_json")
		}
		if tok.Kind() == '"' && strings.IndexByte(tok.String(), 0) >= 0 {
			return errs.Invalid(errs.TextError(pointerField(dec.StackPointer()), input.ErrControl))
		}
	}
}

// pointerField turns a JSON pointer (/variants/0/sku) into the field name
// validation errors use (variants[0].sku).
func pointerField(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.ParseUint(tok, 10, 32); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(safeName(tok))
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

// safeName keeps a client-chosen name echoed in an error printable.
func safeName(s string) string {
	if input.Check(s, input.SingleLine) != nil {
		return strconv.QuoteToASCII(s)
	}
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

// cleanStrings trims and checks every string reachable from v (a pointer to
// the decoded request), following the text tags, and returns one field error
// per bad string.
func cleanStrings(v reflect.Value) []errs.FieldError {
	var out []errs.FieldError
	cleanValue(v, "", input.SingleLine, false, &out)
	return out
}

func joinField(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func cleanValue(v reflect.Value, path string, mode input.Mode, raw bool, out *[]errs.FieldError) {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		var err error
		if raw {
			if input.Blank(s) {
				s = ""
			}
			err = input.Check(s, mode)
		} else {
			s, err = input.Clean(s, mode)
		}
		if err != nil {
			*out = append(*out, errs.TextError(fieldName(path), err))
			return
		}
		if v.CanSet() && s != v.String() {
			v.SetString(s)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			cleanValue(v.Elem(), path, mode, raw, out)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := strings.SplitN(f.Tag.Get("json"), ",", 2)[0]
			if name == "-" {
				continue
			}
			fm, fraw := mode, raw
			for _, opt := range strings.Split(f.Tag.Get(textTag), ",") {
				switch opt {
				case "multiline":
					fm = input.MultiLine
				case "raw":
					fraw = true
				}
			}
			p := path
			switch {
			case name != "":
				p = joinField(path, name)
			case !f.Anonymous:
				p = joinField(path, f.Name)
			}
			cleanValue(v.Field(i), p, fm, fraw, out)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // raw bytes (json.RawMessage) and ids: checked as JSON by checkJSON
		}
		for i := 0; i < v.Len(); i++ {
			cleanValue(v.Index(i), path+"["+strconv.Itoa(i)+"]", mode, raw, out)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		cleanMap(v, path, mode, raw, out)
	}
}

// cleanMap cleans keys (always one line) and values; map values are not
// addressable, so cleaned entries are written back.
func cleanMap(v reflect.Value, path string, mode input.Mode, raw bool, out *[]errs.FieldError) {
	type entry struct{ old, key, val reflect.Value }
	var changed []entry
	seen := make(map[string]bool, v.Len())
	iter := v.MapRange()
	for iter.Next() {
		k, val := iter.Key(), iter.Value()
		field := path + "[" + safeName(keyString(k)) + "]"
		nk := k
		if k.Kind() == reflect.String {
			s, err := input.Clean(k.String(), input.SingleLine)
			if err != nil {
				*out = append(*out, errs.TextError(fieldName(field), err))
				continue
			}
			if seen[s] {
				*out = append(*out, errs.Field(fieldName(field), "duplicate", "field.duplicate_key"))
				continue
			}
			seen[s] = true
			if s != k.String() {
				nk = reflect.New(k.Type()).Elem()
				nk.SetString(s)
			}
		}
		nv := reflect.New(val.Type()).Elem()
		nv.Set(val)
		before := len(*out)
		cleanValue(nv, field, mode, raw, out)
		if len(*out) == before {
			changed = append(changed, entry{old: k, key: nk, val: nv})
		}
	}
	for _, e := range changed {
		if e.key.String() != e.old.String() {
			v.SetMapIndex(e.old, reflect.Value{})
		}
		v.SetMapIndex(e.key, e.val)
	}
}

func keyString(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return k.String()
	}
	return strconv.Quote(k.String())
}

func fieldName(path string) string {
	if path == "" {
		return "body"
	}
	return path
}
