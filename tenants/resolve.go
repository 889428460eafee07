package tenants

import (
	"context"
	"errors"
	"net"
	"strings"

	"concierge/internal/errs"

	"github.com/uptrace/bun"
)

// ResolveHost finds the tenant a web request is for: a custom domain, or
// <slug>.<PLATFORM_DOMAIN> (and <slug>.localhost, which always works for
// development). Unknown hosts are not_found; a suspended tenant is refused
// with ErrSuspended.
func (s *Service) ResolveHost(ctx context.Context, hostport string) (*Tenant, error) {
	host := normaliseHost(hostport)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if !hostShaped(host) {
		// Not a DNS name (empty, too long, bytes no host has): no store,
		// and nothing asked of the database or cached.
		return nil, errs.New(errs.CodeNotFound, "tenants.no_store_at_host")
	}
	key := "host:" + host
	if v, ok := s.cache.get(ctx, key); ok {
		return active(v)
	}
	gen := s.cache.genNow()
	var t *Tenant
	err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if slug, ok := s.subdomainSlug(host); ok {
			t, err = getTenant(ctx, tx, slug)
		} else {
			t, err = lookupHost(ctx, tx, host)
		}
		return err
	})
	if errors.Is(err, errs.ErrNotFound) {
		s.cache.put(ctx, key, cached{Miss: true}, gen)
		return nil, errs.New(errs.CodeNotFound, "tenants.no_store_at_host")
	}
	if err != nil {
		return nil, err
	}
	s.cache.put(ctx, key, cached{Tenant: t}, gen)
	return active(cached{Tenant: t})
}

func (s *Service) subdomainSlug(host string) (string, bool) {
	for _, base := range []string{s.platformDomain, "localhost"} {
		if base == "" {
			continue
		}
		if label, ok := strings.CutSuffix(host, "."+base); ok && ValidSlug(label) {
			return label, true
		}
	}
	return "", false
}

// ResolveNumber finds the tenant and WhatsApp number (secrets opened) for a
// phone_number_id. A suspended tenant or disabled number is refused.
func (s *Service) ResolveNumber(ctx context.Context, phoneNumberID string) (*Tenant, *Number, error) {
	key := "pnid:" + phoneNumberID
	v, ok := s.cache.get(ctx, key)
	if !ok {
		gen := s.cache.genNow()
		err := s.scope.PlatformTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			n, t, err := lookupNumber(ctx, tx, phoneNumberID)
			v = cached{Tenant: t, Number: n}
			return err
		})
		if errors.Is(err, errs.ErrNotFound) {
			s.cache.put(ctx, key, cached{Miss: true}, gen)
			return nil, nil, errs.New(errs.CodeNotFound, "tenants.number_not_found")
		}
		if err != nil {
			return nil, nil, err
		}
		s.cache.put(ctx, key, v, gen)
	}
	t, err := active(v)
	if err != nil {
		return nil, nil, err
	}
	if v.Number == nil {
		return nil, nil, errs.New(errs.CodeNotFound, "tenants.number_not_found")
	}
	if v.Number.Status != "active" {
		return t, nil, errs.New(errs.CodeForbidden, "tenants.number_disabled")
	}
	n, err := s.openNumber(v.Number)
	if err != nil {
		return nil, nil, err
	}
	return t, n, nil
}

func active(v cached) (*Tenant, error) {
	if v.Miss || v.Tenant == nil {
		return nil, errs.New(errs.CodeNotFound, "tenants.no_store_at_host")
	}
	if v.Tenant.Status != StatusActive {
		return v.Tenant, ErrSuspended
	}
	return v.Tenant, nil
}

func (s *Service) invalidate(ctx context.Context, tenantID [16]byte) {
	s.cache.Invalidate(ctx, tenantID)
}

// hostShaped reports whether host (lower-cased, without port) could be a DNS
// name: 1 to 253 bytes of letters, digits, hyphens, underscores and dots.
func hostShaped(host string) bool {
	if host == "" || len(host) > 253 {
		return false
	}
	for i := 0; i < len(host); i++ {
		b := host[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '.' || b == '_') {
			return false
		}
	}
	return true
}
