// C ABI, loyalty.h "Locations and check-ins": loy_location_* and loy_checkin_*.
#include <string>

#include "capi_support.hpp"

using namespace capitest;

TEST_CASE("locations: the location and check-in functions refuse NULL arguments, malformed JSON and unknown fields") {
  World w;
  for (const auto& prefix : {"location.", "checkin."})
    for (const auto& op : ops_with_prefix(kSessionOps, prefix)) {
      check_null_arguments(op.fn, w.session, op.name,
                           json{{"name", "n"}, {"lat", 1}, {"lon", 1}, {"geofence", {{"radius_m", 10}}}}.dump());
      check_input_contract(op.fn, w.session, op.name);
    }
  CHECK(ok(loy_location_list, w.session, json::object())["items"].empty());
  CHECK(ok(loy_checkin_list, w.session, json::object())["items"].empty());
}

TEST_CASE("locations: create a fence, check in through the C ABI, errors name the field") {
  World w;
  const std::string cus = ok(loy_customer_enroll, w.session, json{{"external_id", "c1"}})["id"];
  json loc = ok(loy_location_create, w.session,
                json{{"name", "Shop"},
                     {"lat", 69.6492},
                     {"lon", 18.9553},
                     {"geofence", {{"radius_m", 100}}},
                     {"checkin", {{"points", 5}}}});
  CHECK(loc["id"].get<std::string>().rfind("loc_", 0) == 0);
  CHECK(ok(loy_location_get, w.session, json{{"id", loc["id"]}}) == loc);
  json r = ok(loy_checkin_submit, w.session,
              json{{"customer_id", cus}, {"lat", 69.6492}, {"lon", 18.9553}, {"accuracy_m", 5}});
  CHECK(r["checkin"]["status"] == "verified");
  CHECK(r["earn"]["entry"]["points"] == 5);
  CHECK(ok(loy_checkin_get, w.session, json{{"id", r["checkin"]["id"]}}) == r["checkin"]);
  CHECK(ok(loy_location_nearby, w.session, json{{"lat", 69.6492}, {"lon", 18.96}, {"radius_m", 500}})["items"].size() ==
        1);
  json area = {{"type", "Polygon"},
               {"coordinates", {json::array({{18.9, 69.6}, {19.0, 69.6}, {19.0, 69.7}, {18.9, 69.7}, {18.9, 69.6}})}}};
  CHECK(ok(loy_location_within, w.session, json{{"area", area}})["items"].size() == 1);
  CHECK(ok(loy_location_update, w.session, json{{"id", loc["id"]}, {"name", "Shop 2"}})["name"] == "Shop 2");
  CHECK(ok(loy_location_deactivate, w.session, json{{"id", loc["id"]}})["active"] == false);

  Failure f = fail(loy_location_create, w.session,
                   json{{"name", "Bad"}, {"lat", 0}, {"lon", 0}, {"geofence", {{"radius_m", 0}}}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "geofence.radius_m");
  f = fail(loy_location_create, w.session,
           json{{"name", "Bow"},
                {"lat", 0},
                {"lon", 0},
                {"geofence",
                 {{"type", "Polygon"}, {"coordinates", {json::array({{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}})}}}}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "geofence.coordinates[0]");
  f = fail(loy_checkin_submit, w.session,
           json{{"customer_id", cus}, {"location_id", "loc_missing"}, {"lat", 1}, {"lon", 1}, {"accuracy_m", 5}});
  CHECK(f.rc == LOY_ENOTFOUND);
  CHECK(f.field() == "location_id");
  f = fail(loy_checkin_get, w.session, json{{"id", "chk_missing"}});
  CHECK(f.rc == LOY_ENOTFOUND);
  CHECK(ok(loy_location_list, w.session, json::object())["items"].size() == 1);
}
