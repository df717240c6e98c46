"""Analytics and the admin insights endpoints."""

import pytest

pytestmark = pytest.mark.django_db


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
