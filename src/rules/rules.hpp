// Rules storage and operations (rule.*, purchase.*); the language itself is in plan.hpp.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine_state.hpp"
#include "programs/programs.hpp"
#include "rules/plan.hpp"

namespace loyalty::detail {

/// The program's compiled plan for `trigger`, from the engine's cache (EngineState::plan_cache) when the program's
/// rules generation (read inside `tx`), rounding and time zone are unchanged; compiled and
/// swapped in otherwise.
/// Whether purchase.dry_run (`dry_run`) or purchase.submit reads this input text without a
/// document (tests: the document path must give the same answers).
bool purchase_text_read_directly(std::string_view text, bool dry_run);

std::shared_ptr<const rules::Plan> plan_for(storage::UnitOfWork& tx, EngineState& engine, const Program& p,
                                            rules::Trigger trigger = rules::Trigger::purchase);

/// A verified check-in, as the program's check-in rules (location rules) see it.
struct CheckinRuleInput {
  std::string customer_id;
  Program program;
  Timestamp at = 0;
  std::string location_id;
  std::vector<std::string> inside;  ///< every location whose fence the check-in reached
  std::optional<int64_t> distance_m;
};

struct CheckinRuleOutcome {
  int64_t points = 0;                             ///< the rules' total (0 without check-in rules)
  nlohmann::json used = nlohmann::json::array();  ///< [{rule_id, version, points}] of rules that gave points
  nlohmann::json explain = nullptr;               ///< the explain trace; null when the program has no check-in rules
};

/// Evaluates the program's active check-in rules for a verified check-in, inside the check-in's
/// write transaction `tx`, and records their limit counters, budgets and cooldowns there (so a
/// limit holds under concurrency like a purchase's). The caller posts the points (one ledger
/// entry) and stores the rule versions used. The check-in itself must not be stored yet: history
/// facts count earlier check-ins.
CheckinRuleOutcome apply_checkin_rules(Ctx& ctx, storage::UnitOfWork& tx, const CheckinRuleInput& in);

}  // namespace loyalty::detail
