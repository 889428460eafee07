#!/usr/bin/env bash
# deploy/bench.sh — what `make bench` runs.
#
#   deploy/bench.sh [loadgen flags...]     e.g. deploy/bench.sh -duration 2s -scenarios store
#
# Starts the private Postgres and Redis (deploy/services.sh; they stay up
# afterwards), builds bin/concierge and bin/loadgen, gives the run a fresh
# database cloned from a template (schema, demo tenant, 100,000-variant bench
# catalog; see "A fresh database" below) and an emptied Redis database, runs
# the product as `concierge dev` (gateway and job worker in one process, the
# WhatsApp sandbox emulator answering the bot's sends) on
# 127.0.0.1:$BENCH_PORT and points bin/loadgen at it. Results go to
# bench-results/latest.json (see loadgen -json), loadgen's output also to
# bench-results/loadgen.out, the server's log to bench-results/server.log. The
# server is stopped on exit; the exit status is loadgen's, or 1 when the
# webhook check below fails. One run at a time (bench-results/.lock).
#
# The default scenarios are healthz,store. The catalog scenarios are product
# (cached product by slug), categories and search (on a 100,000-variant
# catalog, see below), e.g.
#
#   make bench BENCH_ARGS="-scenarios product,categories,search -rates 200,2000"
#
# The cart scenarios are cart-add (POST /api/v1/carts/{id}/items over a pool
# of carts loadgen creates first, sized so that no line runs past its stock
# or the 999 cap; afterwards loadgen reads the carts back and checks that
# every accepted add landed once) and cart-view (GET /api/v1/carts/{id}),
# on the demo tenant (loadgen -cart-* flags), e.g.
#
#   make bench BENCH_ARGS="-scenarios cart-add,cart-view -rates 1000,1500"
#
# The checkout scenario checkout-cod (opt-in) checks out a fresh cart per
# request (POST /api/v1/checkout/init, cash on delivery, to Riyadh; only a
# 201 counts): loadgen prepares the carts first, one line each of the demo
# catalog's untracked-stock SKUs, as many as the run uses (loadgen
# -checkout-* flags); it never reuses one: a step that runs out stops. It
# needs nothing of this script beyond the demo seed (COD on, Riyadh served),
# e.g.
#
#   make bench BENCH_ARGS="-duration 10s -warmup 3s -rates 100,200,300 -sat-workers 16 -scenarios checkout-cod"
#
# The order scenarios (opt-in) read orders loadgen places first (loadgen
# -order-* flags; -order-orders, default 2000, each a one-line cart of an
# untracked-stock SKU checked out cash on delivery as checkout-cod does, then
# confirmed; placed once when both run): order-get (GET /api/v1/orders/{id},
# staff, as the demo owner owner@demo.test, signed in once with the demo
# password) and order-lookup (the public POST /api/v1/orders/lookup with the
# order's phone and number), each request the next order, round robin; only
# a 200 counts. This script runs the product with ORDER_LOOKUP_PER_HOUR at
# BENCH_RATE_LIMIT (the lookup's per-IP and per-phone limit, 10 by default,
# would otherwise answer 429) and ACCESS_TOKEN_TTL at BENCH_ACCESS_TOKEN_TTL
# (12h, so the token outlives any run; loadgen signs in again after three
# quarters of the token's lifetime all the same), e.g.
#
#   make bench BENCH_ARGS="-scenarios order-get,order-lookup -rates 500,1000,1500 -duration 10s -warmup 3s"
#
# The dashboard scenario admin-orders (opt-in) GETs /admin/orders, the admin
# dashboard's orders page (HTML), as the demo owner signed in through the
# dashboard's form (session cookie cc_admin), over the order scenarios'
# placed orders (-order-orders; placed once when they run together), e.g.
#
#   make bench BENCH_ARGS="-scenarios admin-orders -rates 250,500 -duration 10s -warmup 3s -order-orders 500"
#
# The WhatsApp webhook scenario is opt-in: signed Cloud API payloads, one new
# message each, for the seeded demo number (loadgen -webhook-* flags), e.g.
#
#   make bench BENCH_ARGS="-scenarios webhook -rates 500,2000"
#
# When it ran, the server is stopped and the messages table is checked: every
# message loadgen saw accepted (200) must be stored exactly once.
#
# Env knobs (default):
#   BENCH_PORT              the product's port on 127.0.0.1 (18080); must be free
#   BENCH_READY_TIMEOUT     seconds to wait for the product's /healthz (30)
#   BENCH_RATE_LIMIT        RATE_LIMIT_IP, RATE_LIMIT_TENANT and
#                           ORDER_LOOKUP_PER_HOUR (10000000): the limiters
#                           still run, but never refuse loadgen
#   BENCH_ACCESS_TOKEN_TTL  the product's ACCESS_TOKEN_TTL (12h): order-get's
#                           staff token
#   BENCH_LOG_LEVEL         the product's LOG_LEVEL (info)
#   BENCH_JOB_WORKERS       the product's JOB_WORKERS (4)
#   BENCH_METRICS_ADDR      the product's METRICS_ADDR (127.0.0.1:0)
#   GOGC                    loadgen's (400, as concierge's own default); when
#                           set, also the product's
#   BENCH_DB                the run's database (concierge_bench), cloned from
#                           ${BENCH_DB}_template
#   BENCH_TEMPLATE=rebuild  rebuild the template even if its key is current
#   BENCH_CATALOG_VARIANTS  variants of the bench tenant's catalog (100000)
#   BENCH_REDIS_DB          the Redis database emptied for the run (15; not 0,
#                           `make run`'s)
#   BENCH_REDIS_PREFIX      the product's REDIS_PREFIX (ccbench:)
# The product's DB_MAX_CONNS is 40 (gateway and worker share the pool); its
# other variables (CART_RETENTION, ...) reach it unchanged.
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

