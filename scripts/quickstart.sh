#!/usr/bin/env bash
# The main job on the embedded SQLite default: builds the library and runs the quickstart, which
# creates a tenant, a program and a customer in a fresh SQLite file, earns, redeems by
# adjustment, reverses, and prints balances and history.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/quickstart -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOY_BUILD_TESTS=OFF \
  -DPython_EXECUTABLE="$(command -v python3)" >/dev/null
cmake --build build/quickstart --target example_c_01_earn_and_redeem
build/quickstart/examples/01_earn_and_redeem "${1:-build/quickstart/quickstart.db}"
