// Check-ins: every verification rule with its reason code, points through the ledger,
// idempotency, fraud-signal listing, tenancy, and 10,000 synthetic pairs of known speed.
#include <cmath>
#include <random>

#include "fixture.hpp"
#include "geo/geo.hpp"

using namespace loytest;
namespace geo = loyalty::geo;

namespace {
constexpr double kLat = 69.6492, kLon = 18.9553;  // Tromso

json submit(const World& w, const std::string& cus, geo::LatLon p, double acc, json extra = json::object()) {
  json in = {{"customer_id", cus}, {"lat", p.lat}, {"lon", p.lon}, {"accuracy_m", acc}};
  in.update(extra);
  return w.call("checkin.submit", in);
}
std::string reason(const json& r) {
  return r["checkin"]["reason"].is_null() ? "" : r["checkin"]["reason"].get<std::string>();
}
}  // namespace

TEST_CASE("checkins: inside verified, outside rejected, the accuracy circle may reach the fence") {
  World w;
  const std::string cus = w.enroll("c1");
  const json loc = w.call("location.create", {{"name", "Shop"},
                                              {"lat", kLat},
                                              {"lon", kLon},
                                              {"geofence", {{"radius_m", 100}}},
                                              {"checkin", {{"cooldown_s", 0}}}});
  const geo::LatLon c{kLat, kLon};
  json r = submit(w, cus, c, 10, {{"device", {{"os", "android"}}}});
  CHECK(r["checkin"]["status"] == "verified");
  CHECK(r["checkin"]["location_id"] == loc["id"]);
  CHECK(r["checkin"]["distance_m"] == 0.0);
  CHECK(r["checkin"]["device"]["os"] == "android");
  w.clock->advance(3'600'000);
  // 130 m from the centre: 30 m outside. Accuracy 40 m reaches the fence, 20 m does not.
  const geo::LatLon out30 = geo::destination(c, 90, 130);
  CHECK(submit(w, cus, out30, 40)["checkin"]["status"] == "verified");
  w.clock->advance(3'600'000);
  json o = submit(w, cus, out30, 20, {{"location_id", loc["id"]}});
  CHECK(o["checkin"]["status"] == "rejected");
  CHECK(reason(o) == "outside_fence");
  CHECK(o["checkin"]["distance_m"].get<double>() == doctest::Approx(30).epsilon(1e-6));
  // Without a location id the engine finds no fence within 20 m.
  CHECK(reason(submit(w, cus, out30, 20)) == "no_fence");
  // Accuracy worse than the location's maximum (100 m).
  CHECK(reason(submit(w, cus, c, 150, {{"location_id", loc["id"]}})) == "low_accuracy");
  CHECK(reason(submit(w, cus, c, 5, {{"mock", true}})) == "mock_location");
  w.call("location.deactivate", {{"id", loc["id"]}});
  CHECK(reason(submit(w, cus, c, 5, {{"location_id", loc["id"]}})) == "location_inactive");
  CHECK(reason(submit(w, cus, c, 5)) == "no_fence");
  // Every submission is stored; rejected ones are the fraud signals.
  json all = w.call("checkin.list", {{"customer_id", cus}});
  CHECK(all["items"].size() == 8);
  json sig = w.call("checkin.list", {{"signals", true}});
  CHECK(sig["items"].size() == 6);
  for (const auto& s : sig["items"]) CHECK(s["status"] == "rejected");
  for (const auto& s : all["items"]) CHECK(s["rules"] == json::array());  // no location rules paid
  CHECK(w.call("checkin.get", {{"id", o["checkin"]["id"]}}) == o["checkin"]);
}

