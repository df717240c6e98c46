// ledger.history and ledger.entry, and entries read back exactly as their writes returned them.
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fixture.hpp"

using namespace loytest;
using loyalty::format_time;
using loyalty::kMillisPerDay;

namespace {

std::string day(int64_t n) { return format_time(kStart + n * kMillisPerDay); }

std::vector<std::string> ids_of(const json& items) {
  std::vector<std::string> out;
  for (const auto& e : items) out.push_back(e["id"]);
  return out;
}

}  // namespace

TEST_CASE("ledger: history lists entries newest first") {
  World w;
  const auto c = w.enroll("c1");
  std::vector<std::string> made;
  made.push_back(w.earn(c, 10)["entry"]["id"]);
  made.push_back(w.earn(c, 20, {{"type", "bonus"}})["entry"]["id"]);
  made.push_back(w.call("ledger.adjust", {{"customer_id", c}, {"points", -5}, {"reason", "r"}})["entry"]["id"]);
  json h = w.call("hold.create", {{"customer_id", c}, {"points", 7}});
  made.push_back(w.call("hold.commit", {{"id", h["hold"]["id"]}})["entry"]["id"]);
  made.push_back(w.call("ledger.reverse", {{"entry_id", made[0]}, {"points", 3}})["entry"]["id"]);
  json items = w.call("ledger.history", {{"customer_id", c}})["items"];
  CHECK(ids_of(items) == std::vector<std::string>(made.rbegin(), made.rend()));
  CHECK(items[0]["type"] == "reverse");
  CHECK(items[1]["type"] == "redeem");
  CHECK(items[2]["type"] == "adjust");
  CHECK(items[3]["type"] == "bonus");
  CHECK(items[4]["type"] == "earn");
  // Credits show their bucket's expiry and pending state; debits do not.
  CHECK(items[4].contains("expires_at"));
  CHECK(items[4].contains("pending_until"));
  CHECK_FALSE(items[1].contains("expires_at"));
  CHECK(items[0]["ref_entry_id"] == made[0]);
  CHECK(items[1]["hold_id"] == h["hold"]["id"]);
  w.require_verified();
}

TEST_CASE("ledger: history pages with a cursor without gaps or repeats") {
  World w;
  const auto c = w.enroll("c1");
  std::vector<std::string> made;
  for (int n = 1; n <= 7; ++n) made.insert(made.begin(), w.earn(c, n)["entry"]["id"].get<std::string>());
  std::vector<std::string> seen;
  json in = {{"customer_id", c}, {"limit", 3}};
  int pages = 0;
  for (;;) {
    json page = w.call("ledger.history", in);
    ++pages;
    CHECK(page["items"].size() <= 3);
    for (const auto& id : ids_of(page["items"])) seen.push_back(id);
    if (page["next_cursor"].is_null()) break;
    in["cursor"] = page["next_cursor"];
  }
  CHECK(pages == 3);
  CHECK(seen == made);
  // New entries do not disturb a walk already under way.
  json first = w.call("ledger.history", {{"customer_id", c}, {"limit", 3}});
  w.earn(c, 100);
  json second = w.call("ledger.history", {{"customer_id", c}, {"limit", 3}, {"cursor", first["next_cursor"]}});
  CHECK(ids_of(second["items"]) == std::vector<std::string>(made.begin() + 3, made.begin() + 6));
  w.require_verified();
}

TEST_CASE("ledger: history filters by entry types and by occurred_at, from inclusive and to exclusive") {
  World w;
  const auto c = w.enroll("c1");
  const std::string e3 = w.earn(c, 1, {{"occurred_at", day(-3)}})["entry"]["id"];
  const std::string e2 = w.earn(c, 2, {{"occurred_at", day(-2)}})["entry"]["id"];
  const std::string e1 = w.earn(c, 4, {{"occurred_at", day(-1)}})["entry"]["id"];
  const std::string a0 = w.call("ledger.adjust", {{"customer_id", c}, {"points", -1}, {"reason", "r"}})["entry"]["id"];

  CHECK(ids_of(w.call("ledger.history", {{"customer_id", c}, {"types", {"earn"}}})["items"]) ==
        std::vector<std::string>{e1, e2, e3});
  CHECK(ids_of(w.call("ledger.history", {{"customer_id", c}, {"types", {"adjust", "expire"}}})["items"]) ==
        std::vector<std::string>{a0});
  CHECK(w.call("ledger.history", {{"customer_id", c}, {"types", {"transfer"}}})["items"].empty());
  CHECK(ids_of(w.call("ledger.history", {{"customer_id", c}, {"from", day(-2)}})["items"]) ==
        std::vector<std::string>{a0, e1, e2});
  CHECK(ids_of(w.call("ledger.history", {{"customer_id", c}, {"to", day(-1)}})["items"]) ==
        std::vector<std::string>{e2, e3});
  CHECK(ids_of(w.call("ledger.history", {{"customer_id", c}, {"from", day(-2)}, {"to", day(-1)}})["items"]) ==
        std::vector<std::string>{e2});
  CHECK(ids_of(w.call(
            "ledger.history",
            {{"customer_id", c}, {"from", day(-3)}, {"to", day(0)}, {"types", {"earn"}}, {"limit", 2}})["items"]) ==
        std::vector<std::string>{e1, e2});
  w.require_verified();
}

