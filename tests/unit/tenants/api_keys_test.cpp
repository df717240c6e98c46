#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "crypto/crypto.hpp"
#include "engine/engine_state.hpp"
#include "fixture.hpp"
#include "raw_db.hpp"

using namespace loytest;

namespace {

json new_key(const World& w, json scopes, const std::string& name = "key") {
  return w.call("apikey.create", {{"name", name}, {"scopes", std::move(scopes)}});
}

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

json find_key(const json& list, const std::string& id) {
  for (const auto& k : list["items"])
    if (k["id"] == id) return k;
  return nullptr;
}

}  // namespace

TEST_CASE("api keys: a new key is loy_<prefix>_<secret> with 256 random bits, shown once") {
  World w;
  json k = new_key(w, {"pos"}, "till 1");
  const std::string key = k["key"];
  REQUIRE(key.size() == 4 + 8 + 1 + 52);
  CHECK(key.substr(0, 4) == "loy_");
  CHECK(key.substr(4, 8) == k["prefix"].get<std::string>());
  CHECK(key[12] == '_');
  CHECK(k["name"] == "till 1");
  CHECK(k["scopes"] == json::array({"pos"}));
  CHECK(k["created_at"] == "2026-03-01T12:00:00.000Z");
  CHECK(new_key(w, {"pos"})["key"] != k["key"]);

  json list = w.call("apikey.list", json::object());
  CHECK(list["items"].size() == 3);  // the tenant's initial key and the two new ones
  for (const auto& item : list["items"]) {
    CHECK_FALSE(item.contains("key"));
    CHECK_FALSE(item.contains("hash"));
  }
  CHECK(list.dump().find(key.substr(13)) == std::string::npos);
  json listed = find_key(list, k["id"]);
  REQUIRE(listed.is_object());
  CHECK(listed["prefix"] == k["prefix"]);
  CHECK(listed["revoked_at"].is_null());
}

TEST_CASE("api keys: only a SHA-256 hash of the key is stored; the secret is nowhere in the database files") {
  TempDir dir;
  World w(json::object(), "sqlite://" + dir.db(), loyalty::SyncMode::normal);
  json k = new_key(w, {"read"});
  const std::string key = k["key"];
  {
    RawDb db(dir.db());
    const auto hash = db.text("SELECT hash FROM api_keys WHERE id = ?1", {k["id"].get<std::string>()});
    REQUIRE(hash.has_value());
    CHECK(*hash != key);
    CHECK(hash->size() == 64);
    CHECK(*hash == loyalty::crypto::sha256_hex(key));
    CHECK(db.i64("SELECT COUNT(*) FROM api_keys WHERE hash LIKE ?1 OR prefix = ?2",
                 {"%" + key.substr(13) + "%", key.substr(13)}) == 0);
  }
  const std::string secret = key.substr(13);
  for (const char* suffix : {"", "-wal"}) {
    const std::string path = dir.db() + suffix;
    if (!std::filesystem::exists(path)) continue;
    CAPTURE(path);
    CHECK(file_bytes(path).find(secret) == std::string::npos);
  }
  // The initial key of the tenant is stored the same way.
  RawDb db(dir.db());
  CHECK(db.text("SELECT hash FROM api_keys WHERE id = ?1", {w.tenant["api_key"]["id"].get<std::string>()}) ==
        loyalty::crypto::sha256_hex(w.tenant["api_key"]["key"].get<std::string>()));
}

TEST_CASE("api keys: a revoked key cannot open a session and its open sessions fail their next write") {
  World w;
  const auto c = w.enroll("c1");
  json k = new_key(w, {"pos"});
  auto s = w.engine.session(k["key"].get<std::string>());
  s.call("ledger.earn", {{"customer_id", c}, {"points", 10}});
  w.clock->advance(1000);
  json revoked = w.call("apikey.revoke", {{"id", k["id"]}});
  CHECK(revoked["revoked_at"] == "2026-03-01T12:00:01.000Z");
  LOY_REQUIRE_ERROR(w.engine.session(k["key"].get<std::string>()), Status::forbidden, "");
  LOY_REQUIRE_ERROR(s.call("ledger.earn", {{"customer_id", c}, {"points", 10}}), Status::forbidden, "");
  LOY_REQUIRE_ERROR(s.call("customer.enroll", {{"external_id", "c2"}}), Status::forbidden, "");
  LOY_REQUIRE_ERROR(s.call("hold.create", {{"customer_id", c}, {"points", 1}}), Status::forbidden, "");
  CHECK(w.balance(c)["balance"] == 10);

  // Revoking again keeps the first revocation time and is audited once.
  w.clock->advance(1000);
  CHECK(w.call("apikey.revoke", {{"id", k["id"]}})["revoked_at"] == "2026-03-01T12:00:01.000Z");
  CHECK(w.call("audit.list", {{"action", "api_key.revoke"}, {"target", k["id"]}})["items"].size() == 1);
  // Lists hide revoked keys unless asked.
  CHECK(find_key(w.call("apikey.list", json::object()), k["id"]).is_null());
  json all = w.call("apikey.list", {{"include_revoked", true}});
  CHECK(find_key(all, k["id"])["revoked_at"] == "2026-03-01T12:00:01.000Z");
  LOY_REQUIRE_ERROR(w.call("apikey.revoke", {{"id", "key_nope"}}), Status::not_found, "id");
  w.require_verified();
}

