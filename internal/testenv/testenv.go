// Package testenv gives integration tests the real services scripts/test.sh
// starts (NATS, Redis, PostgreSQL, OpenBao, Kafka), each named by a
// GPUBROKER_TEST_* variable. Without it a test is skipped, or, under
// GPUBROKER_REQUIRE_SERVICES=1 (set by .ci/run), fails: in CI a missing
// service is a broken run, never a quiet skip.
package testenv

import (
	"os"
	"testing"
)

// Need skips or fails t because what is not available.
func Need(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("GPUBROKER_REQUIRE_SERVICES") == "1" {
		t.Fatalf("GPUBROKER_REQUIRE_SERVICES=1 but %s is not available", what)
	}
	t.Skipf("%s is not available", what)
}

// Env is the value of the variable naming a service, or Need.
func Env(t testing.TB, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		Need(t, what+" ("+name+")")
	}
	return v
}

// NATSURL is a real nats-server (scripts/nats.sh).
func NATSURL(t testing.TB) string {
	t.Helper()
	return Env(t, "GPUBROKER_TEST_NATS_URL", "a NATS server")
}

// RedisURL is a real Redis (scripts/redis.sh).
func RedisURL(t testing.TB) string {
	t.Helper()
	return Env(t, "GPUBROKER_TEST_REDIS_URL", "Redis")
}

// DatabaseURL is a real PostgreSQL (scripts/postgres.sh).
func DatabaseURL(t testing.TB) string {
	t.Helper()
	return Env(t, "GPUBROKER_TEST_DATABASE_URL", "PostgreSQL")
}

// Vault is a real OpenBao, Vault-API compatible (scripts/bao.sh): its
// address and a token.
func Vault(t testing.TB) (addr, token string) {
	t.Helper()
	addr = Env(t, "GPUBROKER_TEST_VAULT_ADDR", "Vault/OpenBao")
	return addr, Env(t, "GPUBROKER_TEST_VAULT_TOKEN", "a Vault/OpenBao token")
}

// BaoBin is the bao server binary, for tests that start their own.
func BaoBin(t testing.TB) string {
	t.Helper()
	return Env(t, "GPUBROKER_BAO_BIN", "the bao binary")
}

// KafkaBrokers is a real Kafka broker's bootstrap address, host:port
// (scripts/kafka.sh).
func KafkaBrokers(t testing.TB) string {
	t.Helper()
	return Env(t, "GPUBROKER_TEST_KAFKA_BROKERS", "a Kafka broker")
}

// KafkaLibs is the directory of the Kafka broker's jars (scripts/kafka.sh
// libs), for tests that run their own broker (internal/testkafka).
func KafkaLibs(t testing.TB) string {
	t.Helper()
	return Env(t, "GPUBROKER_KAFKA_LIBS", "the Kafka jars")
}

// Required reports whether missing services fail tests (CI) rather than
// skip them, for tests that run either way but must not quietly lose a
// service in CI.
func Required() bool { return os.Getenv("GPUBROKER_REQUIRE_SERVICES") == "1" }
