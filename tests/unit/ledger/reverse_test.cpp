// Reversals (returns) under the program's return policy.
#include <string>

#include "fixture.hpp"

using namespace loytest;
using loyalty::format_time;
using loyalty::kMillisPerDay;

namespace {

json reverse(const World& w, const std::string& entry, json extra = json::object()) {
  json in = {{"entry_id", entry}};
  for (auto& [k, v] : extra.items()) in[k] = v;
  return w.call("ledger.reverse", in);
}

json adjust(const World& w, const std::string& c, int64_t points) {
  return w.call("ledger.adjust", {{"customer_id", c}, {"points", points}, {"reason", "test"}});
}

}  // namespace

TEST_CASE("ledger: reversing pending points shrinks the pending amount under every return policy") {
  for (const char* policy : {"only_pending", "within_balance", "unlimited"}) {
    CAPTURE(policy);
    World w(json{{"return_policy", policy}});
    const auto c = w.enroll("c1");
    const std::string entry = w.earn(c, 100, {{"pending_days", 14}})["entry"]["id"];
    json r = reverse(w, entry, {{"points", 30}, {"reason", "returned one item"}});
    CHECK(r["entry"]["type"] == "reverse");
    CHECK(r["entry"]["points"] == -30);
    CHECK(r["entry"]["status"] == "pending");
    CHECK(r["entry"]["ref_entry_id"] == entry);
    CHECK(r["entry"]["reason"] == "returned one item");
    CHECK(r["reversible_remaining"] == 70);
    CHECK(r["balance"]["balance"] == 0);
    CHECK(r["balance"]["pending"] == 70);
    CHECK(r["balance"]["lifetime_earned"] == 70);
    CHECK(w.call("ledger.entry", {{"id", entry}})["reversed"] == 30);
    w.require_verified();

    // At the end of the window only the rest becomes available; both entries are posted.
    w.clock->set(kStart + 14 * kMillisPerDay);
    CHECK(w.call("ledger.run_due", json::object())["points_released"] == 70);
    json b = w.balance(c);
    CHECK(b["balance"] == 70);
    CHECK(b["pending"] == 0);
    CHECK(w.call("ledger.entry", {{"id", r["entry"]["id"]}})["status"] == "posted");
    w.require_verified();
  }
}

