// Package images serves a tenant's product pictures resized: the storefront
// writes <img src="/img/...?w=480" srcset="...?w=320 320w, ..."> and this
// package answers each width from the merchant's original.
//
// The flow of Variant (tenant, source URL, width):
//
//  1. The width is snapped up to the next allowed width (Config.Widths), so
//     the variants of a picture are a short, fixed list and the cache stays
//     bounded; a width above the largest is the largest.
//  2. The variant is looked up in this process's LRU (bounded bytes), then in
//     Redis under {prefix}{tenant}:img:<sha256 of the URL>:..., so one
//     tenant's bytes are never found under another tenant's key and a
//     tenant's keys share one Redis Cluster slot.
//  3. On a miss, one goroutine per process does the work (singleflight, keyed
//     by the cache key) while concurrent callers wait for its result; the work
//     runs detached from the first caller's cancellation, bounded by
//     Config.Timeout, so a client going away does not fail the others.
//  4. The original is fetched through Deps.Fetch (the caller's SSRF-safe
//     fetcher; SafeFetch adapts internal/safefetch) with at most
//     Config.MaxSourceBytes. Fetches of the same source for different widths
//     are shared too.
//  5. The bytes, not the Content-Type, decide the format: JPEG, PNG, GIF (the
//     first frame) or WebP, nothing else. The header is read first
//     (DecodeConfig) and a picture over Config.MaxPixels (or whose decoded
//     form would exceed MaxPixels×4 bytes) is refused before any pixel is
//     decoded: decompression bombs cost a header read. A JPEG's EXIF
//     orientation is applied, since the re-encoded picture carries no EXIF.
//  6. The picture is reduced, never enlarged, keeping its aspect ratio: an
//     integer box reduction (an exact area average, one cheap pass) brings a
//     large source within twice the target, then golang.org/x/image/draw's
//     CatmullRom finishes, in bands, so its scratch memory stays a few MiB
//     whatever the source. At most Config.Workers pictures are decoded and
//     resized at once.
//  7. The result is JPEG (Config.Quality), or PNG when the source has
//     transparency, with a strong ETag over its bytes; it is stored in Redis
//     (Config.CacheTTL) and the LRU, and the source's size is stored beside it
//     for Dimensions.
//
// A source that fails (not a picture, too large, not fetchable) is remembered
// for Config.FailureTTL, so a broken merchant URL costs one fetch a minute,
// not one per page view. Errors are typed (ErrNotImage, ErrTooLarge,
// ErrFetch): the page shows a placeholder, and Handler answers 404. No input
// makes the package panic: decoders run under recover.
//
// Redis is a cache only: when it cannot be reached, pictures are still made
// and served (and kept in the LRU).
package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
	"golang.org/x/sync/singleflight"

	"concierge/internal/errs"
	"concierge/internal/safefetch"
)

// Defaults for a zero Config.
const (
	DefaultMaxSourceBytes  = 8 << 20
	DefaultMaxPixels       = 40_000_000
	DefaultQuality         = 80
	DefaultCacheTTL        = 7 * 24 * time.Hour
	DefaultFailureTTL      = time.Minute
	DefaultLocalCacheBytes = 32 << 20
	DefaultTimeout         = 30 * time.Second

	// maxWidth bounds a configured width.
	maxWidth = 8192
)

// DefaultWidths returns the default allowed widths: 160, 320, 480, 640, 960
// and 1280 pixels.
func DefaultWidths() []int { return []int{160, 320, 480, 640, 960, 1280} }

// Sentinel errors, matched with errors.Is. Every error Variant and
// Dimensions return for a bad source wraps one of them.
var (
	// ErrNotImage: the source is not a JPEG, PNG, GIF or WebP picture that
	// decodes (whatever its Content-Type said), or it is truncated.
	ErrNotImage = errors.New("images: not a JPEG, PNG, GIF or WebP picture")
	// ErrTooLarge: the source is over Config.MaxSourceBytes or its header
	// claims more than Config.MaxPixels.
	ErrTooLarge = errors.New("images: picture too large")
	// ErrFetch: the source could not be fetched (refused address, network
	// error, status other than 2xx, time-out).
	ErrFetch = errors.New("images: picture could not be fetched")
)

// errDecoderPanic marks a decoder that panicked on hostile bytes (wrapped
// in ErrNotImage): logged as an error, since it is a decoder bug.
var errDecoderPanic = errors.New("decoder panic")

