// Tiers: definitions, the qualification policy, upgrades inside the earn, reversals, manual and
// invitation-only assignment, windows in the tenant's time zone, status and history.
#include <string>

#include "fixture.hpp"

using namespace loytest;
using loyalty::format_time;
using loyalty::kMillisPerDay;
using loyalty::parse_time;

namespace {

struct Ladder {
  std::string silver, gold, vip;
};

/// Silver at 100 points, gold at 500, and an invitation-only VIP tier above them.
Ladder ladder(const World& w, json policy = {{"window", {{"kind", "lifetime"}}}}) {
  w.call("tier.policy.set", policy);
  Ladder l;
  l.silver = w.call("tier.create", {{"name", "Silver"}, {"rank", 1}, {"threshold", 100}})["id"];
  l.gold = w.call("tier.create", {{"name", "Gold"},
                                  {"rank", 2},
                                  {"threshold", 500},
                                  {"benefits", {{"earn_multiplier", 1.5}, {"lounge", true}}},
                                  {"icon_url", "https://example.com/gold.png"}})["id"];
  l.vip = w.call("tier.create", {{"name", "VIP"}, {"rank", 3}, {"threshold", 0}, {"invitation_only", true}})["id"];
  return l;
}

json status(const World& w, const std::string& c) { return w.call("tier.status", {{"customer_id", c}}); }

std::string tier_of(const World& w, const std::string& c) {
  const json t = status(w, c)["tier"];
  return t.is_null() ? std::string() : t["id"].get<std::string>();
}

}  // namespace

TEST_CASE("tiers: an earn that crosses a threshold upgrades in the same transaction") {
  World w;
  const Ladder l = ladder(w);
  const auto c = w.enroll("c1");
  w.earn(c, 60);
  CHECK(tier_of(w, c).empty());
  json s = status(w, c);
  CHECK(s["tier_progress"]["value"] == 60);
  CHECK(s["tier_progress"]["next"]["id"] == l.silver);
  CHECK(s["tier_progress"]["next"]["missing"] == 40);
  CHECK(s["tier_progress"]["window_end"].is_null());  // lifetime

  w.earn(c, 40);
  CHECK(tier_of(w, c) == l.silver);
  w.clock->advance(1000);
  w.earn(c, 450);  // 550: straight past gold's 500
  s = status(w, c);
  CHECK(s["tier"]["id"] == l.gold);
  CHECK(s["tier"]["name"] == "Gold");
  CHECK(s["tier"]["benefits"]["earn_multiplier"] == 1.5);
  CHECK(s["tier"]["since"] == format_time(kStart + 1000));
  CHECK(s["tier"]["manual"] == false);
  CHECK(s["tier_progress"]["next"].is_null());  // VIP is invitation-only

  // The balance answer carries the tier and the progress.
  json b = w.balance(c);
  CHECK(b["balance"] == 550);
  CHECK(b["tier"]["id"] == l.gold);
  CHECK(b["tier_progress"]["value"] == 550);

  json h = w.call("tier.history", {{"customer_id", c}});
  REQUIRE(h["items"].size() == 2);
  CHECK(h["items"][0]["from_tier_id"].is_null());
  CHECK(h["items"][0]["to_tier_id"] == l.silver);
  CHECK(h["items"][0]["reason"] == "qualified");
  CHECK(h["items"][0]["metric"] == 100);
  CHECK(h["items"][1]["from_tier_id"] == l.silver);
  CHECK(h["items"][1]["to_tier_id"] == l.gold);

  json ev = w.call("events.poll", {{"types", {"tier.changed"}}});
  REQUIRE(ev["events"].size() == 2);
  CHECK(ev["events"][1]["customer_id"] == c);
  CHECK(ev["events"][1]["data"]["from"]["id"] == l.silver);
  CHECK(ev["events"][1]["data"]["to"]["id"] == l.gold);
  w.require_verified();
}

