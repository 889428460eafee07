package cms

import (
	"context"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/i18n"
	"concierge/internal/input"
	"concierge/tenants"
)

// botPrefix starts the catalog ids of the bot texts ("bot.<key>").
const botPrefix = "bot."

// placeholderRe finds a bot text's placeholders, {name}.
var placeholderRe = regexp.MustCompile(`\{[a-z][a-z0-9_]*\}`)

// pluralForm is a CLDR plural form and a count that takes it in Arabic and,
// when English has the form, in English (0: English never uses it).
type pluralForm struct {
	name   string
	ar, en int
}

// pluralForms are Arabic's six forms; English has one and other.
var pluralForms = []pluralForm{{"zero", 0, 0}, {"one", 1, 1}, {"two", 2, 0}, {"few", 3, 0}, {"many", 11, 0}, {"other", 100, 2}}

// defaultText is a bot text key's catalog wording.
type defaultText struct {
	ar           string
	en           *string
	placeholders []string
	// n is the count the key's plural form stands for in ar and en (0 for
	// a text that is not a plural form).
	nAR, nEN int
}

// defaults are the catalog's bot texts by key, read once.
type defaults struct {
	keys  []string
	byKey map[string]defaultText
}

// loadDefaults reads every "bot.*" message of the catalog. A message with
// plural forms becomes one key per form ("cart.items.few"), the key the
// WhatsApp channel looks an override up under (dialog.Words.Count).
func loadDefaults(c *i18n.Catalog) *defaults {
	d := &defaults{byKey: map[string]defaultText{}}
	for _, id := range c.IDs() {
		key, ok := strings.CutPrefix(id, botPrefix)
		if !ok {
			continue
		}
		ar, en := c.Text(i18n.AR, id, nil), c.Text(i18n.EN, id, nil)
		if !plural(c, id) {
			d.add(key, defaultText{ar: ar, en: &en, placeholders: placeholdersOf(ar, en)})
			continue
		}
		for _, f := range pluralForms {
			dt := defaultText{ar: c.Count(i18n.AR, id, f.ar, nil), nAR: f.ar, nEN: f.en}
			if dt.ar == id {
				continue // the form is missing in Arabic
			}
			texts := []string{dt.ar}
			if e := c.Count(i18n.EN, id, f.en, nil); f.en != 0 && e != id {
				dt.en = &e
				texts = append(texts, e)
			}
			dt.placeholders = placeholdersOf(append(texts, "{n}")...)
			d.add(key+"."+f.name, dt)
		}
	}
	sort.Strings(d.keys)
	return d
}

func (d *defaults) add(key string, t defaultText) {
	d.keys = append(d.keys, key)
	d.byKey[key] = t
}

// plural reports whether message id has plural forms: a form other than
// "other" renders (the catalog answers the id itself for a form the
// message lacks).
func plural(c *i18n.Catalog, id string) bool {
	for _, f := range pluralForms {
		if f.name != "other" && c.Count(i18n.AR, id, f.ar, nil) != id {
			return true
		}
	}
	return c.Count(i18n.EN, id, 1, nil) != id
}

// placeholdersOf lists the distinct {names} of texts, sorted.
func placeholdersOf(texts ...string) []string {
	var out []string
	for _, t := range texts {
		for _, p := range placeholderRe.FindAllString(t, -1) {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// BotTexts lists every bot text with its defaults and the store's
// overrides, by key; prefix, when given, keeps the keys starting with it
// ("checkout.").
func (s *Service) BotTexts(ctx context.Context, prefix string) ([]BotText, error) {
	var out []BotText
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rows, err := listBotTexts(ctx, tx, "")
		if err != nil {
			return err
		}
		byKey := map[string][]botTextRow{}
		for _, r := range rows {
			byKey[r.Key] = append(byKey[r.Key], r)
		}
		for _, k := range s.texts.keys {
			if strings.HasPrefix(k, prefix) {
				out = append(out, s.botText(k, byKey[k]))
			}
		}
		return nil
	})
	return out, err
}

// BotText returns one bot text: not_found for a key the catalog lacks.
func (s *Service) BotText(ctx context.Context, key string) (*BotText, error) {
	if _, ok := s.texts.byKey[key]; !ok {
		return nil, ErrBotTextNotFound
	}
	var out BotText
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rows, err := listBotTexts(ctx, tx, key)
		out = s.botText(key, rows)
		return err
	})
	return &out, err
}

