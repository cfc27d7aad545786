package storetest

import (
	"context"
	"testing"

	"github.com/gpubroker/gpubroker/shared/store"
)

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := store.User{ID: "u-ann", Email: "Ann@Example.COM", PasswordHash: "$argon2id$x", Plan: "pro", CreatedAt: base, Disabled: true}
	wantErr(t, "CreateUser", s.CreateUser(ctx, ann), nil)

	creates := []struct {
		name string
		u    store.User
		want error
	}{
		{"same email", store.User{ID: "u-2", Email: "Ann@Example.COM", Plan: "free"}, store.ErrConflict},
		{"email in another case", store.User{ID: "u-3", Email: "ann@example.com", Plan: "free"}, store.ErrConflict},
		{"same id", store.User{ID: "u-ann", Email: "other@example.com", Plan: "free"}, store.ErrConflict},
		{"new user", store.User{ID: "u-bob", Email: "bob@example.com", Plan: "free"}, nil},
	}
	for _, tc := range creates {
		wantErr(t, "CreateUser "+tc.name, s.CreateUser(ctx, tc.u), tc.want)
	}

	want := ann
	want.Email = "ann@example.com"
	lookups := []struct {
		name string
		get  func() (store.User, error)
		want error
	}{
		{"by email", func() (store.User, error) { return s.UserByEmail(ctx, "ann@example.com") }, nil},
		{"by email in another case", func() (store.User, error) { return s.UserByEmail(ctx, "ANN@example.Com") }, nil},
		{"by id", func() (store.User, error) { return s.UserByID(ctx, "u-ann") }, nil},
		{"unknown email", func() (store.User, error) { return s.UserByEmail(ctx, "nobody@example.com") }, store.ErrNotFound},
		{"unknown id", func() (store.User, error) { return s.UserByID(ctx, "u-nobody") }, store.ErrNotFound},
	}
	for _, tc := range lookups {
		got, err := tc.get()
		wantErr(t, "lookup "+tc.name, err, tc.want)
		if tc.want == nil && !sameUser(got, want) {
			t.Errorf("lookup %s = %+v, want %+v", tc.name, got, want)
		}
	}

	// An empty id is filled in, and the row is findable by email.
	wantErr(t, "CreateUser without id", s.CreateUser(ctx, store.User{Email: "cy@example.com", Plan: "free"}), nil)
	cy, err := s.UserByEmail(ctx, "cy@example.com")
	wantErr(t, "UserByEmail cy", err, nil)
	if len(cy.ID) != 36 || cy.CreatedAt.IsZero() {
		t.Errorf("generated user = %+v, want a UUID and a creation time", cy)
	}
}

func sameUser(a, b store.User) bool {
	return a.ID == b.ID && a.Email == b.Email && a.PasswordHash == b.PasswordHash && a.Plan == b.Plan &&
		a.CreatedAt.Equal(b.CreatedAt) && a.Disabled == b.Disabled
}
