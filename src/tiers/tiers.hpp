// Tiers: the `tier.*` operations, the ledger hooks that keep tiers current, and what other
// modules (rules, locations) tell tiers or read from them.
#pragma once

#include <optional>
#include <string>

#include "engine/engine_state.hpp"
#include "ledger/hooks.hpp"

namespace loyalty::detail {

/// Installs the tiers module's ledger hooks (qualifying points, balance decoration, run_due);
/// called once by the engine.
void install_tier_hooks();

/// Qualifying activity other than points: `metric` is "spend" (purchase amounts in minor units;
/// negative for returns) or "visits" (verified check-ins). Inside the caller's write transaction:
/// counted for the local day of `occurred_at` when the program's policy uses that metric, and
/// the account re-evaluated (upgrades at once; a negative amount downgrades only under
/// `reevaluate`). Does nothing for programs without a policy or with another metric.
void record_tier_activity(Ctx& ctx, storage::UnitOfWork& tx, const AccountRef& account, const char* metric,
                          int64_t amount, Timestamp occurred_at, Timestamp now);

/// A verified check-in of `customer_id`: one visit in every program of the tenant whose tier
/// policy counts visits (the customer's account there is opened if needed).
void record_tier_visit(Ctx& ctx, storage::UnitOfWork& tx, const std::string& customer_id, Timestamp occurred_at,
                       Timestamp now);

/// The account's current tier as the rules engine sees it.
struct TierFacts {
  std::string id;
  std::string name;
  int64_t rank = 0;
  /// benefits.earn_multiplier in thousandths (1.5 -> 1500); 1000 when the tier sets none.
  int64_t earn_multiplier_milli = 1000;
};
/// nullopt when the account has no tier (or the program no tiers).
std::optional<TierFacts> current_tier(storage::UnitOfWork& tx, const AccountRef& account);

/// A tier of the tenant's program by id (name and rank; the multiplier is not read); nullopt
/// when there is none in that program.
std::optional<TierFacts> find_tier(storage::UnitOfWork& tx, const std::string& tenant, const std::string& program_id,
                                   const std::string& tier_id);

}  // namespace loyalty::detail
