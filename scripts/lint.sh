#!/usr/bin/env bash
# gofmt must report nothing; go vet and staticcheck (pinned) must be clean.
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
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
