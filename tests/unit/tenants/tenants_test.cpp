#include <set>
#include <string>

#include "engine/engine_state.hpp"
#include "fixture.hpp"

using namespace loytest;

namespace {

std::string tenant_id(const World& w) { return w.tenant["tenant"]["id"]; }

json default_settings() {
  return {{"branding", json::object()},
          {"loyalty", json::object()},
          {"security", json::object()},
          {"notifications", json::object()}};
}

}  // namespace

TEST_CASE("tenants: create returns the tenant with defaults and an admin API key") {
  World w;
  w.clock->advance(5000);
  json r = w.admin.call("tenant.create", {{"name", "Blue Bottle"}});
  const json& t = r["tenant"];
  CHECK(t["id"].get<std::string>().rfind("ten_", 0) == 0);
  CHECK(t["name"] == "Blue Bottle");
  CHECK(t["slug"] == "blue-bottle");
  CHECK(t["timezone"] == "UTC");
  CHECK(t["active"] == true);
  CHECK(t["settings"] == default_settings());
  CHECK(t["created_at"] == "2026-03-01T12:00:05.000Z");
  CHECK(t["updated_at"] == t["created_at"]);
  CHECK(r["api_key"]["scopes"] == json::array({"admin"}));
  CHECK(r["api_key"]["name"] == "initial admin key");
  CHECK(w.admin.call("tenant.get", {{"id", t["id"]}}) == t);
}

TEST_CASE("tenants: the slug is derived from the name: lowercase ASCII, runs of other bytes become one dash") {
  World w;
  CHECK(w.admin.call("tenant.create", {{"name", "  Café Zürich & Co. -- Main Street!  "}})["tenant"]["slug"] ==
        "caf-z-rich-co-main-street");
  CHECK(w.admin.call("tenant.create", {{"name", "ACME 42"}})["tenant"]["slug"] == "acme-42");
  // Long names are cut to 63 characters without leaving a trailing dash.
  const std::string long_name = std::string(62, 'a') + " bcd";
  CHECK(w.admin.call("tenant.create", {{"name", long_name}})["tenant"]["slug"] == std::string(62, 'a'));
}

TEST_CASE("tenants: a slug already taken is a conflict, whether derived or explicit") {
  World w;
  w.admin.call("tenant.create", {{"name", "Blue Bottle"}});
  LOY_REQUIRE_ERROR(w.admin.call("tenant.create", {{"name", "blue bottle!!"}}), Status::conflict, "slug");
  LOY_REQUIRE_ERROR(w.admin.call("tenant.create", {{"name", "Other"}, {"slug", "blue-bottle"}}), Status::conflict,
                    "slug");
  // Names need not be unique; slugs do.
  json r = w.admin.call("tenant.create", {{"name", "Blue Bottle"}, {"slug", "blue-bottle-2"}});
  CHECK(r["tenant"]["slug"] == "blue-bottle-2");
  CHECK(w.admin.call("tenant.list", json::object())["items"].size() == 3);
}

TEST_CASE("tenants: explicit slugs must be 1-63 characters of a-z, 0-9 and inner dashes") {
  World w;
  for (const std::string& bad : std::initializer_list<std::string>{"Blue", "-blue", "blue-", "blue_bottle",
                                                                   "blue bottle", std::string(64, 'a')}) {
    CAPTURE(bad);
    LOY_REQUIRE_ERROR(w.admin.call("tenant.create", {{"name", "X"}, {"slug", bad}}), Status::invalid, "slug");
  }
  // A name without a single ASCII letter or digit gets a generated slug.
  const std::string generated = w.admin.call("tenant.create", {{"name", "!!! ???"}})["tenant"]["slug"];
  CHECK(generated.rfind("tenant-", 0) == 0);
  CHECK(generated.size() > 7);
  LOY_REQUIRE_ERROR(w.admin.call("tenant.create", {{"name", "!!! ???"}, {"slug", "!!!"}}), Status::invalid, "slug");
  CHECK(w.admin.call("tenant.create", {{"name", "X"}, {"slug", std::string(63, 'a')}})["tenant"]["slug"] ==
        std::string(63, 'a'));
}

TEST_CASE("tenants: the time zone must be a known IANA zone") {
  World w;
  for (const char* bad : {"Mars/Olympus_Mons", "Europe", "../../etc/passwd", "/etc/passwd", "Europe/Paris/", "utc"}) {
    CAPTURE(bad);
    LOY_REQUIRE_ERROR(w.admin.call("tenant.create", {{"name", "X"}, {"timezone", bad}}), Status::invalid, "timezone");
  }
  json r = w.admin.call("tenant.create", {{"name", "Paris"}, {"timezone", "Europe/Paris"}});
  CHECK(r["tenant"]["timezone"] == "Europe/Paris");
  // Nothing was created by the refused calls.
  CHECK(w.admin.call("tenant.list", json::object())["items"].size() == 2);
}

