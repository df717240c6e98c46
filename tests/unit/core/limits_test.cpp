// Size limits of free-form fields (src/core/limits.hpp, docs/errors.md#limits): every write
// operation that stores a caller's JSON object refuses one over its limit with LOY_EINVALID naming
// the field, and writes nothing; an object of exactly the limit is accepted.
#include <functional>
#include <string>
#include <vector>

#include "core/limits.hpp"
#include "fixture.hpp"

using namespace loytest;
namespace d = loyalty::detail;

namespace {

/// A JSON object whose compact serialisation is exactly `bytes` long: {"blob":"xx...x"}.
json object_of(size_t bytes) {
  constexpr size_t kOverhead = std::string_view(R"({"blob":""})").size();
  json o = {{"blob", std::string(bytes - kOverhead, 'x')}};
  REQUIRE(o.dump().size() == bytes);
  return o;
}

/// Sets the value at the dotted `path` of `in` ("settings.branding" -> in["settings"]["branding"]).
void set_path(json& in, const std::string& path, json value) {
  json* at = &in;
  size_t start = 0;
  for (size_t dot = path.find('.'); dot != std::string::npos; start = dot + 1, dot = path.find('.', start))
    at = &(*at)[path.substr(start, dot - start)];
  (*at)[path.substr(start)] = std::move(value);
}

/// Everything a refused write could have changed, read through the public operations.
struct Fixture {
  World w;
  std::string customer, earn_entry, redeem_entry, hold, reward, tier, location;

  Fixture() {
    customer = w.enroll("c1");
    earn_entry = w.earn(customer, 1000)["entry"]["id"];
    redeem_entry = w.call("ledger.redeem", {{"customer_id", customer}, {"points", 10}})["entry"]["id"];
    hold = w.call("hold.create", {{"customer_id", customer}, {"points", 10}})["hold"]["id"];
    reward = w.call("reward.create", {{"name", "Coffee"}, {"cost_points", 10}})["id"];
    w.call("tier.policy.set", {{"window", {{"kind", "lifetime"}}}});
    tier = w.call("tier.create", {{"name", "Silver"}, {"rank", 1}, {"threshold", 100000}})["id"];
    location = w.call("location.create", {{"name", "Shop"},
                                          {"lat", 59.91},
                                          {"lon", 10.75},
                                          {"geofence", {{"radius_m", 100}}},
                                          {"checkin", {{"cooldown_s", 0}}}})["id"];
  }

  json state() const {
    return {{"balance", w.balance(customer)},
            {"history", w.call("ledger.history", {{"customer_id", customer}})},
            {"hold", w.call("hold.get", {{"id", hold}})},
            {"events", w.call("events.poll", {{"limit", 1000}})},
            {"audit", w.call("audit.list", {{"limit", 1000}})},
            {"customers", w.call("customer.list", json::object())},
            {"rewards", w.call("reward.list", json::object())},
            {"redemptions", w.call("redemption.list", {{"customer_id", customer}})},
            {"tiers", w.call("tier.list", json::object())},
            {"locations", w.call("location.list", json::object())},
            {"checkins", w.call("checkin.list", json::object())},
            {"tenants", w.admin.call("tenant.list", json::object())}};
  }
};

struct Case {
  const char* op;
  bool admin;
  std::function<json(const Fixture&)> input;  // a valid input without the free-form field
  std::string field;                          // the free-form field's path
  size_t max;
};

std::vector<Case> cases() {
  using F = const Fixture&;
  return {
      {"ledger.earn", false,
       [](F f) {
         return json{{"customer_id", f.customer}, {"points", 5}};
       },
       "metadata", d::kMaxMetadataBytes},
      {"ledger.earn_batch", false,
       [](F f) {
         return json{{"events", {{{"customer_id", f.customer}, {"points", 5}}}}};
       },
       "events[0].metadata", d::kMaxMetadataBytes},
      {"ledger.adjust", false,
       [](F f) {
         return json{{"customer_id", f.customer}, {"points", -5}, {"reason", "fix"}};
       },
       "metadata", d::kMaxMetadataBytes},
      {"ledger.redeem", false,
       [](F f) {
         return json{{"customer_id", f.customer}, {"points", 5}};
       },
       "metadata", d::kMaxMetadataBytes},
      {"ledger.refund", false,
       [](F f) {
         return json{{"entry_id", f.redeem_entry}, {"points", 1}};
       },
       "metadata", d::kMaxMetadataBytes},
      {"ledger.reverse", false,
       [](F f) {
         return json{{"entry_id", f.earn_entry}, {"points", 1}};
       },
       "metadata", d::kMaxMetadataBytes},
      {"hold.commit", false,
       [](F f) {
         return json{{"id", f.hold}, {"points", 1}};
       },
       "metadata", d::kMaxMetadataBytes},
      {"purchase.submit", false,
       [](F f) {
         return json{{"order_id", "o-1"}, {"customer_id", f.customer}, {"amount", 1000}};
       },
       "metadata", d::kMaxMetadataBytes},
      {"purchase.submit", false,
       [](F f) {
         return json{{"order_id", "o-2"}, {"customer_id", f.customer}, {"amount", 1000}};
       },
       "customer.attributes", d::kMaxAttributesBytes},
      {"reward.create", false,
       [](F) {
         return json{{"name", "Tea"}, {"cost_points", 5}};
       },
       "metadata", d::kMaxMetadataBytes},
      {"reward.update", false,
       [](F f) {
         return json{{"id", f.reward}};
       },
       "metadata", d::kMaxMetadataBytes},
      {"reward.redeem", false,
       [](F f) {
         return json{{"reward_id", f.reward}, {"customer_id", f.customer}, {"idempotency_key", "r-1"}};
       },
       "metadata", d::kMaxRedeemRequestMetadataBytes},
      {"customer.enroll", false,
       [](F) {
         return json{{"external_id", "c2"}};
       },
       "profile", d::kMaxDocumentBytes},
      {"customer.enroll", false,
       [](F) {
         return json{{"external_id", "c3"}};
       },
       "preferences", d::kMaxDocumentBytes},
      {"customer.update", false,
       [](F f) {
         return json{{"id", f.customer}};
       },
       "profile", d::kMaxDocumentBytes},
      {"customer.update", false,
       [](F f) {
         return json{{"id", f.customer}};
       },
       "preferences", d::kMaxDocumentBytes},
      {"location.create", false,
       [](F) {
         return json{{"name", "Kiosk"}, {"lat", 59.0}, {"lon", 10.0}, {"geofence", {{"radius_m", 50}}}};
       },
       "metadata", d::kMaxDocumentBytes},
      {"location.update", false,
       [](F f) {
         return json{{"id", f.location}};
       },
       "metadata", d::kMaxDocumentBytes},
      {"checkin.submit", false,
       [](F f) {
         return json{{"customer_id", f.customer},
                     {"location_id", f.location},
                     {"lat", 59.91},
                     {"lon", 10.75},
                     {"accuracy_m", 5}};
       },
       "device", d::kMaxDeviceBytes},
      {"tier.create", false,
       [](F) {
         return json{{"name", "Gold"}, {"rank", 2}, {"threshold", 200000}};
       },
       "benefits", d::kMaxBenefitsBytes},
      {"tier.update", false,
       [](F f) {
         return json{{"id", f.tier}};
       },
       "benefits", d::kMaxBenefitsBytes},
      {"tenant.create", true,
       [](F) {
         return json{{"name", "Second"}};
       },
       "settings.branding", d::kMaxSettingsSectionBytes},
      {"tenant.create", true,
       [](F) {
         return json{{"name", "Third"}};
       },
       "settings.notifications", d::kMaxSettingsSectionBytes},
      {"tenant.update", true,
       [](F f) {
         return json{{"id", f.w.session.tenant_id()}};
       },
       "settings.loyalty", d::kMaxSettingsSectionBytes},
      {"tenant.update", true,
       [](F f) {
         return json{{"id", f.w.session.tenant_id()}};
       },
       "settings.security", d::kMaxSettingsSectionBytes},
  };
}

json run(const Fixture& f, const Case& c, const json& in) {
  return c.admin ? f.w.admin.call(c.op, in) : f.w.call(c.op, in);
}

}  // namespace

