// Extension points of the ledger for modules above it (tiers, rewards): the ledger calls them
// inside its own units of work, so they run in the same transaction as the change. The engine
// (the composition root) installs each module's set once when it is constructed; the ledger
// includes no header of the modules that implement them, keeping dependencies pointing one way.
#pragma once

#include <string>

#include "engine/engine_state.hpp"

namespace loyalty::detail {

/// An account as other modules see it.
struct AccountRef {
  int64_t id = 0;
  std::string customer_id;
  std::string program_id;
  Timestamp opened_at = 0;
};

/// A change of an account's qualifying points: +points of an earn or bonus, -points of a
/// reversal (the reversed points, also when they had expired).
struct PointsChange {
  AccountRef account;
  int64_t points = 0;
  Timestamp occurred_at = 0;
  const char* cause = "";  // "earn", "bonus" or "reverse"
};

struct LedgerHooks {
  /// After the change is written, in its transaction; may throw (the write then fails).
  void (*on_points)(Ctx&, storage::UnitOfWork&, const PointsChange&, Timestamp now) = nullptr;
  /// Adds fields to the answer of `ledger.balance` (read transaction); `account` is null for a
  /// customer without an account in `program_id` yet.
  void (*decorate_balance)(Ctx&, storage::UnitOfWork&, const AccountRef* account, const std::string& program_id,
                           json& balance, Timestamp now) = nullptr;
  /// Runs the module's maintenance inside `ledger.run_due`'s transaction, after the ledger's own:
  /// what fell due by `cutoff`, written with the time `now`. Adds its counts to `out`.
  void (*run_due)(Ctx&, storage::UnitOfWork&, Timestamp cutoff, Timestamp now, json& out) = nullptr;
  /// Adds the module's invariant violations to `ledger.verify`'s list (read transaction), each
  /// {customer_id, program_id, invariant, expected, actual} plus fields of its own.
  void (*verify)(Ctx&, storage::UnitOfWork&, json& violations) = nullptr;
};

/// Installs one module's hooks (idempotent per set; called by the engine before any operation
/// runs). Every installed set is called, in installation order.
void set_ledger_hooks(const LedgerHooks& hooks);

}  // namespace loyalty::detail
