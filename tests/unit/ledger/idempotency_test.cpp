// Exactly-once writes: the same key and payload replay, another payload is a conflict naming
// the first field that differs.
#include <string>

#include "fixture.hpp"
#include "ledger/idempotency.hpp"
#include "raw_db.hpp"

using namespace loytest;
using loyalty::detail::first_difference;

TEST_CASE("idempotency: first_difference names the first differing path") {
  CHECK(first_difference(json{{"a", 1}}, json{{"a", 1}}) == "");
  CHECK(first_difference(json{{"a", 1}}, json{{"a", 2}}) == "a");
  CHECK(first_difference(json{{"a", 1}}, json{{"a", 1}, {"b", 2}}) == "b");
  CHECK(first_difference(json{{"a", 1}, {"b", 2}}, json{{"b", 2}}) == "a");
  CHECK(first_difference(json{{"m", {{"x", 1}, {"y", 2}}}}, json{{"m", {{"x", 1}, {"y", 3}}}}) == "m.y");
  CHECK(first_difference(json{{"m", {{"x", {{"deep", true}}}}}}, json{{"m", {{"x", {{"deep", false}}}}}}) ==
        "m.x.deep");
  CHECK(first_difference(json{{"l", {1, 2, 3}}}, json{{"l", {1, 2, 4}}}) == "l[2]");
  CHECK(first_difference(json{{"l", {1, 2}}}, json{{"l", {1, 2, 3}}}) == "l[2]");
  CHECK(first_difference(json{{"l", json::array({json{{"k", 1}}})}}, json{{"l", json::array({json{{"k", 2}}})}}) ==
        "l[0].k");
  CHECK(first_difference(json{{"a", 1}}, json{{"a", "1"}}) == "a");
  CHECK(first_difference(json{{"a", 1}}, json{{"a", json::object()}}) == "a");
  CHECK(first_difference(json(1), json(2)) == "(payload)");
  CHECK(first_difference(json{{"a", 1}, {"z", 1}}, json{{"a", 2}, {"z", 2}}) == "a");
}

TEST_CASE("ledger: replaying an earn returns the original response even after the balance moved") {
  World w;
  const auto c = w.enroll("c1");
  json first = w.earn(c, 40, {{"idempotency_key", "order-1"}, {"metadata", {{"order", 1}}}});
  w.earn(c, 5);
  w.clock->advance(60'000);
  json again = w.earn(c, 40, {{"idempotency_key", "order-1"}, {"metadata", {{"order", 1}}}});
  CHECK(again["replayed"] == true);
  json expected = first;
  expected["replayed"] = true;
  CHECK(again == expected);
  CHECK(again["balance"]["balance"] == 40);  // as it was then
  CHECK(w.balance(c)["balance"] == 45);
  CHECK(w.call("ledger.history", {{"customer_id", c}})["items"].size() == 2);
  w.require_verified();
}

TEST_CASE("ledger: an idempotency key used by another operation is a conflict naming idempotency_key") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 40, {{"idempotency_key", "k"}});
  try {
    w.call("ledger.adjust", {{"customer_id", c}, {"points", 40}, {"reason", "x"}, {"idempotency_key", "k"}});
    FAIL("expected a conflict");
  } catch (const loyalty::Error& e) {
    CHECK(e.status() == Status::conflict);
    CHECK(e.field() == "idempotency_key");
    CHECK(e.detail()["operation"] == "ledger.earn");
  }
  LOY_REQUIRE_ERROR(w.call("hold.create", {{"customer_id", c}, {"points", 1}, {"idempotency_key", "k"}}),
                    Status::conflict, "idempotency_key");
  // Inside a batch the field is prefixed by the event's path.
  json r = w.call("ledger.earn_batch",
                  {{"events", json::array({json{{"customer_id", c}, {"points", 1}, {"idempotency_key", "k"}},
                                           json{{"customer_id", c}, {"points", 40}, {"idempotency_key", "k"}}})}});
  CHECK(r["results"][0]["error"]["status"] == "conflict");
  CHECK(r["results"][0]["error"]["field"] == "events[0].points");
  CHECK(r["results"][1]["replayed"] == true);
  const std::string held =
      w.call("hold.create", {{"customer_id", c}, {"points", 1}, {"idempotency_key", "h"}})["hold"]["id"];
  r = w.call("ledger.earn_batch",
             {{"events", json::array({json{{"customer_id", c}, {"points", 1}, {"idempotency_key", "h"}}})}});
  CHECK(r["results"][0]["error"]["status"] == "conflict");
  CHECK(r["results"][0]["error"]["field"] == "events[0].idempotency_key");
  w.call("hold.void", {{"id", held}});
  CHECK(w.balance(c)["balance"] == 40);
  CHECK(w.balance(c)["held"] == 0);
  w.require_verified();
}

