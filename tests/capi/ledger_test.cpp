// C ABI, loyalty.h "Ledger": loy_ledger_earn/earn_batch/adjust/reverse/confirm/balance/history/
// entry/run_due/verify.
#include <string>

#include "capi_support.hpp"

using namespace capitest;

TEST_CASE("ledger: the ledger functions refuse NULL arguments, malformed JSON and unknown fields") {
  World w;
  const std::string c = w.enroll("c1");
  const std::string earn = json{{"customer_id", c}, {"points", 10}}.dump();
  for (const auto& op : ops_with_prefix(kSessionOps, "ledger.")) {
    check_null_arguments(op.fn, w.session, op.name, earn);
    check_input_contract(op.fn, w.session, op.name);
  }
  // None of the attempts above wrote anything.
  CHECK(w.balance(c)["balance"] == 0);
  CHECK(ok(loy_ledger_history, w.session, json{{"customer_id", c}})["items"].empty());
}

TEST_CASE("ledger: earn credits the balance at the pinned time and returns the entry") {
  World w;
  const std::string c = w.enroll("c1");
  json r = w.earn(c, 120, json{{"reason", "order 1"}, {"metadata", {{"order", 1}}}});
  CHECK(r["replayed"] == false);
  CHECK(r["entry"]["type"] == "earn");
  CHECK(r["entry"]["points"] == 120);
  CHECK(r["entry"]["status"] == "posted");
  CHECK(r["entry"]["customer_id"] == c);
  CHECK(r["entry"]["program_id"] == w.program_id);
  CHECK(r["entry"]["occurred_at"] == kStartText);
  CHECK(r["entry"]["reason"] == "order 1");
  CHECK(r["entry"]["metadata"] == json{{"order", 1}});
  CHECK(r["balance"]["balance"] == 120);
  CHECK(r["balance"]["available"] == 120);
  CHECK(r["balance"]["lifetime_earned"] == 120);

  // An explicit event time is kept as given; the recording time is the engine's clock.
  json back = w.earn(c, 1, json{{"occurred_at", "2026-02-28T08:30:00Z"}});
  CHECK(back["entry"]["occurred_at"] == "2026-02-28T08:30:00.000Z");
  CHECK(back["entry"]["recorded_at"] == kStartText);

  json bonus = w.earn(c, 5, json{{"type", "bonus"}});
  CHECK(bonus["entry"]["type"] == "bonus");
  CHECK(w.balance(c)["balance"] == 126);
  w.require_verified();
}

TEST_CASE("ledger: invalid earns name the field and change nothing") {
  World w(json{{"max_balance", 100}});
  const std::string c = w.enroll("c1");
  const std::pair<json, const char*> cases[] = {
      {json{{"customer_id", c}}, "points"},
      {json{{"customer_id", c}, {"points", 0}}, "points"},
      {json{{"customer_id", c}, {"points", -5}}, "points"},
      {json{{"customer_id", c}, {"points", "10"}}, "points"},
      {json{{"customer_id", c}, {"points", 1.5}}, "points"},
      {json{{"customer_id", c}, {"points", 10}, {"occurred_at", "yesterday"}}, "occurred_at"},
      {json{{"customer_id", c}, {"points", 10}, {"type", "redeem"}}, "type"},
      {json{{"customer_id", c}, {"points", 10}, {"idempotency_key", ""}}, "idempotency_key"},
      {json{{"points", 10}}, "customer_id"},
  };
  for (const auto& [in, field] : cases) {
    CAPTURE(in.dump());
    Failure f = fail(loy_ledger_earn, w.session, in);
    CHECK(f.rc == LOY_EINVALID);
    CHECK(f.field() == field);
  }
  Failure f = fail(loy_ledger_earn, w.session, json{{"customer_id", "cus_missing"}, {"points", 10}});
  CHECK(f.rc == LOY_ENOTFOUND);
  CHECK(f.field() == "customer_id");
  f = fail(loy_ledger_earn, w.session, json{{"customer_id", c}, {"points", 101}});
  CHECK(f.rc == LOY_ELIMIT);
  CHECK(w.balance(c)["balance"] == 0);
}

TEST_CASE("ledger: an idempotency key replays the original result; another payload is a conflict") {
  World w;
  const std::string c = w.enroll("c1");
  json first = w.earn(c, 40, json{{"idempotency_key", "order-1"}});
  w.clock.now += 5000;
  json again = w.earn(c, 40, json{{"idempotency_key", "order-1"}});
  CHECK(again["replayed"] == true);
  CHECK(again["entry"] == first["entry"]);
  CHECK(w.balance(c)["balance"] == 40);

  Failure f =
      fail(loy_ledger_earn, w.session, json{{"customer_id", c}, {"points", 41}, {"idempotency_key", "order-1"}});
  CHECK(f.rc == LOY_ECONFLICT);
  CHECK(f.field() == "points");
  CHECK(f.error.detail["idempotency_key"] == "order-1");
  // The same key on another operation is a conflict too.
  f = fail(loy_ledger_adjust, w.session,
           json{{"customer_id", c}, {"points", 1}, {"reason", "x"}, {"idempotency_key", "order-1"}});
  CHECK(f.rc == LOY_ECONFLICT);
  CHECK(f.field() == "idempotency_key");
  CHECK(w.balance(c)["balance"] == 40);
}

TEST_CASE("ledger: earn_batch applies the good events and reports the bad ones") {
  World w;
  const std::string c = w.enroll("c1");
  json r = ok(loy_ledger_earn_batch, w.session,
              json{{"events",
                    {{{"customer_id", c}, {"points", 10}},
                     {{"customer_id", c}, {"points", -1}},
                     {{"customer_id", "cus_missing"}, {"points", 3}},
                     {{"customer_id", c}, {"points", 5}, {"idempotency_key", "b-1"}}}}});
  CHECK(r["succeeded"] == 2);
  CHECK(r["failed"] == 2);
  REQUIRE(r["results"].size() == 4);
  CHECK(r["results"][0]["ok"] == true);
  CHECK(r["results"][1]["ok"] == false);
  CHECK(r["results"][1]["error"]["code"] == LOY_EINVALID);
  CHECK(r["results"][1]["error"]["field"] == "events[1].points");
  CHECK(r["results"][2]["error"]["code"] == LOY_ENOTFOUND);
  CHECK(r["results"][3]["ok"] == true);
  CHECK(w.balance(c)["balance"] == 15);

  Failure f = fail(loy_ledger_earn_batch, w.session, json{{"events", json::array()}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "events");
  w.require_verified();
}

TEST_CASE("ledger: adjust credits and debits; a debit beyond the balance is insufficient") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 50);
  json a = ok(loy_ledger_adjust, w.session, json{{"customer_id", c}, {"points", -20}, {"reason", "free coffee"}});
  CHECK(a["entry"]["type"] == "adjust");
  CHECK(a["entry"]["points"] == -20);
  CHECK(a["balance"]["balance"] == 30);
  ok(loy_ledger_adjust, w.session, json{{"customer_id", c}, {"points", 5}, {"reason", "goodwill"}});

  Failure f = fail(loy_ledger_adjust, w.session, json{{"customer_id", c}, {"points", -100}, {"reason", "too much"}});
  CHECK(f.rc == LOY_EINSUFFICIENT);
  CHECK(f.field() == "points");
  CHECK(f.error.detail["available"] == 35);
  f = fail(loy_ledger_adjust, w.session, json{{"customer_id", c}, {"points", 5}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "reason");
  f = fail(loy_ledger_adjust, w.session, json{{"customer_id", c}, {"points", 0}, {"reason", "x"}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "points");
  CHECK(w.balance(c)["balance"] == 35);
  w.require_verified();
}

TEST_CASE("ledger: reverse returns an earn's points once, proportionally") {
  World w;
  const std::string c = w.enroll("c1");
  const json e = w.earn(c, 100);
  const std::string entry = e["entry"]["id"];
  json r = ok(loy_ledger_reverse, w.session, json{{"entry_id", entry}, {"points", 30}, {"reason", "returned an item"}});
  CHECK(r["entry"]["type"] == "reverse");
  CHECK(r["entry"]["points"] == -30);
  CHECK(r["entry"]["ref_entry_id"] == entry);
  CHECK(r["reversible_remaining"] == 70);
  CHECK(r["balance"]["balance"] == 70);

  Failure f = fail(loy_ledger_reverse, w.session, json{{"entry_id", entry}, {"points", 71}});
  CHECK(f.rc == LOY_ECONFLICT);
  CHECK(f.field() == "points");
  ok(loy_ledger_reverse, w.session, json{{"entry_id", entry}});
  f = fail(loy_ledger_reverse, w.session, json{{"entry_id", entry}});
  CHECK(f.rc == LOY_ECONFLICT);
  CHECK(f.field() == "entry_id");
  f = fail(loy_ledger_reverse, w.session, json{{"entry_id", "ent_missing"}});
  CHECK(f.rc == LOY_ENOTFOUND);
  CHECK(f.field() == "entry_id");
  f = fail(loy_ledger_reverse, w.session, json{{"entry_id", r["entry"]["id"]}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(w.balance(c)["balance"] == 0);
  CHECK(ok(loy_ledger_entry, w.session, json{{"id", entry}})["reversed"] == 100);
  w.require_verified();
}

TEST_CASE("ledger: pending points become available on confirm or when due") {
  World w(json{{"pending_days", 14}});
  const std::string c = w.enroll("c1");
  const json first = w.earn(c, 30);
  CHECK(first["entry"]["status"] == "pending");
  CHECK(first["balance"]["pending"] == 30);
  CHECK(first["balance"]["available"] == 0);
  w.earn(c, 20);

  json conf = ok(loy_ledger_confirm, w.session, json{{"entry_id", first["entry"]["id"]}});
  CHECK(conf["entry"]["status"] == "posted");
  CHECK(conf["balance"]["available"] == 30);
  CHECK(conf["balance"]["pending"] == 20);
  ok(loy_ledger_confirm, w.session, json{{"entry_id", first["entry"]["id"]}});  // no-op when posted
  CHECK(w.balance(c)["available"] == 30);
  CHECK(fail(loy_ledger_confirm, w.session, json{{"entry_id", "ent_missing"}}).rc == LOY_ENOTFOUND);

  w.clock.now += 14 * kDay;
  json due = ok(loy_ledger_run_due, w.session, json::object());
  CHECK(due["now"] == "2026-03-15T12:00:00.000Z");
  CHECK(due["pending_released"] == 1);
  CHECK(due["points_released"] == 20);
  CHECK(w.balance(c)["available"] == 50);
  CHECK(w.balance(c)["pending"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: run_due expires points at the pinned clock's time") {
  World w(json{{"expiry", {{"policy", "days_after_earn"}, {"days", 30}}}});
  const std::string c = w.enroll("c1");
  json e = w.earn(c, 40);
  CHECK(e["entry"]["expires_at"] == "2026-03-31T12:00:00.000Z");
  CHECK(ok(loy_ledger_run_due, w.session, json::object())["points_expired"] == 0);
  w.clock.now += 30 * kDay;
  json due = ok(loy_ledger_run_due, w.session, json::object());
  CHECK(due["points_expired"] == 40);
  CHECK(due["buckets_expired"] == 1);
  CHECK(w.balance(c)["balance"] == 0);
  // An explicit "now" overrides the clock.
  CHECK(fail(loy_ledger_run_due, w.session, json{{"now", "soon"}}).field() == "now");
  w.require_verified();
}

TEST_CASE("ledger: balance, history and entry") {
  World w;
  const std::string c = w.enroll("c1");
  // A customer without activity has a zero balance.
  json b = w.balance(c);
  CHECK(b["balance"] == 0);
  CHECK(b["customer_id"] == c);
  CHECK(b["program_id"] == w.program_id);
  std::string ids[4];
  for (int n = 0; n < 4; ++n) {
    w.clock.now += 1000;
    ids[n] = w.earn(c, n + 1)["entry"]["id"].get<std::string>();
  }
  ok(loy_ledger_adjust, w.session, json{{"customer_id", c}, {"points", -3}, {"reason", "r"}});

  json h = ok(loy_ledger_history, w.session, json{{"customer_id", c}, {"limit", 3}});
  REQUIRE(h["items"].size() == 3);
  CHECK(h["items"][0]["type"] == "adjust");  // newest first
  CHECK(h["items"][1]["id"] == ids[3]);
  REQUIRE(h["next_cursor"].is_string());
  json rest = ok(loy_ledger_history, w.session, json{{"customer_id", c}, {"limit", 3}, {"cursor", h["next_cursor"]}});
  REQUIRE(rest["items"].size() == 2);
  CHECK(rest["items"][1]["id"] == ids[0]);
  CHECK(rest["next_cursor"].is_null());
  CHECK(ok(loy_ledger_history, w.session, json{{"customer_id", c}, {"types", {"adjust"}}})["items"].size() == 1);
  Failure f = fail(loy_ledger_history, w.session, json{{"customer_id", c}, {"types", {"earn", "gift"}}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "types[1]");

  json entry = ok(loy_ledger_entry, w.session, json{{"id", ids[2]}});
  CHECK(entry["points"] == 3);
  CHECK(entry["occurred_at"] == "2026-03-01T12:00:03.000Z");
  f = fail(loy_ledger_entry, w.session, json{{"id", "ent_missing"}});
  CHECK(f.rc == LOY_ENOTFOUND);
  CHECK(f.field() == "id");
  CHECK(w.balance(c)["balance"] == 7);
}

TEST_CASE("ledger: verify reports every invariant holding") {
  World w;
  json v = ok(loy_ledger_verify, w.session, json::object());
  CHECK(v["ok"] == true);
  CHECK(v["accounts_checked"] == 0);
  const std::string c = w.enroll("c1");
  w.earn(c, 10);
  v = ok(loy_ledger_verify, w.session, json::object());
  CHECK(v["ok"] == true);
  CHECK(v["accounts_checked"] == 1);
  CHECK(v["violations"] == json::array());
}
