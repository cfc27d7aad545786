package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared/store"
)

func testFavorites(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := mustUser(t, s, "u-ann", "ann@example.com")
	adds := []struct {
		name string
		f    store.Favorite
		want error
	}{
		{"first", store.Favorite{UserID: ann.ID, OfferID: "aws:p5", CreatedAt: base}, nil},
		{"second", store.Favorite{UserID: ann.ID, OfferID: "runpod:h100", CreatedAt: base.Add(time.Second)}, nil},
		{"again (idempotent)", store.Favorite{UserID: ann.ID, OfferID: "aws:p5", CreatedAt: base.Add(time.Hour)}, nil},
		{"unknown user", store.Favorite{UserID: "u-nobody", OfferID: "aws:p5"}, store.ErrNotFound},
	}
	for _, tc := range adds {
		wantErr(t, "AddFavorite "+tc.name, s.AddFavorite(ctx, tc.f), tc.want)
	}
	favs, err := s.ListFavorites(ctx, ann.ID)
	wantErr(t, "ListFavorites", err, nil)
	if len(favs) != 2 || favs[0].OfferID != "aws:p5" || !favs[0].CreatedAt.Equal(base) || favs[1].OfferID != "runpod:h100" {
		t.Fatalf("ListFavorites = %+v", favs)
	}
	wantErr(t, "DeleteFavorite", s.DeleteFavorite(ctx, ann.ID, "aws:p5"), nil)
	wantErr(t, "DeleteFavorite again", s.DeleteFavorite(ctx, ann.ID, "aws:p5"), store.ErrNotFound)
	if favs, _ = s.ListFavorites(ctx, ann.ID); len(favs) != 1 {
		t.Errorf("after delete ListFavorites = %+v", favs)
	}
}

func testAlerts(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := mustUser(t, s, "u-ann", "ann@example.com")
	a1 := store.Alert{ID: "a1", UserID: ann.ID, GPUType: "H100", MaxPrice: 2.25, Region: "us-east", Provider: "aws", CreatedAt: base}
	a2 := store.Alert{ID: "a2", UserID: ann.ID, GPUType: "A100", MaxPrice: 1.5, CreatedAt: base.Add(time.Minute)}
	creates := []struct {
		name string
		a    store.Alert
		want error
	}{
		{"full", a1, nil},
		{"optional fields empty", a2, nil},
		{"taken id", store.Alert{ID: "a1", UserID: ann.ID, GPUType: "L4"}, store.ErrConflict},
		{"unknown user", store.Alert{ID: "a3", UserID: "u-nobody", GPUType: "L4"}, store.ErrNotFound},
	}
	for _, tc := range creates {
		wantErr(t, "CreateAlert "+tc.name, s.CreateAlert(ctx, tc.a), tc.want)
	}
	got, err := s.ListAlerts(ctx, ann.ID)
	wantErr(t, "ListAlerts", err, nil)
	if len(got) != 2 || !sameAlert(got[0], a1) || !sameAlert(got[1], a2) {
		t.Fatalf("ListAlerts = %+v, want %+v, %+v", got, a1, a2)
	}
	wantErr(t, "DeleteAlert", s.DeleteAlert(ctx, ann.ID, "a1"), nil)
	wantErr(t, "DeleteAlert again", s.DeleteAlert(ctx, ann.ID, "a1"), store.ErrNotFound)
	if got, _ = s.ListAlerts(ctx, ann.ID); len(got) != 1 || got[0].ID != "a2" {
		t.Errorf("after delete ListAlerts = %+v", got)
	}
}

func sameAlert(a, b store.Alert) bool {
	return a.ID == b.ID && a.UserID == b.UserID && a.GPUType == b.GPUType && a.MaxPrice == b.MaxPrice &&
		a.Region == b.Region && a.Provider == b.Provider && a.CreatedAt.Equal(b.CreatedAt)
}

