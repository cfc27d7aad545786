// Package sync is the data-sync job: it fetches every provider's current
// offers and records them in the store, appending a price point whenever
// an offer's price is new or changed, which is what the price-history API
// reads. The same job function is run by the in-process scheduler in the
// embedded cell and, in a full deployment, triggered by Airflow.
package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	gosync "sync"
	"time"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

// Fetcher returns one provider's current offers (in a cell: a NATS request
// to the provider's workers).
type Fetcher interface {
	Fetch(ctx context.Context, provider string) ([]shared.Offer, error)
}

// Job syncs providers' offers into the store.
type Job struct {
	Fetcher   Fetcher
	Store     store.Prices
	Providers []string
	// Parallel bounds concurrent provider fetches (default 4).
	Parallel int
	// Timeout bounds one provider's fetch and write (default 30 s).
	Timeout time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
}

// ProviderResult is one provider's part of a run.
type ProviderResult struct {
	Provider    string `json:"provider"`
	Offers      int    `json:"offers"`
	PricePoints int    `json:"price_points"`
	Error       string `json:"error,omitempty"`
}

// Result summarizes a run.
type Result struct {
	Started   time.Time        `json:"started"`
	Took      time.Duration    `json:"took_ns"`
	Providers []ProviderResult `json:"providers"`
}

// Failed counts providers that could not be synced.
func (r Result) Failed() int {
	n := 0
	for _, p := range r.Providers {
		if p.Error != "" {
			n++
		}
	}
	return n
}

// Run syncs every provider once. A failing provider is reported in the
// result and does not stop the others; Run errors only when all fail.
func (j *Job) Run(ctx context.Context) (Result, error) {
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
	var wg gosync.WaitGroup
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
			log.Warn("data sync: provider failed", "component", "sync", "provider", p.Provider, "err", p.Error)
		}
	}
	log.Info("data sync finished", "component", "sync", "providers", len(res.Providers), "failed", res.Failed(), "took", res.Took)
	if len(j.Providers) > 0 && res.Failed() == len(j.Providers) {
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
	points, err := j.Store.UpsertOffers(ctx, offers, at)
	if err != nil {
		r.Error = fmt.Sprintf("storing: %v", err)
		return r
	}
	r.Offers, r.PricePoints = len(offers), len(points)
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

func (j *Job) logger() *slog.Logger {
	if j.Logger == nil {
		return slog.Default()
	}
	return j.Logger
}
