// Package storetest is the repository test suite every store.Store
// implementation runs, so the PostgreSQL and embedded stores are held to
// exactly the same behaviour.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

// Run runs the whole suite. open must return a fresh, empty store and
// register its Close (and any other teardown) with t.Cleanup; subtests run
// in parallel, so open must be safe to call concurrently.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},
		{"Users", testUsers},
		{"APIKeys", testAPIKeys},
		{"RefreshTokens", testRefreshTokens},
		{"ServiceAccounts", testServiceAccounts},
		{"ServiceAccountOwnership", testServiceAccountOwnership},
		{"Favorites", testFavorites},
		{"Alerts", testAlerts},
		{"Alerting", testAlerting},
		{"Webhooks", testWebhooks},
		{"Deliveries", testDeliveries},
		{"Isolation", testIsolation},
		{"UpsertOffers", testUpsertOffers},
		{"DailyAggregation", testDailyAggregation},
		{"SyncProviderOffers", testSyncProviderOffers},
		{"PointsOrderAndLimit", testPointsOrderAndLimit},
		{"HistoryNeedsGPU", testHistoryNeedsGPU},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
	t.Run("DailyProperty", func(t *testing.T) {
		t.Parallel()
		testDailyProperty(t, open(t))
	})
}

// base is the suite's fixed clock: microsecond precision, which both
// stores keep exactly.
var base = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// mustUser creates a user with the given id and email.
func mustUser(t *testing.T, s store.Store, id, email string) store.User {
	t.Helper()
	u := store.User{ID: id, Email: email, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA", Plan: "free", CreatedAt: base}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", id, err)
	}
	return u
}

// wantErr fails unless err matches want (nil meaning success).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// offer builds a minimal valid offer; the instance price is eight GPUs'.
func offer(id, provider, gpuID, model string, perGPU float64) shared.Offer {
	return shared.Offer{
		ID: id, Provider: provider, InstanceType: "x8", GPUID: gpuID, GPUModel: model, GPUVendor: "NVIDIA",
		GPUCount: 8, PricePerHour: perGPU * 8, PricePerGPUHour: perGPU, Currency: "USD",
		Region: "us-east-1", NormalizedRegion: "us-east", Availability: shared.Available,
		ComplianceTags: []string{}, FetchedAt: base, Source: "test",
	}
}
