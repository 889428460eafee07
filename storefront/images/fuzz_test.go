package images

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"testing"
)

// fuzzMaxPixels keeps each fuzz input's decode small and fast.
const fuzzMaxPixels = 1 << 20

// FuzzDecode runs hostile bytes through the decode path (sniff, header,
// EXIF orientation, decode, resize, encode). Whatever the input: no panic
// (not even one recovered from a decoder), an error is ErrNotImage or
// ErrTooLarge, and a success is a JPEG or PNG of the size Fit promises.
//
//	go test ./storefront/images -run '^$' -fuzz FuzzDecode -fuzztime 60s
func FuzzDecode(f *testing.F) {
	small := photo(40, 30)
	alpha := image.NewNRGBA(image.Rect(0, 0, 9, 7))
	alpha.SetNRGBA(1, 1, color.NRGBA{R: 255, A: 128})
	jpg := jpegOf(f, small)
	seeds := [][]byte{
		pngOf(f, small), jpg, pngOf(f, alpha),
		gifOf(f, 20, 10, false), gifOf(f, 20, 10, true),
		webpLossy, webpLossless, webpAlpha, webpAnimation,
		withOrientation(jpg, 6, binary.BigEndian), withOrientation(jpg, 3, binary.LittleEndian),
		pngBomb(100000, 100000), jpegBomb(65000, 65000), gifBomb(65535, 65535), webpBomb(16384, 16384),
		jpg[:len(jpg)/2], []byte("<svg/>"), nil,
	}
	for i, s := range seeds {
		f.Add(s, uint16(80+i*40))
	}
	f.Fuzz(func(t *testing.T, body []byte, width uint16) {
		w := snap(DefaultWidths(), int(width))
		img, hdr, err := render(body, w, fuzzMaxPixels, DefaultQuality)
		if err != nil {
			if errors.Is(err, errDecoderPanic) {
				t.Fatalf("a decoder panicked (recovered): %v", err)
			}
			if !errors.Is(err, ErrNotImage) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		dw, dh := hdr.display()
		if int64(dw)*int64(dh) > fuzzMaxPixels {
			t.Fatalf("%d×%d decoded past MaxPixels", dw, dh)
		}
		if wantW, wantH := Fit(dw, dh, w); img.Width != wantW || img.Height != wantH {
			t.Fatalf("variant %d×%d of %d×%d at %d, want %d×%d", img.Width, img.Height, dw, dh, w, wantW, wantH)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(img.Bytes))
		if err != nil || "image/"+format != img.ContentType || cfg.Width != img.Width || cfg.Height != img.Height {
			t.Fatalf("the output does not read back: %v %s %v", err, format, cfg)
		}
		if pw, ph, perr := dimensionsOf(body); perr != nil || pw != dw || ph != dh {
			t.Fatalf("probe disagrees with render: %d×%d %v", pw, ph, perr)
		}
	})
}

// dimensionsOf is what Dimensions computes from fetched bytes.
func dimensionsOf(body []byte) (int, int, error) {
	hdr, err := probe(body, fuzzMaxPixels)
	if err != nil {
		return 0, 0, err
	}
	w, h := hdr.display()
	return w, h, nil
}

// FuzzCacheValues feeds Redis values that were not written by this package
// (another version, a corrupted value) to the readers: they decode or are
// refused, never panic, and what decodes is sane.
func FuzzCacheValues(f *testing.F) {
	f.Add(encodeVariant(Image{Bytes: []byte{1}, ContentType: "image/jpeg", Width: 1, Height: 1, ETag: `"x"`}))
	f.Add(encodeSource(640, 480))
	f.Add(encodeFailure("too_large"))
	f.Add([]byte("cim1\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if img, ok := decodeVariant(b); ok {
			if img.Width <= 0 || img.Height <= 0 || len(img.Bytes) == 0 || img.ETag == "" {
				t.Fatalf("decoded %+v", img)
			}
			if again, ok := decodeVariant(encodeVariant(img)); !ok || !bytes.Equal(again.Bytes, img.Bytes) {
				t.Fatal("re-encoding does not round trip")
			}
		}
		if w, h, ferr, ok := decodeSource(b); ok && ferr == nil && (w <= 0 || h <= 0) {
			t.Fatalf("decoded size %d×%d", w, h)
		}
		_ = jpegOrientation(b)
	})
}
