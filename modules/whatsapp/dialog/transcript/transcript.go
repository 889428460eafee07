// Package transcript reads golden conversation transcripts and checks a
// conversation against them, whatever runs it: the dialog engine in memory, or
// the whole pipeline (webhook → database → worker → WhatsApp emulator). A
// transcript says only what the customer sends and what they see, never how
// the engine got there.
//
// # Format
//
// A transcript is UTF-8 text, one item per line:
//
//	# a comment (blank lines are ignored too)
//	> مرحبا                          the customer types a text
//	> [button:lang:ar]               taps a reply button with id lang:ar
//	> [button:lang:ar] العربية       ... whose title was العربية (Inbound.Text)
//	> [list:menu:help]               picks a list row with id menu:help
//	> [template_button:PAYLOAD]      taps a template's quick-reply button
//	> [image] a caption              sends an image (also [document], [audio],
//	                                 [video], [sticker]); the caption is optional
//	> [location]                     shares a location
//	> [location:24.71,46.67] Home    ... at that pin, named Home
//	> [order]                        sends a cart from a catalog message
//	> [reaction]                     reacts to a message
//	> [unknown]                      sends something the channel cannot read
//	> \[not a tag]                   a text that starts with "["
//	< text: أهلًا بك                  the bot sends a message (see Render)
//
// Every "<" line belongs to the nearest ">" line above it: the bot's messages
// for that customer turn, in order. A ">" line with no "<" lines expects no
// reply at all. In customer texts and in "<" lines, `\n` stands for a line
// break and `\\` for a backslash; in "<" lines `\|` is a literal "|".
//
// Bot messages are rendered canonically, one per line:
//
//	< text: BODY
//	< buttons: BODY | [ID] TITLE | [ID] TITLE
//	< list: BODY | BUTTON | [ID] TITLE — DESCRIPTION | [ID] TITLE
//	< cta_url: BODY | BUTTON | URL
//	< image: IMAGE_URL | CAPTION
//	< product: BODY | catalog CATALOG_ID | sku RETAILER_ID
//	< product_list: HEADER | BODY | catalog CATALOG_ID | [SECTION] SKU, SKU | [SECTION] SKU
//
// followed, when set, by " | header: HEADER" (not for product_list, whose
// header comes first) and " | footer: FOOTER". A list row without a
// description has no " — ". An image without a caption has no " | CAPTION".
package transcript

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"concierge/modules/whatsapp/dialog"
)

// Turn is one customer message and the bot messages expected after it.
type Turn struct {
	File string         // the transcript's file name, when read by ParseFile
	Line int            // the line of the customer message
	In   dialog.Inbound // what the customer sends
	Want []string       // the expected bot messages, rendered as by Render
}

// mediaTags are the message kinds written as a bare tag: "> [image]".
var mediaTags = map[string]string{
	"image":    dialog.KindImage,
	"document": dialog.KindDocument,
	"audio":    dialog.KindAudio,
	"video":    dialog.KindVideo,
	"sticker":  dialog.KindSticker,
	"location": dialog.KindLocation,
	"order":    dialog.KindOrder,
	"reaction": dialog.KindReaction,
	"unknown":  dialog.KindUnknown,
}

// idTags are the message kinds that carry a reply id: "> [button:lang:ar]".
var idTags = map[string]string{
	"button":          dialog.KindButtonReply,
	"list":            dialog.KindListReply,
	"template_button": dialog.KindTemplateButton,
}

