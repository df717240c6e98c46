// C ABI, loyalty.h "Analytics": loy_analytics_overview.
#include <string>

#include "capi_support.hpp"

using namespace capitest;

TEST_CASE("analytics: the analytics functions refuse NULL arguments, malformed JSON and unknown fields") {
  World w;
  for (const auto& op : ops_with_prefix(kSessionOps, "analytics.")) {
    check_null_arguments(op.fn, w.session, op.name, json{{"from", "2026-01-01"}, {"to", "2026-01-31"}}.dump());
    check_input_contract(op.fn, w.session, op.name);
  }
}

TEST_CASE("analytics: overview through the C function counts what the ledger holds") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 120);
  ok(loy_ledger_redeem, w.session, json{{"customer_id", c}, {"points", 20}});
  const json r =
      ok(loy_analytics_overview, w.session,
         json{{"program_id", w.program_id}, {"from", "2026-03-01"}, {"to", "2026-03-31"}, {"bucket", "week"}});
  CHECK(r["points"]["issued"] == 120);
  CHECK(r["points"]["redeemed"] == 20);
  CHECK(r["outstanding"] == 100);
  CHECK(r["members"]["total"] == 1);
  CHECK(r["members"]["active"] == 1);
  CHECK(r["redemption_rate"] == json(20.0 / 120.0));
  CHECK(r["series"].size() == 6);  // 1 March is a Sunday: 1, 2-8, 9-15, 16-22, 23-29, 30-31
  Failure f = fail(loy_analytics_overview, w.session, json{{"from", "2026-03-31"}, {"to", "2026-03-01"}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "to");
}