func testWebhooks(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := mustUser(t, s, "u-ann", "ann@example.com")
	w1 := store.Webhook{ID: "w1", UserID: ann.ID, URL: "https://example.com/hook", Events: []string{"price.drop", "alert.fired"}, Secret: "whsec_1", CreatedAt: base}
	creates := []struct {
		name string
		w    store.Webhook
		want error
	}{
		{"new", w1, nil},
		{"no events", store.Webhook{ID: "w2", UserID: ann.ID, URL: "https://example.com/2", Secret: "whsec_2", CreatedAt: base.Add(time.Second)}, nil},
		{"taken id", store.Webhook{ID: "w1", UserID: ann.ID, URL: "https://example.com/3"}, store.ErrConflict},
		{"unknown user", store.Webhook{ID: "w4", UserID: "u-nobody", URL: "https://example.com/4"}, store.ErrNotFound},
	}
	for _, tc := range creates {
		wantErr(t, "CreateWebhook "+tc.name, s.CreateWebhook(ctx, tc.w), tc.want)
	}
	got, err := s.ListWebhooks(ctx, ann.ID)
	wantErr(t, "ListWebhooks", err, nil)
	if len(got) != 2 {
		t.Fatalf("ListWebhooks = %+v, want 2", got)
	}
	if g := got[0]; g.ID != w1.ID || g.UserID != w1.UserID || g.URL != w1.URL || !slices.Equal(g.Events, w1.Events) ||
		g.Secret != w1.Secret || !g.CreatedAt.Equal(w1.CreatedAt) {
		t.Errorf("ListWebhooks[0] = %+v, want %+v", g, w1)
	}
	if len(got[1].Events) != 0 {
		t.Errorf("webhook without events lists %v", got[1].Events)
	}
	wantErr(t, "DeleteWebhook", s.DeleteWebhook(ctx, ann.ID, "w1"), nil)
	wantErr(t, "DeleteWebhook again", s.DeleteWebhook(ctx, ann.ID, "w1"), store.ErrNotFound)
}

// testIsolation runs, for every resource a user owns, the matrix: what A
// creates B can neither list nor delete (ErrNotFound, exactly like a
// missing id), and A still can.
func testIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := mustUser(t, s, "u-a", "a@example.com").ID
	b := mustUser(t, s, "u-b", "b@example.com").ID
	resources := []struct {
		name   string
		create func(user string) (id string, err error)
		list   func(user string) (ids []string, err error)
		delete func(user, id string) error
	}{
		{
			name: "favorite",
			create: func(u string) (string, error) {
				return "aws:p5", s.AddFavorite(ctx, store.Favorite{UserID: u, OfferID: "aws:p5", CreatedAt: base})
			},
			list: func(u string) ([]string, error) {
				fs, err := s.ListFavorites(ctx, u)
				return ids(fs, func(f store.Favorite) string { return f.OfferID }), err
			},
			delete: func(u, id string) error { return s.DeleteFavorite(ctx, u, id) },
		},
		{
			name: "alert",
			create: func(u string) (string, error) {
				return "alert-of-a", s.CreateAlert(ctx, store.Alert{ID: "alert-of-a", UserID: u, GPUType: "H100", MaxPrice: 2, CreatedAt: base})
			},
			list: func(u string) ([]string, error) {
				as, err := s.ListAlerts(ctx, u)
				return ids(as, func(a store.Alert) string { return a.ID }), err
			},
			delete: func(u, id string) error { return s.DeleteAlert(ctx, u, id) },
		},
		{
			name: "webhook",
			create: func(u string) (string, error) {
				return "hook-of-a", s.CreateWebhook(ctx, store.Webhook{ID: "hook-of-a", UserID: u, URL: "https://a.example", Secret: "s", CreatedAt: base})
			},
			list: func(u string) ([]string, error) {
				ws, err := s.ListWebhooks(ctx, u)
				return ids(ws, func(w store.Webhook) string { return w.ID }), err
			},
			delete: func(u, id string) error { return s.DeleteWebhook(ctx, u, id) },
		},
		{
			name: "api key",
			create: func(u string) (string, error) {
				return "key-of-a", s.CreateAPIKey(ctx, store.APIKey{ID: "key-of-a", UserID: u, Name: "k", Hash: []byte("key-of-a"), CreatedAt: base})
			},
			list: func(u string) ([]string, error) {
				ks, err := s.ListAPIKeys(ctx, u)
				return ids(ks, func(k store.APIKey) string { return k.ID }), err
			},
			delete: func(u, id string) error { return s.RevokeAPIKey(ctx, u, id) },
		},
	}
	for _, r := range resources {
		id, err := r.create(a)
		wantErr(t, r.name+": A creates", err, nil)
		bIDs, err := r.list(b)
		wantErr(t, r.name+": B lists", err, nil)
		if len(bIDs) != 0 {
			t.Errorf("%s: B lists %v, want nothing", r.name, bIDs)
		}
		wantErr(t, r.name+": B deletes A's", r.delete(b, id), store.ErrNotFound)
		wantErr(t, r.name+": B deletes a missing one", r.delete(b, "missing"), store.ErrNotFound)
		aIDs, err := r.list(a)
		wantErr(t, r.name+": A lists", err, nil)
		if !slices.Equal(aIDs, []string{id}) {
			t.Errorf("%s: after B's delete A lists %v, want [%s]", r.name, aIDs, id)
		}
		wantErr(t, r.name+": A deletes", r.delete(a, id), nil)
	}
	// A's own revoke took effect.
	if _, _, err := s.APIKeyByHash(ctx, []byte("key-of-a")); err == nil {
		t.Error("A's revoked key is still found")
	}
}

func ids[T any](rows []T, id func(T) string) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, id(r))
	}
	return out
}
