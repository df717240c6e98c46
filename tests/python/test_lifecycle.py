"""with blocks, close(), and garbage collection in any order (children keep parents alive)."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref
from itertools import permutations
from pathlib import Path

import pytest

import loyalty
from conftest import ADMIN_KEY, START


def _world(path: str = ":memory:", **kw: object) -> tuple:
    engine = loyalty.Engine.open(path, admin_key=ADMIN_KEY, **kw)  # type: ignore[arg-type]
    admin = engine.admin()
    key = admin.tenant.create(name="T")["api_key"]["key"]
    session = engine.session(key)
    session.program.create(name="Main", currency="EUR")
    cid = session.customer.enroll(external_id="c")["id"]
    return engine, admin, session, cid


def test_sessions_outlive_a_collected_engine() -> None:
    engine, admin, session, cid = _world()
    ref = weakref.ref(engine)
    del engine
    gc.collect()
    assert ref() is None
    # The Python object is gone, the C++ engine lives on for its children.
    session.ledger.earn(customer_id=cid, points=3)
    assert session.ledger.balance(customer_id=cid)["balance"] == 3
    assert admin.tenant.list()["items"][0]["name"] == "T"


@pytest.mark.parametrize("order", list(permutations(range(3))))
def test_any_finalization_order(order: tuple, tmp_path: Path) -> None:
    objs = list(_world(str(tmp_path / "f.db"), clock=lambda: START, log=lambda level, msg: None)[:3])
    for i in order:
        objs[i] = None
        gc.collect()


def test_explicit_close_in_any_order() -> None:
    for order in permutations(range(3)):
        objs = _world()[:3]
        for i in order:
            objs[i].close()
            objs[i].close()  # idempotent
        assert all(o.closed for o in objs)


def test_closing_the_engine_closes_its_children() -> None:
    engine, admin, session, cid = _world()
    with engine:
        pass
    assert engine.closed and admin.closed and session.closed
    with pytest.raises(loyalty.MisuseError):
        session.ledger.balance(customer_id=cid)
    with pytest.raises(loyalty.MisuseError):
        admin.tenant.list()
    with pytest.raises(loyalty.MisuseError):
        engine.admin()


def test_closing_a_session_leaves_the_engine_open() -> None:
    engine, admin, session, cid = _world()
    key = admin.tenant.create(name="U")["api_key"]["key"]
    with session:
        session.ledger.balance(customer_id=cid)
    assert session.closed and not engine.closed
    with pytest.raises(loyalty.MisuseError):
        session.ledger.balance(customer_id=cid)
    with pytest.raises(loyalty.MisuseError):
        _ = session.tenant_id
    with engine.session(key) as other:
        assert other.session.info()["tenant"]["name"] == "U"
    engine.close()


def test_data_survives_reopening_a_file(tmp_path: Path) -> None:
    db = str(tmp_path / "persist.db")
    engine, admin, session, cid = _world(db)
    session.ledger.earn(customer_id=cid, points=42)
    key = session.apikey.create(name="again", scopes=["read"])["key"]
    engine.close()
    with loyalty.Engine.open(f"sqlite://{db}") as again:  # the admin key is recorded already
        with again.session(key) as s:
            assert s.ledger.balance(customer_id=cid)["balance"] == 42
        again.admin(ADMIN_KEY)
        with pytest.raises(loyalty.ForbiddenError):
            again.admin("a-different-credential-0123456789")


@pytest.mark.parametrize("uri", ["{d}/a\0b.db", "sqlite://{d}/a\0b.db", "file:{d}/a%00b.db"])
def test_a_nul_byte_in_the_uri_is_refused(uri: str, tmp_path: Path) -> None:
    # SQLite would open "<d>/a" (a C string ends at NUL; %00 decodes to one in a file: URI).
    with pytest.raises(loyalty.InvalidError) as exc:
        loyalty.Engine.open(uri.format(d=tmp_path), admin_key=ADMIN_KEY)
    assert exc.value.field == "uri"
    assert list(tmp_path.iterdir()) == []


def test_objects_alive_at_interpreter_exit(tmp_path: Path) -> None:
    # Engines, sessions and Python callbacks still referenced by module globals when the
    # interpreter exits (finalizers in arbitrary order) must not crash it.
    code = f"""
import datetime as dt, loyalty
START = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
logs = []
engine = loyalty.Engine.open({str(tmp_path / 'exit.db')!r}, admin_key={ADMIN_KEY!r},
                             clock=lambda: START, log=lambda lvl, msg: logs.append(msg))
admin = engine.admin()
session = engine.session(admin.tenant.create(name="T")["api_key"]["key"])
cycle = [session]; cycle.append(cycle)
assert logs and "engine opened" in logs[0]
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_log_callback_receives_messages() -> None:
    seen: list = []
    engine = loyalty.Engine.open(admin_key=ADMIN_KEY, log=lambda level, msg: seen.append((level, msg)))
    engine.close()
    assert seen[0][0] == "info" and "engine opened" in seen[0][1]
    assert seen[-1] == ("info", "engine closed")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_raising_log_callback_does_not_break_calls() -> None:
    def log(level: str, msg: str) -> None:
        raise RuntimeError("sink broke")

    with loyalty.Engine.open(admin_key=ADMIN_KEY, log=log) as engine:
        assert engine.admin().tenant.create(name="T")["tenant"]["name"] == "T"
