// Package webassets serves a UI's embedded static files under fingerprinted
// names (/assets/<name>.<hash>.<ext>): immutable, with an ETag, gzipped once
// at start when that makes them smaller. The storefront and the admin
// dashboard each embed their own files and serve them through a Set.
package webassets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Set is a UI's assets by fingerprinted path.
type Set struct {
	prefix string
	assets map[string]asset // by fingerprinted path
	paths  map[string]string
}

type asset struct {
	body, gz []byte // gz: nil when gzip would not shrink it
	ctype    string
	etag     string
}

var types = map[string]string{
	".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml", ".css": "text/css; charset=utf-8",
}

// Load fingerprints every file of dir in fsys (Markdown files are notes and
// skipped); prefix is the URL path they are served under, e.g. "/assets".
// It panics when dir cannot be read: the files are embedded at build time.
func Load(fsys fs.FS, dir, prefix string) *Set {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		panic(err)
	}
	s := &Set{prefix: prefix, assets: map[string]asset{}, paths: map[string]string{}}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) == ".md" {
			continue
		}
		b, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])[:12]
		ext := path.Ext(e.Name())
		p := prefix + "/" + strings.TrimSuffix(e.Name(), ext) + "." + h + ext
		a := asset{body: b, ctype: types[ext], etag: `"` + h + `"`}
		var z bytes.Buffer
		w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		_, _ = w.Write(b)
		_ = w.Close()
		if z.Len() < len(b) {
			a.gz = z.Bytes()
		}
		s.assets[p] = a
		s.paths[e.Name()] = p
	}
	return s
}

// Path is the fingerprinted path of the file name ("" when there is none).
func (s *Set) Path(name string) string { return s.paths[name] }

// Serve answers GET <prefix>/:file for a fingerprinted path, and passes
// any other request on.
func (s *Set) Serve(c *fiber.Ctx) error {
	a, ok := s.assets[s.prefix+"/"+c.Params("file")]
	if !ok {
		return c.Next()
	}
	c.Set(fiber.HeaderContentType, a.ctype)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderETag, a.etag)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if c.Get(fiber.HeaderIfNoneMatch) == a.etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	if a.gz != nil && strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(a.gz)
	}
	return c.Send(a.body)
}
