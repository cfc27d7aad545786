#!/usr/bin/env bash
# Load benchmark of the edge against nginx serving the same bytes, in one run.
#
#  1. cached path: a cell (embedded NATS, simulator, workers, edge) with the
#     rate limiter ON against a real Redis, warmed, then wrk drives
#     GET /api/v2/providers?gpu=A100 with an API key on a benchmark plan whose
#     limit admits the load (so the limiter runs but does not reject);
#  2. baseline: nginx serving that exact response body as a static file,
#     same URL, same wrk settings;
#  3. cold path: a cell with the edge caches off and every simulated
#     provider delayed 200 ms, so each request fans out over NATS.
# Prints req/s, the edge/nginx ratio, p50/p99 latency and non-2xx counts.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$root"

duration=${BENCH_DURATION:-15s}
conns=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-2}
edge_port=18180
nginx_port=18181
cold_port=18182
dir="$run/bench"
rm -rf "$dir" && mkdir -p "$dir/www" "$dir/tmp"

need_apt wrk wrk
need_apt nginx nginx
# A Redis of its own (another port), so stopping it never touches the one
# a concurrent test run uses.
export GPUBROKER_REDIS_PORT=${BENCH_REDIS_PORT:-16479}
scripts/redis.sh start
redis_url=$(scripts/redis.sh url)

go build -o "$dir/gpubroker" ./cmd/gpubroker
bench_key="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
path='/api/v2/providers?gpu=A100'

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/redis.sh stop
}
trap cleanup EXIT

start_cell() { # port log extra-env...
  local port=$1 log=$2; shift 2
  # The hourly data-sync job is not part of serving; keep it out of the run.
  env GPUBROKER_HTTP_ADDR="127.0.0.1:$port" GPUBROKER_SIMULATOR_ADDR=127.0.0.1:0 GPUBROKER_SIM_STEP=0 GPUBROKER_SYNC_INTERVAL=0 \
    GPUBROKER_DATA_DIR="$dir/data-$port" \
    GPUBROKER_API_KEYS="bench:bench:$bench_key" \
    GPUBROKER_PLAN_LIMITS="free=10,pro=100,enterprise=1000,bench=100000000" \
    "$@" "$dir/gpubroker" cell >"$log" 2>&1 &
  pids+=($!)
  wait_port 127.0.0.1 "$port" 60
}

# wrk prints latency percentiles with --latency; pull out the figures.
run_wrk() { # label url [header]
  local label=$1 url=$2 out="$dir/wrk-$1.txt"
  shift 2
  wrk -t"$threads" -c"$conns" -d"$duration" --latency "$@" "$url" >"$out"
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' "$out")
  p50=$(awk '$1=="50%" {print $2}' "$out")
  p99=$(awk '$1=="99%" {print $2}' "$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$out")
  echo "$label ${rps:-0} ${p50:-?} ${p99:-?} ${non2xx:-0}"
}

echo "== cached path: edge with rate limiter (Redis $redis_url) vs nginx, wrk -t$threads -c$conns -d$duration"
start_cell "$edge_port" "$dir/edge.log" REDIS_URL="$redis_url" GPUBROKER_ACCESS_LOG=false
for _ in 1 2 3; do curl -sf -H "X-API-Key: $bench_key" "http://127.0.0.1:$edge_port$path" >"$dir/www/body.json"; done
bytes=$(wc -c <"$dir/www/body.json")
sed -e "s|@RUN@|$dir|g" -e "s|@PORT@|$nginx_port|g" scripts/bench/nginx.conf.tmpl >"$dir/nginx.conf"
nginx -c "$dir/nginx.conf" -p "$dir" &
pids+=($!)
wait_port 127.0.0.1 "$nginx_port" 30

read -r _ e_rps e_p50 e_p99 e_non <<<"$(run_wrk edge "http://127.0.0.1:$edge_port$path" -H "X-API-Key: $bench_key")"
read -r _ n_rps n_p50 n_p99 n_non <<<"$(run_wrk nginx "http://127.0.0.1:$nginx_port$path")"
ratio=$(awk -v a="$e_rps" -v b="$n_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')

echo "== cold path: edge caches off, 6 simulated providers at 200 ms each, wrk -t$threads -c16 -d$duration"
faults='{"aws":{"latency_ms":200},"azure":{"latency_ms":200},"lambda":{"latency_ms":200},"oci":{"latency_ms":200},"runpod":{"latency_ms":200},"vastai":{"latency_ms":200}}'
start_cell "$cold_port" "$dir/cold.log" GPUBROKER_CACHE=off GPUBROKER_ACCESS_LOG=false GPUBROKER_SIM_FAULTS="$faults" \
  GPUBROKER_PROVIDERS=aws,azure,lambda,oci,runpod,vastai
conns_saved=$conns; conns=16
read -r _ c_rps c_p50 c_p99 c_non <<<"$(run_wrk cold "http://127.0.0.1:$cold_port$path" -H "X-API-Key: $bench_key")"
conns=$conns_saved

printf '\n%-28s %12s %10s %10s %8s\n' "target" "req/s" "p50" "p99" "non-2xx"
printf '%-28s %12s %10s %10s %8s\n' "edge (cached, limiter on)" "$e_rps" "$e_p50" "$e_p99" "$e_non"
printf '%-28s %12s %10s %10s %8s\n' "nginx (same $bytes bytes)" "$n_rps" "$n_p50" "$n_p99" "$n_non"
printf '%-28s %12s %10s %10s %8s\n' "edge cold (200 ms fan-out)" "$c_rps" "$c_p50" "$c_p99" "$c_non"
echo "edge/nginx req/s ratio: $ratio"
echo "raw wrk output: $dir/wrk-*.txt"