TEST_CASE("tiers: programs without a tier policy keep the plain balance answer") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 1000);
  json b = w.balance(c);
  CHECK_FALSE(b.contains("tier"));
  CHECK_FALSE(b.contains("tier_progress"));
  LOY_REQUIRE_ERROR(w.call("tier.status", {{"customer_id", c}}), Status::not_found, "program_id");
  LOY_REQUIRE_ERROR(w.call("tier.policy.get", json::object()), Status::not_found, "program_id");
}

TEST_CASE("tiers: a reversal lowers the metric; it downgrades mid-window only under reevaluate") {
  SUBCASE("one_level: the tier stays until the window ends") {
    World w;
    const Ladder l = ladder(w, {{"window", {{"kind", "calendar_year"}}}, {"downgrade", "one_level"}});
    const auto c = w.enroll("c1");
    const json e = w.earn(c, 120);
    CHECK(tier_of(w, c) == l.silver);
    w.call("ledger.reverse", {{"entry_id", e["entry"]["id"]}, {"points", 50}});
    CHECK(tier_of(w, c) == l.silver);
    CHECK(status(w, c)["tier_progress"]["value"] == 70);
  }
  SUBCASE("reevaluate: the reversal re-qualifies at once") {
    World w;
    const Ladder l = ladder(w, {{"window", {{"kind", "calendar_year"}}}, {"downgrade", "reevaluate"}});
    const auto c = w.enroll("c1");
    const json e = w.earn(c, 520);
    CHECK(tier_of(w, c) == l.gold);
    w.call("ledger.reverse", {{"entry_id", e["entry"]["id"]}, {"points", 100}});
    CHECK(tier_of(w, c) == l.silver);
    w.call("ledger.reverse", {{"entry_id", e["entry"]["id"]}, {"points", 400}});
    CHECK(tier_of(w, c).empty());
    json h = w.call("tier.history", {{"customer_id", c}});
    CHECK(h["items"].back()["reason"] == "reevaluated");
    CHECK(h["items"].back()["to_tier_id"].is_null());
  }
}

TEST_CASE("tiers: manual assignment, invitation-only tiers and the end of an assignment") {
  World w;
  const Ladder l = ladder(w, {{"window", {{"kind", "lifetime"}}}, {"downgrade", "reevaluate"}});
  const auto c = w.enroll("c1");
  // Qualification never grants an invitation-only tier, whatever the metric.
  w.earn(c, 5000);
  CHECK(tier_of(w, c) == l.gold);

  const auto d = w.enroll("d1");
  json a = w.call("tier.assign", {{"customer_id", d},
                                  {"tier_id", l.vip},
                                  {"until", format_time(kStart + 30 * kMillisPerDay)},
                                  {"reason", "board member"}});
  CHECK(a["tier"]["id"] == l.vip);
  CHECK(a["tier"]["manual"] == true);
  CHECK(a["tier"]["manual_until"] == format_time(kStart + 30 * kMillisPerDay));
  // Earning and reversing never remove an invitation-only tier.
  const json e = w.earn(d, 600);
  CHECK(tier_of(w, d) == l.vip);
  w.call("ledger.reverse", {{"entry_id", e["entry"]["id"]}});
  CHECK(tier_of(w, d) == l.vip);

  // A manual silver is a floor: qualification may raise it, a reversal may not lower it.
  const auto f = w.enroll("f1");
  w.call("tier.assign", {{"customer_id", f}, {"tier_id", l.silver}, {"reason", "goodwill"}});
  const json fe = w.earn(f, 30);
  w.call("ledger.reverse", {{"entry_id", fe["entry"]["id"]}});
  CHECK(tier_of(w, f) == l.silver);
  w.earn(f, 600);
  CHECK(tier_of(w, f) == l.gold);

  // Ending an assignment lets qualification decide from the current window.
  json ended = w.call("tier.assign", {{"customer_id", d}, {"tier_id", nullptr}, {"reason", "term over"}});
  CHECK(ended["tier"].is_null());
  CHECK(w.call("tier.history", {{"customer_id", d}})["items"].back()["reason"] == "assignment ended");
  json audit = w.call("audit.list", {{"action", "tier.assign"}});
  CHECK(audit["items"].size() == 3);
}

