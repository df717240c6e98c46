// Personal data at rest (docs/security.md): envelope encryption of profile fields, the blind
// index, a file without the master key, the one-time encryption of a plain-text file, export and
// erasure. Every test on a file checks the file's bytes (database and write-ahead log), not only
// what the engine answers.
#include <sqlite3.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "raw_db.hpp"

using namespace loytest;

namespace {

constexpr const char* kMaster = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr const char* kOtherMaster = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

/// The seeded personal values: none of them may appear anywhere in the file in plain text.
const std::vector<std::string> kSecrets = {"Ada Lovelace-Byron", "ada.secret@example.org", "+44 20 7946 0958",
                                           "1815-12-10",         "12 St James's Square",   "NHS-4857773456"};

json seeded_profile() {
  return {{"name", kSecrets[0]},        {"email", kSecrets[1]},     {"phone", kSecrets[2]}, {"birthday", kSecrets[3]},
          {"address", kSecrets[4]},     {"health_id", kSecrets[5]},  // marked personal in the tenant's settings
          {"favourite_colour", "green"}};
}

struct FileEngine {
  std::shared_ptr<loyalty::ManualClock> clock = std::make_shared<loyalty::ManualClock>(kStart);
  loyalty::Engine engine;
  FileEngine(const std::string& uri, const std::string& master)
      : engine([&] {
          loyalty::EngineOptions o;
          o.storage.uri = uri;
          o.clock = clock;
          o.admin_key = kAdminKey;
          o.master_key = master;
          return loyalty::Engine::open(o);
        }()) {}
};

/// A tenant (marking health_id personal), its program and an admin session.
struct Tenant {
  loyalty::Session session;
  std::string program_id;
};
Tenant make_tenant(const loyalty::Engine& e, bool allow_reuse = false) {
  json settings = {{"security", {{"personal_fields", {"health_id"}}, {"allow_external_id_reuse", allow_reuse}}}};
  const json t = e.admin(kAdminKey).call("tenant.create", {{"name", "Acme"}, {"settings", settings}});
  loyalty::Session s = e.session(t["api_key"]["key"].get<std::string>());
  const std::string p = s.call("program.create", {{"name", "Main"}, {"currency", "EUR"}})["id"];
  return {s, p};
}

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// The needles found in the database file or its write-ahead log (raw bytes: live rows, free
/// pages, old frames).
std::vector<std::string> found_in_files(const std::string& db, const std::vector<std::string>& needles) {
  const std::string bytes = file_bytes(db) + file_bytes(db + "-wal");
  std::vector<std::string> out;
  for (const auto& n : needles)
    if (bytes.find(n) != std::string::npos) out.push_back(n);
  return out;
}

/// The needles found in any column of any row of any table (as SQLite reads them, after the
/// write-ahead log), events' payloads included.
std::vector<std::string> found_in_tables(const std::string& db, const std::vector<std::string>& needles) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  auto rows = [&](const std::string& sql, auto&& fn) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(raw, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) fn(st);
    sqlite3_finalize(st);
  };
  std::vector<std::string> tables;
  rows(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE "
      "'CREATE VIRTUAL%'",
      [&](sqlite3_stmt* st) { tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))); });
  CHECK(tables.size() > 20);
  std::vector<std::string> out;
  for (const auto& t : tables) {
    rows("SELECT * FROM \"" + t + "\"", [&](sqlite3_stmt* st) {
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        if (sqlite3_column_type(st, c) == SQLITE_NULL) continue;
        const auto* p = static_cast<const char*>(sqlite3_column_blob(st, c));
        const std::string v(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, c)));
        for (const auto& n : needles)
          if (v.find(n) != std::string::npos) out.push_back(t + ": " + n);
      }
    });
  }
  sqlite3_close(raw);
  return out;
}

}  // namespace

TEST_CASE("privacy: personal fields are sealed at rest; no table, event or file byte holds them") {
  TempDir dir;
  const std::string db = dir.db();
  std::string id;
  {
    FileEngine fe(db, kMaster);
    Tenant t = make_tenant(fe.engine);
    const json c = t.session.call("customer.enroll", {{"external_id", "crm-1"}, {"profile", seeded_profile()}});
    id = c["id"];
    CHECK(c["profile"] == seeded_profile());  // the caller sees what it gave
    CHECK(c["personal_data"] == "available");
    t.session.call("ledger.earn", {{"customer_id", id}, {"points", 120}});
    t.session.call("customer.update", {{"id", id}, {"preferences", {{"newsletter", true}}}});
    CHECK(t.session.call("customer.get", {{"id", id}})["profile"] == seeded_profile());
    CHECK(t.session.call("customer.list", json::object())["items"][0]["profile"] == seeded_profile());
    CHECK(!t.session.call("events.poll", json::object())["events"].empty());
  }
  // The non-personal field stays readable in the row; the personal ones are one sealed text.
  {
    RawDb raw(db);
    CHECK(raw.text("SELECT profile FROM customers") == std::string(R"({"favourite_colour":"green"})"));
    CHECK(raw.text("SELECT substr(personal, 1, 3) FROM customers") == std::string("v1:"));
    CHECK(raw.i64("SELECT count(*) FROM customer_keys") == 1);
    CHECK(raw.i64("SELECT count(*) FROM tenant_keys") == 1);
  }
  CHECK(found_in_tables(db, kSecrets).empty());
  CHECK(found_in_files(db, kSecrets).empty());
  // The master key itself is nowhere in the file, in hex or in raw bytes.
  CHECK(found_in_files(db, {kMaster}).empty());
}

