// Conformance suite of RuleStore (src/storage/module_store.hpp): rules with their versions and
// generation, limit state, the history facts rules read, and purchases with their items and
// returns, checked through the interface alone, once per backend.
#include <tuple>

#include "locations/location_store.hpp"
#include "rules/rule_store.hpp"
#include "store_backends.hpp"

using namespace loytest;
using loyalty::Timestamp;
using loyalty::storage::CheckinRecord;
using loyalty::storage::PurchaseItemRecord;
using loyalty::storage::PurchaseRecord;
using loyalty::storage::RuleQuery;
using loyalty::storage::RuleRecord;
using loyalty::storage::RuleStore;
using loyalty::storage::TxMode;

namespace {

constexpr Timestamp T = kStart;

RuleRecord rule(const std::string& id, const std::string& tenant, const std::string& program, bool active = true) {
  return {id, tenant, program, 1, active, R"({"name":")" + id + R"("})", T, T, 0};
}

PurchaseRecord purchase(const std::string& id, const std::string& tenant, const std::string& customer,
                        const std::string& program, const std::string& order, Timestamp at, int64_t amount) {
  return {id,          tenant, program, customer, order,        at,    amount, "USD", 10,
          "ent_" + id, amount, true,    "{}",     R"({"r":1})", T + 1, 0,      0,     false};
}

std::vector<std::string> ids(const std::vector<RuleRecord>& v) { return pluck(v, &RuleRecord::id); }

}  // namespace

TEST_CASE("rule store: rules keep their ids and versions, are found only in their tenant, and page in order") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    RuleStore& s = tx->rules();
    s.insert_rule(rule("rul_1", f.tenant, f.program));
    s.insert_rule(rule("rul_2", f.tenant, "prg_b", false));
    s.insert_rule(rule("rul_x", f.other_tenant, "prg_x"));
    s.insert_rule(rule("rul_3", f.tenant, f.program));
    LOY_REQUIRE_ERROR(s.insert_rule(rule("rul_1", f.other_tenant, "prg_x")), Status::conflict, "");
    const RuleRecord r = s.rule(f.tenant, "rul_1").value();
    CHECK(std::tie(r.tenant_id, r.program_id, r.version, r.active, r.body, r.created_at, r.updated_at) ==
          std::make_tuple(f.tenant, f.program, int64_t{1}, true, std::string(R"({"name":"rul_1"})"), T, T));
    CHECK(!s.rule(f.other_tenant, "rul_1"));
    CHECK(s.rule_version("rul_1", 1)->body == R"({"name":"rul_1"})");  // the first version is kept
    CHECK(!s.rule_version("rul_1", 2));

    RuleQuery q{f.tenant, std::nullopt, std::nullopt, 0, 10};
    CHECK(ids(s.rules(q)) == std::vector<std::string>{"rul_1", "rul_2", "rul_3"});
    q.limit = 1;
    const auto page = s.rules(q);
    CHECK(ids(page) == std::vector<std::string>{"rul_1", "rul_2"});  // limit + 1
    q.after_seq = page[0].seq;
    CHECK(ids(s.rules(q)) == std::vector<std::string>{"rul_2", "rul_3"});
    CHECK(ids(s.rules({f.tenant, f.program, std::nullopt, 0, 10})) == std::vector<std::string>{"rul_1", "rul_3"});
    CHECK(ids(s.rules({f.tenant, std::nullopt, false, 0, 10})) == std::vector<std::string>{"rul_2"});
    CHECK(ids(s.rules({f.other_tenant, std::nullopt, std::nullopt, 0, 10})) == std::vector<std::string>{"rul_x"});
    CHECK(ids(s.program_rules(f.program)) == std::vector<std::string>{"rul_1", "rul_3"});
  });
}

TEST_CASE("rule store: updates write a new version in their tenant; the generation counts bumps per program") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    RuleStore& s = tx->rules();
    s.insert_rule(rule("rul_u", f.tenant, f.program));
    s.update_rule(f.tenant, "rul_u", 2, R"({"name":"v2"})", T + 5);
    const RuleRecord r = s.rule(f.tenant, "rul_u").value();
    CHECK(r.version == 2);
    CHECK(r.body == R"({"name":"v2"})");
    CHECK(r.updated_at == T + 5);
    CHECK(r.created_at == T);
    CHECK(s.rule_version("rul_u", 1)->body == R"({"name":"rul_u"})");
    CHECK(s.rule_version("rul_u", 2)->created_at == T + 5);
    s.update_rule(f.other_tenant, "rul_u", 3, R"({"name":"stolen"})", T + 6);  // not its rule: nothing
    CHECK(s.rule(f.tenant, "rul_u")->version == 2);
    CHECK(!s.rule_version("rul_u", 3));
    LOY_REQUIRE_ERROR(s.update_rule(f.tenant, "rul_u", 2, "{}", T + 7), Status::conflict, "");  // version 2 exists

    s.set_rule_active(f.other_tenant, "rul_u", false, T + 8);
    CHECK(s.rule(f.tenant, "rul_u")->active);
    s.set_rule_active(f.tenant, "rul_u", false, T + 9);
    CHECK(!s.rule(f.tenant, "rul_u")->active);
    CHECK(s.rule(f.tenant, "rul_u")->updated_at == T + 9);
    CHECK(s.program_rules(f.program).size() == 1);  // inactive rules are compiled too

    CHECK(s.generation(f.program) == 0);
    s.bump_generation(f.program);
    s.bump_generation(f.program);
    s.bump_generation("prg_b");
    CHECK(s.generation(f.program) == 2);
    CHECK(s.generation("prg_b") == 1);
  });
}

