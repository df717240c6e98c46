"""Python overhead per call, and thread scaling with the GIL released.

1. Overhead: a balance read (`ledger.balance`, a read transaction on a file database) timed
   - from C++: the same Session::call repeated in a C++ loop (`_native._repeat_call`, no Python
     in the loop), in the same process, on the same database and session;
   - from Python: `session.ledger.balance(customer_id=...)` (the typed method),
     `session.call("ledger.balance", input)` (the generic call), and the native handle directly.
   Repetitions alternate between the variants; figures are medians (min-max) in ns per call,
   overhead = Python median - C++ median.
2. Scaling: 1, 2 and 4 threads, one session each, reading balances for a fixed time; calls per
   second in all, from Python and (the machine's ceiling) from C++ loops in the same threads.
   With the GIL held during engine calls the Python figure could not grow with threads.

Usage: python benchmarks/python/bench_overhead.py [--calls N] [--reps R] [--seconds S]
(after `pip install ./bindings/python`, e.g. with build/pyenv/bin/python).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import threading
import time
from typing import Callable, Dict, List

import loyalty
from loyalty import _native

ADMIN_KEY = "benchmark-admin-credential-0123456789"


def setup(path: str, pool_size: int) -> tuple:
    engine = loyalty.Engine.open(path, admin_key=ADMIN_KEY, synchronous="normal", pool_size=pool_size)
    key = engine.admin().tenant.create(name="Bench")["api_key"]["key"]
    s = engine.session(key)
    s.program.create(name="Main", currency="EUR")
    cid = s.customer.enroll(external_id="c")["id"]
    for i in range(20):
        s.ledger.earn(customer_id=cid, points=10 + i, idempotency_key=f"e{i}")
    return engine, key, s, cid


def fmt(xs: List[float]) -> str:
    return f"{statistics.median(xs):8.0f} ({min(xs):.0f}-{max(xs):.0f})"


def overhead(s: loyalty.Session, cid: str, calls: int, reps: int) -> None:
    inp = {"customer_id": cid}
    h = s._h
    variants: Dict[str, Callable[[], float]] = {}

    def cxx() -> float:
        return _native._repeat_call(h, "ledger.balance", inp, calls) / calls

    def cxx_interleaved() -> float:
        # Each call timed inside C++, but called one at a time from a Python loop: the engine
        # work under the same cache conditions as the Python calls, without the binding.
        rc, total = _native._repeat_call, 0
        for _ in range(calls):
            total += rc(h, "ledger.balance", inp, 1)
        return total / calls

    def typed() -> float:
        f = s.ledger.balance
        t0 = time.perf_counter_ns()
        for _ in range(calls):
            f(customer_id=cid)
        return (time.perf_counter_ns() - t0) / calls

    def generic() -> float:
        t0 = time.perf_counter_ns()
        for _ in range(calls):
            s.call("ledger.balance", inp)
        return (time.perf_counter_ns() - t0) / calls

    def native() -> float:
        t0 = time.perf_counter_ns()
        for _ in range(calls):
            h.call("ledger.balance", inp)
        return (time.perf_counter_ns() - t0) / calls

    variants = {"C++ Session::call loop": cxx, "C++ Session::call, one per Python iteration": cxx_interleaved,
                "Python session.ledger.balance(customer_id=)": typed,
                "Python session.call(op, dict)": generic, "Python native handle .call(op, dict)": native}
    results: Dict[str, List[float]] = {k: [] for k in variants}
    for f in variants.values():  # warm up
        f()
    for _ in range(reps):
        for name, f in variants.items():
            results[name].append(f())
    base = statistics.median(results["C++ Session::call loop"])
    inter = statistics.median(results["C++ Session::call, one per Python iteration"])
    print(f"\nBalance read, ns per call, median (min-max) of {reps} repetitions x {calls} calls:")
    print(f"  {'variant':46} {'ns/call':>8}            {'- C++ loop':>10} {'- C++ interleaved':>18}")
    for name, xs in results.items():
        m = statistics.median(xs)
        extra = "" if name.startswith("C++") else f"   {m - base:10.0f} {m - inter:18.0f}"
        print(f"  {name:46} {fmt(xs)}{extra}")
    # The binding alone, without the engine: input and result conversion of a balance result.
    res = s.ledger.balance(customer_id=cid)
    conv = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        for _ in range(calls):
            _native._convert(res, True)
        conv.append((time.perf_counter_ns() - t0) / calls)
    print(f"  {'(no engine) _convert(balance result) round trip':46} {fmt(conv)}")


def scaling(engine: loyalty.Engine, key: str, cid: str, seconds: float, op: str, inp: Dict[str, object]) -> None:
    print(f"\n{op} {inp} from N threads (one session each), {seconds:.0f} s per point; calls/s in all")
    print(f"(Python: a Python loop of session.call; C++: each thread runs Session::call in a")
    print(" C++ loop of 200 calls at a time, the ceiling this machine allows without Python):")
    for label, chunk in (("Python", 0), ("C++   ", 200)):
        base = None
        for n in (1, 2, 4):
            counts = [0] * n
            stop = threading.Event()
            ready = threading.Barrier(n + 1)

            def work(i: int) -> None:
                with engine.session(key) as mine:
                    f = mine.call
                    ready.wait()
                    c = 0
                    while not stop.is_set():
                        if chunk:
                            _native._repeat_call(mine._h, op, inp, chunk)
                            c += chunk
                        else:
                            f(op, inp)
                            c += 1
                    counts[i] = c

            ts = [threading.Thread(target=work, args=(i,)) for i in range(n)]
            for t in ts:
                t.start()
            ready.wait()
            t0 = time.perf_counter()
            time.sleep(seconds)
            stop.set()
            for t in ts:
                t.join()
            rate = sum(counts) / (time.perf_counter() - t0)
            base = base or rate
            print(f"  {label} {n} thread(s): {rate:10.0f} calls/s   x{rate / base:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    print(f"loyalty {loyalty.__version__}, Python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as d:
        engine, key, s, cid = setup(os.path.join(d, "bench.db"), pool_size=4)
        overhead(s, cid, args.calls, args.reps)
        scaling(engine, key, cid, args.seconds, "ledger.balance", {"customer_id": cid})
        engine.close()
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
