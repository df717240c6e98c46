#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "fixture.hpp"

using namespace loytest;

namespace {

/// Holds the database's write lock from a raw SQLite connection, like another process would.
struct ForeignWriter {
  sqlite3* db = nullptr;
  explicit ForeignWriter(const std::string& path) {
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  void release() {
    if (db) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    db = nullptr;
  }
  ~ForeignWriter() { release(); }
};

loyalty::Session open_session(const std::string& path, int32_t busy_ms, const std::string& key) {
  loyalty::EngineOptions o;
  o.storage.uri = "sqlite://" + path;
  o.storage.busy_timeout_ms = busy_ms;
  return loyalty::Engine::open(o).session(key);
}

}  // namespace

TEST_CASE("storage: a write blocked past busy_timeout_ms fails with busy and changes nothing") {
  TempDir dir;
  World w(json::object(), "sqlite://" + dir.db());
  const auto c = w.enroll("busy-1");
  w.earn(c, 10);
  auto s = open_session(dir.db(), 300, w.tenant["api_key"]["key"]);

  ForeignWriter other(dir.db());
  const auto t0 = std::chrono::steady_clock::now();
  LOY_REQUIRE_ERROR(s.call("ledger.earn", {{"customer_id", c}, {"points", 5}}), Status::busy, "");
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= std::chrono::milliseconds(300));
  CHECK(waited < std::chrono::milliseconds(5000));
  other.release();

  CHECK(s.call("ledger.balance", {{"customer_id", c}})["balance"] == 10);
}

TEST_CASE("storage: a write waits for a lock released within busy_timeout_ms and succeeds") {
  TempDir dir;
  World w(json::object(), "sqlite://" + dir.db());
  const auto c = w.enroll("busy-2");
  auto s = open_session(dir.db(), 5000, w.tenant["api_key"]["key"]);

  ForeignWriter other(dir.db());
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    other.release();
  });
  json r = s.call("ledger.earn", {{"customer_id", c}, {"points", 7}});
  releaser.join();
  CHECK(r["balance"]["balance"] == 7);
}

TEST_CASE("storage: a database written by a newer schema version is refused") {
  TempDir dir;
  { World w(json::object(), "sqlite://" + dir.db()); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.db().c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  loyalty::EngineOptions o;
  o.storage.uri = "sqlite://" + dir.db();
  LOY_REQUIRE_ERROR(loyalty::Engine::open(o), Status::storage, "");
}

TEST_CASE("storage: unsupported URI schemes and bad pool sizes are invalid") {
  loyalty::EngineOptions o;
  o.storage.uri = "postgres://localhost/x";
  LOY_REQUIRE_ERROR(loyalty::Engine::open(o), Status::invalid, "uri");
  o.storage.uri = ":memory:";
  o.storage.pool_size = 0;
  LOY_REQUIRE_ERROR(loyalty::Engine::open(o), Status::invalid, "pool_size");
  o.storage.pool_size = 4;
  o.storage.busy_timeout_ms = -1;
  LOY_REQUIRE_ERROR(loyalty::Engine::open(o), Status::invalid, "busy_timeout_ms");
}
