package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"concierge/internal/errs"
)

// parseJSON reads a JSON feed: an array of item objects, or an object whose
// "items" (or "products") member is that array. The array is streamed one
// element at a time.
func parseJSON(r io.Reader, c *collector) error {
	lc := &lineCounter{r: r}
	dec := json.NewDecoder(lc)
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return jsonError(lc, dec, err)
	}
	switch tok {
	case json.Delim('['):
		if err := jsonItems(lc, dec, c); err != nil {
			return err
		}
	case json.Delim('{'):
		found := false
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return jsonError(lc, dec, err)
			}
			if k, _ := key.(string); !found && (strings.EqualFold(k, "items") || strings.EqualFold(k, "products")) {
				found = true
				if tok, err := dec.Token(); err != nil {
					return jsonError(lc, dec, err)
				} else if tok != json.Delim('[') {
					return fileErr(ErrFormat, "json_items_type", "key", q(k))
				}
				if err := jsonItems(lc, dec, c); err != nil {
					return err
				}
				continue
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return jsonError(lc, dec, err)
			}
		}
		if _, err := dec.Token(); err != nil {
			return jsonError(lc, dec, err)
		}
		if !found {
			return fileErr(ErrFormat, "json_no_items")
		}
	default:
		return fileErr(ErrFormat, "json_shape")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fileErr(ErrSyntax, "json_trailing", "line", lc.lineAt(dec.InputOffset()))
	}
	return nil
}

// jsonItems reads the elements of an array whose '[' has been read, and
// its ']'.
func jsonItems(lc *lineCounter, dec *json.Decoder, c *collector) error {
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return jsonError(lc, dec, err)
		}
		// raw is the element without the spaces around it, so it starts
		// len(raw) bytes before the decoder's offset.
		line := lc.lineAt(dec.InputOffset() - int64(len(raw)))
		if err := c.take(jsonItem(line, raw, c.opt)); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return jsonError(lc, dec, err)
	}
	return nil
}

// jsonError turns a decoding error into a file error with its line. The
// offset of a syntax error in a value is counted from the value's start
// (the decoder's offset, which a failed read leaves there); the offset of
// a misplaced delimiter is absolute: the decoder's offset itself.
func jsonError(lc *lineCounter, dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		off := se.Offset
		if base := dec.InputOffset(); off != base {
			off += base - 1
		}
		return fileErr(ErrSyntax, "syntax_line", "line", lc.lineAt(off), "detail", se.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fileErr(ErrSyntax, "json_ends_early", "line", lc.lineAt(dec.InputOffset()))
	}
	return readErr(err)
}

// jsonKind names the kind of a JSON value from its first byte: object,
// array, string, boolean, null, number or empty (the messages name it in
// their language).
func jsonKind(raw []byte) string {
	switch {
	case len(raw) == 0:
		return "empty"
	case raw[0] == '{':
		return "object"
	case raw[0] == '[':
		return "array"
	case raw[0] == '"':
		return "string"
	case raw[0] == 't' || raw[0] == 'f':
		return "boolean"
	case raw[0] == 'n':
		return "null"
	}
	return "number"
}

// jsonItem reads one element of the items array.
func jsonItem(line int, raw json.RawMessage, opt Options) (Item, errs.Message) {
	d := draft{line: line}
	if !utf8.Valid(raw) {
		return Item{Line: line}, because("json_utf8")
	}
	if raw[0] != '{' {
		return Item{Line: line}, because("json_not_object", "kind", jsonKind(raw))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return Item{Line: line}, because("json_unreadable", "detail", err.Error())
	}
	seen := make(map[string]bool, len(obj))
	for key, v := range obj {
		k := strings.ToLower(key)
		if seen[k] {
			d.fail(because("json_field_twice", "name", q(k)))
			continue
		}
		seen[k] = true
		d.jsonField(k, v)
	}
	// Other scalar members are attributes too, unless "attributes" has
	// the same name.
	for key, v := range obj {
		if columnOf(strings.ToLower(key)) != colNone || jsonStructured[strings.ToLower(key)] {
			continue
		}
		if _, taken := d.attrs[key]; taken {
			continue
		}
		if s, ok := jsonScalar(v); ok {
			d.attr(key, s) // objects and arrays are ignored
		}
	}
	return d.build(opt)
}

