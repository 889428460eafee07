#!/usr/bin/env bash
# deploy/services.sh — private PostgreSQL and Redis for development and tests.
#
#   deploy/services.sh start   start both (or reuse running ones); prints `export` lines
#   deploy/services.sh stop    stop the servers this data directory runs
#   deploy/services.sh status  say what runs
#
# Data lives under $DATA_DIR (default .data/ in the repository, git-ignored).
# Ports default to 54329 (Postgres) and 63799 (Redis) so they never collide with
# system services. Missing server binaries are installed from Debian's packages.
# Postgres refuses to run as root, so as root the server runs as the `postgres`
# system user; as an ordinary user it runs as that user.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA_DIR=${DATA_DIR:-$ROOT/.data}
PG_PORT=${PG_PORT:-54329}
REDIS_PORT=${REDIS_PORT:-63799}
PG_DB=${PG_DB:-concierge}
PG_DATA=$DATA_DIR/pg
PG_SOCK=$DATA_DIR/pg-sock
PG_LOG=$DATA_DIR/pg.log
REDIS_DIR=$DATA_DIR/redis

log() { echo "services: $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; exit 1; fi
}

apt_install() {
  log "installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

ensure_binaries() {
  local pkgs=()
  pg_bindir >/dev/null || pkgs+=(postgresql postgresql-contrib)
  command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || pkgs+=(redis-server)
  command -v psql >/dev/null || pkgs+=(postgresql-client)
  if [ ${#pkgs[@]} -gt 0 ]; then apt_install "${pkgs[@]}"; fi
}

# run_pg runs a Postgres binary as the user that owns the cluster.
run_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_running() { [ -f "$PG_DATA/postmaster.pid" ] && run_pg "$(pg_bindir)/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

start_pg() {
  local bin; bin=$(pg_bindir)
  mkdir -p "$DATA_DIR"
  if [ "$(id -u)" = 0 ]; then
    # The postgres user must be able to reach the data directory.
    local d=$DATA_DIR
    while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
  fi
  if [ ! -s "$PG_DATA/PG_VERSION" ]; then
    log "initialising PostgreSQL in $PG_DATA"
    mkdir -p "$PG_DATA" "$PG_SOCK"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DATA" "$PG_SOCK"
    chmod 700 "$PG_DATA"
    run_pg "$bin/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$PG_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 300
shared_buffers = 256MB
synchronous_commit = off
fsync = ${PG_FSYNC:-on}
log_min_messages = warning
CONF
  fi
  mkdir -p "$PG_SOCK"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_SOCK"
  if pg_running; then log "PostgreSQL already running on port $PG_PORT"; return 0; fi
  rm -f "$PG_DATA/postmaster.pid"
  touch "$PG_LOG"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_LOG"
  run_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null
  log "PostgreSQL started on 127.0.0.1:$PG_PORT"
  STARTED_PG=1
}

ensure_db() {
  if ! psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "select 1 from pg_database where datname='$PG_DB'" postgres | grep -q 1; then
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "create database $PG_DB" postgres >/dev/null
  fi
}

redis_bin() { command -v redis-server || echo /usr/bin/redis-server; }
redis_cli() { command -v redis-cli || echo /usr/bin/redis-cli; }
redis_running() { "$(redis_cli)" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

start_redis() {
  mkdir -p "$REDIS_DIR"
  if redis_running; then log "Redis already running on port $REDIS_PORT"; return 0; fi
  "$(redis_bin)" --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --daemonize yes \
    --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" --save "" --appendonly no \
    --protected-mode yes >/dev/null
  for _ in $(seq 1 100); do redis_running && break; sleep 0.1; done
  redis_running || { log "Redis failed to start, see $REDIS_DIR/redis.log"; exit 1; }
  log "Redis started on 127.0.0.1:$REDIS_PORT"
}

stop_all() {
  if [ -s "$PG_DATA/PG_VERSION" ] && pg_running; then
    run_pg "$(pg_bindir)/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null && log "PostgreSQL stopped"
  fi
  if redis_running; then
    "$(redis_cli)" -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    log "Redis stopped"
  fi
}

case "${1:-start}" in
  start)
    ensure_binaries
    start_pg
    ensure_db
    start_redis
    echo "export DATABASE_URL='postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB?sslmode=disable'"
    echo "export REDIS_URL='redis://127.0.0.1:$REDIS_PORT/0'"
    # A development master key for sealing secrets, made once and kept.
    if [ -z "${MASTER_KEY:-}" ]; then
      if [ ! -s "$DATA_DIR/master.key" ]; then
        (umask 077; head -c 32 /dev/urandom | base64 > "$DATA_DIR/master.key")
        log "generated a development MASTER_KEY in $DATA_DIR/master.key"
      fi
      echo "export MASTER_KEY='$(cat "$DATA_DIR/master.key")'"
    fi
    ;;
  stop) stop_all ;;
  status)
    pg_running && echo "postgres: running on $PG_PORT" || echo "postgres: stopped"
    redis_running && echo "redis: running on $REDIS_PORT" || echo "redis: stopped"
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
