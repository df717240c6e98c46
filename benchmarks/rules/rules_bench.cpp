// Rules benchmark: a standard loyalty rule set of 21 rules over 100,000 generated purchases (fixed
// seed), evaluated single-threaded by the compiled plan and by a hand-written C++ function that
// computes the same points; the same events are written for the peer script (json-rules-engine
// and @gorules/zen-engine, benchmarks/rules/peers.js, each in two variants: facts precomputed by
// the C++ side (events.json) and the raw purchase from which the peer derives them (events-raw.json)).
// Every engine's points are compared per event before any figure is reported. Also: durable purchase.submit per second
// (synchronous=FULL). Run by benchmarks/rules/run.sh; prints a markdown table.
//
// usage: loyalty_bench_rules <work dir> [events=100000] [--peers <peers result json>]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "loyalty/core/engine.hpp"
#include "rules/plan.hpp"

namespace lr = loyalty::rules;
using nlohmann::json;

namespace {

constexpr const char* kZone = "Europe/Berlin";

json leaf(const char* fact, const char* op, json value) { return {{"fact", fact}, {"operator", op}, {"value", value}}; }
json cat(const char* c) { return leaf("item.category", "eq", c); }

/// The standard rule set (see docs in RESULTS.md): additive rules, two groups, weekend and tier
/// multipliers, and a per-transaction cap.
json rule_set() {
  auto r = [](const char* name, int prio, json cond, json actions) {
    json j = {{"name", name}, {"priority", prio}, {"actions", actions}};
    if (!cond.is_null()) j["conditions"] = cond;
    return j;
  };
  auto fixed = [](int p) { return json::array({{{"type", "fixed"}, {"points", p}}}); };
  auto rate = [](const char* rt, json items) {
    json a = {{"type", "per_currency"}, {"rate", rt}};
    if (!items.is_null()) a["items"] = items;
    return json::array({a});
  };
  json rules = json::array();
  rules.push_back(r("base rate", 100, nullptr, rate("1", nullptr)));
  rules.push_back(r("electronics x3", 90, nullptr, rate("2", cat("electronics"))));
  rules.push_back(r("beverages x2", 90, nullptr, rate("1", cat("beverages"))));
  rules.push_back(r("produce x1.5", 90, nullptr, rate("0.5", cat("produce"))));
  rules.push_back(
      r("happy hour beverages", 85, leaf("time.time", "between", {"17:00", "18:59"}), rate("2", cat("beverages"))));
  json s50 = r("spend 50", 80, leaf("purchase.amount", "gte", 5000), fixed(50));
  json s100 = r("spend 100", 80, leaf("purchase.amount", "gte", 10000), fixed(100));
  s50["group"] = s100["group"] = "spend";
  s50["group_mode"] = s100["group_mode"] = "highest";
  rules.push_back(s50);
  rules.push_back(s100);
  rules.push_back(r("first purchase", 70, leaf("customer.first_purchase", "eq", true), fixed(200)));
  rules.push_back(r("birthday month", 70, leaf("customer.is_birthday_month", "eq", true), fixed(100)));
  json l1 = r("flagship store", 60, leaf("purchase.location_id", "eq", "loc_1"), fixed(25));
  l1["location_based"] = true;
  rules.push_back(l1);
  rules.push_back(
      r("mall stores at the till", 60,
        {{"all", {leaf("purchase.location_id", "in", {"loc_2", "loc_3"}), leaf("purchase.channel", "eq", "pos")}}},
        fixed(15)));
  rules.push_back(r("app bonus", 60, leaf("purchase.channel", "eq", "app"), fixed(10)));
  rules.push_back(r("web orders over 30", 60,
                    {{"all", {leaf("purchase.channel", "eq", "web"), leaf("purchase.amount", "gte", 3000)}}},
                    fixed(20)));
  rules.push_back(
      r("two dairy", 50, {{"any_item", {{"all", {cat("dairy"), leaf("item.quantity", "gte", 2)}}}}}, fixed(30)));
  json toys = leaf("purchase.items_amount", "gte", 4000);
  toys["where"] = cat("toys");
  rules.push_back(r("toys over 40", 50, toys, fixed(40)));
  rules.push_back(r("vip", 50, leaf("customer.segments", "contains", "vip"), fixed(30)));
  json p1 = r("promo store 4", 41, leaf("purchase.location_id", "eq", "loc_4"), fixed(60));
  json p2 = r("promo over 20", 40, leaf("purchase.amount", "gte", 2000), fixed(40));
  p1["group"] = p2["group"] = "promo";
  p1["group_mode"] = p2["group_mode"] = "first";
  rules.push_back(p1);
  rules.push_back(p2);
  rules.push_back(r("weekend double", 10, leaf("time.weekday", "in", {"saturday", "sunday"}),
                    json::array({{{"type", "multiply"}, {"factor", "2"}}})));
  rules.push_back(r("tier multiplier", 5, leaf("customer.tier", "in", {"gold", "platinum"}),
                    json::array({{{"type", "tier_multiplier"}}})));
  rules.push_back(r("cap 2000", 0, nullptr, json::array({{{"type", "cap"}, {"points", 2000}}})));
  return rules;
}

struct Purchase {
  loyalty::Timestamp at;
  std::string channel, location, tier, tm;
  std::vector<std::string> skus, cats;
  std::vector<lr::ItemIn> items;
  std::vector<std::string_view> segments;
  loyalty::CivilDate birthday;
  bool first;
  lr::Event ev;
};

const std::vector<std::string> kCats = {"beverages", "bakery", "dairy", "electronics", "toys", "produce"};
const std::vector<std::string> kChannels = {"pos", "pos", "web", "app"};
const std::vector<std::string> kLocations = {"", "loc_1", "loc_2", "loc_3", "loc_4", "loc_5"};
const std::vector<std::string> kTiers = {"bronze", "silver", "gold", "platinum"};
const std::vector<std::string> kTm = {"1", "1.1", "1.25", "1.5"};
const std::string_view kVip[] = {"vip"};

std::vector<Purchase> generate(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto num = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  std::vector<Purchase> out(n);
  const loyalty::Timestamp t0 = *loyalty::parse_time("2026-01-01T00:00:00Z");
  for (auto& p : out) {
    p.at = t0 + num(0, 365LL * 86'400'000 - 1);
    p.channel = kChannels[static_cast<size_t>(num(0, 3))];
    p.location = p.channel == "pos" ? kLocations[static_cast<size_t>(num(1, 5))] : std::string();
    const size_t t = static_cast<size_t>(num(0, 3));
    p.tier = kTiers[t];
    p.tm = kTm[t];
    const int64_t k = num(0, 8);
    for (int64_t i = 0; i < k; ++i) {
      const std::string& c = kCats[static_cast<size_t>(num(0, 5))];
      p.cats.push_back(c);
      p.skus.push_back(fmt::format("{}-{}", c.substr(0, 3), num(1, 50)));
    }
    for (size_t i = 0; i < p.cats.size(); ++i)
      p.items.push_back({p.skus[i], p.cats[i], num(1, 4), num(50, p.cats[i] == "electronics" ? 30000 : 2500)});
    p.birthday = {static_cast<int32_t>(num(1950, 2005)), static_cast<uint32_t>(num(1, 12)),
                  static_cast<uint32_t>(num(1, 28))};
    p.first = num(0, 19) == 0;
    if (num(0, 9) == 0) p.segments.assign(std::begin(kVip), std::end(kVip));
    lr::Event& e = p.ev;
    e.at = p.at;
    int64_t total = 0;
    for (const auto& it : p.items) total += it.quantity * it.unit_price;
    e.amount = total;
    e.currency = "EUR";
    e.channel = p.channel;
    e.location_id = p.location;
    e.items = p.items;
    e.tier = p.tier;
    e.tier_multiplier = lr::parse_decimal(json(p.tm));
    e.segments = p.segments;
    e.birthday = p.birthday;
    e.prior_purchases = p.first ? 0 : 3;
  }
  return out;
}

/// The same points, written by hand.
int64_t hand_written(const lr::Event& e, const loyalty::TimeZone& zone) {
  int64_t bev = 0, elec = 0, produce = 0, toys = 0;
  bool dairy2 = false;
  for (const auto& it : e.items) {
    const int64_t a = it.quantity * it.unit_price;
    const std::string_view c = it.category;
    if (c == "beverages")
      bev += a;
    else if (c == "electronics")
      elec += a;
    else if (c == "produce")
      produce += a;
    else if (c == "toys")
      toys += a;
    else if (c == "dairy" && it.quantity >= 2)
      dairy2 = true;
  }
  const loyalty::Timestamp local = zone.to_local(e.at);
  const loyalty::CivilDate d = loyalty::civil_from_timestamp(local);
  const int64_t minutes = (local - loyalty::timestamp_from_civil(d)) / 60'000;
  const uint32_t wd = loyalty::weekday(d);
  int64_t p = e.amount / 100 + elec * 2 / 100 + bev / 100 + produce / 200;
  if (minutes >= 17 * 60 && minutes <= 18 * 60 + 59) p += bev * 2 / 100;
  p += e.amount >= 10000 ? 100 : e.amount >= 5000 ? 50 : 0;
  if (e.prior_purchases == 0) p += 200;
  if (e.birthday && e.birthday->month == d.month) p += 100;
  if (e.location_id == "loc_1") p += 25;
  if ((e.location_id == "loc_2" || e.location_id == "loc_3") && e.channel == "pos") p += 15;
  if (e.channel == "app") p += 10;
  if (e.channel == "web" && e.amount >= 3000) p += 20;
  if (dairy2) p += 30;
  if (toys >= 4000) p += 40;
  for (auto s : e.segments)
    if (s == "vip") p += 30;
  if (e.location_id == "loc_4")
    p += 60;
  else if (e.amount >= 2000)
    p += 40;
  if (wd == 0 || wd == 6) p *= 2;
  if (e.tier && (*e.tier == "gold" || *e.tier == "platinum")) p += p * (*e.tier_multiplier - lr::kScale) / lr::kScale;
  return std::min<int64_t>(p, 2000);
}

/// Facts for the peers: what a json-rules-engine or zen user computes before calling the engine
/// (local time in the tenant's zone, category totals). Given to both peers alike.
json peer_event(const Purchase& p, const loyalty::TimeZone& zone) {
  const loyalty::Timestamp local = zone.to_local(p.at);
  const loyalty::CivilDate d = loyalty::civil_from_timestamp(local);
  int64_t bev = 0, elec = 0, produce = 0, toys = 0;
  bool dairy2 = false;
  for (const auto& it : p.items) {
    const int64_t a = it.quantity * it.unit_price;
    if (it.category == "beverages") bev += a;
    if (it.category == "electronics") elec += a;
    if (it.category == "produce") produce += a;
    if (it.category == "toys") toys += a;
    if (it.category == "dairy" && it.quantity >= 2) dairy2 = true;
  }
  const uint32_t wd = loyalty::weekday(d);
  return {{"amount", p.ev.amount},
          {"channel", p.channel},
          {"location", p.location},
          {"tier", p.tier},
          {"tm", std::stod(p.tm)},
          {"weekday", wd == 0 ? 7 : wd},
          {"minutes", (local - loyalty::timestamp_from_civil(d)) / 60'000},
          {"birthdayMonth", p.birthday.month == d.month},
          {"first", p.first},
          {"vip", !p.segments.empty()},
          {"bev", bev},
          {"elec", elec},
          {"produce", produce},
          {"toys", toys},
          {"dairy2", dairy2}};
}

/// The raw purchase, as libloyalty's evaluation gets it (UTC time in ms, the items; the zone is
/// configuration): the peers' "raw event" variant derives every fact from it in its own idiom.
json raw_event(const Purchase& p) {
  json items = json::array();
  for (const auto& it : p.items)
    items.push_back(
        {{"sku", it.sku}, {"category", it.category}, {"quantity", it.quantity}, {"unit_price", it.unit_price}});
  return {{"at", p.at},
          {"amount", p.ev.amount},
          {"channel", p.channel},
          {"location", p.location},
          {"tier", p.tier},
          {"tm", std::stod(p.tm)},
          {"segments", p.segments},
          {"birthday", fmt::format("{:04}-{:02}-{:02}", p.birthday.year, p.birthday.month, p.birthday.day)},
          {"prior_purchases", p.ev.prior_purchases},
          {"items", items}};
}

/// The goal for a peer: at least 400x json-rules-engine's and 600x zen-engine's evaluations/s.
double goal_for(const std::string& peer) { return peer.rfind("zen", 0) == 0 ? 600 : 400; }

double pct(std::vector<double>& v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

double durable_submits(const std::string& dir, const json& rules, double seconds) {
  const std::string db = dir + "/durable.db";
  std::filesystem::remove(db);
  loyalty::EngineOptions o;
  o.storage.uri = db;
  o.storage.synchronous = loyalty::SyncMode::full;
  o.admin_key = "bench-admin-credential-0123456789";
  auto engine = loyalty::Engine::open(o);
  json t = engine.admin(o.admin_key).call("tenant.create", {{"name", "Bench"}, {"timezone", kZone}});
  auto s = engine.session(t["api_key"]["key"].get<std::string>());
  s.call("program.create", {{"name", "Main"}, {"currency", "EUR"}});
  for (const auto& r : rules) s.call("rule.create", r);
  std::vector<std::string> customers;
  for (int i = 0; i < 200; ++i)
    customers.push_back(s.call("customer.enroll", {{"external_id", fmt::format("c{}", i)}})["id"]);
  const auto start = std::chrono::steady_clock::now();
  int64_t n = 0;
  for (;;) {
    json in = {{"order_id", fmt::format("o{}", n)},
               {"customer_id", customers[static_cast<size_t>(n % 200)]},
               {"channel", "pos"},
               {"location_id", "loc_2"},
               {"items",
                {{{"sku", "COF-1"}, {"category", "beverages"}, {"quantity", 2}, {"unit_price", 350}},
                 {{"sku", "TOY-9"}, {"category", "toys"}, {"quantity", 1}, {"unit_price", 4500}}}},
               {"customer", {{"tier", "gold"}, {"tier_multiplier", "1.25"}}}};
    s.call("purchase.submit", in);
    ++n;
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (el >= seconds) return static_cast<double>(n) / el;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <work dir> [events] [--peers results.json] [--no-durable]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const size_t n = argc > 2 && argv[2][0] != '-' ? std::stoul(argv[2]) : 100'000;
  std::string peers_path;
  bool durable_run = true;  // --no-durable: evaluation figures only (for profiling the plan)
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "--peers" && i + 1 < argc) peers_path = argv[i + 1];
    if (std::string(argv[i]) == "--no-durable") durable_run = false;
  }
  const auto zone = loyalty::TimeZone::locate(kZone);
  const json rules = rule_set();
  std::vector<lr::RuleSource> src;
  for (size_t i = 0; i < rules.size(); ++i)
    src.push_back({fmt::format("r{}", i + 1), 1, static_cast<int64_t>(i), lr::validate_rule(rules[i])});
  auto plan = lr::compile(src, lr::Rounding::floor, zone);
  auto events = generate(n, 20261124);

  if (peers_path.empty()) {
    // Phase 1: write the events, the rule set and our points for the peer script.
    json out = json::array(), raw = json::array();
    for (const auto& p : events) {
      out.push_back(peer_event(p, *zone));
      raw.push_back(raw_event(p));
    }
    std::ofstream(dir + "/events.json") << out.dump();
    std::ofstream(dir + "/events-raw.json") << raw.dump();
    std::ofstream(dir + "/rules.json") << rules.dump(2);
  }

  // correctness: plan vs hand-written, per event
  lr::Evaluation ev;
  std::vector<int64_t> ours(n);
  int64_t diff_hand = 0, total_points = 0;
  for (size_t i = 0; i < n; ++i) {
    lr::evaluate(*plan, events[i].ev, {}, ev);
    ours[i] = ev.total;
    total_points += ev.total;
    const int64_t h = hand_written(events[i].ev, *zone);
    if (h != ev.total && diff_hand++ < 5)
      std::fprintf(stderr, "event %zu: plan %lld, hand-written %lld\n%s\n", i, static_cast<long long>(ev.total),
                   static_cast<long long>(h), lr::explain(*plan, ev).dump().c_str());
  }
  if (peers_path.empty()) {
    json pts = ours;
    std::ofstream(dir + "/expected.json") << pts.dump();
    std::printf("wrote %zu events to %s (plan vs hand-written differences: %lld)\n", n, dir.c_str(),
                static_cast<long long>(diff_hand));
    return diff_hand == 0 ? 0 : 1;
  }

  // throughput: best of 5 passes (wall clock; and by the thread's CPU time, which a busy machine
  // disturbs less); latency: one pass timing each evaluation
  auto cpu_now = [] {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
  };
  auto pass = [&](auto&& fn, double& best_cpu) {
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = cpu_now();
      int64_t sink = 0;
      for (size_t i = 0; i < n; ++i) sink += fn(i);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double cs = cpu_now() - c0;
      if (sink != total_points) std::fprintf(stderr, "checksum mismatch\n");
      best = std::max(best, static_cast<double>(n) / s);
      best_cpu = std::max(best_cpu, static_cast<double>(n) / cs);
    }
    return best;
  };
  auto lat = [&](auto&& fn) {
    std::vector<double> us(n);
    for (size_t i = 0; i < n; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      volatile int64_t x = fn(i);
      (void)x;
      us[i] = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    }
    return std::pair{pct(us, 0.50), pct(us, 0.99)};
  };
  auto plan_fn = [&](size_t i) {
    lr::evaluate(*plan, events[i].ev, {}, ev);
    return ev.total;
  };
  auto hand_fn = [&](size_t i) { return hand_written(events[i].ev, *zone); };
  double plan_cpu = 0, hand_cpu = 0;
  const double plan_eps = pass(plan_fn, plan_cpu), hand_eps = pass(hand_fn, hand_cpu);
  const auto [plan_p50, plan_p99] = lat(plan_fn);
  const auto [hand_p50, hand_p99] = lat(hand_fn);

  // every engine must give our points for every event before any figure is printed
  std::ifstream pin(peers_path);
  const json peers = json::parse(pin);
  std::map<std::string, int64_t> diffs;
  bool all_same = diff_hand == 0;
  for (const auto& [name, r] : peers.items()) {
    int64_t& d = diffs[name];
    const auto& pts = r["points"];
    if (pts.size() != n) {
      std::fprintf(stderr, "%s: %zu results for %zu events\n", name.c_str(), pts.size(), n);
      d = static_cast<int64_t>(n);
    } else {
      for (size_t i = 0; i < n; ++i)
        if (pts[i].get<int64_t>() != ours[i] && d++ < 3)
          std::fprintf(stderr, "%s event %zu: %lld vs ours %lld\n", name.c_str(), i,
                       static_cast<long long>(pts[i].get<int64_t>()), static_cast<long long>(ours[i]));
    }
    all_same = all_same && d == 0;
  }
  if (!all_same) {
    std::fprintf(stderr, "engines differ (hand-written: %lld events", static_cast<long long>(diff_hand));
    for (const auto& [name, d] : diffs) std::fprintf(stderr, "; %s: %lld", name.c_str(), static_cast<long long>(d));
    std::fprintf(stderr, "): no figures reported\n");
    return 1;
  }
  std::printf(
      "\n| Engine | evaluations/s | p50 µs | p99 µs | events differing from libloyalty |\n|---|---|---|---|---|\n");
  std::printf("| libloyalty compiled plan | %.0f | %.2f | %.2f | - |\n", plan_eps, plan_p50, plan_p99);
  std::printf("| hand-written C++ | %.0f | %.2f | %.2f | 0 |\n", hand_eps, hand_p50, hand_p99);
  for (const auto& [name, r] : peers.items())
    std::printf("| %s | %.0f | %.2f | %.2f | %lld |\n", name.c_str(), r["eps"].get<double>(), r["p50_us"].get<double>(),
                r["p99_us"].get<double>(), static_cast<long long>(diffs[name]));
  std::printf("\n| Ratio | measured | goal | met? |\n|---|---|---|---|\n");
  const double hand_ratio = plan_eps / hand_eps;
  std::printf("| libloyalty / hand-written C++ | %.2f | >= 0.5 | %s |\n", hand_ratio,
              hand_ratio >= 0.5 ? "yes" : "**no**");
  for (const auto& [name, r] : peers.items()) {
    const double ratio = plan_eps / r["eps"].get<double>(), goal = goal_for(name);
    std::printf("| libloyalty / %s | %.0fx | >= %.0fx | %s |\n", name.c_str(), ratio, goal,
                ratio >= goal ? "yes" : "**no**");
  }
  std::printf(
      "\nPeers: \"precomputed facts\" get the local weekday and minutes, category totals and the dairy flag "
      "computed by the C++ side; \"raw event\" get the raw purchase (UTC time, items, Europe/Berlin) and derive "
      "them themselves, as libloyalty does (see benchmarks/rules/peers.js).\n");
  std::printf("Sum of points over all events: %lld\n", static_cast<long long>(total_points));
  std::printf("By thread CPU time (less disturbed by other load): libloyalty %.0f/s, hand-written %.0f/s, ratio %.2f\n",
              plan_cpu, hand_cpu, plan_cpu / hand_cpu);
  if (!durable_run) return all_same ? 0 : 1;
  const double durable = durable_submits(dir, rules, 10.0);
  std::printf(
      "Durable purchase.submit (21 rules + ledger earn + counters, synchronous=FULL, one per transaction): %.0f/s\n",
      durable);
  return all_same ? 0 : 1;
}
