#include <set>
#include <string>
#include <vector>

#include "fixture.hpp"

using namespace loytest;

TEST_CASE("customers: enroll stores the customer and opens an account in every active program") {
  World w;
  const std::string p2 = w.call("program.create", {{"name", "P2"}, {"currency", "EUR"}})["id"];
  const std::string off = w.call("program.create", {{"name", "Off"}, {"currency", "EUR"}, {"active", false}})["id"];
  w.clock->advance(1000);
  json c = w.call("customer.enroll", {{"external_id", "crm-1"},
                                      {"profile", {{"first_name", "Ada"}}},
                                      {"preferences", {{"email_opt_in", true}}},
                                      {"segments", {"vip", "early", "vip"}}});
  CHECK(c["id"].get<std::string>().rfind("cus_", 0) == 0);
  CHECK(c["external_id"] == "crm-1");
  CHECK(c["profile"] == json{{"first_name", "Ada"}});
  CHECK(c["preferences"] == json{{"email_opt_in", true}});
  CHECK(c["segments"] == json::array({"early", "vip"}));  // sorted, duplicates removed
  CHECK(c["created_at"] == "2026-03-01T12:00:01.000Z");
  CHECK(c["program_ids"] == json::array({w.program_id, p2}));
  // The accounts exist: balances in both programs are readable and zero.
  CHECK(w.call("ledger.balance", {{"customer_id", c["id"]}, {"program_id", p2}})["balance"] == 0);
  CHECK(w.call("ledger.balance", {{"customer_id", c["id"]}, {"program_id", off}})["balance"] == 0);
  CHECK(w.call("ledger.verify", json::object())["accounts_checked"] == 2);
}

TEST_CASE("customers: enroll with program_ids opens only those accounts; an unknown program creates nothing") {
  World w;
  const std::string p2 = w.call("program.create", {{"name", "P2"}, {"currency", "EUR"}})["id"];
  json c = w.call("customer.enroll", {{"external_id", "crm-1"}, {"program_ids", {p2}}});
  CHECK(c["program_ids"] == json::array({p2}));
  LOY_REQUIRE_ERROR(w.call("customer.enroll", {{"external_id", "crm-2"}, {"program_ids", {p2, "prg_nope"}}}),
                    Status::not_found, "program_ids[1]");
  LOY_REQUIRE_ERROR(w.call("customer.get", {{"external_id", "crm-2"}}), Status::not_found, "external_id");
  CHECK(w.call("customer.list", json::object())["items"].size() == 1);
}

TEST_CASE("customers: external_id is unique per tenant, not across tenants") {
  World w;
  const auto first = w.enroll("crm-1");
  try {
    w.enroll("crm-1");
    FAIL("expected a conflict");
  } catch (const loyalty::Error& e) {
    CHECK(e.status() == Status::conflict);
    CHECK(e.field() == "external_id");
    CHECK(e.detail()["id"] == first);  // the caller may use the existing customer
  }
  CHECK(w.call("customer.list", json::object())["items"].size() == 1);
  auto [other, other_program] = w.other_tenant("Other");
  json theirs = other.call("customer.enroll", {{"external_id", "crm-1"}});
  CHECK(theirs["id"] != first);
  CHECK(theirs["program_ids"] == json::array({other_program}));
}

TEST_CASE("customers: get by id or by external_id; exactly one of them") {
  World w;
  const auto id = w.call("customer.enroll", {{"external_id", "crm-1"}, {"profile", {{"a", 1}}}})["id"];
  json by_id = w.call("customer.get", {{"id", id}});
  json by_ext = w.call("customer.get", {{"external_id", "crm-1"}});
  CHECK(by_id == by_ext);
  CHECK(by_id["profile"] == json{{"a", 1}});
  CHECK(by_id["program_ids"] == json::array({w.program_id}));
  LOY_REQUIRE_ERROR(w.call("customer.get", {{"id", id}, {"external_id", "crm-1"}}), Status::invalid, "id");
  LOY_REQUIRE_ERROR(w.call("customer.get", json::object()), Status::invalid, "id");
  LOY_REQUIRE_ERROR(w.call("customer.get", {{"id", "cus_nope"}}), Status::not_found, "id");
  LOY_REQUIRE_ERROR(w.call("customer.get", {{"external_id", "crm-2"}}), Status::not_found, "external_id");
  LOY_REQUIRE_ERROR(w.call("customer.get", {{"id", 5}}), Status::invalid, "id");
}

TEST_CASE("customers: update replaces the given documents wholesale and leaves the others") {
  World w;
  const std::string id = w.call("customer.enroll", {{"external_id", "crm-1"},
                                                    {"profile", {{"first_name", "Ada"}, {"city", "London"}}},
                                                    {"preferences", {{"sms", true}}},
                                                    {"segments", {"vip"}}})["id"];
  w.clock->advance(5000);
  json c = w.call("customer.update", {{"id", id}, {"profile", {{"first_name", "Grace"}}}});
  CHECK(c["profile"] == json{{"first_name", "Grace"}});  // "city" is gone: replaced, not merged
  CHECK(c["preferences"] == json{{"sms", true}});
  CHECK(c["segments"] == json::array({"vip"}));
  CHECK(c["updated_at"] == "2026-03-01T12:00:05.000Z");
  CHECK(c["created_at"] == "2026-03-01T12:00:00.000Z");

  c = w.call("customer.update", {{"id", id}, {"segments", {"b", "a"}}, {"preferences", json::object()}});
  CHECK(c["segments"] == json::array({"a", "b"}));
  CHECK(c["preferences"] == json::object());
  CHECK(c["profile"] == json{{"first_name", "Grace"}});
  c = w.call("customer.update", {{"id", id}, {"segments", json::array()}});
  CHECK(c["segments"] == json::array());
  CHECK(w.call("customer.get", {{"id", id}}) == c);
}

