// Tiers maintenance at scale: `ledger.run_due` over 1,000,000 accounts with a tier, 10% of them
// at the end of their qualification window (issue 4).
//
//   tiers/run_due/accounts:1M/due:10%
//       One `ledger.run_due` call (one write transaction, synchronous=FULL, the engine's
//       defaults). The program has a calendar-year policy (one_level downgrades, no grace) and
//       two tiers (Silver at 100 points, Gold at 500). Every account is Gold; for 100,000 of
//       them (every tenth account) the window ended a day ago with no qualifying activity, so
//       run_due judges the ended window and downgrades them to Silver (a history row, a
//       tier.changed event, a new review time each). The other 900,000 are reviewed next year
//       and must not be touched. Between repetitions (not timed) the due accounts are reset to
//       Gold with a past review time, so every repetition does the same work.
//
// Setup (not timed): the tenant, program, policy and tiers are created through the API; the
// customers, accounts and account tier rows are bulk-inserted with raw SQL matching
// src/storage/schema.cpp (see support/population.hpp).
#include <fmt/format.h>

#include <memory>
#include <string>

#include "bench_support.hpp"
#include "loyalty/core/engine.hpp"
#include "population.hpp"
#include "raw_sqlite.hpp"

namespace {

using loyalty::json;
using loyalty::SyncMode;
using loybench::RawDb;
using loybench::RawStmt;

constexpr int64_t kAccounts = 1'000'000;
constexpr int64_t kDueEvery = 10;  // every tenth account is due
constexpr int64_t kDay = 86'400'000;

struct Env {
  loyalty::Engine engine;
  loyalty::Session session;
  std::string path, gold, silver;
};

std::unique_ptr<Env> env;

/// Puts the due accounts back to Gold with a review time in the past.
void arm(const std::string& path, const std::string& gold) {
  RawDb db(path, SyncMode::normal);
  RawStmt up(db.handle(),
             "UPDATE account_tiers SET tier_id = ?1, window_end = ?2, grace_until = NULL WHERE account_id % ?3 = 0");
  up.bind(1, gold).bind(2, loybench::now_ms() - kDay).bind(3, kDueEvery).run();
}

Env& setup() {
  if (env) return *env;
  const std::string path = (loybench::work_dir() / "tiers-run-due-1m.db").string();
  const loybench::Created c = loybench::create_tenant(path, 0);
  std::string gold, silver;
  {
    loyalty::Engine e = loybench::open_engine(path, SyncMode::normal, false);
    loyalty::Session s = e.session(c.api_key);
    s.call("tier.policy.set", {{"window", {{"kind", "calendar_year"}}}, {"downgrade", "one_level"}});
    silver = s.call("tier.create", {{"name", "Silver"}, {"rank", 1}, {"threshold", 100}})["id"];
    gold = s.call("tier.create", {{"name", "Gold"}, {"rank", 2}, {"threshold", 500}})["id"];
  }
  const int64_t now = loybench::now_ms();
  loybench::bulk_populate(path, c.tenant_id, c.program_id, kAccounts, now - 400 * kDay);
  {
    RawDb db(path, SyncMode::normal);
    db.exec("PRAGMA cache_size=-524288");
    db.exec("BEGIN IMMEDIATE");
    RawStmt ins(db.handle(),
                "INSERT INTO account_tiers(account_id, tenant_id, program_id, customer_id, opened_at, tier_id, since, "
                "manual, window_end, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?5, 0, ?7, ?5)");
    for (int64_t n = 0; n < kAccounts; ++n) {
      const int64_t id = n + 1;
      ins.bind(1, id)
          .bind(2, c.tenant_id)
          .bind(3, c.program_id)
          .bind(4, loybench::bulk_customer_id(n))
          .bind(5, now - 400 * kDay)
          .bind(6, gold)
          .bind(7, id % kDueEvery == 0 ? now - kDay : now + 200 * kDay)
          .run();
    }
    db.exec("COMMIT");
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  loyalty::Engine e = loybench::open_engine(path, SyncMode::full, false);
  loyalty::Session s = e.session(c.api_key);
  env = std::unique_ptr<Env>(new Env{std::move(e), std::move(s), path, gold, silver});
  loybench::at_teardown([] { env.reset(); });
  loybench::at_finish([] {
    RawDb db(env->path, SyncMode::normal);
    loybench::add_note(fmt::format(
        "tiers run_due: {} accounts, {} Gold and {} Silver after the last repetition; {} tier history rows",
        db.scalar("SELECT COUNT(*) FROM account_tiers"),
        db.scalar(fmt::format("SELECT COUNT(*) FROM account_tiers WHERE tier_id = '{}'", env->gold).c_str()),
        db.scalar(fmt::format("SELECT COUNT(*) FROM account_tiers WHERE tier_id = '{}'", env->silver).c_str()),
        db.scalar("SELECT COUNT(*) FROM tier_history")));
  });
  return *env;
}

void BM_run_due(benchmark::State& state) {
  Env& e = setup();
  int64_t downgraded = 0;
  for (auto _ : state) {
    state.PauseTiming();
    arm(e.path, e.gold);
    state.ResumeTiming();
    const json out = e.session.call("ledger.run_due", json::object());
    downgraded = out["tiers_downgraded"].get<int64_t>();
  }
  if (downgraded != kAccounts / kDueEvery)
    state.SkipWithError(fmt::format("expected {} downgrades, got {}", kAccounts / kDueEvery, downgraded).c_str());
  state.counters["due_accounts_per_s"] =
      benchmark::Counter(static_cast<double>(kAccounts / kDueEvery), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["accounts_per_s"] =
      benchmark::Counter(static_cast<double>(kAccounts), benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_run_due)
    ->Name("tiers/run_due/accounts:1M/due:10%")
    ->Unit(benchmark::kSecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace
