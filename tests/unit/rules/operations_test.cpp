// rule.* and purchase.* through the engine: storage, versions, audit, plan cache, submit,
// dry run, returns and persisted limits.
#include <fmt/format.h>

#include <random>

#include "engine/engine_state.hpp"
#include "fixture.hpp"
#include "rules/rules.hpp"
#include "storage/sqlite.hpp"

using namespace loytest;
using loyalty::kMillisPerDay;

namespace {

json base_rule() {
  return {{"name", "Base"}, {"priority", 10}, {"actions", {{{"type", "per_currency"}, {"rate", "1"}}}}};
}

json purchase(const std::string& order, const std::string& customer, json extra = json::object()) {
  json p = {{"order_id", order},
            {"customer_id", customer},
            {"items",
             {{{"sku", "COF"}, {"category", "beverages"}, {"quantity", 2}, {"unit_price", 300}},
              {{"sku", "CAKE"}, {"category", "bakery"}, {"quantity", 1}, {"unit_price", 400}}}}};
  for (auto& [k, v] : extra.items()) p[k] = v;
  return p;
}

}  // namespace

TEST_CASE("rules ops: create, get, list, update (versioned), activate, deactivate, audited") {
  World w;
  json r = w.call("rule.create", base_rule());
  CHECK(r["version"] == 1);
  CHECK(r["program_id"] == w.program_id);
  CHECK(r["active"] == true);
  const std::string id = r["id"];
  CHECK(w.call("rule.get", {{"id", id}})["name"] == "Base");
  json u = w.call("rule.update", {{"id", id}, {"name", "Base rate"}, {"priority", 20}});
  CHECK(u["version"] == 2);
  CHECK(u["name"] == "Base rate");
  CHECK(u["actions"] == r["actions"]);
  CHECK(w.call("rule.get", {{"id", id}, {"version", 1}})["name"] == "Base");
  LOY_REQUIRE_ERROR(w.call("rule.get", {{"id", id}, {"version", 3}}), Status::not_found, "version");
  CHECK(w.call("rule.deactivate", {{"id", id}})["active"] == false);
  CHECK(w.call("rule.list", {{"active", true}})["items"].empty());
  CHECK(w.call("rule.activate", {{"id", id}})["active"] == true);
  CHECK(w.call("rule.list", json::object())["items"].size() == 1);
  json audit = w.call("audit.list", json::object());
  std::vector<std::string> actions;
  for (const auto& e : audit["items"]) actions.push_back(e["action"]);
  for (const char* a : {"rule.create", "rule.update", "rule.deactivate", "rule.activate"})
    CHECK(std::find(actions.begin(), actions.end(), a) != actions.end());
  // another tenant sees nothing
  auto [other, pid] = w.other_tenant("Other");
  LOY_REQUIRE_ERROR(other.call("rule.get", {{"id", id}}), Status::not_found, "id");
  LOY_REQUIRE_ERROR(other.call("rule.update", {{"id", id}, {"name", "x"}}), Status::not_found, "id");
  CHECK(other.call("rule.list", json::object())["items"].empty());
  // A program id that is unknown, or another tenant's, is not found (as in tier.list and
  // reward.list), never an empty page.
  CHECK(w.call("rule.list", {{"program_id", w.program_id}})["items"].size() == 1);
  LOY_REQUIRE_ERROR(w.call("rule.list", {{"program_id", "prg_nope"}}), Status::not_found, "program_id");
  LOY_REQUIRE_ERROR(w.call("rule.list", {{"program_id", pid}}), Status::not_found, "program_id");
  LOY_REQUIRE_ERROR(other.call("rule.list", {{"program_id", w.program_id}}), Status::not_found, "program_id");
  CHECK(other.call("rule.list", {{"program_id", pid}})["items"].empty());
}

