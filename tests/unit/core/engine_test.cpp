#include <algorithm>
#include <string>

#include "fixture.hpp"

using namespace loytest;

TEST_CASE("engine: a closed engine refuses every later call with misuse") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 10);
  const std::string key = w.tenant["api_key"]["key"];
  CHECK_FALSE(w.engine.closed());
  w.engine.close();
  CHECK(w.engine.closed());
  w.engine.close();  // idempotent
  CHECK(w.engine.closed());
  LOY_REQUIRE_ERROR(w.earn(c, 1), Status::misuse, "");
  LOY_REQUIRE_ERROR(w.balance(c), Status::misuse, "");
  LOY_REQUIRE_ERROR(w.call("ledger.verify", json::object()), Status::misuse, "");
  LOY_REQUIRE_ERROR(w.admin.call("tenant.list", json::object()), Status::misuse, "");
  LOY_REQUIRE_ERROR(w.engine.session(key), Status::misuse, "");
  LOY_REQUIRE_ERROR(w.engine.admin(kAdminKey), Status::misuse, "");
  // Misuse is checked before the operation is looked up.
  LOY_REQUIRE_ERROR(w.call("no.such_op", json::object()), Status::misuse, "");
}

TEST_CASE("engine: a wrong admin credential is forbidden") {
  World w;
  LOY_REQUIRE_ERROR(w.engine.admin("not-the-admin-credential-000000"), Status::forbidden, "");
  LOY_REQUIRE_ERROR(w.engine.admin(""), Status::forbidden, "");
  LOY_REQUIRE_ERROR(w.engine.admin(std::string(kAdminKey) + "x"), Status::forbidden, "");
  CHECK_NOTHROW(w.engine.admin(kAdminKey));
}

TEST_CASE("engine: without a recorded admin credential no admin can be authenticated") {
  loyalty::EngineOptions o;
  auto e = loyalty::Engine::open(o);
  LOY_REQUIRE_ERROR(e.admin(kAdminKey), Status::forbidden, "");
}

TEST_CASE("engine: an admin credential shorter than 16 bytes is invalid") {
  loyalty::EngineOptions o;
  o.admin_key = "short-key";
  LOY_REQUIRE_ERROR(loyalty::Engine::open(o), Status::invalid, "admin_key");
}

TEST_CASE("engine: the first recorded admin credential stays; later opens may omit it but not change it") {
  TempDir dir;
  const std::string uri = "sqlite://" + dir.db();
  { World w(json::object(), uri, loyalty::SyncMode::normal); }
  loyalty::EngineOptions o;
  o.storage.uri = uri;
  auto e = loyalty::Engine::open(o);
  CHECK_NOTHROW(e.admin(kAdminKey));
  o.admin_key = "another-admin-credential-99999999";
  LOY_REQUIRE_ERROR(loyalty::Engine::open(o), Status::forbidden, "admin_key");
  o.admin_key = kAdminKey;
  CHECK_NOTHROW(loyalty::Engine::open(o).admin(kAdminKey));
}

TEST_CASE("engine: a storage URI with a NUL byte is invalid naming uri, and no file is opened or created") {
  // SQLite ends a path at its first NUL: "dir/a\0b.db" would open "dir/a".
  TempDir dir;
  const std::string a = dir.db("a");
  using namespace std::string_literals;
  for (const std::string& uri :
       {a + "\0b.db"s, "sqlite://"s + a + "\0b.db"s, a + "\0"s, "\0"s + a, ":memory:\0"s, "file:"s + a + "%00b.db"s}) {
    CAPTURE(uri);
    loyalty::EngineOptions o;
    o.storage.uri = uri;
    o.admin_key = kAdminKey;
    LOY_REQUIRE_ERROR(loyalty::Engine::open(o), Status::invalid, "uri");
  }
  CHECK(std::filesystem::is_empty(dir.path));
}

TEST_CASE("engine: unknown operations are invalid naming 'operation'") {
  World w;
  LOY_REQUIRE_ERROR(w.call("ledger.steal", json::object()), Status::invalid, "operation");
  LOY_REQUIRE_ERROR(w.admin.call("ledger.earn", json::object()), Status::invalid, "operation");
  // Engine-level operations are not reachable through a tenant session.
  LOY_REQUIRE_ERROR(w.call("tenant.create", {{"name", "x"}}), Status::invalid, "operation");
}

TEST_CASE("engine: the operation lists name every session and admin operation, sorted") {
  const auto s = loyalty::session_operations();
  const auto a = loyalty::admin_operations();
  CHECK(std::is_sorted(s.begin(), s.end()));
  CHECK(std::is_sorted(a.begin(), a.end()));
  for (const char* op :
       {"ledger.earn",     "ledger.earn_batch", "ledger.adjust",   "ledger.reverse",   "ledger.confirm",
        "ledger.balance",  "ledger.history",    "ledger.entry",    "ledger.run_due",   "ledger.verify",
        "hold.create",     "hold.commit",       "hold.void",       "hold.get",         "program.create",
        "program.get",     "program.list",      "program.update",  "program.activate", "program.deactivate",
        "customer.enroll", "customer.get",      "customer.update", "customer.list",    "session.info",
        "apikey.create",   "apikey.list",       "apikey.revoke",   "audit.list",       "audit.verify"}) {
    CAPTURE(op);
    CHECK(std::find(s.begin(), s.end(), op) != s.end());
  }
  for (const char* op : {"tenant.create", "tenant.get", "tenant.list", "tenant.update", "tenant.deactivate",
                         "tenant.activate", "apikey.create", "audit.list", "audit.verify"}) {
    CAPTURE(op);
    CHECK(std::find(a.begin(), a.end(), op) != a.end());
  }
}

TEST_CASE("engine: session.info names the tenant, the key and its scopes") {
  World w;
  json info = w.call("session.info", json::object());
  CHECK(info["tenant"]["id"] == w.tenant["tenant"]["id"]);
  CHECK(info["key_id"] == w.tenant["api_key"]["id"]);
  CHECK(info["scopes"] == json::array({"admin"}));
  CHECK(w.session.tenant_id() == w.tenant["tenant"]["id"].get<std::string>());
  LOY_REQUIRE_ERROR(w.call("session.info", {{"x", 1}}), Status::invalid, "x");
}
