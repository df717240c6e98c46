// The OpenAI-compatible provider against a scripted HTTP server on 127.0.0.1 (tests/support/
// script_server.hpp). Waits between attempts go through a fake RetryClock that records them and
// moves virtual time instead of sleeping; deadlines of the transfers themselves are real (short).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ai/openai.hpp"
#include "loyalty/core/error.hpp"
#include "script_server.hpp"

using loyalty::Error;
using loyalty::Status;
using loytest::chat_completion;
using loytest::ScriptedResponse;
using loytest::ScriptServer;
using nlohmann::json;
using namespace loyalty::detail::ai;

namespace {

/// The base URL of a loopback port that was free a moment ago: nothing listens on it, so a
/// connection is refused.
std::string refusing_base_url() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // nothing listens on this port now
  return "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
}

const json kSchema = json::parse(R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "required": ["items"],
  "properties": {
    "items": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["reward_id", "reason", "confidence"],
        "properties": {
          "reward_id": {"type": "string"},
          "reason": {"type": "string"},
          "confidence": {"type": "number", "minimum": 0, "maximum": 1}
        }
      }
    }
  }
})");
// Allows any extra property: the ledger-instruction check must hold without the schema's help.
const json kPermissive = json::parse(R"({"type": "object"})");

const json& test_schema(Operation) { return kSchema; }
const json& permissive_schema(Operation) { return kPermissive; }

const std::string kGood = R"({"items": [{"reward_id": "rw_1", "reason": "affordable", "confidence": 0.8}]})";

int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

/// Records the waits and moves virtual time instead of sleeping; jitter is a fixed fraction.
class FakeClock final : public RetryClock {
 public:
  static constexpr int64_t kUnixStart = 1'780'000'000'000;  // a whole second

  int64_t monotonic_ms() override {
    std::lock_guard lock(mu_);
    return steady_ms() + offset_;
  }
  int64_t unix_ms() override {
    std::lock_guard lock(mu_);
    return kUnixStart + offset_;
  }
  void sleep_ms(int64_t ms) override {
    std::lock_guard lock(mu_);
    sleeps_.push_back(ms);
    offset_ += ms;
  }
  int64_t jitter_ms(int64_t max_ms) override {
    std::lock_guard lock(mu_);
    jitter_caps_.push_back(max_ms);
    return static_cast<int64_t>(std::llround(static_cast<double>(max_ms) * fraction_));
  }
  void advance(int64_t ms) {
    std::lock_guard lock(mu_);
    offset_ += ms;
  }
  std::vector<int64_t> sleeps() {
    std::lock_guard lock(mu_);
    return sleeps_;
  }
  std::vector<int64_t> jitter_caps() {
    std::lock_guard lock(mu_);
    return jitter_caps_;
  }

 private:
  std::mutex mu_;
  int64_t offset_ = 0;
  double fraction_ = 0.5;
  std::vector<int64_t> sleeps_, jitter_caps_;
};

json base_config(const ScriptServer& s, const json& extra = json::object()) {
  json c = {{"base_url", s.url() + "/v1"}, {"model", "test-model"},  {"api_key", "sk-test-123"},
            {"backoff_base_ms", 100},      {"backoff_max_ms", 1000}, {"total_timeout_ms", 5000},
            {"deadline_ms", 60000},        {"max_attempts", 3}};
  c.update(extra);
  return c;
}

struct Rig {
  ScriptServer server;
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  std::unique_ptr<Provider> provider;

  explicit Rig(const json& extra = json::object(), SchemaLookup schemas = test_schema) {
    provider = make_openai_provider(parse_openai_config(base_config(server, extra)), std::move(schemas), clock);
  }
  json run(const json& input = json{{"customer_id", "c_1"}}) {
    return provider->run(Operation::recommendations, input);
  }
};

struct Failure {
  Status status;
  std::string message;
  std::string field;
  json detail;
};

template <class F>
Failure expect_failure(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.status(), e.what(), e.field(), e.detail()};
  }
  FAIL("expected a loyalty::Error");
  return {};
}

ScriptedResponse status(int code, const std::string& body = "{}",
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
  ScriptedResponse r;
  r.status = code;
  r.body = body;
  r.headers = std::move(headers);
  return r;
}

/// The failure of rig.run() and the real time it took.
struct TimedFailure {
  Failure failure;
  int64_t elapsed_ms;
};

TimedFailure timed_failure(Rig& rig) {
  const int64_t t0 = steady_ms();
  Failure f = expect_failure([&] { rig.run(); });
  return {std::move(f), steady_ms() - t0};
}

/// Runs the rig expecting a failure with `status` after one attempt, not retried (no request
/// more, no wait); returns it for further checks.
Failure expect_failure_not_retried(Rig& rig, Status status) {
  const size_t before = rig.server.request_count();
  Failure f = expect_failure([&] { rig.run(); });
  CHECK(f.status == status);
  CHECK(f.detail["attempts"] == 1);
  CHECK(rig.server.request_count() == before + 1);
  CHECK(rig.clock->sleeps().empty());
  return f;
}

