"""Quickstart: a tenant, a program, a customer; earn, replay, return, history, verify.

Run:  python examples/python/01_quickstart.py [DATABASE_FILE]
(after `pip install ./bindings/python`; without an argument the database is in memory).
"""

import sys
from datetime import datetime, timezone

import loyalty

uri = sys.argv[1] if len(sys.argv) > 1 else ":memory:"

with loyalty.Engine.open(uri, admin_key="quickstart-admin-credential-0123") as engine:
    # The engine administrator creates tenants; each comes with a first admin-scoped API key.
    created = engine.admin().tenant.create(name=f"Coffee {datetime.now(timezone.utc):%H%M%S%f}")
    api_key = created["api_key"]["key"]  # shown once: store it safely

    with engine.session(api_key) as shop:
        shop.program.create(name="Beans", currency="EUR", return_policy="within_balance")
        alice = shop.customer.enroll(external_id="alice@example.com")

        # Earn with an idempotency key: retrying the same request is exactly-once.
        order = {"customer_id": alice["id"], "points": 100, "idempotency_key": "order-1001",
                 "occurred_at": datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)}
        earned = shop.ledger.earn(order)
        again = shop.ledger.earn(order)
        assert again["replayed"] and again["entry"]["id"] == earned["entry"]["id"]
        print("earned:", earned["entry"]["points"], "at", earned["entry"]["occurred_at"].isoformat())

        # The same key with another payload is a conflict naming the field.
        try:
            shop.ledger.earn(order, points=150)
        except loyalty.ConflictError as e:
            print("conflict on field:", e.field)

        # A partial return reverses 30 points of that purchase.
        shop.ledger.reverse(entry_id=earned["entry"]["id"], points=30, idempotency_key="return-1001")
        balance = shop.ledger.balance(customer_id=alice["id"])
        print("balance after the return:", balance["balance"])

        for entry in shop.ledger.history(customer_id=alice["id"])["items"]:
            print(f"  {entry['type']:8} {entry['points']:5}")

        try:
            shop.hold.create(customer_id=alice["id"], points=1000, ttl_seconds=600)
        except loyalty.InsufficientPointsError as e:
            print("cannot hold 1000 points; available:", e.detail["available"])

        assert shop.ledger.verify()["ok"]
        print("ledger verified")
