// Conformance suite of TierStore (src/storage/module_store.hpp): policies, tiers, qualifying
// activity, account tier state and history, checked through the interface alone, once per
// backend.
#include <tuple>

#include "ledger/ledger_store.hpp"
#include "programs/program_store.hpp"
#include "store_backends.hpp"
#include "tiers/tier_store.hpp"

using namespace loytest;
using loyalty::Timestamp;
using loyalty::storage::AccountTierRecord;
using loyalty::storage::TierChangeRecord;
using loyalty::storage::TierPolicyRecord;
using loyalty::storage::TierRecord;
using loyalty::storage::TierStore;
using loyalty::storage::TierUpdate;
using loyalty::storage::TxMode;

namespace {

constexpr Timestamp T = kStart;

// The fixture plus a program of the other tenant and the two customers' account ids.
struct TierFixture : StoreFixture {
  std::string other_program = "prg_other";
  int64_t alice_account = 0, bob_account = 0;

  void prepare() {
    auto tx = begin();
    tx->programs().insert_program({other_program, other_tenant, "Other", "", "USD", "floor", "unlimited", "never", 0, 0,
                                   std::nullopt, false, true, T, T});
    alice_account = tx->ledger().find_account(tenant, alice, program)->id;
    bob_account = tx->ledger().find_account(tenant, bob, program)->id;
    tx->commit();
  }
};

TierPolicyRecord policy(const std::string& program, const std::string& tenant, const std::string& metric) {
  return {program, tenant, metric, "rolling_months", 6, "one_level", 10, 5, T};
}

TierRecord tier(const std::string& id, const std::string& tenant, const std::string& program, int64_t rank,
                const std::string& name) {
  return {id,    tenant, program, name, rank, rank * 100, R"({"earn_multiplier":1.5})", "https://i/x.png",
          false, T,      T + 1};
}

auto columns(const TierRecord& t) {
  return std::tie(t.id, t.tenant_id, t.program_id, t.name, t.rank, t.threshold, t.benefits, t.icon_url,
                  t.invitation_only, t.created_at, t.updated_at);
}

auto columns(const AccountTierRecord& a) {
  return std::tie(a.account_id, a.tenant_id, a.program_id, a.customer_id, a.opened_at, a.tier_id, a.since, a.manual,
                  a.manual_until, a.window_end, a.grace_until, a.noticed_at);
}

std::vector<std::string> ids(const std::vector<TierRecord>& v) { return pluck(v, &TierRecord::id); }

}  // namespace

TEST_CASE("tier store: a program's policy is found only in its tenant and replaced whole") {
  each_backend<TierFixture>([](TierFixture& f) {
    auto tx = f.begin();
    TierStore& s = tx->tiers();
    CHECK(!s.policy(f.tenant, f.program));
    s.put_policy(policy(f.program, f.tenant, "spend"));
    const TierPolicyRecord p = s.policy(f.tenant, f.program).value();
    CHECK(p.metric == "spend");
    CHECK(p.window_kind == "rolling_months");
    CHECK(p.window_months == 6);
    CHECK(p.downgrade == "one_level");
    CHECK(p.grace_days == 10);
    CHECK(p.notice_days == 5);
    CHECK(p.updated_at == T);
    CHECK(!s.policy(f.other_tenant, f.program));
    TierPolicyRecord q = {f.program, f.tenant, "visits", "calendar_year", 0, "reevaluate", 0, 0, T + 1};
    s.put_policy(q);
    const TierPolicyRecord r = s.policy(f.tenant, f.program).value();
    CHECK(std::tie(r.metric, r.window_kind, r.window_months, r.downgrade, r.grace_days, r.notice_days, r.updated_at) ==
          std::tie(q.metric, q.window_kind, q.window_months, q.downgrade, q.grace_days, q.notice_days, q.updated_at));
    // Another tenant cannot replace the policy of a program that is not its own.
    s.put_policy(policy(f.program, f.other_tenant, "points"));
    CHECK(s.policy(f.tenant, f.program)->metric == "visits");
    CHECK(!s.policy(f.other_tenant, f.program));

    s.put_policy(policy(f.other_program, f.other_tenant, "visits"));
    CHECK(s.policy_programs(f.tenant, std::nullopt) == std::vector<std::string>{f.program});
    CHECK(s.policy_programs(f.tenant, "visits") == std::vector<std::string>{f.program});
    CHECK(s.policy_programs(f.tenant, "points").empty());
    CHECK(s.policy_programs(f.other_tenant, std::nullopt) == std::vector<std::string>{f.other_program});
  });
}

