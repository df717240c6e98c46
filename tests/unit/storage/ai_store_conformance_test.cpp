// Conformance suite of AiStore (src/storage/ai_store.hpp), checked through the interface alone,
// once per backend. The aggregates' source data (purchases, check-ins, earns, rewards, rules,
// locations) is made through the engine's operations, in the fixture's tenant and in another one.
#include <algorithm>
#include <tuple>

#include "ai/ai_store.hpp"
#include "locations/location_store.hpp"
#include "rewards/reward_store.hpp"
#include "rules/rule_store.hpp"
#include "store_backends.hpp"

using namespace loytest;
using loyalty::Timestamp;
using loyalty::storage::ActivityCounts;
using loyalty::storage::ActivitySource;
using loyalty::storage::AiResultRecord;
using loyalty::storage::AiSettingsRecord;
using loyalty::storage::AiStore;
using loyalty::storage::TxMode;

namespace {

constexpr Timestamp T = kStart;
constexpr Timestamp kDay = 86'400'000;

auto columns(const AiResultRecord& r) {
  return std::tie(r.tenant_id, r.operation, r.subject, r.provider, r.model, r.created_at, r.expires_at, r.output);
}

json purchase(const std::string& order, const std::string& customer, int64_t price, Timestamp at,
              const std::string& category = "coffee") {
  return {{"order_id", order},
          {"customer_id", customer},
          {"occurred_at", loyalty::format_time(at)},
          {"items", {{{"sku", "SKU"}, {"category", category}, {"quantity", 2}, {"unit_price", price}}}}};
}

std::string location(const loyalty::Session& s, const std::string& name, double lat, double lon) {
  return s
      .call("location.create", {{"name", name},
                                {"lat", lat},
                                {"lon", lon},
                                {"geofence", {{"radius_m", 100}}},
                                {"checkin", {{"cooldown_s", 0}}}})["id"]
      .get<std::string>();
}

void checkin(const loyalty::Session& s, const std::string& customer, double lat, double lon) {
  s.call("checkin.submit", {{"customer_id", customer}, {"lat", lat}, {"lon", lon}, {"accuracy_m", 10}});
}

/// The fixture plus a second tenant with a session, a customer and activity of its own.
struct AiFixture : StoreFixture {
  std::optional<loyalty::Session> other;
  std::string other_program, carol, other_id;
  void prepare() {
    auto [s, p] = world->other_tenant("Other AI");
    other.emplace(std::move(s));
    other_program = p;
    carol = other->call("customer.enroll", {{"external_id", "carol"}})["id"];
    other_id = other->call("session.info", json::object())["tenant"]["id"];
  }
  const std::string& other_tenant_id() const { return other_id; }
};

const ActivityCounts* find(const std::vector<ActivityCounts>& rows, ActivitySource source, const std::string& c) {
  auto it = std::find_if(rows.begin(), rows.end(),
                         [&](const ActivityCounts& r) { return r.source == source && r.customer_id == c; });
  return it == rows.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("ai store: settings are per tenant and saving again replaces all but the first salt") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    AiStore& s = tx->ai();
    CHECK(!s.settings(f.tenant));
    s.save_settings({f.tenant, "offline", R"({"churn":60})", "{}", "salt_1", T});
    const AiSettingsRecord got = s.settings(f.tenant).value();
    CHECK(got.tenant_id == f.tenant);
    CHECK(got.provider == "offline");
    CHECK(got.ttl == R"({"churn":60})");
    CHECK(got.config == "{}");
    CHECK(got.salt == "salt_1");
    CHECK(got.updated_at == T);
    CHECK(!s.settings(f.other_tenant));

    s.save_settings({f.tenant, "openai", "{}", R"({"model":"m"})", "salt_2", T + 5});
    const AiSettingsRecord again = s.settings(f.tenant).value();
    CHECK(again.provider == "openai");
    CHECK(again.ttl == "{}");
    CHECK(again.config == R"({"model":"m"})");
    CHECK(again.salt == "salt_1");  // the pseudonymous ids never change
    CHECK(again.updated_at == T + 5);

    s.save_settings({f.other_tenant, "callback", "{}", "{}", "salt_o", T});
    CHECK(s.settings(f.other_tenant)->salt == "salt_o");
    CHECK(s.settings(f.tenant)->provider == "openai");
    tx->commit();
    auto read = f.begin(TxMode::read);
    CHECK(read->ai().settings(f.tenant)->salt == "salt_1");  // committed with the unit of work
  });
}

TEST_CASE("ai store: a result is found only while fresh, per tenant, operation and subject, and replaced") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    AiStore& s = tx->ai();
    const AiResultRecord r{f.tenant, "churn", f.alice, "offline", "m1", T, T + 1000, R"({"customers":[]})"};
    s.put_result(r);
    CHECK(columns(s.fresh_result(f.tenant, "churn", f.alice, T, 5000).value()) == columns(r));
    CHECK(s.fresh_result(f.tenant, "churn", f.alice, T + 999, 5000));
    CHECK(!s.fresh_result(f.tenant, "churn", f.alice, T + 1000, 5000));  // expired
    CHECK(s.fresh_result(f.tenant, "churn", f.alice, T + 499, 500));
    CHECK(!s.fresh_result(f.tenant, "churn", f.alice, T + 500, 500));  // older than the TTL asked
    CHECK(!s.fresh_result(f.tenant, "churn", f.alice, T, 0));
    CHECK(!s.fresh_result(f.other_tenant, "churn", f.alice, T, 5000));
    CHECK(!s.fresh_result(f.tenant, "recommendations", f.alice, T, 5000));
    CHECK(!s.fresh_result(f.tenant, "churn", f.bob, T, 5000));

    const AiResultRecord newer{f.tenant, "churn", f.alice, "openai", "m2", T + 10, T + 9000, R"({"x":1})"};
    s.put_result(newer);
    CHECK(columns(s.fresh_result(f.tenant, "churn", f.alice, T + 2000, 5000).value()) == columns(newer));
    s.put_result({f.other_tenant, "churn", f.alice, "offline", "o", T, T + 1000, "{}"});
    CHECK(s.fresh_result(f.other_tenant, "churn", f.alice, T, 5000)->model == "o");
    CHECK(s.fresh_result(f.tenant, "churn", f.alice, T + 20, 5000)->model == "m2");  // untouched
  });
}

TEST_CASE("ai store: activity is counted per source and window, for the tenant's customers only") {
  each_backend<AiFixture>([](AiFixture& f) {
    World& w = *f.world;
    w.call("purchase.submit", purchase("a1", f.alice, 500, T - 10 * kDay));   // 1000 in the last 90 days
    w.call("purchase.submit", purchase("a2", f.alice, 100, T - 100 * kDay));  // the 90 days before
    w.call("purchase.submit", purchase("a3", f.alice, 50, T - 200 * kDay));   // within the year
    w.call("purchase.submit", purchase("a4", f.alice, 7, T - 400 * kDay));    // older than a year
    w.earn(f.bob, 10);                                                        // a host earn
    const std::string shop = location(w.session, "Shop", 59.9, 10.7);
    checkin(w.session, f.alice, 59.9, 10.7);
    checkin(w.session, f.alice, 1.0, 1.0);  // rejected: outside every fence
    f.other->call("purchase.submit", purchase("c1", f.carol, 900, T - kDay));
    f.other->call("ledger.earn", {{"customer_id", f.carol}, {"points", 5}});
    (void)shop;

    auto tx = f.begin(TxMode::read);
    AiStore& s = tx->ai();
    const auto rows = s.activity({f.tenant, std::nullopt, T - 90 * kDay, T - 180 * kDay, T - 365 * kDay, T});
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].source == ActivitySource::purchases);  // grouped per source, in this order
    CHECK(rows[1].source == ActivitySource::checkins);
    CHECK(rows[2].source == ActivitySource::host_earns);
    const ActivityCounts* p = find(rows, ActivitySource::purchases, f.alice);
    REQUIRE(p);
    CHECK(p->last == T - 10 * kDay);
    CHECK(p->n_90d == 1);
    CHECK(p->n_prev_90d == 1);
    CHECK(p->n_365d == 3);
    CHECK(p->monetary_90d == 1000);
    CHECK(p->monetary_365d == 1000 + 200 + 100);
    const ActivityCounts* c = find(rows, ActivitySource::checkins, f.alice);
    REQUIRE(c);
    CHECK(c->last == T);
    CHECK(c->n_90d == 1);  // only the verified one
    CHECK(c->monetary_90d == 0);
    const ActivityCounts* e = find(rows, ActivitySource::host_earns, f.bob);
    REQUIRE(e);
    CHECK(e->n_90d == 1);
    CHECK(!find(rows, ActivitySource::purchases, f.carol));

    const auto only_bob = s.activity({f.tenant, f.bob, T - 90 * kDay, T - 180 * kDay, T - 365 * kDay, T});
    REQUIRE(only_bob.size() == 1);
    CHECK(only_bob[0].customer_id == f.bob);
    // Up to `until` only.
    CHECK(s.activity({f.tenant, f.alice, T - 90 * kDay, T - 180 * kDay, T - 365 * kDay, T - 11 * kDay}).size() == 1);
    const std::string other = f.other_tenant_id();
    const auto theirs = s.activity({other, std::nullopt, T - 90 * kDay, T - 180 * kDay, T - 365 * kDay, T});
    REQUIRE(theirs.size() == 2);
    CHECK(theirs[0].customer_id == f.carol);
    CHECK(theirs[1].source == ActivitySource::host_earns);
    // Purchase totals of the customers who bought in the window.
    CHECK(s.purchase_totals(f.tenant, T - 90 * kDay, T) == std::vector<int64_t>{1000});
    auto year = s.purchase_totals(f.tenant, T - 365 * kDay, T);
    CHECK(year == std::vector<int64_t>{1300});
    CHECK(s.purchase_totals(other, T - 90 * kDay, T) == std::vector<int64_t>{1800});
  });
}

TEST_CASE("ai store: customer summaries, standing and category spend stay in their tenant") {
  each_backend<AiFixture>([](AiFixture& f) {
    World& w = *f.world;
    w.earn(f.alice, 300);
    w.call("purchase.submit", purchase("a1", f.alice, 10, T - kDay, "tea"));
    w.call("purchase.submit", purchase("a2", f.alice, 20, T - 2 * kDay, "coffee"));
    w.call("purchase.submit", purchase("a3", f.alice, 40, T - 3 * kDay, "coffee"));
    w.call("purchase.submit", purchase("a4", f.alice, 99, T - 400 * kDay, "cake"));  // before the window

    auto tx = f.begin(TxMode::read);
    AiStore& s = tx->ai();
    const auto sum = s.customer_summary(f.tenant, f.alice).value();
    CHECK(sum.created_at == T);
    CHECK(sum.balance == 300);
    CHECK(s.customer_summary(f.tenant, f.bob)->balance == 0);
    CHECK(!s.customer_summary(f.tenant, f.carol));
    CHECK(!s.customer_summary(f.other_tenant_id(), f.alice));

    const auto st = s.standing(f.tenant, f.alice, f.program).value();
    CHECK(st.available == 300);
    CHECK(!st.tier);
    CHECK(!st.tier_rank);
    CHECK(!s.standing(f.other_tenant_id(), f.alice, f.program));
    CHECK(!s.standing(f.tenant, f.alice, f.other_program));

    const auto cats = s.category_spend(f.tenant, f.alice, f.program, T - 365 * kDay, T);
    REQUIRE(cats.size() == 2);
    CHECK(cats[0].category == "coffee");  // by category
    CHECK(cats[0].spend == 2 * 20 + 2 * 40);
    CHECK(cats[1].category == "tea");
    CHECK(cats[1].spend == 20);
    CHECK(s.category_spend(f.other_tenant_id(), f.alice, f.program, T - 365 * kDay, T).empty());
  });
}

