#include "storage/sqlite.hpp"

#include "ai/ai_store.hpp"
#include "analytics/analytics_store.hpp"
#include "audit/audit_store.hpp"
#include "customers/customer_store.hpp"
#include "events/event_store.hpp"
#include "ledger/ledger_store.hpp"
#include "locations/location_store.hpp"
#include "programs/program_store.hpp"
#include "rewards/reward_store.hpp"
#include "rules/rule_store.hpp"
#include "tenants/tenant_store.hpp"
#include "tiers/tier_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include <random>
#include <thread>

#include <unistd.h>

namespace loyalty::storage {

void throw_sqlite(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  const std::string msg = fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw Error(Status::busy, msg);
    case SQLITE_CONSTRAINT:
      throw Error(Status::conflict, msg);
    case SQLITE_NOMEM:
      throw Error(Status::nomem, msg);
    default:
      throw Error(Status::storage, msg, {}, nlohmann::json{{"sqlite_code", rc}});
  }
}

Connection::Connection(const std::string& path, const StorageOptions& opts, bool memory) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  int rc = sqlite3_open_v2(memory ? ":memory:" : path.c_str(), &raw, flags, nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) throw_sqlite(raw, rc, fmt::format("cannot open database '{}'", path));
  sqlite3_extended_result_codes(raw, 1);
  // Busy waits are handled by Tx's own bounded retry for BEGIN IMMEDIATE; a short handler
  // covers readers meeting a checkpoint.
  sqlite3_busy_timeout(raw, opts.busy_timeout_ms);
  if (!memory) enable_wal(opts.busy_timeout_ms);
  exec(opts.synchronous == SyncMode::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  exec(fmt::format("PRAGMA cache_size=-{}", static_cast<int64_t>(opts.cache_mb) * 1024).c_str());
  if (!memory) exec(fmt::format("PRAGMA wal_autocheckpoint={}", opts.wal_autocheckpoint).c_str());
  exec("PRAGMA foreign_keys=ON");
  exec("PRAGMA temp_store=MEMORY");
}

void Connection::load_spatialite() {
  if (spatialite_) return;
  sqlite3* db = db_.get();
  // Extension loading is enabled for the C API only, and only for the duration of this call.
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, nullptr);
  char* err = nullptr;
  const int rc = sqlite3_load_extension(db, "mod_spatialite", nullptr, &err);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  if (rc != SQLITE_OK) {
    const std::string why = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw Error(Status::unavailable,
                fmt::format("SpatiaLite (mod_spatialite) could not be loaded: {}; install the Debian package "
                            "libsqlite3-mod-spatialite",
                            why));
  }
  spatialite_ = true;
}

namespace {

/// The jitter source of busy backoff: per thread, seeded from the OS once per thread and process
/// (a forked child reseeds), so writers in different processes do not back off in step. Seeding
/// per transaction cost a read of the OS entropy source on every write.
std::minstd_rand& backoff_rng() {
  thread_local std::minstd_rand rng;
  thread_local pid_t seeded_for = 0;
  if (seeded_for != ::getpid()) {
    rng.seed(std::random_device{}());
    seeded_for = ::getpid();
  }
  return rng;
}

}  // namespace

void Connection::enable_wal(int32_t busy_timeout_ms) {
  // Switching a new file to WAL takes an exclusive lock, and SQLite fails at once with
  // SQLITE_BUSY (without calling the busy handler) when another connection is switching it too,
  // as when several processes open a new database together. Retry until the busy deadline.
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  int backoff_us = 200;
  for (;;) {
    const int rc = sqlite3_exec(db_.get(), "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) || clock::now() >= deadline)
      throw_sqlite(db_.get(), rc, "PRAGMA journal_mode=WAL");
    std::this_thread::sleep_for(std::chrono::microseconds(
        backoff_us / 2 + static_cast<int>(backoff_rng()() % static_cast<uint32_t>(backoff_us))));
    backoff_us = std::min(backoff_us * 2, 20'000);
  }
}

sqlite3_stmt* Connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second.get();
  sqlite3_stmt* st = nullptr;
  int rc =
      sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &st, nullptr);
  if (rc != SQLITE_OK) throw_sqlite(db_.get(), rc, fmt::format("prepare '{}'", sql.substr(0, 60)));
  auto* out = st;
  cache_.emplace(std::string(sql), std::unique_ptr<sqlite3_stmt, StmtDeleter>(st));
  return out;
}

