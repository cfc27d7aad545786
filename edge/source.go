package edge

import (
	"context"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// OfferSource is where the edge gets a provider's offers: in a cell, the
// provider's worker queue group over NATS.
type OfferSource interface {
	// Fetch returns one provider's current offers, honouring ctx's
	// deadline. Errors are *FetchError.
	Fetch(ctx context.Context, provider string, ids RequestIDs) (ProviderOffers, error)
	// Healthy reports whether the source can reach the workers at all.
	Healthy() bool
	// Replicas lists a provider's known worker replicas with their
	// circuit-breaker state and load-balancing weight.
	Replicas(provider string) []ReplicaStatus
}

// RequestIDs travel with every internal call for log correlation.
type RequestIDs struct {
	RequestID string
	TraceID   string
}

// ProviderOffers is one provider's answer.
type ProviderOffers struct {
	Offers    []shared.Offer
	FetchedAt time.Time     // when the worker fetched them upstream
	Upstream  time.Duration // how long the upstream call took
}

// Fetch error kinds beyond the worker's own (shared.ErrKind*).
const (
	errKindNoWorkers = "no_workers"
	errKindBadReply  = "bad_reply"
)

// FetchError says why a provider could not be fetched.
type FetchError struct {
	Provider string
	Kind     string
	Message  string
}

func (e *FetchError) Error() string { return e.Provider + ": " + e.Kind + ": " + e.Message }