TEST_CASE("rules ops: an invalid rule is refused with its path and never stored") {
  World w;
  json bad = base_rule();
  bad["conditions"] = {{"all",
                        {{{"fact", "purchase.amount"}, {"operator", "gte"}, {"value", 1}},
                         {{"fact", "purchase.nope"}, {"operator", "eq"}, {"value", 1}}}}};
  LOY_REQUIRE_ERROR(w.call("rule.create", bad), Status::invalid, "conditions.all[1].fact");
  CHECK(w.call("rule.list", json::object())["items"].empty());
  const std::string id = w.call("rule.create", base_rule())["id"];
  LOY_REQUIRE_ERROR(w.call("rule.update", {{"id", id}, {"actions", json::array()}}), Status::invalid, "actions");
  CHECK(w.call("rule.get", {{"id", id}})["version"] == 1);
  // group modes must agree across the program's rules
  json a = base_rule();
  a["group"] = "g";
  a["group_mode"] = "first";
  w.call("rule.create", a);
  a["group_mode"] = "highest";
  LOY_REQUIRE_ERROR(w.call("rule.create", a), Status::invalid, "group_mode");
}

TEST_CASE("rules ops: a purchase earns by the rules, records rule versions, replays by order id") {
  World w;
  const std::string c = w.enroll("alice");
  const std::string rid = w.call("rule.create", base_rule())["id"];
  const json on_bev = {{"fact", "item.category"}, {"operator", "eq"}, {"value", "beverages"}};
  json bev = {{"name", "Beverages x2"},
              {"actions", json::array({{{"type", "per_currency"}, {"rate", "1"}, {"items", on_bev}}})}};
  w.call("rule.create", bev);
  json out = w.call("purchase.submit", purchase("o-1", c));
  CHECK(out["points"] == 16);  // 10 on 1000 cents + 6 on 600 cents of beverages
  CHECK(out["entry"]["points"] == 16);
  CHECK(out["balance"]["balance"] == 16);
  CHECK(out["replayed"] == false);
  CHECK(out["explain"]["rules"].size() == 2);
  CHECK(out["purchase"]["rules"][0]["rule_id"] == rid);
  CHECK(out["purchase"]["rules"][0]["version"] == 1);
  json again = w.call("purchase.submit", purchase("o-1", c));
  CHECK(again["replayed"] == true);
  CHECK(again["points"] == 16);
  CHECK(w.balance(c)["balance"] == 16);
  LOY_REQUIRE_ERROR(w.call("purchase.submit", purchase("o-1", c, {{"channel", "web"}})), Status::conflict, "channel");
  // dry run gives the same answer without writing
  json dry = w.call("purchase.dry_run", purchase("o-2", c));
  CHECK(dry["points"] == 16);
  CHECK(dry["explain"] == w.call("purchase.submit", purchase("o-2", c))["explain"]);
  CHECK(w.balance(c)["balance"] == 32);
  // an update makes a new version, and the next purchase records it
  w.call("rule.update", {{"id", rid}, {"actions", {{{"type", "per_currency"}, {"rate", "2"}}}}});
  json o3 = w.call("purchase.submit", purchase("o-3", c));
  CHECK(o3["points"] == 26);
  CHECK(o3["purchase"]["rules"][0]["version"] == 2);
  w.require_verified();
}

TEST_CASE("rules ops: purchases are validated and tenant scoped") {
  World w;
  const std::string c = w.enroll("alice");
  LOY_REQUIRE_ERROR(w.call("purchase.submit", json{{"customer_id", c}, {"amount", 1}}), Status::invalid, "order_id");
  LOY_REQUIRE_ERROR(w.call("purchase.submit", json{{"order_id", "x"}, {"customer_id", c}}), Status::invalid, "amount");
  LOY_REQUIRE_ERROR(w.call("purchase.submit", purchase("x", c, {{"bogus", 1}})), Status::invalid, "bogus");
  json bad_item = purchase("x", c);
  bad_item["items"][1]["quantity"] = 0;
  LOY_REQUIRE_ERROR(w.call("purchase.submit", bad_item), Status::invalid, "items[1].quantity");
  auto [other, pid] = w.other_tenant("Other");
  LOY_REQUIRE_ERROR(other.call("purchase.submit", purchase("x", c)), Status::not_found, "customer_id");
}

