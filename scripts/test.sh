#!/usr/bin/env bash
# The project's test command (README: scripts/task test).
#  1. gofmt, go vet, staticcheck
#  2. unit, property and integration tests with the race detector; a real
#     nats-server, Redis, OpenBao (Vault API), PostgreSQL and a Kafka KRaft
#     broker (jars from Maven Central, scripts/kafka.sh) are started for the
#     integration suites, and Chromium with playwright-core is installed for
#     the board's browser test
#     then the Flink jobs on a real Flink MiniCluster and the Airflow DAGs on
#     a real Airflow 3.3 (both with GPUBROKER_REQUIRE_SERVICES=1, or
#     GPUBROKER_TEST_FLINK=1 / GPUBROKER_TEST_AIRFLOW=1)
#  3. every fuzz target for FUZZTIME (default 10s)
# With GPUBROKER_REQUIRE_SERVICES=1 (set by .ci/run) an integration test
# whose service is missing fails instead of skipping.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$root"

scripts/lint.sh

# The README test (cmd/gpubroker) runs the README's curl examples against a cell;
# the board test drives the live price board in Chromium (playwright-core).
need_apt curl curl
scripts/browser.sh install
export GPUBROKER_TEST_PLAYWRIGHT_DIR=$(scripts/browser.sh dir) GPUBROKER_TEST_CHROMIUM=$(scripts/browser.sh chromium)

# Real services for the integration suites. Tests that stop and restart
# Redis themselves run their own redis-server binary, installed here; tests
# that stop, restart or kill a Kafka broker run their own from
# GPUBROKER_KAFKA_LIBS (internal/testkafka). Kafka starts last: its JVM is
# the slowest to come up on two cores.
trap 'scripts/nats.sh stop; scripts/redis.sh stop; scripts/bao.sh stop; scripts/postgres.sh stop; scripts/kafka.sh stop' EXIT
scripts/nats.sh start
scripts/redis.sh start
scripts/bao.sh start
scripts/postgres.sh start
scripts/kafka.sh start
export GPUBROKER_TEST_DATABASE_URL=$(scripts/postgres.sh url)
export GPUBROKER_TEST_NATS_URL=$(scripts/nats.sh url)
export GPUBROKER_TEST_REDIS_URL=$(scripts/redis.sh url)
export GPUBROKER_TEST_VAULT_ADDR=$(scripts/bao.sh addr) GPUBROKER_TEST_VAULT_TOKEN=$(scripts/bao.sh token)
export GPUBROKER_BAO_BIN=$(scripts/bao.sh bin)
export GPUBROKER_TEST_KAFKA_BROKERS=$(scripts/kafka.sh url)
export GPUBROKER_KAFKA_LIBS=$(scripts/kafka.sh libs)

# The Flink and Airflow suites run once each, after the others and one at a
# time: their JVM and Python processes would crowd the two cores the other
# suites' timing shares. Their engines are installed first (PyFlink and the
# Kafka connector, Airflow 3.3; cached under .cache/), so an install never
# counts against a test's timeout.
go test -race -count=1 -timeout 20m $(go list ./... | grep -v -e '/flink$' -e '/airflow$')
if [ "${GPUBROKER_REQUIRE_SERVICES:-}" = 1 ] || [ "${GPUBROKER_TEST_FLINK:-}" = 1 ] || [ "${GPUBROKER_TEST_AIRFLOW:-}" = 1 ]; then
  flink/run-local --install-only
  airflow/run-local install
fi
go test -count=1 -p 1 -timeout 30m ./flink/ ./airflow/

FUZZTIME=${FUZZTIME:-10s} scripts/fuzz.sh