TEST_CASE("ledger: fully reversed pending points release nothing") {
  World w(json{{"return_policy", "only_pending"}});
  const auto c = w.enroll("c1");
  const std::string entry = w.earn(c, 100, {{"pending_days", 14}})["entry"]["id"];
  json r = reverse(w, entry);
  CHECK(r["entry"]["points"] == -100);
  CHECK(r["reversible_remaining"] == 0);
  CHECK(r["balance"]["pending"] == 0);
  LOY_REQUIRE_ERROR(reverse(w, entry), Status::conflict, "entry_id");
  w.clock->set(kStart + 14 * kMillisPerDay);
  CHECK(w.call("ledger.run_due", json::object())["points_released"] == 0);
  CHECK(w.balance(c)["balance"] == 0);
  CHECK(w.balance(c)["lifetime_earned"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: partial then full reversal of posted points; nothing is reversed twice") {
  World w;
  const auto c = w.enroll("c1");
  const std::string entry = w.earn(c, 100)["entry"]["id"];
  w.earn(c, 50);
  json r = reverse(w, entry, {{"points", 30}});
  CHECK(r["entry"]["status"] == "posted");
  CHECK(r["reversible_remaining"] == 70);
  CHECK(r["balance"]["balance"] == 120);
  CHECK(r["balance"]["lifetime_earned"] == 120);
  // Without points, the rest is reversed.
  r = reverse(w, entry);
  CHECK(r["entry"]["points"] == -70);
  CHECK(r["reversible_remaining"] == 0);
  CHECK(r["balance"]["balance"] == 50);
  CHECK(w.call("ledger.entry", {{"id", entry}})["reversed"] == 100);

  LOY_REQUIRE_ERROR(reverse(w, entry), Status::conflict, "entry_id");
  LOY_REQUIRE_ERROR(reverse(w, entry, {{"points", 1}}), Status::conflict, "entry_id");
  CHECK(w.balance(c)["balance"] == 50);
  CHECK(w.call("ledger.history", {{"customer_id", c}, {"types", {"reverse"}}})["items"].size() == 2);
  w.require_verified();
}

TEST_CASE("ledger: reversing more than remains reversible is a conflict and changes nothing") {
  World w;
  const auto c = w.enroll("c1");
  const std::string entry = w.earn(c, 100)["entry"]["id"];
  w.earn(c, 500);
  LOY_REQUIRE_ERROR(reverse(w, entry, {{"points", 101}}), Status::conflict, "points");
  reverse(w, entry, {{"points", 60}});
  LOY_REQUIRE_ERROR(reverse(w, entry, {{"points", 41}}), Status::conflict, "points");
  CHECK(w.balance(c)["balance"] == 540);
  CHECK(reverse(w, entry, {{"points", 40}})["reversible_remaining"] == 0);
  CHECK(w.balance(c)["balance"] == 500);
  w.require_verified();
}

TEST_CASE("ledger: only_pending forbids reversing posted points") {
  World w(json{{"return_policy", "only_pending"}});
  const auto c = w.enroll("c1");
  const std::string entry = w.earn(c, 100)["entry"]["id"];
  LOY_REQUIRE_ERROR(reverse(w, entry), Status::forbidden, "entry_id");
  LOY_REQUIRE_ERROR(reverse(w, entry, {{"points", 1}}), Status::forbidden, "entry_id");
  // Once a pending earn is confirmed, it is posted and no longer reversible either.
  const std::string pending = w.earn(c, 10, {{"pending_days", 3}})["entry"]["id"];
  w.call("ledger.confirm", {{"entry_id", pending}});
  LOY_REQUIRE_ERROR(reverse(w, pending), Status::forbidden, "entry_id");
  CHECK(w.balance(c)["balance"] == 110);
  CHECK(w.call("ledger.history", {{"customer_id", c}, {"types", {"reverse"}}})["items"].empty());
  w.require_verified();
}

TEST_CASE("ledger: within_balance needs the reversed points available") {
  World w(json{{"return_policy", "within_balance"}});
  const auto c = w.enroll("c1");
  const std::string entry = w.earn(c, 100)["entry"]["id"];
  adjust(w, c, -80);
  LOY_REQUIRE_ERROR(reverse(w, entry), Status::insufficient, "points");
  LOY_REQUIRE_ERROR(reverse(w, entry, {{"points", 21}}), Status::insufficient, "points");
  // Held points are not available either.
  json h = w.call("hold.create", {{"customer_id", c}, {"points", 15}});
  LOY_REQUIRE_ERROR(reverse(w, entry, {{"points", 6}}), Status::insufficient, "points");
  w.call("hold.void", {{"id", h["hold"]["id"]}});
  json r = reverse(w, entry, {{"points", 20}});
  CHECK(r["balance"]["balance"] == 0);
  CHECK(r["reversible_remaining"] == 80);
  w.require_verified();
}

TEST_CASE("ledger: a reversal takes the reversed earn's own bucket before others") {
  World w;
  const auto c = w.enroll("c1");
  const std::string keep = w.earn(c, 100)["entry"]["id"];  // never expires
  w.earn(c, 100, {{"expires_at", format_time(kStart + 10 * kMillisPerDay)}});
  reverse(w, keep);
  // Spending order alone would have taken the expiring bucket; the reversal took its own.
  w.clock->set(kStart + 10 * kMillisPerDay);
  CHECK(w.call("ledger.run_due", json::object())["points_expired"] == 100);
  CHECK(w.balance(c)["balance"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: unlimited allows a negative balance that later earns pay back") {
  World w(json{{"return_policy", "unlimited"}});
  const auto c = w.enroll("c1");
  const std::string entry = w.earn(c, 100)["entry"]["id"];
  adjust(w, c, -80);
  json r = reverse(w, entry);
  CHECK(r["balance"]["balance"] == -80);
  CHECK(r["balance"]["available"] == -80);
  CHECK(r["balance"]["lifetime_earned"] == 0);
  w.require_verified();
  LOY_REQUIRE_ERROR(w.call("hold.create", {{"customer_id", c}, {"points", 1}}), Status::insufficient, "points");
  LOY_REQUIRE_ERROR(adjust(w, c, -1), Status::insufficient, "points");

  CHECK(w.earn(c, 50)["balance"]["balance"] == -30);
  w.require_verified();
  CHECK(w.earn(c, 50)["balance"]["balance"] == 20);
  w.require_verified();
  // Only the 20 points beyond the debt can be reserved.
  LOY_REQUIRE_ERROR(w.call("hold.create", {{"customer_id", c}, {"points", 21}}), Status::insufficient, "points");
  json h = w.call("hold.create", {{"customer_id", c}, {"points", 20}});
  CHECK(w.call("hold.commit", {{"id", h["hold"]["id"]}})["balance"]["balance"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: a pending earn pays a negative balance off when it is released") {
  World w(json{{"return_policy", "unlimited"}});
  const auto c = w.enroll("c1");
  const std::string entry = w.earn(c, 100)["entry"]["id"];
  adjust(w, c, -100);
  reverse(w, entry);
  CHECK(w.balance(c)["balance"] == -100);
  w.earn(c, 150, {{"pending_days", 1}});
  w.clock->set(kStart + kMillisPerDay);
  w.call("ledger.run_due", json::object());
  json b = w.balance(c);
  CHECK(b["balance"] == 50);
  CHECK(b["available"] == 50);
  w.require_verified();
  adjust(w, c, -50);
  CHECK(w.balance(c)["balance"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: only earn and bonus entries can be reversed") {
  World w;
  const auto c = w.enroll("c1");
  const std::string bonus = w.earn(c, 100, {{"type", "bonus"}})["entry"]["id"];
  const std::string adj = adjust(w, c, 10)["entry"]["id"];
  const std::string rev = reverse(w, bonus, {{"points", 10}})["entry"]["id"];
  LOY_REQUIRE_ERROR(reverse(w, adj), Status::invalid, "entry_id");
  LOY_REQUIRE_ERROR(reverse(w, rev), Status::invalid, "entry_id");
  json h = w.call("hold.create", {{"customer_id", c}, {"points", 5}});
  const std::string redeem = w.call("hold.commit", {{"id", h["hold"]["id"]}})["entry"]["id"];
  LOY_REQUIRE_ERROR(reverse(w, redeem), Status::invalid, "entry_id");
  LOY_REQUIRE_ERROR(reverse(w, "ent_nope"), Status::not_found, "entry_id");
  LOY_REQUIRE_ERROR(reverse(w, bonus, {{"points", 0}}), Status::invalid, "points");
  LOY_REQUIRE_ERROR(reverse(w, bonus, {{"points", -5}}), Status::invalid, "points");
  CHECK(w.balance(c)["balance"] == 95);
  w.require_verified();
}

TEST_CASE("ledger: a reversal with an idempotency key happens once") {
  World w;
  const auto c = w.enroll("c1");
  const std::string entry = w.earn(c, 100)["entry"]["id"];
  json first = reverse(w, entry, {{"points", 40}, {"idempotency_key", "return-1"}});
  json again = reverse(w, entry, {{"points", 40}, {"idempotency_key", "return-1"}});
  CHECK(again["replayed"] == true);
  CHECK(again["entry"]["id"] == first["entry"]["id"]);
  CHECK(w.balance(c)["balance"] == 60);
  LOY_REQUIRE_ERROR(reverse(w, entry, {{"points", 41}, {"idempotency_key", "return-1"}}), Status::conflict, "points");
  w.require_verified();
}
