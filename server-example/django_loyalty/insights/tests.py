"""AI insights for customers: recommendations and feedback."""

import pytest

pytestmark = pytest.mark.django_db


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
