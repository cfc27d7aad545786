package client

import (
	"sort"
	"sync"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// Weights of a worker replica, from its heartbeat and from what this edge
// observes (the seeds' Requirement 5).
const (
	slowLatency      = 2 * time.Second // average upstream latency above this halves the weight
	halfOpenWeight   = 0.1             // a half-open breaker gets a trickle of trial calls
	failuresToShun   = 3               // consecutive failures seen by this edge zero the weight
	shunFor          = 10 * time.Second
	staleHeartbeats  = 3 // heartbeats missed before a replica is forgotten
	defaultHeartbeat = 5 * time.Second
)

// replica is one worker instance of a provider.
type replica struct {
	status   shared.WorkerStatus
	seen     time.Time // when its last heartbeat arrived
	fails    int       // consecutive failures observed by this edge
	shunned  time.Time // zero weight until then
	current  float64   // smooth weighted round-robin state
	inFlight int
}

func (r *replica) weight(now time.Time) float64 {
	if now.Before(r.shunned) {
		return 0
	}
	w := 1.0
	switch r.status.Breaker {
	case "open":
		if r.status.RetryAt.IsZero() || now.Before(r.status.RetryAt) {
			return 0
		}
		w = halfOpenWeight // its open period is over: the next call is a trial
	case "half_open":
		w = halfOpenWeight
	}
	if time.Duration(r.status.LatencyMS*float64(time.Millisecond)) > slowLatency {
		w *= 0.5
	}
	return w
}

// balancer picks, per provider, the worker replica to ask: smooth weighted
// round-robin (as in nginx) over the replicas' health weights, so traffic
// splits in proportion to the weights with no bursts. With no heartbeat
// known, requests go to the provider's queue group and NATS picks.
type balancer struct {
	cell       string
	maxPerRepl int // concurrent requests per replica from this edge
	mu         sync.Mutex
	pools      map[string]map[string]*replica // provider -> replica id -> replica
	now        func() time.Time
}

func newBalancer(cell string, maxPerReplica int, now func() time.Time) *balancer {
	return &balancer{cell: cell, maxPerRepl: maxPerReplica, pools: map[string]map[string]*replica{}, now: now}
}

// observe records a heartbeat.
func (b *balancer) observe(st shared.WorkerStatus) {
	if !shared.ValidName(st.Provider) || !shared.ValidName(st.Replica) {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	pool := b.pools[st.Provider]
	if pool == nil {
		pool = map[string]*replica{}
		b.pools[st.Provider] = pool
	}
	r := pool[st.Replica]
	if r == nil {
		r = &replica{}
		pool[st.Replica] = r
	}
	r.status, r.seen = st, b.now()
}

// pick chooses a replica and returns the subject to send to and a release
// func to report the outcome. healthy is false when replicas are known and
// every one of them has weight zero: the provider should not be asked.
func (b *balancer) pick(provider string) (subject string, release func(ok bool), healthy bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	var (
		total float64
		best  *replica
		known bool
	)
	for id, r := range b.pools[provider] {
		if now.Sub(r.seen) > staleHeartbeats*r.interval() {
			delete(b.pools[provider], id)
			continue
		}
		known = true
		w := r.weight(now)
		if w <= 0 || r.inFlight >= b.maxPerRepl {
			continue
		}
		r.current += w
		total += w
		if best == nil || r.current > best.current {
			best = r
		}
	}
	if best == nil {
		if known && !b.anyWeight(provider, now) {
			return "", nil, false
		}
		// No heartbeat yet, or every healthy replica is at its cap: let
		// the queue group decide.
		return shared.OffersSubject(b.cell, provider), func(bool) {}, true
	}
	best.current -= total
	best.inFlight++
	r := best
	return shared.ReplicaSubject(b.cell, provider, r.status.Replica), func(ok bool) { b.release(r, ok) }, true
}

func (b *balancer) anyWeight(provider string, now time.Time) bool {
	for _, r := range b.pools[provider] {
		if r.weight(now) > 0 {
			return true
		}
	}
	return false
}

func (b *balancer) release(r *replica, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r.inFlight--
	if ok {
		r.fails = 0
		return
	}
	r.fails++
	if r.fails >= failuresToShun {
		r.shunned, r.fails = b.now().Add(shunFor), 0
	}
}

func (r *replica) interval() time.Duration {
	if r.status.Interval > 0 {
		return time.Duration(r.status.Interval) * time.Millisecond
	}
	return defaultHeartbeat
}

// ReplicaStatus is what /health shows of a worker replica.
type ReplicaStatus struct {
	shared.WorkerStatus
	Weight float64 `json:"weight"`
}

// snapshot lists a provider's live replicas with their current weights.
func (b *balancer) snapshot(provider string) []ReplicaStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	out := []ReplicaStatus{}
	for _, r := range b.pools[provider] {
		if now.Sub(r.seen) > staleHeartbeats*r.interval() {
			continue
		}
		out = append(out, ReplicaStatus{WorkerStatus: r.status, Weight: r.weight(now)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Replica < out[j].Replica })
	return out
}
