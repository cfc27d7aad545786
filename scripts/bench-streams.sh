#!/usr/bin/env bash
# Push benchmark (docs/streams.md): a cell whose embedded NATS listens on a
# port, and the repo's load client (cmd/streamload) publishing price updates
# into the cell's event stream as a worker would and reading them back
# through the edge.
#  1. 1,000 WebSocket subscribers, 20 events/s: latency event -> client;
#  2. 10,000 WebSocket connections, 3 channels each, 2 events/s (each one a
#     broadcast to all) on an edge running as its own process (NATS,
#     simulator and workers in theirs): edge RSS and latency; and REST
#     cached throughput (wrk) while they are open against the figure
#     without them;
#  3. 1,000 SSE streams, 20 events/s: latency.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$root"

need_apt wrk wrk
dir="$run/bench-streams"
rm -rf "$dir" && mkdir -p "$dir"
go build -o "$dir/gpubroker" ./cmd/gpubroker
go build -o "$dir/streamload" ./cmd/streamload
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
port=18380 nats_port=14380
key="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
path='/api/v2/providers?gpu=A100'
pids=()
# The edge process's soft memory limit in scenario 2 (the Go runtime's
# GOMEMLIMIT, as a deployment sets it below the container's limit):
# garbage from the REST load is collected before the heap doubles over the
# 10,000 connections' live memory. "off" runs without one.
edge_memlimit=${BENCH_EDGE_GOMEMLIMIT:-350MiB}
# Niceness of the load client: on one machine it competes with the edge
# and wrk for the same cores; BENCH_CLIENT_NICE=19 approximates a client on
# another machine for the REST figure (its latencies then include its own
# scheduling delay).
client_nice=${BENCH_CLIENT_NICE:-0}
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

start_cell() { # a fresh cell, so RSS is its own
  cleanup; pids=()
  rm -rf "$dir/data"
  env GPUBROKER_HTTP_ADDR="127.0.0.1:$port" GPUBROKER_SIMULATOR_ADDR=127.0.0.1:0 GPUBROKER_SIM_STEP=0 GPUBROKER_SYNC_INTERVAL=0 \
    GPUBROKER_DATA_DIR="$dir/data" GPUBROKER_NATS_LISTEN="127.0.0.1:$nats_port" GPUBROKER_ACCESS_LOG=false \
    GPUBROKER_API_KEYS="bench:bench:$key" GPUBROKER_PLAN_LIMITS="free=10,bench=100000000" \
    GPUBROKER_STREAM_LIMITS="free=5/20,bench=20000/10" \
    "$dir/gpubroker" cell >"$dir/cell.log" 2>&1 &
  pids+=($!)
  cell_pid=$!
  wait_port 127.0.0.1 "$port" 60
  wait_port 127.0.0.1 "$nats_port" 60
  for _ in 1 2 3; do curl -sf -H "X-API-Key: $key" "http://127.0.0.1:$port$path" >/dev/null; done
}

start_split() { # the production shape: NATS, simulator, workers and the edge as their own processes
  cleanup; pids=()
  rm -rf "$dir/data" "$dir/js"
  version=$(go list -m -f '{{.Version}}' github.com/nats-io/nats-server/v2)
  nats_bin="$cache/bin/nats-server-$version"
  [ -x "$nats_bin" ] || go build -o "$nats_bin" github.com/nats-io/nats-server/v2
  "$nats_bin" -a 127.0.0.1 -p "$nats_port" -js -sd "$dir/js" >"$dir/nats.log" 2>&1 &
  pids+=($!)
  wait_port 127.0.0.1 "$nats_port" 30
  local url="nats://127.0.0.1:$nats_port" sim_port=18390
  env GPUBROKER_SIMULATOR_ADDR="127.0.0.1:$sim_port" "$dir/gpubroker" simulator --step 0 >"$dir/sim.log" 2>&1 &
  pids+=($!)
  wait_port 127.0.0.1 "$sim_port" 30
  env GPUBROKER_DATA_DIR="$dir/data-w" "$dir/gpubroker" worker --nats "$url" --simulator-url "http://127.0.0.1:$sim_port" \
    --metrics "" >"$dir/worker.log" 2>&1 &
  pids+=($!)
  env GPUBROKER_HTTP_ADDR="127.0.0.1:$port" GPUBROKER_DATA_DIR="$dir/data" GPUBROKER_ACCESS_LOG=false \
    GPUBROKER_API_KEYS="bench:bench:$key" GPUBROKER_PLAN_LIMITS="free=10,bench=100000000" \
    GPUBROKER_STREAM_LIMITS="free=5/20,bench=20000/10" \
    GOMEMLIMIT="$edge_memlimit" "$dir/gpubroker" edge --nats "$url" --sync=false >"$dir/edge.log" 2>&1 &
  pids+=($!)
  cell_pid=$!
  wait_port 127.0.0.1 "$port" 60
  for _ in 1 2 3; do curl -sf -H "X-API-Key: $key" "http://127.0.0.1:$port$path" >/dev/null || sleep 2; done
}

load() { # label args...
  local label=$1; shift
  echo "== $label"
  STREAMLOAD_EDGE_PID=$cell_pid nice -n "$client_nice" "$dir/streamload" -url "http://127.0.0.1:$port" -token "$key" \
    -nats "nats://127.0.0.1:$nats_port" "$@" 2>&1 | grep -v ' INFO'
}

rps() { # wrk's requests/s on the cached list
  wrk -t2 -c64 -d10s "http://127.0.0.1:$port$path" -H "X-API-Key: $key" | awk '/^Requests\/sec/ {print $2}'
}

start_cell
load "1,000 WebSocket subscribers (price_updates), 20 events/s for 20 s" -conns 1000 -rate 20 -duration 20s

# The edge as its own process (its RSS is the edge's alone, not the
# embedded NATS's, the 22 workers' and the simulator's with it).
start_split
echo "RSS of the idle edge process (GOMEMLIMIT=$edge_memlimit): $(awk '/VmRSS/ {print $2, $3}' /proc/$cell_pid/status)"
alone1=$(rps)
# The streams stay idle for 24 s (REST measured with them open), then get
# 2 broadcasts/s for 30 s (REST measured again); REST alone is measured
# before and after, and the ratios are to their mean, so the machine's
# drift between runs does not pass for the streams' cost.
load "10,000 WebSocket connections x 3 channels: idle 24 s, then 2 broadcasts/s for 30 s (wrk on the REST list in both phases)" \
  -conns 10000 -channels "price_updates,gpu:H100,region:us" -hold 24s -rate 2 -duration 30s >"$dir/load10k.out" &
lp=$!
for _ in $(seq 600); do grep -q '^opened' "$dir/load10k.out" && break; sleep 0.5; done
sleep 2
idle=$(rps)  # connections open and subscribed, no events
sleep 14     # the broadcasts have started
with=$(rps)  # 20,000 frames/s going out meanwhile
wait "$lp"
cat "$dir/load10k.out"
alone2=$(rps)
awk -v a1="$alone1" -v a2="$alone2" -v i="$idle" -v w="$with" 'BEGIN {
  a = (a1 + a2) / 2
  printf "REST cached list: %s and %s req/s alone (before, after); with 10,000 WebSockets open: %s idle (%.0f%%), %s during broadcasts (%.0f%%)\n", a1, a2, i, i/a*100, w, w/a*100 }'

start_cell
load "1,000 SSE streams, 20 events/s for 20 s" -mode sse -conns 1000 -rate 20 -duration 20s