/// Scripts `times` copies of `r`.
void push_times(Rig& rig, const ScriptedResponse& r, int times) {
  for (int i = 0; i < times; ++i) rig.server.push(r);
}

/// A response that is never sent.
ScriptedResponse never_answering() {
  ScriptedResponse r;
  r.never_answer = true;
  return r;
}

/// The good completion sent a byte every `ms`.
ScriptedResponse trickling(int64_t ms) {
  ScriptedResponse r = chat_completion(kGood);
  r.trickle_ms = ms;
  return r;
}

/// The good completion with its response body changed by `edit`.
template <class Edit>
ScriptedResponse edited_completion(Edit&& edit) {
  ScriptedResponse r = chat_completion(kGood);
  json body = json::parse(r.body);
  edit(body);
  r.body = body.dump();
  return r;
}

std::string error_body(const std::string& message, const std::string& code = "", const std::string& type = "") {
  return json{{"error", {{"message", message}, {"code", code}, {"type", type}}}}.dump();
}

/// Sets an environment variable for its lifetime, then restores it.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~EnvVar() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("openai: a valid answer is returned after one attempt") {
  Rig rig;
  rig.server.push(chat_completion(kGood));
  CHECK(rig.run() == json::parse(kGood));
  CHECK(rig.server.request_count() == 1);
  CHECK(rig.clock->sleeps().empty());
  CHECK(rig.provider->kind() == "openai");
  CHECK(rig.provider->model() == "test-model");
}

TEST_CASE("openai: the request carries the key, the model, the schema and the input as given") {
  Rig rig({{"headers", {{"X-Tenant-Hint", "t1"}}}, {"temperature", 0}});
  rig.server.push(chat_completion(kGood));
  const json input = {
      {"customer_id", "c_7f3a"},
      {"name", "Ada Lovelace"},
      {"email", "ada@example.com"},
      {"profile", {{"firstName", "Ada"}, {"phone_number", "+44 20 7946 0000"}, {"tier", "gold"}}},
      {"last_location", {{"lat", 51.5007}, {"lon", -0.1246}, {"location_id", "loc_1"}}},
      {"homeLatitude", 51.5},
      {"note", "write to ada@example.com please"},
      {"visits", json::array({{{"longitude", 1.0}, {"count", 3}}})},
  };
  rig.provider->run(Operation::churn, input);
  const auto reqs = rig.server.requests();
  REQUIRE(reqs.size() == 1);
  const auto& r = reqs[0];
  CHECK(r.method == "POST");
  CHECK(r.target == "/v1/chat/completions");
  CHECK(r.headers.at("authorization") == "Bearer sk-test-123");
  CHECK(r.headers.at("x-tenant-hint") == "t1");
  CHECK(r.headers.at("content-type") == "application/json");
  CHECK(r.headers.count("api-key") == 0);
  CHECK(r.headers.count("expect") == 0);
  const json body = json::parse(r.body);
  CHECK(body["model"] == "test-model");
  CHECK(body["temperature"] == 0);
  CHECK(body["response_format"]["type"] == "json_schema");
  CHECK(body["response_format"]["json_schema"]["name"] == "loyalty_churn");
  CHECK(body["response_format"]["json_schema"]["strict"] == true);
  json sent_schema = kSchema;
  sent_schema.erase("$schema");
  CHECK(body["response_format"]["json_schema"]["schema"] == sent_schema);
  REQUIRE(body["messages"].size() == 2);
  CHECK(body["messages"][0]["role"] == "system");
  CHECK(body["messages"][0]["content"].get<std::string>().find("stops buying") != std::string::npos);
  CHECK(body["messages"][1]["role"] == "user");
  const std::string prompt = body["messages"][1]["content"];
  // The provider sends its input as it is: the privacy scrub runs before any provider is called
  // (run_validated, tests/unit/ai/privacy_test.cpp), once, for every provider.
  CHECK(json::parse(prompt) == input);
}

TEST_CASE("openai: proxies from the environment are ignored unless configured") {
  Rig rig;
  rig.server.push(chat_completion(kGood));
  // A dead proxy: were it used, the call would fail to connect.
  const EnvVar http_proxy("http_proxy", "http://127.0.0.1:9");
  const EnvVar all_proxy("ALL_PROXY", "http://127.0.0.1:9");
  const bool ok = [&] {
    try {
      return rig.run() == json::parse(kGood);
    } catch (const Error& e) {
      INFO(e.what());
      return false;
    }
  }();
  CHECK(ok);
  CHECK(rig.server.request_count() == 1);
}

