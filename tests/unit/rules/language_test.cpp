// The rules language without a database: validation, operators, facts, actions, stacking,
// rounding, limits and the explain trace.
#include "support.hpp"

using namespace rulestest;

namespace {
const json kFixed1 = json::array({{{"type", "fixed"}, {"points", 1}}});
}

TEST_CASE("rules: validation names the JSON path of the offending field") {
  const json ok = rule(json{{"all", {leaf("purchase.amount", "gte", 100)}}}, kFixed1);
  CHECK(invalid_path(ok).empty());
  json r = rule(json{{"all",
                      {leaf("purchase.amount", "gte", 1),
                       leaf("purchase.channel", "eq", "web"),
                       {{"fact", "purchase.amount"}, {"operator", "like"}, {"value", 1}}}}},
                kFixed1);
  CHECK(invalid_path(r) == "conditions.all[2].operator");
  CHECK(invalid_path(rule(leaf("purchase.colour", "eq", "red"), kFixed1)) == "conditions.fact");
  CHECK(invalid_path(rule(leaf("purchase.amount", "starts_with", "1"), kFixed1)) == "conditions.operator");
  CHECK(invalid_path(rule(leaf("purchase.amount", "eq", "ten"), kFixed1)) == "conditions.value");
  CHECK(invalid_path(rule(leaf("purchase.amount", "between", json::array({5, 1})), kFixed1)) == "conditions.value");
  CHECK(invalid_path(rule(leaf("purchase.amount", "in", json::array({1, "x"})), kFixed1)) == "conditions.value[1]");
  CHECK(invalid_path(rule(json{{"any", json::array()}}, kFixed1)) == "conditions.any");
  CHECK(invalid_path(rule(json{{"not", {{"fact", "time.hour"}}}}, kFixed1)) == "conditions.not.operator");
  CHECK(invalid_path(rule(json{{"any_item", leaf("purchase.amount", "gt", 1)}}, kFixed1)) ==
        "conditions.any_item.fact");
  CHECK(invalid_path(rule(json{{"any_item", {{"any_item", leaf("item.sku", "eq", "a")}}}}, kFixed1)) ==
        "conditions.any_item.any_item");
  CHECK(invalid_path(rule(leaf("customer.visits", "gte", 1), kFixed1)) == "conditions.days");
  CHECK(invalid_path(rule(leaf("time.weekday", "eq", 8), kFixed1)) == "conditions.value");
  CHECK(invalid_path(rule(leaf("time.time", "gte", "25:00"), kFixed1)) == "conditions.value");
  CHECK(invalid_path(rule(leaf("time.date", "gte", "2026-02-30"), kFixed1)) == "conditions.value");
  CHECK(invalid_path(rule(json{{"fact", "time.hour"}, {"operator", "eq"}, {"value", 1}, {"extra", 1}}, kFixed1)) ==
        "conditions.extra");
  CHECK(invalid_path(rule(nullptr, json::array())) == "actions");
  CHECK(invalid_path(rule(nullptr, json::array({{{"type", "teleport"}}}))) == "actions[0].type");
  CHECK(invalid_path(rule(nullptr, json::array({{{"type", "per_currency"}, {"rate", "1.1234567"}}}))) ==
        "actions[0].rate");
  CHECK(invalid_path(rule(nullptr, json::array({{{"type", "per_currency"}, {"rate", -1}}}))) == "actions[0].rate");
  CHECK(invalid_path(rule(nullptr, json::array({{{"type", "multiply"}, {"factor", "0.5"}}}))) == "actions[0].factor");
  CHECK(invalid_path(rule(nullptr, json::array({{{"type", "fixed"}, {"points", 1.5}}}))) == "actions[0].points");
  json lim = rule(nullptr, kFixed1);
  lim["limits"] = {{"per_customer", {{{"period", "fortnight"}, {"points", 5}}}}};
  CHECK(invalid_path(lim) == "limits.per_customer[0].period");
  lim["limits"] = {{"budget", -1}};
  CHECK(invalid_path(lim) == "limits.budget");
  json g = rule(nullptr, kFixed1);
  g["group_mode"] = "first";
  CHECK(invalid_path(g) == "group_mode");
  json w = rule(nullptr, kFixed1);
  w["start"] = "2026-03-02T00:00:00Z";
  w["end"] = "2026-03-01T00:00:00Z";
  CHECK(invalid_path(w) == "end");
  json u = rule(nullptr, kFixed1);
  u["colour"] = "red";
  CHECK(invalid_path(u) == "colour");
  // depth bound
  json deep = leaf("purchase.amount", "gt", 0);
  for (int k = 0; k < 20; ++k) deep = json{{"not", deep}};
  CHECK(invalid_path(rule(deep, kFixed1)).rfind("conditions.not", 0) == 0);
}

