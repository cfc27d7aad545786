package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared/store"
)

const goodPassword = "correct horse battery staple"

func TestRegisterValidation(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct {
		email, password, field string
	}{
		{"", goodPassword, "email"},
		{"not-an-email", goodPassword, "email"},
		{"a@b", goodPassword, "email"},
		{"a@b.c", goodPassword, "email"},
		{"a b@example.com", goodPassword, "email"},
		{"a@exa mple.com", goodPassword, "email"},
		{".a@example.com", goodPassword, "email"},
		{"a..b@example.com", goodPassword, "email"},
		{"a@-example.com", goodPassword, "email"},
		{"a@example.123", goodPassword, "email"},
		{"Name <a@example.com>", goodPassword, "email"},
		{strings.Repeat("a", 65) + "@example.com", goodPassword, "email"},
		{"a@" + strings.Repeat("b", 250) + ".com", goodPassword, "email"},
		{"a@example.com", "", "password"},
		{"a@example.com", "short pass1", "password"},
		{"a@example.com", strings.Repeat("x", 1025), "password"},
		{"a@example.com", "\xff\xfe invalid utf8 password", "password"},
	} {
		if _, err := e.svc.Register(context.Background(), tc.email, tc.password); fieldOf(err) != tc.field {
			t.Errorf("Register(%q, %q): %v; want a %s error", tc.email, tc.password, err, tc.field)
		}
	}
	// Bounds are in characters: 12 multi-byte characters are enough, 1024 allowed.
	if _, err := e.svc.Register(context.Background(), "unicode@example.com", strings.Repeat("é", 12)); err != nil {
		t.Errorf("12-character password refused: %v", err)
	}
	if _, err := e.svc.Register(context.Background(), "long@example.com", strings.Repeat("x", 1024)); err != nil {
		t.Errorf("1024-character password refused: %v", err)
	}
}

func TestRegisterAndLogin(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	u, err := e.svc.Register(ctx, "Ada.Lovelace+gpu@Example.com", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ada.lovelace+gpu@example.com" || u.Plan != "free" || u.PasswordHash != "" || len(u.ID) != 36 {
		t.Fatalf("user %+v", u)
	}
	stored := e.st.users[u.ID]
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$") || strings.Contains(stored.PasswordHash, goodPassword) {
		t.Fatalf("stored hash %q", stored.PasswordHash)
	}
	if _, err := e.svc.Register(ctx, "ADA.LOVELACE+gpu@example.com", goodPassword); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate email: %v", err)
	}
	pair, err := e.svc.Login(ctx, "ada.lovelace+GPU@example.com", goodPassword, "203.0.113.1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.iss.Verify(pair.Access.Value)
	if err != nil || c.Subject != u.ID || c.Plan != "free" {
		t.Fatalf("access token: %+v %v", c, err)
	}
	if !strings.HasPrefix(pair.RefreshToken, "gpr_") || len(pair.RefreshToken) != secretLen {
		t.Fatalf("refresh token %q", pair.RefreshToken)
	}
	for _, tc := range []struct{ email, password string }{
		{"ada.lovelace+gpu@example.com", "wrong password!!"},
		{"nobody@example.com", goodPassword},
	} {
		if _, err := e.svc.Login(ctx, tc.email, tc.password, "203.0.113.1"); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("Login(%q): %v", tc.email, err)
		}
	}
	for _, tc := range []struct{ email, password, field string }{
		{"", goodPassword, "email"}, {"x", goodPassword, "email"}, {"a@example.com", "", "password"},
		{"a@example.com", strings.Repeat("p", 1025), "password"},
	} {
		if _, err := e.svc.Login(ctx, tc.email, tc.password, "203.0.113.1"); fieldOf(err) != tc.field {
			t.Errorf("Login(%q, %d chars): %v", tc.email, len(tc.password), err)
		}
	}
}

func TestLoginDisabledUser(t *testing.T) {
	e := newTestEnv(t)
	p := e.user(t, "off@example.com", "free")
	u := e.st.users[p.UserID]
	u.Disabled = true
	e.st.users[p.UserID] = u
	if _, err := e.svc.Login(context.Background(), "off@example.com", goodPassword, "203.0.113.1"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("disabled user signed in: %v", err)
	}
}

// A locked-out account is refused before the store is asked or a hash
// computed; another IP is refused too (the lock is per account), and the
// lock ends when the failures leave the window.
func TestLoginLockout(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.user(t, "victim@example.com", "free")
	for range 5 {
		if _, err := e.svc.Login(ctx, "victim@example.com", "guess guess guess", "198.51.100.7"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatal(err)
		}
	}
	lookups := e.st.emailLookup.Load()
	_, err := e.svc.Login(ctx, "victim@example.com", goodPassword, "198.51.100.7")
	if lockedFor(t, err) < time.Minute {
		t.Fatalf("retry after %v", err)
	}
	if _, err := e.svc.Login(ctx, "victim@example.com", goodPassword, "192.0.2.55"); err == nil {
		t.Fatal("the account lock did not apply from another IP")
	}
	if e.st.emailLookup.Load() != lookups {
		t.Fatal("a locked-out attempt reached the store (and the password check)")
	}
	e.clock.Advance(LoginWindow)
	if _, err := e.svc.Login(ctx, "victim@example.com", goodPassword, "198.51.100.7"); err != nil {
		t.Fatalf("still locked after the window: %v", err)
	}
}

