// Location rules: rules with "trigger": "checkin" run for verified check-ins, inside the
// check-in's transaction, with check-in facts (first visit, visits at the location, check-ins in
// the last N days); check-in facts feed purchase rules too. Validation keeps the two kinds apart.
#include <atomic>
#include <thread>

#include "fixture.hpp"
#include "geo/geo.hpp"

using namespace loytest;
namespace geo = loyalty::geo;

namespace {
constexpr double kLat = 48.8566, kLon = 2.3522;  // Paris
constexpr int64_t kHourMs = 3'600'000;

json make_location(const World& w, const std::string& name, geo::LatLon at, json checkin = json::object()) {
  if (!checkin.contains("cooldown_s")) checkin["cooldown_s"] = 0;
  return w.call(
      "location.create",
      {{"name", name}, {"lat", at.lat}, {"lon", at.lon}, {"geofence", {{"radius_m", 100}}}, {"checkin", checkin}});
}

json check_in(const World& w, const std::string& cus, geo::LatLon at, json extra = json::object()) {
  json in = {{"customer_id", cus}, {"lat", at.lat}, {"lon", at.lon}, {"accuracy_m", 5}};
  in.update(extra);
  return w.call("checkin.submit", in);
}

json checkin_rule(const std::string& name, json conditions, int64_t points, json extra = json::object()) {
  json r = {{"name", name}, {"trigger", "checkin"}, {"actions", {{{"type", "fixed"}, {"points", points}}}}};
  if (!conditions.is_null()) r["conditions"] = conditions;
  r.update(extra);
  return r;
}

json leaf(const std::string& fact, const std::string& op, json value, json extra = json::object()) {
  json c = {{"fact", fact}, {"operator", op}, {"value", value}};
  c.update(extra);
  return c;
}

const json& rule_trace(const json& explain, const std::string& id) {
  for (const auto& r : explain["rules"])
    if (r["rule_id"] == id) return r;
  FAIL("rule not in the trace: " << id);
  static const json none;
  return none;
}
}  // namespace

TEST_CASE("location rules: validation keeps purchase facts and check-in facts apart") {
  World w;
  auto invalid = [&](const json& rule, const std::string& field) {
    LOY_REQUIRE_ERROR(w.call("rule.create", rule), Status::invalid, field);
  };
  invalid(checkin_rule("x", leaf("purchase.amount", "gte", 1), 1), "conditions.fact");
  invalid(checkin_rule("x", {{"any_item", leaf("item.sku", "eq", "A")}}, 1), "conditions.any_item");
  invalid(checkin_rule("x", {{"all", {leaf("checkin.first_visit", "eq", true), leaf("item.sku", "eq", "A")}}}, 1),
          "conditions.all[1].fact");
  json per_currency = checkin_rule("x", nullptr, 1);
  per_currency["actions"] = {{{"type", "per_currency"}, {"rate", "1"}}};
  invalid(per_currency, "actions[0].type");
  invalid({{"name", "x"},
           {"conditions", leaf("checkin.first_visit", "eq", true)},
           {"actions", {{{"type", "fixed"}, {"points", 1}}}}},
          "conditions.fact");
  invalid(checkin_rule("x", leaf("customer.checkins", "gte", 1), 1), "conditions.days");
  invalid(checkin_rule("x", leaf("checkin.location_visits", "gte", 1, {{"days", 0}}), 1), "conditions.days");
  invalid(checkin_rule("x", leaf("checkin.first_visit", "eq", 1), 1), "conditions.value");
  invalid(checkin_rule("x", nullptr, 1, {{"trigger", "visit"}}), "trigger");
  CHECK(w.call("rule.list", json::object())["items"].empty());
  // Valid: lifetime visits at the location need no days; the trigger is kept with the rule.
  json ok = w.call("rule.create", checkin_rule("tenth", leaf("checkin.location_visits", "eq", 9), 5));
  CHECK(ok["trigger"] == "checkin");
  CHECK(w.call("rule.create", {{"name", "base"}, {"actions", {{{"type", "fixed"}, {"points", 1}}}}})["trigger"] ==
        "purchase");
}

