// Rules limits under concurrency (label `slow`): 50,000 qualifying purchases from 8 threads, then
// from 2 processes (4 threads each), against a campaign budget of 10,000 points and a
// per-customer daily cap. The budget must be issued exactly, the cap must be exact for every
// customer, and the ledger must verify. LOY_STRESS_SCALE scales the purchase count.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "fixture.hpp"
#include "raw_db.hpp"
#include "stress.hpp"

using namespace loystress;

namespace {

constexpr int kCustomers = 40;
constexpr int64_t kDailyCap = 100;

/// Creates the two rules: one point per purchase from a budget of a fifth of the purchases (10,000
/// for 50,000), and three points per purchase capped at 100 per customer per day.
void create_rules(const std::string& db, const std::string& key, int64_t budget) {
  auto engine = open_engine(db, loyalty::SyncMode::normal, 2, std::make_shared<loyalty::ManualClock>(loytest::kStart));
  auto s = engine.session(key);
  s.call("rule.create",
         {{"name", "Campaign"}, {"actions", {{{"type", "fixed"}, {"points", 1}}}}, {"limits", {{"budget", budget}}}});
  s.call("rule.create", {{"name", "Daily"},
                         {"actions", {{{"type", "fixed"}, {"points", 3}}}},
                         {"limits", {{"per_customer", {{{"period", "day"}, {"points", kDailyCap}}}}}}});
  engine.close();
}

/// Submits purchases `first`, `first + stride`, ... below `total` from `threads` threads; returns
/// failure messages (an unexpected error, or a purchase that was not acknowledged).
std::vector<std::string> submit_all(const std::string& db, const std::string& key,
                                    const std::vector<std::string>& customers, const std::string& prefix, int64_t total,
                                    int threads) {
  auto engine =
      open_engine(db, loyalty::SyncMode::normal, threads, std::make_shared<loyalty::ManualClock>(loytest::kStart));
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      auto s = engine.session(key);
      for (int64_t n = t; n < total; n += threads) {
        json in = {{"order_id", prefix + std::to_string(n)},
                   {"customer_id", customers[static_cast<size_t>(n % static_cast<int64_t>(customers.size()))]},
                   {"amount", 1000}};
        try {
          s.call("purchase.submit", in);
        } catch (const std::exception& e) {
          std::lock_guard lock(mu);
          failures.push_back(in["order_id"].get<std::string>() + ": " + e.what());
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  engine.close();
  return failures;
}

void check_totals(const Setup& setup, int64_t purchases) {
  const int64_t kBudget = purchases / 5;
  auto engine = open_engine(setup.db, loyalty::SyncMode::normal, 2);
  auto s = engine.session(setup.api_key);
  int64_t total = 0;
  for (const auto& c : setup.customers) {
    const int64_t b = s.call("ledger.balance", {{"customer_id", c}})["balance"];
    total += b;
  }
  // Every customer made far more than 34 purchases: exactly the daily cap from the daily rule.
  REQUIRE(purchases / kCustomers > kDailyCap / 3 + 1);
  CHECK(total == kBudget + kDailyCap * kCustomers);
  CHECK(s.call("ledger.verify", json::object())["ok"] == true);
  engine.close();
  // Each rule separately, from the purchases' own records of the rules they used.
  loytest::RawDb raw(setup.db);
  CHECK(raw.text("SELECT SUM(pr.points) FROM purchase_rules pr JOIN rules r ON r.id = pr.rule_id "
                 "WHERE json_extract(r.body, '$.name') = 'Campaign'") == std::to_string(kBudget));
  CHECK(raw.text("SELECT COUNT(*) FROM (SELECT p.customer_id, SUM(pr.points) AS s FROM purchase_rules pr "
                 "JOIN purchases p ON p.id = pr.purchase_id JOIN rules r ON r.id = pr.rule_id "
                 "WHERE json_extract(r.body, '$.name') = 'Daily' GROUP BY p.customer_id) WHERE s = " +
                 std::to_string(kDailyCap)) == std::to_string(kCustomers));
  CHECK(raw.text("SELECT COUNT(*) FROM purchases") == std::to_string(purchases));
}

}  // namespace

TEST_CASE("rules stress: 8 threads, 50,000 purchases: the budget is issued exactly and daily caps are exact") {
  loytest::TempDir dir;
  Setup setup = create_database(dir.db(), loyalty::SyncMode::normal, kCustomers);
  const int64_t n = scaled(50'000, 2'000);
  create_rules(setup.db, setup.api_key, n / 5);
  auto failures = submit_all(setup.db, setup.api_key, setup.customers, "t-", n, 8);
  require_no_failures(failures, "threads");
  check_totals(setup, n);
}

// --child <db> <api_key> <prefix> <total> <threads> <out> <customers,...>
int child_main(int argc, char** argv) {
  if (argc != 9) return 2;
  const std::vector<std::string> customers = split(argv[8], ',');
  auto failures =
      submit_all(argv[2], argv[3], customers, argv[4], std::strtoll(argv[5], nullptr, 10), std::atoi(argv[6]));
  std::ofstream out(argv[7]);
  out << failures.size() << "\n";
  for (const auto& f : failures) out << f << "\n";
  return failures.empty() ? 0 : 1;
}

TEST_CASE("rules stress: 2 processes of 4 threads, 50,000 purchases: the budget and daily caps hold") {
  loytest::TempDir dir;
  Setup setup = create_database(dir.db(), loyalty::SyncMode::normal, kCustomers);
  const int64_t n = scaled(50'000, 2'000);
  create_rules(setup.db, setup.api_key, n / 5);
  const std::string exe = self_exe();
  std::vector<pid_t> pids;
  for (int p = 0; p < 2; ++p)
    pids.push_back(spawn({exe, "--child", setup.db, setup.api_key, "p" + std::to_string(p) + "-", std::to_string(n / 2),
                          "4", (dir.path / ("child-" + std::to_string(p))).string(), join(setup.customers, ',')}));
  for (size_t p = 0; p < pids.size(); ++p) {
    INFO("child " << p);
    CHECK(wait_child(pids[p]) == "exit 0");
    std::ifstream in(dir.path / ("child-" + std::to_string(p)));
    std::string line;
    for (int k = 0; k < 5 && std::getline(in, line); ++k) INFO(line);
  }
  check_totals(setup, n);
}

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--child") return child_main(argc, argv);
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
