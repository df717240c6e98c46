// Conformance suite of ProgramStore (src/storage/foundation_store.hpp), checked through the
// interface alone, once per backend.
#include <tuple>

#include "ledger/ledger_store.hpp"
#include "programs/program_store.hpp"
#include "store_backends.hpp"

using namespace loytest;
using loyalty::Timestamp;
using loyalty::storage::ProgramRecord;
using loyalty::storage::ProgramStore;
using loyalty::storage::ProgramUpdate;
using loyalty::storage::TxMode;

namespace {

constexpr Timestamp T = kStart;

ProgramRecord program(const std::string& id, const std::string& tenant, const std::string& name, bool active = true) {
  return {id, tenant, name, "about " + name, "USD", "ceil", "unlimited", "days_after_earn", 30,
          7,  5000,   true, active,          T,     T + 1};
}

auto columns(const ProgramRecord& p) {
  return std::tie(p.id, p.tenant_id, p.name, p.description, p.currency, p.rounding, p.return_policy, p.expiry_kind,
                  p.expiry_value, p.pending_days, p.max_balance, p.allow_negative, p.active, p.created_at,
                  p.updated_at);
}

std::vector<std::string> ids(const std::vector<ProgramRecord>& v) { return pluck(v, &ProgramRecord::id); }

}  // namespace

TEST_CASE("program store: programs keep their ids, are found only in their tenant, and names are unique per tenant") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    ProgramStore& s = tx->programs();
    CHECK(!s.name_taken(f.tenant, "Gold"));
    s.insert_program(program("prg_g", f.tenant, "Gold"));
    CHECK(s.name_taken(f.tenant, "Gold"));
    CHECK(!s.name_taken(f.other_tenant, "Gold"));
    const ProgramRecord p = s.program(f.tenant, "prg_g").value();
    CHECK(p.tenant_id == f.tenant);
    CHECK(p.name == "Gold");
    CHECK(p.description == "about Gold");
    CHECK(p.currency == "USD");
    CHECK(p.rounding == "ceil");
    CHECK(p.return_policy == "unlimited");
    CHECK(p.expiry_kind == "days_after_earn");
    CHECK(p.expiry_value == 30);
    CHECK(p.pending_days == 7);
    CHECK(p.max_balance == 5000);
    CHECK(p.allow_negative);
    CHECK(p.active);
    CHECK(p.created_at == T);
    CHECK(p.updated_at == T);  // a new program's updated_at is its created_at
    CHECK(!s.program(f.other_tenant, "prg_g"));
    CHECK(!s.settings(f.other_tenant, "prg_g"));
    LOY_REQUIRE_ERROR(s.insert_program(program("prg_h", f.tenant, "Gold")), Status::conflict, "");
    LOY_REQUIRE_ERROR(s.insert_program(program("prg_g", f.tenant, "Silver")), Status::conflict, "");
    s.insert_program(program("prg_o", f.other_tenant, "Gold"));  // the same name in another tenant
    CHECK(s.program(f.other_tenant, "prg_o"));

    const auto st = s.settings(f.tenant, "prg_g").value();
    CHECK(st.currency == "USD");
    CHECK(st.return_policy == "unlimited");
    CHECK(st.expiry_kind == "days_after_earn");
    CHECK(st.expiry_value == 30);
    CHECK(st.max_balance == 5000);
    CHECK(st.allow_negative);
    CHECK(st.timezone == "UTC");  // the tenant's
  });
}

