package cache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

var errNoRedisClient = errors.New("cache: redis l1 has no client")

type redisL1 struct {
	client redis.UniversalClient
	prefix string
}

// NewRedisL1 is an L1 over Redis; prefix namespaces its keys (e.g.
// "gpubroker:offers:") so caches of different value types never collide.
func NewRedisL1(client redis.UniversalClient, prefix string) L1 {
	return &redisL1{client: client, prefix: prefix}
}

func (r *redisL1) Get(ctx context.Context, key string) ([]byte, error) {
	if r.client == nil {
		return nil, errNoRedisClient
	}
	b, err := r.client.Get(ctx, r.prefix+key).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, ErrMiss
	case err != nil:
		return nil, fmt.Errorf("cache: redis get %q: %w", key, err)
	}
	return b, nil
}

func (r *redisL1) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if r.client == nil {
		return errNoRedisClient
	}
	if err := r.client.Set(ctx, r.prefix+key, val, ttl).Err(); err != nil {
		return fmt.Errorf("cache: redis set %q: %w", key, err)
	}
	return nil
}
