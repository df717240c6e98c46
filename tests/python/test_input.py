"""Bad input is refused with InvalidError naming the field, and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from types import MappingProxyType

import pytest

import loyalty


def test_keywords_dicts_and_mappings(session: loyalty.Session, customer: str) -> None:
    a = session.ledger.earn({"customer_id": customer}, points=5)
    b = session.ledger.earn(OrderedDict(customer_id=customer, points=6))
    c = session.ledger.earn(MappingProxyType({"customer_id": customer, "points": 7}))
    d = session.call("ledger.earn", {"customer_id": customer, "points": 1}, points=8)  # keywords win
    assert [r["entry"]["points"] for r in (a, b, c, d)] == [5, 6, 7, 8]
    assert session.ledger.balance(customer_id=customer)["balance"] == 26


@pytest.mark.parametrize(
    "value, field",
    [
        ({1, 2}, "metadata.x"),
        (b"bytes", "metadata.x"),
        (float("nan"), "metadata.x"),
        (float("inf"), "metadata.x"),
        (2**64, "metadata.x"),
        (-(2**63) - 1, "metadata.x"),
        ({1: "non-string key"}, "metadata.x"),
        ([0, [1, object()]], "metadata.x[1][1]"),
        ("\ud800", "metadata.x"),
    ],
)
def test_unconvertible_values_name_the_field(session: loyalty.Session, customer: str, value: object, field: str) -> None:
    before = session.ledger.balance(customer_id=customer)
    with pytest.raises(loyalty.InvalidError) as exc:
        session.ledger.earn(customer_id=customer, points=5, metadata={"x": value})
    assert exc.value.field == field
    assert session.ledger.balance(customer_id=customer) == before


def test_big_unsigned_and_negative_ints_reach_the_engine(session: loyalty.Session, customer: str) -> None:
    with pytest.raises(loyalty.InvalidError) as exc:
        session.ledger.earn(customer_id=customer, points=2**63 + 5)
    assert exc.value.field == "points"


def test_input_must_be_a_dict(session: loyalty.Session) -> None:
    for bad in ([1, 2], "text", 5):
        with pytest.raises(loyalty.InvalidError):
            session.call("ledger.balance", bad)  # type: ignore[arg-type]


def test_nesting_deeper_than_64_levels(session: loyalty.Session, customer: str) -> None:
    deep: object = 1
    for _ in range(70):
        deep = [deep]
    with pytest.raises(loyalty.InvalidError) as exc:
        session.ledger.earn(customer_id=customer, points=1, metadata={"x": deep})
    assert exc.value.detail["max_depth"] == 64


def test_unknown_and_wrongly_typed_fields(session: loyalty.Session, customer: str) -> None:
    with pytest.raises(loyalty.InvalidError) as exc:
        session.ledger.earn(customer_id=customer, points=1, pointz=2)
    assert exc.value.field == "pointz"
    with pytest.raises(loyalty.InvalidError) as exc:
        session.ledger.earn(customer_id=customer, points=True)
    assert exc.value.field == "points"


def test_naive_datetime_is_a_value_error(session: loyalty.Session, customer: str) -> None:
    with pytest.raises(ValueError) as exc:
        session.ledger.earn(customer_id=customer, points=1, occurred_at=dt.datetime(2026, 3, 1, 11))
    assert isinstance(exc.value, loyalty.InvalidError) and exc.value.field == "occurred_at"
    with pytest.raises(ValueError):
        loyalty.format_time(dt.datetime(2026, 1, 1))


def test_malformed_json_text(session: loyalty.Session) -> None:
    with pytest.raises(loyalty.InvalidError) as exc:
        session.call_json("ledger.balance", '{"customer_id": ')
    assert "byte" in exc.value.detail


def test_bad_engine_options(tmp_path: object) -> None:
    with pytest.raises(loyalty.InvalidError) as exc:
        loyalty.Engine.open(synchronous="sometimes")
    assert exc.value.field == "synchronous"
    with pytest.raises(loyalty.InvalidError) as exc:
        loyalty.Engine.open(admin_key="short")
    assert exc.value.field == "admin_key"
    with pytest.raises(loyalty.InvalidError) as exc:
        loyalty.Engine.open(pool_size=0)
    assert exc.value.field == "pool_size"
    with pytest.raises(loyalty.InvalidError) as exc:
        loyalty.Engine.open(clock=42)  # type: ignore[arg-type]
    assert exc.value.field == "clock"
    with pytest.raises(TypeError):
        loyalty.Engine.open(pool_size="4")  # type: ignore[arg-type]
