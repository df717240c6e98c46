// C ABI, loyalty.h "Engine administrator: tenants": loy_admin_open/free, loy_tenant_*,
// loy_tenant_apikey_create and loy_admin_call.
#include <cstring>
#include <string>

#include "capi_support.hpp"

using namespace capitest;

namespace {
json tenant_ops_payload(const char* name) {
  if (std::strcmp(name, "tenant.create") == 0) return {{"name", "Null Test"}};
  if (std::strcmp(name, "tenant.list") == 0) return json::object();
  if (std::strcmp(name, "apikey.create") == 0) return {{"tenant_id", "ten_x"}, {"scopes", {"read"}}};
  return {{"id", "ten_x"}};
}
}  // namespace

TEST_CASE("admin: loy_admin_open checks its arguments and the credential") {
  PinnedClock clock;
  loy_engine* e = open_engine(clock);
  loy_admin* a = reinterpret_cast<loy_admin*>(&clock);
  CHECK(loy_admin_open(nullptr, kAdminKey, std::strlen(kAdminKey), &a) == LOY_EMISUSE);
  CHECK(a == nullptr);
  a = reinterpret_cast<loy_admin*>(&clock);
  CHECK(loy_admin_open(e, nullptr, 16, &a) == LOY_EMISUSE);
  CHECK(a == nullptr);
  CHECK(loy_admin_open(e, kAdminKey, std::strlen(kAdminKey), nullptr) == LOY_EMISUSE);

  a = reinterpret_cast<loy_admin*>(&clock);
  const std::string wrong = std::string(kAdminKey) + "x";
  CHECK(loy_admin_open(e, wrong.data(), wrong.size(), &a) == LOY_EFORBIDDEN);
  CHECK(a == nullptr);
  // The key is (pointer, length): a prefix of the right key is a wrong key.
  CHECK(loy_admin_open(e, kAdminKey, std::strlen(kAdminKey) - 1, &a) == LOY_EFORBIDDEN);
  CHECK(a == nullptr);
  // ... and the right key need not be NUL-terminated.
  const std::string padded = std::string(kAdminKey) + "trailing";
  REQUIRE(loy_admin_open(e, padded.data(), std::strlen(kAdminKey), &a) == LOY_OK);
  REQUIRE(a != nullptr);
  CHECK(loy_error_last() == nullptr);
  loy_admin_free(a);
  loy_engine_free(e);
}

TEST_CASE("admin: every admin function refuses NULL arguments with LOY_EMISUSE before running") {
  World w(json::object(), false);
  for (const auto& op : kAdminOps) check_null_arguments(op.fn, w.admin, op.name, tenant_ops_payload(op.name).dump());
  // A tenant.create with a NULL out created nothing.
  CHECK(ok(loy_tenant_list, w.admin, json::object())["items"].size() == 1);

  // loy_admin_call: NULL op as well.
  Buf out;
  CHECK(loy_admin_call(w.admin, nullptr, "{}", 2, out.out()) == LOY_EMISUSE);
  CHECK(out.empty());
  CHECK(loy_admin_call(nullptr, "tenant.list", "{}", 2, out.out()) == LOY_EMISUSE);
  CHECK(loy_admin_call(w.admin, "tenant.list", nullptr, 0, out.out()) == LOY_EMISUSE);
  CHECK(loy_admin_call(w.admin, "tenant.list", "{}", 2, nullptr) == LOY_EMISUSE);
}

TEST_CASE("admin: every admin function refuses malformed JSON, non-objects and unknown fields") {
  World w(json::object(), false);
  for (const auto& op : kAdminOps) check_input_contract(op.fn, w.admin, op.name);
  CHECK(ok(loy_tenant_list, w.admin, json::object())["items"].size() == 1);
}

TEST_CASE("tenants: create returns the tenant and its first admin API key, shown once") {
  World w(json::object(), false);
  const json& t = w.tenant;
  CHECK(t["tenant"]["name"] == "Acme Coffee");
  CHECK(t["tenant"]["slug"] == "acme-coffee");
  CHECK(t["tenant"]["timezone"] == "UTC");
  CHECK(t["tenant"]["active"] == true);
  CHECK(t["tenant"]["id"].get<std::string>().rfind("ten_", 0) == 0);
  CHECK(t["api_key"]["scopes"] == json{"admin"});
  const std::string key = t["api_key"]["key"].get<std::string>();
  CHECK(key.rfind("loy_" + t["api_key"]["prefix"].get<std::string>() + "_", 0) == 0);
  // The secret is never shown again.
  const json got = ok(loy_tenant_get, w.admin, json{{"id", w.tenant_id}});
  CHECK(got.dump().find(key) == std::string::npos);
  CHECK(got == t["tenant"]);
}

