#!/usr/bin/env bash
# Rules benchmark: builds Release in build/bench, installs json-rules-engine and
# @gorules/zen-engine from npm into build/rules-peers, then runs libloyalty's compiled plan, a
# hand-written C++ function and both peers over the same 100,000 purchases (fixed seed), checks
# every engine gives the same points for every event, and prints the table for RESULTS.md. Each
# peer runs twice: on facts precomputed by the C++ side and on the raw purchase, deriving the
# facts itself (see peers.js); the tables report both, with libloyalty's ratio against each.
# Then what users get: one `purchase.dry_run` per event through the C ABI (loyalty_bench_dry_run)
# and through the Python package (benchmarks/python/bench_dry_run.py, in build/pyenv, built by
# scripts/pyenv.sh), explain none and full, each event's points checked, with the ratios.
# usage: benchmarks/rules/run.sh [events=100000]
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-100000}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD); command: benchmarks/rules/run.sh $n"
cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOY_BUILD_BENCHMARKS=ON >/dev/null
cmake --build build/bench -j2 --target loyalty_bench_rules loyalty_bench_dry_run >/dev/null
peers=build/rules-peers
mkdir -p "$peers"
if [[ ! -d "$peers/node_modules/json-rules-engine" || ! -d "$peers/node_modules/@gorules/zen-engine" ]]; then
  (cd "$peers" && { [[ -f package.json ]] || echo '{"name":"rules-peers","private":true}' > package.json; } &&
   npm install --no-audit --no-fund json-rules-engine@6 @gorules/zen-engine >/dev/null)
fi
work=build/rules-bench
mkdir -p "$work"
build/bench/benchmarks/loyalty_bench_rules "$work" "$n"
node benchmarks/rules/peers.js "$work" "$(pwd)/$peers/node_modules"
build/bench/benchmarks/loyalty_bench_rules "$work" "$n" --peers "$work/peers.json"
build/bench/benchmarks/loyalty_bench_dry_run "$work" --peers "$work/peers.json"
scripts/pyenv.sh >/dev/null
build/pyenv/bin/python benchmarks/python/bench_dry_run.py "$work"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
