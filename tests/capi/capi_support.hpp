// Helpers for the C API tests. They use only the exported C ABI (loyalty.h, loyalty/sys/clock.h);
// results are parsed with nlohmann::json (header-only), never with the engine's C++ types.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "loyalty.h"
#include "loyalty/sys/clock.h"

namespace capitest {

using nlohmann::json;

inline constexpr const char* kAdminKey = "capi-test-admin-credential-0123456789";
/// 2026-03-01T12:00:00Z
inline constexpr int64_t kStart = 1772366400000;
inline constexpr const char* kStartText = "2026-03-01T12:00:00.000Z";
inline constexpr int64_t kDay = 86'400'000;

/// A clock for loy_sys_clock that moves only when told to; thread-safe.
struct PinnedClock {
  std::atomic<int64_t> now{kStart};
  std::atomic<int> reads{0};

  static int64_t now_ms(void* ctx) {
    auto* self = static_cast<PinnedClock*>(ctx);
    self->reads.fetch_add(1);
    return self->now.load();
  }
  loy_sys_clock as_c() { return loy_sys_clock{LOY_SYS_CLOCK_VERSION, this, &PinnedClock::now_ms}; }
};

/// A loy_buf released at scope exit.
struct Buf {
  loy_buf b = LOY_BUF_INIT;
  Buf() = default;
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  ~Buf() { loy_buf_dispose(&b); }
  loy_buf* out() { return &b; }
  bool empty() const { return b.data == nullptr && b.len == 0; }
  std::string text() const { return b.data ? std::string(b.data, b.len) : std::string(); }
  json parse() const { return json::parse(text()); }
};

/// A copy of the calling thread's last error (loy_error_last()), or code 0 when there is none.
struct LastError {
  bool present = false;
  int code = 0;
  std::string message;
  json detail;