TEST_CASE("tenants: settings have four sections; an unknown section or a non-object is invalid") {
  World w;
  LOY_REQUIRE_ERROR(w.admin.call("tenant.create", {{"name", "X"}, {"settings", {{"billing", json::object()}}}}),
                    Status::invalid, "settings.billing");
  LOY_REQUIRE_ERROR(w.admin.call("tenant.create", {{"name", "X"}, {"settings", {{"branding", "red"}}}}),
                    Status::invalid, "settings.branding");
  LOY_REQUIRE_ERROR(w.admin.call("tenant.create", {{"name", "X"}, {"settings", json::array()}}), Status::invalid,
                    "settings");
  LOY_REQUIRE_ERROR(w.admin.call("tenant.create", {{"name", "X"}, {"owner", "me"}}), Status::invalid, "owner");
  LOY_REQUIRE_ERROR(w.admin.call("tenant.create", json::object()), Status::invalid, "name");
  LOY_REQUIRE_ERROR(w.admin.call("tenant.create", {{"name", std::string(201, 'n')}}), Status::invalid, "name");
  json r = w.admin.call("tenant.create", {{"name", "X"}, {"settings", {{"loyalty", {{"points_name", "beans"}}}}}});
  json expected = default_settings();
  expected["loyalty"] = {{"points_name", "beans"}};
  CHECK(r["tenant"]["settings"] == expected);
}

TEST_CASE("tenants: get of an unknown tenant is not_found") {
  World w;
  LOY_REQUIRE_ERROR(w.admin.call("tenant.get", {{"id", "ten_nope"}}), Status::not_found, "id");
  LOY_REQUIRE_ERROR(w.admin.call("tenant.get", json::object()), Status::invalid, "id");
}

TEST_CASE("tenants: list pages through every tenant once, in creation order, with a cursor") {
  World w;
  std::vector<std::string> created = {tenant_id(w)};
  for (int n = 0; n < 4; ++n)
    created.push_back(w.admin.call("tenant.create", {{"name", "T" + std::to_string(n)}})["tenant"]["id"]);
  std::vector<std::string> seen;
  json page = w.admin.call("tenant.list", {{"limit", 2}});
  int pages = 1;
  for (;;) {
    CHECK(page["items"].size() <= 2);
    for (const auto& t : page["items"]) seen.push_back(t["id"]);
    if (page["next_cursor"].is_null()) break;
    page = w.admin.call("tenant.list", {{"limit", 2}, {"cursor", page["next_cursor"]}});
    ++pages;
  }
  CHECK(pages == 3);
  CHECK(seen == created);
  // Exactly `limit` items left: no further page is announced.
  json all = w.admin.call("tenant.list", {{"limit", 5}});
  CHECK(all["items"].size() == 5);
  CHECK(all["next_cursor"].is_null());
}

TEST_CASE("tenants: list filters by active and refuses bad limits and cursors") {
  World w;
  const std::string other = w.admin.call("tenant.create", {{"name", "Other"}})["tenant"]["id"];
  w.admin.call("tenant.deactivate", {{"id", other}});
  json inactive = w.admin.call("tenant.list", {{"active", false}});
  REQUIRE(inactive["items"].size() == 1);
  CHECK(inactive["items"][0]["id"] == other);
  json active = w.admin.call("tenant.list", {{"active", true}});
  REQUIRE(active["items"].size() == 1);
  CHECK(active["items"][0]["id"] == tenant_id(w));
  LOY_REQUIRE_ERROR(w.admin.call("tenant.list", {{"limit", 0}}), Status::invalid, "limit");
  LOY_REQUIRE_ERROR(w.admin.call("tenant.list", {{"limit", 1001}}), Status::invalid, "limit");
  LOY_REQUIRE_ERROR(w.admin.call("tenant.list", {{"cursor", "page2"}}), Status::invalid, "cursor");
  LOY_REQUIRE_ERROR(w.admin.call("tenant.list", {{"active", "yes"}}), Status::invalid, "active");
}

