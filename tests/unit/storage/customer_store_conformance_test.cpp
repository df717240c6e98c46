// Conformance suite of CustomerStore (src/storage/foundation_store.hpp): customers and the
// opening of their accounts, checked through the interface alone, once per backend.
#include "customers/customer_store.hpp"
#include "programs/program_store.hpp"
#include "store_backends.hpp"

using namespace loytest;
using loyalty::Timestamp;
using loyalty::storage::CustomerRecord;
using loyalty::storage::CustomerStore;
using loyalty::storage::TxMode;

namespace {

constexpr Timestamp T = kStart;

CustomerRecord customer(const std::string& id, const std::string& tenant, const std::string& external,
                        const std::string& segments = "[]") {
  return {id, tenant, external, R"({"name":"N"})", R"({"mail":true})", segments, T, T + 1, 0};
}

std::vector<std::string> ids(const std::vector<CustomerRecord>& v) { return pluck(v, &CustomerRecord::id); }

}  // namespace

TEST_CASE("customer store: customers keep their ids, are found only in their tenant; external ids are unique") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    CustomerStore& s = tx->customers();
    s.insert_customer(customer("cus_c", f.tenant, "carol", R"(["vip"])"));
    const CustomerRecord c = s.customer(f.tenant, "cus_c").value();
    CHECK(c.external_id == "carol");
    CHECK(c.profile == R"({"name":"N"})");
    CHECK(c.preferences == R"({"mail":true})");
    CHECK(c.segments == R"(["vip"])");
    CHECK(c.created_at == T);
    CHECK(c.updated_at == T);  // a new customer's updated_at is its created_at
    CHECK(c.seq > s.customer(f.tenant, f.bob)->seq);
    CHECK(s.id_by_external(f.tenant, "carol") == "cus_c");
    CHECK(s.id_by_external(f.tenant, "alice") == f.alice);
    CHECK(!s.id_by_external(f.other_tenant, "carol"));
    CHECK(s.exists(f.tenant, "cus_c"));
    CHECK(!s.exists(f.other_tenant, "cus_c"));
    CHECK(!s.customer(f.other_tenant, "cus_c"));
    CHECK(!s.facts(f.other_tenant, "cus_c"));
    const auto facts = s.facts(f.tenant, "cus_c").value();
    CHECK(facts.segments == R"(["vip"])");
    CHECK(facts.profile == R"({"name":"N"})");
    LOY_REQUIRE_ERROR(s.insert_customer(customer("cus_d", f.tenant, "carol")), Status::conflict, "");
    LOY_REQUIRE_ERROR(s.insert_customer(customer("cus_c", f.tenant, "dave")), Status::conflict, "");
    s.insert_customer(customer("cus_e", f.other_tenant, "carol"));  // the same external id elsewhere
    CHECK(s.id_by_external(f.other_tenant, "carol") == "cus_e");
  });
}

TEST_CASE("customer store: updates keep absent documents and stay in their tenant") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    CustomerStore& s = tx->customers();
    s.insert_customer(customer("cus_u", f.tenant, "upd", R"(["a"])"));
    s.update_customer({f.tenant, "cus_u", R"({"name":"M"})", std::nullopt, std::nullopt, T + 5});
    CustomerRecord c = s.customer(f.tenant, "cus_u").value();
    CHECK(c.profile == R"({"name":"M"})");
    CHECK(c.preferences == R"({"mail":true})");
    CHECK(c.segments == R"(["a"])");
    CHECK(c.updated_at == T + 5);
    s.update_customer({f.tenant, "cus_u", std::nullopt, R"({})", R"(["b"])", T + 6});
    c = s.customer(f.tenant, "cus_u").value();
    CHECK(c.profile == R"({"name":"M"})");
    CHECK(c.preferences == R"({})");
    CHECK(c.segments == R"(["b"])");
    s.update_customer({f.other_tenant, "cus_u", R"({"x":1})", std::nullopt, std::nullopt, T + 7});
    CHECK(s.customer(f.tenant, "cus_u")->profile == R"({"name":"M"})");
    CHECK(s.customer(f.tenant, "cus_u")->updated_at == T + 6);
  });
}

