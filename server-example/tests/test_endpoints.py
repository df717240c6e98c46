"""Every domain's endpoints: happy path, roles allowed and refused, another tenant's ids (404),
bad input (400 naming the field), idempotent replays and conflicts, tenant checks, audit."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

ADMINS = ("super_admin", "tenant_admin")


def test_unauthenticated_is_401(env):
    for path in ("/api/points/balance/", "/api/admin/customers/", "/api/admin/rules/", "/api/auth/user/"):
        assert env.client(None).get(path).status_code == 401, path


def test_token_of_another_tenant_is_403(env, other):
    c = env.client("customer", tenant=False)
    c.credentials(HTTP_AUTHORIZATION=c._credentials["HTTP_AUTHORIZATION"], HTTP_X_TENANT=other.slug)
    r = c.get("/api/points/balance/")
    assert r.status_code == 403 and "tenant" in r.data["detail"]


def test_tenant_from_subdomain(env, other):
    c = env.client("customer", tenant=False)
    assert c.get("/api/points/balance/", HTTP_HOST=f"{env.slug}.localhost").status_code == 200
    assert c.get("/api/points/balance/", HTTP_HOST=f"{other.slug}.localhost").status_code == 403


# ---- customer-facing


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


def test_other_tenants_ids_are_404(env, other):
    reward = other.engine_session.reward.create(name="Theirs", cost_points=1, stock=5)
    loc = other.engine_session.location.create(name="L", lat=1.0, lon=1.0, geofence={"radius_m": 100})
    c = env.client("customer")
    assert c.get(f"/api/rewards/{reward['id']}/").status_code == 404
    assert c.post(f"/api/rewards/{reward['id']}/redeem/", {}, format="json").status_code == 404
    a = env.client("tenant_admin")
    for path in (f"/api/admin/customers/{other.customer['id']}/", f"/api/admin/rewards/{reward['id']}/",
                 f"/api/admin/locations/{loc['id']}/", f"/api/admin/programs/{other.program['id']}/"):
        assert a.get(path).status_code == 404, path
    r = a.post(f"/api/admin/customers/{other.customer['id']}/adjust-points/", {"points": 5, "reason": "x"}, format="json")
    assert r.status_code == 404
    assert a.get(f"/api/admin/tenants/{other.tenant.pk}/").status_code == 404


def test_checkin(env):
    loc = env.engine_session.location.create(name="Shop", lat=52.37, lon=4.89, geofence={"radius_m": 150},
                                              checkin={"points": 10, "cooldown_s": 3600})
    c = env.client("customer")
    r = c.post("/api/checkin/", {"location_id": loc["id"], "lat": 52.37, "lon": 4.89, "accuracy_m": 10}, format="json")
    assert r.status_code == 201, r.data
    assert c.get("/api/points/balance/").data["available"] == 10
    bad = c.post("/api/checkin/", {"location_id": loc["id"], "lat": 200, "lon": 4.89, "accuracy_m": 10}, format="json")
    assert bad.status_code == 400 and bad.data["field"] == "lat"
    assert c.post("/api/checkin/", {"customer_id": "x", "lat": 1, "lon": 1, "accuracy_m": 1}, format="json").data["field"] == "customer_id"
    assert c.get("/api/locations/").data["count"] == 1


def test_tiers_and_current_tier(env):
    s = env.engine_session
    s.tier.policy_set(metric="points", window={"kind": "rolling_months", "months": 12})
    s.tier.create(name="Bronze", rank=1, threshold=0)
    s.tier.create(name="Gold", rank=2, threshold=100)
    env.earn(150)
    c = env.client("customer")
    assert [t["name"] for t in c.get("/api/tiers/").data["items"]] == ["Bronze", "Gold"]
    cur = c.get("/api/tiers/current/")
    assert cur.status_code == 200, cur.data


def test_recommendations_and_feedback(env):
    env.engine_session.reward.create(name="Coffee", cost_points=50, stock=5)
    env.earn(100)
    c = env.client("customer")
    r = c.get("/api/recommendations/")
    assert r.status_code == 200 and "output" in r.data
    assert c.post("/api/feedback/", {"text": "Great coffee"}, format="json").status_code == 201
    assert c.post("/api/feedback/", {}, format="json").data["field"] == "text"
    f = env.client("tenant_admin").get("/api/admin/insights/feedback/")
    assert f.status_code == 200 and len(f.data["output"]["items"]) == 1


# ---- admin


@pytest.mark.parametrize("role,code", [("super_admin", 200), ("tenant_admin", 200), ("staff", 200), ("customer", 403)])
def test_admin_customers_list_roles(env, role, code):
    r = env.client(role).get("/api/admin/customers/")
    assert r.status_code == code
    if code == 200:
        assert r.data["count"] == 1 and r.data["results"][0]["id"] == env.customer["id"]


def test_super_admin_without_tenant_gets_400_naming_it(env):
    r = env.client("super_admin", tenant=False).get("/api/admin/customers/")
    assert r.status_code == 400 and r.data["field"] == "tenant"


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


def test_programs_rules_dry_run(env):
    c = env.client("tenant_admin")
    lst = c.get("/api/admin/programs/")
    assert lst.status_code == 200 and lst.data["count"] == 1
    p = c.patch(f"/api/admin/programs/{env.program['id']}/", {"description": "Updated"}, format="json")
    assert p.status_code == 200 and p.data["description"] == "Updated"
    r = c.post("/api/admin/rules/", {"name": "Big basket", "conditions": {"fact": "purchase.amount", "operator": "gte", "value": 1000},
                                     "actions": [{"type": "fixed", "points": 50}]}, format="json")
    assert r.status_code == 201, r.data
    rid = r.data["id"]
    assert c.get(f"/api/admin/rules/{rid}/").status_code == 200
    assert c.patch(f"/api/admin/rules/{rid}/", {"priority": 5}, format="json").data["priority"] == 5
    bad = c.post("/api/admin/rules/", {"name": "x", "actions": [{"type": "teleport"}]}, format="json")
    assert bad.status_code == 400 and bad.data["field"].startswith("actions")
    dry = c.post("/api/admin/rules/dry-run/", {"customer_id": env.customer["id"], "amount": 2000}, format="json")
    assert dry.status_code == 200 and dry.data["dry_run"] is True and dry.data["points"] == 70
    assert env.engine_session.ledger.balance(customer_id=env.customer["id"])["available"] == 0
    assert c.post(f"/api/admin/rules/{rid}/deactivate/").status_code == 200
    assert env.client("staff").post("/api/admin/rules/", {"name": "y", "actions": []}, format="json").status_code == 403
    assert env.client("staff").get("/api/admin/rules/").status_code == 200


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


def test_locations_admin_with_polygon(env):
    c = env.client("tenant_admin")
    poly = {"type": "Polygon", "coordinates": [[[4.0, 52.0], [4.1, 52.0], [4.1, 52.1], [4.0, 52.1], [4.0, 52.0]]]}
    r = c.post("/api/admin/locations/", {"name": "Poly", "lat": 52.05, "lon": 4.05, "geofence": poly}, format="json")
    assert r.status_code == 201, r.data
    assert c.get("/api/admin/locations/").data["count"] == 1
    assert c.patch(f"/api/admin/locations/{r.data['id']}/", {"name": "Renamed"}, format="json").data["name"] == "Renamed"
    assert c.post("/api/admin/locations/", {"name": "Bad", "lat": 95, "lon": 4}, format="json").data["field"] == "lat"


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


def test_tenants_super_admin_only(env):
    sa = env.client("super_admin", tenant=False)
    lst = sa.get("/api/admin/tenants/")
    assert lst.status_code == 200 and lst.data["count"] >= 1
    import uuid

    slug = "n" + uuid.uuid4().hex[:8]
    r = sa.post("/api/admin/tenants/", {"name": "New", "slug": slug}, format="json")
    assert r.status_code == 201 and r.data["slug"] == slug
    assert sa.post("/api/admin/tenants/", {"name": "New", "slug": slug}, format="json").data["field"] == "slug"
    assert sa.post("/api/admin/tenants/", {"slug": "x"}, format="json").data["field"] == "name"
    ta = env.client("tenant_admin")
    assert ta.get("/api/admin/tenants/").status_code == 403
    assert ta.get(f"/api/admin/tenants/{env.tenant.pk}/").status_code == 200
    assert ta.patch(f"/api/admin/tenants/{env.tenant.pk}/", {"name": "Renamed"}, format="json").data["engine"]["name"] == "Renamed"
    assert env.client("customer").get(f"/api/admin/tenants/{env.tenant.pk}/").status_code == 403


def test_analytics_and_insights(env):
    env.earn(100)
    c = env.client("tenant_admin")
    o = c.get("/api/admin/analytics/overview/")
    assert o.status_code == 200 and o.data["customers"] == 1 and o.data["points_issued"] == 100
    assert c.get("/api/admin/analytics/engagement/").status_code == 200
    assert c.get("/api/admin/analytics/redemptions/").data["redemptions"] == 0
    assert c.get("/api/admin/insights/segments/").status_code == 200
    ch = c.get("/api/admin/insights/churn/")
    assert ch.status_code == 200 and ch.data["count"] == 1
    assert c.get("/api/admin/insights/locations/").status_code == 200
    assert c.get("/api/admin/insights/locations/", {"window_days": "x"}).data["field"] == "window_days"
    assert env.client("staff").get("/api/admin/analytics/overview/").status_code == 403


def test_events_feed_is_a_cursor(env):
    env.earn(10)
    env.earn(20)
    c = env.client("tenant_admin")
    first = c.get("/api/admin/events/", {"limit": 1})
    assert first.status_code == 200 and len(first.data["events"]) == 1
    nxt = c.get("/api/admin/events/", {"after": first.data["next"], "limit": 100})
    assert nxt.status_code == 200 and first.data["events"][0]["id"] not in [e["id"] for e in nxt.data["events"]]


def test_staff_user_creation(env):
    c = env.client("tenant_admin")
    r = c.post("/api/admin/users/", {"username": "cashier-" + env.slug, "email": "c@example.com", "password": "a-long-password-1",
                                     "role": "staff"}, format="json")
    assert r.status_code == 201 and r.data["totp_secret"] is None
    assert c.post("/api/admin/users/", {"username": "z", "email": "z@example.com", "password": "p", "role": "god"},
                  format="json").data["field"] == "role"


def test_schema_and_docs_are_served_without_internet_assets(db):
    c = APIClient()
    s = c.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert s.status_code == 200
    import json

    doc = json.loads(s.content)
    assert doc["openapi"].startswith("3.1")
    paths = doc["paths"]
    for p in ("/api/auth/login/", "/api/points/balance/", "/api/admin/customers/{id}/adjust-points/", "/api/pos/purchases/",
              "/api/admin/rules/dry-run/", "/api/admin/audit/verify/", "/api/admin/events/"):
        assert p in paths, p
    # Bodies of pass-through endpoints come from the engine's catalogue.
    adj = paths["/api/admin/customers/{id}/adjust-points/"]["post"]
    body = adj["requestBody"]["content"]["application/json"]["schema"]
    assert "points" in body["properties"] and "customer_id" not in body["properties"]
    d = c.get("/api/docs/")
    assert d.status_code == 200
    html = d.content.decode()
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html


def test_idempotency_keys_are_per_caller(env):
    # Two tills may pick the same Idempotency-Key: each has its own (the scope is the API key).
    a, b = env.pos_client(), env.pos_client()
    body = {"customer_id": env.customer["id"], "items": [{"sku": "x", "quantity": 1, "unit_price": 500}]}
    r1 = a.post("/api/pos/purchases/", dict(body, order_id="till-a-1"), format="json", HTTP_IDEMPOTENCY_KEY="1")
    r2 = b.post("/api/pos/purchases/", dict(body, order_id="till-b-1"), format="json", HTTP_IDEMPOTENCY_KEY="1")
    assert r1.status_code == r2.status_code == 201
    assert r1.data["purchase"]["order_id"] == "till-a-1" and r2.data["purchase"]["order_id"] == "till-b-1"