// Config sets the rules of a Resizer. Zero values take the defaults.
type Config struct {
	// Widths are the allowed widths; any other is snapped up to the next
	// one (above the largest: the largest). Default DefaultWidths().
	Widths []int
	// MaxSourceBytes bounds the fetched original; default 8 MiB.
	MaxSourceBytes int64
	// MaxPixels bounds width×height of the original, read from its header
	// before decoding; default 40 megapixels. The decoded form is also held
	// to MaxPixels×4 bytes (a 16-bit PNG may have half as many pixels).
	MaxPixels int64
	// Quality of the JPEG variants, 1 to 100; default 80.
	Quality int
	// CacheTTL is how long a variant and a source's size stay in Redis and
	// in the LRU; default 7 days.
	CacheTTL time.Duration
	// FailureTTL is how long a failed source is not fetched again (the
	// failure is answered from Redis); default 1 minute, negative: never
	// remembered.
	FailureTTL time.Duration
	// LocalCacheBytes bounds the in-process LRU in front of Redis; default
	// 32 MiB, negative: no LRU.
	LocalCacheBytes int64
	// Workers bounds the pictures decoded and resized at once (each holds
	// its decoded original); default GOMAXPROCS.
	Workers int
	// Timeout bounds one fetch and resize, which runs detached from the
	// request that started it (others may be waiting for it); default 30 s.
	Timeout time.Duration
}

// FetchFunc downloads url with at most limit bytes of body. Beyond limit it
// fails with an error wrapping ErrTooLarge (or safefetch.ErrTooLarge). It
// must refuse addresses of the platform's own network (SSRF): pass
// SafeFetch(fetcher), or a function that serves local demo media itself.
type FetchFunc func(ctx context.Context, url string, limit int64) (body []byte, contentType string, err error)

// Deps are what a Resizer uses.
type Deps struct {
	// Fetch downloads originals (required).
	Fetch FetchFunc
	// Redis holds variants, sizes and failures; nil: the LRU only.
	Redis redis.UniversalClient
	// RedisPrefix starts every key (the deployment's REDIS_PREFIX).
	RedisPrefix string
	// Log receives failures of sources and of Redis; nil: discarded.
	Log *slog.Logger
}

// Image is a variant ready to serve. Bytes are shared with the cache and
// with concurrent callers: read them, never change them.
type Image struct {
	Bytes       []byte
	ContentType string // image/jpeg or image/png
	Width       int
	Height      int
	// ETag is a strong entity tag over Bytes, quoted ("...").
	ETag string
}

// Resizer makes, caches and serves variants. It is safe for concurrent use.
type Resizer struct {
	cfg     Config
	fetch   FetchFunc
	rdb     redis.UniversalClient
	prefix  string
	log     *slog.Logger
	local   *lru
	work    singleflight.Group // variants and sizes, by cache key
	fetches singleflight.Group // originals, by source key
	slots   chan struct{}      // Workers

	// beforeFlight, when set (tests), runs as a caller is about to join or
	// start the work for key.
	beforeFlight func(key string)
}

// New builds a Resizer, filling the defaults. It panics without Deps.Fetch
// (a wiring mistake of the composition root).
func New(cfg Config, d Deps) *Resizer {
	if d.Fetch == nil {
		panic("images: New without Deps.Fetch")
	}
	cfg.Widths = cleanWidths(cfg.Widths)
	if cfg.MaxSourceBytes <= 0 {
		cfg.MaxSourceBytes = DefaultMaxSourceBytes
	}
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = DefaultMaxPixels
	}
	if cfg.Quality <= 0 {
		cfg.Quality = DefaultQuality
	}
	cfg.Quality = min(cfg.Quality, 100)
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.FailureTTL == 0 {
		cfg.FailureTTL = DefaultFailureTTL
	}
	if cfg.LocalCacheBytes == 0 {
		cfg.LocalCacheBytes = DefaultLocalCacheBytes
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Resizer{
		cfg: cfg, fetch: d.Fetch, rdb: d.Redis, prefix: d.RedisPrefix, log: log,
		local: newLRU(cfg.LocalCacheBytes), slots: make(chan struct{}, cfg.Workers),
	}
}

