// The write frame (src/audit/write_op.hpp): one audit diff for every update, audit rows appended
// only when the write commits, never for a refused write or a replay, in the order recorded and on
// the chain each names.
#include <string>
#include <vector>

#include "audit/write_op.hpp"
#include "fixture.hpp"

using namespace loytest;
using loyalty::detail::audit_changes;

namespace {

json rows(const json& list, const std::string& action) {
  json out = json::array();
  for (const auto& row : list["items"])
    if (row["action"] == action) out.push_back(row);
  return out;
}

}  // namespace

TEST_CASE("write_op: audit_changes gives {field: {from, to}} for changed, added and removed fields") {
  const json before = {{"name", "A"}, {"limit", 3}, {"group", "g"}, {"same", {1, 2}}, {"updated_at", "t1"}};
  const json after = {{"name", "B"}, {"limit", 3}, {"start", "s"}, {"same", {1, 2}}, {"updated_at", "t2"}};
  CHECK(audit_changes(before, after) == json{{"name", {{"from", "A"}, {"to", "B"}}},
                                             {"start", {{"from", nullptr}, {"to", "s"}}},
                                             {"group", {{"from", "g"}, {"to", nullptr}}}});
  // The ignored fields are left out on both sides; identical objects have no changes.
  CHECK(audit_changes(before, after, {"updated_at", "name", "start", "group"}) == json::object());
  CHECK(audit_changes(after, after) == json::object());
  // Without an ignore list nothing is left out.
  CHECK(audit_changes(before, after, {}).contains("updated_at"));
}

TEST_CASE("write_op: a refused write leaves no audit row; a replay records none twice") {
  World w;
  w.call("program.create", {{"name", "Second"}, {"currency", "EUR"}});
  // Refused inside its unit of work: the update leaves no row.
  LOY_REQUIRE_ERROR(w.call("program.update", {{"id", w.program_id}, {"name", "Second"}}), Status::conflict, "name");
  const std::string c = w.enroll("crm-1");
  const json adjust = {{"customer_id", c},
                       {"program_id", w.program_id},
                       {"points", 7},
                       {"reason", "goodwill"},
                       {"idempotency_key", "adj-1"}};
  const json first = w.call("ledger.adjust", adjust);
  const json again = w.call("ledger.adjust", adjust);
  CHECK(first["replayed"] == false);
  CHECK(again["replayed"] == true);
  CHECK(again["entry"]["id"] == first["entry"]["id"]);
  json log = w.call("audit.list", {{"limit", 1000}});
  CHECK(rows(log, "program.update").empty());
  CHECK(rows(log, "ledger.adjust").size() == 1);
  CHECK(w.call("ledger.balance", {{"customer_id", c}, {"program_id", w.program_id}})["balance"] == 7);
}

TEST_CASE("write_op: tenant.create records the engine row and the new tenant's first key row, in that order") {
  World w;
  const json t = w.admin.call("tenant.create", {{"name", "Other"}});
  const std::string id = t["tenant"]["id"];
  json engine_rows = rows(w.admin.call("audit.list", {{"limit", 1000}}), "tenant.create");
  REQUIRE(engine_rows.size() == 2);  // the fixture's tenant and this one
  CHECK(engine_rows[1]["target"] == id);
  CHECK(engine_rows[1]["actor"] == "admin");
  // The key row is on the new tenant's chain, by the administrator.
  loyalty::Session s = w.engine.session(t["api_key"]["key"].get<std::string>());
  json own = s.call("audit.list", {{"limit", 1000}});
  REQUIRE(own["items"].size() == 1);
  CHECK(own["items"][0]["action"] == "api_key.create");
  CHECK(own["items"][0]["actor"] == "admin");
  CHECK(own["items"][0]["target"] == t["api_key"]["id"]);
  CHECK(s.call("audit.verify", json::object())["ok"] == true);
  CHECK(w.admin.call("audit.verify", json::object())["ok"] == true);
}