TEST_CASE("limits: every write refuses a free-form field over its limit, naming it, and writes nothing") {
  Fixture f;
  const json before = f.state();
  for (const auto& c : cases()) {
    CAPTURE(c.op);
    CAPTURE(c.field);
    json in = c.input(f);
    const bool batch = c.field.rfind("events[0].", 0) == 0;
    // One byte over the limit, and far over it (1 MB).
    for (size_t bytes : {c.max + 1, size_t{1} << 20}) {
      CAPTURE(bytes);
      if (batch)
        in["events"][0]["metadata"] = object_of(bytes);
      else
        set_path(in, c.field, object_of(bytes));
      if (batch) {
        const json out = run(f, c, in);
        CHECK(out["succeeded"] == 0);
        CHECK(out["results"][0]["error"]["status"] == "invalid");
        CHECK(out["results"][0]["error"]["field"] == c.field);
      } else {
        LOY_REQUIRE_ERROR(run(f, c, in), Status::invalid, c.field);
      }
    }
    CHECK(f.state() == before);
  }
}

TEST_CASE("limits: a free-form field of exactly its limit is accepted") {
  Fixture f;
  for (const auto& c : cases()) {
    CAPTURE(c.op);
    CAPTURE(c.field);
    json in = c.input(f);
    if (c.field.rfind("events[0].", 0) == 0) {
      in["events"][0]["metadata"] = object_of(c.max);
      CHECK(run(f, c, in)["succeeded"] == 1);
    } else {
      set_path(in, c.field, object_of(c.max));
      CHECK_NOTHROW(run(f, c, in));
    }
  }
  // The redeem entry keeps the caller's metadata inside its own, within the entry's limit.
  const json entries = f.w.call("ledger.history", {{"customer_id", f.customer}, {"types", {"redeem"}}})["items"];
  bool found = false;
  for (const auto& e : entries)
    if (e["metadata"].contains("request")) {
      found = true;
      CHECK(e["metadata"]["request"].dump().size() == d::kMaxRedeemRequestMetadataBytes);
      CHECK(e["metadata"].dump().size() <= d::kMaxMetadataBytes);
    }
  CHECK(found);
}

TEST_CASE("limits: opt_object_limited counts compact JSON bytes and names the nested field") {
  const json in = {{"m", object_of(100)}, {"s", "text"}};
  const d::Input i(in, {"m", "s", "absent"}, "outer");
  CHECK(d::opt_object_limited(i, "m", 100) == in["m"]);
  CHECK_FALSE(d::opt_object_limited(i, "absent", 100).has_value());
  LOY_REQUIRE_ERROR(d::opt_object_limited(i, "m", 99), Status::invalid, "outer.m");
  LOY_REQUIRE_ERROR(d::opt_object_limited(i, "s", 100), Status::invalid, "outer.s");
}
