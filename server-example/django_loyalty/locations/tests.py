"""Locations: check-ins and admin CRUD with radius and polygon geofences."""

import pytest

pytestmark = pytest.mark.django_db


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


def test_locations_admin_with_polygon(env):
    c = env.client("tenant_admin")
    poly = {"type": "Polygon", "coordinates": [[[4.0, 52.0], [4.1, 52.0], [4.1, 52.1], [4.0, 52.1], [4.0, 52.0]]]}
    r = c.post("/api/admin/locations/", {"name": "Poly", "lat": 52.05, "lon": 4.05, "geofence": poly}, format="json")
    assert r.status_code == 201, r.data
    assert c.get("/api/admin/locations/").data["count"] == 1
    assert c.patch(f"/api/admin/locations/{r.data['id']}/", {"name": "Renamed"}, format="json").data["name"] == "Renamed"
    assert c.post("/api/admin/locations/", {"name": "Bad", "lat": 95, "lon": 4}, format="json").data["field"] == "lat"
