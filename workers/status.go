package workers

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gpubroker/gpubroker/adapters"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/workers/breaker"
)

// health is what the replica knows of its provider, published in heartbeats.
type health struct {
	latencyMS   float64 // exponentially weighted moving average
	lastSuccess time.Time
	lastErr     string
	lastErrKind string
	lastErrAt   time.Time
	lastProbe   time.Time
	offers      int
}

// latencyAlpha weights the newest upstream call in the moving average.
const latencyAlpha = 0.3

func (w *Worker) recordOutcome(took time.Duration, offers int, err error) {
	now := time.Now().UTC()
	ok := err == nil
	w.mu.Lock()
	changed := w.healthy == nil || *w.healthy != ok
	w.healthy = &ok
	w.setHealth(now, took, offers, err)
	w.mu.Unlock()
	switch {
	case changed && ok:
		w.providerEvent(events.ProviderHealthy, "")
	case changed:
		w.providerEvent(events.ProviderUnhealthy, adapters.Reason(err))
	}
}

// setHealth records an upstream call's outcome; w.mu is held.
func (w *Worker) setHealth(now time.Time, took time.Duration, offers int, err error) {
	h := &w.health
	ms := float64(took.Microseconds()) / 1000
	if h.latencyMS == 0 {
		h.latencyMS = ms
	} else {
		h.latencyMS += latencyAlpha * (ms - h.latencyMS)
	}
	if err != nil {
		// Heartbeats reach every edge's /health: the public reason only.
		h.lastErr, h.lastErrKind, h.lastErrAt = adapters.Reason(err), adapters.KindOf(err), now
		return
	}
	h.lastSuccess, h.offers = now, offers
}

// Status is the replica's current heartbeat.
func (w *Worker) Status() shared.WorkerStatus {
	snap := w.br.Snapshot()
	w.mu.Lock()
	h := w.health
	w.mu.Unlock()
	return shared.WorkerStatus{
		Provider: w.provider, Replica: w.cfg.Replica, Breaker: snap.State.String(), RetryAt: snap.RetryAt,
		LatencyMS: h.latencyMS, LastSuccess: h.lastSuccess, LastError: h.lastErr, LastErrorKind: h.lastErrKind,
		LastErrorAt: h.lastErrAt, LastProbe: h.lastProbe, Offers: h.offers, InFlight: int(w.pending.Load()),
		Interval: w.cfg.HeartbeatInterval.Milliseconds(), Time: time.Now().UTC(),
	}
}

// probeLoop calls the provider every ProbeInterval (joining a fetch already
// under way), so health and the breaker stay current without traffic.
func (w *Worker) probeLoop(ctx context.Context) {
	defer w.loops.Done()
	t := time.NewTicker(w.cfg.ProbeInterval)
	defer t.Stop()
	for {
		w.probe(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (w *Worker) probe(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, w.cfg.FetchTimeout+time.Second)
	defer cancel()
	f, err := w.fetch(pctx)
	if err == nil {
		err = f.err
	}
	w.mu.Lock()
	w.health.lastProbe = time.Now().UTC()
	w.mu.Unlock()
	if err != nil && ctx.Err() == nil {
		w.log.Warn("health probe failed", "kind", adapters.KindOf(err), "err", err)
	}
	w.poke()
}

// heartbeatLoop publishes the replica's status periodically and whenever
// poke asks (breaker transitions, probes).
func (w *Worker) heartbeatLoop(ctx context.Context) {
	defer w.loops.Done()
	t := time.NewTicker(w.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		w.publishStatus()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}

func (w *Worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *Worker) publishStatus() {
	b, err := json.Marshal(w.Status())
	if err != nil {
		return
	}
	if err := w.cfg.Conn.Publish(shared.HealthSubject(w.cfg.Cell, w.provider), b); err != nil {
		w.log.Debug("publishing heartbeat", "err", err)
	}
}

func (w *Worker) onTransition(from, to breaker.State) {
	w.m.transition(from, to)
	w.log.Warn("circuit breaker transition", "from", from.String(), "to", to.String())
	w.providerEvent(breakerEvent(to), "")
	w.poke()
}
