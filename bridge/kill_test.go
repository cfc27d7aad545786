package bridge

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared/events"
)

// buildGateway builds the gpubroker binary once per test binary.
var buildGateway = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "gpubroker-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "gpubroker")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/gpubroker").CombinedOutput()
	if err != nil {
		return "", &buildError{out}
	}
	return bin, nil
})

type buildError struct{ out []byte }

func (e *buildError) Error() string { return "go build: " + string(e.out) }

// bridgeProcess runs `gpubroker bridge` as its own process.
type bridgeProcess struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

func runBridgeProcess(t *testing.T, natsURL, brokers, cell string) *bridgeProcess {
	t.Helper()
	bin, err := buildGateway()
	if err != nil {
		t.Fatal(err)
	}
	p := &bridgeProcess{cmd: exec.Command(bin, "bridge", "--nats", natsURL, "--kafka", brokers, "--cell", cell, "--metrics", "")}
	p.cmd.Env = append(os.Environ(), "GPUBROKER_DATA_DIR="+t.TempDir(), "GPUBROKER_EVENTS_MAX_BYTES=268435456")
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("bridge process output:\n%s", p.out.String())
		}
	})
	return p
}

func (p *bridgeProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

// The bridge process is killed with SIGKILL mid-stream and started again:
// nothing is lost.
func TestKafkaBridgeKilled(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	url, nc := testnats.JetStreamURL(t)
	cell := uniqueCell(t)
	r := readTopic(t, brokers, events.TopicPriceUpdates, ofCell(cell))
	bus := newBus(t, nc, cell)
	p := newSource(cell, bus, 300)
	first := runBridgeProcess(t, url, brokers, cell)
	stop := make(chan struct{})
	done := p.publishFor(t, stop, 200, 20*time.Millisecond) // up to 10,000 events/s
	r.waitFor(t, 5000, time.Minute)                         // mid-stream
	first.kill(t)
	killedAt := r.distinct()
	time.Sleep(2 * time.Second) // events keep coming with no bridge at all
	runBridgeProcess(t, url, brokers, cell)
	time.Sleep(3 * time.Second)
	close(stop)
	<-done
	p.mu.Lock()
	total := len(p.ids)
	p.mu.Unlock()
	t.Logf("killed with %d of the events in kafka; %d events in all", killedAt, total)
	r.waitFor(t, total, 2*time.Minute)
	p.check(t, r.snapshot(), true)
}
