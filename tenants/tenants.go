// Package tenants holds tenants, their domains and WhatsApp numbers, tenant
// resolution (host → tenant, phone_number_id → tenant), onboarding, and the
// tenant-scoped transaction every module uses.
package tenants

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/errs"
	"concierge/internal/secrets"
)

// Status values of a tenant.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Tenant is a merchant.
type Tenant struct {
	ID            uuid.UUID
	Slug          string
	NameEN        string
	NameAR        string
	DefaultLocale string
	Currency      string
	Timezone      string
	Status        string
	// PrivacyURL is the tenant's own privacy notice; empty means the
	// platform's generic notice at /privacy on the tenant's host.
	PrivacyURL     string
	PrivacyVersion string
	// MetaCatalogID is the tenant's catalog in Meta Commerce Manager: when
	// set, WhatsApp browsing uses product and product-list messages.
	MetaCatalogID string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Domain is a web host that serves a tenant's storefront.
type Domain struct {
	ID        uuid.UUID
	TenantID  uuid.UUID
	Host      string
	IsPrimary bool
	CreatedAt time.Time
}

// Number is a WhatsApp Business phone number of a tenant. AccessToken and
// AppSecret are plaintext only in memory; at rest they are sealed.
type Number struct {
	ID            uuid.UUID
	TenantID      uuid.UUID
	PhoneNumberID string
	DisplayPhone  string
	WABAID        string
	AccessToken   string
	AppSecret     string
	// HasAccessToken and HasAppSecret say whether each is stored (the
	// listings do not open them).
	HasAccessToken, HasAppSecret bool
	Status                       string
	CreatedAt                    time.Time
	UpdatedAt                    time.Time
}

// Errors of this package; they wrap the shared error vocabulary.
var (
	ErrNotFound  = errs.New(errs.CodeNotFound, "tenants.not_found")
	ErrSuspended = errs.New(errs.CodeForbidden, "tenants.suspended")
)

// Auditor records platform actions; the audit package implements it.
type Auditor interface {
	Record(ctx context.Context, tx bun.IDB, e AuditEntry) error
}

// AuditEntry is one audited action.
type AuditEntry struct {
	TenantID uuid.UUID // uuid.Nil for platform-wide actions
	Actor    string
	Action   string
	Target   string
	Before   any
	After    any
}

// Service manages tenants and resolves them.
type Service struct {
	scope          *Scope
	keys           *secrets.Keyring
	cache          *Cache
	audit          Auditor
	platformDomain string
	log            *slog.Logger
	numberAdded    []func(ctx context.Context, n *Number)
}

// OnNumberAdded registers fn to run after a WhatsApp number is added or
// changed (committed): the message-template registry syncs the number's
// account. Composition root only, before serving.
func (s *Service) OnNumberAdded(fn func(ctx context.Context, n *Number)) {
	s.numberAdded = append(s.numberAdded, fn)
}

// New builds the service.
func New(scope *Scope, keys *secrets.Keyring, cache *Cache, audit Auditor, platformDomain string, log *slog.Logger) *Service {
	return &Service{scope: scope, keys: keys, cache: cache, audit: audit, platformDomain: strings.ToLower(platformDomain), log: log}
}

// Scope returns the transaction scope.
func (s *Service) Scope() *Scope { return s.scope }

// CreateInput is what onboarding a tenant needs.
type CreateInput struct {
	Slug          string `json:"slug" validate:"required,min=1,max=63,slug"`
	NameEN        string `json:"name_en" validate:"required,max=200"`
	NameAR        string `json:"name_ar" validate:"required,max=200"`
	DefaultLocale string `json:"default_locale" validate:"omitempty,oneof=ar en"`
	Currency      string `json:"currency" validate:"omitempty,iso4217"`
	Timezone      string `json:"timezone" validate:"omitempty,timezone"`
}

// UpdateInput changes some fields of a tenant; nil fields stay.
type UpdateInput struct {
	NameEN        *string `json:"name_en" validate:"omitempty,min=1,max=200"`
	NameAR        *string `json:"name_ar" validate:"omitempty,min=1,max=200"`
	DefaultLocale *string `json:"default_locale" validate:"omitempty,oneof=ar en"`
	Currency      *string `json:"currency" validate:"omitempty,iso4217"`
	Timezone      *string `json:"timezone" validate:"omitempty,timezone"`
	Status        *string `json:"status" validate:"omitempty,oneof=active suspended"`
	// PrivacyURL links the tenant's privacy notice in consent requests.
	PrivacyURL *string `json:"privacy_url" validate:"omitempty,max=500,weburl"`
	// PrivacyVersion changes when the notice changes (consent records name it).
	PrivacyVersion *string `json:"privacy_version" validate:"omitempty,max=40"`
	// MetaCatalogID is the Meta Commerce catalog id ("" clears it).
	MetaCatalogID *string `json:"meta_catalog_id" validate:"omitempty,numeric,max=32"`
}

// DomainInput adds a domain.
type DomainInput struct {
	Host      string `json:"host" validate:"required,max=253,hostname_rfc1123"`
	IsPrimary bool   `json:"is_primary"`
}

// NumberInput adds a WhatsApp number.
type NumberInput struct {
	PhoneNumberID string `json:"phone_number_id" validate:"required,numeric,max=32"`
	DisplayPhone  string `json:"display_phone" validate:"required,e164"`
	WABAID        string `json:"waba_id" validate:"omitempty,numeric,max=32"`
	AccessToken   string `json:"access_token" validate:"required,max=4096"`
	AppSecret     string `json:"app_secret" validate:"required,max=512"`
}

// NumberUpdate changes a number; nil fields stay.
type NumberUpdate struct {
	DisplayPhone *string `json:"display_phone" validate:"omitempty,e164"`
	WABAID       *string `json:"waba_id" validate:"omitempty,numeric,max=32"`
	AccessToken  *string `json:"access_token" validate:"omitempty,min=1,max=4096"`
	AppSecret    *string `json:"app_secret" validate:"omitempty,min=1,max=512"`
	Status       *string `json:"status" validate:"omitempty,oneof=active disabled"`
}

var slugRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidSlug reports whether s can be a tenant slug (a DNS label).
func ValidSlug(s string) bool { return slugRe.MatchString(s) }

// Create onboards a tenant.
func (s *Service) Create(ctx context.Context, actor string, in CreateInput) (*Tenant, error) {
	t := &Tenant{
		ID: uuid.Must(uuid.NewV7()), Slug: strings.ToLower(in.Slug), NameEN: in.NameEN, NameAR: in.NameAR,
		DefaultLocale: or(in.DefaultLocale, "ar"), Currency: strings.ToUpper(or(in.Currency, "SAR")),
		Timezone: or(in.Timezone, "Asia/Riyadh"), Status: StatusActive, PrivacyVersion: "1",
	}
	if !ValidSlug(t.Slug) {
		return nil, errs.Invalid(errs.Field("slug", "slug", "field.slug"))
	}
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := insertTenant(ctx, tx, t); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, AuditEntry{TenantID: t.ID, Actor: actor, Action: "tenant.create", Target: "tenant:" + t.ID.String(), After: t})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Get returns a tenant by id or slug.
func (s *Service) Get(ctx context.Context, idOrSlug string) (*Tenant, error) {
	var t *Tenant
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		t, err = getTenant(ctx, tx, idOrSlug)
		return err
	})
	return t, err
}