TEST_CASE("privacy: a ciphertext moved to another customer's row does not open (bound to tenant and customer)") {
  TempDir dir;
  const std::string db = dir.db();
  FileEngine fe(db, kMaster);
  Tenant t = make_tenant(fe.engine);
  const std::string a = t.session.call("customer.enroll", {{"external_id", "a"}, {"profile", {{"name", "A"}}}})["id"];
  const std::string b = t.session.call("customer.enroll", {{"external_id", "b"}, {"profile", {{"name", "B"}}}})["id"];
  {
    RawDb raw(db);
    raw.exec("UPDATE customers SET personal = (SELECT personal FROM customers WHERE id = '" + a + "') WHERE id = '" +
             b + "'");
  }
  CHECK(t.session.call("customer.get", {{"id", a}})["profile"]["name"] == "A");
  LOY_REQUIRE_ERROR(t.session.call("customer.get", {{"id", b}}), Status::storage, "");
}

TEST_CASE("privacy: lookup by e-mail or phone goes through the blind index and follows updates") {
  World w;  // in memory: the engine makes up its own master key, the same code path
  const std::string id =
      w.call("customer.enroll",
             {{"external_id", "crm-1"}, {"profile", {{"email", "Ada@Example.org"}, {"phone", "+44 20 7946"}}}})["id"];
  w.enroll("crm-2");
  CHECK(w.call("customer.get", {{"email", "  ada@example.ORG "}})["id"] == id);
  CHECK(w.call("customer.get", {{"phone", "+44-20-7946"}})["id"] == id);
  LOY_REQUIRE_ERROR(w.call("customer.get", {{"email", "bob@example.org"}}), Status::not_found, "email");
  LOY_REQUIRE_ERROR(w.call("customer.get", {{"email", "a@b.c"}, {"phone", "1"}}), Status::invalid, "id");
  w.call("customer.update", {{"id", id}, {"profile", {{"email", "new@example.org"}}}});
  LOY_REQUIRE_ERROR(w.call("customer.get", {{"email", "ada@example.org"}}), Status::not_found, "email");
  LOY_REQUIRE_ERROR(w.call("customer.get", {{"phone", "+44 20 7946"}}), Status::not_found, "phone");
  CHECK(w.call("customer.get", {{"email", "new@example.org"}})["id"] == id);
  // Another tenant's index is keyed by its own tenant key: the same e-mail is not found there.
  auto [other, program] = w.other_tenant("Other");
  LOY_REQUIRE_ERROR(other.call("customer.get", {{"email", "new@example.org"}}), Status::not_found, "email");
}

