// The libloyalty Node-API addon: handles, calls and the host AI provider over the public C ABI
// (loyalty.h, loyalty/sys/*.h) only. The JavaScript layer (lib/) turns inputs into JSON text,
// results back into objects and failures into LoyaltyError subclasses; this file owns the
// handles and the threads.
//
// Handles are Napi::External values tagged with their kind (napi_type_tag_object): a handle of
// the wrong kind is a TypeError, never a crash. Every call on an admin or a session runs on the
// libuv pool in one AsyncWorker; the calls of one session are queued so that the session is only
// ever used by one thread at a time (loyalty.h: "loy_session is used by one thread at a time").
// The error of a failed call is read on the worker thread that failed (loy_error_last() is
// thread-local). Handles are freed by close() once no call of theirs is running, or by their
// finalizer (a running call keeps a reference to its handle, so the finalizer never races it).
// The clock and AI provider contexts live in one shared state that every handle of an engine
// keeps alive, so they outlive the last handle as loyalty.h requires.
#include <napi.h>

#include <loyalty.h>
#include <loyalty/sys/ai_provider.h>
#include <loyalty/sys/clock.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

// Ownership handed to N-API (a finalizer, a thread-safe call, a self-deleting AsyncWorker) and
// taken back from it: the only places where an owning raw pointer crosses the C boundary, so the
// addon has no naked new or delete.
template <class T, class... Args>
T *hand_over(Args &&...args) {
  return std::make_unique<T>(std::forward<Args>(args)...).release();
}
template <class T>
std::unique_ptr<T> take_back(T *p) {
  return std::unique_ptr<T>(p);
}

// One tag per handle kind (random 128-bit values; only their identity matters).
constexpr napi_type_tag kEngineTag = {0x6c6f79616c747931ULL, 0x9e3779b97f4a7c15ULL};
constexpr napi_type_tag kAdminTag = {0x6c6f79616c747932ULL, 0xbf58476d1ce4e5b9ULL};
constexpr napi_type_tag kSessionTag = {0x6c6f79616c747933ULL, 0x94d049bb133111ebULL};
constexpr napi_type_tag kClockTag = {0x6c6f79616c747934ULL, 0xd6e8feb86659fd93ULL};

constexpr int64_t kClockMax = 253402300799999;   // 9999-12-31T23:59:59.999Z
constexpr double kMaxSafe = 9007199254740991.0;  // 2^53 - 1

std::thread::id g_main_thread;
// C handles (engine, admin, session) opened and not yet freed: the tests check that closing and
// garbage collection bring it back down (liveHandles()).
std::atomic<int64_t> g_live_handles{0};

// ---------------------------------------------------------------------------------------------
// Manual clock

struct ClockState {
  std::atomic<int64_t> ms{0};
};

int64_t clock_now(void *ctx) { return static_cast<ClockState *>(ctx)->ms.load(std::memory_order_relaxed); }

// ---------------------------------------------------------------------------------------------
// Host AI provider: the engine calls these on pool threads; each call is sent to the JavaScript
// dispatcher through a thread-safe function and waited for, at most timeout_ms.

struct AiRequest {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool ok = false;
  std::string op;
  std::string input;
  std::string output;
};

// The thread-safe function of one registered provider. `alive` turns false when Node-API
// finalizes it (after release, or when the environment is torn down): it is never touched after.
struct TsfnBox {
  std::mutex mu;
  Napi::ThreadSafeFunction tsfn;  // calls dispatch(op, inputJson, done)
  bool alive = true;
  bool released = false;

  void release() {
    std::lock_guard<std::mutex> lock(mu);
    if (alive && !released) {
      released = true;
      tsfn.Release();
    }
  }
};

// The log sink: loy_log_fn may be called from any thread, also inside the engine's locks, so it
// never waits: each message is queued to the JavaScript thread (NonBlockingCall) and dropped
// when the function is gone.
struct LogMessage {
  int level;
  std::string text;
};

void log_js_call(Napi::Env env, Napi::Function fn, LogMessage *m) {
  std::unique_ptr<LogMessage> msg(m);
  if (env == nullptr) return;
  static const char *const kLevels[] = {"debug", "info", "warn", "error"};
  const char *level = msg->level >= 0 && msg->level <= 3 ? kLevels[msg->level] : "error";
  try {
    fn.Call({Napi::String::New(env, level), Napi::String::New(env, msg->text)});
  } catch (const Napi::Error &) {
    // A throwing sink loses its message, nothing else.
  }
}

