// The C ABI over the C++ engine: handles, errors, buffers and one thin function per operation.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "guard.hpp"
#include "loyalty.h"
#include "loyalty/ai/host_provider.hpp"
#include "loyalty/core/engine.hpp"
#include "loyalty/sys/ai_provider.h"
#include "loyalty/sys/clock.h"
#include "loyalty/version.h"

struct loy_engine {
  loyalty::Engine engine;
};
struct loy_admin {
  loyalty::Admin admin;
};
struct loy_session {
  loyalty::Session session;
};

namespace loyalty::capi {
namespace {

struct ErrorSlot {
  bool set = false;
  std::string message;
  std::string detail;
  loy_error view{};
};
thread_local ErrorSlot t_error;

/// Adapts a loy_sys_clock to the C++ Clock interface.
class CClock final : public Clock {
 public:
  explicit CClock(const loy_sys_clock& c) : c_(c) {}
  Timestamp now() override { return c_.now_ms(c_.ctx); }

 private:
  loy_sys_clock c_;
};

/// Calls the host's function for `op` and parses its output (which it then frees) with parse_json:
/// malformed or too deeply nested output is Status::invalid naming `provider`.
json call_ai_provider(const loy_ai_provider& p, std::string_view op, const json& input) {
  loy_ai_provider_fn fn = op == "recommendations" ? p.recommendations
                          : op == "churn"         ? p.churn
                          : op == "segmentation"  ? p.segmentation
                          : op == "feedback"      ? p.feedback
                                                  : p.location_insights;
  const std::string text = input.dump();
  char* output = nullptr;
  size_t len = 0;
  const int rc = fn(p.ctx, text.data(), text.size(), &output, &len);
  struct Release {
    const loy_ai_provider& p;
    char* out;
    ~Release() {
      if (out) p.free_output(p.ctx, out);
    }
  } release{p, output};
  if (rc != 0) throw Error(Status::unavailable, "the host AI provider returned " + std::to_string(rc), "provider");
  if (!output) throw Error(Status::invalid, "the host AI provider returned no output", "provider");
  try {
    return loyalty::parse_json(std::string_view(output, len));  // depth-limited, like every input
  } catch (const Error& e) {
    throw Error(Status::invalid, std::string("the host AI provider's output is not JSON: ") + e.what(), "provider");
  }
}

void fill(loy_buf* out, const std::string& text) {
  auto* p = static_cast<char*>(std::malloc(text.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, text.data(), text.size());
  p[text.size()] = '\0';
  out->data = p;
  out->len = text.size();
}

json input(const char* json_text, size_t len) {
  if (!json_text) misuse("json is NULL");
  return loyalty::parse_json(std::string_view(json_text, len));
}

void check_out(loy_buf* out) {
  if (!out) misuse("out is NULL");
  out->data = nullptr;
  out->len = 0;
}

// `out` is emptied first, so it is empty after any failure, including a NULL argument.
int session_op(loy_session* s, const char* op, const char* js, size_t len, loy_buf* out) {
  return guard([&] {
    check_out(out);
    if (!s) misuse("session is NULL");
    if (!op) misuse("op is NULL");
    if (s->session.closed()) misuse("the engine is closed");  // whatever the input
    if (!js) misuse("json is NULL");
    fill(out, s->session.call_raw(op, std::string_view(js, len)));
  });
}

int admin_op(loy_admin* a, const char* op, const char* js, size_t len, loy_buf* out) {
  return guard([&] {
    check_out(out);
    if (!a) misuse("admin is NULL");
    if (!op) misuse("op is NULL");
    if (a->admin.closed()) misuse("the engine is closed");
    fill(out, a->admin.call(op, input(js, len)).dump());
  });
}

}  // namespace

void set_error(int code, const std::string& message, const std::string& detail_json) {
  t_error.set = true;
  t_error.message = message;
  t_error.detail = detail_json;
  t_error.view = {code, t_error.message.c_str(), t_error.detail.c_str()};
}

void set_error_static(int code) noexcept {
  t_error.set = true;
  t_error.view = {code, loy_status_str(code), "{}"};
}

void clear_error() { t_error.set = false; }

void misuse(const char* what) { throw Error(Status::misuse, what); }

}  // namespace loyalty::capi

using loyalty::capi::guard;
using loyalty::capi::misuse;

extern "C" {

int loy_version_number(void) { return LOY_VERSION_NUMBER; }
const char* loy_version_string(void) { return LOY_VERSION_STRING; }
int loy_abi_version(void) { return LOY_ABI_VERSION; }

const char* loy_features(void) {
  static const std::string features = [] {
    loyalty::json j = {{"version", LOY_VERSION_STRING},
                       {"abi", LOY_ABI_VERSION},
                       {"storage", {"sqlite"}},
                       {"session_operations", loyalty::session_operations()},
                       {"admin_operations", loyalty::admin_operations()}};
    return j.dump();
  }();
  return features.c_str();
}

const char* loy_status_str(int status) {
  if (status > 0 || status < LOY_ENOMEM) return "unknown status";
  return loyalty::status_str(static_cast<loyalty::Status>(status));
}

const loy_error* loy_error_last(void) { return loyalty::capi::t_error.set ? &loyalty::capi::t_error.view : nullptr; }

void loy_error_clear(void) { loyalty::capi::clear_error(); }

void loy_buf_dispose(loy_buf* buf) {
  if (!buf) return;
  std::free(buf->data);
  buf->data = nullptr;
  buf->len = 0;
}

int loy_engine_open(const loy_engine_options* opts, loy_engine** out) {
  return guard([&] {
    if (!out) misuse("out is NULL");
    *out = nullptr;
    loyalty::EngineOptions o;
    if (opts) {
      if (opts->version != 1 && opts->version != LOY_ENGINE_OPTIONS_VERSION)
        misuse("unknown loy_engine_options version");
      // Version 1's struct ends before master_key: never read past it.
      if (opts->version >= 2 && opts->master_key) o.master_key = opts->master_key;
      if (opts->uri) o.storage.uri = opts->uri;
      if (opts->admin_key) o.admin_key = opts->admin_key;
      if (opts->synchronous != LOY_SYNC_FULL && opts->synchronous != LOY_SYNC_NORMAL)
        throw loyalty::Error(loyalty::Status::invalid, "synchronous must be LOY_SYNC_FULL or LOY_SYNC_NORMAL",
                             "synchronous");
      o.storage.synchronous = opts->synchronous == LOY_SYNC_FULL ? loyalty::SyncMode::full : loyalty::SyncMode::normal;
      o.storage.busy_timeout_ms = opts->busy_timeout_ms;
      o.storage.pool_size = opts->pool_size;
      o.storage.cache_mb = opts->cache_mb;
      o.storage.wal_autocheckpoint = opts->wal_autocheckpoint;
      if (opts->clock) {
        if (opts->clock->version != LOY_SYS_CLOCK_VERSION || !opts->clock->now_ms)
          misuse("invalid loy_sys_clock (version or now_ms)");
        o.clock = std::make_shared<loyalty::capi::CClock>(*opts->clock);
      }
      if (opts->log) {
        auto fn = opts->log;
        void* ctx = opts->log_ctx;
        o.log = [fn, ctx](loyalty::LogLevel level, std::string_view msg) {
          const std::string text(msg);
          fn(ctx, static_cast<int>(level), text.c_str());
        };
      }
    }
    auto e = std::make_unique<loy_engine>(loy_engine{loyalty::Engine::open(std::move(o))});
    *out = e.release();
  });
}

int loy_engine_close(loy_engine* engine) {
  return guard([&] {
    if (!engine) misuse("engine is NULL");
    engine->engine.close();
  });
}

void loy_engine_free(loy_engine* engine) { std::unique_ptr<loy_engine> owned(engine); }

int loy_admin_open(loy_engine* engine, const char* key, size_t key_len, loy_admin** out) {
  return guard([&] {
    if (!out) misuse("out is NULL");
    *out = nullptr;
    if (!engine) misuse("engine is NULL");
    if (!key) misuse("key is NULL");
    *out = std::make_unique<loy_admin>(loy_admin{engine->engine.admin(std::string_view(key, key_len))}).release();
  });
}

void loy_admin_free(loy_admin* admin) { std::unique_ptr<loy_admin> owned(admin); }

int loy_session_open(loy_engine* engine, const char* api_key, size_t key_len, loy_session** out) {
  return guard([&] {
    if (!out) misuse("out is NULL");
    *out = nullptr;
    if (!engine) misuse("engine is NULL");
    if (!api_key) misuse("api_key is NULL");
    *out = std::make_unique<loy_session>(loy_session{engine->engine.session(std::string_view(api_key, key_len))})
               .release();
  });
}

void loy_session_free(loy_session* session) { std::unique_ptr<loy_session> owned(session); }

int loy_session_call(loy_session* session, const char* op, const char* json, size_t len, loy_buf* out) {
  return loyalty::capi::session_op(session, op, json, len, out);
}

int loy_admin_call(loy_admin* admin, const char* op, const char* json, size_t len, loy_buf* out) {
  return loyalty::capi::admin_op(admin, op, json, len, out);
}

#define LOY_ADMIN_OP(fn, name) \
  int fn(loy_admin* a, const char* j, size_t n, loy_buf* o) { return loyalty::capi::admin_op(a, name, j, n, o); }
#define LOY_SESSION_OP(fn, name) \
  int fn(loy_session* s, const char* j, size_t n, loy_buf* o) { return loyalty::capi::session_op(s, name, j, n, o); }

// The C function of every operation of the catalogue (capi/ops/*.json) but loy_events_poll (its own
// signature, above), generated at build
// time by scripts/catalogue_gen.py.
#include "catalogue/loyalty_ops.inc"

int loy_engine_set_ai_provider(loy_engine* engine, const loy_ai_provider* provider) {
  return guard([&] {
    if (!engine) misuse("engine is NULL");
    if (!provider) {
      loyalty::set_ai_provider(engine->engine, nullptr);
      return;
    }
    if (provider->version != LOY_AI_PROVIDER_VERSION) misuse("unknown loy_ai_provider version");
    if (!provider->recommendations || !provider->churn || !provider->segmentation || !provider->feedback ||
        !provider->location_insights || !provider->free_output)
      misuse("every function of the loy_ai_provider must be set");
    auto host = std::make_shared<loyalty::HostAiProvider>();
    if (provider->model) host->model = provider->model;
    host->run = [p = *provider](std::string_view op, const loyalty::json& input) {
      return loyalty::capi::call_ai_provider(p, op, input);
    };
    loyalty::set_ai_provider(engine->engine, std::move(host));
  });
}

int loy_events_poll(loy_session* s, const char* after, size_t limit, loy_buf* out) {
  return loyalty::capi::guard([&] {
    loyalty::capi::check_out(out);
    if (!s) loyalty::capi::misuse("session is NULL");
    if (s->session.closed()) loyalty::capi::misuse("the engine is closed");
    nlohmann::json in = nlohmann::json::object();
    if (after) in["after"] = after;
    if (limit > 0) in["limit"] = limit;
    loyalty::capi::fill(out, s->session.call("events.poll", in).dump());
  });
}

}  // extern "C"
