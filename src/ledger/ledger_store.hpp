// The ledger's storage interface, in domain terms: accounts, entries, buckets, allocations,
// holds, idempotency records, the questions maintenance asks ("what fell due on this account?")
// and the sums `ledger.verify` compares. No SQL crosses it; the ledger's logic (src/ledger/)
// speaks only this interface, and a backend implements it. Every call runs inside the unit of
// work it was obtained from (`UnitOfWork::ledger()`), so a write is visible to later calls of
// the same unit and to nobody else until it commits; a unit rolled back leaves nothing behind.
//
// Contract every backend must meet (the conformance suite in tests/unit/storage/ checks it):
// - ids: add_bucket returns a new positive id, larger than every earlier bucket id; entries and
//   holds keep the ids the caller gives them, and a second insert with the same id fails with
//   Status::conflict.
// - order: spendable() and hold_slices() return buckets in spending order (nearest expiry
//   first, then oldest creation, then id; buckets that never expire last); history() returns
//   entries newest first by their sequence, which increases with every append.
// - tenancy: every lookup that takes a tenant finds only that tenant's rows.
// - errors: a backend failure throws loyalty::Error with Status::storage (or Status::busy when
//   another writer holds the database past the deadline); nothing is partially applied beyond
//   what the unit of work rolls back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loyalty/core/time.hpp"

namespace loyalty::storage {

/// An account's stored balances (one per customer and program).
struct AccountRecord {
  int64_t id = 0;
  std::string customer_id;
  std::string program_id;
  int64_t posted = 0;   // sum of posted entries: the balance
  int64_t pending = 0;  // sum of pending entries
  int64_t held = 0;     // reserved by active holds
  int64_t debt = 0;     // points owed beyond the buckets (only where a negative balance is allowed)
  int64_t lifetime_earned = 0;
  int64_t lifetime_redeemed = 0;
  std::optional<int64_t> last_activity_at;
  Timestamp opened_at = 0;
  int64_t available() const { return posted - held; }
};

/// An immutable ledger entry as written. `status` is "posted" or "pending"; a pending entry
/// becomes posted only through release_pending().
struct EntryRecord {
  std::string id;
  std::string tenant_id;
  int64_t account_id = 0;
  std::string type;  // earn, bonus, adjust, redeem, reverse, refund, expire, transfer
  int64_t points = 0;
  std::string status = "posted";
  std::optional<int64_t> bucket_id;
  std::optional<std::string> ref_entry;
  std::optional<int64_t> ref_points;
  std::optional<std::string> hold_id;
  std::optional<std::string> reason;
  std::optional<std::string> metadata;  // a JSON object's text
  Timestamp occurred_at = 0;
  Timestamp recorded_at = 0;
  std::optional<Timestamp> posted_at;
};

/// An entry as read back, with its account's customer and program, its bucket's expiry and
/// pending window (credits only) and its sequence (the history order).
struct EntryView {
  EntryRecord entry;
  std::string customer_id;
  std::string program_id;
  std::optional<Timestamp> expires_at;
  std::optional<Timestamp> pending_until;
  int64_t seq = 0;
};

/// A new bucket of points. `state` is "available" or "pending".
struct BucketRecord {
  int64_t account_id = 0;
  std::string entry_id;
  int64_t original = 0;
  int64_t remaining = 0;
  std::string state = "available";
  std::optional<Timestamp> expires_at;
  std::optional<Timestamp> pending_until;
  Timestamp created_at = 0;
};

/// A bucket's current state.
struct BucketState {
  int64_t account_id = 0;
  std::string state;  // available, pending
  int64_t remaining = 0;
  int64_t held = 0;
  std::optional<Timestamp> expires_at;
  int64_t free() const { return remaining - held; }
};

/// Points of one bucket (taken, reserved, or free to take).
struct Slice {
  int64_t bucket = 0;
  int64_t points = 0;
};

struct HoldRecord {
  std::string id;
  std::string tenant_id;
  int64_t account_id = 0;
  int64_t points = 0;
  std::string status;  // active, committed, voided, expired
  std::optional<std::string> reason;
  Timestamp expires_at = 0;
  Timestamp created_at = 0;
  std::optional<Timestamp> resolved_at;
  std::optional<std::string> entry_id;  // the redeem entry of a committed hold
};

struct HoldView {
  HoldRecord hold;
  std::string customer_id;
  std::string program_id;
};

/// What history() selects: one account's entries with a sequence below `before_seq`, newest
/// first, optionally of some types and occurred in [from, to).
struct HistoryQuery {
  int64_t account_id = 0;
  int64_t before_seq = INT64_MAX;
  std::vector<std::string> types;  // empty: every type
  std::optional<Timestamp> from;
  std::optional<Timestamp> to;
  int64_t limit = 100;
};

/// What expiring() selects: available buckets with unreserved points expiring before `before`
/// and after the position (after, after_bucket), nearest first; of one account or the tenant's.
struct ExpiringQuery {
  std::string tenant_id;
  std::optional<int64_t> account_id;
  Timestamp before = 0;
  Timestamp after = 0;
  int64_t after_bucket = INT64_MAX;
  int64_t limit = 100;
};

struct ExpiringItem {
  int64_t bucket = 0;
  Timestamp expires_at = 0;
  int64_t points = 0;
  std::string entry_id;
  std::string customer_id;
  std::string program_id;
};

/// An account's stored balances next to the sums recomputed from its entries, buckets and holds.
struct AccountTotals {
  AccountRecord account;
  bool may_go_negative = false;  // the program allows a negative balance or unlimited returns
  int64_t posted_entries = 0;    // sum of posted entries
  int64_t pending_entries = 0;   // sum of pending entries
  int64_t available_buckets = 0;
  int64_t pending_buckets = 0;
  int64_t bucket_reservations = 0;
  int64_t active_holds = 0;
  int64_t earned_net = 0;    // earns and bonuses less points reversed
  int64_t redeemed_net = 0;  // redemptions less refunds
  int64_t malformed_buckets = 0;
  int64_t malformed_reversals = 0;
};

/// One row that breaks a per-row invariant: its account and the two numbers compared.
struct RowViolation {
  std::string customer_id;
  std::string program_id;
  int64_t expected = 0;
  int64_t actual = 0;
};

/// A stored idempotent request and its response (both JSON text).
struct IdempotencyRecord {
  std::string operation;
  std::string request;
  std::string response;
};

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;

