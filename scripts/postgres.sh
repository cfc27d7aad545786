#!/usr/bin/env bash
# Starts or stops a real PostgreSQL (Debian's; bookworm ships 15) for the
# store's integration tests: its own throw-away cluster under .run/postgres,
# loopback TCP only, trust auth, no durability (fsync off: the data is
# disposable and tests run much faster).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
port=${GPUBROKER_POSTGRES_PORT:-15432}
dir="$run/postgres"
data="$dir/data"
db=gpubroker

# pg_bin is the newest installed server's bin directory (empty when none).
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

install() {
  need_apt "$(pg_bin)/initdb" postgresql
  bin=$(pg_bin)
}

# as_pg runs a PostgreSQL tool as the postgres user: initdb and the server
# refuse to run as root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

running() {
  [ -f "$data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

start() {
  install
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
  if running; then
    echo "postgres already running" >&2
    return 0
  fi
  # A cluster made by another major version cannot start: it is disposable.
  if [ -f "$data/PG_VERSION" ] && [ "$(cat "$data/PG_VERSION")" != "$(basename "$(dirname "$bin")")" ]; then
    rm -rf "$data"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; return 1; }
  fi
  # No unix socket: clients use TCP, and the cluster never collides with
  # the system's /var/run/postgresql.
  as_pg "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$dir/postgres.log" >&2; return 1; }
  wait_port 127.0.0.1 "$port" 30
  if [ -z "$(as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
  fi
  echo "postgres listening on $(url)" >&2
}

stop() {
  bin=$(pg_bin)
  if [ -n "$bin" ] && running; then
    as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
}

url() { echo "postgres://postgres@127.0.0.1:$port/$db?sslmode=disable"; }

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  url) url ;;
  *) echo "usage: $0 install|start|stop|url" >&2; exit 2 ;;
esac
