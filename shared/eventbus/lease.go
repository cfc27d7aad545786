package eventbus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// LeaseConfig names a lease: one holder at a time across a cell's
// processes, for work two processes must not do together (the bridge's
// stream consumers, the embedded analytics' windows).
type LeaseConfig struct {
	// Bucket is the JetStream key-value bucket holding the lease; its
	// entries expire TTL after their last write, which is how a lease
	// whose holder was killed lapses.
	Bucket string
	// What says what the lease is for, in the bucket's description and
	// the log lines ("forwards this cell's events to Kafka").
	What string
	// TTL is how long the lease outlives its last renewal (default 10 s);
	// the holder renews it every TTL/4.
	TTL    time.Duration
	Logger *slog.Logger
	// OnStandby is called once when another process holds the lease.
	OnStandby func(holder string)
}

const leaseKey = "active"

// Lease is a held lease.
type Lease struct {
	kv  jetstream.KeyValue
	ttl time.Duration
	id  string

	mu      sync.Mutex // rev: renewed by Keep, read by Release
	rev     uint64
	stopped chan struct{} // closed when Keep's renewals ended
}

// holderID names this process in the lease (host, pid and a random part).
func holderID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// AcquireLease waits until this process holds the lease; nil when ctx
// ended first.
func AcquireLease(ctx context.Context, js jetstream.JetStream, cfg LeaseConfig) *Lease {
	if cfg.TTL <= 0 {
		cfg.TTL = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	log := cfg.Logger.With("lease", cfg.Bucket)
	id := holderID()
	var kv jetstream.KeyValue
	standby := false
	for attempt := 1; ctx.Err() == nil; attempt++ {
		var err error
		if kv == nil {
			kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: cfg.Bucket,
				Description: "which process " + cfg.What, TTL: cfg.TTL, History: 1, Storage: jetstream.FileStorage})
		}
		if err == nil {
			var rev uint64
			if rev, err = kv.Create(ctx, leaseKey, []byte(id)); err == nil {
				if standby {
					log.Info("lease taken over; this process now "+cfg.What, "holder", id)
				}
				return &Lease{kv: kv, ttl: cfg.TTL, id: id, rev: rev, stopped: make(chan struct{})}
			}
		}
		switch {
		case errors.Is(err, jetstream.ErrKeyExists):
			if !standby {
				holder := "unknown"
				if e, gerr := kv.Get(ctx, leaseKey); gerr == nil {
					holder = string(e.Value())
				}
				log.Info("another process "+cfg.What+"; standing by until its lease lapses", "holder", holder, "lease_ttl", cfg.TTL.String())
				standby = true
				if cfg.OnStandby != nil {
					cfg.OnStandby(holder)
				}
			}
			Sleep(ctx, cfg.TTL/5)
		default:
			if attempt == 1 || attempt%20 == 0 {
				log.Warn("lease unavailable (JetStream); retrying", "err", err, "attempt", attempt)
			}
			Sleep(ctx, min(100*time.Millisecond<<min(attempt-1, 10), 5*time.Second))
		}
	}
	return nil
}

func (l *Lease) revision() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rev
}

// Keep renews the lease every TTL/4 until ctx ends; lost is closed when it
// could not be renewed in time (another process may take over at TTL, so
// the holder gives up at TTL/2 without a renewal). Call it once.
func (l *Lease) Keep(ctx context.Context) (lost <-chan struct{}) {
	ch := make(chan struct{})
	go func() {
		defer close(l.stopped)
		t := time.NewTicker(l.ttl / 4)
		defer t.Stop()
		renewed := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rctx, cancel := context.WithTimeout(ctx, l.ttl/4)
			rev, err := l.kv.Update(rctx, leaseKey, []byte(l.id), l.revision())
			cancel()
			switch {
			case err == nil:
				l.mu.Lock()
				l.rev, renewed = rev, time.Now()
				l.mu.Unlock()
			case errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyNotFound),
				time.Since(renewed) > l.ttl/2:
				close(ch)
				return
			}
		}
	}()
	return ch
}

// Release gives the lease up, so a standby takes over at once; the
// context Keep was given must have ended.
func (l *Lease) Release() {
	<-l.stopped // no renewal races the delete
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = l.kv.Delete(ctx, leaseKey, jetstream.LastRevision(l.revision()))
}

// Sleep waits d or until ctx ends, whichever comes first: the back-off of
// the loops that retry against the stream.
func Sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