  // Accounts ------------------------------------------------------------------------------------
  virtual std::optional<AccountRecord> account(int64_t id) = 0;
  virtual std::optional<AccountRecord> find_account(const std::string& tenant, const std::string& customer,
                                                    const std::string& program) = 0;
  /// Stores the balances and last activity of an existing account.
  virtual void save_account(const AccountRecord& a) = 0;

  // Buckets -------------------------------------------------------------------------------------
  virtual int64_t add_bucket(const BucketRecord& b) = 0;
  virtual std::optional<BucketState> bucket(int64_t id) = 0;
  /// The account's available buckets with unreserved points in spending order, as many as cover
  /// `need`, leaving out `skip`.
  virtual std::vector<Slice> spendable(int64_t account, int64_t need, std::optional<int64_t> skip) = 0;
  /// Adds `remaining_delta` to the bucket's remaining points and `held_delta` to its reserved ones.
  virtual void change_bucket(int64_t bucket, int64_t remaining_delta, int64_t held_delta) = 0;
  /// Makes a pending bucket available with `pay` points fewer (debt paid) and posts its pending
  /// entries at `now`.
  virtual void release_pending(int64_t bucket, int64_t pay, Timestamp now) = 0;

  // Entries and allocations ---------------------------------------------------------------------
  virtual void append_entry(const EntryRecord& e) = 0;
  /// The tenant's entry `id` (without its view fields), nullopt when there is none.
  virtual std::optional<EntryRecord> find_entry(const std::string& tenant, const std::string& id) = 0;
  virtual std::optional<EntryView> entry_view(const std::string& id) = 0;
  /// Up to `limit + 1` entries (a further row tells the caller more pages follow).
  virtual std::vector<EntryView> history(const HistoryQuery& q) = 0;
  /// Points of the earn `entry` taken back by reversals (their ref_points).
  virtual int64_t reversed_points(const std::string& entry) = 0;
  /// Points reversals of `entry` waived rather than debited (ref_points + points).
  virtual int64_t waived_points(const std::string& entry) = 0;
  /// Points of the redemption `entry` given back by refunds.
  virtual int64_t refunded_points(const std::string& entry) = 0;
  /// Points the bucket lost to expiry entries.
  virtual int64_t expired_points(int64_t bucket) = 0;
  /// Records that `entry` took (or gave back) `points` of `bucket`; repeated calls add up.
  virtual void allocate(const std::string& entry, int64_t bucket, int64_t points) = 0;
  /// The buckets the redemption `entry` took its points from, less what refunds already put
  /// back, in reverse spending order (latest expiry first).
  virtual std::vector<Slice> refundable_slices(const std::string& entry) = 0;

