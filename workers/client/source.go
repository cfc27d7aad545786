package client

import (
	"context"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// Source is where a provider's offers come from: in a cell, the provider's
// worker queue group over NATS (NATS); in unit tests, a fake.
type Source interface {
	// Fetch returns one provider's current offers, honouring ctx's
	// deadline. Errors are *FetchError.
	Fetch(ctx context.Context, provider string, ids shared.RequestIDs) (ProviderOffers, error)
	// Healthy reports whether the source can reach the workers at all.
	Healthy() bool
	// Replicas lists a provider's known worker replicas with their
	// circuit-breaker state and load-balancing weight.
	Replicas(provider string) []ReplicaStatus
}

// ProviderOffers is one provider's answer.
type ProviderOffers struct {
	Offers    []shared.Offer
	FetchedAt time.Time     // when the worker fetched them upstream
	Upstream  time.Duration // how long the upstream call took
}

// Fetch error kinds beyond the worker's own (shared.ErrKind*).
const (
	KindNoWorkers = "no_workers"
	KindBadReply  = "bad_reply"
)

// FetchError says why a provider could not be fetched. Message is the
// worker's public reason (no upstream URLs or bodies), safe to show callers.
type FetchError struct {
	Provider string
	Kind     string
	Message  string
}

func (e *FetchError) Error() string { return e.Provider + ": " + e.Kind + ": " + e.Message }
