// Analytics over the ledger (docs/analytics.md): operations analytics.* and the catch-up of their
// rollups.
#pragma once

#include "storage/unit_of_work.hpp"

namespace loyalty::detail {

/// Folds every entry, account and customer past the rollups' watermarks into the rollups (and
/// rebuilds the tenants whose time zone changed). Runs inside the caller's write unit.
void analytics_catch_up(storage::UnitOfWork& tx);

}  // namespace loyalty::detail
