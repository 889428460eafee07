package feed

import (
	"bytes"
	"mime"
	"path"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Detect guesses the format of a feed from the start of its content (head,
// a few KB are plenty) and, when the content does not tell, from the file
// name's extension (name may be a URL) and the content type. It returns
// FormatAuto when it cannot tell.
//
// By content, after a byte order mark and leading spaces: "<" is
// google-xml; "[" or "{" is json; otherwise the first line is a header
// whose delimiter is a tab (when it has one) or a comma. A header with a
// "sku" column is Concierge's csv or tsv; one with Google's "id" and
// "title", "price", "link", "image_link" or "availability" is google-tsv
// (which also reads Google and Meta feeds saved as CSV).
func Detect(name, contentType string, head []byte) Format {
	if f := detectContent(headText(head)); f != FormatAuto {
		return f
	}
	if i := strings.IndexAny(name, "?#"); i >= 0 {
		name = name[:i] // a URL's query or fragment
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".xml", ".rss", ".atom":
		return FormatGoogleXML
	case ".json":
		return FormatJSON
	case ".tsv", ".tab":
		return FormatTSV
	case ".csv":
		return FormatCSV
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return FormatJSON
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		return FormatGoogleXML
	case mt == "text/tab-separated-values":
		return FormatTSV
	case mt == "text/csv":
		return FormatCSV
	}
	return FormatAuto
}

// headText returns head as UTF-8 without a byte order mark, converting
// UTF-16 with a BOM.
func headText(head []byte) []byte {
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return head[3:]
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		be := head[0] == 0xFE
		u := make([]uint16, 0, len(head)/2)
		for i := 2; i+1 < len(head); i += 2 {
			if be {
				u = append(u, uint16(head[i])<<8|uint16(head[i+1]))
			} else {
				u = append(u, uint16(head[i+1])<<8|uint16(head[i]))
			}
		}
		var b []byte
		for _, r := range utf16.Decode(u) {
			b = utf8.AppendRune(b, r)
		}
		return b
	}
	return head
}

// detectContent detects the format from the content alone, which has no
// byte order mark.
func detectContent(head []byte) Format {
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 {
		return FormatAuto
	}
	switch head[0] {
	case '<':
		return FormatGoogleXML
	case '[', '{':
		return FormatJSON
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	header := strings.TrimRight(string(line), "\r")
	comma := ","
	if strings.Contains(header, "\t") {
		comma = "\t"
	} else if !strings.Contains(header, ",") {
		return FormatAuto
	}
	fields := strings.Split(header, comma)
	switch {
	case hasField(fields, "sku"):
		if comma == "\t" {
			return FormatTSV
		}
		return FormatCSV
	case isGoogleHeader(fields):
		return FormatGoogleTSV
	case comma == "\t":
		return FormatTSV
	}
	return FormatCSV
}

// isGoogleHeader reports whether a header row is a Google or Meta product
// feed's: an "id" column and one of the other core fields, and no "sku".
func isGoogleHeader(fields []string) bool {
	if !hasField(fields, "id") || hasField(fields, "sku") {
		return false
	}
	for _, f := range []string{"title", "price", "link", "image_link", "availability"} {
		if hasField(fields, f) {
			return true
		}
	}
	return false
}

// hasField reports whether a header has the field name, compared as
// googleField compares them.
func hasField(fields []string, name string) bool {
	for _, f := range fields {
		if headerName(f) == name {
			return true
		}
	}
	return false
}

// headerName is a header field as matched against field names: trimmed of
// spaces and quotes, lower case, without a "g:" prefix.
func headerName(f string) string {
	f = strings.ToLower(strings.Trim(f, " \"'"))
	return strings.TrimPrefix(f, "g:")
}
