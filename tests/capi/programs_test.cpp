// C ABI, loyalty.h "Programs": loy_program_create/get/list/update/activate/deactivate.
#include <string>

#include "capi_support.hpp"

using namespace capitest;

TEST_CASE("programs: the program functions refuse NULL arguments, malformed JSON and unknown fields") {
  World w;
  for (const auto& op : ops_with_prefix(kSessionOps, "program.")) {
    check_null_arguments(op.fn, w.session, op.name, json{{"id", w.program_id}}.dump());
    check_input_contract(op.fn, w.session, op.name);
  }
  const std::string create = json{{"name", "Null"}, {"currency", "EUR"}}.dump();
  CHECK(loy_program_create(w.session, create.data(), create.size(), nullptr) == LOY_EMISUSE);
  CHECK(ok(loy_program_list, w.session, json::object())["items"].size() == 1);
}

TEST_CASE("programs: create applies defaults and returns the program") {
  World w(json::object(), false);
  json p = ok(loy_program_create, w.session, json{{"name", "Coffee Club"}, {"currency", "EUR"}});
  CHECK(p["id"].get<std::string>().rfind("prg_", 0) == 0);
  CHECK(p["name"] == "Coffee Club");
  CHECK(p["currency"] == "EUR");
  CHECK(p["description"] == "");
  CHECK(p["rounding"] == "floor");
  CHECK(p["return_policy"] == "within_balance");
  CHECK(p["expiry"] == json{{"policy", "never"}});
  CHECK(p["pending_days"] == 0);
  CHECK(p["max_balance"].is_null());
  CHECK(p["allow_negative"] == false);
  CHECK(p["active"] == true);
  CHECK(p["created_at"] == kStartText);
  CHECK(ok(loy_program_get, w.session, json{{"id", p["id"]}}) == p);

  json full = ok(loy_program_create, w.session,
                 json{{"name", "Gold"},
                      {"currency", "USD"},
                      {"description", "the gold program"},
                      {"rounding", "half_even"},
                      {"return_policy", "unlimited"},
                      {"expiry", {{"policy", "days_after_earn"}, {"days", 30}}},
                      {"pending_days", 14},
                      {"max_balance", 100000},
                      {"allow_negative", true},
                      {"active", false}});
  CHECK(full["rounding"] == "half_even");
  CHECK(full["return_policy"] == "unlimited");
  CHECK(full["expiry"] == json{{"policy", "days_after_earn"}, {"days", 30}});
  CHECK(full["pending_days"] == 14);
  CHECK(full["max_balance"] == 100000);
  CHECK(full["allow_negative"] == true);
  CHECK(full["active"] == false);
}

TEST_CASE("programs: invalid values name the field; a taken name is a conflict") {
  World w;
  const std::pair<json, const char*> cases[] = {
      {json{{"currency", "EUR"}}, "name"},
      {json{{"name", "P"}}, "currency"},
      {json{{"name", "P"}, {"currency", "eur"}}, "currency"},
      {json{{"name", "P"}, {"currency", "EURO"}}, "currency"},
      {json{{"name", "P"}, {"currency", "EUR"}, {"rounding", "banker"}}, "rounding"},
      {json{{"name", "P"}, {"currency", "EUR"}, {"return_policy", "never"}}, "return_policy"},
      {json{{"name", "P"}, {"currency", "EUR"}, {"pending_days", -1}}, "pending_days"},
      {json{{"name", "P"}, {"currency", "EUR"}, {"pending_days", 1.5}}, "pending_days"},
      {json{{"name", "P"}, {"currency", "EUR"}, {"max_balance", 0}}, "max_balance"},
      {json{{"name", "P"}, {"currency", "EUR"}, {"active", "yes"}}, "active"},
      {json{{"name", "P"}, {"currency", "EUR"}, {"expiry", {{"days", 3}}}}, "expiry.policy"},
      {json{{"name", "P"}, {"currency", "EUR"}, {"expiry", {{"policy", "days_after_earn"}}}}, "expiry.days"},
      {json{{"name", "P"}, {"currency", "EUR"}, {"expiry", {{"policy", "never"}, {"days", 3}}}}, "expiry.days"},
      {json{{"name", "P"}, {"currency", "EUR"}, {"expiry", "never"}}, "expiry"},
  };
  for (const auto& [in, field] : cases) {
    CAPTURE(in.dump());
    Failure f = fail(loy_program_create, w.session, in);
    CHECK(f.rc == LOY_EINVALID);
    CHECK(f.field() == field);
  }
  Failure f = fail(loy_program_create, w.session, json{{"name", "Club"}, {"currency", "EUR"}});
  CHECK(f.rc == LOY_ECONFLICT);
  CHECK(f.field() == "name");
  CHECK(ok(loy_program_list, w.session, json::object())["items"].size() == 1);
}

