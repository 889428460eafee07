#!/usr/bin/env bash
# deploy/bench.sh — what `make bench` runs.
#
#   deploy/bench.sh [loadgen flags...]     e.g. deploy/bench.sh -duration 2s -scenarios store
#
# Starts the private Postgres and Redis (deploy/services.sh; they stay up
# afterwards), builds bin/concierge and bin/loadgen, migrates and seeds the demo
# tenant, runs the product as `concierge dev` (gateway and job worker in one
# process, the WhatsApp sandbox emulator answering the bot's sends) on
# 127.0.0.1:$BENCH_PORT (default 18080) and points bin/loadgen at it. Results go
# to bench-results/latest.json (see loadgen -json), loadgen's output also to
# bench-results/loadgen.out, the server's log to bench-results/server.log. The
# server is stopped on exit; the exit status is loadgen's, or 1 when the
# webhook check below fails.
#
# The default scenarios are healthz,store. The WhatsApp webhook scenario is
# opt-in: signed Cloud API payloads, one new message each, for the seeded demo
# number (loadgen -webhook-* flags), e.g.
#
#   make bench BENCH_ARGS="-scenarios webhook -rates 500,2000"
#
# When it ran, the server is stopped and the messages table is checked: every
# message loadgen saw accepted (200) must be stored exactly once. Env knobs:
# BENCH_PORT, BENCH_READY_TIMEOUT, BENCH_RATE_LIMIT, BENCH_LOG_LEVEL,
# BENCH_JOB_WORKERS (default 4), GOGC.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BENCH_PORT=${BENCH_PORT:-18080}
BASE="http://127.0.0.1:$BENCH_PORT"
READY_TIMEOUT=${BENCH_READY_TIMEOUT:-30} # seconds to wait for /healthz
SERVER_LOG=bench-results/server.log
LOADGEN_OUT=bench-results/loadgen.out

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

log "starting bin/concierge dev on $BASE (log: $SERVER_LOG)"
# Rate limiting stays on (its Redis round trips are part of every request), with
# budgets high enough that the load generator on one IP is not refused.
# `dev` runs the job worker next to the gateway, sharing its database pool,
# hence the larger pool; the bot's sends go to the built-in sandbox emulator.
RATE_LIMIT_IP=${BENCH_RATE_LIMIT:-10000000} RATE_LIMIT_TENANT=${BENCH_RATE_LIMIT:-10000000} \
DB_MAX_CONNS=40 JOB_WORKERS=${BENCH_JOB_WORKERS:-4} \
HTTP_ADDR="127.0.0.1:$BENCH_PORT" LOG_LEVEL=${BENCH_LOG_LEVEL:-info} bin/concierge dev >"$SERVER_LOG" 2>&1 &
server_pid=$!

deadline=$((SECONDS + READY_TIMEOUT))
until curl -fs -o /dev/null --max-time 1 "$BASE/healthz"; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    wait "$server_pid" 2>/dev/null && status=0 || status=$?
    server_pid=
    log "bin/concierge dev exited (status $status) before /healthz answered; last lines of $SERVER_LOG:"
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
# product does (concierge defaults to GOGC=400). Its output is kept for the
# webhook check; tee -i so that ^C reaches loadgen, which still writes its
# results, without cutting its output short.
set +e
GOGC=${GOGC:-400} bin/loadgen -target "$BASE" "$@" | tee -i "$LOADGEN_OUT"
status=${PIPESTATUS[0]}
set -e

# Exactly-once check of the webhook scenario. loadgen prints, when it ran,
#   webhook: token <hex>, sent S, accepted N, unanswered U
# where N counts the 200s (probe, warm-ups and steps; never the baseline) and
# every message id is wamid.bench.<hex>.<n>.
summary_re='^webhook: token ([0-9a-f]+), sent ([0-9]+), accepted ([0-9]+), unanswered ([0-9]+)$'
summary=$(grep -E "$summary_re" "$LOADGEN_OUT" | tail -n 1 || true)
if [ -n "$summary" ]; then
  [[ $summary =~ $summary_re ]] || die "cannot parse loadgen's line: $summary"
  token=${BASH_REMATCH[1]} accepted=${BASH_REMATCH[3]} unanswered=${BASH_REMATCH[4]}
  # Stop the product first, so that no request still in flight (one loadgen
  # gave up on) can commit after the count.
  stop_server
  counts=$(psql "$DATABASE_URL" -X -v ON_ERROR_STOP=1 -tAc "select count(*), count(distinct wa_message_id),
      count(*) filter (where status <> 'received')
    from messages where wa_message_id like 'wamid.bench.$token.%'") || die "counting the webhook's messages failed"
  IFS='|' read -r stored distinct handled <<<"$counts"
  verdict=no
  if [ "$accepted" = "$stored" ] && [ "$stored" = "$distinct" ]; then verdict=yes; fi
  echo "webhook: accepted $accepted, stored $stored (distinct $distinct) — exactly once: $verdict"
  echo "webhook: the worker had handled $handled of the $stored stored messages when the server stopped"
  if [ "$verdict" = no ]; then
    if [ "$unanswered" -gt 0 ] && [ "$stored" = "$distinct" ] && [ "$stored" -gt "$accepted" ] &&
      [ "$stored" -le $((accepted + unanswered)) ]; then
      log "webhook: $unanswered requests got no answer (client timeout or error); $((stored - accepted)) of them were stored all the same"
    fi
    log "webhook: exactly-once check failed (token $token)"
    [ "$status" -ne 0 ] || status=1
  fi
fi
exit "$status"
