#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs dependencies, builds with warnings as
# errors, runs every test (unit, C API, scenarios, concurrency, crash, install), builds the
# Python package and runs its pytest suite (scripts/test-python.sh), the reference server's tests
# on that package (scripts/test-server.sh), the pages in headless Chromium (scripts/test-browser.sh),
# builds the Node package's addon against the same build
# and runs its node --test suite (scripts/test-node.sh), then rebuilds and reruns the C++ tests
# under ASan+UBSan.
#
#   scripts/test.sh                     everything
#   LOY_SKIP_SANITIZERS=1 scripts/test.sh   skip the sanitizer pass (quicker local runs)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
py=$(command -v python3)

echo "== build (RelWithDebInfo, -Werror)"
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOY_WERROR=ON \
  -DLOY_BUILD_BENCHMARKS=ON -DPython_EXECUTABLE="$py" >/dev/null
cmake --build build/test -j "$jobs"
echo "== tests"
ctest --test-dir build/test --output-on-failure -j "$jobs"
echo "== Python package (build, wheel, pytest; scenarios compared with the C++ driver)"
LOY_CXX_SCENARIO_DRIVER="$PWD/build/test/tests/scenarios/loyalty_scenarios" scripts/test-python.sh
echo "== reference server (pytest-django per endpoint, and scripts/serve.sh itself)"
scripts/test-server.sh
echo "== pages in headless Chromium (flows, axe-core, screenshots, page weight)"
scripts/test-browser.sh
echo "== Node package (addon, node --test; scenarios compared with the C++ driver)"
scripts/test-node.sh build/test

if [[ "${LOY_SKIP_SANITIZERS:-0}" != "1" ]]; then
  echo "== build (ASan+UBSan)"
  cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLOY_WERROR=ON \
    -DLOY_SANITIZE=address,undefined -DPython_EXECUTABLE="$py" >/dev/null
  cmake --build build/asan -j "$jobs"
  echo "== tests under ASan+UBSan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure -j "$jobs" -LE no_sanitizer
fi
echo "== all tests passed"
