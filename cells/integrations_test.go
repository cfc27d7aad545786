package cells

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/adapters/simulator"
	"github.com/gpubroker/gpubroker/edge/identity"
	"github.com/gpubroker/gpubroker/shared"
)

// End to end: an enterprise user stores a provider key; the edge asks the
// provider's worker over NATS to try it, the worker reads it from the
// credential store and calls the (simulated) provider with it, and the
// answer says whether the provider accepted it.
func TestIntegrationKeysAreChecked(t *testing.T) {
	const client = "ent-client-key-1"
	c := startCell(t, func(cfg *Config) {
		cfg.Providers = []string{"lambda", "vastai"}
		cfg.ClientKeys = []identity.APIKey{identity.NewAPIKey("acme", "enterprise", client)}
	})
	base := "http://" + c.HTTPAddr()
	post := func(path, body string) (int, shared.VerifyResult) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader([]byte(body)))
		req.Header.Set("X-Api-Key", client)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Verification shared.VerifyResult }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, out.Verification
	}
	if code, v := post("/api/v2/providers/config/integrations", `{"provider":"lambda","api_key":"secret_lambda_good_0001"}`); code != 201 || v.Status != shared.VerifyVerified {
		t.Fatalf("good key: %d %+v", code, v)
	}
	revoked := "secret_lambda_" + simulator.RevokedKeyMarker + "_0002"
	if code, v := post("/api/v2/providers/config/integrations", `{"provider":"lambda","api_key":"`+revoked+`"}`); code != 201 || v.Status != shared.VerifyRejected {
		t.Fatalf("revoked key: %d %+v", code, v)
	}
	if code, v := post("/api/v2/providers/config/integrations/lambda/verify", ""); code != 200 || v.Status != shared.VerifyRejected {
		t.Fatalf("re-check: %d %+v", code, v)
	}
	// The user's key is theirs: the provider's own health is untouched.
	var h struct {
		Providers []struct{ Name, Status, Breaker string }
	}
	// The breaker is known once the edge has lambda's worker's first
	// heartbeat (the first one can go out before the edge listens).
	lambda := func() (p struct{ Name, Status, Breaker string }) {
		h.Providers = nil
		call(t, "GET", base+"/health", nil, &h)
		for _, x := range h.Providers {
			if x.Name == "lambda" {
				p = x
			}
		}
		return p
	}
	p := lambda()
	for deadline := time.Now().Add(15 * time.Second); p.Breaker == "unknown" && time.Now().Before(deadline); p = lambda() {
		time.Sleep(100 * time.Millisecond)
	}
	if p.Breaker != "closed" {
		t.Fatalf("lambda after a rejected user key: %+v", p)
	}
}
