package simulator

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSameSeedSameInventory(t *testing.T) {
	a, err := New(Config{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(Config{Seed: 42})
	c, _ := New(Config{Seed: 43})
	for _, name := range Providers() {
		ia, ib, ic := a.providers[name].Snapshot(), b.providers[name].Snapshot(), c.providers[name].Snapshot()
		same := len(ia) == len(ic)
		if len(ia) == 0 {
			t.Fatalf("%s: empty inventory", name)
		}
		for i := range ia {
			if ia[i].ID != ib[i].ID || ia[i].Price != ib[i].Price {
				t.Fatalf("%s: seed 42 differs between runs at item %d", name, i)
			}
			same = same && ia[i].Price == ic[i].Price
		}
		// OCI's inventory is its published list price per part, the same for
		// every seed; only the walk moves it.
		if same && name != "oci" {
			t.Errorf("%s: seeds 42 and 43 give the same prices", name)
		}
	}
	total := 0
	for _, name := range Providers() {
		total += len(a.providers[name].Snapshot())
	}
	if total < 200 {
		t.Fatalf("%d items across providers; want a few hundred", total)
	}
}

func TestPricesWalk(t *testing.T) {
	s, err := New(Config{Seed: 1, Volatility: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	p := s.providers["lambda"]
	before := p.Snapshot()
	s.Step()
	after := p.Snapshot()
	moved := 0
	for i := range before {
		if before[i].Price != after[i].Price {
			moved++
		}
		if after[i].Price < before[i].Price*0.5 || after[i].Price > before[i].Price*2 {
			t.Fatalf("implausible step %v -> %v", before[i].Price, after[i].Price)
		}
	}
	if moved == 0 {
		t.Fatal("no price moved after a step")
	}
}

func TestFaultInjection(t *testing.T) {
	s, err := New(Config{Seed: 1, Providers: []string{"lambda"}, Faults: map[string]Fault{"lambda": {ErrorRate: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	get := func() *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/lambda/api/v1/instance-types", nil)
		req.Header.Set("Authorization", "Bearer k")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r
	}
	if r := get(); r.StatusCode != 500 {
		t.Fatalf("error_rate 1: status %d", r.StatusCode)
	}
	if err := s.SetFault("lambda", Fault{RateLimitRate: 1, RetryAfterS: 7}); err != nil {
		t.Fatal(err)
	}
	if r := get(); r.StatusCode != 429 || r.Header.Get("Retry-After") != "7" {
		t.Fatalf("rate_limit_rate 1: status %d retry-after %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	// The admin API sets and clears faults too.
	req, _ := http.NewRequest("PUT", srv.URL+"/_sim/faults/lambda", strings.NewReader(`{"latency_ms":50}`))
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 200 {
		t.Fatalf("PUT fault: %v %v", err, r.StatusCode)
	}
	start := time.Now()
	if r := get(); r.StatusCode != 200 || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("latency fault: status %d after %v", r.StatusCode, time.Since(start))
	}
	var faults map[string]Fault
	r, _ := http.Get(srv.URL + "/_sim/faults")
	_ = json.NewDecoder(r.Body).Decode(&faults)
	r.Body.Close()
	if faults["lambda"].LatencyMS != 50 {
		t.Fatalf("GET faults: %+v", faults)
	}
	for _, bad := range []string{`{"error_rate":2}`, `{"error_rate":0.6,"timeout_rate":0.6}`, `{"latency_ms":-1}`, `{"nope":1}`} {
		req, _ := http.NewRequest("PUT", srv.URL+"/_sim/faults/lambda", strings.NewReader(bad))
		if r, _ := http.DefaultClient.Do(req); r.StatusCode != 400 {
			t.Errorf("%s accepted", bad)
		}
	}
	if s.Requests("lambda") < 3 {
		t.Fatal("requests not counted")
	}
}

// A simulated timeout hangs until the client gives up.
func TestTimeoutFault(t *testing.T) {
	s, _ := New(Config{Seed: 1, Providers: []string{"lambda"}, Faults: map[string]Fault{"lambda": {TimeoutRate: 1}}})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	defer func() { cancel(); <-done }()
	client := &http.Client{Timeout: 200 * time.Millisecond}
	start := time.Now()
	_, err = client.Get("http://" + l.Addr().String() + "/lambda/api/v1/instance-types")
	if err == nil || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("request did not hang: %v after %v", err, time.Since(start))
	}
}

func TestUnknownProviderRejected(t *testing.T) {
	if _, err := New(Config{Providers: []string{"nope"}}); err == nil {
		t.Fatal("unknown provider accepted")
	}
	if _, err := New(Config{Faults: map[string]Fault{"nope": {}}}); err == nil {
		t.Fatal("fault for unknown provider accepted")
	}
}
