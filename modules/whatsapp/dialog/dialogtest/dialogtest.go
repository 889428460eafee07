// Package dialogtest plays the conversation worker for the golden
// transcripts of a capability's WhatsApp steps (see package transcript): a
// Session runs the dialog engine turn by turn for one customer, keeps the
// state between turns (round-tripped through JSON, as the worker stores it),
// writes reply ids with stable names instead of the UUIDs of one run, reads
// those names back from the customer's taps, and holds every reply to
// WhatsApp's limits (CheckLimits).
package dialogtest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"concierge/modules/whatsapp/dialog"
	"concierge/modules/whatsapp/dialog/transcript"
)

// Names gives ids stable names ("p:classic-black-abaya"), written <name> in
// a transcript.
type Names struct {
	t    testing.TB
	name map[string]string // id → name
	id   map[string]string // name → id
}

// NewNames returns an empty set of names.
func NewNames(t testing.TB) *Names {
	return &Names{t: t, name: map[string]string{}, id: map[string]string{}}
}

// Add names id; two ids with one name fail the test.
func (n *Names) Add(id uuid.UUID, name string) {
	if _, dup := n.id[name]; dup {
		n.t.Fatalf("two ids named %s", name)
	}
	n.name[id.String()], n.id[name] = name, id.String()
}

// ID is the id named name.
func (n *Names) ID(name string) (string, bool) {
	id, ok := n.id[name]
	return id, ok
}

// Session is one customer's conversation.
type Session struct {
	T        testing.TB
	Ctx      context.Context
	Engine   *dialog.Engine
	Names    *Names
	Tenant   dialog.Tenant
	Customer dialog.Customer
	Now      time.Time
	// CursorPrefix, when set, names the reply ids starting with it whose
	// last part no name covers (list cursors): <cursor1>, <cursor2>, ... in
	// the order they appear.
	CursorPrefix string

	state    []byte
	cursors  map[string]string // cursor → "cursor1"
	cursorOf map[string]string // "cursor1" → cursor
}

var placeholder = regexp.MustCompile(`<([^<>]+)>`)

// Drive runs one turn and returns its replies with stable ids; its
// signature is what transcript.Run and transcript.Rewrite take.
func (s *Session) Drive(in dialog.Inbound) []dialog.Reply {
	s.T.Helper()
	in.ReplyID = placeholder.ReplaceAllStringFunc(in.ReplyID, func(m string) string {
		name := m[1 : len(m)-1]
		if id, ok := s.Names.ID(name); ok {
			return id
		}
		if c, ok := s.cursorOf[name]; ok {
			return c
		}
		s.T.Fatalf("reply id %q: unknown name %s", in.ReplyID, m)
		return m
	})
	var st dialog.State
	if s.state != nil {
		if err := json.Unmarshal(s.state, &st); err != nil {
			s.T.Fatalf("state: %v", err)
		}
	}
	res, err := s.Engine.Handle(s.Ctx, dialog.Request{Tenant: s.Tenant, Customer: s.Customer, State: st, In: in, Now: s.Now})
	if err != nil {
		s.T.Fatalf("Handle(%+v): %v", in, err)
	}
	for _, e := range res.Effects {
		if e.Kind == dialog.EffectLocaleSet {
			s.Customer.Locale = e.Value
		}
	}
	if s.state, err = json.Marshal(res.State); err != nil {
		s.T.Fatalf("state: %v", err)
	}
	CheckLimits(s.T, res.Replies)
	out := make([]dialog.Reply, len(res.Replies))
	for i, r := range res.Replies {
		r.Options = slices.Clone(r.Options)
		for j := range r.Options {
			r.Options[j].ID = s.stable(r.Options[j].ID)
		}
		out[i] = r
	}
	return out
}

