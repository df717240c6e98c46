// The event outbox: domain events written in the same transaction as the change that causes
// them, read by hosts with a cursor (at least once, in commit order per tenant).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/engine_state.hpp"

namespace loyalty::detail {

/// Appends one event inside the caller's write transaction; it becomes visible to `events.poll`
/// when (and only if) that transaction commits. `subject` is the customer id ("" for none);
/// `data` is the event's payload object. Returns the event id.
std::string emit_event(storage::Tx& tx, const std::string& tenant, std::string_view type, const std::string& subject,
                       Timestamp at, nlohmann::json data);

}  // namespace loyalty::detail
