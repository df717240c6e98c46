// Tenancy: a session sees only its tenant. Another tenant's ids behave exactly like ids that
// do not exist (Status::not_found naming the same field), and nothing changes on either side.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fixture.hpp"

using namespace loytest;

namespace {

struct TenantA {
  std::string program, customer, external_id = "a-customer", earn_entry, pending_entry, redeem_entry, hold, key_id, key,
                                 tier, location, checkin, reward, redemption, reservation, coupon;
};

/// Everything tenant A can observe about its objects.
json snapshot(const World& w, const TenantA& a) {
  return {{"program", w.call("program.get", {{"id", a.program}})},
          {"programs", w.call("program.list", json::object())},
          {"customer", w.call("customer.get", {{"id", a.customer}})},
          {"customers", w.call("customer.list", json::object())},
          {"balance", w.balance(a.customer)},
          {"history", w.call("ledger.history", {{"customer_id", a.customer}})},
          {"earn_entry", w.call("ledger.entry", {{"id", a.earn_entry}})},
          {"pending_entry", w.call("ledger.entry", {{"id", a.pending_entry}})},
          {"redeem_entry", w.call("ledger.entry", {{"id", a.redeem_entry}})},
          {"hold", w.call("hold.get", {{"id", a.hold}})},
          {"tier", w.call("tier.get", {{"id", a.tier}})},
          {"tier_status", w.call("tier.status", {{"customer_id", a.customer}})},
          {"keys", w.call("apikey.list", {{"include_revoked", true}})},
          {"location", w.call("location.get", {{"id", a.location}})},
          {"checkin", w.call("checkin.get", {{"id", a.checkin}})},
          {"checkins", w.call("checkin.list", {{"customer_id", a.customer}})},
          {"reward", w.call("reward.get", {{"id", a.reward}})},
          {"redemption", w.call("redemption.get", {{"id", a.redemption}})},
          {"redemptions", w.call("redemption.list", {{"customer_id", a.customer}})},
          {"audit", w.call("audit.list", {{"limit", 1000}})},
          {"analytics", w.call("analytics.overview", {{"from", "2026-01-01"}, {"to", "2026-12-31"}})},
          {"analytics_program",
           w.call("analytics.overview", {{"program_id", a.program}, {"from", "2026-01-01"}, {"to", "2026-12-31"}})}};
}

json snapshot_b(const loyalty::Session& b, const std::string& customer) {
  return {{"programs", b.call("program.list", json::object())},
          {"customers", b.call("customer.list", json::object())},
          {"balance", b.call("ledger.balance", {{"customer_id", customer}})},
          {"history", b.call("ledger.history", {{"customer_id", customer}})},
          {"keys", b.call("apikey.list", {{"include_revoked", true}})},
          {"audit", b.call("audit.list", {{"limit", 1000}})}};
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

/// The same id shape, but an id that exists nowhere.
std::string fake_of(const std::string& id) {
  std::string f = id;
  f.back() = f.back() == 'z' ? 'y' : 'z';
  return f;
}

struct Case {
  std::string op;
  json input;
  std::string field;
};

}  // namespace

TEST_CASE("tenancy: every operation given another tenant's id is not_found, exactly like an unknown id") {
  World w;
  TenantA a;
  a.program = w.program_id;
  a.customer =
      w.call("customer.enroll", {{"external_id", a.external_id}, {"segments", {"vip"}}})["id"].get<std::string>();
  a.earn_entry = w.earn(a.customer, 100, {{"idempotency_key", "order-1"}})["entry"]["id"].get<std::string>();
  a.pending_entry = w.earn(a.customer, 40, {{"pending_days", 5}})["entry"]["id"].get<std::string>();
  w.call("tier.policy.set", {{"window", {{"kind", "lifetime"}}}});
  a.tier = w.call("tier.create", {{"name", "Silver"}, {"rank", 1}, {"threshold", 50}})["id"].get<std::string>();
  a.redeem_entry =
      w.call("ledger.redeem", {{"customer_id", a.customer}, {"points", 5}})["entry"]["id"].get<std::string>();
  a.hold = w.call("hold.create", {{"customer_id", a.customer}, {"points", 30}, {"ttl_seconds", 600}})["hold"]["id"]
               .get<std::string>();
  const std::string a_rule =
      w.call("rule.create", {{"name", "Base"}, {"actions", {{{"type", "fixed"}, {"points", 5}}}}})["id"];
  w.call("purchase.submit", {{"order_id", "a-order-1"}, {"customer_id", a.customer}, {"amount", 100}});
  json k = w.call("apikey.create", {{"name", "till"}, {"scopes", {"pos"}}});
  a.key_id = k["id"].get<std::string>();
  a.key = k["key"].get<std::string>();
  a.location = w.call("location.create",
                      {{"name", "Shop A"}, {"lat", 48.85}, {"lon", 2.35}, {"geofence", {{"radius_m", 100}}}})["id"]
                   .get<std::string>();
  a.checkin = w.call("checkin.submit",
                     {{"customer_id", a.customer}, {"lat", 48.85}, {"lon", 2.35}, {"accuracy_m", 5}})["checkin"]["id"]
                  .get<std::string>();

  a.reward = w.call("reward.create", {{"name", "Mug"}, {"cost_points", 10}, {"stock", 5}})["id"].get<std::string>();
  const json a_redeemed =
      w.call("reward.redeem", {{"reward_id", a.reward}, {"customer_id", a.customer}, {"idempotency_key", "rw-1"}});
  a.redemption = a_redeemed["redemption"]["id"].get<std::string>();
  a.coupon = a_redeemed["redemption"]["coupon_code"].get<std::string>();
  a.reservation =
      w.call("reward.reserve",
             {{"reward_id", a.reward}, {"customer_id", a.customer}, {"idempotency_key", "rw-2"}})["redemption"]["id"]
          .get<std::string>();

  auto [b, b_program] = w.other_tenant("Tenant B");
  const std::string b_customer = b.call("customer.enroll", {{"external_id", "b-customer"}})["id"];
  b.call("ledger.earn", {{"customer_id", b_customer}, {"points", 7}});
  const std::string b_reward = b.call("reward.create", {{"name", "Pen"}, {"cost_points", 1}})["id"];

  const json before_a = snapshot(w, a);
  const json before_b = snapshot_b(b, b_customer);

  const std::vector<Case> cases = {
      {"program.get", {{"id", a.program}}, "id"},
      {"program.update", {{"id", a.program}, {"name", "Hijacked"}}, "id"},
      {"program.activate", {{"id", a.program}}, "id"},
      {"program.deactivate", {{"id", a.program}}, "id"},
      {"customer.get", {{"id", a.customer}}, "id"},
      {"customer.get", {{"external_id", a.external_id}}, "external_id"},
      {"customer.update", {{"id", a.customer}, {"profile", {{"name", "Mallory"}}}}, "id"},
      {"customer.export", {{"id", a.customer}}, "id"},
      {"customer.erase", {{"id", a.customer}}, "id"},
      {"customer.enroll", {{"external_id", "b-new"}, {"program_ids", {a.program}}}, "program_ids[0]"},
      {"ledger.earn", {{"customer_id", a.customer}, {"points", 10}}, "customer_id"},
      {"ledger.earn", {{"customer_id", b_customer}, {"program_id", a.program}, {"points", 10}}, "program_id"},
      {"ledger.adjust", {{"customer_id", a.customer}, {"points", -10}, {"reason", "x"}}, "customer_id"},
      {"ledger.adjust",
       {{"customer_id", b_customer}, {"program_id", a.program}, {"points", 10}, {"reason", "x"}},
       "program_id"},
      {"ledger.balance", {{"customer_id", a.customer}}, "customer_id"},
      {"ledger.redeem", {{"customer_id", a.customer}, {"points", 1}}, "customer_id"},
      {"ledger.redeem", {{"customer_id", b_customer}, {"program_id", a.program}, {"points", 1}}, "program_id"},
      {"ledger.refund", {{"entry_id", a.redeem_entry}}, "entry_id"},
      {"tier.policy.set", {{"program_id", a.program}, {"window", {{"kind", "lifetime"}}}}, "program_id"},
      {"tier.policy.get", {{"program_id", a.program}}, "program_id"},
      {"tier.create", {{"program_id", a.program}, {"name", "T"}, {"rank", 9}, {"threshold", 1}}, "program_id"},
      {"tier.get", {{"id", a.tier}}, "id"},
      {"tier.list", {{"program_id", a.program}}, "program_id"},
      {"tier.update", {{"id", a.tier}, {"name", "Hijacked"}}, "id"},
      {"tier.assign", {{"customer_id", a.customer}, {"tier_id", nullptr}, {"reason", "x"}}, "customer_id"},
      {"tier.status", {{"customer_id", a.customer}}, "customer_id"},
      {"tier.history", {{"customer_id", a.customer}}, "customer_id"},
      {"ledger.balance", {{"customer_id", b_customer}, {"program_id", a.program}}, "program_id"},
      {"ledger.history", {{"customer_id", a.customer}}, "customer_id"},
      {"ledger.history", {{"customer_id", b_customer}, {"program_id", a.program}}, "program_id"},
      {"ledger.expiring", {{"customer_id", a.customer}, {"before", "2030-01-01T00:00:00Z"}}, "customer_id"},
      {"ledger.expiring",
       {{"customer_id", b_customer}, {"program_id", a.program}, {"before", "2030-01-01T00:00:00Z"}},
       "program_id"},
      {"ledger.reverse", {{"entry_id", a.earn_entry}}, "entry_id"},
      {"ledger.reverse", {{"entry_id", a.earn_entry}, {"points", 1}}, "entry_id"},
      {"ledger.confirm", {{"entry_id", a.pending_entry}}, "entry_id"},
      {"ledger.entry", {{"id", a.earn_entry}}, "id"},
      {"hold.create", {{"customer_id", a.customer}, {"points", 1}}, "customer_id"},
      {"hold.create", {{"customer_id", b_customer}, {"program_id", a.program}, {"points", 1}}, "program_id"},
      {"hold.commit", {{"id", a.hold}}, "id"},
      {"hold.commit", {{"id", a.hold}, {"points", 1}}, "id"},
      {"hold.void", {{"id", a.hold}}, "id"},
      {"hold.get", {{"id", a.hold}}, "id"},
      {"apikey.revoke", {{"id", a.key_id}}, "id"},
      {"rule.create",
       {{"program_id", a.program}, {"name", "x"}, {"actions", {{{"type", "fixed"}, {"points", 1}}}}},
       "program_id"},
      {"rule.get", {{"id", a_rule}}, "id"},
      {"rule.update", {{"id", a_rule}, {"name", "Hijacked"}}, "id"},
      {"rule.activate", {{"id", a_rule}}, "id"},
      {"rule.deactivate", {{"id", a_rule}}, "id"},
      {"purchase.submit", {{"order_id", "b-1"}, {"customer_id", a.customer}, {"amount", 100}}, "customer_id"},
      {"purchase.dry_run", {{"customer_id", a.customer}, {"amount", 100}}, "customer_id"},
      {"purchase.return", {{"order_id", "a-order-1"}}, "order_id"},
      {"location.get", {{"id", a.location}}, "id"},
      {"location.update", {{"id", a.location}, {"name", "Hijacked"}}, "id"},
      {"location.deactivate", {{"id", a.location}}, "id"},
      {"checkin.get", {{"id", a.checkin}}, "id"},
      {"checkin.list", {{"customer_id", a.customer}}, "customer_id"},
      {"checkin.list", {{"location_id", a.location}}, "location_id"},
      {"checkin.submit",
       {{"customer_id", a.customer}, {"lat", 48.85}, {"lon", 2.35}, {"accuracy_m", 5}},
       "customer_id"},
      {"checkin.submit",
       {{"customer_id", b_customer}, {"location_id", a.location}, {"lat", 48.85}, {"lon", 2.35}, {"accuracy_m", 5}},
       "location_id"},
      {"reward.create", {{"program_id", a.program}, {"name", "x"}, {"cost_points", 1}}, "program_id"},
      {"reward.create", {{"name", "x"}, {"cost_points", 1}, {"min_tier_id", a.tier}}, "min_tier_id"},
      {"reward.get", {{"id", a.reward}}, "id"},
      {"reward.list", {{"program_id", a.program}}, "program_id"},
      {"reward.list", {{"affordable_for", a.customer}}, "affordable_for"},
      {"reward.update", {{"id", a.reward}, {"name", "Hijacked"}}, "id"},
      {"reward.deactivate", {{"id", a.reward}}, "id"},
      {"reward.stock", {{"id", a.reward}, {"delta", -5}, {"reason", "x"}}, "id"},
      {"reward.redeem", {{"reward_id", a.reward}, {"customer_id", b_customer}, {"idempotency_key", "x1"}}, "reward_id"},
      {"reward.redeem",
       {{"reward_id", b_reward}, {"customer_id", a.customer}, {"idempotency_key", "x2"}},
       "customer_id"},
      {"reward.reserve",
       {{"reward_id", a.reward}, {"customer_id", b_customer}, {"idempotency_key", "x3"}},
       "reward_id"},
      {"reward.reserve",
       {{"reward_id", b_reward}, {"customer_id", a.customer}, {"idempotency_key", "x4"}},
       "customer_id"},
      {"redemption.fulfil", {{"id", a.reservation}}, "id"},
      {"redemption.cancel", {{"id", a.reservation}}, "id"},
      {"redemption.cancel", {{"id", a.redemption}}, "id"},
      {"redemption.get", {{"id", a.redemption}}, "id"},
      {"redemption.by_code", {{"code", a.coupon}}, "code"},
      {"redemption.list", {{"customer_id", a.customer}}, "customer_id"},
      {"redemption.list", {{"customer_id", b_customer}, {"reward_id", a.reward}}, "reward_id"},
      {"ai.churn", {{"customer_id", a.customer}}, "customer_id"},
      {"ai.recommendations", {{"customer_id", a.customer}}, "customer_id"},
      {"ai.recommendations", {{"customer_id", b_customer}, {"program_id", a.program}}, "program_id"},
      {"ai.location_insights", {{"location_id", a.location}}, "location_id"},
      {"ai.refresh", {{"operation", "recommendations"}, {"program_id", a.program}}, "program_id"},
      {"analytics.overview", {{"program_id", a.program}, {"from", "2026-01-01"}, {"to", "2026-12-31"}}, "program_id"},
  };

  // Ops that take no id of an existing object (checked below for scoping instead).
  const std::set<std::string> no_foreign_id = {
      "session.info",   "apikey.create",   "apikey.list",   "program.create",  "program.list",      "customer.list",
      "ledger.run_due", "ledger.verify",   "audit.list",    "audit.verify",    "ledger.earn_batch", "events.poll",
      "rule.list",      "location.create", "location.list", "location.nearby", "location.within",   "ai.configure",
      "ai.settings",    "ai.segments",     "ai.feedback"};
  std::set<std::string> covered;
  for (const auto& c : cases) covered.insert(c.op);
  for (const auto& op : loyalty::session_operations()) {
    CAPTURE(op);
    CHECK_MESSAGE((covered.count(op) == 1 || no_foreign_id.count(op) == 1),
                  "a session operation is missing from the cross-tenant matrix");
  }

  const std::vector<std::string> a_ids = {a.program,      a.customer, a.external_id, a.earn_entry, a.pending_entry,
                                          a.redeem_entry, a.hold,     a.key_id,      a.tier,       a_rule,
                                          "a-order-1",    a.location, a.checkin,     a.reward,     a.redemption,
                                          a.reservation,  a.coupon};
  for (const auto& c : cases) {
    CAPTURE(c.op);
    CAPTURE(c.input.dump());
    std::string foreign_message;
    try {
      b.call(c.op, c.input);
      FAIL_CHECK("expected not_found");
    } catch (const loyalty::Error& e) {
      CHECK(e.status() == Status::not_found);
      CHECK(e.field() == c.field);
      foreign_message = e.what();
    }
    // The same call with ids that exist nowhere fails identically (existence is not revealed).
    std::string fake_text = c.input.dump();
    std::string expected_message = foreign_message;
    for (const auto& id : a_ids) {
      fake_text = replace_all(fake_text, id, fake_of(id));
      expected_message = replace_all(expected_message, id, fake_of(id));
    }
    try {
      b.call(c.op, json::parse(fake_text));
      FAIL_CHECK("expected not_found for an unknown id");
    } catch (const loyalty::Error& e) {
      CHECK(e.status() == Status::not_found);
      CHECK(e.field() == c.field);
      CHECK(std::string(e.what()) == expected_message);
    }
  }

  // A batch earn for A's customer fails that event with not_found.
  json batch = b.call("ledger.earn_batch", {{"events", {{{"customer_id", a.customer}, {"points", 5}}}}});
  CHECK(batch["failed"] == 1);
  CHECK(batch["results"][0]["error"]["status"] == "not_found");
  CHECK(batch["results"][0]["error"]["field"] == "events[0].customer_id");

  // Maintenance run by B, even far in the future, touches none of A's holds or pending points.
  w.clock->set(*loyalty::parse_time("2027-01-01T00:00:00Z"));
  json due = b.call("ledger.run_due", json::object());
  CHECK(due["holds_expired"] == 0);
  CHECK(due["pending_released"] == 0);

  // Idempotency keys are per tenant: B's "order-1" neither replays nor conflicts with A's.
  json mine = b.call("ledger.earn", {{"customer_id", b_customer}, {"points", 3}, {"idempotency_key", "order-1"}});
  CHECK(mine["replayed"] == false);
  CHECK(mine["entry"]["customer_id"] == b_customer);

  // Nothing of A changed, and A's key still opens a session.
  CHECK(snapshot(w, a) == before_a);
  CHECK_NOTHROW(w.engine.session(a.key));

  // B is unchanged apart from its own earn above.
  json after_b = snapshot_b(b, b_customer);
  CHECK(after_b["balance"]["balance"] == before_b["balance"]["balance"].get<int64_t>() + 3);
  CHECK(after_b["programs"] == before_b["programs"]);
  CHECK(after_b["customers"] == before_b["customers"]);
  CHECK(after_b["keys"] == before_b["keys"]);
  CHECK(after_b["audit"] == before_b["audit"]);
  w.require_verified();
  CHECK(b.call("ledger.verify", json::object())["ok"] == true);
}

TEST_CASE("tenancy: lists, searches and checks from one tenant contain nothing of another") {
  World w;
  const std::string a_customer =
      w.call("customer.enroll", {{"external_id", "shared-ext"}, {"segments", {"vip"}}})["id"];
  const std::string a_entry = w.earn(a_customer, 100)["entry"]["id"];
  w.call("ledger.adjust", {{"customer_id", a_customer}, {"points", 5}, {"reason", "goodwill"}});
  const std::string a_key = w.call("apikey.create", {{"scopes", {"read"}}})["id"];
  const std::string a_reward = w.call("reward.create", {{"name", "Mug"}, {"cost_points", 1}})["id"];

  auto [b, b_program] = w.other_tenant("Tenant B");
  // The same external id in another tenant is another customer.
  const std::string b_customer =
      b.call("customer.enroll", {{"external_id", "shared-ext"}, {"segments", {"vip"}}})["id"];
  CHECK(b_customer != a_customer);
  CHECK(b.call("customer.get", {{"external_id", "shared-ext"}})["id"] == b_customer);

  const std::vector<std::string> a_ids = {w.tenant["tenant"]["id"],  w.program_id, a_customer, a_entry, a_key,
                                          w.tenant["api_key"]["id"], a_reward};
  const std::string b_entry = b.call("ledger.earn", {{"customer_id", b_customer}, {"points", 7}})["entry"]["id"];
  std::map<std::string, json> results = {
      {"events.poll", b.call("events.poll", json::object())},
      {"ledger.expiring", b.call("ledger.expiring", {{"before", "2099-01-01T00:00:00Z"}})},
      {"program.list", b.call("program.list", json::object())},
      {"reward.list", b.call("reward.list", json::object())},
      {"customer.list", b.call("customer.list", json::object())},
      {"customer.list vip", b.call("customer.list", {{"segment", "vip"}})},
      {"apikey.list", b.call("apikey.list", {{"include_revoked", true}})},
      {"audit.list", b.call("audit.list", {{"limit", 1000}})},
      {"audit.list target", b.call("audit.list", {{"target", a_customer}})},
      {"audit.verify", b.call("audit.verify", json::object())},
      {"ledger.verify", b.call("ledger.verify", json::object())},
      {"session.info", b.call("session.info", json::object())},
      {"analytics.overview", b.call("analytics.overview", {{"from", "2026-01-01"}, {"to", "2026-12-31"}})},
  };
  for (const auto& [name, r] : results) {
    CAPTURE(name);
    const std::string text = r.dump();
    for (const auto& id : a_ids) {
      CAPTURE(id);
      CHECK(text.find(id) == std::string::npos);
    }
  }
  CHECK(results["program.list"]["items"].size() == 1);
  CHECK(results["customer.list"]["items"].size() == 1);
  CHECK(results["customer.list vip"]["items"].size() == 1);
  CHECK(results["audit.list target"]["items"].empty());
  CHECK(results["reward.list"]["items"].empty());
  CHECK(results["ledger.verify"]["accounts_checked"] == 1);
  // B's figures are B's alone (A earned 100 and adjusted 5 in the same days, in the same rollups).
  CHECK(results["analytics.overview"]["points"]["issued"] == 7);
  CHECK(results["analytics.overview"]["points"]["adjusted"] == 0);
  CHECK(results["analytics.overview"]["members"]["total"] == 1);
  CHECK(results["analytics.overview"]["outstanding"] == 7);
  const json a_figures = w.call("analytics.overview", {{"from", "2026-01-01"}, {"to", "2026-12-31"}});
  CHECK(a_figures["points"]["issued"] == 100);
  CHECK(a_figures["outstanding"] == 105);
  CHECK(a_figures["members"]["total"] == 1);
  // B's outbox holds B's one earn; A's holds A's earn and adjustment.
  REQUIRE(results["events.poll"]["events"].size() == 1);
  CHECK(results["events.poll"]["events"][0]["data"]["entry_id"] == b_entry);
  CHECK(w.call("events.poll", json::object())["events"].size() == 2);
  // B's audit chain has only B's rows: its key's creation, its program and its customer.
  for (const auto& row : results["audit.list"]["items"]) {
    CAPTURE(row.dump());
    CHECK(row["action"] != "ledger.adjust");
  }
}