// cleanWidths sorts ws, dropping duplicates and widths outside 1..8192;
// none left: the defaults.
func cleanWidths(ws []int) []int {
	var out []int
	for _, w := range ws {
		if w > 0 && w <= maxWidth {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return DefaultWidths()
	}
	return out
}

// Widths returns the allowed widths, smallest first.
func (r *Resizer) Widths() []int { return slices.Clone(r.cfg.Widths) }

// SnapWidth returns the smallest allowed width at least w (the largest
// allowed width when w is above it).
func (r *Resizer) SnapWidth(w int) int { return snap(r.cfg.Widths, w) }

// SnapWidth snaps w to DefaultWidths: the smallest at least w, or 1280 when
// w is above 1280.
func SnapWidth(w int) int { return snap(DefaultWidths(), w) }

func snap(widths []int, w int) int {
	for _, a := range widths {
		if a >= w {
			return a
		}
	}
	return widths[len(widths)-1]
}

// Srcset builds an srcset attribute value for the variants of base (a URL
// with or without a query): "base?w=320 320w, base?w=640 640w". No widths:
// DefaultWidths(). The value is not HTML-escaped (templ escapes attributes).
func Srcset(base string, widths []int) string {
	if len(widths) == 0 {
		widths = DefaultWidths()
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	var b strings.Builder
	for i, w := range widths {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(base)
		b.WriteString(sep)
		b.WriteString("w=")
		b.WriteString(strconv.Itoa(w))
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(w))
		b.WriteByte('w')
	}
	return b.String()
}

// Fit returns the size of the variant of a srcW×srcH picture asked at
// width: never larger than the original, same aspect ratio (height
// rounded, at least 1). The page uses it for width and height attributes.
// A width ≤ 0 or a size ≤ 0 gives the original size.
func Fit(srcW, srcH, width int) (w, h int) {
	if srcW <= 0 || srcH <= 0 || width <= 0 || width >= srcW {
		return srcW, srcH
	}
	rounded := (uint64(srcH)*uint64(width)*2 + uint64(srcW)) / (2 * uint64(srcW))
	return width, int(max(rounded, 1))
}

// Variant returns sourceURL's picture at width (snapped to an allowed
// width, never enlarged) for the tenant, from the cache or made once.
// Errors wrap ErrNotImage, ErrTooLarge or ErrFetch for a bad source; a
// cancelled ctx returns its error (the work goes on for the others).
func (r *Resizer) Variant(ctx context.Context, tenantID uuid.UUID, sourceURL string, width int) (Image, error) {
	k, err := r.keysFor(tenantID, sourceURL)
	if err != nil {
		return Image{}, err
	}
	w := r.SnapWidth(width)
	vk := k.variant(w, r.cfg.Quality)
	if img, ok := r.cached(ctx, vk); ok {
		return img, nil
	}
	return r.flight(ctx, vk, func(ctx context.Context) (Image, error) { return r.makeVariant(ctx, k, vk, w) })
}

// Dimensions returns the size of sourceURL's original as it is displayed
// (after its EXIF orientation), from the cache or read once from its header.
// Errors as Variant's. A picture whose header reads but whose data is
// truncated has dimensions; its Variant fails with ErrNotImage.
func (r *Resizer) Dimensions(ctx context.Context, tenantID uuid.UUID, sourceURL string) (w, h int, err error) {
	k, err := r.keysFor(tenantID, sourceURL)
	if err != nil {
		return 0, 0, err
	}
	if img, ok := r.local.get(k.source); ok {
		return img.Width, img.Height, nil
	}
	if r.rdb != nil {
		b, err := r.rdb.Get(ctx, k.source).Bytes()
		switch {
		case err == nil:
			if w, h, ferr, ok := decodeSource(b); ok {
				if ferr != nil {
					return 0, 0, ferr
				}
				r.local.put(k.source, Image{Width: w, Height: h}, r.cfg.CacheTTL)
				return w, h, nil
			}
		case !errors.Is(err, redis.Nil):
			r.redisFailed(ctx, "get", err)
		}
	}
	img, err := r.flight(ctx, k.source, func(ctx context.Context) (Image, error) { return r.makeDimensions(ctx, k) })
	return img.Width, img.Height, err
}

// keysFor checks the arguments and returns the cache keys of a source.
func (r *Resizer) keysFor(tenantID uuid.UUID, sourceURL string) (keys, error) {
	if tenantID == uuid.Nil {
		return keys{}, errors.New("images: no tenant")
	}
	if strings.TrimSpace(sourceURL) == "" {
		return keys{}, fmt.Errorf("%w: no URL", ErrFetch)
	}
	return newKeys(r.prefix, tenantID, sourceURL), nil
}

// cached looks a variant up in the LRU, then in Redis.
func (r *Resizer) cached(ctx context.Context, vk string) (Image, bool) {
	if img, ok := r.local.get(vk); ok {
		return img, true
	}
	if r.rdb == nil {
		return Image{}, false
	}
	b, err := r.rdb.Get(ctx, vk).Bytes()
	if err != nil {
		if !errors.Is(err, redis.Nil) {
			r.redisFailed(ctx, "get", err)
		}
		return Image{}, false
	}
	img, ok := decodeVariant(b)
	if ok {
		r.local.put(vk, img, r.cfg.CacheTTL)
	}
	return img, ok
}

// flight runs work once per key for all concurrent callers, detached from
// the caller's cancellation and bounded by Config.Timeout. A caller whose
// ctx ends stops waiting; the work goes on for the others and the cache.
func (r *Resizer) flight(ctx context.Context, key string, work func(context.Context) (Image, error)) (Image, error) {
	if r.beforeFlight != nil {
		r.beforeFlight(key)
	}
	ch := r.work.DoChan(key, func() (v any, err error) {
		defer func() {
			if p := recover(); p != nil { // a panic in DoChan's function would end the process
				r.log.ErrorContext(ctx, "image work panicked", "panic", fmt.Sprint(p))
				v, err = Image{}, fmt.Errorf("images: internal error: %v", p)
			}
		}()
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
		defer cancel()
		return work(wctx)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return Image{}, res.Err
		}
		return res.Val.(Image), nil
	case <-ctx.Done():
		return Image{}, context.Cause(ctx)
	}
}

// makeVariant is the work of a missing variant: check the caches again
// (another process may have filled them, or remembered a failure), fetch,
// render, store.
func (r *Resizer) makeVariant(ctx context.Context, k keys, vk string, w int) (Image, error) {
	if img, ok := r.local.get(vk); ok {
		return img, nil
	}
	if r.rdb != nil {
		vals, err := r.rdb.MGet(ctx, vk, k.source).Result()
		switch {
		case err != nil:
			r.redisFailed(ctx, "mget", err)
		case len(vals) == 2:
			if s, ok := vals[0].(string); ok {
				if img, ok := decodeVariant([]byte(s)); ok {
					r.local.put(vk, img, r.cfg.CacheTTL)
					return img, nil
				}
			}
			if s, ok := vals[1].(string); ok {
				if _, _, ferr, ok := decodeSource([]byte(s)); ok && ferr != nil {
					return Image{}, ferr
				}
			}
		}
	}
	body, err := r.source(ctx, k)
	if err != nil {
		return Image{}, err
	}
	if err := r.acquire(ctx); err != nil {
		return Image{}, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	img, hdr, err := render(body, w, r.cfg.MaxPixels, r.cfg.Quality)
	r.release()
	if err != nil {
		r.fail(ctx, k, err)
		return Image{}, err
	}
	dw, dh := hdr.display()
	r.store(ctx, r.cfg.CacheTTL, kv{k.source, encodeSource(dw, dh)}, kv{vk, encodeVariant(img)})
	r.local.put(vk, img, r.cfg.CacheTTL)
	r.local.put(k.source, Image{Width: dw, Height: dh}, r.cfg.CacheTTL)
	return img, nil
}

// makeDimensions is the work of a missing size: fetch and read the header.
func (r *Resizer) makeDimensions(ctx context.Context, k keys) (Image, error) {
	if img, ok := r.local.get(k.source); ok {
		return img, nil
	}
	body, err := r.source(ctx, k)
	if err != nil {
		return Image{}, err
	}
	hdr, err := probe(body, r.cfg.MaxPixels)
	if err != nil {
		r.fail(ctx, k, err)
		return Image{}, err
	}
	dw, dh := hdr.display()
	r.store(ctx, r.cfg.CacheTTL, kv{k.source, encodeSource(dw, dh)})
	r.local.put(k.source, Image{Width: dw, Height: dh}, r.cfg.CacheTTL)
	return Image{Width: dw, Height: dh}, nil
}

// source fetches the original once for all the widths asked at the same
// time. A failure is remembered (fail).
func (r *Resizer) source(ctx context.Context, k keys) ([]byte, error) {
	v, err, _ := r.fetches.Do(k.source, func() (any, error) {
		body, _, err := r.fetch(ctx, k.url, r.cfg.MaxSourceBytes)
		switch {
		case err != nil:
			err = classifyFetch(err)
		case int64(len(body)) > r.cfg.MaxSourceBytes:
			err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, r.cfg.MaxSourceBytes)
		case len(body) == 0:
			err = fmt.Errorf("%w: empty body", ErrNotImage)
		}
		if err != nil {
			r.fail(ctx, k, err)
			return nil, err
		}
		return body, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// classifyFetch wraps a fetch error in ErrTooLarge or ErrFetch (one that
// already is ErrNotImage, ErrTooLarge or ErrFetch is kept).
func classifyFetch(err error) error {
	switch {
	case errors.Is(err, ErrNotImage), errors.Is(err, ErrTooLarge), errors.Is(err, ErrFetch):
		return err
	case errors.Is(err, safefetch.ErrTooLarge):
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	}
	return fmt.Errorf("%w: %w", ErrFetch, err)
}

// fail logs a source's failure and remembers it for Config.FailureTTL, so
// the source is not fetched again meanwhile. Cancellations and time-outs of
// the work itself are not remembered.
func (r *Resizer) fail(ctx context.Context, k keys, err error) {
	kind := failureKind(err)
	level := slog.LevelWarn
	if errors.Is(err, errDecoderPanic) {
		level = slog.LevelError
	}
	r.log.Log(ctx, level, "image source failed", "tenant_id", k.tenant.String(), "source", k.url, "error", err.Error())
	if kind == "" || r.cfg.FailureTTL < 0 || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	r.store(ctx, r.cfg.FailureTTL, kv{k.source, encodeFailure(kind)})
}

// acquire takes one of the Workers slots.
func (r *Resizer) acquire(ctx context.Context) error {
	select {
	case r.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Resizer) release() { <-r.slots }

// header is what a picture's header says.
type header struct {
	format      string // jpeg, png, gif, webp
	width       int    // as stored
	height      int    // as stored
	orientation int    // EXIF, 1..8
}

// display is the size as shown: orientations 5 to 8 turn the picture a
// quarter.
func (h header) display() (width, height int) {
	if h.orientation >= 5 {
		return h.height, h.width
	}
	return h.width, h.height
}

// sniff names the format from the first bytes; "" for anything else (SVG,
// HTML, BMP, TIFF, ...).
func sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "gif"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

// probe reads a picture's header and refuses what is too large to decode.
func probe(body []byte, maxPixels int64) (hdr header, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %w: %v", ErrNotImage, errDecoderPanic, p)
		}
	}()
	hdr.format = sniff(body)
	var cfg image.Config
	switch hdr.format {
	case "jpeg":
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(body))
	case "png":
		cfg, err = png.DecodeConfig(bytes.NewReader(body))
	case "gif":
		cfg, err = gif.DecodeConfig(bytes.NewReader(body))
	case "webp":
		cfg, err = webp.DecodeConfig(bytes.NewReader(body))
	default:
		return header{}, fmt.Errorf("%w: unknown format", ErrNotImage)
	}
	if err != nil {
		return header{}, fmt.Errorf("%w: %s header: %w", ErrNotImage, hdr.format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return header{}, fmt.Errorf("%w: %s of %d×%d pixels", ErrNotImage, hdr.format, cfg.Width, cfg.Height)
	}
	px := int64(cfg.Width) * int64(cfg.Height)
	if px > maxPixels || px*bytesPerPixel(cfg.ColorModel) > maxPixels*4 {
		return header{}, fmt.Errorf("%w: %s of %d×%d pixels", ErrTooLarge, hdr.format, cfg.Width, cfg.Height)
	}
	hdr.width, hdr.height, hdr.orientation = cfg.Width, cfg.Height, 1
	if hdr.format == "jpeg" {
		hdr.orientation = jpegOrientation(body)
	}
	return hdr, nil
}

// bytesPerPixel is what the decoded form of a color model takes per pixel,
// at most.
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	return 4 // RGBA, NRGBA, CMYK, and a GIF's palette (its first frame may be drawn on an RGBA canvas)
}

// render decodes body and makes its variant at width (never enlarged).
func render(body []byte, width int, maxPixels int64, quality int) (img Image, hdr header, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = Image{}, fmt.Errorf("%w: %w: %v", ErrNotImage, errDecoderPanic, p)
		}
	}()
	hdr, err = probe(body, maxPixels)
	if err != nil {
		return Image{}, header{}, err
	}
	src, err := decode(hdr, body)
	if err != nil {
		return Image{}, header{}, err
	}
	dw, dh := hdr.display()
	tw, th := Fit(dw, dh, width)
	sw, sh := tw, th // the size before the orientation is applied
	if hdr.orientation >= 5 {
		sw, sh = th, tw
	}
	out := resize(src, sw, sh)
	if hdr.orientation > 1 {
		out = orient(toRGBA(out), hdr.orientation)
	}
	var buf bytes.Buffer
	ct := "image/jpeg"
	if opaque(src) {
		err = jpeg.Encode(&buf, out, &jpeg.Options{Quality: quality})
	} else {
		ct = "image/png"
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, out)
	}
	if err != nil {
		return Image{}, header{}, fmt.Errorf("images: encode: %w", err)
	}
	b := bytes.Clone(buf.Bytes()) // no spare capacity held by the caches
	return Image{Bytes: b, ContentType: ct, Width: tw, Height: th, ETag: etag(b)}, hdr, nil
}

