// Loyalty programs: currency, rounding, return policy, expiry policy, pending days, limits.
#pragma once

#include <optional>
#include <string>

#include "engine/engine_state.hpp"
#include "loyalty/core/timezone.hpp"

namespace loyalty::detail {

enum class ReturnPolicy { only_pending, within_balance, unlimited };
enum class ExpiryKind { never, days_after_earn, end_of_month, end_of_year, inactivity };

struct Program {
  std::string id;
  std::string currency;
  std::string rounding;
  ReturnPolicy return_policy = ReturnPolicy::within_balance;
  ExpiryKind expiry = ExpiryKind::never;
  int64_t expiry_value = 0;  // days or months, per kind
  int64_t pending_days = 0;
  std::optional<int64_t> max_balance;
  bool allow_negative = false;
  bool active = true;
  /// The tenant's time zone: calendar expiry (end of month or year) follows local dates.
  std::shared_ptr<const TimeZone> zone;
};

/// Loads a program of the session's tenant; Status::not_found otherwise.
Program load_program(storage::UnitOfWork& tx, const std::string& tenant_id, const std::string& program_id,
                     const std::string& field = "program_id");
/// The tenant's only active program, for calls that omit program_id.
Program default_program(storage::UnitOfWork& tx, const std::string& tenant_id);
/// The tenant's only active program; none when it has no active program or several.
std::optional<Program> only_active_program(storage::UnitOfWork& tx, const std::string& tenant_id);
/// Bucket expiry for points earned at `earned_at` under the program's policy (nullopt: never).
/// End of month/year is local midnight in the tenant's time zone.
std::optional<Timestamp> expiry_for(const Program& p, Timestamp earned_at);

}  // namespace loyalty::detail
