package cells

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisLogger sends go-redis's own messages (dial failures while Redis is
// down, already reported by redisErrorLogger) to slog at debug level.
type redisLogger struct{}

func (redisLogger) Printf(ctx context.Context, format string, v ...any) {
	slog.Default().DebugContext(ctx, fmt.Sprintf(format, v...), "component", "go-redis")
}

var setRedisLogger sync.Once

// openRedis builds a client for REDIS_URL. It does not dial: the cache and
// the rate limiter work without Redis and pick it up when it appears.
func openRedis(url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	// Both users bound every call themselves; keep the client's own
	// timeouts short so a dead server frees connections quickly.
	opts.DialTimeout = 200 * time.Millisecond
	opts.ReadTimeout = 200 * time.Millisecond
	opts.WriteTimeout = 200 * time.Millisecond
	opts.MaxRetries = 0
	setRedisLogger.Do(func() { redis.SetLogger(redisLogger{}) })
	return redis.NewClient(opts), nil
}

// redisErrorLogger logs Redis failures at most once per 10 s per user, so a
// Redis outage does not flood the log at request rate.
func (c *Cell) redisErrorLogger(user string) func(error) {
	var (
		mu   sync.Mutex
		last time.Time
	)
	errs := c.Metrics.GetOrCreateCounter(`gpubroker_redis_errors_total{user="` + strings.ReplaceAll(user, " ", "_") + `"}`)
	return func(err error) {
		errs.Inc() // every failed or too slow call; the log below is throttled
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < 10*time.Second {
			return
		}
		last = time.Now()
		c.log.Warn("redis unavailable; using in-process fallback", slog.String("user", user), slog.Any("err", err))
	}
}
