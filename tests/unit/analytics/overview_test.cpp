// analytics.overview against a plain scan of the ledger: random histories (earns, bonus and pending
// earns, backdated entries, redemptions, refunds, reversals, adjustments, expiry) in a zone with a
// DST change, every figure recomputed here from ledger.history alone, by day, week and month,
// with writes between calls (incremental catch-up) and after a change of the tenant's zone.
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fixture.hpp"
#include "loyalty/core/timezone.hpp"

using namespace loytest;
using loyalty::CivilDate;
using loyalty::kMillisPerDay;
using loyalty::Timestamp;

namespace {

struct Entry {
  std::string customer, program, type;
  int64_t points = 0;
  Timestamp occurred_at = 0;
};

struct Member {
  std::string customer;
  Timestamp at = 0;
};

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

int64_t day_of_date(const std::string& d) { return floor_div(*loyalty::parse_time(d), kMillisPerDay); }

std::string date_of(int64_t day) {
  const CivilDate c = loyalty::civil_from_timestamp(day * kMillisPerDay);
  return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

/// The bucket (its first day, unclipped) of a day, from the civil calendar.
int64_t bucket_of(const std::string& bucket, int64_t day) {
  const CivilDate c = loyalty::civil_from_timestamp(day * kMillisPerDay);
  if (bucket == "day") return day;
  if (bucket == "week") return day - (loyalty::weekday(c) + 6) % 7;  // back to Monday
  return day_of_date(fmt::format("{:04}-{:02}-01", c.year, c.month));
}

/// Every figure of analytics.overview, computed from the entries and enrolments alone.
json expected(const std::vector<Entry>& entries, const std::vector<Member>& members, const std::string& zone_name,
              const std::optional<std::string>& program, int64_t from, int64_t to, const std::string& bucket) {
  const auto zone = loyalty::TimeZone::locate(zone_name);
  auto local = [&](Timestamp t) { return floor_div(zone->to_local(t), kMillisPerDay); };
  struct Sums {
    int64_t issued = 0, earn_count = 0, redeemed = 0, redemption_count = 0, refunded = 0, expired = 0, reversed = 0,
            credit = 0, debit = 0, net = 0, enrolled = 0;
    std::set<std::string> active;
  };
  auto add_entry = [](Sums& s, const Entry& e) {
    s.net += e.points;
    if (e.type == "earn" || e.type == "bonus") s.issued += e.points, ++s.earn_count, s.active.insert(e.customer);
    if (e.type == "redeem") s.redeemed -= e.points, ++s.redemption_count, s.active.insert(e.customer);
    if (e.type == "refund") s.refunded += e.points;
    if (e.type == "expire") s.expired -= e.points;
    if (e.type == "reverse") s.reversed -= e.points;
    if (e.type == "adjust") (e.points > 0 ? s.credit : s.debit) += std::llabs(e.points);
  };
  auto points = [](const Sums& s) {
    return json{{"issued", s.issued},
                {"earn_count", s.earn_count},
                {"redeemed", s.redeemed},
                {"redemption_count", s.redemption_count},
                {"refunded", s.refunded},
                {"expired", s.expired},
                {"reversed", s.reversed},
                {"adjusted", s.credit - s.debit},
                {"adjusted_credit", s.credit},
                {"adjusted_debit", s.debit},
                {"net", s.net}};
  };
  std::map<int64_t, Sums> buckets;
  Sums total, last7, last30, last90;
  int64_t outstanding_before = 0, members_before = 0;
  for (int64_t d = from; d <= to; ++d) buckets[std::max(bucket_of(bucket, d), from)];
  for (const auto& e : entries) {
    if (program && e.program != *program) continue;
    const int64_t d = local(e.occurred_at);
    if (d < from) outstanding_before += e.points;
    if (d < from || d > to) continue;
    add_entry(buckets[std::max(bucket_of(bucket, d), from)], e);
    add_entry(total, e);
  }
  for (const auto& e : entries) {
    if (program && e.program != *program) continue;
    const int64_t d = local(e.occurred_at);
    if (d <= to && d > to - 7) add_entry(last7, e);
    if (d <= to && d > to - 30) add_entry(last30, e);
    if (d <= to && d > to - 90) add_entry(last90, e);
  }
  for (const auto& m : members) {
    const int64_t d = local(m.at);
    if (d < from) ++members_before;
    if (d >= from && d <= to) ++buckets[std::max(bucket_of(bucket, d), from)].enrolled, ++total.enrolled;
  }
  json series = json::array();
  int64_t outstanding = outstanding_before, count = members_before;
  for (auto it = buckets.begin(); it != buckets.end(); ++it) {
    const auto next = std::next(it);
    const int64_t end = next == buckets.end() ? to + 1 : next->first;
    outstanding += it->second.net;
    count += it->second.enrolled;
    json item = points(it->second);
    item["start"] = date_of(it->first);
    item["end"] = date_of(end - 1);
    item["starts_at"] = loyalty::format_time(zone->from_local(it->first * kMillisPerDay));
    item["ends_at"] = loyalty::format_time(zone->from_local(end * kMillisPerDay));
    item["enrolled"] = it->second.enrolled;
    item["members"] = count;
    item["active"] = static_cast<int64_t>(it->second.active.size());
    item["outstanding"] = outstanding;
    series.push_back(item);
  }
  auto ratio = [&](int64_t n) {
    return total.issued > 0 ? json(static_cast<double>(n) / static_cast<double>(total.issued)) : json(nullptr);
  };
  return {{"program_id", program ? json(*program) : json(nullptr)},
          {"timezone", zone_name},
          {"from", date_of(from)},
          {"to", date_of(to)},
          {"bucket", bucket},
          {"members",
           {{"total", count},
            {"enrolled", total.enrolled},
            {"active", static_cast<int64_t>(total.active.size())},
            {"active_7d", static_cast<int64_t>(last7.active.size())},
            {"active_30d", static_cast<int64_t>(last30.active.size())},
            {"active_90d", static_cast<int64_t>(last90.active.size())}}},
          {"points", points(total)},
          {"outstanding", outstanding},
          {"outstanding_value", nullptr},
          {"redemption_rate", ratio(total.redeemed)},
          {"breakage", ratio(total.expired)},
          {"series", series}};
}

/// Every entry of the tenant, by a plain walk of each customer's history.
std::vector<Entry> scan(const World& w, const std::vector<std::string>& customers,
                        const std::vector<std::string>& programs) {
  std::vector<Entry> out;
  for (const auto& c : customers)
    for (const auto& p : programs) {
      json cursor = nullptr;
      do {
        json page =
            w.call("ledger.history", {{"customer_id", c}, {"program_id", p}, {"limit", 100}, {"cursor", cursor}});
        for (const auto& e : page["items"])
          out.push_back({c, p, e["type"], e["points"], *loyalty::parse_time(e["occurred_at"].get<std::string>())});
        cursor = page["next_cursor"];
      } while (!cursor.is_null());
    }
  return out;
}

struct History {
  std::vector<std::string> customers;
  std::vector<Member> members;  // customers (each has an account in both programs from enrolment)
  std::vector<std::pair<std::string, std::string>> earns, redeems;  // (entry id, program)
  std::map<std::string, int> done;
};

/// `steps` random writes, the clock moving 0..10 hours between them.
void play(World& w, const std::vector<std::string>& programs, History& h, std::mt19937_64& rng, int steps) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  for (int s = 0; s < steps; ++s) {
    w.clock->advance(static_cast<Timestamp>(rng() % (10 * 3'600'000)));
    const Timestamp now = w.clock->now();
    const std::string program = programs[pick(programs.size())];
    try {
      const int kind = static_cast<int>(rng() % 100);
      if (h.customers.empty() || kind < 10) {
        const std::string id = w.enroll(fmt::format("c{}", h.customers.size()));
        h.customers.push_back(id);
        h.members.push_back({id, now});
        ++h.done["enroll"];
        continue;
      }
      const std::string c = h.customers[pick(h.customers.size())];
      if (kind < 45) {
        json extra = {{"program_id", program}};
        if (rng() % 4 == 0) extra["type"] = "bonus";
        if (rng() % 5 == 0) extra["pending_days"] = 3;
        if (rng() % 4 == 0)
          extra["occurred_at"] = loyalty::format_time(now - static_cast<Timestamp>(rng() % (5 * kMillisPerDay)));
        const json r = w.earn(c, 1 + static_cast<int64_t>(rng() % 500), extra);
        h.earns.emplace_back(r["entry"]["id"], program);
        ++h.done["earn"];
      } else if (kind < 65) {
        const int64_t available = w.call("ledger.balance", {{"customer_id", c}, {"program_id", program}})["available"];
        if (available <= 0) continue;
        const json r =
            w.call("ledger.redeem", {{"customer_id", c},
                                     {"program_id", program},
                                     {"points", 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(available))}});
        h.redeems.emplace_back(r["entry"]["id"], program);
        ++h.done["redeem"];
      } else if (kind < 72 && !h.redeems.empty()) {
        w.call("ledger.refund", {{"entry_id", h.redeems[pick(h.redeems.size())].first}});
        ++h.done["refund"];
      } else if (kind < 82 && !h.earns.empty()) {
        w.call("ledger.reverse",
               {{"entry_id", h.earns[pick(h.earns.size())].first}, {"points", 1 + static_cast<int64_t>(rng() % 50)}});
        ++h.done["reverse"];
      } else if (kind < 92) {
        int64_t p = static_cast<int64_t>(rng() % 200) - 100;
        if (p == 0) p = 1;
        json in = {{"customer_id", c}, {"program_id", program}, {"points", p}, {"reason", "test"}};
        if (rng() % 3 == 0)
          in["occurred_at"] = loyalty::format_time(now - static_cast<Timestamp>(rng() % kMillisPerDay));
        w.call("ledger.adjust", in);
        ++h.done["adjust"];
      } else {
        w.call("ledger.run_due", json::object());
        ++h.done["run_due"];
      }
    } catch (const loyalty::Error& e) {
      // Refusals (an already refunded redemption, nothing left to reverse, an adjustment below
      // zero) change nothing; the ledger scan below is the truth either way.
      const bool expected_refusal = e.status() == Status::conflict || e.status() == Status::insufficient ||
                                    e.status() == Status::limit || e.status() == Status::not_found;
      CHECK_MESSAGE(expected_refusal, e.what());
    }
  }
}

