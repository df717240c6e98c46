// Append-only, hash-chained audit log. One chain per tenant (chain = tenant id) and one for the
// engine administrator (chain = "engine").
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/engine_state.hpp"

namespace loyalty::detail {

inline constexpr const char* kEngineChain = "engine";

/// Appends one row inside the caller's write transaction.
void audit_append(storage::UnitOfWork& tx, const std::string& chain, const std::string& actor,
                  const std::string& action, const std::string& target, Timestamp at, const nlohmann::json& detail);

}  // namespace loyalty::detail