TEST_CASE("tier store: tiers keep their ids, list by rank in their tenant, and ranks and names are unique") {
  each_backend<TierFixture>([](TierFixture& f) {
    auto tx = f.begin();
    TierStore& s = tx->tiers();
    s.insert_tier(tier("tir_g", f.tenant, f.program, 2, "Gold"));
    s.insert_tier(tier("tir_s", f.tenant, f.program, 1, "Silver"));
    s.insert_tier(tier("tir_p", f.tenant, f.program, 3, "Platinum"));
    s.insert_tier(tier("tir_o", f.other_tenant, f.other_program, 2, "Gold"));  // the same rank and name elsewhere
    CHECK(columns(s.tier(f.tenant, "tir_g").value()) == columns(tier("tir_g", f.tenant, f.program, 2, "Gold")));
    CHECK(!s.tier(f.other_tenant, "tir_g"));
    CHECK(ids(s.tiers(f.tenant, f.program)) == std::vector<std::string>{"tir_s", "tir_g", "tir_p"});
    CHECK(s.tiers(f.other_tenant, f.program).empty());
    CHECK(ids(s.tiers(f.other_tenant, f.other_program)) == std::vector<std::string>{"tir_o"});
    LOY_REQUIRE_ERROR(s.insert_tier(tier("tir_x", f.tenant, f.program, 2, "Bronze")), Status::conflict, "");
    LOY_REQUIRE_ERROR(s.insert_tier(tier("tir_x", f.tenant, f.program, 4, "Gold")), Status::conflict, "");
    LOY_REQUIRE_ERROR(s.insert_tier(tier("tir_g", f.tenant, f.program, 5, "Diamond")), Status::conflict, "");

    s.update_tier({f.tenant, "tir_g", "Golden", 250, R"({})", std::nullopt, true, T + 7});
    TierRecord expect = tier("tir_g", f.tenant, f.program, 2, "Golden");
    expect.threshold = 250;
    expect.benefits = "{}";
    expect.icon_url = std::nullopt;
    expect.invitation_only = true;
    expect.updated_at = T + 7;
    CHECK(columns(s.tier(f.tenant, "tir_g").value()) == columns(expect));  // program, rank, created_at kept
    s.update_tier({f.other_tenant, "tir_g", "Stolen", 1, "{}", std::nullopt, false, T + 8});
    CHECK(s.tier(f.tenant, "tir_g")->name == "Golden");
  });
}

TEST_CASE("tier store: activity sums per metric, account and half-open day range") {
  each_backend<TierFixture>([](TierFixture& f) {
    auto tx = f.begin();
    TierStore& s = tx->tiers();
    const int64_t a = f.alice_account, b = f.bob_account;
    s.add_activity(a, 10, "points", 5);
    s.add_activity(a, 10, "points", 7);  // the same day adds up
    s.add_activity(a, 11, "points", 1);
    s.add_activity(a, 12, "spend", 300);
    s.add_activity(a, 12, "visits", 2);
    s.add_activity(a, 13, "points", -4);
    s.add_activity(b, 10, "points", 100);
    CHECK(s.activity(a, "points", std::nullopt, std::nullopt) == 9);
    CHECK(s.activity(a, "points", 10, 11) == 12);  // [10, 11)
    CHECK(s.activity(a, "points", 11, std::nullopt) == -3);
    CHECK(s.activity(a, "points", std::nullopt, 10) == 0);
    CHECK(s.activity(a, "spend", std::nullopt, std::nullopt) == 300);
    CHECK(s.activity(a, "visits", 12, 13) == 2);
    CHECK(s.activity(b, "points", std::nullopt, std::nullopt) == 100);
    CHECK(s.activity(b, "spend", std::nullopt, std::nullopt) == 0);
    LOY_REQUIRE_ERROR(s.activity(a, "purchases", std::nullopt, std::nullopt), Status::error, "");
  });
}

