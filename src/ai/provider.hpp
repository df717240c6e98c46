// The AI provider interface (DESIGN.md section 4 "AI providers"; docs/ai.md). Three providers
// implement it: the built-in offline provider (the default), the OpenAI-compatible provider over
// libcurl, and the callback provider through which a C, Python or Node host plugs in its own.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace loyalty::detail::ai {

/// The five operations every provider answers. Values are stable (they index tables).
enum class Operation : int {
  recommendations = 0,
  churn = 1,
  segmentation = 2,
  feedback = 3,
  location_insights = 4,
};
inline constexpr int kOperationCount = 5;

/// The operation's name as used in JSON, storage and docs.
constexpr std::string_view operation_name(Operation op) noexcept {
  constexpr std::array<std::string_view, kOperationCount> names = {"recommendations", "churn", "segmentation",
                                                                   "feedback", "location_insights"};
  return names[static_cast<int>(op)];
}

/// The JSON Schema of each operation's output (docs/schema/ai/<name>.output.schema.json). Every
/// provider's output is validated against it before it is stored or returned.
const nlohmann::json& output_schema(Operation op);

class SchemaValidator;

/// One AI provider. Implementations are thread-safe: `run` may be called from several threads at
/// once. The engine never calls a provider inside a database transaction.
class Provider {
 public:
  virtual ~Provider() = default;
  /// "offline", "openai" or "callback".
  virtual std::string kind() const = 0;
  /// The model name recorded with every stored result ("offline-v1", "gpt-4o-mini", ...).
  virtual std::string model() const = 0;
  /// Runs `op` on its documented input (tenant-scoped aggregates with pseudonymous ids, never
  /// names, e-mails or precise coordinates) and returns its documented output.
  /// Throws loyalty::Error: Status::unavailable (unreachable, deadline passed, circuit open, 429 or
  /// 5xx after the retries), Status::forbidden (rejected credential, insufficient quota),
  /// Status::invalid (the provider refused the input, or its output is malformed or breaks the
  /// schema: such output is never applied).
  virtual nlohmann::json run(Operation op, const nlohmann::json& input) = 0;
  /// The validator `run` checks every output of `op` with before returning it, or nullptr when it
  /// checks none. The engine validates each output once: it skips its own check of the output
  /// schema when this is that schema's validator (`output_validator(op)`). Called after `run`.
  virtual const SchemaValidator* output_checked_with(Operation op) const {
    (void)op;
    return nullptr;
  }
};

}  // namespace loyalty::detail::ai
