// The SQLite backend's building blocks: RAII connection with a prepared-statement cache, a
// connection pool, and units of work (read snapshot, or a write that takes its turn in the
// process's write queue for the file, then BEGIN IMMEDIATE with bounded retry), behind the
// backend-neutral Database and UnitOfWork of storage/unit_of_work.hpp. Only src/storage/sqlite*
// include this header (scripts/check_deps.py checks it).
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "loyalty/core/error.hpp"
#include "loyalty/storage/options.hpp"
#include "storage/unit_of_work.hpp"
#include "storage/write_queue.hpp"

namespace loyalty::storage {

/// Throws loyalty::Error mapped from an SQLite result code (busy -> Status::busy, constraint ->
/// Status::conflict, everything else -> Status::storage).
[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view what);

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
struct DbDeleter {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};

class Connection {
 public:
  Connection(const std::string& path, const StorageOptions& opts, bool memory);
  sqlite3* handle() const noexcept { return db_.get(); }
  /// Returns the cached prepared statement for this SQL text (prepared on first use).
  sqlite3_stmt* prepare(std::string_view sql);
  void exec(const char* sql);
  /// Loads SpatiaLite (`mod_spatialite`) into this connection, once; later calls are free.
  /// Throws Status::unavailable naming the Debian package when the module cannot be loaded.
  void load_spatialite();

 private:
  void enable_wal(int32_t busy_timeout_ms);
  bool spatialite_ = false;

  std::unique_ptr<sqlite3, DbDeleter> db_;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, StmtDeleter>, Hash, std::equal_to<>> cache_;
};

/// A statement execution: binds on construction, steps, and resets on destruction.
class Query {
 public:
  template <typename... Args>
  Query(Connection& c, std::string_view sql, const Args&... args) : db_(c.handle()), st_(c.prepare(sql)) {
    int i = 1;
    (bind(i++, args), ...);
  }
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  void bind(int i, int64_t v);
  void bind(int i, int32_t v) { bind(i, static_cast<int64_t>(v)); }
  void bind(int i, bool v) { bind(i, static_cast<int64_t>(v ? 1 : 0)); }
  void bind(int i, double v);
  void bind(int i, std::string_view v);
  void bind(int i, const std::string& v) { bind(i, std::string_view(v)); }
  void bind(int i, const char* v) { bind(i, std::string_view(v)); }
  void bind(int i, std::nullptr_t);
  template <typename T>
  void bind(int i, const std::optional<T>& v) {
    if (v)
      bind(i, *v);
    else
      bind(i, nullptr);
  }

  /// Steps once: true while a row is available.
  bool step();
  /// Steps to completion, for statements without result rows.
  void run();

  bool is_null(int col) const;
  int64_t i64(int col) const;
  double f64(int col) const;
  std::string text(int col) const;
  std::optional<int64_t> opt_i64(int col) const;
  std::optional<std::string> opt_text(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* st_;
};

/// Steps `q` to its end and returns every row mapped by `row` (a function of the Query).
template <typename RowFn>
auto collect(Query& q, RowFn&& row) {
  std::vector<std::decay_t<decltype(row(q))>> out;
  while (q.step()) out.push_back(row(q));
  return out;
}

class Pool;

/// A connection checked out of the pool; returned on destruction.
class Lease {
 public:
  Lease(Pool& pool, std::unique_ptr<Connection> c) : pool_(&pool), conn_(std::move(c)) {}
  Lease(Lease&&) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  Connection& operator*() const { return *conn_; }
  Connection* operator->() const { return conn_.get(); }

 private:
  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

class Pool {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  explicit Pool(StorageOptions opts);
  /// A connection; when all are in use, waits for one to be returned until `deadline`, then
  /// throws Status::busy.
  Lease acquire(Deadline deadline);
  /// The same, waiting at most busy_timeout_ms.
  Lease acquire();
  const StorageOptions& options() const noexcept { return opts_; }
  /// The filesystem path (empty for in-memory databases).
  const std::string& path() const noexcept { return path_; }
  /// The write queue of this database: shared by every pool of this process on the same file
  /// (private for an in-memory database).
  WriteQueue& write_queue() const noexcept { return *write_queue_; }

