package accounts

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// Prefixes of the opaque credentials this package hands out. They let a
// leaked secret be recognized by scanners and let the edge reject strings
// that cannot be a key before any store lookup.
const (
	APIKeyPrefix        = "gpb_"
	refreshTokenPrefix  = "gpr_"
	serviceSecretPrefix = "gps_"

	secretBytes = 32
	// secretLen is the length of a prefixed secret: 4 + base64url(32 bytes).
	secretLen = 4 + 43
	// keyPrefixShown is how much of an API key its listing shows.
	keyPrefixShown = len(APIKeyPrefix) + 6
)

// newSecret returns prefix + 32 random bytes in unpadded base64url.
func newSecret(prefix string) (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// wellFormed reports whether s has the shape newSecret(prefix) produces.
func wellFormed(s []byte, prefix string) bool {
	if len(s) != secretLen || !strings.HasPrefix(string(s), prefix) {
		return false
	}
	for _, c := range s[len(prefix):] {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// LooksLikeAPIKey reports whether key could be an API key this package
// issued; anything else is rejected without a store lookup.
func LooksLikeAPIKey(key []byte) bool { return wellFormed(key, APIKeyPrefix) }

// HashKey is how API keys and refresh tokens are stored: their SHA-256.
// They carry 256 random bits, so a fast hash is enough.
func HashKey(secret []byte) []byte {
	sum := sha256.Sum256(secret)
	return sum[:]
}

// newWebhookSecret returns 32 random bytes in hex, the HMAC key of a webhook.
func newWebhookSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// newID returns a random (version 4) UUID, the id of users and owned rows.
func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}