void log_fn(void *ctx, int level, const char *message) {
  auto &box = *static_cast<TsfnBox *>(ctx);
  std::lock_guard<std::mutex> lock(box.mu);
  if (!box.alive || box.released) return;
  auto m = std::make_unique<LogMessage>(level, message);
  if (box.tsfn.NonBlockingCall(m.get(), log_js_call) == napi_ok) m.release();  // log_js_call owns it
}

std::shared_ptr<TsfnBox> make_tsfn_box(Napi::Env env, const Napi::Function &fn, const char *name) {
  auto box = std::make_shared<TsfnBox>();
  auto *fin = hand_over<std::shared_ptr<TsfnBox>>(box);  // owned by the finalizer below
  box->tsfn = Napi::ThreadSafeFunction::New(
      env, fn, name, 0, 1,
      [](Napi::Env, std::shared_ptr<TsfnBox> *b) {
        auto owned = take_back(b);
        std::lock_guard<std::mutex> lock((*owned)->mu);
        (*owned)->alive = false;
      },
      fin);
  box->tsfn.Unref(env);  // never keeps the process alive
  return box;
}

// The ctx given to the engine: kept until the engine's last handle is freed (EngineShared).
struct AiBridge {
  std::shared_ptr<TsfnBox> box;
  std::string model;
  int timeout_ms = 5000;
  void release() const { box->release(); }
};

void ai_js_call(Napi::Env env, Napi::Function dispatch, std::shared_ptr<AiRequest> *boxed) {
  std::shared_ptr<AiRequest> req = std::move(*take_back(boxed));  // handed over by ai_call
  auto finish = [req](bool ok, std::string out) {
    std::lock_guard<std::mutex> lock(req->mu);
    if (req->done) return;
    req->done = true;
    req->ok = ok;
    req->output = std::move(out);
    req->cv.notify_all();
  };
  if (env == nullptr) {  // the environment is going away
    finish(false, {});
    return;
  }
  try {
    Napi::Function done = Napi::Function::New(env, [finish](const Napi::CallbackInfo &info) {
      if (info.Length() >= 1 && info[0].IsString()) {
        finish(true, info[0].As<Napi::String>().Utf8Value());
      } else {
        finish(false, {});
      }
    });
    dispatch.Call({Napi::String::New(env, req->op), Napi::String::New(env, req->input), done});
  } catch (const Napi::Error &) {
    finish(false, {});
  }
}

int ai_call(void *ctx, const char *op, const char *input, size_t input_len, char **output, size_t *output_len) {
  auto *bridge = static_cast<AiBridge *>(ctx);
  *output = nullptr;
  *output_len = 0;
  // Called on the JavaScript thread (a synchronous call): waiting for it would deadlock.
  if (std::this_thread::get_id() == g_main_thread) return -1;
  auto req = std::make_shared<AiRequest>();
  req->op = op;
  req->input.assign(input, input_len);
  {
    TsfnBox &box = *bridge->box;
    std::lock_guard<std::mutex> lock(box.mu);
    if (!box.alive || box.released) return -1;
    auto boxed = std::make_unique<std::shared_ptr<AiRequest>>(req);
    if (box.tsfn.NonBlockingCall(boxed.get(), ai_js_call) != napi_ok) return -1;
    boxed.release();  // ai_js_call owns it
  }
  std::unique_lock<std::mutex> lock(req->mu);
  if (!req->cv.wait_for(lock, std::chrono::milliseconds(bridge->timeout_ms), [&] { return req->done; })) {
    req->done = true;  // a late answer is ignored
    return -1;
  }
  if (!req->ok) return -1;
  char *buf = static_cast<char *>(std::malloc(req->output.size() + 1));
  if (buf == nullptr) return -1;
  std::memcpy(buf, req->output.data(), req->output.size());
  buf[req->output.size()] = '\0';
  *output = buf;
  *output_len = req->output.size();
  return 0;
}

#define LOY_AI_FN(NAME)                                                             \
  int ai_##NAME(void *ctx, const char *in, size_t n, char **out, size_t *out_len) { \
    return ai_call(ctx, #NAME, in, n, out, out_len);                                \
  }
LOY_AI_FN(recommendations)
LOY_AI_FN(churn)
LOY_AI_FN(segmentation)
LOY_AI_FN(feedback)
LOY_AI_FN(location_insights)
#undef LOY_AI_FN

void ai_free(void * /*ctx*/, char *output) { std::free(output); }

// ---------------------------------------------------------------------------------------------
// Shared state of one engine: outlives every handle of the engine (each holds a shared_ptr and
// frees its loy handle before dropping it).

struct EngineShared {
  std::shared_ptr<ClockState> clock;
  std::shared_ptr<TsfnBox> log;                    // the log sink's ctx, or null
  std::vector<std::unique_ptr<AiBridge>> bridges;  // every bridge ever registered (ctx kept)
  ~EngineShared() {
    for (auto &b : bridges) b->release();
    if (log) log->release();
  }
};

struct EngineHandle {
  EngineHandle(loy_engine *e, std::shared_ptr<EngineShared> s) : engine(e), shared(std::move(s)) {}
  EngineHandle(const EngineHandle &) = delete;  // owns `engine`: a copy would free it twice
  EngineHandle &operator=(const EngineHandle &) = delete;
  loy_engine *engine = nullptr;
  std::shared_ptr<EngineShared> shared;
  void free_handle() {
    if (engine != nullptr) {
      loy_engine_free(engine);
      engine = nullptr;
      --g_live_handles;
    }
  }
  ~EngineHandle() { free_handle(); }
};

class CallWorker;

struct OpHandle {
  bool is_session = false;
  loy_admin *admin = nullptr;
  loy_session *session = nullptr;
  std::shared_ptr<EngineShared> shared;
  bool closed = false;
  int running = 0;
  std::deque<CallWorker *> queue;  // sessions only: calls waiting for the running one
  // Set while a pool thread is inside a call on this session: a second thread finding it set is
  // a bug of the queue above, reported as misuse instead of using the session concurrently.
  std::atomic<bool> in_call{false};

  void free_handle() {
    if (freed()) return;
    if (is_session) {
      loy_session_free(session);
      session = nullptr;
    } else {
      loy_admin_free(admin);
      admin = nullptr;
    }
    --g_live_handles;
  }
  [[nodiscard]] bool freed() const { return is_session ? session == nullptr : admin == nullptr; }
  ~OpHandle() { free_handle(); }
};

// The outcome of one call, filled on the worker thread.
struct Outcome {
  int rc = 0;
  std::string result;
  std::string message;
  std::string detail;

  void capture_error(int status) {
    rc = status;
    const loy_error *e = loy_error_last();
    message = e != nullptr ? e->message : loy_status_str(status);
    detail = e != nullptr ? e->detail_json : "{}";
  }
};

Napi::Value outcome_error(Napi::Env env, const Outcome &o) {
  Napi::Object err = Napi::Object::New(env);
  err.Set("code", Napi::Number::New(env, o.rc));
  err.Set("message", Napi::String::New(env, o.message));
  err.Set("detail", Napi::String::New(env, o.detail));
  return err;
}

Napi::Value misuse(Napi::Env env, const char *message) {
  Outcome o;
  o.rc = LOY_EMISUSE;
  o.message = message;
  o.detail = "{}";
  return outcome_error(env, o);
}

class CallWorker : public Napi::AsyncWorker {
 public:
  CallWorker(Napi::Env env, OpHandle *h, Napi::Value keep, std::string op, std::string json)
      : Napi::AsyncWorker(env, "loyalty.call"),
        deferred_(Napi::Promise::Deferred::New(env)),
        h_(h),
        keep_(Napi::Persistent(keep)),
        op_(std::move(op)),
        json_(std::move(json)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    if (h_->is_session && h_->in_call.exchange(true)) {
      out_.rc = LOY_EMISUSE;
      out_.message = "the session is in use by another thread (libloyalty's Node addon queue failed)";
      out_.detail = "{}";
      return;
    }
    loy_buf buf = LOY_BUF_INIT;
    int rc = h_->is_session ? loy_session_call(h_->session, op_.c_str(), json_.data(), json_.size(), &buf)
                            : loy_admin_call(h_->admin, op_.c_str(), json_.data(), json_.size(), &buf);
    if (h_->is_session) h_->in_call.store(false);
    if (rc == LOY_OK) {
      out_.result.assign(buf.data, buf.len);
    } else {
      out_.capture_error(rc);
    }
    loy_buf_dispose(&buf);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (out_.rc == LOY_OK) {
      deferred_.Resolve(Napi::String::New(env, out_.result));
    } else {
      deferred_.Reject(outcome_error(env, out_));
    }
    done();
  }

  void OnError(const Napi::Error &e) override {
    deferred_.Reject(e.Value());
    done();
  }

  // Starts this call now (the handle is idle, or it is an admin).
  void start() {
    ++h_->running;
    Queue();
  }

 private:
  void done() {
    OpHandle *h = h_;
    --h->running;
    if (h->is_session && !h->queue.empty()) {
      CallWorker *next = h->queue.front();
      h->queue.pop_front();
      next->start();
    } else if (h->closed && h->running == 0) {
      h->free_handle();
    }
  }

  Napi::Promise::Deferred deferred_;
  OpHandle *h_;
  Napi::Reference<Napi::Value> keep_;  // keeps the handle (and so h_) alive while queued or running
  std::string op_;
  std::string json_;
  Outcome out_;
};

// ---------------------------------------------------------------------------------------------
// Argument helpers

template <typename T>
T *unwrap(const Napi::Value &v, const napi_type_tag *tag, const char *what) {
  if (!v.IsExternal() || !v.As<Napi::External<T>>().CheckTypeTag(tag)) {
    throw Napi::TypeError::New(v.Env(), std::string("expected ") + what + " handle");
  }
  return v.As<Napi::External<T>>().Data();
}

std::string string_arg(const Napi::CallbackInfo &info, size_t i, const char *what) {
  if (info.Length() <= i || !info[i].IsString()) {
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  }
  return info[i].As<Napi::String>().Utf8Value();
}

int int_option(const Napi::Object &o, const char *key, int fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  return static_cast<int>(v.As<Napi::Number>().Int32Value());  // range-checked in JavaScript
}

[[noreturn]] void throw_outcome(Napi::Env env, const Outcome &o) { throw Napi::Error(env, outcome_error(env, o)); }

// After a C call on this thread: throws its error (read from loy_error_last at once) unless rc is LOY_OK.
void throw_if_failed(Napi::Env env, int rc) {
  if (rc == LOY_OK) return;
  Outcome out;
  out.capture_error(rc);
  throw_outcome(env, out);
}

// ---------------------------------------------------------------------------------------------
// Exports

Napi::Value ClockNew(const Napi::CallbackInfo &info) {
  double ms = info[0].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(ms) || ms != std::floor(ms) || ms < 0 || ms > static_cast<double>(kClockMax)) {
    throw Napi::RangeError::New(info.Env(), "clock time out of range");
  }
  auto *state = hand_over<std::shared_ptr<ClockState>>(std::make_shared<ClockState>());  // the finalizer's
  (*state)->ms.store(static_cast<int64_t>(ms));
  auto ext = Napi::External<std::shared_ptr<ClockState>>::New(
      info.Env(), state, [](Napi::Env, std::shared_ptr<ClockState> *p) { take_back(p); });
  ext.TypeTag(&kClockTag);
  return ext;
}

Napi::Value ClockGet(const Napi::CallbackInfo &info) {
  auto *c = unwrap<std::shared_ptr<ClockState>>(info[0], &kClockTag, "a ManualClock");
  return Napi::Number::New(info.Env(), static_cast<double>((*c)->ms.load()));
}

Napi::Value ClockSet(const Napi::CallbackInfo &info) {
  auto *c = unwrap<std::shared_ptr<ClockState>>(info[0], &kClockTag, "a ManualClock");
  double ms = info[1].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(ms) || ms != std::floor(ms) || ms < 0 || ms > static_cast<double>(kClockMax)) {
    throw Napi::RangeError::New(info.Env(), "clock time out of range");
  }
  (*c)->ms.store(static_cast<int64_t>(ms));
  return info.Env().Undefined();
}

