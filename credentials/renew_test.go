package credentials

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	vault "github.com/hashicorp/vault/api"

	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/gpubroker/gpubroker/internal/testlog"
	"github.com/gpubroker/gpubroker/shared"
)

// childToken creates a renewable token with the given TTL through root.
func childToken(t *testing.T, root *vault.Client, ttl time.Duration) string {
	t.Helper()
	renewable := true
	sec, err := root.Auth().Token().Create(&vault.TokenCreateRequest{
		TTL: ttl.String(), ExplicitMaxTTL: "1h", Renewable: &renewable, DisplayName: "gpubroker-renew-test"})
	if err != nil {
		t.Fatalf("creating a %v token: %v", ttl, err)
	}
	return sec.Auth.ClientToken
}

// tokenTTL asks Vault, as root, how long token has left; an error means it
// is gone (expired or revoked).
func tokenTTL(root *vault.Client, token string) (time.Duration, error) {
	sec, err := root.Auth().Token().Lookup(token)
	if err != nil {
		return 0, err
	}
	return sec.TokenTTL()
}

func rootClient(t *testing.T, addr, token string) *vault.Client {
	t.Helper()
	c, err := vault.NewClient(&vault.Config{Address: addr, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(token)
	return c
}

// A short-lived renewable token outlives its TTL while the store is open,
// keeps reading secrets with it, and expires once Close stops renewal.
func TestVaultRenewsShortLivedToken(t *testing.T) {
	addr, token := os.Getenv("GPUBROKER_TEST_VAULT_ADDR"), os.Getenv("GPUBROKER_TEST_VAULT_TOKEN")
	if addr == "" || token == "" {
		testenv.Need(t, "Vault/OpenBao (GPUBROKER_TEST_VAULT_ADDR, GPUBROKER_TEST_VAULT_TOKEN)")
	}
	root := rootClient(t, addr, token)
	// Short, but not so short that a renewal delayed by a loaded machine
	// (CI runs packages in parallel on two cores) misses its window: the
	// watcher renews about a third of the TTL before it ends.
	const ttl = 6 * time.Second
	child := childToken(t, root, ttl)
	prefix := fmt.Sprintf("gpubroker-renew-%d", time.Now().UnixNano())
	if _, err := root.KVv2("secret").Put(context.Background(), providerPath(prefix, "lambda"), map[string]any{apiKeyField: "renew-test-key-1"}); err != nil {
		t.Fatal(err)
	}
	v, err := NewVault(VaultConfig{Address: addr, Token: shared.NewSecret(child), Prefix: prefix, Refresh: time.Millisecond,
		Timeout: time.Second, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * ttl)
	if left, err := tokenTTL(root, child); err != nil || left <= 0 {
		t.Fatalf("token not kept alive past 3x its TTL: ttl %v, %v", left, err)
	}
	if k, err := v.Provider(context.Background(), "lambda"); err != nil || k.Reveal() != "renew-test-key-1" {
		t.Fatalf("reading with the renewed token: %v", err)
	}
	v.Close()
	deadline := time.Now().Add(3 * ttl)
	for {
		if _, err := tokenTTL(root, child); err != nil {
			return // expired: Close stopped the renewal
		}
		if time.Now().After(deadline) {
			t.Fatal("token still alive long after Close; renewal did not stop")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A revoked token cannot be renewed: that is logged once as an error, not
// retried in a tight loop, and Close still returns at once.
func TestVaultRenewalOfRevokedToken(t *testing.T) {
	addr, token := os.Getenv("GPUBROKER_TEST_VAULT_ADDR"), os.Getenv("GPUBROKER_TEST_VAULT_TOKEN")
	if addr == "" || token == "" {
		testenv.Need(t, "Vault/OpenBao (GPUBROKER_TEST_VAULT_ADDR, GPUBROKER_TEST_VAULT_TOKEN)")
	}
	root := rootClient(t, addr, token)
	child := childToken(t, root, 3*time.Second)
	logs := &testlog.Buffer{}
	v, err := NewVault(VaultConfig{Address: addr, Token: shared.NewSecret(child), Timeout: time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Auth().Token().RevokeTree(child); err != nil {
		t.Fatal(err)
	}
	// Depending on whether the revocation beat the first lookup, the lookup
	// or the lifetime watcher finds out; either way it is one error.
	waitLog(t, logs, "level=ERROR", 10*time.Second)
	time.Sleep(2 * time.Second) // a tight retry loop would log again by now
	closed := make(chan struct{})
	go func() { v.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop the renewal goroutine")
	}
	if n := strings.Count(logs.String(), "msg="); n != 1 || !strings.Contains(logs.String(), "revoked") {
		t.Fatalf("%d log lines, want the one error:\n%s", n, logs)
	}
	if strings.Contains(logs.String(), child) {
		t.Fatal("the token was logged")
	}
}

// persistentBao is an OpenBao server with raft storage in a temp dir, so
// tokens survive a restart (a -dev server keeps everything in memory and
// forgets every token when it stops). It is initialised and unsealed with
// one key share.
type persistentBao struct {
	t          *testing.T
	bin, conf  string
	addr       string
	root       string
	unsealKey  string
	cmd        *exec.Cmd
	logs, data string
}

func startPersistentBao(t *testing.T) *persistentBao {
	t.Helper()
	bin := os.Getenv("GPUBROKER_BAO_BIN")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("bao"); err != nil {
			testenv.Need(t, "the bao binary (GPUBROKER_BAO_BIN)")
		}
	}
	dir := t.TempDir()
	api, cluster := freePort(t), freePort(t)
	b := &persistentBao{t: t, bin: bin, conf: filepath.Join(dir, "bao.hcl"), addr: "http://127.0.0.1:" + api,
		logs: filepath.Join(dir, "bao.log"), data: filepath.Join(dir, "data")}
	if err := os.MkdirAll(b.data, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`storage "raft" {
  path    = %q
  node_id = "n1"
}
listener "tcp" {
  address         = "127.0.0.1:%s"
  cluster_address = "127.0.0.1:%s"
  tls_disable     = true
}
api_addr     = "http://127.0.0.1:%s"
cluster_addr = "http://127.0.0.1:%s"
`, b.data, api, cluster, api, cluster)
	if err := os.WriteFile(b.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	b.start()
	t.Cleanup(b.stop)
	c := rootClient(t, b.addr, "")
	c.SetClientTimeout(30 * time.Second) // raft initialisation takes a few seconds
	init, err := c.Sys().Init(&vault.InitRequest{SecretShares: 1, SecretThreshold: 1})
	if err != nil {
		t.Fatalf("bao init: %v", err)
	}
	b.root, b.unsealKey = init.RootToken, init.Keys[0]
	b.unseal()
	return b
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// start runs the server and waits until it answers (sealed or not).
func (b *persistentBao) start() {
	b.t.Helper()
	logf, err := os.OpenFile(b.logs, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		b.t.Fatal(err)
	}
	defer logf.Close()
	b.cmd = exec.Command(b.bin, "server", "-config="+b.conf)
	b.cmd.Stdout, b.cmd.Stderr = logf, logf
	if err := b.cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	b.waitHealth(func(code int) bool { return code != 0 }, "to answer")
}

func (b *persistentBao) stop() {
	if b.cmd != nil {
		_ = b.cmd.Process.Kill()
		_, _ = b.cmd.Process.Wait()
		b.cmd = nil
	}
}

// unseal unseals the server and waits until it is the active node.
func (b *persistentBao) unseal() {
	b.t.Helper()
	if _, err := rootClient(b.t, b.addr, "").Sys().Unseal(b.unsealKey); err != nil {
		b.t.Fatalf("unseal: %v", err)
	}
	b.waitHealth(func(code int) bool { return code == http.StatusOK }, "to become active")
}

func (b *persistentBao) restart() {
	b.t.Helper()
	b.start()
	b.unseal()
}

func (b *persistentBao) waitHealth(ok func(code int) bool, what string) {
	b.t.Helper()
	for range 300 {
		code := 0
		if r, err := http.Get(b.addr + "/v1/sys/health"); err == nil {
			r.Body.Close()
			code = r.StatusCode
		}
		if ok(code) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	logs, _ := os.ReadFile(b.logs)
	b.t.Fatalf("bao did not come up %s:\n%s", what, logs)
}

// Renewal survives Vault outages: it starts although Vault is down when the
// store is created, and it resumes after Vault fails mid-life and comes
// back, so the token outlives its TTL across both outages. Uses a raft-backed
// server because a -dev server forgets all tokens when it stops.
func TestVaultRenewalResumesAfterOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a Vault server twice; about 30 s")
	}
	b := startPersistentBao(t)
	root := rootClient(t, b.addr, b.root)
	// Long enough that the retries after a restart (every ttl/5 at most)
	// land before the token expires even on a slow machine.
	const ttl = 20 * time.Second
	child := childToken(t, root, ttl)
	logs := &testlog.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))

	// Down at start-up: the first lookups fail.
	b.stop()
	v, err := NewVault(VaultConfig{Address: b.addr, Token: shared.NewSecret(child), Timeout: 500 * time.Millisecond, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	waitLog(t, logs, "vault token renewal interrupted", 10*time.Second)
	b.restart()
	renewed := waitRenewal(t, root, child, time.Now(), ttl)

	// Down mid-life: the lifetime watcher's next renewal fails and it stops.
	logs.Reset()
	b.stop()
	waitLog(t, logs, "vault token renewal interrupted", ttl)
	b.restart()
	waitRenewal(t, root, child, time.Now(), ttl)

	// Past the expiry the last renewal before the outage gave it.
	time.Sleep(time.Until(renewed.Add(ttl + time.Second)))
	if left, err := tokenTTL(root, child); err != nil || left <= 0 {
		t.Fatalf("token gone after its TTL: %v", err)
	}
}

// waitLog waits for a message in logs.
func waitLog(t *testing.T, logs *testlog.Buffer, msg string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(logs.String(), msg) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q logged within %v:\n%s", msg, within, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitRenewal waits until Vault records a renewal of token at or after
// since, and returns its time; it fails if the token is gone first.
func waitRenewal(t *testing.T, root *vault.Client, token string, since time.Time, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		sec, err := root.Auth().Token().Lookup(token)
		if err != nil {
			t.Fatalf("token expired or unreadable while waiting for a renewal: %v", err)
		}
		if n, ok := sec.Data["last_renewal_time"].(json.Number); ok {
			if unix, err := n.Int64(); err == nil && !time.Unix(unix, 0).Before(since.Truncate(time.Second)) {
				return time.Unix(unix, 0)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no renewal within %v of %s", within, since.Format(time.RFC3339))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