func (s *Service) botText(key string, rows []botTextRow) BotText {
	d := s.texts.byKey[key]
	b := BotText{Key: key, DefaultAR: d.ar, DefaultEN: d.en, Placeholders: d.placeholders}
	for _, r := range rows {
		body, at := r.Body, r.UpdatedAt
		switch r.Locale {
		case i18n.AR:
			b.OverrideAR = &body
		case i18n.EN:
			b.OverrideEN = &body
		}
		if b.UpdatedAt == nil || at.After(*b.UpdatedAt) {
			b.UpdatedAt = &at
		}
	}
	return b
}

// SetBotText replaces the store's overrides of key: a nil language removes
// its override (the default applies again). Errors: not_found (a key the
// catalog lacks), invalid (a text empty, longer than MaxBody, holding a
// control character other than a line break, or naming a placeholder the
// default does not use; English for a plural form English never uses).
func (s *Service) SetBotText(ctx context.Context, key string, ch BotTextChange) (*BotText, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	d, ok := s.texts.byKey[key]
	if !ok {
		return nil, ErrBotTextNotFound
	}
	if ch, err = checkBotText(d, ch); err != nil {
		return nil, err
	}
	var out BotText
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := listBotTexts(ctx, tx, key)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		for _, l := range []struct {
			locale string
			text   *string
		}{{i18n.AR, ch.AR}, {i18n.EN, ch.EN}} {
			if l.text == nil {
				err = deleteBotText(ctx, tx, key, l.locale)
			} else {
				err = upsertBotText(ctx, tx, &botTextRow{TenantID: t.ID, Key: key, Locale: l.locale, Body: *l.text, UpdatedAt: now})
			}
			if err != nil {
				return err
			}
		}
		after, err := listBotTexts(ctx, tx, key)
		if err != nil {
			return err
		}
		out = s.botText(key, after)
		return s.record(ctx, tx, t.ID, "bot_text.update", "bot_text:"+key, overridesOf(before), overridesOf(after))
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteBotText removes the store's overrides of key in both languages (a
// key without any is fine): not_found for a key the catalog lacks.
func (s *Service) DeleteBotText(ctx context.Context, key string) error {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return err
	}
	if _, ok := s.texts.byKey[key]; !ok {
		return ErrBotTextNotFound
	}
	return s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := listBotTexts(ctx, tx, key)
		if err != nil || len(before) == 0 {
			return err
		}
		for _, l := range i18n.Languages {
			if err := deleteBotText(ctx, tx, key, l); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, t.ID, "bot_text.delete", "bot_text:"+key, overridesOf(before), nil)
	})
}

// PreviewBotText renders key in both languages with sample values in its
// placeholders (the store's own name for {store}), without saving: a text
// given is checked as SetBotText checks it; a nil one is the store's
// current wording (its override, else the default). Errors as SetBotText's.
func (s *Service) PreviewBotText(ctx context.Context, key string, ch BotTextChange) (*Preview, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	d, ok := s.texts.byKey[key]
	if !ok {
		return nil, ErrBotTextNotFound
	}
	if ch, err = checkBotText(d, ch); err != nil {
		return nil, err
	}
	if ch.AR == nil || (ch.EN == nil && d.en != nil) {
		cur, err := s.BotText(ctx, key)
		if err != nil {
			return nil, err
		}
		ch.AR = pick(ch.AR, cur.OverrideAR, &cur.DefaultAR)
		if d.en != nil {
			ch.EN = pick(ch.EN, cur.OverrideEN, cur.DefaultEN)
		}
	}
	out := &Preview{AR: fillSamples(t, i18n.AR, d.nAR, *ch.AR)}
	if ch.EN != nil {
		en := fillSamples(t, i18n.EN, d.nEN, *ch.EN)
		out.EN = &en
	}
	return out, nil
}

func pick(ss ...*string) *string {
	for _, s := range ss {
		if s != nil {
			return s
		}
	}
	return nil
}

