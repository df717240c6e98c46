// Redemptions under concurrency (label `slow`):
//  - the last unit: stock 1, 10,000 attempts by different customers from 8 threads of this
//    process and 2 child processes at once: exactly one succeeds, all others are out_of_stock;
//  - the same balance: one customer with 100 points, 1,000 concurrent 100-point redemptions:
//    exactly one succeeds while readers never see a negative balance;
//  - a random workload of redeem, reserve, fulfil, cancel, expiry, refunds, stock changes and
//    replays from 4 threads, with ledger.verify (points and stock conservation) after every step.
// LOY_STRESS_SEED overrides the seed and LOY_STRESS_SCALE scales the counts.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "fixture.hpp"
#include "stress.hpp"

using namespace loystress;

namespace {

/// Outcome counts of a batch of redemption attempts.
struct Attempts {
  int64_t ok = 0;
  int64_t out_of_stock = 0;
  std::vector<std::string> failures;  // anything else
};

/// Redeems `reward` once for each of customers[first, first + count) from `threads` threads.
Attempts attempt_all(const std::string& db, const std::string& key, const std::string& reward,
                     const std::vector<std::string>& customers, size_t first, size_t count, int threads) {
  auto engine = open_engine(db, loyalty::SyncMode::normal, threads);
  std::mutex mu;
  Attempts all;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      Attempts mine;
      const auto s = engine.session(key);
      for (size_t n = first + static_cast<size_t>(t); n < first + count; n += static_cast<size_t>(threads)) {
        try {
          s.call("reward.redeem",
                 {{"reward_id", reward}, {"customer_id", customers[n]}, {"idempotency_key", "last-" + customers[n]}});
          ++mine.ok;
        } catch (const loyalty::Error& e) {
          if (e.status() == loyalty::Status::out_of_stock)
            ++mine.out_of_stock;
          else
            mine.failures.push_back(customers[n] + ": " + e.what());
        }
      }
      std::lock_guard lock(mu);
      all.ok += mine.ok;
      all.out_of_stock += mine.out_of_stock;
      all.failures.insert(all.failures.end(), mine.failures.begin(), mine.failures.end());
    });
  for (auto& th : pool) th.join();
  engine.close();
  return all;
}

// --child <db> <api_key> <reward_id> <customers file> <first> <count> <threads> <out>
int child_main(int argc, char** argv) {
  if (argc != 10) return 2;
  std::vector<std::string> customers;
  {
    std::ifstream in(argv[5]);
    for (std::string line; std::getline(in, line);) customers.push_back(line);
  }
  const Attempts a = attempt_all(argv[2], argv[3], argv[4], customers, std::strtoull(argv[6], nullptr, 10),
                                 std::strtoull(argv[7], nullptr, 10), std::atoi(argv[8]));
  std::ofstream out(argv[9]);
  out << a.ok << " " << a.out_of_stock << " " << a.failures.size() << "\n";
  for (const auto& f : a.failures) out << f << "\n";
  return 0;
}

/// A reward created through a fresh engine on the file.
std::string create_reward(const Setup& setup, json in) {
  auto engine = open_engine(setup.db, loyalty::SyncMode::normal, 1);
  const std::string id = engine.session(setup.api_key).call("reward.create", in)["id"];
  engine.close();
  return id;
}

/// Gives every customer `points` (batches of 1,000).
void fund(const Setup& setup, int64_t points) {
  auto engine = open_engine(setup.db, loyalty::SyncMode::normal, 1);
  const auto s = engine.session(setup.api_key);
  for (size_t k = 0; k < setup.customers.size(); k += 1000) {
    json events = json::array();
    for (size_t n = k; n < std::min(setup.customers.size(), k + 1000); ++n)
      events.push_back({{"customer_id", setup.customers[n]}, {"points", points}});
    REQUIRE(s.call("ledger.earn_batch", {{"events", events}})["failed"] == 0);
  }
  engine.close();
}

}  // namespace

