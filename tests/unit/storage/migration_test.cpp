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
  json first;
  std::string key, customer;
  {
    World w(json::object(), "sqlite://" + dir.db("latest.db"));
    customer = w.enroll("c1");
    key = w.tenant["api_key"]["key"].get<std::string>();
    first = w.earn(customer, 40, {{"idempotency_key", "order-1"}});
  }
  // A version-1 file holding the same rows: every version-1 table filled from the latest file.
  {
    loyalty::StorageOptions o;
    o.uri = "sqlite://" + dir.db("v1.db");
    loyalty::storage::Pool pool(o);
    loyalty::storage::migrate(pool, 1);
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.db("v1.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, ("ATTACH '" + dir.db("latest.db") + "' AS src").c_str(), nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  std::vector<std::pair<std::string, std::string>> copies;  // table, its version-1 columns
  {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db,
                               "SELECT m.name, group_concat(p.name, ', ') FROM main.sqlite_schema m, "
                               "pragma_table_info(m.name) p WHERE m.type = 'table' GROUP BY m.name",
                               -1, &st, nullptr) == SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
      copies.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                          reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
    sqlite3_finalize(st);
  }
  REQUIRE(copies.size() > 10);
  for (const auto& [table, cols] : copies) {
    CAPTURE(table);
    const std::string sql = "INSERT INTO main." + table + "(" + cols + ") SELECT " + cols + " FROM src." + table;
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  sqlite3_close(db);

  loyalty::EngineOptions o;
  o.storage.uri = "sqlite://" + dir.db("v1.db");
  loyalty::Engine e = loyalty::Engine::open(o);
  loyalty::Session s = e.session(key);
  json replay = s.call("ledger.earn", {{"customer_id", customer}, {"points", 40}, {"idempotency_key", "order-1"}});
  CHECK(replay["replayed"] == true);
  CHECK(replay["entry"]["id"] == first["entry"]["id"]);
  CHECK(replay["balance"] == first["balance"]);
  LOY_REQUIRE_ERROR(s.call("ledger.earn", {{"customer_id", customer}, {"points", 41}, {"idempotency_key", "order-1"}}),
                    Status::conflict, "points");
  CHECK(s.call("ledger.balance", {{"customer_id", customer}})["available"] == 40);
  CHECK(s.call("ledger.verify", json::object())["ok"] == true);
}
