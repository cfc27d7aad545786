#!/usr/bin/env bash
# The project's test command (README: scripts/task test).
#  1. gofmt + go vet
#  2. unit, property and integration tests with the race detector; a real
#     nats-server is started for the integration suites that need one
#  3. every fuzz target for FUZZTIME (default 10s)
# With GPUBROKER_REQUIRE_SERVICES=1 (set by .ci/run) an integration test
# whose service is missing fails instead of skipping.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$root"

scripts/lint.sh

scripts/nats.sh start
trap 'scripts/nats.sh stop' EXIT
export GPUBROKER_TEST_NATS_URL=$(scripts/nats.sh url)

go test -race -count=1 -timeout 20m ./...

FUZZTIME=${FUZZTIME:-10s} scripts/fuzz.sh
