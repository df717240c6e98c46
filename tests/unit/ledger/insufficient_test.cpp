// LOY_EINSUFFICIENT follows one rule on every operation that can return it (docs/errors.md):
// `field` is `points`, the amount that could not be covered (the request's `points`, a reward's
// `cost_points`, or the points a return takes back), and detail carries `available`.
#include <string>
#include <vector>

#include "fixture.hpp"

using namespace loytest;

TEST_CASE("insufficient: every operation that can refuse for want of points names points and gives available") {
  World w;  // return policy within_balance (the default)
  const std::string c = w.enroll("c1");
  w.call("rule.create", {{"name", "Ten per purchase"}, {"actions", {{{"type", "fixed"}, {"points", 10}}}}});
  REQUIRE(w.call("purchase.submit", {{"order_id", "o-1"}, {"customer_id", c}, {"amount", 1000}})["points"] == 10);
  const std::string earned = w.earn(c, 10)["entry"]["id"];
  w.call("ledger.redeem", {{"customer_id", c}, {"points", 15}});
  REQUIRE(w.balance(c)["available"] == 5);
  const std::string reward = w.call("reward.create", {{"name", "Cake"}, {"cost_points", 6}})["id"];

  auto state = [&] {
    return json{{"balance", w.balance(c)},
                {"history", w.call("ledger.history", {{"customer_id", c}})},
                {"redemptions", w.call("redemption.list", {{"customer_id", c}})},
                {"reward", w.call("reward.get", {{"id", reward}})}};
  };
  const json before = state();
  struct Op {
    const char* op;
    json input;
  };
  const std::vector<Op> ops = {
      {"ledger.adjust", {{"customer_id", c}, {"points", -6}, {"reason", "fix"}}},
      {"ledger.redeem", {{"customer_id", c}, {"points", 6}}},
      {"hold.create", {{"customer_id", c}, {"points", 6}}},
      {"ledger.reverse", {{"entry_id", earned}}},
      {"reward.redeem", {{"reward_id", reward}, {"customer_id", c}, {"idempotency_key", "k-1"}}},
      {"reward.reserve", {{"reward_id", reward}, {"customer_id", c}, {"idempotency_key", "k-2"}}},
      {"purchase.return", {{"order_id", "o-1"}}},
  };
  for (const auto& o : ops) {
    CAPTURE(o.op);
    bool thrown = false;
    try {
      (void)w.call(o.op, o.input);
    } catch (const loyalty::Error& e) {
      thrown = true;
      INFO(e.what());
      CHECK(e.status() == Status::insufficient);
      CHECK(e.field() == "points");
      CHECK(e.detail()["available"] == 5);
    }
    CHECK(thrown);
  }
  CHECK(state() == before);
  // Rewards say what the points were for.
  try {
    (void)w.call("reward.redeem", {{"reward_id", reward}, {"customer_id", c}, {"idempotency_key", "k-3"}});
    FAIL("expected insufficient");
  } catch (const loyalty::Error& e) {
    CHECK(e.detail()["cost_points"] == 6);
  }
}
