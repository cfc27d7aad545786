# Shared by the scripts: repo root, cache and run directories.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="${GPUBROKER_CACHE_DIR:-$root/.cache}"
run="$root/.run"
mkdir -p "$cache/bin" "$run"

# wait_port HOST PORT SECONDS: wait until a TCP port accepts connections.
wait_port() {
  local host=$1 port=$2 secs=${3:-30} i
  for ((i = 0; i < secs * 10; i++)); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $host:$port" >&2
  return 1
}

# need_apt BINARY PACKAGE...: install Debian packages when BINARY is missing.
# CI machines start without them; apt-get update runs at most once per script.
need_apt() {
  local bin=$1; shift
  if command -v "$bin" >/dev/null 2>&1 || [ -x "$bin" ]; then return 0; fi
  echo "installing $* (for $bin)" >&2
  local log="$run/apt.log"
  if [ -z "${_apt_updated:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; return 1; }
    _apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$log" 2>&1 || { cat "$log" >&2; return 1; }
}
