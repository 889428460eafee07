package invoices_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/uuid"

	"concierge/modules/invoices"
)

// TestSignedLinks: a token opens exactly the tenant and document it was
// signed for; any change to it, another key, or ids moved between tenants
// open nothing.
func TestSignedLinks(t *testing.T) {
	t.Parallel()
	svc := invoices.New(invoices.Config{SigningKey: signingKey, PublicBaseURL: "https://concierge.test"}, invoices.Deps{})
	tenantA, tenantB, doc := uuid.New(), uuid.New(), uuid.Must(uuid.NewV7())
	tok := svc.Token(tenantA, doc)
	if len(tok) != 64 {
		t.Fatalf("token %q has %d characters", tok, len(tok))
	}
	if link := svc.Link(&invoices.Invoice{TenantID: tenantA, ID: doc}); link != "https://concierge.test/invoices/"+tok {
		t.Fatalf("link %q", link)
	}
	gotT, gotD, ok := svc.Verify(tok)
	if !ok || gotT != tenantA || gotD != doc {
		t.Fatalf("verify: %v %v %v", gotT, gotD, ok)
	}
	// Every one-character change is refused.
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range tok {
		c := alphabet[(strings.IndexByte(alphabet, tok[i])+1)%len(alphabet)]
		bad := tok[:i] + string(c) + tok[i+1:]
		if _, _, ok := svc.Verify(bad); ok {
			t.Fatalf("tampered at %d: %q verified", i, bad)
		}
	}
	// Another tenant's id with the same MAC, or the ids swapped.
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	moved := append(append(append([]byte{}, tenantB[:]...), raw[16:32]...), raw[32:]...)
	swapped := append(append(append([]byte{}, raw[16:32]...), raw[:16]...), raw[32:]...)
	for name, bad := range map[string]string{
		"other tenant": base64.RawURLEncoding.EncodeToString(moved),
		"swapped ids":  base64.RawURLEncoding.EncodeToString(swapped),
		"padded":       tok + "==",
		"short":        tok[:63],
		"long":         tok + "A",
		"empty":        "",
		"std alphabet": strings.NewReplacer("-", "+", "_", "/").Replace(tok),
	} {
		if _, _, ok := svc.Verify(bad); ok && bad != tok {
			t.Errorf("%s: %q verified", name, bad)
		}
	}
	// Another key signs other tokens.
	other := invoices.New(invoices.Config{SigningKey: []byte(strings.Repeat("k", 32))}, invoices.Deps{})
	if _, _, ok := other.Verify(tok); ok {
		t.Fatal("a token verified under another key")
	}
	if other.Token(tenantA, doc) == tok {
		t.Fatal("two keys made one token")
	}
	// No key (too short): no links at all.
	none := invoices.New(invoices.Config{SigningKey: []byte("short")}, invoices.Deps{})
	if none.Token(tenantA, doc) != "" || none.Link(&invoices.Invoice{TenantID: tenantA, ID: doc}) != "" {
		t.Fatal("a link without a key")
	}
	if _, _, ok := none.Verify(tok); ok {
		t.Fatal("verified without a key")
	}
}
