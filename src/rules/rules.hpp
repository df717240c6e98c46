// Rules storage and operations (rule.*, purchase.*); the language itself is in plan.hpp.
#pragma once

#include <memory>

#include "core/engine_state.hpp"
#include "programs/programs.hpp"
#include "rules/plan.hpp"

namespace loyalty::detail {

/// The program's compiled plan, from the process-wide cache when the program's rules generation
/// (read inside `tx`), rounding and time zone are unchanged; compiled and swapped in otherwise.
std::shared_ptr<const rules::Plan> plan_for(storage::Tx& tx, storage::Pool& pool, const Program& p);

}  // namespace loyalty::detail
