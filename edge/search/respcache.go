package search

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/gpubroker/gpubroker/edge/httpx"
)

// response is a finished answer kept as bytes, valid while every provider
// snapshot it was built from is still the current one.
type response struct {
	status     int
	body       []byte
	deps       []dep
	gen        uint64
	freshUntil time.Time
}

// responseKey identifies an answer by method, path and query, or for POST
// bodies by their SHA-256.
func responseKey(rc *httpx.Request) string {
	if rc.IsPost() {
		sum := sha256.Sum256(rc.PostBody())
		return "P" + string(rc.Path()) + "?" + hex.EncodeToString(sum[:])
	}
	return "G" + string(rc.RequestURI())
}

// serveCached answers from the response cache when the stored answer's
// snapshots are all still current. A hit also gives XFetch its chance to
// refresh a snapshot early, in the background.
func (s *Service) serveCached(rc *httpx.Request, key string) bool {
	if s.responses == nil {
		return false
	}
	r, ok := s.responses.Get(key)
	now := s.now()
	if !ok || !now.Before(r.freshUntil) || r.gen != s.snapGen.Load() {
		s.m.responseCache(false)
		return false
	}
	// Give XFetch its chance on one snapshot per hit, in turn: at request
	// rates that is many looks per snapshot per second, and it keeps the
	// hit path from touching every provider's entry.
	if n := len(r.deps); n > 0 {
		d := r.deps[int(s.touchSeq.Add(1)%uint64(n))]
		if it, ok := s.offers.Peek(d.key); ok && now.Before(it.FreshUntil) {
			// An L2 hit: returns at once, possibly starting an early refresh.
			_, _, _ = s.offers.Get(context.Background(), d.key, s.cfg.Cache.PricingTTL, s.cfg.Cache.StaleFor, s.refreshers[d.key])
		}
	}
	s.m.responseCache(true)
	rc.Response.Header.SetContentType("application/json")
	rc.SetStatusCode(r.status)
	rc.Response.SetBodyRaw(r.body) // immutable once cached: no copy
	return true
}

// storeResponse keeps an answer until its snapshots change or expire.
func (s *Service) storeResponse(key string, status int, body []byte, v *view) {
	if s.responses == nil || v.freshUntil.IsZero() {
		return
	}
	gen := s.currentGen(v)
	s.responses.Set(key, &response{status: status, body: body, deps: v.deps, gen: gen, freshUntil: v.freshUntil}, v.freshUntil)
}

// currentGen is the generation an answer built from v can be filed under:
// the present one when every snapshot v used is still the one in L2 (the
// gather may itself have loaded them, bumping the generation), else the
// generation from before the gather, which has already passed.
func (s *Service) currentGen(v *view) uint64 {
	gen := s.snapGen.Load() // read before checking: a later change bumps it past gen
	for _, d := range v.deps {
		if it, ok := s.offers.Peek(d.key); !ok || !it.FetchedAt.Equal(d.fetchedAt) {
			return v.gen
		}
	}
	return gen
}
