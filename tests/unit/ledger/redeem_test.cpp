// ledger.redeem and ledger.refund: spending points, and putting them back where they came from.
#include <string>

#include "fixture.hpp"

using namespace loytest;
using loyalty::format_time;
using loyalty::kMillisPerDay;

namespace {

json redeem(const World& w, const std::string& c, int64_t points, json extra = json::object()) {
  json in = {{"customer_id", c}, {"points", points}};
  for (auto& [k, v] : extra.items()) in[k] = v;
  return w.call("ledger.redeem", in);
}

json refund(const World& w, const json& entry_id, json extra = json::object()) {
  json in = {{"entry_id", entry_id}};
  for (auto& [k, v] : extra.items()) in[k] = v;
  return w.call("ledger.refund", in);
}

/// Unreserved points per expiry date (ISO text) of one customer, as ledger.expiring reports them.
std::map<std::string, int64_t> expiring_by_date(const World& w, const std::string& c) {
  std::map<std::string, int64_t> out;
  json r = w.call("ledger.expiring", {{"customer_id", c}, {"before", "2030-01-01T00:00:00Z"}, {"limit", 1000}});
  for (const auto& it : r["items"]) out[it["expires_at"]] += it["points"].get<int64_t>();
  return out;
}

}  // namespace

TEST_CASE("ledger: redeem spends the bucket nearest to expiry first and counts as redeemed") {
  World w;
  const auto c = w.enroll("c1");
  const std::string d10 = format_time(kStart + 10 * kMillisPerDay), d20 = format_time(kStart + 20 * kMillisPerDay);
  w.earn(c, 50, {{"expires_at", d20}});
  w.earn(c, 30, {{"expires_at", d10}});
  w.earn(c, 40);  // never expires
  json r = redeem(w, c, 60, {{"reason", "coffee"}});
  CHECK(r["replayed"] == false);
  CHECK(r["entry"]["type"] == "redeem");
  CHECK(r["entry"]["points"] == -60);
  CHECK(r["entry"]["reason"] == "coffee");
  CHECK(r["balance"]["balance"] == 60);
  CHECK(r["balance"]["lifetime_redeemed"] == 60);
  // 30 from the day-10 bucket, then 30 of the day-20 bucket.
  CHECK(expiring_by_date(w, c) == std::map<std::string, int64_t>{{d20, 20}});
  CHECK(w.call("events.poll", {{"types", {"points.redeemed"}}})["events"].size() == 1);
  w.require_verified();
}

