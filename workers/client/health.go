package client

import (
	"errors"
	"sync"
	"time"
)

// ProviderHealth is what one process has observed of a provider through
// its own fetches.
type ProviderHealth struct {
	Name          string    `json:"name"`
	Status        string    `json:"status"` // healthy | unhealthy | unknown
	LastSuccess   time.Time `json:"last_success,omitzero"`
	LastError     string    `json:"last_error,omitempty"` // the public reason, without the provider or kind
	LastErrorKind string    `json:"last_error_kind,omitempty"`
	LastErrorAt   time.Time `json:"last_error_at,omitzero"`
	LatencyMS     int64     `json:"latency_ms"`
	Offers        int       `json:"offers"`
	Failures      int       `json:"consecutive_failures"`
}

// HealthBook records the outcome of every fetch of a provider.
type HealthBook struct {
	mu sync.Mutex
	by map[string]*ProviderHealth
}

// NewHealthBook starts every provider as unknown.
func NewHealthBook(providers []string) *HealthBook {
	h := &HealthBook{by: map[string]*ProviderHealth{}}
	for _, p := range providers {
		h.by[p] = &ProviderHealth{Name: p, Status: "unknown"}
	}
	return h
}

// Record notes one fetch: its error (nil on success), how long it took and
// how many offers it brought.
func (h *HealthBook) Record(provider string, err error, latency time.Duration, offers int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ph, ok := h.by[provider]
	if !ok {
		ph = &ProviderHealth{Name: provider}
		h.by[provider] = ph
	}
	ph.LatencyMS = latency.Milliseconds()
	now := time.Now().UTC()
	if err != nil {
		ph.Status = "unhealthy"
		ph.Failures++
		ph.LastError, ph.LastErrorKind, ph.LastErrorAt = err.Error(), "", now
		var fe *FetchError
		if errors.As(err, &fe) {
			ph.LastError, ph.LastErrorKind = fe.Message, fe.Kind
		}
		return
	}
	ph.Status, ph.Failures, ph.LastSuccess, ph.Offers = "healthy", 0, now, offers
}

// Snapshot returns the providers in the given order.
func (h *HealthBook) Snapshot(order []string) []ProviderHealth {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]ProviderHealth, 0, len(order))
	for _, p := range order {
		if ph, ok := h.by[p]; ok {
			out = append(out, *ph)
		}
	}
	return out
}
