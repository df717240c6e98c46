// Bad input to ledger writes: refused with the right status and field, and nothing changes.
#include <cstdint>
#include <limits>
#include <string>

#include "fixture.hpp"

using namespace loytest;

namespace {

constexpr int64_t kMax = 1'000'000'000'000'000;  // 1e15, the largest single amount

/// Bad values for a positive amount: 0, -1, 1e15 + 1, 2^63 (as unsigned), 2^64 - 1, floats, strings, booleans.
json bad_amounts() {
  return json::array({0, -1, kMax + 1, static_cast<uint64_t>(1) << 63, std::numeric_limits<uint64_t>::max(),
                      std::numeric_limits<int64_t>::min(), 1.5, 10.0, 1e300, "10", true, json::array({10}),
                      json::object()});
}

/// The customer's whole observable ledger state.
json state(const World& w, const std::string& c) {
  return {{"balance", w.balance(c)}, {"history", w.call("ledger.history", {{"customer_id", c}})}};
}

}  // namespace

TEST_CASE("ledger: earn refuses bad point amounts and changes nothing") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 10);
  const json before = state(w, c);
  for (const auto& bad : bad_amounts()) {
    CAPTURE(bad.dump());
    LOY_REQUIRE_ERROR(w.call("ledger.earn", {{"customer_id", c}, {"points", bad}}), Status::invalid, "points");
  }
  LOY_REQUIRE_ERROR(w.call("ledger.earn", {{"customer_id", c}}), Status::invalid, "points");
  LOY_REQUIRE_ERROR(w.call("ledger.earn", {{"customer_id", c}, {"points", nullptr}}), Status::invalid, "points");
  CHECK(state(w, c) == before);
  CHECK(w.earn(c, kMax)["balance"]["balance"] == kMax + 10);
  w.require_verified();
}

TEST_CASE("ledger: earn refuses unknown fields, wrong types and out-of-range options, changing nothing") {
  World w;
  const auto c = w.enroll("c1");
  const json before = state(w, c);
  struct Bad {
    json extra;
    const char* field;
  };
  const Bad cases[] = {
      {json{{"points_multiplier", 2}}, "points_multiplier"},
      {json{{"customer_id", 42}}, "customer_id"},
      {json{{"customer_id", ""}}, "customer_id"},
      {json{{"program_id", json::array()}}, "program_id"},
      {json{{"occurred_at", "2026-02-30T00:00:00Z"}}, "occurred_at"},
      {json{{"occurred_at", "2026-03-01T12:00:00"}}, "occurred_at"},
      {json{{"occurred_at", 1772366400000}}, "occurred_at"},
      {json{{"expires_at", "soon"}}, "expires_at"},
      {json{{"expires_at", "2026-03-01T12:00:00Z"}}, "expires_at"},  // not after occurred_at
      {json{{"metadata", "order 7"}}, "metadata"},
      {json{{"metadata", json::array()}}, "metadata"},
      {json{{"metadata", {{"blob", std::string(16 * 1024, 'm')}}}}, "metadata"},
      {json{{"reason", std::string(501, 'r')}}, "reason"},
      {json{{"reason", 7}}, "reason"},
      {json{{"pending_days", 366}}, "pending_days"},
      {json{{"pending_days", -1}}, "pending_days"},
      {json{{"type", "redeem"}}, "type"},
      {json{{"type", "adjust"}}, "type"},
  };
  for (const auto& b : cases) {
    json in = {{"customer_id", c}, {"points", 5}};
    for (auto& [k, v] : b.extra.items()) in[k] = v;
    CAPTURE(in.dump().substr(0, 200));
    LOY_REQUIRE_ERROR(w.call("ledger.earn", in), Status::invalid, b.field);
  }
  LOY_REQUIRE_ERROR(w.call("ledger.earn", json::array({1})), Status::invalid, "");
  LOY_REQUIRE_ERROR(w.call("ledger.earn", "points=5"), Status::invalid, "");
  CHECK(state(w, c) == before);
  w.require_verified();
}

