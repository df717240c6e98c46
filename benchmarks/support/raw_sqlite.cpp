#include "raw_sqlite.hpp"

#include <stdexcept>

namespace loybench {

void check(sqlite3* db, int rc, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
  throw std::runtime_error(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

RawStmt::RawStmt(sqlite3* db, const char* sql) : db_(db) {
  check(db_, sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st_, nullptr), sql);
}
RawStmt::~RawStmt() { sqlite3_finalize(st_); }

RawStmt& RawStmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(st_, i, v);
  return *this;
}
RawStmt& RawStmt::bind(int i, const std::string& v) {
  sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

void RawStmt::run() {
  int rc = sqlite3_step(st_);
  while (rc == SQLITE_ROW) rc = sqlite3_step(st_);
  sqlite3_reset(st_);
  check(db_, rc, "step");
}

int64_t RawStmt::scalar() {
  const int rc = sqlite3_step(st_);
  const int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st_, 0) : 0;
  sqlite3_reset(st_);
  check(db_, rc, "step");
  return v;
}

RawDb::RawDb(const std::string& path, loyalty::SyncMode sync) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw std::runtime_error("cannot open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA journal_mode=WAL");
  exec(sync == loyalty::SyncMode::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

RawDb::~RawDb() { sqlite3_close_v2(db_); }

void RawDb::exec(const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    const std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw std::runtime_error(std::string(sql).substr(0, 80) + ": " + msg);
  }
}

int64_t RawDb::scalar(const char* sql) {
  RawStmt s(db_, sql);
  return s.scalar();
}

}  // namespace loybench