// Parse reads a transcript. Errors name the offending line.
func Parse(r io.Reader) ([]Turn, error) {
	var turns []Turn
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		trimmed := strings.TrimLeft(line, " \t")
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			continue
		case trimmed == ">" || strings.HasPrefix(trimmed, "> "):
			in, err := parseCustomer(strings.TrimPrefix(strings.TrimPrefix(trimmed, ">"), " "))
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			turns = append(turns, Turn{Line: n, In: in})
		case trimmed == "<" || strings.HasPrefix(trimmed, "< "):
			if len(turns) == 0 {
				return nil, fmt.Errorf("line %d: bot message before any customer message", n)
			}
			want := strings.TrimPrefix(strings.TrimPrefix(trimmed, "<"), " ")
			if want == "" {
				return nil, fmt.Errorf("line %d: empty bot message", n)
			}
			last := &turns[len(turns)-1]
			last.Want = append(last.Want, want)
		default:
			return nil, fmt.Errorf("line %d: want \"> \", \"< \" or \"#\", got %q", n, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return turns, nil
}

// ParseFile reads the transcript in file name.
func ParseFile(name string) ([]Turn, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	turns, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for i := range turns {
		turns[i].File = name
	}
	return turns, nil
}

// parseCustomer parses what follows "> ".
func parseCustomer(s string) (dialog.Inbound, error) {
	if s == "" {
		return dialog.Inbound{}, fmt.Errorf("empty customer message")
	}
	if !strings.HasPrefix(s, "[") {
		return dialog.Inbound{Kind: dialog.KindText, Text: unescape(s)}, nil
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return dialog.Inbound{}, fmt.Errorf("unclosed tag in %q (write \\[ for a text starting with [)", s)
	}
	tag, rest := s[1:end], unescape(strings.TrimSpace(s[end+1:]))
	if kind, ok := mediaTags[tag]; ok {
		return dialog.Inbound{Kind: kind, Text: rest}, nil
	}
	name, id, _ := strings.Cut(tag, ":")
	if name == "location" {
		lat, lng, ok := strings.Cut(id, ",")
		la, err1 := strconv.ParseFloat(lat, 64)
		ln, err2 := strconv.ParseFloat(lng, 64)
		if !ok || err1 != nil || err2 != nil {
			return dialog.Inbound{}, fmt.Errorf("tag [%s]: want [location:LAT,LNG]", tag)
		}
		return dialog.Inbound{Kind: dialog.KindLocation, Text: rest, Location: &dialog.Location{Lat: la, Lng: ln, Name: rest}}, nil
	}
	if kind, ok := idTags[name]; ok {
		if id == "" {
			return dialog.Inbound{}, fmt.Errorf("tag [%s] needs an id: [%s:ID]", tag, name)
		}
		return dialog.Inbound{Kind: kind, ReplyID: id, Text: rest}, nil
	}
	return dialog.Inbound{}, fmt.Errorf("unknown tag [%s]", tag)
}

// unescape turns `\n` into a line break, `\\` into a backslash and `\[` into
// "[" (other escapes are kept as written).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			case '\\', '[':
				b.WriteByte(s[i+1])
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// escape writes s on one line: line breaks as `\n`, backslashes as `\\` and
// "|" as `\|`.
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`, "|", `\|`).Replace(s)
}

// Render returns the canonical one-line form of a bot message (see the
// package documentation), without the leading "< ".
func Render(r dialog.Reply) string {
	var b strings.Builder
	b.WriteString(r.Kind)
	b.WriteString(": ")
	switch r.Kind {
	case dialog.ReplyText:
		b.WriteString(escape(r.Body))
	case dialog.ReplyButtons:
		b.WriteString(escape(r.Body))
		writeOptions(&b, r.Options)
	case dialog.ReplyList:
		b.WriteString(escape(r.Body))
		b.WriteString(" | ")
		b.WriteString(escape(r.ListButton))
		writeOptions(&b, r.Options)
	case dialog.ReplyCTAURL:
		b.WriteString(escape(r.Body))
		b.WriteString(" | ")
		b.WriteString(escape(r.ListButton))
		b.WriteString(" | ")
		b.WriteString(escape(r.URL))
	case dialog.ReplyImage:
		b.WriteString(escape(r.ImageURL))
		if r.Body != "" {
			b.WriteString(" | ")
			b.WriteString(escape(r.Body))
		}
	case dialog.ReplyProduct:
		b.WriteString(escape(r.Body))
		b.WriteString(" | catalog " + escape(r.CatalogID))
		b.WriteString(" | sku " + escape(r.ProductRetailerID))
	case dialog.ReplyProductList:
		b.WriteString(escape(r.Header))
		b.WriteString(" | ")
		b.WriteString(escape(r.Body))
		b.WriteString(" | catalog " + escape(r.CatalogID))
		for _, sec := range r.Sections {
			b.WriteString(" | [" + escape(sec.Title) + "] ")
			for i, sku := range sec.SKUs {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(escape(sku))
			}
		}
	default: // not a kind the engine sends: show everything
		b.WriteString(escape(r.Body))
		if r.ListButton != "" {
			b.WriteString(" | button: " + escape(r.ListButton))
		}
		writeOptions(&b, r.Options)
		if r.URL != "" {
			b.WriteString(" | url: " + escape(r.URL))
		}
		if r.ImageURL != "" {
			b.WriteString(" | image: " + escape(r.ImageURL))
		}
	}
	if r.Header != "" && r.Kind != dialog.ReplyProductList {
		b.WriteString(" | header: " + escape(r.Header))
	}
	if r.Footer != "" {
		b.WriteString(" | footer: " + escape(r.Footer))
	}
	return b.String()
}

func writeOptions(b *strings.Builder, opts []dialog.Option) {
	for _, o := range opts {
		b.WriteString(" | [")
		b.WriteString(escape(o.ID))
		b.WriteString("] ")
		b.WriteString(escape(o.Title))
		if o.Description != "" {
			b.WriteString(" — ")
			b.WriteString(escape(o.Description))
		}
	}
}

// Run sends each turn's message through drive and compares the rendered
// replies with the expected ones. At the first turn that differs it reports
// the customer message, both sides and a line diff, and stops: later turns
// would only repeat the damage.
func Run(t testing.TB, turns []Turn, drive func(dialog.Inbound) []dialog.Reply) {
	t.Helper()
	for _, turn := range turns {
		replies := drive(turn.In)
		got := make([]string, len(replies))
		for i, r := range replies {
			got[i] = strings.TrimRight(Render(r), " \t")
		}
		if equal(got, turn.Want) {
			continue
		}
		where := fmt.Sprintf("line %d", turn.Line)
		if turn.File != "" {
			where = fmt.Sprintf("%s:%d", turn.File, turn.Line)
		}
		t.Errorf("%s: > %s\n%s", where, customerLine(turn.In), diff(turn.Want, got))
		return
	}
}

// Rewrite reads a transcript and returns it with every customer turn's "<"
// lines replaced by what drive answers now; comments, blank lines and
// customer lines are kept. It is for refreshing golden files after a
// deliberate change of texts: review the result before committing it.
func Rewrite(r io.Reader, drive func(dialog.Inbound) []dialog.Reply) ([]byte, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if _, err := Parse(bytes.NewReader(src)); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed == "<" || strings.HasPrefix(trimmed, "< ") {
			continue
		}
		out.WriteString(line)
		out.WriteByte('\n')
		if trimmed == ">" || strings.HasPrefix(trimmed, "> ") {
			in, err := parseCustomer(strings.TrimPrefix(strings.TrimPrefix(trimmed, ">"), " "))
			if err != nil {
				return nil, err
			}
			for _, reply := range drive(in) {
				out.WriteString("< " + Render(reply) + "\n")
			}
		}
	}
	return out.Bytes(), sc.Err()
}

// customerLine renders an inbound message in transcript syntax.
func customerLine(in dialog.Inbound) string {
	text := strings.ReplaceAll(strings.ReplaceAll(in.Text, `\`, `\\`), "\n", `\n`)
	for tag, kind := range idTags {
		if in.Kind == kind {
			return strings.TrimSpace("[" + tag + ":" + in.ReplyID + "] " + text)
		}
	}
	if in.Kind == dialog.KindText {
		if strings.HasPrefix(text, "[") {
			return `\` + text
		}
		return text
	}
	return strings.TrimSpace("[" + in.Kind + "] " + text)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// diff shows want and got as a line diff: "  " both, "- " only wanted,
// "+ " only got.
func diff(want, got []string) string {
	// longest common subsequence, then walk it
	n, m := len(want), len(got)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if want[i] == got[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var b strings.Builder
	b.WriteString("bot messages differ (- want, + got):\n")
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && want[i] == got[j]:
			b.WriteString("    < " + want[i] + "\n")
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			b.WriteString("  - < " + want[i] + "\n")
			i++
		default:
			b.WriteString("  + < " + got[j] + "\n")
			j++
		}
	}
	if n == 0 && m == 0 {
		b.WriteString("    (none)\n")
	}
	return b.String()
}
