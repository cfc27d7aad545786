package accounts

import (
	"regexp"
	"strings"
	"testing"
)

func TestHashPasswordRoundTrip(t *testing.T) {
	phc, err := HashPassword(testHash, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(phc) {
		t.Fatalf("not a PHC argon2id string: %q", phc)
	}
	again, _ := HashPassword(testHash, "correct horse battery staple")
	if again == phc {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for _, tc := range []struct {
		password string
		want     bool
	}{
		{"correct horse battery staple", true},
		{"correct horse battery stapl", false},
		{"Correct horse battery staple", false},
		{"", false},
	} {
		got, err := VerifyPassword(phc, tc.password)
		if err != nil || got != tc.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tc.password, got, err, tc.want)
		}
	}
}

func TestHashPasswordDefaultParams(t *testing.T) {
	phc, err := HashPassword(DefaultHashParams, "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("default parameters not encoded: %q", phc)
	}
	if ok, err := VerifyPassword(phc, "a long enough password"); !ok || err != nil {
		t.Fatalf("verify: %v %v", ok, err)
	}
}

func TestHashPasswordRejectsWeakParams(t *testing.T) {
	for _, p := range []HashParams{{}, {Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32}, {Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32}} {
		if _, err := HashPassword(p, "x"); err == nil {
			t.Errorf("accepted %+v", p)
		}
	}
}

// Malformed or hostile stored hashes are errors, never matches, and never
// make a verification allocate beyond the bounds.
func TestVerifyPasswordMalformed(t *testing.T) {
	salt, key := "c2FsdHNhbHRzYWx0c2FsdA", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	for _, phc := range []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1$" + salt + "$" + key + "$extra",
		"$argon2id$v=19$m=99999999,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=255$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,x=1$" + salt + "$" + key,
		"$argon2id$v=19$m=-1,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$!!!$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$c2hvcnQ",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key,
	} {
		ok, err := VerifyPassword(phc, "password")
		if ok || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want an error", phc, ok, err)
		}
	}
}
