"""Shared fixtures for the Python package's tests (run by scripts/test.sh through pytest)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

import loyalty

sys.path.insert(0, str(Path(__file__).resolve().parent))

ADMIN_KEY = "python-tests-admin-credential-0123"
START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock() -> loyalty.ManualClock:
    return loyalty.ManualClock(START)


@pytest.fixture
def engine(clock: loyalty.ManualClock) -> Iterator[loyalty.Engine]:
    with loyalty.Engine.open(":memory:", admin_key=ADMIN_KEY, clock=clock) as e:
        yield e


@pytest.fixture
def admin(engine: loyalty.Engine) -> loyalty.Admin:
    return engine.admin()


@pytest.fixture
def tenant(admin: loyalty.Admin) -> Dict[str, Any]:
    return admin.tenant.create(name="Shop")


@pytest.fixture
def session(engine: loyalty.Engine, tenant: Dict[str, Any]) -> Iterator[loyalty.Session]:
    with engine.session(tenant["api_key"]["key"]) as s:
        s.program.create(name="Main", currency="EUR", return_policy="within_balance")
        yield s


@pytest.fixture
def customer(session: loyalty.Session) -> str:
    return session.customer.enroll(external_id="alice")["id"]  # type: ignore[no-any-return]