TEST_CASE("tiers: bad definitions and policies are refused and change nothing") {
  World w;
  const Ladder l = ladder(w);
  LOY_REQUIRE_ERROR(w.call("tier.create", {{"name", "Bronze"}, {"rank", 1}, {"threshold", 10}}), Status::conflict,
                    "rank");
  LOY_REQUIRE_ERROR(w.call("tier.create", {{"name", "Gold"}, {"rank", 4}, {"threshold", 900}}), Status::conflict,
                    "name");
  // Between silver (100) and gold (500) in rank, a threshold must be between them too.
  LOY_REQUIRE_ERROR(w.call("tier.create", {{"name", "Platinum"}, {"rank", 4}, {"threshold", 400}}), Status::invalid,
                    "threshold");
  LOY_REQUIRE_ERROR(w.call("tier.update", {{"id", l.silver}, {"threshold", 500}}), Status::invalid, "threshold");
  LOY_REQUIRE_ERROR(w.call("tier.create", {{"name", "X"}, {"rank", 0}, {"threshold", 1}}), Status::invalid, "rank");
  LOY_REQUIRE_ERROR(w.call("tier.create", {{"name", "X"}, {"rank", 5}, {"threshold", -1}}), Status::invalid,
                    "threshold");
  LOY_REQUIRE_ERROR(
      w.call("tier.create", {{"name", "X"}, {"rank", 5}, {"threshold", 9000}, {"benefits", {{"earn_multiplier", 0}}}}),
      Status::invalid, "benefits.earn_multiplier");
  LOY_REQUIRE_ERROR(w.call("tier.create",
                           {{"name", "X"}, {"rank", 5}, {"threshold", 9000}, {"benefits", {{"earn_multiplier", "2"}}}}),
                    Status::invalid, "benefits.earn_multiplier");
  LOY_REQUIRE_ERROR(
      w.call("tier.create",
             {{"name", "X"}, {"rank", 5}, {"threshold", 9000}, {"benefits", {{"earn_multiplier", 1.2345}}}}),
      Status::invalid, "benefits.earn_multiplier");
  LOY_REQUIRE_ERROR(w.call("tier.policy.set", json::object()), Status::invalid, "window");
  LOY_REQUIRE_ERROR(w.call("tier.policy.set", {{"window", {{"kind", "weekly"}}}}), Status::invalid, "window.kind");
  LOY_REQUIRE_ERROR(w.call("tier.policy.set", {{"window", {{"kind", "rolling_months"}}}}), Status::invalid,
                    "window.months");
  LOY_REQUIRE_ERROR(w.call("tier.policy.set", {{"window", {{"kind", "lifetime"}, {"months", 3}}}}), Status::invalid,
                    "window.months");
  LOY_REQUIRE_ERROR(w.call("tier.policy.set", {{"window", {{"kind", "lifetime"}}}, {"metric", "karma"}}),
                    Status::invalid, "metric");
  LOY_REQUIRE_ERROR(w.call("tier.policy.set", {{"window", {{"kind", "lifetime"}}}, {"grace_days", 400}}),
                    Status::invalid, "grace_days");
  const auto c = w.enroll("c1");
  LOY_REQUIRE_ERROR(w.call("tier.assign", {{"customer_id", c}, {"tier_id", "tir_nope"}, {"reason", "x"}}),
                    Status::not_found, "tier_id");
  LOY_REQUIRE_ERROR(w.call("tier.assign", {{"customer_id", c}, {"reason", "x"}}), Status::invalid, "tier_id");
  LOY_REQUIRE_ERROR(
      w.call("tier.assign",
             {{"customer_id", c}, {"tier_id", l.gold}, {"reason", "x"}, {"until", format_time(kStart - 1)}}),
      Status::invalid, "until");
  CHECK(w.call("tier.list", json::object())["items"].size() == 3);
  CHECK(w.call("tier.get", {{"id", l.silver}})["threshold"] == 100);
  CHECK(w.call("tier.policy.get", json::object())["window"]["kind"] == "lifetime");
  CHECK(tier_of(w, c).empty());
}