 private:
  friend class Lease;
  void release(std::unique_ptr<Connection> c);
  std::unique_ptr<Connection> open_one();

  StorageOptions opts_;
  std::string path_;
  std::string open_name_;
  bool memory_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int32_t open_count_ = 0;
  std::unique_ptr<Connection> keeper_;  // keeps a named in-memory database alive
  std::shared_ptr<WriteQueue> write_queue_;
};

/// A unit of work. A write first takes its turn in the pool's write queue (first come, first
/// served among this process's writers of the file), then a connection, then starts with BEGIN
/// IMMEDIATE, retried with backoff against other processes; all three waits share one deadline,
/// busy_timeout_ms from the start, past which the write fails with Status::busy. The turn is
/// passed on at commit() or destruction. Destruction without commit() rolls back.
class Tx final : public UnitOfWork {
 public:
  Tx(Pool& pool, TxMode mode);
  ~Tx() override;
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;

  Connection& conn() { return *lease_; }
  void commit() override;
  /// A savepoint for per-item isolation inside one transaction (batch earn); not nestable.
  void savepoint() override;
  void release() override;
  void rollback_to() override;

  template <typename... Args>
  Query q(std::string_view sql, const Args&... args) {
    return Query(*lease_, sql, args...);
  }

  /// The stores bound to this unit of work, each made on first use (storage/unit_of_work.hpp).
  LedgerStore& ledger() override;
  TenantStore& tenants() override;
  ProgramStore& programs() override;
  CustomerStore& customers() override;
  AuditStore& audit() override;
  EventStore& events() override;
  LocationStore& locations() override;
  TierStore& tiers() override;
  RewardStore& rewards() override;
  RuleStore& rules() override;
  AiStore& ai() override;
  AnalyticsStore& analytics() override;

 private:
  Tx(Pool& pool, TxMode mode, Pool::Deadline deadline);
  int control(std::string_view sql);

  WriteTurn turn_;  // writes only; declared before lease_, so it is passed on after the lease
  Lease lease_;
  bool open_ = false;
  std::unique_ptr<LedgerStore> ledger_;  // made on first use, like the stores below
  std::unique_ptr<TenantStore> tenants_;
  std::unique_ptr<ProgramStore> programs_;
  std::unique_ptr<CustomerStore> customers_;
  std::unique_ptr<AuditStore> audit_;
  std::unique_ptr<EventStore> events_;
  std::unique_ptr<LocationStore> locations_;
  std::unique_ptr<TierStore> tiers_;
  std::unique_ptr<RewardStore> rewards_;
  std::unique_ptr<RuleStore> rules_;
  std::unique_ptr<AiStore> ai_;
  std::unique_ptr<AnalyticsStore> analytics_;
};

/// The SQLite database of an engine: its pool, opening units of work as Tx.
class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(StorageOptions opts) : pool_(std::move(opts)) {}
  std::unique_ptr<UnitOfWork> begin(TxMode mode) override { return std::make_unique<Tx>(pool_, mode); }
  bool truncate_log() override;
  Pool& pool() noexcept { return pool_; }

 private:
  Pool pool_;
};

/// The pool behind an SQLite Database (tests and SQLite-specific tools); throws Status::misuse
/// for another backend.
Pool& sqlite_pool(Database& db);

/// Parses a storage URI into a filesystem path ("" for in-memory).
std::string path_from_uri(const std::string& uri, bool& memory);

/// The schema version this library writes (the number of migrations).
int schema_version();
/// Applies the versioned schema migrations up to `target` (the latest when negative; tests use
/// older targets to build databases of earlier releases). Idempotent; each migration runs in its
/// own write transaction.
void migrate(Pool& pool, int target = -1);

}  // namespace loyalty::storage
