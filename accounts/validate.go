package accounts

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gpubroker/gpubroker/shared"
)

// Password length bounds, in characters. The upper bound keeps hashing cost
// and request sizes sane; it is far above any passphrase.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 1024
)

func validPassword(field, pw string) error {
	if pw == "" {
		return fieldErr(field, "is required")
	}
	if !utf8.ValidString(pw) {
		return fieldErr(field, "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(pw); n < MinPasswordLen || n > MaxPasswordLen {
		return fieldErr(field, "must be 12 to 1024 characters")
	}
	return nil
}

// normalizeEmail validates an ASCII address (local@domain.tld, at most 254
// characters, 64 in the local part, dot-separated labels) and lower-cases it.
func normalizeEmail(field, email string) (string, error) {
	if email == "" {
		return "", fieldErr(field, "is required")
	}
	if len(email) > 254 {
		return "", fieldErr(field, "must be at most 254 characters")
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || !validLocal(local) || !validDomain(domain) {
		return "", fieldErr(field, "must be an email address like name@example.com")
	}
	return strings.ToLower(email), nil
}

func validLocal(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && !strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", rune(c)) {
			return false
		}
	}
	return true
}

func validDomain(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 || len(s) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return len(tld) >= 2 && !isDigits(tld)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidOfferID reports whether id has the shape of an offer id,
// "<provider>:<part>[:<part>...]" with URL-path-safe parts (shared.OfferID),
// at most 256 characters.
func ValidOfferID(id string) bool {
	provider, rest, ok := strings.Cut(id, ":")
	if !ok || !shared.ValidName(provider) || rest == "" || len(id) > 256 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !isAlnum(c) && c != '.' && c != '-' && c != '_' && c != ':' {
			return false
		}
	}
	return true
}

// validLabel checks a short user-chosen name (API key names): 1 to 100
// printable characters.
func validLabel(field, s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return fieldErr(field, "is required")
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 100 {
		return fieldErr(field, "must be at most 100 characters of valid UTF-8")
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return fieldErr(field, "must not contain control characters")
		}
	}
	return nil
}

// validServiceID: 3 to 64 characters, lower-case letters, digits, '-', '_',
// starting with a letter or digit (e.g. "ml-pipeline-agent").
func validServiceID(field, id string) error {
	if id == "" {
		return fieldErr(field, "is required")
	}
	if len(id) < 3 || !shared.ValidName(id) {
		return fieldErr(field, "must be 3 to 64 lower-case letters, digits, '-' or '_', starting with a letter or digit")
	}
	return nil
}

// joinQuoted renders a list for error messages: "a", "b", "c".
func joinQuoted(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