// decode decodes the pixels of a probed picture; a GIF's first frame is
// drawn on its logical screen.
func decode(hdr header, body []byte) (image.Image, error) {
	var (
		src image.Image
		err error
	)
	r := bytes.NewReader(body)
	switch hdr.format {
	case "jpeg":
		src, err = jpeg.Decode(r)
	case "png":
		src, err = png.Decode(r)
	case "gif":
		src, err = gif.Decode(r)
	case "webp":
		src, err = webp.Decode(r)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNotImage, hdr.format, err)
	}
	if src == nil {
		return nil, fmt.Errorf("%w: %s: no picture", ErrNotImage, hdr.format)
	}
	want := image.Rect(0, 0, hdr.width, hdr.height)
	if src.Bounds() == want {
		return src, nil
	}
	if hdr.format == "gif" && src.Bounds().In(want) {
		canvas := image.NewRGBA(want)
		draw.Draw(canvas, src.Bounds(), src, src.Bounds().Min, draw.Src)
		return canvas, nil
	}
	return nil, fmt.Errorf("%w: %s decodes to %v, its header says %v", ErrNotImage, hdr.format, src.Bounds(), want)
}

// opaque reports whether img has no transparent pixel.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// resize scales src to dw×dh (a reduction or the same size): an integer box
// reduction while the source is at least twice the target, then CatmullRom.
func resize(src image.Image, dw, dh int) image.Image {
	b := src.Bounds()
	if b.Dx() == dw && b.Dy() == dh {
		return src
	}
	cur := src
	if k := min(b.Dx()/dw, b.Dy()/dh); k >= 2 {
		cur = boxShrink(src, k)
		if s := cur.Bounds().Size(); s.X == dw && s.Y == dh {
			return cur
		}
	}
	return scaleBanded(draw.CatmullRom, cur, dw, dh)
}

