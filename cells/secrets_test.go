package cells

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	vault "github.com/hashicorp/vault/api"

	"github.com/gpubroker/gpubroker/adapters/simulator"
	"github.com/gpubroker/gpubroker/edge/identity"
	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/gpubroker/gpubroker/internal/testlog"
	"github.com/gpubroker/gpubroker/shared"
)

// captureGlobalOutput sends slog.Default, the standard log package and
// os.Stderr to w until the test ends: libraries (go-redis through
// cells/redis.go, the Vault client) log there rather than through the
// cell's logger.
func captureGlobalOutput(t *testing.T, w io.Writer) {
	t.Helper()
	prevSlog, prevLog, prevFlags, prevStderr := slog.Default(), log.Writer(), log.Flags(), os.Stderr
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		// Echo to the real stderr too, so a failing run still shows it.
		_, _ = io.Copy(io.MultiWriter(w, prevStderr), r)
	}()
	os.Stderr = pw
	slog.SetDefault(slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})))
	log.SetOutput(w) // after SetDefault, which points the log package at its handler
	t.Cleanup(func() {
		slog.SetDefault(prevSlog)
		log.SetOutput(prevLog)
		log.SetFlags(prevFlags)
		os.Stderr = prevStderr
		pw.Close()
		<-copied
		r.Close()
	})
}

// Properties 17/19: with known provider keys (from Vault when a test Vault
// is configured, else the environment), a client API key and a user's
// integration key in play, and providers failing so error paths log, no
// key appears in any log line (the cell's logger, slog.Default, the log
// package, stderr), metric or response.
func TestSecretsNeverLeak(t *testing.T) {
	const (
		providerKey = "PROVIDER-KEY-sk-live-4f9a8b7c6d5e"
		vaultKey    = "VAULT-KEY-rp-88c1d2e3f4a5b6"
		clientKey   = "CLIENT-KEY-gpb-1122334455"
		userKey     = "USER-KEY-vast-99aa88bb77cc"
	)
	logs, global := &testlog.Buffer{}, &testlog.Buffer{}
	captureGlobalOutput(t, global)
	cfg := Defaults()
	cfg.HTTPAddr, cfg.SimStepEvery, cfg.AccessLog = "127.0.0.1:0", 0, true
	cfg.DataDir, cfg.SyncInterval = t.TempDir(), 0
	cfg.PlanLimits = map[string]int{"free": 1 << 30, "enterprise": 1 << 30}
	cfg.ClientKeys = []identity.APIKey{identity.NewAPIKey("acme", "enterprise", clientKey)}
	cfg.APIKeys = map[string]shared.Secret{"lambda": shared.NewSecret(providerKey)}
	cfg.SimFaults = map[string]simulator.Fault{"lambda": {ErrorRate: 1}, "aws": {TimeoutRate: 1}}
	cfg.RequestTimeout, cfg.ProviderTimeout, cfg.FetchTimeout = 2*time.Second, 1500*time.Millisecond, 1500*time.Millisecond
	secrets := []string{providerKey, clientKey, userKey}
	if addr, token := os.Getenv("GPUBROKER_TEST_VAULT_ADDR"), os.Getenv("GPUBROKER_TEST_VAULT_TOKEN"); addr != "" {
		cfg.VaultAddr, cfg.VaultToken = addr, shared.NewSecret(token)
		cfg.VaultPrefix = "leaktest-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
		vc, _ := vault.NewClient(&vault.Config{Address: addr})
		vc.SetToken(token)
		if _, err := vc.KVv2("secret").Put(context.Background(), cfg.VaultPrefix+"/providers/runpod", map[string]any{"api_key": vaultKey}); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, vaultKey)
		// scripts/bao.sh start makes a long random token; a short one
		// such as "root" is too common a word to search for and would only
		// hide a leak, so refuse it.
		if len(token) < 16 {
			t.Fatalf("GPUBROKER_TEST_VAULT_TOKEN is %d characters; use a long random one (scripts/bao.sh token)", len(token))
		}
		secrets = append(secrets, token)
	} else if testenv.Required() {
		t.Fatal("GPUBROKER_REQUIRE_SERVICES=1 but GPUBROKER_TEST_VAULT_ADDR is not set")
	}
	c, err := Start(cfg, AllRoles, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	base := "http://" + c.HTTPAddr()
	var bodies []string
	do := func(method, path, key, body string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var hdr bytes.Buffer
		resp.Header.Write(&hdr)
		bodies = append(bodies, string(b), hdr.String())
	}
	do("POST", "/api/v2/providers/config/integrations", clientKey, `{"provider":"vastai","api_key":"`+userKey+`"}`)
	do("GET", "/api/v2/providers/config/integrations", clientKey, "")
	do("POST", "/api/v2/providers/config/integrations", clientKey, `{"provider":"nope","api_key":"`+userKey+`"}`)
	do("GET", "/api/v2/providers", clientKey, "")
	do("GET", "/api/v2/providers?gpu=H100", "wrong-"+clientKey, "")
	do("GET", "/api/v2/providers?provider=runpod", "", "")
	do("GET", "/health", "", "")
	do("GET", "/metrics", "", "")
	time.Sleep(300 * time.Millisecond) // let worker logs land
	c.Stop(context.Background())       // shutdown paths log too
	all := logs.String() + global.String() + strings.Join(bodies, "\n")
	if !strings.Contains(logs.String(), `"msg":"request"`) || !strings.Contains(logs.String(), "fetch failed") {
		t.Fatal("the run did not exercise the access log and the error paths")
	}
	for _, s := range secrets {
		if strings.Contains(all, s) {
			i := strings.Index(all, s)
			t.Fatalf("secret %q leaked: ...%s...", s[:12], all[max(0, i-200):min(len(all), i+50)])
		}
	}
}
