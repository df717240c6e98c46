// Conformance suite of LocationStore (src/storage/module_store.hpp): locations, their spatial
// questions and generation, and check-ins with their rule rows, checked through the interface
// alone, once per backend.
#include <tuple>

#include "locations/location_store.hpp"
#include "store_backends.hpp"

using namespace loytest;
using loyalty::Timestamp;
using loyalty::storage::CheckinQuery;
using loyalty::storage::CheckinRecord;
using loyalty::storage::CheckinRuleRecord;
using loyalty::storage::GeoBox;
using loyalty::storage::LocationRecord;
using loyalty::storage::LocationShape;
using loyalty::storage::LocationStore;
using loyalty::storage::LocationUpdate;
using loyalty::storage::TxMode;

namespace {

constexpr Timestamp T = kStart;

LocationRecord location(const std::string& id, const std::string& tenant, double lat, double lon, bool active = true) {
  return {id,
          tenant,
          "Shop " + id,
          "1 Main St",
          lat,
          lon,
          R"({"type":"circle","radius_m":100})",
          R"({"points":5})",
          R"({"k":1})",
          active,
          T,
          T + 1,
          0};
}

// A square of `half` degrees around the point, as GeoJSON and as its box.
LocationShape square(double lat, double lon, double half = 0.01) {
  const auto c = [](double x, double y) { return "[" + std::to_string(x) + "," + std::to_string(y) + "]"; };
  const double w = lon - half, e = lon + half, s = lat - half, n = lat + half;
  return {R"({"type":"Polygon","coordinates":[[)" + c(w, s) + "," + c(e, s) + "," + c(e, n) + "," + c(w, n) + "," +
              c(w, s) + "]]}",
          {w, e, s, n}};
}

CheckinRecord checkin(const std::string& id, const std::string& tenant, const std::string& customer,
                      std::optional<std::string> loc, Timestamp at, const std::string& status = "verified",
                      const std::string& flags = "[]") {
  return {id,
          tenant,
          customer,
          std::move(loc),
          1.5,
          2.5,
          30,
          R"({"os":"x"})",
          false,
          at,
          status,
          status == "rejected" ? std::optional<std::string>("no_fence") : std::nullopt,
          flags,
          12.5,
          std::nullopt,
          0,
          std::nullopt,
          T + 9,
          0};
}

auto columns(const LocationRecord& l) {
  return std::tie(l.id, l.tenant_id, l.name, l.address, l.lat, l.lon, l.fence, l.checkin, l.metadata, l.active,
                  l.created_at, l.updated_at);
}

std::vector<std::string> ids(const std::vector<LocationRecord>& v) { return pluck(v, &LocationRecord::id); }
std::vector<std::string> ids(const std::vector<CheckinRecord>& v) { return pluck(v, &CheckinRecord::id); }

}  // namespace

TEST_CASE("location store: locations keep their ids and are found only in their tenant") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    LocationStore& s = tx->locations();
    s.insert_location(location("loc_a", f.tenant, 10, 20), square(10, 20));
    const LocationRecord a = s.location(f.tenant, "loc_a").value();
    LocationRecord expect = location("loc_a", f.tenant, 10, 20);
    expect.updated_at = T;  // a new location's updated_at is its created_at
    CHECK(columns(a) == columns(expect));
    CHECK(a.seq > 0);
    CHECK(!s.location(f.other_tenant, "loc_a"));
    CHECK(s.location_active(f.tenant, "loc_a") == true);
    CHECK(!s.location_active(f.other_tenant, "loc_a"));
    CHECK(!s.location_active(f.tenant, "loc_unknown"));
    LOY_REQUIRE_ERROR(s.insert_location(location("loc_a", f.other_tenant, 1, 1), square(1, 1)), Status::conflict, "");

    s.insert_location(location("loc_b", f.tenant, 10, 20, false), square(10, 20));
    CHECK(s.location(f.tenant, "loc_b")->seq > a.seq);
    CHECK(s.location_active(f.tenant, "loc_b") == false);
  });
}

