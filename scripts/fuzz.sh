#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME (default 10s) each.
# Go runs one fuzz target per invocation, so targets are discovered and
# run one by one. Under load the fuzzing engine sometimes stops a run that
# found nothing with "context deadline exceeded" (the deadline fell during
# minimization); such a run is repeated, up to twice. A real finding ("Failing
# input written") always fails.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$root"
fuzztime=${FUZZTIME:-10s}
log="$run/fuzz.log"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' || true)
  for t in $targets; do
    for attempt in 1 2 3; do
      echo "fuzz $pkg $t ($fuzztime)"
      if go test "$pkg" -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" -fuzzminimizetime 2s >"$log" 2>&1; then
        tail -n 1 "$log"
        break
      fi
      cat "$log"
      if [ "$attempt" = 3 ] || grep -q "Failing input written" "$log" || ! grep -q "context deadline exceeded" "$log"; then
        exit 1
      fi
      echo "fuzz engine deadline without a finding; running $t again"
    done
  done
done
