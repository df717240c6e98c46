"""Every engine status maps to its own exception class under loyalty.Error."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Dict

import pytest

import loyalty
from conftest import ADMIN_KEY

ALL = {
    -1: ("error", loyalty.InternalError),
    -2: ("invalid", loyalty.InvalidError),
    -3: ("not_found", loyalty.NotFoundError),
    -4: ("conflict", loyalty.ConflictError),
    -5: ("insufficient", loyalty.InsufficientPointsError),
    -6: ("out_of_stock", loyalty.OutOfStockError),
    -7: ("limit", loyalty.LimitError),
    -8: ("forbidden", loyalty.ForbiddenError),
    -9: ("unavailable", loyalty.UnavailableError),
    -10: ("busy", loyalty.BusyError),
    -11: ("storage", loyalty.StorageError),
    -12: ("misuse", loyalty.MisuseError),
    -13: ("nomem", loyalty.NoMemoryError),
}


def test_one_class_per_status_matching_the_engine_names() -> None:
    assert set(loyalty.ERRORS_BY_CODE) == set(ALL)
    for code, (status, cls) in ALL.items():
        assert loyalty._native.status_name(code) == status
        assert loyalty.ERRORS_BY_CODE[code] is cls
        assert loyalty.ERRORS_BY_STATUS[status] is cls
        assert issubclass(cls, loyalty.Error)
        assert (cls.CODE, cls.STATUS) == (code, status)
    assert len({cls for _, cls in ALL.values()}) == len(ALL)


def test_invalid_error_is_a_value_error() -> None:
    assert issubclass(loyalty.InvalidError, ValueError)
    assert not issubclass(loyalty.NotFoundError, ValueError)


def _check(exc: pytest.ExceptionInfo, cls: type, field: Any = None) -> loyalty.Error:
    e = exc.value
    assert type(e) is cls
    assert e.code == cls.CODE and e.status == cls.STATUS  # type: ignore[attr-defined]
    assert e.field == field
    if field is not None:
        assert e.detail["field"] == field
    assert isinstance(e.detail, dict) and e.message
    return e  # type: ignore[no-any-return]


def test_invalid(session: loyalty.Session, customer: str) -> None:
    with pytest.raises(loyalty.Error) as exc:
        session.ledger.earn(customer_id=customer, points=-5)
    _check(exc, loyalty.InvalidError, "points")


def test_unknown_operation_is_invalid_naming_operation(session: loyalty.Session) -> None:
    with pytest.raises(loyalty.InvalidError) as exc:
        session.call("ledger.nope", {})
    _check(exc, loyalty.InvalidError, "operation")


def test_not_found(session: loyalty.Session) -> None:
    with pytest.raises(loyalty.Error) as exc:
        session.ledger.balance(customer_id="cus_doesnotexist")
    _check(exc, loyalty.NotFoundError, "customer_id")


def test_conflict_names_the_differing_field(session: loyalty.Session, customer: str) -> None:
    session.ledger.earn(customer_id=customer, points=10, idempotency_key="k1")
    with pytest.raises(loyalty.Error) as exc:
        session.ledger.earn(customer_id=customer, points=11, idempotency_key="k1")
    _check(exc, loyalty.ConflictError, "points")


def test_insufficient_carries_available(session: loyalty.Session, customer: str) -> None:
    session.ledger.earn(customer_id=customer, points=10)
    with pytest.raises(loyalty.Error) as exc:
        session.hold.create(customer_id=customer, points=50, ttl_seconds=60)
    e = _check(exc, loyalty.InsufficientPointsError, exc.value.field)
    assert e.detail["available"] == 10


def test_limit(session: loyalty.Session) -> None:
    session.program.create(name="Capped", currency="EUR", max_balance=100)
    programs = session.program.list()["items"]
    capped = next(p["id"] for p in programs if p["name"] == "Capped")
    c = session.customer.enroll(external_id="bob")["id"]
    with pytest.raises(loyalty.Error) as exc:
        session.ledger.earn(customer_id=c, program_id=capped, points=101)
    e = _check(exc, loyalty.LimitError, exc.value.field)
    assert e.detail["max_balance"] == 100


def test_forbidden_scope(engine: loyalty.Engine, session: loyalty.Session) -> None:
    key = session.apikey.create(name="reader", scopes=["read"])["key"]
    with engine.session(key) as reader:
        with pytest.raises(loyalty.Error) as exc:
            reader.customer.enroll(external_id="x")
        _check(exc, loyalty.ForbiddenError, "scope")


def test_forbidden_admin_credential(engine: loyalty.Engine) -> None:
    with pytest.raises(loyalty.ForbiddenError):
        engine.admin("a-wrong-credential-of-enough-bytes")
    with pytest.raises(loyalty.ForbiddenError):
        engine.session("loy_notakey")


def test_unavailable(session: loyalty.Session, customer: str) -> None:
    pid = session.program.list()["items"][0]["id"]
    session.program.deactivate(id=pid)
    with pytest.raises(loyalty.Error) as exc:
        session.ledger.earn(customer_id=customer, points=1)
    assert type(exc.value) in (loyalty.UnavailableError, loyalty.NotFoundError)
    with pytest.raises(loyalty.UnavailableError):
        session.ledger.earn(customer_id=customer, program_id=pid, points=1)


def test_busy(tmp_path: Path) -> None:
    db = tmp_path / "busy.db"
    with loyalty.Engine.open(str(db), admin_key=ADMIN_KEY, busy_timeout_ms=0) as engine:
        admin = engine.admin()
        lock = sqlite3.connect(db, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(loyalty.Error) as exc:
                admin.tenant.create(name="Blocked")
            _check(exc, loyalty.BusyError)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        assert admin.tenant.create(name="Unblocked")["tenant"]["name"] == "Unblocked"


def test_storage(tmp_path: Path) -> None:
    with pytest.raises(loyalty.Error) as exc:
        loyalty.Engine.open(str(tmp_path / "no" / "such" / "dir" / "x.db"))
    _check(exc, loyalty.StorageError)


def test_misuse_after_close(engine: loyalty.Engine, session: loyalty.Session, customer: str) -> None:
    engine.close()
    with pytest.raises(loyalty.Error) as exc:
        session.ledger.balance(customer_id=customer)
    _check(exc, loyalty.MisuseError)
    with pytest.raises(loyalty.MisuseError):
        engine.session("anything")


@pytest.mark.parametrize("code", sorted(ALL))
def test_every_status_is_translated_from_cxx(code: int) -> None:
    # Statuses no 0.1 operation returns (out_of_stock, nomem, error) still need a mapping:
    # raise each through the same C++ translation path the engine calls use.
    status, cls = ALL[code]
    with pytest.raises(loyalty.Error) as exc:
        loyalty._native._raise_status(code, "probe", "a.b[2]")
    e = exc.value
    assert type(e) is cls and e.code == code and e.status == status
    assert e.field == "a.b[2]" and e.detail == {"field": "a.b[2]"} and e.message == "probe"


def test_errors_pickle_and_print() -> None:
    import pickle

    e = loyalty.ConflictError("key reused", -4, "conflict", "points", {"field": "points"})
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is loyalty.ConflictError
    assert (e2.code, e2.status, e2.field, e2.detail) == (-4, "conflict", "points", {"field": "points"})
    assert "points" in str(e) and "conflict" in str(e)


def test_error_detail_is_a_dict_even_without_field(engine: loyalty.Engine) -> None:
    with pytest.raises(loyalty.InvalidError) as exc:
        engine.admin().call_json("tenant.list", "{not json")
    assert exc.value.field is None
    assert "byte" in exc.value.detail


def _no_unused(x: Dict[str, Any]) -> None:  # keeps the typing import used in older Pythons
    del x
