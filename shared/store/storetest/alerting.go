package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared/store"
)

// testAlerting: every alert for the evaluator; a firing recorded once per
// notification id with its pair marked fired; re-arming; notifications
// paged newest first per user, never another user's; an alert deleted
// before its firing is recorded is ErrNotFound, and deleting an alert
// forgets its firings.
func testAlerting(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := mustUser(t, s, "u-ann", "ann@example.com")
	bob := mustUser(t, s, "u-bob", "bob@example.com")
	for _, a := range []store.Alert{
		{ID: "a1", UserID: ann.ID, GPUType: "H100", MaxPrice: 2, CreatedAt: base},
		{ID: "a2", UserID: bob.ID, GPUType: "A100", MaxPrice: 1, CreatedAt: base.Add(time.Second)},
	} {
		wantErr(t, "CreateAlert", s.CreateAlert(ctx, a), nil)
	}
	all, err := s.AllAlerts(ctx)
	wantErr(t, "AllAlerts", err, nil)
	if len(all) != 2 || all[0].ID != "a1" || all[1].ID != "a2" || all[1].UserID != bob.ID {
		t.Fatalf("AllAlerts = %+v", all)
	}
	note := func(i int, user, alert, offer string) store.Notification {
		return store.Notification{ID: fmt.Sprint("n", i), UserID: user, Kind: "price_alert", AlertID: alert, OfferID: offer,
			Provider: "vastai", GPU: "nvidia-h100-sxm-80gb", Region: "us-east", Price: 1.5, MaxPrice: 2, EventID: fmt.Sprint("e", i),
			CreatedAt: base.Add(time.Duration(i) * time.Minute)}
	}
	for i := 1; i <= 5; i++ {
		created, err := s.RecordFiring(ctx, note(i, ann.ID, "a1", fmt.Sprint("o", i)))
		if err != nil || !created {
			t.Fatalf("RecordFiring %d: %v, %v", i, created, err)
		}
	}
	if created, err := s.RecordFiring(ctx, note(3, ann.ID, "a1", "o3")); err != nil || created {
		t.Fatalf("RecordFiring again: created %v, %v", created, err)
	}
	if _, err := s.RecordFiring(ctx, note(9, bob.ID, "a2", "o9")); err != nil {
		t.Fatal(err)
	}
	firings, err := s.AlertFirings(ctx)
	wantErr(t, "AlertFirings", err, nil)
	if len(firings) != 6 || !slices.Contains(firings, store.AlertFiring{AlertID: "a1", OfferID: "o3"}) {
		t.Fatalf("AlertFirings = %+v", firings)
	}
	wantErr(t, "Rearm", s.Rearm(ctx, "a1", "o3"), nil)
	wantErr(t, "Rearm again", s.Rearm(ctx, "a1", "o3"), nil)
	if firings, _ = s.AlertFirings(ctx); slices.Contains(firings, store.AlertFiring{AlertID: "a1", OfferID: "o3"}) {
		t.Fatalf("o3 still fired after Rearm: %+v", firings)
	}
	page, err := s.ListNotifications(ctx, ann.ID, "", 2)
	wantErr(t, "ListNotifications", err, nil)
	if len(page) != 2 || page[0].ID != "n5" || page[1].ID != "n4" || page[0].Price != 1.5 || !page[0].CreatedAt.Equal(base.Add(5*time.Minute)) ||
		page[0].EventID != "e5" || page[0].AlertID != "a1" || page[0].Kind != "price_alert" {
		t.Fatalf("first page %+v", page)
	}
	page, _ = s.ListNotifications(ctx, ann.ID, "n4", 10)
	if len(page) != 3 || page[0].ID != "n3" || page[2].ID != "n1" {
		t.Fatalf("second page %+v", page)
	}
	if page, _ = s.ListNotifications(ctx, bob.ID, "", 10); len(page) != 1 || page[0].ID != "n9" {
		t.Fatalf("bob's notifications %+v", page)
	}
	if page, _ = s.ListNotifications(ctx, bob.ID, "n4", 10); len(page) != 0 {
		t.Fatalf("bob paged from ann's notification: %+v", page)
	}
	wantErr(t, "DeleteAlert", s.DeleteAlert(ctx, ann.ID, "a1"), nil)
	if _, err := s.RecordFiring(ctx, note(10, ann.ID, "a1", "o1")); err != store.ErrNotFound {
		t.Fatalf("firing a deleted alert: %v", err)
	}
	if firings, _ = s.AlertFirings(ctx); len(firings) != 1 {
		t.Fatalf("firings of a deleted alert kept: %+v", firings)
	}
	if page, _ = s.ListNotifications(ctx, ann.ID, "", 10); len(page) != 5 {
		t.Fatalf("notifications went with the alert: %d", len(page))
	}
}