// checkBotText cleans the texts of a change and checks them against the
// key's default, returning every broken rule at once.
func checkBotText(d defaultText, ch BotTextChange) (BotTextChange, error) {
	var fe []errs.FieldError
	for _, l := range []struct {
		field string
		text  **string
	}{{"ar", &ch.AR}, {"en", &ch.EN}} {
		if *l.text == nil {
			continue
		}
		if l.field == "en" && d.en == nil {
			fe = append(fe, errs.Field("en", "unused", "cms.field.form_unused"))
			continue
		}
		s, err := input.Clean(**l.text, input.MultiLine)
		s = strings.ReplaceAll(s, "\r\n", "\n")
		switch n := utf8.RuneCountInString(s); {
		case err != nil:
			fe = append(fe, errs.TextError(l.field, err))
			continue
		case strings.ContainsAny(s, "\t\r"):
			fe = append(fe, errs.Field(l.field, "control", "text.control"))
			continue
		case n == 0:
			fe = append(fe, errs.Field(l.field, "required", "cms.field.bot_text_required"))
			continue
		case n > MaxBody:
			fe = append(fe, errs.Field(l.field, "max", "cms.field.too_long", "max", MaxBody))
			continue
		}
		var unknown []string
		for _, p := range placeholdersOf(s) {
			if !slices.Contains(d.placeholders, p) {
				unknown = append(unknown, p)
			}
		}
		if len(unknown) > 0 {
			allowed := strings.Join(d.placeholders, ", ")
			id := "cms.field.placeholders_unknown"
			if allowed == "" {
				id = "cms.field.placeholders_none"
			}
			fe = append(fe, errs.Field(l.field, "unknown_placeholder", id, "names", strings.Join(unknown, ", "), "allowed", allowed))
			continue
		}
		*l.text = &s
	}
	if len(fe) > 0 {
		return ch, errs.Invalid(fe...)
	}
	return ch, nil
}

// overridesOf is the audit's view of a key's overrides: locale → text.
func overridesOf(rows []botTextRow) map[string]string {
	if len(rows) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, r := range rows {
		m[r.Locale] = r.Body
	}
	return m
}

// samples are the preview's values of the catalog's placeholders, Arabic
// and English; {store}, {privacy_url} and {notice_version} come from the
// store, {n} from the plural form.
var samples = map[string][2]string{
	"{address}":   {"٢٩٢٩ طريق الملك فهد، العليا، الرياض ١٢٢١٤", "2929 King Fahd Rd, Olaya, Riyadh 12214"},
	"{amount}":    {"١٢٥٫٠٠ ر.س", "SAR 125.00"},
	"{available}": {"٣", "3"},
	"{carrier}":   {"سمسا", "SMSA"},
	"{category}":  {"العطور", "Perfumes"},
	"{cities}":    {"الرياض، جدة، الدمام", "Riyadh, Jeddah, Dammam"},
	"{city}":      {"الرياض", "Riyadh"},
	"{count}":     {"٣", "3"},
	"{date}":      {"١٥ مايو", "15 May"},
	"{deadline}":  {"غدًا ٨:٠٠ م", "tomorrow 8:00 PM"},
	"{in_cart}":   {"٢", "2"},
	"{items}":     {"قطعتان", "2 items"},
	"{max}":       {"٥", "5"},
	"{name}":      {"سارة", "Sarah"},
	"{new}":       {"٢", "2"},
	"{old}":       {"١", "1"},
	"{option}":    {"المقاس: M", "Size: M"},
	"{options}":   {"المقاس: M، اللون: أسود", "Size: M, Colour: Black"},
	"{order}":     {"١٠٤٢", "1042"},
	"{price}":     {"١٢٥٫٠٠ ر.س", "SAR 125.00"},
	"{product}":   {"عطر العود", "Oud Perfume"},
	"{qty}":       {"٢", "2"},
	"{query}":     {"عود", "oud"},
	"{rate}":      {"١٥٪", "15%"},
	"{shipping}":  {"٢٥٫٠٠ ر.س", "SAR 25.00"},
	"{sku}":       {"OUD-50", "OUD-50"},
	"{status}":    {"تم الشحن", "Shipped"},
	"{stock}":     {"٤", "4"},
	"{total}":     {"٢٧٥٫٠٠ ر.س", "SAR 275.00"},
	"{tracking}":  {"SA1042TRK", "SA1042TRK"},
	"{url}":       {"https://example.sa/t/1042", "https://example.sa/t/1042"},
	"{vat}":       {"٣٥٫٨٧ ر.س", "SAR 35.87"},
	"{was}":       {"١٥٠٫٠٠ ر.س", "SAR 150.00"},
}

// fillSamples fills text's placeholders with sample values in locale.
func fillSamples(t *tenants.Tenant, locale string, n int, text string) string {
	i := 0
	if locale == i18n.EN {
		i = 1
	}
	privacy := t.PrivacyURL
	if privacy == "" {
		privacy = "https://example.sa/privacy"
	}
	version := t.PrivacyVersion
	if version == "" {
		version = "1"
	}
	pairs := []string{"{store}", storeName(t, locale), "{privacy_url}", privacy, "{notice_version}", version,
		"{n}", i18n.Number(locale, int64(n))}
	for _, p := range placeholderRe.FindAllString(text, -1) {
		if v, ok := samples[p]; ok {
			pairs = append(pairs, p, v[i])
		}
	}
	return strings.NewReplacer(pairs...).Replace(text)
}
