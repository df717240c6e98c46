// Times at the edges of RFC 3339 through the operations: a time whose UTC instant falls outside
// years 0001-9999, or a leap second, is LOY_EINVALID naming the field, and nothing is stored.
#include <string>
#include <vector>

#include "fixture.hpp"

using namespace loytest;

namespace {

/// Each is refused by parse_time: an offset carries it out of 0001-9999, or it is a leap second.
const std::vector<std::string> kBadTimes = {
    "9999-12-31T23:59:59-23:59",  // 10000-01-01T23:58:59Z
    "9999-12-31T23:59:59.999-00:01",
    "0001-01-01T00:00:00+23:59",  // 0000-12-31T00:01:00Z
    "0001-01-01T00:00:00.000+00:01",
    "2026-12-31T23:59:60Z",  // a leap second
    "2026-02-28T23:59:60+00:00",
};

}  // namespace

TEST_CASE("time input: out-of-range instants and leap seconds are refused by every operation, naming the field") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 100);
  w.call("tier.policy.set", {{"window", {{"kind", "lifetime"}}}});
  const std::string tier = w.call("tier.create", {{"name", "Gold"}, {"rank", 1}, {"threshold", 100000}})["id"];
  const std::string reward = w.call("reward.create", {{"name", "Tea"}, {"cost_points", 5}})["id"];
  auto state = [&] {
    return json{{"balance", w.balance(c)},
                {"history", w.call("ledger.history", {{"customer_id", c}})},
                {"holds_events", w.call("events.poll", {{"limit", 1000}})},
                {"audit", w.call("audit.list", {{"limit", 1000}})},
                {"rules", w.call("rule.list", json::object())},
                {"rewards", w.call("reward.list", json::object())},
                {"tier", w.call("tier.status", {{"customer_id", c}})}};
  };
  const json before = state();
  struct Op {
    const char* op;
    json input;  // without the time field
    const char* field;
  };
  const std::vector<Op> ops = {
      {"hold.create", {{"customer_id", c}, {"points", 5}}, "expires_at"},
      {"ledger.earn", {{"customer_id", c}, {"points", 5}}, "expires_at"},
      {"ledger.earn", {{"customer_id", c}, {"points", 5}}, "occurred_at"},
      {"ledger.run_due", json::object(), "now"},
      {"tier.assign", {{"customer_id", c}, {"tier_id", tier}, {"reason", "vip"}}, "until"},
      {"reward.create", {{"name", "Cake"}, {"cost_points", 5}}, "starts_at"},
      {"reward.update", {{"id", reward}}, "ends_at"},
      {"rule.create", {{"name", "r"}, {"actions", {{{"type", "fixed"}, {"points", 1}}}}}, "start"},
  };
  for (const auto& o : ops)
    for (const auto& t : kBadTimes) {
      CAPTURE(o.op);
      CAPTURE(t);
      json in = o.input;
      in[o.field] = t;
      LOY_REQUIRE_ERROR(w.call(o.op, in), Status::invalid, o.field);
    }
  CHECK(state() == before);
}

TEST_CASE("time input: the last representable instant is stored and read back as written") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 100);
  const json h =
      w.call("hold.create", {{"customer_id", c}, {"points", 5}, {"expires_at", "9999-12-31T00:00:59.999-23:59"}});
  CHECK(h["hold"]["expires_at"] == "9999-12-31T23:59:59.999Z");
  const json e = w.earn(c, 5, {{"expires_at", "9999-12-31T23:59:59.999+00:00"}});
  CHECK(e["entry"]["expires_at"] == "9999-12-31T23:59:59.999Z");
}