TEST_CASE("ledger: a nested metadata difference is a conflict naming metadata.x") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 40, {{"idempotency_key", "k"}, {"metadata", {{"x", 1}, {"y", {{"z", true}}}}}});
  LOY_REQUIRE_ERROR(w.earn(c, 40, {{"idempotency_key", "k"}, {"metadata", {{"x", 2}, {"y", {{"z", true}}}}}}),
                    Status::conflict, "metadata.x");
  LOY_REQUIRE_ERROR(w.earn(c, 40, {{"idempotency_key", "k"}, {"metadata", {{"x", 1}, {"y", {{"z", false}}}}}}),
                    Status::conflict, "metadata.y.z");
  LOY_REQUIRE_ERROR(w.earn(c, 40, {{"idempotency_key", "k"}, {"metadata", {{"x", 1}}}}), Status::conflict,
                    "metadata.y");
  // A field added on retry is a difference too.
  LOY_REQUIRE_ERROR(
      w.earn(c, 40, {{"idempotency_key", "k"}, {"metadata", {{"x", 1}, {"y", {{"z", true}}}}}, {"reason", "retry"}}),
      Status::conflict, "reason");
  CHECK(w.balance(c)["balance"] == 40);
  CHECK(w.earn(c, 40, {{"idempotency_key", "k"}, {"metadata", {{"y", {{"z", true}}}, {"x", 1}}}})["replayed"] == true);
  w.require_verified();
}

TEST_CASE("ledger: a failed write does not consume its idempotency key") {
  World w(json{{"max_balance", 50}});
  const auto c = w.enroll("c1");
  LOY_REQUIRE_ERROR(w.earn(c, 60, {{"idempotency_key", "k"}}), Status::limit, "points");
  json r = w.earn(c, 50, {{"idempotency_key", "k"}});
  CHECK(r["replayed"] == false);
  CHECK(r["balance"]["balance"] == 50);
  w.require_verified();
}

TEST_CASE("ledger: idempotency keys must be strings of 1 to 200 bytes") {
  World w;
  const auto c = w.enroll("c1");
  LOY_REQUIRE_ERROR(w.earn(c, 1, {{"idempotency_key", ""}}), Status::invalid, "idempotency_key");
  LOY_REQUIRE_ERROR(w.earn(c, 1, {{"idempotency_key", std::string(201, 'k')}}), Status::invalid, "idempotency_key");
  LOY_REQUIRE_ERROR(w.earn(c, 1, {{"idempotency_key", 42}}), Status::invalid, "idempotency_key");
  json r = w.call("ledger.earn_batch",
                  {{"events", json::array({json{{"customer_id", c}, {"points", 1}, {"idempotency_key", 7}}})}});
  CHECK(r["results"][0]["error"]["field"] == "events[0].idempotency_key");
  CHECK(w.earn(c, 1, {{"idempotency_key", std::string(200, 'k')}})["replayed"] == false);
  // A null key means no key.
  CHECK(w.earn(c, 1, {{"idempotency_key", nullptr}})["replayed"] == false);
  CHECK(w.earn(c, 1, {{"idempotency_key", nullptr}})["replayed"] == false);
  CHECK(w.balance(c)["balance"] == 3);
  w.require_verified();
}

TEST_CASE("ledger: the request an idempotency key guards is the input as given, so stored requests keep replaying") {
  // The ledger's internal API takes typed requests; the public operations still keep the input
  // JSON itself (less the key and null fields) as the request a replay is compared with, byte for
  // byte what earlier versions stored: a row such a version wrote replays, and its text is exact.
  TempDir dir;
  World w(json::object(), dir.db());
  const auto c = w.enroll("c1");
  const json in = {{"customer_id", c},
                   {"points", 10},
                   {"reason", "till 4"},
                   {"occurred_at", "2026-03-01T11:00:00Z"},  // kept as written, not normalised
                   {"metadata", {{"b", 1}, {"a", {{"z", true}, {"y", nullptr}}}}},
                   {"program_id", nullptr},
                   {"idempotency_key", "k-new"}};
  const json first = w.call("ledger.earn", in);
  RawDb db(dir.db());
  CHECK(db.text("SELECT request FROM idempotency WHERE key = 'k-new'") ==
        R"({"customer_id":")" + c +
            R"(","metadata":{"a":{"y":null,"z":true},"b":1},"occurred_at":"2026-03-01T11:00:00Z","points":10,)"
            R"("reason":"till 4"})");
  CHECK(db.text("SELECT operation FROM idempotency WHERE key = 'k-new'") == "ledger.earn");
  CHECK(w.call("ledger.earn", in)["replayed"] == true);

  // A row as an earlier version stored it (same shapes), answered from the row, not re-posted.
  json old_answer = first;
  old_answer["entry"]["id"] = "ent_from_an_older_version";
  db.exec(
      "INSERT INTO idempotency(tenant_id, key, operation, request, response, created_at) SELECT tenant_id, "
      "'k-old', operation, request, '" +
      old_answer.dump() + "', created_at FROM idempotency WHERE key = 'k-new'");
  json old_in = in;
  old_in["idempotency_key"] = "k-old";
  const json replay = w.call("ledger.earn", old_in);
  CHECK(replay["replayed"] == true);
  CHECK(replay["entry"]["id"] == "ent_from_an_older_version");
  // A different body under the old key is still a conflict naming the field.
  old_in["points"] = 11;
  LOY_REQUIRE_ERROR(w.call("ledger.earn", old_in), Status::conflict, "points");
  CHECK(w.balance(c)["balance"] == 10);
}
