package catalog

import "context"

// PlantCachedPrice rewrites, in Redis, the price of the first variant of the
// product cached under ref in the tenant's current version, as a lost
// version bump would leave it. It returns the entry's key.
func (s *Service) PlantCachedPrice(ctx context.Context, ref string, price int64) (string, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return "", err
	}
	version, err := s.cache.storedVersion(ctx, t.ID)
	if err != nil {
		return "", err
	}
	key := s.cache.entryKey(t.ID, version, "p:"+canonicalRef(ref))
	b, err := s.cache.rdb.Get(ctx, key).Bytes()
	if err != nil {
		return "", err
	}
	p, err := productCodec.decode(b)
	if err != nil {
		return "", err
	}
	p.Variants[0].Price = price
	if b, err = productCodec.encode(p); err != nil {
		return "", err
	}
	return key, s.cache.rdb.Set(ctx, key, b, 0).Err()
}