TEST_CASE("ledger: history refuses unknown types naming types[i], and bad limits, cursors and times") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 1);
  LOY_REQUIRE_ERROR(w.call("ledger.history", {{"customer_id", c}, {"types", {"earn", "gift"}}}), Status::invalid,
                    "types[1]");
  LOY_REQUIRE_ERROR(w.call("ledger.history", {{"customer_id", c}, {"types", "earn"}}), Status::invalid, "types");
  // An empty list would filter everything out: refused (omit types for every type).
  LOY_REQUIRE_ERROR(w.call("ledger.history", {{"customer_id", c}, {"types", json::array()}}), Status::invalid, "types");
  LOY_REQUIRE_ERROR(w.call("ledger.history", {{"customer_id", c}, {"types", {""}}}), Status::invalid, "types[0]");
  LOY_REQUIRE_ERROR(w.call("ledger.history", {{"customer_id", c}, {"limit", 0}}), Status::invalid, "limit");
  LOY_REQUIRE_ERROR(w.call("ledger.history", {{"customer_id", c}, {"limit", 1001}}), Status::invalid, "limit");
  LOY_REQUIRE_ERROR(w.call("ledger.history", {{"customer_id", c}, {"cursor", "c1x"}}), Status::invalid, "cursor");
  LOY_REQUIRE_ERROR(w.call("ledger.history", {{"customer_id", c}, {"from", "2026-02-30"}}), Status::invalid, "from");
  LOY_REQUIRE_ERROR(w.call("ledger.history", {{"customer_id", c}, {"order", "asc"}}), Status::invalid, "order");
  LOY_REQUIRE_ERROR(w.call("ledger.history", {{"customer_id", "cus_nope"}}), Status::not_found, "customer_id");
  LOY_REQUIRE_ERROR(w.call("ledger.history", json::object()), Status::invalid, "customer_id");
  w.require_verified();
}

TEST_CASE("ledger: history and balance of an account never used are empty and create nothing") {
  World w;
  const auto c = w.enroll("c1");
  const std::string p2 = w.call("program.create", {{"name", "P2"}, {"currency", "EUR"}})["id"];
  json h = w.call("ledger.history", {{"customer_id", c}, {"program_id", p2}});
  CHECK(h["items"].empty());
  CHECK(h["next_cursor"].is_null());
  json b = w.call("ledger.balance", {{"customer_id", c}, {"program_id", p2}});
  CHECK(b == json{{"customer_id", c},
                  {"program_id", p2},
                  {"balance", 0},
                  {"available", 0},
                  {"pending", 0},
                  {"held", 0},
                  {"lifetime_earned", 0},
                  {"lifetime_redeemed", 0}});
  CHECK(w.call("customer.get", {{"id", c}})["program_ids"] == json::array({w.program_id}));
  w.require_verified();
}