// List returns every tenant, newest first.
func (s *Service) List(ctx context.Context) ([]Tenant, error) {
	var out []Tenant
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		out, err = listTenants(ctx, tx)
		return err
	})
	return out, err
}

// Update changes a tenant and drops it from the resolution caches.
func (s *Service) Update(ctx context.Context, actor, idOrSlug string, in UpdateInput) (*Tenant, error) {
	var after *Tenant
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		before, err := getTenant(ctx, tx, idOrSlug)
		if err != nil {
			return err
		}
		t := *before
		set(&t.NameEN, in.NameEN)
		set(&t.NameAR, in.NameAR)
		set(&t.DefaultLocale, in.DefaultLocale)
		set(&t.Currency, in.Currency)
		t.Currency = strings.ToUpper(t.Currency)
		set(&t.Timezone, in.Timezone)
		set(&t.Status, in.Status)
		set(&t.PrivacyURL, in.PrivacyURL)
		set(&t.PrivacyVersion, in.PrivacyVersion)
		set(&t.MetaCatalogID, in.MetaCatalogID)
		if err := updateTenant(ctx, tx, &t); err != nil {
			return err
		}
		after = &t
		return s.audit.Record(ctx, tx, AuditEntry{TenantID: t.ID, Actor: actor, Action: "tenant.update", Target: "tenant:" + t.ID.String(), Before: before, After: &t})
	})
	if err != nil {
		return nil, err
	}
	s.invalidate(ctx, after.ID)
	return after, nil
}