TEST_CASE("rewards stress: the last unit goes to exactly one of 10,000 customers on 8 threads and 2 processes") {
  const int64_t attempts = scaled(10'000, 200);
  loytest::TempDir dir;
  const Setup setup = create_database(dir.db(), loyalty::SyncMode::normal, static_cast<int>(attempts));
  fund(setup, 5);
  const std::string reward = create_reward(setup, {{"name", "Last one"}, {"cost_points", 5}, {"stock", 1}});
  const std::string list = (dir.path / "customers.txt").string();
  {
    std::ofstream out(list);
    for (const auto& c : setup.customers) out << c << "\n";
  }
  // Half the attempts here on 8 threads, a quarter in each child (4 threads), all at once.
  const auto half = static_cast<size_t>(attempts / 2), quarter = static_cast<size_t>(attempts / 4);
  const std::string exe = self_exe();
  std::vector<pid_t> pids;
  for (size_t p = 0; p < 2; ++p)
    pids.push_back(spawn({exe, "--child", setup.db, setup.api_key, reward, list, std::to_string(half + p * quarter),
                          std::to_string(p == 0 ? quarter : static_cast<size_t>(attempts) - half - quarter), "4",
                          (dir.path / ("child-" + std::to_string(p))).string()}));
  Attempts total = attempt_all(setup.db, setup.api_key, reward, setup.customers, 0, half, 8);
  for (size_t p = 0; p < pids.size(); ++p) {
    INFO("child " << p);
    REQUIRE(wait_child(pids[p]) == "exit 0");
    std::ifstream in(dir.path / ("child-" + std::to_string(p)));
    int64_t ok = 0, oos = 0, failed = 0;
    in >> ok >> oos >> failed;
    total.ok += ok;
    total.out_of_stock += oos;
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) total.failures.push_back("child: " + line);
    CHECK(ok + oos + failed == static_cast<int64_t>(p == 0 ? quarter : static_cast<size_t>(attempts) - half - quarter));
  }
  require_no_failures(total.failures, "attempts");
  CHECK(total.ok == 1);
  CHECK(total.out_of_stock == attempts - 1);

  auto engine = open_engine(setup.db, loyalty::SyncMode::normal, 2);
  const auto s = engine.session(setup.api_key);
  const json r = s.call("reward.get", {{"id", reward}});
  CHECK(r["stock"] == 0);
  CHECK(r["stock_supplied"] == 1);
  int64_t redeemed = 0;
  for (const auto& c : setup.customers) {
    const json b = s.call("ledger.balance", {{"customer_id", c}});
    if (b["balance"] == 0) ++redeemed;
  }
  CHECK(redeemed == 1);
  const json v = s.call("ledger.verify", json::object());
  INFO(v.dump());
  CHECK(v["ok"] == true);
}

TEST_CASE("rewards stress: 1,000 concurrent redemptions of one balance: exactly one succeeds, never negative") {
  const int64_t attempts = scaled(1'000, 100);
  constexpr int kThreads = 8, kReaders = 2;
  loytest::TempDir dir;
  const Setup setup = create_database(dir.db(), loyalty::SyncMode::normal, 1);
  fund(setup, 100);
  const std::string reward = create_reward(setup, {{"name", "Everything"}, {"cost_points", 100}});
  const std::string& customer = setup.customers[0];
  auto engine = open_engine(setup.db, loyalty::SyncMode::normal, kThreads + kReaders + 1);
  std::atomic<int64_t> ok{0}, insufficient{0}, reads{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::string> failures;
  auto fail = [&](std::string f) {
    std::lock_guard lock(mu);
    failures.push_back(std::move(f));
  };
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r)
    readers.emplace_back([&] {
      const auto s = engine.session(setup.api_key);
      while (!stop) {
        const json b = s.call("ledger.balance", {{"customer_id", customer}});
        if (b["balance"].get<int64_t>() < 0 || b["available"].get<int64_t>() < 0) fail("negative: " + b.dump());
        if (b["balance"] != 100 && b["balance"] != 0) fail("partial: " + b.dump());
        ++reads;
      }
    });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t)
    writers.emplace_back([&, t] {
      const auto s = engine.session(setup.api_key);
      for (int64_t n = t; n < attempts; n += kThreads) {
        // Half one step, half reserve-and-fulfil: both spend the same available points.
        const bool two_step = n % 2 == 1;
        try {
          const json out = s.call(
              two_step ? "reward.reserve" : "reward.redeem",
              {{"reward_id", reward}, {"customer_id", customer}, {"idempotency_key", "same-" + std::to_string(n)}});
          if (two_step) s.call("redemption.fulfil", {{"id", out["redemption"]["id"]}});
          ++ok;
        } catch (const loyalty::Error& e) {
          if (e.status() == loyalty::Status::insufficient)
            ++insufficient;
          else
            fail(std::to_string(n) + ": " + e.what());
        }
      }
    });
  for (auto& th : writers) th.join();
  stop = true;
  for (auto& th : readers) th.join();
  require_no_failures(failures, "redemptions");
  CHECK(ok == 1);
  CHECK(insufficient == attempts - 1);
  CHECK(reads > 0);
  const auto s = engine.session(setup.api_key);
  const json b = s.call("ledger.balance", {{"customer_id", customer}});
  CHECK(b["balance"] == 0);
  CHECK(b["held"] == 0);
  CHECK(s.call("redemption.list", {{"customer_id", customer}})["items"].size() == 1);
  CHECK(s.call("ledger.verify", json::object())["ok"] == true);
}