// boxShrink averages k×k blocks of src (premultiplied; the blocks of the
// right and bottom edges may be smaller). Rows are converted k at a time, so
// it needs one row band of scratch whatever the source's type.
func boxShrink(src image.Image, k int) *image.RGBA {
	sb := src.Bounds()
	sw, sh := sb.Dx(), sb.Dy()
	bw, bh := (sw+k-1)/k, (sh+k-1)/k
	out := image.NewRGBA(image.Rect(0, 0, bw, bh))
	band := image.NewRGBA(image.Rect(0, 0, sw, k))
	sums := make([]uint64, bw*4)
	for by := range bh {
		rows := min(k, sh-by*k)
		draw.Draw(band, image.Rect(0, 0, sw, rows), src, image.Pt(sb.Min.X, sb.Min.Y+by*k), draw.Src)
		clear(sums)
		for y := range rows {
			row := band.Pix[y*band.Stride : y*band.Stride+sw*4]
			for bx := range bw {
				s := sums[bx*4 : bx*4+4 : bx*4+4]
				end := min((bx+1)*k, sw) * 4
				for i := bx * k * 4; i < end; i += 4 {
					s[0] += uint64(row[i])
					s[1] += uint64(row[i+1])
					s[2] += uint64(row[i+2])
					s[3] += uint64(row[i+3])
				}
			}
		}
		o := out.Pix[by*out.Stride:]
		for bx := range bw {
			n := uint64(min(k, sw-bx*k) * rows)
			for c := range 4 {
				o[bx*4+c] = uint8((sums[bx*4+c] + n/2) / n)
			}
		}
	}
	return out
}

