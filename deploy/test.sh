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
. deploy/apt.sh
need chromium chromium "for the browser tests"

# The storefront's browser test runs axe-core in its pages: the pinned npm
# package, fetched once into .data/npm (git-ignored) and named by AXE_CORE_JS.
axe_version=4.14.1
axe_js=.data/npm/axe-core-$axe_version/axe.min.js
if [ ! -s "$axe_js" ]; then
  need npm npm "to fetch axe-core"
  echo "test: fetching axe-core $axe_version for the storefront's accessibility checks" >&2
  mkdir -p "${axe_js%/*}"
  tgz=$(npm pack --silent --pack-destination .data/npm "axe-core@$axe_version")
  tar -xzf ".data/npm/$tgz" -C "${axe_js%/*}" --strip-components=1 package/axe.min.js
  rm -f ".data/npm/$tgz"
fi
export AXE_CORE_JS="$PWD/$axe_js"

# The Stripe provider's tests run stripe-go against stripe-mock (installed
# here when missing; internal/testenv installs the same version otherwise).
gobin=$(go env GOBIN); [ -n "$gobin" ] || gobin="$(go env GOPATH | cut -d: -f1)/bin"
if ! command -v stripe-mock >/dev/null 2>&1 && [ ! -x "$gobin/stripe-mock" ]; then
  echo "test: installing stripe-mock for the Stripe provider's tests" >&2
  go install github.com/stripe/stripe-mock@v0.203.0
fi

# The templ components (storefront, admin) are committed generated code:
# they must be what `make templ` makes of the .templ files.
for ui in storefront/ui admin/ui; do
  templ_out=$(mktemp -d)
  cp -r "$ui" "$templ_out/ui"
  go tool templ generate -path "$templ_out/ui" >/dev/null 2>&1
  for f in "$ui"/*_templ.go; do
    if ! cmp -s "$f" "$templ_out/ui/${f##*/}"; then
      echo "test: $f is not what 'make templ' generates from its .templ file: run make templ" >&2; rm -rf "$templ_out"; exit 1
    fi
  done
  rm -rf "$templ_out"
done

go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.data/*'))
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted" >&2; exit 1; fi
go test -count=1 -timeout 12m "${@:-./...}"

# Fuzz every decoder (each Fuzz* target in the tree) for a bounded time;
# their seeds and committed corpora (testdata/fuzz) already ran above as
# ordinary tests. Skipped when specific packages were asked for; FUZZ_TIME=0
# skips it too. A failing input is written to testdata/fuzz: commit it.
fuzz_time=${FUZZ_TIME:-20s}
if [ $# -eq 0 ] && [ "$fuzz_time" != 0 ]; then
  log=$(mktemp)
  targets=$(grep -r --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*' . | grep -v '^\./\.data/' |
    sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz.*)$#\1 \2#' | sort -u)
  while read -r pkg target; do
    echo "fuzz: $target ($pkg) for $fuzz_time" >&2
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzz_time" "$pkg" >"$log" 2>&1; then
      # Go's fuzzer ends a run whose worker is still inside one slow input
      # when -fuzztime is up with "context deadline exceeded" and no failing
      # input: that target runs once more. A failing input (written to
      # testdata/fuzz) fails at once.
      if grep -q "context deadline exceeded" "$log" && ! grep -q "Failing input written" "$log"; then
        echo "fuzz: $target stopped inside a slow input at the deadline; running it again" >&2
        go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzz_time" "$pkg" >"$log" 2>&1 ||
          { tail -40 "$log" >&2; rm -f "$log"; exit 1; }
      else
        tail -40 "$log" >&2; rm -f "$log"; exit 1
      fi
    fi
  done <<<"$targets"
  rm -f "$log"
fi
