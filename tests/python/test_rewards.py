"""Rewards and redemptions through the Python package: typed methods, errors, threads."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any, Dict, List

import pytest

import loyalty
from conftest import ADMIN_KEY
from loyalty._ops import declared_operations


def test_redeem_reserve_fulfil_cancel(session: loyalty.Session, customer: str, clock: loyalty.ManualClock) -> None:
    session.ledger.earn(customer_id=customer, points=300)
    reward = session.reward.create(name="Coffee", cost_points=100, stock=2, refundable=True)
    out = session.reward.redeem(reward_id=reward["id"], customer_id=customer, idempotency_key="r1")
    assert out["redemption"]["status"] == "fulfilled"
    assert out["balance"]["balance"] == 200
    code = out["redemption"]["coupon_code"]
    assert session.redemption.by_code(code=code.lower())["id"] == out["redemption"]["id"]
    assert session.reward.redeem(reward_id=reward["id"], customer_id=customer, idempotency_key="r1")["replayed"]

    held = session.reward.reserve(reward_id=reward["id"], customer_id=customer, idempotency_key="r2", ttl_seconds=60)
    assert held["balance"]["available"] == 100
    with pytest.raises(loyalty.OutOfStockError):
        session.reward.redeem(reward_id=reward["id"], customer_id=customer, idempotency_key="r3")
    clock.advance(dt.timedelta(seconds=60))
    due = session.ledger.run_due()
    assert due["reservations_expired"] == 1
    assert session.redemption.get(id=held["redemption"]["id"])["status"] == "expired"
    assert session.reward.get(id=reward["id"])["stock"] == 1

    cancelled = session.redemption.cancel(id=out["redemption"]["id"], reason="damaged")
    assert cancelled["refund"]["points"] == 100
    assert cancelled["balance"]["balance"] == 300
    with pytest.raises(loyalty.ConflictError):
        session.redemption.cancel(id=out["redemption"]["id"])
    items = session.redemption.list(customer_id=customer)["items"]
    assert [r["status"] for r in items] == ["cancelled", "expired"]
    assert session.ledger.verify()["ok"] is True


def test_refusals_map_to_exception_classes(session: loyalty.Session, customer: str) -> None:
    session.ledger.earn(customer_id=customer, points=50)
    dear = session.reward.create(name="Dear", cost_points=51)
    once = session.reward.create(name="Once", cost_points=1, per_customer_limit={"count": 1, "period": "day"})
    later = session.reward.create(name="Later", cost_points=1, starts_at="2030-01-01T00:00:00Z")
    with pytest.raises(loyalty.InsufficientPointsError) as short:
        session.reward.redeem(reward_id=dear["id"], customer_id=customer, idempotency_key="a")
    assert short.value.field == "points"  # the amount not covered, as for ledger.redeem
    assert short.value.detail["available"] == 50 and short.value.detail["cost_points"] == 51
    session.reward.redeem(reward_id=once["id"], customer_id=customer, idempotency_key="b")
    with pytest.raises(loyalty.LimitError):
        session.reward.redeem(reward_id=once["id"], customer_id=customer, idempotency_key="c")
    with pytest.raises(loyalty.ForbiddenError):
        session.reward.redeem(reward_id=later["id"], customer_id=customer, idempotency_key="d")
    with pytest.raises(loyalty.InvalidError) as e:
        session.reward.create(name="x", cost_points=1, per_customer_limit={"count": 1, "period": "hour"})
    assert e.value.field == "per_customer_limit.period"
    assert session.ledger.balance(customer_id=customer)["balance"] == 49


def test_threads_race_for_the_last_unit(tmp_path: Path) -> None:
    threads = 6
    with loyalty.Engine.open(str(tmp_path / "r.db"), admin_key=ADMIN_KEY, busy_timeout_ms=20000) as engine:
        key = engine.admin().tenant.create(name="T")["api_key"]["key"]
        with engine.session(key) as s:
            s.program.create(name="Main", currency="EUR")
            ids = [s.customer.enroll(external_id=f"c{i}")["id"] for i in range(threads)]
            for cid in ids:
                s.ledger.earn(customer_id=cid, points=10)
            reward = s.reward.create(name="Last", cost_points=10, stock=1)
        results: List[str] = []
        lock = threading.Lock()

        def work(t: int) -> None:
            with engine.session(key) as mine:
                try:
                    mine.reward.redeem(reward_id=reward["id"], customer_id=ids[t], idempotency_key=f"t{t}")
                    outcome = "ok"
                except loyalty.OutOfStockError:
                    outcome = "out"
            with lock:
                results.append(outcome)

        workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert sorted(results) == ["ok"] + ["out"] * (threads - 1)
        with engine.session(key) as s:
            assert s.reward.get(id=reward["id"])["stock"] == 0
            assert s.ledger.verify()["ok"] is True


def test_reward_methods_have_docstrings() -> None:
    ops: Dict[str, Any] = declared_operations(loyalty.Session)
    for name in ("reward.redeem", "reward.reserve", "redemption.fulfil", "redemption.by_code"):
        assert ops[name]
