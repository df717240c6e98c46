// C ABI, loyalty.h "Library" and "Engine": version and features, status codes, the thread-local
// last error, buffers, engine options (clock, log sink), closing and freeing handles.
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "capi_support.hpp"
#include "loyalty/version.h"

using namespace capitest;

#if !defined(LOY_TEST_VERSION) || !defined(LOY_TEST_ABI_VERSION)
#error "LOY_TEST_VERSION and LOY_TEST_ABI_VERSION come from the VERSION file via CMake"
#endif

namespace {

// The status values are pinned forever (DESIGN.md section 3): renumbering one breaks every binding.
static_assert(LOY_OK == 0);
static_assert(LOY_ERROR == -1);
static_assert(LOY_EINVALID == -2);
static_assert(LOY_ENOTFOUND == -3);
static_assert(LOY_ECONFLICT == -4);
static_assert(LOY_EINSUFFICIENT == -5);
static_assert(LOY_EOUTOFSTOCK == -6);
static_assert(LOY_ELIMIT == -7);
static_assert(LOY_EFORBIDDEN == -8);
static_assert(LOY_EUNAVAILABLE == -9);
static_assert(LOY_EBUSY == -10);
static_assert(LOY_ESTORAGE == -11);
static_assert(LOY_EMISUSE == -12);
static_assert(LOY_ENOMEM == -13);
static_assert(LOY_LOG_DEBUG == 0 && LOY_LOG_INFO == 1 && LOY_LOG_WARN == 2 && LOY_LOG_ERROR == 3);
static_assert(LOY_SYNC_FULL == 0 && LOY_SYNC_NORMAL == 1);

struct LogSink {
  std::mutex mutex;
  std::vector<std::pair<int, std::string>> messages;

  static void fn(void* ctx, int level, const char* message) {
    auto* self = static_cast<LogSink*>(ctx);
    std::lock_guard<std::mutex> lock(self->mutex);
    self->messages.emplace_back(level, message);
  }
  bool has(int level, const std::string& fragment) {
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& [l, m] : messages)
      if (l == level && m.find(fragment) != std::string::npos) return true;
    return false;
  }
};

/// A fresh temporary directory, removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/loy-capi-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Library

TEST_CASE("library: version number, string and ABI version agree with the VERSION file") {
  CHECK(std::string(loy_version_string()) == LOY_TEST_VERSION);
  CHECK(loy_abi_version() == LOY_TEST_ABI_VERSION);
  int major = -1, minor = -1, patch = -1;
  REQUIRE(std::sscanf(LOY_TEST_VERSION, "%d.%d.%d", &major, &minor, &patch) == 3);
  CHECK(loy_version_number() == major * 1000000 + minor * 1000 + patch);
  // The installed generated header agrees with the library.
  CHECK(std::string(LOY_VERSION_STRING) == loy_version_string());
  CHECK(LOY_VERSION_NUMBER == loy_version_number());
  CHECK(LOY_ABI_VERSION == loy_abi_version());
  // Static storage: the same pointer every time.
  CHECK(loy_version_string() == loy_version_string());
}

TEST_CASE("library: loy_features is a JSON object naming the version and every operation") {
  const char* text = loy_features();
  REQUIRE(text != nullptr);
  CHECK(text == loy_features());
  const json f = json::parse(text, nullptr, false);
  REQUIRE_FALSE(f.is_discarded());
  REQUIRE(f.is_object());
  CHECK(f["version"] == LOY_TEST_VERSION);
  CHECK(f["abi"] == LOY_TEST_ABI_VERSION);
  REQUIRE(f["storage"].is_array());
  CHECK(std::find(f["storage"].begin(), f["storage"].end(), "sqlite") != f["storage"].end());

  // Exactly the operations that have a C function, in sorted order.
  std::set<std::string> session, admin;
  for (const auto& op : kSessionOps) session.insert(op.name);
  session.insert("events.poll");  // loy_events_poll(session, after, limit, out): its own signature
  for (const auto& op : kAdminOps) admin.insert(op.name);
  REQUIRE(f["session_operations"].is_array());
  REQUIRE(f["admin_operations"].is_array());
  CHECK(f["session_operations"].get<std::vector<std::string>>() ==
        std::vector<std::string>(session.begin(), session.end()));
  CHECK(f["admin_operations"].get<std::vector<std::string>>() == std::vector<std::string>(admin.begin(), admin.end()));
}

