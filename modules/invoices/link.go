package invoices

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/google/uuid"
)

// A public link's token is base64url (unpadded) of the tenant id, the
// document id and the first 16 bytes of their HMAC-SHA256: 48 bytes, 64
// characters. Ids alone are not enough to open a document (UUIDv7s are
// partly guessable); the MAC is 128 bits no one without the key can make.
const (
	macLen   = 16
	tokenLen = 16 + 16 + macLen
)

// Link is the public address of doc: PublicBaseURL/invoices/<token>. Empty
// when the service has no signing key.
func (s *Service) Link(doc *Invoice) string {
	tok := s.Token(doc.TenantID, doc.ID)
	if tok == "" {
		return ""
	}
	return strings.TrimRight(s.cfg.PublicBaseURL, "/") + "/invoices/" + tok
}

// Token signs a document's public token ("" without a signing key).
func (s *Service) Token(tenantID, id uuid.UUID) string {
	if s.key == nil {
		return ""
	}
	b := make([]byte, 0, tokenLen)
	b = append(b, tenantID[:]...)
	b = append(b, id[:]...)
	b = append(b, s.mac(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Verify reads a public token: the tenant and document it names, ok only
// when it was signed with the service's key (compared in constant time).
func (s *Service) Verify(token string) (tenantID, id uuid.UUID, ok bool) {
	if s.key == nil || len(token) != base64.RawURLEncoding.EncodedLen(tokenLen) {
		return uuid.Nil, uuid.Nil, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(b) != tokenLen {
		return uuid.Nil, uuid.Nil, false
	}
	if !hmac.Equal(b[32:], s.mac(b[:32])) {
		return uuid.Nil, uuid.Nil, false
	}
	copy(tenantID[:], b[:16])
	copy(id[:], b[16:32])
	if tenantID == uuid.Nil || id == uuid.Nil {
		return uuid.Nil, uuid.Nil, false
	}
	return tenantID, id, true
}

func (s *Service) mac(ids []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write(ids)
	return m.Sum(nil)[:macLen]
}
