#!/usr/bin/env bash
# Node package benchmark (benchmarks/node/bench.mjs): builds Release in BUILD_DIR (default
# build/bench; an existing build is reused), writes the rules benchmark's 20-rule set and 20,000
# purchases with loyalty_bench_rules, installs @gorules/zen-engine from npm into build/rules-peers
# (as benchmarks/rules/run.sh does), builds the addon against BUILD_DIR's libloyalty, then runs
# the balance-read overheads and the dry-run vs zen-engine throughput side by side.
# usage: benchmarks/node/run.sh [BUILD_DIR] [seconds per measurement=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/bench}
secs=${2:-3}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD); command: benchmarks/node/run.sh $build $secs"
if [[ ! -x $build/benchmarks/loyalty_bench_rules || ! -e $build/capi/libloyalty.so ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOY_BUILD_BENCHMARKS=ON >/dev/null
  cmake --build "$build" -j2 --target loyalty loyalty_bench_rules >/dev/null
fi
peers=build/rules-peers
mkdir -p "$peers"
if [[ ! -d "$peers/node_modules/@gorules/zen-engine" ]]; then
  (cd "$peers" && { [[ -f package.json ]] || echo '{"name":"rules-peers","private":true}' > package.json; } &&
   npm install --no-audit --no-fund json-rules-engine@6 @gorules/zen-engine >/dev/null)
fi
work=build/rules-bench-node
mkdir -p "$work"
"$build/benchmarks/loyalty_bench_rules" "$work" 20000 --no-durable >/dev/null
(cd bindings/node && npm ci --no-audit --no-fund --loglevel=error)
node bindings/node/scripts/build.mjs --lib "$build/capi/libloyalty.so" --build-dir build/node-addon-bench >/dev/null
node benchmarks/node/bench.mjs "$work" --seconds "$secs" --zen "$peers/node_modules"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