TEST_CASE("openai: Azure style sends api-key and api-version") {
  ScriptServer server;
  const json cfg = {{"base_url", server.url() + "/openai/deployments/d1/"},
                    {"model", "gpt-4o-mini"},
                    {"api_key", "az-key"},
                    {"azure", {{"api_version", "2024-10-21"}}}};
  auto p = make_openai_provider(parse_openai_config(cfg), test_schema, std::make_shared<FakeClock>());
  server.push(chat_completion(kGood));
  p->run(Operation::segmentation, json::object());
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].target == "/openai/deployments/d1/chat/completions?api-version=2024-10-21");
  CHECK(reqs[0].headers.at("api-key") == "az-key");
  CHECK(reqs[0].headers.count("authorization") == 0);
}

TEST_CASE("openai: 429 with Retry-After in seconds waits that long, then succeeds") {
  Rig rig;
  rig.server.push(status(429, error_body("slow down", "rate_limit_exceeded"), {{"Retry-After", "2"}}));
  rig.server.push(chat_completion(kGood));
  CHECK(rig.run() == json::parse(kGood));
  CHECK(rig.server.request_count() == 2);
  CHECK(rig.clock->sleeps() == std::vector<int64_t>{2000});
  CHECK(rig.clock->jitter_caps().empty());  // the server's wait replaces the backoff
}

TEST_CASE("openai: 429 with Retry-After as an HTTP-date waits until that date") {
  Rig rig;
  // FakeClock's Unix time is 1780000000 s = Thu, 28 May 2026 20:26:40 GMT; ask for 3 s later.
  rig.server.push(status(429, "{}", {{"Retry-After", "Thu, 28 May 2026 20:26:43 GMT"}}));
  rig.server.push(chat_completion(kGood));
  rig.run();
  CHECK(rig.server.request_count() == 2);
  CHECK(rig.clock->sleeps() == std::vector<int64_t>{3000});
}

TEST_CASE("openai: retry-after-ms is honoured and a long Retry-After is capped by max_retry_wait_ms") {
  Rig rig(json{{"max_retry_wait_ms", 5000}});
  rig.server.push(status(503, "{}", {{"retry-after-ms", "250"}, {"Retry-After", "1"}}));
  rig.server.push(status(429, "{}", {{"Retry-After", "120"}}));
  rig.server.push(chat_completion(kGood));
  rig.run();
  CHECK(rig.server.request_count() == 3);
  CHECK(rig.clock->sleeps() == std::vector<int64_t>{250, 5000});
}

TEST_CASE("openai: a Retry-After beyond the call's deadline ends the call without waiting") {
  Rig rig(json{{"deadline_ms", 3000}});
  rig.server.push(status(429, "{}", {{"Retry-After", "10"}}));
  expect_failure_not_retried(rig, Status::unavailable);
}

TEST_CASE("openai: 500 then 503 then success backs off exponentially with full jitter") {
  Rig rig;
  rig.server.push(status(500));
  rig.server.push(status(503));
  rig.server.push(chat_completion(kGood));
  CHECK(rig.run() == json::parse(kGood));
  CHECK(rig.server.request_count() == 3);
  CHECK(rig.clock->jitter_caps() == std::vector<int64_t>{100, 200});  // base * 2^(n-1)
  CHECK(rig.clock->sleeps() == std::vector<int64_t>{50, 100});        // the fake jitter: half the cap
}

TEST_CASE("openai: 500 on every attempt is unavailable once the attempts are spent") {
  Rig rig({{"max_attempts", 5}, {"backoff_base_ms", 100}, {"backoff_max_ms", 250}});
  for (int i = 0; i < 5; ++i) rig.server.push(status(500, error_body("boom")));
  const auto f = expect_failure([&] { rig.run(); });
  CHECK(f.status == Status::unavailable);
  CHECK(f.detail["attempts"] == 5);
  CHECK(f.detail["http_status"] == 500);
  CHECK(f.detail["waits_ms"] == json::array({50, 100, 125, 125}));
  CHECK(f.message.find("boom") != std::string::npos);
  CHECK(rig.server.request_count() == 5);
  CHECK(rig.clock->jitter_caps() == std::vector<int64_t>{100, 200, 250, 250});  // capped by backoff_max_ms
}

TEST_CASE("openai: 400 is invalid and not retried") {
  Rig rig;
  rig.server.push(status(400, error_body("context too long", "context_length_exceeded")));
  const auto f = expect_failure_not_retried(rig, Status::invalid);
  CHECK(f.message.find("context too long") != std::string::npos);
}

TEST_CASE("openai: 401 and 403 are forbidden and not retried") {
  for (int code : {401, 403}) {
    CAPTURE(code);
    Rig rig;
    rig.server.push(status(code, error_body("Incorrect API key provided")));
    const auto f = expect_failure_not_retried(rig, Status::forbidden);
    CHECK(f.message.find("sk-test-123") == std::string::npos);
  }
}

TEST_CASE("openai: 429 insufficient_quota is forbidden and not retried") {
  Rig rig;
  rig.server.push(status(429, error_body("You exceeded your current quota", "insufficient_quota", "insufficient_quota"),
                         {{"Retry-After", "1"}}));
  expect_failure_not_retried(rig, Status::forbidden);
}

