// C ABI, loyalty.h "Sessions": loy_session_open/free/info, loy_apikey_*, scopes, tenant isolation
// and loy_session_call.
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "capi_support.hpp"

using namespace capitest;

TEST_CASE("sessions: loy_session_open checks its arguments") {
  World w(json::object(), false);
  loy_session* s = reinterpret_cast<loy_session*>(&w);
  CHECK(loy_session_open(nullptr, w.api_key.data(), w.api_key.size(), &s) == LOY_EMISUSE);
  CHECK(s == nullptr);
  s = reinterpret_cast<loy_session*>(&w);
  CHECK(loy_session_open(w.engine, nullptr, 65, &s) == LOY_EMISUSE);
  CHECK(s == nullptr);
  CHECK(loy_session_open(w.engine, w.api_key.data(), w.api_key.size(), nullptr) == LOY_EMISUSE);
  REQUIRE(loy_error_last() != nullptr);
  CHECK(loy_error_last()->code == LOY_EMISUSE);
}

TEST_CASE("sessions: unknown, malformed and truncated API keys are LOY_EFORBIDDEN") {
  World w(json::object(), false);
  std::string tampered = w.api_key;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  for (const std::string& key : {std::string(), std::string("loy_"), std::string("not-a-key"), tampered,
                                 w.api_key.substr(0, w.api_key.size() - 1), w.api_key + "x"}) {
    CAPTURE(key);
    loy_session* s = reinterpret_cast<loy_session*>(&w);
    CHECK(loy_session_open(w.engine, key.data(), key.size(), &s) == LOY_EFORBIDDEN);
    CHECK(s == nullptr);
    CHECK(last_error().code == LOY_EFORBIDDEN);
  }
}

TEST_CASE("sessions: every session function refuses NULL arguments with LOY_EMISUSE before running") {
  World w;
  const std::string c = w.enroll("c1");
  for (const auto& op : kSessionOps) check_null_arguments(op.fn, w.session, op.name);

  // A write with a NULL out changed nothing.
  const std::string earn = json{{"customer_id", c}, {"points", 10}}.dump();
  CHECK(loy_ledger_earn(w.session, earn.data(), earn.size(), nullptr) == LOY_EMISUSE);
  CHECK(w.balance(c)["balance"] == 0);

  Buf out;
  CHECK(loy_session_call(w.session, nullptr, "{}", 2, out.out()) == LOY_EMISUSE);
  CHECK(out.empty());
  CHECK(loy_session_call(nullptr, "session.info", "{}", 2, out.out()) == LOY_EMISUSE);
  CHECK(loy_session_call(w.session, "session.info", nullptr, 0, out.out()) == LOY_EMISUSE);
  CHECK(loy_session_call(w.session, "session.info", "{}", 2, nullptr) == LOY_EMISUSE);
  CHECK(loy_session_call(w.session, "ledger.earn", earn.data(), earn.size(), nullptr) == LOY_EMISUSE);
  CHECK(w.balance(c)["balance"] == 0);
}

TEST_CASE("sessions: session.info names the tenant, the key and its scopes") {
  World w(json::object(), false);
  for (const auto& op : ops_with_prefix(kSessionOps, "session.")) check_input_contract(op.fn, w.session, op.name);
  json info = ok(loy_session_info, w.session, json::object());
  CHECK(info["tenant"]["id"] == w.tenant_id);
  CHECK(info["key_id"] == w.tenant["api_key"]["id"]);
  CHECK(info["scopes"] == json{"admin"});
}

TEST_CASE("keys: create, list (never secrets) and revoke; revocation ends the key's sessions") {
  World w;
  for (const auto& op : ops_with_prefix(kSessionOps, "apikey.")) check_input_contract(op.fn, w.session, op.name);
  std::string key_id;
  loy_session* pos = w.session_with({"pos"}, &key_id);
  const std::string c = w.enroll("c1");
  ok(loy_ledger_earn, pos, json{{"customer_id", c}, {"points", 3}});

  json list = ok(loy_apikey_list, w.session, json::object());
  REQUIRE(list["items"].size() == 2);
  for (const auto& k : list["items"]) {
    CHECK_FALSE(k.contains("key"));
    CHECK(k["revoked_at"].is_null());
  }
  CHECK(list["items"][1]["id"] == key_id);
  CHECK(list["items"][1]["last_used_at"] == kStartText);

  json r = ok(loy_apikey_revoke, w.session, json{{"id", key_id}});
  CHECK(r["revoked_at"] == kStartText);
  CHECK(ok(loy_apikey_revoke, w.session, json{{"id", key_id}})["revoked_at"] == kStartText);  // idempotent
  CHECK(ok(loy_apikey_list, w.session, json::object())["items"].size() == 1);
  CHECK(ok(loy_apikey_list, w.session, json{{"include_revoked", true}})["items"].size() == 2);
  CHECK(fail(loy_apikey_revoke, w.session, json{{"id", "key_missing"}}).rc == LOY_ENOTFOUND);

  // The open session of the revoked key fails its next write.
  Failure f = fail(loy_ledger_earn, pos, json{{"customer_id", c}, {"points", 3}});
  CHECK(f.rc == LOY_EFORBIDDEN);
  CHECK(w.balance(c)["balance"] == 3);
  loy_session_free(pos);

  Failure bad = fail(loy_apikey_create, w.session, json{{"scopes", json::array()}});
  CHECK(bad.rc == LOY_EINVALID);
  CHECK(bad.field() == "scopes");
  bad = fail(loy_apikey_create, w.session, json{{"scopes", {"pos", "superuser"}}});
  CHECK(bad.rc == LOY_EINVALID);
  CHECK(bad.field() == "scopes[1]");
}

