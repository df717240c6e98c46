#!/usr/bin/env bash
# Geofence match throughput, side by side in one run (ours vs raw GEOS vs SpatiaLite in one
# program, shapely on the same seeded data in a Python venv under build/), plus durable verified
# check-ins per second. Builds Release in build/bench. The figures in benchmarks/RESULTS.md come
# from this script.
#
#   benchmarks/geo/run.sh                 everything (about 3 minutes on 2 cores)
#   benchmarks/geo/run.sh --benchmark_filter=Match    extra arguments go to the benchmark binary
#
# Environment: LOY_BENCH_MIN_TIME (seconds per repetition, default 1), LOY_BENCH_REPETITIONS
# (default 5, randomly interleaved).
set -euo pipefail
cd "$(dirname "$0")/../.."

build=build/bench
venv=build/bench-venv
min_time=${LOY_BENCH_MIN_TIME:-1}
reps=${LOY_BENCH_REPETITIONS:-5}

echo "== build (Release, $build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOY_BUILD_BENCHMARKS=ON -DLOY_WERROR=OFF \
  -DLOY_BUILD_TESTS=OFF -DLOY_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j 2 --target loyalty_bench_geo

echo "== shapely venv ($venv)"
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -c "import shapely, numpy" 2>/dev/null || "$venv/bin/pip" install -q shapely numpy

echo
echo "== machine"
echo "date:       $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "nproc:      $(nproc)"
echo "cpu:        $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "geos:       $(geos-config --version 2>/dev/null || dpkg-query -W -f='${Version}' libgeos-dev)"
echo "spatialite: $(dpkg-query -W -f='${Version}' libsqlite3-mod-spatialite)"
echo "source:     $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "load:       $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min, before the run)"

cmd=("$build/benchmarks/loyalty_bench_geo" "--benchmark_min_time=$min_time" "--benchmark_repetitions=$reps"
  "--benchmark_enable_random_interleaving=true" "--benchmark_out=$build/geo-results.json"
  "--benchmark_out_format=json" "$@")
echo
echo "== run"
echo "LOY_GEO_DATA=$build/geo-data ${cmd[*]}"
LOY_GEO_DATA="$build/geo-data" "${cmd[@]}"
echo
echo "== shapely: $venv/bin/python benchmarks/geo/shapely_match.py $build/geo-data-10000.txt $build/geo-data-100000.txt"
"$venv/bin/python" benchmarks/geo/shapely_match.py "$build/geo-data-10000.txt" "$build/geo-data-100000.txt" \
  | tee "$build/shapely-results.jsonl"
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 benchmarks/geo/summary.py "$build/geo-results.json" "$build/shapely-results.jsonl"
