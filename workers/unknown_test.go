package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/gpubroker/gpubroker/internal/testlog"
	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared"
)

// gpuNamesAdapter returns one offer per GPU name.
type gpuNamesAdapter struct {
	provider string
	names    []string
}

func (a *gpuNamesAdapter) Name() string { return a.provider }

func (a *gpuNamesAdapter) Fetch(context.Context) ([]shared.Offer, error) {
	out := make([]shared.Offer, len(a.names))
	for i, name := range a.names {
		o := shared.Offer{ID: shared.OfferID(a.provider, strconv.Itoa(i)), Provider: a.provider, InstanceType: "t",
			Currency: "USD", Region: "us-east-1", Availability: shared.Available, FetchedAt: time.Now(), Source: "test",
			ComplianceTags: []string{}}
		o.SetGPU(name, 24, 1)
		o.SetPrices(1, 0)
		out[i] = o
	}
	return out, nil
}

// unknownLogLines counts the "not in catalog" warnings per provider/name.
func unknownLogLines(t *testing.T, logs string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec struct {
			Msg      string `json:"msg"`
			Provider string `json:"provider"`
			GPUName  string `json:"gpu_name"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if strings.HasPrefix(rec.Msg, "GPU name not in catalog") {
			n[rec.Provider+"/"+rec.GPUName]++
		}
	}
	return n
}

// Unknown GPU names are never dropped: every such offer is returned with
// gpu_known=false and counted, and each (provider, name) is logged once no
// matter how many fetches repeat it.
func TestUnknownGPUsLoggedOnceAndCounted(t *testing.T) {
	nc := testnats.Conn(t)
	logs := &testlog.Buffer{}
	set := metrics.NewSet()
	names := []string{"Mystery Accelerator 7", "Quantum Widget 9000", "H100 SXM"}
	const fetches = 3
	for _, provider := range []string{"alpha", "beta"} { // same names from two providers
		w, err := New(Config{Cell: "t", Adapter: &gpuNamesAdapter{provider: provider, names: names}, Conn: nc,
			Logger: slog.New(slog.NewJSONHandler(logs, nil)), Metrics: set})
		if err != nil {
			t.Fatal(err)
		}
		for range fetches {
			f, err := w.fetch(context.Background())
			if err != nil || f.err != nil {
				t.Fatal(err, f.err)
			}
			if len(f.offers) != len(names) {
				t.Fatalf("%s: %d offers returned, want %d (unknown GPUs must not be dropped)", provider, len(f.offers), len(names))
			}
			for _, o := range f.offers {
				if want := o.ProviderGPUName == "H100 SXM"; o.GPUKnown != want {
					t.Fatalf("%s: offer for %q has gpu_known=%v", provider, o.ProviderGPUName, o.GPUKnown)
				}
			}
		}
		c := set.GetOrCreateCounter(fmt.Sprintf(`gpubroker_unknown_gpu_offers_total{provider=%q}`, provider)).Get()
		if c != 2*fetches {
			t.Fatalf("%s: counter %d, want %d", provider, c, 2*fetches)
		}
	}
	got := unknownLogLines(t, logs.String())
	want := map[string]int{"alpha/Mystery Accelerator 7": 1, "alpha/Quantum Widget 9000": 1,
		"beta/Mystery Accelerator 7": 1, "beta/Quantum Widget 9000": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("log lines per provider/name %v, want %v", got, want)
	}
}

// Past maxUnknownLogged distinct names, new ones are counted but not logged
// or remembered, and the limit is announced once.
func TestUnknownGPUNamesBounded(t *testing.T) {
	nc := testnats.Conn(t)
	logs := &testlog.Buffer{}
	set := metrics.NewSet()
	names := make([]string, maxUnknownLogged+5)
	for i := range names {
		names[i] = fmt.Sprintf("Mystery Accelerator %d", i)
	}
	w, err := New(Config{Cell: "t", Adapter: &gpuNamesAdapter{provider: "alpha", names: names}, Conn: nc,
		Logger: slog.New(slog.NewJSONHandler(logs, nil)), Metrics: set})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if f, err := w.fetch(context.Background()); err != nil || f.err != nil || len(f.offers) != len(names) {
			t.Fatalf("fetch: %v", err)
		}
	}
	if lines := unknownLogLines(t, logs.String()); len(lines) != maxUnknownLogged {
		t.Fatalf("%d names logged, want %d", len(lines), maxUnknownLogged)
	}
	if n := strings.Count(logs.String(), "too many distinct unknown GPU names"); n != 1 {
		t.Fatalf("limit announced %d times, want 1", n)
	}
	if c := set.GetOrCreateCounter(`gpubroker_unknown_gpu_offers_total{provider="alpha"}`).Get(); c != uint64(2*len(names)) {
		t.Fatalf("counter %d, want %d", c, 2*len(names))
	}
	w.mu.Lock()
	remembered := len(w.unknown)
	w.mu.Unlock()
	if remembered != maxUnknownLogged {
		t.Fatalf("%d names remembered, want the bound %d", remembered, maxUnknownLogged)
	}
}
