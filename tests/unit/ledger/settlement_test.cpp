#include "fixture.hpp"

using namespace loytest;

namespace {
std::string day(int d) { return loyalty::format_time(kStart + d * loyalty::kMillisPerDay); }
}  // namespace

TEST_CASE("ledger: points past their expiry cannot be spent, even before run_due") {
  World w(json{{"expiry", {{"policy", "days_after_earn"}, {"days", 10}}}});
  const auto c = w.enroll("c1");
  w.earn(c, 100);
  w.clock->advance(11 * loyalty::kMillisPerDay);
  // No maintenance ran, yet the write settles the account first: the 100 points are gone.
  LOY_REQUIRE_ERROR(w.call("hold.create", {{"customer_id", c}, {"points", 1}}), Status::insufficient, "points");
  LOY_REQUIRE_ERROR(w.call("ledger.adjust", {{"customer_id", c}, {"points", -1}, {"reason", "x"}}),
                    Status::insufficient, "points");
  w.earn(c, 5);
  json b = w.balance(c);
  CHECK(b["balance"] == 5);
  json h = w.call("ledger.history", {{"customer_id", c}, {"types", {"expire"}}});
  REQUIRE(h["items"].size() == 1);
  CHECK(h["items"][0]["points"] == -100);
  // The expiry is dated when the points expired, recorded when it was noticed.
  CHECK(h["items"][0]["occurred_at"] == day(10));
  CHECK(h["items"][0]["recorded_at"] == day(11));
  w.require_verified();
}

TEST_CASE("ledger: reversing an earn whose points expired takes back nothing more") {
  World w(json{{"expiry", {{"policy", "days_after_earn"}, {"days", 10}}}});
  const auto c = w.enroll("c1");
  const std::string earn = w.earn(c, 100)["entry"]["id"];
  w.clock->advance(11 * loyalty::kMillisPerDay);
  w.call("ledger.run_due", json::object());
  w.earn(c, 200);
  // The customer already lost the 100 points to expiry: the return must not take 100 of the 200.
  json r = w.call("ledger.reverse", {{"entry_id", earn}});
  CHECK(r["entry"]["points"] == 0);
  CHECK(r["entry"]["reversed_points"] == 100);
  CHECK(r["reversible_remaining"] == 0);
  CHECK(r["balance"]["balance"] == 200);
  CHECK(r["balance"]["lifetime_earned"] == 200);
  LOY_REQUIRE_ERROR(w.call("ledger.reverse", {{"entry_id", earn}}), Status::conflict, "entry_id");
  w.require_verified();
}

TEST_CASE("ledger: a partly spent, partly expired earn reverses only what was spent") {
  World w(json{{"expiry", {{"policy", "days_after_earn"}, {"days", 10}}}});
  const auto c = w.enroll("c1");
  const std::string earn = w.earn(c, 100)["entry"]["id"];
  w.call("ledger.adjust", {{"customer_id", c}, {"points", -60}, {"reason", "spent"}});
  w.clock->advance(11 * loyalty::kMillisPerDay);
  w.earn(c, 500);  // settles: the 40 unspent points of the first earn expire
  // Reverse in two steps: 50 (of which 40 had expired: 10 debited), then the last 50 (all debited).
  json r1 = w.call("ledger.reverse", {{"entry_id", earn}, {"points", 50}});
  CHECK(r1["entry"]["points"] == -10);
  json r2 = w.call("ledger.reverse", {{"entry_id", earn}});
  CHECK(r2["entry"]["points"] == -50);
  CHECK(r2["balance"]["balance"] == 440);
  w.require_verified();
}

TEST_CASE("ledger: pending points past their return window are released by the next write") {
  World w(json{{"pending_days", 14}});
  const auto c = w.enroll("c1");
  w.earn(c, 80);
  CHECK(w.balance(c)["pending"] == 80);
  w.clock->advance(14 * loyalty::kMillisPerDay);
  json h = w.call("hold.create", {{"customer_id", c}, {"points", 80}});
  CHECK(h["balance"]["pending"] == 0);
  CHECK(h["balance"]["held"] == 80);
  w.require_verified();
}

