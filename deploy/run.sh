#!/usr/bin/env bash
# deploy/run.sh — what `make run` runs: private Postgres and Redis (unless
# DATABASE_URL and REDIS_URL are set), migrations, the demo tenant, then
# `concierge dev` (gateway + worker + WhatsApp sandbox). Ctrl-C stops
# everything this script started; the data under .data/ stays for next time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started_services=""
cleanup() {
  if [ -n "${server_pid:-}" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$started_services" ]; then bash deploy/services.sh stop; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  status=$(bash deploy/services.sh status)
  if ! grep -q "postgres: running" <<<"$status" || ! grep -q "redis: running" <<<"$status"; then started_services=1; fi
  exports=$(bash deploy/services.sh start)
  eval "$exports"
elif [ -z "${MASTER_KEY:-}" ]; then
  mkdir -p .data
  [ -s .data/master.key ] || (umask 077; head -c 32 /dev/urandom | base64 > .data/master.key)
  MASTER_KEY=$(cat .data/master.key)
fi
export DATABASE_URL REDIS_URL MASTER_KEY

echo "building bin/concierge ..."
go build -o bin/concierge ./cmd/concierge
bin/concierge migrate up >/dev/null
bin/concierge seed demo

addr=${HTTP_ADDR:-127.0.0.1:8080}
port=${addr##*:}
cat <<MSG

  Concierge is starting on http://$addr
    WhatsApp sandbox (chat as a customer of the demo store):
                                   http://localhost:$port/sandbox
    Storefront API (demo tenant):  http://demo.localhost:$port/api/v1/store
    Health:                        http://localhost:$port/healthz   http://localhost:$port/readyz
    Metrics (private listener):    http://${METRICS_ADDR:-127.0.0.1:9090}/metrics
  Demo staff login: see the seed output above. Ctrl-C stops everything.

MSG
bin/concierge dev &
server_pid=$!
wait "$server_pid"
