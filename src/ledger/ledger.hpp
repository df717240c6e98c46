// The ledger's internal API for modules above it (rules, rewards, locations): posting inside a
// unit of work the caller owns (its write_op), with typed requests. The caller handles its own
// idempotency key.
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

// Requests of the internal API. Callers build them directly (no JSON on the way); the ledger
// checks every field as the public operation checks it (same ranges, same messages), and errors
// name the field under the caller's `path` (for example "checkin.points"). The public operations
// (`ledger.earn`, ...) read their JSON into the same requests, and keep the idempotency key and
// the request it guards (the input JSON as given) to themselves: internal requests carry no key.

/// `ledger.earn` without its key. `occurred_at` absent: now.
struct EarnRequest {
  std::string customer_id;
  std::optional<std::string> program_id;  // absent: the tenant's default program
  int64_t points = 0;                     // 1 .. kMaxAmount
  std::string type = "earn";              // "earn" | "bonus"
  std::optional<Timestamp> occurred_at;
  std::optional<std::string> reason;    // at most 500 bytes
  std::optional<json> metadata;         // an object of at most kMaxMetadataBytes
  std::optional<int64_t> pending_days;  // 0 .. 365; absent: the program's
  std::optional<Timestamp> expires_at;  // after occurred_at; absent: the program's expiry
};

/// `ledger.reverse` and `ledger.refund` without their key: a correction of entry `entry_id`.
struct CorrectionRequest {
  std::string entry_id;
  std::optional<int64_t> points;  // absent: all that is left
  std::optional<std::string> reason;
  std::optional<json> metadata;
  std::optional<Timestamp> occurred_at;
};
using ReverseRequest = CorrectionRequest;
using RefundRequest = CorrectionRequest;

/// `ledger.redeem` without its key.
struct RedeemRequest {
  std::string customer_id;
  std::optional<std::string> program_id;
  int64_t points = 0;
  std::optional<std::string> reason;
  std::optional<json> metadata;
  std::optional<Timestamp> occurred_at;
};

/// `hold.create` without its key: expires at `expires_at`, or `ttl_seconds` (1 .. 30 days,
/// default 900) from now; not both.
struct HoldCreateRequest {
  std::string customer_id;
  std::optional<std::string> program_id;
  int64_t points = 0;
  std::optional<Timestamp> expires_at;
  std::optional<int64_t> ttl_seconds;
  std::optional<std::string> reason;
};

/// `hold.commit` without its key.
struct HoldCommitRequest {
  std::string id;
  std::optional<int64_t> points;  // absent: the whole hold
  std::optional<std::string> reason;
  std::optional<json> metadata;
};

/// `hold.void` without its key.
struct HoldVoidRequest {
  std::string id;
};

/// Posts an earn inside `tx`; settles the account first, opens it if needed. Returns what
/// `ledger.earn` returns: {entry, balance, replayed}. Throws loyalty::Error; the caller's
/// transaction is then to be rolled back.
json earn_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const EarnRequest& r, const std::string& path, Timestamp now);

/// Reverses an earlier earn or bonus entry (fully, or `points` of it) under the program's return
/// policy inside `tx`. Returns what `ledger.reverse` returns: {entry, balance,
/// reversible_remaining, replayed}. Throws loyalty::Error (conflict once nothing is left to
/// reverse).
json reverse_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const ReverseRequest& r, const std::string& path, Timestamp now);

/// Spends points inside `tx` (nearest expiry first) into a `redeem` entry. Returns {entry,
/// balance, replayed}. Throws Status::insufficient when fewer points are available (never goes
/// negative, whatever the program allows).
json redeem_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const RedeemRequest& r, const std::string& path, Timestamp now);

/// Refunds a `redeem` entry (fully, or `points` of it) inside `tx`: the points go back into the
/// buckets they came from, with their original expiry (points whose bucket has expired since
/// expire at once). Returns {entry, balance, refundable_remaining, expired_on_refund, replayed};
/// Status::conflict once nothing is left to refund.
json refund_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const RefundRequest& r, const std::string& path, Timestamp now);

/// Reserves points in a hold inside `tx`. Returns {hold, balance, replayed}. Throws
/// Status::insufficient when fewer points are available.
json hold_create_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const HoldCreateRequest& r, const std::string& path,
                       Timestamp now);

/// Commits an active hold into a `redeem` entry inside `tx`. Returns {hold, entry, balance,
/// replayed}; Status::conflict when the hold is no longer active or has expired.
json hold_commit_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const HoldCommitRequest& r, const std::string& path,
                       Timestamp now);

/// Releases an active hold inside `tx`; marked expired when past its expiry, voided otherwise;
/// nothing to do for a hold already voided or expired. Returns {hold, balance, replayed};
/// Status::conflict for a committed hold.
json hold_void_in_tx(Ctx& ctx, storage::UnitOfWork& tx, const HoldVoidRequest& r, const std::string& path,
                     Timestamp now);

/// The account's available points (balance minus active holds) as `ledger.balance` shows them.
int64_t available_points(storage::UnitOfWork& tx, const AccountRef& account);

}  // namespace loyalty::detail
