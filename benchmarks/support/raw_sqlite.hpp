// The raw SQLite peer: a bare connection with the same journal and synchronous settings as the
// engine (WAL, FULL or NORMAL), prepared statements and nothing else. It is the durable-write
// limit the ledger is compared with.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "loyalty/storage/options.hpp"

namespace loybench {

class RawStmt {
 public:
  RawStmt(sqlite3* db, const char* sql);
  ~RawStmt();
  RawStmt(const RawStmt&) = delete;
  RawStmt& operator=(const RawStmt&) = delete;
  RawStmt& bind(int i, int64_t v);
  RawStmt& bind(int i, const std::string& v);
  /// Steps to completion and resets (statements without result rows).
  void run();
  /// Steps once and returns column 0 as an integer, then resets.
  int64_t scalar();

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

class RawDb {
 public:
  /// Opens (creating) `path` in WAL mode with the given synchronous setting.
  RawDb(const std::string& path, loyalty::SyncMode sync);
  ~RawDb();
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  sqlite3* handle() const { return db_; }
  void exec(const char* sql);
  int64_t scalar(const char* sql);

 private:
  sqlite3* db_ = nullptr;
};

/// Throws std::runtime_error with SQLite's message when rc is not OK/ROW/DONE.
void check(sqlite3* db, int rc, const char* what);

}  // namespace loybench
