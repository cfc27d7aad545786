package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared/store"
)

// Service-account names are unique per owner only, listing never reads
// secret hashes, and one owner can neither list nor delete another's.
func testServiceAccountOwnership(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := mustUser(t, s, "u-ann", "ann@example.com")
	bob := mustUser(t, s, "u-bob", "bob@example.com")
	creates := []struct {
		name string
		a    store.ServiceAccount
		want error
	}{
		{"ann's agent", store.ServiceAccount{ID: "svc-a1", Name: "agent", OwnerID: ann.ID, SecretHash: "$argon2id$a1",
			Scopes: []string{"offers:read"}, Plan: "pro", CreatedAt: base}, nil},
		{"ann's second", store.ServiceAccount{ID: "svc-a2", Name: "reporter", OwnerID: ann.ID, SecretHash: "$argon2id$a2",
			Scopes: []string{"analytics:read"}, Plan: "pro", CreatedAt: base.Add(time.Second)}, nil},
		{"ann's name again", store.ServiceAccount{ID: "svc-a3", Name: "agent", OwnerID: ann.ID, Plan: "pro"}, store.ErrConflict},
		{"bob, same name", store.ServiceAccount{ID: "svc-b1", Name: "agent", OwnerID: bob.ID, SecretHash: "$argon2id$b1",
			Scopes: []string{"alerts:read"}, Plan: "free", CreatedAt: base}, nil},
		{"no name is the id", store.ServiceAccount{ID: "legacy-agent", OwnerID: bob.ID, Plan: "free", CreatedAt: base.Add(2 * time.Second)}, nil},
	}
	for _, tc := range creates {
		wantErr(t, "CreateServiceAccount "+tc.name, s.CreateServiceAccount(ctx, tc.a), tc.want)
	}
	if a, err := s.ServiceAccountByID(ctx, "svc-b1"); err != nil || a.Name != "agent" || a.OwnerID != bob.ID {
		t.Fatalf("ServiceAccountByID(svc-b1) = %+v, %v", a, err)
	}
	if a, err := s.ServiceAccountByID(ctx, "legacy-agent"); err != nil || a.Name != "legacy-agent" {
		t.Fatalf("ServiceAccountByID(legacy-agent) = %+v, %v", a, err)
	}

	ids := func(owner string) []string {
		t.Helper()
		list, err := s.ListServiceAccounts(ctx, owner)
		wantErr(t, "ListServiceAccounts "+owner, err, nil)
		out := make([]string, 0, len(list))
		for _, a := range list {
			if a.SecretHash != "" || a.OwnerID != owner {
				t.Errorf("ListServiceAccounts(%s) row %+v: secret hash read or wrong owner", owner, a)
			}
			out = append(out, a.ID+"="+a.Name+":"+strings.Join(a.Scopes, ","))
		}
		return out
	}
	for _, tc := range []struct {
		owner string
		want  []string
	}{
		{ann.ID, []string{"svc-a1=agent:offers:read", "svc-a2=reporter:analytics:read"}},
		{bob.ID, []string{"svc-b1=agent:alerts:read", "legacy-agent=legacy-agent:"}},
		{"u-nobody", []string{}},
	} {
		if got := ids(tc.owner); !slices.Equal(got, tc.want) {
			t.Errorf("ListServiceAccounts(%s) = %v, want %v", tc.owner, got, tc.want)
		}
	}

	deletes := []struct {
		name, owner, id string
		want            error
	}{
		{"bob deletes ann's", bob.ID, "svc-a1", store.ErrNotFound},
		{"unknown id", ann.ID, "svc-nobody", store.ErrNotFound},
		{"ann deletes hers", ann.ID, "svc-a1", nil},
		{"twice", ann.ID, "svc-a1", store.ErrNotFound},
	}
	for _, tc := range deletes {
		wantErr(t, "DeleteServiceAccount "+tc.name, s.DeleteServiceAccount(ctx, tc.owner, tc.id), tc.want)
	}
	_, err := s.ServiceAccountByID(ctx, "svc-a1")
	wantErr(t, "ServiceAccountByID after delete", err, store.ErrNotFound)
	if got := ids(ann.ID); !slices.Equal(got, []string{"svc-a2=reporter:analytics:read"}) {
		t.Errorf("ann after delete = %v", got)
	}
	if got := ids(bob.ID); len(got) != 2 {
		t.Errorf("bob after ann's delete = %v", got)
	}
	// The name is free again once its account is gone.
	wantErr(t, "CreateServiceAccount reused name", s.CreateServiceAccount(ctx,
		store.ServiceAccount{ID: "svc-a4", Name: "agent", OwnerID: ann.ID, Plan: "pro", CreatedAt: base}), nil)
}
