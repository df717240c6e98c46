#!/usr/bin/env bash
# Runs the reference server's tests (called by scripts/test.sh after the Python package step,
# reusing the package built into build/pyenv): the server's pinned requirements into that venv
# (scripts/pyenv.sh), then pytest server-example/tests twice:
#
#  1. Django's tables (users, tokens, sessions, lockout, idempotency records) in SQLite: every
#     endpoint through Django's test client, schemathesis against a live server, and
#     scripts/serve.sh itself on an empty folder (starts, seeds, serves; a second run seeds
#     nothing twice) with a small demo tenant.
#  2. The same tables in PostgreSQL 15: a throwaway cluster (scripts/pg-cluster.sh, stopped and
#     deleted on exit) and LOYALTY_TEST_KEEP_DB_URL=1 DATABASE_URL=postgres://...: every app test
#     (django_loyalty/*/tests.py: auth, JWT rotation and reuse detection, the 8 concurrent
#     refreshes of one token on real concurrent PostgreSQL transactions, lockout, TOTP replay,
#     users, idempotency, every endpoint) and scripts/serve.sh with DATABASE_URL (migrate, seed,
#     serve, seed once). schemathesis and the SQLite serve.sh run are not repeated.
#
#   scripts/test-server.sh [PYTEST_ARGS...]   PYTEST_ARGS replace the default selection in both runs
#   LOY_SERVER_DB=sqlite|postgres|both        which runs (default both)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/pyenv.sh
cd server-example
py=../build/pyenv/bin/python
which=${LOY_SERVER_DB:-both}

if [[ $which == sqlite || $which == both ]]; then
  echo "== server tests, Django's tables in SQLite"
  "$py" -m pytest -q "$@"
fi

if [[ $which == postgres || $which == both ]]; then
  echo "== server tests, Django's tables in PostgreSQL (throwaway cluster, scripts/pg-cluster.sh)"
  t0=$SECONDS
  export LOY_PG_DIR
  LOY_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/loyalty-pg.XXXXXX")
  trap '"$root/scripts/pg-cluster.sh" stop' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  url=$("$root/scripts/pg-cluster.sh" start loyalty)
  args=("$@")
  ((${#args[@]})) || args=(django_loyalty tests/test_database.py "tests/test_serve.py::test_serve_sh_starts_seeds_serves_and_seeds_once[postgres]")
  LOYALTY_TEST_KEEP_DB_URL=1 DATABASE_URL=$url "$py" -m pytest -q "${args[@]}"
  "$root/scripts/pg-cluster.sh" stop
  trap - EXIT
  echo "== PostgreSQL run: $((SECONDS - t0)) s (cluster start, tests, stop)"
fi
