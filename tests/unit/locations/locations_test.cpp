// Locations: CRUD with validation and audit, nearby/within queries, and the fence snapshot
// staying correct when another engine (another process) changes the locations.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "fixture.hpp"
#include "geo/geo.hpp"

using namespace loytest;
namespace geo = loyalty::geo;

namespace {
json square(double x0, double y0, double x1, double y1) {
  return json::array({json::array({{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}})});
}
json circle_loc(const std::string& name, double lat, double lon, double r, json extra = json::object()) {
  json j = {{"name", name}, {"lat", lat}, {"lon", lon}, {"geofence", {{"radius_m", r}}}};
  j.update(extra);
  return j;
}
size_t count(const World& w) { return w.call("location.list", json::object())["items"].size(); }
}  // namespace

TEST_CASE("locations: create, get, list, update and deactivate, each audited") {
  World w;
  json a = w.call("location.create", circle_loc("Tromso", 69.6492, 18.9553, 120,
                                                {{"address", "Storgata 1"}, {"checkin", {{"cooldown_s", 600}}}}));
  CHECK(a["geofence"] == json{{"type", "circle"}, {"radius_m", 120.0}});
  CHECK(a["checkin"]["cooldown_s"] == 600);
  CHECK(a["checkin"]["max_accuracy_m"] == 100.0);
  CHECK(a["active"] == true);
  const json poly = {{"type", "Polygon"}, {"coordinates", square(2.0, 48.0, 2.01, 48.01)}};
  json b = w.call("location.create", {{"name", "Paris"}, {"lat", 48.005}, {"lon", 2.005}, {"geofence", poly}});
  CHECK(b["geofence"] == poly);
  CHECK(w.call("location.get", {{"id", a["id"]}}) == a);
  json page1 = w.call("location.list", {{"limit", 1}});
  CHECK(page1["items"].size() == 1);
  CHECK(page1["items"][0]["id"] == a["id"]);
  json page2 = w.call("location.list", {{"limit", 1}, {"cursor", page1["next_cursor"]}});
  CHECK(page2["items"][0]["id"] == b["id"]);
  CHECK(page2["next_cursor"].is_null());

  w.clock->advance(1000);
  json u = w.call("location.update", {{"id", a["id"]}, {"name", "Tromso sentrum"}, {"geofence", {{"radius_m", 80}}}});
  CHECK(u["name"] == "Tromso sentrum");
  CHECK(u["geofence"]["radius_m"] == 80.0);
  CHECK(u["address"] == "Storgata 1");
  CHECK(u["updated_at"] != a["updated_at"]);
  json d = w.call("location.deactivate", {{"id", b["id"]}});
  CHECK(d["active"] == false);
  CHECK(w.call("location.list", {{"active", true}})["items"].size() == 1);

  json audit = w.call("audit.list", {{"limit", 100}});
  std::vector<std::string> actions;
  for (const auto& r : audit["items"]) actions.push_back(r["action"]);
  CHECK(std::count(actions.begin(), actions.end(), "location.create") == 2);
  CHECK(std::count(actions.begin(), actions.end(), "location.update") == 1);
  CHECK(std::count(actions.begin(), actions.end(), "location.deactivate") == 1);
  CHECK(w.call("audit.verify", json::object())["ok"] == true);
  LOY_REQUIRE_ERROR(w.call("location.get", {{"id", "loc_nothing"}}), Status::not_found, "id");
}