TEST_CASE("checkins: the engine picks the fence containing the point among overlapping ones") {
  World w;
  const std::string cus = w.enroll("c1");
  const json big =
      w.call("location.create", {{"name", "Mall"}, {"lat", kLat}, {"lon", kLon}, {"geofence", {{"radius_m", 500}}}});
  const geo::LatLon shop_at = geo::destination({kLat, kLon}, 0, 300);
  const json shop =
      w.call("location.create",
             {{"name", "Shop"}, {"lat", shop_at.lat}, {"lon", shop_at.lon}, {"geofence", {{"radius_m", 50}}}});
  json r = submit(w, cus, shop_at, 5);
  CHECK(r["checkin"]["location_id"] == shop["id"]);  // inside both: the nearer centre wins
  w.clock->advance(7'200'000);
  r = submit(w, cus, {kLat, kLon}, 5);
  CHECK(r["checkin"]["location_id"] == big["id"]);
  // A polygon with a hole: in the hole is not inside.
  const json ring = {{kLon + 0.02, kLat + 0.02},
                     {kLon + 0.04, kLat + 0.02},
                     {kLon + 0.04, kLat + 0.03},
                     {kLon + 0.02, kLat + 0.03},
                     {kLon + 0.02, kLat + 0.02}};
  const json hole = {{kLon + 0.029, kLat + 0.024},
                     {kLon + 0.031, kLat + 0.024},
                     {kLon + 0.031, kLat + 0.026},
                     {kLon + 0.029, kLat + 0.026},
                     {kLon + 0.029, kLat + 0.024}};
  const json park = w.call("location.create", {{"name", "Park"},
                                               {"lat", kLat + 0.025},
                                               {"lon", kLon + 0.025},
                                               {"geofence", {{"type", "Polygon"}, {"coordinates", {ring, hole}}}}});
  w.clock->advance(7'200'000);
  CHECK(reason(submit(w, cus, {kLat + 0.025, kLon + 0.030}, 5)) == "no_fence");
  r = submit(w, cus, {kLat + 0.025, kLon + 0.035}, 5);
  CHECK(r["checkin"]["location_id"] == park["id"]);
}

