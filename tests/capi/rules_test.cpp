// C ABI, loyalty.h "Rules and purchases": loy_rule_* and loy_purchase_*.
#include <string>

#include "capi_support.hpp"

using namespace capitest;

TEST_CASE("rules: the rule and purchase functions refuse NULL arguments, malformed JSON and unknown fields") {
  World w;
  for (const char* prefix : {"rule.", "purchase."})
    for (const auto& op : ops_with_prefix(kSessionOps, prefix)) {
      check_null_arguments(op.fn, w.session, op.name);
      check_input_contract(op.fn, w.session, op.name);
    }
}

TEST_CASE("rules: a rule earns on a purchase through the C ABI, with the explain trace; returns reverse it") {
  World w;
  const std::string c = w.enroll("c1");
  json rule =
      ok(loy_rule_create, w.session, json{{"name", "Base"}, {"actions", {{{"type", "per_currency"}, {"rate", "1"}}}}});
  CHECK(rule["version"] == 1);
  json bad = {{"name", "Bad"},
              {"conditions", {{"all", {{{"fact", "purchase.amount"}, {"operator", "huh"}, {"value", 1}}}}}},
              {"actions", {{{"type", "fixed"}, {"points", 1}}}}};
  Failure f = fail(loy_rule_create, w.session, bad);
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "conditions.all[0].operator");
  json p = {{"order_id", "o-1"}, {"customer_id", c}, {"amount", 2550}};
  json dry = ok(loy_purchase_dry_run, w.session, p);
  CHECK(dry["points"] == 25);
  json sub = ok(loy_purchase_submit, w.session, p);
  CHECK(sub["points"] == 25);
  CHECK(sub["explain"]["rules"][0]["fired"] == true);
  CHECK(ok(loy_purchase_submit, w.session, p)["replayed"] == true);
  p["amount"] = 1;
  CHECK(fail(loy_purchase_submit, w.session, p).rc == LOY_ECONFLICT);
  json ret = ok(loy_purchase_return, w.session, json{{"order_id", "o-1"}});
  CHECK(ret["points_reversed"] == 25);
  CHECK(fail(loy_purchase_return, w.session, json{{"order_id", "o-1"}}).rc == LOY_ECONFLICT);
  CHECK(ok(loy_rule_deactivate, w.session, json{{"id", rule["id"]}})["active"] == false);
  CHECK(ok(loy_rule_list, w.session, json{{"active", false}})["items"].size() == 1);
}
