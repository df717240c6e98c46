#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests and local runs: never the machine's own cluster.
#
#   scripts/pg-cluster.sh start [DB]     start the cluster (made on first use), make database DB
#                                        (default "loyalty") and print its DATABASE_URL
#   scripts/pg-cluster.sh url [DB]       print DB's DATABASE_URL (the cluster must be running)
#   scripts/pg-cluster.sh psql [DB] ...  psql as the cluster's superuser on DB (default "postgres"),
#                                        e.g. `psql loyalty -c 'CREATE EXTENSION postgis'`
#   scripts/pg-cluster.sh status         exit 0 when the cluster is running
#   scripts/pg-cluster.sh stop           stop the cluster (immediate shutdown) and delete its folder
#
#   LOY_PG_DIR=build/pg     the cluster's folder (data, log, port, passwords); one cluster per
#                           folder, so parallel runs use separate folders (e.g. from mktemp -d)
#   LOY_PG_BIN=/usr/lib/postgresql/15/bin   where initdb, pg_ctl and psql are
#
# The cluster listens on 127.0.0.1 only, on a free port, with no unix socket; every role
# authenticates by password (scram-sha-256). `start DB` makes a role named DB (password random,
# kept in the folder; CREATEDB, so Django's test runner can make test_DB) owning database DB;
# it may be called again for more databases in the same cluster. Durability is off (fsync,
# synchronous_commit): the data is thrown away. Run as root, the server runs as the `postgres`
# user (PostgreSQL refuses root) and the folder is handed to it. PostgreSQL comes from Debian
# (package postgresql, through scripts/install-deps.sh when it is missing). Test scripts stop the
# cluster from an EXIT trap:
#
#   export LOY_PG_DIR=$(mktemp -d); trap 'scripts/pg-cluster.sh stop' EXIT
#   export DATABASE_URL=$(scripts/pg-cluster.sh start mydb)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${LOY_PG_BIN:-/usr/lib/postgresql/15/bin}
dir=${LOY_PG_DIR:-$root/build/pg}
cmd=${1:-}
shift || true

die() { echo "pg-cluster: $*" >&2; exit 1; }
valid_name() { [[ $1 =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "database name '$1': use [a-z_][a-z0-9_]*"; }

# Runs a server-side command (initdb, pg_ctl) as the owner of the data: postgres when we are root.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() {
  [[ -f $dir/port && -f $dir/data/postmaster.pid ]] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

# psql as the superuser over TCP (quiet, stop on error).
su_psql() {
  local db=$1
  shift
  PGPASSWORD=$(<"$dir/superuser.pw") "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(<"$dir/port")" \
    -U postgres -d "$db" "$@"
}

url_of() {
  local db=$1
  [[ -f $dir/$db.pw ]] || die "no database '$db' in $dir (run: scripts/pg-cluster.sh start $db)"
  echo "postgres://$db:$(<"$dir/$db.pw")@127.0.0.1:$(<"$dir/port")/$db"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_cluster() {
  if [[ ! -x $bin/initdb ]]; then
    echo "pg-cluster: PostgreSQL 15 missing, installing it (scripts/install-deps.sh)" >&2
    "$root/scripts/install-deps.sh" >&2
  fi
  [[ -x $bin/initdb ]] || die "no $bin/initdb after scripts/install-deps.sh"
  mkdir -p "$dir"
  chmod 700 "$dir"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$dir"
    runuser -u postgres -- test -w "$dir" ||
      die "the postgres user cannot reach $dir (a parent folder is closed to it): set LOY_PG_DIR elsewhere, e.g. under /tmp"
  fi
  if [[ ! -f $dir/data/PG_VERSION ]]; then
    rm -rf "$dir/data"
    (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/superuser.pw")
    if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir/superuser.pw"; fi
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/superuser.pw" --auth=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 --no-instructions --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  fi
  local attempt port
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    # Another process may take the port between free_port and the server's bind: try again.
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o "-c listen_addresses=127.0.0.1 \
        -c port=$port -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        -c max_connections=100 -c shared_buffers=32MB" >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      return 0
    fi
  done
  tail -n 20 "$dir/server.log" >&2 || true
  die "the server did not start (log: $dir/server.log)"
}

case $cmd in
start)
  db=${1:-loyalty}
  valid_name "$db"
  [[ $db != postgres ]] || die "database name 'postgres' is the superuser's"
  running || start_cluster
  if [[ ! -f $dir/$db.pw ]]; then
    pw=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    su_psql postgres -c "CREATE ROLE $db LOGIN CREATEDB PASSWORD '$pw'" -c "CREATE DATABASE $db OWNER $db" >&2
    (umask 077 && echo "$pw" >"$dir/$db.pw")
  fi
  url_of "$db"
  ;;
url)
  running || die "no cluster running in $dir"
  url_of "${1:-loyalty}"
  ;;
psql)
  running || die "no cluster running in $dir"
  db=${1:-postgres}
  shift || true
  su_psql "$db" "$@"
  ;;
status)
  running
  ;;
stop)
  if [[ -f $dir/data/postmaster.pid ]]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
  fi
  # Only a folder this script made (it has data/PG_VERSION or our port file) is deleted.
  if [[ -f $dir/data/PG_VERSION || -f $dir/port || -f $dir/superuser.pw ]]; then rm -rf "$dir"; fi
  rmdir "$dir" 2>/dev/null || true # an empty folder (from mktemp -d, never started)
  ;;
*)
  sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
  ;;
esac