void Connection::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw_sqlite(db_.get(), rc, msg);
  }
}

Query::~Query() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

void Query::bind(int i, int64_t v) { sqlite3_bind_int64(st_, i, v); }
void Query::bind(int i, double v) { sqlite3_bind_double(st_, i, v); }
void Query::bind(int i, std::string_view v) {
  sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void Query::bind(int i, std::nullptr_t) { sqlite3_bind_null(st_, i); }

bool Query::step() {
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_sqlite(db_, rc, "step");
}

void Query::run() {
  while (step()) {
  }
}

bool Query::is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
int64_t Query::i64(int col) const { return sqlite3_column_int64(st_, col); }
double Query::f64(int col) const { return sqlite3_column_double(st_, col); }
std::string Query::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(st_, col))) : std::string();
}
std::optional<int64_t> Query::opt_i64(int col) const {
  if (is_null(col)) return std::nullopt;
  return i64(col);
}
std::optional<std::string> Query::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

Lease::~Lease() {
  if (conn_) pool_->release(std::move(conn_));
}

std::string path_from_uri(const std::string& uri, bool& memory) {
  memory = false;
  if (uri.empty()) throw Error(Status::invalid, "storage URI is empty", "uri");
  // SQLite takes the path as a C string and ends it at the first NUL, so "dir/a\0b.db" would
  // open "dir/a": refused instead of opening another file.
  if (const auto nul = uri.find('\0'); nul != std::string::npos)
    throw Error(Status::invalid, fmt::format("storage URI contains a NUL byte at byte {}", nul), "uri",
                {{"byte", nul}});
  if (uri == ":memory:" || uri == "sqlite://:memory:" || uri == "sqlite:///:memory:") {
    memory = true;
    return {};
  }
  std::string path = uri;
  if (uri.rfind("sqlite://", 0) == 0) {
    path = uri.substr(9);  // sqlite:///abs -> /abs ; sqlite://rel -> rel
  } else if (uri.find("://") != std::string::npos) {
    throw Error(Status::invalid, fmt::format("unsupported storage URI scheme in '{}' (expected sqlite://)", uri),
                "uri");
  }
  if (path.empty()) throw Error(Status::invalid, "storage URI has no path", "uri");
  // A path starting with "file:" (any case) is an SQLite URI, where SQLite decodes %00 to a NUL
  // and cuts the path or parameter there the same way.
  const bool sqlite_uri = path.size() >= 5 && std::equal(path.begin(), path.begin() + 5, "file:", [](char a, char b) {
                            return std::tolower(static_cast<unsigned char>(a)) == b;
                          });
  if (const auto esc = path.find("%00"); sqlite_uri && esc != std::string::npos)
    throw Error(Status::invalid, "storage URI contains %00, an encoded NUL byte", "uri",
                {{"byte", esc + (uri.size() - path.size())}});
  return path;
}

Pool::Pool(StorageOptions opts) : opts_(std::move(opts)) {
  if (opts_.busy_timeout_ms < 0) throw Error(Status::invalid, "busy_timeout_ms must be >= 0", "busy_timeout_ms");
  if (opts_.pool_size < 1 || opts_.pool_size > 64)
    throw Error(Status::invalid, "pool_size must be between 1 and 64", "pool_size");
  if (opts_.cache_mb < 1 || opts_.cache_mb > 65536)
    throw Error(Status::invalid, "cache_mb must be between 1 and 65536", "cache_mb");
  if (opts_.wal_autocheckpoint < 0)
    throw Error(Status::invalid, "wal_autocheckpoint must be >= 0", "wal_autocheckpoint");
  path_ = path_from_uri(opts_.uri, memory_);
  // One private in-memory database can only be shared through a single connection.
  if (memory_) opts_.pool_size = 1;
  idle_.push_back(open_one());
  // After the first open, so the file exists and is known by its identity.
  write_queue_ = WriteQueue::for_file(memory_ ? std::string() : path_);
}

std::unique_ptr<Connection> Pool::open_one() {
  auto c = std::make_unique<Connection>(path_, opts_, memory_);
  ++open_count_;
  return c;
}

Lease Pool::acquire() {
  return acquire(std::chrono::steady_clock::now() + std::chrono::milliseconds(opts_.busy_timeout_ms));
}