TEST_CASE("tiers: calendar years follow the tenant's time zone") {
  World w;
  w.admin.call("tenant.update", {{"id", w.tenant["tenant"]["id"]}, {"timezone", "America/New_York"}});
  const Ladder l = ladder(w, {{"window", {{"kind", "calendar_year"}}}});
  const auto c = w.enroll("c1");
  // 23:30 on 31 December in New York is already 1 January in UTC: it counts in the old year.
  w.clock->set(*parse_time("2026-12-31T23:30:00-05:00"));
  w.earn(c, 150);
  json s = status(w, c);
  CHECK(s["tier"]["id"] == l.silver);
  CHECK(s["tier_progress"]["window_start"] == "2026-01-01T05:00:00.000Z");
  CHECK(s["tier_progress"]["window_end"] == "2027-01-01T05:00:00.000Z");
  CHECK(s["tier_progress"]["value"] == 150);
  // After local midnight the new year's window is empty; the tier stays (downgrades come with
  // the window-end run, never mid-window).
  w.clock->set(*parse_time("2027-01-01T00:30:00-05:00"));
  s = status(w, c);
  CHECK(s["tier_progress"]["value"] == 0);
  CHECK(s["tier_progress"]["window_end"] == "2028-01-01T05:00:00.000Z");
  CHECK(s["tier"]["id"] == l.silver);
}

TEST_CASE("tiers: rolling and anniversary windows, including a 29 February enrolment") {
  World w;
  ladder(w, {{"window", {{"kind", "anniversary"}}}});
  w.clock->set(*parse_time("2028-02-29T10:00:00Z"));
  const auto c = w.enroll("leap");
  w.earn(c, 10);  // opens the account on 29 February 2028
  w.clock->set(*parse_time("2029-03-10T00:00:00Z"));
  json s = status(w, c);
  CHECK(s["tier_progress"]["window_start"] == "2029-02-28T00:00:00.000Z");
  CHECK(s["tier_progress"]["window_end"] == "2030-02-28T00:00:00.000Z");
  CHECK(s["tier_progress"]["value"] == 0);

  w.call("tier.policy.set", {{"window", {{"kind", "rolling_months"}, {"months", 12}}}});
  s = status(w, c);
  CHECK(s["tier_progress"]["window_start"] == "2028-03-11T00:00:00.000Z");
  CHECK(s["tier_progress"]["window_end"] == "2029-03-11T00:00:00.000Z");
  w.call("tier.policy.set", {{"window", {{"kind", "rolling_months"}, {"months", 13}}}});
  CHECK(status(w, c)["tier_progress"]["value"] == 10);
}

TEST_CASE("tiers: run_due downgrades at the end of the window, one level or to the re-evaluated tier") {
  for (const std::string mode : {"one_level", "reevaluate"}) {
    CAPTURE(mode);
    World w;
    const Ladder l = ladder(w, {{"window", {{"kind", "calendar_year"}}}, {"downgrade", mode}});
    const auto c = w.enroll("c1");
    w.clock->set(*parse_time("2026-06-01T12:00:00Z"));
    w.earn(c, 600);
    CHECK(tier_of(w, c) == l.gold);
    // The 2026 window ends: 600 points keep gold for 2027.
    w.clock->set(*parse_time("2027-01-01T01:00:00Z"));
    json due = w.call("ledger.run_due", json::object());
    CHECK(due["tiers_downgraded"] == 0);
    CHECK(tier_of(w, c) == l.gold);
    CHECK(status(w, c)["tier_progress"]["value"] == 0);
    // 2027 brings only 50 points: at its end, gold goes.
    w.clock->set(*parse_time("2027-07-01T12:00:00Z"));
    w.earn(c, 50);
    w.clock->set(*parse_time("2027-12-31T23:00:00Z"));
    CHECK(w.call("ledger.run_due", json::object())["tiers_downgraded"] == 0);  // not yet
    w.clock->set(*parse_time("2028-01-01T00:00:00Z"));
    due = w.call("ledger.run_due", json::object());
    CHECK(due["tiers_downgraded"] == 1);
    CHECK(tier_of(w, c) == (mode == "one_level" ? l.silver : std::string()));
    json h = w.call("tier.history", {{"customer_id", c}});
    CHECK(h["items"].back()["reason"] == "downgraded");
    CHECK(h["items"].back()["metric"] == 50);
    // Running it again changes nothing.
    CHECK(w.call("ledger.run_due", json::object())["tiers_downgraded"] == 0);
  }
}