// Suspend marks a tenant suspended: its storefront, API and WhatsApp number
// are refused until it is reactivated.
func (s *Service) Suspend(ctx context.Context, actor, idOrSlug string) (*Tenant, error) {
	st := StatusSuspended
	return s.Update(ctx, actor, idOrSlug, UpdateInput{Status: &st})
}

// AddDomain attaches a host to a tenant.
func (s *Service) AddDomain(ctx context.Context, actor, idOrSlug string, in DomainInput) (*Domain, error) {
	d := &Domain{ID: uuid.Must(uuid.NewV7()), Host: normaliseHost(in.Host), IsPrimary: in.IsPrimary}
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := getTenant(ctx, tx, idOrSlug)
		if err != nil {
			return err
		}
		d.TenantID = t.ID
		if err := insertDomain(ctx, tx, d); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, AuditEntry{TenantID: t.ID, Actor: actor, Action: "domain.add", Target: "domain:" + d.Host, After: d})
	})
	if err != nil {
		return nil, err
	}
	s.invalidate(ctx, d.TenantID)
	return d, nil
}

// Domains lists a tenant's domains.
func (s *Service) Domains(ctx context.Context, idOrSlug string) ([]Domain, error) {
	var out []Domain
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := getTenant(ctx, tx, idOrSlug)
		if err != nil {
			return err
		}
		out, err = listDomains(ctx, tx, t.ID)
		return err
	})
	return out, err
}

// RemoveDomain detaches a host from a tenant.
func (s *Service) RemoveDomain(ctx context.Context, actor, idOrSlug string, domainID uuid.UUID) error {
	var tid uuid.UUID
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := getTenant(ctx, tx, idOrSlug)
		if err != nil {
			return err
		}
		tid = t.ID
		d, err := deleteDomain(ctx, tx, t.ID, domainID)
		if err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, AuditEntry{TenantID: t.ID, Actor: actor, Action: "domain.remove", Target: "domain:" + d.Host, Before: d})
	})
	if err == nil {
		s.invalidate(ctx, tid)
	}
	return err
}

// AddNumber attaches a WhatsApp number; its token and app secret are sealed.
func (s *Service) AddNumber(ctx context.Context, actor, idOrSlug string, in NumberInput) (*Number, error) {
	n := &Number{ID: uuid.Must(uuid.NewV7()), PhoneNumberID: in.PhoneNumberID, DisplayPhone: in.DisplayPhone,
		WABAID: in.WABAID, AccessToken: in.AccessToken, AppSecret: in.AppSecret, Status: "active"}
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := getTenant(ctx, tx, idOrSlug)
		if err != nil {
			return err
		}
		n.TenantID = t.ID
		row, err := s.sealNumber(n)
		if err != nil {
			return err
		}
		if err := insertNumber(ctx, tx, row); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, AuditEntry{TenantID: t.ID, Actor: actor, Action: "whatsapp_number.add",
			Target: "whatsapp_number:" + n.PhoneNumberID, After: redactNumber(n)})
	})
	if err != nil {
		return nil, err
	}
	s.invalidate(ctx, n.TenantID)
	for _, fn := range s.numberAdded {
		fn(ctx, n)
	}
	return n, nil
}