TEST_CASE("rules: two rules of one stacking group must agree on its mode") {
  json a = rule(nullptr, kFixed1), b = rule(nullptr, kFixed1);
  a["group"] = b["group"] = "g";
  a["group_mode"] = "first";
  b["group_mode"] = "highest";
  CHECK_THROWS_AS(plan_of(json::array({a, b})), loyalty::Error);
}

TEST_CASE("rules: comparison operators on numbers, with boundaries") {
  const json ev = {{"amount", 1000}};
  CHECK(holds(leaf("purchase.amount", "eq", 1000), ev));
  CHECK_FALSE(holds(leaf("purchase.amount", "eq", 999), ev));
  CHECK(holds(leaf("purchase.amount", "ne", 999), ev));
  CHECK_FALSE(holds(leaf("purchase.amount", "ne", 1000), ev));
  CHECK(holds(leaf("purchase.amount", "lt", 1001), ev));
  CHECK_FALSE(holds(leaf("purchase.amount", "lt", 1000), ev));
  CHECK(holds(leaf("purchase.amount", "lte", 1000), ev));
  CHECK_FALSE(holds(leaf("purchase.amount", "lte", 999), ev));
  CHECK(holds(leaf("purchase.amount", "gt", 999), ev));
  CHECK_FALSE(holds(leaf("purchase.amount", "gt", 1000), ev));
  CHECK(holds(leaf("purchase.amount", "gte", 1000), ev));
  CHECK_FALSE(holds(leaf("purchase.amount", "gte", 1001), ev));
  CHECK(holds(leaf("purchase.amount", "in", json::array({5, 1000, 7})), ev));
  CHECK_FALSE(holds(leaf("purchase.amount", "in", json::array({5, 7})), ev));
  CHECK(holds(leaf("purchase.amount", "not_in", json::array({5, 7})), ev));
  CHECK_FALSE(holds(leaf("purchase.amount", "not_in", json::array({1000})), ev));
  CHECK(holds(leaf("purchase.amount", "between", json::array({1000, 1000})), ev));
  CHECK(holds(leaf("purchase.amount", "between", json::array({0, 1000})), ev));
  CHECK_FALSE(holds(leaf("purchase.amount", "between", json::array({1001, 2000})), ev));
}

TEST_CASE("rules: string operators and interned strings never seen by the plan") {
  const json ev = {{"amount", 1}, {"channel", "web-shop"}};
  CHECK(holds(leaf("purchase.channel", "eq", "web-shop"), ev));
  CHECK_FALSE(holds(leaf("purchase.channel", "eq", "web"), ev));
  CHECK(holds(leaf("purchase.channel", "ne", "pos"), ev));
  CHECK(holds(leaf("purchase.channel", "in", json::array({"pos", "web-shop"})), ev));
  CHECK(holds(leaf("purchase.channel", "not_in", json::array({"pos"})), ev));
  CHECK(holds(leaf("purchase.channel", "starts_with", "web"), ev));
  CHECK_FALSE(holds(leaf("purchase.channel", "starts_with", "shop"), ev));
  CHECK(holds(leaf("purchase.channel", "contains", "b-sh"), ev));
  CHECK_FALSE(holds(leaf("purchase.channel", "contains", "pos"), ev));
  CHECK(holds(leaf("purchase.currency", "eq", "EUR"), ev));
}

