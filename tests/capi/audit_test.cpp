// C ABI, loyalty.h "Audit": loy_audit_list/verify (tenant chain) and loy_admin_audit_list/verify
// (engine chain).
#include <string>

#include "capi_support.hpp"

using namespace capitest;

TEST_CASE("audit: the audit functions refuse NULL arguments, malformed JSON and unknown fields") {
  World w;
  for (const auto& op : ops_with_prefix(kSessionOps, "audit.")) {
    check_null_arguments(op.fn, w.session, op.name);
    check_input_contract(op.fn, w.session, op.name);
  }
  for (const auto& op : ops_with_prefix(kAdminOps, "audit.")) {
    check_null_arguments(op.fn, w.admin, op.name);
    check_input_contract(op.fn, w.admin, op.name);
  }
}

TEST_CASE("audit: the tenant's administrative actions are chained and verify") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 10);
  ok(loy_ledger_adjust, w.session, json{{"customer_id", c}, {"points", -4}, {"reason", "fix"}});
  ok(loy_program_update, w.session, json{{"id", w.program_id}, {"description", "d"}});

  json list = ok(loy_audit_list, w.session, json::object());
  std::vector<std::string> actions;
  for (const auto& row : list["items"]) actions.push_back(row["action"]);
  const std::vector<std::string> expected = {"api_key.create", "program.create", "customer.enroll", "ledger.adjust",
                                             "program.update"};
  CHECK(actions == expected);
  for (size_t n = 0; n < list["items"].size(); ++n) {
    const json& row = list["items"][n];
    CHECK(row["at"] == kStartText);
    CHECK(row["hash"].get<std::string>().size() == 64);
    if (n > 0) CHECK(row["seq"].get<int64_t>() > list["items"][n - 1]["seq"].get<int64_t>());
  }
  CHECK(list["items"][1]["actor"] == "key:" + w.tenant["api_key"]["prefix"].get<std::string>());
  CHECK(list["items"][2]["target"] == c);

  json filtered = ok(loy_audit_list, w.session, json{{"action", "program.update"}});
  REQUIRE(filtered["items"].size() == 1);
  CHECK(filtered["items"][0]["target"] == w.program_id);
  json page = ok(loy_audit_list, w.session, json{{"limit", 2}});
  CHECK(page["items"].size() == 2);
  json next = ok(loy_audit_list, w.session, json{{"limit", 2}, {"cursor", page["next_cursor"]}});
  CHECK(next["items"][0]["action"] == "customer.enroll");
  CHECK(fail(loy_audit_list, w.session, json{{"from", "not a time"}}).field() == "from");

  json v = ok(loy_audit_verify, w.session, json::object());
  CHECK(v["ok"] == true);
  CHECK(v["rows_checked"] == 5);
  CHECK(v["first_bad_seq"].is_null());
}

TEST_CASE("audit: a tenant sees only its own chain") {
  World w;
  SessionGuard other(w.other_tenant("Rival"));
  json mine = ok(loy_audit_list, w.session, json::object());
  json theirs = ok(loy_audit_list, other.s, json::object());
  for (const auto& row : theirs["items"]) CHECK(row["target"] != w.program_id);
  CHECK(mine["items"].size() == 2);
  CHECK(theirs["items"].size() == 2);
}

TEST_CASE("audit: the engine chain records tenant administration and verifies") {
  World w;
  const json second = ok(loy_tenant_create, w.admin, json{{"name", "Second"}});
  ok(loy_tenant_deactivate, w.admin, json{{"id", second["tenant"]["id"]}});
  json list = ok(loy_admin_audit_list, w.admin, json::object());
  std::vector<std::string> actions;
  for (const auto& row : list["items"]) actions.push_back(row["action"]);
  CHECK(actions == std::vector<std::string>{"tenant.create", "tenant.create", "tenant.deactivate"});
  CHECK(list["items"][0]["actor"] == "admin");
  CHECK(list["items"][0]["target"] == w.tenant_id);
  CHECK(ok(loy_admin_audit_list, w.admin, json{{"target", w.tenant_id}})["items"].size() == 1);

  json v = ok(loy_admin_audit_verify, w.admin, json::object());
  CHECK(v["ok"] == true);
  CHECK(v["rows_checked"] == 3);

  // Tenant sessions cannot read the engine chain, and the admin chain is not a tenant's chain.
  json tenant_chain = ok(loy_audit_list, w.session, json::object());
  for (const auto& row : tenant_chain["items"]) CHECK(row["action"] != "tenant.create");
}
