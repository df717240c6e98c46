// The OpenAI-compatible AI provider over libcurl (DESIGN.md section 4 "AI providers";
// docs/ai-openai.md): chat completions with a JSON schema per operation against OpenAI, Azure
// OpenAI or any local OpenAI-compatible server, with deadlines, retries with backoff and full
// jitter honouring Retry-After, a circuit breaker, a response size cap, depth-limited parsing and
// schema validation of the answer. The prompt is the input as given: the engine scrubs every
// provider's input before (ai/privacy.hpp, run_validated).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ai/provider.hpp"

namespace loyalty::detail::ai {

/// Settings of one OpenAI-compatible endpoint. Built by `parse_openai_config`, which documents
/// each field's JSON name, range and default (see also docs/ai-openai.md).
struct OpenAIConfig {
  std::string base_url;  ///< "https://api.openai.com/v1"; requests go to {base_url}/chat/completions
  std::string model;     ///< sent as "model" and recorded with every result
  std::string api_key;   ///< Authorization: Bearer <key> (or api-key: <key> in Azure style); may be empty
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra request headers
  int64_t connect_timeout_ms = 5'000;                        ///< each attempt's TCP/TLS connect deadline
  int64_t total_timeout_ms = 30'000;                         ///< each attempt's whole-transfer deadline
  int64_t deadline_ms = 60'000;                              ///< the whole call: every attempt and every wait
  int64_t stall_timeout_ms = 0;                  ///< >0: abort an attempt receiving < 1 byte/s for this long
  int max_attempts = 3;                          ///< attempts per call, the first included
  int64_t backoff_base_ms = 500;                 ///< full jitter: wait uniform in [0, min(max, base * 2^(n-1))]
  int64_t backoff_max_ms = 8'000;                ///< cap of the exponential backoff
  int64_t max_retry_wait_ms = 30'000;            ///< cap of a wait the server asks for with Retry-After
  int64_t max_response_bytes = 1 << 20;          ///< a longer body aborts the transfer: Status::invalid
  int breaker_threshold = 5;                     ///< consecutive unavailable calls that open the breaker
  int64_t breaker_cooldown_ms = 30'000;          ///< how long an open breaker fails fast before a trial
  std::optional<std::string> azure_api_version;  ///< Azure style: api-key header, ?api-version=
  std::optional<std::string> proxy;              ///< proxy URL; without it no proxy is used (env ignored)
  std::optional<double> temperature;             ///< sent when set
  bool strict = true;                            ///< response_format.json_schema.strict
};

/// Parses and validates the provider's configuration object:
/// `{"base_url", "model", "api_key", "headers": {name: value}, "connect_timeout_ms",
/// "total_timeout_ms", "deadline_ms", "stall_timeout_ms", "max_attempts", "backoff_base_ms",
/// "backoff_max_ms", "max_retry_wait_ms", "max_response_bytes", "breaker_threshold",
/// "breaker_cooldown_ms", "azure": {"api_version"}, "proxy", "temperature", "strict"}`.
/// base_url and model are required. Unknown fields, wrong types, out-of-range numbers, URLs other
/// than http(s) and headers with CR/LF are Status::invalid naming the field as "openai.<field>".
OpenAIConfig parse_openai_config(const nlohmann::json& config);

/// Where the provider finds each operation's output JSON Schema (the engine passes
/// `output_schema`). The reference must stay valid for the provider's lifetime.
using SchemaLookup = std::function<const nlohmann::json&(Operation)>;

/// Time, sleeping and jitter for the retry loop and the circuit breaker, injectable so tests can
/// observe the waits without sleeping. Implementations must be thread-safe.
class RetryClock {
 public:
  virtual ~RetryClock() = default;
  /// Monotonic milliseconds (deadlines, the breaker's cool-down).
  virtual int64_t monotonic_ms() = 0;
  /// Unix milliseconds (to turn a Retry-After HTTP-date into a wait).
  virtual int64_t unix_ms() = 0;
  /// Waits `ms` milliseconds before the next attempt.
  virtual void sleep_ms(int64_t ms) = 0;
  /// A uniformly random wait in [0, max_ms] (full jitter).
  virtual int64_t jitter_ms(int64_t max_ms) = 0;
};

/// steady_clock, system_clock, this_thread::sleep_for and a per-thread random generator.
std::shared_ptr<RetryClock> system_retry_clock();

/// The provider (kind "openai", model `config.model`). Thread-safe: each call uses its own curl
/// handle; the circuit breaker is shared by all calls of this provider. `clock` defaults to
/// `system_retry_clock()`.
std::unique_ptr<Provider> make_openai_provider(OpenAIConfig config, SchemaLookup schemas,
                                               std::shared_ptr<RetryClock> clock = nullptr);

/// The JSON path of the first key in `output` that asks for a ledger action (grant, award, adjust,
/// credit, debit or transfer points, ...), or nullopt. Such output is never applied. Iterative
/// (first_key_path): any depth.
std::optional<std::string> find_ledger_instruction(const nlohmann::json& output);

/// Parses a Retry-After value (delta-seconds or an HTTP-date) into milliseconds from `now_unix_ms`
/// (0 for a date in the past), or nullopt when it is neither.
std::optional<int64_t> parse_retry_after(const std::string& value, int64_t now_unix_ms);

}  // namespace loyalty::detail::ai
