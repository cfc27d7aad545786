package workers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/adapters"
	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/workers/client"
)

// fakeAdapter returns n offers priced base+i after an optional delay, and
// counts its calls.
type fakeAdapter struct {
	n     int
	base  atomic.Value // float64
	delay time.Duration
	err   error
	calls atomic.Int64
	gate  chan struct{} // when set, Fetch waits for it
}

func (f *fakeAdapter) Name() string { return "fake" }

func (f *fakeAdapter) Fetch(ctx context.Context) ([]shared.Offer, error) {
	f.calls.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return nil, &adapters.Error{Provider: "fake", Kind: shared.ErrKindTimeout, Err: ctx.Err()}
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	base, _ := f.base.Load().(float64)
	out := make([]shared.Offer, f.n)
	for i := range out {
		o := shared.Offer{ID: shared.OfferID("fake", strconv.Itoa(i)), Provider: "fake", InstanceType: "t",
			Currency: "USD", Region: "us-east-1", Availability: shared.Available, FetchedAt: time.Now(), Source: "test",
			ComplianceTags: []string{}}
		o.SetLocation("us-east-1", shared.Locate("US", "VA"))
		o.SetGPU("H100 SXM", 80, 1)
		if i == 0 {
			o.SetGPU("Mystery Accelerator 7", 12, 1)
		}
		o.SetPrices(1+base+float64(i)/100, 0)
		out[i] = o
	}
	return out, nil
}

func startWorker(t *testing.T, nc *nats.Conn, ad adapters.Adapter) *Worker {
	t.Helper()
	w, err := New(Config{Cell: "t", Adapter: ad, Conn: nc, FetchTimeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Stop(context.Background()) })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return w
}

func fetch(t *testing.T, nc *nats.Conn, timeout time.Duration) (client.ProviderOffers, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	src, err := client.NewNATS(nc, "t")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	return src.Fetch(ctx, "fake", shared.RequestIDs{RequestID: "r", TraceID: "t"})
}

// A burst of concurrent requests costs the provider one upstream call.
func TestConcurrentRequestsShareOneFetch(t *testing.T) {
	nc := testnats.Conn(t)
	ad := &fakeAdapter{n: 10, gate: make(chan struct{})}
	w := startWorker(t, nc, ad)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			po, err := fetch(t, nc, 5*time.Second)
			if err == nil && len(po.Offers) != 10 {
				err = fmt.Errorf("%d offers", len(po.Offers))
			}
			errs <- err
		}()
	}
	// Let all 50 requests join the first fetch, then release it.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		joined := 0
		if w.inflight != nil {
			joined = w.inflight.waiters
		}
		w.mu.Unlock()
		if joined == 50 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(ad.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := ad.calls.Load(); n != 1 {
		t.Fatalf("%d upstream calls for one burst of 50 requests", n)
	}
}

// Replies larger than one chunk are split and reassembled in order.
func TestLargeReplyIsChunked(t *testing.T) {
	nc := testnats.Conn(t)
	n := shared.OffersPerChunk*2 + 17
	startWorker(t, nc, &fakeAdapter{n: n})
	po, err := fetch(t, nc, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(po.Offers) != n {
		t.Fatalf("%d offers, want %d", len(po.Offers), n)
	}
	for i, o := range po.Offers {
		if o.ID != shared.OfferID("fake", strconv.Itoa(i)) {
			t.Fatalf("offer %d is %s: chunks out of order", i, o.ID)
		}
	}
	if po.FetchedAt.IsZero() {
		t.Fatal("fetched_at not propagated")
	}
}

func TestErrorsCarryTheirKind(t *testing.T) {
	nc := testnats.Conn(t)
	startWorker(t, nc, &fakeAdapter{err: &adapters.Error{Provider: "fake", Kind: shared.ErrKindRateLimited, Err: errors.New("429")}})
	_, err := fetch(t, nc, 5*time.Second)
	var fe *client.FetchError
	if !errors.As(err, &fe) || fe.Kind != shared.ErrKindRateLimited {
		t.Fatalf("got %v", err)
	}
}

func TestNoWorkerIsReportedAtOnce(t *testing.T) {
	nc := testnats.Conn(t)
	start := time.Now()
	_, err := fetch(t, nc, 5*time.Second)
	var fe *client.FetchError
	if !errors.As(err, &fe) || fe.Kind != "no_workers" {
		t.Fatalf("got %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("waited for the deadline instead of failing fast")
	}
}

// The requester's deadline bounds the wait; a slow provider becomes a
// timeout, and the worker keeps serving afterwards.
func TestRequesterDeadline(t *testing.T) {
	nc := testnats.Conn(t)
	ad := &fakeAdapter{n: 3, delay: 500 * time.Millisecond}
	startWorker(t, nc, ad)
	_, err := fetch(t, nc, 100*time.Millisecond)
	var fe *client.FetchError
	if !errors.As(err, &fe) || fe.Kind != shared.ErrKindTimeout {
		t.Fatalf("got %v", err)
	}
	if po, err := fetch(t, nc, 3*time.Second); err != nil || len(po.Offers) != 3 {
		t.Fatalf("after a timeout: %v %d", err, len(po.Offers))
	}
}

// Invalid offers never leave the worker; unknown GPUs do, flagged.
func TestInvalidOffersDropped(t *testing.T) {
	nc := testnats.Conn(t)
	bad := &badAdapter{}
	startWorker(t, nc, bad)
	po, err := fetch(t, nc, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(po.Offers) != 1 || po.Offers[0].ID != "fake:good" {
		t.Fatalf("got %+v", po.Offers)
	}
}

type badAdapter struct{}

func (badAdapter) Name() string { return "fake" }

func (badAdapter) Fetch(context.Context) ([]shared.Offer, error) {
	good := shared.Offer{ID: "fake:good", Provider: "fake", InstanceType: "t", Currency: "USD", Region: "r",
		Availability: shared.Available, FetchedAt: time.Now(), Source: "s", ComplianceTags: []string{}}
	good.SetGPU("Mystery Accelerator 7", 12, 1)
	good.SetPrices(1, 0)
	noPrice := good
	noPrice.ID = "fake:noprice"
	noPrice.SetPrices(0, 0)
	return []shared.Offer{noPrice, good}, nil
}

func TestStopLeavesQueueGroup(t *testing.T) {
	nc := testnats.Conn(t)
	w := startWorker(t, nc, &fakeAdapter{n: 1})
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	_, err := fetch(t, nc, 2*time.Second)
	var fe *client.FetchError
	if !errors.As(err, &fe) || fe.Kind != "no_workers" {
		t.Fatalf("stopped worker still answers: %v", err)
	}
}