TEST_CASE("rules ops: history facts come from earlier purchases") {
  World w;
  const std::string c = w.enroll("alice");
  w.call("rule.create", {{"name", "Welcome"},
                         {"conditions", {{"fact", "customer.first_purchase"}, {"operator", "eq"}, {"value", true}}},
                         {"actions", {{{"type", "fixed"}, {"points", 100}}}}});
  w.call("rule.create", {{"name", "Regular"},
                         {"conditions", {{"fact", "customer.visits"}, {"days", 7}, {"operator", "gte"}, {"value", 2}}},
                         {"actions", {{{"type", "fixed"}, {"points", 7}}}}});
  CHECK(w.call("purchase.submit", purchase("o-1", c))["points"] == 100);
  w.clock->advance(kMillisPerDay);
  CHECK(w.call("purchase.submit", purchase("o-2", c))["points"] == 0);
  w.clock->advance(kMillisPerDay);
  CHECK(w.call("purchase.submit", purchase("o-3", c))["points"] == 7);
  w.clock->advance(8 * kMillisPerDay);
  CHECK(w.call("purchase.submit", purchase("o-4", c))["points"] == 0);
}

TEST_CASE("rules ops: returns reverse proportionally, once, and a full return reverses everything") {
  World w;
  const std::string c = w.enroll("alice");
  w.call("rule.create", {{"name", "Ten per euro"}, {"actions", {{{"type", "per_currency"}, {"rate", "10"}}}}});
  CHECK(w.call("purchase.submit", purchase("o-1", c))["points"] == 100);
  json r1 = w.call("purchase.return",
                   {{"order_id", "o-1"}, {"items", {{{"sku", "COF"}, {"quantity", 1}}}}, {"return_id", "r1"}});
  CHECK(r1["points_reversed"] == 30);  // 300 of 1000 cents
  CHECK(w.balance(c)["balance"] == 70);
  CHECK(w.call("purchase.return", {{"order_id", "o-1"},
                                   {"items", {{{"sku", "COF"}, {"quantity", 1}}}},
                                   {"return_id", "r1"}})["replayed"] == true);
  CHECK(w.balance(c)["balance"] == 70);
  LOY_REQUIRE_ERROR(w.call("purchase.return", {{"order_id", "o-1"}, {"items", {{{"sku", "COF"}, {"quantity", 2}}}}}),
                    Status::conflict, "items[0].quantity");
  json r2 = w.call("purchase.return", {{"order_id", "o-1"}});
  CHECK(r2["points_reversed"] == 70);
  CHECK(r2["fully_returned"] == true);
  CHECK(w.balance(c)["balance"] == 0);
  LOY_REQUIRE_ERROR(w.call("purchase.return", {{"order_id", "o-1"}}), Status::conflict, "order_id");
  LOY_REQUIRE_ERROR(w.call("purchase.return", {{"order_id", "nope"}}), Status::not_found, "order_id");
  w.require_verified();
}

