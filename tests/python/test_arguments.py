"""Every public entry point refuses unusable values with a loyalty.Error naming the argument.

A lone surrogate in any str (options, credentials, operation names, JSON, input values), invalid
UTF-8 bytes, and integers beyond what the argument can hold (2**31 for the 32-bit options,
2**63 and beyond, below -2**63) are :class:`loyalty.InvalidError` with ``.field`` set, never a
TypeError, OverflowError or UnicodeError from the binding layer. This walks every entry point
(Engine.open's options, Engine.admin / Engine.session, call / call_json and every operation
method of both handles, the clocks, the time converters, set_ai_provider), so an argument added
later without the shared conversion fails here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Dict, List, Optional

import pytest

import loyalty
from conftest import ADMIN_KEY, START

SURROGATE = "bad-\ud800-value-of-16-bytes-or-more"
BAD_UTF8 = b'{"customer_id": "\xff\xfe"}'
HUGE = [2**31, 2**63, 2**64, -(2**63) - 1, 2**70]
BEYOND_64_BITS = [2**64, -(2**63) - 1, 2**70]
TIME_MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


def _refused(fn: Callable[[], Any], field: Optional[str], cls: type = loyalty.InvalidError) -> loyalty.Error:
    """Runs fn, which must raise cls naming field; never a binding-layer exception."""
    try:
        fn()
    except loyalty.Error as e:
        assert type(e) is cls, f"{type(e).__name__}: {e}"
        assert e.field == field, f"field {e.field!r}, expected {field!r}: {e}"
        if field is not None:
            assert e.detail["field"] == field
        assert not isinstance(e, (TypeError, OverflowError, UnicodeError))
        return e
    except BaseException as e:  # noqa: BLE001 (the point of the test)
        pytest.fail(f"{type(e).__name__} escaped instead of {cls.__name__}: {e}")
    pytest.fail("no exception")


# --------------------------------------------------------------------------------------------
# Engine.open


@pytest.mark.parametrize("option", ["uri", "admin_key", "synchronous"])
def test_open_str_options_with_a_lone_surrogate(option: str) -> None:
    _refused(lambda: loyalty.Engine.open(**{option: SURROGATE}), option)


@pytest.mark.parametrize("option", ["busy_timeout_ms", "pool_size", "cache_mb", "wal_autocheckpoint"])
@pytest.mark.parametrize("value", HUGE)
def test_open_int_options_beyond_32_bits(option: str, value: int) -> None:
    e = _refused(lambda: loyalty.Engine.open(**{option: value}), option)
    assert e.detail["max"] == 2**31 - 1


def test_open_int_options_at_the_32_bit_bounds_reach_the_engine() -> None:
    # In 32 bits, so the engine's own range check names the option.
    _refused(lambda: loyalty.Engine.open(pool_size=2**31 - 1), "pool_size")
    _refused(lambda: loyalty.Engine.open(busy_timeout_ms=-(2**31)), "busy_timeout_ms")
    with loyalty.Engine.open(busy_timeout_ms=2**31 - 1, wal_autocheckpoint=2**31 - 1) as e:
        assert not e.closed


def test_wrong_types_stay_type_errors() -> None:
    # A value of the wrong type is a programming error, as everywhere in Python.
    with pytest.raises(TypeError):
        loyalty.Engine.open(pool_size="4")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        loyalty.Engine.open(uri=b"x.db")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Credentials and operation names


def test_admin_and_session_keys_with_a_lone_surrogate(engine: loyalty.Engine) -> None:
    _refused(lambda: engine.admin(SURROGATE), "admin_key")
    _refused(lambda: engine.session(SURROGATE), "api_key")


def test_operation_names_with_a_lone_surrogate(admin: loyalty.Admin, session: loyalty.Session) -> None:
    for handle in (admin, session):
        _refused(lambda: handle.call("tenant.\ud800"), "operation")
        _refused(lambda: handle.call_json("tenant.\ud800", "{}"), "operation")


# --------------------------------------------------------------------------------------------
# call_json: the JSON-text contract of the C ABI (malformed text has no field; detail byte)


@pytest.mark.parametrize("text", [BAD_UTF8, bytearray(BAD_UTF8), '{"customer_id": "\ud800"}', "\udcff"])
def test_call_json_with_invalid_utf8_or_a_lone_surrogate(
    admin: loyalty.Admin, session: loyalty.Session, text: Any
) -> None:
    for handle, op in ((session, "ledger.balance"), (admin, "tenant.get")):
        e = _refused(lambda: handle.call_json(op, text), None)
        assert e.message.startswith("malformed JSON at byte ")
        assert isinstance(e.detail["byte"], int)


def test_call_json_bytes_and_str_agree(session: loyalty.Session, customer: str) -> None:
    text = '{"customer_id": "%s"}' % customer
    assert session.call_json("ledger.balance", text) == session.call_json("ledger.balance", text.encode())


# --------------------------------------------------------------------------------------------
# Every operation method of both handles, with bad input values and keys


def _method(handle: Any, name: str) -> Callable[..., Dict[str, Any]]:
    # The generic attribute (tier.policy.set is `getattr(session.tier, "policy.set")`) is the
    # same partial over the native call as the declared method.
    prefix, attr = name.split(".", 1)
    return getattr(getattr(handle, prefix), attr)  # type: ignore[no-any-return]


BAD_VALUES = [SURROGATE, b"\xff", *BEYOND_64_BITS]


def test_every_operation_refuses_unconvertible_values(admin: loyalty.Admin, session: loyalty.Session) -> None:
    assert len(loyalty.Session.operations()) >= 83 and len(loyalty.Admin.operations()) >= 9
    for handle, ops in ((session, loyalty.Session.operations()), (admin, loyalty.Admin.operations())):
        for name in sorted(ops):
            method = _method(handle, name)
            for value in BAD_VALUES:
                _refused(lambda: method(customer_id=value), "customer_id")
                _refused(lambda: method({"metadata": {"tags": [1, value]}}), "metadata.tags[1]")
                _refused(lambda: handle.call(name, {"customer_id": value}), "customer_id")
            # A key with a lone surrogate is named by the key, its surrogate escaped.
            _refused(lambda: method(**{"k\ud800": 1}), "k\\ud800")
            _refused(lambda: method({"metadata": {"\udcff": 1}}), "metadata.\\udcff")


@pytest.mark.parametrize("value", [2**31, 2**63, 2**64 - 1])
def test_big_integers_that_convert_are_range_checked_by_the_engine(
    admin: loyalty.Admin, session: loyalty.Session, customer: str, value: int
) -> None:
    # Integers up to 2**64-1 convert; the engine then refuses them by range, naming the field.
    # Every operation gets `limit`: those with a limit refuse it as out of range, the others as
    # an unknown field (the fields some read before their limit are given).
    before = {"customer_id": customer}
    extra: Dict[str, Dict[str, Any]] = {
        "ai.recommendations": before,
        "ai.refresh": {"operation": "churn"},
        "location.nearby": {"lat": 0, "lon": 0, "radius_m": 10},
        "redemption.list": before,
        "tier.history": before,
        "ledger.history": before,
        "ledger.expiring": {"before": "2030-01-01T00:00:00Z"},
    }
    for handle, ops in ((session, loyalty.Session.operations()), (admin, loyalty.Admin.operations())):
        for name in sorted(ops):
            _refused(lambda: _method(handle, name)(extra.get(name), limit=value), "limit")
    if value >= 2**63:  # beyond int64: never an amount
        _refused(lambda: session.ledger.earn(customer_id=customer, points=value), "points")


# --------------------------------------------------------------------------------------------
# Clocks


@pytest.mark.parametrize(
    "reading",
    [2**70, 2**64, 2**63, -(2**63) - 1, -1, -(2**63), TIME_MAX_MS + 1, "12", 1.5, None, dt.datetime(2026, 3, 1)],
)
def test_a_clock_reading_that_is_not_a_time_in_1970_9999_is_invalid_naming_clock(reading: Any) -> None:
    state = {"now": START}
    with loyalty.Engine.open(admin_key=ADMIN_KEY, clock=lambda: state["now"]) as engine:
        admin = engine.admin()
        state["now"] = reading
        _refused(lambda: admin.tenant.create(name="X"), "clock")
        state["now"] = START
        assert admin.tenant.list()["items"] == []  # nothing was written


def test_the_clock_bounds_are_accepted() -> None:
    for ms, text in ((0, "1970-01-01T00:00:00.000Z"), (TIME_MAX_MS, "9999-12-31T23:59:59.999Z")):
        with loyalty.Engine.open(admin_key=ADMIN_KEY, clock=lambda: ms, datetimes=False) as engine:
            assert engine.admin().tenant.create(name="A")["tenant"]["created_at"] == text


def test_a_manual_clock_outside_1970_is_refused_by_the_engine() -> None:
    clock = loyalty.ManualClock(START)
    with loyalty.Engine.open(admin_key=ADMIN_KEY, clock=clock) as engine:
        admin = engine.admin()
        clock.set(dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc))
        e = _refused(lambda: admin.tenant.create(name="X"), "clock")
        assert e.detail["value"] == -1000
        clock.set(START)
        assert admin.tenant.list()["items"] == []


@pytest.mark.parametrize("value", HUGE[1:])
def test_manual_clock_arguments(value: int) -> None:
    _refused(lambda: loyalty.ManualClock(value), "start")
    clock = loyalty.ManualClock(START)
    _refused(lambda: clock.set(value), "t")
    _refused(lambda: clock.advance(value), "by")
    _refused(lambda: clock.advance(-value), "by")
    assert clock.now() == START  # unchanged


def test_manual_clock_stays_within_years_1_to_9999() -> None:
    clock = loyalty.ManualClock(TIME_MAX_MS)
    _refused(lambda: clock.advance(1), "by")
    clock.advance(-TIME_MAX_MS)
    assert clock.now_ms() == 0
    assert clock.now() == dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


# --------------------------------------------------------------------------------------------
# Time converters and the AI provider


@pytest.mark.parametrize("value", [*HUGE[1:], TIME_MAX_MS + 1])
def test_format_time_out_of_range(value: int) -> None:
    _refused(lambda: loyalty.format_time(value), "t")


def test_format_time_bounds() -> None:
    assert loyalty.format_time(TIME_MAX_MS) == "9999-12-31T23:59:59.999Z"
    assert loyalty.format_time(-62_135_596_800_000) == "0001-01-01T00:00:00.000Z"


def test_parse_time_with_a_lone_surrogate_is_a_value_error() -> None:
    e = _refused(lambda: loyalty.parse_time("2026-03-01T\ud800"), "text")
    assert isinstance(e, ValueError)


def test_set_ai_provider_with_a_lone_surrogate_model(engine: loyalty.Engine) -> None:
    class Provider:
        model = "model-\ud800"

        def recommendations(self, i: Dict[str, Any]) -> Dict[str, Any]:
            return {}

        churn = segmentation = feedback = location_insights = recommendations

    _refused(lambda: engine.set_ai_provider(Provider()), "provider")
