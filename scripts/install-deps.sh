#!/usr/bin/env bash
# Installs every dependency libloyalty needs on Debian 12, idempotently.
# (postgresql: Debian's PostgreSQL 15, for the throwaway clusters of scripts/pg-cluster.sh; the
# reference server's tests keep Django's tables there in their second run.)
# chromium: Debian's headless Chromium for the browser tests of the pages (scripts/test-browser.sh,
# driven by playwright-core from npm; no browser is ever downloaded.)
# Usage: scripts/install-deps.sh
set -euo pipefail

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git clang-format
  libsqlite3-dev sqlite3 libsqlite3-mod-spatialite libspatialite-dev
  libgeos-dev libgeographiclib-dev nlohmann-json3-dev libfmt-dev libcurl4-openssl-dev libssl-dev
  libvalijson-dev
  doctest-dev libbenchmark-dev valgrind
  python3 python3-dev python3-venv python3-pip
  redis-server
  postgresql
  nodejs npm
  chromium
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  # Node from elsewhere (NodeSource's nodejs bundles npm) counts: Debian's npm would replace it.
  if [[ $p == nodejs ]] && command -v node >/dev/null; then continue; fi
  if [[ $p == npm ]] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi

# Python packages for the tests: jsonschema checks docs/schema/rule.schema.json and the operation
# catalogue capi/ops/ (scripts/catalogue.py; those tests are skipped without it).
py="$(command -v python3 || true)"
if [[ -n "$py" ]] && ! "$py" -c "import jsonschema" 2>/dev/null; then
  echo "install-deps: installing jsonschema (pip)"
  "$py" -m pip install -q jsonschema
fi
