// Package webhook signs webhook deliveries and lets receivers verify them.
//
// A delivery carries the header
//
//	X-GPUBroker-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
//
// where the HMAC key is the webhook's secret exactly as shown at creation
// (its ASCII bytes) and the signed message is "<t>.<raw body>". Binding the
// timestamp into the MAC lets a receiver refuse replays older than a
// tolerance (DefaultTolerance). A header may hold several v1 entries (one
// per secret while a secret is rotated) and keys other than t and v1, which
// receivers ignore, so new schemes can be added alongside.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header is the HTTP header carrying the signature.
const Header = "X-GPUBroker-Signature"

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock, either way.
const DefaultTolerance = 5 * time.Minute

// maxHeaderLen bounds what Verify parses: a real header is under 100 bytes
// per signature, so anything longer is refused before any HMAC is computed.
const maxHeaderLen = 4096

var (
	// ErrMalformed: the header is not t=<unix>,v1=<hex>[,...].
	ErrMalformed = errors.New("webhook: malformed signature header")
	// ErrExpired: the timestamp is outside the tolerance (a replay, or a
	// clock far off).
	ErrExpired = errors.New("webhook: signature timestamp outside tolerance")
	// ErrMismatch: no v1 signature matches the body and secret.
	ErrMismatch = errors.New("webhook: signature mismatch")
)

// Sign returns the header value for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// mac is HMAC-SHA256 under secret of "<ts>.<body>".
func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks header against body: the timestamp must be within
// tolerance of now (DefaultTolerance when tolerance <= 0) and one v1
// signature must match. Signatures are compared in constant time.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts, sigs, err := parse(header)
	if err != nil {
		return err
	}
	unix, _ := strconv.ParseInt(ts, 10, 64) // parse checked it
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return ErrExpired
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		// Every candidate is compared, so timing does not say which matched.
		ok = hmac.Equal(s, want) || ok
	}
	if !ok {
		return ErrMismatch
	}
	return nil
}

// parse splits a header into its timestamp (decimal, as sent: it is part of
// the signed message) and its decoded v1 signatures.
func parse(header string) (ts string, sigs [][]byte, err error) {
	if len(header) > maxHeaderLen {
		return "", nil, ErrMalformed
	}
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", nil, ErrMalformed
		}
		switch k {
		case "t":
			if ts != "" || !validUnix(v) {
				return "", nil, ErrMalformed
			}
			ts = v
		case "v1":
			if len(v) != 2*sha256.Size {
				return "", nil, ErrMalformed
			}
			b, err := hex.DecodeString(v)
			if err != nil {
				return "", nil, ErrMalformed
			}
			sigs = append(sigs, b)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return "", nil, ErrMalformed
	}
	return ts, sigs, nil
}

// validUnix accepts 1 to 18 decimal digits without sign or leading zero,
// so the value fits int64 and has exactly one spelling.
func validUnix(s string) bool {
	if s == "" || len(s) > 18 || s[0] == '0' && len(s) > 1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