TEST_CASE("privacy: without the master key the engine opens, the ledger works, personal fields are unavailable") {
  TempDir dir;
  const std::string db = dir.db();
  std::string id, key;
  {
    FileEngine fe(db, kMaster);
    Tenant t = make_tenant(fe.engine);
    key = t.session.call("apikey.create", {{"scopes", {"admin"}}})["key"];
    id = t.session.call("customer.enroll", {{"external_id", "crm-1"}, {"profile", seeded_profile()}})["id"];
    t.session.call("ledger.earn", {{"customer_id", id}, {"points", 50}});
  }
  SUBCASE("no key") {
    FileEngine fe(db, "");
    loyalty::Session s = fe.engine.session(key);
    CHECK(s.call("ledger.earn", {{"customer_id", id}, {"points", 5}})["balance"]["balance"] == 55);
    CHECK(s.call("ledger.verify", json::object())["ok"] == true);
    const json c = s.call("customer.get", {{"id", id}});
    CHECK(c["personal_data"] == "unavailable");
    CHECK(c["profile"] == json{{"favourite_colour", "green"}});
    LOY_REQUIRE_ERROR(s.call("customer.get", {{"email", kSecrets[1]}}), Status::unavailable, "email");
    // Personal fields cannot be written without the key; the rest can, and nothing else changed.
    LOY_REQUIRE_ERROR(s.call("customer.enroll", {{"external_id", "crm-2"}, {"profile", {{"email", "x@y.z"}}}}),
                      Status::unavailable, "profile");
    LOY_REQUIRE_ERROR(s.call("customer.get", {{"external_id", "crm-2"}}), Status::not_found, "external_id");
    CHECK(s.call("customer.enroll", {{"external_id", "crm-3"}, {"profile", {{"tier_hint", "x"}}}})["personal_data"] ==
          "available");
    // Replacing the profile without the key keeps the sealed fields the caller cannot see.
    s.call("customer.update", {{"id", id}, {"profile", {{"favourite_colour", "blue"}}}});
  }
  SUBCASE("another key is refused at open") {
    try {
      FileEngine fe(db, kOtherMaster);
      FAIL("expected forbidden");
    } catch (const loyalty::Error& e) {
      CHECK(e.status() == Status::forbidden);
      CHECK(e.field() == "master_key");
    }
  }
  SUBCASE("a malformed key is invalid") {
    LOY_REQUIRE_ERROR(FileEngine(db, "not-a-key"), Status::invalid, "master_key");
  }
  SUBCASE("the same key again reads everything") {
    FileEngine fe(db, kMaster);
    CHECK(fe.engine.session(key).call("customer.get", {{"email", kSecrets[1]}})["profile"] == seeded_profile());
  }
  SUBCASE("an update without the key, then the key: the sealed fields are still there") {
    {
      FileEngine fe(db, "");
      fe.engine.session(key).call("customer.update", {{"id", id}, {"profile", {{"favourite_colour", "blue"}}}});
    }
    FileEngine fe(db, kMaster);
    json expected = seeded_profile();
    expected["favourite_colour"] = "blue";
    CHECK(fe.engine.session(key).call("customer.get", {{"email", kSecrets[1]}})["profile"] == expected);
  }
}

TEST_CASE("privacy: a file written in plain text is sealed on the first open with a master key") {
  TempDir dir;
  const std::string db = dir.db();
  std::string id, key;
  {
    FileEngine fe(db, "");  // a file of the previous behaviour: personal fields in plain text
    Tenant t = make_tenant(fe.engine);
    key = t.session.call("apikey.create", {{"scopes", {"admin"}}})["key"];
    id = t.session.call("customer.enroll", {{"external_id", "crm-1"}, {"profile", seeded_profile()}})["id"];
    t.session.call("ledger.earn", {{"customer_id", id}, {"points", 70}});
    CHECK(t.session.call("customer.get", {{"email", kSecrets[1]}})["id"] == id);  // plain lookup
  }
  CHECK(!found_in_tables(db, kSecrets).empty());
  {
    FileEngine fe(db, kMaster);
    loyalty::Session s = fe.engine.session(key);
    CHECK(s.call("customer.get", {{"id", id}})["profile"] == seeded_profile());
    CHECK(s.call("customer.get", {{"phone", kSecrets[2]}})["id"] == id);
    CHECK(s.call("ledger.balance", {{"customer_id", id}})["balance"] == 70);
  }
  CHECK(found_in_tables(db, kSecrets).empty());
  CHECK(found_in_files(db, kSecrets).empty());  // secure delete: no plain copy in free space
}

TEST_CASE("privacy: customer.export gives profile, accounts, ledger, holds, redemptions, check-ins and audit") {
  World w;
  const std::string id = w.call("customer.enroll", {{"external_id", "crm-1"}, {"profile", seeded_profile()}})["id"];
  w.earn(id, 300);
  const json hold = w.call("hold.create", {{"customer_id", id}, {"points", 40}});
  w.call("hold.commit", {{"id", hold["hold"]["id"]}});
  w.call("customer.update", {{"id", id}, {"segments", {"vip"}}});
  const json x = w.call("customer.export", {{"id", id}});
  CHECK(x["format"] == "loyalty.customer-export/1");
  CHECK(x["customer"]["profile"]["email"] == kSecrets[1]);
  REQUIRE(x["accounts"].size() == 1);
  CHECK(x["accounts"][0]["program_id"] == w.program_id);
  CHECK(x["accounts"][0]["balance"]["balance"] == 260);
  CHECK(x["accounts"][0]["entries"].size() == 2);
  REQUIRE(x["accounts"][0]["holds"].size() == 1);
  CHECK(x["accounts"][0]["holds"][0]["id"] == hold["hold"]["id"]);
  CHECK(x["redemptions"].is_array());
  CHECK(x["checkins"].is_array());
  json actions = json::array();
  for (const auto& a : x["audit"]) actions.push_back(a["action"]);
  CHECK(actions == json::array({"customer.enroll", "customer.update"}));
  LOY_REQUIRE_ERROR(w.call("customer.export", {{"id", "cus_nope"}}), Status::not_found, "id");
  auto [other, program] = w.other_tenant("Other");
  LOY_REQUIRE_ERROR(other.call("customer.export", {{"id", id}}), Status::not_found, "id");
}