// engineOpen({uri, adminKey, synchronous, busyTimeoutMs, poolSize, cacheMb, walAutocheckpoint,
// clock, log}) -> engine handle; throws {code, message, detail}.
Napi::Value EngineOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  auto shared = std::make_shared<EngineShared>();
  std::string uri = o.Get("uri").IsString() ? o.Get("uri").As<Napi::String>().Utf8Value() : ":memory:";
  std::string admin_key;
  bool has_key = o.Get("adminKey").IsString();
  if (has_key) admin_key = o.Get("adminKey").As<Napi::String>().Utf8Value();
  std::string master_key;
  bool has_master = o.Get("masterKey").IsString();
  if (has_master) master_key = o.Get("masterKey").As<Napi::String>().Utf8Value();
  loy_engine_options opts = LOY_ENGINE_OPTIONS_INIT;
  opts.uri = uri.c_str();
  opts.master_key = has_master ? master_key.c_str() : nullptr;
  opts.admin_key = has_key ? admin_key.c_str() : nullptr;
  opts.synchronous = int_option(o, "synchronous", LOY_SYNC_FULL);
  opts.busy_timeout_ms = int_option(o, "busyTimeoutMs", 5000);
  opts.pool_size = int_option(o, "poolSize", 4);
  opts.cache_mb = int_option(o, "cacheMb", 64);
  opts.wal_autocheckpoint = int_option(o, "walAutocheckpoint", 10000);
  loy_sys_clock clock{LOY_SYS_CLOCK_VERSION, nullptr, clock_now};
  Napi::Value c = o.Get("clock");
  if (!c.IsUndefined() && !c.IsNull()) {
    shared->clock = *unwrap<std::shared_ptr<ClockState>>(c, &kClockTag, "a ManualClock");
    clock.ctx = shared->clock.get();
    opts.clock = &clock;
  }
  Napi::Value log = o.Get("log");
  if (log.IsFunction()) {
    shared->log = make_tsfn_box(env, log.As<Napi::Function>(), "loyalty.log");
    opts.log = log_fn;
    opts.log_ctx = shared->log.get();
  }
  loy_engine *engine = nullptr;
  int rc = loy_engine_open(&opts, &engine);
  throw_if_failed(env, rc);
  ++g_live_handles;
  auto *h = hand_over<EngineHandle>(engine, std::move(shared));  // owned by the finalizer
  auto ext = Napi::External<EngineHandle>::New(env, h, [](Napi::Env, EngineHandle *p) { take_back(p); });
  ext.TypeTag(&kEngineTag);
  return ext;
}

EngineHandle *live_engine(const Napi::CallbackInfo &info) {
  auto *e = unwrap<EngineHandle>(info[0], &kEngineTag, "an Engine");
  if (e->engine == nullptr) throw Napi::Error(info.Env(), misuse(info.Env(), "the engine is closed"));
  return e;
}

// engineClose(engine): closes the engine (later calls on its admins and sessions fail with
// misuse) and releases the engine handle itself.
Napi::Value EngineClose(const Napi::CallbackInfo &info) {
  auto *e = unwrap<EngineHandle>(info[0], &kEngineTag, "an Engine");
  if (e->engine != nullptr) {
    loy_engine_close(e->engine);
    e->free_handle();
  }
  return info.Env().Undefined();
}

// An admin or session handle opened on engine `e` (exactly one of admin, session set), owned by its
// finalizer and type-tagged.
Napi::Value wrap_op_handle(Napi::Env env, EngineHandle *e, loy_admin *admin, loy_session *session) {
  ++g_live_handles;
  auto *h = hand_over<OpHandle>();  // owned by the finalizer
  h->is_session = session != nullptr;
  h->admin = admin;
  h->session = session;
  h->shared = e->shared;
  auto ext = Napi::External<OpHandle>::New(env, h, [](Napi::Env, OpHandle *p) { take_back(p); });
  ext.TypeTag(h->is_session ? &kSessionTag : &kAdminTag);
  return ext;
}

Napi::Value AdminOpen(const Napi::CallbackInfo &info) {
  EngineHandle *e = live_engine(info);
  std::string key = string_arg(info, 1, "the admin key");
  loy_admin *admin = nullptr;
  throw_if_failed(info.Env(), loy_admin_open(e->engine, key.data(), key.size(), &admin));
  return wrap_op_handle(info.Env(), e, admin, nullptr);
}

Napi::Value SessionOpen(const Napi::CallbackInfo &info) {
  EngineHandle *e = live_engine(info);
  std::string key = string_arg(info, 1, "the API key");
  loy_session *session = nullptr;
  throw_if_failed(info.Env(), loy_session_open(e->engine, key.data(), key.size(), &session));
  return wrap_op_handle(info.Env(), e, nullptr, session);
}

