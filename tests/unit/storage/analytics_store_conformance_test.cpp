// Conformance suite of AnalyticsStore (src/analytics/analytics_store.hpp): watermarks and heads,
// the sources read past a watermark (per tenant when asked), counters that add up per day,
// idempotent activity rows with distinct counts, tenancy of every read and of clear_tenant, and
// the zones of the rollups; checked through the interface alone, once per backend.
#include "analytics/analytics_store.hpp"
#include "store_backends.hpp"

using namespace loytest;
using loyalty::storage::AnalyticsCounters;
using loyalty::storage::AnalyticsMarks;

namespace {

AnalyticsCounters issued(int64_t points) {
  AnalyticsCounters c;
  c.issued = points;
  c.issued_count = 1;
  c.net = points;
  c.entries = 1;
  return c;
}

}  // namespace

TEST_CASE("analytics store: watermarks, heads and the sources past them") {
  each_backend([](StoreFixture& f) {
    World& w = *f.world;
    w.earn(f.alice, 10);
    w.earn(f.bob, 20);
    auto tx = f.begin();
    auto& s = tx->analytics();
    CHECK(s.marks() == AnalyticsMarks{});
    const AnalyticsMarks heads = s.heads();
    CHECK(heads.entries >= 2);
    CHECK(heads.accounts >= 2);
    CHECK(heads.customers >= 2);
    const auto all = s.entries(0, heads.entries, std::nullopt, 100);
    REQUIRE(all.size() == 2);
    CHECK(all[0].customer_id == f.alice);
    CHECK(all[0].program_id == f.program);
    CHECK(all[0].type == "earn");
    CHECK(all[0].points == 10);
    CHECK(all[1].seq > all[0].seq);
    // Past a watermark, bounded above, limited, and per tenant.
    CHECK(s.entries(all[0].seq, heads.entries, std::nullopt, 100).size() == 1);
    CHECK(s.entries(0, all[0].seq, std::nullopt, 100).size() == 1);
    CHECK(s.entries(0, heads.entries, std::nullopt, 1).size() == 1);
    CHECK(s.entries(0, heads.entries, f.other_tenant, 100).empty());
    CHECK(s.accounts(0, heads.accounts, f.tenant, 100).size() == 2);
    CHECK(s.accounts(0, heads.accounts, f.other_tenant, 100).empty());
    const auto customers = s.customers(0, heads.customers, f.tenant, 100);
    REQUIRE(customers.size() == 2);
    CHECK(customers[0].program_id.empty());
    s.set_marks(heads);
    CHECK(s.marks() == heads);
    tx->commit();
  });
}

TEST_CASE("analytics store: counters add up per day, activity is distinct, and reads and clears keep to a tenant") {
  each_backend([](StoreFixture& f) {
    auto tx = f.begin();
    auto& s = tx->analytics();
    s.add_day(f.tenant, f.program, 100, issued(5));
    s.add_day(f.tenant, f.program, 100, issued(7));
    s.add_day(f.tenant, f.program, 102, issued(1));
    s.add_day(f.tenant, "", 100, issued(12));
    s.add_day(f.other_tenant, f.program, 100, issued(1000));
    const auto days = s.days(f.tenant, f.program, 99, 102);
    REQUIRE(days.size() == 2);
    CHECK(days[0].day == 100);
    CHECK(days[0].counters.issued == 12);
    CHECK(days[0].counters.issued_count == 2);
    CHECK(days[1].day == 102);
    CHECK(s.days(f.tenant, f.program, 101, 101).empty());
    CHECK(s.before(f.tenant, f.program, 102).issued == 12);
    CHECK(s.before(f.tenant, f.program, 103).net == 13);
    CHECK(s.before(f.tenant, f.program, 100).issued == 0);
    CHECK(s.before(f.tenant, "", 1000).issued == 12);

    s.add_activity(f.tenant, f.program, 100, f.alice);
    s.add_activity(f.tenant, f.program, 100, f.alice);  // idempotent
    s.add_activity(f.tenant, f.program, 101, f.alice);
    s.add_activity(f.tenant, f.program, 101, f.bob);
    s.add_activity(f.other_tenant, f.program, 100, "cus_other");
    CHECK(s.active(f.tenant, f.program, 100, 100) == 1);
    CHECK(s.active(f.tenant, f.program, 100, 101) == 2);
    CHECK(s.active(f.tenant, f.program, 102, 200) == 0);
    CHECK(s.active(f.tenant, "", 0, 200) == 0);

    s.clear_tenant(f.tenant);
    CHECK(s.days(f.tenant, f.program, 0, 1000).empty());
    CHECK(s.active(f.tenant, f.program, 0, 1000) == 0);
    CHECK(s.days(f.other_tenant, f.program, 0, 1000).size() == 1);
    CHECK(s.active(f.other_tenant, f.program, 0, 1000) == 1);
    tx->commit();
  });
}

TEST_CASE("analytics store: a tenant's rollup zone, and the tenants whose zone changed since") {
  each_backend([](StoreFixture& f) {
    {
      auto tx = f.begin();
      auto& s = tx->analytics();
      CHECK_FALSE(s.rollup_zone(f.tenant).has_value());
      s.set_rollup_zone(f.tenant, "UTC");
      s.set_rollup_zone(f.other_tenant, "UTC");
      CHECK(s.rollup_zone(f.tenant) == "UTC");
      CHECK(s.stale_zones().empty());
      tx->commit();
    }
    f.world->admin.call("tenant.update", {{"id", f.tenant}, {"timezone", "Europe/Berlin"}});
    auto tx = f.begin();
    auto& s = tx->analytics();
    CHECK(s.stale_zones() == std::vector<std::string>{f.tenant});
    s.set_rollup_zone(f.tenant, "Europe/Berlin");
    CHECK(s.stale_zones().empty());
  });
}
