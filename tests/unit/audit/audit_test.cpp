// The audit log: every administrative action is a row in a hash chain (one chain per tenant,
// one for the engine administrator); tampering is detected by audit.verify.
#include <sqlite3.h>

#include <string>
#include <vector>

#include "fixture.hpp"
#include "raw_db.hpp"

using namespace loytest;

namespace {

std::vector<std::string> actions(const json& list) {
  std::vector<std::string> out;
  for (const auto& row : list["items"]) out.push_back(row["action"]);
  return out;
}

json rows_for(const json& list, const std::string& action, const std::string& target) {
  json out = json::array();
  for (const auto& row : list["items"])
    if (row["action"] == action && row["target"] == target) out.push_back(row);
  return out;
}

}  // namespace

TEST_CASE("audit: tenant creation, update and deactivation are rows in the engine chain") {
  World w;
  const std::string id = w.tenant["tenant"]["id"];
  w.clock->advance(1000);
  w.admin.call("tenant.update", {{"id", id}, {"name", "Renamed"}, {"settings", {{"branding", {{"c", 1}}}}}});
  w.admin.call("tenant.deactivate", {{"id", id}});
  w.admin.call("tenant.activate", {{"id", id}});
  json log = w.admin.call("audit.list", {{"limit", 1000}});
  json created = rows_for(log, "tenant.create", id);
  REQUIRE(created.size() == 1);
  CHECK(created[0]["actor"] == "admin");
  CHECK(created[0]["detail"]["slug"] == w.tenant["tenant"]["slug"]);
  CHECK(created[0]["at"] == "2026-03-01T12:00:00.000Z");
  json updated = rows_for(log, "tenant.update", id);
  REQUIRE(updated.size() == 1);
  CHECK(updated[0]["detail"]["fields"] == json::array({"name", "settings"}));
  CHECK(updated[0]["at"] == "2026-03-01T12:00:01.000Z");
  CHECK(rows_for(log, "tenant.deactivate", id).size() == 1);
  CHECK(rows_for(log, "tenant.activate", id).size() == 1);
  // The engine chain holds no tenant-level rows.
  for (const auto& a : actions(log)) CHECK(a.rfind("tenant.", 0) == 0);
  json v = w.admin.call("audit.verify", json::object());
  CHECK(v["ok"] == true);
  CHECK(v["rows_checked"] == log["items"].size());
  CHECK(v["first_bad_seq"].is_null());
}

TEST_CASE("audit: key, program, customer and adjustment actions are rows in the tenant's chain") {
  World w;
  const std::string actor = "key:" + w.tenant["api_key"]["prefix"].get<std::string>();
  json key = w.call("apikey.create", {{"scopes", {"pos"}}});
  w.call("apikey.revoke", {{"id", key["id"]}});
  w.call("program.update", {{"id", w.program_id}, {"pending_days", 3}});
  const std::string c =
      w.call("customer.enroll", {{"external_id", "crm-1"}, {"profile", {{"email", "ada@example.com"}}}})["id"];
  w.call("customer.update", {{"id", c}, {"profile", {{"email", "grace@example.com"}}}, {"segments", {"vip"}}});
  const std::string adj =
      w.call("ledger.adjust", {{"customer_id", c}, {"points", 12}, {"reason", "apology"}})["entry"]["id"];
  w.earn(c, 5);  // earning is not an administrative action

  json log = w.call("audit.list", {{"limit", 1000}});
  CHECK(actions(log) == std::vector<std::string>{"api_key.create", "program.create", "api_key.create", "api_key.revoke",
                                                 "program.update", "customer.enroll", "customer.update",
                                                 "ledger.adjust"});
  // The initial key is created by the engine administrator, the rest by the session's key.
  CHECK(log["items"][0]["actor"] == "admin");
  for (size_t n = 1; n < log["items"].size(); ++n) CHECK(log["items"][n]["actor"] == actor);
  CHECK(rows_for(log, "api_key.create", key["id"])[0]["detail"] ==
        json{{"prefix", key["prefix"]}, {"scopes", {"pos"}}});
  CHECK(rows_for(log, "api_key.revoke", key["id"]).size() == 1);
  CHECK(rows_for(log, "program.create", w.program_id)[0]["detail"]["program"]["name"] == "Main");
  CHECK(rows_for(log, "program.update", w.program_id)[0]["detail"]["changes"] ==
        json{{"pending_days", {{"from", 0}, {"to", 3}}}});
  CHECK(rows_for(log, "customer.enroll", c)[0]["detail"] == json{{"external_id", "crm-1"}});
  json cu = rows_for(log, "customer.update", c);
  REQUIRE(cu.size() == 1);
  CHECK(cu[0]["detail"] == json{{"fields", {"profile", "segments"}}});
  // Personal data is never copied into the log.
  CHECK(log.dump().find("example.com") == std::string::npos);
  json a = rows_for(log, "ledger.adjust", adj);
  REQUIRE(a.size() == 1);
  CHECK(a[0]["detail"] ==
        json{{"customer_id", c}, {"program_id", w.program_id}, {"points", 12}, {"reason", "apology"}});
  // Sequence numbers increase; each row links to its predecessor's hash.
  for (size_t n = 1; n < log["items"].size(); ++n)
    CHECK(log["items"][n]["seq"].get<int64_t>() > log["items"][n - 1]["seq"].get<int64_t>());
  json v = w.call("audit.verify", json::object());
  CHECK(v["ok"] == true);
  CHECK(v["rows_checked"] == 8);
}