namespace {

/// One thread's share of the random workload; every acknowledged keyed write is remembered for
/// replays, and ledger.verify runs after every step.
struct Workload {
  Workload(const loyalty::Session& session, uint64_t seed, loyalty::ManualClock& c, const std::vector<std::string>& cs,
           const std::vector<std::string>& rs, std::string p)
      : s(session), rng(seed), clock(c), customers(cs), rewards(rs), prefix(std::move(p)) {}

  const loyalty::Session& s;
  std::mt19937_64 rng;
  loyalty::ManualClock& clock;
  const std::vector<std::string>& customers;
  const std::vector<std::string>& rewards;
  std::string prefix;
  std::vector<std::pair<std::string, json>> acked;  // op, request
  std::map<std::string, std::string> replied;       // key -> redemption id
  std::vector<std::string> mine;                    // redemption ids
  std::vector<std::string> reserved;                // ids of reservations (fulfilled ones are picked more often)
  std::map<std::string, int64_t> ok;
  std::vector<std::string> failures;
  int64_t n = 0;

  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[rng() % v.size()];
  }

  void step() {
    const std::string key = prefix + std::to_string(n++);
    const uint64_t dice = rng() % 100;
    std::string op;
    json in;
    if (dice < 30) {
      op = "reward.redeem";
      in = {{"reward_id", pick(rewards)}, {"customer_id", pick(customers)}, {"idempotency_key", key}};
    } else if (dice < 55) {
      op = "reward.reserve";
      in = {{"reward_id", pick(rewards)},
            {"customer_id", pick(customers)},
            {"idempotency_key", key},
            {"ttl_seconds", 5 + static_cast<int64_t>(rng() % 25)}};
    } else if (dice < 67 && !reserved.empty()) {
      op = "redemption.fulfil";
      in = {{"id", pick(reserved)}};
    } else if (dice < 79 && !mine.empty()) {
      op = "redemption.cancel";  // a reservation, or a refund of a fulfilled one when refundable
      in = {{"id", pick(mine)}, {"idempotency_key", key}};
    } else if (dice < 86) {
      clock.advance(1000 + static_cast<int64_t>(rng() % 3000));
      op = "ledger.run_due";
      in = json::object();
    } else if (dice < 90) {
      op = "reward.stock";
      in = {{"id", pick(rewards)}, {"delta", static_cast<int64_t>(rng() % 5) - 1}, {"reason", "count"}};
      if (in["delta"] == 0) in["delta"] = 2;
    } else if (!acked.empty()) {
      const auto& [aop, areq] = pick(acked);
      try {
        const json out = s.call(aop, areq);
        if (out["replayed"] != true) failures.push_back("replay not marked: " + areq.dump());
        if (out.contains("redemption") &&
            out["redemption"]["id"] != replied[areq["idempotency_key"].get<std::string>()])
          failures.push_back("replay of another redemption: " + areq.dump());
        ++ok["replay"];
      } catch (const std::exception& e) {
        failures.push_back("replay " + areq.dump() + ": " + e.what());
      }
      verify();
      return;
    } else {
      return;
    }
    try {
      const json out = s.call(op, in);
      ++ok[op];
      if (in.contains("idempotency_key")) {
        acked.emplace_back(op, in);
        if (out.contains("redemption")) replied[key] = out["redemption"]["id"];
      }
      if (op == "reward.redeem" || op == "reward.reserve") mine.push_back(out["redemption"]["id"]);
      if (op == "reward.reserve") reserved.push_back(out["redemption"]["id"]);
    } catch (const loyalty::Error& e) {
      using loyalty::Status;
      const Status st = e.status();
      const bool expected = st == Status::out_of_stock || st == Status::insufficient || st == Status::limit ||
                            st == Status::conflict || st == Status::forbidden ||
                            (op == "reward.stock" && st == Status::invalid);
      if (!expected) failures.push_back(op + " " + in.dump() + ": " + e.what());
    }
    verify();
  }

