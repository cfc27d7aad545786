// Package testnats gives tests an in-process NATS server.
package testnats

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Conn runs an in-process NATS server (no network listener) for the test
// and returns a connection to it; both close when the test ends.
func Conn(t testing.TB) *nats.Conn {
	t.Helper()
	_, nc := start(t, &server.Options{DontListen: true, NoSigs: true, NoLog: true})
	return nc
}

// JetStream is Conn with JetStream enabled, its file store in a temporary
// directory.
func JetStream(t testing.TB) *nats.Conn {
	t.Helper()
	_, nc := start(t, &server.Options{DontListen: true, NoSigs: true, NoLog: true, JetStream: true, StoreDir: t.TempDir()})
	return nc
}

// JetStreamURL is JetStream on a loopback TCP port, for a test that runs
// other processes against it: their URL and the test's own connection.
func JetStreamURL(t testing.TB) (string, *nats.Conn) {
	t.Helper()
	ns, nc := start(t, &server.Options{Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true, JetStream: true, StoreDir: t.TempDir()})
	return ns.ClientURL(), nc
}

func start(t testing.TB, opts *server.Options) (*server.Server, *nats.Conn) {
	t.Helper()
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats not ready")
	}
	nc, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close(); ns.Shutdown() })
	return ns, nc
}