TEST_CASE("programs: update changes only the given fields") {
  World w;
  w.clock.now += 1000;
  json u = ok(
      loy_program_update, w.session,
      json{{"id", w.program_id}, {"description", "updated"}, {"expiry", {{"policy", "end_of_year"}, {"months", 0}}}});
  CHECK(u["description"] == "updated");
  CHECK(u["expiry"] == json{{"policy", "end_of_year"}, {"months", 0}});
  CHECK(u["name"] == "Club");
  CHECK(u["currency"] == "EUR");
  CHECK(u["updated_at"] == "2026-03-01T12:00:01.000Z");
  CHECK(u["created_at"] == kStartText);

  // Currency and active are not updatable here.
  Failure f = fail(loy_program_update, w.session, json{{"id", w.program_id}, {"currency", "USD"}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "currency");
  f = fail(loy_program_update, w.session, json{{"id", w.program_id}, {"active", false}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "active");
  CHECK(fail(loy_program_update, w.session, json{{"id", "prg_missing"}, {"name", "x"}}).rc == LOY_ENOTFOUND);

  ok(loy_program_create, w.session, json{{"name", "Second"}, {"currency", "EUR"}});
  f = fail(loy_program_update, w.session, json{{"id", w.program_id}, {"name", "Second"}});
  CHECK(f.rc == LOY_ECONFLICT);
  CHECK(f.field() == "name");
}

TEST_CASE("programs: deactivation stops earning and keeps balances; activation resumes") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 10);
  json d = ok(loy_program_deactivate, w.session, json{{"id", w.program_id}});
  CHECK(d["active"] == false);
  Failure f = fail(loy_ledger_earn, w.session, json{{"customer_id", c}, {"points", 5}, {"program_id", w.program_id}});
  CHECK(f.rc == LOY_EUNAVAILABLE);
  CHECK(ok(loy_ledger_balance, w.session, json{{"customer_id", c}, {"program_id", w.program_id}})["balance"] == 10);

  CHECK(ok(loy_program_list, w.session, json{{"active", true}})["items"].empty());
  CHECK(ok(loy_program_list, w.session, json{{"active", false}})["items"].size() == 1);

  CHECK(ok(loy_program_activate, w.session, json{{"id", w.program_id}})["active"] == true);
  w.earn(c, 5, json{{"program_id", w.program_id}});
  CHECK(w.balance(c)["balance"] == 15);
  CHECK(fail(loy_program_activate, w.session, json{{"id", "prg_missing"}}).rc == LOY_ENOTFOUND);
  CHECK(fail(loy_program_deactivate, w.session, json{{"id", "prg_missing"}}).rc == LOY_ENOTFOUND);
  CHECK(fail(loy_program_get, w.session, json{{"id", "prg_missing"}}).field() == "id");
}

TEST_CASE("programs: with several active programs an earn must name one") {
  World w;
  const std::string c = w.enroll("c1");
  const std::string second = ok(loy_program_create, w.session, json{{"name", "Second"}, {"currency", "EUR"}})["id"];
  Failure f = fail(loy_ledger_earn, w.session, json{{"customer_id", c}, {"points", 5}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "program_id");
  w.earn(c, 5, json{{"program_id", second}});
  CHECK(ok(loy_ledger_balance, w.session, json{{"customer_id", c}, {"program_id", second}})["balance"] == 5);
  CHECK(ok(loy_ledger_balance, w.session, json{{"customer_id", c}, {"program_id", w.program_id}})["balance"] == 0);
}