TEST_CASE("program store: lists in creation order, filtered by state, and the active ones' questions") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    ProgramStore& s = tx->programs();
    s.insert_program(program("prg_1", f.tenant, "One", false));
    s.insert_program(program("prg_2", f.tenant, "Two"));
    s.insert_program(program("prg_x", f.other_tenant, "X"));
    CHECK(ids(s.programs(f.tenant, std::nullopt)) == std::vector<std::string>{f.program, "prg_1", "prg_2"});
    CHECK(ids(s.programs(f.tenant, true)) == std::vector<std::string>{f.program, "prg_2"});
    CHECK(ids(s.programs(f.tenant, false)) == std::vector<std::string>{"prg_1"});
    CHECK(s.active_ids(f.tenant) == std::vector<std::string>{f.program, "prg_2"});
    CHECK(s.count_active(f.tenant) == 2);
    const auto one = s.active_settings(f.tenant, 1);
    REQUIRE(one.size() == 1);
    CHECK(one[0].id == f.program);
    CHECK(s.active_settings(f.tenant, 5).size() == 2);

    s.set_program_active(f.tenant, "prg_1", true, T + 9);
    s.set_program_active(f.other_tenant, "prg_2", false, T + 9);  // another tenant's: no change
    CHECK(s.count_active(f.tenant) == 3);
    CHECK(s.program(f.tenant, "prg_1")->updated_at == T + 9);
    CHECK(s.program(f.tenant, "prg_2")->active);
  });
}

TEST_CASE("program store: updates keep absent fields; max_balance changes only when asked") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    ProgramStore& s = tx->programs();
    s.insert_program(program("prg_u", f.tenant, "Upd"));
    ProgramRecord expect = s.program(f.tenant, "prg_u").value();
    ProgramUpdate u;
    u.tenant_id = f.tenant;
    u.id = "prg_u";
    u.description = "new text";
    u.updated_at = T + 3;
    s.update_program(u);
    ProgramRecord p = s.program(f.tenant, "prg_u").value();
    expect.description = "new text";
    expect.updated_at = T + 3;
    CHECK(columns(p) == columns(expect));  // every other column kept

    u = {};
    u.tenant_id = f.tenant;
    u.id = "prg_u";
    u.name = "Renamed";
    u.rounding = "floor";
    u.return_policy = "within_balance";
    u.expiry_kind = "end_of_month";
    u.expiry_value = 2;
    u.pending_days = 0;
    u.allow_negative = false;
    u.set_max_balance = true;  // with no value: the limit goes
    u.updated_at = T + 4;
    s.update_program(u);
    p = s.program(f.tenant, "prg_u").value();
    CHECK(p.name == "Renamed");
    CHECK(p.description == "new text");
    CHECK(p.rounding == "floor");
    CHECK(p.return_policy == "within_balance");
    CHECK(p.expiry_kind == "end_of_month");
    CHECK(p.expiry_value == 2);
    CHECK(p.pending_days == 0);
    CHECK(!p.allow_negative);
    CHECK(!p.max_balance);

    u = {};
    u.tenant_id = f.other_tenant;  // another tenant's update changes nothing
    u.id = "prg_u";
    u.name = "Stolen";
    u.updated_at = T + 5;
    s.update_program(u);
    CHECK(s.program(f.tenant, "prg_u")->name == "Renamed");
  });
}

TEST_CASE("program store: counts the program's accounts with a negative balance or a debt") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    CHECK(tx->programs().negative_accounts(f.program) == 0);
    auto a = tx->ledger().find_account(f.tenant, f.alice, f.program).value();
    a.posted = 5;
    a.held = 10;
    tx->ledger().save_account(a);
    auto b = tx->ledger().find_account(f.tenant, f.bob, f.program).value();
    b.debt = 3;
    tx->ledger().save_account(b);
    CHECK(tx->programs().negative_accounts(f.program) == 2);
    b.debt = 0;
    b.posted = 10;
    b.held = 10;  // zero available: not negative
    tx->ledger().save_account(b);
    CHECK(tx->programs().negative_accounts(f.program) == 1);
    CHECK(tx->programs().negative_accounts("prg_unknown") == 0);
  });
}

TEST_CASE("program store: a unit of work rolled back leaves nothing") {
  each_backend([](StoreFixture& f) {
    {
      auto tx = f.begin();
      tx->programs().insert_program(program("prg_rb", f.tenant, "Rolled"));
      tx->programs().set_program_active(f.tenant, f.program, false, T);
    }
    auto tx = f.begin(TxMode::read);
    CHECK(!tx->programs().program(f.tenant, "prg_rb"));
    CHECK(!tx->programs().name_taken(f.tenant, "Rolled"));
    CHECK(tx->programs().program(f.tenant, f.program)->active);
  });
}
