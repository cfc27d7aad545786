package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// reserveScript reserves up to ARGV[1] permits of KEYS[1] for an edge, all
// times in microseconds of Redis's own clock. The key is a sorted set of
// reservations "<id>:<count>" scored by their stamp, the reservation time plus
// the lease (plus 1 µs, as TIME is truncated). A reservation leaves the set
// once its stamp is at or before now-W: no later use can share a window with
// its permits. ARGV: want, limit, W, lease, TTL in ms, reservation id.
// Returns {granted, the key's usage with the grant, oldest stamp or -1, now}.
var reserveScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
local used, oldest = 0, -1
local held = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #held, 2 do
  used = used + tonumber(string.match(held[i], ':(%d+)$'))
  if oldest < 0 then oldest = tonumber(held[i + 1]) end
end
local grant = math.max(0, math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used))
if grant > 0 then
  local stamp = now + tonumber(ARGV[4]) + 1
  redis.call('ZADD', KEYS[1], stamp, ARGV[6] .. ':' .. grant)
  if oldest < 0 then oldest = stamp end
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {grant, used + grant, oldest, now}
`)

// reservation is the answer of reserveScript.
type reservation struct {
	granted int64
	used    int64 // the key's usage in Redis, the grant included
	oldest  int64 // µs, Redis clock
	now     int64 // µs, Redis clock
}

// flight is one reservation call in progress; every request for its key that
// needs permits waits for it rather than calling Redis itself.
type flight struct {
	done     chan struct{}
	deadline time.Time // real time after which the call counts as failed
	failed   atomic.Bool
}

// reserve runs reserveScript for the Redis key rkey.
func (l *Limiter) reserve(ctx context.Context, rkey string, want, limit int64) (reservation, error) {
	id := l.id + strconv.FormatUint(l.seq.Add(1), 36)
	vals, err := reserveScript.Run(ctx, l.cfg.Redis, []string{rkey},
		want, limit, l.windowMicros, l.leaseMicros, l.ttlMillis, id).Int64Slice()
	if err != nil {
		return reservation{}, fmt.Errorf("ratelimit: reserve %d permits of %s: %w", want, rkey, err)
	}
	if len(vals) != 4 {
		return reservation{}, fmt.Errorf("ratelimit: reserve %d permits of %s: script returned %d values, want 4",
			want, rkey, len(vals))
	}
	return reservation{granted: vals[0], used: vals[1], oldest: vals[2], now: vals[3]}, nil
}

// launch starts a reservation of e's next batch as e.flight; the caller holds e.mu and
// read the clock at now, before the call is sent.
func (l *Limiter) launch(ctx context.Context, e *entry, limit, now int64) {
	f := &flight{done: make(chan struct{}), deadline: time.Now().Add(l.cfg.RedisTimeout)}
	e.flight = f
	go l.fly(context.WithoutCancel(ctx), e, f, max(1, limit/int64(l.cfg.BatchDivisor)), limit, now)
}

// fly makes the call of f and installs its result in e. A reservation that
// comes back late is still installed (its permits are valid: the lease runs
// from the send time) but marks Redis down all the same.
func (l *Limiter) fly(ctx context.Context, e *entry, f *flight, want, limit, sent int64) {
	ctx, cancel := context.WithDeadline(ctx, f.deadline)
	res, err := l.reserve(ctx, e.redisKey, want, limit)
	cancel()
	recv := l.now()
	// Health is settled before the flight ends, so that the requests that
	// waited for it, and those that come next, see it.
	switch {
	case err != nil:
		l.fail(f, err)
	case time.Now().After(f.deadline):
		l.fail(f, fmt.Errorf("ratelimit: reserve of %s took longer than %v: %w",
			e.redisKey, l.cfg.RedisTimeout, context.DeadlineExceeded))
	default:
		l.healthy.Store(true)
	}
	e.mu.Lock()
	if err == nil {
		e.permits = res.granted
		e.leaseEnd = sent + l.lease - l.guard
		e.othersFree = max(0, limit-res.used)
		e.freeAt = recv + (res.oldest+l.windowMicros-res.now)*1000
		if res.granted == 0 {
			e.denyUntil = e.freeAt
		}
	}
	if e.flight == f {
		e.flight = nil
	}
	e.mu.Unlock()
	close(f.done)
}

// await waits for f, but not past f's deadline nor the request's own deadline.
// It reports false if the request ran out of time while f may still succeed.
func (l *Limiter) await(f *flight, deadline time.Time) bool {
	until := f.deadline
	if deadline.Before(until) {
		until = deadline
	}
	if wait := time.Until(until); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-f.done:
			t.Stop()
			return true
		case <-t.C:
		}
	}
	select {
	case <-f.done:
		return true
	default:
	}
	if time.Now().Before(f.deadline) {
		return false
	}
	l.fail(f, fmt.Errorf("ratelimit: redis did not answer within %v: %w",
		l.cfg.RedisTimeout, context.DeadlineExceeded))
	return true
}

// fail marks Redis down for the backoff and reports err, once per flight.
func (l *Limiter) fail(f *flight, err error) {
	if !f.failed.CompareAndSwap(false, true) {
		return
	}
	l.downUntil.Store(l.now() + int64(l.cfg.RedisBackoff))
	l.healthy.Store(false)
	if l.cfg.OnRedisError != nil {
		l.cfg.OnRedisError(err)
	}
}

// tryProbe reports whether this caller may try Redis while it is marked down:
// once the backoff is over, the first caller to ask probes it, and the
// backoff starts over for everyone else.
func (l *Limiter) tryProbe(now int64) bool {
	d := l.downUntil.Load()
	return now >= d && l.downUntil.CompareAndSwap(d, now+int64(l.cfg.RedisBackoff))
}