TEST_CASE("tenants: invalid input names the field and a taken slug is a conflict") {
  World w(json::object(), false);
  Failure f = fail(loy_tenant_create, w.admin, json{{"slug", "x"}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "name");
  f = fail(loy_tenant_create, w.admin, json{{"name", "Bad"}, {"slug", "Not A Slug"}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "slug");
  f = fail(loy_tenant_create, w.admin, json{{"name", "Bad"}, {"timezone", "Mars/Olympus"}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "timezone");
  f = fail(loy_tenant_create, w.admin, json{{"name", "Bad"}, {"settings", {{"theme", json::object()}}}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "settings.theme");
  f = fail(loy_tenant_create, w.admin, json{{"name", 7}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "name");
  f = fail(loy_tenant_create, w.admin, json{{"name", "Acme Coffee"}});
  CHECK(f.rc == LOY_ECONFLICT);
  CHECK(f.field() == "slug");
  CHECK(ok(loy_tenant_list, w.admin, json::object())["items"].size() == 1);
}

TEST_CASE("tenants: get, update and list") {
  World w(json::object(), false);
  CHECK(fail(loy_tenant_get, w.admin, json{{"id", "ten_missing"}}).rc == LOY_ENOTFOUND);

  json u = ok(loy_tenant_update, w.admin,
              json{{"id", w.tenant_id},
                   {"name", "Acme Roasters"},
                   {"timezone", "Europe/Berlin"},
                   {"settings", {{"branding", {{"colour", "#123456"}}}}}});
  CHECK(u["name"] == "Acme Roasters");
  CHECK(u["timezone"] == "Europe/Berlin");
  CHECK(u["settings"]["branding"]["colour"] == "#123456");
  CHECK(u["slug"] == "acme-coffee");  // the slug does not follow the name
  CHECK(fail(loy_tenant_update, w.admin, json{{"id", "ten_missing"}, {"name", "x"}}).rc == LOY_ENOTFOUND);

  for (int n = 0; n < 4; ++n) ok(loy_tenant_create, w.admin, json{{"name", "Tenant " + std::to_string(n)}});
  json page = ok(loy_tenant_list, w.admin, json{{"limit", 2}});
  CHECK(page["items"].size() == 2);
  REQUIRE(page["next_cursor"].is_string());
  json all = page["items"];
  while (page["next_cursor"].is_string()) {
    page = ok(loy_tenant_list, w.admin, json{{"limit", 2}, {"cursor", page["next_cursor"]}});
    for (const auto& t : page["items"]) all.push_back(t);
  }
  CHECK(all.size() == 5);
  CHECK(all[0]["id"] == w.tenant_id);
  CHECK(fail(loy_tenant_list, w.admin, json{{"limit", 0}}).field() == "limit");
  CHECK(fail(loy_tenant_list, w.admin, json{{"cursor", "bogus"}}).field() == "cursor");
}

TEST_CASE("tenants: a deactivated tenant opens no session and its open sessions cannot write") {
  World w;
  const std::string c = w.enroll("c1");
  json d = ok(loy_tenant_deactivate, w.admin, json{{"id", w.tenant_id}});
  CHECK(d["active"] == false);
  CHECK(ok(loy_tenant_list, w.admin, json{{"active", false}})["items"].size() == 1);
  CHECK(ok(loy_tenant_list, w.admin, json{{"active", true}})["items"].size() == 0);

  loy_session* s = reinterpret_cast<loy_session*>(&w);
  CHECK(loy_session_open(w.engine, w.api_key.data(), w.api_key.size(), &s) == LOY_EFORBIDDEN);
  CHECK(s == nullptr);
  Failure f = fail(loy_ledger_earn, w.session, json{{"customer_id", c}, {"points", 5}});
  CHECK(f.rc == LOY_EFORBIDDEN);

  ok(loy_tenant_activate, w.admin, json{{"id", w.tenant_id}});
  w.earn(c, 5);
  SessionGuard again(open_session(w.engine, w.api_key));
  CHECK(ok(loy_ledger_balance, again.s, json{{"customer_id", c}})["balance"] == 5);
  CHECK(fail(loy_tenant_deactivate, w.admin, json{{"id", "ten_missing"}}).rc == LOY_ENOTFOUND);
  CHECK(fail(loy_tenant_activate, w.admin, json{{"id", "ten_missing"}}).rc == LOY_ENOTFOUND);
}

TEST_CASE("tenants: the administrator creates scoped API keys for a tenant") {
  World w;
  json k =
      ok(loy_tenant_apikey_create, w.admin, json{{"tenant_id", w.tenant_id}, {"name", "till 1"}, {"scopes", {"pos"}}});
  CHECK(k["scopes"] == json{"pos"});
  CHECK(k["name"] == "till 1");
  SessionGuard pos(open_session(w.engine, k["key"].get<std::string>()));
  json info = ok(loy_session_info, pos.s, json::object());
  CHECK(info["tenant"]["id"] == w.tenant_id);
  CHECK(info["scopes"] == json{"pos"});

  Failure f = fail(loy_tenant_apikey_create, w.admin, json{{"tenant_id", w.tenant_id}, {"scopes", {"root"}}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "scopes[0]");
  f = fail(loy_tenant_apikey_create, w.admin, json{{"tenant_id", w.tenant_id}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "scopes");
  f = fail(loy_tenant_apikey_create, w.admin, json{{"tenant_id", "ten_missing"}, {"scopes", {"read"}}});
  CHECK(f.rc == LOY_ENOTFOUND);
}

TEST_CASE("admin: loy_admin_call runs admin operations by name") {
  World w(json::object(), false);
  const std::string in = json{{"id", w.tenant_id}}.dump();
  Buf a, b;
  REQUIRE(loy_admin_call(w.admin, "tenant.get", in.data(), in.size(), a.out()) == LOY_OK);
  REQUIRE(loy_tenant_get(w.admin, in.data(), in.size(), b.out()) == LOY_OK);
  CHECK(a.text() == b.text());

  Buf out;
  CHECK(loy_admin_call(w.admin, "tenant.explode", "{}", 2, out.out()) == LOY_EINVALID);
  CHECK(out.empty());
  CHECK(last_error().field() == "operation");
  // Session operations are not admin operations.
  CHECK(loy_admin_call(w.admin, "ledger.earn", "{}", 2, out.out()) == LOY_EINVALID);
  CHECK(last_error().field() == "operation");
}
