#!/usr/bin/env bash
# Load benchmark of the reference server on 127.0.0.1 (wrk), recorded in benchmarks/RESULTS.md:
# balance reads and purchase submissions with the demo tenant's 15 rules through the engine, and,
# in the same run with the same gunicorn workers, database engine (SQLite, synchronous=FULL) and
# server settings, the plain peer: a DRF view that earns by the Django ORM (transaction.atomic,
# insert a transaction row, update the balance) and reads that balance.
#
#   benchmarks/server/run.sh            WORKERS=4 CONNECTIONS=16 DURATION=10 BENCH_CUSTOMERS=50
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
workers=${WORKERS:-4}
conns=${CONNECTIONS:-16}
duration=${DURATION:-10}
port=${PORT:-18990}
command -v wrk >/dev/null || { apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends wrk >/dev/null; }
command -v redis-server >/dev/null || scripts/install-deps.sh
scripts/pyenv.sh
py=$root/build/pyenv/bin/python
export LOYALTY_DATA=$root/build/bench-server LOYALTY_BENCH=1 LOYALTY_SEED_CUSTOMERS=${BENCH_CUSTOMERS:-50}
export LOYALTY_THROTTLE_WRITE=100000000/minute LOYALTY_THROTTLE_AUTH=100000/minute
rm -rf "$LOYALTY_DATA"
mkdir -p "$LOYALTY_DATA"
cd server-example/demo
"$py" manage.py migrate --noinput -v 0
"$py" manage.py loyalty_seed >/dev/null 2>&1

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
sock=$LOYALTY_DATA/redis.sock
redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --save "" --appendonly no --dir "$LOYALTY_DATA" \
  --logfile "$LOYALTY_DATA/redis.log" &
pids+=($!)
for _ in $(seq 50); do [[ -S $sock ]] && break; sleep 0.1; done
export REDIS_URL=unix://$sock
"$root/build/pyenv/bin/gunicorn" demo.wsgi --workers "$workers" --bind "127.0.0.1:$port" \
  --error-logfile "$LOYALTY_DATA/gunicorn.log" &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/api/schema/" -o /dev/null 2>/dev/null && break; sleep 0.2; done

# Credentials: the demo customer's access token, a POS key, the customers' ids.
"$py" manage.py shell -c '
import json, pathlib, os
from django_loyalty.core import engine
from django_loyalty.tenants.models import Tenant
from django_loyalty.accounts.models import Account, EngineKey
from django_loyalty.accounts import tokens
t = Tenant.objects.get(slug="demo")
s = engine.session(t.admin_key)
pos = s.apikey.create(name="bench till", scopes=["pos", "read"])["key"]
alice = Account.objects.get(user__username="alice")
ids = [c["id"] for c in engine.all_items(s.call, "customer.list", {})]
access = tokens.issue(alice.user, alice)["access"]
pathlib.Path(os.environ["LOYALTY_DATA"], "bench.env").write_text(
    f"POS_KEY={pos}\nALICE_TOKEN={access}\nCUSTOMERS={chr(44).join(ids)}\n")
'
. "$LOYALTY_DATA/bench.env"
cd "$root/benchmarks/server"

run() { # name kind path auth script
  local out
  # Warm-up (discarded): every worker opens the engine and its sessions on its first requests.
  BENCH_KIND=$2 BENCH_PATH=$3 BENCH_AUTH=$4 BENCH_CUSTOMERS=$CUSTOMERS \
    wrk -t2 -c"$conns" -d2s -s "$5" "http://127.0.0.1:$port" >/dev/null
  out=$(BENCH_KIND=$2 BENCH_PATH=$3 BENCH_AUTH=$4 BENCH_CUSTOMERS=$CUSTOMERS \
    wrk -t2 -c"$conns" -d"${duration}s" --latency -s "$5" "http://127.0.0.1:$port")
  local rps p50 p99 errs
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(grep -c '^status ' <<<"$out" || true)
  printf '| %-44s | %8s | %8s | %8s | %s |\n' "$1" "$rps" "$p50" "$p99" "${errs}"
}
echo "workers=$workers connections=$conns duration=${duration}s customers=$(tr ',' '\n' <<<"$CUSTOMERS" | wc -l) cpus=$(nproc)"
echo "| run | req/s | p50 | p99 | non-2xx shown |"
echo "|---|---|---|---|---|"
run "balance read: engine (GET /api/points/balance/)" get /api/points/balance/ "Bearer $ALICE_TOKEN" get.lua
run "balance read: plain ORM (GET /api/bench/orm-balance/)" get /api/bench/orm-balance/ "Bearer $ALICE_TOKEN" get.lua
run "purchase: engine, 15 rules (POST /api/pos/purchases/)" purchase /api/pos/purchases/ "Api-Key $POS_KEY" post.lua
run "earn: plain ORM (POST /api/bench/orm-earn/)" orm /api/bench/orm-earn/ "Api-Key $POS_KEY" post.lua
