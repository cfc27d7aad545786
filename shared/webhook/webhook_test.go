package webhook

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

const secret = "5f2b8c0e9d1a4b7c6e3f2a1b0c9d8e7f5f2b8c0e9d1a4b7c6e3f2a1b0c9d8e7f"

// A fixed vector, computed independently (Python's hmac module), so
// receivers in other languages can check their code against it; it is also
// in docs/accounts.md.
func TestSignVector(t *testing.T) {
	got := Sign("whsec-test", time.Unix(1700000000, 0), []byte(`{"event":"price_alert"}`))
	const want = "t=1700000000,v1=dab375d1b4b53f25581dd3d85ce1a680120e38dbc2b6430778e8e2426333c376"
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	body := []byte(`{"event":"price_alert","gpu":"nvidia-h100-sxm-80gb","price":2.1}`)
	good := Sign(secret, now, body)
	sig := good[strings.Index(good, "v1=")+3:]
	other := Sign("another secret", now, body)
	otherSig := other[strings.Index(other, "v1=")+3:]
	for _, tc := range []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		tol    time.Duration
		want   error
	}{
		{"valid", secret, good, body, now, 0, nil},
		{"4m59s late", secret, good, body, now.Add(299 * time.Second), 0, nil},
		{"5m late", secret, good, body, now.Add(5 * time.Minute), 0, nil},
		{"5m1s late: replay", secret, good, body, now.Add(301 * time.Second), 0, ErrExpired},
		{"5m1s early: clock skew", secret, good, body, now.Add(-301 * time.Second), 0, ErrExpired},
		{"custom tolerance", secret, good, body, now.Add(30 * time.Second), 10 * time.Second, ErrExpired},
		{"tampered body", secret, good, append([]byte{}, append(body, ' ')...), now, 0, ErrMismatch},
		{"wrong secret", "another secret", good, body, now, 0, ErrMismatch},
		{"timestamp changed", secret, strings.Replace(good, "t=1750000000", "t=1750000001", 1), body, now, 0, ErrMismatch},
		{"rotation: second v1 matches", secret, "t=1750000000,v1=" + otherSig + ",v1=" + sig, body, now, 0, nil},
		{"unknown scheme ignored", secret, good + ",v2=abc", body, now, 0, nil},
		{"spaces after commas", secret, "t=1750000000, v1=" + sig, body, now, 0, nil},
		{"upper-case hex", secret, "t=1750000000,v1=" + strings.ToUpper(sig), body, now, 0, nil},
		{"empty", secret, "", body, now, 0, ErrMalformed},
		{"no timestamp", secret, "v1=" + sig, body, now, 0, ErrMalformed},
		{"no signature", secret, "t=1750000000", body, now, 0, ErrMalformed},
		{"two timestamps", secret, "t=1750000000,t=1750000000,v1=" + sig, body, now, 0, ErrMalformed},
		{"negative timestamp", secret, "t=-1,v1=" + sig, body, now, 0, ErrMalformed},
		{"leading zero", secret, "t=01750000000,v1=" + sig, body, now, 0, ErrMalformed},
		{"timestamp overflow", secret, "t=99999999999999999999,v1=" + sig, body, now, 0, ErrMalformed},
		{"short signature", secret, "t=1750000000,v1=" + sig[:62], body, now, 0, ErrMalformed},
		{"not hex", secret, "t=1750000000,v1=" + strings.Repeat("zz", 32), body, now, 0, ErrMalformed},
		{"no equals sign", secret, "t=1750000000,v1", body, now, 0, ErrMalformed},
		{"too long", secret, good + strings.Repeat(",x=y", 1100), body, now, 0, ErrMalformed},
	} {
		if err := Verify(tc.secret, tc.header, tc.body, tc.now, tc.tol); !errors.Is(err, tc.want) {
			t.Errorf("%s: Verify = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// Verify never panics, accepts what Sign produces, and accepts nothing
// else unless the header holds a v1 that is the MAC of its own timestamp
// and the body.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_750_000_000, 0)
	body := []byte(`{"event":"price_change"}`)
	for _, seed := range []string{Sign(secret, now, body), "t=1750000000,v1=00", "", ",,,", "t=,v1=", "t=1,v1=" + strings.Repeat("a", 64),
		"v1=" + strings.Repeat("f", 64) + ",t=1750000000", "t=1750000000 ,v1=x"} {
		f.Add(seed, body)
	}
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if err := Verify(secret, Sign(secret, now, body), body, now, 0); err != nil {
			t.Fatalf("own signature refused: %v", err)
		}
		if Verify(secret, header, body, now, 0) != nil {
			return
		}
		ts, sigs, err := parse(header)
		if err != nil {
			t.Fatalf("accepted a header parse refuses: %q", header)
		}
		want := mac(secret, ts, body)
		for _, s := range sigs {
			if bytes.Equal(s, want) {
				return
			}
		}
		t.Fatalf("accepted %q without a valid signature", header)
	})
}
