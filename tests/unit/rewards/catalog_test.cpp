// Rewards catalog: create, get, list filters, update, deactivate, stock changes, validation.
#include <string>

#include "fixture.hpp"
#include "support.hpp"

using namespace loytest;
using loyalty::format_time;
using loyalty::kMillisPerDay;

namespace {

std::vector<std::string> ids(const json& page) {
  std::vector<std::string> out;
  for (const auto& r : page["items"]) out.push_back(r["id"]);
  return out;
}

}  // namespace

TEST_CASE("rewards: create returns the reward with its defaults and is audited") {
  World w;
  const json r = reward(w, {{"description", "A cup"},
                            {"image_url", "https://example.com/c.png"},
                            {"category", "drinks"},
                            {"stock", 5},
                            {"per_customer_limit", {{"count", 2}, {"period", "week"}}}});
  CHECK(r["id"].get<std::string>().rfind("rwd_", 0) == 0);
  CHECK(r["program_id"] == w.program_id);
  CHECK(r["name"] == "Coffee");
  CHECK(r["description"] == "A cup");
  CHECK(r["category"] == "drinks");
  CHECK(r["cost_points"] == 100);
  CHECK(r["stock"] == 5);
  CHECK(r["stock_supplied"] == 5);
  CHECK(r["starts_at"].is_null());
  CHECK(r["ends_at"].is_null());
  CHECK(r["min_tier_id"].is_null());
  CHECK(r["per_customer_limit"] == json{{"count", 2}, {"period", "week"}});
  CHECK(r["reservation_ttl_seconds"] == 900);
  CHECK(r["refundable"] == false);
  CHECK(r["active"] == true);
  CHECK(r["created_at"] == format_time(kStart));
  CHECK(w.call("reward.get", {{"id", r["id"]}}) == r);
  const json unlimited = reward(w);
  CHECK(unlimited["stock"].is_null());
  const json audit = w.call("audit.list", json::object());
  bool found = false;
  for (const auto& a : audit["items"])
    if (a["action"] == "reward.create" && a["target"] == r["id"]) found = true;
  CHECK(found);
}

TEST_CASE("rewards: every invalid field is refused by name and nothing is created") {
  World w;
  const json tier_policy = {{"window", {{"kind", "lifetime"}}}};
  struct Case {
    json extra;
    const char* field;
    Status status;
  };
  const Case cases[] = {
      {{{"name", ""}}, "name", Status::invalid},
      {{{"name", 5}}, "name", Status::invalid},
      {{{"cost_points", 0}}, "cost_points", Status::invalid},
      {{{"cost_points", -5}}, "cost_points", Status::invalid},
      {{{"cost_points", "100"}}, "cost_points", Status::invalid},
      {{{"stock", -1}}, "stock", Status::invalid},
      {{{"image_url", "ftp://x"}}, "image_url", Status::invalid},
      {{{"category", ""}}, "category", Status::invalid},
      {{{"starts_at", "yesterday"}}, "starts_at", Status::invalid},
      {{{"ends_at", "2026-03-01T00:00:00Z"}, {"starts_at", "2026-03-02T00:00:00Z"}}, "ends_at", Status::invalid},
      {{{"per_customer_limit", 3}}, "per_customer_limit", Status::invalid},
      {{{"per_customer_limit", {{"count", 0}, {"period", "day"}}}}, "per_customer_limit.count", Status::invalid},
      {{{"per_customer_limit", {{"count", 1}, {"period", "fortnight"}}}}, "per_customer_limit.period", Status::invalid},
      {{{"per_customer_limit", {{"count", 1}}}}, "per_customer_limit.period", Status::invalid},
      {{{"per_customer_limit", {{"count", 1}, {"period", "day"}, {"x", 1}}}}, "per_customer_limit.x", Status::invalid},
      {{{"reservation_ttl_seconds", 0}}, "reservation_ttl_seconds", Status::invalid},
      {{{"refundable", "yes"}}, "refundable", Status::invalid},
      {{{"metadata", "x"}}, "metadata", Status::invalid},
      {{{"colour", "red"}}, "colour", Status::invalid},
      {{{"program_id", "prg_nope"}}, "program_id", Status::not_found},
      {{{"min_tier_id", "tie_nope"}}, "min_tier_id", Status::not_found},
  };
  for (const auto& c : cases) {
    CAPTURE(c.extra.dump());
    LOY_REQUIRE_ERROR(reward(w, c.extra), c.status, c.field);
  }
  LOY_REQUIRE_ERROR(w.call("reward.create", {{"cost_points", 10}}), Status::invalid, "name");
  LOY_REQUIRE_ERROR(w.call("reward.create", {{"name", "x"}}), Status::invalid, "cost_points");
  CHECK(w.call("reward.list", json::object())["items"].empty());
  (void)tier_policy;
}

