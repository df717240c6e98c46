// Rewards: the catalog (`reward.*`) and its redemptions (`reward.redeem`, `reward.reserve`,
// `redemption.*`). Internal API shared by the two halves of the module.
#pragma once

#include <optional>
#include <string>

#include "core/input.hpp"
#include "engine/engine_state.hpp"

namespace loyalty::detail {

/// A catalog entry as the redemption half reads it.
struct Reward {
  std::string id;
  std::string program_id;
  std::string name;
  int64_t cost_points = 0;
  std::optional<int64_t> stock;  ///< units left; nullopt: unlimited
  std::optional<Timestamp> starts_at;
  std::optional<Timestamp> ends_at;
  std::optional<std::string> min_tier_id;
  std::optional<int64_t> per_customer_limit;  ///< redemptions per customer per `limit_period`
  std::string limit_period;                   ///< "day" | "week" | "month" | "year" | "lifetime"
  int64_t reservation_ttl_s = 900;
  bool refundable = false;  ///< a fulfilled redemption may be cancelled (points and stock come back)
  bool active = true;
};

/// The tenant's reward `id`; Status::not_found naming `field` otherwise.
Reward load_reward(storage::UnitOfWork& tx, const std::string& tenant, const std::string& id,
                   const std::string& field = "reward_id");
/// The tenant's reward as the `reward.*` operations return it.
json reward_json(storage::UnitOfWork& tx, const std::string& tenant, const std::string& reward_id);

/// The redemption operations (redemptions.cpp), joined into the module's table in rewards.cpp.
json reward_redeem(Ctx& ctx, const json& in);
json reward_reserve(Ctx& ctx, const json& in);
json redemption_fulfil(Ctx& ctx, const json& in);
json redemption_cancel(Ctx& ctx, const json& in);
json redemption_get(Ctx& ctx, const json& in);
json redemption_by_code(Ctx& ctx, const json& in);
json redemption_list(Ctx& ctx, const json& in);

/// An optional value as JSON: the value, or null.
template <typename T>
json opt_json(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}
/// An optional time as JSON: RFC 3339, or null.
json opt_time_json(const std::optional<Timestamp>& t);

/// Installs the rewards module's ledger hooks (expiry of reservations in run_due, stock
/// invariants in verify); called once by the engine.
void install_reward_hooks();

}  // namespace loyalty::detail
