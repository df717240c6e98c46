// C ABI, loyalty.h "Rules and purchases": loy_rule_* and loy_purchase_*.
#include <fmt/format.h>

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

TEST_CASE("rules: an integer operand between 2^63 and 2^64-1 is refused, not wrapped into a rule that always fires") {
  World w;
  const std::string c = w.enroll("c1");
  for (const char* fact :
       {"purchase.amount", "purchase.items_amount", "customer.attributes.visits", "item.unit_price"}) {
    for (const char* big : {"18446744073709551615", "9223372036854775808"}) {
      CAPTURE(fact);
      CAPTURE(big);
      const bool item = std::string(fact).rfind("item.", 0) == 0;
      const std::string cond = fmt::format(R"({{"fact": "{}", "operator": "gte", "value": {}}})", fact, big);
      const std::string action = item ? fmt::format(R"({{"type": "per_currency", "rate": "1", "items": {}}})", cond)
                                      : R"({"type": "fixed", "points": 100})";
      const std::string rule =
          item ? fmt::format(R"({{"name": "Never", "actions": [{}]}})", action)
               : fmt::format(R"({{"name": "Never", "conditions": {{"all": [{}]}}, "actions": [{}]}})", cond, action);
      Failure f = fail_text(loy_rule_create, w.session, rule);
      CHECK(f.rc == LOY_EINVALID);
      CHECK(f.field() == (item ? "actions[0].items.value" : "conditions.all[0].value"));
    }
  }
  // Nothing was created, and a purchase earns nothing.
  CHECK(ok(loy_rule_list, w.session, json::object())["items"].empty());
  CHECK(ok(loy_purchase_dry_run, w.session, json{{"customer_id", c}, {"amount", 100}})["points"] == 0);
  // The largest integers the engine accepts anywhere (1e15) still compile, and do not fire on 100.
  ok(loy_rule_create, w.session,
     json{{"name", "Huge"},
          {"conditions",
           {{"all", {{{"fact", "purchase.amount"}, {"operator", "gte"}, {"value", 1'000'000'000'000'000}}}}}},
          {"actions", {{{"type", "fixed"}, {"points", 100}}}}});
  CHECK(ok(loy_purchase_dry_run, w.session, json{{"customer_id", c}, {"amount", 100}})["points"] == 0);
  CHECK(fail(loy_rule_create, w.session,
             json{{"name", "Too big"},
                  {"conditions",
                   {{"all",
                     {{{"fact", "purchase.amount"}, {"operator", "gte"}, {"value", int64_t{1'000'000'000'000'001}}}}}}},
                  {"actions", {{{"type", "fixed"}, {"points", 100}}}}})
            .rc == LOY_EINVALID);
}