TEST_CASE("checkins: cooldown per location and customer, implausible speed rejected or flagged") {
  World w;
  const std::string cus = w.enroll("c1"), other = w.enroll("c2");
  const json a = w.call("location.create", {{"name", "A"},
                                            {"lat", kLat},
                                            {"lon", kLon},
                                            {"geofence", {{"radius_m", 100}}},
                                            {"checkin", {{"cooldown_s", 3600}}}});
  // 100 km south of A.
  const geo::LatLon b_at = geo::destination({kLat, kLon}, 180, 100'000);
  const json b = w.call("location.create", {{"name", "B"},
                                            {"lat", b_at.lat},
                                            {"lon", b_at.lon},
                                            {"geofence", {{"radius_m", 100}}},
                                            {"checkin", {{"max_speed_kmh", 200}, {"cooldown_s", 0}}}});
  CHECK(submit(w, cus, {kLat, kLon}, 5)["checkin"]["status"] == "verified");
  w.clock->advance(1'800'000);
  CHECK(reason(submit(w, cus, {kLat, kLon}, 5)) == "cooldown");
  CHECK(submit(w, other, {kLat, kLon}, 5)["checkin"]["status"] == "verified");  // another customer
  // 100 km in 30 minutes (+ the 30 above): 100 km/h, under B's 200 km/h.
  w.clock->advance(1'800'000);
  json ok = submit(w, cus, b_at, 5);
  CHECK(ok["checkin"]["status"] == "verified");
  CHECK(ok["checkin"]["speed_kmh"].get<double>() == doctest::Approx(99.99).epsilon(1e-3));
  // Back to A 20 minutes later: 300 km/h > A's default 900? No: under 900, verified.
  w.clock->advance(1'200'000);
  CHECK(submit(w, cus, {kLat, kLon}, 5)["checkin"]["status"] == "verified");
  // And to B again 10 minutes later: 600 km/h > 200 km/h.
  w.clock->advance(600'000);
  json fast = submit(w, cus, b_at, 5);
  CHECK(reason(fast) == "too_fast");
  CHECK(fast["checkin"]["speed_kmh"].get<double>() > 590);
  // In flag mode the check-in is verified but carries the flag and is listed as a signal.
  w.call("location.update",
         {{"id", b["id"]}, {"checkin", {{"max_speed_kmh", 200}, {"speed_action", "flag"}, {"cooldown_s", 0}}}});
  json flagged = submit(w, cus, b_at, 5);
  CHECK(flagged["checkin"]["status"] == "verified");
  CHECK(flagged["checkin"]["flags"] == json::array({"too_fast"}));
  bool listed = false;
  const json sigs = w.call("checkin.list", {{"signals", true}});
  INFO(sigs.dump());
  for (const auto& s : sigs["items"]) listed = listed || s["id"] == flagged["checkin"]["id"];
  CHECK(listed);
  (void)a;
}

TEST_CASE("checkins: points through the ledger in the same transaction, exactly once") {
  World w;
  const std::string cus = w.enroll("c1");
  const json loc = w.call("location.create", {{"name", "Shop"},
                                              {"lat", kLat},
                                              {"lon", kLon},
                                              {"geofence", {{"radius_m", 100}}},
                                              {"checkin", {{"points", 25}}}});
  const json in = {
      {"customer_id", cus}, {"lat", kLat}, {"lon", kLon}, {"accuracy_m", 5}, {"idempotency_key", "visit-1"}};
  json r = w.call("checkin.submit", in);
  CHECK(r["checkin"]["points"] == 25);
  CHECK(r["earn"]["entry"]["points"] == 25);
  CHECK(r["checkin"]["entry_id"] == r["earn"]["entry"]["id"]);
  CHECK(w.balance(cus)["balance"] == 25);
  json again = w.call("checkin.submit", in);
  CHECK(again["replayed"] == true);
  CHECK(again["checkin"] == r["checkin"]);
  CHECK(w.balance(cus)["balance"] == 25);
  json changed = in;
  changed["lat"] = kLat + 0.0001;
  LOY_REQUIRE_ERROR(w.call("checkin.submit", changed), Status::conflict, "lat");
  // A rejected check-in earns nothing.
  w.clock->advance(60'000);
  json cool = submit(w, cus, {kLat, kLon}, 5);
  CHECK(reason(cool) == "cooldown");
  CHECK(cool["earn"].is_null());
  CHECK(w.balance(cus)["balance"] == 25);
  CHECK(w.call("checkin.list", {{"customer_id", cus}})["items"].size() == 2);
  w.require_verified();
  (void)loc;
}

TEST_CASE("checkins: bad input is refused naming the field and stores nothing") {
  World w;
  const std::string cus = w.enroll("c1");
  const json ok = {{"customer_id", cus}, {"lat", 1}, {"lon", 1}, {"accuracy_m", 5}};
  auto bad = [&](const char* key, json value, const char* field) {
    json in = ok;
    in[key] = value;
    LOY_REQUIRE_ERROR(w.call("checkin.submit", in), Status::invalid, field);
  };
  bad("lat", -91, "lat");
  bad("lon", 200, "lon");
  bad("accuracy_m", -1, "accuracy_m");
  bad("accuracy_m", "5", "accuracy_m");
  bad("mock", "yes", "mock");
  bad("device", json::array(), "device");
  bad("occurred_at", "2030-01-01T00:00:00Z", "occurred_at");
  bad("occurred_at", loyalty::format_time(kStart + 5 * 60'000 + 1000), "occurred_at");  // over 5 minutes ahead
  bad("speed", 3, "speed");
  LOY_REQUIRE_ERROR(w.call("checkin.submit", {{"customer_id", "cus_none"}, {"lat", 1}, {"lon", 1}, {"accuracy_m", 5}}),
                    Status::not_found, "customer_id");
  LOY_REQUIRE_ERROR(
      w.call("checkin.submit",
             {{"customer_id", cus}, {"location_id", "loc_none"}, {"lat", 1}, {"lon", 1}, {"accuracy_m", 5}}),
      Status::not_found, "location_id");
  LOY_REQUIRE_ERROR(w.call("checkin.get", {{"id", "chk_none"}}), Status::not_found, "id");
  LOY_REQUIRE_ERROR(w.call("checkin.list", {{"status", "maybe"}}), Status::invalid, "status");
  CHECK(w.call("checkin.list", json::object())["items"].empty());
  json at_bound = ok;
  at_bound["occurred_at"] = loyalty::format_time(kStart + 5 * 60'000);  // exactly 5 minutes ahead: clock skew
  CHECK(w.call("checkin.submit", at_bound)["checkin"]["occurred_at"] == "2026-03-01T12:05:00.000Z");
}

TEST_CASE("checkins: a check-in never matches another tenant's fence") {
  World w;
  auto [b, b_program] = w.other_tenant("Tenant B");
  const std::string b_cus = b.call("customer.enroll", {{"external_id", "b1"}})["id"];
  const json a_loc =
      w.call("location.create", {{"name", "A shop"}, {"lat", 0}, {"lon", 179.99}, {"geofence", {{"radius_m", 5000}}}});
  json r = b.call("checkin.submit", {{"customer_id", b_cus}, {"lat", 0}, {"lon", 179.99}, {"accuracy_m", 5}});
  CHECK(reason(r) == "no_fence");
  CHECK(r["checkin"]["location_id"].is_null());
  const json b_loc =
      b.call("location.create", {{"name", "B shop"}, {"lat", 0}, {"lon", -179.99}, {"geofence", {{"radius_m", 5000}}}});
  r = b.call("checkin.submit", {{"customer_id", b_cus}, {"lat", 0}, {"lon", 179.99}, {"accuracy_m", 5}});
  CHECK(r["checkin"]["location_id"] == b_loc["id"]);  // B's own fence across the antimeridian
  CHECK(b.call("location.list", json::object())["items"].size() == 1);
  CHECK(b.call("location.nearby", {{"lat", 0}, {"lon", 179.99}, {"radius_m", 10000}})["items"].size() == 1);
  CHECK(w.call("checkin.list", json::object())["items"].empty());
  (void)a_loc;
}

TEST_CASE("checkins: 10,000 synthetic pairs of known speed, all above 2x flagged, none below half") {
  World w;
  constexpr double kMax = 900;  // km/h, the default plausible speed
  // Large fences at 69.6 N, the equator and across the antimeridian; no cooldown.
  const geo::LatLon centres[] = {{69.6, 18.9}, {0, 0}, {0, 180}, {-45, 170}};
  for (const auto& c : centres)
    w.call("location.create", {{"name", "zone"},
                               {"lat", c.lat},
                               {"lon", geo::wrap_lon(c.lon)},
                               {"geofence", {{"radius_m", 50'000}}},
                               {"checkin", {{"cooldown_s", 0}}}});
  std::vector<std::string> customers;
  for (int i = 0; i < 20; ++i) customers.push_back(w.enroll("p" + std::to_string(i)));
  std::mt19937_64 rng(2026);
  std::uniform_real_distribution<double> u(0, 1);
  int fast_total = 0, fast_flagged = 0, slow_total = 0, slow_flagged = 0;
  for (int n = 0; n < 10'000; ++n) {
    const std::string& cus = customers[n % customers.size()];
    const geo::LatLon c = centres[n % 4];
    const geo::LatLon a = geo::destination({c.lat, geo::wrap_lon(c.lon)}, 360 * u(rng), 20'000 * u(rng));
    const double d = 1'000 + 19'000 * u(rng);
    const geo::LatLon b = geo::destination(a, 360 * u(rng), d);
    const double speed = kMax * std::exp(std::log(0.1) + (std::log(4.0) - std::log(0.1)) * u(rng));  // 0.1x to 4x
    // Each pair a day after the previous pair of this customer, so pairs do not interact.
    w.clock->advance(86'400'000 / static_cast<int64_t>(customers.size()) + 1);
    json first = submit(w, cus, a, 0);
    REQUIRE(first["checkin"]["status"] == "verified");
    const auto dt_ms = static_cast<int64_t>(std::llround(d / 1000.0 / speed * 3'600'000.0));
    w.clock->advance(dt_ms);
    json second = submit(w, cus, b, 0);
    const bool flagged = reason(second) == "too_fast";
    if (!flagged) REQUIRE(second["checkin"]["status"] == "verified");
    if (speed > 2 * kMax) {
      ++fast_total;
      fast_flagged += flagged;
    } else if (speed < kMax / 2) {
      ++slow_total;
      slow_flagged += flagged;
    }
  }
  CHECK(fast_total > 1500);
  CHECK(slow_total > 4000);
  CHECK(fast_flagged == fast_total);
  CHECK(slow_flagged == 0);
}
