package accounts

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gpubroker/gpubroker/internal/bounded"
	"github.com/gpubroker/gpubroker/shared/store"
)

// ErrUnknownService: a service token whose account is deleted or disabled,
// belongs to another user than the token says, or whose owner is disabled.
var ErrUnknownService = errors.New("service account disabled or deleted")

// ServiceAuthConfig tunes ServiceAuth; zero fields get the defaults.
type ServiceAuthConfig struct {
	// TTL is how long an answer, good or bad, is trusted (5 s): a deleted
	// account or a changed plan takes effect on other edges within it.
	TTL        time.Duration
	MaxEntries int // cached answers (10,000)
	MaxLookups int // store lookups at once (16)
	Now        func() time.Time
}

// ServiceOwner is what a service token acts as, read from the store.
type ServiceOwner struct {
	UserID string
	Plan   string // the owner's current plan
}

// ServiceAuth checks service tokens against their accounts on use. Service
// tokens live 30 days, so their signature alone would keep a deleted
// account working and freeze the owner's plan; a short cache keeps the
// store off the hot path (one lookup per account per TTL, shared by
// concurrent requests, at most MaxLookups at once).
type ServiceAuth struct {
	st  store.Store
	cfg ServiceAuthConfig

	mu      sync.Mutex
	cache   map[string]serviceEntry // by service id
	flights map[string]*serviceFlight

	lookups chan struct{}
}

type serviceEntry struct {
	owner   ServiceOwner
	err     error // ErrUnknownService, or nil
	expires time.Time
}

type serviceFlight struct {
	done chan struct{}
	e    serviceEntry
	err  error // a store failure, not cached
}

// NewServiceAuth returns a ServiceAuth over st.
func NewServiceAuth(st store.Store, cfg ServiceAuthConfig) *ServiceAuth {
	if cfg.TTL <= 0 {
		cfg.TTL = 5 * time.Second
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 10_000
	}
	if cfg.MaxLookups <= 0 {
		cfg.MaxLookups = 16
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &ServiceAuth{st: st, cfg: cfg, cache: map[string]serviceEntry{}, flights: map[string]*serviceFlight{},
		lookups: make(chan struct{}, cfg.MaxLookups)}
}

// Lookup checks that service account serviceID exists, is enabled and
// belongs to the enabled user userID (the token's claims), and returns that
// user's current plan. ErrUnknownService means the token must be refused;
// any other error means the store could not answer.
func (a *ServiceAuth) Lookup(ctx context.Context, serviceID, userID string) (ServiceOwner, error) {
	now := a.cfg.Now()
	a.mu.Lock()
	if e, ok := a.cache[serviceID]; ok && now.Before(e.expires) {
		a.mu.Unlock()
		return e.check(userID)
	}
	f := a.flights[serviceID]
	if f == nil {
		f = &serviceFlight{done: make(chan struct{})}
		a.flights[serviceID] = f
		a.mu.Unlock()
		a.fly(ctx, serviceID, f)
	} else {
		a.mu.Unlock()
	}
	select {
	case <-f.done:
		if f.err != nil {
			return ServiceOwner{}, f.err
		}
		return f.e.check(userID)
	case <-ctx.Done():
		return ServiceOwner{}, fmt.Errorf("accounts: waiting for service account lookup: %w", ctx.Err())
	}
}

// check refuses a token that names another user than the account's owner
// (only a forged or cross-issuer token could).
func (e serviceEntry) check(userID string) (ServiceOwner, error) {
	if e.err != nil {
		return ServiceOwner{}, e.err
	}
	if e.owner.UserID != userID {
		return ServiceOwner{}, ErrUnknownService
	}
	return e.owner, nil
}

// fly reads one account and its owner, and publishes the answer to the
// cache and every waiter.
func (a *ServiceAuth) fly(ctx context.Context, serviceID string, f *serviceFlight) {
	var e serviceEntry
	select {
	case a.lookups <- struct{}{}:
		e, f.err = a.read(ctx, serviceID)
		<-a.lookups
	case <-ctx.Done():
		f.err = ctx.Err()
	}
	now := a.cfg.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.flights, serviceID)
	defer close(f.done)
	if f.err != nil {
		f.err = fmt.Errorf("accounts: looking up service account: %w", f.err)
		return
	}
	e.expires = now.Add(a.cfg.TTL)
	f.e = e
	if len(a.cache) >= a.cfg.MaxEntries {
		bounded.Shrink(a.cache, func(e serviceEntry) bool { return !now.Before(e.expires) }, a.cfg.MaxEntries)
	}
	a.cache[serviceID] = e
}

// read is the store side of a lookup; the error is a store failure only.
func (a *ServiceAuth) read(ctx context.Context, serviceID string) (serviceEntry, error) {
	sa, err := a.st.ServiceAccountByID(ctx, serviceID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return serviceEntry{err: ErrUnknownService}, nil
	case err != nil:
		return serviceEntry{}, err
	case sa.Disabled:
		return serviceEntry{err: ErrUnknownService}, nil
	}
	u, err := a.st.UserByID(ctx, sa.OwnerID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return serviceEntry{err: ErrUnknownService}, nil
	case err != nil:
		return serviceEntry{}, err
	case u.Disabled:
		return serviceEntry{err: ErrUnknownService}, nil
	}
	return serviceEntry{owner: ServiceOwner{UserID: u.ID, Plan: u.Plan}}, nil
}

// Forget drops a cached answer (after the account is deleted here).
func (a *ServiceAuth) Forget(serviceID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.cache, serviceID)
}