TEST_CASE("openai: a server that never answers is cut by each attempt's deadline, every attempt counted") {
  Rig rig({{"total_timeout_ms", 400}, {"max_attempts", 3}});
  push_times(rig, never_answering(), 3);
  const auto [f, elapsed] = timed_failure(rig);
  CHECK(f.status == Status::unavailable);
  CHECK(f.detail["attempts"] == 3);
  CHECK(rig.server.request_count() == 3);
  CHECK(rig.clock->sleeps() == std::vector<int64_t>{50, 100});
  CHECK(elapsed >= 3 * 400 - 50);
  CHECK(elapsed < 3 * 400 + 3000);
}

TEST_CASE("openai: the whole call's deadline bounds the attempts and their waits") {
  Rig rig({{"total_timeout_ms", 400},
           {"deadline_ms", 1000},
           {"max_attempts", 10},
           {"backoff_base_ms", 0},
           {"backoff_max_ms", 0}});
  push_times(rig, never_answering(), 10);
  const auto [f, elapsed] = timed_failure(rig);
  CHECK(f.status == Status::unavailable);
  CHECK(f.detail["attempts"] == 3);  // 400 + 400 + the 200 ms left
  CHECK(rig.server.request_count() == 3);
  CHECK(elapsed >= 1000 - 50);
  CHECK(elapsed < 1000 + 3000);
}

TEST_CASE("openai: a server trickling a byte every 2 s is cut by the attempt's deadline") {
  Rig rig({{"total_timeout_ms", 1500}, {"max_attempts", 2}});
  push_times(rig, trickling(2000), 2);
  const auto [f, elapsed] = timed_failure(rig);
  CHECK(f.status == Status::unavailable);
  CHECK(f.detail["attempts"] == 2);
  CHECK(rig.server.request_count() == 2);
  CHECK(rig.clock->sleeps() == std::vector<int64_t>{50});
  CHECK(elapsed >= 2 * 1500 - 50);
  CHECK(elapsed < 2 * 1500 + 3000);
}

TEST_CASE("openai: with a stall timeout a trickling server is cut long before the total deadline") {
  Rig rig({{"total_timeout_ms", 30000}, {"stall_timeout_ms", 1000}, {"max_attempts", 1}});
  rig.server.push(trickling(3000));
  const auto [f, elapsed] = timed_failure(rig);
  CHECK(f.status == Status::unavailable);
  CHECK(f.detail["attempts"] == 1);
  CHECK(elapsed >= 900);
  CHECK(elapsed < 10000);
}

TEST_CASE("openai: a refused connection and a dropped one are retried") {
  SUBCASE("refused") {
    const json cfg = {{"base_url", refusing_base_url()}, {"model", "m"}, {"max_attempts", 2}, {"backoff_base_ms", 100}};
    auto clock = std::make_shared<FakeClock>();
    auto p = make_openai_provider(parse_openai_config(cfg), test_schema, clock);
    const auto f = expect_failure([&] { p->run(Operation::feedback, json::object()); });
    CHECK(f.status == Status::unavailable);
    CHECK(f.detail["attempts"] == 2);
    CHECK(clock->sleeps() == std::vector<int64_t>{50});
  }
  SUBCASE("dropped") {
    Rig rig;
    ScriptedResponse drop;
    drop.drop = true;
    rig.server.push(drop);
    rig.server.push(chat_completion(kGood));
    CHECK(rig.run() == json::parse(kGood));
    CHECK(rig.server.request_count() == 2);
    CHECK(rig.clock->sleeps() == std::vector<int64_t>{50});
  }
}

TEST_CASE("openai: malformed bodies and outputs are invalid and not retried") {
  SUBCASE("body is not JSON") {
    Rig rig;
    rig.server.push(status(200, "<html>gateway</html>"));
    const auto f = expect_failure([&] { rig.run(); });
    CHECK(f.status == Status::invalid);
    CHECK(f.detail["attempts"] == 1);
  }
  SUBCASE("no choices") {
    Rig rig;
    rig.server.push(status(200, R"({"choices": []})"));
    CHECK(expect_failure([&] { rig.run(); }).status == Status::invalid);
  }
  SUBCASE("content is not JSON") {
    Rig rig;
    rig.server.push(chat_completion("Sure! Here are the recommendations: {"));
    const auto f = expect_failure([&] { rig.run(); });
    CHECK(f.status == Status::invalid);
    CHECK(f.message.find("not JSON") != std::string::npos);
  }
  SUBCASE("the model refused") {
    Rig rig;
    rig.server.push(
        edited_completion([](json& body) { body["choices"][0]["message"]["refusal"] = "I can't help with that"; }));
    CHECK(expect_failure([&] { rig.run(); }).status == Status::invalid);
  }
  SUBCASE("the output was cut at the token limit") {
    Rig rig;
    rig.server.push(edited_completion([](json& body) { body["choices"][0]["finish_reason"] = "length"; }));
    CHECK(expect_failure([&] { rig.run(); }).status == Status::invalid);
  }
}