TEST_CASE("privacy: customer.erase destroys the key and personal data; the ledger and the audit chain hold") {
  TempDir dir;
  const std::string db = dir.db();
  FileEngine fe(db, kMaster);
  Tenant t = make_tenant(fe.engine);
  const std::string id =
      t.session.call("customer.enroll", {{"external_id", "crm-1"}, {"profile", seeded_profile()}})["id"];
  const std::string keep =
      t.session.call("customer.enroll", {{"external_id", "crm-2"}, {"profile", {{"name", "Kept Person"}}}})["id"];
  t.session.call("ledger.earn", {{"customer_id", id}, {"points", 120}});
  // What would let someone holding the master key and a copy of the file read the customer.
  std::string sealed, wrapped;
  {
    RawDb raw(db);
    sealed = *raw.text("SELECT personal FROM customers WHERE id = ?1", {id});
    wrapped = *raw.text("SELECT wrapped FROM customer_keys WHERE customer_id = ?1", {id});
  }
  REQUIRE(found_in_files(db, {sealed.substr(3, 40), wrapped.substr(3, 40)}).size() == 2);

  const json r = t.session.call("customer.erase", {{"id", id}});
  CHECK(r["already_erased"] == false);
  CHECK(r["external_id"] == "crm-1");  // kept: the tenant does not allow reuse
  CHECK(r["log_truncated"] == true);
  const json c = t.session.call("customer.get", {{"id", id}});
  CHECK(c["personal_data"] == "erased");
  CHECK(c["profile"] == json::object());
  CHECK(t.session.call("customer.get", {{"id", keep}})["profile"]["name"] == "Kept Person");
  LOY_REQUIRE_ERROR(t.session.call("customer.get", {{"email", kSecrets[1]}}), Status::not_found, "email");
  // The ledger stays: balance, verify, the audit chain (with the erasure in it).
  CHECK(t.session.call("ledger.balance", {{"customer_id", id}})["balance"] == 120);
  CHECK(t.session.call("ledger.verify", json::object())["ok"] == true);
  CHECK(t.session.call("audit.verify", json::object())["ok"] == true);
  CHECK(t.session.call("audit.list", {{"action", "customer.erase"}})["items"][0]["target"] == id);
  // The external id is not free for another customer.
  LOY_REQUIRE_ERROR(t.session.call("customer.enroll", {{"external_id", "crm-1"}}), Status::conflict, "external_id");
  // Again: nothing changes. Its profile cannot be written again.
  CHECK(t.session.call("customer.erase", {{"id", id}})["already_erased"] == true);
  LOY_REQUIRE_ERROR(t.session.call("customer.update", {{"id", id}, {"profile", {{"name", "Back"}}}}), Status::conflict,
                    "id");
  // Not recoverable from the file: no key row, no sealed text, in the database or its log.
  {
    RawDb raw(db);
    CHECK(raw.i64("SELECT count(*) FROM customer_keys WHERE customer_id = ?1", {id}) == 0);
    CHECK(raw.i64("SELECT count(*) FROM customer_lookup WHERE customer_id = ?1", {id}) == 0);
  }
  CHECK(found_in_files(db, {sealed.substr(3, 40), wrapped.substr(3, 40)}).empty());
  CHECK(found_in_files(db, kSecrets).empty());
}

TEST_CASE("privacy: erase releases the external id when the tenant allows it; plain files are overwritten too") {
  TempDir dir;
  const std::string db = dir.db();
  FileEngine fe(db, "");  // plain-text file: erasure relies on overwriting alone
  Tenant t = make_tenant(fe.engine, true);
  const std::string id =
      t.session.call("customer.enroll", {{"external_id", "crm-1"}, {"profile", seeded_profile()}})["id"];
  t.session.call("checkin.submit", {{"customer_id", id},
                                    {"lat", 51.5074},
                                    {"lon", -0.1278},
                                    {"accuracy_m", 10},
                                    {"device", {{"model", "Pixel-Secret-Model"}}}});
  REQUIRE(!found_in_files(db, {kSecrets[1], "Pixel-Secret-Model"}).empty());
  const json r = t.session.call("customer.erase", {{"id", id}});
  CHECK(r["external_id"] == "erased:" + id);
  const json again = t.session.call("customer.enroll", {{"external_id", "crm-1"}});
  CHECK(again["id"] != id);
  const json ci = t.session.call("checkin.list", {{"customer_id", id}})["items"][0];
  CHECK(ci["lat"] == 0);
  CHECK(ci["device"] == json::object());
  CHECK(found_in_files(db, {kSecrets[0], kSecrets[1], kSecrets[2], kSecrets[4], "Pixel-Secret-Model"}).empty());
  CHECK(t.session.call("audit.verify", json::object())["ok"] == true);
}
