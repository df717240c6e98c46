// Holds: reservations that count against the available balance and resolve at most once.
#include <string>

#include "fixture.hpp"

using namespace loytest;
using loyalty::format_time;
using loyalty::kMillisPerDay;

namespace {

json hold(const World& w, const std::string& c, int64_t points, json extra = json::object()) {
  json in = {{"customer_id", c}, {"points", points}};
  for (auto& [k, v] : extra.items()) in[k] = v;
  return w.call("hold.create", in);
}

}  // namespace

TEST_CASE("ledger: a hold reduces the available balance but not the balance") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 100);
  json r = hold(w, c, 30, {{"reason", "reward 7"}});
  const json& h = r["hold"];
  CHECK(h["id"].get<std::string>().rfind("hld_", 0) == 0);
  CHECK(h["status"] == "active");
  CHECK(h["points"] == 30);
  CHECK(h["customer_id"] == c);
  CHECK(h["program_id"] == w.program_id);
  CHECK(h["reason"] == "reward 7");
  CHECK(h["expires_at"] == format_time(kStart + 900'000));  // 15 minutes by default
  CHECK(h["resolved_at"].is_null());
  CHECK(h["entry_id"].is_null());
  CHECK(r["balance"]["balance"] == 100);
  CHECK(r["balance"]["available"] == 70);
  CHECK(r["balance"]["held"] == 30);
  CHECK(w.call("hold.get", {{"id", h["id"]}}) == h);
  w.require_verified();

  LOY_REQUIRE_ERROR(hold(w, c, 71), Status::insufficient, "points");
  hold(w, c, 70);
  CHECK(w.balance(c)["available"] == 0);
  LOY_REQUIRE_ERROR(hold(w, c, 1), Status::insufficient, "points");
  LOY_REQUIRE_ERROR(w.call("ledger.adjust", {{"customer_id", c}, {"points", -1}, {"reason", "x"}}),
                    Status::insufficient, "points");
  w.require_verified();
}

TEST_CASE("ledger: committing a whole hold posts a redeem entry") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 100);
  const std::string id = hold(w, c, 30)["hold"]["id"];
  w.clock->advance(1000);
  json r = w.call("hold.commit", {{"id", id}, {"reason", "reward 7"}, {"metadata", {{"sku", "MUG"}}}});
  CHECK(r["hold"]["status"] == "committed");
  CHECK(r["hold"]["resolved_at"] == "2026-03-01T12:00:01.000Z");
  CHECK(r["hold"]["entry_id"] == r["entry"]["id"]);
  CHECK(r["entry"]["type"] == "redeem");
  CHECK(r["entry"]["points"] == -30);
  CHECK(r["entry"]["hold_id"] == id);
  CHECK(r["entry"]["reason"] == "reward 7");
  CHECK(r["entry"]["metadata"] == json{{"sku", "MUG"}});
  CHECK(r["balance"]["balance"] == 70);
  CHECK(r["balance"]["available"] == 70);
  CHECK(r["balance"]["held"] == 0);
  CHECK(r["balance"]["lifetime_redeemed"] == 30);
  CHECK(r["balance"]["lifetime_earned"] == 100);
  CHECK(w.call("ledger.entry", {{"id", r["entry"]["id"]}})["type"] == "redeem");
  w.require_verified();
}

TEST_CASE("ledger: committing part of a hold redeems that part and releases the rest") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 100);
  const std::string id = hold(w, c, 30)["hold"]["id"];
  LOY_REQUIRE_ERROR(w.call("hold.commit", {{"id", id}, {"points", 31}}), Status::invalid, "points");
  LOY_REQUIRE_ERROR(w.call("hold.commit", {{"id", id}, {"points", 0}}), Status::invalid, "points");
  CHECK(w.call("hold.get", {{"id", id}})["status"] == "active");
  json r = w.call("hold.commit", {{"id", id}, {"points", 20}});
  CHECK(r["entry"]["points"] == -20);
  CHECK(r["hold"]["points"] == 30);
  CHECK(r["balance"]["balance"] == 80);
  CHECK(r["balance"]["available"] == 80);
  CHECK(r["balance"]["held"] == 0);
  CHECK(r["balance"]["lifetime_redeemed"] == 20);
  w.require_verified();
}

TEST_CASE("ledger: voiding a hold gives the points back; a hold resolves only once") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 100);
  const std::string voided = hold(w, c, 30)["hold"]["id"];
  json r = w.call("hold.void", {{"id", voided}});
  CHECK(r["hold"]["status"] == "voided");
  CHECK_FALSE(r["hold"]["resolved_at"].is_null());
  CHECK(r["balance"]["available"] == 100);
  CHECK(r["balance"]["held"] == 0);
  // Voiding again is harmless; committing a voided hold is a conflict.
  CHECK(w.call("hold.void", {{"id", voided}})["hold"]["status"] == "voided");
  LOY_REQUIRE_ERROR(w.call("hold.commit", {{"id", voided}}), Status::conflict, "id");

  const std::string committed = hold(w, c, 40)["hold"]["id"];
  w.call("hold.commit", {{"id", committed}});
  LOY_REQUIRE_ERROR(w.call("hold.void", {{"id", committed}}), Status::conflict, "id");
  LOY_REQUIRE_ERROR(w.call("hold.commit", {{"id", committed}}), Status::conflict, "id");
  json b = w.balance(c);
  CHECK(b["balance"] == 60);
  CHECK(b["available"] == 60);
  CHECK(b["lifetime_redeemed"] == 40);
  CHECK(w.call("ledger.history", {{"customer_id", c}, {"types", {"redeem"}}})["items"].size() == 1);
  LOY_REQUIRE_ERROR(w.call("hold.void", {{"id", "hld_nope"}}), Status::not_found, "id");
  LOY_REQUIRE_ERROR(w.call("hold.get", {{"id", "hld_nope"}}), Status::not_found, "id");
  LOY_REQUIRE_ERROR(w.call("hold.commit", {{"id", "hld_nope"}}), Status::not_found, "id");
  w.require_verified();
}

