"""Personal data from Python: the master_key option, export and erase (docs/security.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

import loyalty
from conftest import ADMIN_KEY

KEY = "00" * 32
OTHER = "11" * 32


def _session(engine: loyalty.Engine) -> loyalty.Session:
    key = engine.admin().tenant.create(name="T")["api_key"]["key"]
    session = engine.session(key)
    session.program.create(name="Main", currency="EUR")
    return session


def test_master_key_seals_the_profile_and_is_checked(tmp_path: Path) -> None:
    db = str(tmp_path / "p.db")
    with loyalty.Engine.open(db, admin_key=ADMIN_KEY, master_key=KEY) as engine:
        s = _session(engine)
        c = s.customer.enroll(external_id="c1", profile={"email": "py.secret@example.org", "colour": "red"})
        assert c["personal_data"] == "available"
        assert s.customer.get(email="PY.SECRET@example.org")["id"] == c["id"]
        key = s.apikey.create(scopes=["admin"])["key"]
    assert b"py.secret@example.org" not in Path(db).read_bytes()
    with pytest.raises(loyalty.ForbiddenError) as e:
        loyalty.Engine.open(db, master_key=OTHER)
    assert e.value.field == "master_key"
    with loyalty.Engine.open(db) as engine:  # no key: the ledger works, personal fields do not
        got = engine.session(key).customer.get(id=c["id"])
        assert got["personal_data"] == "unavailable"
        assert got["profile"] == {"colour": "red"}


def test_export_and_erase() -> None:
    with loyalty.Engine.open(":memory:", admin_key=ADMIN_KEY) as engine:
        s = _session(engine)
        cid = s.customer.enroll(external_id="c1", profile={"name": "Py Person"})["id"]
        s.ledger.earn(customer_id=cid, points=10)
        x = s.customer.export(id=cid)
        assert x["customer"]["profile"]["name"] == "Py Person"
        assert x["accounts"][0]["balance"]["balance"] == 10
        r = s.customer.erase(id=cid)
        assert r["already_erased"] is False
        assert s.customer.get(id=cid)["personal_data"] == "erased"
        assert s.ledger.balance(customer_id=cid)["balance"] == 10
