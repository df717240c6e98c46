#include "ai/schema_validate.hpp"

// valijson reports its own failures (an unparseable schema) by exception rather than abort().
#define VALIJSON_USE_EXCEPTIONS 1
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <atomic>
#include <cctype>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "loyalty/core/error.hpp"

namespace loyalty::detail::ai {

namespace {

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// valijson's context is {"<root>", "[items]", "[0]", "[confidence]"}; walk the document beside it
// so array indexes and object keys are told apart ("items[0].confidence").
std::string json_path(const std::vector<std::string>& context, const nlohmann::json& document) {
  std::string path;
  const nlohmann::json* node = &document;
  for (size_t i = 1; i < context.size(); ++i) {
    std::string piece = context[i];
    if (piece.size() >= 2 && piece.front() == '[' && piece.back() == ']') piece = piece.substr(1, piece.size() - 2);
    if (node && node->is_array() && all_digits(piece)) {
      path += fmt::format("[{}]", piece);
      const auto index = std::stoull(piece);
      node = index < node->size() ? &(*node)[index] : nullptr;
    } else {
      if (!path.empty()) path += '.';
      path += piece;
      if (node && node->is_object()) {
        auto it = node->find(piece);
        node = it == node->end() ? nullptr : &*it;
      } else {
        node = nullptr;
      }
    }
  }
  return path;
}

std::string child(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

/// Draft 7 counts a number with a zero fractional part (3.0) as an integer, valijson's strong
/// types do not: `v` is validated with such floats made integers. Non-finite numbers (which a C++
/// host can put in a document, though JSON has none) are refused here.
std::optional<SchemaViolation> integral_floats_as_integers(nlohmann::json& v, const std::string& path) {
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d)) return SchemaViolation{path, "must be a finite number"};
    if (std::floor(d) == d && std::fabs(d) <= 9'007'199'254'740'992.0) v = static_cast<int64_t>(d);
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i)
      if (auto e = integral_floats_as_integers(v[i], fmt::format("{}[{}]", path, i))) return e;
  } else if (v.is_object()) {
    for (auto& [key, value] : v.items())
      if (auto e = integral_floats_as_integers(value, child(path, key))) return e;
  }
  return std::nullopt;
}

/// The quoted name after `marker` in a valijson description, or "".
std::string quoted_after(const std::string& description, std::string_view marker) {
  const auto at = description.find(marker);
  if (at == std::string::npos) return {};
  auto key = description.substr(at + marker.size());
  const auto end = key.rfind('\'');
  return end == std::string::npos ? std::string{} : key.substr(0, end);
}

}  // namespace

struct SchemaValidator::Impl {
  valijson::Schema schema;
  mutable std::atomic<uint64_t> checks{0};
};

SchemaValidator::SchemaValidator(const nlohmann::json& schema) : impl_(std::make_unique<Impl>()) {
  if (!schema.is_object() && !schema.is_boolean()) throw Error(Status::invalid, "a JSON Schema must be an object");
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(schema);
    parser.populateSchema(adapter, impl_->schema);
  } catch (const std::exception& e) {
    throw Error(Status::invalid, fmt::format("unusable JSON Schema: {}", e.what()));
  }
}

SchemaValidator::~SchemaValidator() = default;

std::optional<SchemaViolation> SchemaValidator::check(const nlohmann::json& document) const {
  impl_->checks.fetch_add(1, std::memory_order_relaxed);
  nlohmann::json doc = document;
  if (auto e = integral_floats_as_integers(doc, "")) return e;
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(doc);
  if (validator.validate(impl_->schema, target, &results)) return std::nullopt;
  // valijson records the innermost failure first, then one summary per enclosing schema.
  valijson::ValidationResults::Error first;
  if (!results.popError(first)) return SchemaViolation{"", "does not match the schema"};
  std::string path = json_path(first.context, doc);
  // A property refused by additionalProperties, or a required one missing, is reported on its
  // object: name the property.
  std::string key = quoted_after(first.description, "'properties' or 'additionalProperties' constraints: '");
  if (key.empty()) key = quoted_after(first.description, "Missing required property '");
  if (!key.empty()) path = child(path, key);
  return SchemaViolation{std::move(path), first.description};
}

uint64_t SchemaValidator::checks() const noexcept { return impl_->checks.load(std::memory_order_relaxed); }

const SchemaValidator& shared_validator(const nlohmann::json& schema) {
  // Never freed: the validators live as long as the process, like the schemas they parse.
  static std::mutex mu;
  static auto* parsed = new std::unordered_map<std::string, std::unique_ptr<SchemaValidator>>();
  std::string key = schema.dump();
  std::lock_guard lock(mu);
  auto it = parsed->find(key);
  if (it == parsed->end()) it = parsed->emplace(std::move(key), std::make_unique<SchemaValidator>(schema)).first;
  return *it->second;
}

std::optional<SchemaViolation> validate_against_schema(const nlohmann::json& schema, const nlohmann::json& document) {
  return SchemaValidator(schema).check(document);
}

}  // namespace loyalty::detail::ai
