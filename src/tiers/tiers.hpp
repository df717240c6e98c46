// Tiers: the `tier.*` operations and the ledger hooks that keep tiers current.
#pragma once

namespace loyalty::detail {

/// Installs the tiers module's ledger hooks (qualifying points, balance decoration); called once
/// by the engine.
void install_tier_hooks();

}  // namespace loyalty::detail