void compare(World& w, const History& h, const std::vector<std::string>& programs, const std::string& zone,
             std::mt19937_64& rng) {
  const auto entries = scan(w, h.customers, programs);
  const int64_t first = floor_div(loytest::kStart, kMillisPerDay) - 3;
  const int64_t last = floor_div(w.clock->now(), kMillisPerDay) + 2;
  std::vector<std::pair<int64_t, int64_t>> ranges = {{first, last}};
  for (int i = 0; i < 3; ++i) {
    const int64_t a = first + static_cast<int64_t>(rng() % static_cast<uint64_t>(last - first));
    const int64_t b = a + static_cast<int64_t>(rng() % static_cast<uint64_t>(last - a + 1));
    ranges.emplace_back(a, b);
  }
  std::vector<std::optional<std::string>> scopes = {std::nullopt};
  for (const auto& p : programs) scopes.emplace_back(p);
  for (const auto& [from, to] : ranges)
    for (const auto& bucket : {"day", "week", "month"})
      for (const auto& program : scopes) {
        CAPTURE(date_of(from));
        CAPTURE(date_of(to));
        CAPTURE(bucket);
        CAPTURE(program.value_or("tenant"));
        json in = {{"from", date_of(from)}, {"to", date_of(to)}, {"bucket", bucket}};
        if (program) in["program_id"] = *program;
        json got = w.call("analytics.overview", in);
        got.erase("tiers");
        const json want = expected(entries, h.members, zone, program, from, to, bucket);
        CHECK(got["points"] == want["points"]);
        CHECK(got["members"] == want["members"]);
        CHECK(got["outstanding"] == want["outstanding"]);
        CHECK(got == want);
      }
  // The liability today equals the sum of the balances (posted and pending) of every account.
  int64_t balances = 0;
  for (const auto& c : h.customers)
    for (const auto& p : programs) {
      const json b = w.call("ledger.balance", {{"customer_id", c}, {"program_id", p}});
      balances += b["balance"].get<int64_t>() + b["pending"].get<int64_t>();  // debt shows as a negative balance
    }
  const json all = w.call("analytics.overview", {{"from", date_of(first)}, {"to", date_of(last)}});
  CHECK(all["outstanding"] == balances);
}

}  // namespace

