package bridge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// LeaseBucket is the JetStream key-value bucket that holds a cell's
// bridge lease: one bridge forwards at a time, since two would rewind
// each other's stream consumers (see outboundConsumer). Others wait as
// standbys and take over within the lease's TTL when it is not renewed.
func LeaseBucket(cell string) string { return "gpubroker_bridge_lease_" + cell }

const leaseKey = "active"

// lease is the cell's bridge lease while this bridge holds it.
type lease struct {
	kv  jetstream.KeyValue
	ttl time.Duration
	id  string

	mu      sync.Mutex // rev: renewed by keep, read by release
	rev     uint64
	stopped chan struct{} // closed when keep's renewals ended
}

func (l *lease) revision() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rev
}

// holderID names this bridge in the lease (host, pid and a random part).
func holderID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// acquire waits until this bridge holds the cell's lease; nil when ctx
// ended first. The bucket's TTL makes a lease its holder stopped renewing
// (killed, cut off) disappear after ttl.
func (b *Bridge) acquire(ctx context.Context, js jetstream.JetStream) *lease {
	id := holderID()
	var kv jetstream.KeyValue
	standby := false
	for attempt := 1; ctx.Err() == nil; attempt++ {
		var err error
		if kv == nil {
			kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: LeaseBucket(b.cfg.Cell),
				Description: "which bridge forwards this cell's events to Kafka", TTL: b.cfg.LeaseTTL,
				History: 1, Storage: jetstream.FileStorage})
		}
		if err == nil {
			var rev uint64
			if rev, err = kv.Create(ctx, leaseKey, []byte(id)); err == nil {
				b.setRole(roleActive)
				if standby {
					b.log.Info("bridge lease taken over; this bridge is now the active one", "holder", id)
				}
				return &lease{kv: kv, ttl: b.cfg.LeaseTTL, id: id, rev: rev}
			}
		}
		switch {
		case errors.Is(err, jetstream.ErrKeyExists):
			if !standby {
				holder := "unknown"
				if e, gerr := kv.Get(ctx, leaseKey); gerr == nil {
					holder = string(e.Value())
				}
				b.log.Info("another bridge forwards this cell's events; standing by until its lease lapses",
					"holder", holder, "lease_ttl", b.cfg.LeaseTTL.String())
				standby = true
				b.setRole(roleStandby)
			}
			sleep(ctx, b.cfg.LeaseTTL/5)
		default:
			if attempt == 1 || attempt%20 == 0 {
				b.log.Warn("bridge lease unavailable (JetStream); retrying", "err", err, "attempt", attempt)
			}
			sleep(ctx, b.backoff(attempt))
		}
	}
	return nil
}

// keep renews the lease every ttl/4 until ctx ends; lost is closed when
// it could not be renewed in time (another bridge may take over at ttl,
// so this one stops at ttl/2 without a renewal).
func (l *lease) keep(ctx context.Context) (lost <-chan struct{}) {
	ch := make(chan struct{})
	l.stopped = make(chan struct{})
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

// release gives the lease up, so a standby takes over at once; the
// context keep was given must have ended.
func (l *lease) release() {
	<-l.stopped // no renewal races the delete
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = l.kv.Delete(ctx, leaseKey, jetstream.LastRevision(l.revision()))
}
