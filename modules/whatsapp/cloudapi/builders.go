package cloudapi

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// WhatsApp's limits, in characters (Unicode code points, counted as runes).
const (
	MaxTextBody        = 4096
	MaxInteractiveBody = 1024
	MaxHeader          = 60
	MaxFooter          = 60
	MaxButtons         = 3
	MaxButtonTitle     = 20
	MaxButtonID        = 256
	MaxListButton      = 20
	MaxRows            = 10 // rows in one list message, across all sections
	MaxSections        = 10
	MaxRowTitle        = 24
	MaxRowDescription  = 72
	MaxRowID           = 200
	MaxSectionTitle    = 24
	MaxCaption         = 1024
	MaxCTADisplayText  = 20
	MaxProductItems    = 30 // products in one product list message
)

// Ellipsis ends every text this package had to shorten.
const Ellipsis = "…"

// DefaultListLabel labels the list button when Buttons has to turn into a
// list.
const DefaultListLabel = "خيارات / Options"

// MoreTitle is the title of the row that leads to the next page of a paged
// list (ListPages).
const MoreTitle = "المزيد / More"

// Truncate shortens s to at most max characters (runes). A shortened text
// ends with "…" and is cut on a character boundary: never inside a UTF-8
// sequence, never between a letter and its combining marks (Arabic harakat),
// inside a ZWJ emoji sequence or a flag. It prefers ending after a whole
// word when that keeps at least half the room; trailing spaces before the
// "…" are dropped.
func Truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	r := []rune(s)
	cut := max - 1 // keep r[:cut], then "…"
	for cut > 0 {
		switch {
		case extends(r[cut]): // the first dropped rune belongs to the last kept one
			cut--
		case r[cut-1] == zwj: // the last kept rune joins the first dropped one
			cut--
		case isRegional(r[cut-1]) && oddRegionalRun(r[:cut]): // half a flag
			cut--
		default:
			if !unicode.IsSpace(r[cut]) { // mid-word: end at the word before if it is not far
				for i := cut - 1; i >= cut/2 && i > 0; i-- {
					if unicode.IsSpace(r[i]) {
						cut = i
						break
					}
				}
			}
			return strings.TrimRightFunc(string(r[:cut]), unicode.IsSpace) + Ellipsis
		}
	}
	return Ellipsis
}

const zwj = '\u200d'

// extends reports whether r attaches to the rune before it.
func extends(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) || r == zwj ||
		(r >= 0xFE00 && r <= 0xFE0F) || (r >= 0x1F3FB && r <= 0x1F3FF) || (r >= 0xE0020 && r <= 0xE007F)
}

func isRegional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

func oddRegionalRun(r []rune) bool {
	n := 0
	for i := len(r) - 1; i >= 0 && isRegional(r[i]); i-- {
		n++
	}
	return n%2 == 1
}

// TextMessage is a text message, shortened to MaxTextBody characters. For
// longer texts use TextPages.
func TextMessage(body string) Outgoing {
	return Outgoing{Type: OutText, Text: &Text{Body: Truncate(body, MaxTextBody)}}
}

// TextPages splits body into as many text messages as it needs, each at most
// MaxTextBody characters, breaking at the last paragraph, line or word
// boundary of each page (mid-word only for a single 4096-character word).
func TextPages(body string) []Outgoing {
	var out []Outgoing
	for _, p := range splitText(body, MaxTextBody) {
		out = append(out, Outgoing{Type: OutText, Text: &Text{Body: p}})
	}
	return out
}

func splitText(s string, max int) []string {
	var pages []string
	for {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if s == "" {
			return pages
		}
		r := []rune(s)
		if len(r) <= max {
			return append(pages, s)
		}
		head := string(r[:max])
		cut := -1
		for _, sep := range []string{"\n\n", "\n", " "} {
			if i := strings.LastIndex(head, sep); i > 0 {
				cut = i
				break
			}
		}
		if cut < 0 {
			// One huge word: cut on a character boundary, not inside a cluster.
			t := []rune(strings.TrimSuffix(Truncate(s, max), Ellipsis))
			if len(t) == 0 {
				t = r[:max]
			}
			cut = len(string(t))
		}
		pages = append(pages, strings.TrimRightFunc(s[:cut], unicode.IsSpace))
		s = s[cut:]
	}
}

// ReplyTo quotes the customer's message wamid above the reply.
func (o Outgoing) ReplyTo(wamid string) Outgoing {
	o.Context = &ReplyContext{MessageID: wamid}
	return o
}

// WithHeader adds a text header (shortened to MaxHeader) to an interactive
// message; other messages are returned unchanged.
func (o Outgoing) WithHeader(text string) Outgoing {
	if o.Interactive == nil || strings.TrimSpace(text) == "" || o.Interactive.Type == InteractiveProduct {
		return o
	}
	in := *o.Interactive
	in.Header = &Header{Type: "text", Text: Truncate(text, MaxHeader)}
	o.Interactive = &in
	return o
}