TEST_CASE("ledger: an overdue hold is expired, not voided, and its points come back") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 50);
  const std::string id = w.call("hold.create", {{"customer_id", c}, {"points", 50}, {"ttl_seconds", 60}})["hold"]["id"];
  w.clock->advance(61'000);
  json v = w.call("hold.void", {{"id", id}});
  CHECK(v["hold"]["status"] == "expired");
  CHECK(v["balance"]["available"] == 50);
  // Another overdue hold is expired by the next write on the account.
  const std::string id2 =
      w.call("hold.create", {{"customer_id", c}, {"points", 50}, {"ttl_seconds", 60}})["hold"]["id"];
  w.clock->advance(61'000);
  CHECK(w.earn(c, 1)["balance"]["available"] == 51);
  CHECK(w.call("hold.get", {{"id", id2}})["status"] == "expired");
  w.require_verified();
}

TEST_CASE("ledger: run_due refuses to settle a time later than the engine clock") {
  World w;
  LOY_REQUIRE_ERROR(w.call("ledger.run_due", {{"now", day(1)}}), Status::invalid, "now");
  CHECK_NOTHROW(w.call("ledger.run_due", {{"now", day(-1)}}));
}

TEST_CASE("ledger: an idempotent replay treats a null field like a missing one") {
  World w;
  const auto c = w.enroll("c1");
  json first = w.earn(c, 10, {{"idempotency_key", "k1"}});
  json again = w.earn(c, 10, {{"idempotency_key", "k1"}, {"reason", nullptr}});
  CHECK(again["replayed"] == true);
  CHECK(again["entry"]["id"] == first["entry"]["id"]);
}

TEST_CASE("ledger: a hold replayed after its absolute expiry passed still replays") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 10);
  json in = {{"customer_id", c}, {"points", 5}, {"expires_at", day(1)}, {"idempotency_key", "h1"}};
  json first = w.call("hold.create", in);
  w.clock->advance(2 * loyalty::kMillisPerDay);
  json again = w.call("hold.create", in);
  CHECK(again["replayed"] == true);
  CHECK(again["hold"]["id"] == first["hold"]["id"]);
}

TEST_CASE("ledger: entry ids are time-ordered") {
  World w;
  const auto c = w.enroll("c1");
  std::string prev;
  for (int n = 0; n < 20; ++n) {
    w.clock->advance(1);
    std::string id = w.earn(c, 1)["entry"]["id"];
    CHECK(id > prev);
    prev = id;
  }
}

TEST_CASE("ledger: events may not be dated more than a day ahead of the clock or before 1970") {
  World w;
  const auto c = w.enroll("c1");
  LOY_REQUIRE_ERROR(w.earn(c, 1, {{"occurred_at", "9999-01-01T00:00:00Z"}}), Status::invalid, "occurred_at");
  LOY_REQUIRE_ERROR(w.earn(c, 1, {{"occurred_at", "1969-12-31T23:59:59Z"}}), Status::invalid, "occurred_at");
  LOY_REQUIRE_ERROR(w.earn(c, 1, {{"occurred_at", loyalty::format_time(kStart + loyalty::kMillisPerDay + 1000)}}),
                    Status::invalid, "occurred_at");
  CHECK_NOTHROW(w.earn(c, 1, {{"occurred_at", day(1)}}));
  CHECK(w.balance(c)["balance"] == 1);
}

TEST_CASE("programs: negative balances cannot be disallowed while an account is negative") {
  World w(json{{"return_policy", "unlimited"}});
  const auto c = w.enroll("c1");
  const std::string earn = w.earn(c, 100)["entry"]["id"];
  w.call("ledger.adjust", {{"customer_id", c}, {"points", -100}, {"reason", "spent"}});
  w.call("ledger.reverse", {{"entry_id", earn}});
  CHECK(w.balance(c)["balance"] == -100);
  LOY_REQUIRE_ERROR(w.call("program.update", {{"id", w.program_id}, {"return_policy", "within_balance"}}),
                    Status::conflict, "return_policy");
  w.require_verified();
  w.earn(c, 100);
  CHECK(w.call("program.update", {{"id", w.program_id}, {"return_policy", "within_balance"}})["return_policy"] ==
        "within_balance");
  w.require_verified();
}

TEST_CASE("ledger: hold.void and ledger.confirm accept idempotency keys") {
  World w(json{{"pending_days", 3}});
  const auto c = w.enroll("c1");
  const std::string e = w.earn(c, 10)["entry"]["id"];
  json first = w.call("ledger.confirm", {{"entry_id", e}, {"idempotency_key", "cf-1"}});
  CHECK(first["replayed"] == false);
  CHECK(w.call("ledger.confirm", {{"entry_id", e}, {"idempotency_key", "cf-1"}})["replayed"] == true);
  const std::string h = w.call("hold.create", {{"customer_id", c}, {"points", 5}})["hold"]["id"];
  CHECK(w.call("hold.void", {{"id", h}, {"idempotency_key", "v-1"}})["hold"]["status"] == "voided");
  CHECK(w.call("hold.void", {{"id", h}, {"idempotency_key", "v-1"}})["replayed"] == true);
  LOY_REQUIRE_ERROR(w.call("hold.void", {{"id", "hld_other"}, {"idempotency_key", "v-1"}}), Status::conflict, "id");
}

TEST_CASE("ledger: run_due with a past cutoff settles what was due then, stamped with the clock's time") {
  World w(json{{"pending_days", 2}});
  const auto c = w.enroll("c1");
  w.earn(c, 10);                             // pending until day 2
  w.earn(c, 20, {{"occurred_at", day(1)}});  // pending until day 3
  w.clock->set(kStart + 5 * loyalty::kMillisPerDay);
  json r = w.call("ledger.run_due", {{"now", day(2)}});
  CHECK(r["pending_released"] == 1);
  CHECK(r["points_released"] == 10);
  json h = w.call("ledger.history", {{"customer_id", c}});
  // The released earn is the older one; its posted_at is the clock's time, not the cutoff.
  CHECK(h["items"][1]["status"] == "posted");
  CHECK(h["items"][1]["posted_at"] == day(5));
  CHECK(h["items"][0]["status"] == "pending");
  w.require_verified();
}
