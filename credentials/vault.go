package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vault "github.com/hashicorp/vault/api"

	"github.com/gpubroker/gpubroker/shared"
)

// VaultConfig configures the Vault / OpenBao store.
type VaultConfig struct {
	Address string
	Token   shared.Secret
	// Mount is the KV v2 mount (default "secret"); Prefix the path under
	// it (default "gpubroker"): keys live at <mount>/<prefix>/providers/<p>
	// and <mount>/<prefix>/users/<user>/providers/<p>, field "api_key".
	Mount  string
	Prefix string
	// Refresh is how long a read is trusted before Vault is asked again
	// (default 5 min), so rotated keys are picked up.
	Refresh time.Duration
	// MaxStale is how long a cached credential stays usable while Vault
	// cannot be reached (default 1 h).
	MaxStale time.Duration
	// Timeout bounds each Vault call (default 2 s).
	Timeout time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
}

// Vault reads and writes credentials in a KV v2 secrets engine, caching
// reads so that an unreachable Vault does not stop providers for MaxStale.
type Vault struct {
	cfg       VaultConfig
	client    *vault.Client
	kv        *vault.KVv2
	log       *slog.Logger
	healthy   atomic.Bool
	mu        sync.Mutex
	cache     map[string]cachedRead
	warned    map[string]bool
	stop      context.CancelFunc
	renewDone chan struct{} // closed when renewToken returns
	downSince time.Time     // first failed Vault call since the last success; guarded by mu
}

type cachedRead struct {
	key   shared.Secret
	found bool
	at    time.Time // last successful read from Vault
}

const apiKeyField = "api_key"

