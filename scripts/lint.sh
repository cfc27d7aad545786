#!/usr/bin/env bash
# gofmt must report nothing and go vet must be clean.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$root"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "gofmt needed on:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