TEST_CASE("sessions: scopes limit what a session may do") {
  World w;
  const std::string c = w.enroll("c1");
  SessionGuard read(w.session_with({"read"}));
  SessionGuard pos(w.session_with({"pos"}));

  // read: reads only
  CHECK(ok(loy_ledger_balance, read.s, json{{"customer_id", c}})["balance"] == 0);
  Failure f = fail(loy_ledger_earn, read.s, json{{"customer_id", c}, {"points", 1}});
  CHECK(f.rc == LOY_EFORBIDDEN);
  CHECK(f.field() == "scope");
  CHECK(fail(loy_customer_enroll, read.s, json{{"external_id", "c2"}}).rc == LOY_EFORBIDDEN);
  // pos: earn and read, not administration
  ok(loy_ledger_earn, pos.s, json{{"customer_id", c}, {"points", 5}});
  CHECK(ok(loy_ledger_balance, pos.s, json{{"customer_id", c}})["balance"] == 5);
  CHECK(fail(loy_ledger_adjust, pos.s, json{{"customer_id", c}, {"points", 5}, {"reason", "x"}}).rc == LOY_EFORBIDDEN);
  CHECK(fail(loy_program_create, pos.s, json{{"name", "P"}, {"currency", "EUR"}}).rc == LOY_EFORBIDDEN);
  CHECK(fail(loy_apikey_list, pos.s, json::object()).rc == LOY_EFORBIDDEN);
  CHECK(fail(loy_audit_list, pos.s, json::object()).rc == LOY_EFORBIDDEN);
  CHECK(w.balance(c)["balance"] == 5);
}

TEST_CASE("sessions: another tenant's objects are not found") {
  World w;
  const std::string c = w.enroll("c1");
  const json e = w.earn(c, 10);
  std::string other_program;
  SessionGuard other(w.other_tenant("Rival", &other_program));

  CHECK(fail(loy_customer_get, other.s, json{{"id", c}}).rc == LOY_ENOTFOUND);
  CHECK(fail(loy_customer_get, other.s, json{{"external_id", "c1"}}).rc == LOY_ENOTFOUND);
  CHECK(fail(loy_ledger_balance, other.s, json{{"customer_id", c}}).rc == LOY_ENOTFOUND);
  CHECK(fail(loy_ledger_earn, other.s, json{{"customer_id", c}, {"points", 1}}).rc == LOY_ENOTFOUND);
  CHECK(fail(loy_ledger_entry, other.s, json{{"id", e["entry"]["id"]}}).rc == LOY_ENOTFOUND);
  CHECK(fail(loy_program_get, other.s, json{{"id", w.program_id}}).rc == LOY_ENOTFOUND);
  CHECK(fail(loy_program_get, w.session, json{{"id", other_program}}).rc == LOY_ENOTFOUND);
  CHECK(fail(loy_apikey_revoke, other.s, json{{"id", w.tenant["api_key"]["id"]}}).rc == LOY_ENOTFOUND);
  CHECK(ok(loy_customer_list, other.s, json::object())["items"].empty());
  CHECK(w.balance(c)["balance"] == 10);
}

TEST_CASE("sessions: loy_session_call runs any session operation by name") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 7);
  const std::string in = json{{"customer_id", c}}.dump();
  Buf a, b;
  REQUIRE(loy_session_call(w.session, "ledger.balance", in.data(), in.size(), a.out()) == LOY_OK);
  REQUIRE(loy_ledger_balance(w.session, in.data(), in.size(), b.out()) == LOY_OK);
  CHECK(a.text() == b.text());
  CHECK(a.parse()["balance"] == 7);

  Buf out;
  CHECK(loy_session_call(w.session, "ledger.steal", "{}", 2, out.out()) == LOY_EINVALID);
  CHECK(out.empty());
  CHECK(last_error().field() == "operation");
  // Admin operations cannot be reached through a session.
  CHECK(loy_session_call(w.session, "tenant.create", "{\"name\":\"x\"}", 12, out.out()) == LOY_EINVALID);
  CHECK(last_error().field() == "operation");
  CHECK(loy_session_call(w.session, "", "{}", 2, out.out()) == LOY_EINVALID);
}

TEST_CASE("sessions: one session per thread on a shared engine") {
  World w;
  constexpr int kThreads = 4;
  constexpr int kEarns = 25;
  std::vector<std::string> customers;
  for (int n = 0; n < kThreads; ++n) customers.push_back(w.enroll("t" + std::to_string(n)));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int n = 0; n < kThreads; ++n) {
    threads.emplace_back([&, n] {
      loy_session* s = nullptr;
      if (loy_session_open(w.engine, w.api_key.data(), w.api_key.size(), &s) != LOY_OK) {
        failures.fetch_add(1);
        return;
      }
      for (int i = 0; i < kEarns; ++i) {
        const std::string in = json{{"customer_id", customers[static_cast<size_t>(n)]},
                                    {"points", 2},
                                    {"idempotency_key", "k" + std::to_string(n) + "-" + std::to_string(i)}}
                                   .dump();
        loy_buf out = LOY_BUF_INIT;
        if (loy_ledger_earn(s, in.data(), in.size(), &out) != LOY_OK) failures.fetch_add(1);
        loy_buf_dispose(&out);
      }
      loy_session_free(s);
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures.load() == 0);
  for (const auto& c : customers) CHECK(w.balance(c)["balance"] == 2 * kEarns);
  w.require_verified();
}
