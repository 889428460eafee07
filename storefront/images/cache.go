package images

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// The cache. Keys of a source, all under the tenant's hash tag:
//
//	{prefix}{<tenant>}:img:<hash>:src            its size, or a failure
//	{prefix}{<tenant>}:img:<hash>:v1:w<w>:q<q>   a variant
//
// <hash> is the hex SHA-256 of the source URL (128 bits), so a URL of any
// length makes a short key; the tenant id is part of every key, so the same
// URL of two tenants is two entries, and a tenant's keys share one Redis
// Cluster slot (MGET of a variant and its source is one command). The
// quality is in the variant key: changing it makes new variants rather than
// serving old ones. v1 names the value's encoding (encodeVariant).
//
// Values: a variant is "cim1", then uvarints width, height, the length of
// the content type, the content type, the length of the ETag, the ETag,
// then the picture's bytes. A source is "ok <width> <height>" or "fail
// <kind>" (not_image, too_large, fetch). A value that does not decode is a
// miss.

// keys are the cache keys of one tenant's source.
type keys struct {
	tenant uuid.UUID
	url    string
	base   string // {prefix}{tenant}:img:<hash>:
	source string
}

func newKeys(prefix string, tenantID uuid.UUID, url string) keys {
	sum := sha256.Sum256([]byte(url))
	base := prefix + "{" + tenantID.String() + "}:img:" + hex.EncodeToString(sum[:16]) + ":"
	return keys{tenant: tenantID, url: url, base: base, source: base + "src"}
}

// variant is the key of the variant at width and quality.
func (k keys) variant(width, quality int) string {
	return k.base + "v1:w" + strconv.Itoa(width) + ":q" + strconv.Itoa(quality)
}

const variantMagic = "cim1"

func encodeVariant(img Image) []byte {
	b := make([]byte, 0, len(variantMagic)+4*binary.MaxVarintLen64+len(img.ContentType)+len(img.ETag)+len(img.Bytes))
	b = append(b, variantMagic...)
	b = binary.AppendUvarint(b, uint64(img.Width))
	b = binary.AppendUvarint(b, uint64(img.Height))
	b = binary.AppendUvarint(b, uint64(len(img.ContentType)))
	b = append(b, img.ContentType...)
	b = binary.AppendUvarint(b, uint64(len(img.ETag)))
	b = append(b, img.ETag...)
	return append(b, img.Bytes...)
}

// decodeVariant reads encodeVariant's form; false for anything else.
func decodeVariant(b []byte) (Image, bool) {
	if len(b) < len(variantMagic) || string(b[:len(variantMagic)]) != variantMagic {
		return Image{}, false
	}
	b = b[len(variantMagic):]
	num := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	str := func() (string, bool) {
		n, ok := num()
		if !ok || n > uint64(len(b)) || n > 256 {
			return "", false
		}
		s := string(b[:n])
		b = b[n:]
		return s, true
	}
	w, ok1 := num()
	h, ok2 := num()
	ct, ok3 := str()
	tag, ok4 := str()
	if !ok1 || !ok2 || !ok3 || !ok4 || w == 0 || h == 0 || w > maxWidth || h > 1<<31 || len(b) == 0 ||
		(ct != "image/jpeg" && ct != "image/png") || tag == "" {
		return Image{}, false
	}
	return Image{Bytes: b, ContentType: ct, Width: int(w), Height: int(h), ETag: tag}, true
}

func encodeSource(w, h int) []byte { return fmt.Appendf(nil, "ok %d %d", w, h) }

func encodeFailure(kind string) []byte { return []byte("fail " + kind) }

// failureKind names the failure a source is remembered by; "" for an error
// that is not the source's fault.
func failureKind(err error) string {
	switch {
	case errors.Is(err, ErrNotImage):
		return "not_image"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrFetch):
		return "fetch"
	}
	return ""
}

// decodeSource reads a source entry: its size, or the error it failed
// with; ok false for a value that does not decode.
func decodeSource(b []byte) (w, h int, failure error, ok bool) {
	f := strings.Fields(string(b))
	switch {
	case len(f) == 3 && f[0] == "ok":
		w, err1 := strconv.Atoi(f[1])
		h, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || w <= 0 || h <= 0 {
			return 0, 0, nil, false
		}
		return w, h, nil, true
	case len(f) == 2 && f[0] == "fail":
		var sentinel error
		switch f[1] {
		case "not_image":
			sentinel = ErrNotImage
		case "too_large":
			sentinel = ErrTooLarge
		case "fetch":
			sentinel = ErrFetch
		default:
			return 0, 0, nil, false
		}
		return 0, 0, fmt.Errorf("%w (a recent failure, not tried again yet)", sentinel), true
	}
	return 0, 0, nil, false
}

// kv is one entry to store.
type kv struct {
	key string
	val []byte
}

// store writes entries with one TTL in one round trip. Failures are logged:
// the cache is an optimisation.
func (r *Resizer) store(ctx context.Context, ttl time.Duration, entries ...kv) {
	if r.rdb == nil {
		return
	}
	pipe := r.rdb.Pipeline()
	for _, e := range entries {
		pipe.Set(ctx, e.key, e.val, ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		r.redisFailed(ctx, "set", err)
	}
}

// lru is the in-process cache in front of Redis: entries by full key, the
// least recently used dropped first once their bytes pass max. An entry
// larger than an eighth of max is not kept.
type lru struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order list.List // front: most recent; values *lruEntry
	items map[string]*list.Element
}

type lruEntry struct {
	key     string
	img     Image
	size    int64
	expires time.Time
}

// newLRU returns an LRU of max bytes; nil (nothing kept) for max ≤ 0.
func newLRU(max int64) *lru {
	if max <= 0 {
		return nil
	}
	return &lru{max: max, items: map[string]*list.Element{}}
}

func (c *lru) get(key string) (Image, bool) {
	if c == nil {
		return Image{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return Image{}, false
	}
	e := el.Value.(*lruEntry)
	if time.Now().After(e.expires) {
		c.remove(el)
		return Image{}, false
	}
	c.order.MoveToFront(el)
	return e.img, true
}

func (c *lru) put(key string, img Image, ttl time.Duration) {
	if c == nil {
		return
	}
	size := int64(len(key)+len(img.Bytes)+len(img.ETag)+len(img.ContentType)) + 128
	if size > c.max/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	c.items[key] = c.order.PushFront(&lruEntry{key: key, img: img, size: size, expires: time.Now().Add(ttl)})
	c.size += size
	for c.size > c.max {
		c.remove(c.order.Back())
	}
}

func (c *lru) remove(el *list.Element) {
	e := c.order.Remove(el).(*lruEntry)
	delete(c.items, e.key)
	c.size -= e.size
}
