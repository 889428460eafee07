package secrets

import (
	"errors"
	"testing"
)

func TestSealOpenRotate(t *testing.T) {
	t.Parallel()
	oldKey, newKey := GenerateKey(), GenerateKey()
	before, err := New(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := before.Seal("EAAG-token", "whatsapp_numbers.access_token:1")
	if err != nil {
		t.Fatal(err)
	}
	if sealed == "EAAG-token" || len(sealed) < 20 {
		t.Fatalf("sealed value looks like plaintext: %q", sealed)
	}

	after, err := New(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := after.Open(sealed, "whatsapp_numbers.access_token:1")
	if err != nil || got != "EAAG-token" {
		t.Fatalf("open after rotation = %q, %v", got, err)
	}
	if !after.NeedsRotation(sealed) {
		t.Fatal("value sealed with the old key should need rotation")
	}
	resealed, _ := after.Seal(got, "whatsapp_numbers.access_token:1")
	if after.NeedsRotation(resealed) {
		t.Fatal("value sealed with the current key should not need rotation")
	}

	if _, err := after.Open(sealed, "whatsapp_numbers.access_token:2"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open with another context: want ErrCorrupt, got %v", err)
	}
	onlyNew, _ := New(newKey)
	if _, err := onlyNew.Open(sealed, "whatsapp_numbers.access_token:1"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("open without the old key: want ErrUnknownKey, got %v", err)
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := after.Open(tampered, "whatsapp_numbers.access_token:1"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("tampered value: want ErrCorrupt, got %v", err)
	}
}

func TestParseKeyRejectsWrongLength(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"", "not base64!", "c2hvcnQ="} {
		if _, err := ParseKey(k); err == nil {
			t.Errorf("ParseKey(%q) accepted a bad key", k)
		}
	}
}
