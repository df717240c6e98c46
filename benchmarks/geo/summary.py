"""Side-by-side summary of benchmarks/geo/run.sh: medians from Google Benchmark's JSON and the
shapely results, ratios and goals (issue 5)."""
import json
import statistics
import sys
from collections import defaultdict


def main(bench_json, shapely_jsonl):
    runs = defaultdict(list)
    for b in json.load(open(bench_json))["benchmarks"]:
        if b.get("run_type") == "iteration":
            runs[b["run_name"]].append(b["items_per_second"])
    med = {k: statistics.median(v) for k, v in runs.items()}
    rng = {k: (min(v), max(v)) for k, v in runs.items()}
    shp = {r["fences"]: r for r in map(json.loads, open(shapely_jsonl))}

    def f(x):
        return f"{x:,.0f}"

    print("| Fences | ours (grid) | raw GEOS (STRtree + prepared) | SpatiaLite (R*Tree + ST_Contains) | shapely vectorised | shapely per point | ours/GEOS | ours/SpatiaLite | ours/shapely vec | ours/shapely per point |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in (10000, 100000):
        o, g, s = (med[f"BM_Match_{x}/{n}"] for x in ("Ours", "GEOS", "SpatiaLite"))
        sv, sp = shp[n]["vectorised_per_s"], shp[n]["per_point_per_s"]
        cell = lambda k: f"{f(med[k])} ({f(rng[k][0])}–{f(rng[k][1])})"
        print(f"| {n:,} | {cell(f'BM_Match_Ours/{n}')} | {cell(f'BM_Match_GEOS/{n}')} | {cell(f'BM_Match_SpatiaLite/{n}')} "
              f"| {f(sv)} | {f(sp)} | {o / g:.1f}× | {o / s:.0f}× | {o / sv:.1f}× | {o / sp:.1f}× |")
    print()
    o10, g10 = med["BM_Match_Ours/10000"], med["BM_Match_GEOS/10000"]
    o100, g100 = med["BM_Match_Ours/100000"], med["BM_Match_GEOS/100000"]
    sv100 = shp[100000]["vectorised_per_s"]
    print("Goals:")
    print(f"- 100,000 fences, ours >= 3x raw GEOS: {o100 / g100:.1f}x -> {'met' if o100 >= 3 * g100 else 'NOT met'}")
    print(f"- 100,000 fences, ours >= 15x shapely (vectorised, its fastest): {o100 / sv100:.1f}x -> "
          f"{'met' if o100 >= 15 * sv100 else 'NOT met'}")
    print(f"- 10,000 fences, ours >= raw GEOS: {o10 / g10:.1f}x -> {'met' if o10 >= g10 else 'NOT met'}")
    for arg, what in (("0", "with the location's points"), ("1", "with points and three location rules")):
        k = f"BM_Checkin_Durable/rules:{arg}/real_time"
        if k in med:
            print(f"- durable verified check-ins {what} (synchronous=FULL): {f(med[k])}/s "
                  f"({f(rng[k][0])}–{f(rng[k][1])})")
    print(f"shapely {shp[100000]['shapely']} on GEOS {shp[100000]['geos']}; matches per point "
          f"10k {shp[10000]['matches_per_point']:.3f}, 100k {shp[100000]['matches_per_point']:.3f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