// bandBytes bounds the scratch of one kernel pass.
const bandBytes = 4 << 20

// scaleBanded scales src to dw×dh with the kernel in two separable passes,
// each done in bands: the horizontal pass over bands of rows (vertically the
// identity), the vertical pass over bands of columns (horizontally the
// identity). Neither pass mixes pixels across its bands, so there are no
// seams, and x/image/draw's scratch (32 bytes per pixel of the destination
// width by the source height, 80 MiB for 2000 to 1280 in one call) stays
// near bandBytes.
func scaleBanded(k *draw.Kernel, src image.Image, dw, dh int) *image.RGBA {
	sb := src.Bounds()
	sw, sh := sb.Dx(), sb.Dy()
	mid := image.NewRGBA(image.Rect(0, 0, dw, sh))
	rows := max(1, min(sh, bandBytes/(dw*32)))
	full := k.NewScaler(dw, rows, sw, rows)
	for y := 0; y < sh; y += rows {
		n := min(rows, sh-y)
		var s draw.Scaler = k
		if n == rows {
			s = full
		}
		s.Scale(mid, image.Rect(0, y, dw, y+n), src, image.Rect(sb.Min.X, sb.Min.Y+y, sb.Max.X, sb.Min.Y+y+n), draw.Src, nil)
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	cols := max(1, min(dw, bandBytes/(sh*32)))
	full = k.NewScaler(cols, dh, cols, sh)
	for x := 0; x < dw; x += cols {
		n := min(cols, dw-x)
		var s draw.Scaler = k
		if n == cols {
			s = full
		}
		s.Scale(dst, image.Rect(x, 0, x+n, dh), mid, image.Rect(x, 0, x+n, sh), draw.Src, nil)
	}
	return dst
}

// toRGBA returns img as an *image.RGBA at the origin.
func toRGBA(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok && m.Bounds().Min == (image.Point{}) {
		return m
	}
	b := img.Bounds()
	m := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(m, m.Bounds(), img, b.Min, draw.Src)
	return m
}

// orient applies an EXIF orientation (2..8) to src: the picture as shown.
func orient(src *image.RGBA, o int) *image.RGBA {
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	W, H := w, h
	if o >= 5 {
		W, H = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, W, H))
	for Y := range H {
		for X := range W {
			var x, y int
			switch o {
			case 2: // mirrored
				x, y = w-1-X, Y
			case 3: // turned 180°
				x, y = w-1-X, h-1-Y
			case 4: // flipped
				x, y = X, h-1-Y
			case 5: // transposed
				x, y = Y, X
			case 6: // turned 90° clockwise to show
				x, y = Y, h-1-X
			case 7: // transversed
				x, y = w-1-Y, h-1-X
			case 8: // turned 90° counter-clockwise to show
				x, y = w-1-Y, X
			default:
				x, y = X, Y
			}
			si, di := src.PixOffset(x, y), dst.PixOffset(X, Y)
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}

// jpegOrientation reads the EXIF orientation of a JPEG (1 when absent or
// unreadable), walking the segments before the scan.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return 1
		}
		m := b[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0x01 || (m >= 0xD0 && m <= 0xD8): // markers without a length
			i += 2
			continue
		case m == 0xDA || m == 0xD9: // start of scan, end of image
			return 1
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if n < 2 || i+2+n > len(b) {
			return 1
		}
		if seg := b[i+4 : i+2+n]; m == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 of a TIFF structure's first IFD; 0 when
// absent or invalid.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	off := uint64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > uint64(len(t)) {
		return 0
	}
	n := int(bo.Uint16(t[off:]))
	p := int(off) + 2
	for range n {
		if p+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[p:]) == 0x0112 {
			if bo.Uint16(t[p+2:]) != 3 { // SHORT
				return 0
			}
			if v := int(bo.Uint16(t[p+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 0
		}
		p += 12
	}
	return 0
}

// etag is a strong entity tag over b.
func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:15]) + `"`
}

