// Validation of provider outputs against the operation's output schema (docs/schema/ai/): the one
// mechanism every provider's output goes through, JSON Schema draft 7 over valijson
// (ai/schema_validate.hpp), with errors naming the JSON path of the first violation.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "ai/provider.hpp"
#include "ai/schema_validate.hpp"

namespace loyalty::detail::ai {

/// The schema file's text as embedded at build time (tests compare it with the file).
std::string_view output_schema_text(Operation op);

/// The parsed validator of an operation's output schema (built once through `shared_validator`,
/// shared by threads and by the providers that validate with the same schema).
const SchemaValidator& output_validator(Operation op);

/// Throws Status::invalid naming the JSON path of the first violation ("output.items[0].score";
/// "output" for the document itself) when `output` breaks `schema`.
void check_output(const SchemaValidator& schema, const nlohmann::json& output);

/// check_output against the operation's output schema.
void validate_output(Operation op, const nlohmann::json& output);

/// Runs the provider (never inside a transaction) on `input` after the privacy scrub
/// (scrub_personal_data: the one scrub, for every provider) and returns its output, validated
/// exactly once against the operation's output schema: by the provider itself when it reports
/// that schema's validator (`Provider::output_checked_with`: the OpenAI provider, whose errors then
/// carry its detail), else here. Output that breaks the schema is Status::invalid naming its path
/// ("output.items[0].reason"); output nested deeper than kMaxJsonDepth is Status::invalid naming
/// `provider` (checked without recursion, before anything walks it).
nlohmann::json run_validated(Provider& p, Operation op, const nlohmann::json& input);

}  // namespace loyalty::detail::ai