  std::string field() const {
    return detail.is_object() && detail.contains("field") && detail["field"].is_string()
               ? detail["field"].get<std::string>()
               : std::string();
  }
};

inline LastError last_error() {
  LastError e;
  const loy_error* err = loy_error_last();
  if (!err) return e;
  e.present = true;
  e.code = err->code;
  REQUIRE(err->message != nullptr);
  REQUIRE(err->detail_json != nullptr);
  e.message = err->message;
  e.detail = json::parse(err->detail_json, nullptr, false);
  return e;
}

template <typename H>
using OpFn = int (*)(H*, const char*, size_t, loy_buf*);

/// A named JSON operation of the C ABI (for table-driven tests).
template <typename H>
struct Op {
  const char* name;  // the dispatch name, as in loy_session_call / loy_admin_call
  OpFn<H> fn;
};

/// Every session operation of loyalty.h with its dispatch name. Keep in step with loyalty.h: the
/// features test requires exactly these names in loy_features().
inline const Op<loy_session> kSessionOps[] = {
    {"session.info", loy_session_info},
    {"apikey.create", loy_apikey_create},
    {"apikey.list", loy_apikey_list},
    {"apikey.revoke", loy_apikey_revoke},
    {"program.create", loy_program_create},
    {"program.get", loy_program_get},
    {"program.list", loy_program_list},
    {"program.update", loy_program_update},
    {"program.activate", loy_program_activate},
    {"program.deactivate", loy_program_deactivate},
    {"customer.enroll", loy_customer_enroll},
    {"customer.get", loy_customer_get},
    {"customer.update", loy_customer_update},
    {"customer.export", loy_customer_export},
    {"customer.erase", loy_customer_erase},
    {"customer.list", loy_customer_list},
    {"ledger.earn", loy_ledger_earn},
    {"ledger.earn_batch", loy_ledger_earn_batch},
    {"ledger.adjust", loy_ledger_adjust},
    {"ledger.reverse", loy_ledger_reverse},
    {"ledger.redeem", loy_ledger_redeem},
    {"ledger.refund", loy_ledger_refund},
    {"ledger.confirm", loy_ledger_confirm},
    {"ledger.balance", loy_ledger_balance},
    {"ledger.history", loy_ledger_history},
    {"ledger.expiring", loy_ledger_expiring},
    {"ledger.entry", loy_ledger_entry},
    {"ledger.run_due", loy_ledger_run_due},
    {"ledger.verify", loy_ledger_verify},
    {"hold.create", loy_hold_create},
    {"hold.commit", loy_hold_commit},
    {"hold.void", loy_hold_void},
    {"hold.get", loy_hold_get},
    {"tier.policy.set", loy_tier_policy_set},
    {"tier.policy.get", loy_tier_policy_get},
    {"tier.create", loy_tier_create},
    {"tier.get", loy_tier_get},
    {"tier.list", loy_tier_list},
    {"tier.update", loy_tier_update},
    {"tier.assign", loy_tier_assign},
    {"tier.status", loy_tier_status},
    {"tier.history", loy_tier_history},
    {"audit.list", loy_audit_list},
    {"audit.verify", loy_audit_verify},
    {"rule.create", loy_rule_create},
    {"rule.get", loy_rule_get},
    {"rule.list", loy_rule_list},
    {"rule.update", loy_rule_update},
    {"rule.activate", loy_rule_activate},
    {"rule.deactivate", loy_rule_deactivate},
    {"purchase.submit", loy_purchase_submit},
    {"purchase.dry_run", loy_purchase_dry_run},
    {"purchase.return", loy_purchase_return},
    {"location.create", loy_location_create},
    {"location.get", loy_location_get},
    {"location.list", loy_location_list},
    {"location.update", loy_location_update},
    {"location.deactivate", loy_location_deactivate},
    {"location.nearby", loy_location_nearby},
    {"location.within", loy_location_within},
    {"checkin.submit", loy_checkin_submit},
    {"checkin.get", loy_checkin_get},
    {"checkin.list", loy_checkin_list},
    {"reward.create", loy_reward_create},
    {"reward.get", loy_reward_get},
    {"reward.list", loy_reward_list},
    {"reward.update", loy_reward_update},
    {"reward.deactivate", loy_reward_deactivate},
    {"reward.stock", loy_reward_stock},
    {"reward.redeem", loy_reward_redeem},
    {"reward.reserve", loy_reward_reserve},
    {"redemption.fulfil", loy_redemption_fulfil},
    {"redemption.cancel", loy_redemption_cancel},
    {"redemption.get", loy_redemption_get},
    {"redemption.by_code", loy_redemption_by_code},
    {"redemption.list", loy_redemption_list},
    {"ai.configure", loy_ai_configure},
    {"ai.settings", loy_ai_settings},
    {"ai.recommendations", loy_ai_recommendations},
    {"ai.churn", loy_ai_churn},
    {"ai.segments", loy_ai_segments},
    {"ai.feedback", loy_ai_feedback},
    {"ai.location_insights", loy_ai_location_insights},
    {"ai.refresh", loy_ai_refresh},
    {"analytics.overview", loy_analytics_overview},
};

/// Every admin operation of loyalty.h with its dispatch name.
inline const Op<loy_admin> kAdminOps[] = {
    {"tenant.create", loy_tenant_create},
    {"tenant.get", loy_tenant_get},
    {"tenant.list", loy_tenant_list},
    {"tenant.update", loy_tenant_update},
    {"tenant.deactivate", loy_tenant_deactivate},
    {"tenant.activate", loy_tenant_activate},
    {"apikey.create", loy_tenant_apikey_create},
    {"audit.list", loy_admin_audit_list},
    {"audit.verify", loy_admin_audit_verify},
};

/// The operations of `table` whose dispatch name starts with `prefix` ("ledger.").
template <typename H, size_t N>
std::vector<Op<H>> ops_with_prefix(const Op<H> (&table)[N], const std::string& prefix) {
  std::vector<Op<H>> out;
  for (const auto& op : table)
    if (std::string(op.name).rfind(prefix, 0) == 0) out.push_back(op);
  return out;
}

/// Calls `fn` and requires LOY_OK; returns the parsed result.
template <typename H>
json ok(OpFn<H> fn, H* h, const json& in) {
  const std::string text = in.dump();
  Buf out;
  const int rc = fn(h, text.data(), text.size(), out.out());
  if (rc != LOY_OK) {
    const LastError e = last_error();
    FAIL_CHECK("expected LOY_OK for " << text << ", got " << loy_status_str(rc) << ": " << e.message << " "
                                      << e.detail.dump());
    return json();
  }
  CHECK(loy_error_last() == nullptr);
  REQUIRE(out.b.data != nullptr);
  CHECK(out.b.data[out.b.len] == '\0');
  return out.parse();
}

/// Result of a call expected to fail.
struct Failure {
  int rc = LOY_OK;
  LastError error;
  std::string field() const { return error.field(); }
};

/// Calls `fn` with raw text; requires a failure that set the last error with the same code, and an
/// empty `out`. A garbage pointer is put in `out` first to check that it is reset.
template <typename H>
Failure fail_text(OpFn<H> fn, H* h, const std::string& text) {
  static char sentinel = 'x';
  loy_buf out{&sentinel, 1};
  Failure f;
  f.rc = fn(h, text.data(), text.size(), &out);
  CHECK_MESSAGE(f.rc != LOY_OK, "expected a failure for " << text);
  if (f.rc == LOY_OK) {
    loy_buf_dispose(&out);
    return f;
  }
  CHECK(out.data == nullptr);
  CHECK(out.len == 0);
  f.error = last_error();
  CHECK(f.error.present);
  CHECK(f.error.code == f.rc);
  CHECK(f.error.detail.is_object());
  return f;
}

template <typename H>
Failure fail(OpFn<H> fn, H* h, const json& in) {
  return fail_text(fn, h, in.dump());
}

/// Checks the NULL-argument contract of a (subject, json, len, out) function: each NULL is
/// LOY_EMISUSE and out is left empty. `payload` is a valid input for the operation.
template <typename H>
void check_null_arguments(OpFn<H> fn, H* h, const char* name, const std::string& payload = "{}") {
  CAPTURE(name);
  static char sentinel = 'x';
  {
    loy_buf out{&sentinel, 1};
    CHECK(fn(nullptr, payload.data(), payload.size(), &out) == LOY_EMISUSE);
    CHECK(out.data == nullptr);
    CHECK(out.len == 0);
    REQUIRE(loy_error_last() != nullptr);
    CHECK(loy_error_last()->code == LOY_EMISUSE);
  }
  {
    loy_buf out{&sentinel, 1};
    CHECK(fn(h, nullptr, 0, &out) == LOY_EMISUSE);
    CHECK(out.data == nullptr);
    CHECK(out.len == 0);
  }
  {
    loy_buf out{&sentinel, 1};
    CHECK(fn(h, nullptr, 5, &out) == LOY_EMISUSE);
    CHECK(out.data == nullptr);
  }
  CHECK(fn(h, payload.data(), payload.size(), nullptr) == LOY_EMISUSE);
  REQUIRE(loy_error_last() != nullptr);
  CHECK(loy_error_last()->code == LOY_EMISUSE);
}

/// The common input contract of a JSON operation: malformed JSON, a non-object and an unknown
/// field are LOY_EINVALID (the unknown field named in detail_json).
template <typename H>
void check_input_contract(OpFn<H> fn, H* h, const char* name) {
  CAPTURE(name);
  for (const char* bad : {"", "{", "{\"a\":}", "nul", "{\"a\":1,}", "\xff"}) {
    CAPTURE(bad);
    Failure f = fail_text(fn, h, bad);
    CHECK(f.rc == LOY_EINVALID);
  }
  for (const char* not_object : {"[]", "\"text\"", "42", "null"}) {
    CAPTURE(not_object);
    CHECK(fail_text(fn, h, not_object).rc == LOY_EINVALID);
  }
  Failure f = fail(fn, h, json{{"no_such_field_xyz", 1}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "no_such_field_xyz");
  // Refused by the parser before any field is read, naming the field: a key given twice, a number
  // a double cannot hold, an integer outside int64 (it would wrap to a negative number).
  for (const char* bad : {R"({"x_dup": 5, "x_dup": 7})", R"({"x_dup": 1e400})", R"({"x_dup": 18446744073709551615})",
                          R"({"x_dup": 9223372036854775808})"}) {
    CAPTURE(bad);
    Failure d = fail_text(fn, h, bad);
    CHECK(d.rc == LOY_EINVALID);
    CHECK(d.field() == "x_dup");
  }
}

struct EngineDeleter {
  void operator()(loy_engine* e) const { loy_engine_free(e); }
};

/// Opens an engine on `uri` with the pinned clock and the test admin key; requires success.
inline loy_engine* open_engine(PinnedClock& clock, const char* uri = ":memory:", const char* admin_key = kAdminKey) {
  loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
  opts.uri = uri;
  opts.admin_key = admin_key;
  const loy_sys_clock c = clock.as_c();
  opts.clock = &c;
  loy_engine* e = nullptr;
  const int rc = loy_engine_open(&opts, &e);
  if (rc != LOY_OK) FAIL("loy_engine_open: " << loy_status_str(rc) << ": " << last_error().message);
  REQUIRE(e != nullptr);
  return e;
}

inline loy_admin* open_admin(loy_engine* e, const char* key = kAdminKey) {
  loy_admin* a = nullptr;
  const int rc = loy_admin_open(e, key, std::char_traits<char>::length(key), &a);
  if (rc != LOY_OK) FAIL("loy_admin_open: " << loy_status_str(rc) << ": " << last_error().message);
  return a;
}

inline loy_session* open_session(loy_engine* e, const std::string& key) {
  loy_session* s = nullptr;
  const int rc = loy_session_open(e, key.data(), key.size(), &s);
  if (rc != LOY_OK) FAIL("loy_session_open: " << loy_status_str(rc) << ": " << last_error().message);
  return s;
}

/// An engine on a pinned clock with one tenant (admin-scoped session) and one program.
struct World {
  PinnedClock clock;  // outlives the engine: declared first
  loy_engine* engine = nullptr;
  loy_admin* admin = nullptr;
  loy_session* session = nullptr;
  json tenant;  // {tenant, api_key}
  std::string tenant_id;
  std::string api_key;
  std::string program_id;

  /// `program` is merged into a default program {name: "Club", currency: "EUR"}; `with_program`
  /// false creates none.
  explicit World(const json& program = json::object(), bool with_program = true, const char* uri = ":memory:") {
    engine = open_engine(clock, uri);
    admin = open_admin(engine);
    tenant = ok(loy_tenant_create, admin, json{{"name", "Acme Coffee"}});
    tenant_id = tenant["tenant"]["id"].get<std::string>();
    api_key = tenant["api_key"]["key"].get<std::string>();
    session = open_session(engine, api_key);
    if (with_program) {
      json p = {{"name", "Club"}, {"currency", "EUR"}};
      p.update(program);
      program_id = ok(loy_program_create, session, p)["id"].get<std::string>();
    }
  }
  World(const World&) = delete;
  World& operator=(const World&) = delete;
  ~World() {
    loy_session_free(session);
    loy_admin_free(admin);
    loy_engine_free(engine);
  }

  std::string enroll(const std::string& external_id) const {
    return ok(loy_customer_enroll, session, json{{"external_id", external_id}})["id"].get<std::string>();
  }
  json earn(const std::string& customer, int64_t points, const json& extra = json::object()) const {
    json in = {{"customer_id", customer}, {"points", points}};
    in.update(extra);
    return ok(loy_ledger_earn, session, in);
  }
  json balance(const std::string& customer) const {
    return ok(loy_ledger_balance, session, json{{"customer_id", customer}});
  }
  /// Creates a key with `scopes` for this tenant and opens a session with it (caller frees).
  loy_session* session_with(std::initializer_list<const char*> scopes, std::string* key_id = nullptr) const {
    json s = json::array();
    for (const char* sc : scopes) s.push_back(sc);
    json key = ok(loy_apikey_create, session, json{{"name", "scoped"}, {"scopes", s}});
    if (key_id) *key_id = key["id"].get<std::string>();
    return open_session(engine, key["key"].get<std::string>());
  }
  /// Another tenant on the same engine with its own program; returns its admin session (caller frees).
  loy_session* other_tenant(const std::string& name, std::string* program = nullptr) const {
    json t = ok(loy_tenant_create, admin, json{{"name", name}});
    loy_session* s = open_session(engine, t["api_key"]["key"].get<std::string>());
    json p = ok(loy_program_create, s, json{{"name", "Other club"}, {"currency", "USD"}});
    if (program) *program = p["id"].get<std::string>();
    return s;
  }
  void require_verified() const {
    json v = ok(loy_ledger_verify, session, json::object());
    INFO(v.dump());
    REQUIRE(v["ok"] == true);
  }
};

/// A session freed at scope exit.
struct SessionGuard {
  loy_session* s;
  explicit SessionGuard(loy_session* session) : s(session) {}
  SessionGuard(const SessionGuard&) = delete;
  SessionGuard& operator=(const SessionGuard&) = delete;
  ~SessionGuard() { loy_session_free(s); }
};

}  // namespace capitest
