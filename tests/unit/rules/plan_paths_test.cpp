// The compiled plan's fast paths: item aggregates shared by many rules and computed in one pass
// (category-only conditions tabulated per category class, others run per item behind a category
// prefilter, many categories hashed), string facts classified per slot, and the local-day cache
// of an Evaluation reused across events, zones and plans (DST boundaries included), and the frame
// stamps that make one evaluation's facts absent in the next.
#include <random>

#include "support.hpp"

using namespace rulestest;

namespace {

json per_cat(const json& where, const char* rate = "1") {
  return {{"type", "per_currency"}, {"rate", rate}, {"unit", 1}, {"items", where}};
}

json item(const std::string& cat, int64_t qty, int64_t price, const std::string& sku = "s") {
  return {{"sku", sku}, {"category", cat}, {"quantity", qty}, {"unit_price", price}};
}

int64_t eval_total(const std::shared_ptr<const lr::Plan>& plan, const json& event, lr::Evaluation& e) {
  EventBox box(event);
  lr::evaluate(*plan, box.ev, {}, e);
  return e.total;
}

}  // namespace

TEST_CASE("rules plan: many rules sharing an item condition share one aggregate, computed in one pass") {
  json rules = json::array();
  for (int k = 0; k < 10; ++k) {
    rules.push_back(rule(nullptr, json::array({per_cat(leaf("item.category", "eq", "a"))})));
    json sum = leaf("purchase.items_amount", "gte", 100);
    sum["where"] = leaf("item.category", "eq", "a");
    rules.push_back(rule(sum, json::array({{{"type", "fixed"}, {"points", 1}}})));
    rules.push_back(
        rule({{"any_item", leaf("item.category", "eq", "a")}}, json::array({{{"type", "fixed"}, {"points", 1000}}})));
  }
  auto plan = plan_of(rules);
  CHECK(plan->item_aggs.size() == 1);
  CHECK(plan->generic_aggs.empty());
  lr::Evaluation e;
  // 2*30 + 1*50 = 110 in category a: 10 x 110 + 10 x 1 + 10 x 1000
  CHECK(eval_total(plan, {{"items", {item("a", 2, 30), item("b", 5, 100), item("a", 1, 50)}}}, e) == 11110);
  CHECK(eval_total(plan, {{"items", {item("b", 5, 100)}}}, e) == 0);
  CHECK(eval_total(plan, {{"items", json::array()}}, e) == 0);
  CHECK(eval_total(plan, {{"items", {item("a", 1, 99)}}}, e) == 10 * 99 + 10 * 1000);
}

TEST_CASE("rules plan: category-only conditions per class, others per item behind the prefilter") {
  const json dairy2 = {{"all", {leaf("item.category", "eq", "dairy"), leaf("item.quantity", "gte", 2)}}};
  const json not_food = {{"not", leaf("item.category", "in", json::array({"dairy", "bakery"}))}};
  const json any_of = {{"any", {leaf("item.category", "eq", "toys"), leaf("item.category", "ne", "zzz")}}};
  const json rules = json::array({
      rule({{"any_item", dairy2}}, json::array({{{"type", "fixed"}, {"points", 1}}})),
      rule({{"all_items", not_food}}, json::array({{{"type", "fixed"}, {"points", 10}}})),
      rule(nullptr, json::array({per_cat(not_food)})),  // 1 point per minor unit outside dairy/bakery
      rule(nullptr, json::array({per_cat(dairy2, "100")})),
      rule({{"all_items", any_of}}, json::array({{{"type", "fixed"}, {"points", 100000}}})),
  });
  auto plan = plan_of(rules);
  CHECK(plan->generic_aggs.size() == 1);  // dairy2 (reads the quantity)
  lr::Evaluation e;
  // dairy x1 (no), dairy x2 at 3 (yes: 600), unknown category "other" 4 x 5 = 20 outside food
  CHECK(eval_total(plan, {{"items", {item("dairy", 1, 7), item("dairy", 2, 3), item("other", 4, 5)}}}, e) ==
        1 + 20 + 600 + 100000);
  // no food: all_items not_food holds; empty cart: both all_items hold vacuously
  CHECK(eval_total(plan, {{"items", {item("toys", 1, 9)}}}, e) == 10 + 9 + 100000);
  CHECK(eval_total(plan, {{"items", json::array()}}, e) == 10 + 100000);
  // an item in category "zzz" breaks all_items any_of
  CHECK(eval_total(plan, {{"items", {item("zzz", 1, 1)}}}, e) == 10 + 1);
}