TEST_CASE("analytics: overview equals a plain scan of the ledger on random histories, across DST and a zone change") {
  for (uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    World w(json{{"expiry", {{"policy", "days_after_earn"}, {"days", 20}}}, {"allow_negative", true}});
    w.admin.call("tenant.update", {{"id", w.tenant["tenant"]["id"]}, {"timezone", "Europe/Berlin"}});
    const std::string second = w.call(
        "program.create",
        {{"name", "Second"}, {"currency", "EUR"}, {"expiry", {{"policy", "end_of_month"}, {"months", 0}}}})["id"];
    const std::vector<std::string> programs = {w.program_id, second};
    History h;
    // March 2026 ends with the change to summer time (29 March): the history crosses it.
    play(w, programs, h, rng, 250);
    compare(w, h, programs, "Europe/Berlin", rng);
    play(w, programs, h, rng, 150);  // more writes: the next call folds only these
    w.clock->advance(40 * kMillisPerDay);
    w.call("ledger.run_due", json::object());  // expiry of what is left
    compare(w, h, programs, "Europe/Berlin", rng);
    // A new zone: the days are rebuilt in it.
    w.admin.call("tenant.update", {{"id", w.tenant["tenant"]["id"]}, {"timezone", "America/New_York"}});
    compare(w, h, programs, "America/New_York", rng);
    for (const char* kind : {"enroll", "earn", "redeem", "refund", "reverse", "adjust", "run_due"}) {
      CAPTURE(kind);
      CHECK(h.done[kind] > 0);
    }
    w.require_verified();
  }
}

