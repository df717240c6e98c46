// Shared pieces of the ledger stress tests: database setup, a seeded random mix of ledger
// operations with bookkeeping of every acknowledged effect, balance readers, and child-process
// helpers (the process and crash tests re-execute their own binary in a child mode).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "loyalty/core/engine.hpp"

namespace loystress {

using loyalty::json;

/// Busy deadline for every stress engine: long enough that Status::busy should never occur.
inline constexpr int32_t kBusyTimeoutMs = 30'000;

/// A fixed seed, overridable with LOY_STRESS_SEED.
uint64_t base_seed(uint64_t fallback);
/// Scales an operation count by LOY_STRESS_SCALE (default 1), never below `min`.
int64_t scaled(int64_t n, int64_t min);

loyalty::Engine open_engine(const std::string& db, loyalty::SyncMode sync, int32_t pool_size,
                            std::shared_ptr<loyalty::Clock> clock = nullptr);

/// What a child needs to reach the shared test tenant.
struct Setup {
  std::string db;
  std::string api_key;
  std::vector<std::string> customers;
};

/// Creates the tenant, its program (within_balance, no negative balances, no expiry, no pending
/// days) and `customers` customers in the database file `db`.
Setup create_database(const std::string& db, loyalty::SyncMode sync, int customers);

/// An acknowledged write that carried an idempotency key: replaying `request` must return
/// `response` marked replayed.
struct Acked {
  std::string op;
  json request;
  json response;
};

/// Outcome of one or more writer threads.
struct WriterStats {
  int64_t ops = 0;
  int64_t busy = 0;
  std::map<std::string, int64_t> ok;        // per operation
  std::map<std::string, int64_t> rejected;  // expected business refusals, per operation
  int64_t replays = 0;
  int64_t key_conflicts = 0;              // acknowledged keys re-sent with another amount (must be refused)
  std::map<std::string, int64_t> effect;  // customer -> sum of acknowledged entry points
  std::vector<Acked> acked;
  std::vector<std::string> entries;  // ids of the entries of acknowledged fresh writes
  std::vector<std::string> failures;

  void merge(const WriterStats& o);
  json to_json() const;
  static WriterStats from_json(const json& j);
  std::string summary() const;
};

/// State shared by the writer threads of one process: earn entries to reverse, holds to resolve,
/// acknowledged keyed writes to replay.
struct SharedPools {
  std::mutex mu;
  std::vector<std::string> earns;
  std::vector<std::string> redeems;                    // redeem entries (ledger.redeem, hold.commit) to refund
  std::vector<std::pair<std::string, int64_t>> holds;  // active (or recently resolved) holds and their points
  std::vector<Acked> acked;
};

struct WriterConfig {
  uint64_t seed = 0;
  int64_t ops = 0;
  std::string key_prefix;  // unique per writer: idempotency keys are <prefix>-<n>
  std::vector<std::string> customers;
  /// Moved forward a little on every operation so holds expire during the run (may be null).
  loyalty::ManualClock* clock = nullptr;
};

/// Runs `cfg.ops` random ledger operations through `session`, recording into `stats`.
void run_writer(const loyalty::Session& session, const WriterConfig& cfg, SharedPools& pools, WriterStats& stats);

/// Starts one writer thread per element of `stats`, each with its own session of `engine`
/// running `ops` operations with seed `seed * 31 + n` and key prefix `<prefix><n>`.
std::vector<std::thread> start_writers(const loyalty::Engine& engine, const Setup& setup, uint64_t seed, int64_t ops,
                                       const std::string& prefix, loyalty::ManualClock* clock, SharedPools& pools,
                                       std::vector<WriterStats>& stats);

struct ReaderStats {
  int64_t balances = 0;
  int64_t verifies = 0;
  int64_t busy = 0;
  std::vector<std::string> failures;
};

/// Reads balances (and now and then runs ledger.verify in its snapshot) until `stop`; every
/// observed balance must be non-negative and every verify ok.
void run_reader(const loyalty::Session& session, const std::vector<std::string>& customers, uint64_t seed,
                const std::atomic<bool>& stop, ReaderStats& stats);

/// Replays every acknowledged keyed write; returns failure messages.
std::vector<std::string> replay_all(const loyalty::Session& session, const std::vector<Acked>& acked);

/// Per-customer balances (with invariants on each), keyed by customer id.
std::map<std::string, json> balances(const loyalty::Session& session, const std::vector<std::string>& customers);

/// The path of the running executable (for re-executing it in a child mode).
std::string self_exe();
/// Starts `args` (args[0] is the program) with posix_spawn; `stdout_fd` >= 0 replaces stdout.
pid_t spawn(const std::vector<std::string>& args, int stdout_fd = -1);
/// Waits for `pid`; returns a description such as "exit 0" or "signal 9".
std::string wait_child(pid_t pid, int* exit_code = nullptr, int* signal = nullptr);

std::string join(const std::vector<std::string>& v, char sep);
std::vector<std::string> split(const std::string& s, char sep);

/// Reports the first ten failures of one worker (thread or child process) and fails if any.
inline void require_no_failures(const std::vector<std::string>& failures, const std::string& who) {
  for (size_t i = 0; i < failures.size() && i < 10; ++i) FAIL_CHECK(who << ": " << failures[i]);
  CHECK_MESSAGE(failures.empty(), who << ": " << failures.size() << " failures");
}

}  // namespace loystress