  void verify() {
    const json v = s.call("ledger.verify", json::object());
    if (v["ok"] != true) failures.push_back("verify after step " + std::to_string(n) + ": " + v.dump());
  }
};

}  // namespace

TEST_CASE("rewards stress: a random workload keeps points and stock conserved after every step") {
  const uint64_t seed = base_seed(20260306);
  const int64_t steps = scaled(1500, 50);
  constexpr int kThreads = 4, kCustomers = 6;
  std::printf("stress_rewards: seed %llu (LOY_STRESS_SEED), %d threads x %lld steps\n",
              static_cast<unsigned long long>(seed), kThreads, static_cast<long long>(steps));
  std::fflush(stdout);
  loytest::TempDir dir;
  const Setup setup = create_database(dir.db(), loyalty::SyncMode::normal, kCustomers);
  fund(setup, 2000);
  std::vector<std::string> rewards = {
      create_reward(setup, {{"name", "Refundable"}, {"cost_points", 70}, {"stock", 5}, {"refundable", true}}),
      create_reward(setup, {{"name", "Final"}, {"cost_points", 40}, {"stock", 3}}),
      create_reward(setup, {{"name", "Limited"},
                            {"cost_points", 25},
                            {"refundable", true},
                            {"per_customer_limit", {{"count", 2}, {"period", "day"}}}}),
      create_reward(setup, {{"name", "Dear"}, {"cost_points", 150}, {"stock", 2}})};
  auto clock = std::make_shared<loyalty::ManualClock>(loytest::kStart);
  auto engine = open_engine(setup.db, loyalty::SyncMode::normal, kThreads + 1, clock);
  std::vector<std::unique_ptr<loyalty::Session>> sessions;
  std::vector<std::unique_ptr<Workload>> work;
  for (int t = 0; t < kThreads; ++t) {
    sessions.push_back(std::make_unique<loyalty::Session>(engine.session(setup.api_key)));
    work.push_back(std::make_unique<Workload>(*sessions.back(), seed * 31 + static_cast<uint64_t>(t), *clock,
                                              setup.customers, rewards, "w" + std::to_string(t) + "-"));
  }
  std::vector<std::thread> threads;
  for (auto& w : work)
    threads.emplace_back([&w, steps] {
      for (int64_t k = 0; k < steps; ++k) w->step();
    });
  for (auto& th : threads) th.join();
  std::map<std::string, int64_t> ok;
  for (auto& w : work) {
    require_no_failures(w->failures, w->prefix);
    for (const auto& [op, count] : w->ok) ok[op] += count;
  }
  for (const auto& [op, count] : ok) std::printf("  %s: %lld\n", op.c_str(), static_cast<long long>(count));
  CHECK(ok["reward.redeem"] > 0);
  CHECK(ok["redemption.fulfil"] > 0);
  CHECK(ok["redemption.cancel"] > 0);
  CHECK(ok["replay"] > 0);

  // After every reservation has expired: each balance is what was funded less the fulfilled
  // redemptions, nothing is held, and each reward's stock is what was supplied less them.
  clock->advance(3600'000);
  const auto s = engine.session(setup.api_key);
  s.call("ledger.run_due", json::object());
  std::map<std::string, int64_t> fulfilled_units;
  for (const auto& c : setup.customers) {
    int64_t spent = 0;
    json cursor = nullptr;
    do {
      json in = {{"customer_id", c}, {"limit", 1000}};
      if (!cursor.is_null()) in["cursor"] = cursor;
      const json page = s.call("redemption.list", in);
      for (const auto& r : page["items"]) {
        CHECK(r["status"] != "reserved");
        if (r["status"] == "fulfilled") {
          spent += r["points"].get<int64_t>();
          ++fulfilled_units[r["reward_id"]];
        }
      }
      cursor = page["next_cursor"];
    } while (!cursor.is_null());
    const json b = s.call("ledger.balance", {{"customer_id", c}});
    CHECK(b["balance"] == 2000 - spent);
    CHECK(b["held"] == 0);
  }
  for (const auto& id : rewards) {
    const json r = s.call("reward.get", {{"id", id}});
    if (!r["stock"].is_null())
      CHECK(r["stock"].get<int64_t>() == r["stock_supplied"].get<int64_t>() - fulfilled_units[id]);
  }
  const json v = s.call("ledger.verify", json::object());
  INFO(v.dump());
  CHECK(v["ok"] == true);
}

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--child") return child_main(argc, argv);
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