TEST_CASE("analytics: DST days are 23 and 25 hours and buckets follow local midnight") {
  World w;
  w.admin.call("tenant.update", {{"id", w.tenant["tenant"]["id"]}, {"timezone", "Europe/Berlin"}});
  const auto c = w.enroll("c1");
  // 29 March 2026 00:30 local (CET, UTC+1) and 23:30 local (CEST, UTC+2): the same local day.
  w.clock->set(*loyalty::parse_time("2026-03-30T12:00:00Z"));
  w.earn(c, 10, {{"occurred_at", "2026-03-28T23:30:00Z"}});
  w.earn(c, 20, {{"occurred_at", "2026-03-29T21:30:00Z"}});
  w.earn(c, 40, {{"occurred_at", "2026-03-29T22:30:00Z"}});  // 30 March 00:30 CEST
  const json r = w.call("analytics.overview", {{"from", "2026-03-29"}, {"to", "2026-03-30"}});
  REQUIRE(r["series"].size() == 2);
  CHECK(r["series"][0]["issued"] == 30);
  CHECK(r["series"][0]["starts_at"] == "2026-03-28T23:00:00.000Z");
  CHECK(r["series"][0]["ends_at"] == "2026-03-29T22:00:00.000Z");  // 23 hours
  CHECK(r["series"][1]["issued"] == 40);
  CHECK(r["members"]["active"] == 1);
  CHECK(r["points"]["issued"] == 70);
  // Weeks run Monday to Sunday: 23 March (Monday) .. 29 March, then 30 March ...
  const json wk = w.call("analytics.overview", {{"from", "2026-03-25"}, {"to", "2026-04-06"}, {"bucket", "week"}});
  REQUIRE(wk["series"].size() == 3);
  CHECK(wk["series"][0]["start"] == "2026-03-25");
  CHECK(wk["series"][0]["end"] == "2026-03-29");
  CHECK(wk["series"][1]["start"] == "2026-03-30");
  CHECK(wk["series"][1]["end"] == "2026-04-05");
  CHECK(wk["series"][2]["start"] == "2026-04-06");
  CHECK(wk["series"][0]["issued"] == 30);
  CHECK(wk["series"][1]["issued"] == 40);
}

