// Package secrets seals tenant secrets (WhatsApp tokens, app secrets, payment
// keys) with AES-256-GCM under a key id, so the master key can rotate: new
// values are sealed with the current key, and values sealed with an older key
// still open while that key is listed in MASTER_KEYS_OLD.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownKey is returned when a sealed value names a key the keyring lacks.
var ErrUnknownKey = errors.New("secrets: sealed with an unknown key id")

// ErrCorrupt is returned when a sealed value fails authentication.
var ErrCorrupt = errors.New("secrets: sealed value is corrupt or was tampered with")

// Keyring holds the current key and any older keys.
type Keyring struct {
	current    string
	currentKey []byte
	aeads      map[string]cipher.AEAD
}

// KeyID names a key: the first 8 hex digits of SHA-256 of the key.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:4])
}

// ParseKey decodes a base64 key of exactly 32 bytes.
func ParseKey(b64 string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, fmt.Errorf("secrets: master key is not base64: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("secrets: master key must be 32 bytes, got %d", len(key))
	}
	return key, nil
}

// New builds a keyring from the current base64 key and older ones.
func New(current string, old ...string) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	for i, s := range append([]string{current}, old...) {
		key, err := ParseKey(s)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		id := KeyID(key)
		k.aeads[id] = aead
		if i == 0 {
			k.current, k.currentKey = id, key
		}
	}
	return k, nil
}

// GenerateKey returns a fresh random key, base64-encoded.
func GenerateKey() string {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(key)
}

// CurrentKeyID is the id new values are sealed under.
func (k *Keyring) CurrentKeyID() string { return k.current }

// Seal encrypts plaintext; context binds the value to where it is stored
// (e.g. "whatsapp_numbers.access_token:<id>"), so a sealed value copied to
// another row does not open. The result is "v1:<key id>:<base64 nonce|ciphertext>".
func (k *Keyring) Seal(plaintext, context string) (string, error) {
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := aead.Seal(nonce, nonce, []byte(plaintext), []byte(context))
	return "v1:" + k.current + ":" + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value produced by Seal with the same context.
func (k *Keyring) Open(sealed, context string) (string, error) {
	parts := strings.SplitN(sealed, ":", 3)
	if len(parts) != 3 || parts[0] != "v1" {
		return "", ErrCorrupt
	}
	aead, ok := k.aeads[parts[1]]
	if !ok {
		return "", fmt.Errorf("%w %q", ErrUnknownKey, parts[1])
	}
	raw, err := base64.RawStdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) < aead.NonceSize() {
		return "", ErrCorrupt
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(context))
	if err != nil {
		return "", ErrCorrupt
	}
	return string(plain), nil
}

// NeedsRotation reports whether sealed was made with an older key.
func (k *Keyring) NeedsRotation(sealed string) bool {
	parts := strings.SplitN(sealed, ":", 3)
	return len(parts) != 3 || parts[1] != k.current
}

// Derive returns a 32-byte subkey of the current master key for purpose (for
// example the JWT signing key), so one master key can serve several uses.
func (k *Keyring) Derive(purpose string) []byte {
	h := sha256.New()
	h.Write([]byte("concierge/" + purpose + "/"))
	h.Write(k.currentKey)
	return h.Sum(nil)
}