TEST_CASE("rewards: list filters by category, availability now and affordability, with cursors") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 150);
  const json a = reward(w, {{"name", "A"}, {"category", "drinks"}, {"cost_points", 100}});
  const json b = reward(w, {{"name", "B"}, {"category", "food"}, {"cost_points", 200}});
  const json soon = reward(w, {{"name", "Soon"}, {"category", "drinks"}, {"starts_at", format_time(kStart + 1000)}});
  const json gone = reward(w, {{"name", "Gone"}, {"stock", 0}});
  const json off = reward(w, {{"name", "Off"}});
  w.call("reward.deactivate", {{"id", off["id"]}});

  CHECK(ids(w.call("reward.list", {{"category", "drinks"}})) == std::vector<std::string>{a["id"], soon["id"]});
  CHECK(ids(w.call("reward.list", {{"available_now", true}})) == std::vector<std::string>{a["id"], b["id"]});
  CHECK(ids(w.call("reward.list", {{"affordable_for", c}})) ==
        std::vector<std::string>{a["id"], soon["id"], gone["id"], off["id"]});
  CHECK(ids(w.call("reward.list", {{"affordable_for", c}, {"available_now", true}})) ==
        std::vector<std::string>{a["id"]});
  CHECK(ids(w.call("reward.list", {{"active", false}})) == std::vector<std::string>{off["id"]});
  w.clock->advance(1000);
  CHECK(ids(w.call("reward.list", {{"available_now", true}, {"category", "drinks"}})) ==
        std::vector<std::string>{a["id"], soon["id"]});

  // Pages of two over the affordable ones: the filter runs before the page is cut.
  json p1 = w.call("reward.list", {{"affordable_for", c}, {"limit", 2}});
  CHECK(ids(p1) == std::vector<std::string>{a["id"], soon["id"]});
  REQUIRE(p1["next_cursor"].is_string());
  json p2 = w.call("reward.list", {{"affordable_for", c}, {"limit", 2}, {"cursor", p1["next_cursor"]}});
  CHECK(ids(p2) == std::vector<std::string>{gone["id"], off["id"]});
  CHECK(p2["next_cursor"].is_null());

  LOY_REQUIRE_ERROR(w.call("reward.list", {{"affordable_for", "cus_nope"}}), Status::not_found, "affordable_for");
  LOY_REQUIRE_ERROR(w.call("reward.list", {{"limit", 0}}), Status::invalid, "limit");
  LOY_REQUIRE_ERROR(w.call("reward.list", {{"cursor", "zzz"}}), Status::invalid, "cursor");
  LOY_REQUIRE_ERROR(w.call("reward.list", {{"program_id", "prg_nope"}}), Status::not_found, "program_id");
}

