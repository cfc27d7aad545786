package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared/store"
)

func testAPIKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := mustUser(t, s, "u-ann", "ann@example.com")
	mustUser(t, s, "u-bob", "bob@example.com")
	k1 := store.APIKey{ID: "k1", UserID: ann.ID, Name: "laptop", Prefix: "gpb_ab", Hash: []byte("hash-1"), CreatedAt: base}
	k2 := store.APIKey{ID: "k2", UserID: ann.ID, Name: "ci", Prefix: "gpb_cd", Hash: []byte("hash-2"), CreatedAt: base.Add(time.Minute)}
	creates := []struct {
		name string
		k    store.APIKey
		want error
	}{
		{"first", k1, nil},
		{"second", k2, nil},
		{"taken hash", store.APIKey{ID: "k3", UserID: ann.ID, Hash: []byte("hash-1")}, store.ErrConflict},
		{"taken id", store.APIKey{ID: "k1", UserID: ann.ID, Hash: []byte("hash-9")}, store.ErrConflict},
		{"unknown user", store.APIKey{ID: "k4", UserID: "u-nobody", Hash: []byte("hash-4")}, store.ErrNotFound},
	}
	for _, tc := range creates {
		wantErr(t, "CreateAPIKey "+tc.name, s.CreateAPIKey(ctx, tc.k), tc.want)
	}

	k, u, err := s.APIKeyByHash(ctx, []byte("hash-1"))
	wantErr(t, "APIKeyByHash", err, nil)
	if !sameKey(k, k1) || !sameUser(u, ann) {
		t.Fatalf("APIKeyByHash = %+v, %+v; want %+v, %+v", k, u, k1, ann)
	}
	_, _, err = s.APIKeyByHash(ctx, []byte("hash-unknown"))
	wantErr(t, "APIKeyByHash unknown", err, store.ErrNotFound)

	used := base.Add(time.Hour)
	wantErr(t, "TouchAPIKey", s.TouchAPIKey(ctx, "k1", used), nil)
	wantErr(t, "TouchAPIKey earlier", s.TouchAPIKey(ctx, "k1", base), nil)
	wantErr(t, "TouchAPIKey unknown", s.TouchAPIKey(ctx, "k-nobody", used), store.ErrNotFound)
	if k, _, _ = s.APIKeyByHash(ctx, []byte("hash-1")); !k.LastUsedAt.Equal(used) {
		t.Errorf("LastUsedAt = %v, want %v (it never moves back)", k.LastUsedAt, used)
	}

	keys, err := s.ListAPIKeys(ctx, ann.ID)
	wantErr(t, "ListAPIKeys", err, nil)
	if len(keys) != 2 || keys[0].ID != "k1" || keys[1].ID != "k2" {
		t.Fatalf("ListAPIKeys = %+v, want k1, k2", keys)
	}

	revokes := []struct {
		name, user, id string
		want           error
	}{
		{"another user's key", "u-bob", "k1", store.ErrNotFound},
		{"unknown key", ann.ID, "k-nobody", store.ErrNotFound},
		{"own key", ann.ID, "k1", nil},
		{"own key again", ann.ID, "k1", nil},
	}
	for _, tc := range revokes {
		wantErr(t, "RevokeAPIKey "+tc.name, s.RevokeAPIKey(ctx, tc.user, tc.id), tc.want)
	}
	_, _, err = s.APIKeyByHash(ctx, []byte("hash-1"))
	wantErr(t, "APIKeyByHash revoked", err, store.ErrNotFound)
	if _, _, err = s.APIKeyByHash(ctx, []byte("hash-2")); err != nil {
		t.Fatalf("APIKeyByHash of the other key: %v", err)
	}
	keys, _ = s.ListAPIKeys(ctx, ann.ID)
	if len(keys) != 2 || keys[0].RevokedAt.IsZero() || !keys[1].RevokedAt.IsZero() {
		t.Errorf("after revoking k1, ListAPIKeys = %+v", keys)
	}
}

func sameKey(a, b store.APIKey) bool {
	return a.ID == b.ID && a.UserID == b.UserID && a.Name == b.Name && a.Prefix == b.Prefix &&
		bytes.Equal(a.Hash, b.Hash) && a.CreatedAt.Equal(b.CreatedAt) &&
		a.LastUsedAt.Equal(b.LastUsedAt) && a.RevokedAt.Equal(b.RevokedAt)
}

func testRefreshTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := mustUser(t, s, "u-ann", "ann@example.com")
	exp := base.Add(24 * time.Hour)
	tok := func(id, family string, expires time.Time) store.RefreshToken {
		return store.RefreshToken{ID: id, UserID: ann.ID, FamilyID: family, Hash: []byte("h-" + id), CreatedAt: base, ExpiresAt: expires}
	}
	for _, rt := range []store.RefreshToken{tok("t1", "f1", exp), tok("x1", "f2", exp), tok("old", "f3", base.Add(time.Minute))} {
		wantErr(t, "CreateRefreshToken "+rt.ID, s.CreateRefreshToken(ctx, rt), nil)
	}
	wantErr(t, "CreateRefreshToken taken hash", s.CreateRefreshToken(ctx, store.RefreshToken{ID: "t9", UserID: ann.ID, FamilyID: "f1", Hash: []byte("h-t1")}), store.ErrConflict)

	got, err := s.RefreshTokenByHash(ctx, []byte("h-t1"))
	wantErr(t, "RefreshTokenByHash", err, nil)
	if got.ID != "t1" || got.FamilyID != "f1" || got.UserID != ann.ID || !got.ExpiresAt.Equal(exp) || !got.RevokedAt.IsZero() {
		t.Fatalf("RefreshTokenByHash = %+v", got)
	}
	_, err = s.RefreshTokenByHash(ctx, []byte("h-none"))
	wantErr(t, "RefreshTokenByHash unknown", err, store.ErrNotFound)

	at := base.Add(time.Hour)
	rotations := []struct {
		name, old string
		next      store.RefreshToken
		want      error
	}{
		{"live token", "t1", tok("t2", "f1", exp), nil},
		{"the same token again", "t1", tok("t3", "f1", exp), store.ErrNotFound},
		{"expired token", "old", tok("old2", "f3", exp), store.ErrNotFound},
		{"unknown token", "nobody", tok("t4", "f1", exp), store.ErrNotFound},
	}
	for _, tc := range rotations {
		wantErr(t, "RotateRefreshToken "+tc.name, s.RotateRefreshToken(ctx, tc.old, tc.next, at), tc.want)
	}
	old, _ := s.RefreshTokenByHash(ctx, []byte("h-t1"))
	if !old.RevokedAt.Equal(at) || old.ReplacedBy != "t2" {
		t.Errorf("rotated token = %+v, want revoked at %v and replaced by t2", old, at)
	}
	// A failed rotation stores nothing.
	if _, err := s.RefreshTokenByHash(ctx, []byte("h-t3")); err == nil {
		t.Error("the token of a refused rotation was stored")
	}

	// Concurrent rotations of one token: exactly one wins.
	wantErr(t, "CreateRefreshToken race", s.CreateRefreshToken(ctx, tok("r0", "f4", exp)), nil)
	const racers = 8
	errs := make(chan error, racers)
	for i := range racers {
		go func() { errs <- s.RotateRefreshToken(ctx, "r0", tok(fmt.Sprintf("r1-%d", i), "f4", exp), at) }()
	}
	wins := 0
	for range racers {
		switch err := <-errs; {
		case err == nil:
			wins++
		case !errors.Is(err, store.ErrNotFound):
			t.Fatalf("racing RotateRefreshToken: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent rotations of one token succeeded, want 1", wins, racers)
	}

	// Reuse detection: the whole family goes, other families stay.
	revokedAt := at.Add(time.Minute)
	wantErr(t, "RevokeRefreshFamily", s.RevokeRefreshFamily(ctx, "f1", revokedAt), nil)
	wantErr(t, "RotateRefreshToken after family revocation", s.RotateRefreshToken(ctx, "t2", tok("t5", "f1", exp), revokedAt), store.ErrNotFound)
	checks := []struct {
		hash    string
		revoked time.Time
	}{
		{"h-t1", at}, // already revoked: keeps its time
		{"h-t2", revokedAt},
		{"h-x1", time.Time{}},
	}
	for _, c := range checks {
		rt, err := s.RefreshTokenByHash(ctx, []byte(c.hash))
		wantErr(t, "RefreshTokenByHash "+c.hash, err, nil)
		if !rt.RevokedAt.Equal(c.revoked) {
			t.Errorf("%s RevokedAt = %v, want %v", c.hash, rt.RevokedAt, c.revoked)
		}
	}
}

func testServiceAccounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := mustUser(t, s, "u-ann", "ann@example.com")
	sa := store.ServiceAccount{ID: "ml-pipeline-agent", OwnerID: ann.ID, SecretHash: "$argon2id$s", Scopes: []string{"offers:read", "alerts:write"}, Plan: "pro", CreatedAt: base}
	creates := []struct {
		name string
		a    store.ServiceAccount
		want error
	}{
		{"new", sa, nil},
		{"taken id", store.ServiceAccount{ID: "ml-pipeline-agent", OwnerID: ann.ID, Plan: "free"}, store.ErrConflict},
		{"unknown owner", store.ServiceAccount{ID: "orphan", OwnerID: "u-nobody", Plan: "free"}, store.ErrNotFound},
		{"no scopes", store.ServiceAccount{ID: "bare", OwnerID: ann.ID, Plan: "free", Disabled: true}, nil},
	}
	for _, tc := range creates {
		wantErr(t, "CreateServiceAccount "+tc.name, s.CreateServiceAccount(ctx, tc.a), tc.want)
	}
	got, err := s.ServiceAccountByID(ctx, sa.ID)
	wantErr(t, "ServiceAccountByID", err, nil)
	if got.ID != sa.ID || got.OwnerID != sa.OwnerID || got.SecretHash != sa.SecretHash || !slices.Equal(got.Scopes, sa.Scopes) ||
		got.Plan != sa.Plan || !got.CreatedAt.Equal(sa.CreatedAt) || got.Disabled {
		t.Errorf("ServiceAccountByID = %+v, want %+v", got, sa)
	}
	bare, err := s.ServiceAccountByID(ctx, "bare")
	wantErr(t, "ServiceAccountByID bare", err, nil)
	if len(bare.Scopes) != 0 || !bare.Disabled {
		t.Errorf("bare service account = %+v", bare)
	}
	_, err = s.ServiceAccountByID(ctx, "nobody")
	wantErr(t, "ServiceAccountByID unknown", err, store.ErrNotFound)
}
