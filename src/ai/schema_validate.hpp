// JSON Schema (draft 7) validation of JSON documents, over Debian's header-only valijson with its
// nlohmann adapter. Every AI provider's output is checked with it before it is stored or returned.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace loyalty::detail::ai {

/// The first way a document breaks a schema.
struct SchemaViolation {
  /// JSON path of the offending value: "" for the document itself, else "items[0].confidence".
  std::string path;
  /// What is wrong, in valijson's words.
  std::string message;
};

/// A parsed schema, reusable and safe to share between threads (each `check` validates with its
/// own validator state). Long-lived schemas are parsed once through `shared_validator`.
class SchemaValidator {
 public:
  /// Parses `schema` (draft 7). A schema valijson cannot parse is Status::invalid.
  explicit SchemaValidator(const nlohmann::json& schema);
  ~SchemaValidator();
  SchemaValidator(const SchemaValidator&) = delete;
  SchemaValidator& operator=(const SchemaValidator&) = delete;

  /// nullopt when `document` is valid, else its first violation.
  std::optional<SchemaViolation> check(const nlohmann::json& document) const;

  /// How many documents `check` has been given so far (tests use it to see that each output is
  /// validated exactly once).
  uint64_t checks() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The validator of `schema`, parsed on first use and kept for the life of the process: every
/// caller asking for an equal schema (the same JSON) gets the same validator, so each schema is
/// parsed once. Thread-safe. A schema valijson cannot parse is Status::invalid (and not kept).
const SchemaValidator& shared_validator(const nlohmann::json& schema);

/// One-shot convenience: parses `schema` and checks `document` against it.
std::optional<SchemaViolation> validate_against_schema(const nlohmann::json& schema, const nlohmann::json& document);

}  // namespace loyalty::detail::ai
