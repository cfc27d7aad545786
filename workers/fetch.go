package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/gpubroker/gpubroker/adapters"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/workers/breaker"
)

// flight is one upstream fetch shared by every request that arrives while it
// runs, so a burst of N requests costs the provider one call, not N.
type flight struct {
	done      chan struct{}
	waiters   int // client requests sharing this fetch; guarded by Worker.mu
	offers    []shared.Offer
	fetchedAt time.Time
	took      time.Duration
	err       error
}

// fetch joins the running flight or starts one, and waits for it until ctx
// ends. The flight itself runs under FetchTimeout, not under any one
// requester's deadline, so an impatient requester cannot cut it short for
// the others. Probes use it directly; requests through fetchForRequest.
func (w *Worker) fetch(ctx context.Context) (*flight, error) {
	return w.join(ctx, 0)
}

// fetchForRequest is fetch for a client request, counted among the flight's
// waiters (the requests-per-fetch metric).
func (w *Worker) fetchForRequest(ctx context.Context) (*flight, error) {
	return w.join(ctx, 1)
}

func (w *Worker) join(ctx context.Context, requests int) (*flight, error) {
	w.mu.Lock()
	f := w.inflight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		w.inflight = f
		go w.run(f)
	}
	f.waiters += requests
	w.mu.Unlock()
	select {
	case <-f.done:
		return f, nil
	case <-ctx.Done():
		return nil, &adapters.Error{Provider: w.provider, Kind: shared.ErrKindTimeout, Err: ctx.Err()}
	}
}

// run performs one upstream call through the circuit breaker: while the
// breaker is open the provider is not called at all and the flight fails at
// once with ErrKindCircuitOpen.
func (w *Worker) run(f *flight) {
	defer func() {
		w.mu.Lock()
		w.inflight = nil
		w.m.requestsPerFetch.Update(float64(f.waiters))
		w.mu.Unlock()
		close(f.done)
	}()
	done, err := w.br.Allow()
	if err != nil {
		w.m.rejections.Inc()
		snap := w.br.Snapshot()
		f.err = &adapters.Error{Provider: w.provider, Kind: shared.ErrKindCircuitOpen,
			Err: fmt.Errorf("circuit open after repeated failures; next trial after %s", snap.RetryAt.UTC().Format(time.RFC3339))}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.FetchTimeout)
	defer cancel()
	start := time.Now()
	offers, err := w.cfg.Adapter.Fetch(ctx)
	f.took = time.Since(start)
	f.fetchedAt = time.Now().UTC()
	// A missing credential means our secret store failed, not the provider:
	// it was never called, so the outcome counts neither way.
	switch {
	case err == nil:
		done(breaker.Succeeded)
	case adapters.KindOf(err) == shared.ErrKindCredentialsUnavailable:
		done(breaker.NotAttempted)
	default:
		done(breaker.Failed)
	}
	w.m.fetchDuration.Update(f.took.Seconds())
	w.recordOutcome(f.took, len(offers), err)
	if err != nil {
		w.log.Warn("upstream fetch failed", "kind", adapters.KindOf(err), "err", err, "took", f.took.String())
		w.m.fetchErrors(adapters.KindOf(err)).Inc()
		f.err = err
		return
	}
	f.offers = w.checked(offers)
	w.m.offers.Set(float64(len(f.offers)))
	w.observed(f.offers, f.fetchedAt)
}

// maxUnknownLogged bounds the GPU names remembered as already logged, so a
// provider inventing a new name per offer cannot grow the set without limit.
// Past it new names are only counted.
const maxUnknownLogged = 10000

// checked drops offers that fail validation (an adapter bug, counted and
// logged) and keeps offers whose GPU the catalog does not know, counting
// every one and logging each name once.
func (w *Worker) checked(offers []shared.Offer) []shared.Offer {
	out := offers[:0]
	for i := range offers {
		o := &offers[i]
		if err := o.Validate(); err != nil {
			w.m.invalidOffers.Inc()
			w.log.Error("adapter produced an invalid offer; dropped", "offer_id", o.ID, "err", err)
			continue
		}
		if !o.GPUKnown {
			w.m.unknownGPUs.Inc()
			first, full := w.rememberUnknown(o.ProviderGPUName)
			if first {
				w.log.Warn("GPU name not in catalog; offer kept as unknown", "gpu_name", o.ProviderGPUName, "gpu_id", o.GPUID)
			}
			if full {
				w.log.Warn("too many distinct unknown GPU names; new ones are counted but no longer logged",
					"limit", maxUnknownLogged, "metric", "gpubroker_unknown_gpu_offers_total")
			}
		}
		out = append(out, *o)
	}
	return out
}

// rememberUnknown records an unknown GPU name. first is whether it should be
// logged; full is true exactly once, for the first name turned away because
// the set is at its bound.
func (w *Worker) rememberUnknown(name string) (first, full bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.unknown[name] {
		return false, false
	}
	if len(w.unknown) >= maxUnknownLogged {
		full = !w.unknownFull
		w.unknownFull = true
		return false, full
	}
	w.unknown[name] = true
	return true, false
}