TEST_CASE("api keys: an open session of a revoked key loses read access too, within the revalidation interval") {
  World w;
  const auto c = w.enroll("c1");
  json k = new_key(w, {"read"});
  auto s = w.engine.session(k["key"].get<std::string>());
  CHECK(s.call("ledger.balance", {{"customer_id", c}})["balance"] == 0);
  w.call("apikey.revoke", {{"id", k["id"]}});
  w.clock->advance(loyalty::detail::kRevalidateMs);
  LOY_REQUIRE_ERROR(s.call("ledger.balance", {{"customer_id", c}}), Status::forbidden, "");
  LOY_REQUIRE_ERROR(s.call("customer.list", json::object()), Status::forbidden, "");
  // Other keys of the tenant are unaffected.
  CHECK(w.balance(c)["balance"] == 0);
}

TEST_CASE(
    "api keys: a session that revokes its own key cannot write afterwards; the engine admin can issue a new one") {
  World w;
  const std::string tenant = w.tenant["tenant"]["id"];
  json r = w.call("apikey.revoke", {{"id", w.tenant["api_key"]["id"]}});
  CHECK_FALSE(r["revoked_at"].is_null());
  LOY_REQUIRE_ERROR(w.enroll("c1"), Status::forbidden, "");
  LOY_REQUIRE_ERROR(w.engine.session(w.tenant["api_key"]["key"].get<std::string>()), Status::forbidden, "");

  json k = w.admin.call("apikey.create", {{"tenant_id", tenant}, {"name", "recovery"}, {"scopes", {"admin"}}});
  auto s = w.engine.session(k["key"].get<std::string>());
  CHECK(s.tenant_id() == tenant);
  CHECK(s.call("customer.enroll", {{"external_id", "c1"}})["external_id"] == "c1");
  LOY_REQUIRE_ERROR(w.admin.call("apikey.create", {{"tenant_id", "ten_nope"}, {"scopes", {"admin"}}}),
                    Status::not_found, "tenant_id");
}

TEST_CASE("api keys: scopes must be a non-empty list of admin, pos and read") {
  World w;
  LOY_REQUIRE_ERROR(w.call("apikey.create", {{"name", "x"}}), Status::invalid, "scopes");
  LOY_REQUIRE_ERROR(new_key(w, json::array()), Status::invalid, "scopes");
  LOY_REQUIRE_ERROR(new_key(w, {"pos", "root"}), Status::invalid, "scopes[1]");
  LOY_REQUIRE_ERROR(new_key(w, "admin"), Status::invalid, "scopes");
  LOY_REQUIRE_ERROR(w.call("apikey.create", {{"scopes", {"read"}}, {"secret", "mine"}}), Status::invalid, "secret");
  CHECK(new_key(w, {"read", "pos", "read"})["scopes"] == json::array({"pos", "read"}));
  CHECK(w.call("apikey.list", json::object())["items"].size() == 2);
}

TEST_CASE("api keys: a read key reads but cannot write") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 30);
  auto s = w.engine.session(new_key(w, {"read"})["key"].get<std::string>());
  CHECK(s.call("ledger.balance", {{"customer_id", c}})["balance"] == 30);
  CHECK(s.call("ledger.history", {{"customer_id", c}})["items"].size() == 1);
  CHECK(s.call("customer.get", {{"id", c}})["id"] == c);
  CHECK(s.call("program.list", json::object())["items"].size() == 1);
  CHECK(s.call("ledger.verify", json::object())["ok"] == true);
  LOY_REQUIRE_ERROR(s.call("ledger.earn", {{"customer_id", c}, {"points", 1}}), Status::forbidden, "scope");
  LOY_REQUIRE_ERROR(s.call("hold.create", {{"customer_id", c}, {"points", 1}}), Status::forbidden, "scope");
  LOY_REQUIRE_ERROR(s.call("customer.enroll", {{"external_id", "c2"}}), Status::forbidden, "scope");
  LOY_REQUIRE_ERROR(s.call("ledger.adjust", {{"customer_id", c}, {"points", 1}, {"reason", "r"}}), Status::forbidden,
                    "scope");
  LOY_REQUIRE_ERROR(s.call("apikey.list", json::object()), Status::forbidden, "scope");
  CHECK(w.balance(c)["balance"] == 30);
}

