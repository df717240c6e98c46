// Concurrency (processes): several processes, each with its own Engine, write the same random
// mix of ledger operations to one database file at once (the test re-executes itself with
// --child). The parent watches balances meanwhile, then checks the ledger verifies, balances
// equal the acknowledged effects of all children, and every acknowledged key replays.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "fixture.hpp"
#include "stress.hpp"

using namespace loystress;

namespace {

constexpr int kProcesses = 3;
constexpr int kThreadsPerProcess = 2;
constexpr int kCustomers = 5;

// --child <db> <api_key> <index> <seed> <ops per thread> <threads> <out file> <customers,...>
int child_main(int argc, char** argv) {
  if (argc != 10) {
    std::fprintf(stderr, "stress child: expected 8 arguments, got %d\n", argc - 2);
    return 2;
  }
  const std::string db = argv[2], api_key = argv[3], index = argv[4];
  const uint64_t seed = std::strtoull(argv[5], nullptr, 10);
  const int64_t ops = std::strtoll(argv[6], nullptr, 10);
  const int threads = std::atoi(argv[7]);
  const std::string out_path = argv[8];
  const std::vector<std::string> customers = split(argv[9], ',');
  WriterStats all;
  try {
    auto clock = std::make_shared<loyalty::ManualClock>(loytest::kStart);
    loyalty::Engine engine = open_engine(db, loyalty::SyncMode::normal, threads + 1, clock);
    SharedPools pools;
    std::vector<WriterStats> stats(static_cast<size_t>(threads));
    ReaderStats reader;
    std::atomic<bool> stop{false};
    std::thread rt([&] {
      try {
        run_reader(engine.session(api_key), customers, seed + 500, stop, reader);
      } catch (const std::exception& e) {
        reader.failures.push_back(std::string("reader setup: ") + e.what());
      }
    });
    std::vector<std::thread> ws;
    for (int t = 0; t < threads; ++t)
      ws.emplace_back([&, t] {
        auto& st = stats[static_cast<size_t>(t)];
        try {
          const loyalty::Session s = engine.session(api_key);
          WriterConfig cfg{seed + static_cast<uint64_t>(t), ops, "p" + index + "t" + std::to_string(t), customers,
                           clock.get()};
          run_writer(s, cfg, pools, st);
        } catch (const std::exception& e) {
          st.failures.push_back(std::string("writer setup: ") + e.what());
        }
      });
    for (auto& t : ws) t.join();
    stop = true;
    rt.join();
    for (const auto& s : stats) all.merge(s);
    for (const auto& f : reader.failures) all.failures.push_back("reader: " + f);
    all.busy += reader.busy;
    std::fprintf(stderr, "stress child %s: %s; reader %lld balances, %lld verifies\n", index.c_str(),
                 all.summary().c_str(), static_cast<long long>(reader.balances),
                 static_cast<long long>(reader.verifies));
  } catch (const std::exception& e) {
    all.failures.push_back(std::string("child aborted: ") + e.what());
  }
  {
    std::ofstream out(out_path + ".tmp");
    out << all.to_json().dump();
    if (!out) return 3;
  }
  std::rename((out_path + ".tmp").c_str(), out_path.c_str());
  return all.failures.empty() ? 0 : 1;
}

// --child-open <db> <index>: opens (creating and migrating at once with its siblings) a new
// database file, creates a tenant and earns a little.
int child_open_main(int argc, char** argv) {
  if (argc != 4) return 2;
  const std::string db = argv[2], index = argv[3];
  try {
    loyalty::Engine engine = open_engine(db, loyalty::SyncMode::normal, 2);
    json t = engine.admin(loytest::kAdminKey).call("tenant.create", {{"name", "Open " + index}});
    const loyalty::Session s = engine.session(t["api_key"]["key"].get<std::string>());
    s.call("program.create", {{"name", "Main"}, {"currency", "EUR"}});
    const std::string c = s.call("customer.enroll", {{"external_id", "c"}})["id"];
    for (int n = 0; n < 25; ++n)
      s.call("ledger.earn", {{"customer_id", c}, {"points", 4}, {"idempotency_key", "k" + std::to_string(n)}});
    if (s.call("ledger.balance", {{"customer_id", c}})["balance"] != 100) return 5;
    if (s.call("ledger.verify", json::object())["ok"] != true) return 6;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "open child %s: %s\n", index.c_str(), e.what());
    return 1;
  }
  return 0;
}

}  // namespace