TEST_CASE("tier store: account tier state, the held tier, and what falls due") {
  each_backend<TierFixture>([](TierFixture& f) {
    auto tx = f.begin();
    TierStore& s = tx->tiers();
    const int64_t a = f.alice_account, b = f.bob_account;
    s.insert_tier(tier("tir_s", f.tenant, f.program, 1, "Silver"));
    CHECK(!s.account_tier(a));
    CHECK(!s.held_tier(a));
    AccountTierRecord rec{a, f.tenant, f.program, f.alice, T - 5,        "tir_s",
                          T, true,     T + 50,    T + 100, std::nullopt, std::nullopt};
    s.set_account_tier(rec);
    CHECK(columns(s.account_tier(a).value()) == columns(rec));
    CHECK(s.held_tier(a)->name == "Silver");
    CHECK(!s.account_tier(b));

    s.set_grace(a, T + 60);
    s.set_noticed(a, T + 61);
    CHECK(s.account_tier(a)->grace_until == T + 60);
    CHECK(s.account_tier(a)->noticed_at == T + 61);
    s.set_window_end(a, T + 200);  // the notice belonged to the old review
    CHECK(s.account_tier(a)->window_end == T + 200);
    CHECK(!s.account_tier(a)->noticed_at);
    CHECK(s.account_tier(a)->grace_until == T + 60);
    s.set_noticed(a, T + 62);
    rec.tier_id = std::nullopt;  // a new decision ends grace and notice
    rec.since = T + 70;
    rec.manual = false;
    rec.manual_until = std::nullopt;
    rec.window_end = std::nullopt;
    s.set_account_tier(rec);
    CHECK(columns(s.account_tier(a).value()) == columns(rec));
    CHECK(!s.held_tier(a));
    s.set_account_tier({b, f.tenant, f.program, f.bob, T - 5, "tir_gone", T, false, std::nullopt, std::nullopt,
                        std::nullopt, std::nullopt});
    CHECK(!s.held_tier(b));  // a tier that does not exist is none

    // Due: a review at or before review_by; a manual assignment or a grace period ending by cutoff.
    s.set_account_tier(
        {a, f.tenant, f.program, f.alice, T, "tir_s", T, true, T + 30, T + 100, std::nullopt, std::nullopt});
    s.set_account_tier(
        {b, f.tenant, f.program, f.bob, T, "tir_s", T, false, std::nullopt, T + 90, std::nullopt, std::nullopt});
    auto due = [&](Timestamp review_by, Timestamp cutoff) {
      return pluck(s.due(f.program, review_by, cutoff), &AccountTierRecord::account_id);
    };
    CHECK(due(T + 89, T + 29).empty());
    CHECK(due(T + 90, T + 29) == std::vector<int64_t>{b});
    CHECK(due(T + 89, T + 30) == std::vector<int64_t>{a});  // the manual assignment ends
    CHECK(due(T + 100, T) == std::vector<int64_t>{a, b});   // by account id
    s.set_window_end(b, std::nullopt);
    s.set_grace(b, T + 10);
    CHECK(due(T, T + 10) == std::vector<int64_t>{b});
    CHECK(s.due(f.other_program, T + 1000, T + 1000).empty());
    CHECK(s.due(f.program, T + 100, T).front().customer_id == f.alice);
  });
}

TEST_CASE("tier store: history pages of limit + 1 in order, per account") {
  each_backend<TierFixture>([](TierFixture& f) {
    auto tx = f.begin();
    TierStore& s = tx->tiers();
    const int64_t a = f.alice_account, b = f.bob_account;
    s.add_change({f.tenant, a, std::nullopt, "tir_s", "qualified", 100, T, 0});
    s.add_change({f.tenant, b, std::nullopt, "tir_s", "qualified", 150, T + 1, 0});
    s.add_change({f.tenant, a, "tir_s", "tir_g", "qualified", 200, T + 2, 0});
    s.add_change({f.tenant, a, "tir_g", std::nullopt, "downgraded", 10, T + 3, 0});
    const auto all = s.changes(a, 0, 10);
    REQUIRE(all.size() == 3);
    CHECK(all[0].to_tier == "tir_s");
    CHECK(!all[0].from_tier);
    CHECK(all[0].reason == "qualified");
    CHECK(all[0].metric == 100);
    CHECK(all[0].at == T);
    CHECK(all[0].tenant_id == f.tenant);
    CHECK(all[1].seq > all[0].seq);
    CHECK(all[2].seq > all[1].seq);
    CHECK(!all[2].to_tier);
    const auto page = s.changes(a, 0, 1);
    CHECK(page.size() == 2);  // limit + 1
    CHECK(pluck(s.changes(a, page[0].seq, 1), &TierChangeRecord::seq) == std::vector<int64_t>{all[1].seq, all[2].seq});
    CHECK(s.changes(b, 0, 10).size() == 1);
  });
}

TEST_CASE("tier store: a unit of work rolled back leaves nothing") {
  each_backend<TierFixture>([](TierFixture& f) {
    {
      auto tx = f.begin();
      TierStore& s = tx->tiers();
      s.put_policy(policy(f.program, f.tenant, "points"));
      s.insert_tier(tier("tir_rb", f.tenant, f.program, 1, "Rolled"));
      s.add_activity(f.alice_account, 1, "points", 5);
      s.set_account_tier({f.alice_account, f.tenant, f.program, f.alice, T, "tir_rb", T, false, std::nullopt, T,
                          std::nullopt, std::nullopt});
      s.add_change({f.tenant, f.alice_account, std::nullopt, "tir_rb", "qualified", 5, T, 0});
    }
    auto tx = f.begin(TxMode::read);
    TierStore& s = tx->tiers();
    CHECK(!s.policy(f.tenant, f.program));
    CHECK(!s.tier(f.tenant, "tir_rb"));
    CHECK(s.activity(f.alice_account, "points", std::nullopt, std::nullopt) == 0);
    CHECK(!s.account_tier(f.alice_account));
    CHECK(s.changes(f.alice_account, 0, 10).empty());
  });
}