TEST_CASE("rule store: limit state adds up per rule, customer and period; the latest award is kept") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    RuleStore& s = tx->rules();
    CHECK(!s.counter("rul_a", f.alice, "day", 5));
    CHECK(!s.budget_issued("rul_a"));
    CHECK(!s.last_award("rul_a", f.alice));
    s.add_counter("rul_a", f.alice, "day", 5, 10);
    s.add_counter("rul_a", f.alice, "day", 5, 7);
    s.add_counter("rul_a", f.alice, "day", 6, 1);
    s.add_counter("rul_a", f.alice, "month", 5, 2);
    s.add_counter("rul_a", f.bob, "day", 5, 100);
    s.add_counter("rul_b", f.alice, "day", 5, 1000);
    CHECK(s.counter("rul_a", f.alice, "day", 5) == 17);
    CHECK(s.counter("rul_a", f.alice, "day", 6) == 1);
    CHECK(s.counter("rul_a", f.alice, "month", 5) == 2);
    CHECK(s.counter("rul_a", f.bob, "day", 5) == 100);
    s.add_budget("rul_a", 30);
    s.add_budget("rul_a", 12);
    CHECK(s.budget_issued("rul_a") == 42);
    CHECK(!s.budget_issued("rul_b"));
    s.record_award("rul_a", f.alice, T + 10);
    s.record_award("rul_a", f.alice, T + 5);  // an earlier award (synced late) keeps the latest
    CHECK(s.last_award("rul_a", f.alice) == T + 10);
    s.record_award("rul_a", f.alice, T + 20);
    CHECK(s.last_award("rul_a", f.alice) == T + 20);
    CHECK(!s.last_award("rul_a", f.bob));
  });
}

TEST_CASE("rule store: history facts count purchases and verified check-ins in half-open ranges") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    RuleStore& s = tx->rules();
    s.insert_purchase(purchase("pur_1", f.tenant, f.alice, f.program, "o1", T + 10, 100));
    s.insert_purchase(purchase("pur_2", f.tenant, f.alice, f.program, "o2", T + 20, 250));
    s.insert_purchase(purchase("pur_3", f.tenant, f.alice, "prg_other", "o3", T + 15, 999));
    s.insert_purchase(purchase("pur_4", f.tenant, f.bob, f.program, "o4", T + 15, 999));
    CHECK(s.purchase_stats(f.alice, f.program, T + 9).count == 0);
    CHECK(!s.purchase_stats(f.alice, f.program, T + 9).last_at);
    CHECK(s.purchase_stats(f.alice, f.program, T + 10).count == 1);
    CHECK(s.purchase_stats(f.alice, f.program, T + 100).count == 2);
    CHECK(s.purchase_stats(f.alice, f.program, T + 100).last_at == T + 20);
    CHECK(s.purchases_between(f.alice, f.program, T + 10, T + 20) == 1);  // (from, to]
    CHECK(s.purchases_between(f.alice, f.program, T + 9, T + 20) == 2);
    CHECK(s.spend_between(f.alice, f.program, T + 9, T + 20) == 350);
    CHECK(s.spend_between(f.alice, f.program, T + 10, T + 19) == 0);

    auto checkin = [&](const std::string& id, const std::string& loc, Timestamp at, const std::string& status) {
      tx->locations().insert_checkin(CheckinRecord{id, f.tenant, f.alice, loc, 0, 0, 5, "{}", false, at, status,
                                                   std::nullopt, "[]", std::nullopt, std::nullopt, 0, std::nullopt, T,
                                                   0});
    };
    checkin("chk_1", "loc_a", T + 10, "verified");
    checkin("chk_2", "loc_a", T + 30, "verified");  // after the event (synced late)
    checkin("chk_3", "loc_b", T + 20, "verified");
    checkin("chk_4", "loc_a", T + 15, "rejected");
    CHECK(s.checkins_between(f.alice, T + 9, T + 20) == 2);
    CHECK(s.checkins_between(f.alice, T + 10, T + 29) == 1);
    CHECK(s.checkins_between(f.bob, T, T + 100) == 0);
    const auto v = s.location_visits(f.alice, "loc_a", T + 25);
    CHECK(v.all == 2);
    CHECK(v.up_to == 1);
    CHECK(s.location_visits(f.alice, "loc_c", T + 25).all == 0);
    CHECK(s.location_visits_between(f.alice, "loc_a", T + 9, T + 30) == 2);
    CHECK(s.location_visits_between(f.alice, "loc_a", T + 10, T + 29) == 0);
  });
}

