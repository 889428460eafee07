package images

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"golang.org/x/image/draw"

	"concierge/internal/errs"
	"concierge/internal/httpx"
	"concierge/internal/i18n"
	"concierge/internal/safefetch"
	"concierge/internal/testenv"
)

// --- pictures made by the tests ---

// photo is a w×h opaque picture: a gradient with a fine pattern, red in the
// left half and blue in the right half, so a mirrored or turned result
// shows.
func photo(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 40, G: uint8(y * 80 / h), B: 40, A: 255}
			if x < w/2 {
				c.R = 220
			} else {
				c.B = 220
			}
			if (x/3+y/3)%2 == 0 {
				c.G += 20
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func pngOf(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegOf(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// transparentPNG is a w×h NRGBA picture whose top-left quarter is fully
// transparent.
func transparentPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			a := uint8(255)
			if x < w/2 && y < h/2 {
				a = 0
			}
			m.SetNRGBA(x, y, color.NRGBA{R: 10, G: 200, B: 10, A: a})
		}
	}
	return pngOf(t, m)
}

// gifOf is a paletted w×h GIF; with transparent, its left half uses a
// transparent palette entry.
func gifOf(t testing.TB, w, h int, transparent bool) []byte {
	t.Helper()
	pal := color.Palette{color.RGBA{200, 0, 0, 255}, color.RGBA{0, 0, 200, 255}, color.RGBA{}}
	m := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for y := range h {
		for x := range w {
			i := uint8(1)
			if x < w/2 {
				i = 0
				if transparent {
					i = 2
				}
			}
			m.SetColorIndex(x, y, i)
		}
	}
	var b bytes.Buffer
	if err := gif.Encode(&b, m, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mustB64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// 1×1 WebP pictures (lossy, lossless, lossy with alpha, animated).
var (
	webpLossy     = mustB64("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA")
	webpLossless  = mustB64("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	webpAlpha     = mustB64("UklGRkoAAABXRUJQVlA4WAoAAAAQAAAAAAAAAAAAQUxQSAwAAAARBxAR/Q9ERP8DAABWUDggGAAAABQBAJ0BKgEAAQAAAP4AAA3AAP7mtQAAAA==")
	webpAnimation = mustB64("UklGRlIAAABXRUJQVlA4WAoAAAASAAAAAAAAAAAAQU5JTQYAAAD/////AABBTk1GJgAAAAAAAAAAAAAAAAAAAGQAAABWUDhMDQAAAC8AAAAQBxAREYiI/gcA")
)

// xImageTestdata reads a file of golang.org/x/image's testdata from the
// module cache; the test is skipped when the module's files are not there.
func xImageTestdata(t testing.TB, name string) []byte {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/image").Output()
	if err != nil {
		t.Skipf("golang.org/x/image's directory: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "testdata", name))
	if err != nil {
		t.Skipf("golang.org/x/image testdata: %v", err)
	}
	return b
}

// withOrientation inserts an EXIF APP1 segment with the orientation tag
// right after a JPEG's SOI marker.
func withOrientation(jpg []byte, o int, order binary.AppendByteOrder) []byte {
	tiff := make([]byte, 0, 26)
	if order == binary.LittleEndian {
		tiff = append(tiff, "II"...)
	} else {
		tiff = append(tiff, "MM"...)
	}
	tiff = order.AppendUint16(tiff, 42)
	tiff = order.AppendUint32(tiff, 8)
	tiff = order.AppendUint16(tiff, 2) // two entries: another tag first
	tiff = order.AppendUint16(tiff, 0x010F)
	tiff = order.AppendUint16(tiff, 2)
	tiff = order.AppendUint32(tiff, 4)
	tiff = append(tiff, "Go\x00\x00"...)
	tiff = order.AppendUint16(tiff, 0x0112)
	tiff = order.AppendUint16(tiff, 3)
	tiff = order.AppendUint32(tiff, 1)
	tiff = order.AppendUint16(tiff, uint16(o))
	tiff = append(tiff, 0, 0)
	tiff = order.AppendUint32(tiff, 0)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// pngBomb is a PNG whose header claims w×h pixels, with a valid CRC and no
// data.
func pngBomb(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA
	b := []byte("\x89PNG\r\n\x1a\n")
	b = binary.BigEndian.AppendUint32(b, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}

// jpegBomb is a JPEG whose frame header claims w×h pixels, followed by the
// start of a scan.
func jpegBomb(w, h uint16) []byte {
	return []byte{
		0xFF, 0xD8, // SOI
		0xFF, 0xC0, 0, 11, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0, // SOF0, one component
		0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 0x3F, 0, // SOS
		0xFF, 0xD9, // EOI
	}
}

// gifBomb is a GIF whose logical screen is w×h.
func gifBomb(w, h uint16) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	return append(b, 0, 0, 0, 0x3B)
}

// webpBomb is a WebP (VP8X) whose canvas is w×h.
func webpBomb(w, h uint32) []byte {
	b := []byte("RIFF")
	b = binary.LittleEndian.AppendUint32(b, 4+8+10)
	b = append(b, "WEBPVP8X"...)
	b = binary.LittleEndian.AppendUint32(b, 10)
	b = append(b, 0, 0, 0, 0)
	b = append(b, byte(w-1), byte((w-1)>>8), byte((w-1)>>16))
	return append(b, byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
}

// --- the fetcher the tests control ---

// origin serves bodies by URL and counts fetches. When gate is set, each
// fetch announces itself on started and waits for gate to close.
type origin struct {
	mu      sync.Mutex
	bodies  map[string][]byte
	types   map[string]string
	errs    map[string]error
	fetches atomic.Int64
	started chan string
	gate    chan struct{}
	// next, when set, answers instead of the map (the n-th fetch, from 1).
	next func(n int64, url string) []byte
}

func newOrigin() *origin {
	return &origin{bodies: map[string][]byte{}, types: map[string]string{}, errs: map[string]error{}}
}

func (o *origin) add(url string, body []byte, contentType string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.bodies[url], o.types[url] = body, contentType
	return url
}

func (o *origin) fail(url string, err error) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.errs[url] = err
	return url
}

func (o *origin) fetch(ctx context.Context, url string, limit int64) ([]byte, string, error) {
	n := o.fetches.Add(1)
	if o.gate != nil {
		o.started <- url
		select {
		case <-o.gate:
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
	}
	if o.next != nil {
		return o.next(n, url), "image/png", nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err, ok := o.errs[url]; ok {
		return nil, "", err
	}
	b, ok := o.bodies[url]
	if !ok {
		return nil, "", &safefetch.StatusError{Code: http.StatusNotFound}
	}
	return b, o.types[url], nil // the limit is the Resizer's to check too
}

// newTest builds a Resizer on the test's own Redis key space.
func newTest(t testing.TB, cfg Config, o *origin) (*Resizer, *redis.Client, string) {
	t.Helper()
	rdb, prefix := testenv.Redis(t)
	return New(cfg, Deps{Fetch: o.fetch, Redis: rdb, RedisPrefix: prefix}), rdb, prefix
}

// decoded checks img's bytes are of its content type and size.
func decoded(t testing.TB, img Image) image.Image {
	t.Helper()
	m, format, err := image.Decode(bytes.NewReader(img.Bytes))
	if err != nil {
		t.Fatalf("the variant does not decode: %v", err)
	}
	if "image/"+format != img.ContentType {
		t.Fatalf("the variant is %s, labelled %s", format, img.ContentType)
	}
	if b := m.Bounds(); b.Dx() != img.Width || b.Dy() != img.Height {
		t.Fatalf("the variant is %v, labelled %d×%d", b.Size(), img.Width, img.Height)
	}
	if !strings.HasPrefix(img.ETag, `"`) || !strings.HasSuffix(img.ETag, `"`) || len(img.ETag) < 10 {
		t.Fatalf("ETag %q", img.ETag)
	}
	return m
}

// reddish and bluish tell the halves of photo apart (JPEG moves colours a
// little).
func reddish(c color.Color) bool {
	r, _, b, _ := c.RGBA()
	return r>>8 > 150 && b>>8 < 120
}

func bluish(c color.Color) bool {
	r, _, b, _ := c.RGBA()
	return b>>8 > 150 && r>>8 < 120
}

// opaqueNRGBA is a w×h NRGBA picture (an alpha channel) with every pixel
// opaque.
func opaqueNRGBA(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 3; i < len(m.Pix); i += 4 {
		m.Pix[i-3], m.Pix[i] = 200, 255
	}
	return m
}

// --- tests ---

func TestSnapWidth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   int
		want int
	}{
		{"an allowed width", 480, 480},
		{"between two", 481, 640},
		{"just above the smallest", 161, 320},
		{"tiny", 1, 160},
		{"zero", 0, 160},
		{"negative", -5, 160},
		{"above the largest", 5000, 1280},
		{"the largest", 1280, 1280},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SnapWidth(tt.in); got != tt.want {
				t.Fatalf("SnapWidth(%d) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
	r := New(Config{Widths: []int{800, 0, 100, 100, 9000, -1}}, Deps{Fetch: newOrigin().fetch})
	if got := r.Widths(); fmt.Sprint(got) != "[100 800]" {
		t.Fatalf("configured widths = %v, want [100 800] (sorted, deduplicated, bounded)", got)
	}
	if r.SnapWidth(101) != 800 || r.SnapWidth(801) != 800 || r.SnapWidth(50) != 100 {
		t.Fatal("configured snapping")
	}
}

func TestSrcset(t *testing.T) {
	t.Parallel()
	if got, want := Srcset("/img/a/f1", []int{320, 640}), "/img/a/f1?w=320 320w, /img/a/f1?w=640 640w"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got, want := Srcset("/img/a?v=2", []int{160}), "/img/a?v=2&w=160 160w"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := Srcset("/i", nil); strings.Count(got, "w=") != 6 || !strings.HasSuffix(got, "/i?w=1280 1280w") {
		t.Fatalf("default widths: %q", got)
	}
}

func TestFit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		srcW, srcH, width int
		wantW, wantH      int
	}{
		{"reduced, aspect kept", 2000, 1000, 480, 480, 240},
		{"rounded", 1200, 1600, 640, 640, 853},
		{"never enlarged", 300, 200, 1280, 300, 200},
		{"same width", 640, 480, 640, 640, 480},
		{"very wide keeps one row", 10000, 3, 160, 160, 1},
		{"no width: original", 500, 400, 0, 500, 400},
		{"no size", 0, 0, 320, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, h := Fit(tt.srcW, tt.srcH, tt.width)
			if w != tt.wantW || h != tt.wantH {
				t.Fatalf("Fit(%d, %d, %d) = %d×%d, want %d×%d", tt.srcW, tt.srcH, tt.width, w, h, tt.wantW, tt.wantH)
			}
		})
	}
}

func TestVariant(t *testing.T) {
	t.Parallel()
	o := newOrigin()
	r, _, _ := newTest(t, Config{}, o)
	tenant := uuid.New()
	tests := []struct {
		name         string
		body         []byte
		width        int
		wantW, wantH int
		wantType     string
		// origW and origH: what Dimensions says.
		origW, origH int
	}{
		{"PNG 2000×1000 at 480", pngOf(t, photo(2000, 1000)), 480, 480, 240, "image/jpeg", 2000, 1000},
		{"JPEG 1200×1600 at 500 is snapped to 640", jpegOf(t, photo(1200, 1600)), 500, 640, 853, "image/jpeg", 1200, 1600},
		{"a small PNG is not enlarged", pngOf(t, photo(300, 200)), 1280, 300, 200, "image/jpeg", 300, 200},
		{"wide 1000×300 at 320 keeps its aspect", jpegOf(t, photo(1000, 300)), 320, 320, 96, "image/jpeg", 1000, 300},
		{"tall 300×3000 at 160", pngOf(t, photo(300, 3000)), 160, 160, 1600, "image/jpeg", 300, 3000},
		{"2000×2000 JPEG at 1280 (no box step)", jpegOf(t, photo(2000, 2000)), 1280, 1280, 1280, "image/jpeg", 2000, 2000},
		{"odd sizes 1999×1001 at 320 (box edges)", pngOf(t, photo(1999, 1001)), 320, 320, 160, "image/jpeg", 1999, 1001},
		{"transparent PNG stays PNG", transparentPNG(t, 800, 800), 320, 320, 320, "image/png", 800, 800},
		{"an opaque PNG with an alpha channel becomes JPEG", pngOf(t, opaqueNRGBA(10, 10)), 160, 10, 10, "image/jpeg", 10, 10},
		{"GIF first frame", gifOf(t, 400, 300, false), 160, 160, 120, "image/jpeg", 400, 300},
		{"GIF with transparency", gifOf(t, 400, 300, true), 160, 160, 120, "image/png", 400, 300},
		{"WebP lossy", webpLossy, 320, 1, 1, "image/jpeg", 1, 1},
		{"WebP lossless (its one pixel is clear)", webpLossless, 320, 1, 1, "image/png", 1, 1},
		{"WebP with alpha", webpAlpha, 320, 1, 1, "image/png", 1, 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := o.add(fmt.Sprintf("https://shop.example/p/%d", i), tt.body, "image/whatever")
			img, err := r.Variant(t.Context(), tenant, url, tt.width)
			if err != nil {
				t.Fatal(err)
			}
			m := decoded(t, img)
			if img.Width != tt.wantW || img.Height != tt.wantH || img.ContentType != tt.wantType {
				t.Fatalf("got %d×%d %s, want %d×%d %s", img.Width, img.Height, img.ContentType, tt.wantW, tt.wantH, tt.wantType)
			}
			if w, h, err := r.Dimensions(t.Context(), tenant, url); err != nil || w != tt.origW || h != tt.origH {
				t.Fatalf("Dimensions = %d×%d, %v; want %d×%d", w, h, err, tt.origW, tt.origH)
			}
			if strings.Contains(tt.name, "transparent") {
				if _, _, _, a := m.At(10, 10).RGBA(); a != 0 {
					t.Fatalf("the transparent corner has alpha %d", a)
				}
				if _, _, _, a := m.At(img.Width-10, img.Height-10).RGBA(); a != 0xffff {
					t.Fatalf("the opaque corner has alpha %d", a)
				}
			}
			if strings.HasPrefix(tt.name, "PNG 2000") || strings.HasPrefix(tt.name, "JPEG") || strings.HasPrefix(tt.name, "2000") || strings.HasPrefix(tt.name, "odd") {
				// the left half is red and the right half blue: not mirrored, not muddied
				if c := m.At(img.Width/4, img.Height/2); !reddish(c) {
					t.Fatalf("left quarter is %v, want red", c)
				}
				if c := m.At(3*img.Width/4, img.Height/2); !bluish(c) {
					t.Fatalf("right quarter is %v, want blue", c)
				}
			}
		})
	}
}

func TestOrientation(t *testing.T) {
	t.Parallel()
	o := newOrigin()
	r, _, _ := newTest(t, Config{}, o)
	tenant := uuid.New()
	// Stored 400×200: the top-left quarter red, the rest blue.
	m := image.NewRGBA(image.Rect(0, 0, 400, 200))
	for y := range 200 {
		for x := range 400 {
			c := color.RGBA{R: 30, G: 30, B: 220, A: 255}
			if x < 200 && y < 100 {
				c = color.RGBA{R: 220, G: 30, B: 30, A: 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	plain := jpegOf(t, m)
	tests := []struct {
		orientation int
		order       binary.AppendByteOrder
		wantW       int // shown at width 160
		wantH       int
		red         string // where the stored top-left corner is shown
	}{
		{1, binary.BigEndian, 160, 80, "top-left"},
		{2, binary.LittleEndian, 160, 80, "top-right"},
		{3, binary.BigEndian, 160, 80, "bottom-right"},
		{4, binary.LittleEndian, 160, 80, "bottom-left"},
		{5, binary.BigEndian, 160, 320, "top-left"},
		{6, binary.LittleEndian, 160, 320, "top-right"},
		{7, binary.BigEndian, 160, 320, "bottom-right"},
		{8, binary.LittleEndian, 160, 320, "bottom-left"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.orientation), func(t *testing.T) {
			url := o.add(fmt.Sprintf("https://shop.example/exif/%d", tt.orientation), withOrientation(plain, tt.orientation, tt.order), "image/jpeg")
			w, h, err := r.Dimensions(t.Context(), tenant, url)
			if err != nil {
				t.Fatal(err)
			}
			if tt.orientation >= 5 && (w != 200 || h != 400) || tt.orientation < 5 && (w != 400 || h != 200) {
				t.Fatalf("Dimensions = %d×%d", w, h)
			}
			img, err := r.Variant(t.Context(), tenant, url, 160)
			if err != nil {
				t.Fatal(err)
			}
			if img.Width != tt.wantW || img.Height != tt.wantH {
				t.Fatalf("variant %d×%d, want %d×%d", img.Width, img.Height, tt.wantW, tt.wantH)
			}
			shown := decoded(t, img)
			corners := map[string]image.Point{
				"top-left":     {img.Width / 4, img.Height / 4},
				"top-right":    {3 * img.Width / 4, img.Height / 4},
				"bottom-left":  {img.Width / 4, 3 * img.Height / 4},
				"bottom-right": {3 * img.Width / 4, 3 * img.Height / 4},
			}
			for name, p := range corners {
				if c := shown.At(p.X, p.Y); reddish(c) != (name == tt.red) {
					t.Errorf("%s is %v; the red corner should be %s", name, c, tt.red)
				}
			}
		})
	}
}

func TestJPEGOrientationReader(t *testing.T) {
	t.Parallel()
	base := jpegOf(t, photo(8, 8))
	if got := jpegOrientation(base); got != 1 {
		t.Fatalf("no EXIF: %d", got)
	}
	tests := []struct {
		name string
		body []byte
		want int
	}{
		{"big-endian 6", withOrientation(base, 6, binary.BigEndian), 6},
		{"little-endian 8", withOrientation(base, 8, binary.LittleEndian), 8},
		{"out of range", withOrientation(base, 9, binary.BigEndian), 1},
		{"truncated segment", withOrientation(base, 6, binary.BigEndian)[:20], 1},
		{"not a JPEG", []byte("GIF89a"), 1},
		{"empty", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jpegOrientation(tt.body); got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCacheHitDoesNotRefetch(t *testing.T) {
	t.Parallel()
	o := newOrigin()
	rdb, prefix := testenv.Redis(t)
	r := New(Config{}, Deps{Fetch: o.fetch, Redis: rdb, RedisPrefix: prefix})
	tenant := uuid.New()
	url := o.add("https://shop.example/a.jpg", jpegOf(t, photo(1000, 800)), "image/jpeg")

	first, err := r.Variant(t.Context(), tenant, url, 320)
	if err != nil {
		t.Fatal(err)
	}
	second, err := r.Variant(t.Context(), tenant, url, 300) // snapped to the same 320
	if err != nil {
		t.Fatal(err)
	}
	if n := o.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches for one variant asked twice", n)
	}
	if !bytes.Equal(first.Bytes, second.Bytes) || first.ETag != second.ETag {
		t.Fatal("the cached variant differs")
	}
	// Another process (its own, empty LRU) finds it in Redis, and the size
	// beside it.
	other := New(Config{}, Deps{Fetch: o.fetch, Redis: rdb, RedisPrefix: prefix})
	third, err := other.Variant(t.Context(), tenant, url, 320)
	if err != nil {
		t.Fatal(err)
	}
	if w, h, err := other.Dimensions(t.Context(), tenant, url); err != nil || w != 1000 || h != 800 {
		t.Fatalf("Dimensions = %d×%d, %v", w, h, err)
	}
	if n := o.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches: Redis was not used", n)
	}
	if !bytes.Equal(first.Bytes, third.Bytes) || third.ETag != first.ETag || third.Width != 320 || third.Height != 256 {
		t.Fatal("the variant read from Redis differs")
	}
	// A new width is new work.
	if _, err := other.Variant(t.Context(), tenant, url, 640); err != nil {
		t.Fatal(err)
	}
	if n := o.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches after a second width, want 2", n)
	}
}

func TestDimensionsReadsTheHeaderOnce(t *testing.T) {
	t.Parallel()
	o := newOrigin()
	r, _, _ := newTest(t, Config{}, o)
	tenant := uuid.New()
	url := o.add("https://shop.example/d.png", pngOf(t, photo(640, 480)), "image/png")
	for range 3 {
		if w, h, err := r.Dimensions(t.Context(), tenant, url); err != nil || w != 640 || h != 480 {
			t.Fatalf("Dimensions = %d×%d, %v", w, h, err)
		}
	}
	if n := o.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches", n)
	}
}

func TestConcurrentRequestsFetchOnce(t *testing.T) {
	t.Parallel()
	const n = 8
	o := newOrigin()
	o.started, o.gate = make(chan string, n), make(chan struct{})
	r, _, _ := newTest(t, Config{}, o)
	joined := make(chan string, n)
	r.beforeFlight = func(key string) { joined <- key }
	tenant := uuid.New()
	url := o.add("https://shop.example/many.jpg", jpegOf(t, photo(1200, 900)), "image/jpeg")

	type result struct {
		img Image
		err error
	}
	results := make(chan result, n)
	for range n {
		go func() {
			img, err := r.Variant(context.Background(), tenant, url, 480)
			results <- result{img, err}
		}()
	}
	<-o.started // the work has begun and waits for the gate
	for range n {
		<-joined // every caller has reached the work
	}
	close(o.gate)
	var first Image
	for i := range n {
		res := <-results
		if res.err != nil {
			t.Fatal(res.err)
		}
		if i == 0 {
			first = res.img
		} else if !bytes.Equal(first.Bytes, res.img.Bytes) {
			t.Fatal("callers got different bytes")
		}
	}
	if got := o.fetches.Load(); got != 1 {
		t.Fatalf("%d fetches for %d concurrent callers", got, n)
	}
}

func TestCallerGoingAwayDoesNotFailTheOthers(t *testing.T) {
	t.Parallel()
	o := newOrigin()
	o.started, o.gate = make(chan string, 2), make(chan struct{})
	r, _, _ := newTest(t, Config{}, o)
	joined := make(chan string, 2)
	r.beforeFlight = func(key string) { joined <- key }
	tenant := uuid.New()
	url := o.add("https://shop.example/slow.png", pngOf(t, photo(500, 500)), "image/png")

	ctx, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := r.Variant(ctx, tenant, url, 160)
		firstErr <- err
	}()
	<-o.started
	<-joined
	second := make(chan error, 1)
	go func() {
		img, err := r.Variant(context.Background(), tenant, url, 160)
		if err == nil && img.Width != 160 {
			err = fmt.Errorf("width %d", img.Width)
		}
		second <- err
	}()
	<-joined
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled caller got %v", err)
	}
	close(o.gate) // the work goes on for the second caller
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if n := o.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches", n)
	}
}

func TestHostileSources(t *testing.T) {
	t.Parallel()
	o := newOrigin()
	r, _, _ := newTest(t, Config{MaxSourceBytes: 1 << 20, MaxPixels: 40_000_000}, o)
	small, _, _ := newTest(t, Config{MaxPixels: 10_000}, o)
	tenant := uuid.New()
	whole := pngOf(t, photo(300, 300))
	wholeJPEG := jpegOf(t, photo(300, 300))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(i*7919 + i/13)
	}
	gray16 := image.NewGray16(image.Rect(0, 0, 80, 80))  // 6400 px × 2 bytes: within 10 000 × 4
	rgba64 := image.NewNRGBA64(image.Rect(0, 0, 80, 80)) // 6400 px × 8 bytes: over
	tests := []struct {
		name        string
		r           *Resizer
		body        []byte
		contentType string
		fetchErr    error
		want        error // of Variant; nil: served
		// dimsOK: Dimensions succeeds (the header reads), else it fails
		// with want too.
		dimsOK bool
	}{
		{"truncated PNG", r, whole[:len(whole)/2], "image/png", nil, ErrNotImage, true},
		{"truncated JPEG", r, wholeJPEG[:len(wholeJPEG)/3], "image/jpeg", nil, ErrNotImage, true},
		{"PNG header claiming 100000×100000", r, pngBomb(100000, 100000), "image/png", nil, ErrTooLarge, false},
		{"PNG header claiming 2^31×2^31", r, pngBomb(1<<31-1, 1<<31-1), "image/png", nil, ErrNotImage, false},
		{"JPEG header claiming 65000×65000", r, jpegBomb(65000, 65000), "image/jpeg", nil, ErrTooLarge, false},
		{"GIF screen of 65535×65535", r, gifBomb(65535, 65535), "image/gif", nil, ErrTooLarge, false},
		{"WebP canvas of 16384×16384", r, webpBomb(16384, 16384), "image/webp", nil, ErrTooLarge, false},
		{"random bytes", r, random, "image/jpeg", nil, ErrNotImage, false},
		{"an SVG", r, []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>`), "image/svg+xml", nil, ErrNotImage, false},
		{"HTML labelled image/jpeg", r, []byte("<!doctype html><html><body>not found</body></html>"), "image/jpeg", nil, ErrNotImage, false},
		{"JPEG magic then garbage", r, append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, random...), "image/jpeg", nil, ErrNotImage, false},
		{"PNG signature only", r, []byte("\x89PNG\r\n\x1a\n"), "image/png", nil, ErrNotImage, false},
		{"empty body", r, []byte{}, "image/png", nil, ErrNotImage, false},
		{"animated WebP (its canvas header reads)", r, webpAnimation, "image/webp", nil, ErrNotImage, true},
		{"a BMP", r, append([]byte("BM"), random[:100]...), "image/bmp", nil, ErrNotImage, false},
		{"over MaxSourceBytes", r, append(pngOf(t, photo(10, 10)), make([]byte, 1<<20)...), "image/png", nil, ErrTooLarge, false},
		{"16-bit gray within the byte budget", small, pngOf(t, gray16), "image/png", nil, nil, true},
		{"16-bit RGBA over the byte budget", small, pngOf(t, rgba64), "image/png", nil, ErrTooLarge, false},
		{"fetch refused", r, nil, "", &safefetch.Error{}, ErrFetch, false},
		{"fetch over the fetcher's limit", r, nil, "", fmt.Errorf("read: %w", safefetch.ErrTooLarge), ErrTooLarge, false},
		{"fetch 404", r, nil, "", &safefetch.StatusError{Code: 404}, ErrFetch, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := fmt.Sprintf("https://shop.example/hostile/%d", i)
			dimsURL := url + "?dimensions" // its own cache entries
			for _, u := range []string{url, dimsURL} {
				if tt.fetchErr != nil {
					o.fail(u, tt.fetchErr)
				} else {
					o.add(u, tt.body, tt.contentType)
				}
			}
			_, _, dimsErr := tt.r.Dimensions(t.Context(), tenant, dimsURL)
			switch {
			case tt.dimsOK && dimsErr != nil:
				t.Fatalf("Dimensions: %v", dimsErr)
			case !tt.dimsOK && !errors.Is(dimsErr, tt.want):
				t.Fatalf("Dimensions: %v, want %v", dimsErr, tt.want)
			}
			img, err := tt.r.Variant(t.Context(), tenant, url, 320)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				decoded(t, img)
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Variant: %v, want %v", err, tt.want)
			}
			for _, other := range []error{ErrNotImage, ErrTooLarge, ErrFetch} {
				if other != tt.want && errors.Is(err, other) {
					t.Fatalf("Variant: %v is also %v", err, other)
				}
			}
			if errors.Is(err, errDecoderPanic) {
				t.Fatalf("a decoder panicked: %v", err)
			}
		})
	}
}

func TestHostileSourcesDimensions(t *testing.T) {
	t.Parallel()
	o := newOrigin()
	r, _, _ := newTest(t, Config{}, o)
	tenant := uuid.New()
	whole := pngOf(t, photo(300, 300))
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"a truncated PNG has its header's size", whole[:len(whole)/2], nil},
		{"bomb", pngBomb(100000, 100000), ErrTooLarge},
		{"HTML", []byte("<html></html>"), ErrNotImage},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := o.add(fmt.Sprintf("https://shop.example/dims/%d", i), tt.body, "image/png")
			w, h, err := r.Dimensions(t.Context(), tenant, url)
			if tt.want == nil {
				if err != nil || w != 300 || h != 300 {
					t.Fatalf("%d×%d, %v", w, h, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("%v, want %v", err, tt.want)
			}
		})
	}
}

func TestFailuresAreRemembered(t *testing.T) {
	t.Parallel()
	o := newOrigin()
	r, _, _ := newTest(t, Config{}, o)
	tenant := uuid.New()
	url := o.add("https://shop.example/page.html", []byte("<html>"), "image/png")
	for range 3 {
		if _, err := r.Variant(t.Context(), tenant, url, 320); !errors.Is(err, ErrNotImage) {
			t.Fatalf("Variant: %v", err)
		}
	}
	if _, err := r.Variant(t.Context(), tenant, url, 640); !errors.Is(err, ErrNotImage) {
		t.Fatalf("Variant at another width: %v", err)
	}
	if _, _, err := r.Dimensions(t.Context(), tenant, url); !errors.Is(err, ErrNotImage) {
		t.Fatalf("Dimensions: %v", err)
	}
	if n := o.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches of a source that failed", n)
	}
	// Another tenant's same URL is its own question.
	if _, err := r.Variant(t.Context(), uuid.New(), url, 320); !errors.Is(err, ErrNotImage) {
		t.Fatal(err)
	}
	if n := o.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches: the failure leaked to another tenant", n)
	}

	// Not remembered: every call tries again.
	o2 := newOrigin()
	again, _, _ := newTest(t, Config{FailureTTL: -1}, o2)
	o2.fail(url, &safefetch.StatusError{Code: 500})
	for range 2 {
		if _, err := again.Variant(t.Context(), tenant, url, 320); !errors.Is(err, ErrFetch) {
			t.Fatal(err)
		}
	}
	if n := o2.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches with FailureTTL < 0", n)
	}
}

func TestTenantsNeverShareCacheEntries(t *testing.T) {
	t.Parallel()
	o := newOrigin()
	redPic, bluePic := image.NewRGBA(image.Rect(0, 0, 100, 50)), image.NewRGBA(image.Rect(0, 0, 60, 60))
	draw.Draw(redPic, redPic.Bounds(), image.NewUniform(color.RGBA{220, 0, 0, 255}), image.Point{}, draw.Src)
	draw.Draw(bluePic, bluePic.Bounds(), image.NewUniform(color.RGBA{0, 0, 220, 255}), image.Point{}, draw.Src)
	redPNG, bluePNG := pngOf(t, redPic), pngOf(t, bluePic)
	// The same URL answers differently to each fetch (a merchant's server
	// behind a CDN, or two merchants with the same relative path).
	o.next = func(n int64, _ string) []byte {
		if n == 1 {
			return redPNG
		}
		return bluePNG
	}
	rdb, prefix := testenv.Redis(t)
	r := New(Config{}, Deps{Fetch: o.fetch, Redis: rdb, RedisPrefix: prefix})
	a, b := uuid.New(), uuid.New()
	const url = "https://cdn.example/products/1.png"

	imgA, err := r.Variant(t.Context(), a, url, 160)
	if err != nil {
		t.Fatal(err)
	}
	imgB, err := r.Variant(t.Context(), b, url, 160)
	if err != nil {
		t.Fatal(err)
	}
	if n := o.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches: tenant B was served tenant A's cached picture", n)
	}
	if !reddish(decoded(t, imgA).At(5, 5)) || !bluish(decoded(t, imgB).At(5, 5)) {
		t.Fatal("each tenant must get what was fetched for it")
	}

	// Two keys per tenant (the variant and the source), each under its
	// tenant's hash tag.
	keys, err := rdb.Keys(t.Context(), prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var ofA, ofB int
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, prefix+"{"+a.String()+"}:img:"):
			ofA++
		case strings.HasPrefix(k, prefix+"{"+b.String()+"}:img:"):
			ofB++
		default:
			t.Errorf("key %q carries no tenant hash tag", k)
		}
	}
	if ofA != 2 || ofB != 2 {
		t.Fatalf("keys %v: want 2 per tenant", keys)
	}

	// A fresh process reads each tenant's own bytes from Redis.
	fresh := New(Config{LocalCacheBytes: -1}, Deps{Fetch: o.fetch, Redis: rdb, RedisPrefix: prefix})
	gotA, err := fresh.Variant(t.Context(), a, url, 160)
	if err != nil {
		t.Fatal(err)
	}
	gotB, err := fresh.Variant(t.Context(), b, url, 160)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotA.Bytes, imgA.Bytes) || !bytes.Equal(gotB.Bytes, imgB.Bytes) || bytes.Equal(gotA.Bytes, gotB.Bytes) {
		t.Fatal("a tenant was served another tenant's bytes from Redis")
	}
	wa, ha, _ := fresh.Dimensions(t.Context(), a, url)
	wb, hb, _ := fresh.Dimensions(t.Context(), b, url)
	if wa != 100 || ha != 50 || wb != 60 || hb != 60 {
		t.Fatalf("dimensions %d×%d and %d×%d", wa, ha, wb, hb)
	}
	if n := o.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches", n)
	}
	if _, err := fresh.Variant(t.Context(), uuid.Nil, url, 160); err == nil {
		t.Fatal("no tenant must fail")
	}
}

func TestRedisDownStillServes(t *testing.T) {
	t.Parallel()
	o := newOrigin()
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { dead.Close() })
	r := New(Config{}, Deps{Fetch: o.fetch, Redis: dead, RedisPrefix: "x:"})
	tenant := uuid.New()
	url := o.add("https://shop.example/r.png", pngOf(t, photo(400, 400)), "image/png")
	for range 2 {
		img, err := r.Variant(t.Context(), tenant, url, 160)
		if err != nil {
			t.Fatal(err)
		}
		decoded(t, img)
	}
	if n := o.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches: the LRU should hold the variant", n)
	}
	if w, h, err := r.Dimensions(t.Context(), tenant, url); err != nil || w != 400 || h != 400 {
		t.Fatalf("%d×%d, %v", w, h, err)
	}
}

func TestCorruptCacheValuesAreMisses(t *testing.T) {
	t.Parallel()
	o := newOrigin()
	rdb, prefix := testenv.Redis(t)
	r := New(Config{LocalCacheBytes: -1}, Deps{Fetch: o.fetch, Redis: rdb, RedisPrefix: prefix})
	tenant := uuid.New()
	url := o.add("https://shop.example/c.png", pngOf(t, photo(400, 400)), "image/png")
	k := newKeys(prefix, tenant, url)
	rdb.Set(t.Context(), k.variant(160, DefaultQuality), "cim1 garbage", time.Minute)
	rdb.Set(t.Context(), k.source, "ok -1 x", time.Minute)
	img, err := r.Variant(t.Context(), tenant, url, 160)
	if err != nil {
		t.Fatal(err)
	}
	decoded(t, img)
	if w, _, err := r.Dimensions(t.Context(), tenant, url); err != nil || w != 400 {
		t.Fatalf("%d, %v", w, err)
	}
	if n := o.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches", n)
	}
}

func TestCacheCodecs(t *testing.T) {
	t.Parallel()
	img := Image{Bytes: []byte{1, 2, 3}, ContentType: "image/png", Width: 320, Height: 200, ETag: `"abc"`}
	got, ok := decodeVariant(encodeVariant(img))
	if !ok || !bytes.Equal(got.Bytes, img.Bytes) || got.ContentType != img.ContentType || got.Width != 320 || got.Height != 200 || got.ETag != img.ETag {
		t.Fatalf("round trip: %+v %v", got, ok)
	}
	for _, bad := range []string{"", "cim", "cim1", "cim1\x80", "xxxx\x01\x01\x01a\x01b", "cim1\x01\x01\x09text/html\x01bX"} {
		if _, ok := decodeVariant([]byte(bad)); ok {
			t.Errorf("%q decoded", bad)
		}
	}
	if w, h, ferr, ok := decodeSource(encodeSource(7, 9)); !ok || ferr != nil || w != 7 || h != 9 {
		t.Fatal("source round trip")
	}
	for kind, want := range map[string]error{"not_image": ErrNotImage, "too_large": ErrTooLarge, "fetch": ErrFetch} {
		if _, _, ferr, ok := decodeSource(encodeFailure(kind)); !ok || !errors.Is(ferr, want) {
			t.Fatalf("%s: %v", kind, ferr)
		}
	}
	for _, bad := range []string{"", "ok", "ok 1", "ok 0 5", "fail", "fail other", "ok 1 2 3"} {
		if _, _, _, ok := decodeSource([]byte(bad)); ok {
			t.Errorf("%q decoded", bad)
		}
	}
}

func TestLRUIsBounded(t *testing.T) {
	t.Parallel()
	c := newLRU(8 * 1000)
	entry := Image{Bytes: make([]byte, 800)} // about 940 bytes with the key and overhead
	for i := range 20 {
		c.put(fmt.Sprint(i), entry, time.Hour)
	}
	if c.size > c.max || len(c.items) != 8 {
		t.Fatalf("size %d of %d, %d items", c.size, c.max, len(c.items))
	}
	if _, ok := c.get("0"); ok {
		t.Fatal("the oldest entry should be gone")
	}
	if _, ok := c.get("19"); !ok {
		t.Fatal("the newest entry should be there")
	}
	c.put("big", Image{Bytes: make([]byte, 2000)}, time.Hour) // over max/8
	if _, ok := c.get("big"); ok {
		t.Fatal("an entry over an eighth of the cache is not kept")
	}
	c.put("old", entry, -time.Second)
	if _, ok := c.get("old"); ok {
		t.Fatal("an expired entry was served")
	}
	var none *lru = newLRU(-1)
	none.put("a", entry, time.Hour)
	if _, ok := none.get("a"); ok {
		t.Fatal("a disabled LRU kept an entry")
	}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	o := newOrigin()
	r, _, _ := newTest(t, Config{}, o)
	tenant := uuid.New()
	good := o.add("https://shop.example/good.jpg", jpegOf(t, photo(1600, 1200)), "image/jpeg")
	html := o.add("https://shop.example/html", []byte("<html>"), "image/jpeg")
	down := o.fail("https://shop.example/down", &safefetch.StatusError{Code: 503})
	app := fiber.New(fiber.Config{ErrorHandler: httpx.ErrorHandler(slog.New(slog.DiscardHandler), i18n.MustLoad())})
	app.Get("/img/:id", r.Handler(func(c *fiber.Ctx) (uuid.UUID, string, error) {
		switch c.Params("id") {
		case "good":
			return tenant, good, nil
		case "html":
			return tenant, html, nil
		case "down":
			return tenant, down, nil
		}
		return uuid.Nil, "", errs.New(errs.CodeNotFound, "catalog.media.not_found")
	}))
	first, err := r.Variant(t.Context(), tenant, good, 320)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		target     string
		header     map[string]string
		wantStatus int
		wantWidth  int    // of the picture served
		wantField  string // of a 400 problem
		wantCache  string
	}{
		{"a width", "/img/good?w=320", nil, 200, 320, "", "public, max-age=31536000, immutable"},
		{"snapped", "/img/good?w=500", nil, 200, 640, "", "public, max-age=31536000, immutable"},
		{"no width: the largest", "/img/good", nil, 200, 1280, "", "public, max-age=31536000, immutable"},
		{"the largest", "/img/good?w=1280", nil, 200, 1280, "", "public, max-age=31536000, immutable"},
		{"not a number", "/img/good?w=abc", nil, 400, 0, "w", ""},
		{"negative", "/img/good?w=-1", nil, 400, 0, "w", ""},
		{"zero", "/img/good?w=0", nil, 400, 0, "w", ""},
		{"plus sign", "/img/good?w=%2B320", nil, 400, 0, "w", ""},
		{"space", "/img/good?w=%20320", nil, 400, 0, "w", ""},
		{"exponent", "/img/good?w=1e3", nil, 400, 0, "w", ""},
		{"overflowing", "/img/good?w=99999999999999999999999999", nil, 400, 0, "w", ""},
		{"huge", "/img/good?w=1281", nil, 400, 0, "w", ""},
		{"If-None-Match", "/img/good?w=320", map[string]string{"If-None-Match": first.ETag}, 304, 0, "", "public, max-age=31536000, immutable"},
		{"If-None-Match weak, in a list", "/img/good?w=320", map[string]string{"If-None-Match": `"other", W/` + first.ETag}, 304, 0, "", "public, max-age=31536000, immutable"},
		{"If-None-Match of another", "/img/good?w=320", map[string]string{"If-None-Match": `"other"`}, 200, 320, "", "public, max-age=31536000, immutable"},
		{"unknown picture", "/img/nope?w=320", nil, 404, 0, "", ""},
		{"not a picture", "/img/html?w=320", nil, 404, 0, "", "no-store"},
		{"source down", "/img/down?w=320", nil, 404, 0, "", "no-store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.target, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := app.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if got := resp.Header.Get("Cache-Control"); got != tt.wantCache {
				t.Fatalf("Cache-Control %q, want %q", got, tt.wantCache)
			}
			switch {
			case tt.wantStatus == 200:
				if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("ETag") == "" {
					t.Fatalf("headers %v", resp.Header)
				}
				img := Image{Bytes: body, ContentType: resp.Header.Get("Content-Type"), ETag: resp.Header.Get("ETag")}
				cfg, _, err := image.DecodeConfig(bytes.NewReader(body))
				if err != nil || cfg.Width != tt.wantWidth || img.ContentType != "image/jpeg" {
					t.Fatalf("served %d wide (%v), %s; want %d", cfg.Width, err, img.ContentType, tt.wantWidth)
				}
			case tt.wantStatus == 304:
				if len(body) != 0 || resp.Header.Get("ETag") != first.ETag {
					t.Fatalf("304 with %d bytes, ETag %q", len(body), resp.Header.Get("ETag"))
				}
			default:
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
					t.Fatalf("Content-Type %q", ct)
				}
				var p httpx.Problem
				if err := json.Unmarshal(body, &p); err != nil {
					t.Fatal(err)
				}
				if tt.wantField != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tt.wantField) {
					t.Fatalf("problem %s", body)
				}
				if strings.Contains(string(body), "shop.example") || strings.Contains(string(body), "safefetch") {
					t.Fatalf("the problem shows internals: %s", body)
				}
			}
		})
	}
}

func TestSafeFetch(t *testing.T) {
	t.Parallel()
	pic := pngOf(t, photo(500, 250))
	mux := http.NewServeMux()
	mux.HandleFunc("/pic.png", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(pic)
	})
	mux.HandleFunc("/big.png", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(append(append([]byte{}, pic...), make([]byte, 64<<10)...))
	})
	mux.HandleFunc("/chunked.png", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		for range 100 { // no Content-Length: the limit applies while reading
			_, _ = w.Write(make([]byte, 1<<10))
			w.(http.Flusher).Flush()
		}
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)

	rdb, prefix := testenv.Redis(t)
	allowed := safefetch.New(safefetch.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Timeout: 10 * time.Second})
	r := New(Config{MaxSourceBytes: 32 << 10}, Deps{Fetch: SafeFetch(allowed), Redis: rdb, RedisPrefix: prefix})
	tenant := uuid.New()
	img, err := r.Variant(t.Context(), tenant, srv.URL+"/pic.png", 160)
	if err != nil {
		t.Fatal(err)
	}
	if decoded(t, img); img.Width != 160 || img.Height != 80 {
		t.Fatalf("%d×%d", img.Width, img.Height)
	}
	for _, path := range []string{"/big.png", "/chunked.png"} {
		if _, err := r.Variant(t.Context(), tenant, srv.URL+path, 160); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("%s: %v", path, err)
		}
	}
	if _, err := r.Variant(t.Context(), tenant, srv.URL+"/missing.png", 160); !errors.Is(err, ErrFetch) {
		t.Fatalf("404: %v", err)
	}
	// The platform's own network is refused by a default fetcher.
	strict := New(Config{}, Deps{Fetch: SafeFetch(safefetch.New(safefetch.Config{})), Redis: rdb, RedisPrefix: prefix})
	tenant = uuid.New() // nothing cached
	_, err = strict.Variant(t.Context(), tenant, srv.URL+"/pic.png", 160)
	if !errors.Is(err, ErrFetch) || !errors.Is(err, safefetch.ErrBlocked) {
		t.Fatalf("loopback: %v", err)
	}
	if _, err := strict.Variant(t.Context(), tenant, "file:///etc/passwd", 160); !errors.Is(err, ErrFetch) {
		t.Fatalf("file URL: %v", err)
	}
}

func TestWebPFromXImageTestdata(t *testing.T) {
	t.Parallel()
	o := newOrigin()
	r, _, _ := newTest(t, Config{}, o)
	tenant := uuid.New()
	for _, tt := range []struct {
		file     string
		wantType string
	}{
		{"yellow_rose.lossy.webp", "image/jpeg"},
		{"yellow_rose.lossy-with-alpha.webp", "image/png"},
		{"blue-purple-pink-large.lossless.webp", "image/jpeg"},
	} {
		url := o.add("https://shop.example/"+tt.file, xImageTestdata(t, tt.file), "image/webp")
		w, h, err := r.Dimensions(t.Context(), tenant, url)
		if err != nil {
			t.Fatal(err)
		}
		img, err := r.Variant(t.Context(), tenant, url, 160)
		if err != nil {
			t.Fatal(err)
		}
		decoded(t, img)
		if wantW, wantH := Fit(w, h, 160); img.Width != wantW || img.Height != wantH || img.ContentType != tt.wantType {
			t.Fatalf("%s: %d×%d %s from %d×%d", tt.file, img.Width, img.Height, img.ContentType, w, h)
		}
	}
}

// TestResizeDoesNotAlias reduces a one-pixel checkerboard, the worst case
// of fine fabric: an area-averaging reduction gives an even grey, where
// ApproxBiLinear (four source pixels per output pixel) gives moiré.
func TestResizeDoesNotAlias(t *testing.T) {
	t.Parallel()
	src := image.NewRGBA(image.Rect(0, 0, 2000, 2000))
	for y := range 2000 {
		for x := range 2000 {
			if (x+y)%2 == 0 {
				src.SetRGBA(x, y, color.RGBA{255, 255, 255, 255})
			} else {
				src.SetRGBA(x, y, color.RGBA{0, 0, 0, 255})
			}
		}
	}
	spread := func(m image.Image) (lo, hi uint32) {
		lo = 255
		b := m.Bounds()
		for y := b.Min.Y + 2; y < b.Max.Y-2; y++ { // edges aside
			for x := b.Min.X + 2; x < b.Max.X-2; x++ {
				g, _, _, _ := m.At(x, y).RGBA()
				lo, hi = min(lo, g>>8), max(hi, g>>8)
			}
		}
		return lo, hi
	}
	for _, w := range []int{320, 480, 640, 1280} {
		lo, hi := spread(resize(src, w, w))
		if lo < 100 || hi > 155 {
			t.Errorf("2000 → %d: grey from %d to %d, want about 127", w, lo, hi)
		}
	}
	naive := image.NewRGBA(image.Rect(0, 0, 320, 320))
	draw.ApproxBiLinear.Scale(naive, naive.Bounds(), src, src.Bounds(), draw.Src, nil)
	lo, hi := spread(naive)
	t.Logf("for comparison, ApproxBiLinear 2000 → 320: grey from %d to %d", lo, hi)
}

// BenchmarkResize compares the scalers on a decoded 2000×2000 JPEG (and a
// 4000×3000 phone photo): what one variant costs in CPU and scratch memory.
func BenchmarkResize(b *testing.B) {
	sources := map[string]image.Image{}
	for name, size := range map[string]image.Point{"2000x2000": {2000, 2000}, "4000x3000": {4000, 3000}} {
		m, err := jpeg.Decode(bytes.NewReader(jpegOf(b, photo(size.X, size.Y))))
		if err != nil {
			b.Fatal(err)
		}
		sources[name] = m
	}
	scalers := []struct {
		name  string
		scale func(src image.Image, dw, dh int) image.Image
	}{
		{"ApproxBiLinear", func(src image.Image, dw, dh int) image.Image {
			dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
			draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
			return dst
		}},
		{"CatmullRom", func(src image.Image, dw, dh int) image.Image {
			dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
			draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
			return dst
		}},
		{"BandedCatmullRom", func(src image.Image, dw, dh int) image.Image { return scaleBanded(draw.CatmullRom, src, dw, dh) }},
		{"BoxThenCatmullRom", resize}, // what Variant uses
	}
	for _, srcName := range []string{"2000x2000", "4000x3000"} {
		src := sources[srcName]
		for _, s := range scalers {
			for _, w := range []int{320, 640, 1280} {
				dw, dh := Fit(src.Bounds().Dx(), src.Bounds().Dy(), w)
				b.Run(fmt.Sprintf("%s/%s/%d", srcName, s.name, w), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						s.scale(src, dw, dh)
					}
				})
			}
		}
	}
}

// BenchmarkRender is a whole variant from a 2000×2000 JPEG's bytes: decode,
// resize, encode.
func BenchmarkRender(b *testing.B) {
	body := jpegOf(b, photo(2000, 2000))
	for _, w := range []int{320, 640, 1280} {
		b.Run(fmt.Sprint(w), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := render(body, w, DefaultMaxPixels, DefaultQuality); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