TEST_CASE("rewards: update changes named fields, null clears, and the window stays ordered") {
  World w;
  const json r = reward(w, {{"category", "drinks"}, {"ends_at", "2026-04-01T00:00:00Z"}});
  w.clock->advance(5000);
  json u = w.call("reward.update", {{"id", r["id"]},
                                    {"name", "Tea"},
                                    {"cost_points", 80},
                                    {"category", nullptr},
                                    {"per_customer_limit", {{"count", 1}, {"period", "day"}}},
                                    {"refundable", true}});
  CHECK(u["name"] == "Tea");
  CHECK(u["cost_points"] == 80);
  CHECK(u["category"].is_null());
  CHECK(u["ends_at"] == "2026-04-01T00:00:00.000Z");
  CHECK(u["per_customer_limit"]["period"] == "day");
  CHECK(u["refundable"] == true);
  CHECK(u["updated_at"] == format_time(kStart + 5000));
  u = w.call("reward.update", {{"id", r["id"]}, {"per_customer_limit", nullptr}, {"ends_at", nullptr}});
  CHECK(u["per_customer_limit"].is_null());
  CHECK(u["ends_at"].is_null());
  w.call("reward.update", {{"id", r["id"]}, {"ends_at", "2026-04-01T00:00:00Z"}});
  LOY_REQUIRE_ERROR(w.call("reward.update", {{"id", r["id"]}, {"starts_at", "2026-05-01T00:00:00Z"}}), Status::invalid,
                    "ends_at");
  LOY_REQUIRE_ERROR(w.call("reward.update", {{"id", r["id"]}, {"stock", 3}}), Status::invalid, "stock");
  LOY_REQUIRE_ERROR(w.call("reward.update", {{"id", "rwd_nope"}, {"name", "x"}}), Status::not_found, "id");
  LOY_REQUIRE_ERROR(w.call("reward.update", {{"id", r["id"]}, {"cost_points", 0}}), Status::invalid, "cost_points");
  CHECK(w.call("reward.get", {{"id", r["id"]}})["name"] == "Tea");
  LOY_REQUIRE_ERROR(w.call("reward.get", {{"id", "rwd_nope"}}), Status::not_found, "id");
}

TEST_CASE("rewards: stock top-up and reduction are audited and never go below zero") {
  World w;
  const json r = reward(w, {{"stock", 2}});
  json s = w.call("reward.stock", {{"id", r["id"]}, {"delta", 3}, {"reason", "delivery"}});
  CHECK(s["stock"] == 5);
  CHECK(s["stock_supplied"] == 5);
  s = w.call("reward.stock", {{"id", r["id"]}, {"delta", -4}, {"reason", "broken"}});
  CHECK(s["stock"] == 1);
  LOY_REQUIRE_ERROR(w.call("reward.stock", {{"id", r["id"]}, {"delta", -2}, {"reason", "x"}}), Status::invalid,
                    "delta");
  LOY_REQUIRE_ERROR(w.call("reward.stock", {{"id", r["id"]}, {"delta", 0}, {"reason", "x"}}), Status::invalid, "delta");
  LOY_REQUIRE_ERROR(w.call("reward.stock", {{"id", r["id"]}, {"delta", 1}}), Status::invalid, "reason");
  LOY_REQUIRE_ERROR(w.call("reward.stock", {{"id", r["id"]}, {"reason", "x"}}), Status::invalid, "delta");
  LOY_REQUIRE_ERROR(w.call("reward.stock", {{"id", r["id"]}, {"delta", 1}, {"stock", 1}, {"reason", "x"}}),
                    Status::invalid, "stock");
  LOY_REQUIRE_ERROR(w.call("reward.stock", {{"id", "rwd_nope"}, {"delta", 1}, {"reason", "x"}}), Status::not_found,
                    "id");
  CHECK(stock_of(w, r) == 1);
  s = w.call("reward.stock", {{"id", r["id"]}, {"stock", nullptr}, {"reason", "unlimited now"}});
  CHECK(s["stock"].is_null());
  LOY_REQUIRE_ERROR(w.call("reward.stock", {{"id", r["id"]}, {"delta", 1}, {"reason", "x"}}), Status::invalid, "delta");
  s = w.call("reward.stock", {{"id", r["id"]}, {"stock", 7}, {"reason", "limited again"}});
  CHECK(s["stock"] == 7);
  int changes = 0;
  const json audit = w.call("audit.list", json::object());
  for (const auto& a : audit["items"])
    if (a["action"] == "reward.stock") ++changes;
  CHECK(changes == 4);
  w.require_verified();
}

TEST_CASE("rewards: catalog writes need the admin scope") {
  World w;
  const json r = reward(w);
  const json key = w.call("apikey.create", {{"name", "till"}, {"scopes", {"pos"}}});
  const loyalty::Session pos = w.engine.session(key["key"].get<std::string>());
  LOY_REQUIRE_ERROR(pos.call("reward.create", {{"name", "x"}, {"cost_points", 1}}), Status::forbidden, "scope");
  LOY_REQUIRE_ERROR(pos.call("reward.stock", {{"id", r["id"]}, {"delta", 1}, {"reason", "x"}}), Status::forbidden,
                    "scope");
  CHECK(pos.call("reward.get", {{"id", r["id"]}})["id"] == r["id"]);
}