OpHandle *op_handle(const Napi::Value &v) {
  if (v.IsExternal()) {
    auto ext = v.As<Napi::External<OpHandle>>();
    if (ext.CheckTypeTag(&kSessionTag) || ext.CheckTypeTag(&kAdminTag)) return ext.Data();
  }
  throw Napi::TypeError::New(v.Env(), "expected an Admin or Session handle");
}

// call(handle, op, json) -> Promise<string>; rejects with {code, message, detail}.
Napi::Value Call(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  OpHandle *h = op_handle(info[0]);
  std::string op = string_arg(info, 1, "the operation");
  std::string json = string_arg(info, 2, "the input");
  if (h->closed) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(misuse(env, h->is_session ? "the session is closed" : "the admin handle is closed"));
    return d.Promise();
  }
  auto *w = hand_over<CallWorker>(env, h, info[0], std::move(op), std::move(json));  // deletes itself when done
  Napi::Promise p = w->promise();
  if (h->is_session && h->running > 0) {
    h->queue.push_back(w);
  } else {
    w->start();
  }
  return p;
}

// callSync(handle, op, json) -> string; throws {code, message, detail}. On a session with calls
// queued or running it throws misuse (the session is in use by a pool thread).
Napi::Value CallSync(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  OpHandle *h = op_handle(info[0]);
  std::string op = string_arg(info, 1, "the operation");
  std::string json = string_arg(info, 2, "the input");
  if (h->closed) {
    throw Napi::Error(env, misuse(env, h->is_session ? "the session is closed" : "the admin handle is closed"));
  }
  if (h->is_session && h->running > 0) {
    throw Napi::Error(env, misuse(env, "the session has asynchronous calls in flight; await them first"));
  }
  if (h->is_session && h->in_call.exchange(true)) {
    throw Napi::Error(env, misuse(env, "the session is in use by another thread"));
  }
  loy_buf buf = LOY_BUF_INIT;
  int rc = h->is_session ? loy_session_call(h->session, op.c_str(), json.data(), json.size(), &buf)
                         : loy_admin_call(h->admin, op.c_str(), json.data(), json.size(), &buf);
  if (h->is_session) h->in_call.store(false);
  throw_if_failed(env, rc);
  Napi::String s = Napi::String::New(env, buf.data, buf.len);
  loy_buf_dispose(&buf);
  return s;
}

// close(handle): later calls fail with misuse; queued and running calls finish; the handle is
// freed once none is left.
Napi::Value Close(const Napi::CallbackInfo &info) {
  OpHandle *h = op_handle(info[0]);
  h->closed = true;
  if (h->running == 0 && h->queue.empty()) h->free_handle();
  return info.Env().Undefined();
}

Napi::Value Pending(const Napi::CallbackInfo &info) {
  OpHandle *h = op_handle(info[0]);
  return Napi::Number::New(info.Env(), h->running + static_cast<double>(h->queue.size()));
}

// setAiProvider(engine, dispatch | null, model, timeoutMs)
Napi::Value SetAiProvider(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  EngineHandle *e = live_engine(info);
  if (info[1].IsNull() || info[1].IsUndefined()) {
    int rc = loy_engine_set_ai_provider(e->engine, nullptr);
    throw_if_failed(env, rc);
    for (auto &b : e->shared->bridges) b->release();
    return env.Undefined();
  }
  auto bridge = std::make_unique<AiBridge>();
  bridge->model = info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
  bridge->timeout_ms = info[3].IsNumber() ? info[3].As<Napi::Number>().Int32Value() : 5000;
  bridge->box = make_tsfn_box(env, info[1].As<Napi::Function>(), "loyalty.ai");
  loy_ai_provider p{};
  p.version = LOY_AI_PROVIDER_VERSION;
  p.ctx = bridge.get();
  p.model = bridge->model.empty() ? nullptr : bridge->model.c_str();
  p.recommendations = ai_recommendations;
  p.churn = ai_churn;
  p.segmentation = ai_segmentation;
  p.feedback = ai_feedback;
  p.location_insights = ai_location_insights;
  p.free_output = ai_free;
  int rc = loy_engine_set_ai_provider(e->engine, &p);
  if (rc != LOY_OK) {
    bridge->release();
    Outcome out;
    out.capture_error(rc);
    throw_outcome(env, out);
  }
  // Earlier providers stop taking new calls; their contexts stay until the engine's last handle.
  for (auto &b : e->shared->bridges) b->release();
  e->shared->bridges.push_back(std::move(bridge));
  return env.Undefined();
}