TEST_CASE("audit: list filters by action, target and time and pages with a cursor") {
  World w;
  std::vector<std::string> customers;
  for (int n = 0; n < 5; ++n) {
    customers.push_back(w.enroll("c" + std::to_string(n)));
    w.clock->advance(1000);
  }
  json enrolls = w.call("audit.list", {{"action", "customer.enroll"}});
  REQUIRE(enrolls["items"].size() == 5);
  CHECK(w.call("audit.list", {{"target", customers[2]}})["items"].size() == 1);
  CHECK(w.call("audit.list", {{"action", "customer.enroll"}, {"from", "2026-03-01T12:00:02Z"}})["items"].size() == 3);
  CHECK(w.call("audit.list", {{"action", "customer.enroll"}, {"to", "2026-03-01T12:00:02Z"}})["items"].size() == 2);
  std::vector<std::string> targets;
  json in = {{"action", "customer.enroll"}, {"limit", 2}};
  for (;;) {
    json page = w.call("audit.list", in);
    for (const auto& row : page["items"]) targets.push_back(row["target"]);
    if (page["next_cursor"].is_null()) break;
    in["cursor"] = page["next_cursor"];
  }
  CHECK(targets == customers);
  LOY_REQUIRE_ERROR(w.call("audit.list", {{"limit", 0}}), Status::invalid, "limit");
  LOY_REQUIRE_ERROR(w.call("audit.list", {{"from", "last week"}}), Status::invalid, "from");
  LOY_REQUIRE_ERROR(w.call("audit.list", {{"chain", "engine"}}), Status::invalid, "chain");
  LOY_REQUIRE_ERROR(w.call("audit.verify", {{"from", 1}}), Status::invalid, "from");
}

TEST_CASE("audit: the log refuses UPDATE and DELETE while its triggers are in place") {
  TempDir dir;
  World w(json::object(), "sqlite://" + dir.db(), loyalty::SyncMode::normal);
  RawDb db(dir.db());
  CHECK(db.try_exec("UPDATE audit_log SET detail = '{}'") != SQLITE_OK);
  CHECK(db.try_exec("DELETE FROM audit_log") != SQLITE_OK);
  CHECK(w.call("audit.verify", json::object())["ok"] == true);
}

TEST_CASE("audit: a row whose detail was edited behind the engine's back fails verification at that row") {
  TempDir dir;
  World w(json::object(), "sqlite://" + dir.db(), loyalty::SyncMode::normal);
  const auto c = w.enroll("c1");
  w.call("ledger.adjust", {{"customer_id", c}, {"points", 10}, {"reason", "small"}});
  w.call("ledger.adjust", {{"customer_id", c}, {"points", 20}, {"reason", "later"}});
  json log = w.call("audit.list", {{"action", "ledger.adjust"}});
  REQUIRE(log["items"].size() == 2);
  const int64_t seq = log["items"][0]["seq"];
  REQUIRE(w.call("audit.verify", json::object())["ok"] == true);

  RawDb db(dir.db());
  db.exec("DROP TRIGGER audit_no_update");
  db.exec("UPDATE audit_log SET detail = replace(detail, '\"points\":10', '\"points\":10000') WHERE seq = " +
          std::to_string(seq));
  REQUIRE(db.text("SELECT detail FROM audit_log WHERE seq = " + std::to_string(seq))->find("10000") !=
          std::string::npos);

  json v = w.call("audit.verify", json::object());
  CHECK(v["ok"] == false);
  CHECK(v["first_bad_seq"] == seq);
  CHECK(v["reason"] == "the row's hash does not match its content");
  // Rows before the tampered one were checked and found sound.
  CHECK(v["rows_checked"] == 3);  // api_key.create, program.create, customer.enroll
  // The engine chain is a separate chain and still verifies.
  CHECK(w.admin.call("audit.verify", json::object())["ok"] == true);
}

TEST_CASE("audit: a row deleted from the middle breaks the chain at the next row") {
  TempDir dir;
  World w(json::object(), "sqlite://" + dir.db(), loyalty::SyncMode::normal);
  w.enroll("c1");
  w.enroll("c2");
  w.enroll("c3");
  json log = w.call("audit.list", {{"action", "customer.enroll"}});
  REQUIRE(log["items"].size() == 3);
  const int64_t victim = log["items"][1]["seq"];
  const int64_t next = log["items"][2]["seq"];
  RawDb db(dir.db());
  db.exec("DROP TRIGGER audit_no_delete");
  db.exec("DELETE FROM audit_log WHERE seq = " + std::to_string(victim));
  json v = w.call("audit.verify", json::object());
  CHECK(v["ok"] == false);
  CHECK(v["first_bad_seq"] == next);
  CHECK(v["reason"] == "the row does not link to its predecessor");
}

TEST_CASE("audit: tampering with the engine chain is detected by the admin's audit.verify") {
  TempDir dir;
  World w(json::object(), "sqlite://" + dir.db(), loyalty::SyncMode::normal);
  const std::string id = w.tenant["tenant"]["id"];
  w.admin.call("tenant.update", {{"id", id}, {"name", "Renamed"}});
  json rows = w.admin.call("audit.list", {{"action", "tenant.update"}, {"target", id}})["items"];
  REQUIRE(rows.size() == 1);
  const int64_t seq = rows[0]["seq"];
  RawDb db(dir.db());
  db.exec("DROP TRIGGER audit_no_update");
  db.exec("UPDATE audit_log SET actor = 'key:someone' WHERE seq = " + std::to_string(seq));
  json v = w.admin.call("audit.verify", json::object());
  CHECK(v["ok"] == false);
  CHECK(v["first_bad_seq"] == seq);
  CHECK(w.call("audit.verify", json::object())["ok"] == true);
}
