// Pending points: a return window during which earned points are not available.
#include <string>

#include "fixture.hpp"

using namespace loytest;
using loyalty::format_time;
using loyalty::kMillisPerDay;

namespace {
json run_due(const World& w) { return w.call("ledger.run_due", json::object()); }
}  // namespace

TEST_CASE("ledger: pending points are not available until run_due passes pending_until") {
  World w;
  const auto c = w.enroll("c1");
  json r = w.earn(c, 100, {{"pending_days", 14}});
  CHECK(r["entry"]["status"] == "pending");
  CHECK(r["entry"]["posted_at"].is_null());
  CHECK(r["entry"]["pending_until"] == format_time(kStart + 14 * kMillisPerDay));
  const std::string entry = r["entry"]["id"];
  json b = w.balance(c);
  CHECK(b["balance"] == 0);
  CHECK(b["available"] == 0);
  CHECK(b["pending"] == 100);
  CHECK(b["lifetime_earned"] == 100);
  w.require_verified();

  LOY_REQUIRE_ERROR(w.call("hold.create", {{"customer_id", c}, {"points", 1}}), Status::insufficient, "points");
  LOY_REQUIRE_ERROR(w.call("ledger.adjust", {{"customer_id", c}, {"points", -1}, {"reason", "x"}}),
                    Status::insufficient, "points");

  w.clock->set(kStart + 14 * kMillisPerDay - 1);
  json due = run_due(w);
  CHECK(due["pending_released"] == 0);
  CHECK(w.balance(c)["available"] == 0);

  w.clock->advance(1);
  due = run_due(w);
  CHECK(due["pending_released"] == 1);
  CHECK(due["points_released"] == 100);
  b = w.balance(c);
  CHECK(b["balance"] == 100);
  CHECK(b["available"] == 100);
  CHECK(b["pending"] == 0);
  json e = w.call("ledger.entry", {{"id", entry}});
  CHECK(e["status"] == "posted");
  CHECK(e["posted_at"] == format_time(kStart + 14 * kMillisPerDay));
  CHECK(run_due(w)["pending_released"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: the program's pending_days applies unless the earn overrides it") {
  World w(json{{"pending_days", 7}});
  const auto c = w.enroll("c1");
  CHECK(w.earn(c, 10)["entry"]["status"] == "pending");
  CHECK(w.earn(c, 5, {{"pending_days", 0}})["entry"]["status"] == "posted");
  CHECK(w.earn(c, 3, {{"pending_days", 2}})["entry"]["pending_until"] == format_time(kStart + 2 * kMillisPerDay));
  json b = w.balance(c);
  CHECK(b["balance"] == 5);
  CHECK(b["pending"] == 13);
  w.clock->set(kStart + 2 * kMillisPerDay);
  CHECK(run_due(w)["points_released"] == 3);
  w.clock->set(kStart + 7 * kMillisPerDay);
  CHECK(run_due(w)["points_released"] == 10);
  CHECK(w.balance(c)["balance"] == 18);
  w.require_verified();
}

TEST_CASE("ledger: confirm makes pending points available at once, and is harmless to repeat") {
  World w;
  const auto c = w.enroll("c1");
  const std::string entry = w.earn(c, 100, {{"pending_days", 14}})["entry"]["id"];
  w.clock->advance(60'000);
  json r = w.call("ledger.confirm", {{"entry_id", entry}});
  CHECK(r["entry"]["status"] == "posted");
  CHECK(r["entry"]["posted_at"] == "2026-03-01T12:01:00.000Z");
  CHECK(r["balance"]["available"] == 100);
  CHECK(r["balance"]["pending"] == 0);
  json again = w.call("ledger.confirm", {{"entry_id", entry}});
  CHECK(again["balance"] == r["balance"]);
  CHECK(again["entry"] == r["entry"]);
  w.clock->set(kStart + 15 * kMillisPerDay);
  CHECK(run_due(w)["pending_released"] == 0);
  CHECK(w.balance(c)["balance"] == 100);

  // Confirming an already posted earn changes nothing; other entry types cannot be confirmed.
  const std::string posted = w.earn(c, 5)["entry"]["id"];
  CHECK(w.call("ledger.confirm", {{"entry_id", posted}})["balance"]["balance"] == 105);
  const std::string adj = w.call("ledger.adjust", {{"customer_id", c}, {"points", 1}, {"reason", "r"}})["entry"]["id"];
  LOY_REQUIRE_ERROR(w.call("ledger.confirm", {{"entry_id", adj}}), Status::invalid, "entry_id");
  LOY_REQUIRE_ERROR(w.call("ledger.confirm", {{"entry_id", "ent_nope"}}), Status::not_found, "entry_id");
  LOY_REQUIRE_ERROR(w.call("ledger.confirm", {{"entry_id", entry}, {"points", 1}}), Status::invalid, "points");
  w.require_verified();
}

TEST_CASE("ledger: the max balance counts pending points") {
  World w(json{{"max_balance", 500}});
  const auto c = w.enroll("c1");
  w.earn(c, 300, {{"pending_days", 5}});
  LOY_REQUIRE_ERROR(w.earn(c, 201), Status::limit, "points");
  CHECK(w.earn(c, 200)["balance"]["balance"] == 200);
  json b = w.balance(c);
  CHECK(b["pending"] == 300);
  CHECK(b["balance"] == 200);
  w.require_verified();
}
