// ledger.earn_batch: one transaction, one result per event, a bad event affects only itself.
#include <string>

#include "fixture.hpp"

using namespace loytest;

namespace {
json batch(const World& w, json events) { return w.call("ledger.earn_batch", {{"events", std::move(events)}}); }
}  // namespace

TEST_CASE("ledger: earn_batch gives one result per event and a bad event does not affect the others") {
  World w;
  const auto c = w.enroll("c1");
  const auto d = w.enroll("c2");
  json r = batch(w, json::array({
                        {{"customer_id", c}, {"points", 10}},
                        {{"customer_id", c}, {"points", -1}},
                        {{"customer_id", "cus_nope"}, {"points", 5}},
                        "not an object",
                        {{"customer_id", d}, {"points", 20}, {"colour", "red"}},
                        {{"customer_id", d}, {"points", 20}, {"type", "bonus"}},
                    }));
  CHECK(r["succeeded"] == 2);
  CHECK(r["failed"] == 4);
  const json& res = r["results"];
  REQUIRE(res.size() == 6);
  CHECK(res[0]["ok"] == true);
  CHECK(res[0]["entry"]["points"] == 10);
  CHECK(res[0]["balance"]["balance"] == 10);
  CHECK(res[1]["ok"] == false);
  CHECK(res[1]["error"]["status"] == "invalid");
  CHECK(res[1]["error"]["code"] == -2);
  CHECK(res[1]["error"]["field"] == "events[1].points");
  CHECK(res[2]["error"]["status"] == "not_found");
  CHECK(res[2]["error"]["field"] == "events[2].customer_id");
  CHECK(res[3]["error"]["status"] == "invalid");
  CHECK(res[3]["error"]["field"] == "events[3]");
  CHECK(res[4]["error"]["field"] == "events[4].colour");
  CHECK(res[5]["ok"] == true);
  CHECK(res[5]["entry"]["type"] == "bonus");
  CHECK(w.balance(c)["balance"] == 10);
  CHECK(w.balance(d)["balance"] == 20);
  CHECK(w.call("ledger.history", {{"customer_id", c}})["items"].size() == 1);
  w.require_verified();
}

TEST_CASE("ledger: earn_batch runs in one transaction: later events see earlier ones") {
  World w(json{{"max_balance", 100}});
  const auto c = w.enroll("c1");
  json r = batch(w, json::array({
                        {{"customer_id", c}, {"points", 60}, {"idempotency_key", "k1"}},
                        {{"customer_id", c}, {"points", 60}, {"idempotency_key", "k1"}},  // replay of event 0
                        {{"customer_id", c}, {"points", 41}},                             // 60 + 41 > 100
                        {{"customer_id", c}, {"points", 40}},
                        {{"customer_id", c}, {"points", 61}, {"idempotency_key", "k1"}},  // conflict with event 0
                    }));
  const json& res = r["results"];
  CHECK(res[0]["replayed"] == false);
  CHECK(res[1]["ok"] == true);
  CHECK(res[1]["replayed"] == true);
  CHECK(res[1]["entry"]["id"] == res[0]["entry"]["id"]);
  CHECK(res[2]["error"]["status"] == "limit");
  CHECK(res[2]["error"]["field"] == "events[2].points");
  CHECK(res[3]["balance"]["balance"] == 100);
  CHECK(res[4]["error"]["status"] == "conflict");
  CHECK(res[4]["error"]["field"] == "events[4].points");
  CHECK(r["succeeded"] == 3);
  CHECK(r["failed"] == 2);
  CHECK(w.balance(c)["balance"] == 100);
  // Every entry of the batch carries the same recording time.
  const json history = w.call("ledger.history", {{"customer_id", c}});
  for (const auto& e : history["items"]) CHECK(e["recorded_at"] == "2026-03-01T12:00:00.000Z");
  // The key stored by the batch is replayed by a single earn too.
  CHECK(w.earn(c, 60, {{"idempotency_key", "k1"}})["replayed"] == true);
  w.require_verified();
}

TEST_CASE("ledger: earn_batch needs 1 to 10000 events") {
  World w;
  const auto c = w.enroll("c1");
  LOY_REQUIRE_ERROR(batch(w, json::array()), Status::invalid, "events");
  LOY_REQUIRE_ERROR(batch(w, json::object()), Status::invalid, "events");
  LOY_REQUIRE_ERROR(batch(w, "events"), Status::invalid, "events");
  LOY_REQUIRE_ERROR(w.call("ledger.earn_batch", json::object()), Status::invalid, "events");
  LOY_REQUIRE_ERROR(
      w.call("ledger.earn_batch", {{"events", json::array({{{"customer_id", c}, {"points", 1}}})}, {"dry_run", true}}),
      Status::invalid, "dry_run");
  json many = json::array();
  for (int n = 0; n < 10'001; ++n) many.push_back({{"customer_id", c}, {"points", 1}});
  LOY_REQUIRE_ERROR(batch(w, many), Status::invalid, "events");
  CHECK(w.balance(c)["balance"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: a balance that would overflow the int64 safety margin is refused with limit") {
  World w;
  const auto c = w.enroll("c1");
  constexpr int64_t kMax = 1'000'000'000'000'000;  // the largest single amount
  json events = json::array();
  for (int n = 0; n < 1001; ++n) events.push_back({{"customer_id", c}, {"points", kMax}});
  json r = batch(w, events);
  CHECK(r["succeeded"] == 1000);
  CHECK(r["failed"] == 1);
  CHECK(r["results"][1000]["error"]["status"] == "limit");
  CHECK(w.balance(c)["balance"] == kMax * 1000);
  w.require_verified();
}

TEST_CASE("ledger: an event that fails after opening an account leaves no trace of it") {
  World w;
  const auto c = w.enroll("c1");
  const std::string off = w.call("program.create", {{"name", "Off"}, {"currency", "EUR"}, {"active", false}})["id"];
  const json before = w.call("customer.get", {{"id", c}});
  REQUIRE(before["program_ids"] == json::array({w.program_id}));
  json r = batch(w, json::array({
                        {{"customer_id", c}, {"points", 5}},
                        {{"customer_id", c}, {"program_id", off}, {"points", 5}},
                    }));
  CHECK(r["results"][1]["error"]["status"] == "unavailable");
  CHECK(r["results"][1]["error"]["field"] == "events[1].program_id");
  CHECK(w.call("customer.get", {{"id", c}})["program_ids"] == before["program_ids"]);
  CHECK(w.call("ledger.verify", json::object())["accounts_checked"] == 1);
  CHECK(w.balance(c)["balance"] == 5);
  w.require_verified();
}
