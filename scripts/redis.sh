#!/usr/bin/env bash
# Starts or stops a real Redis (Debian's redis-server) for integration tests
# and benchmarks: loopback only, no persistence.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
port=${GPUBROKER_REDIS_PORT:-16379}
dir="$run/redis-$port" # per port, so a benchmark's Redis and the tests' never share a pid file

case "${1:-}" in
  install)
    need_apt redis-server redis-server
    ;;
  start)
    need_apt redis-server redis-server
    mkdir -p "$dir"
    if [ -f "$dir/redis.pid" ] && kill -0 "$(cat "$dir/redis.pid")" 2>/dev/null; then
      echo "redis already running" >&2
      exit 0
    fi
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
      --dir "$dir" --logfile "$dir/redis.log" --pidfile "$dir/redis.pid"
    wait_port 127.0.0.1 "$port" 30
    echo "redis listening on redis://127.0.0.1:$port" >&2
    ;;
  stop)
    if [ -f "$dir/redis.pid" ]; then
      redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
      rm -f "$dir/redis.pid"
    fi
    ;;
  url) echo "redis://127.0.0.1:$port/0" ;;
  *) echo "usage: $0 install|start|stop|url" >&2; exit 2 ;;
esac