TEST_CASE("location store: pages of limit + 1 in creation order, filtered by state, in their tenant") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    LocationStore& s = tx->locations();
    s.insert_location(location("loc_1", f.tenant, 1, 1), square(1, 1));
    s.insert_location(location("loc_x", f.other_tenant, 1, 1), square(1, 1));
    s.insert_location(location("loc_2", f.tenant, 2, 2, false), square(2, 2));
    s.insert_location(location("loc_3", f.tenant, 3, 3), square(3, 3));
    CHECK(ids(s.locations(f.tenant, 0, std::nullopt, 10)) == std::vector<std::string>{"loc_1", "loc_2", "loc_3"});
    const auto page = s.locations(f.tenant, 0, std::nullopt, 1);
    CHECK(ids(page) == std::vector<std::string>{"loc_1", "loc_2"});  // limit + 1
    CHECK(ids(s.locations(f.tenant, page[0].seq, std::nullopt, 1)) == std::vector<std::string>{"loc_2", "loc_3"});
    CHECK(ids(s.locations(f.tenant, 0, true, 10)) == std::vector<std::string>{"loc_1", "loc_3"});
    CHECK(ids(s.locations(f.tenant, 0, false, 10)) == std::vector<std::string>{"loc_2"});
    CHECK(ids(s.active_locations(f.tenant)) == std::vector<std::string>{"loc_1", "loc_3"});
    CHECK(ids(s.active_locations(f.other_tenant)) == std::vector<std::string>{"loc_x"});
  });
}

TEST_CASE("location store: updates keep absent fields, move the shape, and stay in their tenant") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    LocationStore& s = tx->locations();
    s.insert_location(location("loc_u", f.tenant, 10, 20), square(10, 20));
    LocationRecord expect = s.location(f.tenant, "loc_u").value();
    LocationUpdate u{
        f.tenant,     "loc_u",      "Renamed",      std::nullopt, 40, 50, R"({"type":"circle","radius_m":7})",
        std::nullopt, std::nullopt, square(40, 50), T + 5};
    s.update_location(u);
    expect.name = "Renamed";
    expect.lat = 40;
    expect.lon = 50;
    expect.fence = R"({"type":"circle","radius_m":7})";
    expect.updated_at = T + 5;
    CHECK(columns(s.location(f.tenant, "loc_u").value()) == columns(expect));  // address, policy, metadata kept
    // The box moved with the shape.
    CHECK(ids(s.active_in_box(f.tenant, {49.9, 50.1, 39.9, 40.1})) == std::vector<std::string>{"loc_u"});
    CHECK(s.active_in_box(f.tenant, {19.9, 20.1, 9.9, 10.1}).empty());

    u = {f.tenant,     "loc_u",           std::nullopt, "2 High St",    40,   50,
         expect.fence, R"({"points":9})", R"({"k":2})", square(40, 50), T + 6};
    s.update_location(u);
    const LocationRecord l = s.location(f.tenant, "loc_u").value();
    CHECK(l.name == "Renamed");
    CHECK(l.address == "2 High St");
    CHECK(l.checkin == R"({"points":9})");
    CHECK(l.metadata == R"({"k":2})");

    u.tenant_id = f.other_tenant;  // another tenant's update changes nothing, its shape included
    u.name = "Stolen";
    u.lat = 0;
    u.shape = square(0, 0);
    s.update_location(u);
    CHECK(s.location(f.tenant, "loc_u")->name == "Renamed");
    CHECK(s.location(f.tenant, "loc_u")->lat == 40);
    CHECK(ids(s.active_in_box(f.tenant, {49.9, 50.1, 39.9, 40.1})) == std::vector<std::string>{"loc_u"});

    s.deactivate_location(f.other_tenant, "loc_u", T + 7);
    CHECK(s.location(f.tenant, "loc_u")->active);
    s.deactivate_location(f.tenant, "loc_u", T + 8);
    CHECK(!s.location(f.tenant, "loc_u")->active);
    CHECK(s.location(f.tenant, "loc_u")->updated_at == T + 8);
  });
}

