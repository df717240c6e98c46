"""Threads hammering one engine; the GIL is released around engine calls."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List

import pytest

import loyalty
from conftest import ADMIN_KEY


def test_threads_hammering_one_engine(tmp_path: Path) -> None:
    threads, customers, earns = 8, 4, 60
    with loyalty.Engine.open(str(tmp_path / "t.db"), admin_key=ADMIN_KEY, synchronous="normal",
                             busy_timeout_ms=20000) as engine:
        key = engine.admin().tenant.create(name="T")["api_key"]["key"]
        with engine.session(key) as s:
            s.program.create(name="Main", currency="EUR")
            ids = [s.customer.enroll(external_id=f"c{i}")["id"] for i in range(customers)]

        def work(t: int) -> int:
            done = 0
            with engine.session(key) as mine:  # one session per thread
                for n in range(earns):
                    cid = ids[(t + n) % customers]
                    # Every write twice with the same key: the replay must not add points.
                    for _ in range(2):
                        mine.ledger.earn(customer_id=cid, points=1 + n % 3, idempotency_key=f"t{t}-n{n}")
                    mine.ledger.balance(customer_id=cid)
                    done += 1 + n % 3
            return done

        with ThreadPoolExecutor(threads) as pool:
            total = sum(pool.map(work, range(threads)))
        with engine.session(key) as s:
            assert sum(s.ledger.balance(customer_id=c)["balance"] for c in ids) == total
            assert s.ledger.verify()["ok"] is True


def test_a_session_used_by_two_threads_at_once_is_misuse_not_a_crash() -> None:
    with loyalty.Engine.open(admin_key=ADMIN_KEY) as engine:
        key = engine.admin().tenant.create(name="T")["api_key"]["key"]
        shared = engine.session(key)
        shared.program.create(name="Main", currency="EUR")
        cid = shared.customer.enroll(external_id="c")["id"]
        misuse: List[int] = []
        ok: List[int] = []

        def work() -> None:
            for _ in range(300):
                try:
                    shared.ledger.balance(customer_id=cid)
                    ok.append(1)
                except loyalty.MisuseError:
                    misuse.append(1)

        ts = [threading.Thread(target=work) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert len(ok) + len(misuse) == 1200 and ok


def test_the_gil_is_released_while_the_engine_waits(tmp_path: Path) -> None:
    # A writer blocks inside the engine on a lock held by this thread's sqlite3 connection. Only
    # if the engine call released the GIL can this thread run, see the call in progress and
    # release the lock before the writer's 10 s busy deadline.
    db = tmp_path / "gil.db"
    with loyalty.Engine.open(str(db), admin_key=ADMIN_KEY, busy_timeout_ms=10000) as engine:
        admin = engine.admin()
        lock = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        lock.execute("BEGIN IMMEDIATE")
        started = threading.Event()
        result: List[object] = []

        def writer() -> None:
            started.set()
            try:
                result.append(admin.tenant.create(name="Waiting"))
            except loyalty.Error as e:
                result.append(e)

        t = threading.Thread(target=writer)
        t0 = time.monotonic()
        t.start()
        started.wait()
        time.sleep(0.3)
        assert t.is_alive() and not result  # the writer is inside the engine, waiting
        assert time.monotonic() - t0 < 5
        lock.execute("COMMIT")
        lock.close()
        t.join(20)
        assert isinstance(result[0], dict), result
        assert result[0]["tenant"]["name"] == "Waiting"


@pytest.mark.parametrize("n", [4])
def test_threads_run_engine_calls_in_parallel(tmp_path: Path, n: int) -> None:
    # Reads in n threads with the GIL released: all complete and agree.
    with loyalty.Engine.open(str(tmp_path / "p.db"), admin_key=ADMIN_KEY, pool_size=n) as engine:
        key = engine.admin().tenant.create(name="T")["api_key"]["key"]
        with engine.session(key) as s:
            s.program.create(name="Main", currency="EUR")
            cid = s.customer.enroll(external_id="c")["id"]
            s.ledger.earn(customer_id=cid, points=7)

        def reader(_: int) -> int:
            with engine.session(key) as mine:
                return sum(mine.ledger.balance(customer_id=cid)["balance"] for _ in range(200))

        with ThreadPoolExecutor(n) as pool:
            assert list(pool.map(reader, range(n))) == [1400] * n
