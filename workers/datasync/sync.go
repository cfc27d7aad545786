// Package datasync is the data-sync job: it fetches every provider's current
// offers and records them in the store, appending a price point whenever
// an offer's price is new or changed and a gone point when a provider no
// longer lists an offer, which is what the price-history API reads. The
// same job runs on the in-process interval and on demand through a NATS
// request (shared.SyncSubject), which is how an external scheduler such as
// Airflow starts it.
package datasync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

// Fetcher returns one provider's current offers (in a cell: a NATS request
// to the provider's workers). A nil error means the answer is complete:
// offers it does not list are gone.
type Fetcher interface {
	Fetch(ctx context.Context, provider string) ([]shared.Offer, error)
}

// Job syncs providers' offers into the store.
type Job struct {
	Fetcher   Fetcher
	Store     store.OfferSync
	Providers []string
	// Parallel bounds concurrent provider fetches (default 4).
	Parallel int
	// Timeout bounds one provider's fetch and write (default 30 s).
	Timeout time.Duration
	Now     func() time.Time
	Logger  *slog.Logger

	// running serializes runs: an on-demand run waits for the interval's,
	// so recording times never go backwards.
	running sync.Mutex
}

// ProviderResult is one provider's part of a run.
type ProviderResult struct {
	Provider    string `json:"provider"`
	Offers      int    `json:"offers"`
	PricePoints int    `json:"price_points"`
	Gone        int    `json:"gone"`
	Error       string `json:"error,omitempty"`
}

// Result summarizes a run.
type Result struct {
	Started         time.Time        `json:"started"`
	Took            time.Duration    `json:"took_ns"`
	ProvidersOK     int              `json:"providers_ok"`
	ProvidersFailed int              `json:"providers_failed"`
	Offers          int              `json:"offers"`       // upserted
	PricePoints     int              `json:"price_points"` // price points appended
	Gone            int              `json:"gone"`         // offers marked gone
	Providers       []ProviderResult `json:"providers"`
}

// Run syncs every provider once. A failing provider is reported in the
// result and does not stop the others, and its offers are left as they
// are (an error is no evidence that they are gone); Run errors only when
// all fail.
func (j *Job) Run(ctx context.Context) (Result, error) {
	j.running.Lock()
	defer j.running.Unlock()
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	parallel, timeout := j.Parallel, j.Timeout
	if parallel <= 0 {
		parallel = 4
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	log := j.logger()
	res := Result{Started: now().UTC(), Providers: make([]ProviderResult, len(j.Providers))}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, p := range j.Providers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			pctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			res.Providers[i] = j.syncOne(pctx, p, now())
		}()
	}
	wg.Wait()
	res.Took = now().Sub(res.Started)
	sort.Slice(res.Providers, func(a, b int) bool { return res.Providers[a].Provider < res.Providers[b].Provider })
	for _, p := range res.Providers {
		if p.Error != "" {
			res.ProvidersFailed++
			log.Warn("data sync: provider failed", "component", "sync", "provider", p.Provider, "err", p.Error)
			continue
		}
		res.ProvidersOK++
		res.Offers += p.Offers
		res.PricePoints += p.PricePoints
		res.Gone += p.Gone
	}
	log.Info("data sync finished", "component", "sync", "providers", len(res.Providers), "failed", res.ProvidersFailed,
		"price_points", res.PricePoints, "gone", res.Gone, "took", res.Took.String())
	if len(j.Providers) > 0 && res.ProvidersFailed == len(j.Providers) {
		return res, errors.New("data sync: every provider failed")
	}
	return res, nil
}

func (j *Job) syncOne(ctx context.Context, provider string, at time.Time) ProviderResult {
	r := ProviderResult{Provider: provider}
	offers, err := j.Fetcher.Fetch(ctx, provider)
	if err != nil {
		r.Error = fmt.Sprintf("fetching: %v", err)
		return r
	}
	points, err := j.Store.SyncProviderOffers(ctx, provider, offers, at)
	if err != nil {
		r.Error = fmt.Sprintf("storing: %v", err)
		return r
	}
	r.Offers = len(offers)
	for _, p := range points {
		if p.Gone {
			r.Gone++
		} else {
			r.PricePoints++
		}
	}
	return r
}

// Every runs the job now and then every interval until ctx ends.
func (j *Job) Every(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := j.Run(ctx); err != nil && ctx.Err() == nil {
			j.logger().Warn("data sync failed", "component", "sync", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// TriggerReply answers a trigger: the run's summary, and Error when the
// run failed as a whole (every provider failed, or it was cut short).
type TriggerReply struct {
	Result
	Error string `json:"error,omitempty"`
}

// Serve answers shared.SyncSubject(cell) on nc; the request body is ignored.
// Triggered runs are bounded by ctx, so cancelling it cuts one short like
// an interval run. stop unsubscribes and waits for a run in progress, so
// the store can be closed after it.
func (j *Job) Serve(ctx context.Context, nc *nats.Conn, cell string) (stop func() error, err error) {
	var (
		mu      sync.Mutex
		stopped bool
		running sync.WaitGroup
	)
	sub, err := nc.QueueSubscribe(shared.SyncSubject(cell), shared.SyncQueue, func(m *nats.Msg) {
		mu.Lock()
		if stopped {
			mu.Unlock()
			return
		}
		running.Add(1)
		mu.Unlock()
		defer running.Done()
		res, err := j.Run(ctx)
		reply := TriggerReply{Result: res}
		if err != nil {
			reply.Error = err.Error()
		}
		body, err := json.Marshal(reply)
		if err == nil {
			err = m.Respond(body)
		}
		if err != nil {
			j.logger().Warn("data sync: answering a trigger", "component", "sync", "err", err)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("data sync: subscribing %s: %w", shared.SyncSubject(cell), err)
	}
	// The subscription is in the server before Serve returns, so a
	// trigger sent right after the process says it is ready is answered
	// (a disconnected client keeps it and subscribes on reconnect).
	if err := nc.FlushTimeout(2 * time.Second); err != nil && !errors.Is(err, nats.ErrConnectionReconnecting) {
		j.logger().Warn("data sync: trigger subscription not confirmed yet", "component", "sync", "err", err)
	}
	return func() error {
		err := sub.Unsubscribe()
		mu.Lock()
		stopped = true
		mu.Unlock()
		running.Wait()
		if err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			return fmt.Errorf("data sync: unsubscribing %s: %w", shared.SyncSubject(cell), err)
		}
		return nil
	}, nil
}

func (j *Job) logger() *slog.Logger {
	if j.Logger == nil {
		return slog.Default()
	}
	return j.Logger
}

// Trigger runs the cell's data sync through shared.SyncSubject (whichever
// sync process answers) and returns its result.
func Trigger(ctx context.Context, nc *nats.Conn, cell string) (Result, error) {
	msg, err := nc.RequestWithContext(ctx, shared.SyncSubject(cell), nil)
	if err != nil {
		return Result{}, fmt.Errorf("data sync: no answer on %s: %w", shared.SyncSubject(cell), err)
	}
	var reply TriggerReply
	if err := json.Unmarshal(msg.Data, &reply); err != nil {
		return Result{}, fmt.Errorf("data sync: bad reply: %w", err)
	}
	if reply.Error != "" {
		return reply.Result, errors.New("data sync: " + reply.Error)
	}
	return reply.Result, nil
}
