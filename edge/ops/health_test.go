package ops

import (
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/workers/client"
)

func TestUnhealthyReason(t *testing.T) {
	now := time.Now()
	replica := func(breaker, lastErr string, failedLater bool) client.ReplicaStatus {
		st := shared.WorkerStatus{Breaker: breaker, LastError: lastErr, LastErrorKind: "timeout", LastSuccess: now}
		if failedLater {
			st.LastErrorAt = now.Add(time.Second)
		}
		return client.ReplicaStatus{WorkerStatus: st}
	}
	for _, tc := range []struct {
		name string
		pv   providerHealthView
		want []string
	}{
		{"open breaker", providerHealthView{Breaker: "open"}, []string{"circuit breaker is open"}},
		{"this edge's fetch failed, breaker closed", providerHealthView{Breaker: "closed",
			ProviderHealth: client.ProviderHealth{LastError: "the provider answered HTTP 500", LastErrorKind: "upstream"}},
			[]string{"the last fetch failed (upstream): the provider answered HTTP 500", "stays closed until half of the last 10 calls fail"}},
		{"the workers' probe failed", providerHealthView{Breaker: "half_open",
			Replicas: []client.ReplicaStatus{replica("half_open", "no answer from the provider within the fetch timeout", true)}},
			[]string{"(timeout): no answer from the provider within the fetch timeout", "half-open"}},
	} {
		got := unhealthyReason(tc.pv)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tc.name, got, w)
			}
		}
	}
}

func TestAggregateReplicas(t *testing.T) {
	rs := func(bs ...string) []client.ReplicaStatus {
		var out []client.ReplicaStatus
		for i, b := range bs {
			out = append(out, client.ReplicaStatus{WorkerStatus: shared.WorkerStatus{Breaker: b}, Weight: float64(i) / 10})
		}
		return out
	}
	for _, tc := range []struct {
		in      []client.ReplicaStatus
		breaker string
		weight  float64
	}{
		{nil, "unknown", 1},
		{rs("open", "half_open"), "half_open", 0.1},
		{rs("open", "closed", "half_open"), "closed", 0.2},
		{rs("open"), "open", 0},
	} {
		if b, w := aggregateReplicas(tc.in); b != tc.breaker || w != tc.weight {
			t.Errorf("%+v: %s %v, want %s %v", tc.in, b, w, tc.breaker, tc.weight)
		}
	}
}
