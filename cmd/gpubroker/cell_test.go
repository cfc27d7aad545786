package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/internal/testlog"
)

// runningCell is `gpubroker cell` started as a new user would, on free
// ports, with a data directory of its own.
type runningCell struct {
	http, simulator string // host:port
	stdout, stderr  *testlog.Buffer
	stop            func()
}

// startCell builds the binary and runs `gpubroker cell` (with env added
// to the defaults), waiting for its "gpubroker ready" line; stop sends
// SIGTERM and waits for the exit.
func startCell(t *testing.T, env ...string) *runningCell {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gpubroker")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "cell")
	cmd.Env = append(os.Environ(), "GPUBROKER_HTTP_ADDR=127.0.0.1:0", "GPUBROKER_SIMULATOR_ADDR=127.0.0.1:0",
		"GPUBROKER_DATA_DIR="+filepath.Join(dir, "data"), "LOG_FORMAT=json", "LOG_LEVEL=info")
	cmd.Env = append(cmd.Env, env...)
	c := &runningCell{stdout: &testlog.Buffer{}, stderr: &testlog.Buffer{}}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan map[string]any, 1)
	var copied sync.WaitGroup
	copied.Add(1)
	go func() {
		defer copied.Done()
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			_, _ = c.stdout.Write(append(append([]byte{}, line...), '\n'))
			var rec map[string]any
			if json.Unmarshal(line, &rec) == nil && rec["msg"] == "gpubroker ready" {
				ready <- rec
			}
		}
	}()
	var once sync.Once
	c.stop = func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				// A goroutine dump says where the stop hangs.
				_ = cmd.Process.Signal(syscall.SIGQUIT)
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					_ = cmd.Process.Kill()
					<-done
				}
				t.Errorf("the cell did not stop within 30 s of SIGTERM; its goroutines:\n%s", tail(c.stderr.String(), 60000))
			}
			copied.Wait()
		})
	}
	t.Cleanup(c.stop)
	select {
	case rec := <-ready:
		c.http, _ = rec["http"].(string)
		c.simulator = strings.TrimPrefix(rec["simulator"].(string), "http://")
	case <-time.After(60 * time.Second):
		t.Fatalf("no ready line in 60 s\nstdout:\n%s\nstderr:\n%s", c.stdout, c.stderr)
	}
	return c
}

var fence = regexp.MustCompile("(?s)```sh\n(.*?)```")

// Every curl example of the README works as written against a cell
// started with the defaults (only its ports moved): each must answer 2xx.
// The set-up commands themselves are not run here.
func TestReadmeExamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed to run the README's examples")
	}
	c := startCell(t)
	var script strings.Builder
	// --fail-with-body makes any answer of 400 or more a failure.
	script.WriteString("set -euo pipefail\ncurl() { command curl --fail-with-body -sS --max-time 20 \"$@\"; echo; }\n")
	examples := 0
	for _, m := range fence.FindAllStringSubmatch(string(readme), -1) {
		block := m[1]
		if !strings.Contains(block, "curl ") {
			continue // the set-up commands and other tools
		}
		examples += strings.Count(block, "curl ")
		block = strings.ReplaceAll(block, "localhost:8080", c.http)
		block = strings.ReplaceAll(block, "localhost:8090", c.simulator)
		script.WriteString("echo '>>> block'\n" + block + "\n")
	}
	if examples < 15 {
		t.Fatalf("found only %d curl examples in the README", examples)
	}
	// The first searches wait for every provider's first fetch.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("a README example failed: %v\n%s", err, tail(out.String(), 4000))
	}
	t.Logf("%d examples answered:\n%s", examples, tail(out.String(), 1500))
}

// Every line the cell prints is JSON in JSON mode, from the first (what
// dependencies log while the program initializes) to the last.
func TestEveryLogLineIsJSON(t *testing.T) {
	c := startCell(t)
	c.stop()
	lines := strings.Split(strings.TrimSpace(c.stdout.String()), "\n")
	if len(lines) < 5 {
		t.Fatalf("only %d log lines", len(lines))
	}
	for i, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec["level"] == nil || rec["msg"] == nil {
			t.Errorf("line %d is not a JSON log record: %q", i+1, l)
		}
	}
	if s := strings.TrimSpace(c.stderr.String()); s != "" {
		t.Errorf("the cell wrote to stderr: %q", s)
	}
	if !strings.Contains(lines[len(lines)-1], `"msg":"stopped"`) {
		t.Errorf("last line %q, want the stop record", lines[len(lines)-1])
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
