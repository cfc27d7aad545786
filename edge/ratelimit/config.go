package ratelimit

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults applied by New to zero (or negative) Config fields.
const (
	DefaultWindow       = time.Second
	DefaultBatchDivisor = 20
	DefaultLease        = 100 * time.Millisecond
	DefaultRedisTimeout = 50 * time.Millisecond
	DefaultRedisBackoff = time.Second
	DefaultMaxKeys      = 100_000
	DefaultKeyPrefix    = "gpubroker:ratelimit:"
)

// Config configures a Limiter. The zero value is a local-only limiter with the
// defaults above.
type Config struct {
	// Redis holds the shared ledger; nil runs the in-process limiter only.
	Redis redis.UniversalClient
	// KeyPrefix starts every Redis key name; the rest is a hash of the key.
	KeyPrefix string
	// Window is W: no interval of this length admits more than the limit.
	Window time.Duration
	// BatchDivisor sets the reservation batch: max(1, limit/BatchDivisor).
	BatchDivisor int
	// Lease is how long reserved permits stay usable by the edge.
	Lease time.Duration
	// RedisTimeout bounds every wait for Redis; past it the key is served locally.
	RedisTimeout time.Duration
	// RedisBackoff is how long Redis is left alone after an error.
	RedisBackoff time.Duration
	// MaxKeys caps the keys held in memory; the least recently used goes first.
	MaxKeys int
	// Now is the clock; it must be monotonic-capable (time.Now is).
	Now func() time.Time
	// OnRedisError is told about every failed or too slow Redis call, once per
	// call, from the goroutine that noticed it; it must not block.
	OnRedisError func(error)
}

// withDefaults returns cfg with every unset field given its default.
func (cfg Config) withDefaults() Config {
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = DefaultKeyPrefix
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.BatchDivisor <= 0 {
		cfg.BatchDivisor = DefaultBatchDivisor
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.RedisTimeout <= 0 {
		cfg.RedisTimeout = DefaultRedisTimeout
	}
	if cfg.RedisBackoff <= 0 {
		cfg.RedisBackoff = DefaultRedisBackoff
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}
