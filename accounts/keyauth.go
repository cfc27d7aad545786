package accounts

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/gpubroker/gpubroker/internal/bounded"
	"github.com/gpubroker/gpubroker/shared/store"
)

// KeyAuthConfig tunes KeyAuth; zero fields get the defaults.
type KeyAuthConfig struct {
	PositiveTTL time.Duration // a found key is trusted this long (30 s)
	NegativeTTL time.Duration // an unknown key is refused this long (5 s)
	MaxEntries  int           // per cache, positive and negative (10,000)
	MaxLookups  int           // store lookups at once (16)
	TouchEvery  time.Duration // last_used_at is written at most this often per key (1 min)
	Now         func() time.Time
	Logger      *slog.Logger
}

// KeyOwner is who an API key belongs to.
type KeyOwner struct {
	KeyID  string
	UserID string
	Plan   string
}

// KeyAuth resolves API keys stored in the database for the edge's
// authenticator. The caches keep the store off the hot path: a known key
// costs one map lookup for PositiveTTL; a bad key costs one store lookup per
// NegativeTTL; strings that cannot be keys cost none; and concurrent lookups
// of one key share a single store call. The two caches are bounded
// separately, so a flood of bad keys cannot evict good ones, and at most
// MaxLookups store calls run at once, whatever arrives.
type KeyAuth struct {
	creds store.Credentials
	cfg   KeyAuthConfig
	log   *slog.Logger

	mu      sync.Mutex
	pos     map[[32]byte]*keyEntry
	neg     map[[32]byte]time.Time // expiry
	flights map[[32]byte]*keyFlight

	lookups  chan struct{}
	touching chan struct{}
	touches  sync.WaitGroup

	// services checks service tokens; the edge's authenticator reaches it
	// through Services. Nil when the KeyAuth stands alone.
	services *ServiceAuth
}

type keyEntry struct {
	owner   KeyOwner
	expires time.Time
	touched time.Time // last_used_at as last written or read
}

type keyFlight struct {
	done  chan struct{}
	owner KeyOwner
	err   error
}

// maxTouching bounds background last_used_at writes; beyond it a touch is
// skipped and retried on a later use.
const maxTouching = 8

// NewKeyAuth returns a KeyAuth over creds.
func NewKeyAuth(creds store.Credentials, cfg KeyAuthConfig) *KeyAuth {
	if cfg.PositiveTTL <= 0 {
		cfg.PositiveTTL = 30 * time.Second
	}
	if cfg.NegativeTTL <= 0 {
		cfg.NegativeTTL = 5 * time.Second
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 10_000
	}
	if cfg.MaxLookups <= 0 {
		cfg.MaxLookups = 16
	}
	if cfg.TouchEvery <= 0 {
		cfg.TouchEvery = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &KeyAuth{
		creds: creds, cfg: cfg, log: cfg.Logger.With("component", "apikeys"),
		pos: map[[32]byte]*keyEntry{}, neg: map[[32]byte]time.Time{}, flights: map[[32]byte]*keyFlight{},
		lookups: make(chan struct{}, cfg.MaxLookups), touching: make(chan struct{}, maxTouching),
	}
}

// Lookup returns the owner of an active key. ErrUnknownKey means the key is
// malformed, unknown, revoked or its user disabled; any other error means
// the store could not answer (the key may be fine).
func (k *KeyAuth) Lookup(ctx context.Context, key []byte) (KeyOwner, error) {
	if !LooksLikeAPIKey(key) {
		return KeyOwner{}, ErrUnknownKey
	}
	h := sha256.Sum256(key)
	now := k.cfg.Now()
	k.mu.Lock()
	if e := k.pos[h]; e != nil && now.Before(e.expires) {
		k.maybeTouch(e, now)
		k.mu.Unlock()
		return e.owner, nil
	}
	if exp, ok := k.neg[h]; ok && now.Before(exp) {
		k.mu.Unlock()
		return KeyOwner{}, ErrUnknownKey
	}
	f := k.flights[h]
	if f == nil {
		f = &keyFlight{done: make(chan struct{})}
		k.flights[h] = f
		k.mu.Unlock()
		k.fly(ctx, h, f)
	} else {
		k.mu.Unlock()
	}
	select {
	case <-f.done:
		return f.owner, f.err
	case <-ctx.Done():
		return KeyOwner{}, fmt.Errorf("accounts: waiting for API key lookup: %w", ctx.Err())
	}
}

// fly looks one key up in the store and publishes the result to the cache
// and to every waiter.
func (k *KeyAuth) fly(ctx context.Context, h [32]byte, f *keyFlight) {
	var (
		key  store.APIKey
		user store.User
		err  error
	)
	select {
	case k.lookups <- struct{}{}:
		key, user, err = k.creds.APIKeyByHash(ctx, h[:])
		<-k.lookups
	case <-ctx.Done():
		err = ctx.Err()
	}
	now := k.cfg.Now()
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.flights, h)
	defer close(f.done)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && (user.Disabled || !key.RevokedAt.IsZero()):
		f.err = ErrUnknownKey
		if len(k.neg) >= k.cfg.MaxEntries {
			bounded.Shrink(k.neg, func(exp time.Time) bool { return !now.Before(exp) }, k.cfg.MaxEntries)
		}
		k.neg[h] = now.Add(k.cfg.NegativeTTL)
	case err != nil:
		f.err = fmt.Errorf("accounts: looking up API key: %w", err)
	default:
		f.owner = KeyOwner{KeyID: key.ID, UserID: user.ID, Plan: user.Plan}
		if len(k.pos) >= k.cfg.MaxEntries {
			bounded.Shrink(k.pos, func(e *keyEntry) bool { return !now.Before(e.expires) }, k.cfg.MaxEntries)
		}
		e := &keyEntry{owner: f.owner, expires: now.Add(k.cfg.PositiveTTL), touched: key.LastUsedAt}
		k.pos[h] = e
		k.maybeTouch(e, now)
	}
}

// maybeTouch records a use of the key in the store, in the background and
// at most once per TouchEvery; k.mu is held.
func (k *KeyAuth) maybeTouch(e *keyEntry, now time.Time) {
	if now.Sub(e.touched) < k.cfg.TouchEvery {
		return
	}
	select {
	case k.touching <- struct{}{}:
	default:
		return // busy: a later use will try again
	}
	e.touched = now
	id := e.owner.KeyID
	k.touches.Add(1)
	go func() {
		defer k.touches.Done()
		defer func() { <-k.touching }()
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		if err := k.creds.TouchAPIKey(ctx, id, now.UTC()); err != nil {
			k.log.Warn("recording API key use", "key_id", id, "err", err)
		}
	}()
}

// Forget drops a key from the positive cache (after it is revoked here).
func (k *KeyAuth) Forget(keyID string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for h, e := range k.pos {
		if e.owner.KeyID == keyID {
			delete(k.pos, h)
		}
	}
}

// Services is the ServiceAuth of the same store, or nil.
func (k *KeyAuth) Services() *ServiceAuth { return k.services }

// Wait waits for background last-used writes to finish.
func (k *KeyAuth) Wait() { k.touches.Wait() }