TEST_CASE("tenants: update replaces only the settings sections given, each as a whole") {
  World w;
  const std::string id = tenant_id(w);
  w.admin.call(
      "tenant.update",
      {{"id", id}, {"settings", {{"branding", {{"color", "red"}, {"logo", "a.png"}}}, {"loyalty", {{"x", 1}}}}}});
  w.clock->advance(60'000);
  json t = w.admin.call("tenant.update", {{"id", id}, {"settings", {{"branding", {{"color", "blue"}}}}}});
  CHECK(t["settings"]["branding"] == json{{"color", "blue"}});
  CHECK(t["settings"]["loyalty"] == json{{"x", 1}});
  CHECK(t["settings"]["security"] == json::object());
  CHECK(t["updated_at"] == "2026-03-01T12:01:00.000Z");
  CHECK(t["created_at"] == "2026-03-01T12:00:00.000Z");
  CHECK(w.admin.call("tenant.get", {{"id", id}}) == t);
}

TEST_CASE("tenants: update changes name and time zone; bad input changes nothing") {
  World w;
  const std::string id = tenant_id(w);
  const json before = w.admin.call("tenant.get", {{"id", id}});
  LOY_REQUIRE_ERROR(w.admin.call("tenant.update", {{"id", id}, {"name", "New"}, {"timezone", "Nowhere/City"}}),
                    Status::invalid, "timezone");
  LOY_REQUIRE_ERROR(w.admin.call("tenant.update", {{"id", id}, {"name", "New"}, {"settings", {{"billing", 1}}}}),
                    Status::invalid, "settings.billing");
  LOY_REQUIRE_ERROR(w.admin.call("tenant.update", {{"id", id}, {"slug", "new-slug"}}), Status::invalid, "slug");
  LOY_REQUIRE_ERROR(w.admin.call("tenant.update", {{"id", "ten_nope"}, {"name", "New"}}), Status::not_found, "id");
  CHECK(w.admin.call("tenant.get", {{"id", id}}) == before);

  json t = w.admin.call("tenant.update", {{"id", id}, {"name", "Renamed"}, {"timezone", "America/New_York"}});
  CHECK(t["name"] == "Renamed");
  CHECK(t["timezone"] == "America/New_York");
  CHECK(t["slug"] == before["slug"]);  // the slug is stable across renames
  CHECK(t["settings"] == before["settings"]);
}

TEST_CASE("tenants: a deactivated tenant cannot open sessions and its open sessions fail their next write") {
  World w;
  const auto c = w.enroll("c1");
  w.earn(c, 50);
  const std::string key = w.tenant["api_key"]["key"];
  json t = w.admin.call("tenant.deactivate", {{"id", tenant_id(w)}});
  CHECK(t["active"] == false);
  LOY_REQUIRE_ERROR(w.engine.session(key), Status::forbidden, "");
  LOY_REQUIRE_ERROR(w.earn(c, 10), Status::forbidden, "");
  LOY_REQUIRE_ERROR(w.enroll("c2"), Status::forbidden, "");
  LOY_REQUIRE_ERROR(w.call("ledger.adjust", {{"customer_id", c}, {"points", -5}, {"reason", "x"}}), Status::forbidden,
                    "");
  LOY_REQUIRE_ERROR(w.call("program.create", {{"name", "P2"}, {"currency", "EUR"}}), Status::forbidden, "");
  LOY_REQUIRE_ERROR(w.call("apikey.create", {{"scopes", {"read"}}}), Status::forbidden, "");

  // Reads stop too once the session revalidates.
  w.clock->advance(loyalty::detail::kRevalidateMs);
  LOY_REQUIRE_ERROR(w.balance(c), Status::forbidden, "");

  // Reactivation restores both new and already-open sessions; nothing was written meanwhile.
  w.admin.call("tenant.activate", {{"id", tenant_id(w)}});
  auto s = w.engine.session(key);
  CHECK(s.call("ledger.balance", {{"customer_id", c}})["balance"] == 50);
  CHECK(w.call("customer.list", json::object())["items"].size() == 1);
  CHECK(w.earn(c, 10)["balance"]["balance"] == 60);
  w.require_verified();
}

TEST_CASE("tenants: deactivating one tenant leaves the others working") {
  World w;
  auto [other, other_program] = w.other_tenant("Other");
  const std::string other_id = other.tenant_id();
  w.admin.call("tenant.deactivate", {{"id", other_id}});
  const auto c = w.enroll("c1");
  CHECK(w.earn(c, 5)["balance"]["balance"] == 5);
  LOY_REQUIRE_ERROR(other.call("customer.enroll", {{"external_id", "x"}}), Status::forbidden, "");
  LOY_REQUIRE_ERROR(w.admin.call("tenant.deactivate", {{"id", "ten_nope"}}), Status::not_found, "id");
}