// NewVault connects to Vault and starts renewing the token when it is
// renewable. Close stops the renewal.
func NewVault(cfg VaultConfig) (*Vault, error) {
	if cfg.Address == "" || cfg.Token.IsZero() {
		return nil, errors.New("vault: address and token are required")
	}
	if cfg.Mount == "" {
		cfg.Mount = "secret"
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "gpubroker"
	}
	for p, d := range map[*time.Duration]time.Duration{&cfg.Refresh: 5 * time.Minute, &cfg.MaxStale: time.Hour, &cfg.Timeout: 2 * time.Second} {
		if *p <= 0 {
			*p = d
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	vc := vault.DefaultConfig()
	vc.Address = cfg.Address
	vc.Timeout = cfg.Timeout
	vc.MaxRetries = 0
	client, err := vault.NewClient(vc)
	if err != nil {
		return nil, fmt.Errorf("vault client: %w", err)
	}
	client.SetToken(cfg.Token.Reveal())
	v := &Vault{cfg: cfg, client: client, kv: client.KVv2(cfg.Mount), log: cfg.Logger.With("component", "credentials"),
		cache: map[string]cachedRead{}, warned: map[string]bool{}}
	v.healthy.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	v.stop, v.renewDone = cancel, make(chan struct{})
	go v.renewToken(ctx)
	return v, nil
}

// Close stops token renewal and waits for it to end.
func (v *Vault) Close() {
	v.stop()
	<-v.renewDone
}

// Healthy reports whether the last Vault call succeeded.
func (v *Vault) Healthy() bool { return v.healthy.Load() }

// Provider returns the gateway's key for a provider.
func (v *Vault) Provider(ctx context.Context, provider string) (shared.Secret, error) {
	return v.read(ctx, providerPath(v.cfg.Prefix, provider))
}

// User returns a user's key for a provider.
func (v *Vault) User(ctx context.Context, user, provider string) (shared.Secret, error) {
	return v.read(ctx, userPath(v.cfg.Prefix, user, provider))
}

// read serves a trusted cached copy, else asks Vault; when Vault cannot be
// reached a copy read within MaxStale is still served.
func (v *Vault) read(ctx context.Context, path string) (shared.Secret, error) {
	now := v.cfg.Now()
	v.mu.Lock()
	c, ok := v.cache[path]
	v.mu.Unlock()
	if ok && now.Sub(c.at) < v.cfg.Refresh {
		return c.result()
	}
	cctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	s, err := v.kv.Get(cctx, path)
	switch {
	case err == nil || errors.Is(err, vault.ErrSecretNotFound):
		v.markUp()
		fresh := cachedRead{at: now}
		if err == nil {
			if k, _ := s.Data[apiKeyField].(string); k != "" {
				fresh.key, fresh.found = shared.NewSecret(k), true
			}
		}
		v.mu.Lock()
		v.cache[path] = fresh
		delete(v.warned, path)
		v.mu.Unlock()
		return fresh.result()
	}
	since := v.markDown(now)
	if ok && now.Sub(c.at) <= v.cfg.MaxStale {
		v.mu.Lock()
		first := !v.warned[path]
		v.warned[path] = true
		v.mu.Unlock()
		if first {
			v.log.Warn("vault unreachable; using cached credential", "path", path, "cached_at", c.at, "err", err)
		}
		return c.result()
	}
	ue := &UnavailableError{Since: since, Path: path, MaxStale: v.cfg.MaxStale, Err: err}
	if ok {
		ue.CachedAt = c.at
	}
	return shared.Secret{}, ue
}

// markUp records a successful Vault call.
func (v *Vault) markUp() {
	v.healthy.Store(true)
	v.mu.Lock()
	v.downSince = time.Time{}
	v.mu.Unlock()
}

// markDown records a failed Vault call and returns when the outage began.
func (v *Vault) markDown(now time.Time) time.Time {
	v.healthy.Store(false)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.downSince.IsZero() {
		v.downSince = now
	}
	return v.downSince
}

func (c cachedRead) result() (shared.Secret, error) {
	if !c.found {
		return shared.Secret{}, ErrNotFound
	}
	return c.key, nil
}

// PutUser writes a user's key.
func (v *Vault) PutUser(ctx context.Context, user, provider string, key shared.Secret) (Integration, error) {
	cctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	path := userPath(v.cfg.Prefix, user, provider)
	s, err := v.kv.Put(cctx, path, map[string]any{apiKeyField: key.Reveal()})
	if err != nil {
		v.markDown(v.cfg.Now())
		return Integration{}, fmt.Errorf("%w: writing %s: %v", ErrUnavailable, path, err)
	}
	v.markUp()
	now := v.cfg.Now()
	v.mu.Lock()
	v.cache[path] = cachedRead{key: key, found: true, at: now}
	v.mu.Unlock()
	updated := now.UTC()
	if s != nil && s.VersionMetadata != nil && !s.VersionMetadata.CreatedTime.IsZero() {
		updated = s.VersionMetadata.CreatedTime.UTC()
	}
	return Integration{Provider: provider, Masked: key.Mask(), UpdatedAt: updated}, nil
}

// ListUser lists a user's integrations with masked keys.
func (v *Vault) ListUser(ctx context.Context, user string) ([]Integration, error) {
	cctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	sec, err := v.client.Logical().ListWithContext(cctx, v.cfg.Mount+"/metadata/"+userDir(v.cfg.Prefix, user))
	if err != nil {
		v.markDown(v.cfg.Now())
		return nil, fmt.Errorf("%w: listing integrations: %v", ErrUnavailable, err)
	}
	v.markUp()
	out := []Integration{}
	if sec == nil || sec.Data == nil {
		return out, nil
	}
	keys, _ := sec.Data["keys"].([]any)
	for _, k := range keys {
		provider, _ := k.(string)
		if provider == "" || strings.HasSuffix(provider, "/") {
			continue
		}
		s, err := v.kv.Get(cctx, userPath(v.cfg.Prefix, user, provider))
		if err != nil {
			continue // deleted between list and read
		}
		key, _ := s.Data[apiKeyField].(string)
		in := Integration{Provider: provider, Masked: shared.NewSecret(key).Mask()}
		if s.VersionMetadata != nil {
			in.UpdatedAt = s.VersionMetadata.CreatedTime.UTC()
		}
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Provider < out[j].Provider })
	return out, nil
}

// DeleteUser removes every version of a user's key for a provider.
func (v *Vault) DeleteUser(ctx context.Context, user, provider string) error {
	cctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	path := userPath(v.cfg.Prefix, user, provider)
	if _, err := v.kv.Get(cctx, path); errors.Is(err, vault.ErrSecretNotFound) {
		return ErrNotFound
	}
	if err := v.kv.DeleteMetadata(cctx, path); err != nil {
		v.markDown(v.cfg.Now())
		return fmt.Errorf("%w: deleting %s: %v", ErrUnavailable, path, err)
	}
	v.mu.Lock()
	delete(v.cache, path)
	v.mu.Unlock()
	return nil
}

// Token renewal retries start at renewRetryMin and double up to
// renewRetryMax, but never exceed a fifth of the token's TTL, so a
// short-lived token is retried often enough to be renewed before it expires.
const (
	renewRetryMin = 500 * time.Millisecond
	renewRetryMax = 30 * time.Second
)

// errNotRenewable ends renewal: a root or non-renewable token needs none.
var errNotRenewable = errors.New("vault token is not renewable")

// renewToken keeps a renewable token alive until Close. Each round looks
// the token up and runs Vault's lifetime watcher until it stops: a renewal
// failed (Vault down), or the token cannot be extended any more (max TTL).
// After a failure, and when the lookup itself fails (Vault down at
// start-up), it waits with backoff and starts a new round, so renewal
// resumes by itself once Vault is back.
func (v *Vault) renewToken(ctx context.Context) {
	defer close(v.renewDone)
	wait, limit := renewRetryMin, renewRetryMax
	logged := "" // the last problem logged, so each is logged once per streak
	for {
		ttl, renewed, err := v.renewRound(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, errNotRenewable):
			v.log.Debug("vault token is not renewable; not renewing")
			return
		}
		if ttl > 0 {
			limit = min(max(ttl/5, renewRetryMin), renewRetryMax)
		}
		if renewed && err != nil { // it worked for a while: a new outage begins
			wait, logged = renewRetryMin, ""
		}
		delay, lvl, msg := min(wait, limit), slog.LevelWarn, "vault token renewal interrupted; retrying"
		var re *vault.ResponseError
		switch {
		case err == nil:
			// The watcher gave up without an error: Vault would not extend
			// the token (max TTL, or renewal denied). Retrying fast cannot
			// help; the next round's lookup tells which.
			delay, lvl, msg = renewRetryMax, slog.LevelError, "vault token can no longer be renewed (max TTL reached or access revoked); it will expire"
		case errors.As(err, &re) && re.StatusCode == http.StatusForbidden:
			delay, lvl, msg = renewRetryMax, slog.LevelError, "vault token is no longer valid (expired or revoked); issue a new one"
		}
		if msg == logged {
			lvl = slog.LevelDebug // a long outage would otherwise log every retry
		}
		logged = msg
		attrs := []any{"retry_in", delay.String()}
		if err != nil {
			attrs = append(attrs, "err", err)
		}
		v.log.Log(ctx, lvl, msg, attrs...)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		wait = min(delay*2, limit)
	}
}