TEST_CASE("customer store: lists in creation order, by pages of limit + 1, filtered by segment") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    CustomerStore& s = tx->customers();
    s.insert_customer(customer("cus_1", f.tenant, "c1", R"(["gold","vip"])"));
    s.insert_customer(customer("cus_2", f.tenant, "c2", R"(["gold"])"));
    s.insert_customer(customer("cus_x", f.other_tenant, "cx", R"(["vip"])"));
    s.insert_customer(customer("cus_3", f.tenant, "c3", R"(["vip"])"));
    const auto all = s.customers({f.tenant, 0, std::nullopt, 100});
    CHECK(ids(all) == std::vector<std::string>{f.alice, f.bob, "cus_1", "cus_2", "cus_3"});
    const auto first = s.customers({f.tenant, 0, std::nullopt, 2});
    CHECK(ids(first) == std::vector<std::string>{f.alice, f.bob, "cus_1"});  // limit + 1
    CHECK(ids(s.customers({f.tenant, first[1].seq, std::nullopt, 2})) ==
          std::vector<std::string>{"cus_1", "cus_2", "cus_3"});
    CHECK(ids(s.customers({f.tenant, 0, "vip", 100})) == std::vector<std::string>{"cus_1", "cus_3"});
    CHECK(ids(s.customers({f.tenant, all[2].seq, "vip", 100})) == std::vector<std::string>{"cus_3"});
    CHECK(ids(s.customers({f.tenant, 0, "vi", 100})).empty());  // whole tags only
    CHECK(ids(s.customers({f.other_tenant, 0, std::nullopt, 100})) == std::vector<std::string>{"cus_x"});
  });
}

TEST_CASE("customer store: accounts open once per customer and program with increasing ids") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    CustomerStore& s = tx->customers();
    const auto alice = s.account_id(f.alice, f.program);
    REQUIRE(alice);
    CHECK(s.account_programs(f.alice) == std::vector<std::string>{f.program});
    CHECK(!s.account_id(f.alice, "prg_other"));

    tx->programs().insert_program(
        {"prg_b", f.tenant, "B", "", "EUR", "floor", "within_balance", "never", 0, 0, std::nullopt, false, true, T, T});
    tx->programs().insert_program(
        {"prg_a", f.tenant, "A", "", "EUR", "floor", "within_balance", "never", 0, 0, std::nullopt, false, true, T, T});
    const int64_t b = s.open_account(f.tenant, f.alice, "prg_b", T);
    const int64_t a = s.open_account(f.tenant, f.alice, "prg_a", T);
    CHECK(b > *s.account_id(f.bob, f.program));
    CHECK(a > b);
    CHECK(s.account_id(f.alice, "prg_b") == b);
    // In the accounts' creation order, not by program id.
    CHECK(s.account_programs(f.alice) == std::vector<std::string>{f.program, "prg_b", "prg_a"});
    CHECK(s.account_programs(f.bob) == std::vector<std::string>{f.program});
    LOY_REQUIRE_ERROR(s.open_account(f.tenant, f.alice, "prg_b", T), Status::conflict, "");
  });
}

TEST_CASE("customer store: a unit of work rolled back leaves nothing") {
  each_backend([](StoreFixture& f) {
    int64_t opened = 0;
    {
      auto tx = f.begin();
      tx->customers().insert_customer(customer("cus_rb", f.tenant, "rolled"));
      tx->customers().update_customer({f.tenant, f.alice, R"({"gone":1})", std::nullopt, std::nullopt, T});
      tx->programs().insert_program({"prg_rb", f.tenant, "R", "", "EUR", "floor", "within_balance", "never", 0, 0,
                                     std::nullopt, false, true, T, T});
      opened = tx->customers().open_account(f.tenant, f.bob, "prg_rb", T);
      CHECK(tx->customers().account_id(f.bob, "prg_rb") == opened);
    }
    auto tx = f.begin(TxMode::read);
    CHECK(!tx->customers().customer(f.tenant, "cus_rb"));
    CHECK(!tx->customers().id_by_external(f.tenant, "rolled"));
    CHECK(tx->customers().customer(f.tenant, f.alice)->profile == "{}");
    CHECK(!tx->customers().account_id(f.bob, "prg_rb"));
  });
}
