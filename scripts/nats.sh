#!/usr/bin/env bash
# Starts or stops a real nats-server for the integration tests. The binary is
# built from the same nats-server module version go.mod pins, so no download
# outside the Go module proxy is needed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
port=${GPUBROKER_NATS_PORT:-14222}
dir="$run/nats"
pidfile="$dir/nats.pid"

start() {
  mkdir -p "$dir"
  version=$(cd "$root" && go list -m -f '{{.Version}}' github.com/nats-io/nats-server/v2)
  bin="$cache/bin/nats-server-$version"
  if [ ! -x "$bin" ]; then
    echo "building nats-server $version" >&2
    (cd "$root" && go build -o "$bin" github.com/nats-io/nats-server/v2)
  fi
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "nats-server already running (pid $(cat "$pidfile"))" >&2
    return 0
  fi
  "$bin" -a 127.0.0.1 -p "$port" -js -sd "$dir/jetstream" -P "$pidfile" -l "$dir/nats.log" &
  wait_port 127.0.0.1 "$port" 30
  echo "nats-server listening on nats://127.0.0.1:$port" >&2
}

stop() {
  if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$pidfile"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "nats://127.0.0.1:$port" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