TEST_CASE("rules ops: per-customer daily limits, budgets and cooldowns persist across purchases") {
  World w;
  const std::string a = w.enroll("alice"), b = w.enroll("bob");
  w.call("rule.create", {{"name", "Capped"},
                         {"actions", {{{"type", "fixed"}, {"points", 40}}}},
                         {"limits", {{"per_customer", {{{"period", "day"}, {"points", 100}}}}, {"budget", 150}}}});
  CHECK(w.call("purchase.submit", purchase("a1", a))["points"] == 40);
  CHECK(w.call("purchase.submit", purchase("a2", a))["points"] == 40);
  json third = w.call("purchase.submit", purchase("a3", a));
  CHECK(third["points"] == 20);
  CHECK(third["explain"]["rules"][0]["clamps"][0]["limit"] == "per_customer.day");
  CHECK(w.call("purchase.submit", purchase("b1", b))["points"] == 40);
  CHECK(w.call("purchase.submit", purchase("b2", b))["points"] == 10);  // budget 150 reached
  w.clock->advance(kMillisPerDay);
  CHECK(w.call("purchase.submit", purchase("a4", a))["points"] == 0);
  // dry run sees the limits too
  CHECK(w.call("purchase.dry_run", purchase("a5", a))["points"] == 0);
  w.call("rule.create", {{"name", "Cooldown"},
                         {"actions", {{{"type", "fixed"}, {"points", 5}}}},
                         {"limits", {{"cooldown_seconds", 3600}}}});
  CHECK(w.call("purchase.submit", purchase("c1", a))["points"] == 5);
  CHECK(w.call("purchase.submit", purchase("c2", a, {{"explain", "full"}}))["explain"]["rules"][1]["outcome"] ==
        "cooldown");
  w.clock->advance(3'600'000);
  CHECK(w.call("purchase.submit", purchase("c3", a))["points"] == 5);
}

TEST_CASE("rules ops: another engine's rule change reaches a cached plan") {
  TempDir dir;
  World w(json::object(), dir.db());
  const std::string c = w.enroll("alice");
  const std::string rid = w.call("rule.create", base_rule())["id"];
  CHECK(w.call("purchase.dry_run", purchase("o", c))["points"] == 10);
  loyalty::EngineOptions o;
  o.storage.uri = dir.db();
  o.clock = w.clock;
  auto e2 = loyalty::Engine::open(o);
  auto s2 = e2.session(w.tenant["api_key"]["key"].get<std::string>());
  s2.call("rule.update", {{"id", rid}, {"actions", {{{"type", "fixed"}, {"points", 3}}}}});
  CHECK(w.call("purchase.dry_run", purchase("o", c))["points"] == 3);
  s2.call("rule.deactivate", {{"id", rid}});
  CHECK(w.call("purchase.dry_run", purchase("o", c))["points"] == 0);
}

TEST_CASE("rules ops: two in-memory engines each evaluate their own rules, also for one program id") {
  // The plan cache belongs to its engine. It was process-wide and keyed by the database path,
  // which is "" for every in-memory engine, so a second in-memory engine with a program of the
  // same id and rule generation was served the first engine's plan.
  World a;
  World b;
  // Ids are random: b's program takes a's id behind the engine's back, before anything refers
  // to it (as in a copy of a's database).
  {
    loyalty::storage::Tx tx(loyalty::storage::sqlite_pool(*b.engine.state()->db), loyalty::storage::TxMode::write);
    tx.q("UPDATE programs SET id = ?1 WHERE id = ?2", a.program_id, b.program_id).run();
    tx.commit();
  }
  const std::string ca = a.enroll("alice");
  const std::string cb = b.enroll("bob");
  a.call("rule.create", base_rule());  // 1 point per currency unit: 10 on 1000 cents
  b.call("rule.create", {{"name", "Fixed"}, {"actions", {{{"type", "fixed"}, {"points", 3}}}}});
  CHECK(b.call("rule.list", json::object())["items"][0]["program_id"] == a.program_id);
  CHECK(a.call("purchase.submit", purchase("o-1", ca))["points"] == 10);
  CHECK(b.call("purchase.submit", purchase("o-1", cb))["points"] == 3);
  CHECK(a.call("purchase.dry_run", purchase("o-2", ca))["points"] == 10);
  CHECK(b.call("purchase.dry_run", purchase("o-2", cb))["points"] == 3);
}