// Numbers lists a tenant's WhatsApp numbers (secrets not opened).
func (s *Service) Numbers(ctx context.Context, idOrSlug string) ([]Number, error) {
	var out []Number
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := getTenant(ctx, tx, idOrSlug)
		if err != nil {
			return err
		}
		rows, err := listNumbers(ctx, tx, t.ID)
		for _, r := range rows {
			out = append(out, r.toNumber())
		}
		return err
	})
	return out, err
}

// AllNumbers lists every tenant's WhatsApp numbers (secrets not opened),
// by tenant and age, for platform admins.
func (s *Service) AllNumbers(ctx context.Context) ([]Number, error) {
	var out []Number
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rows, err := listNumbers(ctx, tx, uuid.Nil)
		for _, r := range rows {
			out = append(out, r.toNumber())
		}
		return err
	})
	return out, err
}

// UpdateNumber changes a WhatsApp number.
func (s *Service) UpdateNumber(ctx context.Context, actor, idOrSlug string, numberID uuid.UUID, in NumberUpdate) (*Number, error) {
	var out *Number
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := getTenant(ctx, tx, idOrSlug)
		if err != nil {
			return err
		}
		row, err := getNumber(ctx, tx, t.ID, numberID)
		if err != nil {
			return err
		}
		before := row.toNumber()
		n, err := s.openNumber(row)
		if err != nil {
			return err
		}
		set(&n.DisplayPhone, in.DisplayPhone)
		set(&n.WABAID, in.WABAID)
		set(&n.AccessToken, in.AccessToken)
		set(&n.AppSecret, in.AppSecret)
		set(&n.Status, in.Status)
		sealed, err := s.sealNumber(n)
		if err != nil {
			return err
		}
		if err := updateNumber(ctx, tx, sealed); err != nil {
			return err
		}
		out = n
		return s.audit.Record(ctx, tx, AuditEntry{TenantID: t.ID, Actor: actor, Action: "whatsapp_number.update",
			Target: "whatsapp_number:" + n.PhoneNumberID, Before: before, After: redactNumber(n)})
	})
	if err != nil {
		return nil, err
	}
	s.invalidate(ctx, out.TenantID)
	return out, nil
}

func (s *Service) sealNumber(n *Number) (*numberRow, error) {
	tok, err := s.keys.Seal(n.AccessToken, "whatsapp_numbers.access_token:"+n.ID.String())
	if err != nil {
		return nil, err
	}
	sec, err := s.keys.Seal(n.AppSecret, "whatsapp_numbers.app_secret:"+n.ID.String())
	if err != nil {
		return nil, err
	}
	return toNumberRow(n, tok, sec), nil
}

func (s *Service) openNumber(r *numberRow) (*Number, error) {
	n := r.toNumber()
	var err error
	if n.AccessToken, err = s.keys.Open(r.AccessTokenSealed, "whatsapp_numbers.access_token:"+r.ID.String()); err != nil {
		return nil, fmt.Errorf("open access token of %s: %w", r.PhoneNumberID, err)
	}
	if n.AppSecret, err = s.keys.Open(r.AppSecretSealed, "whatsapp_numbers.app_secret:"+r.ID.String()); err != nil {
		return nil, fmt.Errorf("open app secret of %s: %w", r.PhoneNumberID, err)
	}
	return &n, nil
}

// redactNumber is a number without its secrets, for the audit log.
func redactNumber(n *Number) Number {
	c := *n
	c.AccessToken, c.AppSecret = "[sealed]", "[sealed]"
	return c
}

// normaliseHost lowercases a host and strips a trailing dot.
func normaliseHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