// WithFooter adds a footer (shortened to MaxFooter) to an interactive
// message; other messages are returned unchanged.
func (o Outgoing) WithFooter(text string) Outgoing {
	if o.Interactive == nil || strings.TrimSpace(text) == "" {
		return o
	}
	in := *o.Interactive
	in.Footer = &FooterText{Text: Truncate(text, MaxFooter)}
	o.Interactive = &in
	return o
}

// WithPreviewURL asks WhatsApp to render a link preview of the first URL in a
// text message.
func (o Outgoing) WithPreviewURL() Outgoing {
	if o.Text == nil {
		return o
	}
	t := *o.Text
	t.PreviewURL = true
	o.Text = &t
	return o
}

func body(text string) *BodyText {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	return &BodyText{Text: Truncate(text, MaxInteractiveBody)}
}

// Buttons is a reply-button message: body (shortened to MaxInteractiveBody)
// and up to three buttons with titles shortened to MaxButtonTitle. With more
// than three buttons it becomes a single list message labelled
// DefaultListLabel holding the first MaxRows of them; use Choices or
// ListPages when there may be more than ten.
func Buttons(bodyText string, buttons ...Button) Outgoing {
	if len(buttons) > MaxButtons {
		rows := make([]Row, len(buttons))
		for i, b := range buttons {
			rows[i] = Row{ID: b.ID, Title: b.Title}
		}
		return List(bodyText, DefaultListLabel, rows)
	}
	rb := make([]ReplyButton, len(buttons))
	for i, b := range buttons {
		rb[i] = ReplyButton{Type: "reply", Reply: Button{ID: b.ID, Title: Truncate(b.Title, MaxButtonTitle)}}
	}
	return Outgoing{Type: OutInteractive, Interactive: &Interactive{
		Type:   InteractiveButton,
		Body:   body(bodyText),
		Action: Action{Buttons: rb},
	}}
}

// Row is one choice of a list: its reply id, title (shortened to
// MaxRowTitle), optional description (shortened to MaxRowDescription) and
// optional Section: consecutive rows with the same Section share a list
// section titled with it (shortened to MaxSectionTitle).
type Row struct {
	ID          string
	Title       string
	Description string
	Section     string
}

// Choices offers rows as reply buttons when there are at most three without
// descriptions or sections, and as a (paged) list otherwise: see ListPages.
// Send the first message; the others are the pages the "More" row leads to.
func Choices(bodyText, label string, rows []Row, nextID func(page int) string) []Outgoing {
	if len(rows) <= MaxButtons {
		plain := true
		for _, r := range rows {
			plain = plain && r.Description == "" && r.Section == ""
		}
		if plain {
			bs := make([]Button, len(rows))
			for i, r := range rows {
				bs[i] = Button{ID: r.ID, Title: r.Title}
			}
			return []Outgoing{Buttons(bodyText, bs...)}
		}
	}
	return ListPages(bodyText, label, rows, nextID)
}

// List is one list message with at most MaxRows rows; rows beyond that are
// dropped (use ListPages to keep them). An empty label becomes
// DefaultListLabel.
func List(bodyText, label string, rows []Row) Outgoing {
	if len(rows) > MaxRows {
		rows = rows[:MaxRows]
	}
	return listMessage(bodyText, label, rows)
}

// ListPages lays rows out as one or more list messages.
//
// WhatsApp allows ten rows per list, so when rows do not fit in one message
// they are paged: every page but the last holds nine rows plus a final
// "More" row (title MoreTitle) whose id is nextID(n), n being the index of
// the page it leads to (1, 2, ...); the last page holds up to ten rows. The
// dialog engine sends page 0 and, when the customer picks a "More" row,
// rebuilds the pages and sends page n: nothing needs to be stored between
// pages and each message stays small enough to read on a phone. (The
// alternative, ten sections of one message, is capped at ten rows in total
// by WhatsApp anyway.) With nextID nil, ListPages is List.
func ListPages(bodyText, label string, rows []Row, nextID func(page int) string) []Outgoing {
	if nextID == nil {
		return []Outgoing{List(bodyText, label, rows)}
	}
	return ListPagesMore(bodyText, label, rows, func(page int) Row {
		return Row{ID: nextID(page), Title: MoreTitle}
	})
}

// ListPagesMore is ListPages with a caller-made "More" row (for a tenant's
// own wording): more(n) is the row leading to page n.
func ListPagesMore(bodyText, label string, rows []Row, more func(page int) Row) []Outgoing {
	if len(rows) <= MaxRows {
		return []Outgoing{listMessage(bodyText, label, rows)}
	}
	var pages []Outgoing
	for len(rows) > 0 {
		if len(rows) <= MaxRows {
			pages = append(pages, listMessage(bodyText, label, rows))
			break
		}
		page := append(rows[:MaxRows-1:MaxRows-1], more(len(pages)+1))
		pages = append(pages, listMessage(bodyText, label, page))
		rows = rows[MaxRows-1:]
	}
	return pages
}