TEST_CASE("ledger: entry returns one entry with how much of it was reversed") {
  World w;
  const auto c = w.enroll("c1");
  w.clock->advance(1000);
  json earned = w.earn(c, 100, {{"reason", "order 42"}, {"metadata", {{"order", 42}}}, {"occurred_at", day(-1)}});
  const std::string id = earned["entry"]["id"];
  json e = w.call("ledger.entry", {{"id", id}});
  CHECK(e["id"] == id);
  CHECK(e["type"] == "earn");
  CHECK(e["points"] == 100);
  CHECK(e["status"] == "posted");
  CHECK(e["customer_id"] == c);
  CHECK(e["program_id"] == w.program_id);
  CHECK(e["reason"] == "order 42");
  CHECK(e["metadata"] == json{{"order", 42}});
  CHECK(e["occurred_at"] == day(-1));
  CHECK(e["recorded_at"] == "2026-03-01T12:00:01.000Z");
  CHECK(e["posted_at"] == "2026-03-01T12:00:01.000Z");
  CHECK(e["reversed"] == 0);
  w.call("ledger.reverse", {{"entry_id", id}, {"points", 25}});
  CHECK(w.call("ledger.entry", {{"id", id}})["reversed"] == 25);
  // Apart from "reversed", it is the entry as earn returned it.
  json without = w.call("ledger.entry", {{"id", id}});
  without.erase("reversed");
  CHECK(without == earned["entry"]);
  const std::string adj = w.call("ledger.adjust", {{"customer_id", c}, {"points", 1}, {"reason", "r"}})["entry"]["id"];
  CHECK_FALSE(w.call("ledger.entry", {{"id", adj}}).contains("reversed"));
  LOY_REQUIRE_ERROR(w.call("ledger.entry", {{"id", "ent_nope"}}), Status::not_found, "id");
  LOY_REQUIRE_ERROR(w.call("ledger.entry", {{"entry_id", id}}), Status::invalid, "entry_id");
  w.require_verified();
}

TEST_CASE("ledger: every kind of entry reads back, by id and in history, exactly as its write returned it") {
  World w;
  const std::string key = w.tenant["api_key"]["key"];
  // Two customers written from two threads at once, each with its own session.
  const std::vector<std::string> customers = {w.enroll("c1"), w.enroll("c2")};
  std::vector<std::vector<json>> written(customers.size());
  std::vector<std::thread> threads;
  for (size_t n = 0; n < customers.size(); ++n)
    threads.emplace_back([&, n] {
      auto s = w.engine.session(key);
      const std::string& c = customers[n];
      std::vector<json>& out = written[n];
      auto entry = [&](std::string_view op, const json& in) {
        json r = s.call(op, in);
        out.push_back(r["entry"]);
        return r["entry"]["id"].get<std::string>();
      };
      const std::string earned = entry("ledger.earn", {{"customer_id", c},
                                                       {"points", 100},
                                                       {"reason", "order 7"},
                                                       {"metadata", {{"order", 7}, {"lines", {1, 2}}}},
                                                       {"expires_at", day(30)},
                                                       {"occurred_at", day(-1)}});
      const std::string pending =
          entry("ledger.earn", {{"customer_id", c}, {"points", 40}, {"type", "bonus"}, {"pending_days", 3}});
      entry("ledger.adjust", {{"customer_id", c}, {"points", 5}, {"reason", "goodwill"}});
      entry("ledger.adjust", {{"customer_id", c}, {"points", -3}, {"reason", "fix"}, {"metadata", {{"t", 1}}}});
      const std::string redeemed =
          entry("ledger.redeem", {{"customer_id", c}, {"points", 10}, {"metadata", {{"pos", "till 2"}}}});
      entry("ledger.refund", {{"entry_id", redeemed}, {"points", 4}, {"reason", "returned"}});
      entry("ledger.reverse", {{"entry_id", earned}, {"points", 20}});
      entry("ledger.reverse", {{"entry_id", pending}, {"points", 15}});  // still pending
      const std::string hold = s.call("hold.create", {{"customer_id", c}, {"points", 7}})["hold"]["id"];
      entry("hold.commit", {{"id", hold}, {"reason", "reserved reward"}});
    });
  for (auto& t : threads) t.join();
  for (size_t n = 0; n < customers.size(); ++n) {
    REQUIRE(written[n].size() == 9);
    const json history = w.call("ledger.history", {{"customer_id", customers[n]}, {"limit", 100}})["items"];
    REQUIRE(history.size() == written[n].size());
    for (const json& e : written[n]) {
      INFO("entry: " << e.dump());
      json by_id = w.call("ledger.entry", {{"id", e["id"]}});
      by_id.erase("reversed");
      CHECK(by_id == e);
      bool listed = false;
      for (const json& h : history)
        if (h["id"] == e["id"]) {
          listed = true;
          CHECK(h == e);
        }
      CHECK(listed);
    }
    CHECK(written[n][7]["status"] == "pending");
    CHECK(written[n][7]["reversed_points"] == 15);
    CHECK(written[n][8]["hold_id"].is_string());
  }
  w.require_verified();
}
