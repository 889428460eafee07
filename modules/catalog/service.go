package catalog

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"concierge/tenants"
)

// The service's reads. Public reads (Product, List, Categories) go through
// the versioned cache and return domain values; staff reads (StaffProduct,
// StaffList) read Postgres. Public methods own the transaction; the store
// functions they call take it.

// Product returns an active product by id or slug (cached). Errors:
// not_found.
func (s *Service) Product(ctx context.Context, ref string) (*Product, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	version, err := s.cache.version(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	return s.productAt(ctx, t, version, canonicalRef(ref))
}

// productAt reads an active product through the cache under version (""
// reads Postgres). ref is canonical.
func (s *Service) productAt(ctx context.Context, t *tenants.Tenant, version, ref string) (*Product, error) {
	return cached(ctx, s.cache, t.ID, version, "p:"+ref, productCodec, func() (*Product, error) {
		var p *Product
		err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			p, err = getProduct(ctx, tx, ref, false)
			return err
		})
		return p, err
	})
}

// ProductBySKU returns the active product that has a variant with sku.
// Errors: not_found.
func (s *Service) ProductBySKU(ctx context.Context, sku string) (*Product, error) {
	var id uuid.UUID
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		id, err = productIDBySKU(ctx, tx, sku)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Product(ctx, id.String())
}

// SaleVariants reads the variants with ids, with their products' titles and
// status, in the caller's transaction tx (tenant-scoped: the cart prices its
// lines in the transaction that holds the cart's lock, with one query and no
// second connection). Unknown ids are absent from the answer.
func (s *Service) SaleVariants(ctx context.Context, tx bun.IDB, ids []uuid.UUID) (map[uuid.UUID]SaleVariant, error) {
	out := make(map[uuid.UUID]SaleVariant, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rs, err := saleVariants(ctx, tx, ids)
	for _, r := range rs {
		out[r.ID] = r.toSaleVariant()
	}
	return out, err
}

// SaleVariantBySKU reads the variant on sale with sku (any case), in the
// caller's transaction tx. Errors: not_found.
func (s *Service) SaleVariantBySKU(ctx context.Context, tx bun.IDB, sku string) (SaleVariant, error) {
	r, err := saleVariantBySKU(ctx, tx, strings.TrimSpace(sku))
	if err != nil {
		return SaleVariant{}, err
	}
	return r.toSaleVariant(), nil
}

// List returns a page of active products (cached per query). Errors:
// invalid (cursor), not_found (category).
func (s *Service) List(ctx context.Context, q Query) (Page, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return Page{}, err
	}
	version, err := s.cache.version(ctx, t.ID)
	if err != nil {
		return Page{}, err
	}
	return s.listAt(ctx, t, version, q)
}

// listAt reads a page of active products through the cache under version.
// A query to understand (q.Understand) first has its constraint words read
// into filters with the store's facets; the page says which (Applied).
func (s *Service) listAt(ctx context.Context, t *tenants.Tenant, version string, q Query) (Page, error) {
	q.Status = ""
	var applied []AppliedFilter
	if q.Understand && strings.TrimSpace(q.Q) != "" {
		f, err := s.facetsAt(ctx, t, version)
		if err != nil {
			return Page{}, err
		}
		currency := t.Currency
		if currency == "" {
			if currency, err = s.currency(ctx); err != nil {
				return Page{}, err
			}
		}
		q, applied = q.apply(f, currency)
	}
	q.Understand, q.Literal = false, ""
	page, err := cached(ctx, s.cache, t.ID, version, "l:"+queryKey(q), pageCodec, func() (Page, error) {
		return s.listSearch(ctx, t, version, q)
	})
	page.Applied = applied
	return page, err
}

// Facets returns what the store's products can be filtered by (cached):
// brands and the option values of variants on sale.
func (s *Service) Facets(ctx context.Context) (Facets, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return Facets{}, err
	}
	version, err := s.cache.version(ctx, t.ID)
	if err != nil {
		return Facets{}, err
	}
	return s.facetsAt(ctx, t, version)
}

func (s *Service) facetsAt(ctx context.Context, t *tenants.Tenant, version string) (Facets, error) {
	return cached(ctx, s.cache, t.ID, version, "f:all", facetsCodec, func() (Facets, error) {
		var f Facets
		err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			f, err = facets(ctx, tx)
			return err
		})
		return f, err
	})
}

func (s *Service) list(ctx context.Context, q Query) (Page, error) {
	var page Page
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		page, err = listProducts(ctx, tx, q)
		return err
	})
	return page, err
}