# One `make bench` at a time: each run recreates the bench database.
mkdir -p bin bench-results
exec 9>bench-results/.lock
command -v flock >/dev/null && { flock -n 9 || die "another make bench is running (bench-results/.lock)"; }

# The port must be free: anything else answering /healthz there would be
# measured instead of the product. Checked now, before the template build,
# and again just before the server starts.
port_free() {
  ! curl -s -o /dev/null --max-time 1 "$BASE/healthz" ||
    die "something already answers on $BASE; stop it or set BENCH_PORT"
}
port_free

# Two steps rather than eval "$(...)" so that a failure to start the services
# stops the bench instead of being swallowed by the command substitution.
# (fd 9, the lock, is closed for it: a server it starts must not hold it.)
services_env=$(deploy/services.sh start 9>&-)
eval "$services_env"
: "${DATABASE_URL:?deploy/services.sh did not export DATABASE_URL}"
: "${REDIS_URL:?deploy/services.sh did not export REDIS_URL}"

log "building bin/concierge and bin/loadgen"
go build -o bin/concierge ./cmd/concierge
go build -o bin/loadgen ./cmd/loadgen

# --- A fresh database and Redis key space for every run ---------------------
#
# The bench never uses the database `make run` serves (.data's "concierge"):
# every run gets $BENCH_DB (default concierge_bench), dropped and cloned anew
# from the template database ${BENCH_DB}_template, so no queued job, message,
# conversation, customer or cart of an earlier run is left to compete with the
# measurement. The template holds the migrated schema, the demo tenant
# (`concierge seed demo`) and tenant "bench" (bench.localhost) with
# BENCH_CATALOG_VARIANTS variants (default 100000, generated by `concierge
# catalog generate`, synced by `concierge catalog import --full`; the sync's
# duration is the feed sync measurement), vacuumed, frozen and analysed. It
# is built once (about a minute on an idle machine) and rebuilt only when its
# key changes: a hash of the migrations, go.sum, the non-test sources of
# cmd/concierge and of every package the seed, the tenants and the catalog
# sync are built from, the variant count and the MASTER_KEY the seed seals
# secrets with. The key errs on the side of rebuilding (any edit in
# cmd/concierge counts); BENCH_TEMPLATE=rebuild forces a rebuild for what it
# cannot see (a seed reading another package). The run's database stays
# after the run for inspection until the next run drops it.
#
# Redis: the run empties database $BENCH_REDIS_DB (default 15), and the
# product gets the prefix $BENCH_REDIS_PREFIX (default ccbench:) because its
# pub/sub channels (tenant cache invalidation, session revocations, inbox
# events) span every database: with `make run`'s cc: they would reach a
# running dev server.
BENCH_DB=${BENCH_DB:-concierge_bench}
TEMPLATE_DB=${BENCH_DB}_template
variants=${BENCH_CATALOG_VARIANTS:-100000}
[[ $BENCH_DB =~ ^[a-z_][a-z0-9_]*$ ]] || die "BENCH_DB must be a plain lowercase name, got $BENCH_DB"
[[ $variants =~ ^[1-9][0-9]*$ ]] || die "BENCH_CATALOG_VARIANTS must be a positive number, got $variants"
redis_db=${BENCH_REDIS_DB:-15}
[[ $redis_db =~ ^[1-9][0-9]*$ ]] || die "BENCH_REDIS_DB must be a Redis database number other than 0 (make run's), got $redis_db"

