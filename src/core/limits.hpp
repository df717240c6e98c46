// Size limits of free-form input. A free-form field is a JSON object the engine stores as the
// caller gave it (metadata, settings, profiles, device descriptions, tier benefits, ...); some are
// written into rows that can never be deleted (ledger entries). Every one of them is read through
// opt_object_limited with one of the limits below, so no input can store an unbounded payload.
// The table is documented in docs/errors.md#limits; tests/unit/core/limits_test.cpp walks every
// write operation that takes such a field.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "core/input.hpp"

namespace loyalty::detail {

/// `metadata` of ledger writes (earn, earn_batch events, adjust, redeem, refund, reverse,
/// hold.commit), purchases and rewards.
inline constexpr size_t kMaxMetadataBytes = 16 * 1024;
/// `metadata` of reward.redeem: it is stored inside the redeem entry's metadata together with the
/// reward's id (`{"reward_id": ..., "request": <metadata>}`), which must fit kMaxMetadataBytes.
inline constexpr size_t kMaxRedeemRequestMetadataBytes = kMaxMetadataBytes - 1024;
/// Each of the four sections of a tenant's `settings` (branding, loyalty, security, notifications).
inline constexpr size_t kMaxSettingsSectionBytes = 16 * 1024;
/// A customer's `profile` and `preferences`; a location's `metadata`.
inline constexpr size_t kMaxDocumentBytes = 64 * 1024;
/// `customer.attributes` of a purchase (stored with the purchase).
inline constexpr size_t kMaxAttributesBytes = 16 * 1024;
/// `device` of a check-in.
inline constexpr size_t kMaxDeviceBytes = 8 * 1024;
/// A tier's `benefits`.
inline constexpr size_t kMaxBenefitsBytes = 4 * 1024;

/// Bytes of `j` serialised as compact JSON (what the engine stores).
inline size_t json_bytes(const json& j) { return j.dump().size(); }

/// The free-form object `key` of `i` (null or absent -> nullopt), at most `max_bytes` of compact
/// JSON. Not an object, or larger: LOY_EINVALID naming the field.
inline std::optional<json> opt_object_limited(const Input& i, std::string_view key, size_t max_bytes) {
  auto obj = i.opt_object(key);
  if (obj && json_bytes(*obj) > max_bytes)
    i.fail(key, fmt::format("must be at most {} bytes of JSON ({} KiB)", max_bytes, max_bytes / 1024));
  return obj;
}

}  // namespace loyalty::detail