TEST_CASE("location rules: a first visit at each location earns a bonus once, in the check-in's entry") {
  World w;
  const std::string cus = w.enroll("c1");
  const geo::LatLon a_at{kLat, kLon}, b_at = geo::destination(a_at, 90, 2000);
  const json a = make_location(w, "A", a_at, {{"points", 10}});
  const json b = make_location(w, "B", b_at, {{"points", 10}});
  const json first = w.call("rule.create", checkin_rule("first visit", leaf("checkin.first_visit", "eq", true), 100));
  json r = check_in(w, cus, a_at);
  REQUIRE(r["checkin"]["status"] == "verified");
  CHECK(r["checkin"]["points"] == 110);
  CHECK(r["earn"]["entry"]["points"] == 110);  // one entry: the location's points and the rules'
  CHECK(r["earn"]["entry"]["metadata"]["rules"][0]["rule_id"] == first["id"]);
  CHECK(rule_trace(r["explain"], first["id"])["outcome"] == "fired");
  CHECK(r["checkin"]["rules"] == json::array({{{"rule_id", first["id"]}, {"version", 1}, {"points", 100}}}));
  CHECK(w.call("checkin.get", {{"id", r["checkin"]["id"]}}) == r["checkin"]);
  const json first_at_a = r["checkin"];
  w.clock->advance(kHourMs);
  r = check_in(w, cus, a_at);
  const json second_at_a = r["checkin"];
  CHECK(r["checkin"]["points"] == 10);
  CHECK(rule_trace(r["explain"], first["id"])["outcome"] == "not_matched");
  CHECK(r["checkin"]["rules"].empty());
  w.clock->advance(kHourMs);
  r = check_in(w, cus, b_at);
  CHECK(r["checkin"]["location_id"] == b["id"]);
  CHECK(r["checkin"]["points"] == 110);
  CHECK(w.balance(cus)["balance"] == 230);
  // The events carry the check-in's whole points.
  json ev = w.call("events.poll", {{"limit", 100}});
  int64_t verified_points = 0;
  for (const auto& e : ev["events"])
    if (e["type"] == "checkin.verified") verified_points += e["data"]["points"].get<int64_t>();
  CHECK(verified_points == 230);
  // Listed check-ins carry their rules like checkin.submit and checkin.get, page by page.
  const json listed = w.call("checkin.list", {{"customer_id", cus}});
  REQUIRE(listed["items"].size() == 3);
  CHECK(listed["items"][0] == first_at_a);
  CHECK(listed["items"][0]["rules"].size() == 1);
  CHECK(listed["items"][1] == second_at_a);
  CHECK(listed["items"][1]["rules"] == json::array());
  CHECK(listed["items"][2]["rules"] == r["checkin"]["rules"]);
  CHECK(listed["items"][2]["rules"][0]["points"] == 100);
  const json page1 = w.call("checkin.list", {{"customer_id", cus}, {"limit", 2}});
  REQUIRE(page1["items"].size() == 2);
  CHECK(page1["items"][0] == first_at_a);
  const json page2 = w.call("checkin.list", {{"customer_id", cus}, {"cursor", page1["next_cursor"]}});
  REQUIRE(page2["items"].size() == 1);
  CHECK(page2["items"][0] == listed["items"][2]);
  CHECK(page2["next_cursor"].is_null());
  w.require_verified();
  (void)a;
}