// Benchmark hooks (benchmarks/node): the C API's own cost and a bare pool round trip, measured in
// the same process as the package's calls.

// benchCallLoop(handle, op, json, n) -> nanoseconds for n synchronous loy_*_call on this thread.
Napi::Value BenchCallLoop(const Napi::CallbackInfo &info) {
  OpHandle *h = op_handle(info[0]);
  std::string op = string_arg(info, 1, "the operation");
  std::string json = string_arg(info, 2, "the input");
  int64_t n = info[3].As<Napi::Number>().Int64Value();
  if (h->closed || (h->is_session && h->running > 0))
    throw Napi::Error(info.Env(), misuse(info.Env(), "handle busy or closed"));
  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i) {
    loy_buf buf = LOY_BUF_INIT;
    int rc = h->is_session ? loy_session_call(h->session, op.c_str(), json.data(), json.size(), &buf)
                           : loy_admin_call(h->admin, op.c_str(), json.data(), json.size(), &buf);
    loy_buf_dispose(&buf);
    throw_if_failed(info.Env(), rc);
  }
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
  return Napi::Number::New(info.Env(), static_cast<double>(ns));
}

class NoopWorker : public Napi::AsyncWorker {
 public:
  explicit NoopWorker(Napi::Env env)
      : Napi::AsyncWorker(env, "loyalty.noop"), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {}
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }

 private:
  Napi::Promise::Deferred deferred_;
};

// benchNoop() -> Promise resolved after an empty AsyncWorker: one libuv pool round trip.
Napi::Value BenchNoop(const Napi::CallbackInfo &info) {
  auto *w = hand_over<NoopWorker>(info.Env());  // deletes itself when done
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Value LiveHandles(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), static_cast<double>(g_live_handles.load()));
}

Napi::Value Version(const Napi::CallbackInfo &info) { return Napi::String::New(info.Env(), loy_version_string()); }
Napi::Value Features(const Napi::CallbackInfo &info) { return Napi::String::New(info.Env(), loy_features()); }
Napi::Value IsHandle(const Napi::CallbackInfo &info) {
  Napi::Value v = info[0];
  std::string kind = string_arg(info, 1, "the kind");
  if (!v.IsExternal()) return Napi::Boolean::New(info.Env(), false);
  auto ext = v.As<Napi::External<void>>();
  const napi_type_tag *tag = kind == "engine"    ? &kEngineTag
                             : kind == "admin"   ? &kAdminTag
                             : kind == "session" ? &kSessionTag
                                                 : &kClockTag;
  return Napi::Boolean::New(info.Env(), ext.CheckTypeTag(tag));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  g_main_thread = std::this_thread::get_id();
  exports.Set("clockNew", Napi::Function::New(env, ClockNew));
  exports.Set("clockGet", Napi::Function::New(env, ClockGet));
  exports.Set("clockSet", Napi::Function::New(env, ClockSet));
  exports.Set("engineOpen", Napi::Function::New(env, EngineOpen));
  exports.Set("engineClose", Napi::Function::New(env, EngineClose));
  exports.Set("adminOpen", Napi::Function::New(env, AdminOpen));
  exports.Set("sessionOpen", Napi::Function::New(env, SessionOpen));
  exports.Set("call", Napi::Function::New(env, Call));
  exports.Set("callSync", Napi::Function::New(env, CallSync));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("pending", Napi::Function::New(env, Pending));
  exports.Set("setAiProvider", Napi::Function::New(env, SetAiProvider));
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("features", Napi::Function::New(env, Features));
  exports.Set("isHandle", Napi::Function::New(env, IsHandle));
  exports.Set("liveHandles", Napi::Function::New(env, LiveHandles));
  exports.Set("benchCallLoop", Napi::Function::New(env, BenchCallLoop));
  exports.Set("benchNoop", Napi::Function::New(env, BenchNoop));
  exports.Set("maxSafeInteger", Napi::Number::New(env, kMaxSafe));
  return exports;
}

}  // namespace

NODE_API_MODULE(loyalty, Init)
