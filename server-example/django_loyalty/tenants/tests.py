"""Tenants (super admin), staff users, the event feed."""

import uuid

import pytest

pytestmark = pytest.mark.django_db


def test_tenants_super_admin_only(env):
    sa = env.client("super_admin", tenant=False)
    lst = sa.get("/api/admin/tenants/")
    assert lst.status_code == 200 and lst.data["count"] >= 1
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
