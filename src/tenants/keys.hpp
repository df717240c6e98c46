// API keys: `loy_<prefix>_<secret>`; the prefix is visible and indexes the key, the secret
// carries 256 random bits, and only SHA-256 of the whole key is stored.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine_state.hpp"

namespace loyalty::detail {

struct NewKey {
  std::string id;
  std::string prefix;
  std::string secret;  // the whole key, shown once
};

/// Parses and validates a scope list ("admin", "pos", "read"); returns the bitmask.
uint32_t parse_scopes(const std::vector<std::string>& scopes, const std::string& field);
json scopes_json(uint32_t mask);

/// Creates a key for `tenant_id` inside the caller's write transaction.
NewKey create_key(storage::UnitOfWork& tx, const std::string& tenant_id, const std::string& name, uint32_t scopes,
                  Timestamp now);
json key_json(const NewKey& k, const std::string& name, uint32_t scopes, Timestamp now);

std::shared_ptr<SessionState> open_session(const std::shared_ptr<EngineState>& engine, std::string_view api_key);

}  // namespace loyalty::detail