TEST_CASE("api keys: a pos key earns and reads but cannot adjust or administer") {
  World w;
  const auto c = w.enroll("c1");
  auto s = w.engine.session(new_key(w, {"pos"})["key"].get<std::string>());
  CHECK(s.call("ledger.earn", {{"customer_id", c}, {"points", 20}})["balance"]["balance"] == 20);
  CHECK(s.call("ledger.balance", {{"customer_id", c}})["balance"] == 20);  // pos covers read
  CHECK(s.call("customer.enroll", {{"external_id", "c2"}})["external_id"] == "c2");
  json h = s.call("hold.create", {{"customer_id", c}, {"points", 5}});
  CHECK(s.call("hold.commit", {{"id", h["hold"]["id"]}})["balance"]["balance"] == 15);
  LOY_REQUIRE_ERROR(s.call("ledger.adjust", {{"customer_id", c}, {"points", 100}, {"reason", "gift"}}),
                    Status::forbidden, "scope");
  LOY_REQUIRE_ERROR(s.call("ledger.run_due", json::object()), Status::forbidden, "scope");
  LOY_REQUIRE_ERROR(s.call("program.create", {{"name", "P"}, {"currency", "EUR"}}), Status::forbidden, "scope");
  LOY_REQUIRE_ERROR(s.call("apikey.create", {{"scopes", {"admin"}}}), Status::forbidden, "scope");
  LOY_REQUIRE_ERROR(s.call("audit.list", json::object()), Status::forbidden, "scope");
  CHECK(w.balance(c)["balance"] == 15);
  // The admin key can do what pos could not.
  CHECK(w.call("ledger.adjust", {{"customer_id", c}, {"points", 100}, {"reason", "gift"}})["balance"]["balance"] ==
        115);
  w.require_verified();
}

TEST_CASE("api keys: last_used_at is set when a session opens, to a minute's resolution") {
  World w;
  json k = new_key(w, {"read"});
  const std::string id = k["id"];
  CHECK(find_key(w.call("apikey.list", json::object()), id)["last_used_at"].is_null());
  w.clock->advance(10'000);
  w.engine.session(k["key"].get<std::string>());
  CHECK(find_key(w.call("apikey.list", json::object()), id)["last_used_at"] == "2026-03-01T12:00:10.000Z");
  w.clock->advance(30'000);
  w.engine.session(k["key"].get<std::string>());
  CHECK(find_key(w.call("apikey.list", json::object()), id)["last_used_at"] == "2026-03-01T12:00:10.000Z");
  w.clock->advance(30'000);
  w.engine.session(k["key"].get<std::string>());
  CHECK(find_key(w.call("apikey.list", json::object()), id)["last_used_at"] == "2026-03-01T12:01:10.000Z");
}

TEST_CASE("api keys: malformed, unknown and tampered keys are forbidden") {
  World w;
  const std::string key = w.tenant["api_key"]["key"];
  std::string wrong_secret = key;
  wrong_secret.back() = wrong_secret.back() == '0' ? '1' : '0';
  std::string wrong_prefix = key;
  wrong_prefix[4] = wrong_prefix[4] == '0' ? '1' : '0';
  for (const std::string& bad : std::initializer_list<std::string>{
           "", "loy_", "garbage", key + "x", key.substr(0, key.size() - 1), "xoy" + key.substr(3),
           key.substr(0, 12) + "-" + key.substr(13), wrong_secret, wrong_prefix, std::string(key.size(), '\0')}) {
    CAPTURE(bad);
    LOY_REQUIRE_ERROR(w.engine.session(bad), Status::forbidden, "");
  }
  CHECK_NOTHROW(w.engine.session(key));
}

TEST_CASE("api keys: with a frozen engine clock, revocation still reaches reads after real time passes") {
  World w;
  const auto c = w.enroll("c1");
  json k = new_key(w, {"read"});
  auto s = w.engine.session(k["key"].get<std::string>());
  CHECK(s.call("ledger.balance", {{"customer_id", c}})["balance"] == 0);
  w.call("apikey.revoke", {{"id", k["id"]}});
  std::this_thread::sleep_for(std::chrono::milliseconds(loyalty::detail::kRevalidateMs + 50));
  LOY_REQUIRE_ERROR(s.call("ledger.balance", {{"customer_id", c}}), Status::forbidden, "");
}