TEST_CASE("rule store: purchases by order in their tenant, items returned by line, returns stored once") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    RuleStore& s = tx->rules();
    s.insert_purchase(purchase("pur_1", f.tenant, f.alice, f.program, "o1", T, 500));
    LOY_REQUIRE_ERROR(s.insert_purchase(purchase("pur_2", f.tenant, f.bob, f.program, "o1", T, 1)), Status::conflict,
                      "");
    LOY_REQUIRE_ERROR(s.insert_purchase(purchase("pur_1", f.other_tenant, f.bob, f.program, "o9", T, 1)),
                      Status::conflict, "");
    s.insert_purchase(purchase("pur_x", f.other_tenant, "cus_x", "prg_x", "o1", T, 7));  // the same order elsewhere
    CHECK(s.order_reply(f.tenant, "o1")->result == R"({"r":1})");
    CHECK(!s.order_reply(f.tenant, "o2"));
    const PurchaseRecord p = s.purchase_by_order(f.tenant, "o1").value();
    CHECK(p.id == "pur_1");
    CHECK(p.customer_id == f.alice);
    CHECK(p.amount == 500);
    CHECK(p.currency == "USD");
    CHECK(p.points == 10);
    CHECK(p.entry_id == "ent_pur_1");
    CHECK(p.has_items);
    CHECK(p.reversed_points == 0);
    CHECK(!p.fully_returned);
    CHECK(s.purchase_by_order(f.other_tenant, "o1")->id == "pur_x");

    s.add_purchase_item({"pur_1", 0, "A", 2, 100, 0});
    s.add_purchase_item({"pur_1", 1, "B", 1, 200, 0});
    s.add_purchase_item({"pur_1", 2, "A", 1, 100, 0});
    LOY_REQUIRE_ERROR(s.add_purchase_item({"pur_1", 1, "C", 1, 1, 0}), Status::conflict, "");
    s.add_purchase_rule({"pur_1", "rul_a", 3, 10});
    LOY_REQUIRE_ERROR(s.add_purchase_rule({"pur_1", "rul_a", 4, 1}), Status::conflict, "");
    CHECK(pluck(s.returnable_items("pur_1", "A"), &PurchaseItemRecord::line) == std::vector<int64_t>{0, 2});
    s.return_items("pur_1", 0, 1);
    auto a = s.returnable_items("pur_1", "A");
    REQUIRE(a.size() == 2);
    CHECK(a[0].quantity - a[0].returned == 1);
    CHECK(a[0].unit_price == 100);
    CHECK(s.lines_outstanding("pur_1") == 3);
    s.return_items("pur_1", 0, 1);
    CHECK(pluck(s.returnable_items("pur_1", "A"), &PurchaseItemRecord::line) == std::vector<int64_t>{2});
    CHECK(s.lines_outstanding("pur_1") == 2);
    s.return_all_items("pur_1");
    CHECK(s.lines_outstanding("pur_1") == 0);
    CHECK(s.returnable_items("pur_1", "B").empty());

    s.record_return(f.tenant, "pur_1", 4, 300, false);
    s.record_return(f.tenant, "pur_1", 6, 500, true);
    s.record_return(f.other_tenant, "pur_1", 100, 1, false);  // not its purchase: nothing
    const PurchaseRecord back = s.purchase_by_order(f.tenant, "o1").value();
    CHECK(back.reversed_points == 10);
    CHECK(back.returned_value == 500);
    CHECK(back.fully_returned);

    CHECK(!s.return_reply("pur_1", "ret_1"));
    s.insert_return("pur_1", "ret_1", {R"({"q":1})", R"({"a":1})"}, T + 1);
    CHECK(s.return_reply("pur_1", "ret_1")->request == R"({"q":1})");
    CHECK(s.return_reply("pur_1", "ret_1")->result == R"({"a":1})");
    CHECK(!s.return_reply("pur_x", "ret_1"));
    LOY_REQUIRE_ERROR(s.insert_return("pur_1", "ret_1", {"{}", "{}"}, T + 2), Status::conflict, "");
  });
}

TEST_CASE("rule store: a unit of work rolled back leaves nothing") {
  each_backend([](StoreFixture& f) {
    {
      auto tx = f.begin();
      RuleStore& s = tx->rules();
      s.insert_rule(rule("rul_rb", f.tenant, f.program));
      s.bump_generation(f.program);
      s.add_budget("rul_rb", 5);
      s.insert_purchase(purchase("pur_rb", f.tenant, f.alice, f.program, "o_rb", T, 1));
    }
    auto tx = f.begin(TxMode::read);
    RuleStore& s = tx->rules();
    CHECK(!s.rule(f.tenant, "rul_rb"));
    CHECK(!s.rule_version("rul_rb", 1));
    CHECK(s.generation(f.program) == 0);
    CHECK(!s.budget_issued("rul_rb"));
    CHECK(!s.order_reply(f.tenant, "o_rb"));
  });
}