// listMessage builds one list of at most MaxRows rows, grouping consecutive
// rows of the same Section. A section without a title in a multi-section
// list (WhatsApp requires titles then) is titled with its position.
func listMessage(bodyText, label string, rows []Row) Outgoing {
	if strings.TrimSpace(label) == "" {
		label = DefaultListLabel
	}
	var sections []Section
	for i, r := range rows {
		if i == 0 || r.Section != rows[i-1].Section {
			sections = append(sections, Section{Title: Truncate(r.Section, MaxSectionTitle)})
		}
		s := &sections[len(sections)-1]
		s.Rows = append(s.Rows, SectionRow{
			ID:          r.ID,
			Title:       Truncate(r.Title, MaxRowTitle),
			Description: Truncate(r.Description, MaxRowDescription),
		})
	}
	if len(sections) > 1 {
		for i := range sections {
			if sections[i].Title == "" {
				sections[i].Title = strconv.Itoa(i + 1)
			}
		}
	}
	return Outgoing{Type: OutInteractive, Interactive: &Interactive{
		Type:   InteractiveList,
		Body:   body(bodyText),
		Action: Action{Button: Truncate(label, MaxListButton), Sections: sections},
	}}
}

// Image is an image sent by link, with a caption shortened to MaxCaption.
func Image(link, caption string) Outgoing {
	return Outgoing{Type: OutImage, Image: &MediaRef{Link: link, Caption: Truncate(caption, MaxCaption)}}
}

// CTAURL is a message with one button that opens url; displayText is
// shortened to MaxCTADisplayText.
func CTAURL(bodyText, displayText, url string) Outgoing {
	return Outgoing{Type: OutInteractive, Interactive: &Interactive{
		Type: InteractiveCTAURL,
		Body: body(bodyText),
		Action: Action{Name: "cta_url", Parameters: &CTAParameters{
			DisplayText: Truncate(displayText, MaxCTADisplayText),
			URL:         url,
		}},
	}}
}

// Product is a single-product message from the number's catalog; bodyText
// is optional.
func Product(bodyText, catalogID, productRetailerID string) Outgoing {
	return Outgoing{Type: OutInteractive, Interactive: &Interactive{
		Type:   InteractiveProduct,
		Body:   body(bodyText),
		Action: Action{CatalogID: catalogID, ProductRetailerID: productRetailerID},
	}}
}

// ProductSection is a titled group of catalog products (retailer ids).
type ProductSection struct {
	Title      string
	RetailerID []string
}

// ProductList lays sections out as product list messages. WhatsApp allows
// MaxProductItems products in MaxSections sections per message, and has no
// "More" button here, so the products are split over as many messages as
// needed, all meant to be sent together (a section may continue in the next
// message under the same title). header is required by WhatsApp (an empty
// one becomes "🛍"); header and section titles are shortened.
func ProductList(header, bodyText, catalogID string, sections []ProductSection) []Outgoing {
	if strings.TrimSpace(header) == "" {
		header = "🛍"
	}
	var out []Outgoing
	var cur []Section
	items := 0
	flush := func() {
		if len(cur) == 0 {
			return
		}
		out = append(out, Outgoing{Type: OutInteractive, Interactive: &Interactive{
			Type:   InteractiveProductList,
			Header: &Header{Type: "text", Text: Truncate(header, MaxHeader)},
			Body:   body(bodyText),
			Action: Action{CatalogID: catalogID, Sections: cur},
		}})
		cur, items = nil, 0
	}
	for si, s := range sections {
		title := Truncate(s.Title, MaxSectionTitle)
		if strings.TrimSpace(title) == "" {
			title = strconv.Itoa(si + 1)
		}
		ids := s.RetailerID
		for len(ids) > 0 {
			if items == MaxProductItems || len(cur) == MaxSections {
				flush()
			}
			n := min(len(ids), MaxProductItems-items)
			sec := Section{Title: title}
			for _, id := range ids[:n] {
				sec.ProductItems = append(sec.ProductItems, ProductItem{ProductRetailerID: id})
			}
			cur = append(cur, sec)
			items += n
			ids = ids[n:]
		}
	}
	flush()
	return out
}

// TemplateMessage is an approved template in language (e.g. "ar", "en_US")
// with text parameters for its body and payloads for its quick-reply buttons
// (button i gets quickReplies[i]).
func TemplateMessage(name, language string, bodyParams, quickReplies []string) Outgoing {
	t := &Template{Name: name, Language: TemplateLanguage{Code: language}}
	if len(bodyParams) > 0 {
		c := TemplateComponent{Type: "body"}
		for _, p := range bodyParams {
			c.Parameters = append(c.Parameters, TemplateParameter{Type: "text", Text: p})
		}
		t.Components = append(t.Components, c)
	}
	for i, p := range quickReplies {
		t.Components = append(t.Components, TemplateComponent{
			Type: "button", SubType: "quick_reply", Index: strconv.Itoa(i),
			Parameters: []TemplateParameter{{Type: "payload", Payload: p}},
		})
	}
	return Outgoing{Type: OutTemplate, Template: t}
}

// MarkReadMessage is the read receipt for the customer's message wamid (blue
// ticks).
func MarkReadMessage(wamid string) Outgoing {
	return Outgoing{Status: StatusRead, MessageID: wamid}
}
