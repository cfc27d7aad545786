package credentials

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	cfg     VaultConfig
	client  *vault.Client
	kv      *vault.KVv2
	log     *slog.Logger
	healthy atomic.Bool
	mu      sync.Mutex
	cache   map[string]cachedRead
	warned  map[string]bool
	stop    context.CancelFunc
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
	v.stop = cancel
	go v.renewToken(ctx)
	return v, nil
}

// Close stops token renewal.
func (v *Vault) Close() { v.stop() }

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
		v.healthy.Store(true)
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
	v.healthy.Store(false)
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
	if ok {
		return shared.Secret{}, fmt.Errorf("%w: vault unreachable and the cached credential for %s is older than %v (read at %s): %v",
			ErrUnavailable, path, v.cfg.MaxStale, c.at.UTC().Format(time.RFC3339), err)
	}
	return shared.Secret{}, fmt.Errorf("%w: vault unreachable and no cached credential for %s: %v", ErrUnavailable, path, err)
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
		v.healthy.Store(false)
		return Integration{}, fmt.Errorf("%w: writing %s: %v", ErrUnavailable, path, err)
	}
	v.healthy.Store(true)
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
		v.healthy.Store(false)
		return nil, fmt.Errorf("%w: listing integrations: %v", ErrUnavailable, err)
	}
	v.healthy.Store(true)
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
		v.healthy.Store(false)
		return fmt.Errorf("%w: deleting %s: %v", ErrUnavailable, path, err)
	}
	v.mu.Lock()
	delete(v.cache, path)
	v.mu.Unlock()
	return nil
}

// renewToken keeps a renewable token alive with Vault's lifetime watcher;
// a root or periodic-less token needs nothing.
func (v *Vault) renewToken(ctx context.Context) {
	lctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	self, err := v.client.Auth().Token().LookupSelfWithContext(lctx)
	cancel()
	if err != nil {
		v.log.Warn("vault token lookup failed; not renewing", "err", err)
		return
	}
	renewable, _ := self.TokenIsRenewable()
	ttl, _ := self.TokenTTL()
	if !renewable || ttl <= 0 {
		return
	}
	w, err := v.client.NewLifetimeWatcher(&vault.LifetimeWatcherInput{Secret: &vault.Secret{Auth: &vault.SecretAuth{
		ClientToken: v.cfg.Token.Reveal(), Renewable: true, LeaseDuration: int(ttl.Seconds())}}})
	if err != nil {
		v.log.Warn("vault token watcher", "err", err)
		return
	}
	go w.Start()
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-w.DoneCh():
			if err != nil {
				v.log.Warn("vault token renewal stopped", "err", err)
			}
			return
		case r := <-w.RenewCh():
			v.log.Debug("vault token renewed", "at", r.RenewedAt)
		}
	}
}
