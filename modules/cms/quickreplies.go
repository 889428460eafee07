package cms

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/i18n"
	"concierge/internal/input"
	"concierge/tenants"
)

var (
	shortcutRe = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)
	// varRe finds a variable, {{name}} (spaces inside the braces allowed).
	varRe = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
	// varNameRe is the shape of a variable's name (and of a key of vars).
	varNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
)

// MaxTitle bounds a quick reply's title, in characters; MaxVarValue a
// variable's value.
const (
	MaxTitle    = 100
	MaxVarValue = 1024
)

// CreateQuickReply adds a quick reply. Errors: invalid (a field out of its
// rules, a body naming a variable outside QuickReplyVars), conflict (the
// shortcut is taken).
func (s *Service) CreateQuickReply(ctx context.Context, in QuickReplyInput) (*QuickReply, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	in, err = checkQuickReply(in)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	q := &QuickReply{ID: uuid.Must(uuid.NewV7()), Shortcut: in.Shortcut, Title: in.Title, BodyAR: in.BodyAR, BodyEN: in.BodyEN,
		CreatedAt: now, UpdatedAt: now}
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := insertQuickReply(ctx, tx, toQuickReplyRow(t.ID, q)); err != nil {
			return err
		}
		return s.record(ctx, tx, t.ID, "quick_reply.create", "quick_reply:"+q.ID.String(), nil, q)
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

// QuickReplies lists the store's quick replies by shortcut; query, when
// given, keeps those whose shortcut or title contains it.
func (s *Service) QuickReplies(ctx context.Context, query string) ([]QuickReply, error) {
	var out []QuickReply
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rs, err := listQuickReplies(ctx, tx, strings.TrimSpace(query))
		for _, r := range rs {
			out = append(out, r.toQuickReply())
		}
		return err
	})
	return out, err
}

// QuickReply returns a quick reply by id or shortcut: not_found.
func (s *Service) QuickReply(ctx context.Context, ref string) (*QuickReply, error) {
	var out *QuickReply
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		out, err = getQuickReply(ctx, tx, ref, false)
		return err
	})
	return out, err
}

// UpdateQuickReply replaces a quick reply (by id or shortcut). Errors:
// not_found, invalid, conflict (the new shortcut is taken).
func (s *Service) UpdateQuickReply(ctx context.Context, ref string, in QuickReplyInput) (*QuickReply, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	in, err = checkQuickReply(in)
	if err != nil {
		return nil, err
	}
	var out *QuickReply
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := getQuickReply(ctx, tx, ref, true)
		if err != nil {
			return err
		}
		q := *before
		q.Shortcut, q.Title, q.BodyAR, q.BodyEN, q.UpdatedAt = in.Shortcut, in.Title, in.BodyAR, in.BodyEN, s.now().UTC()
		if err := updateQuickReply(ctx, tx, toQuickReplyRow(t.ID, &q)); err != nil {
			return err
		}
		out = &q
		return s.record(ctx, tx, t.ID, "quick_reply.update", "quick_reply:"+q.ID.String(), before, &q)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteQuickReply removes a quick reply (by id or shortcut): not_found.
func (s *Service) DeleteQuickReply(ctx context.Context, ref string) error {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return err
	}
	return s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := getQuickReply(ctx, tx, ref, true)
		if err != nil {
			return err
		}
		if err := deleteQuickReply(ctx, tx, before.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, t.ID, "quick_reply.delete", "quick_reply:"+before.ID.String(), before, nil)
	})
}

// Render returns the quick reply (by id or shortcut) in locale ("ar" or
// "en"; "" is the store's language) with its variables filled from vars;
// {{store_name}}, when not given, is the store's name in locale. Every
// variable the body names must have a non-blank value: invalid names each
// missing one (vars[<name>]), so nothing like {{x}} is ever sent. Errors:
// not_found, invalid (a missing value, a bad key or value in vars, an
// unknown locale, a text longer than MaxBody).
func (s *Service) Render(ctx context.Context, ref, locale string, vars map[string]string) (string, error) {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return "", err
	}
	switch locale {
	case i18n.AR, i18n.EN:
	case "":
		locale = i18n.Normalize(t.DefaultLocale)
	default:
		return "", errs.Invalid(errs.Field("locale", "oneof", "field.oneof", "param", "ar en"))
	}
	if fe := checkVars(vars); len(fe) > 0 {
		return "", errs.Invalid(fe...)
	}
	q, err := s.QuickReply(ctx, ref)
	if err != nil {
		return "", err
	}
	body := q.BodyAR
	if locale == i18n.EN {
		body = q.BodyEN
	}
	values := map[string]string{}
	for k, v := range vars {
		values[k] = strings.TrimSpace(v)
	}
	if values["store_name"] == "" {
		values["store_name"] = storeName(t, locale)
	}
	var missing []errs.FieldError
	seen := map[string]bool{}
	out := varRe.ReplaceAllStringFunc(body, func(m string) string {
		name := varRe.FindStringSubmatch(m)[1]
		v := values[name]
		if v == "" && !seen[name] {
			seen[name] = true
			missing = append(missing, errs.Field("vars["+name+"]", "required", "cms.field.var_missing", "name", name))
		}
		return v
	})
	if len(missing) > 0 {
		return "", errs.Invalid(missing...)
	}
	if utf8.RuneCountInString(out) > MaxBody {
		return "", errs.Invalid(errs.Field("vars", "max", "cms.field.rendered_too_long", "max", MaxBody))
	}
	return out, nil
}

