// The event outbox: one event per committed ledger change, in commit order, read with a cursor.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "events/events.hpp"
#include "fixture.hpp"

using namespace loytest;
using loyalty::format_time;
using loyalty::kMillisPerDay;

namespace {

std::vector<json> all_events(const World& w, json extra = json::object()) {
  std::vector<json> out;
  json cursor = nullptr;
  for (;;) {
    json in = extra;
    in["limit"] = 2;  // small pages, so the cursor is exercised
    if (!cursor.is_null()) in["after"] = cursor;
    json page = w.call("events.poll", in);
    if (page["events"].empty()) return out;
    for (auto& e : page["events"]) out.push_back(e);
    cursor = page["next"];
  }
}

std::vector<std::string> types(const std::vector<json>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e["type"]);
  return out;
}

}  // namespace

TEST_CASE("events: each ledger change writes one event with its entry and the balance after it") {
  World w(json{{"expiry", {{"policy", "days_after_earn"}, {"days", 30}}}});
  const auto c = w.enroll("c1");
  const json earned = w.earn(c, 100);
  w.call("ledger.adjust", {{"customer_id", c}, {"points", -10}, {"reason", "correction"}});
  w.call("ledger.reverse", {{"entry_id", earned["entry"]["id"]}, {"points", 20}});
  const json h = w.call("hold.create", {{"customer_id", c}, {"points", 30}});
  w.call("hold.commit", {{"id", h["hold"]["id"]}});
  w.clock->advance(31 * kMillisPerDay);
  w.call("ledger.run_due", json::object());

  const auto events = all_events(w);
  CHECK(types(events) == std::vector<std::string>{"points.earned", "points.adjusted", "points.reversed",
                                                  "points.redeemed", "points.expired"});
  const json& e = events[0];
  CHECK(e["id"].get<std::string>().rfind("evt_", 0) == 0);
  CHECK(e["customer_id"] == c);
  CHECK(e["at"] == format_time(kStart));
  CHECK(e["data"]["entry_id"] == earned["entry"]["id"]);
  CHECK(e["data"]["program_id"] == w.program_id);
  CHECK(e["data"]["entry_type"] == "earn");
  CHECK(e["data"]["points"] == 100);
  CHECK(e["data"]["status"] == "posted");
  CHECK(e["data"]["balance"] == earned["balance"]["balance"]);
  CHECK(e["data"]["available"] == earned["balance"]["available"]);
  CHECK(events[2]["data"]["points"] == -20);
  CHECK(events[3]["data"]["points"] == -30);
  // 100 - 10 - 20 - 30 = 40 points expire after 30 days; the event carries the zero balance.
  CHECK(events[4]["data"]["points"] == -40);
  CHECK(events[4]["data"]["balance"] == 0);
  CHECK(events[3]["data"]["available"] == 40);
  CHECK(events[4]["at"] == format_time(kStart + 31 * kMillisPerDay));
  // Ids are distinct; cursors grow.
  for (size_t n = 1; n < events.size(); ++n) {
    CHECK(events[n]["id"] != events[n - 1]["id"]);
    CHECK(events[n]["cursor"] != events[n - 1]["cursor"]);
  }
}

TEST_CASE("events: refused writes, failed batch events and replays write no event") {
  World w(json{{"max_balance", 150}});
  const auto c = w.enroll("c1");
  w.earn(c, 100, {{"idempotency_key", "k1"}});
  CHECK(w.earn(c, 100, {{"idempotency_key", "k1"}})["replayed"] == true);
  LOY_REQUIRE_ERROR(w.earn(c, 100), Status::limit, "points");
  LOY_REQUIRE_ERROR(w.call("ledger.adjust", {{"customer_id", c}, {"points", -500}, {"reason", "x"}}),
                    Status::insufficient, "points");
  json batch = w.call("ledger.earn_batch", {{"events",
                                             {{{"customer_id", c}, {"points", 10}},
                                              {{"customer_id", c}, {"points", 1000}},
                                              {{"customer_id", "cus_unknown"}, {"points", 10}},
                                              {{"customer_id", c}, {"points", 20}}}}});
  CHECK(batch["succeeded"] == 2);
  const auto events = all_events(w);
  REQUIRE(events.size() == 3);
  CHECK(events[0]["data"]["points"] == 100);
  CHECK(events[1]["data"]["points"] == 10);
  CHECK(events[2]["data"]["points"] == 20);
  CHECK(events[2]["data"]["balance"] == 130);
}

TEST_CASE("events: polling pages with a cursor, an empty poll keeps the cursor, types filter") {
  World w;
  const auto c = w.enroll("c1");
  for (int n = 1; n <= 5; ++n) w.earn(c, n);
  w.call("ledger.adjust", {{"customer_id", c}, {"points", 1}, {"reason", "x"}});

  json first = w.call("events.poll", {{"limit", 4}});
  REQUIRE(first["events"].size() == 4);
  CHECK(first["next"] == first["events"][3]["cursor"]);
  json rest = w.call("events.poll", {{"after", first["next"]}});
  REQUIRE(rest["events"].size() == 2);
  CHECK(rest["events"][0]["data"]["points"] == 5);
  json none = w.call("events.poll", {{"after", rest["next"]}});
  CHECK(none["events"].empty());
  CHECK(none["next"] == rest["next"]);
  // Re-reading from an older cursor gives the same events again (at-least-once delivery).
  CHECK(w.call("events.poll", {{"after", first["next"]}})["events"] == rest["events"]);
  // From the start on an empty outbox: no events, no cursor.
  auto [other, other_program] = w.other_tenant("Empty");
  json empty = other.call("events.poll", json::object());
  CHECK(empty["events"].empty());
  CHECK(empty["next"].is_null());

  CHECK(types(all_events(w, {{"types", {"points.adjusted"}}})) == std::vector<std::string>{"points.adjusted"});
  CHECK(all_events(w, {{"types", {"points.earned", "points.adjusted"}}}).size() == 6);
  CHECK(all_events(w, {{"types", {"tier.changed"}}}).empty());

  // New events after a cursor appear on the next poll.
  w.earn(c, 9);
  json later = w.call("events.poll", {{"after", rest["next"]}});
  REQUIRE(later["events"].size() == 1);
  CHECK(later["events"][0]["data"]["points"] == 9);
}