// SafeFetch adapts an SSRF-safe fetcher to Deps.Fetch: f checks every
// address and redirect, and the body is read up to limit (beyond it: an
// error wrapping ErrTooLarge, as soon as the announced length or the bytes
// read exceed it). f's own MaxBytes and Timeout apply too.
func SafeFetch(f *safefetch.Fetcher) FetchFunc {
	return func(ctx context.Context, url string, limit int64) ([]byte, string, error) {
		body, meta, err := f.Open(ctx, url)
		if err != nil {
			return nil, "", err
		}
		defer body.Close()
		if meta.ContentLength > limit {
			return nil, "", fmt.Errorf("%w: %d bytes announced", ErrTooLarge, meta.ContentLength)
		}
		var buf bytes.Buffer
		if meta.ContentLength > 0 {
			buf.Grow(int(meta.ContentLength))
		}
		if _, err := buf.ReadFrom(io.LimitReader(body, limit+1)); err != nil {
			return nil, "", err
		}
		if int64(buf.Len()) > limit {
			return nil, "", fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
		}
		return buf.Bytes(), meta.ContentType, nil
	}
}

// Handler serves variants: GET ...?w=<width>. resolve names the tenant and
// the source URL of the request (typically from the Host and a media id in
// the path, checking the fingerprint the URL carries); its errors are
// returned as they are (errs codes). w is snapped to an allowed width;
// missing, it is the largest; not a whole number, below 1 or above the
// largest allowed width → 400. A source that cannot be served → 404 with
// Cache-Control: no-store (the page shows a placeholder meanwhile). A
// variant is sent with its ETag (If-None-Match → 304) and
// "Cache-Control: public, max-age=31536000, immutable": the URL carries a
// fingerprint of the source.
func (r *Resizer) Handler(resolve func(c *fiber.Ctx) (tenantID uuid.UUID, sourceURL string, err error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		w, err := r.parseWidth(c.Query("w"))
		if err != nil {
			return err
		}
		tenantID, src, err := resolve(c)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		img, err := r.Variant(c.UserContext(), tenantID, src, w)
		if err != nil {
			return r.httpError(c, err)
		}
		c.Set(fiber.HeaderETag, img.ETag)
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		if etagMatch(c.Get(fiber.HeaderIfNoneMatch), img.ETag) {
			return c.SendStatus(http.StatusNotModified)
		}
		c.Set(fiber.HeaderContentType, img.ContentType)
		return c.Send(img.Bytes)
	}
}

