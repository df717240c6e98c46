// C ABI, loyalty.h "Customers": loy_customer_enroll/get/update/list.
#include <string>

#include "capi_support.hpp"

using namespace capitest;

TEST_CASE("customers: the customer functions refuse NULL arguments, malformed JSON and unknown fields") {
  World w;
  for (const auto& op : ops_with_prefix(kSessionOps, "customer.")) {
    check_null_arguments(op.fn, w.session, op.name, json{{"external_id", "n1"}}.dump());
    check_input_contract(op.fn, w.session, op.name);
  }
  // The enrol attempts with a NULL out created nobody.
  CHECK(ok(loy_customer_list, w.session, json::object())["items"].empty());
}

TEST_CASE("customers: enrol opens an account in every active program and returns the customer") {
  World w;
  const std::string inactive =
      ok(loy_program_create, w.session, json{{"name", "Dormant"}, {"currency", "EUR"}, {"active", false}})["id"];
  json c = ok(loy_customer_enroll, w.session,
              json{{"external_id", "pos-1"},
                   {"profile", {{"first_name", "Ada"}}},
                   {"preferences", {{"email_opt_in", true}}},
                   {"segments", {"vip", "regulars", "vip"}}});
  CHECK(c["id"].get<std::string>().rfind("cus_", 0) == 0);
  CHECK(c["external_id"] == "pos-1");
  CHECK(c["profile"]["first_name"] == "Ada");
  CHECK(c["preferences"]["email_opt_in"] == true);
  CHECK(c["segments"] == json{"regulars", "vip"});  // sorted, without duplicates
  CHECK(c["program_ids"] == json{w.program_id});
  CHECK(c["created_at"] == kStartText);

  json d = ok(loy_customer_enroll, w.session, json{{"external_id", "pos-2"}, {"program_ids", {inactive}}});
  CHECK(d["program_ids"] == json{inactive});

  Failure f = fail(loy_customer_enroll, w.session, json{{"external_id", "pos-1"}});
  CHECK(f.rc == LOY_ECONFLICT);
  CHECK(f.field() == "external_id");
  CHECK(f.error.detail["id"] == c["id"]);

  f = fail(loy_customer_enroll, w.session, json{{"external_id", "pos-3"}, {"program_ids", {"prg_missing"}}});
  CHECK(f.rc == LOY_ENOTFOUND);
  CHECK(f.field() == "program_ids[0]");
  f = fail(loy_customer_enroll, w.session, json{{"profile", json::object()}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "external_id");
  f = fail(loy_customer_enroll, w.session, json{{"external_id", "pos-3"}, {"segments", {"ok", 5}}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "segments[1]");
  f = fail(loy_customer_enroll, w.session, json{{"external_id", "pos-3"}, {"profile", "Ada"}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "profile");
  // Nothing of the failed enrolments remains.
  CHECK(ok(loy_customer_list, w.session, json::object())["items"].size() == 2);
}

TEST_CASE("customers: get by id or by external_id, exactly one of them") {
  World w;
  const std::string id = w.enroll("pos-1");
  CHECK(ok(loy_customer_get, w.session, json{{"id", id}})["external_id"] == "pos-1");
  CHECK(ok(loy_customer_get, w.session, json{{"external_id", "pos-1"}})["id"] == id);

  Failure f = fail(loy_customer_get, w.session, json{{"id", id}, {"external_id", "pos-1"}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "id");
  CHECK(fail(loy_customer_get, w.session, json::object()).rc == LOY_EINVALID);
  f = fail(loy_customer_get, w.session, json{{"id", "cus_missing"}});
  CHECK(f.rc == LOY_ENOTFOUND);
  CHECK(f.field() == "id");
  f = fail(loy_customer_get, w.session, json{{"external_id", "nobody"}});
  CHECK(f.rc == LOY_ENOTFOUND);
  CHECK(f.field() == "external_id");
}

TEST_CASE("customers: update replaces the given documents whole") {
  World w;
  const std::string id = ok(loy_customer_enroll, w.session,
                            json{{"external_id", "pos-1"},
                                 {"profile", {{"first_name", "Ada"}, {"city", "Paris"}}},
                                 {"segments", {"a"}}})["id"];
  w.clock.now += 60'000;
  json u = ok(loy_customer_update, w.session, json{{"id", id}, {"profile", {{"first_name", "Grace"}}}});
  CHECK(u["profile"] == json{{"first_name", "Grace"}});
  CHECK(u["segments"] == json{"a"});
  CHECK(u["updated_at"] == "2026-03-01T12:01:00.000Z");
  u = ok(loy_customer_update, w.session, json{{"id", id}, {"segments", json::array()}});
  CHECK(u["segments"] == json::array());
  CHECK(u["profile"] == json{{"first_name", "Grace"}});

  CHECK(fail(loy_customer_update, w.session, json{{"id", "cus_missing"}, {"segments", {"a"}}}).rc == LOY_ENOTFOUND);
  Failure f = fail(loy_customer_update, w.session, json{{"id", id}, {"external_id", "pos-9"}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "external_id");
}

TEST_CASE("customers: list pages with a cursor and filters by segment") {
  World w;
  for (int n = 0; n < 5; ++n) {
    json in = {{"external_id", "c" + std::to_string(n)}};
    if (n % 2 == 0) in["segments"] = {"even"};
    ok(loy_customer_enroll, w.session, in);
  }
  json page = ok(loy_customer_list, w.session, json{{"limit", 2}});
  json all = page["items"];
  int pages = 1;
  while (page["next_cursor"].is_string()) {
    page = ok(loy_customer_list, w.session, json{{"limit", 2}, {"cursor", page["next_cursor"]}});
    for (const auto& c : page["items"]) all.push_back(c);
    ++pages;
  }
  CHECK(pages == 3);
  REQUIRE(all.size() == 5);
  for (size_t n = 0; n < all.size(); ++n) CHECK(all[n]["external_id"] == "c" + std::to_string(n));

  json even = ok(loy_customer_list, w.session, json{{"segment", "even"}});
  CHECK(even["items"].size() == 3);
  CHECK(even["next_cursor"].is_null());
  CHECK(fail(loy_customer_list, w.session, json{{"limit", 1001}}).field() == "limit");
  CHECK(fail(loy_customer_list, w.session, json{{"cursor", "x1"}}).field() == "cursor");
}