namespace {

/// `levels` nested objects {"a": {"a": ... 1}}: valid JSON, far deeper than kMaxJsonDepth.
std::string deep_object(int levels) {
  std::string s;
  for (int i = 0; i < levels; ++i) s += R"({"a":)";
  s += "1";
  s.append(static_cast<size_t>(levels), '}');
  return s;
}
std::string deep_array(int levels) {
  return std::string(static_cast<size_t>(levels), '[') + std::string(static_cast<size_t>(levels), ']');
}

}  // namespace

TEST_CASE("openai: an answer nested 20,000 levels deep is a malformed answer naming provider, not a crash") {
  constexpr int kLevels = 20'000;  // about 100 KB: well inside max_response_bytes
  auto expect_bad_answer = [](Rig& rig) {
    const size_t before = rig.server.request_count();
    const auto f = expect_failure([&] { rig.run(); });
    CHECK(f.status == Status::invalid);
    CHECK(f.field == "provider");
    CHECK(f.message.find("not JSON") != std::string::npos);
    CHECK(f.detail["provider"] == "openai");
    CHECK(f.detail["attempts"] == 1);  // a bad answer: not retried
    CHECK(rig.server.request_count() == before + 1);
    CHECK(rig.clock->sleeps().empty());
  };
  SUBCASE("the whole body, objects") {
    Rig rig;
    rig.server.push(status(200, deep_object(kLevels)));
    expect_bad_answer(rig);
  }
  SUBCASE("the whole body, arrays") {
    Rig rig;
    rig.server.push(status(200, deep_array(kLevels)));
    expect_bad_answer(rig);
  }
  SUBCASE("the content string of a chat completion") {
    for (const auto& content : {deep_object(kLevels), deep_array(kLevels)}) {
      Rig rig(json::object(), permissive_schema);
      rig.server.push(chat_completion(content));
      expect_bad_answer(rig);
    }
  }
  SUBCASE("an error body of a 400") {
    Rig rig;
    rig.server.push(status(400, deep_object(kLevels)));
    const auto f = expect_failure_not_retried(rig, Status::invalid);
    CHECK(f.field == "provider");
  }
  SUBCASE("the breaker counts it as an answer, and the next good answer is served") {
    Rig rig({{"max_attempts", 1}, {"breaker_threshold", 1}});
    rig.server.push(chat_completion(deep_object(kLevels)));
    rig.server.push(chat_completion(kGood));
    CHECK(expect_failure([&] { rig.run(); }).status == Status::invalid);
    CHECK(rig.run() == json::parse(kGood));  // the breaker did not open
  }
}

