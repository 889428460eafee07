package feed

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// XML namespaces of the feeds.
const (
	nsGoogle = "http://base.google.com/ns/1.0"
	nsAtom   = "http://www.w3.org/2005/Atom"
)

// parseGoogleXML reads a Google or Meta feed as RSS 2.0
// (<rss><channel><item>) or Atom (<feed><entry>). Fields are the g:
// elements; un-prefixed elements of the same names (Meta, and RSS's own
// title, link and description; Atom's title, summary, content and
// link href) are used when the g: one is absent.
//
// encoding/xml neither reads DTDs nor expands entities other than the five
// predefined ones and character references; in strict mode an unknown
// entity is a syntax error, so entity expansion attacks have nothing to
// expand.
func parseGoogleXML(r io.Reader, c *collector) error {
	dec := xml.NewDecoder(r)
	dec.Strict = true
	var charset string
	dec.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "us-ascii") || strings.EqualFold(label, "ascii") {
			return input, nil // a subset of UTF-8
		}
		charset = label
		return nil, ErrEncoding
	}
	var open []string // local names of the open elements
	root := false
	for {
		line, _ := dec.InputPos()
		tok, err := dec.Token()
		switch {
		case errors.Is(err, io.EOF):
			switch {
			case !root:
				return fileErr(ErrFormat, "xml_no_root")
			case len(open) > 0:
				return fileErr(ErrSyntax, "xml_ends_inside", "element", open[len(open)-1])
			}
			return nil
		case charset != "":
			return fileErr(ErrEncoding, "xml_encoding", "charset", q(charset))
		case err != nil:
			return xmlError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(open) == 0 {
				if root || t.Name.Local != "rss" && t.Name.Local != "feed" {
					return fileErr(ErrFormat, "xml_root", "element", t.Name.Local)
				}
				root = true
			}
			if isXMLItem(open, t.Name.Local) {
				g, err := readXMLItem(dec, line)
				if err != nil {
					return err
				}
				if err := c.take(g.build(c.opt)); err != nil {
					return err
				}
				continue
			}
			open = append(open, t.Name.Local)
		case xml.EndElement:
			open = open[:len(open)-1]
		}
	}
}

// isXMLItem reports whether an element named local under the open ones is
// an item: rss/channel/item or feed/entry.
func isXMLItem(open []string, local string) bool {
	switch len(open) {
	case 1:
		return open[0] == "feed" && local == "entry"
	case 2:
		return open[0] == "rss" && open[1] == "channel" && local == "item"
	}
	return false
}

// xmlError turns a decoding error into a file error with its line.
func xmlError(err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fileErr(ErrSyntax, "syntax_line", "line", se.Line, "detail", se.Msg)
	}
	return readErr(err)
}

// readXMLItem reads the children of an <item> or <entry> whose start tag
// has been read, up to its end tag.
func readXMLItem(dec *xml.Decoder, line int) (gdraft, error) {
	g := gdraft{line: line}
	// The g: values and the un-prefixed ones; g: wins.
	var gv, pv gdraft
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return g, fileErr(ErrSyntax, "xml_ends_in_item", "line", line)
			}
			return g, xmlError(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			for f := gID; f < numGFields; f++ {
				g.v[f] = gv.v[f]
				if g.v[f] == "" {
					g.v[f] = pv.v[f]
				}
			}
			g.additionalImages, g.productTypes = gv.additionalImages, gv.productTypes
			if len(g.additionalImages) == 0 {
				g.additionalImages = pv.additionalImages
			}
			if len(g.productTypes) == 0 {
				g.productTypes = pv.productTypes
			}
			return g, nil
		case xml.StartElement:
			text, err := xmlText(dec)
			if err != nil {
				return g, err
			}
			text = strings.TrimSpace(text)
			local := strings.ToLower(t.Name.Local)
			f := gfieldOf(local)
			into := &pv
			switch t.Name.Space {
			case nsGoogle, nsGoogle + "/", "g": // "g": the prefix was never declared
				into = &gv
			case "", nsAtom:
				switch local {
				case "summary", "content":
					f = gDescription
				case "link":
					if href := xmlAttr(t, "href"); href != "" && text == "" {
						if rel := xmlAttr(t, "rel"); rel != "" && rel != "alternate" {
							continue
						}
						text = strings.TrimSpace(href)
					}
				}
			default:
				continue // other namespaces (media:, content:, ...)
			}
			if text != "" && (f != gDescription || into.v[f] == "") {
				into.set(f, text)
			}
		}
	}
}

// xmlText reads the text of an element whose start tag has been read, up
// to its end tag, with the text of nested elements (an unescaped <b> in a
// description) run in.
func xmlText(dec *xml.Decoder) (string, error) {
	var b strings.Builder
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", fileErr(ErrSyntax, "xml_ends_early")
			}
			return "", xmlError(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return b.String(), nil
			}
			depth--
		}
	}
}

// xmlAttr returns the value of an un-prefixed attribute.
func xmlAttr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
