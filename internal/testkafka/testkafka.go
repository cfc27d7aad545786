// Package testkafka runs a real Apache Kafka broker (KRaft, one node that is
// both broker and controller) as a child process of the test, so a test can
// stop, restart or SIGKILL it without disturbing the shared broker
// scripts/test.sh starts (testenv.KafkaBrokers).
//
// The broker runs from the jars scripts/kafka.sh installs, named by
// GPUBROKER_KAFKA_LIBS (scripts/kafka.sh libs). Without it the test is
// skipped, or fails under GPUBROKER_REQUIRE_SERVICES=1, like every other
// service in internal/testenv. Unix only.
package testkafka

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/internal/testenv"
)

// StartTimeout bounds a broker's start (format included) and each
// Restart. Two busy cores can take tens of seconds.
var StartTimeout = 90 * time.Second

// stopTimeout is how long Stop waits after SIGTERM before SIGKILL.
const stopTimeout = 60 * time.Second

// Broker is one Kafka broker process this package started. Its methods
// must not be called after the test has ended.
type Broker struct {
	t               testing.TB
	java, libs, dir string
	props, log      string
	port, ctrlPort  int
	mu              sync.Mutex
	cmd             *exec.Cmd
	done            chan struct{} // closed when cmd has exited
	starts          int
}

// Start formats a fresh data directory under t.TempDir, starts a broker on
// two free loopback ports and returns once it answers a metadata request
// listing itself. It stops when the test ends.
func Start(t testing.TB) *Broker {
	t.Helper()
	libs := testenv.KafkaLibs(t)
	java, err := exec.LookPath("java")
	if err != nil {
		testenv.Need(t, "java (for the Kafka broker)")
	}
	if jars, _ := filepath.Glob(filepath.Join(libs, "kafka_2.13-*.jar")); len(jars) == 0 {
		t.Fatalf("GPUBROKER_KAFKA_LIBS=%s holds no kafka_2.13 jar; run scripts/kafka.sh install", libs)
	}
	ports := freePorts(t, 2)
	dir := t.TempDir() // before the Cleanup below, so removed after the stop
	b := &Broker{t: t, java: java, libs: libs, dir: dir,
		props: filepath.Join(dir, "server.properties"), log: filepath.Join(dir, "kafka.log"),
		port: ports[0], ctrlPort: ports[1]}
	if err := os.WriteFile(b.props, []byte(b.config()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "log4j2.properties"), []byte(log4jConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	b.format()
	b.launch()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kafka broker %s log (last lines):\n%s", b.Addr(), b.logTail(60))
		}
		b.Stop()
	})
	b.waitReady()
	return b
}

// Addr is the broker's bootstrap address, 127.0.0.1:PORT. It stays the
// same across Restart.
func (b *Broker) Addr() string { return "127.0.0.1:" + strconv.Itoa(b.port) }

// Running reports whether the broker process is alive.
func (b *Broker) Running() bool {
	b.mu.Lock()
	done := b.done
	b.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Stop ends the broker gracefully (SIGTERM, a controlled shutdown) and
// waits for it to exit; after a minute it is killed. A stopped broker is
// left alone.
func (b *Broker) Stop() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.alive() {
		return
	}
	signalGroup(b.cmd.Process.Pid, false)
	select {
	case <-b.done:
		return
	case <-time.After(stopTimeout):
	}
	b.t.Errorf("kafka broker %s still running %v after SIGTERM; killing it", b.Addr(), stopTimeout)
	signalGroup(b.cmd.Process.Pid, true)
	<-b.done
}

// Kill ends the broker with SIGKILL, as a crash would, and waits until it
// has exited. Its data stays for Restart, which then takes about 10 s
// longer: the restarted broker cannot register until the controller lets
// the dead incarnation's session expire (broker.session.timeout.ms, 9 s).
func (b *Broker) Kill() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.alive() {
		return
	}
	signalGroup(b.cmd.Process.Pid, true)
	<-b.done
}

