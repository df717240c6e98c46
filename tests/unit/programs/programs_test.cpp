#include <string>

#include "fixture.hpp"

using namespace loytest;

namespace {

json create(const World& w, json extra) {
  json p = {{"name", "P2"}, {"currency", "USD"}};
  for (auto& [k, v] : extra.items()) p[k] = v;
  return w.call("program.create", p);
}

json last_audit(const World& w, const std::string& action) {
  json rows = w.call("audit.list", {{"action", action}, {"limit", 1000}})["items"];
  REQUIRE_FALSE(rows.empty());
  return rows.back();
}

}  // namespace

TEST_CASE("programs: create fills in the documented defaults") {
  World w;
  json p = w.call("program.get", {{"id", w.program_id}});
  CHECK(p["id"].get<std::string>().rfind("prg_", 0) == 0);
  CHECK(p["name"] == "Main");
  CHECK(p["description"] == "");
  CHECK(p["currency"] == "EUR");
  CHECK(p["rounding"] == "floor");
  CHECK(p["return_policy"] == "within_balance");
  CHECK(p["expiry"] == json{{"policy", "never"}});
  CHECK(p["pending_days"] == 0);
  CHECK(p["max_balance"].is_null());
  CHECK(p["allow_negative"] == false);
  CHECK(p["active"] == true);
  CHECK(p["created_at"] == "2026-03-01T12:00:00.000Z");
}

TEST_CASE("programs: the currency must be three capital letters") {
  World w;
  for (const json& bad : {json("eur"), json("EU"), json("EURO"), json("E1R"), json("E R"), json(978), json("")}) {
    CAPTURE(bad.dump());
    LOY_REQUIRE_ERROR(create(w, {{"currency", bad}}), Status::invalid, "currency");
  }
  LOY_REQUIRE_ERROR(w.call("program.create", {{"name", "P2"}}), Status::invalid, "currency");
  CHECK(create(w, {{"currency", "JPY"}})["currency"] == "JPY");
}

TEST_CASE("programs: rounding and return_policy accept only their words") {
  World w;
  LOY_REQUIRE_ERROR(create(w, {{"rounding", "round"}}), Status::invalid, "rounding");
  LOY_REQUIRE_ERROR(create(w, {{"rounding", "FLOOR"}}), Status::invalid, "rounding");
  LOY_REQUIRE_ERROR(create(w, {{"return_policy", "never"}}), Status::invalid, "return_policy");
  LOY_REQUIRE_ERROR(create(w, {{"return_policy", 1}}), Status::invalid, "return_policy");
  int n = 0;
  for (const char* r : {"floor", "ceil", "half_up", "half_even"})
    CHECK(create(w, {{"name", "R" + std::to_string(n++)}, {"rounding", r}})["rounding"] == r);
  for (const char* p : {"only_pending", "within_balance", "unlimited"})
    CHECK(create(w, {{"name", "R" + std::to_string(n++)}, {"return_policy", p}})["return_policy"] == p);
}

