#!/usr/bin/env bash
# Builds the web pages' assets (server-example/frontend, npm): `npm ci` from the committed
# package-lock.json when node_modules is missing or older than the lock file, then
# `node build.mjs` (Tailwind CLI, the vendored libraries copied from node_modules, .gz copies)
# into server-example/django_loyalty/pages/static/pages/dist/ when that is missing or older than
# a template, a script, the CSS source or the lock file. Nothing is loaded from a CDN.
# Used by scripts/serve.sh and scripts/test-browser.sh; quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/../server-example/frontend"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "== pages: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
stamp=../django_loyalty/pages/static/pages/dist/BUILT
if [[ ! -f $stamp ]] || [[ -n $(find ../django_loyalty/pages/templates ../django_loyalty/pages/static/pages/app.js \
      src tailwind.config.js build.mjs package-lock.json -newer "$stamp" -type f -print -quit) ]]; then
  echo "== pages: building the assets (Tailwind CSS, vendored libraries)"
  node build.mjs
fi
