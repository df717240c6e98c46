#!/usr/bin/env bash
# Builds the benchmarks in Release (build/bench) and runs them, printing the machine, the exact
# command, Google Benchmark's table and the side-by-side summary (ours vs. raw SQLite, ratio,
# goal). The figures in benchmarks/RESULTS.md come from this script.
#
#   benchmarks/run.sh                          everything (about 4 minutes on 2 cores)
#   benchmarks/run.sh --benchmark_filter=durable   extra arguments go to the benchmark binary
#
# Environment:
#   LOY_BENCH_DIR          where the database files go (default: the system temp directory);
#                          put it on the disk you want to measure
#   LOY_BENCH_MIN_TIME     seconds per repetition (default 2)
#   LOY_BENCH_REPETITIONS  repetitions, randomly interleaved across benchmarks (default 10),
#                          so ours and the peer alternate under the same disk and CPU conditions
set -euo pipefail
cd "$(dirname "$0")/.."

build=build/bench
jobs=$(nproc 2>/dev/null || echo 2)
min_time=${LOY_BENCH_MIN_TIME:-2}
reps=${LOY_BENCH_REPETITIONS:-10}
dir=${LOY_BENCH_DIR:-${TMPDIR:-/tmp}}

echo "== build (Release, $build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOY_BUILD_BENCHMARKS=ON -DLOY_WERROR=OFF \
  -DLOY_BUILD_TESTS=OFF -DLOY_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target loyalty_bench_ledger

echo
echo "== machine"
echo "date:       $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "nproc:      $(nproc)"
echo "cpu:        $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory:     $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "kernel:     $(uname -sr)"
echo "sqlite:     $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo unknown) (the system library the engine links)"
echo "benchmark:  $(dpkg-query -W -f='${Version}' libbenchmark-dev 2>/dev/null || echo unknown) (Google Benchmark)"
if git rev-parse --git-dir >/dev/null 2>&1; then
  echo "source:     $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src include 2>/dev/null || echo ' + uncommitted changes in src/ or include/')"
fi
echo "load:       $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min, before the run)"
echo "disk ($dir):"
df -T "$dir" | sed 's/^/  /'

cmd=("$build/benchmarks/loyalty_bench_ledger"
  "--benchmark_min_time=$min_time" "--benchmark_repetitions=$reps"
  "--benchmark_enable_random_interleaving=true" "--benchmark_report_aggregates_only=false"
  "--benchmark_out=$build/ledger-results.json" "--benchmark_out_format=json" "$@")
echo
echo "== run"
echo "LOY_BENCH_DIR=$dir ${cmd[*]}"
echo
start=$(date +%s)
LOY_BENCH_DIR="$dir" "${cmd[@]}"
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); wall time $(( $(date +%s) - start )) s; JSON: $build/ledger-results.json"