// Restart starts the broker again on the same ports and data directory
// (stopping it first if it is running) and waits until it is ready.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Stop()
	b.launch()
	b.waitReady()
}

// alive is Running with b.mu held.
func (b *Broker) alive() bool {
	if b.done == nil {
		return false
	}
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}

func (b *Broker) config() string {
	// The settings of deploy/kafka/server.properties.tmpl.
	return fmt.Sprintf(`process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:%[2]d
listeners=PLAINTEXT://127.0.0.1:%[1]d,CONTROLLER://127.0.0.1:%[2]d
advertised.listeners=PLAINTEXT://127.0.0.1:%[1]d
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=%[3]s
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
`, b.port, b.ctrlPort, filepath.Join(b.dir, "data"))
}

// log4jConfig sends INFO to stdout (the log file), without the config dumps.
const log4jConfig = `status = warn
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = console
logger.config.name = org.apache.kafka.common.config
logger.config.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
logger.storage.name = org.apache.kafka.storage.internals.log
logger.storage.level = WARN
`

// jvmArgs runs mainClass from the Kafka jars. A one-node test broker needs
// neither a parallel GC nor C2: SerialGC and C1 only halve its startup CPU
// time (about 4 s instead of 9 s of CPU on this project's 2-core machines).
func (b *Broker) jvmArgs(mainClass string, heap string, args ...string) []string {
	return append([]string{"-Xmx" + heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
		"-Dlog4j2.configurationFile=" + filepath.Join(b.dir, "log4j2.properties"),
		"-cp", filepath.Join(b.libs, "*"), mainClass}, args...)
}

// format writes meta.properties into the fresh data directory.
func (b *Broker) format() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.java, b.jvmArgs("kafka.tools.StorageTool", "256m",
		"format", "-t", clusterID(b.t), "-c", b.props)...)
	cmd.Dir = b.dir
	cmd.SysProcAttr = sysProcAttr()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.t.Fatalf("kafka storage format: %v\n%s", err, out)
	}
}

// launch starts the broker process; its output goes to the log file.
func (b *Broker) launch() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.starts++
	f, err := os.OpenFile(b.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		b.t.Fatal(err)
	}
	fmt.Fprintf(f, "==== testkafka: start %d at %s\n", b.starts, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(b.java, b.jvmArgs("kafka.Kafka", "512m", b.props)...)
	cmd.Dir = b.dir
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		b.t.Fatalf("start kafka broker: %v", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait() // a signalled broker exits non-zero
		f.Close()
		close(done)
	}()
	b.cmd, b.done = cmd, done
}

// waitReady waits until the broker answers a metadata request that lists
// itself (its listener accepts connections a little before that).
func (b *Broker) waitReady() {
	b.t.Helper()
	deadline := time.Now().Add(StartTimeout)
	var err error
	for time.Now().Before(deadline) {
		if !b.Running() {
			b.t.Fatalf("kafka broker exited during startup; log:\n%s", b.logTail(60))
		}
		if _, err = Probe(b.Addr(), 2*time.Second); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.t.Fatalf("kafka broker %s not ready after %v (%v); log:\n%s", b.Addr(), StartTimeout, err, b.logTail(60))
}

// logTail is the last n lines of the broker's log file.
func (b *Broker) logTail(n int) string {
	data, err := os.ReadFile(b.log)
	if err != nil {
		return err.Error()
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// clusterID is a random Kafka cluster id: 16 bytes, base64url without
// padding (22 characters), like `kafka-storage random-uuid` prints. Kafka
// never hands out one starting with '-' (it would read as a flag).
func clusterID(t testing.TB) string {
	for {
		var u [16]byte
		if _, err := rand.Read(u[:]); err != nil {
			t.Fatal(err)
		}
		if id := base64.RawURLEncoding.EncodeToString(u[:]); id[0] != '-' {
			return id
		}
	}
}

// freePorts returns n distinct loopback TCP ports that were free a moment
// ago.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close() // all held until all are picked, so they differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}