// ---------------------------------------------------------------------------------------------
// Status codes and the last error

TEST_CASE("errors: loy_status_str has static text for every status and for unknown values") {
  const std::pair<int, const char*> expected[] = {
      {LOY_OK, "ok"},
      {LOY_ERROR, "internal error"},
      {LOY_EINVALID, "invalid input"},
      {LOY_ENOTFOUND, "not found"},
      {LOY_ECONFLICT, "conflict"},
      {LOY_EINSUFFICIENT, "insufficient points"},
      {LOY_EOUTOFSTOCK, "out of stock"},
      {LOY_ELIMIT, "limit exceeded"},
      {LOY_EFORBIDDEN, "forbidden"},
      {LOY_EUNAVAILABLE, "unavailable"},
      {LOY_EBUSY, "database busy"},
      {LOY_ESTORAGE, "storage error"},
      {LOY_EMISUSE, "API misuse"},
      {LOY_ENOMEM, "out of memory"},
  };
  std::set<std::string> distinct;
  for (const auto& [code, text] : expected) {
    CAPTURE(code);
    const char* s = loy_status_str(code);
    REQUIRE(s != nullptr);
    CHECK(std::string(s) == text);
    CHECK(s == loy_status_str(code));  // static storage
    distinct.insert(s);
  }
  CHECK(distinct.size() == std::size(expected));
  for (int code : {1, 2, 42, -14, -100, INT_MIN, INT_MAX}) {
    CAPTURE(code);
    REQUIRE(loy_status_str(code) != nullptr);
    CHECK(std::string(loy_status_str(code)) == "unknown status");
  }
}

TEST_CASE("errors: loy_error_last is set by a failure and NULL after a successful call") {
  loy_engine* e = nullptr;
  REQUIRE(loy_engine_open(nullptr, nullptr) == LOY_EMISUSE);
  const loy_error* err = loy_error_last();
  REQUIRE(err != nullptr);
  CHECK(err->code == LOY_EMISUSE);
  REQUIRE(err->message != nullptr);
  CHECK(std::strlen(err->message) > 0);
  REQUIRE(err->detail_json != nullptr);
  CHECK(json::parse(err->detail_json, nullptr, false).is_object());
  CHECK(loy_error_last() == err);  // stable until the next call

  REQUIRE(loy_engine_open(nullptr, &e) == LOY_OK);
  CHECK(loy_error_last() == nullptr);

  // A failure then a success on a JSON operation.
  loy_admin* a = nullptr;
  CHECK(loy_admin_open(e, "x", 1, &a) == LOY_EFORBIDDEN);
  CHECK(a == nullptr);
  REQUIRE(loy_error_last() != nullptr);
  CHECK(loy_error_last()->code == LOY_EFORBIDDEN);
  CHECK(loy_engine_close(e) == LOY_OK);
  CHECK(loy_error_last() == nullptr);

  // loy_error_clear forgets the error.
  CHECK(loy_engine_close(nullptr) == LOY_EMISUSE);
  REQUIRE(loy_error_last() != nullptr);
  loy_error_clear();
  CHECK(loy_error_last() == nullptr);
  loy_engine_free(e);
}

