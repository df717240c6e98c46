// What a user of the rules gets: one `purchase.dry_run` call per event through the public C ABI
// (`loy_purchase_dry_run`), on the rules benchmark's 21 rules and its events (events-raw.json,
// expected.json and rules.json written by `loyalty_bench_rules <dir>`), with the explain trace
// off (`"explain":"none"`) and full (`"full"`). Every call's points are checked against the
// compiled plan's before any figure is printed. With the peers' results (peers.json from
// benchmarks/rules/peers.js) it prints the ratios against json-rules-engine and zen-engine, each
// on the raw event (the same input libloyalty gets).
//
// The binary links the shared library only (a C host), so the same binary measures another
// build of it: LD_LIBRARY_PATH=<dir of that libloyalty.so.1> loyalty_bench_dry_run ...
//
// usage: loyalty_bench_dry_run <work dir> [--peers <peers.json>] [--passes N] [--levels none,full]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "loyalty.h"
#include "loyalty/sys/clock.h"
#include "support/capi_calls.hpp"

namespace {

using loybench::call;
using loybench::die;
using nlohmann::json;

/// The engine's clock: after the last event (the events span 2026), so none is in the future.
int64_t fixed_now(void*) { return 1798848000000; /* 2027-01-02T00:00:00Z */ }

std::string iso(int64_t ms) {
  const std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm t{};
  gmtime_r(&s, &t);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

/// A raw event of the rules benchmark as a `purchase.dry_run` input: an anonymous purchase whose
/// customer facts (tier, multiplier, segments, birthday, first purchase) the host gives.
std::string dry_run_input(const json& e, const char* explain) {
  json items = json::array();
  for (const auto& it : e["items"])
    items.push_back({{"sku", it["sku"]},
                     {"category", it["category"]},
                     {"quantity", it["quantity"]},
                     {"unit_price", it["unit_price"]}});
  json in = {{"amount", e["amount"]},
             {"occurred_at", iso(e["at"].get<int64_t>())},
             {"channel", e["channel"]},
             {"items", items},
             {"customer",
              {{"tier", e["tier"]},
               {"tier_multiplier", e["tm"]},
               {"segments", e["segments"]},
               {"birthday", e["birthday"]},
               {"first_purchase", e["prior_purchases"].get<int64_t>() == 0}}},
             {"explain", explain}};
  if (!e["location"].get<std::string>().empty()) in["location_id"] = e["location"];
  return in.dump();
}

/// The purchase's points in a result: the first `"points":` after `"purchase":` (the engine writes
/// keys in order, and `points` comes before the purchase's `rules`).
int64_t points_of(const char* text, size_t len) {
  static const char kPurchase[] = "\"purchase\":", kKey[] = "\"points\":";
  const char* from = static_cast<const char*>(memmem(text, len, kPurchase, sizeof kPurchase - 1));
  if (from == nullptr) die("no purchase in a result");
  const char* p = static_cast<const char*>(memmem(from, len - static_cast<size_t>(from - text), kKey, sizeof kKey - 1));
  if (p == nullptr) die("no points in a result");
  return std::strtoll(p + sizeof kKey - 1, nullptr, 10);
}

double pct(std::vector<double>& v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

double thread_cpu() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

json read_json(const std::string& path) {
  std::ifstream f(path);
  if (!f) die("cannot read " + path + " (run loyalty_bench_rules <dir> first)");
  std::stringstream ss;
  ss << f.rdbuf();
  return json::parse(ss.str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <work dir> [--peers peers.json] [--passes N] [--levels none,full]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::string peers_path, levels_arg = "none,full";
  int passes = 3;
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--peers") peers_path = argv[i + 1];
    if (std::string(argv[i]) == "--passes") passes = std::max(1, std::atoi(argv[i + 1]));
    if (std::string(argv[i]) == "--levels") levels_arg = argv[i + 1];
  }
  const json raw = read_json(dir + "/events-raw.json"), expected = read_json(dir + "/expected.json"),
             rules = read_json(dir + "/rules.json");
  const size_t n = raw.size();
  if (expected.size() != n) die("events-raw.json and expected.json differ in length");

  loy_sys_clock clock{LOY_SYS_CLOCK_VERSION, nullptr, fixed_now};
  const char* admin_key = "bench-admin-credential-0123456789";
  loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
  opts.admin_key = admin_key;
  opts.clock = &clock;  // in-memory database: a dry run reads, it never writes
  loy_engine* engine = nullptr;
  if (loy_engine_open(&opts, &engine) != LOY_OK) die("loy_engine_open");
  loy_admin* admin = nullptr;
  if (loy_admin_open(engine, admin_key, std::strlen(admin_key), &admin) != LOY_OK) die("loy_admin_open");
  const std::string tenant =
      loybench::call_admin(admin, "tenant.create", R"({"name":"Bench","timezone":"Europe/Berlin"})");
  const std::string key = loybench::field(tenant, "\"api_key\"", "key");
  loy_admin_free(admin);
  loy_session* s = nullptr;
  if (loy_session_open(engine, key.data(), key.size(), &s) != LOY_OK) die("loy_session_open");
  call(s, "program.create", R"({"name":"Main","currency":"EUR"})");
  for (const auto& r : rules) call(s, "rule.create", r.dump());

  std::vector<std::string> levels;
  for (std::stringstream ss(levels_arg); ss.good();) {
    std::string l;
    std::getline(ss, l, ',');
    if (!l.empty()) levels.push_back(l);
  }
  json figures = json::object();
  for (const auto& level : levels) {
    std::vector<std::string> inputs;
    inputs.reserve(n);
    for (const auto& e : raw) inputs.push_back(dry_run_input(e, level.c_str()));
    // correctness first: every event's points as the compiled plan's
    loy_buf out = LOY_BUF_INIT;
    int64_t differing = 0;
    for (size_t i = 0; i < n; ++i) {
      if (loy_purchase_dry_run(s, inputs[i].data(), inputs[i].size(), &out) != LOY_OK) die("loy_purchase_dry_run");
      const int64_t pts = points_of(out.data, out.len);
      if (pts != expected[i].get<int64_t>() && differing++ < 3)
        std::fprintf(stderr, "event %zu: dry_run %lld, plan %lld\n%s\n", i, static_cast<long long>(pts),
                     static_cast<long long>(expected[i].get<int64_t>()), inputs[i].c_str());
    }
    if (differing != 0) {
      std::fprintf(stderr, "explain %s: %lld events differ from the plan: no figures reported\n", level.c_str(),
                   static_cast<long long>(differing));
      return 1;
    }
    double best = 0, best_cpu = 0;
    for (int rep = 0; rep < passes; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = thread_cpu();
      for (size_t i = 0; i < n; ++i)
        if (loy_purchase_dry_run(s, inputs[i].data(), inputs[i].size(), &out) != LOY_OK) die("loy_purchase_dry_run");
      const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::max(best, static_cast<double>(n) / el);
      best_cpu = std::max(best_cpu, static_cast<double>(n) / (thread_cpu() - c0));
    }
    std::vector<double> us(n);
    size_t bytes = 0;
    for (size_t i = 0; i < n; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      if (loy_purchase_dry_run(s, inputs[i].data(), inputs[i].size(), &out) != LOY_OK) die("loy_purchase_dry_run");
      us[i] = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      bytes += out.len;
    }
    loy_buf_dispose(&out);
    figures[level] = {{"eps", best},
                      {"eps_cpu", best_cpu},
                      {"p50_us", pct(us, 0.5)},
                      {"p99_us", pct(us, 0.99)},
                      {"result_bytes", static_cast<double>(bytes) / static_cast<double>(n)}};
  }
  loy_session_free(s);
  loy_engine_free(engine);

  std::printf(
      "\n| `loy_purchase_dry_run` (C ABI), %zu events | calls/s | by CPU time | p50 µs | p99 µs | result bytes |\n", n);
  std::printf("|---|---|---|---|---|---|\n");
  for (const auto& [level, f] : figures.items())
    std::printf("| explain %s | %.0f | %.0f | %.2f | %.2f | %.0f |\n", level.c_str(), f["eps"].get<double>(),
                f["eps_cpu"].get<double>(), f["p50_us"].get<double>(), f["p99_us"].get<double>(),
                f["result_bytes"].get<double>());
  std::ofstream(dir + "/dry-run.json") << figures.dump();
  if (peers_path.empty()) return 0;
  const json peers = read_json(peers_path);
  std::printf("\n| Ratio (calls/s over the peer's evaluations/s, raw event) | measured |\n|---|---|\n");
  for (const auto& [level, f] : figures.items())
    for (const auto& [name, r] : peers.items())
      if (name.find("raw") != std::string::npos)
        std::printf("| dry run, explain %s / %s | %.1fx |\n", level.c_str(), name.c_str(),
                    f["eps"].get<double>() / r["eps"].get<double>());
  return 0;
}
