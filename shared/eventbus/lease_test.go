package eventbus

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/internal/testnats"
)

// One holder at a time: a second process stands by while the first renews,
// takes over at once when the first releases, and within the TTL when the
// first stops renewing without releasing (as when it is killed).
func TestLeaseOneHolder(t *testing.T) {
	js, err := jetstream.New(testnats.JetStream(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg := LeaseConfig{Bucket: "lease_test", What: "tests", TTL: time.Second, Logger: quiet()}
	ctx := context.Background()
	first := AcquireLease(ctx, js, cfg)
	held, drop := context.WithCancel(ctx)
	if lost := first.Keep(held); lost == nil {
		t.Fatal("no lost channel")
	}

	var standby atomic.Bool
	second := make(chan *Lease, 1)
	waitCtx, stopWaiting := context.WithCancel(ctx)
	defer stopWaiting()
	go func() {
		c := cfg
		c.OnStandby = func(string) { standby.Store(true) }
		second <- AcquireLease(waitCtx, js, c)
	}()
	time.Sleep(3 * cfg.TTL) // the first renews all along
	select {
	case <-second:
		t.Fatal("a second holder while the first renews")
	default:
	}
	if !standby.Load() {
		t.Fatal("the second process did not report standing by")
	}
	drop()
	first.Release()
	var l *Lease
	select {
	case l = <-second:
	case <-time.After(cfg.TTL / 2):
		t.Fatal("a released lease was not taken over at once")
	}

	// The new holder stops renewing without releasing: a third takes
	// over once the entry expires.
	stopped, cancel := context.WithCancel(ctx)
	l.Keep(stopped)
	cancel()
	start := time.Now()
	third := AcquireLease(ctx, js, cfg)
	if third == nil || time.Since(start) > 5*cfg.TTL {
		t.Fatalf("a lapsed lease taken over after %s", time.Since(start))
	}
}
