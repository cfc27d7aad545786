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
