package cms

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/tenants"
)

var (
	templateNameRe = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
	languageRe     = regexp.MustCompile(`^[a-z]{2,3}(_[A-Za-z]{2,4})?$`)
)

// Templates lists the store's templates by name and language.
func (s *Service) Templates(ctx context.Context, q TemplateQuery) ([]Template, error) {
	switch q.Status {
	case "", StatusPending, StatusApproved, StatusRejected, StatusPaused, StatusDisabled:
	default:
		return nil, errs.Invalid(errs.Field("status", "oneof", "field.oneof", "param", "pending approved rejected paused disabled"))
	}
	var out []Template
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rs, err := listTemplates(ctx, tx, q.Status, strings.TrimSpace(q.Name))
		for _, r := range rs {
			out = append(out, r.toTemplate())
		}
		return err
	})
	return out, err
}

// Template returns a template by id: not_found.
func (s *Service) Template(ctx context.Context, id uuid.UUID) (*Template, error) {
	var out *Template
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := getTemplate(ctx, tx, id)
		if err == nil {
			t := r.toTemplate()
			out = &t
		}
		return err
	})
	return out, err
}

// ApprovedTx reports, in tx (a transaction of the tenant of ctx), whether
// the tenant's registry has template name approved in language: "ar" is
// "ar" (or a regional "ar_*"), "en" is "en", "en_US", "en_GB", …; a
// regional code ("en_US") is itself only. The WhatsApp channel asks it
// before sending a template, so an unapproved one is refused rather than
// bounced by Meta.
func (s *Service) ApprovedTx(ctx context.Context, tx bun.IDB, name, language string) (bool, error) {
	code, err := s.ApprovedLanguageTx(ctx, tx, name, language)
	return code != "", err
}

// ApprovedLanguageTx is ApprovedTx returning the language code of the
// approved template to send (Meta wants the template's own: "en_US" for a
// template approved only in en_US), "" when there is none. An exact match
// comes first, then the base language, then its regional forms in order.
func (s *Service) ApprovedLanguageTx(ctx context.Context, tx bun.IDB, name, language string) (string, error) {
	if _, err := tenants.FromContext(ctx); err != nil {
		return "", err
	}
	language = strings.TrimSpace(strings.ReplaceAll(language, "-", "_"))
	language = strings.ToLower(baseLanguage(language)) + strings.TrimPrefix(language, baseLanguage(language))
	if !templateNameRe.MatchString(name) || !languageRe.MatchString(language) {
		return "", nil
	}
	langs, err := approvedLanguages(ctx, tx, name, strings.ToLower(baseLanguage(language)))
	if err != nil {
		return "", err
	}
	for _, l := range langs {
		if strings.EqualFold(l, language) {
			return l, nil
		}
	}
	if base := baseLanguage(language); base == language {
		for _, l := range langs { // sorted: "en" before "en_GB" before "en_US"
			if baseLanguage(l) == base {
				return l, nil
			}
		}
	}
	return "", nil
}

func baseLanguage(l string) string {
	if i := strings.IndexByte(l, '_'); i >= 0 {
		return l[:i]
	}
	return l
}

// EnqueueSync queues a sync of the store's registry (cms.sync_templates)
// in its own transaction; a sync already queued or running takes its
// place.
func (s *Service) EnqueueSync(ctx context.Context) error {
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return err
	}
	return s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.EnqueueSyncTx(ctx, tx, t.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, t.ID, "templates.sync_requested", "tenant:"+t.ID.String(), nil, nil)
	})
}

// EnqueueSyncTx queues a sync of tenantID's registry inside tx (onboarding
// queues one when a number is added). A sync of that tenant already queued
// or running takes its place.
func (s *Service) EnqueueSyncTx(ctx context.Context, tx bun.Tx, tenantID uuid.UUID) error {
	if tenantID == uuid.Nil {
		return tenants.ErrNoTenant
	}
	return s.jobs.InsertTx(ctx, tx, SyncTemplatesArgs{TenantID: tenantID}, nil)
}

// account is one WhatsApp Business Account to read, with a token that
// opens it.
type account struct {
	wabaID string
	token  string
}