TEST_CASE("rules ops: the tenant's time zone decides time facts and periods") {
  World w;
  w.admin.call("tenant.update", {{"id", w.tenant["tenant"]["id"]}, {"timezone", "Asia/Tokyo"}});
  const std::string c = w.enroll("alice");
  w.call("rule.create", {{"name", "Morning"},
                         {"conditions", {{"fact", "time.hour"}, {"operator", "eq"}, {"value", 21}}},
                         {"actions", {{{"type", "fixed"}, {"points", 9}}}}});
  // kStart is 12:00Z = 21:00 in Tokyo
  CHECK(w.call("purchase.dry_run", purchase("o", c))["points"] == 9);
}

TEST_CASE("rules ops: explain none, fired or full; submit keeps fired; a replay may ask for another level") {
  World w;
  const std::string c = w.enroll("alice");
  w.call("rule.create", base_rule());
  w.call("rule.create", {{"name", "Big"},
                         {"conditions", {{"fact", "purchase.amount"}, {"operator", "gte"}, {"value", 100000}}},
                         {"actions", {{{"type", "fixed"}, {"points", 50}}}}});
  // dry run: full by default (every rule with its outcome), fired, none (null)
  json full = w.call("purchase.dry_run", purchase("d", c));
  CHECK(full["explain"]["rules"].size() == 2);
  CHECK(full["explain"]["rules"][1]["outcome"] == "not_matched");
  CHECK(full == w.call("purchase.dry_run", purchase("d", c, {{"explain", "full"}})));
  json fired = w.call("purchase.dry_run", purchase("d", c, {{"explain", "fired"}}));
  REQUIRE(fired["explain"]["rules"].size() == 1);
  CHECK(fired["explain"]["rules"][0] == full["explain"]["rules"][0]);
  CHECK(fired["explain"]["total"] == 10);
  json none = w.call("purchase.dry_run", purchase("d", c, {{"explain", "none"}}));
  CHECK(none["explain"].is_null());
  CHECK(none["points"] == 10);
  CHECK(none["purchase"] == full["purchase"]);
  for (const json& bad : {json("some"), json(1), json(""), json("FULL")})
    LOY_REQUIRE_ERROR(w.call("purchase.dry_run", purchase("d", c, {{"explain", bad}})), Status::invalid, "explain");
  LOY_REQUIRE_ERROR(w.call("purchase.submit", purchase("x", c, {{"explain", "all"}})), Status::invalid, "explain");
  CHECK(w.balance(c)["balance"] == 0);
  // submit: fired by default, and what the stored purchase keeps
  json sub = w.call("purchase.submit", purchase("o-1", c));
  CHECK(sub["explain"] == fired["explain"]);
  // the level is not part of the order: a replay asking for another is no conflict
  json again = w.call("purchase.submit", purchase("o-1", c, {{"explain", "none"}}));
  CHECK(again["replayed"] == true);
  CHECK(again["explain"].is_null());
  json again_full = w.call("purchase.submit", purchase("o-1", c, {{"explain", "full"}}));
  CHECK(again_full["replayed"] == true);
  CHECK(again_full["explain"] == fired["explain"]);  // the stored trace
  CHECK(w.balance(c)["balance"] == 10);
  CHECK(w.call("purchase.submit", purchase("o-2", c, {{"explain", "full"}}))["explain"] == full["explain"]);
  CHECK(w.call("purchase.submit", purchase("o-3", c, {{"explain", "none"}}))["explain"].is_null());
  CHECK(w.call("purchase.submit", purchase("o-3", c))["explain"] == fired["explain"]);
  LOY_REQUIRE_ERROR(w.call("purchase.submit", purchase("o-3", c, {{"explain", "none"}, {"channel", "web"}})),
                    Status::conflict, "channel");
}

