package shared

import (
	"log/slog"
)

// Secret holds a credential. Every way of printing it (fmt verbs, JSON,
// slog) yields a mask, so a key passed around in a struct cannot leak into
// logs, errors or responses by accident; Reveal is the one way out.
type Secret struct{ v string }

// NewSecret wraps a credential.
func NewSecret(v string) Secret { return Secret{v: v} }

// Reveal returns the credential for use in an outgoing request.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether no credential is set.
func (s Secret) IsZero() bool { return s.v == "" }

const secretMask = "[REDACTED]"

// String masks the value for %s and %v.
func (s Secret) String() string { return secretMask }

// GoString masks the value for %#v.
func (s Secret) GoString() string { return secretMask }

// MarshalJSON masks the value in JSON.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + secretMask + `"`), nil }

// MarshalText masks the value in text encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(secretMask), nil }

// LogValue masks the value in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(secretMask) }

// Mask shows only the last four characters, for listing stored credentials.
func (s Secret) Mask() string {
	if len(s.v) <= 8 {
		return "****"
	}
	return "****" + s.v[len(s.v)-4:]
}
