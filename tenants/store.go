package tenants

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/internal/db"
	"concierge/internal/errs"
)

type tenantRow struct {
	bun.BaseModel  `bun:"table:tenants"`
	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	Slug           string    `bun:"slug"`
	NameEN         string    `bun:"name_en"`
	NameAR         string    `bun:"name_ar"`
	DefaultLocale  string    `bun:"default_locale"`
	Currency       string    `bun:"currency"`
	Timezone       string    `bun:"timezone"`
	Status         string    `bun:"status"`
	PrivacyURL     string    `bun:"privacy_url"`
	PrivacyVersion string    `bun:"privacy_version"`
	MetaCatalogID  string    `bun:"meta_catalog_id"`
	CreatedAt      time.Time `bun:"created_at,nullzero,default:now()"`
	UpdatedAt      time.Time `bun:"updated_at,nullzero,default:now()"`
}

func (r *tenantRow) toTenant() *Tenant {
	return &Tenant{ID: r.ID, Slug: r.Slug, NameEN: r.NameEN, NameAR: r.NameAR, DefaultLocale: r.DefaultLocale,
		Currency: r.Currency, Timezone: r.Timezone, Status: r.Status, PrivacyURL: r.PrivacyURL, PrivacyVersion: r.PrivacyVersion,
		MetaCatalogID: r.MetaCatalogID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func toTenantRow(t *Tenant) *tenantRow {
	return &tenantRow{ID: t.ID, Slug: t.Slug, NameEN: t.NameEN, NameAR: t.NameAR, DefaultLocale: t.DefaultLocale,
		Currency: t.Currency, Timezone: t.Timezone, Status: t.Status, PrivacyURL: t.PrivacyURL, PrivacyVersion: t.PrivacyVersion,
		MetaCatalogID: t.MetaCatalogID, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

type domainRow struct {
	bun.BaseModel `bun:"table:tenant_domains"`
	TenantID      uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	ID            uuid.UUID `bun:"id,pk,type:uuid"`
	Host          string    `bun:"host"`
	IsPrimary     bool      `bun:"is_primary"`
	CreatedAt     time.Time `bun:"created_at,nullzero,default:now()"`
}

type numberRow struct {
	bun.BaseModel     `bun:"table:whatsapp_numbers"`
	TenantID          uuid.UUID `bun:"tenant_id,pk,type:uuid"`
	ID                uuid.UUID `bun:"id,pk,type:uuid"`
	PhoneNumberID     string    `bun:"phone_number_id"`
	DisplayPhone      string    `bun:"display_phone"`
	WABAID            string    `bun:"waba_id"`
	AccessTokenSealed string    `bun:"access_token_sealed"`
	AppSecretSealed   string    `bun:"app_secret_sealed"`
	Status            string    `bun:"status"`
	CreatedAt         time.Time `bun:"created_at,nullzero,default:now()"`
	UpdatedAt         time.Time `bun:"updated_at,nullzero,default:now()"`
}

func (r *numberRow) toNumber() Number {
	return Number{ID: r.ID, TenantID: r.TenantID, PhoneNumberID: r.PhoneNumberID, DisplayPhone: r.DisplayPhone,
		WABAID: r.WABAID, Status: r.Status, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		HasAccessToken: r.AccessTokenSealed != "", HasAppSecret: r.AppSecretSealed != ""}
}

func toNumberRow(n *Number, sealedToken, sealedSecret string) *numberRow {
	return &numberRow{TenantID: n.TenantID, ID: n.ID, PhoneNumberID: n.PhoneNumberID, DisplayPhone: n.DisplayPhone,
		WABAID: n.WABAID, AccessTokenSealed: sealedToken, AppSecretSealed: sealedSecret, Status: n.Status,
		CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt}
}

// translate maps driver errors to the error vocabulary.
func translate(err error, what string) error {
	if c, ok := db.IsUniqueViolation(err); ok {
		field := "id"
		switch {
		case strings.Contains(c, "slug"):
			field = "slug"
		case strings.Contains(c, "host"):
			field = "host"
		case strings.Contains(c, "phone_number_id"):
			field = "phone_number_id"
		}
		return &errs.Error{Code: errs.CodeConflict,
			Fields: []errs.FieldError{errs.Field(field, "unique", "tenants.taken")}, Err: fmt.Errorf("%s already exists: %w", what, err), Msg: errs.M("error.exists")}
	}
	return db.Translate(err, what)
}

func insertTenant(ctx context.Context, tx bun.IDB, t *Tenant) error {
	r := toTenantRow(t)
	if _, err := tx.NewInsert().Model(r).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return translate(err, "tenant")
	}
	t.CreatedAt, t.UpdatedAt = r.CreatedAt, r.UpdatedAt
	return nil
}

func getTenant(ctx context.Context, tx bun.IDB, idOrSlug string) (*Tenant, error) {
	r := new(tenantRow)
	q := tx.NewSelect().Model(r)
	if id, err := uuid.Parse(idOrSlug); err == nil {
		q = q.Where("id = ?", id)
	} else {
		q = q.Where("slug = ?", strings.ToLower(idOrSlug))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, translate(err, "tenant")
	}
	return r.toTenant(), nil
}

func listTenants(ctx context.Context, tx bun.IDB) ([]Tenant, error) {
	var rows []tenantRow
	if err := tx.NewSelect().Model(&rows).Order("created_at DESC").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Tenant, len(rows))
	for i := range rows {
		out[i] = *rows[i].toTenant()
	}
	return out, nil
}

func updateTenant(ctx context.Context, tx bun.IDB, t *Tenant) error {
	r := toTenantRow(t)
	_, err := tx.NewUpdate().Model(r).
		Column("name_en", "name_ar", "default_locale", "currency", "timezone", "status", "privacy_url", "privacy_version", "meta_catalog_id").
		Set("updated_at = now()").WherePK().Returning("updated_at").Exec(ctx)
	if err != nil {
		return translate(err, "tenant")
	}
	t.UpdatedAt = r.UpdatedAt
	return nil
}

func insertDomain(ctx context.Context, tx bun.IDB, d *Domain) error {
	r := &domainRow{TenantID: d.TenantID, ID: d.ID, Host: d.Host, IsPrimary: d.IsPrimary}
	if d.IsPrimary {
		if _, err := tx.NewUpdate().Model((*domainRow)(nil)).Set("is_primary = false").Where("tenant_id = ?", d.TenantID).Exec(ctx); err != nil {
			return err
		}
	}
	if _, err := tx.NewInsert().Model(r).Returning("created_at").Exec(ctx); err != nil {
		return translate(err, "domain")
	}
	d.CreatedAt = r.CreatedAt
	return nil
}

func listDomains(ctx context.Context, tx bun.IDB, tenantID uuid.UUID) ([]Domain, error) {
	var rows []domainRow
	if err := tx.NewSelect().Model(&rows).Where("tenant_id = ?", tenantID).Order("host").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Domain, len(rows))
	for i, r := range rows {
		out[i] = Domain{ID: r.ID, TenantID: r.TenantID, Host: r.Host, IsPrimary: r.IsPrimary, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

func deleteDomain(ctx context.Context, tx bun.IDB, tenantID, id uuid.UUID) (*Domain, error) {
	r := new(domainRow)
	if err := tx.NewDelete().Model(r).Where("tenant_id = ? AND id = ?", tenantID, id).Returning("*").Scan(ctx); err != nil {
		return nil, translate(err, "domain")
	}
	return &Domain{ID: r.ID, TenantID: r.TenantID, Host: r.Host, IsPrimary: r.IsPrimary, CreatedAt: r.CreatedAt}, nil
}

func insertNumber(ctx context.Context, tx bun.IDB, r *numberRow) error {
	_, err := tx.NewInsert().Model(r).Returning("created_at, updated_at").Exec(ctx)
	return translate(err, "WhatsApp number")
}

// listNumbers lists a tenant's numbers (uuid.Nil: every tenant's).
func listNumbers(ctx context.Context, tx bun.IDB, tenantID uuid.UUID) ([]*numberRow, error) {
	var rows []*numberRow
	q := tx.NewSelect().Model(&rows).Order("tenant_id", "created_at")
	if tenantID != uuid.Nil {
		q = q.Where("tenant_id = ?", tenantID)
	}
	err := q.Scan(ctx)
	return rows, err
}

func getNumber(ctx context.Context, tx bun.IDB, tenantID, id uuid.UUID) (*numberRow, error) {
	r := new(numberRow)
	err := tx.NewSelect().Model(r).Where("tenant_id = ? AND id = ?", tenantID, id).Scan(ctx)
	return r, translate(err, "WhatsApp number")
}

func updateNumber(ctx context.Context, tx bun.IDB, r *numberRow) error {
	_, err := tx.NewUpdate().Model(r).
		Column("display_phone", "waba_id", "access_token_sealed", "app_secret_sealed", "status").
		Set("updated_at = now()").WherePK().Returning("updated_at").Exec(ctx)
	return translate(err, "WhatsApp number")
}

// lookupHost finds the tenant serving a custom domain.
func lookupHost(ctx context.Context, tx bun.IDB, host string) (*Tenant, error) {
	r := new(tenantRow)
	err := tx.NewSelect().Model(r).
		Join("JOIN tenant_domains AS d ON d.tenant_id = tenant_row.id").
		Where("d.host = ?", host).Scan(ctx)
	if err != nil {
		return nil, translate(err, "tenant")
	}
	return r.toTenant(), nil
}

// lookupNumber finds a number and its tenant by phone_number_id.
func lookupNumber(ctx context.Context, tx bun.IDB, phoneNumberID string) (*numberRow, *Tenant, error) {
	n := new(numberRow)
	if err := tx.NewSelect().Model(n).Where("phone_number_id = ?", phoneNumberID).Scan(ctx); err != nil {
		return nil, nil, translate(err, "WhatsApp number")
	}
	t, err := getTenant(ctx, tx, n.TenantID.String())
	return n, t, err
}
