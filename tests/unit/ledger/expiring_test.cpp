// ledger.expiring: points that will expire in a time window, for reminders.
#include <string>

#include "fixture.hpp"

using namespace loytest;
using loyalty::format_time;
using loyalty::kMillisPerDay;

TEST_CASE("ledger: expiring lists unreserved points of buckets expiring in the window, nearest first") {
  World w(json{{"expiry", {{"policy", "days_after_earn"}, {"days", 30}}}});
  const auto c1 = w.enroll("c1");
  const auto c2 = w.enroll("c2");
  const json e1 = w.earn(c1, 100);  // expires day 30
  w.clock->advance(5 * kMillisPerDay);
  const json e2 = w.earn(c2, 50);  // expires day 35
  w.clock->advance(5 * kMillisPerDay);
  w.earn(c1, 20, {{"expires_at", format_time(kStart + 400 * kMillisPerDay)}});  // far out
  w.call("hold.create", {{"customer_id", c1}, {"points", 30}});                 // reserves 30 of the day-30 bucket

  const std::string day40 = format_time(kStart + 40 * kMillisPerDay);
  json all = w.call("ledger.expiring", {{"before", day40}});
  REQUIRE(all["items"].size() == 2);
  CHECK(all["items"][0] == json{{"customer_id", c1},
                                {"program_id", w.program_id},
                                {"entry_id", e1["entry"]["id"]},
                                {"points", 70},
                                {"expires_at", format_time(kStart + 30 * kMillisPerDay)}});
  CHECK(all["items"][1]["customer_id"] == c2);
  CHECK(all["items"][1]["entry_id"] == e2["entry"]["id"]);
  CHECK(all["items"][1]["points"] == 50);
  CHECK(all["next_cursor"].is_null());

  // One customer; a window that starts after the first expiry; pages of one.
  CHECK(w.call("ledger.expiring", {{"before", day40}, {"customer_id", c2}})["items"].size() == 1);
  CHECK(w.call("ledger.expiring", {{"before", day40}, {"after", format_time(kStart + 31 * kMillisPerDay)}})["items"]
            .size() == 1);
  json p1 = w.call("ledger.expiring", {{"before", day40}, {"limit", 1}});
  REQUIRE(p1["items"].size() == 1);
  REQUIRE(p1["next_cursor"].is_string());
  json p2 = w.call("ledger.expiring", {{"before", day40}, {"limit", 1}, {"cursor", p1["next_cursor"]}});
  REQUIRE(p2["items"].size() == 1);
  CHECK(p2["items"][0] == all["items"][1]);
  CHECK(p2["next_cursor"].is_null());

  // A customer without an account in the program yet has nothing expiring.
  CHECK(w.call("ledger.expiring", {{"before", day40}, {"customer_id", w.enroll("c3")}})["items"].empty());
  // Once expired (run_due) nothing is listed.
  w.clock->advance(36 * kMillisPerDay);
  w.call("ledger.run_due", json::object());
  CHECK(w.call("ledger.expiring",
               {{"before", format_time(kStart + 60 * kMillisPerDay)}, {"after", format_time(kStart)}})["items"]
            .empty());
}

TEST_CASE("ledger: buckets with the same expiry page by bucket without loss or repetition") {
  World w(json{{"expiry", {{"policy", "end_of_month"}, {"months", 0}}}});
  const auto c = w.enroll("c1");
  for (int n = 1; n <= 5; ++n) w.earn(c, n);
  std::vector<int64_t> seen;
  json cursor = nullptr;
  do {
    json in = {{"before", "2027-01-01T00:00:00Z"}, {"limit", 2}};
    if (!cursor.is_null()) in["cursor"] = cursor;
    json page = w.call("ledger.expiring", in);
    for (const auto& it : page["items"]) seen.push_back(it["points"]);
    cursor = page["next_cursor"];
  } while (!cursor.is_null());
  CHECK(seen == std::vector<int64_t>{1, 2, 3, 4, 5});
}

TEST_CASE("ledger: bad expiring input is invalid and names the field") {
  World w;
  const auto c = w.enroll("c1");
  LOY_REQUIRE_ERROR(w.call("ledger.expiring", json::object()), Status::invalid, "before");
  LOY_REQUIRE_ERROR(w.call("ledger.expiring", {{"before", format_time(kStart)}}), Status::invalid, "before");
  LOY_REQUIRE_ERROR(w.call("ledger.expiring", {{"before", "2030-01-01T00:00:00Z"}, {"after", "2031-01-01T00:00:00Z"}}),
                    Status::invalid, "before");
  LOY_REQUIRE_ERROR(w.call("ledger.expiring", {{"before", "2030-01-01T00:00:00Z"}, {"cursor", "c12"}}), Status::invalid,
                    "cursor");
  LOY_REQUIRE_ERROR(w.call("ledger.expiring", {{"before", "2030-01-01T00:00:00Z"}, {"cursor", "x1.y"}}),
                    Status::invalid, "cursor");
  LOY_REQUIRE_ERROR(w.call("ledger.expiring", {{"before", "2030-01-01T00:00:00Z"}, {"limit", 0}}), Status::invalid,
                    "limit");
  LOY_REQUIRE_ERROR(w.call("ledger.expiring", {{"before", "2030-01-01T00:00:00Z"}, {"program_id", w.program_id}}),
                    Status::invalid, "program_id");
  LOY_REQUIRE_ERROR(w.call("ledger.expiring", {{"before", "2030-01-01T00:00:00Z"}, {"customer_id", "cus_nope"}}),
                    Status::not_found, "customer_id");
  LOY_REQUIRE_ERROR(w.call("ledger.expiring", {{"before", "2030-01-01T00:00:00Z"}, {"customer_id", c}, {"x", 1}}),
                    Status::invalid, "x");
}
