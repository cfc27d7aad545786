package testkafka

import (
	"net"
	"testing"
	"time"
)

// TestStopRestartKill runs a broker (GPUBROKER_KAFKA_LIBS) through a
// graceful stop, a restart, a SIGKILL and another restart: it answers on
// the same address each time with the same cluster id (same data dir), and
// nothing listens while it is down.
func TestStopRestartKill(t *testing.T) {
	t0 := time.Now()
	b := Start(t)
	t.Logf("broker %s ready in %v", b.Addr(), time.Since(t0).Round(time.Millisecond))
	first := ready(t, b)

	b.Stop()
	down(t, b)
	t0 = time.Now()
	b.Restart()
	t.Logf("restarted after stop in %v", time.Since(t0).Round(time.Millisecond))
	if md := ready(t, b); md.ClusterID != first.ClusterID {
		t.Fatalf("cluster id %q after restart, want %q: the data dir was not kept", md.ClusterID, first.ClusterID)
	}

	b.Kill()
	down(t, b)
	t0 = time.Now()
	b.Restart()
	t.Logf("restarted after SIGKILL in %v", time.Since(t0).Round(time.Millisecond))
	if md := ready(t, b); md.ClusterID != first.ClusterID {
		t.Fatalf("cluster id %q after kill and restart, want %q", md.ClusterID, first.ClusterID)
	}
}

// ready checks b is running and answers a metadata request listing itself.
func ready(t *testing.T, b *Broker) Metadata {
	t.Helper()
	if !b.Running() {
		t.Fatal("broker not running")
	}
	md, err := Probe(b.Addr(), 5*time.Second)
	if err != nil {
		t.Fatalf("probe %s: %v", b.Addr(), err)
	}
	if len(md.Brokers) != 1 || md.Brokers[0] != b.Addr() || md.ClusterID == "" {
		t.Fatalf("metadata %+v, want one broker at %s and a cluster id", md, b.Addr())
	}
	return md
}

// down checks b has exited and its port refuses connections.
func down(t *testing.T, b *Broker) {
	t.Helper()
	if b.Running() {
		t.Fatal("broker still running")
	}
	if c, err := net.DialTimeout("tcp", b.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after the broker exited", b.Addr())
	}
}

// TestProbeRefused: Probe fails fast on a port nothing listens on.
func TestProbeRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if _, err := Probe(addr, time.Second); err == nil {
		t.Fatalf("probe of closed port %s succeeded", addr)
	}
}
