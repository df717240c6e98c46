"""Programs, rules (with dry-run) and tiers."""

import pytest

pytestmark = pytest.mark.django_db


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