TEST_CASE("rules: a condition on a missing fact is false whatever the operator, except exists") {
  const json ev = {{"amount", 1}};
  CHECK_FALSE(holds(leaf("customer.tier", "eq", "gold"), ev));
  CHECK_FALSE(holds(leaf("customer.tier", "ne", "gold"), ev));
  CHECK_FALSE(holds(leaf("customer.tier", "not_in", json::array({"gold"})), ev));
  CHECK_FALSE(holds(json{{"fact", "customer.tier"}, {"operator", "exists"}}, ev));
  CHECK(holds(json{{"fact", "customer.tier"}, {"operator", "exists"}, {"value", false}}, ev));
  CHECK(holds(json{{"fact", "customer.tier"}, {"operator", "exists"}}, {{"amount", 1}, {"tier", "gold"}}));
  CHECK(holds(json{{"not", leaf("customer.tier", "eq", "gold")}}, ev));
}

TEST_CASE("rules: list facts (segments, place.inside)") {
  const json ev = {{"amount", 1}, {"segments", {"vip", "staff"}}, {"inside", {"loc_a"}}};
  CHECK(holds(leaf("customer.segments", "contains", "vip"), ev));
  CHECK_FALSE(holds(leaf("customer.segments", "contains", "new"), ev));
  CHECK(holds(leaf("customer.segments", "contains_any", json::array({"new", "staff"})), ev));
  CHECK_FALSE(holds(leaf("customer.segments", "contains_any", json::array({"new"})), ev));
  CHECK(holds(leaf("customer.segments", "contains_all", json::array({"staff", "vip"})), ev));
  CHECK_FALSE(holds(leaf("customer.segments", "contains_all", json::array({"vip", "new"})), ev));
  CHECK(holds(leaf("place.inside", "contains", "loc_a"), ev));
  CHECK_FALSE(holds(leaf("place.inside", "contains", "loc_b"), ev));
  CHECK_FALSE(holds(leaf("customer.segments", "contains", "vip"), {{"amount", 1}}));
}

TEST_CASE("rules: all / any / not trees") {
  const json ev = {{"amount", 500}, {"channel", "pos"}};
  const json a = leaf("purchase.amount", "gte", 500), b = leaf("purchase.channel", "eq", "web");
  CHECK_FALSE(holds(json{{"all", {a, b}}}, ev));
  CHECK(holds(json{{"any", {a, b}}}, ev));
  CHECK(holds(json{{"not", b}}, ev));
  CHECK(holds(json{{"all", {a, {{"not", b}}}}}, ev));
  CHECK_FALSE(holds(json{{"any", {b, {{"not", a}}}}}, ev));
}

TEST_CASE("rules: item quantifiers and sums over items") {
  const json ev = {{"items",
                    {{{"sku", "A1"}, {"category", "beverages"}, {"quantity", 2}, {"unit_price", 250}},
                     {{"sku", "B1"}, {"category", "bakery"}, {"quantity", 1}, {"unit_price", 400}}}}};
  const json bev2 = {
      {"any_item", {{"all", {leaf("item.category", "eq", "beverages"), leaf("item.quantity", "gte", 2)}}}}};
  CHECK(holds(bev2, ev));
  CHECK_FALSE(
      holds({{"any_item", {{"all", {leaf("item.category", "eq", "bakery"), leaf("item.quantity", "gte", 2)}}}}}, ev));
  CHECK(holds({{"all_items", leaf("item.unit_price", "gte", 250)}}, ev));
  CHECK_FALSE(holds({{"all_items", leaf("item.category", "eq", "bakery")}}, ev));
  CHECK(holds({{"any_item", leaf("item.sku", "starts_with", "B")}}, ev));
  CHECK(holds({{"any_item", leaf("item.amount", "eq", 500)}}, ev));
  json sum = leaf("purchase.items_amount", "eq", 500);
  sum["where"] = leaf("item.category", "eq", "beverages");
  CHECK(holds(sum, ev));
  json qty = leaf("purchase.items_quantity", "eq", 3);
  CHECK(holds(qty, ev));
  CHECK(holds(leaf("purchase.item_count", "eq", 3), ev));
  // empty cart: any_item is false, all_items vacuously true, sums are zero
  const json empty = {{"amount", 700}};
  CHECK_FALSE(holds(bev2, empty));
  CHECK(holds({{"all_items", leaf("item.category", "eq", "bakery")}}, empty));
  CHECK(holds(leaf("purchase.items_amount", "eq", 0), empty));
  CHECK(holds(leaf("purchase.item_count", "eq", 0), empty));
}

