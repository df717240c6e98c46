// C ABI, loyalty.h "Holds": loy_hold_create/commit/void/get.
#include <string>

#include "capi_support.hpp"

using namespace capitest;

TEST_CASE("holds: the hold functions refuse NULL arguments, malformed JSON and unknown fields") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 50);
  const std::string create = json{{"customer_id", c}, {"points", 10}}.dump();
  for (const auto& op : ops_with_prefix(kSessionOps, "hold.")) {
    check_null_arguments(op.fn, w.session, op.name, create);
    check_input_contract(op.fn, w.session, op.name);
  }
  // No hold was placed by the attempts above.
  CHECK(w.balance(c)["held"] == 0);
  CHECK(w.balance(c)["available"] == 50);
}

TEST_CASE("holds: a hold reserves points; commit turns them into a redeem entry") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 100);
  json h = ok(loy_hold_create, w.session, json{{"customer_id", c}, {"points", 60}, {"reason", "free lunch"}});
  CHECK(h["replayed"] == false);
  CHECK(h["hold"]["status"] == "active");
  CHECK(h["hold"]["points"] == 60);
  CHECK(h["hold"]["expires_at"] == "2026-03-01T12:15:00.000Z");  // default ttl 900 s
  CHECK(h["balance"]["held"] == 60);
  CHECK(h["balance"]["available"] == 40);
  CHECK(h["balance"]["balance"] == 100);
  const std::string id = h["hold"]["id"];
  CHECK(ok(loy_hold_get, w.session, json{{"id", id}}) == h["hold"]);

  Failure f = fail(loy_hold_create, w.session, json{{"customer_id", c}, {"points", 41}});
  CHECK(f.rc == LOY_EINSUFFICIENT);
  CHECK(f.field() == "points");

  // Commit part of it: the rest is released.
  json done = ok(loy_hold_commit, w.session, json{{"id", id}, {"points", 50}});
  CHECK(done["hold"]["status"] == "committed");
  CHECK(done["entry"]["type"] == "redeem");
  CHECK(done["entry"]["points"] == -50);
  CHECK(done["entry"]["hold_id"] == id);
  CHECK(done["balance"]["balance"] == 50);
  CHECK(done["balance"]["held"] == 0);
  CHECK(done["balance"]["lifetime_redeemed"] == 50);

  f = fail(loy_hold_commit, w.session, json{{"id", id}});
  CHECK(f.rc == LOY_ECONFLICT);
  CHECK(f.error.detail["status"] == "committed");
  f = fail(loy_hold_void, w.session, json{{"id", id}});
  CHECK(f.rc == LOY_ECONFLICT);
  w.require_verified();
}

TEST_CASE("holds: void releases the points once and cannot be committed afterwards") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 30);
  const std::string id = ok(loy_hold_create, w.session, json{{"customer_id", c}, {"points", 30}})["hold"]["id"];
  json v = ok(loy_hold_void, w.session, json{{"id", id}});
  CHECK(v["hold"]["status"] == "voided");
  CHECK(v["balance"]["available"] == 30);
  ok(loy_hold_void, w.session, json{{"id", id}});  // a no-op the second time
  CHECK(w.balance(c)["available"] == 30);
  Failure f = fail(loy_hold_commit, w.session, json{{"id", id}});
  CHECK(f.rc == LOY_ECONFLICT);
  CHECK(f.error.detail["status"] == "voided");
  CHECK(fail(loy_hold_get, w.session, json{{"id", "hld_missing"}}).rc == LOY_ENOTFOUND);
  CHECK(fail(loy_hold_void, w.session, json{{"id", "hld_missing"}}).rc == LOY_ENOTFOUND);
  CHECK(fail(loy_hold_commit, w.session, json{{"id", "hld_missing"}}).rc == LOY_ENOTFOUND);
  w.require_verified();
}

TEST_CASE("holds: a hold expires on the pinned clock") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 20);
  const std::string id =
      ok(loy_hold_create, w.session, json{{"customer_id", c}, {"points", 15}, {"ttl_seconds", 60}})["hold"]["id"];
  w.clock.now += 60'000;
  Failure f = fail(loy_hold_commit, w.session, json{{"id", id}});
  CHECK(f.rc == LOY_ECONFLICT);
  CHECK(f.error.detail["status"] == "expired");
  json due = ok(loy_ledger_run_due, w.session, json::object());
  CHECK(due["holds_expired"] == 1);
  CHECK(ok(loy_hold_get, w.session, json{{"id", id}})["status"] == "expired");
  CHECK(w.balance(c)["available"] == 20);
  w.require_verified();
}

TEST_CASE("holds: invalid holds name the field") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 20);
  const std::pair<json, const char*> cases[] = {
      {json{{"customer_id", c}}, "points"},
      {json{{"customer_id", c}, {"points", 0}}, "points"},
      {json{{"customer_id", c}, {"points", 5}, {"ttl_seconds", 0}}, "ttl_seconds"},
      {json{{"customer_id", c}, {"points", 5}, {"ttl_seconds", 60}, {"expires_at", "2026-03-02T00:00:00Z"}},
       "ttl_seconds"},
      {json{{"customer_id", c}, {"points", 5}, {"expires_at", "2026-02-01T00:00:00Z"}}, "expires_at"},
  };
  for (const auto& [in, field] : cases) {
    CAPTURE(in.dump());
    Failure f = fail(loy_hold_create, w.session, in);
    CHECK(f.rc == LOY_EINVALID);
    CHECK(f.field() == field);
  }
  const std::string id = ok(loy_hold_create, w.session, json{{"customer_id", c}, {"points", 5}})["hold"]["id"];
  Failure f = fail(loy_hold_commit, w.session, json{{"id", id}, {"points", 6}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "points");
  CHECK(w.balance(c)["held"] == 5);
}

TEST_CASE("holds: an idempotency key replays a hold") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 20);
  json in = {{"customer_id", c}, {"points", 5}, {"idempotency_key", "h-1"}};
  json first = ok(loy_hold_create, w.session, in);
  json again = ok(loy_hold_create, w.session, in);
  CHECK(again["replayed"] == true);
  CHECK(again["hold"]["id"] == first["hold"]["id"]);
  CHECK(w.balance(c)["held"] == 5);
  in["points"] = 6;
  Failure f = fail(loy_hold_create, w.session, in);
  CHECK(f.rc == LOY_ECONFLICT);
  CHECK(f.field() == "points");
}