// SyncTemplates mirrors the tenant's templates from Meta: every template of
// every WhatsApp Business Account of its active numbers, read page by page
// outside any transaction, then written in one tenant transaction: new and
// changed templates saved, templates Meta no longer lists disabled.
// Reading is all or nothing: when an account cannot be read, nothing is
// written and the error is a *GraphError (or a transport error) the job
// classifies. A tenant without a number with a WABA id syncs nothing.
func (s *Service) SyncTemplates(ctx context.Context) (SyncResult, error) {
	var res SyncResult
	t, err := tenants.FromContext(ctx)
	if err != nil {
		return res, err
	}
	accounts, err := s.accounts(ctx, t.ID)
	if err != nil || len(accounts) == 0 {
		return res, err
	}
	var fetched []metaTemplate
	for _, a := range accounts {
		ts, err := s.graph.templates(ctx, a.wabaID, a.token)
		if err != nil {
			return res, fmt.Errorf("cms: templates of WABA %s: %w", a.wabaID, err)
		}
		fetched = append(fetched, ts...)
	}
	res.Accounts = len(accounts)
	now := s.now().UTC()
	rows := s.toRows(ctx, t.ID, fetched, &res)
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		created, changed, err := upsertTemplates(ctx, tx, rows, now)
		if err != nil {
			return err
		}
		disabled, err := disableMissing(ctx, tx, rows, now)
		if err != nil {
			return err
		}
		res.Created, res.Changed, res.Disabled = created, changed, disabled
		if created+changed+disabled == 0 {
			return nil
		}
		return s.record(ctx, tx, t.ID, "templates.synced", "tenant:"+t.ID.String(), nil,
			map[string]int{"seen": res.Seen, "created": created, "changed": changed, "disabled": disabled})
	})
	return res, err
}

// accounts are the distinct WABAs of the tenant's active numbers, each with
// the token of one of its numbers.
func (s *Service) accounts(ctx context.Context, tenantID uuid.UUID) ([]account, error) {
	nums, err := s.tenants.Numbers(ctx, tenantID.String())
	if err != nil {
		return nil, err
	}
	var out []account
	seen := map[string]bool{}
	for _, n := range nums {
		if n.WABAID == "" || n.Status != "active" || seen[n.WABAID] {
			continue
		}
		_, open, err := s.tenants.ResolveNumber(ctx, n.PhoneNumberID)
		if errors.Is(err, errs.ErrForbidden) || errors.Is(err, errs.ErrNotFound) {
			continue // suspended tenant or number disabled meanwhile
		}
		if err != nil {
			return nil, err
		}
		seen[n.WABAID] = true
		out = append(out, account{wabaID: n.WABAID, token: open.AccessToken})
	}
	return out, nil
}

// toRows turns Meta's templates into rows, one per name and language (the
// first seen wins when two accounts list the same), skipping what the
// registry cannot hold.
func (s *Service) toRows(ctx context.Context, tenantID uuid.UUID, ts []metaTemplate, res *SyncResult) []templateRow {
	var out []templateRow
	seen := map[string]bool{}
	for _, m := range ts {
		name, lang := strings.TrimSpace(m.Name), strings.TrimSpace(m.Language)
		if !templateNameRe.MatchString(name) || !languageRe.MatchString(lang) || len(m.ID) > 64 {
			res.Skipped++
			s.log.WarnContext(ctx, "cms: template skipped", "name", name, "language", lang)
			continue
		}
		if seen[name+"|"+lang] {
			continue
		}
		seen[name+"|"+lang] = true
		res.Seen++
		comps := m.Components
		if len(comps) == 0 || string(comps) == "null" {
			comps = []byte("[]")
		}
		reason := m.RejectedReason
		if strings.EqualFold(reason, "NONE") {
			reason = ""
		}
		if r := []rune(reason); len(r) > 500 {
			reason = string(r[:500])
		}
		out = append(out, templateRow{TenantID: tenantID, ID: uuid.Must(uuid.NewV7()), Name: name, Language: lang,
			Category: category(m.Category), Status: status(m.Status), Components: comps, MetaID: m.ID, RejectedReason: reason})
	}
	return out
}

// status maps Meta's template status to the registry's: anything Meta no
// longer sends is disabled, anything unknown pending (never approved).
func status(meta string) string {
	switch strings.ToUpper(strings.TrimSpace(meta)) {
	case "APPROVED":
		return StatusApproved
	case "REJECTED":
		return StatusRejected
	case "PAUSED":
		return StatusPaused
	case "DISABLED", "DELETED", "PENDING_DELETION", "ARCHIVED", "LIMIT_EXCEEDED":
		return StatusDisabled
	}
	return StatusPending // PENDING, IN_APPEAL, anything new
}

// category maps Meta's template category (older ones included).
func category(meta string) string {
	switch strings.ToUpper(strings.TrimSpace(meta)) {
	case "MARKETING":
		return CategoryMarketing
	case "AUTHENTICATION", "OTP":
		return CategoryAuthentication
	}
	return CategoryUtility // UTILITY, TRANSACTIONAL, ACCOUNT_UPDATE, …
}