TEST_CASE("location rules: visits at the location, check-ins anywhere, place and time facts") {
  World w;
  const std::string cus = w.enroll("c1");
  const geo::LatLon a_at{kLat, kLon}, b_at = geo::destination(a_at, 0, 5000);
  const json a = make_location(w, "A", a_at);
  const json b = make_location(w, "B", b_at);
  // Every third visit at A, a loyal-week bonus (3 check-ins anywhere in the previous 7 days) and
  // a morning bonus at B only.
  const json third = w.call("rule.create", checkin_rule("third visit", leaf("checkin.location_visits", "eq", 2), 30));
  const json week =
      w.call("rule.create", checkin_rule("loyal week", leaf("customer.checkins", "gte", 3, {{"days", 7}}), 7));
  const json morning =
      w.call("rule.create", checkin_rule("morning at B",
                                         {{"all",
                                           {leaf("checkin.location_id", "eq", b["id"]), leaf("time.hour", "lt", 12),
                                            leaf("place.inside", "contains", b["id"])}}},
                                         5, {{"location_based", true}}));
  // The World clock starts at a fixed instant; check in at 08:00 UTC on the following days.
  const int64_t day0 = (w.clock->now() / 86'400'000 + 1) * 86'400'000;
  auto at_day = [&](int d, int hour) { return loyalty::format_time(day0 + d * 86'400'000LL + hour * kHourMs); };
  auto pts = [&](geo::LatLon p, int d, int hour) {
    return check_in(w, cus, p, {{"occurred_at", at_day(d, hour)}})["checkin"]["points"].get<int64_t>();
  };
  w.clock->set(loyalty::parse_time(at_day(20, 23)).value());
  CHECK(pts(a_at, 0, 8) == 0);   // first at A
  CHECK(pts(a_at, 1, 8) == 0);   // second at A
  CHECK(pts(a_at, 2, 8) == 30);  // third at A
  CHECK(pts(b_at, 3, 8) == 12);  // 3 check-ins in the 7 days before, and morning at B
  CHECK(pts(b_at, 4, 14) == 7);  // afternoon at B; 4 check-ins before
  CHECK(pts(a_at, 15, 8) == 0);  // fourth at A; no check-in in the 7 days before
  w.require_verified();
  (void)a;
  (void)third;
  (void)week;
  (void)morning;
}