  // Holds ---------------------------------------------------------------------------------------
  virtual void insert_hold(const HoldRecord& h) = 0;
  virtual std::optional<HoldRecord> find_hold(const std::string& tenant, const std::string& id) = 0;
  virtual std::optional<HoldView> hold_view(const std::string& id) = 0;
  virtual void reserve(const std::string& hold, int64_t bucket, int64_t points) = 0;
  /// The hold's reservations in spending order.
  virtual std::vector<Slice> hold_slices(const std::string& hold) = 0;
  virtual void resolve_hold(const std::string& id, const std::string& status, Timestamp at,
                            const std::optional<std::string>& entry) = 0;

  // Maintenance ---------------------------------------------------------------------------------
  /// Whether anything on the account fell due by `cutoff` (an active hold expired, a pending
  /// bucket's window ended, unreserved points expired).
  virtual bool anything_due(int64_t account, Timestamp cutoff) = 0;
  /// Active holds expired by `cutoff`, oldest first.
  virtual std::vector<std::string> due_holds(int64_t account, Timestamp cutoff) = 0;
  /// Pending buckets whose window ended by `cutoff` with the points they hold, by id.
  virtual std::vector<Slice> due_pending(int64_t account, Timestamp cutoff) = 0;
  /// Available buckets with unreserved points expired by `cutoff`, by expiry then id.
  virtual std::vector<int64_t> due_expiries(int64_t account, Timestamp cutoff) = 0;
  /// Available buckets with unreserved points, by id.
  virtual std::vector<int64_t> unreserved_buckets(int64_t account) = 0;
  /// The tenant's accounts with anything due by `cutoff`, inactivity expiry included, by id.
  virtual std::vector<int64_t> accounts_due(const std::string& tenant, Timestamp cutoff) = 0;
  /// Up to `limit + 1` items.
  virtual std::vector<ExpiringItem> expiring(const ExpiringQuery& q) = 0;

  // Verification --------------------------------------------------------------------------------
  virtual std::vector<AccountTotals> account_totals(const std::string& tenant) = 0;
  /// Earns reversed beyond their points: expected = points, actual = reversed.
  virtual std::vector<RowViolation> over_reversed(const std::string& tenant) = 0;
  /// Redemptions refunded beyond their points: expected = points, actual = refunded.
  virtual std::vector<RowViolation> over_refunded(const std::string& tenant) = 0;
  /// Active holds whose reservations differ from their points: expected = points, actual = sum.
  virtual std::vector<RowViolation> unbalanced_holds(const std::string& tenant) = 0;

  // Idempotency ---------------------------------------------------------------------------------
  virtual std::optional<IdempotencyRecord> idempotency(const std::string& tenant, const std::string& key) = 0;
  /// Stores a request's response under its key; Status::conflict when the key exists.
  virtual void put_idempotency(const std::string& tenant, const std::string& key, const IdempotencyRecord& r,
                               Timestamp now) = 0;
};

}  // namespace loyalty::storage