TEST_CASE("openai: the ledger-key scan is iterative: 20,000 levels deep, no recursion") {
  json deep = json{{"grant_points", 1}};
  json arrays = json{{"ok", 1}};
  for (int i = 0; i < 20'000; ++i) {
    json o = json::object();
    o["a"] = std::move(deep);
    deep = std::move(o);
    json a = json::array();
    a.push_back(std::move(arrays));
    arrays = std::move(a);
  }
  const auto hit = find_ledger_instruction(deep);
  REQUIRE(hit);
  CHECK(hit->size() == 20'000 * 2 + std::string("grant_points").size());
  CHECK(hit->rfind("a.a.", 0) == 0);
  CHECK(hit->substr(hit->size() - 15) == ".a.grant_points");
  CHECK(!find_ledger_instruction(arrays));
  // The first hit in document order, as before: a key is checked before its value is entered.
  CHECK(find_ledger_instruction(json::parse(R"({"a": {"award": 1}, "b": [{"x": 1}, {"ledger": 2}]})")) == "a.award");
  CHECK(find_ledger_instruction(json::parse(R"({"a": {"ok": [1, {"y": {"credit": 1}}]}, "z_transfer": 1})")) ==
        "a.ok[1].y.credit");
  CHECK(find_ledger_instruction(json::parse(R"([[], [{"x": 1}, {"debit": 0}]])")) == "[1][1].debit");
}

TEST_CASE("openai: a body over max_response_bytes aborts the transfer and is invalid") {
  Rig rig(json{{"max_response_bytes", 2048}});
  const std::string big = json{{"items", json::array()}, {"pad", std::string(5000, 'x')}}.dump();
  rig.server.push(chat_completion(big));
  const auto f = expect_failure([&] { rig.run(); });
  CHECK(f.status == Status::invalid);
  CHECK(f.message.find("exceeds 2048 bytes") != std::string::npos);
  CHECK(f.detail["attempts"] == 1);
  CHECK(rig.server.request_count() == 1);
}

TEST_CASE("openai: output that breaks the schema is invalid and names the path") {
  Rig rig;
  rig.server.push(chat_completion(R"({"items": [{"reward_id": "rw_1", "reason": "x", "confidence": 1.5}]})"));
  rig.server.push(chat_completion(R"({"items": [{"reward_id": "rw_1", "confidence": 0.5}]})"));
  rig.server.push(chat_completion(R"({"items": [], "extra": true})"));
  auto f = expect_failure([&] { rig.run(); });
  CHECK(f.status == Status::invalid);
  CHECK(f.field == "output.items[0].confidence");
  CHECK(f.message.find("breaks the schema at output.items[0].confidence") != std::string::npos);
  CHECK(f.detail["provider"] == "openai");
  CHECK(f.detail["attempts"] == 1);
  f = expect_failure([&] { rig.run(); });
  CHECK(f.field == "output.items[0].reason");  // the missing required property is named
  CHECK(f.message.find("reason") != std::string::npos);
  f = expect_failure([&] { rig.run(); });
  CHECK(f.field == "output.extra");
  CHECK(rig.server.request_count() == 3);  // none retried
}

TEST_CASE("openai: output that asks to grant points is invalid, whatever the schema allows") {
  SUBCASE("top level, strict schema") {
    Rig rig;
    rig.server.push(chat_completion(R"({"items": [], "grant_points": 500})"));
    const auto f = expect_failure([&] { rig.run(); });
    CHECK(f.status == Status::invalid);
    CHECK(f.field == "output.grant_points");
    CHECK(f.message.find("ledger action") != std::string::npos);
  }
  SUBCASE("nested, permissive schema") {
    Rig rig(json::object(), permissive_schema);
    rig.server.push(chat_completion(R"({"items": [{"reward_id": "r", "pointsToAward": 100}]})"));
    const auto f = expect_failure([&] { rig.run(); });
    CHECK(f.status == Status::invalid);
    CHECK(f.field == "output.items[0].pointsToAward");
  }
  SUBCASE("the key list") {
    for (const char* key : {"grant_points", "points_to_award", "adjust-points", "creditPoints", "ledger_action",
                            "adjustments", "award_pts", "transfer"})
      CHECK_MESSAGE(find_ledger_instruction(json{{"x", json::array({{{key, 1}}})}}), key);
    for (const char* key : {"points_cost", "points_needed", "reward_id", "reason", "confidence", "award_name",
                            "granted_at", "churn_risk", "points_balance"})
      CHECK_MESSAGE(!find_ledger_instruction(json{{key, 1}}), key);
  }
}

TEST_CASE("openai: the circuit breaker opens after the threshold, fails fast, then lets one trial through") {
  Rig rig({{"max_attempts", 1}, {"breaker_threshold", 2}, {"breaker_cooldown_ms", 10000}});
  // A server that answers is not a breaker failure, even with bad output.
  rig.server.push(chat_completion("not json"));
  CHECK(expect_failure([&] { rig.run(); }).status == Status::invalid);
  rig.server.push(status(500));
  rig.server.push(status(503));
  CHECK(expect_failure([&] { rig.run(); }).status == Status::unavailable);
  CHECK(expect_failure([&] { rig.run(); }).status == Status::unavailable);
  CHECK(rig.server.request_count() == 3);

  // Open: fails fast without a request.
  auto f = expect_failure([&] { rig.run(); });
  CHECK(f.status == Status::unavailable);
  CHECK(f.detail["circuit"] == "open");
  CHECK(f.detail["attempts"] == 0);
  rig.clock->advance(9000);
  CHECK(expect_failure([&] { rig.run(); }).detail["circuit"] == "open");
  CHECK(rig.server.request_count() == 3);

  // Half-open: one trial; its failure opens the breaker again at once.
  rig.clock->advance(1000);
  rig.server.push(status(500));
  CHECK(expect_failure([&] { rig.run(); }).detail["http_status"] == 500);
  CHECK(rig.server.request_count() == 4);
  CHECK(expect_failure([&] { rig.run(); }).detail["circuit"] == "open");

  // Next trial succeeds: closed again, calls flow.
  rig.clock->advance(10000);
  rig.server.push(chat_completion(kGood));
  rig.server.push(chat_completion(kGood));
  CHECK(rig.run() == json::parse(kGood));
  CHECK(rig.run() == json::parse(kGood));
  CHECK(rig.server.request_count() == 6);
  // And one more failure alone does not reopen it (the count restarted).
  rig.server.push(status(500));
  rig.server.push(chat_completion(kGood));
  CHECK(expect_failure([&] { rig.run(); }).detail["http_status"] == 500);
  CHECK(rig.run() == json::parse(kGood));
}

TEST_CASE("openai: every error of a call names provider, but output paths name the output") {
  // Unavailable: 5xx after the attempts, a never-answering server, a refused connection, the deadline,
  // an open breaker; forbidden; invalid answers.
  Rig rig({{"max_attempts", 1}, {"breaker_threshold", 3}, {"breaker_cooldown_ms", 10000}, {"total_timeout_ms", 300}});
  rig.server.push(status(503));
  rig.server.push(never_answering());
  rig.server.push(status(401, error_body("bad key")));
  rig.server.push(status(404, error_body("no such model")));
  rig.server.push(status(200, "<html>"));
  rig.server.push(chat_completion("not json"));
  push_times(rig, status(500), 3);
  const std::vector<Status> expected = {Status::unavailable, Status::unavailable, Status::forbidden,
                                        Status::invalid,     Status::invalid,     Status::invalid,
                                        Status::unavailable, Status::unavailable, Status::unavailable};
  for (size_t n = 0; n < expected.size(); ++n) {
    CAPTURE(n);
    const auto f = expect_failure([&] { rig.run(); });
    CHECK(f.status == expected[n]);
    CHECK(f.field == "provider");
    CHECK(f.detail["provider"] == "openai");
  }
  // The third unavailable call in a row opened the breaker: failing fast names provider too.
  const auto open = expect_failure([&] { rig.run(); });
  CHECK(open.status == Status::unavailable);
  CHECK(open.detail["circuit"] == "open");
  CHECK(open.field == "provider");
  // A refused connection.
  auto p = make_openai_provider(
      parse_openai_config({{"base_url", refusing_base_url()}, {"model", "m"}, {"max_attempts", 1}}), test_schema,
      std::make_shared<FakeClock>());
  const auto refused = expect_failure([&] { p->run(Operation::feedback, json::object()); });
  CHECK(refused.status == Status::unavailable);
  CHECK(refused.field == "provider");
  // The deadline.
  Rig slow({{"deadline_ms", 1}, {"total_timeout_ms", 1}});
  slow.server.push(never_answering());
  const auto late = expect_failure([&] { slow.run(); });
  CHECK(late.status == Status::unavailable);
  CHECK(late.field == "provider");
}

TEST_CASE("openai: while the half-open trial runs, other calls fail fast") {
  Rig rig({{"max_attempts", 1}, {"breaker_threshold", 1}, {"breaker_cooldown_ms", 1000}});
  rig.server.push(status(500));
  CHECK(expect_failure([&] { rig.run(); }).status == Status::unavailable);
  rig.clock->advance(1000);
  ScriptedResponse slow = chat_completion(kGood);
  slow.delay_ms = 500;
  rig.server.push(slow);
  std::thread trial([&] { CHECK(rig.run() == json::parse(kGood)); });
  while (rig.server.request_count() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(expect_failure([&] { rig.run(); }).detail["circuit"] == "half_open");
  trial.join();
  rig.server.push(chat_completion(kGood));
  CHECK(rig.run() == json::parse(kGood));
}

TEST_CASE("openai: concurrent calls from several threads each get their answer") {
  Rig rig;
  constexpr int kThreads = 4, kCalls = 5;
  for (int i = 0; i < kThreads * kCalls; ++i) rig.server.push(chat_completion(kGood));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i)
        if (rig.run() == json::parse(kGood)) ++ok;
    });
  for (auto& t : threads) t.join();
  CHECK(ok == kThreads * kCalls);
  CHECK(rig.server.request_count() == kThreads * kCalls);
}

