#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster for FerretDB to store its data in:
#
#   bash bench/postgres.sh node --expose-gc -r ts-node/register/transpile-only bench/scale.ts
#
# Installs PostgreSQL from the distribution (apt-get, as root) when no initdb is found under
# /usr/lib/postgresql/*/bin, creates a cluster in a temporary folder owned by the postgres
# user, listening on 127.0.0.1 on a free port, with a database "ferretdb", and runs the
# command with
#   BENCH_POSTGRESQL_URL  postgres://postgres@127.0.0.1:<port>/ferretdb (bench/server.ts starts
#                         the FerretDB launcher with -postgresql-url <it>)
#   BENCH_PSQL            "<psql> -h 127.0.0.1 -p <port> -U postgres -d ferretdb" (split on
#                         spaces: no path here contains one)
# The cluster is stopped and its folder removed on exit; the script exits with the command's
# status. Needs root (or the postgres user) to run the server as postgres.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: bash bench/postgres.sh <command> [args...]" >&2
  exit 2
fi

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

BIN="$(find_bin)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "postgres.sh: installing PostgreSQL (apt-get install postgresql)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  BIN="$(find_bin)"
fi
[ -x "$BIN/initdb" ] || { echo "postgres.sh: no initdb under /usr/lib/postgresql/*/bin" >&2; exit 1; }

# Commands as the postgres user (the server refuses to run as root).
if [ "$(id -un)" = postgres ]; then
  as_pg() { "$@"; }
else
  as_pg() { runuser -u postgres -- "$@"; }
fi

PORT="$(node -e "const s = require('net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });")"
DIR="$(mktemp -d /tmp/esm-postgres-XXXXXX)"
chmod 755 "$DIR"
DATA="$DIR/data"
LOG="$DIR/postgres.log"
if [ "$(id -un)" != postgres ]; then chown postgres:postgres "$DIR"; fi

cleanup() {
  local status=$?
  if [ -f "$DATA/postmaster.pid" ]; then
    as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_pg "$BIN/initdb" -D "$DATA" -A trust -U postgres >"$DIR/initdb.log" 2>&1 || {
  cat "$DIR/initdb.log" >&2
  exit 1
}
as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR" -w start >/dev/null || {
  cat "$LOG" >&2
  exit 1
}
"$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres ferretdb

export BENCH_POSTGRESQL_URL="postgres://postgres@127.0.0.1:$PORT/ferretdb"
export BENCH_PSQL="$BIN/psql -h 127.0.0.1 -p $PORT -U postgres -d ferretdb"
echo "postgres.sh: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT, data in $DATA" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
