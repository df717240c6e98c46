#!/usr/bin/env bash
# Starts the reference server (server-example/) with a seeded demo tenant on 127.0.0.1.
#
# Installs what is missing (Debian packages through scripts/install-deps.sh, redis-server
# included; Python packages into the venv build/pyenv through scripts/pyenv.sh), builds the
# `loyalty` package from this checkout, migrates Django's tables, seeds the demo tenant (once:
# a second run seeds nothing), starts redis-server (cache and throttling shared by the
# workers, on a unix socket in the data folder) and gunicorn (several workers sharing one engine
# file), then prints the URL, the API docs URL and the demo logins. Ctrl-C stops both.
# The web pages' assets (Tailwind CSS, Alpine.js, Chart.js, Leaflet, a QR-code library; npm ci
# from the committed lock file) are built first when missing (scripts/pages-assets.sh).
#
#   scripts/serve.sh
#   PORT=8000 WORKERS=4               where to listen, how many worker processes
#   LOYALTY_DATA=build/serve          engine file, Django database, secrets, demo logins
#   LOYALTY_SEED_CUSTOMERS=500        size of the demo tenant
#   LOYALTY_SERVE_SECONDS=N           stop by itself after N seconds (tests)
#   DATABASE_URL=postgres://...       Django's tables in PostgreSQL instead of SQLite (psycopg is in
#                                     the venv; a throwaway cluster: scripts/pg-cluster.sh start)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
port=${PORT:-8000}
workers=${WORKERS:-4}
export LOYALTY_DATA=${LOYALTY_DATA:-$root/build/serve}
mkdir -p "$LOYALTY_DATA"
export LOYALTY_DATA=$(cd "$LOYALTY_DATA" && pwd)

scripts/install-deps.sh
scripts/pyenv.sh
scripts/pages-assets.sh
py=$root/build/pyenv/bin/python
cd server-example/demo

echo "== migrate"
"$py" manage.py migrate --noinput -v 0
echo "== seed the demo tenant"
"$py" manage.py loyalty_seed

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 0' INT TERM

sock=$LOYALTY_DATA/redis.sock
redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --save "" --appendonly no \
  --dir "$LOYALTY_DATA" --logfile "$LOYALTY_DATA/redis.log" &
pids+=($!)
for _ in $(seq 50); do [[ -S $sock ]] && break; sleep 0.1; done
export REDIS_URL=unix://$sock

"$root/build/pyenv/bin/gunicorn" demo.wsgi --workers "$workers" --bind "127.0.0.1:$port" \
  --access-logfile "$LOYALTY_DATA/access.log" --error-logfile "$LOYALTY_DATA/gunicorn.log" --timeout 60 &
pids+=($!)
for _ in $(seq 100); do
  "$py" - "$port" <<'PY' && break
import sys, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/schema/", timeout=2)
except Exception:
    sys.exit(1)
PY
  sleep 0.2
done

"$py" - "$port" <<'PY'
import json, os, pathlib, sys
import pyotp
port = sys.argv[1]
logins = json.loads((pathlib.Path(os.environ["LOYALTY_DATA"]) / "demo-logins.json").read_text())
print(f"\nServing on http://127.0.0.1:{port}/api/  (tenant 'demo': send X-Tenant: demo, or use demo.localhost:{port})")
print(f"Pages:       http://127.0.0.1:{port}/login/ (customers)   http://127.0.0.1:{port}/staff/login/ (staff, admins)")
print(f"API docs:    http://127.0.0.1:{port}/api/docs/   schema: http://127.0.0.1:{port}/api/schema/")
print("Demo logins (POST /api/auth/login/ {username, password, otp?}):")
for name, l in logins.items():
    otp = f"  TOTP secret {l['totp_secret']} (code now: {pyotp.TOTP(l['totp_secret']).now()})" if l.get("totp_secret") else ""
    print(f"  {l['role']:<13} {name:<11} password {l['password']}{otp}")
print("Logins are kept in", pathlib.Path(os.environ["LOYALTY_DATA"]) / "demo-logins.json", flush=True)
PY
echo "ready"

if [[ -n ${LOYALTY_SERVE_SECONDS:-} ]]; then
  sleep "$LOYALTY_SERVE_SECONDS" &
  pids+=($!)
  wait "${pids[-1]}"
else
  wait "${pids[1]}"
fi