TEST_CASE("rules: time facts follow the tenant's zone, across DST") {
  // 2026-03-29 is the EU spring-forward day: 01:00Z is 03:00 CEST (UTC+2); 00:30Z is 01:30 CET.
  const json before = {{"amount", 1}, {"at", "2026-03-29T00:30:00Z"}};
  const json after = {{"amount", 1}, {"at", "2026-03-29T01:00:00Z"}};
  CHECK(holds(leaf("time.hour", "eq", 1), before, "Europe/Berlin"));
  CHECK(holds(leaf("time.hour", "eq", 3), after, "Europe/Berlin"));
  CHECK(holds(leaf("time.minute", "eq", 30), before, "Europe/Berlin"));
  CHECK(holds(leaf("time.time", "eq", "03:00"), after, "Europe/Berlin"));
  CHECK(holds(leaf("time.hour", "eq", 1), after, "UTC"));
  // autumn: 2026-10-25 00:30Z is 02:30 CEST, 01:30Z is 02:30 CET (the repeated hour)
  CHECK(holds(leaf("time.time", "eq", "02:30"), {{"amount", 1}, {"at", "2026-10-25T00:30:00Z"}}, "Europe/Berlin"));
  CHECK(holds(leaf("time.time", "eq", "02:30"), {{"amount", 1}, {"at", "2026-10-25T01:30:00Z"}}, "Europe/Berlin"));
  // local date and weekday change at local midnight: 2026-03-07 23:30Z is Sunday 8 March in Berlin
  const json late = {{"amount", 1}, {"at", "2026-03-07T23:30:00Z"}};
  CHECK(holds(leaf("time.date", "eq", "2026-03-08"), late, "Europe/Berlin"));
  CHECK(holds(leaf("time.weekday", "eq", "sunday"), late, "Europe/Berlin"));
  CHECK(holds(leaf("time.weekday", "eq", 6), late, "UTC"));
  CHECK(holds(leaf("time.weekday", "in", json::array({"sat", "sun"})), late, "UTC"));
  CHECK(holds(leaf("time.day", "eq", 8), late, "Europe/Berlin"));
  CHECK(holds(leaf("time.month", "eq", 3), late, "Europe/Berlin"));
  // New York: 2026-01-01T03:00Z is still 31 December 2025
  const json ny = {{"amount", 1}, {"at", "2026-01-01T03:00:00Z"}};
  CHECK(holds(leaf("time.month", "eq", 12), ny, "America/New_York"));
  CHECK(holds(leaf("time.date", "lt", "2026-01-01"), ny, "America/New_York"));
  CHECK(holds(leaf("time.date", "between", json::array({"2025-12-24", "2025-12-31"})), ny, "America/New_York"));
}

TEST_CASE("rules: dates compare as dates and happy hours may wrap midnight") {
  const json ev = {{"amount", 1}, {"at", "2026-03-10T23:15:00Z"}};
  CHECK(holds(leaf("time.date", "gt", "2026-02-28"), ev));
  CHECK(holds(leaf("time.date", "lt", "2026-03-11"), ev));
  CHECK(holds(leaf("time.time", "between", json::array({"22:00", "02:00"})), ev));
  CHECK_FALSE(holds(leaf("time.time", "between", json::array({"17:00", "19:00"})), ev));
  CHECK(holds(leaf("time.time", "between", json::array({"23:15", "23:15"})), ev));
}