TEST_CASE("openai: the system clock really waits for Retry-After") {
  ScriptServer server;
  auto p = make_openai_provider(parse_openai_config(base_config(server)), test_schema);  // system clock
  server.push(status(429, "{}", {{"Retry-After", "1"}}));
  server.push(chat_completion(kGood));
  const int64_t t0 = steady_ms();
  CHECK(p->run(Operation::location_insights, json::object()) == json::parse(kGood));
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].received_ms - reqs[0].received_ms >= 950);
  CHECK(steady_ms() - t0 < 5000);
}

TEST_CASE("openai: Retry-After parsing") {
  const int64_t now = FakeClock::kUnixStart;  // Thu, 28 May 2026 20:26:40 GMT
  CHECK(parse_retry_after("5", now) == 5000);
  CHECK(parse_retry_after(" 0 ", now) == 0);
  CHECK(parse_retry_after("Thu, 28 May 2026 20:26:50 GMT", now) == 10000);
  CHECK(parse_retry_after("Thursday, 28-May-26 20:26:45 GMT", now) == 5000);  // RFC 850
  CHECK(parse_retry_after("Thu May 28 20:26:42 2026", now) == 2000);          // asctime
  CHECK(parse_retry_after("Thu, 28 May 2026 20:00:00 GMT", now) == 0);        // in the past
  CHECK_FALSE(parse_retry_after("soon", now));
  CHECK_FALSE(parse_retry_after("", now));
  CHECK_FALSE(parse_retry_after("-3", now));
}