// Categories returns every category in tree order (cached).
func (s *Service) Categories(ctx context.Context) ([]Category, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	version, err := s.cache.version(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	return s.categoriesAt(ctx, t, version)
}

// categoriesAt reads the category tree through the cache under version.
func (s *Service) categoriesAt(ctx context.Context, t *tenants.Tenant, version string) ([]Category, error) {
	return cached(ctx, s.cache, t.ID, version, "c:all", categoriesCodec, func() ([]Category, error) {
		var cs []Category
		err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			cs, err = listCategories(ctx, tx)
			return err
		})
		return cs, err
	})
}

// StaffProduct returns a product in any status with archived variants.
// Errors: not_found.
func (s *Service) StaffProduct(ctx context.Context, ref string) (*Product, error) {
	var p *Product
	err := s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		p, err = getProduct(ctx, tx, canonicalRef(ref), true)
		return err
	})
	return p, err
}

// StaffList lists products of q.Status (active when empty).
func (s *Service) StaffList(ctx context.Context, q Query) (Page, error) {
	if q.Status == "" {
		q.Status = StatusActive
	}
	return s.list(ctx, q)
}

// write runs fn in the tenant's transaction, refreshes the products it
// touched, and bumps the cache version after the commit.
func (s *Service) write(ctx context.Context, fn func(ctx context.Context, tx bun.Tx, t *tenants.Tenant) ([]uuid.UUID, error)) error {
	t, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	err = s.scope.InTenantTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ids, err := fn(ctx, tx, t)
		if err != nil {
			return err
		}
		if !reindexing(ctx) {
			if err := touchProducts(ctx, tx, ids, s.now()); err != nil {
				return err
			}
		}
		return refresh(ctx, tx, dedupe(ids))
	})
	if err != nil {
		return err
	}
	s.cache.bump(ctx, t.ID)
	return nil
}

// currency is the tenant's currency; every price of a catalog is in it.
func (s *Service) currency(ctx context.Context) (string, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return "", err
	}
	if t.Currency != "" {
		return t.Currency, nil
	}
	full, err := s.tenants.Get(ctx, t.ID.String())
	if err != nil {
		return "", err
	}
	return full.Currency, nil
}

// Reindex recomputes the aggregates and search rows of every product of the
// tenant (after a change to how search text is built, or a migration that
// adds search columns) and bumps the cache version. It returns the number
// of products.
func (s *Service) Reindex(ctx context.Context) (int, error) {
	var n int
	err := s.write(context.WithValue(ctx, reindexKey{}, true), func(ctx context.Context, tx bun.Tx, _ *tenants.Tenant) ([]uuid.UUID, error) {
		ids, err := allProductIDs(ctx, tx)
		n = len(ids)
		return ids, err
	})
	return n, err
}

type reindexKey struct{}

// reindexing reports a Reindex: products are refreshed, not changed.
func reindexing(ctx context.Context) bool { b, _ := ctx.Value(reindexKey{}).(bool); return b }

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slugify makes a URL name from English text, or from fallback.
func slugify(s, fallback string) string {
	out := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if out == "" {
		out = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(fallback), "-"), "-")
	}
	if out == "" {
		out = "item"
	}
	if len(out) > 120 {
		out = strings.Trim(out[:120], "-")
	}
	return out
}

// freeSlug returns base, or base-2, base-3, ... whichever is free.
func freeSlug(ctx context.Context, tx bun.IDB, base string) (string, error) {
	taken, err := takenSlugs(ctx, tx, base)
	if err != nil {
		return "", err
	}
	used := map[string]bool{}
	for _, s := range taken {
		used[s] = true
	}
	slug := base
	for n := 2; used[slug]; n++ {
		slug = fmt.Sprintf("%s-%d", base, n)
	}
	return slug, nil
}

func canonicalRef(ref string) string {
	ref = strings.TrimSpace(ref)
	if len(ref) == 36 {
		if id, err := uuid.Parse(ref); err == nil {
			return id.String()
		}
	}
	return strings.ToLower(ref)
}

func dedupe(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// Version is the tenant's catalog version: it changes with every write to
// the catalog, so a page cached under it is current exactly as long as it
// stays the same. "" when there is no cache to version (Redis down): pages
// are then not cached.
func (s *Service) Version(ctx context.Context) (string, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return "", err
	}
	return s.cache.version(ctx, t.ID)
}