TEST_CASE("rules: birthdays, with 29 February in non-leap years") {
  CHECK(holds(leaf("customer.is_birthday", "eq", true),
              {{"amount", 1}, {"at", "2026-05-04T10:00:00Z"}, {"birthday", "1990-05-04"}}));
  CHECK_FALSE(holds(leaf("customer.is_birthday", "eq", true),
                    {{"amount", 1}, {"at", "2026-05-05T10:00:00Z"}, {"birthday", "1990-05-04"}}));
  CHECK(holds(leaf("customer.is_birthday_month", "eq", true),
              {{"amount", 1}, {"at", "2026-05-31T10:00:00Z"}, {"birthday", "05-04"}}));
  // born 29 Feb: celebrated on 28 Feb in 2027, on 29 Feb in 2028
  const json leapling = {{"amount", 1}, {"birthday", "2000-02-29"}};
  json e = leapling;
  e["at"] = "2027-02-28T10:00:00Z";
  CHECK(holds(leaf("customer.is_birthday", "eq", true), e));
  e["at"] = "2027-03-01T10:00:00Z";
  CHECK_FALSE(holds(leaf("customer.is_birthday", "eq", true), e));
  e["at"] = "2028-02-28T10:00:00Z";
  CHECK_FALSE(holds(leaf("customer.is_birthday", "eq", true), e));
  e["at"] = "2028-02-29T10:00:00Z";
  CHECK(holds(leaf("customer.is_birthday", "eq", true), e));
  CHECK(holds(leaf("customer.birthday", "lt", "2000-03-01"), e));
  // no birthday known: the facts are missing
  CHECK_FALSE(holds(leaf("customer.is_birthday", "ne", true), {{"amount", 1}}));
}

TEST_CASE("rules: customer history, tier, attributes and place facts") {
  const json ev = {{"amount", 1},
                   {"prior_purchases", 0},
                   {"tier", "gold"},
                   {"attributes", {{"staff", true}, {"region", "north"}, {"age", 41}}},
                   {"location_id", "loc_1"},
                   {"distance_m", 120}};
  CHECK(holds(leaf("customer.first_purchase", "eq", true), ev));
  CHECK_FALSE(holds(json{{"fact", "customer.days_since_last_purchase"}, {"operator", "exists"}}, ev));
  CHECK(holds(leaf("customer.tier", "in", json::array({"gold", "platinum"})), ev));
  CHECK(holds(leaf("customer.attributes.staff", "eq", true), ev));
  CHECK(holds(leaf("customer.attributes.region", "starts_with", "no"), ev));
  CHECK(holds(leaf("customer.attributes.age", "between", json::array({40, 49})), ev));
  CHECK_FALSE(holds(leaf("customer.attributes.age", "eq", "41"), ev));  // types must match
  CHECK_FALSE(holds(leaf("customer.attributes.missing", "eq", 1), ev));
  CHECK(holds(leaf("place.location_id", "eq", "loc_1"), ev));
  CHECK(holds(leaf("purchase.location_id", "eq", "loc_1"), ev));
  CHECK(holds(leaf("place.distance_m", "lte", 120), ev));
  const json regular = {{"amount", 1},          {"at", "2026-03-10T09:00:00Z"},
                        {"prior_purchases", 5}, {"last_purchase_at", "2026-03-07T23:00:00Z"},
                        {"visits", {3, 5}},     {"spend", {12000}}};
  CHECK(holds(leaf("customer.first_purchase", "eq", false), regular));
  CHECK(holds(leaf("customer.days_since_last_purchase", "eq", 3), regular));
  json visits7 = leaf("customer.visits", "gte", 3);
  visits7["days"] = 7;
  json visits30 = leaf("customer.visits", "eq", 5);
  visits30["days"] = 30;
  json spend30 = leaf("customer.spend", "gte", 12000);
  spend30["days"] = 30;
  CHECK(holds(json{{"all", {visits7, visits30}}}, regular));
  CHECK(holds(spend30, regular));
  CHECK(holds(leaf("customer.tier_multiplier", "gte", "1.25"), {{"amount", 1}, {"tier_multiplier", "1.5"}}));
}