TEST_CASE("errors: the last error is thread-local") {
  PinnedClock clock;
  loy_engine* e = open_engine(clock);

  // An error on this thread ...
  REQUIRE(loy_engine_open(nullptr, nullptr) == LOY_EMISUSE);
  REQUIRE(loy_error_last() != nullptr);

  // ... is not visible on another thread, whose own error does not replace this one.
  bool other_saw_none = false;
  int other_code = 0;
  std::string other_message;
  std::thread t([&] {
    other_saw_none = loy_error_last() == nullptr;
    loy_admin* a = nullptr;
    const std::string wrong = "wrong-admin-credential-0000000000";
    if (loy_admin_open(e, wrong.data(), wrong.size(), &a) == LOY_EFORBIDDEN && loy_error_last()) {
      other_code = loy_error_last()->code;
      other_message = loy_error_last()->message;
    }
    loy_admin_free(a);
  });
  t.join();
  CHECK(other_saw_none);
  CHECK(other_code == LOY_EFORBIDDEN);
  CHECK(other_message.find("admin") != std::string::npos);
  REQUIRE(loy_error_last() != nullptr);
  CHECK(loy_error_last()->code == LOY_EMISUSE);

  // A success on another thread does not clear this thread's error either.
  std::thread t2([&] {
    loy_admin* a = nullptr;
    if (loy_admin_open(e, kAdminKey, std::strlen(kAdminKey), &a) == LOY_OK) loy_admin_free(a);
  });
  t2.join();
  REQUIRE(loy_error_last() != nullptr);
  CHECK(loy_error_last()->code == LOY_EMISUSE);

  // Many threads failing differently at once each read their own error.
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int n = 0; n < 8; ++n) {
    threads.emplace_back([&, n] {
      for (int i = 0; i < 200; ++i) {
        int rc = 0;
        int expected = 0;
        if ((n + i) % 2 == 0) {
          expected = LOY_EMISUSE;
          rc = loy_engine_close(nullptr);
        } else {
          expected = LOY_EFORBIDDEN;
          loy_admin* a = nullptr;
          rc = loy_admin_open(e, "nope", 4, &a);
        }
        const loy_error* err = loy_error_last();
        if (rc != expected || !err || err->code != expected) mismatches.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(mismatches.load() == 0);
  loy_engine_free(e);
}

TEST_CASE("errors: an unknown field is LOY_EINVALID with detail_json naming it") {
  World w;
  Failure f = fail(loy_program_create, w.session, json{{"name", "P2"}, {"currency", "EUR"}, {"colour", "red"}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.error.detail == json{{"field", "colour"}});
  CHECK(f.error.message.find("colour") != std::string::npos);
  // Nested fields are named by path.
  f = fail(loy_program_create, w.session,
           json{{"name", "P2"}, {"currency", "EUR"}, {"expiry", {{"policy", "never"}, {"weeks", 2}}}});
  CHECK(f.rc == LOY_EINVALID);
  CHECK(f.field() == "expiry.weeks");
  // Nothing was created.
  CHECK(ok(loy_program_list, w.session, json::object())["items"].size() == 1);
}

TEST_CASE("errors: malformed JSON is LOY_EINVALID and changes nothing") {
  World w;
  for (const char* bad : {"", " ", "{", "{\"name\":", "{'name':'x'}", "{\"name\":\"x\",}", "[1,2", "\"\xc3\x28\""}) {
    CAPTURE(bad);
    Failure f = fail_text(loy_program_create, w.session, bad);
    CHECK(f.rc == LOY_EINVALID);
    CHECK(f.error.message.find("JSON") != std::string::npos);
  }
  CHECK(ok(loy_program_list, w.session, json::object())["items"].size() == 1);
}

TEST_CASE("errors: JSON input is (pointer, length) and need not be NUL-terminated") {
  World w;
  const std::string padded = "{}garbage that is not JSON";
  Buf out;
  REQUIRE(loy_session_info(w.session, padded.data(), 2, out.out()) == LOY_OK);
  CHECK(out.parse()["tenant"]["id"] == w.tenant_id);
  // The same bytes with the full length are malformed.
  CHECK(fail_text(loy_session_info, w.session, padded).rc == LOY_EINVALID);
}

// ---------------------------------------------------------------------------------------------
// Buffers

TEST_CASE("buffers: loy_buf_dispose is NULL-safe and idempotent") {
  loy_buf_dispose(nullptr);
  loy_buf empty = LOY_BUF_INIT;
  loy_buf_dispose(&empty);
  CHECK(empty.data == nullptr);
  CHECK(empty.len == 0);

  World w;
  loy_buf b = LOY_BUF_INIT;
  REQUIRE(loy_session_info(w.session, "{}", 2, &b) == LOY_OK);
  REQUIRE(b.data != nullptr);
  CHECK(b.len == std::strlen(b.data));  // NUL-terminated, len excludes the NUL
  CHECK(json::parse(b.data, b.data + b.len)["tenant"]["id"] == w.tenant_id);
  loy_buf_dispose(&b);
  CHECK(b.data == nullptr);
  CHECK(b.len == 0);
  loy_buf_dispose(&b);  // again: a no-op
  CHECK(b.data == nullptr);
  CHECK(b.len == 0);
}

// ---------------------------------------------------------------------------------------------
// Engine options

TEST_CASE("engine: NULL options open an in-memory engine with defaults") {
  loy_engine* e = nullptr;
  REQUIRE(loy_engine_open(nullptr, &e) == LOY_OK);
  REQUIRE(e != nullptr);
  // No admin credential was configured, so no administrator can authenticate.
  loy_admin* a = nullptr;
  CHECK(loy_admin_open(e, kAdminKey, std::strlen(kAdminKey), &a) == LOY_EFORBIDDEN);
  CHECK(a == nullptr);
  loy_engine_free(e);
}

TEST_CASE("engine: loy_engine_open with a NULL out is LOY_EMISUSE") {
  loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
  CHECK(loy_engine_open(&opts, nullptr) == LOY_EMISUSE);
  CHECK(loy_engine_open(nullptr, nullptr) == LOY_EMISUSE);
  REQUIRE(loy_error_last() != nullptr);
  CHECK(loy_error_last()->code == LOY_EMISUSE);
}

TEST_CASE("engine: options with an unknown version are LOY_EMISUSE and out stays NULL") {
  for (int version : {0, 3, -1, 1000}) {
    CAPTURE(version);
    loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
    opts.version = version;
    loy_engine* e = reinterpret_cast<loy_engine*>(&opts);  // garbage that must be overwritten
    CHECK(loy_engine_open(&opts, &e) == LOY_EMISUSE);
    CHECK(e == nullptr);
    REQUIRE(loy_error_last() != nullptr);
    CHECK(loy_error_last()->code == LOY_EMISUSE);
    CHECK(std::string(loy_error_last()->message).find("version") != std::string::npos);
  }
}

TEST_CASE("engine: bad option values are LOY_EINVALID naming the option") {
  SUBCASE("synchronous") {
    loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
    opts.synchronous = 7;
    loy_engine* e = nullptr;
    CHECK(loy_engine_open(&opts, &e) == LOY_EINVALID);
    CHECK(e == nullptr);
    CHECK(last_error().field() == "synchronous");
  }
  SUBCASE("admin_key shorter than 16 bytes") {
    loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
    opts.admin_key = "short";
    loy_engine* e = nullptr;
    CHECK(loy_engine_open(&opts, &e) == LOY_EINVALID);
    CHECK(e == nullptr);
    CHECK(last_error().field() == "admin_key");
  }
  SUBCASE("pool_size") {
    for (int pool : {0, -1}) {
      loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
      opts.pool_size = pool;
      loy_engine* e = nullptr;
      CHECK(loy_engine_open(&opts, &e) == LOY_EINVALID);
      CHECK(e == nullptr);
      CHECK(last_error().field() == "pool_size");
    }
  }
  SUBCASE("busy_timeout_ms") {
    loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
    opts.busy_timeout_ms = -5;
    loy_engine* e = nullptr;
    CHECK(loy_engine_open(&opts, &e) == LOY_EINVALID);
    CHECK(e == nullptr);
    CHECK(last_error().field() == "busy_timeout_ms");
  }
  SUBCASE("an unsupported URI scheme") {
    loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
    opts.uri = "postgres://localhost/loyalty";
    loy_engine* e = nullptr;
    CHECK(loy_engine_open(&opts, &e) == LOY_EINVALID);
    CHECK(e == nullptr);
    CHECK(last_error().field() == "uri");
  }
}

TEST_CASE("engine: a storage URI with an encoded NUL (%00) is LOY_EINVALID naming uri, and no file is created") {
  // In C the URI ends at its first NUL byte; SQLite URIs (file:...) decode %00 to one, which would
  // silently cut "a%00b.db" to "a". Refused, for a plain path and behind sqlite://.
  TempDir dir;
  const std::string base = (dir.path / "a").string();
  for (const std::string& uri : {"file:" + base + "%00b.db", "FILE:" + base + "%00b.db",
                                 "sqlite://file:" + base + "%00b.db", "file:" + base + "b.db?mode=rwc%00x"}) {
    CAPTURE(uri);
    loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
    opts.uri = uri.c_str();
    loy_engine* e = nullptr;
    CHECK(loy_engine_open(&opts, &e) == LOY_EINVALID);
    CHECK(e == nullptr);
    CHECK(last_error().field() == "uri");
  }
  CHECK(std::filesystem::is_empty(dir.path));
  // The same path without the escape opens (and creates) the file as usual.
  const std::string ok = "file:" + base + "b.db";
  loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
  opts.uri = ok.c_str();
  loy_engine* e = nullptr;
  REQUIRE(loy_engine_open(&opts, &e) == LOY_OK);
  loy_engine_free(e);
  CHECK(std::filesystem::exists(base + "b.db"));
}

TEST_CASE("engine: master_key (options version 2) is checked; a version-1 struct is read without it") {
  TempDir dir;
  const std::string uri = (dir.path / "k.db").string();
  const std::string key(64, 'a');
  {
    loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
    opts.uri = uri.c_str();
    opts.master_key = key.c_str();
    loy_engine* e = nullptr;
    REQUIRE(loy_engine_open(&opts, &e) == LOY_OK);
    loy_engine_free(e);
  }
  SUBCASE("another key is LOY_EFORBIDDEN naming master_key") {
    const std::string other(64, 'b');
    loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
    opts.uri = uri.c_str();
    opts.master_key = other.c_str();
    loy_engine* e = nullptr;
    CHECK(loy_engine_open(&opts, &e) == LOY_EFORBIDDEN);
    CHECK(e == nullptr);
    CHECK(last_error().field() == "master_key");
  }
  SUBCASE("a malformed key is LOY_EINVALID naming master_key") {
    loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
    opts.uri = uri.c_str();
    opts.master_key = "short";
    loy_engine* e = nullptr;
    CHECK(loy_engine_open(&opts, &e) == LOY_EINVALID);
    CHECK(last_error().field() == "master_key");
  }
  SUBCASE("a version-1 caller's struct ends before master_key: garbage after it is never read") {
    loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
    opts.version = 1;
    opts.uri = uri.c_str();
    opts.master_key = "garbage the version-1 struct does not have";
    loy_engine* e = nullptr;
    CHECK(loy_engine_open(&opts, &e) == LOY_OK);  // opens without a key: personal data unavailable
    loy_engine_free(e);
  }
}

TEST_CASE("engine: an invalid loy_sys_clock is LOY_EMISUSE") {
  PinnedClock clock;
  loy_sys_clock c = clock.as_c();
  loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
  opts.clock = &c;
  loy_engine* e = nullptr;
  SUBCASE("unknown version") { c.version = LOY_SYS_CLOCK_VERSION + 1; }
  SUBCASE("NULL now_ms") { c.now_ms = nullptr; }
  CHECK(loy_engine_open(&opts, &e) == LOY_EMISUSE);
  CHECK(e == nullptr);
  CHECK(clock.reads.load() == 0);
}

TEST_CASE("engine: a database that cannot be opened is LOY_ESTORAGE") {
  loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
  opts.uri = "/nonexistent-directory-for-loyalty-tests/sub/x.db";
  loy_engine* e = nullptr;
  CHECK(loy_engine_open(&opts, &e) == LOY_ESTORAGE);
  CHECK(e == nullptr);
}

TEST_CASE("engine: the injected loy_sys_clock is the engine's time source") {
  World w;
  CHECK(w.clock.reads.load() > 0);
  CHECK(w.tenant["tenant"]["created_at"] == kStartText);
  const std::string c = w.enroll("c1");
  json r = w.earn(c, 10);
  CHECK(r["entry"]["occurred_at"] == kStartText);
  CHECK(r["entry"]["recorded_at"] == kStartText);
  w.clock.now = kStart + kDay + 1500;
  r = w.earn(c, 5);
  CHECK(r["entry"]["occurred_at"] == "2026-03-02T12:00:01.500Z");
  // The clock struct is copied at open: changing the caller's struct afterwards has no effect.
  PinnedClock other;
  other.now = 0;
  loy_sys_clock c2 = other.as_c();
  loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
  opts.clock = &c2;
  opts.admin_key = kAdminKey;
  loy_engine* e = nullptr;
  REQUIRE(loy_engine_open(&opts, &e) == LOY_OK);
  c2.ctx = nullptr;
  c2.now_ms = nullptr;
  loy_admin* a = open_admin(e);
  json t = ok(loy_tenant_create, a, json{{"name", "Epoch"}});
  CHECK(t["tenant"]["created_at"] == "1970-01-01T00:00:00.000Z");
  loy_admin_free(a);
  loy_engine_free(e);
}

TEST_CASE("engine: a clock reading outside 1970..9999 is LOY_EINVALID naming clock and changes nothing") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 10);
  const json before = w.balance(c);
  // 9999-12-31T23:59:59.999Z is the last time the engine can write; one ms later is refused.
  for (const int64_t bad : {int64_t{-1}, INT64_MIN, int64_t{253'402'300'800'000}, INT64_MAX}) {
    CAPTURE(bad);
    w.clock.now = bad;
    // Every session operation reads the clock before its input (the key check), so each refuses.
    for (const auto& op : kSessionOps) {
      CAPTURE(op.name);
      Failure f = fail(op.fn, w.session, json::object());
      CHECK(f.rc == LOY_EINVALID);
      CHECK(f.field() == "clock");
      CHECK(f.error.detail["value"] == bad);
    }
    Failure f = fail(loy_tenant_create, w.admin, json{{"name", "Later"}});
    CHECK(f.rc == LOY_EINVALID);
    CHECK(f.field() == "clock");
  }
  w.clock.now = kStart;
  CHECK(w.balance(c) == before);
  CHECK(ok(loy_tenant_list, w.admin, json::object())["items"].size() == 1);
  // The bounds themselves are accepted.
  w.clock.now = 253'402'300'799'999;
  CHECK(w.enroll("c2").size() > 0);
  CHECK(ok(loy_customer_get, w.session, json{{"external_id", "c2"}})["created_at"] == "9999-12-31T23:59:59.999Z");
}

TEST_CASE("engine: the log callback receives the engine's messages") {
  LogSink sink;
  loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
  opts.log = &LogSink::fn;
  opts.log_ctx = &sink;
  loy_engine* e = nullptr;
  REQUIRE(loy_engine_open(&opts, &e) == LOY_OK);
  CHECK(sink.has(LOY_LOG_INFO, "engine opened"));
  CHECK(sink.has(LOY_LOG_INFO, ":memory:"));
  REQUIRE(loy_engine_close(e) == LOY_OK);
  CHECK(sink.has(LOY_LOG_INFO, "engine closed"));
  {
    std::lock_guard<std::mutex> lock(sink.mutex);
    for (const auto& [level, message] : sink.messages) {
      CHECK(level >= LOY_LOG_DEBUG);
      CHECK(level <= LOY_LOG_ERROR);
    }
  }
  loy_engine_free(e);
}

TEST_CASE("engine: a file database keeps its data and admin credential across engines") {
  TempDir dir;
  const std::string uri = "sqlite://" + (dir.path / "loyalty.db").string();
  std::string api_key;
  {
    PinnedClock clock;
    loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
    opts.uri = uri.c_str();
    opts.admin_key = kAdminKey;
    opts.synchronous = LOY_SYNC_NORMAL;
    const loy_sys_clock c = clock.as_c();
    opts.clock = &c;
    loy_engine* e = nullptr;
    REQUIRE(loy_engine_open(&opts, &e) == LOY_OK);
    loy_admin* a = open_admin(e);
    api_key = ok(loy_tenant_create, a, json{{"name", "Durable"}})["api_key"]["key"].get<std::string>();
    loy_admin_free(a);
    loy_engine_free(e);
  }
  PinnedClock clock;
  loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
  opts.uri = uri.c_str();  // no admin_key: the recorded credential still applies
  const loy_sys_clock c = clock.as_c();
  opts.clock = &c;
  loy_engine* e = nullptr;
  REQUIRE(loy_engine_open(&opts, &e) == LOY_OK);
  loy_admin* a = open_admin(e);
  CHECK(ok(loy_tenant_list, a, json::object())["items"].size() == 1);
  loy_session* s = open_session(e, api_key);
  CHECK(ok(loy_session_info, s, json::object())["tenant"]["name"] == "Durable");
  loy_session_free(s);
  loy_admin_free(a);
  loy_engine_free(e);
}

// ---------------------------------------------------------------------------------------------
// Closing and freeing

TEST_CASE("engine: after loy_engine_close every call on the engine, its admins and sessions is LOY_EMISUSE") {
  World w;
  const std::string c = w.enroll("c1");
  w.earn(c, 10);
  REQUIRE(loy_engine_close(w.engine) == LOY_OK);
  CHECK(loy_engine_close(w.engine) == LOY_OK);  // idempotent

  for (const auto& op : kSessionOps) {
    CAPTURE(op.name);
    CHECK(fail(op.fn, w.session, json::object()).rc == LOY_EMISUSE);
  }
  for (const auto& op : kAdminOps) {
    CAPTURE(op.name);
    CHECK(fail(op.fn, w.admin, json::object()).rc == LOY_EMISUSE);
  }
  Buf out;
  CHECK(loy_session_call(w.session, "ledger.balance", "{}", 2, out.out()) == LOY_EMISUSE);
  CHECK(loy_admin_call(w.admin, "tenant.list", "{}", 2, out.out()) == LOY_EMISUSE);

  loy_session* s = reinterpret_cast<loy_session*>(&w);
  CHECK(loy_session_open(w.engine, w.api_key.data(), w.api_key.size(), &s) == LOY_EMISUSE);
  CHECK(s == nullptr);
  loy_admin* a = reinterpret_cast<loy_admin*>(&w);
  CHECK(loy_admin_open(w.engine, kAdminKey, std::strlen(kAdminKey), &a) == LOY_EMISUSE);
  CHECK(a == nullptr);
  REQUIRE(loy_error_last() != nullptr);
  CHECK(std::string(loy_error_last()->message).find("closed") != std::string::npos);
  // The handles are still freed normally (by ~World).
}

TEST_CASE("engine: loy_engine_close(NULL) is LOY_EMISUSE") {
  CHECK(loy_engine_close(nullptr) == LOY_EMISUSE);
  REQUIRE(loy_error_last() != nullptr);
  CHECK(loy_error_last()->code == LOY_EMISUSE);
}

TEST_CASE("engine: free functions are NULL-safe") {
  loy_engine_free(nullptr);
  loy_admin_free(nullptr);
  loy_session_free(nullptr);
  loy_buf_dispose(nullptr);
  CHECK(true);
}

TEST_CASE("engine: freeing the engine first leaves its sessions and admins usable") {
  PinnedClock clock;
  loy_engine* e = open_engine(clock);
  loy_admin* a = open_admin(e);
  const json t = ok(loy_tenant_create, a, json{{"name", "Orphans"}});
  loy_session* s = open_session(e, t["api_key"]["key"].get<std::string>());
  loy_session* s2 = open_session(e, t["api_key"]["key"].get<std::string>());

  loy_engine_free(e);  // releases the caller's reference only

  ok(loy_program_create, s, json{{"name", "Club"}, {"currency", "EUR"}});
  const std::string c = ok(loy_customer_enroll, s, json{{"external_id", "c1"}})["id"].get<std::string>();
  ok(loy_ledger_earn, s, json{{"customer_id", c}, {"points", 25}});
  CHECK(ok(loy_ledger_balance, s2, json{{"customer_id", c}})["balance"] == 25);
  CHECK(ok(loy_tenant_list, a, json::object())["items"].size() == 1);

  loy_session_free(s);
  loy_admin_free(a);  // the admin after the engine
  CHECK(ok(loy_ledger_balance, s2, json{{"customer_id", c}})["balance"] == 25);
  loy_session_free(s2);  // the last reference: the engine is released here (LeakSanitizer checks)
}

TEST_CASE("engine: handles may be freed in any order") {
  for (int order = 0; order < 6; ++order) {
    CAPTURE(order);
    PinnedClock clock;
    loy_engine* e = open_engine(clock);
    loy_admin* a = open_admin(e);
    const json t = ok(loy_tenant_create, a, json{{"name", "Order"}});
    loy_session* s = open_session(e, t["api_key"]["key"].get<std::string>());
    auto free_engine = [&] { loy_engine_free(e); };
    auto free_admin = [&] { loy_admin_free(a); };
    auto free_session = [&] { loy_session_free(s); };
    switch (order) {
      case 0:
        free_engine(), free_admin(), free_session();
        break;
      case 1:
        free_engine(), free_session(), free_admin();
        break;
      case 2:
        free_admin(), free_engine(), free_session();
        break;
      case 3:
        free_admin(), free_session(), free_engine();
        break;
      case 4:
        free_session(), free_engine(), free_admin();
        break;
      default:
        free_session(), free_admin(), free_engine();
        break;
    }
  }
  CHECK(true);
}