TEST_CASE("ledger: a redeem beyond the available points is refused and changes nothing") {
  World w(json{{"allow_negative", true}});
  const auto c = w.enroll("c1");
  w.earn(c, 50);
  w.call("hold.create", {{"customer_id", c}, {"points", 20}});
  const json before = w.balance(c);
  LOY_REQUIRE_ERROR(redeem(w, c, 31), Status::insufficient, "points");
  CHECK(w.balance(c) == before);
  CHECK(w.call("ledger.history", {{"customer_id", c}, {"types", {"redeem"}}})["items"].empty());
  LOY_REQUIRE_ERROR(redeem(w, c, 0), Status::invalid, "points");
  LOY_REQUIRE_ERROR(redeem(w, "cus_unknown", 1), Status::not_found, "customer_id");
  CHECK(redeem(w, c, 30)["balance"]["available"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: a refund puts points back into their buckets with the original expiry, once") {
  World w;
  const auto c = w.enroll("c1");
  const std::string d10 = format_time(kStart + 10 * kMillisPerDay), d20 = format_time(kStart + 20 * kMillisPerDay);
  w.earn(c, 30, {{"expires_at", d10}});
  w.earn(c, 50, {{"expires_at", d20}});
  const json r = redeem(w, c, 60);
  const json before_refund = expiring_by_date(w, c);
  CHECK(before_refund == json{{d20, 20}});

  // Partial: the latest expiry is refilled first.
  json p = refund(w, r["entry"]["id"], {{"points", 25}, {"reason", "one item returned"}});
  CHECK(p["entry"]["type"] == "refund");
  CHECK(p["entry"]["points"] == 25);
  CHECK(p["entry"]["ref_entry_id"] == r["entry"]["id"]);
  CHECK(p["refundable_remaining"] == 35);
  CHECK(p["expired_on_refund"] == 0);
  CHECK(p["balance"]["balance"] == 45);
  CHECK(p["balance"]["lifetime_redeemed"] == 35);
  CHECK(expiring_by_date(w, c) == std::map<std::string, int64_t>{{d20, 45}});

  LOY_REQUIRE_ERROR(refund(w, r["entry"]["id"], {{"points", 36}}), Status::conflict, "points");
  json rest = refund(w, r["entry"]["id"]);
  CHECK(rest["entry"]["points"] == 35);
  CHECK(rest["refundable_remaining"] == 0);
  CHECK(expiring_by_date(w, c) == std::map<std::string, int64_t>{{d10, 30}, {d20, 50}});
  CHECK(rest["balance"]["balance"] == 80);
  CHECK(rest["balance"]["lifetime_redeemed"] == 0);
  LOY_REQUIRE_ERROR(refund(w, r["entry"]["id"]), Status::conflict, "entry_id");
  CHECK(w.call("events.poll", {{"types", {"points.refunded"}}})["events"].size() == 2);
  w.require_verified();
}

TEST_CASE("ledger: refunded points of a bucket that expired meanwhile expire at once") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 30, {{"expires_at", format_time(kStart + 10 * kMillisPerDay)}});
  w.earn(c, 50);
  const json r = redeem(w, c, 40);  // 30 from the expiring bucket, 10 from the other
  w.clock->advance(11 * kMillisPerDay);
  json f = refund(w, r["entry"]["id"]);
  CHECK(f["entry"]["points"] == 40);
  CHECK(f["expired_on_refund"] == 30);
  CHECK(f["balance"]["balance"] == 50);
  CHECK(f["balance"]["lifetime_redeemed"] == 0);
  json h = w.call("ledger.history", {{"customer_id", c}, {"limit", 2}});
  CHECK(h["items"][0]["type"] == "expire");
  CHECK(h["items"][0]["points"] == -30);
  CHECK(h["items"][1]["type"] == "refund");
  w.require_verified();
}

TEST_CASE("ledger: redemptions through a hold can be refunded; other entries cannot") {
  World w;
  const auto c = w.enroll("c1");
  const json e = w.earn(c, 100);
  const json h = w.call("hold.create", {{"customer_id", c}, {"points", 40}});
  const json done = w.call("hold.commit", {{"id", h["hold"]["id"]}});
  CHECK(refund(w, done["entry"]["id"])["balance"]["balance"] == 100);
  LOY_REQUIRE_ERROR(refund(w, e["entry"]["id"]), Status::invalid, "entry_id");
  LOY_REQUIRE_ERROR(refund(w, "ent_unknown"), Status::not_found, "entry_id");
  LOY_REQUIRE_ERROR(refund(w, done["entry"]["id"], {{"points", 0}}), Status::invalid, "points");
  LOY_REQUIRE_ERROR(refund(w, done["entry"]["id"], {{"bucket", 1}}), Status::invalid, "bucket");
  w.require_verified();
}

TEST_CASE("ledger: redeem and refund replay under their idempotency keys") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 100);
  const json r = redeem(w, c, 10, {{"idempotency_key", "r1"}});
  const json again = redeem(w, c, 10, {{"idempotency_key", "r1"}});
  CHECK(again["replayed"] == true);
  CHECK(again["entry"] == r["entry"]);
  LOY_REQUIRE_ERROR(redeem(w, c, 11, {{"idempotency_key", "r1"}}), Status::conflict, "points");
  const json f = refund(w, r["entry"]["id"], {{"idempotency_key", "f1"}});
  CHECK(refund(w, r["entry"]["id"], {{"idempotency_key", "f1"}})["entry"] == f["entry"]);
  CHECK(w.balance(c)["balance"] == 100);
  w.require_verified();
}
