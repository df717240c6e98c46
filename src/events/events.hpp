// The event outbox: domain events written in the same transaction as the change that causes
// them, read by hosts with a cursor (at least once, in commit order per tenant).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/engine_state.hpp"

namespace loyalty::detail {

/// Every event type the engine writes (docs/events.md#event-types). emit_event refuses any other,
/// and events.poll accepts only these in `types`.
inline constexpr std::array<std::string_view, 14> kEventTypes = {
    "points.earned",  "points.adjusted",        "points.redeemed",  "points.refunded",  "points.reversed",
    "points.expired", "reward.redeemed",        "reward.reserved",  "reward.cancelled", "reward.expired",
    "tier.changed",   "tier.downgrade_warning", "checkin.verified", "checkin.rejected"};

/// Whether `type` is one of kEventTypes.
bool known_event_type(std::string_view type);

/// Appends one event inside the caller's write transaction; it becomes visible to `events.poll`
/// when (and only if) that transaction commits. `subject` is the customer id ("" for none);
/// `data` is the event's payload object. Returns the event id.
std::string emit_event(storage::UnitOfWork& tx, const std::string& tenant, std::string_view type,
                       const std::string& subject, Timestamp at, nlohmann::json data);

}  // namespace loyalty::detail
