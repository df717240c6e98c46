// Concurrency (threads): eight writer threads, each with its own Session on one Engine over one
// database file, run a seeded random mix of ledger writes over a few customers while reader
// threads watch balances; afterwards the ledger verifies and every acknowledged effect is there.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "fixture.hpp"
#include "stress.hpp"

using namespace loystress;

namespace {

constexpr int kWriters = 8;
constexpr int kReaders = 2;
constexpr int kCustomers = 5;

}  // namespace

TEST_CASE("stress: writer threads on one database file keep the ledger exact") {
  const uint64_t seed = base_seed(20260301);
  const int64_t ops_per_writer = scaled(1600, 20);
  std::printf("stress_threads: seed %llu (LOY_STRESS_SEED), %d writers x %lld ops, %d readers\n",
              static_cast<unsigned long long>(seed), kWriters, static_cast<long long>(ops_per_writer), kReaders);
  std::fflush(stdout);

  loytest::TempDir dir;
  const Setup setup = create_database(dir.db(), loyalty::SyncMode::normal, kCustomers);
  auto clock = std::make_shared<loyalty::ManualClock>(loytest::kStart);
  // A connection for every thread, so the writers really contend for SQLite's write lock.
  loyalty::Engine engine = open_engine(setup.db, loyalty::SyncMode::normal, kWriters + kReaders + 1, clock);

  SharedPools pools;
  std::vector<WriterStats> writer_stats(kWriters);
  std::vector<ReaderStats> reader_stats(kReaders);
  std::atomic<bool> stop{false};
  const auto t0 = std::chrono::steady_clock::now();

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r)
    readers.emplace_back([&, r] {
      try {
        const loyalty::Session s = engine.session(setup.api_key);
        run_reader(s, setup.customers, seed * 31 + 1000 + static_cast<uint64_t>(r), stop, reader_stats[r]);
      } catch (const std::exception& e) {
        reader_stats[r].failures.push_back(std::string("reader setup: ") + e.what());
      }
    });
  std::vector<std::thread> writers =
      start_writers(engine, setup, seed, ops_per_writer, "t", clock.get(), pools, writer_stats);
  for (auto& t : writers) t.join();
  stop = true;
  for (auto& t : readers) t.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  WriterStats all;
  for (const auto& s : writer_stats) all.merge(s);
  int64_t reads = 0, verifies = 0, read_busy = 0;
  for (const auto& r : reader_stats) {
    reads += r.balances;
    verifies += r.verifies;
    read_busy += r.busy;
    require_no_failures(r.failures, "reader");
  }
  std::printf("stress_threads: %s\nstress_threads: readers: %lld balances, %lld verifies, %lld busy; %.2f s\n",
              all.summary().c_str(), static_cast<long long>(reads), static_cast<long long>(verifies),
              static_cast<long long>(read_busy), secs);
  std::fflush(stdout);
  require_no_failures(all.failures, "writer");
  CHECK(all.ops == kWriters * ops_per_writer);
  CHECK(reads > 0);
  // Busy should not occur with a 30 s deadline. Were it to, the op was not acknowledged (its
  // transaction rolled back), so it is only counted; the exact balance checks below would catch
  // a busy op that was applied after all.
  if (all.busy + read_busy > 0) MESSAGE("Status::busy seen " << all.busy + read_busy << " times");

  const loyalty::Session s = engine.session(setup.api_key);
  json v = s.call("ledger.verify", json::object());
  INFO(v.dump(2));
  CHECK(v["ok"] == true);
  CHECK(v["accounts_checked"] == kCustomers);
  json audit = s.call("audit.verify", json::object());
  INFO(audit.dump());
  CHECK(audit["ok"] == true);

  int64_t sum_balances = 0, sum_effects = 0;
  for (const auto& [customer, b] : balances(s, setup.customers)) {
    INFO("customer " << customer << ": " << b.dump());
    const int64_t expected = all.effect.count(customer) ? all.effect.at(customer) : 0;
    CHECK(b["balance"].get<int64_t>() == expected);
    CHECK(b["available"].get<int64_t>() >= 0);
    sum_balances += b["balance"].get<int64_t>();
    sum_effects += expected;
  }
  CHECK(sum_balances == sum_effects);
  std::printf("stress_threads: total balance %lld = sum of acknowledged effects %lld\n",
              static_cast<long long>(sum_balances), static_cast<long long>(sum_effects));

  // Every acknowledged keyed write is present: its replay returns the original response.
  require_no_failures(replay_all(s, all.acked), "final replay");
  CHECK(s.call("ledger.verify", json::object())["ok"] == true);
}

int main(int argc, char** argv) {
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