TEST_CASE("openai: configuration is validated field by field") {
  const json ok = {{"base_url", "https://api.openai.com/v1"}, {"model", "gpt-4o-mini"}};
  auto bad = [&](json patch, const char* field) {
    json c = ok;
    c.merge_patch(patch);
    try {
      (void)parse_openai_config(c);
      FAIL_CHECK("accepted: " << c.dump());
    } catch (const Error& e) {
      CHECK(e.status() == Status::invalid);
      CHECK_MESSAGE(e.field() == field, e.what());
    }
  };
  bad({{"base_url", nullptr}}, "openai.base_url");
  bad({{"base_url", "ftp://example.com/v1"}}, "openai.base_url");
  bad({{"base_url", "file:///etc/passwd"}}, "openai.base_url");
  bad({{"base_url", "api.openai.com/v1"}}, "openai.base_url");
  bad({{"base_url", "https://example.com/v1?x=1"}}, "openai.base_url");
  bad({{"base_url", "https://exa mple.com/v1"}}, "openai.base_url");
  bad({{"base_url", 7}}, "openai.base_url");
  bad({{"model", ""}}, "openai.model");
  bad({{"model", nullptr}}, "openai.model");
  bad({{"api_key", "k\r\nX-Evil: 1"}}, "openai.api_key");
  bad({{"headers", {{"X-A", "v\r\nX-Evil: 1"}}}}, "openai.headers.X-A");
  bad({{"headers", {{"Bad Name", "v"}}}}, "openai.headers.Bad Name");
  bad({{"headers", {{"X-A", 1}}}}, "openai.headers.X-A");
  bad({{"headers", "X-A: 1"}}, "openai.headers");
  bad({{"connect_timeout_ms", 0}}, "openai.connect_timeout_ms");
  bad({{"total_timeout_ms", -1}}, "openai.total_timeout_ms");
  bad({{"deadline_ms", "60s"}}, "openai.deadline_ms");
  bad({{"max_attempts", 0}}, "openai.max_attempts");
  bad({{"max_attempts", 11}}, "openai.max_attempts");
  bad({{"backoff_base_ms", 1000}, {"backoff_max_ms", 10}}, "openai.backoff_max_ms");
  bad({{"max_response_bytes", 10}}, "openai.max_response_bytes");
  bad({{"breaker_threshold", 0}}, "openai.breaker_threshold");
  bad({{"breaker_cooldown_ms", -5}}, "openai.breaker_cooldown_ms");
  bad({{"azure", {{"version", "x"}}}}, "openai.azure.version");
  bad({{"azure", json::object()}}, "openai.azure.api_version");
  bad({{"proxy", "gopher://proxy:70"}}, "openai.proxy");
  bad({{"temperature", 3}}, "openai.temperature");
  bad({{"strict", "yes"}}, "openai.strict");
  bad({{"organisation", "x"}}, "openai.organisation");
  CHECK_THROWS_AS(parse_openai_config(json::array()), Error);

  const auto c = parse_openai_config(json{{"base_url", "http://localhost:11434/v1"},
                                          {"model", "llama3"},
                                          {"api_key", "k"},
                                          {"headers", {{"OpenAI-Organization", "org_1"}}},
                                          {"connect_timeout_ms", 1000},
                                          {"total_timeout_ms", 2000},
                                          {"deadline_ms", 9000},
                                          {"stall_timeout_ms", 3000},
                                          {"max_attempts", 4},
                                          {"backoff_base_ms", 10},
                                          {"backoff_max_ms", 20},
                                          {"max_retry_wait_ms", 30},
                                          {"max_response_bytes", 4096},
                                          {"breaker_threshold", 7},
                                          {"breaker_cooldown_ms", 8},
                                          {"azure", {{"api_version", "2024-10-21"}}},
                                          {"proxy", "socks5h://127.0.0.1:1080"},
                                          {"temperature", 0.2},
                                          {"strict", false}});
  CHECK(c.base_url == "http://localhost:11434/v1");
  CHECK(c.model == "llama3");
  CHECK(c.headers == std::vector<std::pair<std::string, std::string>>{{"OpenAI-Organization", "org_1"}});
  CHECK(c.connect_timeout_ms == 1000);
  CHECK(c.total_timeout_ms == 2000);
  CHECK(c.deadline_ms == 9000);
  CHECK(c.stall_timeout_ms == 3000);
  CHECK(c.max_attempts == 4);
  CHECK(c.backoff_base_ms == 10);
  CHECK(c.backoff_max_ms == 20);
  CHECK(c.max_retry_wait_ms == 30);
  CHECK(c.max_response_bytes == 4096);
  CHECK(c.breaker_threshold == 7);
  CHECK(c.breaker_cooldown_ms == 8);
  CHECK(c.azure_api_version == "2024-10-21");
  CHECK(c.proxy == "socks5h://127.0.0.1:1080");
  CHECK(c.temperature == doctest::Approx(0.2));
  CHECK_FALSE(c.strict);

  const auto d = parse_openai_config(ok);  // the defaults
  CHECK(d.api_key.empty());
  CHECK(d.max_attempts == 3);
  CHECK(d.total_timeout_ms == 30000);
  CHECK(d.max_response_bytes == 1 << 20);
  CHECK(d.strict);
  CHECK_FALSE(d.azure_api_version);
}