TEST_CASE("rules plan: many categories and skus (hashed symbol sets) give the same answers") {
  json cats = json::array();
  for (int k = 0; k < 20; ++k) cats.push_back("c" + std::to_string(k));
  json rules = json::array({rule(nullptr, json::array({per_cat(leaf("item.category", "in", cats))}))});
  for (int k = 0; k < 20; ++k)
    rules.push_back(rule(nullptr, json::array({per_cat(leaf("item.category", "eq", "c" + std::to_string(k)), "2")})));
  rules.push_back(rule({{"any_item", leaf("item.sku", "in",
                                          json::array({"x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
                                                       "x11", "x12", "x13"}))}},
                       json::array({{{"type", "fixed"}, {"points", 1000}}})));
  auto plan = plan_of(rules);
  CHECK(plan->category_syms.size() > lr::kLinearSymbols);
  CHECK(plan->sku_syms.size() > lr::kLinearSymbols);
  lr::Evaluation e;
  // c3: 3 + 2*3; c19: 10 + 2*10; "other" nothing; sku x13 fires the fixed rule
  CHECK(eval_total(plan, {{"items", {item("c3", 1, 3), item("c19", 2, 5), item("other", 1, 100, "x13")}}}, e) ==
        9 + 30 + 1000);
  CHECK(eval_total(plan, {{"items", {item("c0", 1, 1, "x14")}}}, e) == 3);
}

TEST_CASE("rules plan: string facts are classified per slot; one Evaluation serves several plans") {
  const json a = json::array(
      {rule(leaf("purchase.channel", "eq", "web"), json::array({{{"type", "fixed"}, {"points", 1}}})),
       rule(leaf("customer.tier", "in", json::array({"gold", "gol", "golden"})),
            json::array({{{"type", "fixed"}, {"points", 10}}})),
       rule(leaf("purchase.channel", "starts_with", "we"), json::array({{{"type", "fixed"}, {"points", 100}}})),
       rule(leaf("purchase.location_id", "ne", "loc_2"), json::array({{{"type", "fixed"}, {"points", 1000}}}))});
  // plan b compares the channel with "gold": a symbol of plan a's tier slot, not its channel slot
  const json b = json::array(
      {rule(leaf("purchase.channel", "eq", "gold"), json::array({{{"type", "fixed"}, {"points", 7}}})),
       rule(leaf("customer.segments", "contains", "web"), json::array({{{"type", "fixed"}, {"points", 70}}}))});
  auto pa = plan_of(a), pb = plan_of(b, "floor", "Europe/Berlin");
  lr::Evaluation shared;
  const json ev1 = {{"channel", "web"}, {"tier", "gold"}, {"location_id", "loc_1"}, {"segments", {"web"}}};
  const json ev2 = {{"channel", "gold"}, {"tier", "golden"}, {"location_id", "loc_2"}};
  const json ev3 = {{"channel", "webshop"}, {"tier", "go"}};
  for (int round = 0; round < 2; ++round) {
    CHECK(eval_total(pa, ev1, shared) == 1111);
    CHECK(eval_total(pb, ev1, shared) == 70);
    CHECK(eval_total(pa, ev2, shared) == 10);
    CHECK(eval_total(pb, ev2, shared) == 7);
    CHECK(eval_total(pa, ev3, shared) == 100);  // no location: ne is false on a missing fact
    CHECK(eval_total(pb, ev3, shared) == 0);
  }
}