TEST_CASE("location store: boxes find the tenant's active locations, across the antimeridian too") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    LocationStore& s = tx->locations();
    s.insert_location(location("loc_1", f.tenant, 10, 20), square(10, 20));
    s.insert_location(location("loc_2", f.tenant, 10, 20.005), square(10, 20.005));
    s.insert_location(location("loc_off", f.tenant, 10, 20, false), square(10, 20));
    s.insert_location(location("loc_x", f.other_tenant, 10, 20), square(10, 20));
    s.insert_location(location("loc_far", f.tenant, -10, -20), square(-10, -20));
    s.insert_location(location("loc_east", f.tenant, 0, 179.995), square(0, 179.995));
    CHECK(ids(s.active_in_box(f.tenant, {19.99, 20.0, 9.99, 10.01})) == std::vector<std::string>{"loc_1", "loc_2"});
    CHECK(ids(s.active_in_box(f.other_tenant, {19.99, 20.0, 9.99, 10.01})) == std::vector<std::string>{"loc_x"});
    // A box running past +180 meets a location just east of -180 and one just west of +180.
    s.insert_location(location("loc_west", f.tenant, 0, -179.995), square(0, -179.995));
    CHECK(ids(s.active_in_box(f.tenant, {179.9, 180.1, -0.1, 0.1})) ==
          std::vector<std::string>{"loc_east", "loc_west"});
    CHECK(ids(s.active_in_box(f.tenant, {-180.1, -179.9, -0.1, 0.1})) ==
          std::vector<std::string>{"loc_east", "loc_west"});

    // Intersection with an area: a polygon touching loc_1's square only.
    const std::string area = square(10, 19.985, 0.006).geojson;
    const GeoBox area_box = square(10, 19.985, 0.006).box;
    CHECK(s.intersecting(f.tenant, area_box, area) == std::vector<std::string>{"loc_1"});
    CHECK(s.intersecting(f.other_tenant, area_box, area) == std::vector<std::string>{"loc_x"});
    // A triangle whose box meets loc_far's square while the triangle itself stays clear of it.
    const std::string triangle =
        R"({"type":"Polygon","coordinates":[[[-19.995,-9.9],[-19.9,-9.9],[-19.9,-10.005],[-19.995,-9.9]]]})";
    const GeoBox triangle_box{-19.995, -19.9, -10.005, -9.9};
    CHECK(ids(s.active_in_box(f.tenant, triangle_box)) == std::vector<std::string>{"loc_far"});
    CHECK(s.intersecting(f.tenant, triangle_box, triangle).empty());
  });
}

TEST_CASE("location store: the generation counts bumps per tenant") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    LocationStore& s = tx->locations();
    CHECK(s.generation(f.tenant) == 0);
    s.bump_generation(f.tenant);
    s.bump_generation(f.tenant);
    CHECK(s.generation(f.tenant) == 2);
    CHECK(s.generation(f.other_tenant) == 0);
    s.bump_generation(f.other_tenant);
    CHECK(s.generation(f.other_tenant) == 1);
    CHECK(s.generation(f.tenant) == 2);
  });
}

