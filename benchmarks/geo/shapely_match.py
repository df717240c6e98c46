"""Geofence match throughput with shapely (GEOS underneath) on the data written by
loyalty_bench_geo: an STRtree of the same 64-gons, queried with predicate "within" for the same
points. Times are process CPU time (best of 3), like Google Benchmark's items_per_second on the
C++ side, so a busy machine inflates neither. Prints one JSON object per fence count. Run by
benchmarks/geo/run.sh.

    python shapely_match.py build/bench/geo-data-10000.txt build/bench/geo-data-100000.txt
"""
import json
import sys
import time

import numpy as np
import shapely


def load(path):
    with open(path) as f:
        n, m, v = (int(x) for x in f.readline().split())
        fences = np.loadtxt(f, max_rows=n)
        points = np.loadtxt(f, max_rows=m)
    return fences, points, v


def polygons(fences, v):
    a = 2 * np.pi * np.arange(v + 1) / v
    a[-1] = 0.0
    lon = fences[:, 0:1] + fences[:, 2:3] * np.sin(a) / fences[:, 3:4]
    lat = fences[:, 1:2] + fences[:, 2:3] * np.cos(a) / fences[:, 4:5]
    return shapely.polygons(np.stack([lon, lat], axis=-1))


def best_of(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t)
    return best, out


def main():
    for path in sys.argv[1:]:
        fences, points, v = load(path)
        polys = polygons(fences, v)
        tree = shapely.STRtree(polys)
        pts = shapely.points(points)
        shapely.prepare(polys)
        # Vectorised: every point in one call (shapely's fastest path).
        t_vec, pairs = best_of(lambda: tree.query(pts, predicate="within"), 3)
        # One call per point, as a service answering one check-in at a time would.
        sample = pts[:20000]
        t_loop, hits = best_of(lambda: sum(len(tree.query(p, predicate="within")) for p in sample), 3)
        print(json.dumps({
            "fences": len(fences),
            "points": len(pts),
            "vectorised_per_s": len(pts) / t_vec,
            "per_point_per_s": len(sample) / t_loop,
            "matches_per_point": pairs.shape[1] / len(pts),
            "shapely": shapely.__version__,
            "geos": shapely.geos_version_string,
        }))


if __name__ == "__main__":
    main()
