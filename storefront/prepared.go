package storefront

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"sync"

	"github.com/klauspost/compress/flate"

	"concierge/storefront/ui"
)

// prepared is a rendered page kept for serving: its text cut at the CSRF
// markers, each part deflated once, so that a response — the visitor's
// token in place of each marker — is spliced from compressed parts instead
// of compressed again (gzip of a 30 KB page is most of its cost).
//
// Deflate allows it: every part but the last ends with a sync flush (an
// empty stored block) on a byte boundary, a token goes in as a stored
// block of its own, and the last part ends the stream. A part's
// compressor starts afresh, so no back-reference crosses a part. The gzip
// trailer's CRC-32 is computed over the spliced text (hardware CRC, a few
// microseconds for a page).
type prepared struct {
	parts [][]byte // the text between markers (len = markers + 1)
	defl  [][]byte // each part deflated (all but the last sync-flushed)
	etag  string   // of the parts; a response's adds its token's
	size  int
}

var marker = []byte(ui.CSRFMarker)

// deflaters are reused: a new deflate writer allocates about 1 MB of
// tables, more than compressing a page costs (klauspost's deflate: the
// standard format, several times faster than compress/flate's).
var deflaters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

func prepare(body []byte) *prepared {
	p := &prepared{parts: bytes.Split(body, marker)}
	sum := sha256.New()
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	for i, part := range p.parts {
		var b bytes.Buffer
		w.Reset(&b)
		_, _ = w.Write(part)
		if i < len(p.parts)-1 {
			_ = w.Flush()
		} else {
			_ = w.Close()
		}
		p.defl = append(p.defl, b.Bytes())
		sum.Write(part)
		sum.Write([]byte{0})
		p.size += len(part)
	}
	p.etag = hex.EncodeToString(sum.Sum(nil)[:12])
	return p
}

// hasForm reports whether the page carries the CSRF token.
func (p *prepared) hasForm() bool { return len(p.parts) > 1 }

// text is the page with token in place of the markers.
func (p *prepared) text(token string) []byte {
	out := make([]byte, 0, p.size+len(token)*(len(p.parts)-1))
	for i, part := range p.parts {
		if i > 0 {
			out = append(out, token...)
		}
		out = append(out, part...)
	}
	return out
}

// gzip is the page with token in place of the markers, gzipped.
func (p *prepared) gzip(token string) []byte {
	n := 10 + 8
	for _, d := range p.defl {
		n += len(d) + 5 + len(token)
	}
	out := make([]byte, 0, n)
	out = append(out, 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff) // gzip header: deflate, no name, unknown OS
	crc := uint32(0)
	size := 0
	for i, d := range p.defl {
		if i > 0 {
			// The token as a stored block (not final): 3 header bits,
			// padding to the byte, then LEN and NLEN.
			l := uint16(len(token))
			out = append(out, 0, byte(l), byte(l>>8), byte(^l), byte(^l>>8))
			out = append(out, token...)
			crc = crc32.Update(crc, crc32.IEEETable, []byte(token))
			size += len(token)
		}
		out = append(out, d...)
		crc = crc32.Update(crc, crc32.IEEETable, p.parts[i])
		size += len(p.parts[i])
	}
	out = binary.LittleEndian.AppendUint32(out, crc)
	out = binary.LittleEndian.AppendUint32(out, uint32(size))
	return out
}