TEST_CASE("rules ops: the dry run's text is canonical JSON and agrees with the DOM path of submit") {
  // purchase.dry_run writes its answer as text (no DOM): parsing and dumping it again must give the
  // same bytes (keys sorted, strings escaped as nlohmann escapes them), and its purchase must be
  // what submit's DOM path writes for the same purchase, across outcomes, caps and odd strings.
  World w;
  const std::string c = w.enroll("alice");
  w.call("rule.create", base_rule());
  json g1 = {{"name", "G \"one\"\n\t\\"},
             {"priority", 30},
             {"group", "promo"},
             {"group_mode", "highest"},
             {"actions", {{{"type", "fixed"}, {"points", 7}}}}};
  json g2 = g1;
  g2["name"] = "G two \u00e9\u4e2d\U0001F600 \x01\x1f\x7f";
  g2["actions"][0]["points"] = 9;
  w.call("rule.create", g1);
  w.call("rule.create", g2);
  w.call("rule.create", {{"name", "Stop"},
                         {"priority", 5},
                         {"stop_processing", true},
                         {"conditions", {{"fact", "purchase.channel"}, {"operator", "eq"}, {"value", "pos"}}},
                         {"actions", {{{"type", "fixed"}, {"points", 1}}}}});
  w.call("rule.create", {{"name", "Late"}, {"priority", 1}, {"actions", {{{"type", "fixed"}, {"points", 2}}}}});
  w.call("rule.create", {{"name", "Cap"}, {"priority", 0}, {"actions", {{{"type", "cap"}, {"points", 20}}}}});
  const std::vector<json> extras = {json::object(),
                                    {{"channel", "pos"}},
                                    {{"order_id", "quote\" back\\ nl\n ctl\x02 \u00fc"}},
                                    {{"amount", 0}},
                                    {{"amount", 999999}, {"currency", "USD"}}};
  for (const json& extra : extras)
    for (const char* level : {"none", "fired", "full"}) {
      json in = purchase("o", c, extra);
      in["explain"] = level;
      const std::string text = w.session.call_text("purchase.dry_run", in);
      CAPTURE(text);
      CHECK(loyalty::parse_json(text).dump() == text);
      CHECK(loyalty::parse_json(text) == w.call("purchase.dry_run", in));
    }
  // the purchase of a dry run is the purchase submit writes, but for id and order
  json in = purchase("o-9", c, {{"channel", "pos"}});
  json dry = w.call("purchase.dry_run", in)["purchase"];
  json sub = w.call("purchase.submit", in)["purchase"];
  CHECK(dry["id"].is_null());
  dry.erase("id");
  sub.erase("id");
  CHECK(dry == sub);
}

namespace {

/// The answer to `text` (or its error, as "status|field|message") through call_raw, which reads
/// the text without a document when it can, and through the document path.
std::pair<std::string, std::string> both_paths(const loyalty::Session& s, const std::string& text) {
  auto run = [&](auto&& f) -> std::string {
    try {
      return "ok|" + f();
    } catch (const loyalty::Error& e) {
      return fmt::format("{}|{}|{}|{}", static_cast<int>(e.status()), e.field(), e.what(), e.detail().dump());
    }
  };
  return {run([&] { return s.call_raw("purchase.dry_run", text); }),
          run([&] { return s.call_text("purchase.dry_run", loyalty::parse_json(text)); })};
}

}  // namespace

