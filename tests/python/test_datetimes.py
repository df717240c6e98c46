"""Times: aware datetimes in, aware UTC datetimes out for the documented fields."""

from __future__ import annotations

import datetime as dt

import pytest

import loyalty
from conftest import ADMIN_KEY, START

CET = dt.timezone(dt.timedelta(hours=1))


def test_aware_datetimes_in_any_zone_are_converted_to_utc(session: loyalty.Session, customer: str) -> None:
    at = dt.datetime(2026, 3, 1, 12, 30, 15, 123_999, tzinfo=CET)  # 11:30:15.123999Z
    r = session.ledger.earn(customer_id=customer, points=1, occurred_at=at)
    occurred = r["entry"]["occurred_at"]
    assert occurred == dt.datetime(2026, 3, 1, 11, 30, 15, 123_000, tzinfo=dt.timezone.utc)  # floored to ms
    assert occurred.tzinfo is dt.timezone.utc


def test_which_fields_become_datetimes(session: loyalty.Session, customer: str, clock: loyalty.ManualClock) -> None:
    e = session.ledger.earn(customer_id=customer, points=10, pending_days=7)["entry"]
    assert e["posted_at"] is None  # pending: not posted yet
    for k in ("occurred_at", "recorded_at"):
        assert isinstance(e[k], dt.datetime), k
    assert e["pending_until"] == START + dt.timedelta(days=7)
    assert e["expires_at"] is None
    clock.advance(dt.timedelta(days=1))
    due = session.ledger.run_due()
    assert due["now"] == START + dt.timedelta(days=1)
    items = session.audit.list()["items"]
    assert items and all(isinstance(i["at"], dt.datetime) for i in items)
    # Other strings stay strings, even in the engine's time format.
    c = session.customer.update(id=customer, preferences={"note": "2026-03-01T12:00:00.000Z"})
    assert c["preferences"]["note"] == "2026-03-01T12:00:00.000Z"


def test_datetimes_false_keeps_the_engine_text(clock: loyalty.ManualClock) -> None:
    with loyalty.Engine.open(admin_key=ADMIN_KEY, clock=clock, datetimes=False) as engine:
        t = engine.admin().tenant.create(name="T")
        assert t["tenant"]["created_at"] == "2026-03-01T12:00:00.000Z"


def test_dates_are_sent_as_plain_dates(session: loyalty.Session, customer: str) -> None:
    r = session.ledger.earn(customer_id=customer, points=1, occurred_at=dt.date(2026, 2, 28))
    assert r["entry"]["occurred_at"] == dt.datetime(2026, 2, 28, tzinfo=dt.timezone.utc)


def test_converters() -> None:
    t = dt.datetime(1969, 12, 31, 23, 59, 59, 999_500, tzinfo=dt.timezone.utc)
    assert loyalty.format_time(t) == "1969-12-31T23:59:59.999Z"
    assert loyalty.format_time(0) == "1970-01-01T00:00:00.000Z"
    assert loyalty.parse_time("2026-03-01T13:00:00+01:00") == START
    assert loyalty.parse_time("2026-03-01") == dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    with pytest.raises(ValueError):
        loyalty.parse_time("yesterday")
    assert loyalty.dumps({"at": START}) == '{"at": "2026-03-01T12:00:00.000Z"}'


def test_manual_clock(clock: loyalty.ManualClock) -> None:
    assert clock.now() == START
    clock.advance(dt.timedelta(hours=1, milliseconds=5))
    assert clock.now_ms() == loyalty._native.datetime_to_ms(START) + 3_600_005
    clock.set(START)
    clock.advance(-1000)
    assert clock.now() == START - dt.timedelta(seconds=1)
    with pytest.raises(TypeError):
        clock.advance(1.5)  # type: ignore[arg-type]


def test_callable_clock_drives_the_engine() -> None:
    now = [START]
    with loyalty.Engine.open(admin_key=ADMIN_KEY, clock=lambda: now[0]) as engine:
        admin = engine.admin()
        assert admin.tenant.create(name="A")["tenant"]["created_at"] == START
        now[0] = START + dt.timedelta(days=3)
        assert admin.tenant.create(name="B")["tenant"]["created_at"] == now[0]
    ms = [1_000_000]
    with loyalty.Engine.open(admin_key=ADMIN_KEY, clock=lambda: ms[0], datetimes=False) as engine:
        assert engine.admin().tenant.create(name="C")["tenant"]["created_at"] == "1970-01-01T00:16:40.000Z"


def test_a_failing_clock_callable_is_an_internal_error() -> None:
    state = {"fail": False}

    def clock() -> dt.datetime:
        if state["fail"]:
            raise RuntimeError("clock broke")
        return START

    with loyalty.Engine.open(admin_key=ADMIN_KEY, clock=clock) as engine:
        admin = engine.admin()
        state["fail"] = True
        with pytest.raises(loyalty.InternalError) as exc:
            admin.tenant.create(name="X")
        assert "clock broke" in exc.value.message and exc.value.field == "clock"
        state["fail"] = False
        assert admin.tenant.list()["items"] == []  # nothing was written