TEST_CASE("rules: fixed points, rates on the purchase or on matching items, rounding by the program") {
  const json ev = {{"items",
                    {{{"sku", "A"}, {"category", "beverages"}, {"quantity", 3}, {"unit_price", 199}},
                     {{"sku", "B"}, {"category", "bakery"}, {"quantity", 1}, {"unit_price", 1000}}}}};
  // amount 1597 cents at 1 point per euro
  const json rate = json::array({rule(nullptr, json::array({{{"type", "per_currency"}, {"rate", "1"}}}))});
  CHECK(points(rate, ev, "floor") == 15);
  CHECK(points(rate, ev, "ceil") == 16);
  CHECK(points(rate, ev, "half_up") == 16);
  CHECK(points(rate, ev, "half_even") == 16);
  // 1.5 per euro on 1597: 23.955
  const json r15 = json::array({rule(nullptr, json::array({{{"type", "per_currency"}, {"rate", "1.5"}}}))});
  CHECK(points(r15, ev, "floor") == 23);
  CHECK(points(r15, ev, "half_up") == 24);
  // exact halves: 250 cents at 1 per euro is 2.5
  const json half = {{"amount", 250}};
  CHECK(points(rate, half, "half_up") == 3);
  CHECK(points(rate, half, "half_even") == 2);
  CHECK(points(rate, {{"amount", 350}}, "half_even") == 4);
  // 2 points per euro on beverages only: 597 cents -> 11.94
  json bev =
      rule(nullptr,
           json::array({{{"type", "per_currency"}, {"rate", 2}, {"items", leaf("item.category", "eq", "beverages")}}}));
  CHECK(points(json::array({bev}), ev) == 11);
  // per 10 cents
  CHECK(points(json::array({rule(nullptr, json::array({{{"type", "per_currency"}, {"rate", "1"}, {"unit", 10}}}))}),
               ev) == 159);
  CHECK(points(json::array({rule(nullptr, json::array({{{"type", "fixed"}, {"points", 50}}}))}), ev) == 50);
  // per-action maximum
  CHECK(points(json::array({rule(nullptr, json::array({{{"type", "per_currency"}, {"rate", "1"}, {"max", 10}}}))}),
               ev) == 10);
  // empty cart and zero amount earn nothing from rates
  CHECK(points(rate, {{"amount", 0}}) == 0);
}

TEST_CASE("rules: multipliers multiply what was awarded before them; tier multiplier from the fact") {
  json base = rule(nullptr, json::array({{{"type", "per_currency"}, {"rate", "1"}}}));
  base["priority"] = 10;
  json dbl = rule(nullptr, json::array({{{"type", "multiply"}, {"factor", 2}}}));
  json tier = rule(nullptr, json::array({{{"type", "tier_multiplier"}}}));
  tier["priority"] = 5;
  const json ev = {{"amount", 1000}, {"tier_multiplier", "1.5"}};
  CHECK(points(json::array({base, dbl}), ev) == 20);
  CHECK(points(json::array({base, tier}), ev) == 15);
  CHECK(points(json::array({base, tier, dbl}), ev) == 30);             // (10 + 5) * 2
  CHECK(points(json::array({base, tier}), {{"amount", 1000}}) == 10);  // no tier multiplier known
  // a multiplier inside a rule includes the rule's own earlier actions
  json own = rule(nullptr, json::array({{{"type", "fixed"}, {"points", 7}}, {{"type", "multiply"}, {"factor", "3"}}}));
  CHECK(points(json::array({own}), ev) == 21);
}

