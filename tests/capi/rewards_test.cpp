// C ABI, loyalty.h "Rewards and redemptions": loy_reward_* and loy_redemption_*.
#include <string>

#include "capi_support.hpp"

using namespace capitest;

TEST_CASE("rewards: the reward and redemption functions refuse NULL arguments, malformed JSON and unknown fields") {
  World w;
  for (const auto& prefix : {"reward.", "redemption."})
    for (const auto& op : ops_with_prefix(kSessionOps, prefix)) {
      check_null_arguments(op.fn, w.session, op.name, json{{"name", "n"}, {"cost_points", 1}}.dump());
      check_input_contract(op.fn, w.session, op.name);
    }
  CHECK(ok(loy_reward_list, w.session, json::object())["items"].empty());
}

TEST_CASE("rewards: redeem, reserve, fulfil, cancel and look up through the C ABI; refusals have their codes") {
  World w;
  const std::string cus = w.enroll("c1");
  w.earn(cus, 150);
  const json r = ok(loy_reward_create, w.session, json{{"name", "Mug"}, {"cost_points", 100}, {"stock", 1}});
  CHECK(ok(loy_reward_get, w.session, json{{"id", r["id"]}}) == r);
  const json out =
      ok(loy_reward_redeem, w.session, json{{"reward_id", r["id"]}, {"customer_id", cus}, {"idempotency_key", "k1"}});
  CHECK(out["redemption"]["status"] == "fulfilled");
  CHECK(out["balance"]["balance"] == 50);
  CHECK(ok(loy_redemption_by_code, w.session, json{{"code", out["redemption"]["coupon_code"]}})["id"] ==
        out["redemption"]["id"]);
  CHECK(ok(loy_redemption_get, w.session, json{{"id", out["redemption"]["id"]}})["status"] == "fulfilled");
  CHECK(ok(loy_redemption_list, w.session, json{{"customer_id", cus}})["items"].size() == 1);

  Failure f =
      fail(loy_reward_redeem, w.session, json{{"reward_id", r["id"]}, {"customer_id", cus}, {"idempotency_key", "k2"}});
  CHECK(f.rc == LOY_EOUTOFSTOCK);
  CHECK(f.field() == "reward_id");
  CHECK(ok(loy_reward_stock, w.session, json{{"id", r["id"]}, {"delta", 1}, {"reason", "found one"}})["stock"] == 1);
  f = fail(loy_reward_redeem, w.session, json{{"reward_id", r["id"]}, {"customer_id", cus}, {"idempotency_key", "k3"}});
  CHECK(f.rc == LOY_EINSUFFICIENT);
  CHECK(f.error.detail["available"] == 50);

  const json cheap =
      ok(loy_reward_create, w.session,
         json{{"name", "Sticker"}, {"cost_points", 10}, {"per_customer_limit", {{"count", 1}, {"period", "day"}}}});
  const json res = ok(loy_reward_reserve, w.session,
                      json{{"reward_id", cheap["id"]}, {"customer_id", cus}, {"idempotency_key", "k4"}});
  CHECK(res["redemption"]["status"] == "reserved");
  f = fail(loy_reward_reserve, w.session,
           json{{"reward_id", cheap["id"]}, {"customer_id", cus}, {"idempotency_key", "k5"}});
  CHECK(f.rc == LOY_ELIMIT);
  CHECK(ok(loy_redemption_fulfil, w.session, json{{"id", res["redemption"]["id"]}})["redemption"]["status"] ==
        "fulfilled");
  f = fail(loy_redemption_cancel, w.session, json{{"id", res["redemption"]["id"]}});
  CHECK(f.rc == LOY_EFORBIDDEN);
  CHECK(ok(loy_reward_update, w.session, json{{"id", cheap["id"]}, {"refundable", true}})["refundable"] == true);
  CHECK(ok(loy_redemption_cancel, w.session, json{{"id", res["redemption"]["id"]}})["refund"]["points"] == 10);
  CHECK(ok(loy_reward_deactivate, w.session, json{{"id", cheap["id"]}})["active"] == false);
  f = fail(loy_reward_redeem, w.session,
           json{{"reward_id", cheap["id"]}, {"customer_id", cus}, {"idempotency_key", "k6"}});
  CHECK(f.rc == LOY_EFORBIDDEN);
  w.require_verified();
}