TEST_CASE("ledger: a hold past its expiry cannot be committed and run_due releases it") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 100);
  const std::string id = hold(w, c, 30, {{"ttl_seconds", 60}})["hold"]["id"];
  CHECK(w.call("hold.get", {{"id", id}})["expires_at"] == format_time(kStart + 60'000));
  w.clock->advance(59'999);
  CHECK(w.call("ledger.run_due", json::object())["holds_expired"] == 0);
  w.clock->advance(1);
  // Expired by time even before maintenance has run.
  LOY_REQUIRE_ERROR(w.call("hold.commit", {{"id", id}}), Status::conflict, "id");
  CHECK(w.balance(c)["held"] == 30);
  json due = w.call("ledger.run_due", json::object());
  CHECK(due["holds_expired"] == 1);
  json h = w.call("hold.get", {{"id", id}});
  CHECK(h["status"] == "expired");
  CHECK(h["resolved_at"] == format_time(kStart + 60'000));
  json b = w.balance(c);
  CHECK(b["available"] == 100);
  CHECK(b["held"] == 0);
  CHECK(b["lifetime_redeemed"] == 0);
  LOY_REQUIRE_ERROR(w.call("hold.commit", {{"id", id}}), Status::conflict, "id");
  CHECK(w.call("hold.void", {{"id", id}})["hold"]["status"] == "expired");
  CHECK(w.call("ledger.run_due", json::object())["holds_expired"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: hold expiry is given as ttl_seconds or expires_at, in the future") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 100);
  const std::string at = format_time(kStart + kMillisPerDay);
  CHECK(hold(w, c, 1, {{"expires_at", at}})["hold"]["expires_at"] == at);
  CHECK(hold(w, c, 1, {{"ttl_seconds", 30 * 86'400}})["hold"]["expires_at"] ==
        format_time(kStart + 30 * kMillisPerDay));
  LOY_REQUIRE_ERROR(hold(w, c, 1, {{"expires_at", at}, {"ttl_seconds", 60}}), Status::invalid, "ttl_seconds");
  LOY_REQUIRE_ERROR(hold(w, c, 1, {{"expires_at", format_time(kStart)}}), Status::invalid, "expires_at");
  LOY_REQUIRE_ERROR(hold(w, c, 1, {{"expires_at", "tomorrow"}}), Status::invalid, "expires_at");
  LOY_REQUIRE_ERROR(hold(w, c, 1, {{"ttl_seconds", 0}}), Status::invalid, "ttl_seconds");
  LOY_REQUIRE_ERROR(hold(w, c, 1, {{"ttl_seconds", 30 * 86'400 + 1}}), Status::invalid, "ttl_seconds");
  LOY_REQUIRE_ERROR(hold(w, c, 0), Status::invalid, "points");
  LOY_REQUIRE_ERROR(hold(w, c, -5), Status::invalid, "points");
  LOY_REQUIRE_ERROR(hold(w, c, 1, {{"metadata", json::object()}}), Status::invalid, "metadata");
  LOY_REQUIRE_ERROR(hold(w, "cus_nope", 1), Status::not_found, "customer_id");
  CHECK(w.balance(c)["held"] == 2);
  w.require_verified();
}

TEST_CASE("ledger: a hold reserves the points nearest to expiry, which then do not expire") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 100);
  w.earn(c, 50, {{"expires_at", format_time(kStart + 10 * kMillisPerDay)}});
  const std::string id = hold(w, c, 50, {{"ttl_seconds", 20 * 86'400}})["hold"]["id"];
  w.clock->set(kStart + 10 * kMillisPerDay);
  CHECK(w.call("ledger.run_due", json::object())["points_expired"] == 0);
  CHECK(w.balance(c)["balance"] == 150);
  CHECK(w.call("hold.commit", {{"id", id}})["balance"]["balance"] == 100);
  CHECK(w.call("ledger.run_due", json::object())["points_expired"] == 0);
  CHECK(w.balance(c)["balance"] == 100);
  w.require_verified();
}

TEST_CASE("ledger: a hold with an idempotency key is created once") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 100);
  json first = hold(w, c, 30, {{"idempotency_key", "cart-9"}});
  json again = hold(w, c, 30, {{"idempotency_key", "cart-9"}});
  CHECK(again["replayed"] == true);
  CHECK(again["hold"]["id"] == first["hold"]["id"]);
  CHECK(w.balance(c)["held"] == 30);
  LOY_REQUIRE_ERROR(hold(w, c, 31, {{"idempotency_key", "cart-9"}}), Status::conflict, "points");

  json c1 = w.call("hold.commit", {{"id", first["hold"]["id"]}, {"idempotency_key", "commit-9"}});
  json c2 = w.call("hold.commit", {{"id", first["hold"]["id"]}, {"idempotency_key", "commit-9"}});
  CHECK(c2["replayed"] == true);
  CHECK(c2["entry"]["id"] == c1["entry"]["id"]);
  CHECK(w.balance(c)["balance"] == 70);
  w.require_verified();
}
