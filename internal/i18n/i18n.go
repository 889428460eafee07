// Package i18n is the one message catalog: every text a person sees — the
// API's problem titles and field errors, the bot's texts, the pages, the
// shell's messages for people — is a message here, in Arabic and English,
// loaded once from the TOML files under messages/ (go-i18n, CLDR plural
// rules: Arabic has six forms). Tenants override bot texts on top of it
// (conversation texts), never the catalog itself.
//
// Files are named <area>.<lang>.toml; each message is a table keyed by its
// id, with "other" (and plural forms where a count is involved) holding a
// text/template ({{.Name}}):
//
//	["catalog.product.not_found"]
//	other = "No such product."
//
// Arabic comes first everywhere: a text missing in a language falls back to
// Arabic, and Lang picks Arabic unless the reader prefers English.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"concierge/internal/errs"
)

// The languages, Arabic first.
const (
	AR = "ar"
	EN = "en"
)

// Languages are the languages every message exists in.
var Languages = []string{AR, EN}

//go:embed messages/*.toml
var files embed.FS

// Catalog holds every message in every language.
type Catalog struct {
	bundle *goi18n.Bundle
	loc    map[string]*goi18n.Localizer
	ids    map[string]map[string]bool // language → ids
	// fixed holds, per language, the messages that are one text with no
	// template and no plural forms: they render as themselves, so render
	// answers them without go-i18n's language matching and template run
	// (most of a page's texts; a list page asks for hundreds).
	fixed map[string]map[string]string
}

// Load reads the embedded message files. It fails on a file that does not
// parse, and on a message that exists in one language and not the other.
func Load() (*Catalog, error) { return LoadFS(files, "messages") }

// LoadFS reads the message files under dir of fsys (tests load broken sets).
func LoadFS(fsys fs.FS, dir string) (*Catalog, error) {
	b := goi18n.NewBundle(language.Arabic)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{bundle: b, loc: map[string]*goi18n.Localizer{}, ids: map[string]map[string]bool{}, fixed: map[string]map[string]string{}}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("i18n: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".toml") {
			continue
		}
		raw, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		mf, err := b.ParseMessageFileBytes(raw, e.Name())
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", e.Name(), err)
		}
		lang := mf.Tag.String()
		if c.ids[lang] == nil {
			c.ids[lang] = map[string]bool{}
			c.fixed[lang] = map[string]string{}
		}
		for _, m := range mf.Messages {
			if c.ids[lang][m.ID] {
				return nil, fmt.Errorf("i18n: %s: message %q is defined twice", e.Name(), m.ID)
			}
			c.ids[lang][m.ID] = true
			if fixedText(m) {
				c.fixed[lang][m.ID] = m.Other
			}
		}
	}
	if missing := c.Missing(); len(missing) > 0 {
		return nil, fmt.Errorf("i18n: messages missing in a language: %s", strings.Join(missing, "; "))
	}
	for _, l := range Languages {
		c.loc[l] = goi18n.NewLocalizer(b, l, AR)
	}
	return c, nil
}

// embedded is the catalog of the embedded files, read once per process: it
// never changes after loading, so every user shares it.
var embedded = sync.OnceValues(Load)

// MustLoad returns the embedded catalog, read once per process. The files
// are part of the binary, so a failure to read them is a build defect.
func MustLoad() *Catalog {
	c, err := embedded()
	if err != nil {
		panic(err)
	}
	return c
}

// Missing lists "id (lang)" for every message present in some language but
// absent from another.
func (c *Catalog) Missing() []string {
	all := map[string]bool{}
	for _, ids := range c.ids {
		for id := range ids {
			all[id] = true
		}
	}
	var out []string
	for id := range all {
		for _, l := range Languages {
			if !c.ids[l][id] {
				out = append(out, id+" ("+l+")")
			}
		}
	}
	sort.Strings(out)
	return out
}

// Has reports whether the catalog has message id.
func (c *Catalog) Has(id string) bool { return c.ids[AR][id] }

// IDs returns every message id, sorted.
func (c *Catalog) IDs() []string {
	out := make([]string, 0, len(c.ids[AR]))
	for id := range c.ids[AR] {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Text renders message id in lang with data (a map of the template's
// values). An unknown id renders as the id itself, so a missing message is
// visible, never an empty text.
func (c *Catalog) Text(lang, id string, data map[string]any) string {
	return c.render(lang, id, data, nil)
}

// T is Text with the values as name, value pairs (a page's shorthand).
func (c *Catalog) T(lang, id string, kv ...any) string {
	var data map[string]any
	if len(kv) > 1 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			data[k] = kv[i+1]
		}
	}
	return c.Text(lang, id, data)
}

// Count renders the plural form of id for n in lang; the template sees
// {{.Count}} as n written in lang's digits, and data's values.
func (c *Catalog) Count(lang, id string, n int, data map[string]any) string {
	d := make(map[string]any, len(data)+1)
	for k, v := range data {
		d[k] = v
	}
	d["Count"] = Number(lang, int64(n))
	return c.render(lang, id, d, n)
}

// fixedText reports whether m renders as its Other text whatever the data:
// no plural forms and no template action.
func fixedText(m *goi18n.Message) bool {
	left := m.LeftDelim
	if left == "" {
		left = "{{"
	}
	return m.Zero == "" && m.One == "" && m.Two == "" && m.Few == "" && m.Many == "" && !strings.Contains(m.Other, left)
}

func (c *Catalog) render(lang, id string, data map[string]any, count any) string {
	lang = Normalize(lang)
	if count == nil {
		if s, ok := c.fixed[lang][id]; ok {
			return s
		}
	}
	loc := c.loc[lang]
	s, err := loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil {
		return id
	}
	return s
}

// Message renders an error's message in lang.
func (c *Catalog) Message(lang string, m errs.Message) string { return c.Text(lang, m.ID, m.Data) }

// Normalize maps a language tag to one of Languages (Arabic unless it is
// English).
func Normalize(lang string) string {
	l := strings.ToLower(strings.TrimSpace(lang))
	if l == EN || strings.HasPrefix(l, "en-") || strings.HasPrefix(l, "en_") {
		return EN
	}
	return AR
}

// Lang picks the reader's language from an Accept-Language header: English
// when English is preferred over Arabic, Arabic otherwise (and by default).
func Lang(acceptLanguage string) string {
	if acceptLanguage == "" {
		return AR
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil {
		return AR
	}
	for _, t := range tags {
		base, _ := t.Base()
		switch base.String() {
		case AR:
			return AR
		case EN:
			return EN
		}
	}
	return AR
}

// Pick is ar or en in lang, falling back to the other when the one asked
// for is empty (a name kept in both languages).
func Pick(lang, ar, en string) string {
	if lang == "en" && en != "" || ar == "" {
		return en
	}
	return ar
}

// Number writes n in lang's digits: Arabic-Indic (٠١٢٣٤٥٦٧٨٩) for Arabic.
func Number(lang string, n int64) string {
	s := strconv.FormatInt(n, 10)
	if Normalize(lang) != AR {
		return s
	}
	return Digits(s)
}

// Digits turns the ASCII digits of s into Arabic-Indic digits.
func Digits(s string) string {
	var b strings.Builder
	b.Grow(len(s) * 2)
	for _, r := range s {
		if r >= '0' && r <= '9' {
			r = '٠' + (r - '0')
		}
		b.WriteRune(r)
	}
	return b.String()
}