// jsonStructured are the members that are not Concierge columns.
var jsonStructured = map[string]bool{
	"price_minor": true, "compare_at_price_minor": true,
	"options": true, "categories": true, "images": true, "attributes": true,
}

// jsonField sets a member of an item object that is a Concierge column or
// one of the structured forms; k is its lower-case name.
func (d *draft) jsonField(k string, v json.RawMessage) {
	switch k {
	case "price_minor", "compare_at_price_minor":
		s, ok := jsonScalar(v)
		if !ok {
			d.fail(because("json_not_whole", "column", k, "kind", jsonKind(v)))
		}
		if k == "price_minor" {
			d.priceMinor = s
		} else {
			d.compareMinor = s
		}
	case "options":
		d.hasOptions = true
		d.options = d.jsonOptions(v)
	case "categories":
		d.hasCategories = true
		d.categories = d.jsonCategories(v)
	case "images":
		d.hasImages = true
		d.images = d.jsonImages(v)
	case "attributes":
		var attrs map[string]json.RawMessage
		if err := json.Unmarshal(v, &attrs); err != nil && !isNull(v) {
			d.fail(because("json_attributes_type", "kind", jsonKind(v)))
			return
		}
		for name, av := range attrs {
			s, ok := jsonScalar(av)
			if !ok {
				d.fail(because("json_attribute_type", "name", q(name), "kind", jsonKind(av)))
			}
			d.attr(name, s)
		}
	default:
		if col := columnOf(k); col != colNone {
			s, ok := jsonScalar(v)
			if !ok {
				d.fail(because("json_not_text", "column", k, "kind", jsonKind(v)))
			}
			d.v[col] = s
		}
	}
}

// jsonScalar returns the trimmed text of a string, number or boolean ("" for
// null); ok is false for objects and arrays. A number is its literal text,
// never a float.
func jsonScalar(v json.RawMessage) (string, bool) {
	if len(v) == 0 { // member absent
		return "", true
	}
	var x any
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	if err := dec.Decode(&x); err != nil {
		return "", false
	}
	switch x := x.(type) {
	case nil:
		return "", true
	case string:
		return strings.TrimSpace(x), true
	case json.Number:
		return x.String(), true
	case bool:
		return fmt.Sprint(x), true
	}
	return "", false
}

func isNull(v json.RawMessage) bool { return string(v) == "null" }

// jsonText reads a member that must be text, recording a problem
// otherwise; what names it as a path (options[].name).
func (d *draft) jsonText(what string, v json.RawMessage) string {
	s, ok := jsonScalar(v)
	if !ok {
		d.fail(because("json_not_text", "column", what, "kind", jsonKind(v)))
	}
	return s
}

// jsonOptions reads "options": [{"name":"Size","value":"M"}, ...] or
// {"Size":"M", ...}, keeping the order as written in both forms.
func (d *draft) jsonOptions(v json.RawMessage) []Option {
	var opts []Option
	switch {
	case isNull(v):
	case v[0] == '[':
		var list []map[string]json.RawMessage
		if err := json.Unmarshal(v, &list); err != nil {
			d.fail(because("json_options_shape"))
			return nil
		}
		for _, o := range list {
			opts = append(opts, Option{Name: d.jsonText("options[].name", o["name"]), Value: d.jsonText("options[].value", o["value"]),
				NameAR: d.jsonText("options[].name_ar", o["name_ar"]), ValueAR: d.jsonText("options[].value_ar", o["value_ar"])})
		}
	case v[0] == '{':
		dec := json.NewDecoder(bytes.NewReader(v))
		_, _ = dec.Token() // '{'; v is valid JSON
		for dec.More() {
			name, _ := dec.Token()
			var value json.RawMessage
			_ = dec.Decode(&value)
			n, _ := name.(string)
			opts = append(opts, Option{Name: strings.TrimSpace(n), Value: d.jsonText("options."+n, value)})
		}
	default:
		d.fail(because("json_options_type", "kind", jsonKind(v)))
	}
	return opts
}

