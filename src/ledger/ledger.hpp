// The ledger's internal API for modules above it (rules, rewards, locations): posting inside a
// unit of work the caller owns. The caller opens the write transaction, calls
// ensure_session_valid, handles its own idempotency key (or passes one in `in`), and commits.
#pragma once

#include <optional>
#include <string>

#include "core/input.hpp"
#include "engine/engine_state.hpp"
#include "ledger/hooks.hpp"

namespace loyalty::detail {

/// The account of `customer_id` (and `program_id`, or the tenant's default program) read from
/// `i`; nullopt when the customer has no account in that program yet (reads never create one).
/// Status::not_found naming the field for an unknown customer or program.
std::optional<AccountRef> find_account_ref(const Ctx& ctx, storage::UnitOfWork& tx, const Input& i);

/// The same account inside a write transaction, opened if the customer has none in the program
/// yet (and settled, as before any write).
AccountRef open_account_ref(Ctx& ctx, storage::UnitOfWork& tx, const Input& i, Timestamp now);

/// Posts an earn inside `tx`. `in` has the fields of the `ledger.earn` operation
/// (customer_id, program_id?, points, type? "earn"|"bonus", occurred_at?, reason?, metadata?,
/// pending_days?, expires_at?, idempotency_key?); errors name fields under `path`. Settles the
/// account first, opens it if needed. Returns what `ledger.earn` returns: {entry, balance,
/// replayed}. Throws loyalty::Error; the caller's transaction is then to be rolled back.
json earn_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const json& in, const std::string& path, Timestamp now);

/// Reverses an earlier earn or bonus entry (fully, or `points` of it) under the program's return
/// policy inside `tx`. `in` has the fields of `ledger.reverse` (entry_id, points?, reason?,
/// occurred_at?, metadata?, idempotency_key?). Returns what `ledger.reverse` returns: {entry,
/// balance, reversible_remaining, replayed}. Throws loyalty::Error (conflict once nothing is
/// left to reverse).
json reverse_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const json& in, const std::string& path, Timestamp now);

/// Spends points inside `tx` (nearest expiry first) into a `redeem` entry. `in` has the fields of
/// `ledger.redeem` (customer_id, program_id?, points, reason?, metadata?, occurred_at?,
/// idempotency_key?). Returns {entry, balance, replayed}. Throws Status::insufficient when fewer
/// points are available (never goes negative, whatever the program allows).
json redeem_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const json& in, const std::string& path, Timestamp now);

/// Refunds a `redeem` entry (fully, or `points` of it) inside `tx`: the points go back into the
/// buckets they came from, with their original expiry (points whose bucket has expired since
/// expire at once). `in` has the fields of `ledger.refund` (entry_id, points?, reason?,
/// metadata?, occurred_at?, idempotency_key?). Returns {entry, balance, refundable_remaining,
/// expired_on_refund, replayed}; Status::conflict once nothing is left to refund.
json refund_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const json& in, const std::string& path, Timestamp now);

/// Reserves points in a hold inside `tx`. `in` has the fields of `hold.create` (customer_id,
/// program_id?, points, expires_at? | ttl_seconds?, reason?, idempotency_key?). Returns {hold,
/// balance, replayed}. Throws Status::insufficient when fewer points are available.
json hold_create_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const json& in, const std::string& path, Timestamp now);

/// Commits an active hold into a `redeem` entry inside `tx` (`hold.commit`: id, points?, reason?,
/// metadata?, idempotency_key?). Returns {hold, entry, balance, replayed}; Status::conflict when
/// the hold is no longer active or has expired.
json hold_commit_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const json& in, const std::string& path, Timestamp now);

/// Releases an active hold inside `tx` (`hold.void`: id, idempotency_key?); marked expired when
/// past its expiry, voided otherwise; nothing to do for a hold already voided or expired.
/// Returns {hold, balance, replayed}; Status::conflict for a committed hold.
json hold_void_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const json& in, const std::string& path, Timestamp now);

/// The account's available points (balance minus active holds) as `ledger.balance` shows them.
int64_t available_points(storage::UnitOfWork& tx, const AccountRef& account);

}  // namespace loyalty::detail