TEST_CASE("customers: update refuses unknown ids, immutable and unknown fields, changing nothing") {
  World w;
  const std::string id = w.call("customer.enroll", {{"external_id", "crm-1"}, {"profile", {{"a", 1}}}})["id"];
  const json before = w.call("customer.get", {{"id", id}});
  LOY_REQUIRE_ERROR(w.call("customer.update", {{"id", "cus_nope"}, {"profile", json::object()}}), Status::not_found,
                    "id");
  LOY_REQUIRE_ERROR(w.call("customer.update", {{"id", id}, {"external_id", "crm-9"}}), Status::invalid, "external_id");
  LOY_REQUIRE_ERROR(w.call("customer.update", {{"id", id}, {"profile", "Ada"}}), Status::invalid, "profile");
  LOY_REQUIRE_ERROR(w.call("customer.update", {{"id", id}, {"profile", {{"b", 2}}}, {"segments", {""}}}),
                    Status::invalid, "segments[0]");
  CHECK(w.call("customer.get", {{"id", id}}) == before);
}

TEST_CASE("customers: profile, preferences, external_id and segments have size limits") {
  World w;
  const std::string big(64 * 1024, 'x');
  LOY_REQUIRE_ERROR(w.call("customer.enroll", {{"external_id", "c"}, {"profile", {{"bio", big}}}}), Status::invalid,
                    "profile");
  LOY_REQUIRE_ERROR(w.call("customer.enroll", {{"external_id", "c"}, {"preferences", {{"p", big}}}}), Status::invalid,
                    "preferences");
  LOY_REQUIRE_ERROR(w.call("customer.enroll", {{"external_id", std::string(201, 'e')}}), Status::invalid,
                    "external_id");
  LOY_REQUIRE_ERROR(w.call("customer.enroll", {{"external_id", ""}}), Status::invalid, "external_id");
  LOY_REQUIRE_ERROR(w.call("customer.enroll", json::object()), Status::invalid, "external_id");
  json many = json::array();
  for (int n = 0; n < 65; ++n) many.push_back("s" + std::to_string(n));
  LOY_REQUIRE_ERROR(w.call("customer.enroll", {{"external_id", "c"}, {"segments", many}}), Status::invalid, "segments");
  LOY_REQUIRE_ERROR(w.call("customer.enroll", {{"external_id", "c"}, {"segments", {"ok", std::string(257, 's')}}}),
                    Status::invalid, "segments[1]");
  LOY_REQUIRE_ERROR(w.call("customer.enroll", {{"external_id", "c"}, {"segments", {"ok", 3}}}), Status::invalid,
                    "segments[1]");
  LOY_REQUIRE_ERROR(w.call("customer.enroll", {{"external_id", "c"}, {"email", "a@b.c"}}), Status::invalid, "email");
  CHECK(w.call("customer.list", json::object())["items"].empty());

  // Just under the limits is fine.
  many.erase(many.end() - 1);
  json c = w.call("customer.enroll", {{"external_id", std::string(200, 'e')},
                                      {"profile", {{"bio", std::string(60 * 1024, 'x')}}},
                                      {"segments", many}});
  CHECK(c["segments"].size() == 64);
  const std::string id = c["id"];
  LOY_REQUIRE_ERROR(w.call("customer.update", {{"id", id}, {"profile", {{"bio", big}}}}), Status::invalid, "profile");
}

TEST_CASE("customers: list pages in enrolment order with a cursor and filters by segment") {
  World w;
  std::vector<std::string> all, vip;
  for (int n = 0; n < 7; ++n) {
    json segs = n % 3 == 0 ? json::array({"vip"}) : json::array({"regular"});
    const std::string id =
        w.call("customer.enroll", {{"external_id", "c" + std::to_string(n)}, {"segments", segs}})["id"];
    all.push_back(id);
    if (n % 3 == 0) vip.push_back(id);
  }
  auto collect = [&](json filter, int limit, int& pages) {
    std::vector<std::string> seen;
    json in = filter;
    in["limit"] = limit;
    pages = 0;
    for (;;) {
      json page = w.call("customer.list", in);
      ++pages;
      CHECK(page["items"].size() <= static_cast<size_t>(limit));
      for (const auto& c : page["items"]) {
        seen.push_back(c["id"]);
        CHECK_FALSE(c.contains("program_ids"));
      }
      if (page["next_cursor"].is_null()) break;
      in["cursor"] = page["next_cursor"];
    }
    return seen;
  };
  int pages = 0;
  CHECK(collect(json::object(), 3, pages) == all);
  CHECK(pages == 3);
  CHECK(collect(json{{"segment", "vip"}}, 2, pages) == vip);
  CHECK(pages == 2);
  CHECK(collect(json{{"segment", "vip"}}, 1000, pages) == vip);
  CHECK(pages == 1);
  CHECK(w.call("customer.list", {{"segment", "nobody"}})["items"].empty());
  // A segment name is matched exactly, not as a substring.
  CHECK(w.call("customer.list", {{"segment", "vi"}})["items"].empty());
  LOY_REQUIRE_ERROR(w.call("customer.list", {{"limit", 0}}), Status::invalid, "limit");
  LOY_REQUIRE_ERROR(w.call("customer.list", {{"cursor", "zzz"}}), Status::invalid, "cursor");
  LOY_REQUIRE_ERROR(w.call("customer.list", {{"segment", ""}}), Status::invalid, "segment");
}
