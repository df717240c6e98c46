// Buckets: spending order (nearest expiry first, then oldest, non-expiring last) and the expiry
// policies, observed through run_due and, where only storage can tell, the buckets table.
#include <string>

#include "fixture.hpp"
#include "raw_db.hpp"

using namespace loytest;
using loyalty::format_time;
using loyalty::kMillisPerDay;

namespace {

std::string day(int64_t n) { return format_time(kStart + n * kMillisPerDay); }

json run_due(const World& w) { return w.call("ledger.run_due", json::object()); }

std::string earn_expiring(const World& w, const std::string& c, int64_t points, int64_t expires_day) {
  json extra = json::object();
  if (expires_day > 0) extra["expires_at"] = day(expires_day);
  return w.earn(c, points, extra)["entry"]["id"];
}

json adjust(const World& w, const std::string& c, int64_t points) {
  return w.call("ledger.adjust", {{"customer_id", c}, {"points", points}, {"reason", "test"}});
}

}  // namespace

TEST_CASE("ledger: spending takes the bucket nearest to expiry first and non-expiring points last") {
  World w;
  const auto c = w.enroll("c1");
  earn_expiring(w, c, 100, 30);  // A
  earn_expiring(w, c, 100, 10);  // B: nearest
  earn_expiring(w, c, 100, 0);   // C: never expires
  earn_expiring(w, c, 100, 20);  // D
  adjust(w, c, -150);            // all of B, then 50 of D
  CHECK(w.balance(c)["balance"] == 250);

  w.clock->set(kStart + 10 * kMillisPerDay);
  CHECK(run_due(w)["points_expired"] == 0);  // B was spent entirely
  w.clock->set(kStart + 20 * kMillisPerDay);
  CHECK(run_due(w)["points_expired"] == 50);  // what was left of D
  w.clock->set(kStart + 30 * kMillisPerDay);
  CHECK(run_due(w)["points_expired"] == 100);  // A untouched
  CHECK(w.balance(c)["balance"] == 100);       // C remains
  w.clock->set(kStart + 3650 * kMillisPerDay);
  CHECK(run_due(w)["points_expired"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: among buckets with the same expiry the oldest is spent first; older non-expiring after") {
  TempDir dir;
  World w(json::object(), "sqlite://" + dir.db(), loyalty::SyncMode::normal);
  const auto c = w.enroll("c1");
  const auto n1 = earn_expiring(w, c, 100, 0);
  w.clock->advance(1000);
  const auto n2 = earn_expiring(w, c, 100, 0);
  w.clock->advance(1000);
  const auto x = earn_expiring(w, c, 100, 10);
  w.clock->advance(1000);
  const auto y = earn_expiring(w, c, 100, 10);
  RawDb db(dir.db());
  auto remaining = [&](const std::string& entry) {
    return db.i64("SELECT remaining FROM buckets WHERE entry_id = ?1", {entry}).value_or(-1);
  };

  adjust(w, c, -130);
  CHECK(remaining(x) == 0);
  CHECK(remaining(y) == 70);
  CHECK(remaining(n1) == 100);
  CHECK(remaining(n2) == 100);

  adjust(w, c, -150);
  CHECK(remaining(y) == 0);
  CHECK(remaining(n1) == 20);
  CHECK(remaining(n2) == 100);

  // Holds reserve in the same order.
  w.call("hold.create", {{"customer_id", c}, {"points", 50}});
  CHECK(db.i64("SELECT held FROM buckets WHERE entry_id = ?1", {n1}) == 20);
  CHECK(db.i64("SELECT held FROM buckets WHERE entry_id = ?1", {n2}) == 30);
  w.require_verified();
}

TEST_CASE("ledger: days_after_earn expires points the given number of days after they were earned") {
  World w(json{{"expiry", {{"policy", "days_after_earn"}, {"days", 30}}}});
  const auto c = w.enroll("c1");
  json r = w.earn(c, 100);
  CHECK(r["entry"]["expires_at"] == day(30));
  w.clock->set(kStart + 30 * kMillisPerDay - 1);
  json due = run_due(w);
  CHECK(due["points_expired"] == 0);
  CHECK(due["buckets_expired"] == 0);
  w.clock->advance(1);
  due = run_due(w);
  CHECK(due["points_expired"] == 100);
  CHECK(due["buckets_expired"] == 1);
  CHECK(w.balance(c)["balance"] == 0);
  CHECK(w.balance(c)["lifetime_earned"] == 100);  // expiry is not a reversal
  json h = w.call("ledger.history", {{"customer_id", c}, {"types", {"expire"}}})["items"];
  REQUIRE(h.size() == 1);
  CHECK(h[0]["points"] == -100);
  CHECK(h[0]["status"] == "posted");
  CHECK(run_due(w)["points_expired"] == 0);  // nothing expires twice
  w.require_verified();
}

TEST_CASE("ledger: expiry counts from occurred_at, so a back-dated earn can arrive already expired") {
  World w(json{{"expiry", {{"policy", "days_after_earn"}, {"days", 30}}}});
  const auto c = w.enroll("c1");
  json r = w.earn(c, 100, {{"occurred_at", day(-40)}});
  CHECK(r["entry"]["expires_at"] == day(-10));
  CHECK(r["entry"]["occurred_at"] == day(-40));
  CHECK(r["entry"]["recorded_at"] == day(0));
  CHECK(run_due(w)["points_expired"] == 100);
  // An explicit expires_at overrides the policy but must be after occurred_at.
  LOY_REQUIRE_ERROR(w.earn(c, 5, {{"occurred_at", day(-5)}, {"expires_at", day(-5)}}), Status::invalid, "expires_at");
  CHECK(w.earn(c, 5, {{"expires_at", day(3)}})["entry"]["expires_at"] == day(3));
  w.require_verified();
}

TEST_CASE("ledger: end_of_month expires at the start of the month after the earn month plus N months") {
  World w(json{{"expiry", {{"policy", "end_of_month"}, {"months", 0}}}});
  const auto c = w.enroll("c1");
  CHECK(w.earn(c, 10)["entry"]["expires_at"] == "2026-04-01T00:00:00.000Z");
  CHECK(w.earn(c, 10, {{"occurred_at", "2026-02-28T23:59:59Z"}})["entry"]["expires_at"] == "2026-03-01T00:00:00.000Z");

  w.call("program.update", {{"id", w.program_id}, {"expiry", {{"policy", "end_of_month"}, {"months", 2}}}});
  CHECK(w.earn(c, 10)["entry"]["expires_at"] == "2026-06-01T00:00:00.000Z");
  w.call("program.update", {{"id", w.program_id}, {"expiry", {{"policy", "end_of_month"}, {"months", 1}}}});
  // 31 January plus one month clamps to February, whose end is 1 March.
  CHECK(w.earn(c, 10, {{"occurred_at", "2026-01-31T10:00:00Z"}})["entry"]["expires_at"] == "2026-03-01T00:00:00.000Z");
  CHECK(w.earn(c, 10, {{"occurred_at", "2025-12-15T10:00:00Z"}})["entry"]["expires_at"] == "2026-02-01T00:00:00.000Z");

  // Three earns were already past their expiry when recorded. Every write first settles what
  // fell due on the account, so the later earns expired two of them; run_due takes the last.
  CHECK(w.balance(c)["balance"] == 30);
  CHECK(run_due(w)["points_expired"] == 10);
  CHECK(w.balance(c)["balance"] == 20);
  w.clock->set(*loyalty::parse_time("2026-03-31T23:59:59.999Z"));
  CHECK(run_due(w)["points_expired"] == 0);
  w.clock->set(*loyalty::parse_time("2026-04-01T00:00:00Z"));
  CHECK(run_due(w)["points_expired"] == 10);
  w.clock->set(*loyalty::parse_time("2026-06-01T00:00:00Z"));
  CHECK(run_due(w)["points_expired"] == 10);
  CHECK(w.balance(c)["balance"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: end_of_year expires on 1 January after the earn date plus N months") {
  World w(json{{"expiry", {{"policy", "end_of_year"}, {"months", 0}}}});
  const auto c = w.enroll("c1");
  CHECK(w.earn(c, 10)["entry"]["expires_at"] == "2027-01-01T00:00:00.000Z");
  CHECK(w.earn(c, 10, {{"occurred_at", "2025-12-31T23:00:00Z"}})["entry"]["expires_at"] == "2026-01-01T00:00:00.000Z");
  w.call("program.update", {{"id", w.program_id}, {"expiry", {{"policy", "end_of_year"}, {"months", 12}}}});
  CHECK(w.earn(c, 10)["entry"]["expires_at"] == "2028-01-01T00:00:00.000Z");
  w.call("program.update", {{"id", w.program_id}, {"expiry", {{"policy", "end_of_year"}, {"months", 10}}}});
  // March plus ten months is January of the next year: the points last until the end of that year.
  CHECK(w.earn(c, 10)["entry"]["expires_at"] == "2028-01-01T00:00:00.000Z");

  // The earn dated 2025 had expired on 1 January 2026: the next earn settled it before writing.
  CHECK(run_due(w)["points_expired"] == 0);
  CHECK(w.balance(c)["balance"] == 30);
  w.clock->set(*loyalty::parse_time("2027-01-01T00:00:00Z"));
  CHECK(run_due(w)["points_expired"] == 10);
  w.clock->set(*loyalty::parse_time("2028-01-01T00:00:00Z"));
  CHECK(run_due(w)["points_expired"] == 20);
  CHECK(w.balance(c)["balance"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: inactivity expires all points after N days without earning or spending") {
  World w(json{{"expiry", {{"policy", "inactivity"}, {"days", 90}}}});
  const auto c = w.enroll("c1");
  const auto idle = w.enroll("c2");
  CHECK(w.earn(c, 100)["entry"]["expires_at"].is_null());
  w.earn(idle, 40);
  w.clock->set(kStart + 60 * kMillisPerDay);
  w.earn(c, 50);  // activity at day 60
  w.clock->set(kStart + 90 * kMillisPerDay);
  json due = run_due(w);
  CHECK(due["points_expired"] == 40);  // only the idle customer
  CHECK(w.balance(idle)["balance"] == 0);

  w.clock->set(kStart + 120 * kMillisPerDay);
  w.balance(c);  // reading is not activity
  w.call("ledger.history", {{"customer_id", c}});
  w.clock->set(kStart + 150 * kMillisPerDay - 1);
  CHECK(run_due(w)["points_expired"] == 0);
  w.clock->advance(1);
  due = run_due(w);
  CHECK(due["points_expired"] == 150);  // every bucket, old and new
  CHECK(due["buckets_expired"] == 2);
  CHECK(w.balance(c)["balance"] == 0);
  CHECK(run_due(w)["points_expired"] == 0);

  // Earning again starts a new period: the fresh points survive the next run.
  w.earn(c, 25);
  CHECK(run_due(w)["points_expired"] == 0);
  CHECK(w.balance(c)["balance"] == 25);
  w.require_verified();
}

TEST_CASE("ledger: under inactivity a redemption counts as activity and held points do not expire") {
  World w(json{{"expiry", {{"policy", "inactivity"}, {"days", 30}}}});
  const auto c = w.enroll("c1");
  w.earn(c, 100);
  w.clock->set(kStart + 20 * kMillisPerDay);
  json h = w.call("hold.create", {{"customer_id", c}, {"points", 10}});
  w.call("hold.commit", {{"id", h["hold"]["id"]}});  // activity at day 20
  w.clock->set(kStart + 49 * kMillisPerDay);
  CHECK(run_due(w)["points_expired"] == 0);
  json held = w.call("hold.create", {{"customer_id", c}, {"points", 30}, {"ttl_seconds", 30 * 86'400}});
  w.clock->set(kStart + 50 * kMillisPerDay);
  CHECK(run_due(w)["points_expired"] == 60);
  json b = w.balance(c);
  CHECK(b["balance"] == 30);
  CHECK(b["held"] == 30);
  CHECK(b["available"] == 0);
  // The reservation can still be redeemed.
  CHECK(w.call("hold.commit", {{"id", held["hold"]["id"]}})["balance"]["balance"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: expiry leaves held points; voiding the hold lets them expire on the next run") {
  World w;
  const auto c = w.enroll("c1");
  earn_expiring(w, c, 100, 10);
  json h = w.call("hold.create", {{"customer_id", c}, {"points", 60}, {"ttl_seconds", 20 * 86'400}});
  w.clock->set(kStart + 11 * kMillisPerDay);
  CHECK(run_due(w)["points_expired"] == 40);
  json b = w.balance(c);
  CHECK(b["balance"] == 60);
  CHECK(b["held"] == 60);
  CHECK(b["available"] == 0);
  w.require_verified();

  w.call("hold.void", {{"id", h["hold"]["id"]}});
  CHECK(w.balance(c)["available"] == 60);  // momentarily available in an expired bucket
  CHECK(run_due(w)["points_expired"] == 60);
  CHECK(w.balance(c)["balance"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: expiry leaves held points; committing the hold redeems them") {
  World w;
  const auto c = w.enroll("c1");
  earn_expiring(w, c, 100, 10);
  json h = w.call("hold.create", {{"customer_id", c}, {"points", 60}, {"ttl_seconds", 20 * 86'400}});
  w.clock->set(kStart + 11 * kMillisPerDay);
  CHECK(run_due(w)["points_expired"] == 40);
  json r = w.call("hold.commit", {{"id", h["hold"]["id"]}});
  CHECK(r["balance"]["balance"] == 0);
  CHECK(r["balance"]["lifetime_redeemed"] == 60);
  CHECK(run_due(w)["points_expired"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: a hold expiring in the same run as its bucket is released first, then the bucket expires") {
  World w;
  const auto c = w.enroll("c1");
  earn_expiring(w, c, 100, 10);
  w.call("hold.create", {{"customer_id", c}, {"points", 60}, {"ttl_seconds", 5 * 86'400}});
  w.clock->set(kStart + 11 * kMillisPerDay);
  json due = run_due(w);
  CHECK(due["holds_expired"] == 1);
  CHECK(due["points_expired"] == 100);
  CHECK(w.balance(c)["balance"] == 0);
  CHECK(w.balance(c)["held"] == 0);
  w.require_verified();
}
