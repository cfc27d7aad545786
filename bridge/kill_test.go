package bridge

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared/eventbus"
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
	out syncBuffer
}

// syncBuffer is the process's output, read while the process writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func runBridgeProcess(t *testing.T, natsURL, brokers, cell string) *bridgeProcess {
	t.Helper()
	bin, err := buildGateway()
	if err != nil {
		t.Fatal(err)
	}
	p := &bridgeProcess{cmd: exec.Command(bin, "bridge", "--nats", natsURL, "--kafka", brokers, "--cell", cell, "--metrics", "")}
	p.cmd.Env = append(os.Environ(), "GPUBROKER_DATA_DIR="+t.TempDir(), "GPUBROKER_EVENTS_MAX_BYTES=268435456",
		"GPUBROKER_BRIDGE_LEASE_TTL=2s")
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

// The bridge process is killed with SIGKILL while it carries price alerts
// from Kafka into the cell, and started again: every alert reaches the
// cell's stream (offsets are committed only after JetStream has a record,
// so the new process starts again from there; JetStream drops the repeats
// by event_id).
func TestKafkaInboundBridgeKilled(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	url, nc := testnats.JetStreamURL(t)
	cell := uniqueCell(t)
	bus := newBus(t, nc, cell)
	sc := sarama.NewConfig()
	sc.Version = sarama.V4_0_0_0
	sc.Producer.Return.Successes = true
	sc.Producer.RequiredAcks = sarama.WaitForAll
	prod, err := sarama.NewSyncProducer(strings.Split(brokers, ","), sc)
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	const n = 20000
	ids := make(map[string]bool, n)
	batch := make([]*sarama.ProducerMessage, 0, 1000)
	for i := range n {
		id := events.NewID()
		ids[id] = true
		offer := fmt.Sprintf("sim:offer-%d", i%300)
		body := fmt.Sprintf(`{"event_id":%q,"type":"price_change","cell":%q,"timestamp":"2026-12-03T10:00:00.000Z","offer_id":%q}`, id, cell, offer)
		batch = append(batch, &sarama.ProducerMessage{Topic: events.TopicPriceAlerts, Key: sarama.StringEncoder(offer), Value: sarama.StringEncoder(body)})
		if len(batch) == cap(batch) {
			if err := prod.SendMessages(batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	stored := func() uint64 {
		s, err := bus.JetStream().Stream(context.Background(), eventbus.StreamName(cell))
		if err != nil {
			return 0
		}
		info, err := s.Info(context.Background(), jetstream.WithSubjectFilter(events.KindSubjects(cell, events.TypePriceChange)))
		if err != nil {
			return 0
		}
		return info.State.Msgs
	}
	first := runBridgeProcess(t, url, brokers, cell)
	deadline := time.Now().Add(2 * time.Minute)
	for stored() < 2000 { // mid-stream
		if time.Now().After(deadline) {
			t.Fatalf("only %d alerts reached the cell", stored())
		}
		time.Sleep(20 * time.Millisecond)
	}
	first.kill(t)
	killedAt := stored()
	runBridgeProcess(t, url, brokers, cell)
	for stored() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d alerts reached the cell after the restart", stored(), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // redeliveries of the killed process's uncommitted records land now
	s, err := bus.JetStream().Stream(context.Background(), eventbus.StreamName(cell))
	if err != nil {
		t.Fatal(err)
	}
	cons, err := s.OrderedConsumer(context.Background(), jetstream.OrderedConsumerConfig{FilterSubjects: []string{events.KindSubjects(cell, events.TypePriceChange)}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for len(seen) < n {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			id := m.Headers().Get(events.HeaderID)
			if !ids[id] || seen[id] {
				t.Fatalf("stream holds event %q: not produced, or twice", id)
			}
			seen[id] = true
		}
		if got == 0 {
			break
		}
	}
	if len(seen) != n {
		t.Fatalf("the cell's stream holds %d of %d alerts", len(seen), n)
	}
	t.Logf("killed with %d of %d alerts in the cell; all %d there after the restart, each once", killedAt, n, n)
}

// Two bridge processes run for one cell: one forwards, the other stands
// by (it must not touch the stream's consumers, or the two would rewind
// each other). The active one is killed with SIGKILL mid-stream; the
// standby takes over once the lease lapses and nothing is lost.
func TestKafkaBridgeStandbyTakesOver(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	url, nc := testnats.JetStreamURL(t)
	cell := uniqueCell(t)
	r := readTopic(t, brokers, events.TopicPriceUpdates, ofCell(cell))
	bus := newBus(t, nc, cell)
	p := newSource(cell, bus, 300)
	active := runBridgeProcess(t, url, brokers, cell)
	stop := make(chan struct{})
	done := p.publishFor(t, stop, 200, 20*time.Millisecond)
	r.waitFor(t, 3000, time.Minute) // the first one holds the lease
	standby := runBridgeProcess(t, url, brokers, cell)
	time.Sleep(2 * time.Second)
	active.kill(t)
	killedAt := r.distinct()
	time.Sleep(4 * time.Second) // the lease (2 s) lapses; the standby goes on
	close(stop)
	<-done
	p.mu.Lock()
	total := len(p.ids)
	p.mu.Unlock()
	t.Logf("active bridge killed with %d of the events in kafka; %d events in all", killedAt, total)
	r.waitFor(t, total, 2*time.Minute)
	p.check(t, r.snapshot(), true)
	if out := standby.out.String(); !strings.Contains(out, "standing by") || !strings.Contains(out, "taken over") {
		t.Fatalf("the second bridge did not stand by and then take over:\n%s", out)
	}
}
