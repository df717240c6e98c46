"""Customers: the customer's profile, balance and history; the admin's list, adjust-points (audited with the acting user), tier assignment; POS purchases and returns."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_customer_balance_history_profile(env):
    env.earn(120)
    c = env.client("customer")
    b = c.get("/api/points/balance/")
    assert b.status_code == 200 and b.data["available"] == 120
    h = c.get("/api/points/history/")
    assert h.status_code == 200 and h.data["count"] == 1 and set(h.data) == {"count", "next", "previous", "results"}
    p = c.patch("/api/profile/", {"profile": {"name": "Alice"}}, format="json")
    assert p.status_code == 200 and p.data["profile"]["name"] == "Alice"
    bad = c.patch("/api/profile/", {"profile": "not an object"}, format="json")
    assert bad.status_code == 400 and bad.data["field"] == "profile"
    assert c.patch("/api/profile/", {"id": "x"}, format="json").data["field"] == "id"


@pytest.mark.parametrize("role", ["staff", "tenant_admin"])
def test_customer_endpoints_refuse_other_roles(env, role):
    assert env.client(role).get("/api/points/balance/").status_code == 403


@pytest.mark.parametrize("role,code", [("super_admin", 200), ("tenant_admin", 200), ("staff", 200), ("customer", 403)])
def test_admin_customers_list_roles(env, role, code):
    r = env.client(role).get("/api/admin/customers/")
    assert r.status_code == code
    if code == 200:
        assert r.data["count"] == 1 and r.data["results"][0]["id"] == env.customer["id"]


@pytest.mark.parametrize("role,code", [("tenant_admin", 200), ("super_admin", 200), ("staff", 403), ("customer", 403)])
def test_adjust_points_roles_and_audit(env, role, code):
    c = env.client(role)
    r = c.post(f"/api/admin/customers/{env.customer['id']}/adjust-points/", {"points": 40, "reason": "goodwill"}, format="json")
    assert r.status_code == code, r.data
    if code == 200:
        assert r.data["balance"]["available"] == 40
        audit = env.client("tenant_admin").get("/api/admin/audit/", {"action": "ledger.adjust"})
        assert audit.status_code == 200
        row = audit.data["results"][0]
        assert row["user"] == env.users[role].username
        v = env.client("tenant_admin").get("/api/admin/audit/verify/")
        assert v.status_code == 200 and v.data["ok"] is True


def test_adjust_points_idempotency_and_bad_input(env):
    c = env.client("tenant_admin")
    url = f"/api/admin/customers/{env.customer['id']}/adjust-points/"
    a = c.post(url, {"points": 5, "reason": "r"}, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    b = c.post(url, {"points": 5, "reason": "r"}, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")
    assert a.status_code == b.status_code == 200 and a.data == b.data
    assert c.post(url, {"points": 6, "reason": "r"}, format="json", HTTP_IDEMPOTENCY_KEY="adj-1").status_code == 409
    assert env.engine_session.ledger.balance(customer_id=env.customer["id"])["available"] == 5
    bad = c.post(url, {"points": "many", "reason": "r"}, format="json")
    assert bad.status_code == 400 and bad.data["field"] == "points"
    unknown = c.post(url, {"points": 1, "reason": "r", "bogus": 1}, format="json")
    assert unknown.status_code == 400 and unknown.data["field"] == "bogus"


def test_tier_assignment(env):
    s = env.engine_session
    s.tier.policy_set(metric="points", window={"kind": "rolling_months", "months": 12})
    s.tier.create(name="Bronze", rank=1, threshold=0)
    gold = s.tier.create(name="Gold", rank=2, threshold=100000)
    c = env.client("tenant_admin")
    r = c.post(f"/api/admin/customers/{env.customer['id']}/tier/", {"tier_id": gold["id"], "reason": "VIP"}, format="json")
    assert r.status_code == 200, r.data
    assert r.data["tier"]["name"] == "Gold"


def test_pos_purchase_and_return_with_api_key(env):
    pos = env.pos_client()
    body = {"order_id": "o-1", "customer_id": env.customer["id"],
            "items": [{"sku": "latte", "quantity": 2, "unit_price": 350}]}
    r = pos.post("/api/pos/purchases/", body, format="json", HTTP_IDEMPOTENCY_KEY="p1")
    assert r.status_code == 201 and r.data["points"] == 7
    again = pos.post("/api/pos/purchases/", body, format="json", HTTP_IDEMPOTENCY_KEY="p1")
    assert again.data == r.data
    assert pos.post("/api/pos/purchases/", dict(body, order_id="o-2"), format="json", HTTP_IDEMPOTENCY_KEY="p1").status_code == 409
    ret = pos.post("/api/pos/returns/", {"order_id": "o-1", "items": [{"sku": "latte", "quantity": 1}], "return_id": "r1"}, format="json")
    assert ret.status_code == 201, ret.data
    assert env.engine_session.ledger.balance(customer_id=env.customer["id"])["balance"] == 4
    bad = pos.post("/api/pos/purchases/", {"order_id": "o-3", "customer_id": env.customer["id"], "amount": -5}, format="json")
    assert bad.status_code == 400 and bad.data["field"] == "amount"
    bogus = APIClient()
    bogus.credentials(HTTP_AUTHORIZATION="Api-Key loy_nope")
    assert bogus.post("/api/pos/purchases/", body, format="json").status_code == 401
    # A POS key cannot reach admin or customer endpoints.
    assert pos.get("/api/admin/customers/").status_code == 403
    assert pos.get("/api/points/balance/").status_code == 403
