// Manual adjustments and the program's maximum balance.
#include <string>

#include "fixture.hpp"

using namespace loytest;
using loyalty::format_time;
using loyalty::kMillisPerDay;

namespace {
json adjust(const World& w, const std::string& c, json points, json extra = json::object()) {
  json in = {{"customer_id", c}, {"points", std::move(points)}, {"reason", "goodwill"}};
  for (auto& [k, v] : extra.items()) in[k] = v;
  return w.call("ledger.adjust", in);
}
}  // namespace

TEST_CASE("ledger: an adjustment needs a reason") {
  World w;
  const auto c = w.enroll("c1");
  LOY_REQUIRE_ERROR(w.call("ledger.adjust", {{"customer_id", c}, {"points", 10}}), Status::invalid, "reason");
  LOY_REQUIRE_ERROR(adjust(w, c, 10, {{"reason", ""}}), Status::invalid, "reason");
  LOY_REQUIRE_ERROR(adjust(w, c, 10, {{"reason", std::string(501, 'r')}}), Status::invalid, "reason");
  LOY_REQUIRE_ERROR(adjust(w, c, 0), Status::invalid, "points");
  CHECK(w.balance(c)["balance"] == 0);
  CHECK(w.call("ledger.history", {{"customer_id", c}})["items"].empty());
  w.require_verified();
}

TEST_CASE("ledger: a positive adjustment credits a bucket under the program's expiry; it is not an earn") {
  World w(json{{"expiry", {{"policy", "days_after_earn"}, {"days", 10}}}});
  const auto c = w.enroll("c1");
  json r = adjust(w, c, 25, {{"metadata", {{"ticket", "T-1"}}}});
  CHECK(r["entry"]["type"] == "adjust");
  CHECK(r["entry"]["points"] == 25);
  CHECK(r["entry"]["reason"] == "goodwill");
  CHECK(r["entry"]["metadata"] == json{{"ticket", "T-1"}});
  CHECK(r["entry"]["expires_at"] == format_time(kStart + 10 * kMillisPerDay));
  CHECK(r["balance"]["balance"] == 25);
  CHECK(r["balance"]["lifetime_earned"] == 0);
  w.clock->set(kStart + 10 * kMillisPerDay);
  CHECK(w.call("ledger.run_due", json::object())["points_expired"] == 25);
  w.require_verified();
}

TEST_CASE("ledger: a negative adjustment beyond the available points is insufficient") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 100);
  try {
    adjust(w, c, -101);
    FAIL("expected insufficient");
  } catch (const loyalty::Error& e) {
    CHECK(e.status() == Status::insufficient);
    CHECK(e.field() == "points");
    CHECK(e.detail()["available"] == 100);
  }
  json r = adjust(w, c, -100);
  CHECK(r["entry"]["points"] == -100);
  CHECK_FALSE(r["entry"].contains("expires_at"));
  CHECK(r["balance"]["balance"] == 0);
  CHECK(r["balance"]["lifetime_redeemed"] == 0);  // an adjustment is not a redemption
  w.require_verified();
}

TEST_CASE("ledger: with allow_negative an adjustment may take the balance below zero; earns pay it back") {
  World w(json{{"allow_negative", true}});
  const auto c = w.enroll("c1");
  w.earn(c, 30);
  json h = w.call("hold.create", {{"customer_id", c}, {"points", 10}});
  json r = adjust(w, c, -50);
  CHECK(r["balance"]["balance"] == -20);
  CHECK(r["balance"]["held"] == 10);
  CHECK(r["balance"]["available"] == -30);
  w.require_verified();
  // The reservation made before still commits.
  CHECK(w.call("hold.commit", {{"id", h["hold"]["id"]}})["balance"]["balance"] == -30);
  w.require_verified();
  CHECK(w.earn(c, 40)["balance"]["balance"] == 10);
  CHECK(w.balance(c)["available"] == 10);
  w.require_verified();
}

TEST_CASE("ledger: the maximum balance refuses earns and credits that would exceed it") {
  World w(json{{"max_balance", 500}});
  const auto c = w.enroll("c1");
  w.earn(c, 400);
  try {
    w.earn(c, 101);
    FAIL("expected limit");
  } catch (const loyalty::Error& e) {
    CHECK(e.status() == Status::limit);
    CHECK(e.field() == "points");
    CHECK(e.detail()["max_balance"] == 500);
    CHECK(e.detail()["balance"] == 400);
  }
  CHECK(w.earn(c, 100)["balance"]["balance"] == 500);
  LOY_REQUIRE_ERROR(adjust(w, c, 1), Status::limit, "points");
  // Debits are always allowed, and make room again.
  adjust(w, c, -1);
  CHECK(adjust(w, c, 1)["balance"]["balance"] == 500);
  CHECK(w.balance(c)["lifetime_earned"] == 500);
  w.require_verified();
}

TEST_CASE("ledger: adjust with an idempotency key happens once and is audited once") {
  World w;
  const auto c = w.enroll("c1");
  json first = adjust(w, c, 15, {{"idempotency_key", "adj-1"}});
  json again = adjust(w, c, 15, {{"idempotency_key", "adj-1"}});
  CHECK(again["replayed"] == true);
  CHECK(again["entry"]["id"] == first["entry"]["id"]);
  CHECK(w.balance(c)["balance"] == 15);
  CHECK(w.call("audit.list", {{"action", "ledger.adjust"}})["items"].size() == 1);
  w.require_verified();
}
