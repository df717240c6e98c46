// Ledger benchmarks: durable single-event earn and batch earn, each side by side in the same run
// with raw SQLite doing the bare minimum for the same work ("insert a row and update a balance"
// per event) on the same disk, with the same journal mode (WAL) and synchronous setting.
//
//   ledger/earn_durable/sync:{full,normal}/libloyalty
//       One event per transaction through session.call("ledger.earn", {customer_id, points,
//       idempotency_key}), over a pool of kPoolCustomers customers drawn uniformly at random.
//   ledger/earn_durable/sync:{full,normal}/raw_sqlite
//       BEGIN IMMEDIATE; INSERT one entries row; UPDATE one account's balance; COMMIT, over as
//       many accounts, with prepared statements.
//   ledger/earn_batch100/sync:normal/accounts:1M/libloyalty
//       session.call("ledger.earn_batch", {events: [100 x {customer_id, points, idempotency_key}]})
//       (one transaction per call) against kBatchAccounts customers with one account each.
//   ledger/earn_batch100/sync:normal/accounts:1M/raw_sqlite
//       One transaction of 100 x (INSERT entry; UPDATE balance) into a table of kBatchAccounts
//       accounts.
//   ledger/earn_durable/.../floor and ledger/earn_batch100/.../floor
//       The same workloads as raw SQLite statements doing exactly the reads and writes an earn
//       needs on the ledger's own schema (see FloorEnv below): the lower bound of any engine
//       keeping this schema's guarantees.
//
// Setup (not timed): the durable pool is enrolled through the API (customer.enroll). The 1M
// customers of the batch benchmark are NOT enrolled through the API (that would take far longer
// than the measurement): the engine is opened first so the migrations run, the tenant and the
// program are created through the API, and then the customers and accounts rows are bulk-inserted
// with raw SQL in one transaction, matching src/storage/schema.cpp (customers with empty
// profile/preferences/segments, one zero-balance account each in the program). No audit rows are
// written for them. Customer ids have the same length as real ones ("cus_" + 26 characters).
#include <fmt/format.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "loyalty/core/engine.hpp"
#include "population.hpp"
#include "raw_sqlite.hpp"

