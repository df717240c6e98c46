// Validation of provider outputs against the operation's output schema (docs/schema/ai/). The
// schemas use only type, properties, required, items, enum, minimum, maximum,
// additionalProperties (false), maxItems and maxLength, which this small validator implements.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "ai/provider.hpp"

namespace loyalty::detail::ai {

/// The schema file's text as embedded at build time (tests compare it with the file).
std::string_view output_schema_text(Operation op);

/// Throws Status::invalid naming the JSON path of the first violation ("output.items[0].score")
/// when `output` breaks the operation's output schema.
void validate_output(Operation op, const nlohmann::json& output);

/// Validates `value` against `schema` (the keyword subset above); throws Status::invalid with
/// the path `path` of the first violation.
void validate_against(const nlohmann::json& schema, const nlohmann::json& value, const std::string& path);

}  // namespace loyalty::detail::ai