TEST_CASE("ai store: reward candidates and bonus rules of a program, with their popularity") {
  each_backend<AiFixture>([](AiFixture& f) {
    World& w = *f.world;
    auto reward = [&](const loyalty::Session& s, const std::string& name, json extra = json::object()) {
      json in = {{"name", name}, {"cost_points", 100}};
      if (name != "B") in["category"] = "coffee";  // B has none
      in.update(extra);
      return s.call("reward.create", in)["id"].get<std::string>();
    };
    std::vector<std::string> ids = {reward(w.session, "A"), reward(w.session, "B"), reward(w.session, "C")};
    reward(w.session, "Out", {{"stock", 0}});
    reward(w.session, "Later", {{"starts_at", "2286-01-01T00:00:00Z"}});
    reward(*f.other, "Theirs");
    w.earn(f.alice, 1000);
    w.call("reward.redeem", {{"reward_id", ids[2]}, {"customer_id", f.alice}, {"idempotency_key", "r1"}});
    w.call("reward.redeem", {{"reward_id", ids[2]}, {"customer_id", f.alice}, {"idempotency_key", "r2"}});

    const std::string bonus = w.call(
        "rule.create", {{"name", "Bonus"}, {"type", "bonus"}, {"actions", {{{"type", "fixed"}, {"points", 5}}}}})["id"];
    w.call("rule.create", {{"name", "Earn"}, {"actions", {{{"type", "fixed"}, {"points", 1}}}}});
    const std::string windowed =
        w.call("rule.create", {{"name", "Windowed"},
                               {"type", "bonus"},
                               {"start", "2020-01-01T00:00:00Z"},
                               {"conditions", {{"fact", "purchase.amount"}, {"operator", "gte"}, {"value", 1000000}}},
                               {"actions", {{{"type", "fixed"}, {"points", 9}}}}})["id"];
    f.other->call("rule.create",
                  {{"name", "Theirs"}, {"type", "bonus"}, {"actions", {{{"type", "fixed"}, {"points", 1}}}}});
    w.call("purchase.submit", purchase("p1", f.alice, 10, T - kDay));
    w.call("purchase.submit", purchase("p2", f.alice, 10, T - 100 * kDay));  // before the cut-off

    auto tx = f.begin(TxMode::read);
    auto& s = tx->rewards();  // the AI reads rewards and rules through their stores
    auto& rules = tx->rules();
    const auto rc = s.reward_candidates(f.tenant, f.program, T, T - 90 * kDay);
    std::sort(ids.begin(), ids.end());
    CHECK(pluck(rc, &loyalty::storage::RewardCandidate::id) == ids);  // redeemable ones, by id
    for (const auto& r : rc) {
      CHECK(r.cost_points == 100);
      CHECK(!r.min_tier_rank);
      CHECK(r.popularity == (r.name == "C" ? 2 : 0));
      CHECK(r.category.has_value() == (r.name != "B"));
    }
    CHECK(s.reward_candidates(f.tenant, f.program, T, T + kDay)[0].popularity == 0);  // redeemed before the cut-off
    CHECK(s.reward_candidates(f.tenant, f.other_program, T, T - 90 * kDay).empty());
    CHECK(s.reward_candidates(f.other_tenant_id(), f.program, T, T - 90 * kDay).empty());

    const auto br = rules.bonus_rules(f.tenant, f.program, T - 90 * kDay);
    REQUIRE(br.size() == 2);
    CHECK(br[0].id == bonus);  // creation order, bonus rules only
    CHECK(br[0].name == "Bonus");
    CHECK(br[0].popularity == 1);
    CHECK(!br[0].start);
    CHECK(!br[0].end);
    CHECK(br[1].id == windowed);
    REQUIRE(br[1].start);
    CHECK(loyalty::parse_time(*br[1].start) == loyalty::parse_time("2020-01-01T00:00:00Z"));  // as the rule says
    CHECK(br[1].popularity == 0);
    REQUIRE(br[1].conditions);
    CHECK(json::parse(*br[1].conditions)["fact"] == "purchase.amount");
    CHECK(rules.bonus_rules(f.tenant, f.program, T - 365 * kDay)[0].popularity == 2);
    CHECK(rules.bonus_rules(f.other_tenant_id(), f.program, T - 90 * kDay).empty());
    CHECK(rules.bonus_rules(f.tenant, f.other_program, T - 90 * kDay).empty());
  });
}

