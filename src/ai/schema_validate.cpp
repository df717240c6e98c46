#include "ai/schema_validate.hpp"

// valijson reports its own failures (an unparseable schema) by exception rather than abort().
#define VALIJSON_USE_EXCEPTIONS 1
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <cctype>
#include <stdexcept>
#include <string_view>

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

}  // namespace

struct SchemaValidator::Impl {
  valijson::Schema schema;
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
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(document);
  if (validator.validate(impl_->schema, target, &results)) return std::nullopt;
  // valijson records the innermost failure first, then one summary per enclosing schema.
  valijson::ValidationResults::Error first;
  if (!results.popError(first)) return SchemaViolation{"", "does not match the schema"};
  std::string path = json_path(first.context, document);
  // A property refused by additionalProperties is reported on its object; name the property.
  constexpr std::string_view kExtra = "'properties' or 'additionalProperties' constraints: '";
  if (auto at = first.description.find(kExtra); at != std::string::npos) {
    auto key = first.description.substr(at + kExtra.size());
    if (auto end = key.rfind('\''); end != std::string::npos) key.resize(end);
    path += path.empty() ? key : "." + key;
  }
  return SchemaViolation{std::move(path), first.description};
}

std::optional<SchemaViolation> validate_against_schema(const nlohmann::json& schema, const nlohmann::json& document) {
  return SchemaValidator(schema).check(document);
}

}  // namespace loyalty::detail::ai
