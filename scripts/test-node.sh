#!/usr/bin/env bash
# Builds the Node package's addon and runs its tests (called by scripts/test.sh).
#
# 1. `npm ci` in bindings/node: the pinned devDependencies of package-lock.json (node-addon-api,
#    node-api-headers, typescript); nothing else is downloaded, at build time or later.
# 2. The generated method table and index.d.ts must be current (scripts/gen.mjs --check).
# 3. The addon: linked against BUILD_DIR/capi/libloyalty.so when a CMake build directory of the
#    repository is given (no second compile of the engine), else the C library is built from the
#    checkout under build/node; either way prebuilds/linux-x64/ gets loyalty.napi.node and
#    libloyalty.so.N.
# 4. node --test tests/node (with --expose-gc): the shared scenarios (compared with the C++
#    driver, BUILD_DIR/tests/scenarios/loyalty_scenarios or LOY_CXX_SCENARIO_DRIVER), bad input
#    for every operation, concurrency, lifecycle and GC, tsc on the types, and `npm pack` installed
#    offline into a fresh folder without a compiler, running the examples.
#
#   scripts/test-node.sh [BUILD_DIR] [NODE_TEST_ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
pkg=$root/bindings/node
build=${1:-}
[[ $# -gt 0 ]] && shift
start=$SECONDS

echo "== node: npm ci (bindings/node)"
(cd "$pkg" && npm ci --no-audit --no-fund --loglevel=error)

echo "== node: generated files current"
node "$pkg/scripts/gen.mjs" --check

echo "== node: addon"
if [[ -n $build && -e $build/capi/libloyalty.so ]]; then
  node "$pkg/scripts/build.mjs" --lib "$build/capi/libloyalty.so" --build-dir "$root/build/node-addon"
else
  node "$pkg/scripts/build.mjs" --build-dir "$root/build/node"
fi

driver=${LOY_CXX_SCENARIO_DRIVER:-}
if [[ -z $driver && -n $build && -x $build/tests/scenarios/loyalty_scenarios ]]; then
  driver=$(cd "$build" && pwd)/tests/scenarios/loyalty_scenarios
fi
echo "== node: node --test tests/node"
LOY_CXX_SCENARIO_DRIVER=$driver node --expose-gc --test --test-reporter=spec "$@" tests/node/
echo "node package: built and tested in $((SECONDS - start)) s"