TEST_CASE("rules ops: the dry run reads its text without a document and answers as the document path") {
  // purchase.dry_run reads the usual purchase straight from its text (PurchaseReader) and leaves
  // anything else to the document path, whose validation reports the error: on generated inputs,
  // valid and not, both paths give the same bytes or the same error, and the usual ones are read
  // directly.
  World w;
  const std::string c = w.enroll("alice");
  w.call("rule.create", base_rule());
  auto bonus = [&](const char* name, json cond, int points) {
    w.call("rule.create",
           {{"name", name}, {"conditions", std::move(cond)}, {"actions", {{{"type", "fixed"}, {"points", points}}}}});
  };
  bonus("app", {{"fact", "purchase.channel"}, {"operator", "eq"}, {"value", "app"}}, 1);
  bonus("gold", {{"fact", "customer.tier"}, {"operator", "eq"}, {"value", "gold"}}, 2);
  bonus("vip", {{"fact", "customer.segments"}, {"operator", "contains"}, {"value", "vip"}}, 4);
  bonus("bday", {{"fact", "customer.is_birthday_month"}, {"operator", "eq"}, {"value", true}}, 8);
  bonus("first", {{"fact", "customer.first_purchase"}, {"operator", "eq"}, {"value", true}}, 16);
  bonus("inside", {{"fact", "place.inside"}, {"operator", "contains"}, {"value", "L1"}}, 32);
  bonus("near", {{"fact", "place.distance_m"}, {"operator", "lt"}, {"value", 100}}, 64);
  bonus("many", {{"fact", "purchase.item_count"}, {"operator", "gt"}, {"value", 2}}, 128);
  bonus("usd", {{"fact", "purchase.currency"}, {"operator", "eq"}, {"value", "USD"}}, 256);
  bonus("at", {{"fact", "purchase.location_id"}, {"operator", "exists"}, {"value", true}}, 512);
  bonus("morning", {{"fact", "time.hour"}, {"operator", "lt"}, {"value", 12}}, 1024);
  w.call("rule.create", {{"name", "tm"}, {"priority", -1}, {"actions", {{{"type", "tier_multiplier"}}}}});

  std::mt19937 rng(20261207);
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  auto one_of = [&](const std::vector<json>& v) { return v[rng() % v.size()]; };
  const json any_bad = {nullptr, true, 1.5, -1, "", json::array(), json::object(), "x"};
  // a good value mostly; now and then one just out of bounds, or of another type
  auto val = [&](const std::vector<json>& good, const std::vector<json>& bad = {}) {
    if (chance(2)) return one_of(any_bad);
    return !bad.empty() && chance(3) ? one_of(bad) : one_of(good);
  };
  auto item = [&] {
    json it = json::object();
    if (!chance(1)) it["sku"] = val({"COF", "CAKE", std::string(200, 's')}, {std::string(201, 's')});
    if (chance(70)) it["category"] = val({"bakery", "beverages", nullptr});
    if (!chance(1)) it["quantity"] = val({1, 2, 5, 1000000}, {0, 1000001});
    if (!chance(1)) it["unit_price"] = val({0, 250, 999, 1000000000}, {1000000000001});
    if (chance(1)) it["note"] = "unknown";
    return it;
  };
  int direct = 0, accepted = 0;
  for (int n = 0; n < 2500; ++n) {
    json in = json::object();
    if (chance(40)) in["order_id"] = val({"o-1", std::string(200, 'o')}, {std::string(201, 'o')});
    if (chance(30)) in["customer_id"] = val({c}, {"cus_unknown"});
    if (chance(5)) in["program_id"] = val({"prg_unknown"});
    if (chance(60)) in["amount"] = val({0, 1234, 99999, 1000000000000000}, {1000000000000001});
    if (chance(20)) in["currency"] = val({"USD", "EUR"}, {"usd", "US", "USDX"});
    if (chance(40)) in["channel"] = val({"app", "pos"}, {std::string(101, 'c')});
    if (chance(20)) in["location_id"] = val({"L1", "L2"});
    if (chance(60)) {
      json items = json::array();
      for (int k = static_cast<int>(rng() % 4); k > 0; --k) items.push_back(item());
      in["items"] = val({items});
    }
    if (chance(50))
      in["occurred_at"] = val({"2026-03-01T09:00:00Z", "2026-03-01T15:00:00+02:00"}, {"2026-13-01T00:00:00Z", "now"});
    if (chance(20)) {
      json place = json::object();
      if (chance(70)) place["inside"] = val({json::array({"L1"}), json::array({"L2", "L1"}), json::array()});
      if (chance(70)) place["distance_m"] = val({0, 50, 500}, {40075001});
      in["place"] = val({place});
    }
    if (chance(50)) {
      json cu = json::object();
      if (chance(50)) cu["tier"] = val({"gold", "bronze"}, {std::string(101, 't')});
      if (chance(40)) cu["tier_multiplier"] = val({1.5, 2, "1.25", 0.1, "1000"}, {"x", 1000.5});
      if (chance(40)) cu["segments"] = val({json::array({"vip"}), json::array({"a", "vip"}), json::array()});
      if (chance(40)) cu["birthday"] = val({"03-15", "1990-03-02"}, {"02-30", "1990-3-2"});
      if (chance(40)) cu["first_purchase"] = val({true, false, nullptr});
      if (chance(5)) cu["attributes"] = {{"k", "v"}};
      in["customer"] = val({cu});
    }
    if (chance(5)) in["metadata"] = {{"note", "x"}};
    if (chance(60)) in["explain"] = val({"none", "fired", "full"}, {"all"});
    if (chance(1)) in["unknown"] = 1;
    std::string text = in.dump();
    if (chance(2)) text.insert(1, "\"amount\":5,");  // a key twice (or a stray comma when alone)
    if (chance(1)) text = "[" + text + "]";          // not an object
    if (chance(1)) text.pop_back();                  // malformed
    CAPTURE(text);
    const auto [raw, dom] = both_paths(w.session, text);
    CHECK(raw == dom);
    // the usual purchases are read without a document (else this test compared a path with itself)
    const bool free_form =
        text.find("\"metadata\":{") != std::string::npos || text.find("\"attributes\":{") != std::string::npos;
    const bool directly = loyalty::detail::purchase_text_read_directly(text, true);
    if (raw.starts_with("ok|") && !free_form) CHECK(directly);
    accepted += raw.starts_with("ok|");
    direct += directly;
  }
  MESSAGE(fmt::format("{} of 2500 inputs accepted, {} read without a document", accepted, direct));
  CHECK(accepted > 500);
  CHECK(direct > 500);
}

