package client

import (
	"math"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/gpubroker/gpubroker/shared"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func status(provider, replica, breaker string, latencyMS float64) shared.WorkerStatus {
	return shared.WorkerStatus{Provider: provider, Replica: replica, Breaker: breaker, LatencyMS: latencyMS, Interval: 5000}
}

// Property 9: requests split across replicas in proportion to their health
// weights; a slow replica (> 2 s average) gets half the share of a fast one,
// an open breaker none.
func TestPropertyWeightedDistribution(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		clk := &fakeClock{t: time.Unix(1000, 0)}
		b := newBalancer("c", 1<<30, clk.now)
		n := rapid.IntRange(1, 6).Draw(t, "replicas")
		want := map[string]float64{}
		total := 0.0
		for i := 0; i < n; i++ {
			id := "r" + string(rune('a'+i))
			kind := rapid.SampledFrom([]string{"fast", "slow", "half_open", "open"}).Draw(t, "kind")
			st := status("p", id, "closed", 100)
			w := 1.0
			switch kind {
			case "slow":
				st.LatencyMS, w = 2500, 0.5
			case "half_open":
				st.Breaker, w = "half_open", halfOpenWeight
			case "open":
				st.Breaker, st.RetryAt, w = "open", clk.t.Add(time.Minute), 0
			}
			b.observe(st)
			want[id] = w
			total += w
		}
		picks := rapid.IntRange(50, 2000).Draw(t, "picks")
		got := map[string]int{}
		for i := 0; i < picks; i++ {
			subj, release, healthy := b.pick("p")
			if total == 0 {
				if healthy {
					t.Fatal("all replicas open, but the provider is reported healthy")
				}
				return
			}
			got[subj[strings.LastIndexByte(subj, '.')+1:]]++
			release(true)
		}
		for id, w := range want {
			exp := float64(picks) * w / total
			if math.Abs(float64(got[id])-exp) > 2 {
				t.Fatalf("replica %s (weight %v): %d of %d picks, expected %.1f; all %v", id, w, got[id], picks, exp, got)
			}
		}
	})
}

func TestBalancerFallsBackToQueueGroup(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	b := newBalancer("c", 2, clk.now)
	if subj, _, ok := b.pick("p"); !ok || subj != shared.OffersSubject("c", "p") {
		t.Fatalf("no heartbeats: %s %v", subj, ok)
	}
	b.observe(status("p", "r1", "closed", 10))
	subj, rel1, _ := b.pick("p")
	if subj != shared.ReplicaSubject("c", "p", "r1") {
		t.Fatal(subj)
	}
	_, rel2, _ := b.pick("p")
	// r1 is at its cap of 2 in-flight requests: overflow goes to the queue group.
	if subj, _, _ := b.pick("p"); subj != shared.OffersSubject("c", "p") {
		t.Fatalf("capped replica still picked: %s", subj)
	}
	rel1(true)
	rel2(true)
	// A replica whose heartbeats stop is forgotten after three intervals.
	clk.t = clk.t.Add(16 * time.Second)
	if subj, _, _ := b.pick("p"); subj != shared.OffersSubject("c", "p") {
		t.Fatalf("stale replica still picked: %s", subj)
	}
}

func TestBalancerShunsFailingReplica(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	b := newBalancer("c", 100, clk.now)
	b.observe(status("p", "bad", "closed", 10))
	for i := 0; i < failuresToShun; i++ {
		_, rel, _ := b.pick("p")
		rel(false)
	}
	if _, _, healthy := b.pick("p"); healthy {
		t.Fatal("replica with 3 consecutive failures still healthy")
	}
	clk.t = clk.t.Add(shunFor)
	b.observe(status("p", "bad", "closed", 10))
	if subj, _, healthy := b.pick("p"); !healthy || !strings.HasSuffix(subj, ".bad") {
		t.Fatalf("replica not readmitted after %v: %s", shunFor, subj)
	}
}

func TestOpenBreakerPastRetryIsTrial(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	b := newBalancer("c", 100, clk.now)
	st := status("p", "r", "open", 10)
	st.RetryAt = clk.t.Add(30 * time.Second)
	b.observe(st)
	if _, _, healthy := b.pick("p"); healthy {
		t.Fatal("open breaker picked")
	}
	clk.t = clk.t.Add(31 * time.Second)
	b.observe(st) // heartbeat not yet updated, but the open period is over
	if _, _, healthy := b.pick("p"); !healthy {
		t.Fatal("breaker past its open period gets no trial")
	}
}
