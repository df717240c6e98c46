"""Cross-cutting behaviour: authentication required, tenant resolution and its check against the token, another tenant's ids (404), idempotency scopes, the schema and the docs page."""

import json

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


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


def test_super_admin_without_tenant_gets_400_naming_it(env):
    r = env.client("super_admin", tenant=False).get("/api/admin/customers/")
    assert r.status_code == 400 and r.data["field"] == "tenant"


def test_schema_and_docs_are_served_without_internet_assets(db):
    c = APIClient()
    s = c.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert s.status_code == 200
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
