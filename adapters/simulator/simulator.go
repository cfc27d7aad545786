package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// providerSim is one provider's part of the simulator: how to build its
// inventory and how to serve its API from a snapshot of that inventory.
type providerSim struct {
	name      string
	inventory func(r *rand.Rand) []Item
	handler   func(p *Provider) http.Handler
}

var sims = map[string]providerSim{}

// registerProvider is called from each provider file's init.
func registerProvider(p providerSim) {
	if _, dup := sims[p.name]; dup {
		panic("simulator: duplicate provider " + p.name)
	}
	sims[p.name] = p
}

// Providers lists the providers the simulator can speak for, sorted.
func Providers() []string {
	out := make([]string, 0, len(sims))
	for n := range sims {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Config configures a Simulator.
type Config struct {
	Seed uint64
	// StepEvery advances the price random walk on a timer; 0 means prices
	// move only when Step is called.
	StepEvery time.Duration
	// Volatility is the standard deviation of one log-price step (default 0.02).
	Volatility float64
	// Faults are the initial per-provider fault settings.
	Faults map[string]Fault
	// Providers limits the simulated providers; empty means all.
	Providers []string
}

// Simulator serves every simulated provider's API.
type Simulator struct {
	cfg       Config
	providers map[string]*Provider
	mux       *http.ServeMux
	stop      chan struct{}
}

// Provider is the live state of one simulated provider.
type Provider struct {
	Name     string
	mu       sync.Mutex
	rng      *rand.Rand // drives the price walk only, so prices depend on seed and steps alone
	faultRng *rand.Rand
	items    []Item
	walks    []walk
	fault    Fault
	requests atomic.Int64
	handler  http.Handler
}

// New builds a simulator with a deterministic inventory for cfg.Seed.
func New(cfg Config) (*Simulator, error) {
	if cfg.Volatility == 0 {
		cfg.Volatility = 0.02
	}
	names := cfg.Providers
	if len(names) == 0 {
		names = Providers()
	}
	s := &Simulator{cfg: cfg, providers: map[string]*Provider{}, mux: http.NewServeMux(), stop: make(chan struct{})}
	for i, name := range names {
		ps, ok := sims[name]
		if !ok {
			return nil, fmt.Errorf("simulator: unknown provider %q (have %s)", name, strings.Join(Providers(), ", "))
		}
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1))
		items := ps.inventory(rng)
		p := &Provider{Name: name, rng: rng, faultRng: rand.New(rand.NewPCG(cfg.Seed^0x9e3779b97f4a7c15, uint64(i)+1)), items: items, walks: make([]walk, len(items))}
		for j := range items {
			p.walks[j] = walk{basePrice: items[j].Price, baseSpot: items[j].Spot, mult: 1}
		}
		if f, ok := cfg.Faults[name]; ok {
			if !f.valid() {
				return nil, fmt.Errorf("simulator: invalid fault for %s", name)
			}
			p.fault = f
		}
		p.handler = ps.handler(p)
		s.providers[name] = p
		s.mux.Handle("/"+name+"/", http.StripPrefix("/"+name, s.faulty(p)))
	}
	for f := range cfg.Faults {
		if _, ok := s.providers[f]; !ok {
			return nil, fmt.Errorf("simulator: fault for unknown provider %q", f)
		}
	}
	s.mux.HandleFunc("GET /_sim/faults", s.getFaults)
	s.mux.HandleFunc("PUT /_sim/faults/{provider}", s.putFault)
	s.mux.HandleFunc("DELETE /_sim/faults/{provider}", s.deleteFault)
	s.mux.HandleFunc("POST /_sim/step", s.postStep)
	s.mux.HandleFunc("GET /_sim/stats", s.getStats)
	return s, nil
}

// Handler serves all providers and the admin API.
func (s *Simulator) Handler() http.Handler { return s.mux }

// Names lists the simulated providers.
func (s *Simulator) Names() []string {
	out := make([]string, 0, len(s.providers))
	for n := range s.providers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Serve serves on l until ctx is done, stepping prices if configured.
func (s *Simulator) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 5 * time.Second}
	if s.cfg.StepEvery > 0 {
		go s.stepLoop(ctx)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Simulated timeouts hang on purpose; cut them off.
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Simulator) stepLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.StepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Step()
		}
	}
}

// Step advances every provider's prices and stock by one random-walk step.
func (s *Simulator) Step() {
	for _, p := range s.providers {
		p.mu.Lock()
		for i := range p.items {
			stepItem(p.rng, &p.items[i], &p.walks[i], s.cfg.Volatility)
		}
		p.mu.Unlock()
	}
}

// SetFault replaces one provider's fault settings.
func (s *Simulator) SetFault(provider string, f Fault) error {
	p, ok := s.providers[provider]
	if !ok {
		return fmt.Errorf("unknown provider %q", provider)
	}
	if !f.valid() {
		return errors.New("rates must be in [0,1] and sum to at most 1; durations non-negative")
	}
	p.mu.Lock()
	p.fault = f
	p.mu.Unlock()
	return nil
}

// Requests reports how many API requests a provider has received.
func (s *Simulator) Requests(provider string) int64 {
	if p, ok := s.providers[provider]; ok {
		return p.requests.Load()
	}
	return 0
}

// Snapshot returns a copy of a provider's current inventory.
func (p *Provider) Snapshot() []Item {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Item, len(p.items))
	copy(out, p.items)
	return out
}

func (s *Simulator) faulty(p *Provider) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		p.mu.Lock()
		f := p.fault
		// Each request gets its own generator so faults do not contend on p.mu.
		rng := rand.New(rand.NewPCG(p.faultRng.Uint64(), p.faultRng.Uint64()))
		p.mu.Unlock()
		if inject(f, rng, w, r) {
			return
		}
		if revokedKey(r) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid or revoked API key"})
			return
		}
		p.handler.ServeHTTP(w, r)
	})
}

// RevokedKeyMarker anywhere in a request's headers or query string makes
// the simulator refuse the request with 401, as a provider refuses a
// revoked key; credential checks are tested with it.
const RevokedKeyMarker = "sim-revoked"

func revokedKey(r *http.Request) bool {
	for _, vs := range r.Header {
		for _, v := range vs {
			if strings.Contains(v, RevokedKeyMarker) {
				return true
			}
		}
	}
	return strings.Contains(r.URL.RawQuery, RevokedKeyMarker)
}

func (s *Simulator) getFaults(w http.ResponseWriter, _ *http.Request) {
	out := map[string]Fault{}
	for n, p := range s.providers {
		p.mu.Lock()
		out[n] = p.fault
		p.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Simulator) putFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid fault JSON: " + err.Error()})
		return
	}
	if err := s.SetFault(r.PathValue("provider"), f); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Simulator) deleteFault(w http.ResponseWriter, r *http.Request) {
	if err := s.SetFault(r.PathValue("provider"), Fault{}); err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Simulator) postStep(w http.ResponseWriter, _ *http.Request) {
	s.Step()
	writeJSON(w, http.StatusOK, map[string]string{"status": "stepped"})
}

func (s *Simulator) getStats(w http.ResponseWriter, _ *http.Request) {
	out := map[string]any{}
	for n, p := range s.providers {
		p.mu.Lock()
		out[n] = map[string]any{"requests": p.requests.Load(), "items": len(p.items)}
		p.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
