package feed

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/gpubroker/gpubroker/shared/events"
)

var (
	propGPUs    = []string{"nvidia-h100-sxm-80gb", "nvidia-a100-sxm-80gb", "nvidia-rtx-4090-24gb"}
	propRegions = [][2]string{{"us-east", "US"}, {"eu-west", "DE"}, {"ap-northeast", "JP"}}
	propChans   = []string{"price_updates", "gpu:nvidia-h100-sxm-80gb", "gpu:RTX 4090", "region:eu", "region:US", "provider:vastai", "provider:aws"}
)

// Seed property: reconnecting restores the subscriptions. Over random
// subscriptions, random updates and a disconnect at a random point, the
// client that resumes sees every update on its channels exactly once and
// in order, across the two connections, as long as retention covers the
// gap.
func TestResumeLosesNothing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := NewHub(Config{QueueSize: 1024, Retain: 1024})
		chans := rapid.SliceOfNDistinct(rapid.SampledFrom(propChans), 1, 4, rapid.ID).Draw(t, "channels")
		s := h.Subscribe(Options{Owner: "u"})
		var cs []Channel
		for _, name := range chans {
			c, err := ParseChannel(name, known)
			if err != nil {
				t.Fatal(err)
			}
			cs = append(cs, c)
			s.Add(c)
		}
		n := rapid.IntRange(1, 200).Draw(t, "updates")
		cut := rapid.IntRange(0, n).Draw(t, "disconnect after")
		var want, got []uint64
		for i := 1; i <= n; i++ {
			provider := rapid.SampledFrom([]string{"vastai", "aws", "runpod"}).Draw(t, "provider")
			gpu := rapid.SampledFrom(propGPUs).Draw(t, "gpu")
			rc := rapid.SampledFrom(propRegions).Draw(t, "region")
			u := mustDecode(t, uint64(i), events.TypePriceUpdate, priceEvent(provider, fmt.Sprint(provider, ":", i%7), gpu, rc[0], rc[1], 1, float64(i)))
			if slices.ContainsFunc(cs, func(c Channel) bool {
				return slices.ContainsFunc(c.Keys, func(k string) bool { return slices.Contains(u.Keys, k) })
			}) {
				want = append(want, u.Seq)
			}
			h.Publish(u)
			if i == cut {
				got = append(got, drain(s)...)
				tok := Token()
				s.Park(tok)
				had := s.Channels()
				// Resuming later: a few updates come while disconnected.
				for j := 0; j < 3 && i < n; j++ {
					i++
					u := mustDecode(t, uint64(i), events.TypePriceUpdate, priceEvent("vastai", "vastai:x", propGPUs[0], "us-east", "US", 1, float64(i)))
					want = append(want, u.Seq) // on price_updates/gpu/region:US/provider:vastai
					if !slices.ContainsFunc(cs, func(c Channel) bool {
						return slices.ContainsFunc(c.Keys, func(k string) bool { return slices.Contains(u.Keys, k) })
					}) {
						want = want[:len(want)-1]
					}
					h.Publish(u)
				}
				r, complete, err := h.Resume(tok, "u", "", nil)
				if err != nil || !complete {
					t.Fatalf("resume: complete %v, %v", complete, err)
				}
				if !slices.Equal(r.Channels(), had) {
					t.Fatalf("resumed channels %v, had %v", r.Channels(), had)
				}
				s = r
			}
		}
		got = append(got, drain(s)...)
		if !slices.Equal(got, want) {
			t.Fatalf("got %v\nwant %v", got, want)
		}
		s.Close()
		if h.IndexSize() != 0 {
			t.Fatalf("index not empty: %d", h.IndexSize())
		}
	})
}

func drain(s *Subscriber) []uint64 {
	if pending(s) == 0 {
		return nil
	}
	ups, _, _ := s.Next(context.Background(), nil) // never waits: something is queued
	return seqs(ups)
}