TEST_CASE("location store: check-ins keep their ids, are found only in their tenant, and page in order") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    LocationStore& s = tx->locations();
    s.insert_checkin(checkin("chk_1", f.tenant, f.alice, "loc_a", T));
    s.insert_checkin(checkin("chk_2", f.tenant, f.bob, std::nullopt, T + 1, "rejected"));
    s.insert_checkin(checkin("chk_x", f.other_tenant, "cus_x", "loc_a", T));
    s.insert_checkin(checkin("chk_3", f.tenant, f.alice, "loc_b", T + 2, "verified", R"(["too_fast"])"));
    s.insert_checkin(checkin("chk_4", f.tenant, f.alice, "loc_a", T + 3));
    LOY_REQUIRE_ERROR(s.insert_checkin(checkin("chk_1", f.tenant, f.bob, "loc_a", T)), Status::conflict, "");

    const CheckinRecord c = s.checkin(f.tenant, "chk_2").value();
    CHECK(c.customer_id == f.bob);
    CHECK(!c.location_id);
    CHECK(c.lat == 1.5);
    CHECK(c.lon == 2.5);
    CHECK(c.accuracy_m == 30);
    CHECK(c.device == R"({"os":"x"})");
    CHECK(c.occurred_at == T + 1);
    CHECK(c.status == "rejected");
    CHECK(c.reason == "no_fence");
    CHECK(c.flags == "[]");
    CHECK(c.distance_m == 12.5);
    CHECK(!c.speed_kmh);
    CHECK(c.points == 0);
    CHECK(!c.entry_id);
    CHECK(c.created_at == T + 9);
    CHECK(!s.checkin(f.other_tenant, "chk_2"));

    CheckinQuery q{f.tenant, 0, std::nullopt, std::nullopt, std::nullopt, false, 10};
    CHECK(ids(s.checkins(q)) == std::vector<std::string>{"chk_1", "chk_2", "chk_3", "chk_4"});
    q.limit = 2;
    const auto page = s.checkins(q);
    CHECK(ids(page) == std::vector<std::string>{"chk_1", "chk_2", "chk_3"});  // limit + 1
    q.after_seq = page[1].seq;
    CHECK(ids(s.checkins(q)) == std::vector<std::string>{"chk_3", "chk_4"});
    q = {f.tenant, 0, f.alice, "loc_a", std::nullopt, false, 10};
    CHECK(ids(s.checkins(q)) == std::vector<std::string>{"chk_1", "chk_4"});
    q = {f.tenant, 0, std::nullopt, std::nullopt, "rejected", false, 10};
    CHECK(ids(s.checkins(q)) == std::vector<std::string>{"chk_2"});
    q = {f.tenant, 0, std::nullopt, std::nullopt, std::nullopt, true, 10};  // the signals
    CHECK(ids(s.checkins(q)) == std::vector<std::string>{"chk_2", "chk_3"});
    q = {f.other_tenant, 0, std::nullopt, std::nullopt, std::nullopt, false, 10};
    CHECK(ids(s.checkins(q)) == std::vector<std::string>{"chk_x"});

    s.set_checkin_earn(f.other_tenant, "chk_1", 50, "ent_stolen");  // another tenant's: no change
    CHECK(s.checkin(f.tenant, "chk_1")->points == 0);
    s.set_checkin_earn(f.tenant, "chk_1", 50, "ent_1");
    CHECK(s.checkin(f.tenant, "chk_1")->points == 50);
    CHECK(s.checkin(f.tenant, "chk_1")->entry_id == "ent_1");
  });
}

TEST_CASE("location store: rule rows of a whole page in one call, by check-in then rule, in their tenant") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    LocationStore& s = tx->locations();
    s.insert_checkin(checkin("chk_1", f.tenant, f.alice, "loc_a", T));
    s.insert_checkin(checkin("chk_2", f.tenant, f.alice, "loc_a", T + 1));
    s.insert_checkin(checkin("chk_3", f.tenant, f.alice, "loc_a", T + 2));
    s.insert_checkin(checkin("chk_x", f.other_tenant, "cus_x", "loc_a", T));
    s.add_checkin_rule({"chk_2", "rul_b", 2, 20});
    s.add_checkin_rule({"chk_2", "rul_a", 1, 10});
    s.add_checkin_rule({"chk_1", "rul_c", 3, 30});
    s.add_checkin_rule({"chk_x", "rul_a", 1, 99});
    LOY_REQUIRE_ERROR(s.add_checkin_rule({"chk_2", "rul_a", 2, 11}), Status::conflict, "");

    const auto rows = s.checkin_rules(f.tenant, {"chk_3", "chk_2", "chk_1", "chk_x"});
    std::vector<std::tuple<std::string, std::string, int64_t, int64_t>> got;
    for (const CheckinRuleRecord& r : rows) got.emplace_back(r.checkin_id, r.rule_id, r.rule_version, r.points);
    CHECK(got == decltype(got){{"chk_1", "rul_c", 3, 30}, {"chk_2", "rul_a", 1, 10}, {"chk_2", "rul_b", 2, 20}});
    CHECK(s.checkin_rules(f.tenant, {"chk_3"}).empty());
    CHECK(s.checkin_rules(f.tenant, {}).empty());
    CHECK(s.checkin_rules(f.other_tenant, {"chk_1", "chk_2"}).empty());
    CHECK(s.checkin_rules(f.other_tenant, {"chk_x"}).size() == 1);
  });
}