TEST_CASE("rules: priority order, stop_processing and stacking groups") {
  auto fixed = [](int64_t pts, int64_t prio) {
    json r = rule(nullptr, json::array({{{"type", "fixed"}, {"points", pts}}}));
    r["priority"] = prio;
    return r;
  };
  const json ev = {{"amount", 100}};
  json a = fixed(10, 3), b = fixed(20, 2), c = fixed(40, 1);
  CHECK(points(json::array({a, b, c}), ev) == 70);
  b["stop_processing"] = true;
  CHECK(points(json::array({a, b, c}), ev) == 30);
  b["stop_processing"] = false;
  for (json* r : {&a, &b, &c}) (*r)["group"] = "promo";
  for (json* r : {&a, &b, &c}) (*r)["group_mode"] = "first";
  CHECK(points(json::array({a, b, c}), ev) == 10);
  for (json* r : {&a, &b, &c}) (*r)["group_mode"] = "highest";
  CHECK(points(json::array({a, b, c}), ev) == 40);
  for (json* r : {&a, &b, &c}) (*r)["group_mode"] = "all";
  CHECK(points(json::array({a, b, c}), ev) == 70);
  // first: a rule whose conditions fail does not take the group
  a["group_mode"] = b["group_mode"] = c["group_mode"] = "first";
  a["conditions"] = leaf("purchase.amount", "gt", 1000);
  CHECK(points(json::array({a, b, c}), ev) == 20);
  // the explain trace says who took the group and why a rule did not match
  auto plan = plan_of(json::array({a, b, c}));
  EventBox box(ev);
  lr::Evaluation e;
  lr::evaluate(*plan, box.ev, {}, e);
  json x = lr::explain(*plan, e);
  CHECK(x["total"] == 20);
  CHECK(x["rules"][0]["outcome"] == "not_matched");
  CHECK(x["rules"][0]["failed"] == "conditions");
  CHECK(x["rules"][1]["fired"] == true);
  CHECK(x["rules"][2]["outcome"] == "group_taken");
  CHECK(x["rules"][2]["by"] == "r2");
}

TEST_CASE("rules: a per-transaction cap takes the excess from the latest awards") {
  json base = rule(nullptr, json::array({{{"type", "per_currency"}, {"rate", "1"}}}));
  base["priority"] = 10;
  json bonus = rule(nullptr, json::array({{{"type", "fixed"}, {"points", 100}}}));
  bonus["priority"] = 5;
  json cap = rule(leaf("purchase.channel", "eq", "web"), json::array({{{"type", "cap"}, {"points", 120}}}));
  const json web = {{"amount", 5000}, {"channel", "web"}};
  CHECK(points(json::array({base, bonus, cap}), web) == 120);
  CHECK(points(json::array({base, bonus, cap}), {{"amount", 5000}, {"channel", "pos"}}) == 150);
  auto plan = plan_of(json::array({base, bonus, cap}));
  EventBox box(web);
  lr::Evaluation e;
  lr::evaluate(*plan, box.ev, {}, e);
  CHECK(e.rules[0].points == 50);
  CHECK(e.rules[1].points == 70);
  CHECK(e.rules[1].cap_clamp == 30);
  CHECK(lr::explain(*plan, e)["rules"][1]["clamps"][0]["limit"] == "cap");
}

TEST_CASE("rules: start/end windows and location-based rules") {
  json r = rule(nullptr, kFixed1);
  r["start"] = "2026-03-01T00:00:00Z";
  r["end"] = "2026-03-02T00:00:00Z";
  CHECK(points(json::array({r}), {{"amount", 1}, {"at", "2026-03-01T00:00:00Z"}}) == 1);
  CHECK(points(json::array({r}), {{"amount", 1}, {"at", "2026-03-01T23:59:59Z"}}) == 1);
  CHECK(points(json::array({r}), {{"amount", 1}, {"at", "2026-03-02T00:00:00Z"}}) == 0);
  CHECK(points(json::array({r}), {{"amount", 1}, {"at", "2026-02-28T23:59:59Z"}}) == 0);
  json loc = rule(nullptr, kFixed1);
  loc["location_based"] = true;
  CHECK(points(json::array({loc}), {{"amount", 1}}) == 0);
  CHECK(points(json::array({loc}), {{"amount", 1}, {"location_id", "l"}}) == 1);
}