// Failures for unknown accounts count too, so probing for accounts is
// throttled like guessing passwords.
func TestLoginLockoutUnknownAccount(t *testing.T) {
	e := newTestEnv(t)
	for range 5 {
		_, _ = e.svc.Login(context.Background(), "ghost@example.com", goodPassword, "198.51.100.7")
	}
	if _, err := e.svc.Login(context.Background(), "ghost@example.com", goodPassword, "198.51.100.8"); lockedFor(t, err) <= 0 {
		t.Fatal("unlocked")
	}
}

func TestRefreshRotation(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.user(t, "r@example.com", "free")
	first, err := e.svc.Login(ctx, "r@example.com", goodPassword, "203.0.113.1")
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.svc.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if second.RefreshToken == first.RefreshToken || second.Access.Value == "" {
		t.Fatal("refresh did not rotate")
	}
	third, err := e.svc.Refresh(ctx, second.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	// Replaying an already used token revokes the family, including the
	// newest token.
	if _, err := e.svc.Refresh(ctx, first.RefreshToken); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("reuse: %v", err)
	}
	if _, err := e.svc.Refresh(ctx, third.RefreshToken); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("family survived reuse: %v", err)
	}
	// Another sign-in is a separate family, untouched.
	other, err := e.svc.Login(ctx, "r@example.com", goodPassword, "203.0.113.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Refresh(ctx, other.RefreshToken); err != nil {
		t.Fatalf("a separate family was revoked: %v", err)
	}
}

func TestRefreshInvalid(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.user(t, "r@example.com", "free")
	pair, _ := e.svc.Login(ctx, "r@example.com", goodPassword, "203.0.113.1")
	if _, err := e.svc.Refresh(ctx, ""); fieldOf(err) != "refresh_token" {
		t.Fatalf("empty: %v", err)
	}
	for _, tok := range []string{"garbage", "gpr_" + strings.Repeat("A", 43), pair.RefreshToken + "x"} {
		if _, err := e.svc.Refresh(ctx, tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%q: %v", tok, err)
		}
	}
	e.clock.Advance(DefaultRefreshTTL)
	if _, err := e.svc.Refresh(ctx, pair.RefreshToken); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("expired token refreshed: %v", err)
	}
}

// A rotation that loses a race (the store finds the token already revoked)
// is treated as reuse.
func TestRefreshLostRace(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.user(t, "r@example.com", "free")
	pair, _ := e.svc.Login(ctx, "r@example.com", goodPassword, "203.0.113.1")
	rt, _ := e.st.RefreshTokenByHash(ctx, HashKey([]byte(pair.RefreshToken)))
	winner := store.RefreshToken{ID: "winner", UserID: rt.UserID, FamilyID: rt.FamilyID, Hash: []byte("w"), ExpiresAt: e.clock.Now().Add(time.Hour)}
	// Simulate the concurrent winner between our read and our rotation.
	if err := e.st.RotateRefreshToken(ctx, rt.ID, winner, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Refresh(ctx, pair.RefreshToken); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("got %v", err)
	}
	if w := e.st.refresh["winner"]; w.RevokedAt.IsZero() {
		t.Fatal("the family was not revoked")
	}
}

func TestLogout(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	e.user(t, "l@example.com", "free")
	pair, _ := e.svc.Login(ctx, "l@example.com", goodPassword, "203.0.113.1")
	next, err := e.svc.Refresh(ctx, pair.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	// Logging out with an old link of the chain still ends the session.
	if err := e.svc.Logout(ctx, pair.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Refresh(ctx, next.RefreshToken); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("refresh after logout: %v", err)
	}
	if err := e.svc.Logout(ctx, "gpr_"+strings.Repeat("Z", 43)); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("unknown token: %v", err)
	}
}

func TestStoreErrorsPropagate(t *testing.T) {
	e := newTestEnv(t)
	e.st.failing.Store(true)
	if _, err := e.svc.Login(context.Background(), "a@example.com", goodPassword, "203.0.113.1"); err == nil ||
		errors.Is(err, ErrInvalidCredentials) || !errors.Is(err, errDown) {
		t.Fatalf("got %v", err)
	}
	e.st.failing.Store(false)
	// A store outage is not a failed login: nothing was counted.
	for range 5 {
		_, _ = e.svc.Login(context.Background(), "a@example.com", goodPassword, "203.0.113.1")
	}
	if _, err := e.svc.Login(context.Background(), "a@example.com", goodPassword, "203.0.113.1"); lockedFor(t, err) <= 0 {
		t.Fatal("expected a lock after exactly five real failures")
	}
}

func TestHashingBusy(t *testing.T) {
	e := newTestEnv(t)
	for range cap(e.svc.hashSem) {
		e.svc.hashSem <- struct{}{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.svc.Register(ctx, "busy@example.com", goodPassword); !errors.Is(err, ErrBusy) {
		t.Fatalf("got %v", err)
	}
	for range cap(e.svc.hashSem) {
		<-e.svc.hashSem
	}
}
