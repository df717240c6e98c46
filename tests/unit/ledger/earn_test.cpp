#include "fixture.hpp"

using namespace loytest;

TEST_CASE("ledger: earning credits the balance and returns the entry") {
  World w;
  auto c = w.enroll("c1");
  json r = w.earn(c, 100);
  CHECK(r["replayed"] == false);
  CHECK(r["entry"]["type"] == "earn");
  CHECK(r["entry"]["points"] == 100);
  CHECK(r["balance"]["balance"] == 100);
  CHECK(r["balance"]["available"] == 100);
  CHECK(w.balance(c)["lifetime_earned"] == 100);
  w.require_verified();
}

TEST_CASE("ledger: replaying an idempotency key returns the original result") {
  World w;
  auto c = w.enroll("c1");
  json first = w.earn(c, 40, {{"idempotency_key", "order-1"}});
  json again = w.earn(c, 40, {{"idempotency_key", "order-1"}});
  CHECK(again["replayed"] == true);
  CHECK(again["entry"]["id"] == first["entry"]["id"]);
  CHECK(w.balance(c)["balance"] == 40);
}

TEST_CASE("ledger: replaying an idempotency key with another amount is a conflict") {
  World w;
  auto c = w.enroll("c1");
  w.earn(c, 40, {{"idempotency_key", "order-1"}});
  LOY_REQUIRE_ERROR(w.earn(c, 41, {{"idempotency_key", "order-1"}}), Status::conflict, "points");
  CHECK(w.balance(c)["balance"] == 40);
}