// parseWidth reads the w parameter: digits only, 1 to the largest allowed
// width; "" is the largest.
func (r *Resizer) parseWidth(s string) (int, error) {
	largest := r.cfg.Widths[len(r.cfg.Widths)-1]
	if s == "" {
		return largest, nil
	}
	bad := func(f errs.FieldError) error {
		return &errs.Error{Code: errs.CodeMalformed, Msg: errs.M("error.malformed"), Fields: []errs.FieldError{f}}
	}
	for _, ch := range []byte(s) {
		if ch < '0' || ch > '9' {
			return 0, bad(errs.Field("w", "integer", "field.integer"))
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > largest {
		return 0, bad(errs.Field("w", "range", "field.range", "min", 1, "max", largest))
	}
	return n, nil
}

// httpError maps a Variant error for Handler: a bad source is "no such
// picture" and not stored by browsers or CDNs (it may be fixed in a
// minute); a request deadline is unavailable; anything else internal.
func (r *Resizer) httpError(c *fiber.Ctx, err error) error {
	switch {
	case errors.Is(err, ErrNotImage), errors.Is(err, ErrTooLarge), errors.Is(err, ErrFetch):
		c.Set(fiber.HeaderCacheControl, "no-store")
		return errs.Wrap(errs.CodeNotFound, err, "catalog.media.not_found")
	case errors.Is(err, context.DeadlineExceeded):
		return errs.Wrap(errs.CodeUnavailable, err, "error.timeout")
	}
	return err
}

// etagMatch reports whether an If-None-Match header names tag (weak
// comparison, as RFC 9110 asks for If-None-Match).
func etagMatch(header, tag string) bool {
	if header == "" {
		return false
	}
	for part := range strings.SplitSeq(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || strings.TrimPrefix(part, "W/") == tag {
			return true
		}
	}
	return false
}

// redisFailed logs a Redis error; the cache is skipped, the work goes on.
func (r *Resizer) redisFailed(ctx context.Context, op string, err error) {
	if ctx.Err() != nil {
		return
	}
	r.log.WarnContext(ctx, "image cache unavailable", "op", op, "error", err.Error())
}