// storeName is the tenant's name in locale (the other language's when that
// one is empty).
func storeName(t *tenants.Tenant, locale string) string {
	if locale == i18n.EN && t.NameEN != "" || t.NameAR == "" {
		return t.NameEN
	}
	return t.NameAR
}

// checkQuickReply cleans and checks a quick reply, returning every broken
// rule at once.
func checkQuickReply(in QuickReplyInput) (QuickReplyInput, error) {
	var fe []errs.FieldError
	var err error
	in.Shortcut = strings.TrimSpace(in.Shortcut)
	if !shortcutRe.MatchString(in.Shortcut) {
		fe = append(fe, errs.Field("shortcut", "format", "cms.field.shortcut"))
	}
	if in.Title, err = input.Clean(in.Title, input.SingleLine); err != nil {
		fe = append(fe, errs.TextError("title", err))
	} else if in.Title == "" {
		fe = append(fe, errs.Field("title", "required", "field.required"))
	} else if utf8.RuneCountInString(in.Title) > MaxTitle {
		fe = append(fe, errs.Field("title", "max", "field.max", "param", MaxTitle))
	}
	for _, b := range []struct {
		field string
		text  *string
	}{{"body_ar", &in.BodyAR}, {"body_en", &in.BodyEN}} {
		if f := checkBody(b.field, b.text); f != nil {
			fe = append(fe, *f)
		}
	}
	if len(fe) > 0 {
		return in, errs.Invalid(fe...)
	}
	return in, nil
}

// checkBody cleans a quick reply's body in place and checks its length and
// variables.
func checkBody(field string, text *string) *errs.FieldError {
	s, err := input.Clean(*text, input.MultiLine)
	if err != nil {
		fe := errs.TextError(field, err)
		return &fe
	}
	*text = strings.ReplaceAll(s, "\r\n", "\n")
	switch n := utf8.RuneCountInString(*text); {
	case n == 0:
		fe := errs.Field(field, "required", "field.required")
		return &fe
	case n > MaxBody:
		fe := errs.Field(field, "max", "cms.field.too_long", "max", MaxBody)
		return &fe
	}
	var unknown []string
	for _, m := range varRe.FindAllStringSubmatch(*text, -1) {
		if !slices.Contains(QuickReplyVars, m[1]) && !slices.Contains(unknown, "{{"+m[1]+"}}") {
			unknown = append(unknown, "{{"+m[1]+"}}")
		}
	}
	if len(unknown) > 0 {
		fe := errs.Field(field, "unknown_variable", "cms.field.variables_unknown", "names", strings.Join(unknown, ", "),
			"allowed", allowedVars())
		return &fe
	}
	if rest := varRe.ReplaceAllString(*text, ""); strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		fe := errs.Field(field, "braces", "cms.field.braces", "allowed", allowedVars())
		return &fe
	}
	return nil
}

func allowedVars() string {
	parts := make([]string, len(QuickReplyVars))
	for i, v := range QuickReplyVars {
		parts[i] = "{{" + v + "}}"
	}
	return strings.Join(parts, ", ")
}

// checkVars checks the values given to Render: keys shaped like variable
// names, values of one text without braces, at most MaxVarValue characters.
func checkVars(vars map[string]string) []errs.FieldError {
	var fe []errs.FieldError
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := vars[k]
		field := "vars[" + k + "]"
		if !varNameRe.MatchString(k) {
			fe = append(fe, errs.Field("vars", "var_name", "cms.field.var_name"))
			continue
		}
		switch err := input.Check(v, input.MultiLine); {
		case err != nil:
			fe = append(fe, errs.TextError(field, err))
		case utf8.RuneCountInString(v) > MaxVarValue:
			fe = append(fe, errs.Field(field, "max", "cms.field.too_long", "max", MaxVarValue))
		case strings.Contains(v, "{{") || strings.Contains(v, "}}"):
			fe = append(fe, errs.Field(field, "braces", "cms.field.var_braces"))
		}
	}
	return fe
}

// parseRef tells an id from a shortcut.
func parseRef(ref string) (uuid.UUID, string, error) {
	ref = strings.TrimSpace(ref)
	if id, err := uuid.Parse(ref); err == nil {
		return id, "", nil
	}
	if !shortcutRe.MatchString(ref) {
		return uuid.Nil, "", ErrQuickReplyNotFound
	}
	return uuid.Nil, ref, nil
}