// stable writes an id with names instead of UUIDs and cursors.
func (s *Session) stable(id string) string {
	parts := strings.Split(id, ":")
	for i, p := range parts {
		if name, ok := s.Names.name[p]; ok {
			parts[i] = "<" + name + ">"
		} else if _, err := uuid.Parse(p); err == nil {
			s.T.Fatalf("reply id %q: unknown UUID %s", id, p)
		}
	}
	last := len(parts) - 1
	if s.CursorPrefix != "" && strings.HasPrefix(id, s.CursorPrefix) && !strings.HasPrefix(parts[last], "<") {
		if _, err := strconv.Atoi(parts[last]); err != nil {
			if s.cursors == nil {
				s.cursors, s.cursorOf = map[string]string{}, map[string]string{}
			}
			c := parts[last]
			if s.cursors[c] == "" {
				name := "cursor" + strconv.Itoa(len(s.cursors)+1)
				s.cursors[c], s.cursorOf[name] = name, c
			}
			parts[last] = "<" + s.cursors[c] + ">"
		}
	}
	return strings.Join(parts, ":")
}

// CheckLimits holds replies to WhatsApp's limits.
func CheckLimits(t testing.TB, replies []dialog.Reply) {
	t.Helper()
	runes := utf8.RuneCountInString
	for _, r := range replies {
		switch r.Kind {
		case dialog.ReplyButtons:
			if len(r.Options) == 0 || len(r.Options) > dialog.MaxButtons {
				t.Errorf("%d buttons: %+v", len(r.Options), r)
			}
		case dialog.ReplyList:
			if len(r.Options) == 0 || len(r.Options) > dialog.MaxListRows {
				t.Errorf("%d rows: %+v", len(r.Options), r)
			}
			if runes(r.ListButton) > dialog.MaxListButton {
				t.Errorf("list button %q too long", r.ListButton)
			}
		case dialog.ReplyProductList:
			n := 0
			for _, s := range r.Sections {
				n += len(s.SKUs)
				if runes(s.Title) > dialog.MaxListTitle {
					t.Errorf("section title %q too long", s.Title)
				}
			}
			if n == 0 || n > 30 || r.Header == "" || r.Body == "" || r.CatalogID == "" {
				t.Errorf("product list: %+v", r)
			}
		case dialog.ReplyProduct:
			if r.CatalogID == "" || r.ProductRetailerID == "" {
				t.Errorf("product: %+v", r)
			}
		case dialog.ReplyText:
			if runes(r.Body) > 4096 {
				t.Errorf("text of %d runes", runes(r.Body))
			}
		}
		if runes(r.Body) > 1024 && r.Kind != dialog.ReplyText {
			t.Errorf("body of %d runes: %q", runes(r.Body), r.Body)
		}
		ids := map[string]bool{}
		for _, o := range r.Options {
			title, desc := dialog.MaxListTitle, dialog.MaxListDescription
			if r.Kind == dialog.ReplyButtons {
				title, desc = dialog.MaxButtonTitle, 0
			}
			if runes(o.Title) > title || runes(o.Description) > desc || o.Title == "" {
				t.Errorf("option %q: title %q or description %q too long", o.ID, o.Title, o.Description)
			}
			if len(o.ID) > 200 || o.ID == "" || ids[o.ID] {
				t.Errorf("option id %q: empty, repeated or longer than 200", o.ID)
			}
			ids[o.ID] = true
		}
	}
}

// WithPrefix lists the names that start with prefix ("v:"), sorted.
func (n *Names) WithPrefix(prefix string) []string {
	var out []string
	for name := range n.id {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// RunFiles checks the golden transcripts in dir, each in its own parallel
// subtest against a fresh session (newSession is called once per run of a
// file: a new customer). Every *.txt in dir must be one of files, or the
// test fails (it would never run). With update, each file's bot lines are
// first rewritten from the current replies (review the diff).
func RunFiles(t *testing.T, dir string, files []string, update bool, newSession func(t *testing.T, file string) *Session) {
	t.Helper()
	found, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		if !slices.Contains(files, filepath.Base(f)) {
			t.Errorf("%s is not listed: it would never run", f)
		}
	}
	for _, name := range files {
		t.Run(strings.TrimSuffix(name, ".txt"), func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(dir, name)
			if update {
				src, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				out, err := transcript.Rewrite(bytes.NewReader(src), newSession(t, name).Drive)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			turns, err := transcript.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			transcript.Run(t, turns, newSession(t, name).Drive)
		})
	}
}