namespace {

using loyalty::json;
using loyalty::SyncMode;
using loybench::bulk_customer_id;
using loybench::bulk_populate;
using loybench::create_tenant;
using loybench::Created;
using loybench::open_engine;
using loybench::RawDb;
using loybench::RawStmt;
using loybench::Rng;

constexpr int64_t kPoolCustomers = 1'000;
constexpr int64_t kBatchAccounts = 1'000'000;
constexpr int64_t kBatchSize = 100;
constexpr int64_t kPoints = 10;

const char* mode_name(SyncMode m) { return m == SyncMode::full ? "full" : "normal"; }

std::string db_path(const std::string& name) { return (loybench::work_dir() / name).string(); }

// ---------------------------------------------------------------------------------------------
// libloyalty environments

struct LoyaltyEnv {
  loyalty::Engine engine;
  loyalty::Session session;
  std::string tenant_id;
  std::string program_id;
  std::vector<std::string> customers;  // the durable pool (empty for the bulk environment)
  Rng rng{42};
  uint64_t next_key = 0;
};

std::unique_ptr<LoyaltyEnv> make_env(const std::string& path, SyncMode sync, Created c) {
  loyalty::Engine e = open_engine(path, sync, false);
  loyalty::Session s = e.session(c.api_key);
  return std::unique_ptr<LoyaltyEnv>(new LoyaltyEnv{std::move(e), std::move(s), std::move(c.tenant_id),
                                                    std::move(c.program_id), std::move(c.customers)});
}

LoyaltyEnv& durable_env(SyncMode sync) {
  static std::unique_ptr<LoyaltyEnv> envs[2];
  auto& slot = envs[static_cast<int>(sync)];
  if (!slot) {
    const std::string path = db_path(fmt::format("loyalty-durable-{}.db", mode_name(sync)));
    slot = make_env(path, sync, create_tenant(path, kPoolCustomers));
    loybench::at_teardown([&slot] { slot.reset(); });
    loybench::at_finish([&slot, sync, path] {
      const json v = slot->session.call("ledger.verify", json::object());
      RawDb db(path, SyncMode::normal);
      loybench::add_note(fmt::format(
          "libloyalty durable ({}): {} entries written; ledger.verify ok={} over {} accounts", mode_name(sync),
          db.scalar("SELECT COUNT(*) FROM entries"), v["ok"].dump(), v["accounts_checked"].dump()));
    });
  }
  return *slot;
}

LoyaltyEnv& batch_env() {
  static std::unique_ptr<LoyaltyEnv> env;
  if (!env) {
    const std::string path = db_path("loyalty-batch-1m.db");
    Created c = create_tenant(path, 0);
    bulk_populate(path, c.tenant_id, c.program_id, kBatchAccounts, loybench::now_ms());
    env = make_env(path, SyncMode::normal, std::move(c));
    loybench::at_teardown([] { env.reset(); });
    loybench::at_finish([path] {
      RawDb db(path, SyncMode::normal);
      const int64_t accounts = db.scalar("SELECT COUNT(*) FROM accounts");
      const int64_t entries = db.scalar("SELECT COUNT(*) FROM entries");
      const int64_t posted = db.scalar("SELECT COALESCE(SUM(posted), 0) FROM accounts");
      const int64_t sum = db.scalar("SELECT COALESCE(SUM(points), 0) FROM entries");
      loybench::add_note(
          fmt::format("libloyalty batch: {} accounts, {} entries written; sum of balances {} {} sum "
                      "of entries {}",
                      accounts, entries, posted, posted == sum ? "==" : "!=", sum));
    });
  }
  return *env;
}

// ---------------------------------------------------------------------------------------------
// raw SQLite environments

struct RawEnv {
  RawDb db;
  int64_t accounts;
  RawStmt begin{db.handle(), "BEGIN IMMEDIATE"};
  RawStmt commit{db.handle(), "COMMIT"};
  RawStmt insert{db.handle(), "INSERT INTO entries(account_id, points, created_at) VALUES(?1, ?2, ?3)"};
  RawStmt update{db.handle(), "UPDATE accounts SET balance = balance + ?2 WHERE id = ?1"};
  Rng rng{42};
  RawEnv(const std::string& path, SyncMode sync, int64_t n) : db(path, sync), accounts(n) {}
};

std::unique_ptr<RawEnv> make_raw(const std::string& path, SyncMode sync, int64_t accounts) {
  {
    RawDb setup(path, sync);
    setup.exec("CREATE TABLE accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0)");
    setup.exec(
        "CREATE TABLE entries(id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, points INTEGER NOT NULL, "
        "created_at INTEGER NOT NULL)");
    setup.exec("BEGIN");
    RawStmt ins(setup.handle(), "INSERT INTO accounts(id) VALUES(?1)");
    for (int64_t n = 1; n <= accounts; ++n) ins.bind(1, n).run();
    setup.exec("COMMIT");
    setup.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  return std::make_unique<RawEnv>(path, sync, accounts);
}

void raw_note(const char* what, const std::string& path) {
  RawDb db(path, SyncMode::normal);
  const int64_t entries = db.scalar("SELECT COUNT(*) FROM entries");
  const int64_t bal = db.scalar("SELECT COALESCE(SUM(balance), 0) FROM accounts");
  const int64_t sum = db.scalar("SELECT COALESCE(SUM(points), 0) FROM entries");
  loybench::add_note(fmt::format("raw SQLite {}: {} entries written; sum of balances {} {} sum of entries {}", what,
                                 entries, bal, bal == sum ? "==" : "!=", sum));
}

RawEnv& raw_durable_env(SyncMode sync) {
  static std::unique_ptr<RawEnv> envs[2];
  auto& slot = envs[static_cast<int>(sync)];
  if (!slot) {
    const std::string path = db_path(fmt::format("raw-durable-{}.db", mode_name(sync)));
    slot = make_raw(path, sync, kPoolCustomers);
    loybench::at_teardown([&slot] { slot.reset(); });
    loybench::at_finish([path, sync] { raw_note(fmt::format("durable ({})", mode_name(sync)).c_str(), path); });
  }
  return *slot;
}

RawEnv& raw_batch_env() {
  static std::unique_ptr<RawEnv> env;
  if (!env) {
    const std::string path = db_path("raw-batch-1m.db");
    env = make_raw(path, SyncMode::normal, kBatchAccounts);
    loybench::at_teardown([] { env.reset(); });
    loybench::at_finish([path] { raw_note("batch", path); });
  }
  return *env;
}

// ---------------------------------------------------------------------------------------------
// The floor: raw SQLite doing exactly the reads and writes an earn with the ledger's guarantees
// needs, on the ledger's own schema (a database made by the engine: migrations, tenant, program,
// customers), with the engine's pragmas, prepared statements and no logic: look the key up, find
// the account, ask whether anything fell due on it, insert the bucket and the entry, update the
// account, append the outbox event and store the idempotency record. Rows carry texts of the
// same sizes as the engine's (ids, event payload, request and response). What the engine spends
// beyond this floor is its own overhead (validation, JSON, hooks, settlement logic); what the
// floor spends beyond plain raw SQLite is the price of the schema's guarantees.

struct FloorEnv {
  RawDb db;
  std::string tenant_id, program_id;
  std::vector<std::string> customers;  // the durable pool; batch ids come from bulk_customer_id
  RawStmt begin{db.handle(), "BEGIN IMMEDIATE"};
  RawStmt commit{db.handle(), "COMMIT"};
  RawStmt idem_get{db.handle(),
                   "SELECT operation, request, response FROM idempotency WHERE tenant_id = ?1 AND key = ?2"};
  RawStmt account{db.handle(),
                  "SELECT id, posted, pending, held, debt, lifetime_earned, lifetime_redeemed, last_activity_at, "
                  "created_at FROM accounts WHERE customer_id = ?1 AND program_id = ?2 AND tenant_id = ?3"};
  RawStmt due{db.handle(),
              "SELECT EXISTS(SELECT 1 FROM holds WHERE account_id = ?1 AND status = 'active' AND expires_at <= ?2) "
              "OR EXISTS(SELECT 1 FROM buckets WHERE account_id = ?1 AND state = 'pending' AND pending_until <= ?2) "
              "OR EXISTS(SELECT 1 FROM buckets WHERE account_id = ?1 AND state = 'available' AND expires_at <= ?2 "
              "AND remaining > held)"};
  RawStmt bucket{db.handle(),
                 "INSERT INTO buckets(account_id, entry_id, original, remaining, state, expires_at, pending_until, "
                 "created_at) VALUES(?1, ?2, ?3, ?3, 'available', NULL, NULL, ?4)"};
  RawStmt entry{db.handle(),
                "INSERT INTO entries(id, tenant_id, account_id, type, points, status, bucket_id, ref_entry, "
                "ref_points, hold_id, reason, metadata, occurred_at, recorded_at, posted_at) VALUES(?1, ?2, ?3, "
                "'earn', ?4, 'posted', ?5, NULL, NULL, NULL, NULL, NULL, ?6, ?6, ?6)"};
  RawStmt update{db.handle(),
                 "UPDATE accounts SET posted = posted + ?2, lifetime_earned = lifetime_earned + ?2, "
                 "last_activity_at = ?3 WHERE id = ?1"};
  RawStmt event{db.handle(),
                "INSERT INTO events(tenant_id, seq, id, type, subject, data, created_at) VALUES(?1, (SELECT "
                "COALESCE(MAX(seq), 0) + 1 FROM events WHERE tenant_id = ?1), ?2, 'points.earned', ?3, ?4, ?5)"};
  RawStmt idem_put{db.handle(),
                   "INSERT INTO idempotency(tenant_id, key, operation, request, response, created_at) "
                   "VALUES(?1, ?2, 'ledger.earn', ?3, ?4, ?5)"};
  std::string event_data, request, response;  // fixed texts of the engine's sizes
  Rng rng{42};
  uint64_t next_key = 0;
  uint64_t next_id = 0;

  FloorEnv(const std::string& path, SyncMode sync, Created c)
      : db(path, sync),
        tenant_id(std::move(c.tenant_id)),
        program_id(std::move(c.program_id)),
        customers(std::move(c.customers)) {
    db.exec("PRAGMA cache_size=-65536");  // the engine's defaults (StorageOptions)
    db.exec("PRAGMA wal_autocheckpoint=10000");
    db.exec("PRAGMA foreign_keys=ON");
    db.exec("PRAGMA temp_store=MEMORY");
    // Texts as long as the engine's (its event payload, idempotency request and response).
    event_data = json{{"entry_id", id("ent")}, {"program_id", program_id}, {"entry_type", "earn"}, {"points", kPoints},
                      {"status", "posted"},    {"balance", 12345},         {"available", 12345}}
                     .dump();
    request = json{{"customer_id", bulk_customer_id(0)}, {"points", kPoints}}.dump();
    const json entry_out = {{"id", id("ent")},
                            {"type", "earn"},
                            {"points", kPoints},
                            {"status", "posted"},
                            {"customer_id", bulk_customer_id(0)},
                            {"program_id", program_id},
                            {"occurred_at", "2026-11-25T00:00:00.000Z"},
                            {"recorded_at", "2026-11-25T00:00:00.000Z"},
                            {"posted_at", "2026-11-25T00:00:00.000Z"},
                            {"reason", nullptr},
                            {"ref_entry_id", nullptr},
                            {"hold_id", nullptr},
                            {"metadata", json::object()},
                            {"expires_at", nullptr},
                            {"pending_until", nullptr}};
    response = json{
        {"entry", entry_out},
        {"balance",
         {{"customer_id", bulk_customer_id(0)},
          {"program_id", program_id},
          {"balance", 12345},
          {"available", 12345},
          {"pending", 0},
          {"held", 0},
          {"lifetime_earned", 12345},
          {"lifetime_redeemed", 0}}},
        {"replayed",
         false}}.dump();
  }

  /// A unique id of the engine's length, increasing like its time-ordered ones.
  std::string id(const char* prefix) { return fmt::format("{}_{:026d}", prefix, ++next_id); }

  /// One earn's reads and writes, inside the caller's transaction.
  void earn(const std::string& customer, int64_t now) {
    const std::string key = fmt::format("floor-{}", next_key++);
    idem_get.bind(1, tenant_id).bind(2, key).run();
    const int64_t acc = account.bind(1, customer).bind(2, program_id).bind(3, tenant_id).scalar();
    if (acc == 0) throw std::runtime_error("floor: no account for " + customer);
    due.bind(1, acc).bind(2, now).run();
    const std::string entry_id = id("ent");
    bucket.bind(1, acc).bind(2, entry_id).bind(3, kPoints).bind(4, now).run();
    const int64_t bucket_id = sqlite3_last_insert_rowid(db.handle());
    entry.bind(1, entry_id).bind(2, tenant_id).bind(3, acc).bind(4, kPoints).bind(5, bucket_id).bind(6, now).run();
    update.bind(1, acc).bind(2, kPoints).bind(3, now).run();
    event.bind(1, tenant_id).bind(2, id("evt")).bind(3, customer).bind(4, event_data).bind(5, now).run();
    idem_put.bind(1, tenant_id).bind(2, key).bind(3, request).bind(4, response).bind(5, now).run();
  }
};

void floor_note(const char* what, const std::string& path) {
  RawDb db(path, SyncMode::normal);
  const int64_t entries = db.scalar("SELECT COUNT(*) FROM entries");
  const int64_t bal = db.scalar("SELECT COALESCE(SUM(posted), 0) FROM accounts");
  const int64_t sum = db.scalar("SELECT COALESCE(SUM(points), 0) FROM entries");
  loybench::add_note(fmt::format("floor {}: {} entries written; sum of balances {} {} sum of entries {}", what, entries,
                                 bal, bal == sum ? "==" : "!=", sum));
}

FloorEnv& floor_durable_env(SyncMode sync) {
  static std::unique_ptr<FloorEnv> envs[2];
  auto& slot = envs[static_cast<int>(sync)];
  if (!slot) {
    const std::string path = db_path(fmt::format("floor-durable-{}.db", mode_name(sync)));
    slot = std::make_unique<FloorEnv>(path, sync, create_tenant(path, kPoolCustomers));
    loybench::at_teardown([&slot] { slot.reset(); });
    loybench::at_finish([path, sync] { floor_note(fmt::format("durable ({})", mode_name(sync)).c_str(), path); });
  }
  return *slot;
}

FloorEnv& floor_batch_env() {
  static std::unique_ptr<FloorEnv> env;
  if (!env) {
    const std::string path = db_path("floor-batch-1m.db");
    Created c = create_tenant(path, 0);
    bulk_populate(path, c.tenant_id, c.program_id, kBatchAccounts, loybench::now_ms());
    env = std::make_unique<FloorEnv>(path, SyncMode::normal, std::move(c));
    loybench::at_teardown([] { env.reset(); });
    loybench::at_finish([path] { floor_note("batch", path); });
  }
  return *env;
}

// ---------------------------------------------------------------------------------------------
// Benchmarks

void run_guarded(benchmark::State& state, const std::function<void()>& body) {
  try {
    body();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_loyalty_durable(benchmark::State& state, SyncMode sync) {
  run_guarded(state, [&] {
    LoyaltyEnv& env = durable_env(sync);
    const auto n = static_cast<uint64_t>(env.customers.size());
    for (auto _ : state) {
      const json in = {{"customer_id", env.customers[env.rng.below(n)]},
                       {"points", kPoints},
                       {"idempotency_key", fmt::format("durable-{}", env.next_key++)}};
      json out = env.session.call("ledger.earn", in);
      benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations());
  });
}

void BM_raw_durable(benchmark::State& state, SyncMode sync) {
  run_guarded(state, [&] {
    RawEnv& env = raw_durable_env(sync);
    const auto n = static_cast<uint64_t>(env.accounts);
    for (auto _ : state) {
      const auto account = static_cast<int64_t>(env.rng.below(n)) + 1;
      env.begin.run();
      env.insert.bind(1, account).bind(2, kPoints).bind(3, loybench::now_ms()).run();
      env.update.bind(1, account).bind(2, kPoints).run();
      env.commit.run();
    }
    state.SetItemsProcessed(state.iterations());
  });
}

void BM_loyalty_batch(benchmark::State& state) {
  run_guarded(state, [&] {
    LoyaltyEnv& env = batch_env();
    const auto n = static_cast<uint64_t>(kBatchAccounts);
    for (auto _ : state) {
      json events = json::array();
      for (int64_t k = 0; k < kBatchSize; ++k)
        events.push_back({{"customer_id", bulk_customer_id(static_cast<int64_t>(env.rng.below(n)))},
                          {"points", kPoints},
                          {"idempotency_key", fmt::format("batch-{}", env.next_key++)}});
      json out = env.session.call("ledger.earn_batch", {{"events", std::move(events)}});
      if (out["succeeded"].get<int64_t>() != kBatchSize) {
        state.SkipWithError(("earn_batch failed: " + out.dump().substr(0, 400)).c_str());
        break;
      }
      benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations() * kBatchSize);
  });
}

void BM_raw_batch(benchmark::State& state) {
  run_guarded(state, [&] {
    RawEnv& env = raw_batch_env();
    const auto n = static_cast<uint64_t>(env.accounts);
    for (auto _ : state) {
      const int64_t now = loybench::now_ms();
      env.begin.run();
      for (int64_t k = 0; k < kBatchSize; ++k) {
        const auto account = static_cast<int64_t>(env.rng.below(n)) + 1;
        env.insert.bind(1, account).bind(2, kPoints).bind(3, now).run();
        env.update.bind(1, account).bind(2, kPoints).run();
      }
      env.commit.run();
    }
    state.SetItemsProcessed(state.iterations() * kBatchSize);
  });
}

void BM_floor_durable(benchmark::State& state, SyncMode sync) {
  run_guarded(state, [&] {
    FloorEnv& env = floor_durable_env(sync);
    const auto n = static_cast<uint64_t>(env.customers.size());
    for (auto _ : state) {
      env.begin.run();
      env.earn(env.customers[env.rng.below(n)], loybench::now_ms());
      env.commit.run();
    }
    state.SetItemsProcessed(state.iterations());
  });
}

void BM_floor_batch(benchmark::State& state) {
  run_guarded(state, [&] {
    FloorEnv& env = floor_batch_env();
    const auto n = static_cast<uint64_t>(kBatchAccounts);
    for (auto _ : state) {
      const int64_t now = loybench::now_ms();
      env.begin.run();
      for (int64_t k = 0; k < kBatchSize; ++k) env.earn(bulk_customer_id(static_cast<int64_t>(env.rng.below(n))), now);
      env.commit.run();
    }
    state.SetItemsProcessed(state.iterations() * kBatchSize);
  });
}

[[maybe_unused]] const bool kRegistered = [] {
  using loybench::Goal;
  for (SyncMode sync : {SyncMode::full, SyncMode::normal}) {
    const std::string base = fmt::format("ledger/earn_durable/sync:{}/", mode_name(sync));
    benchmark::RegisterBenchmark((base + "libloyalty").c_str(), BM_loyalty_durable, sync)->UseRealTime();
    benchmark::RegisterBenchmark((base + "raw_sqlite").c_str(), BM_raw_durable, sync)->UseRealTime();
    benchmark::RegisterBenchmark((base + "floor").c_str(), BM_floor_durable, sync)->UseRealTime();
    const std::string what = fmt::format("Durable earn, 1 event/transaction, synchronous={}", mode_name(sync));
    loybench::add_comparison(what + ": libloyalty vs raw SQLite", base + "libloyalty", base + "raw_sqlite",
                             Goal{Goal::Kind::ratio_at_least, 0.70, "ours/raw >= 70%"});
    loybench::add_comparison(what + ": floor vs raw SQLite", base + "floor", base + "raw_sqlite",
                             Goal{Goal::Kind::none, 0, "(the schema's price)"});
    loybench::add_comparison(what + ": libloyalty vs floor", base + "libloyalty", base + "floor",
                             Goal{Goal::Kind::none, 0, "(the engine's overhead)"});
  }
  const std::string base = "ledger/earn_batch100/sync:normal/accounts:1M/";
  benchmark::RegisterBenchmark((base + "libloyalty").c_str(), BM_loyalty_batch)->UseRealTime();
  benchmark::RegisterBenchmark((base + "raw_sqlite").c_str(), BM_raw_batch)->UseRealTime();
  benchmark::RegisterBenchmark((base + "floor").c_str(), BM_floor_batch)->UseRealTime();
  const std::string what = "Batch earn, 100 events/transaction, synchronous=NORMAL, 1M accounts";
  loybench::add_comparison(what + ": libloyalty vs raw SQLite", base + "libloyalty", base + "raw_sqlite",
                           Goal{Goal::Kind::rate_at_least, 100'000, "ours >= 100,000 events/s"});
  loybench::add_comparison(what + ": floor vs raw SQLite", base + "floor", base + "raw_sqlite",
                           Goal{Goal::Kind::rate_at_least, 100'000, "floor >= 100,000 events/s?"});
  loybench::add_comparison(what + ": libloyalty vs floor", base + "libloyalty", base + "floor",
                           Goal{Goal::Kind::none, 0, "(the engine's overhead)"});
  return true;
}();

}  // namespace
