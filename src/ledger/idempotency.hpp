// The exactly-once contract: a write carrying `idempotency_key` stores its request and result in
// the same transaction; the same key with the same request replays the stored result (marked
// "replayed": true), with another request fails with Status::conflict naming the first field
// that differs.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "storage/unit_of_work.hpp"

namespace loyalty::detail {

struct IdemKey {
  std::string key;
  std::string operation;
  nlohmann::json request;  // the input without idempotency_key
};

/// Reads `idempotency_key` from `input` (validated: 1-200 bytes) under `path`.
std::optional<IdemKey> idem_key(const nlohmann::json& input, const std::string& operation,
                                const std::string& path = {});
/// Returns the stored response for a replay, nullopt for a fresh key; throws conflict on mismatch.
std::optional<nlohmann::json> idem_lookup(storage::UnitOfWork& tx, const std::string& tenant, const IdemKey& k,
                                          const std::string& path = {});
void idem_store(storage::UnitOfWork& tx, const std::string& tenant, const IdemKey& k, const nlohmann::json& response,
                int64_t now);

/// First path at which two JSON values differ ("" if equal).
std::string first_difference(const nlohmann::json& a, const nlohmann::json& b, const std::string& path = {});

}  // namespace loyalty::detail
