#!/usr/bin/env bash
# deploy/test.sh — what `make test` runs: the private services, then every test
# against them. Services this script started are stopped again at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started=""
if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  status=$(bash deploy/services.sh status)
  if ! grep -q "postgres: running" <<<"$status" || ! grep -q "redis: running" <<<"$status"; then started=1; fi
  exports=$(bash deploy/services.sh start)
  eval "$exports"
  if [ -n "$started" ]; then trap 'bash deploy/services.sh stop' EXIT; fi
fi
export DATABASE_URL REDIS_URL

# Browser tests drive Debian's Chromium (installed here when missing).
if ! command -v chromium >/dev/null 2>&1; then
  echo "test: installing Debian's chromium for the browser tests" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.data/*'))
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted" >&2; exit 1; fi
go test -count=1 -timeout 12m "${@:-./...}"