Lease Pool::acquire(Deadline deadline) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(c));
    }
    if (open_count_ < opts_.pool_size) {
      ++open_count_;
      lock.unlock();
      try {
        auto c = std::make_unique<Connection>(path_, opts_, memory_);
        return Lease(*this, std::move(c));
      } catch (...) {
        lock.lock();
        --open_count_;
        throw;
      }
    }
    // Every connection is in use: wait, but no longer than the busy deadline.
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_count_ >= opts_.pool_size)
      throw Error(Status::busy, fmt::format("no database connection became free within {} ms (pool_size {})",
                                            opts_.busy_timeout_ms, opts_.pool_size));
  }
}

void Pool::release(std::unique_ptr<Connection> c) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(c));
  }
  cv_.notify_one();
}

std::unique_ptr<Database> open_database(const StorageOptions& options) {
  auto db = std::make_unique<SqliteDatabase>(options);
  migrate(db->pool());
  return db;
}

Pool& sqlite_pool(Database& db) {
  auto* sqlite = dynamic_cast<SqliteDatabase*>(&db);
  if (!sqlite) throw Error(Status::misuse, "not an SQLite database");
  return sqlite->pool();
}

Tx::Tx(Pool& pool, TxMode mode)
    : Tx(pool, mode, std::chrono::steady_clock::now() + std::chrono::milliseconds(pool.options().busy_timeout_ms)) {}

Tx::Tx(Pool& pool, TxMode mode, Pool::Deadline deadline)
    : turn_(mode == TxMode::write ? WriteTurn(pool.write_queue(), deadline, pool.options().busy_timeout_ms)
                                  : WriteTurn()),
      lease_(pool.acquire(deadline)) {
  if (mode == TxMode::read) {
    if (int rc = control("BEGIN"); rc != SQLITE_OK) throw_sqlite(lease_->handle(), rc, "BEGIN");
    open_ = true;
    return;
  }
  // This process's other writers of the file are behind us in the queue: only another process
  // can hold SQLite's write lock now.
  using clock = std::chrono::steady_clock;
  int backoff_us = 200;
  for (;;) {
    sqlite3_busy_timeout(lease_->handle(), 0);
    int rc = control("BEGIN IMMEDIATE");
    sqlite3_busy_timeout(lease_->handle(), pool.options().busy_timeout_ms);
    if (rc == SQLITE_OK) {
      open_ = true;
      return;
    }
    if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
      throw_sqlite(lease_->handle(), rc, "BEGIN IMMEDIATE");
    if (clock::now() >= deadline)
      throw Error(Status::busy, fmt::format("database is locked by another writer for more than {} ms",
                                            pool.options().busy_timeout_ms));
    std::this_thread::sleep_for(std::chrono::microseconds(
        backoff_us / 2 + static_cast<int>(backoff_rng()() % static_cast<uint32_t>(backoff_us))));
    backoff_us = std::min(backoff_us * 2, 20'000);
  }
}

int Tx::control(std::string_view sql) {
  // Transaction control runs as cached prepared statements (sqlite3_exec would parse each time).
  sqlite3_stmt* st = lease_->prepare(sql);
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

bool SqliteDatabase::truncate_log() {
  if (pool_.path().empty()) return true;  // an in-memory database has no log file
  Lease c = pool_.acquire();
  int log = -1, done = -1;
  const int rc = sqlite3_wal_checkpoint_v2(c->handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
  return rc == SQLITE_OK;
}

Tx::~Tx() {
  if (open_) control("ROLLBACK");
}

void Tx::commit() {
  if (int rc = control("COMMIT"); rc != SQLITE_OK) throw_sqlite(lease_->handle(), rc, "COMMIT");
  open_ = false;
  turn_.release();  // the next writer may start while this operation builds its answer
}

void Tx::savepoint() {
  if (int rc = control("SAVEPOINT loy_item"); rc != SQLITE_OK) throw_sqlite(lease_->handle(), rc, "SAVEPOINT");
}
void Tx::release() {
  if (int rc = control("RELEASE loy_item"); rc != SQLITE_OK) throw_sqlite(lease_->handle(), rc, "RELEASE");
}
void Tx::rollback_to() {
  if (int rc = control("ROLLBACK TO loy_item"); rc != SQLITE_OK) throw_sqlite(lease_->handle(), rc, "ROLLBACK TO");
  release();
}

}  // namespace loyalty::storage
