#!/usr/bin/env bash
# deploy/bench.sh — what `make bench` runs.
#
#   deploy/bench.sh [loadgen flags...]     e.g. deploy/bench.sh -duration 2s -scenarios store
#
# Starts the private Postgres and Redis (deploy/services.sh; they stay up
# afterwards), builds bin/concierge and bin/loadgen, migrates and seeds the demo
# tenant, serves the product on 127.0.0.1:$BENCH_PORT (default 18080) and points
# bin/loadgen at it. Results go to bench-results/latest.json (see loadgen -json),
# the server's log to bench-results/server.log. The server is stopped on exit;
# the exit status is loadgen's.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BENCH_PORT=${BENCH_PORT:-18080}
BASE="http://127.0.0.1:$BENCH_PORT"
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-30} # seconds to wait for /healthz
SERVER_LOG=bench-results/server.log

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

command -v curl >/dev/null || die "curl is required"

# Two steps rather than eval "$(...)" so that a failure to start the services
# stops the bench instead of being swallowed by the command substitution.
services_env=$(deploy/services.sh start)
eval "$services_env"
: "${DATABASE_URL:?deploy/services.sh did not export DATABASE_URL}"
: "${REDIS_URL:?deploy/services.sh did not export REDIS_URL}"

log "building bin/concierge and bin/loadgen"
mkdir -p bin bench-results
go build -o bin/concierge ./cmd/concierge
go build -o bin/loadgen ./cmd/loadgen

log "migrating and seeding the demo tenant"
bin/concierge migrate up
bin/concierge seed demo

if curl -s -o /dev/null --max-time 1 "$BASE/healthz"; then
  die "something already answers on $BASE; stop it or set BENCH_PORT"
fi

server_pid=
stop_server() {
  [ -n "$server_pid" ] || return 0
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do # up to 5s for a graceful shutdown
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      log "server did not stop within 5s; killing it"
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting bin/concierge serve on $BASE (log: $SERVER_LOG)"
# Rate limiting stays on (its Redis round trips are part of every request), with
# budgets high enough that the load generator on one IP is not refused.
RATE_LIMIT_IP=${BENCH_RATE_LIMIT:-10000000} RATE_LIMIT_TENANT=${BENCH_RATE_LIMIT:-10000000} \
HTTP_ADDR="127.0.0.1:$BENCH_PORT" LOG_LEVEL=${BENCH_LOG_LEVEL:-info} bin/concierge serve >"$SERVER_LOG" 2>&1 &
server_pid=$!

deadline=$((SECONDS + READY_TIMEOUT))
until curl -fs -o /dev/null --max-time 1 "$BASE/healthz"; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    wait "$server_pid" 2>/dev/null && status=0 || status=$?
    server_pid=
    log "bin/concierge serve exited (status $status) before /healthz answered; last lines of $SERVER_LOG:"
    tail -n 30 "$SERVER_LOG" >&2 || true
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "$BASE/healthz did not answer within ${READY_TIMEOUT}s; last lines of $SERVER_LOG:"
    tail -n 30 "$SERVER_LOG" >&2 || true
    exit 1
  fi
  sleep 0.2
done
log "server is up"

# The load generator (and the baseline inside it) collects garbage as the
# product does (concierge serve defaults to GOGC=400).
GOGC=${GOGC:-400} bin/loadgen -target "$BASE" "$@"