// jsonCategories reads "categories": a list of paths, each a list of
// levels {"ar": ..., "en": ...} (a plain string level goes to its script's
// language) or a string "Women > Abayas".
func (d *draft) jsonCategories(v json.RawMessage) [][]CategoryName {
	var paths []json.RawMessage
	if err := json.Unmarshal(v, &paths); err != nil && !isNull(v) {
		d.fail(because("json_categories_type", "kind", jsonKind(v)))
		return nil
	}
	var cats [][]CategoryName
	for _, p := range paths {
		var path []CategoryName
		switch {
		case len(p) > 0 && p[0] == '"':
			s := d.jsonText("categories[]", p)
			levels, reason := splitPath("categories", s)
			if reason.ID != "" {
				d.fail(reason)
			}
			for _, l := range levels {
				path = append(path, byScript(l))
			}
		case len(p) > 0 && p[0] == '[':
			var levels []json.RawMessage
			_ = json.Unmarshal(p, &levels)
			for _, l := range levels {
				var name CategoryName
				if len(l) > 0 && l[0] == '"' {
					name = byScript(d.jsonText("categories[][]", l))
				} else {
					var m map[string]json.RawMessage
					if err := json.Unmarshal(l, &m); err != nil {
						d.fail(because("json_category_level_type", "kind", jsonKind(l)))
						continue
					}
					name = CategoryName{AR: d.jsonText("categories[][].ar", m["ar"]), EN: d.jsonText("categories[][].en", m["en"])}
				}
				if name.AR == "" && name.EN == "" {
					d.fail(because("category_level_empty", "column", "categories"))
				}
				path = append(path, name)
			}
		default:
			d.fail(because("json_category_path_type", "kind", jsonKind(p)))
		}
		if len(path) == 0 {
			d.fail(because("category_empty", "column", "categories"))
		}
		cats = append(cats, path)
	}
	return cats
}

// jsonImages reads "images": [{"url": ..., "alt_ar": ..., "alt_en": ...}]
// or a list of URLs.
func (d *draft) jsonImages(v json.RawMessage) []Image {
	var list []json.RawMessage
	if err := json.Unmarshal(v, &list); err != nil && !isNull(v) {
		d.fail(because("json_images_type", "kind", jsonKind(v)))
		return nil
	}
	var images []Image
	for _, raw := range list {
		if len(raw) > 0 && raw[0] == '"' {
			images = append(images, Image{URL: d.jsonText("images", raw)})
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			d.fail(because("json_image_type", "kind", jsonKind(raw)))
			continue
		}
		images = append(images, Image{
			URL:   d.jsonText("images[].url", m["url"]),
			AltAR: d.jsonText("images[].alt_ar", m["alt_ar"]),
			AltEN: d.jsonText("images[].alt_en", m["alt_en"]),
		})
	}
	return images
}

// lineCounter passes reads through and finds the line of an input offset.
// It keeps only the offsets of newlines not yet counted, so it holds about
// one buffer's worth; lineAt must be called with non-decreasing offsets.
type lineCounter struct {
	r    io.Reader
	read int64   // bytes read so far
	nl   []int64 // offsets of newlines read but not yet counted
	line int     // newlines counted
}

func (l *lineCounter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			break
		}
		l.nl = append(l.nl, l.read+int64(i+j))
		i += j + 1
	}
	l.read += int64(n)
	return n, err
}

// lineAt returns the 1-based line of offset off.
func (l *lineCounter) lineAt(off int64) int {
	i := 0
	for i < len(l.nl) && l.nl[i] < off {
		i++
	}
	l.line += i
	l.nl = l.nl[i:]
	return l.line + 1
}