TEST_CASE("tiers: a grace period keeps the tier; requalifying in it cancels the downgrade") {
  World w;
  const Ladder l = ladder(w, {{"window", {{"kind", "calendar_year"}}}, {"grace_days", 30}});
  const auto c = w.enroll("c1");
  const auto d = w.enroll("d1");
  w.clock->set(*parse_time("2026-06-01T12:00:00Z"));
  w.earn(c, 600);
  w.earn(d, 600);
  w.clock->set(*parse_time("2027-01-01T00:00:00Z"));
  json due = w.call("ledger.run_due", json::object());
  CHECK(due["tier_grace_started"] == 0);  // 2026 qualified both for gold
  w.clock->set(*parse_time("2028-01-01T00:00:00Z"));
  due = w.call("ledger.run_due", json::object());
  CHECK(due["tier_grace_started"] == 2);
  CHECK(due["tiers_downgraded"] == 0);
  CHECK(tier_of(w, c) == l.gold);
  // c requalifies for gold within the grace period; d does not.
  w.clock->set(*parse_time("2028-01-15T00:00:00Z"));
  w.earn(c, 500);
  w.clock->set(*parse_time("2028-01-31T00:00:01Z"));
  due = w.call("ledger.run_due", json::object());
  CHECK(due["tiers_downgraded"] == 1);
  CHECK(tier_of(w, c) == l.gold);
  CHECK(tier_of(w, d) == l.silver);
}

TEST_CASE("tiers: a notice before the window end warns once when the tier would be lost") {
  World w;
  const Ladder l = ladder(w, {{"window", {{"kind", "calendar_year"}}}, {"notice_days", 14}});
  const auto c = w.enroll("c1");
  const auto d = w.enroll("d1");
  w.clock->set(*parse_time("2026-06-01T12:00:00Z"));
  w.earn(c, 600);
  w.earn(d, 600);
  w.clock->set(*parse_time("2027-02-01T00:00:00Z"));
  w.earn(d, 520);  // d keeps gold in 2027
  w.call("ledger.run_due", json::object());
  w.clock->set(*parse_time("2027-12-10T00:00:00Z"));
  CHECK(w.call("ledger.run_due", json::object())["tier_notices"] == 0);  // 21 days before
  w.clock->set(*parse_time("2027-12-18T00:00:00Z"));
  CHECK(w.call("ledger.run_due", json::object())["tier_notices"] == 1);
  CHECK(w.call("ledger.run_due", json::object())["tier_notices"] == 0);
  json ev = w.call("events.poll", {{"types", {"tier.downgrade_warning"}}});
  REQUIRE(ev["events"].size() == 1);
  CHECK(ev["events"][0]["customer_id"] == c);
  CHECK(ev["events"][0]["data"]["tier"]["id"] == l.gold);
  CHECK(ev["events"][0]["data"]["window_end"] == "2028-01-01T00:00:00.000Z");
  CHECK(ev["events"][0]["data"]["missing"] == 500);
}

