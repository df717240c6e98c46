"""Rewards: catalogue, redemption and reservation with Idempotency-Key, coupons for cashiers, admin CRUD and stock."""

import pytest

pytestmark = pytest.mark.django_db


def test_rewards_redeem_with_idempotency(env):
    reward = env.engine_session.reward.create(name="Coffee", cost_points=50, stock=5)
    env.earn(200)
    c = env.client("customer")
    lst = c.get("/api/rewards/")
    assert lst.status_code == 200 and [r["id"] for r in lst.data["results"]] == [reward["id"]]
    assert c.get(f"/api/rewards/{reward['id']}/").status_code == 200
    r1 = c.post(f"/api/rewards/{reward['id']}/redeem/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert r1.status_code == 201, r1.data
    r2 = c.post(f"/api/rewards/{reward['id']}/redeem/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert r2.status_code == 201 and r2.data == r1.data and r2["Idempotent-Replayed"] == "true"
    assert c.get("/api/points/balance/").data["available"] == 150
    conflict = c.post(f"/api/rewards/{reward['id']}/redeem/", {"metadata": {"x": 1}}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert conflict.status_code == 409
    reds = c.get("/api/redemptions/")
    assert reds.data["count"] == 1 and reds.data["results"][0]["status"] == "fulfilled"
    res = c.post(f"/api/rewards/{reward['id']}/redeem/", {"reserve": True}, format="json")
    assert res.status_code == 201, res.data
    code = res.data["redemption"]["coupon_code"]
    assert c.get("/api/points/balance/").data["held"] == 50
    # The cashier finds and fulfils the coupon.
    staff = env.client("staff")
    assert staff.get(f"/api/coupons/{code}/").data["id"] == res.data["redemption"]["id"]
    f = staff.post(f"/api/coupons/{code}/fulfil/", {}, format="json")
    assert f.status_code == 200, f.data
    assert staff.get(f"/api/coupons/{code}/").data["status"] == "fulfilled"
    assert c.get(f"/api/coupons/{code}/").status_code == 403


def test_redeem_insufficient_points_is_409(env):
    reward = env.engine_session.reward.create(name="Big", cost_points=10000, stock=5)
    r = env.client("customer").post(f"/api/rewards/{reward['id']}/redeem/", {}, format="json")
    assert r.status_code == 409 and r.data["code"] == "insufficient"


def test_rewards_admin_and_stock(env):
    c = env.client("tenant_admin")
    r = c.post("/api/admin/rewards/", {"name": "Mug", "cost_points": 300, "stock": 3}, format="json")
    assert r.status_code == 201
    rid = r.data["id"]
    s1 = c.post(f"/api/admin/rewards/{rid}/stock/", {"delta": 2, "reason": "delivery"}, format="json", HTTP_IDEMPOTENCY_KEY="s1")
    s2 = c.post(f"/api/admin/rewards/{rid}/stock/", {"delta": 2, "reason": "delivery"}, format="json", HTTP_IDEMPOTENCY_KEY="s1")
    assert s1.status_code == 200 and s1.data == s2.data and s1.data["stock"] == 5
    assert c.post(f"/api/admin/rewards/{rid}/stock/", {"delta": 3, "reason": "delivery"}, format="json", HTTP_IDEMPOTENCY_KEY="s1").status_code == 409
    assert c.patch(f"/api/admin/rewards/{rid}/", {"cost_points": -1}, format="json").data["field"] == "cost_points"
    assert env.client("staff").post(f"/api/admin/rewards/{rid}/stock/", {"delta": 1}, format="json").status_code == 403