TEST_CASE("location store: the verified neighbours in time and the cooldown question") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    LocationStore& s = tx->locations();
    auto at = [&](const std::string& id, Timestamp t, double lat, const std::string& status = "verified") {
      CheckinRecord c = checkin(id, f.tenant, f.alice, "loc_a", t, status);
      c.lat = lat;
      s.insert_checkin(c);
    };
    at("chk_1", T + 10, 1);
    at("chk_2", T + 20, 2);
    at("chk_3", T + 20, 3);  // the same time, created later
    at("chk_r", T + 25, 9, "rejected");
    at("chk_4", T + 30, 4);
    CHECK(s.verified_before(f.alice, T + 20)->lat == 3);  // at or before: the latest created among equals
    CHECK(s.verified_before(f.alice, T + 29)->lat == 3);  // rejected ones do not count
    CHECK(s.verified_before(f.alice, T + 19)->lat == 1);
    CHECK(s.verified_before(f.alice, T + 10)->occurred_at == T + 10);
    CHECK(!s.verified_before(f.alice, T + 9));
    CHECK(s.verified_after(f.alice, T + 10)->lat == 2);  // strictly after: the first created among equals
    CHECK(s.verified_after(f.alice, T + 20)->lat == 4);
    CHECK(!s.verified_after(f.alice, T + 30));
    CHECK(!s.verified_before(f.bob, T + 100));
    const auto v = s.verified_after(f.alice, T + 21).value();
    CHECK(v.lon == 2.5);
    CHECK(v.accuracy_m == 30);

    CHECK(s.verified_between(f.alice, "loc_a", T + 9, T + 11));
    CHECK(!s.verified_between(f.alice, "loc_a", T + 10, T + 11));  // bounds excluded
    CHECK(!s.verified_between(f.alice, "loc_a", T + 9, T + 10));
    CHECK(!s.verified_between(f.alice, "loc_a", T + 24, T + 26));  // rejected
    CHECK(!s.verified_between(f.alice, "loc_b", T, T + 100));
    CHECK(!s.verified_between(f.bob, "loc_a", T, T + 100));
  });
}

TEST_CASE("location store: a unit of work rolled back leaves nothing") {
  each_backend([](StoreFixture& f) {
    {
      auto tx = f.begin();
      tx->locations().insert_location(location("loc_rb", f.tenant, 1, 1), square(1, 1));
      tx->locations().bump_generation(f.tenant);
      tx->locations().insert_checkin(checkin("chk_rb", f.tenant, f.alice, "loc_rb", T));
      tx->locations().add_checkin_rule({"chk_rb", "rul_a", 1, 1});
    }
    auto tx = f.begin(TxMode::read);
    CHECK(!tx->locations().location(f.tenant, "loc_rb"));
    CHECK(tx->locations().active_in_box(f.tenant, square(1, 1).box).empty());
    CHECK(tx->locations().generation(f.tenant) == 0);
    CHECK(!tx->locations().checkin(f.tenant, "chk_rb"));
    CHECK(!tx->locations().verified_before(f.alice, T));
  });
}