TEST_CASE("tiers: a manual assignment ends at its date and qualification takes over") {
  World w;
  const Ladder l = ladder(w, {{"window", {{"kind", "calendar_year"}}}});
  const auto c = w.enroll("c1");
  w.earn(c, 150);
  w.call(
      "tier.assign",
      {{"customer_id", c}, {"tier_id", l.vip}, {"until", format_time(kStart + 10 * kMillisPerDay)}, {"reason", "x"}});
  CHECK(tier_of(w, c) == l.vip);
  w.clock->advance(9 * kMillisPerDay);
  CHECK(w.call("ledger.run_due", json::object())["tier_assignments_expired"] == 0);
  w.clock->advance(2 * kMillisPerDay);
  CHECK(w.call("ledger.run_due", json::object())["tier_assignments_expired"] == 1);
  CHECK(tier_of(w, c) == l.silver);
  CHECK(status(w, c)["tier"]["manual"] == false);
  CHECK(w.call("tier.history", {{"customer_id", c}})["items"].back()["reason"] == "assignment expired");
}

TEST_CASE("tiers: run_due run late judges every window that ended on its own metric") {
  World w;
  const Ladder l = ladder(w, {{"window", {{"kind", "calendar_year"}}}, {"downgrade", "one_level"}});
  const auto c = w.enroll("c1");
  w.clock->set(*parse_time("2026-06-01T12:00:00Z"));
  w.earn(c, 600);
  w.clock->set(*parse_time("2027-06-01T12:00:00Z"));
  w.earn(c, 550);  // 2027 qualifies for gold again
  // Nobody ran run_due for two years; the 2026 and 2027 windows kept gold, 2028 (empty) loses it.
  w.clock->set(*parse_time("2029-03-01T00:00:00Z"));
  json due = w.call("ledger.run_due", json::object());
  CHECK(due["tiers_downgraded"] == 1);
  CHECK(tier_of(w, c) == l.silver);
}

TEST_CASE("tiers: purchases qualify by spend, returns take it back, and rules read the tier") {
  World w;
  w.call("tier.policy.set", {{"metric", "spend"}, {"window", {{"kind", "lifetime"}}}, {"downgrade", "reevaluate"}});
  const std::string silver = w.call("tier.create", {{"name", "Silver"}, {"rank", 1}, {"threshold", 10000}})["id"];
  const std::string gold =
      w.call("tier.create",
             {{"name", "Gold"}, {"rank", 2}, {"threshold", 50000}, {"benefits", {{"earn_multiplier", 2}}}})["id"];
  w.call("rule.create", {{"name", "Base"}, {"actions", {{{"type", "per_currency"}, {"rate", "1"}}}}});
  w.call("rule.create", {{"name", "Tier bonus"}, {"priority", -10}, {"actions", {{{"type", "tier_multiplier"}}}}});
  w.call("rule.create",
         {{"name", "Gold only"},
          {"conditions", {{"all", {{{"fact", "customer.tier"}, {"operator", "eq"}, {"value", "Gold"}}}}}},
          {"actions", {{{"type", "fixed"}, {"points", 7}}}}});
  const auto c = w.enroll("c1");
  // 600.00 EUR: 600 points at the base rate, no tier yet when the rules ran.
  json p1 = w.call("purchase.submit", {{"order_id", "o1"}, {"customer_id", c}, {"amount", 60000}});
  CHECK(p1["points"] == 600);
  CHECK(tier_of(w, c) == gold);
  CHECK(status(w, c)["tier_progress"]["value"] == 60000);
  // Now gold: the multiplier doubles the base points and the gold-only rule fires.
  json p2 = w.call("purchase.submit", {{"order_id", "o2"}, {"customer_id", c}, {"amount", 1000}});
  CHECK(p2["points"] == (10 + 7) * 2);  // the tier multiplier runs last, over everything awarded
  // Returning the first order takes its spend back: under reevaluate, down to silver.
  w.call("purchase.return", {{"order_id", "o1"}});
  CHECK(status(w, c)["tier_progress"]["value"] == 1000);
  CHECK(tier_of(w, c).empty());
  w.call("purchase.submit", {{"order_id", "o3"}, {"customer_id", c}, {"amount", 9000}});
  CHECK(tier_of(w, c) == silver);
  // Tier facts given in the purchase input win over the account's tier.
  json dry = w.call("purchase.dry_run", {{"customer_id", c}, {"amount", 1000}, {"customer", {{"tier", "Gold"}}}});
  CHECK(dry["points"] == 10 + 7);
  w.require_verified();
}

