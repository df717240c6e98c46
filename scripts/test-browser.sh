#!/usr/bin/env bash
# Browser tests of the reference server's pages (called by scripts/test.sh after the server's
# tests). Builds the pages' assets (scripts/pages-assets.sh: npm ci, Tailwind), starts
# scripts/serve.sh on a free 127.0.0.1 port with a fresh, small demo tenant (it stops by itself
# after LOYALTY_SERVE_SECONDS, and on exit of this script), then runs
# server-example/frontend/browser-test.mjs: playwright-core driving Debian's /usr/bin/chromium
# headless (--headless --no-sandbox --disable-gpu; no browser is downloaded, `playwright install`
# is never run). Artefacts (not committed): build/browser/screenshots/*.png (every page at phone
# and desktop widths, light and dark), build/browser/weights.{json,md} (per page: transferred
# bytes and load time, cold cache), build/browser/serve.log.
#
#   scripts/test-browser.sh
#   LOY_BROWSER_OUT=build/browser     where the artefacts go
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
t0=$SECONDS
out=${LOY_BROWSER_OUT:-$root/build/browser}
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)

scripts/install-deps.sh >/dev/null
scripts/pyenv.sh
scripts/pages-assets.sh
chromium=/usr/bin/chromium
[[ -x $chromium ]] || { echo "test-browser: $chromium missing (scripts/install-deps.sh installs Debian's chromium)"; exit 1; }

port=$(build/pyenv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$(mktemp -d "${TMPDIR:-/tmp}/loyalty-browser.XXXXXX")
LOYALTY_DATA=$data PORT=$port WORKERS=2 LOYALTY_SEED_CUSTOMERS=${LOY_BROWSER_CUSTOMERS:-20} LOYALTY_SERVE_SECONDS=600 \
  LOYALTY_THROTTLE_AUTH=1000/minute LOYALTY_THROTTLE_WRITE=10000/minute \
  setsid scripts/serve.sh >"$out/serve.log" 2>&1 &
serve=$!
cleanup() {
  kill -TERM -- "-$serve" 2>/dev/null || true
  wait "$serve" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for _ in $(seq 600); do
  grep -q '^ready$' "$out/serve.log" && break
  kill -0 "$serve" 2>/dev/null || { cat "$out/serve.log"; echo "test-browser: the server did not start"; exit 1; }
  sleep 0.5
done
grep -q '^ready$' "$out/serve.log" || { cat "$out/serve.log"; echo "test-browser: the server did not start in time"; exit 1; }
echo "== browser tests against http://127.0.0.1:$port (server ready after $((SECONDS - t0)) s)"

cd server-example/frontend
LOY_BASE=http://127.0.0.1:$port LOY_LOGINS=$data/demo-logins.json LOY_OUT=$out LOY_CHROMIUM=$chromium \
  node browser-test.mjs
echo "== browser suite: $((SECONDS - t0)) s wall (assets, server start and seed, tests)"
