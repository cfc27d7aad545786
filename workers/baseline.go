package workers

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/events"
)

// baseline is one step of a provider's offers as its events tell it:
// the events that lead from base to next are derived from this record's
// revision (so their ids are the same whoever derives them), and next is
// the state every later step starts from. base is nil for the first
// step a cell ever records of a provider: it has nothing to compare with
// and emits nothing.
type baseline struct {
	base, next map[string]seenOffer
	at         time.Time // when next was fetched upstream
	rev        uint64
}

// errBaselineMoved: another replica recorded a newer step first.
var errBaselineMoved = errors.New("another replica recorded a newer baseline first")

// baselines keeps the last step of each provider where every replica of
// it, and the replica that replaces one that died, finds it. A step is
// recorded before its events are published: a replica that dies while
// they are on their way leaves the step for its successor, which
// publishes the same events again (the stream drops copies it holds) and
// goes on from next, so the stream's events never skip or fork.
type baselines interface {
	// load returns the provider's last step; found is false when none
	// was ever recorded.
	load(ctx context.Context, provider string) (b baseline, found bool, err error)
	// save records the step base→next in place of revision prev (0: the
	// first) and returns its revision, or errBaselineMoved.
	save(ctx context.Context, provider string, step baseline, prev uint64) (uint64, error)
}

// memBaselines keeps baselines in the process: without a stream, events
// do not outlive the process anyway.
type memBaselines struct {
	mu sync.Mutex
	m  map[string]baseline
}

func (s *memBaselines) load(_ context.Context, provider string) (baseline, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[provider]
	return b, ok, nil
}

func (s *memBaselines) save(_ context.Context, provider string, step baseline, prev uint64) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]baseline{}
	}
	if s.m[provider].rev != prev {
		return 0, errBaselineMoved
	}
	step.rev = prev + 1
	s.m[provider] = step
	return step.rev, nil
}

// BaselineBucket is the JetStream key-value bucket holding a cell's
// baselines, one key per provider.
func BaselineBucket(cell string) string { return "gpubroker_baselines_" + cell }

// kvBaselines keeps baselines in a JetStream key-value bucket (file
// storage, one revision kept), so they survive the replica and the server.
type kvBaselines struct {
	js   jetstream.JetStream
	cell string
	// maxValue is the largest value NATS carries (its max_payload).
	maxValue int64

	mu sync.Mutex
	kv jetstream.KeyValue // nil until the bucket could be made
}

func (s *kvBaselines) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kv != nil {
		return s.kv, nil
	}
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: BaselineBucket(s.cell),
		Description: "the offers each provider's price and availability events were last derived from",
		History:     1, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, fmt.Errorf("baseline bucket %s: %w", BaselineBucket(s.cell), err)
	}
	s.kv = kv
	return kv, nil
}

func (s *kvBaselines) load(ctx context.Context, provider string) (baseline, bool, error) {
	kv, err := s.bucket(ctx)
	if err != nil {
		return baseline{}, false, err
	}
	e, err := kv.Get(ctx, provider)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return baseline{}, false, nil
	}
	if err != nil {
		return baseline{}, false, fmt.Errorf("loading the %s baseline: %w", provider, err)
	}
	b, err := decodeBaseline(e.Value())
	if err != nil {
		return baseline{}, false, fmt.Errorf("loading the %s baseline: %w", provider, err)
	}
	b.rev = e.Revision()
	return b, true, nil
}

func (s *kvBaselines) save(ctx context.Context, provider string, step baseline, prev uint64) (uint64, error) {
	kv, err := s.bucket(ctx)
	if err != nil {
		return 0, err
	}
	v, err := encodeBaseline(step)
	if err != nil {
		return 0, err
	}
	if s.maxValue > 0 && int64(len(v)) > s.maxValue {
		return 0, fmt.Errorf("the %s baseline (%d offers) is %d bytes compressed, over NATS max_payload %d", provider, len(step.next), len(v), s.maxValue)
	}
	var rev uint64
	if prev == 0 {
		rev, err = kv.Create(ctx, provider, v)
	} else {
		rev, err = kv.Update(ctx, provider, v, prev)
	}
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return 0, errBaselineMoved
	}
	if err != nil {
		return 0, fmt.Errorf("saving the %s baseline: %w", provider, err)
	}
	return rev, nil
}

// storedOffer is one offer in an encoded baseline.
type storedOffer struct {
	ID           string          `json:"id"`
	Price        float64         `json:"price"`
	Availability string          `json:"availability"`
	GPU          string          `json:"gpu"`
	Region       string          `json:"region"`
	Where        events.Location `json:"where"`
}

// storedBaseline is a baseline as the bucket holds it.
type storedBaseline struct {
	Base      []storedOffer `json:"base"` // null: the first step
	Next      []storedOffer `json:"next"`
	FetchedAt time.Time     `json:"fetched_at"`
}

// encodeBaseline is the step as gzipped JSON: a few hundred bytes per ten
// offers, so even a large catalog stays well inside one NATS message.
func encodeBaseline(step baseline) ([]byte, error) {
	v := storedBaseline{Next: storedOffers(step.next), FetchedAt: step.at}
	if step.base != nil {
		v.Base = storedOffers(step.base)
	}
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	if err := json.NewEncoder(z).Encode(v); err != nil {
		return nil, fmt.Errorf("encoding a baseline: %w", err)
	}
	if err := z.Close(); err != nil {
		return nil, fmt.Errorf("encoding a baseline: %w", err)
	}
	return buf.Bytes(), nil
}

func storedOffers(offers map[string]seenOffer) []storedOffer {
	list := make([]storedOffer, 0, len(offers))
	for id, o := range offers {
		list = append(list, storedOffer{ID: id, Price: o.price, Availability: string(o.availability), GPU: o.gpu, Region: o.region, Where: o.where})
	}
	return list
}

// maxBaselineBytes bounds a decoded baseline, so a corrupt value cannot
// inflate without limit.
const maxBaselineBytes = 256 << 20

func decodeBaseline(v []byte) (baseline, error) {
	z, err := gzip.NewReader(bytes.NewReader(v))
	if err != nil {
		return baseline{}, fmt.Errorf("decoding a baseline: %w", err)
	}
	var sb storedBaseline
	if err := json.NewDecoder(io.LimitReader(z, maxBaselineBytes)).Decode(&sb); err != nil {
		return baseline{}, fmt.Errorf("decoding a baseline: %w", err)
	}
	b := baseline{next: seenOffers(sb.Next), at: sb.FetchedAt}
	if sb.Base != nil {
		b.base = seenOffers(sb.Base)
	}
	return b, nil
}

func seenOffers(list []storedOffer) map[string]seenOffer {
	offers := make(map[string]seenOffer, len(list))
	for _, o := range list {
		offers[o.ID] = seenOffer{price: o.Price, availability: shared.Availability(o.Availability), gpu: o.GPU, region: o.Region, where: o.Where}
	}
	return offers
}