TEST_CASE("ai store: locations, last verified check-in and visits stay in their tenant") {
  each_backend<AiFixture>([](AiFixture& f) {
    World& w = *f.world;
    const std::string shop = location(w.session, "Shop", 59.9, 10.7);
    const std::string cafe = location(w.session, "Cafe", 48.85, 2.35);
    const std::string closed = location(w.session, "Closed", 10, 10);
    w.call("location.deactivate", {{"id", closed}});
    const std::string theirs = location(*f.other, "Theirs", 59.9, 10.7);
    checkin(w.session, f.alice, 59.9, 10.7);
    w.call("purchase.submit", purchase("p1", f.alice, 10, T + 3'600'000 - 1));  // within two hours: converted
    w.clock->advance(kDay);
    checkin(w.session, f.alice, 48.85, 2.35);
    checkin(w.session, f.bob, 48.85, 2.35);
    w.clock->advance(kDay);
    checkin(w.session, f.alice, 0.5, 0.5);  // rejected: not where it was last seen
    checkin(*f.other, f.carol, 59.9, 10.7);

    auto tx = f.begin(TxMode::read);
    auto& s = tx->locations();  // the AI reads locations and check-ins through their store
    const auto seen = s.last_seen(f.tenant, f.alice).value();
    CHECK(seen.lat == doctest::Approx(48.85));
    CHECK(seen.lon == doctest::Approx(2.35));
    CHECK(!s.last_seen(f.other_tenant_id(), f.alice));
    CHECK(!s.last_seen(f.tenant, f.carol));

    CHECK(s.location_point(f.tenant, shop)->lat == doctest::Approx(59.9));
    CHECK(s.location_point(f.tenant, closed));
    CHECK(!s.location_point(f.tenant, theirs));
    CHECK(!s.location_point(f.other_tenant_id(), shop));

    CHECK(s.active_location_ids(f.tenant, 10) == std::vector<std::string>{shop, cafe});  // creation order
    CHECK(s.active_location_ids(f.tenant, 1) == std::vector<std::string>{shop});
    CHECK(s.active_location_ids(f.other_tenant_id(), 10) == std::vector<std::string>{theirs});

    const auto all = s.visits(f.tenant, std::nullopt, T, T + 2 * kDay);
    REQUIRE(all.size() == 3);  // verified ones only
    int converted = 0;
    for (const auto& v : all) {
      CHECK((v.customer_id == f.alice || v.customer_id == f.bob));
      converted += v.converted ? 1 : 0;
    }
    CHECK(converted == 1);
    const auto at_shop = s.visits(f.tenant, shop, T, T + 2 * kDay);
    REQUIRE(at_shop.size() == 1);
    CHECK(at_shop[0].location_id == shop);
    CHECK(at_shop[0].occurred_at == T);
    CHECK(at_shop[0].converted);
    CHECK(s.visits(f.tenant, cafe, T, T + kDay - 1).empty());  // the window's end
    CHECK(s.visits(f.tenant, theirs, T, T + 2 * kDay).empty());
    CHECK(s.visits(f.other_tenant_id(), std::nullopt, T, T + 2 * kDay).size() == 1);
  });
}