TEST_CASE("locations: bad input is refused naming the field, and nothing is stored") {
  World w;
  const json ok = circle_loc("Shop", 10, 10, 100);
  auto bad = [&](json change, const std::string& field) {
    json in = ok;
    for (auto& [k, v] : change.items()) {
      if (v.is_null())
        in.erase(k);
      else
        in[k] = v;
    }
    CAPTURE(in.dump());
    LOY_REQUIRE_ERROR(w.call("location.create", in), Status::invalid, field);
  };
  bad({{"lat", 90.5}}, "lat");
  bad({{"lon", -180.01}}, "lon");
  bad({{"lat", "north"}}, "lat");
  bad({{"lat", nullptr}}, "lat");
  bad({{"geofence", {{"radius_m", 0}}}}, "geofence.radius_m");
  bad({{"geofence", {{"radius_m", -3}}}}, "geofence.radius_m");
  bad({{"geofence", {{"radius_m", 1e7}}}}, "geofence.radius_m");
  bad({{"geofence", {{"radius_m", 10}, {"x", 1}}}}, "geofence.x");
  bad({{"geofence", {{"type", "Polygon"}, {"coordinates", {json::array({{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}})}}}}},
      "geofence.coordinates[0]");
  bad({{"geofence", {{"type", "Polygon"}, {"coordinates", {json::array({{0, 0}, {1, 0}, {1, 1}, {0, 1}})}}}}},
      "geofence.coordinates[0]");
  bad({{"geofence", {{"type", "Polygon"}, {"coordinates", {json::array({{0, 0}, {1, 0}, {1, 91}, {0, 0}})}}}}},
      "geofence.coordinates[0][2][1]");
  bad({{"checkin", {{"cooldown_s", -1}}}}, "checkin.cooldown_s");
  bad({{"checkin", {{"speed_action", "ignore"}}}}, "checkin.speed_action");
  bad({{"checkin", {{"max_accuracy_m", 0}}}}, "checkin.max_accuracy_m");
  bad({{"colour", "red"}}, "colour");
  LOY_REQUIRE_ERROR(w.call("location.create", circle_loc("S", 1, 1, 10, {{"checkin", {{"program_id", "prg_none"}}}})),
                    Status::not_found, "checkin.program_id");
  CHECK(count(w) == 0);
  CHECK(w.call("audit.list", {{"action", "location.create"}})["items"].empty());
  // An update with a bad fence changes nothing either.
  const json a = w.call("location.create", ok);
  LOY_REQUIRE_ERROR(w.call("location.update", {{"id", a["id"]}, {"geofence", {{"radius_m", 0}}}}), Status::invalid,
                    "geofence.radius_m");
  CHECK(w.call("location.get", {{"id", a["id"]}}) == a);
}

TEST_CASE("locations: nearby is geodesic, nearest first, and works across the antimeridian") {
  World w;
  const json east = w.call("location.create", circle_loc("East", 0, 179.99, 50));
  const json west = w.call("location.create", circle_loc("West", 0, -179.99, 50));
  const json far = w.call("location.create", circle_loc("Far", 0, 170, 50));
  const json tromso = w.call("location.create", circle_loc("Tromso", 69.6492, 18.9553, 50));
  json r = w.call("location.nearby", {{"lat", 0}, {"lon", -179.995}, {"radius_m", 3000}});
  REQUIRE(r["items"].size() == 2);
  CHECK(r["items"][0]["id"] == west["id"]);
  CHECK(r["items"][1]["id"] == east["id"]);
  CHECK(r["items"][0]["distance_m"].get<double>() == doctest::Approx(556.6).epsilon(1e-3));
  CHECK(r["items"][1]["distance_m"].get<double>() == doctest::Approx(1669.8).epsilon(1e-3));
  CHECK(r["items"][0]["fence_distance_m"].get<double>() == doctest::Approx(506.6).epsilon(1e-3));
  // 69.6 N: 0.01 degree of longitude is only about 388 m.
  json t = w.call("location.nearby", {{"lat", 69.6492}, {"lon", 18.9653}, {"radius_m", 400}});
  REQUIRE(t["items"].size() == 1);
  CHECK(t["items"][0]["id"] == tromso["id"]);
  CHECK(w.call("location.nearby", {{"lat", 69.6492}, {"lon", 18.9653}, {"radius_m", 380}})["items"].empty());
  w.call("location.deactivate", {{"id", west["id"]}});
  CHECK(w.call("location.nearby", {{"lat", 0}, {"lon", -179.995}, {"radius_m", 3000}})["items"].size() == 1);
  (void)far;
  LOY_REQUIRE_ERROR(w.call("location.nearby", {{"lat", 0}, {"lon", 0}, {"radius_m", -1}}), Status::invalid, "radius_m");
}

