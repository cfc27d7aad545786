package edge

import (
	"errors"
	"sync"
	"time"
)

// providerHealth is what the edge has observed of one provider.
type providerHealth struct {
	Name          string    `json:"name"`
	Status        string    `json:"status"` // healthy | unhealthy | unknown
	LastSuccess   time.Time `json:"last_success,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	LastErrorKind string    `json:"last_error_kind,omitempty"`
	LastErrorAt   time.Time `json:"last_error_at,omitzero"`
	LatencyMS     int64     `json:"latency_ms"`
	Offers        int       `json:"offers"`
	Failures      int       `json:"consecutive_failures"`
}

// healthBook records the outcome of every provider call.
type healthBook struct {
	mu sync.Mutex
	by map[string]*providerHealth
}

func newHealthBook(providers []string) *healthBook {
	h := &healthBook{by: map[string]*providerHealth{}}
	for _, p := range providers {
		h.by[p] = &providerHealth{Name: p, Status: "unknown"}
	}
	return h
}

func (h *healthBook) record(provider string, err error, latency time.Duration, offers int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ph, ok := h.by[provider]
	if !ok {
		ph = &providerHealth{Name: provider}
		h.by[provider] = ph
	}
	ph.LatencyMS = latency.Milliseconds()
	now := time.Now().UTC()
	if err != nil {
		ph.Status = "unhealthy"
		ph.Failures++
		ph.LastError, ph.LastErrorAt = err.Error(), now
		var fe *FetchError
		if errors.As(err, &fe) {
			ph.LastErrorKind = fe.Kind
		}
		return
	}
	ph.Status, ph.Failures, ph.LastSuccess, ph.Offers = "healthy", 0, now, offers
}

// snapshot returns the providers in the given order.
func (h *healthBook) snapshot(order []string) []providerHealth {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]providerHealth, 0, len(order))
	for _, p := range order {
		if ph, ok := h.by[p]; ok {
			out = append(out, *ph)
		}
	}
	return out
}