// creationTTL is the TTL the token was created with, asked for on every
// renewal; the remaining TTL would shrink the token with each round. Zero
// lets Vault pick its default.
func creationTTL(self *vault.Secret) int {
	n, ok := self.Data["creation_ttl"].(json.Number)
	if !ok {
		return 0
	}
	secs, err := n.Int64()
	if err != nil {
		return 0
	}
	return int(secs)
}

// renewRound looks the token up and runs one lifetime watcher until it
// stops. It reports the TTL the lookup found and whether any renewal
// succeeded.
func (v *Vault) renewRound(ctx context.Context) (ttl time.Duration, renewed bool, err error) {
	lctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	self, err := v.client.Auth().Token().LookupSelfWithContext(lctx)
	cancel()
	if err != nil {
		return 0, false, fmt.Errorf("looking up the vault token: %w", err)
	}
	isRenewable, err := self.TokenIsRenewable()
	if err != nil {
		return 0, false, fmt.Errorf("reading the vault token's renewable flag: %w", err)
	}
	if ttl, err = self.TokenTTL(); err != nil {
		return 0, false, fmt.Errorf("reading the vault token's TTL: %w", err)
	}
	if !isRenewable || ttl <= 0 {
		return 0, false, errNotRenewable
	}
	// ErrorOnErrors hands failures back here instead of letting the watcher
	// retry on its own schedule (10 s and up), which is too slow for a short
	// TTL and stops for good once the original lease would have ended.
	w, err := v.client.NewLifetimeWatcher(&vault.LifetimeWatcherInput{
		Secret: &vault.Secret{Auth: &vault.SecretAuth{
			ClientToken: v.cfg.Token.Reveal(), Renewable: true, LeaseDuration: int(ttl.Seconds())}},
		Increment:     creationTTL(self),
		RenewBehavior: vault.RenewBehaviorErrorOnErrors,
	})
	if err != nil {
		return ttl, false, fmt.Errorf("vault lifetime watcher: %w", err)
	}
	go w.Start()
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return ttl, renewed, ctx.Err()
		case err := <-w.DoneCh():
			return ttl, renewed, v.recheckRefusal(ctx, err)
		case r := <-w.RenewCh():
			renewed = true
			v.log.Debug("vault token renewed", "at", r.RenewedAt)
		}
	}
}

// recheckRefusal looks the token up again after Vault refused a renewal
// with a client error other than 403. A renewal racing a revocation gets
// 400 ("token not found", "invalid lease ID"); the lookup tells whether the
// token is gone (403), so that is reported once as such and not retried
// as an outage.
func (v *Vault) recheckRefusal(ctx context.Context, err error) error {
	var re *vault.ResponseError
	if !errors.As(err, &re) || re.StatusCode < 400 || re.StatusCode >= 500 || re.StatusCode == http.StatusForbidden {
		return err
	}
	lctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	_, lerr := v.client.Auth().Token().LookupSelfWithContext(lctx)
	if errors.As(lerr, &re) && re.StatusCode == http.StatusForbidden {
		return fmt.Errorf("looking up the vault token after a refused renewal: %w", lerr)
	}
	return err
}