TEST_CASE("ledger: earn for unknown customers, programs and entries is not_found and changes nothing") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 10);
  const json before = state(w, c);
  LOY_REQUIRE_ERROR(w.earn("cus_nope", 5), Status::not_found, "customer_id");
  LOY_REQUIRE_ERROR(w.earn(c, 5, {{"program_id", "prg_nope"}}), Status::not_found, "program_id");
  LOY_REQUIRE_ERROR(w.call("ledger.adjust", {{"customer_id", "cus_nope"}, {"points", 5}, {"reason", "r"}}),
                    Status::not_found, "customer_id");
  LOY_REQUIRE_ERROR(w.call("ledger.balance", {{"customer_id", "cus_nope"}}), Status::not_found, "customer_id");
  LOY_REQUIRE_ERROR(w.call("ledger.balance", {{"customer_id", c}, {"program_id", "prg_nope"}}), Status::not_found,
                    "program_id");
  LOY_REQUIRE_ERROR(w.call("ledger.reverse", {{"entry_id", "ent_nope"}}), Status::not_found, "entry_id");
  LOY_REQUIRE_ERROR(w.call("ledger.entry", {{"id", "ent_nope"}}), Status::not_found, "id");
  LOY_REQUIRE_ERROR(w.call("hold.commit", {{"id", "hld_nope"}}), Status::not_found, "id");
  CHECK(state(w, c) == before);
  w.require_verified();
}

TEST_CASE("ledger: adjust refuses zero and amounts beyond 1e15 in either direction") {
  World w(json{{"allow_negative", true}});
  const auto c = w.enroll("c1");
  const json before = state(w, c);
  for (const json& bad : {json(0), json(kMax + 1), json(-kMax - 1), json(static_cast<uint64_t>(1) << 63),
                          json(std::numeric_limits<int64_t>::min()), json(-2.5), json("-5")}) {
    CAPTURE(bad.dump());
    LOY_REQUIRE_ERROR(w.call("ledger.adjust", {{"customer_id", c}, {"points", bad}, {"reason", "r"}}), Status::invalid,
                      "points");
  }
  LOY_REQUIRE_ERROR(w.call("ledger.adjust", {{"customer_id", c}, {"points", 5}, {"reason", "r"}, {"type", "bonus"}}),
                    Status::invalid, "type");
  CHECK(state(w, c) == before);
  CHECK(w.call("ledger.adjust", {{"customer_id", c}, {"points", -kMax}, {"reason", "r"}})["balance"]["balance"] ==
        -kMax);
  w.require_verified();
}

TEST_CASE("ledger: hold.create and hold.commit refuse bad amounts and changes nothing") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 100);
  const std::string id = w.call("hold.create", {{"customer_id", c}, {"points", 10}})["hold"]["id"];
  const json before = state(w, c);
  for (const auto& bad : bad_amounts()) {
    CAPTURE(bad.dump());
    LOY_REQUIRE_ERROR(w.call("hold.create", {{"customer_id", c}, {"points", bad}}), Status::invalid, "points");
    LOY_REQUIRE_ERROR(w.call("hold.commit", {{"id", id}, {"points", bad}}), Status::invalid, "points");
    LOY_REQUIRE_ERROR(w.call("ledger.reverse", {{"entry_id", "ent_x"}, {"points", bad}}), Status::invalid, "points");
  }
  CHECK(state(w, c) == before);
  CHECK(w.call("hold.get", {{"id", id}})["status"] == "active");
  w.require_verified();
}

TEST_CASE("ledger: run_due and verify refuse unknown fields; run_due refuses a malformed now") {
  World w;
  LOY_REQUIRE_ERROR(w.call("ledger.run_due", {{"now", "yesterday"}}), Status::invalid, "now");
  LOY_REQUIRE_ERROR(w.call("ledger.run_due", {{"tenant_id", "x"}}), Status::invalid, "tenant_id");
  LOY_REQUIRE_ERROR(w.call("ledger.verify", {{"deep", true}}), Status::invalid, "deep");
  json due = w.call("ledger.run_due", json::object());
  CHECK(due["now"] == "2026-03-01T12:00:00.000Z");
  CHECK(due["holds_expired"] == 0);
  CHECK(due["points_expired"] == 0);
  json v = w.call("ledger.verify", json::object());
  CHECK(v["ok"] == true);
  CHECK(v["violations"].empty());
}