TEST_CASE("stress: processes opening one new database file at once all succeed") {
  constexpr int kRounds = 5, kOpeners = 4;
  loytest::TempDir dir;
  const std::string exe = self_exe();
  for (int round = 0; round < kRounds; ++round) {
    const std::string db = dir.db("fresh-" + std::to_string(round) + ".db");
    std::vector<pid_t> pids;
    for (int p = 0; p < kOpeners; ++p) pids.push_back(spawn({exe, "--child-open", db, std::to_string(p)}));
    for (int p = 0; p < kOpeners; ++p) {
      INFO("round " << round << ", opener " << p);
      CHECK(wait_child(pids[static_cast<size_t>(p)]) == "exit 0");
    }
    loyalty::Engine engine = open_engine(db, loyalty::SyncMode::normal, 1);
    const loyalty::Admin admin = engine.admin(loytest::kAdminKey);
    CHECK(admin.call("tenant.list", json::object())["items"].size() == kOpeners);
    CHECK(admin.call("audit.verify", json::object())["ok"] == true);
  }
}

TEST_CASE("stress: processes writing one database file keep the ledger exact") {
  const uint64_t seed = base_seed(20260302);
  const int64_t ops = scaled(1300, 20);
  std::printf("stress_processes: seed %llu (LOY_STRESS_SEED), %d processes x %d threads x %lld ops\n",
              static_cast<unsigned long long>(seed), kProcesses, kThreadsPerProcess, static_cast<long long>(ops));
  std::fflush(stdout);

  loytest::TempDir dir;
  const Setup setup = create_database(dir.db(), loyalty::SyncMode::normal, kCustomers);
  loyalty::Engine engine = open_engine(setup.db, loyalty::SyncMode::normal, 3);
  const std::string exe = self_exe();
  const auto t0 = std::chrono::steady_clock::now();

  std::vector<pid_t> pids;
  std::vector<std::string> outs;
  for (int p = 0; p < kProcesses; ++p) {
    outs.push_back((dir.path / ("child-" + std::to_string(p) + ".json")).string());
    pids.push_back(spawn({exe, "--child", setup.db, setup.api_key, std::to_string(p),
                          std::to_string(seed * 31 + static_cast<uint64_t>(p) * 1000), std::to_string(ops),
                          std::to_string(kThreadsPerProcess), outs.back(), join(setup.customers, ',')}));
  }
  // The parent reads balances from its own engine while the children write.
  ReaderStats reader;
  std::atomic<bool> stop{false};
  std::thread rt([&] {
    try {
      run_reader(engine.session(setup.api_key), setup.customers, seed + 77, stop, reader);
    } catch (const std::exception& e) {
      reader.failures.push_back(std::string("reader setup: ") + e.what());
    }
  });
  std::vector<std::string> statuses;
  for (pid_t pid : pids) statuses.push_back(wait_child(pid));
  stop = true;
  rt.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  require_no_failures(reader.failures, "parent reader");

  WriterStats all;
  for (int p = 0; p < kProcesses; ++p) {
    INFO("child " << p);
    CHECK(statuses[static_cast<size_t>(p)] == "exit 0");
    std::ifstream in(outs[static_cast<size_t>(p)]);
    REQUIRE_MESSAGE(in.good(), "child " << p << " wrote no results (" << statuses[static_cast<size_t>(p)] << ")");
    const WriterStats s = WriterStats::from_json(json::parse(in));
    require_no_failures(s.failures, "child " + std::to_string(p));
    CHECK(s.ops == kThreadsPerProcess * ops);
    all.merge(s);
  }
  std::printf("stress_processes: %s\nstress_processes: parent reader %lld balances, %lld verifies; %.2f s\n",
              all.summary().c_str(), static_cast<long long>(reader.balances), static_cast<long long>(reader.verifies),
              secs);
  std::fflush(stdout);
  // Counted only: a busy op was not acknowledged; the exact checks below catch one applied anyway.
  if (all.busy + reader.busy > 0) MESSAGE("Status::busy seen " << all.busy + reader.busy << " times");

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
    sum_balances += b["balance"].get<int64_t>();
    sum_effects += expected;
  }
  CHECK(sum_balances == sum_effects);
  std::printf("stress_processes: total balance %lld = sum of acknowledged effects %lld\n",
              static_cast<long long>(sum_balances), static_cast<long long>(sum_effects));

  // After the children exit, every key they saw acknowledged replays from the parent.
  require_no_failures(replay_all(s, all.acked), "parent replay");
  CHECK(s.call("ledger.verify", json::object())["ok"] == true);
}

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--child") return child_main(argc, argv);
  if (argc > 1 && std::string(argv[1]) == "--child-open") return child_open_main(argc, argv);
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
