"""The generated stubs (loyalty/_ops.pyi) as a type checker sees them: a program using the typed
methods checks clean, and wrong field types, unknown result keys and misuse of a result are
reported. Needs mypy (scripts/test-python.sh installs it); skipped without it."""

import subprocess
import sys
import textwrap

import pytest

mypy_api = pytest.importorskip("mypy.api")

GOOD = '''
from datetime import datetime, timezone
import loyalty

def run(session: loyalty.Session, admin: loyalty.Admin) -> int:
    tenant = admin.tenant.create(name="Typed", timezone="UTC")
    key: str = tenant["api_key"]["key"]
    customer = session.customer.enroll(external_id="typed-1")
    earned = session.ledger.earn(customer_id=customer["id"], points=120,
                                 occurred_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
    when: datetime = earned["entry"]["occurred_at"]
    balance = session.ledger.balance({"customer_id": customer["id"]})
    page = session.ledger.history(customer_id=customer["id"], limit=10)
    for item in page["items"]:
        print(item["type"], item["points"], when, key)
    quote = session.purchase.dry_run(amount=1250, currency="EUR")
    print(quote["points"])
    session.purchase.return_(order_id="o-1")
    session.tier.policy_get()
    return balance["available"] + earned["balance"]["balance"]
'''

BAD = '''
import loyalty

def run(session: loyalty.Session) -> None:
    session.ledger.earn(customer_id="cus_x", points="many")
    balance = session.ledger.balance(customer_id="cus_x")
    balance["no_such_key"]
    text: str = balance["available"]
    session.ledger.earn({"customer_id": "cus_x", "pointz": 1})
'''


def check(tmp_path, name, source):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    out, err, status = mypy_api.run([str(path), "--strict", "--no-incremental", "--python-executable", sys.executable,
                                     "--follow-imports=silent", "--show-error-codes", "--no-error-summary"])
    return status, out + err


def test_a_typed_program_checks_clean(tmp_path):
    status, out = check(tmp_path, "good.py", GOOD)
    assert status == 0, out


def test_wrong_types_and_keys_are_reported(tmp_path):
    status, out = check(tmp_path, "bad.py", BAD)
    assert status == 1, out
    lines = out.splitlines()
    assert any(":5:" in line and "points" in line and "arg-type" in line for line in lines), out
    assert any(":7:" in line and "no_such_key" in line for line in lines), out
    assert any(":8:" in line and "assignment" in line for line in lines), out
    assert any(":9:" in line and "LedgerEarnInput" in line for line in lines), out
