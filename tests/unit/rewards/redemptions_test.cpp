// Redemptions: one-step redeem, refusals that change nothing, idempotent replay, limits per
// period in the tenant's time zone, tier restrictions, reserve/fulfil/cancel/expire, refunds once,
// coupon codes, lookups, events and verify.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fixture.hpp"
#include "raw_db.hpp"
#include "support.hpp"

using namespace loytest;
using loyalty::format_time;
using loyalty::kMillisPerDay;
using loyalty::parse_time;

namespace {

json redeem(const World& w, const json& r, const std::string& c, const std::string& key) {
  return w.call("reward.redeem", {{"reward_id", r["id"]}, {"customer_id", c}, {"idempotency_key", key}});
}

json reserve(const World& w, const json& r, const std::string& c, const std::string& key, json extra = {}) {
  json in = {{"reward_id", r["id"]}, {"customer_id", c}, {"idempotency_key", key}};
  if (extra.is_object())
    for (auto& [k, v] : extra.items()) in[k] = v;
  return w.call("reward.reserve", in);
}

/// What a refusal must leave untouched: the customer's balance, the reward, the customer's
/// redemptions and the outbox.
struct Snapshot {
  json balance, reward, redemptions;
  size_t events = 0;
  bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(const World& w, const json& r, const std::string& c) {
  return {w.balance(c), w.call("reward.get", {{"id", r["id"]}}), w.call("redemption.list", {{"customer_id", c}}),
          w.call("events.poll", {{"limit", 1000}})["events"].size()};
}

/// The usual start: a world, a customer "c1" earning `points`, then a reward (see reward()) with
/// `fields`. Tests bind the three: `auto& [w, c, r] = shop;`.
struct Shop {
  World w;
  std::string c;
  json r;
  explicit Shop(int64_t points, const json& fields = json::object()) : c(w.enroll("c1")) {
    w.earn(c, points);
    r = reward(w, fields);
  }
};

std::vector<std::string> event_types(const World& w) {
  std::vector<std::string> out;
  const json page = w.call("events.poll", {{"limit", 1000}});
  for (const auto& e : page["events"]) out.push_back(e["type"]);
  return out;
}

}  // namespace

TEST_CASE("redemption: redeem debits the points, takes a unit and issues a coupon in one step") {
  Shop shop(250, {{"stock", 3}});
  auto& [w, c, r] = shop;
  const json out = redeem(w, r, c, "k1");
  const json& d = out["redemption"];
  CHECK(d["id"].get<std::string>().rfind("rdm_", 0) == 0);
  CHECK(d["status"] == "fulfilled");
  CHECK(d["points"] == 100);
  CHECK(d["reward_id"] == r["id"]);
  CHECK(d["reward_name"] == "Coffee");
  CHECK(d["customer_id"] == c);
  CHECK(d["fulfilled_at"] == format_time(kStart));
  CHECK(d["entry_id"] == out["entry"]["id"]);
  CHECK(out["entry"]["type"] == "redeem");
  CHECK(out["entry"]["points"] == -100);
  CHECK(out["balance"]["balance"] == 150);
  CHECK(out["replayed"] == false);
  // 28 characters of uppercase Crockford base32 in groups of four.
  const std::string code = d["coupon_code"];
  CHECK(code.size() == 34);
  for (size_t k = 0; k < code.size(); ++k) {
    CAPTURE(code);
    if (k % 5 == 4)
      CHECK(code[k] == '-');
    else
      CHECK(std::string("0123456789ABCDEFGHJKMNPQRSTVWXYZ").find(code[k]) != std::string::npos);
  }
  CHECK(stock_of(w, r) == 2);
  CHECK(w.balance(c)["available"] == 150);
  const auto types = event_types(w);
  CHECK(std::find(types.begin(), types.end(), "points.redeemed") != types.end());
  CHECK(types.back() == "reward.redeemed");
  w.require_verified();
}

TEST_CASE("redemption: coupon codes are unique and found however the cashier types them") {
  Shop shop(100'000, {{"cost_points", 1}});
  auto& [w, c, r] = shop;
  std::set<std::string> codes;
  for (int n = 0; n < 200; ++n) codes.insert(redeem(w, r, c, "k" + std::to_string(n))["redemption"]["coupon_code"]);
  CHECK(codes.size() == 200);
  const std::string code = *codes.begin();
  const json found = w.call("redemption.by_code", {{"code", code}});
  CHECK(found["coupon_code"] == code);
  std::string typed;
  for (char ch : code)
    if (ch != '-') typed.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  std::replace(typed.begin(), typed.end(), '0', 'o');
  std::replace(typed.begin(), typed.end(), '1', 'l');
  CHECK(w.call("redemption.by_code", {{"code", typed}})["id"] == found["id"]);
  LOY_REQUIRE_ERROR(w.call("redemption.by_code", {{"code", "ABCD"}}), Status::invalid, "code");
  LOY_REQUIRE_ERROR(w.call("redemption.by_code", {{"code", std::string(28, 'U')}}), Status::invalid, "code");
  LOY_REQUIRE_ERROR(w.call("redemption.by_code", {{"code", std::string(28, 'A')}}), Status::not_found, "code");
  // Another tenant cannot look the code up.
  auto [other, pid] = w.other_tenant("Other");
  LOY_REQUIRE_ERROR(other.call("redemption.by_code", {{"code", code}}), Status::not_found, "code");
}

TEST_CASE("redemption: refusals for window, stock, limit, tier and balance change nothing") {
  World w;
  w.call("tier.policy.set", {{"window", {{"kind", "lifetime"}}}});
  const std::string gold = w.call("tier.create", {{"name", "Gold"}, {"rank", 1}, {"threshold", 10'000}})["id"];
  const auto c = w.enroll("c1");
  w.earn(c, 1000);
  const json early = reward(w, {{"starts_at", format_time(kStart + 1000)}});
  const json late = reward(w, {{"ends_at", format_time(kStart)}, {"starts_at", format_time(kStart - 1000)}});
  const json off = reward(w);
  w.call("reward.deactivate", {{"id", off["id"]}});
  const json none = reward(w, {{"stock", 0}});
  const json once = reward(w, {{"per_customer_limit", {{"count", 1}, {"period", "lifetime"}}}});
  const json gated = reward(w, {{"min_tier_id", gold}});
  const json dear = reward(w, {{"cost_points", 5000}});
  redeem(w, once, c, "first");

  struct Case {
    const json* r;
    Status status;
    const char* field;
  };
  const Case cases[] = {{&early, Status::forbidden, "reward_id"}, {&late, Status::forbidden, "reward_id"},
                        {&off, Status::forbidden, "reward_id"},   {&none, Status::out_of_stock, "reward_id"},
                        {&once, Status::limit, "customer_id"},    {&gated, Status::forbidden, "customer_id"},
                        {&dear, Status::insufficient, "points"}};
  int n = 0;
  for (const auto& cs : cases) {
    CAPTURE((*cs.r)["name"]);
    for (const char* op : {"reward.redeem", "reward.reserve"}) {
      CAPTURE(op);
      const Snapshot before = snapshot(w, *cs.r, c);
      LOY_REQUIRE_ERROR(w.call(op, {{"reward_id", (*cs.r)["id"]},
                                    {"customer_id", c},
                                    {"idempotency_key", "refused-" + std::to_string(n++)}}),
                        cs.status, cs.field);
      CHECK(snapshot(w, *cs.r, c) == before);
    }
  }
  // The refusal is not remembered under its key: the same key succeeds once the cause is gone.
  w.call("tier.assign", {{"customer_id", c}, {"tier_id", gold}, {"reason", "promo"}});
  CHECK(redeem(w, gated, c, "refused-10")["redemption"]["status"] == "fulfilled");
  w.require_verified();
}

TEST_CASE("redemption: input is validated with field names") {
  Shop shop(500);
  auto& [w, c, r] = shop;
  LOY_REQUIRE_ERROR(w.call("reward.redeem", {{"reward_id", r["id"]}, {"customer_id", c}}), Status::invalid,
                    "idempotency_key");
  LOY_REQUIRE_ERROR(w.call("reward.redeem", {{"reward_id", r["id"]}, {"customer_id", c}, {"idempotency_key", ""}}),
                    Status::invalid, "idempotency_key");
  LOY_REQUIRE_ERROR(w.call("reward.redeem", {{"customer_id", c}, {"idempotency_key", "k"}}), Status::invalid,
                    "reward_id");
  LOY_REQUIRE_ERROR(w.call("reward.redeem", {{"reward_id", r["id"]}, {"idempotency_key", "k"}}), Status::invalid,
                    "customer_id");
  LOY_REQUIRE_ERROR(
      w.call("reward.redeem", {{"reward_id", r["id"]}, {"customer_id", c}, {"idempotency_key", "k"}, {"qty", 2}}),
      Status::invalid, "qty");
  LOY_REQUIRE_ERROR(w.call("reward.redeem", {{"reward_id", "rwd_nope"}, {"customer_id", c}, {"idempotency_key", "k"}}),
                    Status::not_found, "reward_id");
  LOY_REQUIRE_ERROR(
      w.call("reward.redeem", {{"reward_id", r["id"]}, {"customer_id", "cus_nope"}, {"idempotency_key", "k"}}),
      Status::not_found, "customer_id");
  LOY_REQUIRE_ERROR(reserve(w, r, c, "k", {{"ttl_seconds", 0}}), Status::invalid, "ttl_seconds");
  LOY_REQUIRE_ERROR(w.call("reward.reserve", {{"reward_id", r["id"]}, {"customer_id", c}}), Status::invalid,
                    "idempotency_key");
  LOY_REQUIRE_ERROR(w.call("redemption.fulfil", {{"id", "rdm_nope"}}), Status::not_found, "id");
  LOY_REQUIRE_ERROR(w.call("redemption.cancel", {{"id", "rdm_nope"}}), Status::not_found, "id");
  LOY_REQUIRE_ERROR(w.call("redemption.get", {{"id", "rdm_nope"}}), Status::not_found, "id");
  LOY_REQUIRE_ERROR(w.call("redemption.list", json::object()), Status::invalid, "customer_id");
  LOY_REQUIRE_ERROR(w.call("redemption.list", {{"customer_id", c}, {"status", "used"}}), Status::invalid, "status");
  LOY_REQUIRE_ERROR(w.call("redemption.list", {{"customer_id", "cus_nope"}}), Status::not_found, "customer_id");
  CHECK(w.balance(c)["balance"] == 500);
}

TEST_CASE("redemption: a replayed key returns the original answer; another payload conflicts") {
  Shop shop(100, {{"stock", 1}});
  auto& [w, c, r] = shop;
  const json first = redeem(w, r, c, "k1");
  const json again = redeem(w, r, c, "k1");  // stock and balance are 0 now: still the original answer
  CHECK(again["replayed"] == true);
  CHECK(again["redemption"] == first["redemption"]);
  CHECK(again["entry"] == first["entry"]);
  const json other = reward(w);
  LOY_REQUIRE_ERROR(redeem(w, other, c, "k1"), Status::conflict, "reward_id");
  CHECK(w.call("redemption.list", {{"customer_id", c}})["items"].size() == 1);
  CHECK(w.balance(c)["balance"] == 0);
  w.require_verified();
}

TEST_CASE("redemption: per-customer limits count per local day, week, month and year") {
  World w;
  w.admin.call("tenant.update", {{"id", w.tenant["tenant"]["id"]}, {"timezone", "Pacific/Auckland"}});
  const auto c = w.enroll("c1");
  const auto d = w.enroll("c2");
  w.earn(c, 100'000);
  w.earn(d, 100'000);
  // 2026-03-01T12:00Z is Monday 2 March 01:00 in Auckland (UTC+13).
  w.clock->set(*parse_time("2026-03-01T12:00:00Z"));
  const json daily = reward(w, {{"cost_points", 1}, {"per_customer_limit", {{"count", 2}, {"period", "day"}}}});
  const json weekly = reward(w, {{"cost_points", 1}, {"per_customer_limit", {{"count", 1}, {"period", "week"}}}});
  const json monthly = reward(w, {{"cost_points", 1}, {"per_customer_limit", {{"count", 1}, {"period", "month"}}}});
  const json yearly = reward(w, {{"cost_points", 1}, {"per_customer_limit", {{"count", 1}, {"period", "year"}}}});
  int n = 0;
  auto key = [&] { return "k" + std::to_string(n++); };
  redeem(w, daily, c, key());
  redeem(w, daily, c, key());
  LOY_REQUIRE_ERROR(redeem(w, daily, c, key()), Status::limit, "customer_id");
  redeem(w, daily, d, key());  // limits are per customer
  redeem(w, weekly, c, key());
  redeem(w, monthly, c, key());
  redeem(w, yearly, c, key());
  // 10:59Z is 23:59 local on Monday: still the same day.
  w.clock->set(*parse_time("2026-03-02T10:59:00Z"));
  LOY_REQUIRE_ERROR(redeem(w, daily, c, key()), Status::limit, "customer_id");
  // 11:00Z is Tuesday 00:00 local: a new day, the same week.
  w.clock->set(*parse_time("2026-03-02T11:00:00Z"));
  redeem(w, daily, c, key());
  LOY_REQUIRE_ERROR(redeem(w, weekly, c, key()), Status::limit, "customer_id");
  // Monday 9 March 00:00 local = 2026-03-08T11:00Z: a new week, the same month.
  w.clock->set(*parse_time("2026-03-08T10:59:00Z"));
  LOY_REQUIRE_ERROR(redeem(w, weekly, c, key()), Status::limit, "customer_id");
  w.clock->set(*parse_time("2026-03-08T11:00:00Z"));
  redeem(w, weekly, c, key());
  LOY_REQUIRE_ERROR(redeem(w, monthly, c, key()), Status::limit, "customer_id");
  // 1 April 00:00 local (NZDT ends 5 April) = 2026-03-31T11:00Z.
  w.clock->set(*parse_time("2026-03-31T11:00:00Z"));
  redeem(w, monthly, c, key());
  LOY_REQUIRE_ERROR(redeem(w, yearly, c, key()), Status::limit, "customer_id");
  w.require_verified();
}

TEST_CASE("redemption: occurred_at dates a redemption: window and limit period are checked at that time") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 1000, {{"occurred_at", "2026-02-01T00:00:00Z"}});
  w.clock->set(*parse_time("2026-03-03T12:00:00Z"));
  const json daily = reward(w, {{"cost_points", 10},
                                {"per_customer_limit", {{"count", 1}, {"period", "day"}}},
                                {"starts_at", "2026-03-01T00:00:00Z"},
                                {"ends_at", "2026-03-03T00:00:00Z"}});
  auto redeem_at = [&](const std::string& at, const std::string& key) {
    return w.call("reward.redeem",
                  {{"reward_id", daily["id"]}, {"customer_id", c}, {"idempotency_key", key}, {"occurred_at", at}});
  };
  // A till syncing late: the reward's window has closed by now, but not at the time of the sale.
  LOY_REQUIRE_ERROR(redeem(w, daily, c, "now"), Status::forbidden, "reward_id");
  json r = redeem_at("2026-03-01T09:00:00Z", "k1");
  CHECK(r["redemption"]["occurred_at"] == "2026-03-01T09:00:00.000Z");
  CHECK(r["redemption"]["created_at"] == "2026-03-03T12:00:00.000Z");
  CHECK(r["entry"]["occurred_at"] == "2026-03-01T09:00:00.000Z");
  // The limit counts by the day the redemptions happened, not the day they were recorded.
  LOY_REQUIRE_ERROR(redeem_at("2026-03-01T20:00:00Z", "k2"), Status::limit, "customer_id");
  redeem_at("2026-03-02T09:00:00Z", "k3");
  LOY_REQUIRE_ERROR(redeem_at("2026-02-28T23:59:59Z", "k4"), Status::forbidden, "reward_id");  // before the window
  // Up to 5 minutes ahead of the clock is clock skew (here outside the window), one second more is refused.
  LOY_REQUIRE_ERROR(redeem_at("2026-03-03T12:05:00Z", "k5"), Status::forbidden, "reward_id");
  LOY_REQUIRE_ERROR(redeem_at("2026-03-03T12:05:01Z", "k5"), Status::invalid, "occurred_at");
  LOY_REQUIRE_ERROR(redeem_at("yesterday", "k6"), Status::invalid, "occurred_at");
  // A reservation happens now: it takes no occurred_at.
  LOY_REQUIRE_ERROR(reserve(w, daily, c, "k7", {{"occurred_at", "2026-03-01T09:00:00Z"}}), Status::invalid,
                    "occurred_at");
  CHECK(w.balance(c)["balance"] == 980);
  w.require_verified();
}

TEST_CASE("redemption: a cancelled or expired redemption no longer counts towards the limit") {
  Shop shop(1000, {{"per_customer_limit", {{"count", 1}, {"period", "lifetime"}}}});
  auto& [w, c, r] = shop;
  const json res = reserve(w, r, c, "r1");
  LOY_REQUIRE_ERROR(redeem(w, r, c, "x1"), Status::limit, "customer_id");
  w.call("redemption.cancel", {{"id", res["redemption"]["id"]}});
  const json res2 = reserve(w, r, c, "r2", {{"ttl_seconds", 60}});
  w.clock->advance(60'000);
  // The due reservation expires on the next redemption of the reward, so the limit frees up.
  CHECK(redeem(w, r, c, "x2")["redemption"]["status"] == "fulfilled");
  CHECK(w.call("redemption.get", {{"id", res2["redemption"]["id"]}})["status"] == "expired");
  w.require_verified();
}

TEST_CASE("redemption: tier restriction follows the customer's current tier rank") {
  World w;
  w.call("tier.policy.set", {{"window", {{"kind", "lifetime"}}}});
  const std::string silver = w.call("tier.create", {{"name", "Silver"}, {"rank", 1}, {"threshold", 100}})["id"];
  const std::string gold = w.call("tier.create", {{"name", "Gold"}, {"rank", 2}, {"threshold", 500}})["id"];
  const json r = reward(w, {{"min_tier_id", silver}, {"cost_points", 50}});
  const auto c = w.enroll("c1");
  w.earn(c, 60);
  LOY_REQUIRE_ERROR(redeem(w, r, c, "k1"), Status::forbidden, "customer_id");
  w.earn(c, 40);  // silver
  redeem(w, r, c, "k2");
  w.earn(c, 500);  // gold ranks above silver
  redeem(w, r, c, "k3");
  // A tier of another program is refused on create.
  const std::string p2 = w.call("program.create", {{"name", "Second"}, {"currency", "EUR"}})["id"];
  LOY_REQUIRE_ERROR(
      w.call("reward.create", {{"program_id", p2}, {"name", "x"}, {"cost_points", 1}, {"min_tier_id", gold}}),
      Status::not_found, "min_tier_id");
}

TEST_CASE("redemption: reserve holds points and stock, fulfil debits them once") {
  Shop shop(300, {{"stock", 2}, {"reservation_ttl_seconds", 600}});
  auto& [w, c, r] = shop;
  const json res = reserve(w, r, c, "r1");
  const json& d = res["redemption"];
  CHECK(d["status"] == "reserved");
  CHECK(d["expires_at"] == format_time(kStart + 600'000));
  CHECK(d["hold_id"] == res["hold"]["id"]);
  CHECK(res["hold"]["status"] == "active");
  CHECK(res["balance"]["balance"] == 300);
  CHECK(res["balance"]["available"] == 200);
  CHECK(stock_of(w, r) == 1);
  CHECK(event_types(w).back() == "reward.reserved");
  w.require_verified();

  w.clock->advance(1000);
  const json f = w.call("redemption.fulfil", {{"id", d["id"]}, {"idempotency_key", "f1"}});
  CHECK(f["redemption"]["status"] == "fulfilled");
  CHECK(f["redemption"]["fulfilled_at"] == format_time(kStart + 1000));
  CHECK(f["entry"]["points"] == -100);
  CHECK(f["balance"]["balance"] == 200);
  CHECK(f["balance"]["available"] == 200);
  CHECK(event_types(w).back() == "reward.redeemed");
  CHECK(w.call("redemption.fulfil", {{"id", d["id"]}, {"idempotency_key", "f1"}})["replayed"] == true);
  LOY_REQUIRE_ERROR(w.call("redemption.fulfil", {{"id", d["id"]}}), Status::conflict, "id");
  CHECK(stock_of(w, r) == 1);
  CHECK(w.balance(c)["balance"] == 200);
  w.require_verified();
}

TEST_CASE("redemption: cancelling a reservation returns points and stock") {
  Shop shop(100, {{"stock", 1}});
  auto& [w, c, r] = shop;
  const json res = reserve(w, r, c, "r1");
  LOY_REQUIRE_ERROR(redeem(w, r, w.enroll("c2"), "x"), Status::out_of_stock, "reward_id");
  const json x = w.call("redemption.cancel", {{"id", res["redemption"]["id"]}, {"reason", "changed mind"}});
  CHECK(x["redemption"]["status"] == "cancelled");
  CHECK(x["refund"].is_null());
  CHECK(x["balance"]["available"] == 100);
  CHECK(stock_of(w, r) == 1);
  CHECK(event_types(w).back() == "reward.cancelled");
  LOY_REQUIRE_ERROR(w.call("redemption.cancel", {{"id", res["redemption"]["id"]}}), Status::conflict, "id");
  LOY_REQUIRE_ERROR(w.call("redemption.fulfil", {{"id", res["redemption"]["id"]}}), Status::conflict, "id");
  CHECK(stock_of(w, r) == 1);
  w.require_verified();
}

TEST_CASE("redemption: an expired reservation returns points and stock through run_due, once") {
  Shop shop(100, {{"stock", 1}, {"reservation_ttl_seconds", 60}});
  auto& [w, c, r] = shop;
  const json res = reserve(w, r, c, "r1");
  const std::string id = res["redemption"]["id"];
  w.clock->advance(59'999);
  CHECK(w.call("ledger.run_due", json::object())["reservations_expired"] == 0);
  w.clock->advance(1);
  LOY_REQUIRE_ERROR(w.call("redemption.fulfil", {{"id", id}}), Status::conflict, "id");
  const json due = w.call("ledger.run_due", json::object());
  CHECK(due["holds_expired"] == 1);
  CHECK(due["reservations_expired"] == 1);
  const json d = w.call("redemption.get", {{"id", id}});
  CHECK(d["status"] == "expired");
  CHECK(d["expired_at"] == format_time(kStart + 60'000));
  CHECK(w.balance(c)["available"] == 100);
  CHECK(stock_of(w, r) == 1);
  CHECK(event_types(w).back() == "reward.expired");
  CHECK(w.call("ledger.run_due", json::object())["reservations_expired"] == 0);
  CHECK(stock_of(w, r) == 1);
  LOY_REQUIRE_ERROR(w.call("redemption.cancel", {{"id", id}}), Status::conflict, "id");
  w.require_verified();
}

TEST_CASE("redemption: a hold released by another write still expires the reservation once") {
  Shop shop(100, {{"stock", 1}, {"reservation_ttl_seconds", 60}});
  auto& [w, c, r] = shop;
  const json res = reserve(w, r, c, "r1");
  w.clock->advance(60'000);
  w.earn(c, 1);  // settles the account: the ledger releases the expired hold
  CHECK(w.balance(c)["available"] == 101);
  CHECK(w.call("ledger.run_due", json::object())["reservations_expired"] == 1);
  CHECK(w.balance(c)["available"] == 101);
  CHECK(stock_of(w, r) == 1);
  w.require_verified();
}

TEST_CASE("redemption: cancelling a fulfilled redemption refunds into the original buckets once") {
  World w(json{{"expiry", {{"policy", "days_after_earn"}, {"days", 30}}}});
  const auto c = w.enroll("c1");
  w.earn(c, 60);  // expires day 30
  w.clock->advance(10 * kMillisPerDay);
  w.earn(c, 60);  // expires day 40
  const json r = reward(w, {{"stock", 1}, {"refundable", true}});
  const json plain = reward(w, {{"cost_points", 10}});
  const json out = redeem(w, r, c, "k1");
  const json p = redeem(w, plain, c, "k2");
  // The nearest expiry was spent first.
  json exp = w.call("ledger.expiring", {{"customer_id", c}, {"before", "2027-01-01T00:00:00Z"}});
  CHECK(exp["items"][0]["points"] == 10);
  LOY_REQUIRE_ERROR(w.call("redemption.cancel", {{"id", p["redemption"]["id"]}}), Status::forbidden, "id");

  w.clock->advance(1000);
  const json x = w.call("redemption.cancel", {{"id", out["redemption"]["id"]}, {"idempotency_key", "c1"}});
  CHECK(x["redemption"]["status"] == "cancelled");
  CHECK(x["redemption"]["refund_entry_id"] == x["refund"]["id"]);
  CHECK(x["refund"]["type"] == "refund");
  CHECK(x["refund"]["points"] == 100);
  CHECK(x["balance"]["balance"] == 110);
  CHECK(stock_of(w, r) == 1);
  // The refund went back with the original expiries: 60 on day 30, 50 on day 40.
  exp = w.call("ledger.expiring", {{"customer_id", c}, {"before", "2027-01-01T00:00:00Z"}});
  REQUIRE(exp["items"].size() == 2);
  CHECK(exp["items"][0]["points"] == 60);
  CHECK(exp["items"][0]["expires_at"] == format_time(kStart + 30 * kMillisPerDay));
  CHECK(exp["items"][1]["points"] == 50);
  CHECK(w.call("redemption.cancel", {{"id", out["redemption"]["id"]}, {"idempotency_key", "c1"}})["replayed"] == true);
  LOY_REQUIRE_ERROR(w.call("redemption.cancel", {{"id", out["redemption"]["id"]}}), Status::conflict, "id");
  CHECK(w.balance(c)["balance"] == 110);
  CHECK(stock_of(w, r) == 1);
  w.require_verified();
}

TEST_CASE("redemption: list pages a customer's redemptions, filtered by reward and status") {
  World w;
  const auto c = w.enroll("c1");
  const auto d = w.enroll("c2");
  w.earn(c, 1000);
  w.earn(d, 1000);
  const json a = reward(w, {{"cost_points", 10}});
  const json b = reward(w, {{"cost_points", 10}});
  std::vector<std::string> mine;
  for (int n = 0; n < 5; ++n) mine.push_back(redeem(w, n % 2 ? b : a, c, "c" + std::to_string(n))["redemption"]["id"]);
  redeem(w, a, d, "d0");
  const std::string held = reserve(w, a, c, "r0")["redemption"]["id"];
  mine.push_back(held);
  std::vector<std::string> seen;
  json cursor = nullptr;
  do {
    json in = {{"customer_id", c}, {"limit", 2}};
    if (!cursor.is_null()) in["cursor"] = cursor;
    const json page = w.call("redemption.list", in);
    for (const auto& r : page["items"]) seen.push_back(r["id"]);
    cursor = page["next_cursor"];
  } while (!cursor.is_null());
  CHECK(seen == mine);
  CHECK(w.call("redemption.list", {{"customer_id", c}, {"reward_id", b["id"]}})["items"].size() == 2);
  const json reserved = w.call("redemption.list", {{"customer_id", c}, {"status", "reserved"}});
  REQUIRE(reserved["items"].size() == 1);
  CHECK(reserved["items"][0]["id"] == held);
}

TEST_CASE("redemption: another tenant's reward, customer and redemption are not found") {
  Shop shop(1000);
  auto& [w, c, r] = shop;
  const std::string id = redeem(w, r, c, "k")["redemption"]["id"];
  auto [other, pid] = w.other_tenant("Other");
  const std::string oc = other.call("customer.enroll", {{"external_id", "x"}})["id"];
  LOY_REQUIRE_ERROR(other.call("reward.get", {{"id", r["id"]}}), Status::not_found, "id");
  LOY_REQUIRE_ERROR(
      other.call("reward.redeem", {{"reward_id", r["id"]}, {"customer_id", oc}, {"idempotency_key", "k"}}),
      Status::not_found, "reward_id");
  LOY_REQUIRE_ERROR(other.call("redemption.get", {{"id", id}}), Status::not_found, "id");
  LOY_REQUIRE_ERROR(other.call("redemption.cancel", {{"id", id}}), Status::not_found, "id");
  LOY_REQUIRE_ERROR(other.call("redemption.list", {{"customer_id", c}}), Status::not_found, "customer_id");
  const json orw = other.call("reward.create", {{"name", "x"}, {"cost_points", 1}});
  LOY_REQUIRE_ERROR(w.call("reward.redeem", {{"reward_id", orw["id"]}, {"customer_id", c}, {"idempotency_key", "z"}}),
                    Status::not_found, "reward_id");
}

TEST_CASE("redemption: threads racing for the last units never oversell") {
  TempDir dir;
  World w(json::object(), dir.db());
  const json r = reward(w, {{"stock", 3}, {"cost_points", 10}});
  std::vector<std::string> customers;
  for (int n = 0; n < 8; ++n) {
    customers.push_back(w.enroll("c" + std::to_string(n)));
    w.earn(customers.back(), 10);
  }
  std::atomic<int> ok{0}, out{0}, other{0};
  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      const loyalty::Session s = w.engine.session(w.tenant["api_key"]["key"].get<std::string>());
      try {
        s.call("reward.redeem",
               {{"reward_id", r["id"]}, {"customer_id", customers[t]}, {"idempotency_key", "t" + std::to_string(t)}});
        ++ok;
      } catch (const loyalty::Error& e) {
        if (e.status() == Status::out_of_stock) {
          ++out;
        } else {
          ++other;
          std::lock_guard lock(mu);
          errors.push_back(e.what());
        }
      }
    });
  for (auto& th : threads) th.join();
  for (const auto& e : errors) FAIL_CHECK(e);
  CHECK(ok == 3);
  CHECK(out == 5);
  CHECK(other == 0);
  CHECK(stock_of(w, r) == 0);
  w.require_verified();
}

TEST_CASE("redemption: verify reports stock that does not add up") {
  TempDir dir;
  World w(json::object(), dir.db());
  const auto c = w.enroll("c1");
  w.earn(c, 100);
  const json r = reward(w, {{"stock", 2}});
  redeem(w, r, c, "k");
  w.require_verified();
  RawDb(dir.db()).exec("UPDATE rewards SET stock = stock + 1");  // behind the engine's back
  const json v = w.call("ledger.verify", json::object());
  CHECK(v["ok"] == false);
  REQUIRE(v["violations"].size() == 1);
  CHECK(v["violations"][0]["reward_id"] == r["id"]);
  CHECK(v["violations"][0]["expected"] == 1);
  CHECK(v["violations"][0]["actual"] == 2);
}
