// A raw SQLite connection to an engine's database file, for unit tests that inspect storage
// (hashes at rest, bucket remainders) or tamper with it (audit chain) behind the engine's back.
#pragma once

#include <sqlite3.h>

#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

namespace loytest {

class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  /// Runs `sql`; returns the SQLite result code (does not fail the test).
  int try_exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    last_error_ = err ? err : "";
    sqlite3_free(err);
    return rc;
  }
  void exec(const std::string& sql) {
    const int rc = try_exec(sql);
    INFO(sql << ": " << last_error_);
    REQUIRE(rc == SQLITE_OK);
  }

  /// The first column of the first row as text; nullopt for no row or NULL.
  std::optional<std::string> text(const std::string& sql, std::initializer_list<std::string> params = {}) {
    std::optional<std::string> out;
    query(sql, params, [&](sqlite3_stmt* st) {
      if (sqlite3_column_type(st, 0) != SQLITE_NULL)
        out = std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                          static_cast<size_t>(sqlite3_column_bytes(st, 0)));
    });
    return out;
  }
  /// The first column of the first row as an integer; nullopt for no row or NULL.
  std::optional<int64_t> i64(const std::string& sql, std::initializer_list<std::string> params = {}) {
    std::optional<int64_t> out;
    query(sql, params, [&](sqlite3_stmt* st) {
      if (sqlite3_column_type(st, 0) != SQLITE_NULL) out = sqlite3_column_int64(st, 0);
    });
    return out;
  }

 private:
  template <typename F>
  void query(const std::string& sql, std::initializer_list<std::string> params, F&& on_first_row) {
    sqlite3_stmt* st = nullptr;
    INFO(sql << ": " << sqlite3_errmsg(db_));
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    int n = 1;
    for (const auto& p : params) sqlite3_bind_text(st, n++, p.c_str(), static_cast<int>(p.size()), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) on_first_row(st);
    sqlite3_finalize(st);
    REQUIRE((rc == SQLITE_ROW || rc == SQLITE_DONE));
  }

  sqlite3* db_ = nullptr;
  std::string last_error_;
};

}  // namespace loytest