TEST_CASE("rules ops: a guest's first purchase is the host's to say; a known customer's is the ledger's") {
  World w;
  const std::string c = w.enroll("alice");
  w.call("rule.create", {{"name", "Welcome"},
                         {"conditions", {{"fact", "customer.first_purchase"}, {"operator", "eq"}, {"value", true}}},
                         {"actions", {{{"type", "fixed"}, {"points", 200}}}}});
  const json guest = {{"amount", 1000}};
  CHECK(w.call("purchase.dry_run", guest)["points"] == 200);  // no history: a first purchase
  CHECK(w.call("purchase.dry_run", {{"amount", 1000}, {"customer", {{"first_purchase", false}}}})["points"] == 0);
  CHECK(w.call("purchase.dry_run", {{"amount", 1000}, {"customer", {{"first_purchase", true}}}})["points"] == 200);
  CHECK(w.call("purchase.dry_run", {{"amount", 1000}, {"customer", {{"first_purchase", nullptr}}}})["points"] == 200);
  LOY_REQUIRE_ERROR(w.call("purchase.dry_run", {{"amount", 1000}, {"customer", {{"first_purchase", "no"}}}}),
                    Status::invalid, "customer.first_purchase");
  LOY_REQUIRE_ERROR(
      w.call("purchase.dry_run", {{"amount", 1000}, {"customer_id", c}, {"customer", {{"first_purchase", false}}}}),
      Status::invalid, "customer.first_purchase");
  LOY_REQUIRE_ERROR(
      w.call("purchase.submit",
             {{"order_id", "o1"}, {"amount", 1000}, {"customer_id", c}, {"customer", {{"first_purchase", false}}}}),
      Status::invalid, "customer.first_purchase");
  CHECK(w.balance(c)["balance"] == 0);
  // the ledger decides for alice: first, then not
  CHECK(w.call("purchase.submit", {{"order_id", "o1"}, {"amount", 1000}, {"customer_id", c}})["points"] == 200);
  CHECK(w.call("purchase.dry_run", {{"amount", 1000}, {"customer_id", c}})["points"] == 0);
}
