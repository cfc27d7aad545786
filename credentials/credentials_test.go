package credentials

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/gpubroker/gpubroker/shared"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestEnvStore(t *testing.T) {
	e := NewEnv(map[string]shared.Secret{"lambda": shared.NewSecret("env-key-123456")})
	ctx := context.Background()
	if k, err := e.Provider(ctx, "lambda"); err != nil || k.Reveal() != "env-key-123456" {
		t.Fatal(k, err)
	}
	if _, err := e.Provider(ctx, "aws"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	in, err := e.PutUser(ctx, "u1", "vastai", shared.NewSecret("user-key-abcdefgh"))
	if err != nil || in.Masked != "****efgh" {
		t.Fatal(in, err)
	}
	if k, err := e.User(ctx, "u1", "vastai"); err != nil || k.Reveal() != "user-key-abcdefgh" {
		t.Fatal(err)
	}
	if _, err := e.User(ctx, "u2", "vastai"); !errors.Is(err, ErrNotFound) {
		t.Fatal("another user's key visible")
	}
	list, _ := e.ListUser(ctx, "u1")
	if len(list) != 1 || strings.Contains(fmt.Sprint(list), "abcd") {
		t.Fatalf("%+v", list)
	}
	if err := e.DeleteUser(ctx, "u1", "vastai"); err != nil || e.DeleteUser(ctx, "u1", "vastai") == nil {
		t.Fatal("delete")
	}
}

// KV v2 through a real OpenBao: provider and per-user paths, listing with
// masking, tenant separation, delete.
func TestVaultKV(t *testing.T) {
	addr, token := os.Getenv("GPUBROKER_TEST_VAULT_ADDR"), os.Getenv("GPUBROKER_TEST_VAULT_TOKEN")
	if addr == "" || token == "" {
		testenv.Need(t, "Vault/OpenBao (GPUBROKER_TEST_VAULT_ADDR, GPUBROKER_TEST_VAULT_TOKEN)")
	}
	prefix := fmt.Sprintf("gpubroker-test-%d", time.Now().UnixNano())
	v, err := NewVault(VaultConfig{Address: addr, Token: shared.NewSecret(token), Prefix: prefix, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ctx := context.Background()
	if _, err := v.Provider(ctx, "lambda"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty store: %v", err)
	}
	if _, err := v.PutUser(ctx, "alice", "runpod", shared.NewSecret("rp-alice-secret-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := v.PutUser(ctx, "alice", "vastai", shared.NewSecret("va-alice-secret-2")); err != nil {
		t.Fatal(err)
	}
	if k, err := v.User(ctx, "alice", "runpod"); err != nil || k.Reveal() != "rp-alice-secret-1" {
		t.Fatal(err)
	}
	if _, err := v.User(ctx, "bob", "runpod"); !errors.Is(err, ErrNotFound) {
		t.Fatal("bob sees alice's key")
	}
	list, err := v.ListUser(ctx, "alice")
	if err != nil || len(list) != 2 || list[0].Provider != "runpod" || list[0].Masked != "****et-1" || list[0].UpdatedAt.IsZero() {
		t.Fatalf("%+v %v", list, err)
	}
	if err := v.DeleteUser(ctx, "alice", "runpod"); err != nil {
		t.Fatal(err)
	}
	if list, _ := v.ListUser(ctx, "alice"); len(list) != 1 {
		t.Fatalf("after delete: %+v", list)
	}
	if !v.Healthy() {
		t.Fatal("unhealthy")
	}
}

// startBao runs a private OpenBao dev server so the test can stop it. Its
// root token is random, so no test relies on a well-known token.
func startBao(t *testing.T) (addr, token string, stop func()) {
	t.Helper()
	bin := os.Getenv("GPUBROKER_BAO_BIN")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("bao"); err != nil {
			testenv.Need(t, "the bao binary (GPUBROKER_BAO_BIN)")
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	addr = "http://127.0.0.1:" + strconv.Itoa(port)
	token = randomToken(t)
	cmd := exec.Command(bin, "server", "-dev", "-dev-root-token-id="+token, "-dev-listen-address=127.0.0.1:"+strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop = func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() }
	t.Cleanup(stop)
	for i := 0; i < 150; i++ {
		if r, err := http.Get(addr + "/v1/sys/health"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return addr, token, stop
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("bao did not start")
	return "", "", nil
}

func randomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "gpbdev-" + hex.EncodeToString(b) // custom ids may not use the "s." prefix
}

// Vault goes away: the cached key keeps the provider working for one hour,
// then the provider fails with a clear reason.
func TestVaultOutageUsesCacheForOneHour(t *testing.T) {
	addr, token, stop := startBao(t)
	clk := &clock{t: time.Now()}
	v, err := NewVault(VaultConfig{Address: addr, Token: shared.NewSecret(token), Now: clk.Now, Timeout: 500 * time.Millisecond, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ctx := context.Background()
	if _, err := v.kv.Put(ctx, providerPath("gpubroker", "lambda"), map[string]any{"api_key": "lambda-vault-key-1"}); err != nil {
		t.Fatal(err)
	}
	if k, err := v.Provider(ctx, "lambda"); err != nil || k.Reveal() != "lambda-vault-key-1" {
		t.Fatal(k, err)
	}
	stop()
	clk.Add(10 * time.Minute) // past the refresh interval: Vault is asked and fails
	if k, err := v.Provider(ctx, "lambda"); err != nil || k.Reveal() != "lambda-vault-key-1" {
		t.Fatalf("within the hour: %v", err)
	}
	if v.Healthy() {
		t.Fatal("store still reports healthy with Vault down")
	}
	downAt := clk.Now()
	clk.Add(51 * time.Minute) // 61 min after the last successful read
	_, err = v.Provider(ctx, "lambda")
	var ue *UnavailableError
	if !errors.Is(err, ErrUnavailable) || !errors.As(err, &ue) || !ue.Since.Equal(downAt) ||
		!strings.Contains(err.Error(), "older than 1h0m0s") {
		t.Fatalf("after the hour: %v", err)
	}
}