TEST_CASE("rules plan: the local-day cache of a reused Evaluation matches a fresh conversion, across DST") {
  const json cond = {{"all",
                      {leaf("time.hour", "gte", 0), leaf("time.minute", "gte", 0), leaf("time.weekday", "gte", 1),
                       leaf("time.date", "gte", "1900-01-01"), leaf("time.month", "gte", 1), leaf("time.day", "gte", 1),
                       leaf("time.time", "gte", "00:00")}}};
  const json rules = json::array({rule(cond, json::array({{{"type", "fixed"}, {"points", 1}}}))});
  const std::vector<std::string> zones = {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
                                          "UTC"};
  std::vector<std::shared_ptr<const lr::Plan>> plans;
  for (const auto& z : zones) plans.push_back(plan_of(rules, "floor", z));
  // instants around the 2026 and 2040 transitions (the latter past the TZif table: the POSIX rule),
  // every 7 minutes for 6 hours, plus random instants over 1950..2060, in one shared Evaluation
  std::vector<int64_t> at;
  for (const char* t : {"2026-03-29T00:00:00Z", "2026-10-25T00:00:00Z", "2026-03-08T05:00:00Z", "2026-11-01T04:00:00Z",
                        "2026-04-04T13:00:00Z", "2026-10-03T14:00:00Z", "2040-03-25T00:00:00Z", "2040-10-28T00:00:00Z",
                        "2026-12-31T21:00:00Z"})
    for (int64_t m = -180; m <= 180; m += 7) at.push_back(*loyalty::parse_time(t) + m * 60'000);
  std::mt19937_64 rng(7);
  for (int k = 0; k < 3000; ++k)
    at.push_back(std::uniform_int_distribution<int64_t>(-631152000000LL, 2871763200000LL)(rng));
  lr::Evaluation shared;
  int64_t mismatches = 0;
  for (size_t z = 0; z < zones.size(); ++z) {
    const auto zone = loyalty::TimeZone::locate(zones[z]);
    for (size_t k = 0; k < at.size(); ++k) {
      // alternate zones too: the cache must notice the plan's zone changed
      const auto& plan = plans[(k % 3 == 0) ? (z + 1) % zones.size() : z];
      const auto& pzone = plan->zone;
      lr::Event ev;
      ev.at = at[k];
      lr::evaluate(*plan, ev, {}, shared);
      const int64_t local = pzone->to_local(at[k]);
      const loyalty::CivilDate d = loyalty::civil_from_timestamp(local);
      const int64_t ms = local - loyalty::timestamp_from_civil(d);
      const uint32_t wd = loyalty::weekday(d);
      const auto& f = shared.frame;
      const bool same =
          f[lr::kHour].i == ms / 3'600'000 && f[lr::kMinute].i == (ms / 60'000) % 60 && f[lr::kTime].i == ms / 60'000 &&
          f[lr::kWeekday].i == (wd == 0 ? 7 : wd) && f[lr::kMonth].i == d.month && f[lr::kDay].i == d.day &&
          f[lr::kDate].i == loyalty::timestamp_from_civil(d) / loyalty::kMillisPerDay && shared.total == 1;
      if (!same && mismatches++ < 3) FAIL_CHECK("zone " << pzone->name() << " at " << loyalty::format_time(at[k]));
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("rules plan: same_bytes compares every byte of strings of every length") {
  for (size_t n = 0; n <= 40; ++n) {
    std::string a(n, 'x');
    for (size_t k = 0; k < n; ++k) a[k] = static_cast<char>('a' + k % 26);
    CHECK(lr::same_bytes(a.data(), std::string(a).data(), n));
    for (size_t k = 0; k < n; ++k) {
      std::string b = a;
      b[k] = '#';
      INFO("length " << n << ", byte " << k);
      CHECK_FALSE(lr::same_bytes(a.data(), b.data(), n));
    }
  }
}

TEST_CASE("rules plan: a fact of an earlier evaluation is absent in the next, across the stamp's wrap-around") {
  const json rules = json::array({
      rule(leaf("purchase.channel", "eq", "web"), json::array({{{"type", "fixed"}, {"points", 1}}})),
      rule({{"fact", "customer.tier"}, {"operator", "exists"}}, json::array({{{"type", "fixed"}, {"points", 10}}})),
      rule(leaf("customer.tier", "ne", "gold"), json::array({{{"type", "fixed"}, {"points", 100}}})),
      // never given: its slot keeps the stamp it got when the frame was made
      rule({{"fact", "place.distance_m"}, {"operator", "exists"}},
           json::array({{{"type", "fixed"}, {"points", 1000}}})),
  });
  auto plan = plan_of(rules);
  const json web_gold = {{"channel", "web"}, {"tier", "gold"}};
  const json bare = json::object();  // no channel, no tier: nothing may carry over
  for (const uint32_t start : {0U, 0xFFFFFFFDU}) {
    INFO("stamp starting at " << start);
    lr::Evaluation e;
    CHECK(eval_total(plan, web_gold, e) == 11);  // sizes the frame
    e.stamp = start;
    for (int k = 0; k < 4; ++k) {  // 0xFFFFFFFD + 4 wraps through 0
      CHECK(eval_total(plan, web_gold, e) == 11);
      CHECK(eval_total(plan, bare, e) == 0);
    }
  }
}