TEST_CASE("location rules: check-in rules never run for purchases, and check-ins are facts of purchases") {
  World w;
  const std::string cus = w.enroll("c1");
  const geo::LatLon at{kLat, kLon};
  make_location(w, "A", at);
  w.call("rule.create", checkin_rule("any visit", nullptr, 50));
  const json regular = w.call("rule.create", {{"name", "regulars"},
                                              {"conditions", leaf("customer.checkins", "gte", 1, {{"days", 30}})},
                                              {"actions", {{{"type", "fixed"}, {"points", 20}}}}});
  json p = w.call("purchase.submit", {{"order_id", "o1"}, {"customer_id", cus}, {"amount", 1000}, {"explain", "full"}});
  CHECK(p["points"] == 0);
  CHECK(p["explain"]["rules"].size() == 1);  // only the purchase rule is in the purchase plan
  CHECK(check_in(w, cus, at)["checkin"]["points"] == 50);
  w.clock->advance(60'000);
  p = w.call("purchase.submit", {{"order_id", "o2"}, {"customer_id", cus}, {"amount", 1000}});
  CHECK(p["points"] == 20);
  CHECK(rule_trace(p["explain"], regular["id"])["outcome"] == "fired");
  CHECK(w.balance(cus)["balance"] == 70);
}

TEST_CASE("location rules: rejected check-ins run no rules; limits and stacking apply like purchases") {
  World w;
  const std::string cus = w.enroll("c1");
  const geo::LatLon a_at{kLat, kLon}, b_at = geo::destination(a_at, 90, 3000), c_at = geo::destination(a_at, 0, 3000);
  make_location(w, "A", a_at);
  make_location(w, "B", b_at);
  make_location(w, "C", c_at);
  const json daily = w.call(
      "rule.create",
      checkin_rule("daily", nullptr, 30, {{"limits", {{"per_customer", {{{"period", "day"}, {"points", 50}}}}}}}));
  json rej = check_in(w, cus, a_at, {{"mock", true}});
  CHECK(rej["checkin"]["status"] == "rejected");
  CHECK(rej["explain"].is_null());
  CHECK(rej["earn"].is_null());
  w.clock->advance(kHourMs);
  CHECK(check_in(w, cus, a_at)["checkin"]["points"] == 30);
  w.clock->advance(kHourMs);
  json second = check_in(w, cus, b_at);
  CHECK(second["checkin"]["points"] == 20);
  CHECK(rule_trace(second["explain"], daily["id"])["clamps"][0]["limit"] == "per_customer.day");
  w.clock->advance(kHourMs);
  CHECK(check_in(w, cus, c_at)["checkin"]["points"] == 0);
  // Deactivating the rule takes it out of the next check-in's plan.
  w.call("rule.deactivate", {{"id", daily["id"]}});
  w.clock->advance(kHourMs);
  CHECK(check_in(w, cus, a_at)["explain"]["rules"].empty());
  w.require_verified();
}

TEST_CASE("location rules: the location's program decides; several programs and none named run no rules") {
  World w;
  const std::string cus = w.enroll("c1");
  const json second = w.call("program.create", {{"name", "Second"}, {"currency", "EUR"}});
  const geo::LatLon a_at{kLat, kLon}, b_at = geo::destination(a_at, 90, 3000);
  make_location(w, "A", a_at, {{"program_id", second["id"]}});
  make_location(w, "B", b_at);
  w.call("rule.create", [&] {
    json r = checkin_rule("second's visit", nullptr, 40);
    r["program_id"] = second["id"];
    return r;
  }());
  w.call("rule.create", checkin_rule("first's visit", nullptr, 9, {{"program_id", w.program_id}}));
  json r = check_in(w, cus, a_at);
  CHECK(r["checkin"]["points"] == 40);
  CHECK(w.call("ledger.balance", {{"customer_id", cus}, {"program_id", second["id"]}})["balance"] == 40);
  w.clock->advance(kHourMs);
  r = check_in(w, cus, b_at);  // two active programs, B names none: no rules
  CHECK(r["checkin"]["status"] == "verified");
  CHECK(r["checkin"]["points"] == 0);
  CHECK(r["explain"].is_null());
}

TEST_CASE("location rules: a campaign budget holds under concurrent check-ins") {
  TempDir dir;
  World w(json::object(), "sqlite://" + dir.db(), loyalty::SyncMode::normal);
  const geo::LatLon at{kLat, kLon};
  make_location(w, "A", at);
  w.call("rule.create",
         checkin_rule("launch", leaf("checkin.first_visit", "eq", true), 100, {{"limits", {{"budget", 1000}}}}));
  constexpr int kThreads = 8, kPerThread = 5;
  std::vector<std::string> customers;
  for (int k = 0; k < kThreads * kPerThread; ++k) customers.push_back(w.enroll("c" + std::to_string(k)));
  std::atomic<int64_t> awarded{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      try {
        for (int k = 0; k < kPerThread; ++k)
          awarded +=
              check_in(w, customers[static_cast<size_t>(t * kPerThread + k)], at)["checkin"]["points"].get<int64_t>();
      } catch (const std::exception&) {
        ++failures;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(awarded == 1000);
  int64_t total = 0;
  for (const auto& c : customers) total += w.balance(c)["balance"].get<int64_t>();
  CHECK(total == 1000);
  w.require_verified();
}

TEST_CASE("location rules: first visit and lifetime visits at the location together, with a late-synced check-in") {
  World w;
  const std::string cus = w.enroll("c1");
  const geo::LatLon a_at{kLat, kLon};
  const json a = make_location(w, "A", a_at);
  const json first = w.call("rule.create", checkin_rule("first", leaf("checkin.first_visit", "eq", true), 100));
  const json none_before =
      w.call("rule.create", checkin_rule("none before", leaf("checkin.location_visits", "eq", 0), 7));
  const json third = w.call("rule.create", checkin_rule("three before", leaf("checkin.location_visits", "eq", 3), 30));
  const int64_t day0 = (w.clock->now() / 86'400'000 + 1) * 86'400'000;
  auto at_day = [&](int d) { return loyalty::format_time(day0 + d * 86'400'000LL + 8 * kHourMs); };
  w.clock->set(day0 + 20 * 86'400'000LL);
  auto visit = [&](int d) {
    json r = check_in(w, cus, a_at, {{"occurred_at", at_day(d)}});
    REQUIRE(r["checkin"]["status"] == "verified");
    return r;
  };
  // The first ever: a first visit with no visit before it.
  json r = visit(5);
  CHECK(r["checkin"]["points"] == 107);
  CHECK(rule_trace(r["explain"], first["id"])["outcome"] == "fired");
  CHECK(rule_trace(r["explain"], none_before["id"])["outcome"] == "fired");
  CHECK(visit(6)["checkin"]["points"] == 0);  // one visit before it
  // Synced late, dated before both: not a first visit (the customer has been there), yet no
  // visit precedes it.
  r = visit(1);
  CHECK(r["checkin"]["points"] == 7);
  CHECK(rule_trace(r["explain"], first["id"])["outcome"] == "not_matched");
  CHECK(rule_trace(r["explain"], none_before["id"])["outcome"] == "fired");
  // Days 1, 5 and 6 precede day 7.
  r = visit(7);
  CHECK(r["checkin"]["points"] == 30);
  CHECK(rule_trace(r["explain"], third["id"])["outcome"] == "fired");
  CHECK(w.balance(cus)["balance"] == 107 + 7 + 30);
  w.require_verified();
  (void)a;
}

TEST_CASE("location rules: a listed page carries every row's rules (several per row, by rule id) like checkin.get") {
  World w;
  const std::string c1 = w.enroll("c1"), c2 = w.enroll("c2");
  const geo::LatLon a_at{kLat, kLon};
  make_location(w, "A", a_at, {{"points", 1}});
  const json always = w.call("rule.create", checkin_rule("always", nullptr, 3));
  const json first = w.call("rule.create", checkin_rule("first visit", leaf("checkin.first_visit", "eq", true), 7));
  std::vector<json> submitted;
  for (int n = 0; n < 5; ++n) {
    w.clock->advance(kHourMs);
    submitted.push_back(check_in(w, n % 2 == 0 ? c1 : c2, a_at)["checkin"]);
  }
  submitted.push_back(check_in(w, c1, a_at, {{"mock", true}})["checkin"]);  // rejected: no rules
  CHECK(submitted[0]["rules"].size() == 2);                                 // the first visit of c1
  CHECK(submitted[1]["rules"].size() == 2);                                 // the first visit of c2
  CHECK(submitted[2]["rules"].size() == 1);
  CHECK(submitted[5]["rules"] == json::array());
  const std::string lo = std::min(always["id"].get<std::string>(), first["id"].get<std::string>());
  CHECK(submitted[0]["rules"][0]["rule_id"] == lo);  // by rule id
  std::vector<json> listed;
  json cursor = nullptr;
  do {
    json in = {{"limit", 4}};
    if (!cursor.is_null()) in["cursor"] = cursor;
    const json page = w.call("checkin.list", in);
    for (const auto& item : page["items"]) listed.push_back(item);
    cursor = page["next_cursor"];
  } while (!cursor.is_null());
  REQUIRE(listed.size() == submitted.size());
  for (size_t n = 0; n < listed.size(); ++n) {
    CAPTURE(n);
    CHECK(listed[n] == submitted[n]);
    CHECK(listed[n] == w.call("checkin.get", {{"id", submitted[n]["id"]}}));
  }
  // A customer's page holds only that customer's rows, with their own rules.
  const json mine = w.call("checkin.list", {{"customer_id", c2}});
  REQUIRE(mine["items"].size() == 2);
  CHECK(mine["items"][0] == submitted[1]);
  CHECK(mine["items"][1] == submitted[3]);
  w.require_verified();
}
