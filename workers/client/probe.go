package client

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// ProbeResult is one provider's answer to a probe.
type ProbeResult struct {
	Provider  string `json:"provider"`
	Healthy   bool   `json:"healthy"`
	Offers    int    `json:"offers"`
	LatencyMS int64  `json:"latency_ms"`
	// ErrorKind and Error say why a probe failed (the worker's public
	// reason, never upstream detail).
	ErrorKind string `json:"error_kind,omitempty"`
	Error     string `json:"error,omitempty"`
	// Replicas are the provider's live worker replicas after the probe,
	// as the load balancer weighs them.
	Replicas int `json:"replicas"`
}

// Probe has one worker of every provider call its provider now, in
// parallel: each probe goes upstream (the worker's single flight, not a
// cache), updates that worker's breaker and health, and so the heartbeats
// the load balancer weighs replicas by.
func (n *NATS) Probe(ctx context.Context, providers []string) []ProbeResult {
	out := make([]ProbeResult, len(providers))
	var wg sync.WaitGroup
	for i, p := range providers {
		wg.Go(func() {
			start := time.Now()
			po, err := n.Fetch(ctx, p, shared.RequestIDs{})
			r := ProbeResult{Provider: p, LatencyMS: time.Since(start).Milliseconds(), Healthy: err == nil, Offers: len(po.Offers)}
			var fe *FetchError
			switch {
			case errors.As(err, &fe):
				r.ErrorKind, r.Error = fe.Kind, fe.Message
			case err != nil:
				r.ErrorKind, r.Error = shared.ErrKindInternal, err.Error()
			}
			r.Replicas = len(n.Replicas(p))
			out[i] = r
		})
	}
	wg.Wait()
	return out
}
