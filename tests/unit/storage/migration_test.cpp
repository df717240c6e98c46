#include <sqlite3.h>

#include "fixture.hpp"
#include "storage/sqlite.hpp"

using namespace loytest;

namespace {

int64_t scalar(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  const int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

}  // namespace

TEST_CASE("storage: migration 2 keeps idempotency records of a version-1 database and replays them") {
  TempDir dir;
  loyalty::StorageOptions o;
  o.uri = "sqlite://" + dir.db();
  {
    loyalty::storage::Pool pool(o);
    loyalty::storage::migrate(pool, 1);
    auto lease = pool.acquire();
    lease->exec(
        "INSERT INTO idempotency(tenant_id, key, operation, request, response, created_at) VALUES"
        "('ten_a', 'k1', 'ledger.earn', '{\"points\":5}', '{\"replayed\":false,\"n\":1}', 10),"
        "('ten_b', 'k1', 'ledger.earn', '{\"points\":6}', '{\"replayed\":false,\"n\":2}', 20)");
  }
  {
    loyalty::storage::Pool pool(o);
    loyalty::storage::migrate(pool);
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.db().c_str(), &db) == SQLITE_OK);
  CHECK(scalar(db, "PRAGMA user_version") == loyalty::storage::schema_version());
  CHECK(scalar(db, "SELECT COUNT(*) FROM idempotency") == 2);
  CHECK(scalar(db,
               "SELECT COUNT(*) FROM idempotency WHERE tenant_id = 'ten_b' AND key = 'k1' AND "
               "response = '{\"replayed\":false,\"n\":2}' AND created_at = 20") == 1);
  // The (tenant, key) pair stays unique.
  CHECK(sqlite3_exec(db,
                     "INSERT INTO idempotency(tenant_id, key, operation, request, response, created_at) "
                     "VALUES('ten_a', 'k1', 'x', '{}', '{}', 30)",
                     nullptr, nullptr, nullptr) == SQLITE_CONSTRAINT);
  CHECK(scalar(db, "SELECT COUNT(*) FROM pragma_index_list('accounts') WHERE name = 'accounts_program'") == 1);
  CHECK(scalar(db, "SELECT COUNT(*) FROM pragma_index_info('accounts_program')") == 1);
  sqlite3_close(db);
}

TEST_CASE("storage: a replay after the upgrade returns the result stored before it") {
  TempDir dir;
  const std::string uri = "sqlite://" + dir.db();
  json first;
  std::string key, customer;
  {
    World w(json::object(), uri);
    customer = w.enroll("c1");
    key = w.tenant["api_key"]["key"].get<std::string>();
    first = w.earn(customer, 40, {{"idempotency_key", "order-1"}});
  }
  // Rewind the file to version 1 by hand: the same rows in the version-1 table layout.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.db().c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db,
                       "CREATE TABLE idem_v1(tenant_id TEXT NOT NULL, key TEXT NOT NULL, operation TEXT NOT NULL, "
                       "request TEXT NOT NULL, response TEXT NOT NULL, created_at INTEGER NOT NULL, "
                       "PRIMARY KEY(tenant_id, key)) WITHOUT ROWID;"
                       "INSERT INTO idem_v1 SELECT tenant_id, key, operation, request, response, created_at "
                       "FROM idempotency; DROP TABLE idempotency; ALTER TABLE idem_v1 RENAME TO idempotency;"
                       "DROP INDEX accounts_program; CREATE INDEX accounts_program ON accounts(program_id, "
                       "last_activity_at); PRAGMA user_version = 1;",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  loyalty::EngineOptions o;
  o.storage.uri = uri;
  loyalty::Engine e = loyalty::Engine::open(o);
  loyalty::Session s = e.session(key);
  json replay = s.call("ledger.earn", {{"customer_id", customer}, {"points", 40}, {"idempotency_key", "order-1"}});
  CHECK(replay["replayed"] == true);
  CHECK(replay["entry"]["id"] == first["entry"]["id"]);
  CHECK(replay["balance"] == first["balance"]);
  LOY_REQUIRE_ERROR(s.call("ledger.earn", {{"customer_id", customer}, {"points", 41}, {"idempotency_key", "order-1"}}),
                    Status::conflict, "points");
  CHECK(s.call("ledger.balance", {{"customer_id", customer}})["available"] == 40);
}
