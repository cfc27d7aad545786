package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared/store"
)

// testDeliveries: the dispatcher's view of webhooks (every user's active
// ones with their secrets, any one by id, disabling once); delivery
// attempts recorded once each, a delivery's state following its latest
// attempt whatever order attempts finish in; deliveries paged newest first
// per webhook with their attempts oldest first, only to the webhook's
// owner; and a deleted webhook takes its deliveries along and records no
// more.
func testDeliveries(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := mustUser(t, s, "u-ann", "ann@example.com")
	bob := mustUser(t, s, "u-bob", "bob@example.com")
	hook := func(id, user string, i int) store.Webhook {
		return store.Webhook{ID: id, UserID: user, URL: "https://example.com/" + id, Events: []string{"price_alert", "test"},
			Secret: "whsec_" + id, CreatedAt: base.Add(time.Duration(i) * time.Second)}
	}
	hooks := []store.Webhook{hook("wh-a1", ann.ID, 0), hook("wh-b1", bob.ID, 1), hook("wh-a2", ann.ID, 2), hook("wh-b2", bob.ID, 3)}
	for _, w := range hooks {
		wantErr(t, "CreateWebhook "+w.ID, s.CreateWebhook(ctx, w), nil)
	}
	disabledAt := base.Add(time.Hour + 123*time.Microsecond)
	gone := hooks[2]
	gone.DisabledAt, gone.DisabledReason = disabledAt, "the receiver answered 410 Gone"

	for _, tc := range []struct {
		name, id string
		at       time.Time
		reason   string
		want     error
	}{
		{"first", gone.ID, disabledAt, gone.DisabledReason, nil},
		{"again keeps the first", gone.ID, disabledAt.Add(time.Hour), "another reason", nil},
		{"unknown", "wh-none", disabledAt, "x", store.ErrNotFound},
	} {
		wantErr(t, "DisableWebhook "+tc.name, s.DisableWebhook(ctx, tc.id, tc.at, tc.reason), tc.want)
	}

	active, err := s.ActiveWebhooks(ctx)
	wantErr(t, "ActiveWebhooks", err, nil)
	if want := []store.Webhook{hooks[0], hooks[1], hooks[3]}; !sameWebhooks(active, want) {
		t.Fatalf("ActiveWebhooks = %+v\nwant %+v", active, want)
	}
	for _, tc := range []struct {
		name, id string
		want     store.Webhook
		err      error
	}{
		{"active", "wh-b1", hooks[1], nil},
		{"disabled", gone.ID, gone, nil},
		{"unknown", "wh-none", store.Webhook{}, store.ErrNotFound},
	} {
		w, err := s.WebhookByID(ctx, tc.id)
		wantErr(t, "WebhookByID "+tc.name, err, tc.err)
		if tc.err == nil && !sameWebhook(w, tc.want) {
			t.Errorf("WebhookByID %s = %+v, want %+v", tc.name, w, tc.want)
		}
	}
	if ws, err := s.ListWebhooks(ctx, ann.ID); err != nil || !sameWebhooks(ws, []store.Webhook{hooks[0], gone}) {
		t.Fatalf("ListWebhooks(ann) = %+v, %v; want the disabled one with its time and reason", ws, err)
	}

	// Deliveries d1..d5 to wh-a1, d4 and d5 made at the same instant (the
	// id orders them); d9 to bob's wh-b1.
	delivery := func(id, webhook, user string, minute int) store.WebhookDelivery {
		return store.WebhookDelivery{ID: id, WebhookID: webhook, UserID: user, Event: "price_alert", EventID: "ev-" + id,
			CreatedAt: base.Add(time.Duration(minute) * time.Minute)}
	}
	// attempt is the record of attempt n of d ending in state: made n
	// minutes after d, the next one (when retrying) a minute later.
	type record struct {
		d store.WebhookDelivery
		a store.DeliveryAttempt
	}
	attempt := func(d store.WebhookDelivery, n int, state string, status int) record {
		at := d.CreatedAt.Add(time.Duration(n)*time.Minute + 7*time.Microsecond)
		d.State, d.UpdatedAt = state, at.Add(time.Duration(n)*time.Millisecond)
		if state == store.DeliveryRetrying {
			d.NextAttemptAt = at.Add(time.Minute)
		}
		a := store.DeliveryAttempt{N: n, Status: status, At: at, Took: time.Duration(1000*n+500) * time.Microsecond}
		if status != 200 {
			a.Error = fmt.Sprintf("the receiver answered %d", status)
		}
		return record{d, a}
	}
	d1, d2, d3 := delivery("d1", "wh-a1", ann.ID, 1), delivery("d2", "wh-a1", ann.ID, 2), delivery("d3", "wh-a1", ann.ID, 3)
	d4, d5 := delivery("d4", "wh-a1", ann.ID, 4), delivery("d5", "wh-a1", ann.ID, 4)
	d9, dg := delivery("d9", "wh-b1", bob.ID, 1), delivery("dg", gone.ID, ann.ID, 1)
	d3twice := attempt(d3, 2, store.DeliveryDelivered, 200)
	d3twice.a.Status, d3twice.a.Took = 204, time.Second // the attempt recorded first stays
	for _, tc := range []struct {
		name string
		r    record
		want error
	}{
		{"d1 first", attempt(d1, 1, store.DeliveryRetrying, 500), nil},
		{"d2 first", attempt(d2, 1, store.DeliveryRetrying, 0), nil},
		{"d3 first", attempt(d3, 1, store.DeliveryRetrying, 503), nil},
		{"d3 delivered", attempt(d3, 2, store.DeliveryDelivered, 200), nil},
		{"d3 delivered recorded twice", d3twice, nil},
		{"d4 first", attempt(d4, 1, store.DeliveryRetrying, 500), nil},
		{"d4 third before second", attempt(d4, 3, store.DeliveryDead, 500), nil},
		{"d4 second after third", attempt(d4, 2, store.DeliveryRetrying, 502), nil},
		{"d5 second before first", attempt(d5, 2, store.DeliveryDelivered, 200), nil},
		{"d5 first after second", attempt(d5, 1, store.DeliveryRetrying, 500), nil},
		{"d9 first", attempt(d9, 1, store.DeliveryRetrying, 500), nil},
		{"to a disabled webhook", attempt(dg, 1, store.DeliveryGone, 410), nil},
		{"to an unknown webhook", attempt(delivery("dx", "wh-none", ann.ID, 1), 1, store.DeliveryRetrying, 500), store.ErrNotFound},
	} {
		wantErr(t, "RecordAttempt "+tc.name, s.RecordAttempt(ctx, tc.r.d, tc.r.a), tc.want)
	}

	// want is d as listed once attempts 1, 2, ... ending in states with
	// statuses are recorded: its state is the last attempt's.
	want := func(d store.WebhookDelivery, states []string, statuses ...int) store.WebhookDelivery {
		var last record
		for i, st := range statuses {
			r := attempt(d, i+1, states[i], st)
			d.Attempts = append(d.Attempts, r.a)
			last = r
		}
		last.d.Attempts = d.Attempts
		return last.d
	}
	retry, done, dead := store.DeliveryRetrying, store.DeliveryDelivered, store.DeliveryDead
	wantD1 := want(d1, []string{retry}, 500)
	wantD2 := want(d2, []string{retry}, 0)
	wantD3 := want(d3, []string{retry, done}, 503, 200)
	wantD4 := want(d4, []string{retry, retry, dead}, 500, 502, 500)
	wantD5 := want(d5, []string{retry, done}, 500, 200)
	wantD9 := want(d9, []string{retry}, 500)

	for _, tc := range []struct {
		name          string
		user, webhook string
		before        string
		limit         int
		want          []store.WebhookDelivery
		err           error
	}{
		{"first page", ann.ID, "wh-a1", "", 2, []store.WebhookDelivery{wantD5, wantD4}, nil},
		{"next page", ann.ID, "wh-a1", "d4", 10, []store.WebhookDelivery{wantD3, wantD2, wantD1}, nil},
		{"past the last", ann.ID, "wh-a1", "d1", 10, []store.WebhookDelivery{}, nil},
		{"bob's", bob.ID, "wh-b1", "", 10, []store.WebhookDelivery{wantD9}, nil},
		{"cursor of another webhook", bob.ID, "wh-b1", "d4", 10, []store.WebhookDelivery{}, nil},
		{"none yet", bob.ID, "wh-b2", "", 10, []store.WebhookDelivery{}, nil},
		{"disabled webhook", ann.ID, gone.ID, "", 10, []store.WebhookDelivery{want(dg, []string{store.DeliveryGone}, 410)}, nil},
		{"another user's webhook", bob.ID, "wh-a1", "", 10, nil, store.ErrNotFound},
		{"another user's webhook, again", ann.ID, "wh-b1", "", 10, nil, store.ErrNotFound},
		{"unknown webhook", ann.ID, "wh-none", "", 10, nil, store.ErrNotFound},
	} {
		got, err := s.ListDeliveries(ctx, tc.user, tc.webhook, tc.before, tc.limit)
		wantErr(t, "ListDeliveries "+tc.name, err, tc.err)
		if tc.err == nil && !slices.EqualFunc(got, tc.want, sameDelivery) {
			t.Errorf("ListDeliveries %s =\n%+v\nwant\n%+v", tc.name, got, tc.want)
		}
	}

	wantErr(t, "DeleteWebhook", s.DeleteWebhook(ctx, ann.ID, "wh-a1"), nil)
	wantErr(t, "RecordAttempt to a deleted webhook", s.RecordAttempt(ctx, attempt(d1, 2, done, 200).d, attempt(d1, 2, done, 200).a),
		store.ErrNotFound)
	if _, err := s.ListDeliveries(ctx, ann.ID, "wh-a1", "", 10); err == nil {
		t.Fatal("ListDeliveries of a deleted webhook succeeded")
	}
	// A webhook made again under the same id starts with no deliveries.
	wantErr(t, "CreateWebhook again", s.CreateWebhook(ctx, hooks[0]), nil)
	if got, err := s.ListDeliveries(ctx, ann.ID, "wh-a1", "", 10); err != nil || len(got) != 0 {
		t.Fatalf("deliveries outlived their webhook: %+v, %v", got, err)
	}
	if got, err := s.ListDeliveries(ctx, bob.ID, "wh-b1", "", 10); err != nil || !slices.EqualFunc(got, []store.WebhookDelivery{wantD9}, sameDelivery) {
		t.Fatalf("bob's deliveries after ann's webhook went: %+v, %v", got, err)
	}
}

func sameWebhook(a, b store.Webhook) bool {
	return a.ID == b.ID && a.UserID == b.UserID && a.URL == b.URL && slices.Equal(a.Events, b.Events) && a.Secret == b.Secret &&
		a.CreatedAt.Equal(b.CreatedAt) && a.DisabledAt.Equal(b.DisabledAt) && a.DisabledReason == b.DisabledReason
}

func sameWebhooks(a, b []store.Webhook) bool { return slices.EqualFunc(a, b, sameWebhook) }

func sameDelivery(a, b store.WebhookDelivery) bool {
	return a.ID == b.ID && a.WebhookID == b.WebhookID && a.UserID == b.UserID && a.Event == b.Event && a.EventID == b.EventID &&
		a.State == b.State && a.NextAttemptAt.Equal(b.NextAttemptAt) && a.CreatedAt.Equal(b.CreatedAt) &&
		a.UpdatedAt.Equal(b.UpdatedAt) && slices.EqualFunc(a.Attempts, b.Attempts, func(x, y store.DeliveryAttempt) bool {
		return x.N == y.N && x.Status == y.Status && x.Error == y.Error && x.At.Equal(y.At) && x.Took == y.Took
	})
}