TEST_CASE("tiers: verified check-ins count as visits; rejected ones do not") {
  World w;
  w.call("tier.policy.set", {{"metric", "visits"}, {"window", {{"kind", "rolling_months"}, {"months", 3}}}});
  const std::string regular = w.call("tier.create", {{"name", "Regular"}, {"rank", 1}, {"threshold", 2}})["id"];
  w.call("location.create", {{"name", "Cafe"},
                             {"lat", 48.8566},
                             {"lon", 2.3522},
                             {"geofence", {{"radius_m", 100}}},
                             {"checkin", {{"cooldown_s", 0}}}});
  const auto c = w.enroll("c1");
  auto checkin = [&](double lat) {
    return w.call("checkin.submit", {{"customer_id", c}, {"lat", lat}, {"lon", 2.3522}, {"accuracy_m", 5}});
  };
  CHECK(checkin(48.8566)["checkin"]["status"] == "verified");
  w.clock->advance(3'600'000);
  CHECK(checkin(48.9566)["checkin"]["status"] == "rejected");  // 11 km away: outside the fence
  w.clock->advance(3'600'000);
  CHECK(tier_of(w, c).empty());
  CHECK(status(w, c)["tier_progress"]["value"] == 1);
  CHECK(checkin(48.8567)["checkin"]["status"] == "verified");
  CHECK(tier_of(w, c) == regular);
  CHECK(status(w, c)["tier_progress"]["value"] == 2);
}

TEST_CASE("tiers: multipliers with three decimals are exact (1.001, 1.005, 2.002), a fourth decimal is refused") {
  World w;
  w.call("tier.policy.set", {{"window", {{"kind", "lifetime"}}}});
  w.call("rule.create", {{"name", "Base"}, {"actions", {{{"type", "per_currency"}, {"rate", "1"}}}}});
  w.call("rule.create", {{"name", "Tier bonus"}, {"priority", -10}, {"actions", {{{"type", "tier_multiplier"}}}}});
  struct Case {
    double factor;
    int64_t points;
  };
  const Case cases[] = {{1.001, 100'100}, {1.005, 100'500}, {2.002, 200'200}};
  int64_t rank = 1;
  for (const Case& k : cases) {
    const double factor = k.factor;
    const int64_t expected = k.points;
    CAPTURE(factor);
    const std::string name = "T" + std::to_string(rank);
    const std::string tier = w.call("tier.create", {{"name", name},
                                                    {"rank", rank},
                                                    {"threshold", rank * 1'000'000'000},
                                                    {"benefits", {{"earn_multiplier", factor}}}})["id"];
    ++rank;
    CHECK(w.call("tier.get", {{"id", tier}})["benefits"]["earn_multiplier"] == factor);
    const auto c = w.enroll("c-" + name);
    w.call("tier.assign", {{"customer_id", c}, {"tier_id", tier}, {"reason", "test"}});
    // 1000.00 EUR: 100,000 base points times the multiplier, with no binary rounding error.
    json p = w.call("purchase.dry_run", {{"customer_id", c}, {"amount", 10'000'000}});
    CHECK(p["points"] == expected);
  }
  for (const json& bad : {json(1.0005), json(100.001), json(-1.5), json(1e300)}) {
    CAPTURE(bad);
    LOY_REQUIRE_ERROR(
        w.call("tier.create", {{"name", "X"}, {"rank", 9}, {"threshold", 1}, {"benefits", {{"earn_multiplier", bad}}}}),
        Status::invalid, "benefits.earn_multiplier");
  }
}
