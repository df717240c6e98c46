"""`purchase.dry_run` from Python next to the same call from C, on the rules benchmark's events.

The work dir is the one `loyalty_bench_rules <dir>` wrote (rules.json, events-raw.json,
expected.json) and `loyalty_bench_dry_run <dir>` measured (dry-run.json: the C ABI's calls per
second with explain none and full). This script opens the same kind of engine (in memory, the
clock after the last event, the 21 rules), checks every event's points against the compiled
plan's, then times one call per event, best of `--passes` passes, with explain none and full:

- `session.purchase.dry_run(input)`: the typed method, a dict in and a dict out;
- `session.call_json("purchase.dry_run", text)`: JSON text in, bytes out (the C ABI's path).

It prints calls per second and the ratio of the C call's rate to each (goal of issue 22: the
Python call within 1.3 times the C call).

Usage: python benchmarks/python/bench_dry_run.py WORK_DIR [--passes N] [--events N]
(after `pip install ./bindings/python`, e.g. with build/pyenv/bin/python; benchmarks/rules/run.sh
runs it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from typing import Any, Callable, Dict, List

import loyalty

ADMIN_KEY = "bench-admin-credential-0123456789"
NOW_MS = 1798848000000  # 2027-01-02T00:00:00Z, after the last event (as loyalty_bench_dry_run)


def dry_run_input(e: Dict[str, Any], explain: str) -> Dict[str, Any]:
    at = dt.datetime.fromtimestamp(e["at"] / 1000, tz=dt.timezone.utc)
    inp: Dict[str, Any] = {
        "amount": e["amount"],
        "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{e['at'] % 1000:03d}Z",
        "channel": e["channel"],
        "items": [
            {"sku": i["sku"], "category": i["category"], "quantity": i["quantity"], "unit_price": i["unit_price"]}
            for i in e["items"]
        ],
        "customer": {
            "tier": e["tier"],
            "tier_multiplier": e["tm"],
            "segments": e["segments"],
            "birthday": e["birthday"],
            "first_purchase": e["prior_purchases"] == 0,
        },
        "explain": explain,
    }
    if e["location"]:
        inp["location_id"] = e["location"]
    return inp


def best_rate(n: int, passes: int, one: Callable[[int], Any]) -> float:
    best = 0.0
    for _ in range(passes):
        t0 = time.perf_counter()
        for i in range(n):
            one(i)
        best = max(best, n / (time.perf_counter() - t0))
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--events", type=int, default=0, help="use the first N events (default all)")
    a = ap.parse_args()
    with open(os.path.join(a.work, "events-raw.json")) as f:
        raw = json.load(f)
    with open(os.path.join(a.work, "expected.json")) as f:
        expected = json.load(f)
    with open(os.path.join(a.work, "rules.json")) as f:
        rules = json.load(f)
    c_rates: Dict[str, Any] = {}
    if os.path.exists(os.path.join(a.work, "dry-run.json")):
        with open(os.path.join(a.work, "dry-run.json")) as f:
            c_rates = json.load(f)
    if a.events:
        raw, expected = raw[: a.events], expected[: a.events]
    n = len(raw)

    engine = loyalty.Engine.open(":memory:", admin_key=ADMIN_KEY, clock=lambda: NOW_MS)
    key = engine.admin().tenant.create(name="Bench", timezone="Europe/Berlin")["api_key"]["key"]
    s = engine.session(key)
    s.program.create(name="Main", currency="EUR")
    for r in rules:
        s.rule.create(r)

    print(f"| Python `purchase.dry_run`, {n} events | calls/s | C ABI calls/s (same work dir) | C / Python |")
    print("|---|---|---|---|")
    for level in ("none", "full"):
        inputs: List[Dict[str, Any]] = [dry_run_input(e, level) for e in raw]
        texts: List[bytes] = [json.dumps(x).encode() for x in inputs]
        differing = sum(1 for i in range(n) if s.purchase.dry_run(inputs[i])["points"] != expected[i])
        if differing:
            raise SystemExit(f"explain {level}: {differing} events differ from the plan: no figures reported")
        typed = best_rate(n, a.passes, lambda i: s.purchase.dry_run(inputs[i]))
        text = best_rate(n, a.passes, lambda i: s.call_json("purchase.dry_run", texts[i]))
        c = c_rates.get(level, {}).get("eps")
        for name, rate in ((f"explain {level}: `s.purchase.dry_run(dict)`", typed),
                           (f"explain {level}: `s.call_json(op, text)`", text)):
            ratio = f"{c / rate:.2f}x" if c else "-"
            print(f"| {name} | {rate:.0f} | {c:.0f} | {ratio} |" if c else f"| {name} | {rate:.0f} | - | - |")
    s.close()
    engine.close()


if __name__ == "__main__":
    main()