TEST_CASE("programs: expiry takes days or months according to the policy") {
  World w;
  struct Bad {
    json expiry;
    const char* field;
  };
  const Bad bad[] = {
      {json{{"policy", "days_after_earn"}}, "expiry.days"},
      {json{{"policy", "days_after_earn"}, {"months", 3}}, "expiry.months"},
      {json{{"policy", "days_after_earn"}, {"days", 0}}, "expiry.days"},
      {json{{"policy", "days_after_earn"}, {"days", 36'501}}, "expiry.days"},
      {json{{"policy", "days_after_earn"}, {"days", "30"}}, "expiry.days"},
      {json{{"policy", "inactivity"}, {"months", 6}}, "expiry.months"},
      {json{{"policy", "inactivity"}}, "expiry.days"},
      {json{{"policy", "end_of_month"}, {"days", 3}}, "expiry.days"},
      {json{{"policy", "end_of_month"}}, "expiry.months"},
      {json{{"policy", "end_of_month"}, {"months", -1}}, "expiry.months"},
      {json{{"policy", "end_of_year"}, {"months", 1201}}, "expiry.months"},
      {json{{"policy", "never"}, {"days", 1}}, "expiry.days"},
      {json{{"policy", "never"}, {"months", 1}}, "expiry.months"},
      {json{{"policy", "sometimes"}}, "expiry.policy"},
      {json{{"days", 30}}, "expiry.policy"},
      {json{{"policy", "days_after_earn"}, {"days", 30}, {"grace", 2}}, "expiry.grace"},
      {json("30d"), "expiry"},
      {json::array(), "expiry"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.expiry.dump());
    LOY_REQUIRE_ERROR(create(w, {{"expiry", b.expiry}}), Status::invalid, b.field);
  }
  CHECK(w.call("program.list", json::object())["items"].size() == 1);

  CHECK(create(w, {{"name", "A"}, {"expiry", {{"policy", "days_after_earn"}, {"days", 365}}}})["expiry"] ==
        json{{"policy", "days_after_earn"}, {"days", 365}});
  CHECK(create(w, {{"name", "B"}, {"expiry", {{"policy", "inactivity"}, {"days", 90}}}})["expiry"] ==
        json{{"policy", "inactivity"}, {"days", 90}});
  CHECK(create(w, {{"name", "C"}, {"expiry", {{"policy", "end_of_month"}, {"months", 0}}}})["expiry"] ==
        json{{"policy", "end_of_month"}, {"months", 0}});
  CHECK(create(w, {{"name", "D"}, {"expiry", {{"policy", "end_of_year"}, {"months", 12}}}})["expiry"] ==
        json{{"policy", "end_of_year"}, {"months", 12}});
  CHECK(create(w, {{"name", "E"}, {"expiry", {{"policy", "never"}}}})["expiry"] == json{{"policy", "never"}});
}

TEST_CASE("programs: unknown fields, bad limits and bad types are invalid and create nothing") {
  World w;
  LOY_REQUIRE_ERROR(create(w, {{"earn_rate", 2}}), Status::invalid, "earn_rate");
  LOY_REQUIRE_ERROR(create(w, {{"pending_days", 366}}), Status::invalid, "pending_days");
  LOY_REQUIRE_ERROR(create(w, {{"pending_days", -1}}), Status::invalid, "pending_days");
  LOY_REQUIRE_ERROR(create(w, {{"max_balance", 0}}), Status::invalid, "max_balance");
  LOY_REQUIRE_ERROR(create(w, {{"max_balance", 1'000'000'000'000'001}}), Status::invalid, "max_balance");
  LOY_REQUIRE_ERROR(create(w, {{"allow_negative", "yes"}}), Status::invalid, "allow_negative");
  LOY_REQUIRE_ERROR(create(w, {{"active", 1}}), Status::invalid, "active");
  LOY_REQUIRE_ERROR(create(w, {{"name", ""}}), Status::invalid, "name");
  LOY_REQUIRE_ERROR(create(w, {{"description", std::string(2001, 'd')}}), Status::invalid, "description");
  CHECK(w.call("program.list", json::object())["items"].size() == 1);
}

TEST_CASE("programs: names are unique within a tenant only") {
  World w;
  LOY_REQUIRE_ERROR(create(w, {{"name", "Main"}}), Status::conflict, "name");
  auto [other, other_program] = w.other_tenant("Other");
  // other_tenant's program is called "Other"; "Main" is free there.
  CHECK(other.call("program.create", {{"name", "Main"}, {"currency", "EUR"}})["name"] == "Main");
  CHECK(w.call("program.list", json::object())["items"].size() == 1);
}

TEST_CASE("programs: get of an unknown program is not_found; list keeps creation order and filters by active") {
  World w;
  LOY_REQUIRE_ERROR(w.call("program.get", {{"id", "prg_nope"}}), Status::not_found, "id");
  const std::string p2 = create(w, {{"name", "P2"}})["id"];
  const std::string p3 = create(w, {{"name", "P3"}, {"active", false}})["id"];
  json all = w.call("program.list", json::object())["items"];
  REQUIRE(all.size() == 3);
  CHECK(all[0]["id"] == w.program_id);
  CHECK(all[1]["id"] == p2);
  CHECK(all[2]["id"] == p3);
  json inactive = w.call("program.list", {{"active", false}})["items"];
  REQUIRE(inactive.size() == 1);
  CHECK(inactive[0]["id"] == p3);
  CHECK(w.call("program.list", {{"active", true}})["items"].size() == 2);
}

TEST_CASE("programs: update changes the given fields and audits each change from and to") {
  World w;
  w.clock->advance(60'000);
  json p = w.call("program.update", {{"id", w.program_id},
                                     {"return_policy", "unlimited"},
                                     {"pending_days", 14},
                                     {"expiry", {{"policy", "days_after_earn"}, {"days", 30}}},
                                     {"description", "the main one"}});
  CHECK(p["return_policy"] == "unlimited");
  CHECK(p["pending_days"] == 14);
  CHECK(p["expiry"] == json{{"policy", "days_after_earn"}, {"days", 30}});
  CHECK(p["description"] == "the main one");
  CHECK(p["name"] == "Main");
  CHECK(p["rounding"] == "floor");
  CHECK(p["updated_at"] == "2026-03-01T12:01:00.000Z");
  CHECK(p["created_at"] == "2026-03-01T12:00:00.000Z");
  CHECK(w.call("program.get", {{"id", w.program_id}}) == p);

  json row = last_audit(w, "program.update");
  CHECK(row["target"] == w.program_id);
  CHECK(row["actor"] == "key:" + w.tenant["api_key"]["prefix"].get<std::string>());
  const json& changes = row["detail"]["changes"];
  CHECK(changes["return_policy"] == json{{"from", "within_balance"}, {"to", "unlimited"}});
  CHECK(changes["pending_days"] == json{{"from", 0}, {"to", 14}});
  CHECK(changes["expiry"]["from"] == json{{"policy", "never"}});
  CHECK(changes["expiry"]["to"] == json{{"policy", "days_after_earn"}, {"days", 30}});
  CHECK(changes["description"] == json{{"from", ""}, {"to", "the main one"}});
  CHECK_FALSE(changes.contains("updated_at"));
  CHECK_FALSE(changes.contains("name"));
  CHECK(changes.size() == 4);
}

TEST_CASE("programs: update refuses a taken name, the currency, unknown ids and bad values, changing nothing") {
  World w;
  const std::string p2 = create(w, {{"name", "P2"}})["id"];
  const json before = w.call("program.get", {{"id", w.program_id}});
  LOY_REQUIRE_ERROR(w.call("program.update", {{"id", w.program_id}, {"name", "P2"}}), Status::conflict, "name");
  LOY_REQUIRE_ERROR(w.call("program.update", {{"id", w.program_id}, {"currency", "USD"}}), Status::invalid, "currency");
  LOY_REQUIRE_ERROR(w.call("program.update", {{"id", w.program_id}, {"active", false}}), Status::invalid, "active");
  LOY_REQUIRE_ERROR(w.call("program.update", {{"id", w.program_id}, {"rounding", "up"}}), Status::invalid, "rounding");
  LOY_REQUIRE_ERROR(w.call("program.update", {{"id", "prg_nope"}, {"name", "X"}}), Status::not_found, "id");
  CHECK(w.call("program.get", {{"id", w.program_id}}) == before);
  // Keeping its own name is not a conflict.
  CHECK(w.call("program.update", {{"id", p2}, {"name", "P2"}})["name"] == "P2");
}

TEST_CASE("programs: a max_balance can be set and removed again with null") {
  World w;
  CHECK(w.call("program.update", {{"id", w.program_id}, {"max_balance", 500}})["max_balance"] == 500);
  // Leaving it out keeps it.
  CHECK(w.call("program.update", {{"id", w.program_id}, {"description", "x"}})["max_balance"] == 500);
  CHECK(w.call("program.update", {{"id", w.program_id}, {"max_balance", nullptr}})["max_balance"].is_null());
  const auto c = w.enroll("c1");
  CHECK(w.earn(c, 1000)["balance"]["balance"] == 1000);
  w.require_verified();
}

TEST_CASE("programs: earning in a deactivated program is unavailable until it is activated again") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 10);
  w.clock->advance(1000);
  json p = w.call("program.deactivate", {{"id", w.program_id}});
  CHECK(p["active"] == false);
  CHECK(p["updated_at"] == "2026-03-01T12:00:01.000Z");
  LOY_REQUIRE_ERROR(w.earn(c, 5, {{"program_id", w.program_id}}), Status::unavailable, "program_id");
  // With no active program left there is no default program either.
  LOY_REQUIRE_ERROR(w.earn(c, 5), Status::not_found, "program_id");
  LOY_REQUIRE_ERROR(w.balance(c), Status::not_found, "program_id");
  CHECK(w.call("ledger.balance", {{"customer_id", c}, {"program_id", w.program_id}})["balance"] == 10);
  CHECK(w.call("ledger.history", {{"customer_id", c}, {"program_id", w.program_id}})["items"].size() == 1);

  CHECK(w.call("program.activate", {{"id", w.program_id}})["active"] == true);
  CHECK(w.earn(c, 5)["balance"]["balance"] == 15);
  CHECK(last_audit(w, "program.deactivate")["target"] == w.program_id);
  CHECK(last_audit(w, "program.activate")["target"] == w.program_id);
  LOY_REQUIRE_ERROR(w.call("program.activate", {{"id", "prg_nope"}}), Status::not_found, "id");
  w.require_verified();
}

TEST_CASE("programs: program_id is required when the tenant has two active programs") {
  World w;
  const auto c = w.enroll("c1");
  const std::string p2 = create(w, {{"name", "P2"}})["id"];
  LOY_REQUIRE_ERROR(w.earn(c, 5), Status::invalid, "program_id");
  LOY_REQUIRE_ERROR(w.balance(c), Status::invalid, "program_id");
  LOY_REQUIRE_ERROR(w.call("hold.create", {{"customer_id", c}, {"points", 1}}), Status::invalid, "program_id");
  // Naming the program works, and opens an account in a program created after enrolment.
  CHECK(w.earn(c, 5, {{"program_id", p2}})["balance"]["program_id"] == p2);
  CHECK(w.earn(c, 7, {{"program_id", w.program_id}})["balance"]["balance"] == 7);
  CHECK(w.call("customer.get", {{"id", c}})["program_ids"].size() == 2);
  // With one of them deactivated, the other is the default again.
  w.call("program.deactivate", {{"id", p2}});
  json r = w.earn(c, 3);
  CHECK(r["balance"]["program_id"] == w.program_id);
  CHECK(r["balance"]["balance"] == 10);
  CHECK(w.balance(c)["balance"] == 10);
  CHECK(w.call("ledger.balance", {{"customer_id", c}, {"program_id", p2}})["balance"] == 5);
  w.require_verified();
}
