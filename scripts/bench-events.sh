#!/usr/bin/env bash
# Event backbone benchmark against a real Kafka broker (started here if it is
# not running): the bridge's sustained rate draining a JetStream backlog into
# Kafka, and the latency from the stream taking an event to Kafka
# acknowledging it at 10,000 events/s. EVENTS (default 200000) sizes the drain.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$root"
started=
if ! (exec 3<>"/dev/tcp/127.0.0.1/${GPUBROKER_KAFKA_PORT:-19092}") 2>/dev/null; then
  scripts/kafka.sh start
  started=1
fi
trap '[ -z "$started" ] || scripts/kafka.sh stop' EXIT
export GPUBROKER_TEST_KAFKA_BROKERS=$(scripts/kafka.sh url)
go test -run XXX -bench BenchmarkBridgeDrain -benchtime "${EVENTS:-200000}x" ./bridge/
go test -run XXX -bench BenchmarkBridgeLatency -benchtime 1x ./bridge/