# db_url NAME is DATABASE_URL with its database replaced by NAME.
db_url() {
  local u=$DATABASE_URL query=
  if [[ $u == *\?* ]]; then query="?${u#*\?}"; u=${u%%\?*}; fi
  echo "${u%/*}/$1$query"
}
admin_psql() { psql "$(db_url postgres)" -X -q -v ON_ERROR_STOP=1 "$@"; }
db_exists() { [ "$(admin_psql -tAc "select count(*) from pg_database where datname = '$1'")" = 1 ]; }
drop_db() {
  if db_exists "$1"; then
    admin_psql -c "alter database \"$1\" is_template false" -c "drop database \"$1\" with (force)"
  fi
}
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

template_key() {
  {
    echo "bench template v1; variants $variants"
    printf '%s' "${MASTER_KEY:-}" | sha256sum
    # The non-test Go sources (and the migrations' SQL) of what writes the
    # template: migrations, tenants, identity (seeded users), the catalog
    # and its sync, the CLI. (The $ are Go template's, not the shell's.)
    # shellcheck disable=SC2016
    go list -deps -f '{{if and .Module .Module.Main}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{end}}' ./migrations ./internal/db ./tenants/... ./modules/identity/... ./modules/catalog/... |
      sort -u | sed "s#^$ROOT/##" | xargs sha256sum
    sha256sum go.sum migrations/*.sql cmd/concierge/*.go | grep -v '_test\.go$'
  } | sha256sum | cut -c1-16
}

build_template() { # build_template KEY
  local key=$1 tmp=${TEMPLATE_DB}_new file=bench-results/catalog-$variants.csv start sync_ms
  log "building the template database $TEMPLATE_DB (key $key): schema, demo seed, $variants-variant bench catalog"
  drop_db "$tmp"
  admin_psql -c "create database \"$tmp\""
  (
    export DATABASE_URL
    DATABASE_URL=$(db_url "$tmp")
    bin/concierge migrate up
    bin/concierge seed demo
    bin/concierge tenant create --slug bench --name-en "Bench Store" --name-ar "متجر القياس" >/dev/null
  )
  # Generated anew (a second or so): the generator is part of the key, and a
  # file left by an older one would not match it.
  bin/concierge catalog generate --variants "$variants" "$file"
  log "syncing $file into tenant bench"
  start=$(date +%s%N)
  # Its summary only (sed, not head, reads to the end: an import cut off by
  # SIGPIPE would fail the build under pipefail).
  DATABASE_URL=$(db_url "$tmp") bin/concierge catalog import --tenant bench --full "$file" | sed -n 1,3p
  sync_ms=$(ms_since "$start")
  # The CLI runs a sync itself and leaves its job queued for a worker that
  # would find it done: nothing of the build is left for the bench's worker.
  psql "$(db_url "$tmp")" -X -q -v ON_ERROR_STOP=1 \
    -c "delete from river_job where state not in ('completed', 'cancelled', 'discarded')" \
    -c "vacuum (freeze, analyze)"
  admin_psql -c "comment on database \"$tmp\" is 'bench template key=$key sync_ms=$sync_ms variants=$variants built=$(date -u +%FT%TZ)'" \
    -c "alter database \"$tmp\" with is_template true allow_connections false"
  drop_db "$TEMPLATE_DB"
  admin_psql -c "alter database \"$tmp\" rename to \"$TEMPLATE_DB\""
}

setup_start=$(date +%s%N)
key=$(template_key)
comment=$(admin_psql -tAc "select shobj_description(oid, 'pg_database') from pg_database where datname = '$TEMPLATE_DB'")
if [ "${BENCH_TEMPLATE:-}" = rebuild ] || [[ $comment != *"key=$key "* ]]; then
  build_template "$key"
  comment=$(admin_psql -tAc "select shobj_description(oid, 'pg_database') from pg_database where datname = '$TEMPLATE_DB'")
fi
clone_start=$(date +%s%N)
drop_db "$BENCH_DB"
# FILE_COPY (PostgreSQL 15+) copies the files after a checkpoint instead of
# writing every page to the WAL: about twice as fast for this template.
strategy=
[ "$(admin_psql -tAc "show server_version_num")" -lt 150000 ] || strategy="strategy file_copy"
admin_psql -c "create database \"$BENCH_DB\" template \"$TEMPLATE_DB\" $strategy"
clone_ms=$(ms_since "$clone_start")
DATABASE_URL=$(db_url "$BENCH_DB")

REDIS_URL="${REDIS_URL%/*}/$redis_db"
REDIS_PREFIX=${BENCH_REDIS_PREFIX:-ccbench:}
"$(command -v redis-cli || echo /usr/bin/redis-cli)" -u "$REDIS_URL" flushdb >/dev/null
export DATABASE_URL REDIS_URL REDIS_PREFIX
log "database $BENCH_DB cloned from $TEMPLATE_DB (key $key) in $clone_ms ms (setup $(ms_since "$setup_start") ms), Redis $REDIS_URL emptied"
if [[ $comment =~ sync_ms=([0-9]+)\ variants=([0-9]+)\ built=([^ ]+) ]]; then
  echo "catalog sync: ${BASH_REMATCH[2]} rows in ${BASH_REMATCH[1]} ms (bin/concierge catalog import --full into an empty tenant, when the template was built, ${BASH_REMATCH[3]})"
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

port_free # the template build may have taken minutes
log "starting bin/concierge dev on $BASE (log: $SERVER_LOG)"
# Rate limiting stays on (its Redis round trips are part of every request), with
# budgets high enough that the load generator on one IP is not refused (the
# order lookup's per-IP and per-phone limit too); the staff access token
# outlives the run.
# `dev` runs the job worker next to the gateway, sharing its database pool,
# hence the larger pool; the bot's sends go to the built-in sandbox emulator.
# (fd 9 is closed for it: a server left behind must not hold the lock.)
RATE_LIMIT_IP=${BENCH_RATE_LIMIT:-10000000} RATE_LIMIT_TENANT=${BENCH_RATE_LIMIT:-10000000} \
ORDER_LOOKUP_PER_HOUR=${BENCH_RATE_LIMIT:-10000000} ACCESS_TOKEN_TTL=${BENCH_ACCESS_TOKEN_TTL:-12h} \
DB_MAX_CONNS=40 JOB_WORKERS=${BENCH_JOB_WORKERS:-4} \
METRICS_ADDR=${BENCH_METRICS_ADDR:-127.0.0.1:0} HTTP_ADDR="127.0.0.1:$BENCH_PORT" LOG_LEVEL=${BENCH_LOG_LEVEL:-info} bin/concierge dev >"$SERVER_LOG" 2>&1 9>&- &
server_pid=$!

# ours_listening: the listener on $BENCH_PORT is our server's, not another
# process that took the port after port_free (ours then fails to listen, and
# the other's /healthz would pass for ours). Without ss, our server being
# alive is what can be checked.
ours_listening() {
  kill -0 "$server_pid" 2>/dev/null || return 1
  ! command -v ss >/dev/null || ss -Hltnp "sport = :$BENCH_PORT" | grep -q "pid=$server_pid,"
}

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
if ! ours_listening; then
  log "$BASE/healthz answers, but not from bin/concierge dev (pid $server_pid): another process took the port; last lines of $SERVER_LOG:"
  tail -n 30 "$SERVER_LOG" >&2 || true
  exit 1
fi
log "server is up"

# The load generator (and the baseline inside it) collects garbage as the
# product does (concierge defaults to GOGC=400). Its output is kept for the
# webhook check; tee -i so that ^C reaches loadgen, which still writes its
# results, without cutting its output short.
#
# After the scenarios' setup (the carts and orders loadgen writes first) the
# database is analysed: the template's statistics know none of those rows, and
# autovacuum's analyse comes only after its nap (up to a minute, mid-step), so
# until then the planner would plan the orders lists for an empty table (a
# bitmap scan and sort of every order instead of reading the newest 26 off
# orders_by_created). A shop's orders arrive over days and its statistics
# keep up; this measures that state.
#
# CPU steal (time the hypervisor gave to other guests while this machine
# wanted to run) is reported for the run: on a shared virtual machine it
# comes and goes, and a run with much of it understates the product.
cpu_times() { read -r _ user nice system idle iowait irq softirq steal _ < /proc/stat; echo "$((user + nice + system + idle + iowait + irq + softirq + steal)) $steal"; }
read -r total0 steal0 < <(cpu_times 2>/dev/null || echo "0 0")
set +e
GOGC=${GOGC:-400} bin/loadgen -target "$BASE" -after-setup 'psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c analyze' "$@" | tee -i "$LOADGEN_OUT"
status=${PIPESTATUS[0]}
set -e
read -r total1 steal1 < <(cpu_times 2>/dev/null || echo "0 0")
if [ "$total1" -gt "$total0" ]; then
  echo "cpu steal during the run: $(( 100 * (steal1 - steal0) / (total1 - total0) ))% of the machine's CPU time (/proc/stat)" | tee -a "$LOADGEN_OUT"
fi

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