TEST_CASE("rules: limits clamp to what is left of the period, the budget, and honour cooldowns") {
  json r = rule(nullptr, json::array({{{"type", "fixed"}, {"points", 30}}}));
  r["limits"] = {{"per_customer", {{{"period", "day"}, {"points", 50}}, {{"period", "month"}, {"points", 1000}}}},
                 {"budget", 100},
                 {"cooldown_seconds", 3600}};
  auto plan = plan_of(json::array({r}));
  EventBox box(json{{"amount", 1}});
  lr::Evaluation e;
  std::vector<lr::LimitState> st(1);
  lr::evaluate(*plan, box.ev, st, e);
  CHECK(e.total == 30);
  st[0].used[0] = 40;  // 10 left today
  lr::evaluate(*plan, box.ev, st, e);
  CHECK(e.total == 10);
  CHECK(e.rules[0].limit_clamp == 20);
  CHECK(lr::explain(*plan, e)["rules"][0]["clamps"][0]["limit"] == "per_customer.day");
  st[0].used[0] = 0;
  st[0].budget_used = 95;
  lr::evaluate(*plan, box.ev, st, e);
  CHECK(e.total == 5);
  CHECK(lr::explain(*plan, e)["rules"][0]["clamps"][0]["limit"] == "budget");
  st[0].budget_used = 100;
  lr::evaluate(*plan, box.ev, st, e);
  CHECK(e.total == 0);
  st[0].budget_used = 0;
  st[0].last_award_at = box.ev.at - 3'599'999;
  lr::evaluate(*plan, box.ev, st, e);
  CHECK(e.rules[0].outcome == lr::Outcome::cooldown);
  st[0].last_award_at = box.ev.at - 3'600'000;
  lr::evaluate(*plan, box.ev, st, e);
  CHECK(e.total == 30);
}

TEST_CASE("rules: period keys follow the local calendar (ISO weeks start on Monday)") {
  using loyalty::CivilDate;
  CHECK(lr::period_key(lr::Period::week, CivilDate{2026, 3, 2}) ==
        lr::period_key(lr::Period::week, CivilDate{2026, 3, 8}));
  CHECK(lr::period_key(lr::Period::week, CivilDate{2026, 3, 8}) !=
        lr::period_key(lr::Period::week, CivilDate{2026, 3, 9}));
  CHECK(lr::period_key(lr::Period::month, CivilDate{2026, 3, 31}) + 1 ==
        lr::period_key(lr::Period::month, CivilDate{2026, 4, 1}));
  CHECK(lr::period_key(lr::Period::year, CivilDate{2026, 12, 31}) == 2026);
  CHECK(lr::period_key(lr::Period::lifetime, CivilDate{2026, 12, 31}) == 0);
}

TEST_CASE("rules: decimals are exact integers") {
  CHECK(lr::parse_decimal(json("1.5")) == 1'500'000);
  CHECK(lr::parse_decimal(json("0.000001")) == 1);
  CHECK(lr::parse_decimal(json(3)) == 3'000'000);
  CHECK_FALSE(lr::parse_decimal(json("1.")).has_value());
  CHECK_FALSE(lr::parse_decimal(json(".5")).has_value());
  CHECK_FALSE(lr::parse_decimal(json("-1")).has_value());
  // JSON numbers are read as the decimal they were written as (the engine's one decimal parser).
  CHECK(lr::parse_decimal(json(1.5)) == 1'500'000);
  CHECK_FALSE(lr::parse_decimal(json(1.0000001)).has_value());
}