TEST_CASE("locations: within an area, by point or by fence intersection (SpatiaLite)") {
  World w;
  const json in = w.call("location.create", circle_loc("In", 48.005, 2.005, 100));
  const json edge = w.call("location.create", circle_loc("Edge", 48.005, 2.0105, 100));  // centre 37 m outside
  w.call("location.create", circle_loc("Out", 48.5, 2.5, 100));
  const json area = {{"type", "Polygon"}, {"coordinates", square(2.0, 48.0, 2.01, 48.01)}};
  json p = w.call("location.within", {{"area", area}});
  REQUIRE(p["items"].size() == 1);
  CHECK(p["items"][0]["id"] == in["id"]);
  json x = w.call("location.within", {{"area", area}, {"mode", "intersects"}});
  REQUIRE(x["items"].size() == 2);
  CHECK(x["items"][1]["id"] == edge["id"]);
  LOY_REQUIRE_ERROR(w.call("location.within",
                           {{"area", {{"type", "Polygon"}, {"coordinates", {json::array({{0, 0}, {1, 0}, {1, 1}})}}}}}),
                    Status::invalid, "area.coordinates[0]");
}

TEST_CASE("locations: a check-in sees locations changed by another engine on the same file") {
  TempDir dir;
  World w(json::object(), "sqlite://" + dir.db(), loyalty::SyncMode::normal);
  const std::string cus = w.enroll("c1");
  json first = w.call("checkin.submit", {{"customer_id", cus}, {"lat", 10}, {"lon", 10}, {"accuracy_m", 5}});
  CHECK(first["checkin"]["reason"] == "no_fence");  // the snapshot is now built (empty)
  {
    loyalty::EngineOptions o;
    o.storage.uri = "sqlite://" + dir.db();
    o.clock = w.clock;
    loyalty::Engine other = loyalty::Engine::open(o);
    loyalty::Session s = other.session(w.tenant["api_key"]["key"].get<std::string>());
    s.call("location.create", circle_loc("New", 10, 10, 100));
  }
  w.clock->advance(3'600'000);
  json second = w.call("checkin.submit", {{"customer_id", cus}, {"lat", 10}, {"lon", 10}, {"accuracy_m", 5}});
  CHECK(second["checkin"]["status"] == "verified");
}

TEST_CASE("locations: check-ins on several threads while locations change see a consistent index") {
  TempDir dir;
  World w(json::object(), "sqlite://" + dir.db(), loyalty::SyncMode::normal);
  const std::string key = w.tenant["api_key"]["key"].get<std::string>();
  std::vector<std::string> customers;
  for (int t = 0; t < 3; ++t) customers.push_back(w.enroll("t" + std::to_string(t)));
  w.call("location.create", circle_loc("Base", 10, 10, 200, {{"checkin", {{"cooldown_s", 0}}}}));
  std::atomic<int> verified{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      try {
        loyalty::Session s = w.engine.session(key);
        for (int n = 0; n < 60; ++n) {
          json r = s.call("checkin.submit", {{"customer_id", customers[t]},
                                             {"lat", 10},
                                             {"lon", 10},
                                             {"accuracy_m", 5},
                                             {"idempotency_key", fmt::format("t{}-{}", t, n)}});
          if (r["checkin"]["status"] == "verified") ++verified;
        }
      } catch (...) {
        ++failures;
      }
    });
  // Meanwhile the location set keeps changing: new fences elsewhere, and one moving in and out.
  const std::string mover = w.call("location.create", circle_loc("Mover", 20, 20, 100))["id"];
  for (int n = 0; n < 30; ++n) {
    w.call("location.create", circle_loc("Other " + std::to_string(n), 30, 30 + n * 0.01, 100));
    w.call("location.update", {{"id", mover}, {"lat", n % 2 ? 10.0005 : 20.0}, {"lon", 10}});
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(verified == 180);  // the base fence is always there
  // Afterwards the index reflects the last state: the mover sits at 10.0005 N (n = 29 is odd).
  json r = w.call("checkin.submit", {{"customer_id", customers[0]}, {"lat", 10.0005}, {"lon", 10}, {"accuracy_m", 1}});
  CHECK(r["checkin"]["location_id"] == mover);
}