TEST_CASE("analytics: overview input is checked and a program of the tenant is required") {
  World w;
  LOY_REQUIRE_ERROR(w.call("analytics.overview", {{"from", "2026-1-01"}, {"to", "2026-01-31"}}), Status::invalid,
                    "from");
  LOY_REQUIRE_ERROR(w.call("analytics.overview", {{"from", "2026-02-30"}, {"to", "2026-03-31"}}), Status::invalid,
                    "from");
  LOY_REQUIRE_ERROR(w.call("analytics.overview", {{"from", "2026-02-01"}, {"to", "2026-01-31"}}), Status::invalid,
                    "to");
  LOY_REQUIRE_ERROR(w.call("analytics.overview", {{"from", "2000-01-01"}, {"to", "2026-01-31"}}), Status::invalid,
                    "to");
  LOY_REQUIRE_ERROR(w.call("analytics.overview", {{"from", "2026-01-01"}, {"to", "2026-01-31"}, {"bucket", "year"}}),
                    Status::invalid, "bucket");
  LOY_REQUIRE_ERROR(w.call("analytics.overview", {{"to", "2026-01-31"}}), Status::invalid, "from");
  LOY_REQUIRE_ERROR(
      w.call("analytics.overview", {{"program_id", "prg_nope"}, {"from", "2026-01-01"}, {"to", "2026-01-31"}}),
      Status::not_found, "program_id");
}

TEST_CASE("analytics: tier distribution counts the program's accounts per current tier") {
  World w;
  w.call("tier.policy.set", {{"metric", "points"}, {"window", {{"kind", "rolling_months"}, {"months", 12}}}});
  const std::string silver = w.call("tier.create", {{"name", "Silver"}, {"rank", 1}, {"threshold", 100}})["id"];
  const std::string gold = w.call("tier.create", {{"name", "Gold"}, {"rank", 2}, {"threshold", 1000}})["id"];
  const auto a = w.enroll("a"), b = w.enroll("b"), c = w.enroll("c");
  w.earn(a, 150);
  w.earn(b, 1500);
  (void)c;
  const json r =
      w.call("analytics.overview", {{"program_id", w.program_id}, {"from", "2026-03-01"}, {"to", "2026-03-01"}});
  REQUIRE(r["tiers"].size() == 3);
  CHECK(r["tiers"][0] == json{{"tier_id", silver}, {"name", "Silver"}, {"rank", 1}, {"members", 1}});
  CHECK(r["tiers"][1] == json{{"tier_id", gold}, {"name", "Gold"}, {"rank", 2}, {"members", 1}});
  CHECK(r["tiers"][2]["members"] == 1);
  CHECK(r["members"]["total"] == 3);
  CHECK(w.call("analytics.overview", {{"from", "2026-03-01"}, {"to", "2026-03-01"}})["tiers"].is_null());
}
