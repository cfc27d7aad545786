#!/usr/bin/env bash
# A real browser for the board's test: Debian's chromium, driven by
# playwright-core from npm (no browser download: it launches that binary).
#   scripts/browser.sh install   installs both (cached under .cache/)
#   scripts/browser.sh dir       the directory whose node_modules holds playwright-core
#   scripts/browser.sh chromium  the chromium binary
set -euo pipefail
source "$(dirname "$0")/lib.sh"
version=1.65.2
dir="$cache/playwright-$version"
case "${1:-}" in
  install)
    need_apt chromium chromium
    if [ ! -f "$dir/node_modules/playwright-core/package.json" ]; then
      echo "installing playwright-core $version from npm into $dir" >&2
      mkdir -p "$dir"
      (cd "$dir" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "playwright-core@$version" >/dev/null)
    fi
    ;;
  dir) echo "$dir" ;;
  chromium) command -v chromium ;;
  *) echo "usage: $0 install|dir|chromium" >&2; exit 2 ;;
esac