TEST_CASE("events: bad poll input is invalid and names the field") {
  World w;
  LOY_REQUIRE_ERROR(w.call("events.poll", {{"after", "garbage"}}), Status::invalid, "after");
  LOY_REQUIRE_ERROR(w.call("events.poll", {{"after", 12}}), Status::invalid, "after");
  LOY_REQUIRE_ERROR(w.call("events.poll", {{"limit", 0}}), Status::invalid, "limit");
  LOY_REQUIRE_ERROR(w.call("events.poll", {{"limit", 1001}}), Status::invalid, "limit");
  LOY_REQUIRE_ERROR(w.call("events.poll", {{"types", "points.earned"}}), Status::invalid, "types");
  LOY_REQUIRE_ERROR(w.call("events.poll", {{"types", json::array()}}), Status::invalid, "types");
  LOY_REQUIRE_ERROR(w.call("events.poll", {{"types", {1}}}), Status::invalid, "types[0]");
  // Only the engine's event type names, each named by its index when unknown.
  LOY_REQUIRE_ERROR(w.call("events.poll", {{"types", {"points.earned", "points.earn"}}}), Status::invalid, "types[1]");
  LOY_REQUIRE_ERROR(w.call("events.poll", {{"types", {""}}}), Status::invalid, "types[0]");
  LOY_REQUIRE_ERROR(w.call("events.poll", {{"types", {std::string(1 << 20, 'x')}}}), Status::invalid, "types[0]");
  LOY_REQUIRE_ERROR(w.call("events.poll", {{"types", json(std::vector<std::string>(15, "points.earned"))}}),
                    Status::invalid, "types");
  LOY_REQUIRE_ERROR(w.call("events.poll", {{"since", "x"}}), Status::invalid, "since");
}

TEST_CASE("events: the known event types are exactly those docs/events.md lists, and each can be polled for") {
  std::ifstream f(std::string(LOY_SOURCE_DIR) + "/docs/events.md");
  REQUIRE(f.good());
  std::stringstream text;
  text << f.rdbuf();
  const std::string doc = text.str();
  const std::string table = doc.substr(doc.find("## Event types"));
  std::set<std::string> documented;
  const std::regex row(R"(\n\| `([a-z_]+\.[a-z_]+)` \|)");
  for (std::sregex_iterator it(table.begin(), table.end(), row), end; it != end; ++it) documented.insert((*it)[1]);
  const std::set<std::string> known(loyalty::detail::kEventTypes.begin(), loyalty::detail::kEventTypes.end());
  CHECK(documented == known);
  World w;
  for (const auto& t : known) CHECK(w.call("events.poll", {{"types", {t}}})["events"].empty());
  CHECK(
      w.call("events.poll", {{"types", json(std::vector<std::string>(known.begin(), known.end()))}})["events"].empty());
}

TEST_CASE("events: a read-only key can poll the outbox") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 5);
  const std::string key = w.call("apikey.create", {{"scopes", {"read"}}})["key"];
  loyalty::Session reader = w.engine.session(key);
  CHECK(reader.call("events.poll", json::object())["events"].size() == 1);
}

TEST_CASE("events: check-ins write checkin.verified and checkin.rejected with the reason") {
  World w;
  const std::string loc = w.call("location.create", {{"name", "Cafe"},
                                                     {"lat", 48.8566},
                                                     {"lon", 2.3522},
                                                     {"geofence", {{"radius_m", 100}}},
                                                     {"checkin", {{"cooldown_s", 0}, {"points", 5}}}})["id"];
  const auto c = w.enroll("c1");
  const json ok = w.call("checkin.submit", {{"customer_id", c}, {"lat", 48.8566}, {"lon", 2.3522}, {"accuracy_m", 5}});
  w.clock->advance(3'600'000);
  const json bad = w.call("checkin.submit",
                          {{"customer_id", c}, {"lat", 48.8566}, {"lon", 2.3522}, {"accuracy_m", 5}, {"mock", true}});
  const auto events = all_events(w, {{"types", {"checkin.verified", "checkin.rejected"}}});
  REQUIRE(events.size() == 2);
  CHECK(events[0]["type"] == "checkin.verified");
  CHECK(events[0]["customer_id"] == c);
  CHECK(events[0]["data"]["checkin_id"] == ok["checkin"]["id"]);
  CHECK(events[0]["data"]["location_id"] == loc);
  CHECK(events[0]["data"]["points"] == 5);
  CHECK(events[0]["data"]["reason"].is_null());
  CHECK(events[1]["type"] == "checkin.rejected");
  CHECK(events[1]["data"]["checkin_id"] == bad["checkin"]["id"]);
  CHECK(events[1]["data"]["reason"] == bad["checkin"]["reason"]);
  CHECK(events[1]["data"]["points"] == 0);
  // The verified check-in's points have their own points.earned event, in the same order.
  CHECK(types(all_events(w)) == std::vector<std::string>{"points.earned", "checkin.verified", "checkin.rejected"});
}
